# vmctl developer entry points. `make demo` and `make test` are the README's two commands.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.vmctl-installed

.PHONY: demo test unit setup-local setup-cluster lint bench clean

$(STAMP): pyproject.toml
	bash tests/vm/setup_libvirt.sh  # apt packages (libvirt-dev builds libvirt-python) and the daemons
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test,local,cluster]'
	$(BIN)/python -m compileall -q src
	touch $(STAMP)

## demo: set up everything, resolve a VM from the bundled test-guest template, boot it locally, show its console
demo: setup-local
	bash scripts/demo.sh

## setup-local: install and start libvirt, build the test guest, start the local registry (idempotent)
setup-local: $(STAMP)
	bash tests/vm/setup_libvirt.sh
	$(BIN)/python tests/vm/build_test_guest.py
	bash tests/vm/setup_registry.sh

## setup-cluster: build kube-apiserver from Debian's source package (first run only: cached) and install etcd
setup-cluster:
	nice -n 19 bash tests/cluster/build_apiserver.sh

## test: the whole test suite (unit, CLI, real-libvirt and real-kube-apiserver integration tests)
test: setup-local setup-cluster
	$(BIN)/ruff check src tests
	$(BIN)/pytest -q

## unit: only the tests that need no libvirt (cluster tests run when the API server is built)
unit: $(STAMP)
	$(BIN)/pytest -q -m "not libvirt and not registry"

lint: $(STAMP)
	$(BIN)/ruff check src tests

bench: $(STAMP)
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) build dist .pytest_cache
