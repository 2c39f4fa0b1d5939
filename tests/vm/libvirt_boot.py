"""Boot a libvirt domain and talk to its serial console (shared by the integration tests and bench/boot.py).

The pattern that works here (docs/local-domain.md): register libvirt's default event loop *before* opening a
connection, define the domain, start it paused, open the console stream, then resume, so no early output is
lost. Console bytes are collected in a buffer that callers wait on for marker strings.
"""

from __future__ import annotations

import contextlib
import threading
import time
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

_loop_lock = threading.Lock()
_loop_started = False


def start_event_loop() -> None:
    """Register and run libvirt's default event loop in a daemon thread (once per process)."""
    global _loop_started
    import libvirt

    with _loop_lock:
        if _loop_started:
            return
        libvirt.virEventRegisterDefaultImpl()

        def run() -> None:
            while True:
                libvirt.virEventRunDefaultImpl()

        threading.Thread(target=run, name="libvirt-events", daemon=True).start()
        _loop_started = True


class Console:
    """A non-blocking console stream whose output accumulates in ``self.data``."""

    def __init__(self, conn: Any, dom: Any) -> None:
        import libvirt

        self._libvirt = libvirt
        self.data = bytearray()
        self._seq = 0
        self._cond = threading.Condition()
        self.closed = False
        self.stream = conn.newStream(libvirt.VIR_STREAM_NONBLOCK)
        dom.openConsole(None, self.stream, libvirt.VIR_DOMAIN_CONSOLE_FORCE)
        events = (libvirt.VIR_STREAM_EVENT_READABLE | libvirt.VIR_STREAM_EVENT_ERROR
                  | libvirt.VIR_STREAM_EVENT_HANGUP)
        self.stream.eventAddCallback(events, self._on_event, None)

    def _on_event(self, stream: Any, events: int, _opaque: Any) -> None:
        libvirt = self._libvirt
        if events & libvirt.VIR_STREAM_EVENT_READABLE:
            while True:
                try:
                    chunk = stream.recv(65536)
                except libvirt.libvirtError:
                    chunk = b""
                if chunk == -2:  # EAGAIN
                    break
                if not chunk:
                    self._close()
                    return
                with self._cond:
                    self.data += chunk
                    self._cond.notify_all()
        if events & (libvirt.VIR_STREAM_EVENT_ERROR | libvirt.VIR_STREAM_EVENT_HANGUP):
            self._close()

    def _close(self) -> None:
        with self._cond:
            if not self.closed:
                self.closed = True
                with contextlib.suppress(self._libvirt.libvirtError):
                    self.stream.eventRemoveCallback()
            self._cond.notify_all()

    def wait_for(self, marker: bytes | str, timeout: float, *, start: int = 0) -> int:
        """Wait until ``marker`` appears at or after offset ``start``; return the offset just past it."""
        needle = marker.encode() if isinstance(marker, str) else marker
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                pos = self.data.find(needle, start)
                if pos >= 0:
                    return pos + len(needle)
                left = deadline - time.monotonic()
                if left <= 0 or self.closed:
                    tail = bytes(self.data[-2000:]).decode("utf-8", "replace")
                    why = "console closed" if self.closed else f"timed out after {timeout:.0f} s"
                    raise TimeoutError(f"{needle!r} not seen on the console ({why}); last output:\n{tail}")
                self._cond.wait(min(left, 0.5))

    def send(self, text: str) -> None:
        data = text.encode()
        while data:
            sent = self.stream.send(data)
            if sent == -2:
                time.sleep(0.01)
                continue
            data = data[sent:]

    def run(self, command: str, timeout: float = 20) -> str:
        """Run a shell command on the console and return its output (without the echoed command line).

        The end marker is computed by the shell (``$((n+1))``), so the echoed input never matches it.
        """
        self._seq += 1
        n = 100000 + self._seq * 7
        end = f"VMCTL-END-{n + 1}"
        start = len(self.data)
        self.send(f"{command}; echo VMCTL-END-$(({n}+1))\r")
        echo = f"$(({n}+1))".encode()
        echoed = self.wait_for(echo, timeout, start=start)
        stop = self.wait_for(end, timeout, start=echoed)
        # the line may be echoed twice (by the tty before the shell starts, then by the shell): use the last
        segment = bytes(self.data[start:stop - len(end)])
        segment = segment[segment.rfind(echo) + len(echo):]
        text = segment.decode("utf-8", "replace").replace("\r", "")
        return text.split("\n", 1)[1] if "\n" in text else ""

    def text(self) -> str:
        return bytes(self.data).decode("utf-8", "replace")

    def close(self) -> None:
        self._close()
        with contextlib.suppress(self._libvirt.libvirtError):
            self.stream.abort()


def boot(conn: Any, xml: str) -> tuple[Any, Console]:
    """Define ``xml``, start it paused, attach the console, resume; returns (domain, console)."""
    import libvirt

    start_event_loop()
    dom = conn.defineXML(xml)
    dom.createWithFlags(libvirt.VIR_DOMAIN_START_PAUSED)
    console = Console(conn, dom)
    dom.resume()
    return dom, console


def remove(dom: Any) -> None:
    """Destroy (if running) and undefine a domain, NVRAM included; ignores a domain that is already gone."""
    import libvirt

    try:
        if dom.isActive():
            dom.destroy()
    except libvirt.libvirtError:
        pass
    with contextlib.suppress(libvirt.libvirtError):
        dom.undefineFlags(libvirt.VIR_DOMAIN_UNDEFINE_NVRAM)


def _pid_alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rpartition(")")[2].split()[0] != "Z"


def sweep(conn: Any, prefix: str) -> list[str]:
    """Remove leftover domains named ``<prefix><pid>-<n>`` whose creating process is gone.

    Domains of live processes (other test sessions running at the same time) and names without a pid are
    left alone, so concurrent sessions never destroy each other's guests.
    """
    import os

    removed = []
    for dom in conn.listAllDomains(0):
        name = dom.name()
        if not name.startswith(prefix):
            continue
        pid_text = name[len(prefix):].split("-", 1)[0]
        if not pid_text.isdigit():
            continue
        pid = int(pid_text)
        if pid != os.getpid() and _pid_alive(pid):
            continue
        remove(dom)
        removed.append(name)
    return removed


def console_log_path(dom: Any) -> Path | None:
    """The ``<serial><log file=...>`` of a domain, if any."""
    node = ET.fromstring(dom.XMLDesc(0)).find("./devices/serial/log")
    return Path(node.get("file", "")) if node is not None else None
