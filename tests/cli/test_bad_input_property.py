"""Property: whatever bytes, YAML or environment a user feeds vmctl, no command ever ends in a traceback.

Every run goes through the real entry point in this process (``vmctl.cli.main.main``), so an uncaught exception
fails the test with the exception itself; an exit must be 0, 1, 2 with nothing but ``error:``/``hint:`` lines
when it fails. Commands that need a backend get a temporary state folder and libvirt's in-process test driver
(``test:///default``), so no real libvirt is touched; nothing that could start a VM is fed input that is valid.
Bounded: a fixed seed and a few dozen examples per property, well under a minute in all.
"""

from __future__ import annotations

import contextlib
import io
import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from vmctl.cli.main import main

BOUNDED = settings(
    max_examples=int(os.environ.get("VMCTL_PROPERTY_EXAMPLES", "40")), deadline=None, derandomize=not os.environ.get("VMCTL_PROPERTY_EXAMPLES"), database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

KINDS = ["VirtualMachine", "VirtualMachineInstance", "List", "Template", "VirtualMachineTemplate", "JinjaTemplate",
         "VirtualMachineClusterInstancetype", "VirtualMachinePreference", "ConfigMap", "Frobnicator"]
API_VERSIONS = ["kubevirt.io/v1", "v1", "template.openshift.io/v1", "template.kubevirt.io/v1beta1",
                "vmctl.dev/v1alpha1", "instancetype.kubevirt.io/v1beta1", "example.com/v1"]
KEYS = ["apiVersion", "kind", "metadata", "name", "spec", "items", "objects", "parameters", "template", "domain",
        "memory", "guest", "cpu", "cores", "runStrategy", "instancetype", "preference", "volumes", "value",
        "required", "generate", "from", "labels", "virtualMachine"]
SPECIAL = ["${NAME}", "${{NAME}}", "{{ .NAME }}", "{{ NAME }}", "{% include 'x' %}", "u1.nano", "1Gi", "Always",
           "[a-z]{300}", "", "\n", "---", "&a", "*a"]

scalars = (st.none() | st.booleans() | st.integers(-2**70, 2**70) | st.floats() | st.text(max_size=20)
           | st.sampled_from(SPECIAL + KINDS + API_VERSIONS))
data = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4)
                    | st.dictionaries(st.sampled_from(KEYS) | st.text(max_size=6), inner, max_size=5), max_leaves=25)
objects = st.fixed_dictionaries(
    {"apiVersion": st.sampled_from(API_VERSIONS), "kind": st.sampled_from(KINDS)},
    optional={"metadata": data | st.fixed_dictionaries({"name": scalars}), "spec": data, "items": data,
              "objects": data, "parameters": data, "template": data},
)


@st.composite
def yaml_texts(draw: st.DrawFn) -> bytes:
    """Some YAML documents, sometimes cut short or with a character put in (malformed YAML)."""
    docs = draw(st.lists(objects | data, max_size=3))
    text = yaml.safe_dump_all(docs, allow_unicode=True)
    if text and draw(st.booleans()):
        at = draw(st.integers(0, len(text)))
        text = text[:at] + draw(st.sampled_from(["", "\t", ":", "'", '"', "{", "- ", "\n  x", "&a *a"])) + (
            text[at:] if draw(st.booleans()) else "")
    return text.encode("utf-8", "surrogatepass")


def env_values() -> st.SearchStrategy[str]:
    return st.sampled_from(["", "0", "-1", "1e6", "abc", "nan", "inf", "1", "100", "0.001", "1e300",
                            "99999999999999999999999", " 5", "local", "cluster"]) | st.text(
        st.characters(exclude_categories=["Cs"], exclude_characters="\x00"), max_size=10)


@contextlib.contextmanager
def environment(env: dict[str, str]) -> Iterator[None]:
    saved = dict(os.environ)
    os.environ.update(env)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


def run(args: list[str], stdin: bytes = b"", env: dict[str, str] | None = None) -> tuple[int, str, str]:
    """One vmctl run in this process; an exception other than SystemExit propagates (a traceback)."""
    out, err = io.StringIO(), io.StringIO()
    old_stdin = sys.stdin
    sys.stdin = io.TextIOWrapper(io.BytesIO(stdin), encoding="utf-8")
    try:
        with environment(env or {}), contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                main(args)
                code = 0
            except SystemExit as exc:
                code = exc.code if isinstance(exc.code, int) else 1
    finally:
        sys.stdin = old_stdin
    return code, out.getvalue(), err.getvalue()


def check(args: list[str], code: int, out: str, err: str) -> None:
    assert code in (0, 1, 2), (args, code, err)
    assert "Traceback" not in err, (args, err)
    if code:
        errors = [line for line in err.splitlines() if line.startswith("error: ")]
        assert errors, (args, err)
        # validate, resolve and expand report one line per schema finding
        assert len(errors) == 1 or args[0] in ("validate", "resolve", "expand"), (args, err)
        others = [line for line in err.splitlines() if not line.startswith(("error: ", "warning: ", "hint: "))]
        assert not others or args[0] == "validate", (args, err)  # validate ends with its summary line


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    (tmp_path / "state").mkdir()
    return tmp_path


def backend(work: Path) -> list[str]:
    return ["--backend", "local", "--state-dir", str(work / "state"), "--libvirt-uri", "test:///default"]


def file_commands(path: str, work: Path) -> list[list[str]]:
    return [
        ["validate", "-f", path], ["resolve", "-f", path], ["expand", "-f", path], ["validate", path, "--strict"],
        ["template", "process", path], ["template", "process", path, "-o", "name"], ["template", "params", path], ["template", "show", path, "-o", "json"],
        ["create", "vm", "--from-template", path, "-p", "NAME=a", "--ignore-unknown-parameters"],
        ["create", "vm", "--from-template", "cirros", "--param-file", path],
        ["create", "vm", "--cloud-init-user-data-file", path], ["create", "vm", "--password-file", path],
        ["get", "instancetypes", "--catalog", path, "-o", "name"],
    ]


@BOUNDED
@given(content=st.binary(max_size=400) | st.sampled_from([b"\xff\xfe", b"\x00" * 50, b"key: \x00"]))
def test_random_bytes_never_crash(workdir: Path, content: bytes) -> None:
    path = workdir / "input.yaml"
    path.write_bytes(content)
    for args in [*file_commands(str(path), workdir), ["apply", "-f", str(path), *backend(workdir)]]:
        check(args, *run(args))
    check(["resolve", "-f", "-"], *run(["resolve", "-f", "-"], stdin=content))


@BOUNDED
@given(content=yaml_texts())
# found by this test with more examples:
@example(content=b"apiVersion: kubevirt.io/v1\nkind: VirtualMachineInstance\nmetadata: true\n")
@example(content=b"apiVersion: kubevirt.io/v1\nkind: VirtualMachine\n---\nkind: []\n")
@example(content=b"apiVersion: v1\nkind: Template\nmetadata: {name: t}\nobjects:\n- kind: [a]\n  metadata: {name: x}\n")
def test_random_yaml_never_crashes(workdir: Path, content: bytes) -> None:
    path = workdir / "input.yaml"
    path.write_bytes(content)
    for args in file_commands(str(path), workdir):
        check(args, *run(args))
    check(["validate", "-f", "-"], *run(["validate", "-f", "-"], stdin=content))


def every_command(work: Path, good: str) -> list[list[str]]:
    b = backend(work)
    return [
        ["version"], ["create", "vm", "--name", "a"], ["create", "instancetype", "--cpu", "1", "--memory", "1Gi"],
        ["create", "preference"], ["template", "list"], ["template", "process", "fedora-server", "-p", "NAME=a"],
        ["template", "params", "cirros"], ["expand", "-f", good], ["resolve", "-f", good], ["validate", "-f", good],
        ["get", "instancetypes"], ["get", "vms", *b], ["describe", "vm", "nope", *b], ["delete", "vm", "nope", *b],
        ["start", "nope", *b], ["stop", "nope", *b], ["restart", "nope", *b], ["pause", "vm", "nope", *b],
        ["unpause", "vm", "nope", *b], ["soft-reboot", "nope", *b], ["reset", "nope", *b], ["console", "nope", *b],
        ["vnc", "nope", "--proxy-only", *b], ["port-forward", "vm/nope", "22", *b],
        ["volume", "list", "--state-dir", str(work / "state")], ["controller", "--once", *b],
        ["apply", "-f", str(work / "empty.yaml"), *b],
    ]


@BOUNDED
@given(
    values=st.fixed_dictionaries({}, optional={
        name: env_values() for name in
        ("VMCTL_MAX_INPUT_BYTES", "VMCTL_MAX_EXPANDED_NODES", "VMCTL_TEMPLATE_TIMEOUT", "VMCTL_BACKEND",
         "VMCTL_HOOK_TIMEOUT", "VMCTL_PULL_TIMEOUT", "VMCTL_CONSOLE_DRAIN", "VMCTL_VIRT_TYPE",
         "VMCTL_INSECURE_REGISTRIES")
    }),
    paths=st.fixed_dictionaries({}, optional={
        "VMCTL_CATALOG_PATH": st.text(st.sampled_from("ab:."), max_size=6),
        "VMCTL_TEMPLATE_PATH": st.text(st.sampled_from("ab:."), max_size=6),
    }),
    config=st.none() | yaml_texts() | st.binary(max_size=100),
)
def test_random_environment_never_crashes(
    workdir: Path, values: dict[str, str], paths: dict[str, str], config: bytes | None
) -> None:
    good = workdir / "vm.yaml"
    good.write_text(
        "apiVersion: kubevirt.io/v1\nkind: VirtualMachine\nmetadata:\n  name: a\nspec:\n  runStrategy: Halted\n"
        "  template:\n    spec:\n      domain:\n        memory:\n          guest: 128Mi\n        devices: {}\n")
    (workdir / "empty.yaml").write_text("")
    home = workdir / "config"
    (home / "vmctl").mkdir(parents=True, exist_ok=True)
    if config is not None:
        (home / "vmctl" / "config.yaml").write_bytes(config)
    # path variables only ever name folders under the test's own folder (never "/" or the working directory)
    env = {**values, **{k: ":".join(str(workdir / p) if p else "" for p in v.split(":")) for k, v in paths.items()},
           "XDG_CONFIG_HOME": str(home)}
    for args in every_command(workdir, str(good)):
        check(args, *run(args, env=env))
