"""Shared test fixtures: paths to the repository, the shared upstream data, and an isolated vmctl environment."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
#: Upstream KubeVirt data (OpenAPI schema, common-instancetypes bundles) lives beside the clone in CI.
SHARED = Path(os.environ.get("VMCTL_SHARED_DIR", REPO.parent / "shared"))


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep the user's real ~/.config/vmctl and catalog paths out of every test."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    monkeypatch.delenv("VMCTL_CATALOG_PATH", raising=False)
    monkeypatch.delenv("VMCTL_TEMPLATE_PATH", raising=False)
    monkeypatch.delenv("VMCTL_BACKEND", raising=False)


@pytest.fixture
def shared_kubevirt() -> Path:
    """The shared upstream data folder; tests that compare with upstream skip visibly without it."""
    path = SHARED / "kubevirt"
    if not path.is_dir():
        pytest.skip(f"upstream data not found at {path} (set VMCTL_SHARED_DIR)")
    return path
