"""A recording stand-in for virt-api, reached through the API server's aggregation layer.

Test code only, never shipped. It is registered as the real ``APIService`` ``v1.subresources.kubevirt.io``
(a ``Service`` of type ExternalName → localhost), so vmctl's requests take the same path as on a cluster:
kube-apiserver authenticates and authorizes the caller, then proxies to us with ``X-Remote-User``.

What it answers (virtctl.md §b, §d):
- ``GET /apis/subresources.kubevirt.io/v1`` → an ``APIResourceList``;
- ``PUT .../virtualmachines/NAME/{start,stop,restart}`` → 202 with no body;
- ``PUT .../virtualmachineinstances/NAME/{pause,unpause,softreboot,reset}`` → 200 with no body;
- a websocket upgrade of ``.../virtualmachineinstances/NAME/console`` with subprotocol ``plain.kubevirt.io``
  → binary frames echoed back (a loopback serial port), or, for a name in ``consoles``, bridged to that console
  (``bridge_frames`` carries the websocket side: a real guest's serial console in the libvirt tests);
- names in ``not_running`` get virt-api's 400 ``VMI is not running`` for their console that many times first;
- the ``vnc`` and ``portforward/{port}/{protocol}`` websockets (``plain.kubevirt.io``) echo binary frames too,
  and ``GET .../vnc/screenshot`` answers ``screenshot_png`` as ``image/png``.

Names listed in ``refuse`` get a 409 ``Status`` with the given message, as virt-api answers state conflicts.
Every request is recorded (method, path, body, remote user). It does not run guests or change any object.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import ssl
import struct
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

GROUP = "subresources.kubevirt.io"
VM_VERBS = ("start", "stop", "restart", "migrate")
VMI_VERBS = ("pause", "unpause", "softreboot", "reset", "console", "vnc")


WS_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"  # RFC 6455


def read_frame(rfile: Any) -> tuple[int, bytes] | None:
    """One client frame (RFC 6455: always masked) as (opcode, payload), or None at end of stream."""
    head = rfile.read(2)
    if len(head) < 2:
        return None
    opcode, length = head[0] & 0x0F, head[1] & 0x7F
    if length == 126:
        length = struct.unpack("!H", rfile.read(2))[0]
    elif length == 127:
        length = struct.unpack("!Q", rfile.read(8))[0]
    mask = rfile.read(4) if head[1] & 0x80 else b"\0\0\0\0"
    data = rfile.read(length)
    return opcode, bytes(b ^ mask[i % 4] for i, b in enumerate(data))


def write_frame(wfile: Any, opcode: int, payload: bytes) -> None:
    """One unmasked server frame with FIN set."""
    n = len(payload)
    head = (
        bytes([0x80 | opcode, n])
        if n < 126
        else (
            bytes([0x80 | opcode, 126]) + struct.pack("!H", n)
            if n < 65536
            else bytes([0x80 | opcode, 127]) + struct.pack("!Q", n)
        )
    )
    wfile.write(head + payload)
    wfile.flush()


def status(code: int, reason: str, message: str) -> dict[str, Any]:
    """A failure ``Status`` as virt-api answers it."""
    return {"kind": "Status", "apiVersion": "v1", "status": "Failure", "code": code, "reason": reason,
            "message": message}  # fmt: skip


@dataclass
class Recorded:
    method: str
    path: str
    body: bytes
    user: str
    content_type: str


@dataclass
class VirtApiStandIn:
    cert: Path
    key: Path
    requests: list[Recorded] = field(default_factory=list)
    refuse: dict[str, str] = field(default_factory=dict)  # object name → 409 message
    not_running: dict[str, int] = field(default_factory=dict)  # VMI name → console attaches refused with 400
    #: VMI name → ``serve(rfile, wfile)`` run after the upgrade instead of the echo (e.g. ``bridge_frames``)
    consoles: dict[str, Any] = field(default_factory=dict)
    pings: int = 0  # websocket pings received on echoed streams
    screenshot_png: bytes = b"\x89PNG\r\n\x1a\n(stand-in)"
    port: int = 0
    _server: ThreadingHTTPServer | None = None

    __test__ = False

    def start(self) -> VirtApiStandIn:
        standin = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:  # keep test output clean
                pass

            def _reply(self, code: int, obj: Any = None) -> None:
                data = json.dumps(obj).encode() if obj is not None else b""
                self.send_response(code)
                if data:
                    self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:
                if self.headers.get("Upgrade", "").lower() == "websocket":
                    self._websocket()
                    return
                if self.path.split("?")[0].endswith("/vnc/screenshot"):
                    standin.requests.append(
                        Recorded("GET", self.path, b"", self.headers.get("X-Remote-User", ""), "")
                    )
                    self.send_response(200)
                    self.send_header("Content-Type", "image/png")
                    self.send_header("Content-Length", str(len(standin.screenshot_png)))
                    self.end_headers()
                    self.wfile.write(standin.screenshot_png)
                    return
                if self.path.split("?")[0] in (f"/apis/{GROUP}/v1", f"/apis/{GROUP}/v1/"):
                    resources = [
                        {
                            "name": f"virtualmachines/{v}",
                            "namespaced": True,
                            "kind": "VirtualMachine",
                            "verbs": ["update"],
                        }
                        for v in VM_VERBS
                    ]
                    resources += [
                        {
                            "name": f"virtualmachineinstances/{v}",
                            "namespaced": True,
                            "kind": "VirtualMachineInstance",
                            "verbs": ["update" if v not in ("console", "vnc") else "get"],
                        }
                        for v in VMI_VERBS
                    ]
                    self._reply(
                        200,
                        {
                            "kind": "APIResourceList",
                            "apiVersion": "v1",
                            "groupVersion": f"{GROUP}/v1",
                            "resources": resources,
                        },
                    )
                    return
                if self.path.split("?")[0] in (f"/apis/{GROUP}", f"/apis/{GROUP}/"):
                    gv = {"groupVersion": f"{GROUP}/v1", "version": "v1"}
                    self._reply(
                        200,
                        {
                            "kind": "APIGroup",
                            "apiVersion": "v1",
                            "name": GROUP,
                            "versions": [gv],
                            "preferredVersion": gv,
                        },
                    )
                    return
                self._reply(404, status(404, "NotFound", "not found"))

            def _websocket(self) -> None:
                """``.../virtualmachineinstances/NAME/console``: accept ``plain.kubevirt.io`` and echo bytes back."""
                path = self.path.split("?")[0]
                standin.requests.append(Recorded("GET", path, b"", self.headers.get("X-Remote-User", ""), ""))
                offered = [p.strip() for p in self.headers.get("Sec-WebSocket-Protocol", "").split(",")]
                parts = path.strip("/").split("/")  # apis GROUP v1 namespaces NS virtualmachineinstances NAME SUB...
                sub = "/".join(parts[7:])
                known = sub in ("console", "vnc") or (sub.startswith("portforward/") and len(parts) in (9, 10))
                if len(parts) < 8 or not known or "plain.kubevirt.io" not in offered:
                    self._reply(400, status(400, "BadRequest", "unsupported stream"))
                    return
                name = parts[6]
                if standin.not_running.get(name, 0) > 0:
                    standin.not_running[name] -= 1
                    self._reply(400, status(400, "BadRequest", "VMI is not running"))
                    return
                key = self.headers.get("Sec-WebSocket-Key", "")
                accept = base64.b64encode(hashlib.sha1((key + WS_GUID).encode()).digest()).decode()
                self.send_response(101)
                self.send_header("Upgrade", "websocket")
                self.send_header("Connection", "Upgrade")
                self.send_header("Sec-WebSocket-Accept", accept)
                self.send_header("Sec-WebSocket-Protocol", "plain.kubevirt.io")
                self.end_headers()
                self.wfile.flush()
                self.close_connection = True
                if sub == "console" and name in standin.consoles:
                    standin.consoles[name](self.rfile, self.wfile)
                    return
                while True:
                    frame = read_frame(self.rfile)
                    if frame is None or frame[0] == 0x8:  # gone, or a close frame
                        write_frame(self.wfile, 0x8, b"")
                        return
                    opcode, payload = frame
                    if opcode == 0x9:  # ping → pong
                        standin.pings += 1
                        write_frame(self.wfile, 0xA, payload)
                    elif opcode in (0x1, 0x2):
                        write_frame(self.wfile, 0x2, payload)  # the guest's serial port echoes

            def do_PUT(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                path = self.path.split("?")[0]
                standin.requests.append(
                    Recorded(
                        "PUT",
                        path,
                        body,
                        self.headers.get("X-Remote-User", ""),
                        self.headers.get("Content-Type", ""),
                    )
                )
                parts = path.strip("/").split("/")
                # apis / GROUP / v1 / namespaces / NS / PLURAL / NAME / VERB
                if len(parts) != 8 or parts[3] != "namespaces":
                    self._reply(404)
                    return
                plural, name, verb = parts[5], parts[6], parts[7]
                if name in standin.refuse:
                    self._reply(409, status(409, "Conflict", standin.refuse[name]))
                    return
                if body:
                    try:
                        json.loads(body)
                    except ValueError:
                        self._reply(
                            400, status(400, "BadRequest", "Can not unmarshal Request body to struct")
                        )
                        return
                if plural == "virtualmachines" and verb in VM_VERBS:
                    self._reply(202)
                elif plural == "virtualmachineinstances" and verb in VMI_VERBS:
                    self._reply(200)
                else:
                    self._reply(404)

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(str(self.cert), str(self.key))
        server.socket = ctx.wrap_socket(server.socket, server_side=True)
        self.port = int(server.server_address[1])
        self._server = server
        threading.Thread(target=server.serve_forever, name="virt-api-standin", daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None


def bridge_frames(rfile: Any, wfile: Any, *, recv: Any, send: Any, close: Any) -> None:
    """Carry a console websocket to a byte stream: frames from the client → ``send(bytes)``, ``recv(n)``
    (``b""`` at the end) → binary frames; either side ending ends both (virt-handler's splice)."""
    lock = threading.Lock()
    done = threading.Event()

    def out() -> None:
        try:
            while not done.is_set():
                data = recv(4096)
                if not data:
                    break
                with lock:
                    write_frame(wfile, 0x2, data)
        except Exception:  # the stream broke
            pass
        finally:
            done.set()
            with lock, contextlib.suppress(OSError, ValueError):
                write_frame(wfile, 0x8, b"")

    reader = threading.Thread(target=out, daemon=True)
    reader.start()
    try:
        while not done.is_set():
            frame = read_frame(rfile)
            if frame is None or frame[0] == 0x8:
                break
            opcode, payload = frame
            if opcode == 0x9:
                with lock:
                    write_frame(wfile, 0xA, payload)
            elif opcode in (0x1, 0x2) and payload:
                send(payload)
    except OSError:
        pass
    finally:
        done.set()
        with contextlib.suppress(Exception):
            close()
        reader.join(timeout=2)
