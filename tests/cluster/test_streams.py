"""VNC, screenshots and port-forward on the cluster backend: websockets (``plain.kubevirt.io``) and a GET of
virt-api's subresources through the real API server's aggregation proxy to the stand-in."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from vmctl.backends.base import Ref
from vmctl.backends.cluster import open_backend

pytestmark = pytest.mark.cluster


@pytest.fixture
def running_vmi(apiserver: Any, namespace: str) -> str:
    """A VMI named ``web`` whose status says Running (the stand-in plays virt-handler for its streams)."""
    base = f"/apis/kubevirt.io/v1/namespaces/{namespace}/virtualmachineinstances"
    apiserver.admin.create(base, {
        "apiVersion": "kubevirt.io/v1", "kind": "VirtualMachineInstance", "metadata": {"name": "web"},
        "spec": {"domain": {"devices": {}}},
    })
    apiserver.admin.request(
        "PATCH", f"{base}/web", {"status": {"phase": "Running"}}, content_type="application/merge-patch+json"
    )
    return "web"


def echo_round_trip(sock: socket.socket, data: bytes) -> bytes:
    sock.settimeout(10)
    sock.sendall(data)
    got = b""
    while len(got) < len(data):
        chunk = sock.recv(4096)
        if not chunk:
            break
        got += chunk
    return got


def test_vnc_stream_and_port_forward_are_sockets(apiserver: Any, virt_api: Any, namespace: str) -> None:
    be = open_backend(kubeconfig=str(apiserver.kubeconfig), namespace=namespace)
    ref = Ref("VirtualMachineInstance", "web", namespace)
    with be.vnc_stream(ref) as sock:
        assert echo_round_trip(sock, b"RFB 003.008\n") == b"RFB 003.008\n"
    assert virt_api.requests[-1].path.endswith(f"/namespaces/{namespace}/virtualmachineinstances/web/vnc")
    dial = be.port_connector(ref, 22, "tcp")
    for _ in range(2):  # one websocket per connection
        with dial() as sock:
            assert echo_round_trip(sock, b"SSH-2.0-test\r\n" * 1000) == b"SSH-2.0-test\r\n" * 1000
        assert virt_api.requests[-1].path.endswith("/virtualmachineinstances/web/portforward/22/tcp")
    be.close()


def test_vnc_screenshot_through_the_cli(
    apiserver: Any, virt_api: Any, namespace: str, running_vmi: str, vmctl: Any, tmp_path: Path
) -> None:
    out = tmp_path / "screen.png"
    code, stdout, err = vmctl(
        "vnc", "screenshot", "web", "-f", out, "-n", namespace, "--kubeconfig", apiserver.kubeconfig
    )
    assert (code, stdout, err) == (0, "", "")
    assert out.read_bytes() == virt_api.screenshot_png
    assert virt_api.requests[-1].path.endswith("/virtualmachineinstances/web/vnc/screenshot?moveCursor=false")


def test_vnc_proxy_only_through_the_cli(apiserver: Any, virt_api: Any, namespace: str, running_vmi: str) -> None:
    argv = [sys.executable, "-m", "vmctl", "vnc", "web", "--proxy-only", "-n", namespace,
            "--kubeconfig", str(apiserver.kubeconfig)]
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=dict(os.environ))
    try:
        assert proc.stdout is not None
        port = json.loads(proc.stdout.readline())["port"]
        for _ in range(2):  # --proxy-only serves one viewer after another
            with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
                assert echo_round_trip(sock, b"RFB 003.008\n") == b"RFB 003.008\n"
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=10)


def test_port_forward_stdio_through_the_cli(apiserver: Any, virt_api: Any, namespace: str, running_vmi: str) -> None:
    argv = [sys.executable, "-m", "vmctl", "port-forward", "--stdio", "vmi/web", "22", "-n", namespace,
            "--kubeconfig", str(apiserver.kubeconfig)]
    proc = subprocess.run(argv, input=b"hello guest\n", capture_output=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == b"hello guest\n"
    assert virt_api.requests[-1].path.endswith("/virtualmachineinstances/web/portforward/22/tcp")
