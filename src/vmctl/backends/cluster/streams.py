"""Websocket streams through the API server: KubeVirt's ``console`` (and later ``vnc``, ``portforward``).

The connection uses the kubeconfig's credentials exactly as the REST calls do (CA, client certificate or bearer
token, impersonation) with ``websocket-client`` — the websocket library the official ``kubernetes`` client
itself depends on. KubeVirt's console speaks raw bytes in binary frames under the subprotocol
``plain.kubevirt.io`` (virtctl.md §b). A refused upgrade becomes the same one-line error as a REST call.
"""

from __future__ import annotations

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
    """A console websocket as the blocking byte stream vmctl's console session drives: ``recv``, ``send``,
    ``abort`` (the ``Stream`` protocol of ``backends/local/console.py``). Pings are answered by the client."""

    def __init__(self, ws: Any) -> None:
        self._ws = ws
        self._pending = b""

    def recv(self, nbytes: int) -> bytes:
        """Up to ``nbytes`` bytes of guest output; ``b""`` once the server closed the stream."""
        import websocket

        while not self._pending:
            try:
                opcode, data = self._ws.recv_data()
            except (websocket.WebSocketConnectionClosedException, OSError):
                return b""
            if opcode == websocket.ABNF.OPCODE_CLOSE:
                return b""
            self._pending = data if isinstance(data, bytes) else bytes(data)
        out, self._pending = self._pending[:nbytes], self._pending[nbytes:]
        return out

    def send(self, data: bytes) -> int:
        self._ws.send_binary(data)
        return len(data)

    def abort(self) -> None:
        self._ws.close()


def console(conn: Connection, name: str, namespace: str | None = None, *, timeout: float = 30) -> Any:
    """The serial console of the VMI ``name``: a websocket of raw bytes (``send_binary`` / ``recv``)."""
    ns = namespace or conn.namespace
    path = subresource_path(ns, "virtualmachineinstances", name, "console")
    return open_websocket(
        conn, path, what=f'VirtualMachineInstance "{name}" in namespace "{ns}" (console)', timeout=timeout
    )
