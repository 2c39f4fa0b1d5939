"""Every lifecycle verb through the real ``vmctl`` against the real libvirtd/QEMU with the test guest."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.libvirt

VMCTL = [sys.executable, "-m", "vmctl"]


class Env:
    """Runs ``vmctl`` as a subprocess with a private state folder and a namespace the sweeper recognises."""

    def __init__(self, tmp: Path, uri: str, conn: Any, disk: Path) -> None:
        self.tmp, self.uri, self.conn, self.disk = tmp, uri, conn, disk
        self.namespace = f"vmctl-test-{os.getpid()}-{tmp.name[-12:].lower().replace('_', '-')}".rstrip("-")
        self.flags = ["--state-dir", str(tmp / "state"), "--libvirt-uri", uri, "-n", self.namespace]

    def run(self, *args: str, timeout: float = 180) -> subprocess.CompletedProcess[str]:
        return subprocess.run([*VMCTL, *args, *self.flags], capture_output=True, text=True, timeout=timeout,
                              check=False)

    def ok(self, *args: str) -> str:
        proc = self.run(*args)
        assert proc.returncode == 0, f"vmctl {' '.join(args)}: {proc.stderr}"
        return proc.stdout

    def popen(self, *args: str) -> subprocess.Popen[str]:
        return subprocess.Popen([*VMCTL, *args, *self.flags], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True)

    def apply_vm(self, name: str, run_strategy: str, grace: int = 2) -> None:
        vm = {
            "apiVersion": "kubevirt.io/v1", "kind": "VirtualMachine", "metadata": {"name": name},
            "spec": {"runStrategy": run_strategy, "template": {"spec": {
                "terminationGracePeriodSeconds": grace,
                "domain": {"cpu": {"cores": 1}, "memory": {"guest": "256Mi"},
                           "devices": {"disks": [{"name": "root", "disk": {"bus": "virtio"}}],
                                       "autoattachPodInterface": False}},
                "volumes": [{"name": "root", "hostDisk": {"path": str(self.disk), "type": "Disk"}}],
            }}},
        }
        path = self.tmp / f"{name}.json"
        path.write_text(json.dumps(vm))
        self.ok("apply", "-f", str(path))

    def domain(self, name: str) -> Any:
        import libvirt

        try:
            return self.conn.lookupByName(f"{self.namespace}_{name}")
        except libvirt.libvirtError:
            return None

    def state(self, name: str) -> int | None:
        dom = self.domain(name)
        return dom.state()[0] if dom is not None else None

    def ours(self) -> list[str]:
        return [d.name() for d in self.conn.listAllDomains(0) if d.name().startswith(self.namespace + "_")]

    def vm(self, name: str) -> dict[str, Any]:
        return json.loads(self.ok("get", "vm", name, "-o", "json"))


@pytest.fixture
def env(tmp_path: Path, libvirt_uri: str, libvirt_conn: Any, test_guest: Any) -> Any:
    import libvirt

    libvirt.registerErrorHandler(lambda _c, _e: None, None)  # lookups of absent domains are expected here
    disk = tmp_path / "root.raw"
    subprocess.run(["qemu-img", "convert", "-O", "raw", str(test_guest.disk), str(disk)], check=True)
    e = Env(tmp_path, libvirt_uri, libvirt_conn, disk)
    yield e
    leftovers = e.ours()
    for name in leftovers:  # clean up before failing, so one failure does not cascade
        dom = e.conn.lookupByName(name)
        if dom.isActive():
            dom.destroy()
        dom.undefine()
    assert leftovers == [], "orphan domains after the test"


def test_every_verb_changes_the_real_domain(env: Env) -> None:
    import libvirt

    env.apply_vm("life", "Manual")
    assert env.state("life") is None
    assert env.ok("start", "life", "--wait", "--timeout", "60") == "VM life was scheduled to start\n"
    assert env.state("life") == libvirt.VIR_DOMAIN_RUNNING
    assert env.vm("life")["status"]["printableStatus"] == "Running"

    assert env.ok("pause", "vm", "life", "--wait", "--timeout", "30") == "VMI life was scheduled to pause\n"
    assert env.state("life") == libvirt.VIR_DOMAIN_PAUSED
    assert env.vm("life")["status"]["printableStatus"] == "Paused"
    assert env.ok("unpause", "vmi", "life", "--wait", "--timeout", "30") == "VMI life was scheduled to unpause\n"
    assert env.state("life") == libvirt.VIR_DOMAIN_RUNNING

    first_id = env.domain("life").ID()
    assert env.ok("reset", "life", "--wait", "--timeout", "30") == "VMI life was scheduled to reset\n"
    assert env.ok("soft-reboot", "life") == "VMI life was scheduled to soft-reboot\n"
    assert env.domain("life").ID() == first_id  # reset and reboot keep the same QEMU process

    old_uid = json.loads(env.ok("get", "vmi", "life", "-o", "json"))["metadata"]["uid"]
    out = env.ok("restart", "life", "--force", "--grace-period", "0", "--wait", "--timeout", "60")
    assert out == "VM life was scheduled to restart\n"
    assert env.state("life") == libvirt.VIR_DOMAIN_RUNNING
    assert env.domain("life").ID() != first_id
    assert json.loads(env.ok("get", "vmi", "life", "-o", "json"))["metadata"]["uid"] != old_uid

    # graceful stop: ACPI power button, then destroyed once the 2 s grace period is over
    started = time.monotonic()
    assert env.ok("stop", "life", "--wait", "--timeout", "60") == "VM life was scheduled to stop\n"
    assert time.monotonic() - started < 30
    assert env.state("life") is None
    assert env.vm("life")["status"]["printableStatus"] == "Stopped"
    env.ok("delete", "vm", "life", "--wait", "--timeout", "30")
    assert env.ours() == []


def test_always_is_restarted_by_the_controller(env: Env) -> None:
    import libvirt

    env.apply_vm("always", "Always")
    assert env.state("always") == libvirt.VIR_DOMAIN_RUNNING
    first_id = env.domain("always").ID()
    env.domain("always").destroy()  # behind vmctl's back
    env.ok("controller", "--once")
    assert env.state("always") == libvirt.VIR_DOMAIN_RUNNING
    assert env.domain("always").ID() != first_id
    vm = env.vm("always")
    assert vm["status"]["printableStatus"] == "Running"
    env.ok("stop", "always", "--force", "--grace-period", "0", "--wait", "--timeout", "30")
    assert env.ours() == []


def test_always_vm_is_restarted_by_the_command_that_touches_it(env: Env) -> None:
    """No controller: ``delete vmi --wait`` and ``get vm`` after a crash start the new VMI themselves."""
    import libvirt

    env.apply_vm("touched", "Always", grace=0)
    first_id = env.domain("touched").ID()
    old_uid = json.loads(env.ok("get", "vmi", "touched", "-o", "json"))["metadata"]["uid"]
    out = env.ok("delete", "vmi", "touched", "--wait", "--timeout", "60")
    assert out == 'virtualmachineinstance.kubevirt.io "touched" deleted\n'
    assert env.state("touched") == libvirt.VIR_DOMAIN_RUNNING
    second_id = env.domain("touched").ID()
    assert second_id != first_id
    vmi = json.loads(env.ok("get", "vmi", "touched", "-o", "json"))
    assert vmi["metadata"]["uid"] != old_uid and vmi["status"]["phase"] == "Running"

    env.domain("touched").destroy()  # a crash behind vmctl's back
    listing = env.run("get", "vm")
    assert listing.returncode == 0
    assert listing.stderr.startswith("notice: VM touched is due to start (runStrategy)")
    assert env.state("touched") is None  # a listing does not boot anything
    assert env.vm("touched")["status"]["printableStatus"] == "Running"  # get of that VM restarts it
    assert env.state("touched") == libvirt.VIR_DOMAIN_RUNNING
    assert env.domain("touched").ID() not in (first_id, second_id)
    env.ok("stop", "touched", "--force", "--grace-period", "0", "--wait", "--timeout", "30")
    assert env.ours() == []


def test_rerun_on_failure_restarts_only_after_a_failure(env: Env) -> None:
    import libvirt

    env.apply_vm("rerun", "RerunOnFailure")
    assert env.state("rerun") == libvirt.VIR_DOMAIN_RUNNING
    env.domain("rerun").destroy()  # a failure, not a guest shutdown
    env.ok("controller", "--once")
    env.ok("controller", "--once")
    assert env.state("rerun") == libvirt.VIR_DOMAIN_RUNNING
    env.ok("stop", "rerun", "--force", "--grace-period", "0", "--wait", "--timeout", "30")
    assert env.state("rerun") is None
    env.ok("controller", "--once")
    assert env.state("rerun") is None  # a stopped RerunOnFailure VM stays stopped


def test_domain_libvirt_rejects_names_the_vmi_field_and_leaves_nothing(env: Any) -> None:
    """libvirt's own error, plus the VMI field it came from; no domain and no running VMI remain."""
    vm = {
        "apiVersion": "kubevirt.io/v1", "kind": "VirtualMachine", "metadata": {"name": "badmachine"},
        "spec": {"runStrategy": "Always", "template": {"spec": {
            "domain": {"machine": {"type": "pc-q35-99.0"}, "memory": {"guest": "128Mi"},
                       "devices": {"autoattachPodInterface": False}},
        }}},
    }
    path = env.tmp / "badmachine.json"
    path.write_text(json.dumps(vm))
    proc = env.run("apply", "-f", str(path))
    assert proc.returncode == 1, proc.stderr
    error = [line for line in proc.stderr.splitlines() if line.startswith("error:")]
    assert len(error) == 1, proc.stderr
    assert "pc-q35-99.0" in error[0] and "(from VMI field spec.domain.machine.type)" in error[0], proc.stderr
    assert env.ours() == []


def _controller(env: Env, *args: str) -> subprocess.CompletedProcess[str]:
    state = ["--state-dir", str(env.tmp / "state"), "--libvirt-uri", env.uri]
    return subprocess.run([*VMCTL, "controller", *args, *state], capture_output=True, text=True, timeout=60,
                          check=False)


def _wait_for(check: Any, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.25)


def test_background_controller_restarts_a_crashed_guest_by_itself(env: Env) -> None:
    """``controller start``: a VM whose guest dies comes back with no further command; one loop per state
    folder; ``kill -9`` of it leaves nothing that blocks the next start; ``stop`` stops it."""
    import signal

    import libvirt

    env.apply_vm("bg", "Always")
    started = _controller(env, "start", "--interval", "1")
    assert started.returncode == 0 and started.stdout.startswith("controller started (pid "), started.stderr
    status = _controller(env, "status", "-o", "json")
    info = json.loads(status.stdout)
    assert status.returncode == 0 and info["running"] and info["log"].endswith("/state/controller.log")
    assert _controller(env, "start").stdout.startswith("controller already running")
    second = _controller(env)  # a foreground loop for the same state folder is refused
    assert second.returncode == 1 and "a controller is already running for the state folder" in second.stderr

    first_id = env.domain("bg").ID()
    env.domain("bg").destroy()  # behind vmctl's back, and no vmctl command follows
    _wait_for(lambda: env.state("bg") == libvirt.VIR_DOMAIN_RUNNING and env.domain("bg").ID() != first_id)

    os.kill(info["pid"], signal.SIGKILL)
    _wait_for(lambda: _controller(env, "status").returncode == 1, timeout=10)
    restarted = _controller(env, "start", "--interval", "1")
    assert restarted.returncode == 0 and "controller started" in restarted.stdout
    stopped = _controller(env, "stop")
    assert stopped.returncode == 0 and stopped.stdout.startswith("controller stopped (pid ")
    assert _controller(env, "status").stdout.startswith("controller: not running")
    env.ok("stop", "bg", "--force", "--grace-period", "0", "--wait", "--timeout", "30")
    assert env.ours() == []
