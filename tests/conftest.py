"""Shared test fixtures: paths to the repository, the shared upstream data, an isolated vmctl environment, and
``vmctl``, which runs the real CLI entry point in this process."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
#: Upstream KubeVirt data (OpenAPI schema, common-instancetypes bundles) lives beside the clone in CI.
SHARED = Path(os.environ.get("VMCTL_SHARED_DIR", REPO.parent / "shared"))


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep the user's real ~/.config/vmctl, ~/.cache/vmctl, catalog paths and kubeconfig out of every test: with
    no backend named, a test runs on the local backend unless it points at a cluster itself (KUBECONFIG names a
    file that does not exist, so ~/.kube/config is never read; no in-cluster service account)."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / ".cache"))
    monkeypatch.delenv("VMCTL_CATALOG_PATH", raising=False)
    monkeypatch.delenv("VMCTL_TEMPLATE_PATH", raising=False)
    monkeypatch.delenv("VMCTL_BACKEND", raising=False)
    monkeypatch.setenv("KUBECONFIG", str(home / ".kube" / "config"))
    monkeypatch.delenv("KUBERNETES_SERVICE_HOST", raising=False)


@pytest.fixture
def shared_kubevirt() -> Path:
    """The shared upstream data folder; tests that compare with upstream skip visibly without it."""
    path = SHARED / "kubevirt"
    if not path.is_dir():
        pytest.skip(f"upstream data not found at {path} (set VMCTL_SHARED_DIR)")
    return path


#: ``vmctl(*args)`` → (exit code, stdout, stderr).
Vmctl = Callable[..., tuple[int, str, str]]


@pytest.fixture
def vmctl(capsys: pytest.CaptureFixture[str]) -> Vmctl:
    """Run ``vmctl ARGS`` through the real entry point (``vmctl.cli.main.main``) in this process; returns
    (exit code, stdout, stderr) of that run alone. Arguments may be ``str`` or ``Path``."""
    from vmctl.cli.main import main

    def run(*args: str | os.PathLike[str]) -> tuple[int, str, str]:
        capsys.readouterr()  # output printed before this run is not part of its result
        try:
            main([os.fspath(a) for a in args])
            code = 0
        except SystemExit as exc:  # sys.exit(None) is 0, sys.exit("text") is 1, as for a real process
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    return run
