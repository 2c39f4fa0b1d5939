"""A console round trip with a real QEMU guest through the API server: ``vmctl console --backend cluster`` →
kube-apiserver (authentication, RBAC, aggregation proxy) → the virt-api stand-in → the guest's serial console
(a libvirt console stream, as virt-handler splices to virt-launcher's serial socket). The guest is the test guest
booted by vmctl's local backend in a ``vmctl-test-*`` namespace (the sweeper's prefix)."""

from __future__ import annotations

import contextlib
import functools
import importlib.util
import os
import select
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytestmark = [pytest.mark.cluster, pytest.mark.libvirt]

VMCTL = str(Path(sys.executable).with_name("vmctl"))


def _integration_fixtures() -> Any:
    """tests/integration/conftest.py as a plain module: its libvirt and test-guest fixtures, reused here."""
    path = Path(__file__).resolve().parent.parent / "integration" / "conftest.py"
    spec = importlib.util.spec_from_file_location("vmctl_integration_fixtures", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


_fx = _integration_fixtures()
libvirt_uri = _fx.libvirt_uri
libvirt_conn = _fx.libvirt_conn
test_guest = _fx.test_guest


@pytest.fixture
def guest(tmp_path: Path, libvirt_uri: str, libvirt_conn: Any, test_guest: Any) -> Iterator[Any]:
    """The test guest running under vmctl's local backend; yields its libvirt domain."""
    ns = f"vmctl-test-{os.getpid()}-cl"
    env = {**os.environ, "VMCTL_BACKEND": "local", "VMCTL_STATE_DIR": str(tmp_path / "state"),
           "VMCTL_LIBVIRT_URI": libvirt_uri, "XDG_CONFIG_HOME": str(tmp_path / "config")}
    run = functools.partial(subprocess.run, env=env, capture_output=True, timeout=180, check=False)
    done = run([VMCTL, "volume", "import", "root", "--from", str(test_guest.disk), "-n", ns])
    assert done.returncode == 0, done.stderr.decode()
    vm = """apiVersion: kubevirt.io/v1
kind: VirtualMachine
metadata: {name: web}
spec:
  runStrategy: Always
  template:
    spec:
      terminationGracePeriodSeconds: 0
      domain:
        memory: {guest: 256Mi}
        devices: {disks: [{name: root, disk: {bus: virtio}}]}
      volumes: [{name: root, persistentVolumeClaim: {claimName: root}}]
"""
    done = run([VMCTL, "apply", "-f", "-", "-n", ns], input=vm.encode())
    assert done.returncode == 0, done.stderr.decode()
    try:
        yield libvirt_conn.lookupByName(f"{ns}_web")
    finally:
        run([VMCTL, "delete", "vm", "web", "--wait", "--timeout", "60", "-n", ns])
        for dom in libvirt_conn.listAllDomains(0):  # whatever a failed run left behind
            if dom.name().startswith(f"{ns}_"):
                with contextlib.suppress(Exception):
                    dom.destroy()
                with contextlib.suppress(Exception):
                    dom.undefineFlags(4)  # VIR_DOMAIN_UNDEFINE_NVRAM


def test_console_round_trip_with_a_real_guest(
    apiserver: Any, virt_api: Any, namespace: str, guest: Any, libvirt_conn: Any
) -> None:
    import virt_api_standin

    from vmctl.backends.local.console import open_console

    def serial(rfile: Any, wfile: Any) -> None:  # plays virt-handler: splice to the guest's serial console
        stream = open_console(libvirt_conn, guest, force=True, name="web")
        virt_api_standin.bridge_frames(rfile, wfile, recv=stream.recv, send=stream.send, close=stream.abort)

    virt_api.consoles["web"] = serial
    argv = [VMCTL, "console", "web", "-n", namespace, "--kubeconfig", str(apiserver.kubeconfig)]
    proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        assert proc.stdin is not None and proc.stdout is not None
        seen = b""
        deadline = time.monotonic() + 240  # TCG boot on a busy 2-core machine
        next_try = 0.0
        while b"ABC42XYZ" not in seen:
            now = time.monotonic()
            if now > deadline:
                pytest.fail(f"no answer from the guest; output:\n{seen.decode(errors='replace')[-3000:]}")
            if now >= next_try:  # ask until the shell is up and answers
                proc.stdin.write(b"echo ABC$((40+2))XYZ\r")
                proc.stdin.flush()
                next_try = now + 5
            ready, _, _ = select.select([proc.stdout.fileno()], [], [], 1)
            if ready:
                chunk = os.read(proc.stdout.fileno(), 65536)
                if not chunk:
                    pytest.fail(f"console ended (exit {proc.wait()}): {proc.stderr.read()!r}")  # type: ignore[union-attr]
                seen += chunk
        proc.stdin.write(b"\x1d")  # the escape key ends the session
        proc.stdin.flush()
        assert proc.wait(timeout=30) == 0
        assert proc.stderr is not None
        assert proc.stderr.read().decode() == (
            "Successfully connected to web console. Press Ctrl+] or Ctrl+5 to exit console.\n"
        )
    finally:
        virt_api.consoles.pop("web", None)
        if proc.poll() is None:
            proc.kill()
