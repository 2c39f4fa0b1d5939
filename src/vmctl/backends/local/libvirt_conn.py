"""The libvirt connection: the module (imported on first use), one shared connection per URI and process,
and the event loop thread that delivers guest lifecycle events."""

from __future__ import annotations

import contextlib
import threading
from typing import Any

from vmctl.errors import VmctlError

LIBVIRTD_DOWN = "libvirtd is not running: start it with 'libvirtd -d' (or 'systemctl start libvirtd')"

_events_lock = threading.Lock()
_events_started = False
_connections: dict[str, Any] = {}


def libvirt_module() -> Any:
    """``import libvirt``, with a clear error when libvirt-python is missing."""
    try:
        import libvirt
    except ImportError:
        raise VmctlError("the local backend needs libvirt-python: pip install 'vmctl[local]'") from None
    # libvirt prints every error to stderr by default; vmctl reports the ones that matter itself. Set every
    # time: other modules (host detection) put the default handler back.
    libvirt.registerErrorHandler(_ignore_error, None)
    return libvirt


def _ignore_error(_ctx: Any, _err: Any) -> None:
    return None


def start_event_loop() -> None:
    """Register libvirt's default event loop and run it in a daemon thread (once; before opening connections)."""
    global _events_started
    libvirt = libvirt_module()
    with _events_lock:
        if _events_started:
            return
        libvirt.virEventRegisterDefaultImpl()

        def run() -> None:
            while True:
                libvirt.virEventRunDefaultImpl()

        threading.Thread(target=run, name="libvirt-events", daemon=True).start()
        _events_started = True


def open_connection(uri: str) -> Any:
    """Open libvirt (one shared connection per URI and process), turning "daemon not running" into one line
    that says how to start it."""
    libvirt = libvirt_module()
    conn = _connections.get(uri)
    if conn is not None:
        with contextlib.suppress(libvirt.libvirtError):
            if conn.isAlive():
                return conn
    try:
        conn = libvirt.open(uri)
        _connections[uri] = conn
        return conn
    except libvirt.libvirtError as exc:
        text = str(exc)
        if "Failed to connect socket" in text or "No such file or directory" in text or "Connection refused" in text:
            raise VmctlError(LIBVIRTD_DOWN) from None
        raise VmctlError(f"cannot connect to libvirt at {uri}: {text}") from None
