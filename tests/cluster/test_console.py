"""``vmctl console`` on the cluster backend: the real CLI (a child process, so stdin and stdout are real pipes)
through the real API server's aggregation proxy to the virt-api stand-in's console websocket."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.cluster

DISCONNECTED = "You were disconnected from the console."


def run_console(
    apiserver: Any, namespace: str, name: str, *args: str, stdin: bytes = b"", context: str = "admin",
    timeout: float = 60,
) -> subprocess.CompletedProcess[bytes]:
    argv = [
        sys.executable, "-m", "vmctl", "console", name, "-n", namespace,
        "--kubeconfig", str(apiserver.kubeconfig), "--context", context, *args,
    ]
    env = {**os.environ, "VMCTL_CONSOLE_DRAIN": "1"}  # quiet after stdin ends; generous for loaded CI machines
    return subprocess.run(argv, input=stdin, capture_output=True, timeout=timeout, env=env)


def test_pipe_mode_round_trip(apiserver: Any, virt_api: Any, namespace: str) -> None:
    proc = run_console(apiserver, namespace, "web", stdin=b"uname -a\n")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == b"uname -a\n"  # the stand-in's serial port echoes
    assert proc.stderr.decode() == (
        "Successfully connected to web console. Press Ctrl+] or Ctrl+5 to exit console.\n"
    )
    attach = virt_api.requests[-1]
    assert attach.path == (
        f"/apis/subresources.kubevirt.io/v1/namespaces/{namespace}/virtualmachineinstances/web/console"
    )
    assert attach.user == "vmctl-admin"  # the client certificate's user, through the API server's authentication


def test_the_escape_key_ends_the_session(apiserver: Any, virt_api: Any, namespace: str) -> None:
    argv = [
        sys.executable, "-m", "vmctl", "console", "web", "-n", namespace,
        "--kubeconfig", str(apiserver.kubeconfig), "--context", "admin", "--escape", "^A",
    ]
    proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdin is not None and proc.stdout is not None and proc.stderr is not None
    try:
        proc.stdin.write(b"before\n")
        proc.stdin.flush()
        echoed = b""
        while not echoed.endswith(b"\n"):  # the echo is back before the escape key is typed (as a person would)
            chunk = proc.stdout.read1(64)
            assert chunk, proc.stderr.read()
            echoed += chunk
        proc.stdin.write(b"\x01after\n")
        proc.stdin.flush()
        rest = proc.stdout.read()
        assert proc.wait(timeout=30) == 0, proc.stderr.read()
    finally:
        proc.kill()
    assert echoed + rest == b"before\n"
    assert b"Press Ctrl+A to exit console." in proc.stderr.read()


def test_waits_while_the_vmi_is_not_running(apiserver: Any, virt_api: Any, namespace: str) -> None:
    virt_api.not_running["slow"] = 2  # virt-api's 400 twice, then the VMI runs
    started = time.monotonic()
    proc = run_console(apiserver, namespace, "slow", stdin=b"hi\n")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == b"hi\n" and time.monotonic() - started >= 2


def test_timeout_is_virtctls_line(apiserver: Any, virt_api: Any, namespace: str) -> None:
    virt_api.not_running["never"] = 1000
    proc = run_console(apiserver, namespace, "never", "--timeout", "0")
    assert (proc.returncode, proc.stdout) == (1, b"")
    assert proc.stderr.decode() == "error: Timeout trying to connect to the virtual machine instance\n"
    virt_api.not_running.pop("never")


def test_forbidden_is_one_line(apiserver: Any, virt_api: Any, namespace: str) -> None:
    proc = run_console(apiserver, namespace, "web", context="viewer")
    assert (proc.returncode, proc.stdout) == (1, b"")
    lines = proc.stderr.decode().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: forbidden (403): ")
    assert 'User "viewer" cannot get resource "virtualmachineinstances/console"' in lines[0]


def test_guest_going_away_is_virtctls_disconnect(
    apiserver: Any, virt_api: Any, namespace: str, tmp_path: Path
) -> None:
    import virt_api_standin

    def hang_up(rfile: Any, wfile: Any) -> None:  # the guest prints a line, then its console goes away
        virt_api_standin.write_frame(wfile, 0x2, b"login: ")
        time.sleep(0.3)

    virt_api.consoles["gone"] = hang_up
    argv = [
        sys.executable, "-m", "vmctl", "console", "gone", "-n", namespace,
        "--kubeconfig", str(apiserver.kubeconfig),
    ]
    with subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE) as proc:
        try:
            code = proc.wait(timeout=30)  # stdin stays open: only the server side can end it
            out, err = proc.stdout.read(), proc.stderr.read()  # type: ignore[union-attr]
        finally:
            proc.stdin.close()  # type: ignore[union-attr]
            virt_api.consoles.pop("gone")
    assert code == 1
    assert out == b"login: "
    assert DISCONNECTED in err.decode()


def test_idle_console_sends_keepalive_pings(apiserver: Any, virt_api: Any, namespace: str) -> None:
    """KubeVirt's console has no keepalive: vmctl pings, and an idle stream has no read deadline."""
    from vmctl.backends.cluster import streams
    from vmctl.backends.cluster.connection import connect

    conn = connect(apiserver.kubeconfig, "admin", namespace, environ={})
    before = virt_api.pings
    stream = streams.ConsoleStream(streams.console(conn, "web", timeout=2), keepalive=0.2)
    time.sleep(2.5)  # longer than the connect timeout: reads must not time out
    assert stream.send(b"still here\n") == 11
    assert stream.recv(100) == b"still here\n"
    stream.abort()
    conn.close()
    assert virt_api.pings - before >= 5
