"""``vmctl vnc`` on a real guest: screenshot PNG, the proxy's RFB banner across reconnects, viewer launch."""

from __future__ import annotations

import importlib.util
import json
import os
import signal
import socket
import stat
import struct
import time
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.libvirt

_spec = importlib.util.spec_from_file_location("h8_console_helpers", Path(__file__).with_name("test_console_local.py"))
assert _spec is not None and _spec.loader is not None
helpers = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(helpers)
env = helpers.env  # the fixture: private state folder + imported test-guest volume


def check_png(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    length, kind = struct.unpack(">I4s", data[8:16])
    assert (length, kind) == (13, b"IHDR")
    width, height = struct.unpack(">II", data[16:24])
    assert width > 0 and height > 0
    return width, height


def test_screenshot_proxy_and_viewer(env: Any, tmp_path: Path) -> None:
    assert env.apply(helpers.guest_vm("vnc1", "#cloud-config\n")).returncode == 0
    shot = env.run("vnc", "screenshot", "vnc1", "-f", str(tmp_path / "screen.png"))
    assert shot.returncode == 0, shot.stderr.decode()
    assert check_png((tmp_path / "screen.png").read_bytes()) == (720, 400)
    to_stdout = env.run("vnc", "screenshot", "vnc1", "-f", "-")
    assert to_stdout.returncode == 0 and check_png(to_stdout.stdout)

    proxy = env.popen("vnc", "vnc1", "--proxy-only")
    try:
        assert proxy.stdout is not None
        line = proxy.stdout.readline()
        port = json.loads(line)["port"]
        for _ in range(2):  # a viewer may disconnect and come back: the proxy keeps serving
            with socket.create_connection(("127.0.0.1", port), timeout=10) as viewer:
                assert viewer.recv(12) == b"RFB 003.008\n"
        proxy.send_signal(signal.SIGINT)
        assert proxy.wait(timeout=20) == 0
    finally:
        if proxy.poll() is None:
            proxy.kill()

    # a "viewer" (fake remote-viewer on PATH) gets vnc://127.0.0.1:PORT and really reaches QEMU through the proxy
    bindir = tmp_path / "bin"
    bindir.mkdir()
    viewer = bindir / "remote-viewer"
    viewer.write_text(
        "#!/usr/bin/env python3\n"
        "import socket, sys\n"
        "host, port = sys.argv[1].removeprefix('vnc://').rsplit(':', 1)\n"
        "s = socket.create_connection((host, int(port)), timeout=10)\n"
        f"open({str(tmp_path / 'viewer.out')!r}, 'wb').write(sys.argv[1].encode() + b' ' + s.recv(12))\n"
    )
    viewer.chmod(viewer.stat().st_mode | stat.S_IXUSR)
    env.env["PATH"] = f"{bindir}{os.pathsep}{env.env['PATH']}"
    launched = env.run("vnc", "vnc1", timeout=60)
    assert launched.returncode == 0, launched.stderr.decode()
    out = (tmp_path / "viewer.out").read_bytes()
    assert out.startswith(b"vnc://127.0.0.1:") and out.endswith(b" RFB 003.008\n")


def test_vnc_waits_for_the_vmi_then_fails_with_timeout(env: Any) -> None:
    halted = helpers.guest_vm("vnc2", "#cloud-config\n")
    halted["spec"]["runStrategy"] = "Halted"
    assert env.apply(halted).returncode == 0
    started = time.monotonic()
    done = env.run("vnc", "screenshot", "vnc2", "-f", "-", "--timeout", "0")
    assert done.returncode == 1
    assert done.stderr.decode() == "error: Timeout trying to connect to the virtual machine instance\n"
    assert time.monotonic() - started < 30
