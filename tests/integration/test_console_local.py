"""``vmctl console`` on real guests (libvirtd + QEMU): boot output, cloud-init data, a command round trip,
``--force`` take-over and the disconnect message. VMs are started with ``vmctl apply`` (the local backend)."""

from __future__ import annotations

import contextlib
import os
import select
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.libvirt

VMCTL = str(Path(sys.executable).with_name("vmctl"))


class Env:
    """A private state folder and namespace; VMs are deleted (and swept from libvirt) at the end."""

    def __init__(self, tmp: Path, uri: str) -> None:
        self.state = tmp / "state"
        self.namespace = f"vmctl-test-{os.getpid()}"
        self.vms: list[str] = []
        self.env = {**os.environ, "VMCTL_BACKEND": "local", "VMCTL_STATE_DIR": str(self.state),
                    "VMCTL_LIBVIRT_URI": uri, "XDG_CONFIG_HOME": str(tmp / "config")}

    def run(self, *args: str, input: bytes | None = None, timeout: float = 120) -> subprocess.CompletedProcess[bytes]:
        return subprocess.run([VMCTL, *args, "-n", self.namespace], env=self.env, input=input, capture_output=True,
                              timeout=timeout, check=False)

    def popen(self, *args: str) -> subprocess.Popen[bytes]:
        return subprocess.Popen([VMCTL, *args, "-n", self.namespace], env=self.env, stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)

    def apply(self, *objs: dict[str, Any], extra: tuple[str, ...] = ()) -> subprocess.CompletedProcess[bytes]:
        self.vms += [o["metadata"]["name"] for o in objs if o.get("kind") == "VirtualMachine"]
        from vmctl.io.yamlio import dump_yaml

        text = "---\n".join(dump_yaml(o) for o in objs).encode()
        return self.run("apply", "-f", "-", *extra, input=text)


def guest_vm(name: str, user_data: str, *, extra_volumes: list[dict[str, Any]] | None = None,
             annotations: dict[str, str] | None = None) -> dict[str, Any]:
    """A VM booting the test guest from the named volume ``root`` with a NoCloud seed."""
    volumes = [{"name": "root", "persistentVolumeClaim": {"claimName": "root"}},
               {"name": "cloudinitdisk", "cloudInitNoCloud": {"userData": user_data}}, *(extra_volumes or [])]
    return {
        "apiVersion": "kubevirt.io/v1", "kind": "VirtualMachine", "metadata": {"name": name},
        "spec": {"runStrategy": "Always", "template": {
            "metadata": {"annotations": annotations or {}},
            "spec": {
                "terminationGracePeriodSeconds": 0,
                "domain": {"memory": {"guest": "256Mi"},
                           "devices": {"disks": [{"name": v["name"], "disk": {"bus": "virtio"}} for v in volumes]}},
                "volumes": volumes,
            }}},
    }


@pytest.fixture
def env(tmp_path: Path, libvirt_uri: str, libvirt_conn: Any, test_guest: Any) -> Iterator[Env]:
    e = Env(tmp_path, libvirt_uri)
    done = e.run("volume", "import", "root", "--from", str(test_guest.disk))
    assert done.returncode == 0, done.stderr.decode()
    yield e
    for name in e.vms:
        e.run("delete", "vm", name, "--wait", "--timeout", "60")
    for dom in libvirt_conn.listAllDomains(0):  # whatever a failed test left behind
        if dom.name().startswith(f"{e.namespace}_"):
            with contextlib.suppress(Exception):
                dom.destroy()
            with contextlib.suppress(Exception):
                dom.undefineFlags(4)  # VIR_DOMAIN_UNDEFINE_NVRAM


def read_until(proc: subprocess.Popen[bytes], marker: bytes, timeout: float = 90) -> bytes:
    """Read the process's stdout until ``marker`` appears; fails with what was read so far."""
    assert proc.stdout is not None
    data = b""
    deadline = time.monotonic() + timeout
    fd = proc.stdout.fileno()
    while marker not in data:
        left = deadline - time.monotonic()
        if left <= 0:
            pytest.fail(f"{marker!r} not seen within {timeout}s; output:\n{data.decode(errors='replace')[-3000:]}")
        ready, _, _ = select.select([fd], [], [], min(left, 1))
        if ready:
            chunk = os.read(fd, 65536)
            if not chunk:
                err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
                pytest.fail(f"output ended (exit {proc.wait()}) before {marker!r}:\n"
                            f"{data.decode(errors='replace')[-3000:]}\nstderr: {err}")
            data += chunk
    return data


SHELL_READY = b"VMCTL-TEST-GUEST-SHELL-READY"


def test_console_shows_boot_marker_user_data_and_runs_a_command(env: Env) -> None:
    applied = env.apply(guest_vm("con1", "#cloud-config\nmarker: H8-USER-DATA-7731\n"))
    assert applied.returncode == 0, applied.stderr.decode()
    proc = env.popen("console", "con1", "--timeout", "2")
    try:
        seen = read_until(proc, SHELL_READY)
        assert b"VMCTL-TEST-GUEST-BOOTED" in seen  # replayed from the serial log or live
        assert b"marker: H8-USER-DATA-7731" in seen  # cloud-init user-data read by the guest from cidata
        assert proc.stdin is not None
        proc.stdin.write(b"echo ABC$((40+2))XYZ\r")
        proc.stdin.flush()
        read_until(proc, b"ABC42XYZ", timeout=30)
        proc.stdin.close()  # pipe mode: end of input ends the session after a short drain
        assert proc.wait(timeout=30) == 0
        assert proc.stderr is not None
        assert proc.stderr.read().decode() == (
            "Successfully connected to con1 console. Press Ctrl+] or Ctrl+5 to exit console.\n"
        )
    finally:
        if proc.poll() is None:
            proc.kill()


def test_busy_console_force_takeover_and_disconnect_message(env: Env) -> None:
    assert env.apply(guest_vm("con2", "#cloud-config\n")).returncode == 0
    first = env.popen("console", "con2")
    try:
        read_until(first, SHELL_READY)
        busy = env.run("console", "con2", input=b"x\r", timeout=60)
        assert busy.returncode == 1
        assert busy.stdout == b""  # refused before anything (not even the serial log) is printed
        assert busy.stderr.decode() == (
            "error: another console session is attached to con2\nhint: take it over with: vmctl console con2 --force\n"
        )
        # pipe mode through a take-over: the answer arrives after stdin closed and is still printed
        forced = env.run("console", "con2", "--force", input=b"echo FORCED-$((1+2))\r", timeout=60)
        assert forced.returncode == 0, forced.stderr.decode()
        assert b"FORCED-3\r\n" in forced.stdout
        assert first.wait(timeout=30) == 1  # taken over: virtctl's disconnect text, exit 1
        assert first.stderr is not None
        assert first.stderr.read().decode().endswith(
            "You were disconnected from the console. This could be caused by one of the following:"
            "\n - the target VM was powered off"
            "\n - another user connected to the console of the target VM"
            "\n - network issues\n"
        )
        second = env.popen("console", "con2", "--escape", "^A")
        try:
            assert second.stdin is not None
            second.stdin.write(b"echo TAKEN$((1+1))OVER\r")
            second.stdin.flush()
            read_until(second, b"TAKEN2OVER", timeout=30)
            second.stdin.write(b"\x01")  # the escape key ends the session with exit 0
            second.stdin.flush()
            assert second.wait(timeout=30) == 0
            assert second.stderr is not None
            assert "Press Ctrl+A to exit console." in second.stderr.read().decode()
        finally:
            if second.poll() is None:
                second.kill()
    finally:
        if first.poll() is None:
            first.kill()


def test_console_of_a_missing_vmi_fails_at_once(env: Env) -> None:
    started = time.monotonic()
    done = env.run("console", "nosuchvm", "--timeout", "1", input=b"")
    assert done.returncode == 1
    assert b"not found" in done.stderr and done.stderr.count(b"\n") == 1
    assert time.monotonic() - started < 20
