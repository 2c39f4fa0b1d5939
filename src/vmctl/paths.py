"""Where vmctl finds its bundled data and the user's configuration and state."""

from __future__ import annotations

import os
from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def bundled(name: str) -> Path:
    """Bundled data folder (``instancetypes`` or ``templates``), from a wheel or a source checkout."""
    installed = _PACKAGE / "_data" / name
    if installed.is_dir():
        return installed
    return _PACKAGE.parent.parent / name  # src/vmctl -> repository root


def config_home() -> Path:
    return Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config") / "vmctl"


def default_state_dir() -> Path:
    """``VMCTL_STATE_DIR``, else ``/var/lib/vmctl`` for root, else ``$XDG_DATA_HOME/vmctl``."""
    if os.environ.get("VMCTL_STATE_DIR"):
        return Path(os.environ["VMCTL_STATE_DIR"])
    if os.geteuid() == 0:
        return Path("/var/lib/vmctl")
    return Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share") / "vmctl"
