"""Lifecycle requests: virt-api's start/stop/restart rules per runStrategy, and the VMI verbs' checks."""

from __future__ import annotations

import pytest

from vmctl.controllers import lifecycle as rc
from vmctl.controllers.lifecycle import LifecycleError

CONFLICT = 'Operation cannot be fulfilled on virtualmachine.kubevirt.io "web1": '
VMI_CONFLICT = 'Operation cannot be fulfilled on virtualmachineinstance.kubevirt.io "web1": '


def vm(rs: str, requests: list | None = None) -> dict:
    body = {"kind": "VirtualMachine", "metadata": {"name": "web1", "uid": "vm-uid"},
            "spec": {"runStrategy": rs, "template": {"spec": {}}}}
    if requests is not None:
        body["status"] = {"stateChangeRequests": requests}
    return body


def vmi(phase: str | None, paused: bool = False, grace: int | None = None) -> dict | None:
    if phase is None:
        return None
    conds = [{"type": "Paused", "status": "True"}] if paused else []
    spec = {"terminationGracePeriodSeconds": grace} if grace is not None else {}
    return {"metadata": {"name": "web1", "uid": "vmi-1"}, "spec": spec, "status": {"phase": phase, "conditions": conds}}


def outcome(fn, *args, **kw) -> object:
    try:
        req = fn(*args, **kw)
    except LifecycleError as exc:
        return exc.message
    return (req.run_strategy, req.state_change_requests, req.vmi_grace)


START = {"action": "Start"}
STOP = {"action": "Stop", "uid": "vmi-1"}


@pytest.mark.parametrize(
    ("rs", "phase", "paused", "expected"),
    [
        ("Halted", None, False, ("Always", None, None)),
        ("Halted", None, True, (None, [{"action": "Start", "data": {"paused": "true"}}], None)),
        ("Halted", "Running", False, CONFLICT + "VM is already running"),
        ("Manual", None, False, (None, [START], None)),
        ("Manual", "Succeeded", False, (None, [STOP, START], None)),
        ("Manual", "Failed", False, (None, [STOP, START], None)),
        ("Manual", "Scheduling", False, CONFLICT + "VM is already running"),
        ("RerunOnFailure", None, False, (None, [START], None)),
        ("RerunOnFailure", "Succeeded", False, (None, [STOP, START], None)),
        ("RerunOnFailure", "Failed", False, CONFLICT + "RerunOnFailure does not support starting VM from failed state"),
        ("Always", None, False, CONFLICT + "Always does not support manual start requests"),
        ("Always", "Running", False, CONFLICT + "VM is already running"),
        ("Once", None, False, CONFLICT + "Once does not support manual start requests"),
    ],
)
def test_start(rs: str, phase: str | None, paused: bool, expected: object) -> None:
    assert outcome(rc.request_start, vm(rs), vmi(phase), paused=paused) == expected


def test_start_while_a_request_is_queued() -> None:
    assert outcome(rc.request_start, vm("Manual", [START]), None) == (
        CONFLICT + "unable to complete request: stop/start already underway"
    )


@pytest.mark.parametrize(
    ("rs", "phase", "grace", "vmi_grace", "expected"),
    [
        ("Always", "Running", None, None, ("Halted", None, None)),
        ("Always", None, None, None, ("Halted", None, None)),
        ("Once", "Running", 0, None, ("Halted", None, 0)),
        ("Manual", "Running", None, None, (None, [STOP], None)),
        ("Manual", None, None, None, CONFLICT + "VM is not running"),
        ("Manual", "Succeeded", None, None, CONFLICT + "VM is not running"),
        ("RerunOnFailure", "Running", 5, None, (None, [STOP], 5)),
        ("Halted", None, None, None, CONFLICT + "VM is not running"),
        ("Halted", "Running", None, None, CONFLICT + "Halted only supports manual stop requests with a shorter graceperiod"),
        ("Halted", "Running", 30, 30, CONFLICT + "Halted only supports manual stop requests with a shorter graceperiod"),
        ("Halted", "Running", 0, 30, (None, [STOP], 0)),
        ("Halted", "Running", 0, None, (None, [STOP], 0)),
    ],
)
def test_stop(rs: str, phase: str | None, grace: int | None, vmi_grace: int | None, expected: object) -> None:
    assert outcome(rc.request_stop, vm(rs), vmi(phase, grace=vmi_grace), grace_period=grace) == expected


def test_lone_stop_replaces_queued_requests() -> None:
    req = rc.request_stop(vm("Manual", [START]), vmi("Running"))
    assert req.state_change_requests == [STOP]


@pytest.mark.parametrize(
    ("rs", "phase", "grace", "expected"),
    [
        ("Always", "Running", None, (None, [STOP, START], None)),
        ("Manual", "Running", 0, (None, [STOP, START], 1)),
        ("RerunOnFailure", "Running", None, (None, [STOP, START], None)),
        ("Always", None, None, CONFLICT + "VM is not running: Halted"),
        ("Halted", "Running", None, CONFLICT + "RunStategy Halted does not support manual restart requests"),
        ("Once", "Running", None, CONFLICT + "RunStategy Once does not support manual restart requests"),
        ("Always", "Running", 5, "For force restart, only gracePeriod=0 is supported for now"),
        ("Always", "Running", -1, "gracePeriod has to be greater or equal to 0"),
    ],
)
def test_restart(rs: str, phase: str | None, grace: int | None, expected: object) -> None:
    assert outcome(rc.request_restart, vm(rs), vmi(phase), grace_period=grace) == expected


def test_apply_request_changes_spec_or_status() -> None:
    halted = vm("Halted")
    assert rc.apply_request(halted, rc.Request(run_strategy="Always"))["spec"]["runStrategy"] == "Always"
    legacy = {"metadata": {"name": "old"}, "spec": {"running": False}}
    assert rc.apply_request(legacy, rc.Request(run_strategy="Always"))["spec"] == {"running": True}
    queued = rc.apply_request({**vm("Manual"), "status": {"startFailure": {"consecutiveFailCount": 2}}},
                              rc.Request(state_change_requests=[START]))
    assert queued["status"] == {"stateChangeRequests": [START]}


@pytest.mark.parametrize(
    ("check", "phase", "paused", "expected"),
    [
        (rc.check_pause, "Running", False, None),
        (rc.check_pause, "Running", True, VMI_CONFLICT + "VMI is already paused"),
        (rc.check_pause, "Scheduling", False, VMI_CONFLICT + "VM is not running"),
        (rc.check_pause, "Succeeded", False, VMI_CONFLICT + "VM is not running"),
        (rc.check_unpause, "Running", True, None),
        (rc.check_unpause, "Running", False, VMI_CONFLICT + "VMI is not paused"),
        (rc.check_unpause, "Failed", False, VMI_CONFLICT + "VMI is not running"),
        (rc.check_soft_reboot, "Running", False, None),
        (rc.check_soft_reboot, "Running", True, VMI_CONFLICT + "VMI is paused"),
        (rc.check_soft_reboot, "Pending", False, VMI_CONFLICT + "VM is not running"),
        (rc.check_reset, "Running", False, None),
        (rc.check_reset, "Succeeded", False,
         "Failed to reset non-running VMI with phase Succeeded: Unable to connect to VirtualMachineInstance "
         "because phase is Succeeded instead of Running or Scheduled"),
    ],
)
def test_vmi_verbs(check, phase: str, paused: bool, expected: str | None) -> None:
    the_vmi = vmi(phase, paused=paused)
    assert the_vmi is not None
    try:
        check(the_vmi)
        got = None
    except LifecycleError as exc:
        got = exc.message
    assert got == expected


def test_soft_reboot_needs_acpi_or_agent() -> None:
    the_vmi = vmi("Running")
    assert the_vmi is not None
    the_vmi["spec"]["domain"] = {"features": {"acpi": {"enabled": False}}}
    with pytest.raises(LifecycleError, match="VMI neither have the agent connected nor the ACPI feature enabled"):
        rc.check_soft_reboot(the_vmi)
    the_vmi["status"]["conditions"].append({"type": "AgentConnected", "status": "True"})
    rc.check_soft_reboot(the_vmi)


def test_pause_refuses_non_agent_liveness_probe() -> None:
    the_vmi = vmi("Running")
    assert the_vmi is not None
    the_vmi["spec"]["livenessProbe"] = {"httpGet": {"port": 80}}
    with pytest.raises(LifecycleError) as err:
        rc.check_pause(the_vmi)
    assert err.value.code == 403
    assert err.value.message == "Pausing VMIs with a non-GuestAgentPing LivenessProbe is not supported"
