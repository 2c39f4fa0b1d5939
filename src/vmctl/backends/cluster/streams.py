"""Websocket streams through the API server: KubeVirt's ``console``, ``vnc`` and ``portforward``.

The connection uses the kubeconfig's credentials exactly as the REST calls do (CA, client certificate or bearer
token, impersonation) with ``websocket-client`` — the websocket library the official ``kubernetes`` client
itself depends on. KubeVirt's console speaks raw bytes in binary frames under the subprotocol
``plain.kubevirt.io`` (virtctl.md §b), and so do ``vnc`` (RFB) and ``portforward/{port}/{protocol}``. A refused
upgrade becomes the same one-line error as a REST call. ``socket_bridge`` turns a websocket into a real socket
(one end of a socketpair, pumped by two threads), so vmctl's TCP relays use it like a guest's socket.
"""

from __future__ import annotations

import contextlib
from typing import Any

from vmctl.backends.cluster import errors
from vmctl.backends.cluster.connection import Connection
from vmctl.backends.cluster.lifecycle import subresource_path

PLAIN = "plain.kubevirt.io"


def open_websocket(
    conn: Connection,
    path: str,
    *,
    subprotocols: tuple[str, ...] = (PLAIN,),
    what: str = "",
    timeout: float = 30,
) -> Any:
    """A connected ``websocket.WebSocket`` to ``path`` on the API server (``wss://``), or a vmctl error."""
    import ssl

    import websocket

    cfg = conn.settings.configuration
    url = (
        "wss://" + conn.server.removeprefix("https://")
        if conn.server.startswith("https://")
        else ("ws://" + conn.server.removeprefix("http://"))
    )
    headers = [f"{k}: {v}" for k, v in conn.default_headers().items()]
    token = cfg.get_api_key_with_prefix("BearerToken") if cfg.api_key.get("BearerToken") else None
    if token:
        headers.append(f"Authorization: {token}")
    sslopt: dict[str, Any] = {"cert_reqs": ssl.CERT_REQUIRED if cfg.verify_ssl else ssl.CERT_NONE}
    if cfg.ssl_ca_cert:
        sslopt["ca_certs"] = cfg.ssl_ca_cert
    if cfg.cert_file:
        sslopt["certfile"] = cfg.cert_file
        sslopt["keyfile"] = cfg.key_file
    if getattr(cfg, "tls_server_name", None):
        sslopt["server_hostname"] = cfg.tls_server_name
    ctx = conn.context_for("GET", what)
    try:
        return websocket.create_connection(
            url + path, timeout=timeout, header=headers, subprotocols=list(subprotocols), sslopt=sslopt
        )
    except websocket.WebSocketBadStatusException as exc:
        raise errors.from_response(exc.status_code, exc.resp_body, ctx) from None
    except (websocket.WebSocketException, OSError) as exc:
        raise errors.from_transport(exc, ctx, timeout) from None


class ConsoleStream:
    """A console websocket as the blocking byte stream ``vmctl.streams.console.Session`` drives: ``recv``,
    ``send``, ``abort``. Reads block without a deadline (an idle console is not an error); a ping every
    ``keepalive`` seconds keeps load balancers from cutting an idle session (KubeVirt's console has no
    keepalive of its own, virtctl.md §b); pings from the server are answered by the client."""

    def __init__(self, ws: Any, *, keepalive: float | None = 30.0) -> None:
        import threading

        self._ws = ws
        self._pending = b""
        self._done = threading.Event()
        ws.settimeout(None)
        if keepalive:
            threading.Thread(target=self._ping, args=(keepalive,), name="console-ping", daemon=True).start()

    def _ping(self, every: float) -> None:
        while not self._done.wait(every):
            try:
                self._ws.ping()
            except Exception:  # the stream is gone: the reader sees it too
                return

    def recv(self, nbytes: int) -> bytes:
        """Up to ``nbytes`` bytes of guest output; ``b""`` once the server closed the stream."""
        import websocket

        while not self._pending:
            try:
                opcode, data = self._ws.recv_data()
            except (websocket.WebSocketException, OSError):
                return b""
            if opcode == websocket.ABNF.OPCODE_CLOSE:
                return b""
            if opcode not in (websocket.ABNF.OPCODE_BINARY, websocket.ABNF.OPCODE_TEXT, websocket.ABNF.OPCODE_CONT):
                continue
            self._pending = data if isinstance(data, bytes) else bytes(data)
        out, self._pending = self._pending[:nbytes], self._pending[nbytes:]
        return out

    def send(self, data: bytes) -> int:
        self._ws.send_binary(data)
        return len(data)

    def abort(self) -> None:
        self._done.set()
        self._ws.close(timeout=1)


def console(conn: Connection, name: str, namespace: str | None = None, *, timeout: float = 30) -> Any:
    """The serial console of the VMI ``name``: a websocket of raw bytes (``send_binary`` / ``recv``). A VMI that
    is not running is virt-api's 400 (``errors.ClusterError`` with ``status`` 400)."""
    ns = namespace or conn.namespace
    path = subresource_path(ns, "virtualmachineinstances", name, "console")
    return open_websocket(
        conn, path, what=f'VirtualMachineInstance "{name}" in namespace "{ns}" (console)', timeout=timeout
    )


def _vmi_stream(conn: Connection, name: str, namespace: str | None, sub: str, label: str,
                timeout: float, query: str = "") -> Any:
    ns = namespace or conn.namespace
    path = subresource_path(ns, "virtualmachineinstances", name, sub) + query
    return open_websocket(
        conn, path, what=f'VirtualMachineInstance "{name}" in namespace "{ns}" ({label})', timeout=timeout
    )


def vnc(conn: Connection, name: str, namespace: str | None = None, *, timeout: float = 30) -> Any:
    """The VMI's VNC server (RFB bytes in binary frames); a new connection takes over an existing viewer."""
    return _vmi_stream(conn, name, namespace, "vnc", "vnc", timeout)


def portforward(
    conn: Connection, name: str, port: int, protocol: str = "tcp", namespace: str | None = None, *,
    timeout: float = 30,
) -> Any:
    """A connection to ``port`` of the VMI's guest (``portforward/{port}/{protocol}``)."""
    return _vmi_stream(conn, name, namespace, f"portforward/{int(port)}/{protocol}", f"port {port}", timeout)


def screenshot(conn: Connection, name: str, namespace: str | None = None) -> bytes:
    """A PNG of the VMI's screen (``GET .../vnc/screenshot``)."""
    ns = namespace or conn.namespace
    path = subresource_path(ns, "virtualmachineinstances", name, "vnc/screenshot")
    return conn.get_bytes(
        path, query={"moveCursor": False},
        what=f'VirtualMachineInstance "{name}" in namespace "{ns}" (screenshot)', accept="image/png",
    )


def socket_bridge(ws: Any, *, linger: float = 1.0, linger_max: float = 5.0) -> Any:
    """A connected ``socket.socket`` whose peer is the websocket: bytes written to it go out as binary frames,
    frames received come out of it. The websocket closing shuts the socket's write side. A websocket has no
    half-close: when our side shuts its write side, what the guest still sends is passed on until it has been
    quiet ``linger`` s (at most ``linger_max`` s), then the websocket is closed."""
    import socket
    import threading
    import time

    import websocket

    ours, theirs = socket.socketpair()
    ws.settimeout(None)
    ended = threading.Event()
    last = [time.monotonic()]

    def downstream() -> None:  # websocket → socket
        try:
            while True:
                opcode, data = ws.recv_data()
                if opcode == websocket.ABNF.OPCODE_CLOSE:
                    break
                if opcode in (websocket.ABNF.OPCODE_BINARY, websocket.ABNF.OPCODE_TEXT) and data:
                    last[0] = time.monotonic()
                    theirs.sendall(data)
        except (websocket.WebSocketException, OSError):
            pass
        finally:
            ended.set()
            with contextlib.suppress(OSError):
                theirs.shutdown(socket.SHUT_WR)

    def upstream() -> None:  # socket → websocket
        try:
            while True:
                data = theirs.recv(65536)
                if not data:
                    break
                ws.send_binary(data)
            eof = time.monotonic()
            while not ended.wait(0.05) and time.monotonic() - eof < linger_max:
                if time.monotonic() - max(last[0], eof) >= linger:
                    break
        except (websocket.WebSocketException, OSError):
            pass
        finally:
            with contextlib.suppress(Exception):
                ws.close(timeout=1)
            ended.wait(2)
            theirs.close()

    threading.Thread(target=downstream, name="ws-down", daemon=True).start()
    threading.Thread(target=upstream, name="ws-up", daemon=True).start()
    return ours
