"""VNC viewers: find the one to launch for a local proxy (``vmctl vnc``), like virtctl does per OS."""

from __future__ import annotations

import glob
import os
import shutil
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from vmctl.errors import UsageError, VmctlError

REMOTE_VIEWER = "remote-viewer"
TIGER_VNC = "vncviewer"
MACOS_TIGER_VNC = "/Applications/TigerVNC.app/Contents/MacOS/vncviewer"
MACOS_TIGER_VNC_LEGACY = "/Applications/TigerVNC Viewer *.app/Contents/MacOS/TigerVNC Viewer"
MACOS_CHICKEN_VNC = "/Applications/Chicken.app/Contents/MacOS/Chicken"
MACOS_REAL_VNC = "/Applications/VNC Viewer.app/Contents/MacOS/vncviewer"
VNC_TYPES = ("tiger", "chicken", "real", "remote-viewer")
NOT_FOUND = "no VNC viewer found: install virt-viewer (remote-viewer) or tigervnc-viewer, or use --proxy-only"


@dataclass(frozen=True)
class Viewer:
    path: str
    args: tuple[str, ...]

    def argv(self) -> list[str]:
        return [self.path, *self.args]


def _tiger(host: str, port: int) -> tuple[str, ...]:
    return (f"{host}:{port}",)


def _chicken(host: str, port: int) -> tuple[str, ...]:
    return (f"{host}:{port}",)


def _real(host: str, port: int) -> tuple[str, ...]:
    return (f"{host}:{port}", "-WarnUnencrypted=0", "-Shared=0", "-ShareFiles=0")


def _remote_viewer(host: str, port: int) -> tuple[str, ...]:
    return (f"vnc://{host}:{port}",)


def _screen_sharing(host: str, port: int) -> tuple[str, ...]:
    return (f"vnc://{host}:{port}",)


ARGS: dict[str, Callable[[str, int], tuple[str, ...]]] = {
    "tiger": _tiger, "chicken": _chicken, "real": _real, "remote-viewer": _remote_viewer,
}
TYPE_BINARY = {"tiger": TIGER_VNC, "remote-viewer": REMOTE_VIEWER, "chicken": MACOS_CHICKEN_VNC, "real": MACOS_REAL_VNC}


def os_type() -> str:
    return {"linux": "linux", "darwin": "darwin", "win32": "windows"}.get(sys.platform, sys.platform)


def find_viewer(
    port: int, *, host: str = "127.0.0.1", vnc_type: str | None = None, vnc_path: str | None = None,
    os_name: str | None = None, path_env: str | None = None, exists: Callable[[str], bool] = os.path.exists,
) -> Viewer:
    """The viewer command for ``host:port`` (autodetected, or ``--vnc-type`` / ``--vnc-path``)."""
    osn = os_name or os_type()
    search = os.environ.get("PATH", "") if path_env is None else path_env

    def which(name: str) -> str | None:
        return shutil.which(name, path=search)

    if vnc_type is not None and vnc_type not in VNC_TYPES:
        raise UsageError(f"--vnc-type {vnc_type!r}: unsupported vnc-type (expected one of: {', '.join(VNC_TYPES)})")
    if vnc_path and not vnc_type:
        vnc_type = _guess_type(vnc_path)
    if vnc_type:
        if osn in ("linux", "windows") and vnc_type not in ("tiger", "remote-viewer"):
            raise UsageError(f"--vnc-type {vnc_type}: unsupported vnc-type for {osn}")
        if osn not in ("linux", "windows", "darwin"):
            raise VmctlError(f"vmctl does not support VNC viewers on {osn}; use --proxy-only")
        if vnc_path:
            if not exists(vnc_path):
                raise UsageError(f"--vnc-path: specified VNC path does not exist: {vnc_path}")
            binary = vnc_path
        else:
            wanted = TYPE_BINARY[vnc_type]
            found = which(wanted) if "/" not in wanted else (wanted if exists(wanted) else None)
            if found is None:
                raise VmctlError(f"could not find {wanted} in $PATH", hint=NOT_FOUND.split(": ", 1)[1])
            binary = found
        return Viewer(binary, ARGS[vnc_type](host, port))
    if osn in ("linux", "windows"):
        for name, kind in ((REMOTE_VIEWER, "remote-viewer"), (TIGER_VNC, "tiger")):
            found = which(name)
            if found:
                return Viewer(found, ARGS[kind](host, port))
        raise VmctlError(NOT_FOUND)
    if osn == "darwin":
        if exists(MACOS_TIGER_VNC):
            return Viewer(MACOS_TIGER_VNC, _tiger(host, port))
        legacy = sorted(glob.glob(MACOS_TIGER_VNC_LEGACY))
        if legacy:
            return Viewer(legacy[-1], _tiger(host, port))
        for path, kind in ((MACOS_CHICKEN_VNC, "chicken"), (MACOS_REAL_VNC, "real")):
            if exists(path):
                return Viewer(path, ARGS[kind](host, port))
        found = which(REMOTE_VIEWER)
        if found:
            return Viewer(found, _remote_viewer(host, port))
        opener = which("open")
        if opener:
            return Viewer(opener, _screen_sharing(host, port))
        raise VmctlError("no VNC viewer found: install TigerVNC or use --proxy-only")
    raise VmctlError(f"vmctl does not support VNC viewers on {osn}; use --proxy-only")


def _guess_type(path: str) -> str:
    """``--vnc-path`` without ``--vnc-type``: pick the argument style from the binary's name."""
    name = Path(path).name.lower()
    if "remote-viewer" in name:
        return "remote-viewer"
    if "chicken" in name:
        return "chicken"
    if "vnc viewer.app" in path.lower():
        return "real"
    return "tiger"
