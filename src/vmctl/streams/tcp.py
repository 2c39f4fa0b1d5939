"""TCP plumbing shared by every backend: port arguments, a local proxy, relaying, a stdio bridge."""

from __future__ import annotations

import contextlib
import selectors
import socket
import sys
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from vmctl.errors import UsageError, VmctlError

Forward = tuple[int, int, str]  # (host port, guest port, protocol)


def free_port(address: str = "127.0.0.1", kind: int = socket.SOCK_STREAM) -> int:
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    with socket.socket(family, kind) as sock:
        sock.bind((address, 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True)
class PortSpec:
    """One ``[tcp/]LOCAL[:REMOTE]`` argument."""

    local: int
    remote: int
    protocol: str = "tcp"


def parse_port_spec(text: str) -> PortSpec:
    """virtctl's ``[protocol/]localPort[:targetPort]`` (target defaults to the local port)."""
    proto, _, rest = text.rpartition("/")
    proto = (proto or "tcp").lower()
    if proto not in ("tcp", "udp"):
        raise UsageError(f"port {text!r}: protocol must be tcp or udp")
    local_text, _, remote_text = rest.partition(":")
    try:
        local = int(local_text)
        remote = int(remote_text) if remote_text else local
    except ValueError:
        raise UsageError(f"port {text!r}: expected [tcp/]LOCAL[:REMOTE] with port numbers") from None
    if not 0 <= local < 65536 or not 0 < remote < 65536:
        raise UsageError(f"port {text!r}: ports must be between 1 and 65535 (LOCAL may be 0 for any free port)")
    return PortSpec(local, remote, proto)


def host_port_for(forwards: Iterable[Forward], guest: int, proto: str, *, vmi: str) -> int:
    available = list(forwards)
    for host, target, p in available:
        if target == guest and p == proto:
            return host
    have = ", ".join(f"{p}/{t}" for _h, t, p in available) or "none"
    raise VmctlError(
        f"VMI {vmi} has no host forward for guest port {proto}/{guest} (forwarded: {have})",
        hint="declare the port in spec.template.spec.domain.devices.interfaces[].ports and restart the VM",
    )


# --- relaying -----------------------------------------------------------------------------------------


def relay(a: Any, b: Any, *, chunk: int = 65536, stop: threading.Event | None = None) -> None:
    """Copy bytes both ways between two sockets until either side closes (half-closes are passed on)."""
    sel = selectors.DefaultSelector()
    sel.register(a, selectors.EVENT_READ, b)
    sel.register(b, selectors.EVENT_READ, a)
    open_reads = 2
    try:
        while open_reads and not (stop is not None and stop.is_set()):
            for key, _ in sel.select(timeout=0.5):
                src, dst = key.fileobj, key.data
                try:
                    data = src.recv(chunk)  # type: ignore[union-attr]
                except (ConnectionResetError, OSError):
                    return
                if not data:
                    sel.unregister(src)
                    open_reads -= 1
                    with contextlib.suppress(OSError):
                        dst.shutdown(socket.SHUT_WR)
                    continue
                try:
                    dst.sendall(data)
                except OSError:
                    return
    finally:
        sel.close()


class TcpProxy:
    """Listen on ``address:port`` and relay every connection to what ``connect()`` returns."""

    def __init__(self, address: str, port: int, connect: Callable[[], socket.socket]) -> None:
        family = socket.AF_INET6 if ":" in address else socket.AF_INET
        self.listener = socket.socket(family, socket.SOCK_STREAM)
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            self.listener.bind((address, port))
        except OSError as exc:
            self.listener.close()
            raise VmctlError(f"cannot listen on {address}:{port}: {exc.strerror}") from None
        self.listener.listen(16)
        self.address = address
        self.port = int(self.listener.getsockname()[1])
        self.connect = connect
        self.stop = threading.Event()

    def serve_forever(
        self, *, on_error: Callable[[str], None] | None = None, max_clients: int | None = None,
        until: Callable[[], bool] | None = None,
    ) -> None:
        """Accept clients until ``close()``, ``until()`` is true or ``max_clients`` were served.

        ``connect()`` runs in the calling thread (backends may not be thread-safe); each accepted client is then
        relayed in its own thread.
        """
        served = 0
        self.listener.settimeout(0.25)
        threads: list[threading.Thread] = []
        while not self.stop.is_set() and (max_clients is None or served < max_clients):
            if until is not None and until():
                break
            try:
                client, _peer = self.listener.accept()
            except TimeoutError:
                continue
            except OSError:
                break
            served += 1
            client.setblocking(True)
            try:
                upstream = self.connect()
            except (OSError, VmctlError) as exc:
                if on_error:
                    on_error(f"cannot reach the VM: {exc}")
                client.close()
                continue
            thread = threading.Thread(target=self._relay, args=(client, upstream), daemon=True)
            thread.start()
            threads.append(thread)
        if max_clients is not None and served >= max_clients and not self.stop.is_set():
            for thread in threads:  # served them all: let the last connections finish
                thread.join()
        self.stop.set()
        for thread in threads:
            thread.join(timeout=2)

    def _relay(self, client: socket.socket, upstream: socket.socket) -> None:
        try:
            relay(client, upstream, stop=self.stop)
        finally:
            client.close()
            upstream.close()

    def close(self) -> None:
        self.stop.set()
        with contextlib.suppress(OSError):
            self.listener.close()


def connect_tcp(port: int, host: str = "127.0.0.1", timeout: float = 10) -> socket.socket:
    sock = socket.create_connection((host, port), timeout=timeout)
    sock.settimeout(None)
    return sock


def stdio_bridge(sock: socket.socket) -> None:
    """Relay stdin/stdout to ``sock`` (``--stdio``, e.g. as an ssh ProxyCommand)."""
    import os

    stdin_fd, stdout_fd = sys.stdin.fileno(), sys.stdout.fileno()
    sel = selectors.DefaultSelector()
    sel.register(stdin_fd, selectors.EVENT_READ, "in")
    sel.register(sock, selectors.EVENT_READ, "sock")
    try:
        while True:
            for key, _ in sel.select():
                if key.data == "in":
                    data = os.read(stdin_fd, 65536)
                    if not data:
                        sel.unregister(stdin_fd)
                        with contextlib.suppress(OSError):
                            sock.shutdown(socket.SHUT_WR)
                        continue
                    sock.sendall(data)
                else:
                    data = sock.recv(65536)
                    if not data:
                        return
                    view = memoryview(data)
                    while view:
                        view = view[os.write(stdout_fd, view):]
    finally:
        sel.close()
