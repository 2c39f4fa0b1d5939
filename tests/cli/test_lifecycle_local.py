"""Lifecycle verbs through the real CLI on the local backend (libvirt test driver: real state machine, no guest)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

NODE = """<node><cpu><mhz>2000</mhz><model>i686</model><active>2</active><nodes>1</nodes><sockets>1</sockets>
<cores>2</cores><threads>1</threads></cpu><memory>8388608</memory></node>"""

VM = """apiVersion: kubevirt.io/v1
kind: VirtualMachine
metadata: {{name: web1}}
spec:
  runStrategy: {rs}
  template:
    spec:
      domain:
        devices: {{}}
        resources: {{requests: {{memory: 128Mi}}}}
"""


@pytest.fixture
def env(tmp_path: Path, vmctl, monkeypatch: pytest.MonkeyPatch):
    (tmp_path / "node.xml").write_text(NODE)
    # the once-per-process TCG notice would land in whichever test boots first
    monkeypatch.setattr("vmctl.backends.local.executor._TCG_NOTICED", True)
    uri = f"test://{tmp_path}/node.xml"
    flags = ["--state-dir", str(tmp_path / "state"), "--libvirt-uri", uri]

    def run(*args: str) -> tuple[int, str, str]:
        return vmctl(*args, *flags)

    def apply(rs: str) -> None:
        path = tmp_path / "vm.yaml"
        path.write_text(VM.format(rs=rs))
        assert run("apply", "-f", str(path))[0] == 0

    def status() -> tuple[str, str | None]:
        code, out, _ = run("get", "vm", "web1", "-o", "json")
        assert code == 0
        vm = json.loads(out)
        code, out, _ = run("get", "vmi", "-o", "json")
        vmi = (json.loads(out)["items"] or [None])[0]
        return vm["status"]["printableStatus"], (vmi or {}).get("status", {}).get("phase")

    def domain_state() -> int | None:
        from vmctl.backends.local.libvirt_conn import open_connection

        conn = open_connection(uri)
        for dom in conn.listAllDomains(0):
            if dom.name() == "default_web1":
                return dom.state()[0]
        return None

    def vmi_uid() -> str | None:
        code, out, _ = run("get", "vmi", "-o", "json")
        items = json.loads(out)["items"]
        return items[0]["metadata"]["uid"] if items else None

    def crash() -> None:
        from vmctl.backends.local.libvirt_conn import open_connection

        open_connection(uri).lookupByName("default_web1").destroy()  # behind vmctl's back, as a crash

    run.apply = apply  # type: ignore[attr-defined]
    run.vmi_uid = vmi_uid  # type: ignore[attr-defined]
    run.crash = crash  # type: ignore[attr-defined]
    run.status = status  # type: ignore[attr-defined]
    run.domain_state = domain_state  # type: ignore[attr-defined]
    return run


def test_manual_start_stop_restart(env) -> None:
    import libvirt

    env.apply("Manual")
    assert env.status() == ("Stopped", None)
    assert env("start", "web1", "--wait", "--timeout", "10") == (0, "VM web1 was scheduled to start\n", "")
    assert env.status() == ("Running", "Running")
    assert env.domain_state() == libvirt.VIR_DOMAIN_RUNNING
    code, _, err = env("start", "web1")
    assert code == 1
    assert err == ('error: Error starting VirtualMachine Operation cannot be fulfilled on virtualmachine.kubevirt.io '
                   '"web1": VM is already running\n')
    assert env("restart", "web1", "--wait", "--timeout", "20")[:2] == (0, "VM web1 was scheduled to restart\n")
    assert env.status() == ("Running", "Running")
    assert env("stop", "web1", "--wait", "--timeout", "20")[:2] == (0, "VM web1 was scheduled to stop\n")
    assert env.status() == ("Stopped", None)
    assert env.domain_state() is None  # undefined, nothing left behind
    code, _, err = env("stop", "web1")
    assert (code, err) == (1, 'error: error stopping VirtualMachine Operation cannot be fulfilled on '
                              'virtualmachine.kubevirt.io "web1": VM is not running\n')


def test_always_rejects_start_and_stop_halts(env) -> None:
    env.apply("Always")
    assert env.status() == ("Running", "Running")
    code, _, err = env("start", "web1")
    assert code == 1
    assert err.endswith('"web1": VM is already running\n')
    assert env("stop", "web1", "--force", "--grace-period", "0")[:2] == (0, "VM web1 was scheduled to stop\n")
    assert env.status() == ("Stopped", None)
    code, out, _ = env("get", "vm", "web1", "-o", "json")
    assert json.loads(out)["spec"]["runStrategy"] == "Halted"
    code, _, err = env("restart", "web1")
    assert err == ("error: error restarting VirtualMachine: Operation cannot be fulfilled on virtualmachine.kubevirt.io"
                   ' "web1": RunStategy Halted does not support manual restart requests\n')


def test_pause_unpause_vm_and_vmi(env) -> None:
    import libvirt

    env.apply("Always")
    assert env("pause", "vm", "web1", "--wait", "--timeout", "5") == (0, "VMI web1 was scheduled to pause\n", "")
    assert env.domain_state() == libvirt.VIR_DOMAIN_PAUSED
    assert env.status() == ("Paused", "Running")
    code, _, err = env("pause", "vmi", "web1")
    assert (code, err) == (1, "error: Error pausing VirtualMachineInstance web1: Operation cannot be fulfilled on "
                              'virtualmachineinstance.kubevirt.io "web1": VMI is already paused\n')
    assert env("unpause", "vmi", "web1", "--wait", "--timeout", "5") == (0, "VMI web1 was scheduled to unpause\n", "")
    assert env.domain_state() == libvirt.VIR_DOMAIN_RUNNING
    code, _, err = env("unpause", "vm", "web1")
    assert err == ("error: Error unpausing VirtualMachineInstance web1: Operation cannot be fulfilled on "
                   'virtualmachineinstance.kubevirt.io "web1": VMI is not paused\n')


def test_pause_other_types_is_rejected(env) -> None:
    env.apply("Halted")
    code, out, err = env("pause", "vms", "web1")
    assert (code, out) == (2, "")
    assert "TYPE 'vms': expected vm, virtualmachine, vmi or virtualmachineinstance" in err


def test_pause_stopped_vm(env) -> None:
    env.apply("Halted")
    code, _, err = env("pause", "vm", "web1")
    assert (code, err) == (1, "error: Error pausing VirtualMachineInstance web1. VirtualMachine web1 is not set to run\n")
    code, _, err = env("pause", "vm", "nope")
    assert err == 'error: Error getting VirtualMachine nope: virtualmachines.kubevirt.io "nope" not found\n'


def test_start_paused(env) -> None:
    import libvirt

    env.apply("Halted")
    assert env("start", "web1", "--paused", "--wait", "--timeout", "5")[0] == 0
    assert env.domain_state() == libvirt.VIR_DOMAIN_PAUSED
    assert env.status() == ("Paused", "Running")
    code, out, _ = env("get", "vm", "web1", "-o", "json")
    assert json.loads(out)["spec"]["runStrategy"] == "Always"


def test_soft_reboot_and_reset(env) -> None:
    env.apply("Always")
    assert env("reset", "web1") == (0, "VMI web1 was scheduled to reset\n", "")
    code, _, err = env("soft-reboot", "nope")
    assert err == ('error: Error soft rebooting VirtualMachineInstance nope: '
                   'virtualmachineinstance.kubevirt.io "nope" not found\n')


def test_force_and_grace_period_go_together(env) -> None:
    env.apply("Always")
    code, _, err = env("stop", "web1", "--force")
    assert (code, err) == (2, "error: Must both use --force=true and set --grace-period.\n")
    code, _, err = env("restart", "web1", "--force", "--grace-period", "5")
    assert err == ("error: error force restarting VirtualMachine: For force restart, only gracePeriod=0 is "
                   "supported for now\n")


def test_missing_vm(env) -> None:
    code, _, err = env("start", "ghost")
    assert (code, err) == (1, 'error: Error starting VirtualMachine virtualmachine.kubevirt.io "ghost" not found\n')


def test_hook_annotation_refused_without_allow(env, tmp_path: Path) -> None:
    text = VM.format(rs="Always").replace(
        "  template:\n", "  template:\n    metadata:\n      annotations:\n        hooks.kubevirt.io/hookSidecars: '[]'\n"
    )
    (tmp_path / "hook.yaml").write_text(text)
    code, out, err = env("apply", "-f", str(tmp_path / "hook.yaml"))
    assert code == 1
    assert out == "virtualmachine.kubevirt.io/web1 created\n"
    assert "has the annotation hooks.kubevirt.io/hookSidecars" in err
    assert "--allow-hooks" in err
    assert env.domain_state() is None


def test_deleting_the_vmi_of_an_always_vm_starts_a_new_one_at_once(env) -> None:
    import libvirt

    env.apply("Always")
    old = env.vmi_uid()
    assert env("delete", "vmi", "web1", "--wait", "--timeout", "20") == (
        0, 'virtualmachineinstance.kubevirt.io "web1" deleted\n', "")
    assert env.domain_state() == libvirt.VIR_DOMAIN_RUNNING  # no controller ran: delete itself restarted it
    assert env.status() == ("Running", "Running")
    assert env.vmi_uid() not in (None, old)


@pytest.mark.parametrize("rs", ["Always", "RerunOnFailure"])
def test_a_crashed_vm_restarts_when_touched_and_a_listing_only_tells(env, rs: str) -> None:
    import libvirt

    env.apply(rs)
    old = env.vmi_uid()
    env.crash()
    code, out, err = env("get", "vm")  # a listing of many VMs must not boot them all
    assert code == 0 and out.splitlines()[1].split()[0] == "web1"
    assert err == ("notice: VM web1 is due to start (runStrategy); a listing does not start VMs: 'vmctl get vm NAME' "
                   "starts one, 'vmctl controller --once' starts all\n")
    assert env.domain_state() is None
    code, out, err = env("get", "vm", "web1", "-o", "json")  # touching the VM reconciles it fully
    assert (code, err) == (0, "")
    assert json.loads(out)["status"]["printableStatus"] == "Running"
    assert env.domain_state() == libvirt.VIR_DOMAIN_RUNNING
    assert env.vmi_uid() not in (None, old)
    assert env("get", "vm")[2] == ""  # nothing due any more


def test_a_crashed_manual_vm_stays_stopped(env) -> None:
    env.apply("Manual")
    assert env("start", "web1")[0] == 0
    env.crash()
    code, out, err = env("get", "vm", "web1", "-o", "json")
    assert (code, err) == (0, "")
    assert json.loads(out)["status"]["printableStatus"] == "Stopped"
    assert env.domain_state() is None
    assert env("get", "vm")[2] == ""


@pytest.mark.parametrize(
    ("args", "rs", "expected"),
    [
        (("start", "ghost"), "Halted", 'Error starting VirtualMachine virtualmachine.kubevirt.io "ghost" not found'),
        (("stop", "web1"), "Halted", "error stopping VirtualMachine Operation cannot be fulfilled on "
                                     'virtualmachine.kubevirt.io "web1": VM is not running'),
        (("stop", "web1", "--force", "--grace-period", "0"), "Manual",
         'error force stopping VirtualMachine: Operation cannot be fulfilled on virtualmachine.kubevirt.io "web1": '
         "VM is not running"),
        (("restart", "web1"), "Halted", "error restarting VirtualMachine: Operation cannot be fulfilled on "
                                        'virtualmachine.kubevirt.io "web1": RunStategy Halted does not support manual '
                                        "restart requests"),
        (("restart", "web1", "--force", "--grace-period", "0"), "Halted",
         "error force restarting VirtualMachine: Operation cannot be fulfilled on virtualmachine.kubevirt.io "
         '"web1": RunStategy Halted does not support manual restart requests'),
        (("soft-reboot", "ghost"), "Halted",
         'Error soft rebooting VirtualMachineInstance ghost: virtualmachineinstance.kubevirt.io "ghost" not found'),
        (("reset", "ghost"), "Halted",
         'Error reseting VirtualMachineInstance ghost: virtualmachineinstance.kubevirt.io "ghost" not found'),
        (("unpause", "vmi", "ghost"), "Halted",
         'Error unpausing VirtualMachineInstance ghost: virtualmachineinstance.kubevirt.io "ghost" not found'),
    ],
)
def test_error_texts_are_virtctls(env, args: tuple[str, ...], rs: str, expected: str) -> None:
    # virtctl's own texts, case and spelling included (pkg/virtctl/vm/{start,stop,restart}.go, softreboot, reset,
    # unpause): scripts written for virtctl match them
    env.apply(rs)
    assert env(*args) == (1, "", f"error: {expected}\n")


def test_error_prefixes_live_in_one_table() -> None:
    from vmctl.cli.lifecycle import ERRORS

    assert ERRORS == {
        "start": "Error starting VirtualMachine {error}",
        "stop": "error stopping VirtualMachine {error}",
        "force-stop": "error force stopping VirtualMachine: {error}",
        "restart": "error restarting VirtualMachine: {error}",
        "force-restart": "error force restarting VirtualMachine: {error}",
        "get-vm": "Error getting VirtualMachine {name}: {error}",
        "pause": "Error pausing VirtualMachineInstance {name}: {error}",
        "pause-not-set-to-run": "Error pausing VirtualMachineInstance {name}. VirtualMachine {name} is not set to run",
        "pause-not-found": "Error pausing VirtualMachineInstance {name}, it was not found",
        "unpause": "Error unpausing VirtualMachineInstance {name}: {error}",
        "soft-reboot": "Error soft rebooting VirtualMachineInstance {name}: {error}",
        "reset": "Error reseting VirtualMachineInstance {name}: {error}",
    }
