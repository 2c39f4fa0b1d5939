"""Serial console sessions on a local libvirt domain (``vmctl console``): the libvirt side only.

The console is a *blocking* libvirt stream read by ``vmctl.streams.console.Session`` in its own thread (this
needs no libvirt event loop). The stream is opened first: a refused attach (another session holds the console)
prints nothing on stdout; only an attached session prints the banner, replays the serial log tail and goes live.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

from vmctl.errors import VmctlError
from vmctl.streams.console import Session, banner
from vmctl.streams.escape import DEFAULT_ESCAPE


def open_console(conn: Any, domain: Any, *, force: bool, name: str) -> Any:
    """Open a blocking console stream; a busy console becomes a clear error suggesting ``--force``."""
    import libvirt

    # libvirt's default handler prints every error on stderr (e.g. "stream is closed" when we abort the stream
    # at the end of a session); errors still arrive as exceptions
    libvirt.registerErrorHandler(lambda _ctx, _err: None, None)
    stream = conn.newStream(0)
    flags = libvirt.VIR_DOMAIN_CONSOLE_FORCE if force else 0
    try:
        domain.openConsole(None, stream, flags)
    except libvirt.libvirtError as exc:
        with contextlib.suppress(libvirt.libvirtError):
            stream.abort()
        text = str(exc)
        if "Active console session exists" in text:
            raise VmctlError(
                f"another console session is attached to {name}",
                hint=f"take it over with: vmctl console {name} --force",
            ) from None
        raise VmctlError(f"cannot open the console of {name}: {text}") from None
    return stream


def run_session(
    conn: Any,
    domain: Any,
    *,
    force: bool,
    escape: bytes = DEFAULT_ESCAPE,
    replay_log: Path | None = None,
    on_attached: Callable[[], None] | None = None,
    name: str | None = None,
) -> int:
    """Attach the terminal to the domain's serial console; returns the exit code (0 or 1)."""
    label = name or domain.name()
    # attach first: when the console is refused, nothing (not even the log) reaches stdout
    stream = open_console(conn, domain, force=force, name=label)
    session = Session(stream, escape=escape)
    return session.run(banner_text=banner(label, escape), on_attached=on_attached, replay_log=replay_log)
