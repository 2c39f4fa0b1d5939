"""A recording stand-in for virt-api's lifecycle endpoints, reached through the API server's aggregation
layer.

Test code only, never shipped. It is registered as the real ``APIService`` ``v1.subresources.kubevirt.io``
(a ``Service`` of type ExternalName → localhost), so vmctl's requests take the same path as on a cluster:
kube-apiserver authenticates and authorizes the caller, then proxies to us with ``X-Remote-User``.

What it answers (virtctl.md §d): ``GET /apis/subresources.kubevirt.io/v1`` → an ``APIResourceList``; ``PUT
.../virtualmachines/NAME/{start,stop,restart}`` → 202 with no body; ``PUT
.../virtualmachineinstances/NAME/{pause,unpause,softreboot,reset}`` → 200 with no body. Names listed in
``refuse`` get a 409 ``Status`` with the given message, as virt-api answers state conflicts. Every request is
recorded (method, path, body, remote user). It does not run guests or change any object: that is the job of
the controller stand-in a later change adds.
"""

from __future__ import annotations

import json
import ssl
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

GROUP = "subresources.kubevirt.io"
VM_VERBS = ("start", "stop", "restart", "migrate")
VMI_VERBS = ("pause", "unpause", "softreboot", "reset", "console", "vnc")


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
                self._reply(
                    404,
                    {
                        "kind": "Status",
                        "apiVersion": "v1",
                        "status": "Failure",
                        "code": 404,
                        "reason": "NotFound",
                        "message": "not found",
                    },
                )

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
                    self._reply(
                        409,
                        {
                            "kind": "Status",
                            "apiVersion": "v1",
                            "status": "Failure",
                            "code": 409,
                            "reason": "Conflict",
                            "message": standin.refuse[name],
                        },
                    )
                    return
                if body:
                    try:
                        json.loads(body)
                    except ValueError:
                        self._reply(
                            400,
                            {
                                "kind": "Status",
                                "apiVersion": "v1",
                                "status": "Failure",
                                "code": 400,
                                "reason": "BadRequest",
                                "message": "Can not unmarshal Request body to struct",
                            },
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
