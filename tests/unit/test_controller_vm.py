"""The VM controller planner (controllers/vm.py): runStrategy × VMI phase × guest state → typed actions and status."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from vmctl.controllers import vm as rc
from vmctl.controllers.vm import DomainState, Observed, VMAction
from vmctl.core.runstrategy import run_strategy

NOW = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
D = DomainState


def vm(rs: str | None = "Always", requests: list | None = None, status: dict | None = None, **spec) -> dict:
    body: dict = {"kind": "VirtualMachine", "metadata": {"name": "web1", "namespace": "default", "uid": "vm-uid"},
                  "spec": {**({"runStrategy": rs} if rs else {}), **spec, "template": {"spec": {}}}}
    st = dict(status or {})
    if requests is not None:
        st["stateChangeRequests"] = requests
    if st:
        body["status"] = st
    return body


def vmi(phase: str = "Running", uid: str = "vmi-1", deleting: str | None = None, was_running: bool | None = None,
        conds: list | None = None) -> dict:
    stamps = [{"phase": "Running", "phaseTransitionTimestamp": "2026-01-01T00:00:00Z"}] if (
        was_running if was_running is not None else phase in ("Running", "Succeeded")
    ) else []
    meta = {"name": "web1", "namespace": "default", "uid": uid}
    if deleting:
        meta["deletionTimestamp"] = deleting
    return {"kind": "VirtualMachineInstance", "metadata": meta, "spec": {},
            "status": {"phase": phase, "phaseTransitionTimestamps": stamps, "conditions": conds or []}}


def names(plan: rc.Plan) -> list[str]:
    """The plan's action types in snake case (StartVMI → start_vmi)."""
    return [re.sub(r"(?<=[a-z])(?=[A-Z])", "_", type(a).__name__).lower() for a in plan.actions]


# --- observing the domain ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("old", "domain", "starting", "new"),
    [
        ("Scheduling", D.RUNNING, False, "Running"),
        ("Scheduling", D.PAUSED, False, "Running"),
        ("Scheduling", D.ABSENT, True, "Scheduling"),
        ("Scheduling", D.DEFINED, True, "Scheduling"),
        ("Scheduling", D.ABSENT, False, "Failed"),  # the starter died half way
        ("Scheduling", D.DEFINED, False, "Failed"),
        ("Running", D.RUNNING, False, "Running"),
        ("Running", D.SHUTTING_DOWN, False, "Running"),
        ("Running", D.SHUTOFF_GUEST, False, "Succeeded"),
        ("Running", D.SHUTOFF_FAILED, False, "Failed"),
        ("Running", D.ABSENT, False, "Failed"),
        ("Succeeded", D.RUNNING, False, "Succeeded"),  # final phases never change
        ("Failed", D.ABSENT, False, "Failed"),
    ],
)
def test_vmi_phase_follows_domain(old: str, domain: DomainState, starting: bool, new: str) -> None:
    status = rc.observe_vmi(vmi(old, was_running=False), Observed(domain, starting), NOW)
    assert status["phase"] == new
    if new != old:
        assert status["phaseTransitionTimestamps"][-1] == {"phase": new, "phaseTransitionTimestamp": "2026-01-02T03:04:05Z"}


def test_conditions_of_a_running_and_a_paused_vmi() -> None:
    running = rc.observe_vmi(vmi("Running"), Observed(D.RUNNING), NOW)
    assert running["conditions"] == [
        {"type": "Ready", "status": "True", "lastProbeTime": None, "lastTransitionTime": "2026-01-02T03:04:05Z"},
    ]
    paused = rc.observe_vmi(vmi("Running"), Observed(D.PAUSED), NOW)
    assert [(c["type"], c["status"], c.get("reason")) for c in paused["conditions"]] == [
        ("Ready", "False", "ReadinessGatesNotReady"), ("Paused", "True", "PausedByUser"),
    ]
    assert paused["conditions"][1]["message"] == "VMI was paused by user"
    ioerr = rc.observe_vmi(vmi("Running"), Observed(D.PAUSED_IOERROR), NOW)
    assert ioerr["conditions"][1]["reason"] == "PausedIOError"
    # resumed: Paused is gone, Ready is True again
    again = rc.observe_vmi({**vmi("Running"), "status": paused}, Observed(D.RUNNING), NOW + timedelta(seconds=5))
    assert [(c["type"], c["status"]) for c in again["conditions"]] == [("Ready", "True")]
    stopped = rc.observe_vmi(vmi("Running"), Observed(D.SHUTOFF_GUEST), NOW)
    assert stopped["conditions"][0]["reason"] == "GuestNotRunning"


def test_unchanged_condition_keeps_its_transition_time() -> None:
    first = rc.observe_vmi(vmi("Running"), Observed(D.RUNNING), NOW)
    later = rc.observe_vmi({**vmi("Running"), "status": first}, Observed(D.RUNNING), NOW + timedelta(hours=1))
    assert later == first


# --- runStrategy × VMI state ---------------------------------------------------------------------------------

ABSENT = None


@pytest.mark.parametrize(
    ("rs", "requests", "the_vmi", "domain", "expected"),
    [
        # Always: start when there is no VMI, restart a final one
        ("Always", None, ABSENT, D.ABSENT, [rc.StartVMI()]),
        ("Always", None, "Running", D.RUNNING, []),
        ("Always", None, "Running", D.SHUTOFF_GUEST, [rc.StopVMI(30)]),  # guest powered off
        ("Always", None, "Running", D.SHUTOFF_FAILED, [rc.StopVMI(30)]),  # destroyed behind our back
        ("Always", [{"action": "Stop", "uid": "vmi-1"}, {"action": "Start"}], "Running", D.RUNNING,
         [rc.StopVMI(30)]),
        ("Always", [{"action": "Start"}], ABSENT, D.ABSENT, [rc.StartVMI()]),
        # Halted: never a VMI
        ("Halted", None, ABSENT, D.ABSENT, []),
        ("Halted", None, "Running", D.RUNNING, [rc.StopVMI(30)]),
        ("Halted", [{"action": "Start", "data": {"paused": "true"}}], ABSENT, D.ABSENT,
         [rc.SetRunStrategy("Always")]),
        # Manual: only on requests
        ("Manual", None, ABSENT, D.ABSENT, []),
        ("Manual", [{"action": "Start"}], ABSENT, D.ABSENT, [rc.StartVMI()]),
        ("Manual", None, "Running", D.SHUTOFF_GUEST, []),
        ("Manual", None, "Running", D.SHUTOFF_FAILED, []),
        ("Manual", [{"action": "Stop", "uid": "vmi-1"}], "Running", D.RUNNING, [rc.StopVMI(30)]),
        ("Manual", [{"action": "Stop", "uid": "other"}], "Running", D.RUNNING, []),
        # RerunOnFailure: restart on failure only
        ("RerunOnFailure", None, "Running", D.RUNNING, []),
        ("RerunOnFailure", None, "Running", D.SHUTOFF_GUEST, [rc.StopVMI(30)]),
        ("RerunOnFailure", None, "Running", D.SHUTOFF_FAILED,
         [rc.StopVMI(30), rc.AddStartRequest()]),
        ("RerunOnFailure", [{"action": "Start"}], ABSENT, D.ABSENT, [rc.StartVMI()]),
        # Once: start once, never again
        ("Once", None, ABSENT, D.ABSENT, [rc.StartVMI()]),
        ("Once", None, "Running", D.SHUTOFF_GUEST, []),
        ("Once", None, "Running", D.SHUTOFF_FAILED, []),
    ],
)
def test_run_strategy_table(rs: str, requests: list | None, the_vmi: str | None, domain: DomainState,
                            expected: list[VMAction]) -> None:
    status = {"runStrategy": rs, "created": True} if the_vmi or rs == "RerunOnFailure" else None
    the_vm = vm(rs, requests, status)
    plan = rc.plan(the_vm, vmi(the_vmi) if the_vmi else None, Observed(domain), NOW)
    assert plan.actions == expected


def test_rerun_on_failure_starts_when_first_created() -> None:
    assert names(rc.plan(vm("RerunOnFailure"), None, Observed(), NOW)) == ["start_vmi"]
    settled = vm("RerunOnFailure", status={"runStrategy": "RerunOnFailure"})
    assert names(rc.plan(settled, None, Observed(), NOW)) == []


def test_start_paused_request_starts_paused() -> None:
    plan = rc.plan(vm("Always", [{"action": "Start", "data": {"paused": "true"}}]), None, Observed(), NOW)
    assert plan.actions == [rc.StartVMI(paused=True)]


def test_legacy_running_field() -> None:
    assert run_strategy(vm(None, running=True)) == "Always"
    assert run_strategy(vm(None, running=False)) == "Halted"
    assert run_strategy(vm(None)) == "Halted"


def test_grace_period_from_vmi() -> None:
    the_vmi = vmi("Running")
    the_vmi["spec"]["terminationGracePeriodSeconds"] = 0
    plan = rc.plan(vm("Halted"), the_vmi, Observed(D.RUNNING), NOW)
    assert plan.actions == [rc.StopVMI(0)]


@pytest.mark.parametrize(
    ("domain", "deadline", "expected", "requeue"),
    [
        (D.RUNNING, NOW + timedelta(seconds=20), [], 20.0),
        (D.SHUTTING_DOWN, NOW + timedelta(seconds=5), [], 5.0),
        (D.RUNNING, NOW - timedelta(seconds=1), ["destroy_domain"], None),
        (D.SHUTOFF_GUEST, NOW + timedelta(seconds=20), ["finalize_vmi"], None),
        (D.ABSENT, NOW + timedelta(seconds=20), ["finalize_vmi"], None),
    ],
)
def test_vmi_being_deleted(domain: DomainState, deadline: datetime, expected: list[str], requeue: float | None) -> None:
    the_vmi = vmi("Running", deleting=deadline.strftime("%Y-%m-%dT%H:%M:%SZ"))
    plan = rc.plan(vm("Halted"), the_vmi, Observed(domain), NOW)
    assert names(plan) == expected
    assert plan.requeue_after == requeue
    if domain.active:
        assert plan.vm_status["printableStatus"] == "Stopping"


def test_vm_being_deleted_stops_then_goes() -> None:
    the_vm = vm("Always")
    the_vm["metadata"]["deletionTimestamp"] = "2026-01-02T03:04:00Z"
    plan = rc.plan(the_vm, vmi("Running"), Observed(D.RUNNING), NOW)
    assert plan.actions == [rc.StopVMI(30)]
    assert plan.vm_status["printableStatus"] == "Terminating"
    assert names(rc.plan(the_vm, None, Observed(), NOW)) == ["delete_vm"]


def test_another_process_starting_means_hands_off() -> None:
    plan = rc.plan(vm("Always"), None, Observed(starting=True), NOW)
    assert plan.actions == []
    assert plan.vm_status["printableStatus"] == "Starting"


# --- VM status ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rs", "the_vmi", "domain", "printable", "ready"),
    [
        ("Halted", None, D.ABSENT, "Stopped", False),
        ("Always", "Scheduling", D.ABSENT, "Starting", False),
        ("Always", "Running", D.RUNNING, "Running", True),
        ("Always", "Running", D.PAUSED, "Paused", False),
        ("Manual", "Running", D.SHUTOFF_GUEST, "Stopped", False),
        ("Manual", "Running", D.SHUTOFF_FAILED, "Stopped", False),
    ],
)
def test_printable_status(rs: str, the_vmi: str | None, domain: DomainState, printable: str, ready: bool) -> None:
    obs = Observed(domain, starting=the_vmi == "Scheduling")
    plan = rc.plan(vm(rs), vmi(the_vmi, was_running=False) if the_vmi else None, obs, NOW)
    assert plan.vm_status["printableStatus"] == printable
    assert plan.vm_status["ready"] is ready
    assert plan.vm_status["created"] is (the_vmi is not None)


def test_vm_conditions_mirror_the_vmi() -> None:
    plan = rc.plan(vm("Always"), vmi("Running"), Observed(D.PAUSED), NOW)
    conds = {c["type"]: c for c in plan.vm_status["conditions"]}
    assert conds["Ready"]["status"] == "False"
    assert conds["Paused"]["reason"] == "PausedByUser"
    gone = rc.plan(vm("Halted"), None, Observed(), NOW)
    assert [(c["type"], c["status"], c["reason"], c["message"]) for c in gone.vm_status["conditions"]] == [
        ("Ready", "False", "VMINotExists", "VMI does not exist"),
    ]


def test_crash_loop_backoff_after_a_vmi_that_never_ran() -> None:
    failed = vmi("Failed", was_running=False)
    plan = rc.plan(vm("Always"), failed, Observed(D.ABSENT), NOW)
    assert plan.vm_status["startFailure"] == {
        "consecutiveFailCount": 1, "lastFailedVMIUID": "vmi-1", "retryAfterTimestamp": "2026-01-02T03:04:15Z",
    }
    assert plan.vm_status["printableStatus"] == "CrashLoopBackOff"
    # after the VMI is gone, the start waits for the backoff
    later = vm("Always", status=plan.vm_status)
    waiting = rc.plan(later, None, Observed(), NOW + timedelta(seconds=4))
    assert waiting.actions == []
    assert waiting.requeue_after == 6.0
    assert names(rc.plan(later, None, Observed(), NOW + timedelta(seconds=11))) == ["start_vmi"]
    # a second early failure: 10 s × 2²
    again = rc.plan(later, vmi("Failed", uid="vmi-2", was_running=False), Observed(), NOW)
    assert again.vm_status["startFailure"]["consecutiveFailCount"] == 2
    assert again.vm_status["startFailure"]["retryAfterTimestamp"] == "2026-01-02T03:04:45Z"
    assert [rc.backoff_seconds(n) for n in (1, 2, 3, 5, 6, 10)] == [10, 40, 90, 250, 300, 300]


def test_start_failure_cleared_once_running() -> None:
    the_vm = vm("Always", status={"startFailure": {"consecutiveFailCount": 3, "lastFailedVMIUID": "x"}})
    plan = rc.plan(the_vm, vmi("Running"), Observed(D.RUNNING), NOW)
    assert "startFailure" not in plan.vm_status


def test_state_change_requests_are_trimmed() -> None:
    # Stop for a VMI that is gone → trimmed; Start stays until a VMI exists
    plan = rc.plan(vm("Manual", [{"action": "Stop", "uid": "vmi-1"}, {"action": "Start"}]), None, Observed(), NOW)
    assert plan.vm_status["stateChangeRequests"] == [{"action": "Start"}]
    plan = rc.plan(vm("Manual", [{"action": "Start"}]), vmi("Running", uid="vmi-2"), Observed(D.RUNNING), NOW)
    assert "stateChangeRequests" not in plan.vm_status
    plan = rc.plan(vm("Manual", [{"action": "Start"}]), vmi("Failed", uid="vmi-2"), Observed(), NOW)
    assert plan.vm_status["stateChangeRequests"] == [{"action": "Start"}]


def test_status_run_strategy_recorded_once_created() -> None:
    assert "runStrategy" not in rc.plan(vm("Halted"), None, Observed(), NOW).vm_status
    assert rc.plan(vm("Always"), vmi("Running"), Observed(D.RUNNING), NOW).vm_status["runStrategy"] == "Always"


# --- where a VM is heading (apply --wait) ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "current", "expected"),
    [
        (vm("Always"), None, "Ready"),
        (vm("Always"), vmi("Failed"), "Ready"),  # it is restarted
        (vm("Always"), vmi("Running"), "Ready"),
        (vm("Halted"), None, "Stopped"),
        (vm("Halted"), vmi("Running"), "Stopped"),  # being stopped
        (vm("Halted", requests=[{"action": "Start"}]), None, "Ready"),
        (vm("RerunOnFailure"), None, "Ready"),  # just applied
        (vm("RerunOnFailure"), vmi("Failed"), "Ready"),  # restarted after a failure
        (vm("RerunOnFailure"), vmi("Succeeded"), "Stopped"),  # the guest powered off: stays off
        (vm("RerunOnFailure", status={"runStrategy": "RerunOnFailure"}), None, "Stopped"),  # stopped by request
        (vm("Once"), None, "Ready"),
        (vm("Once"), vmi("Succeeded"), "Stopped"),
        (vm("Once"), vmi("Failed"), "Stopped"),
        (vm("Manual"), None, "Stopped"),
        (vm("Manual"), vmi("Running"), "Ready"),
        (vm("Manual", requests=[{"action": "Stop", "uid": "vmi-1"}]), vmi("Running"), "Stopped"),
        (vm("Manual", requests=[{"action": "Start", "data": {"paused": "true"}}]), None, "Paused"),
        (vm(None, running=True), None, "Ready"),
    ],
)
def test_desired_state(body: dict, current: dict | None, expected: str) -> None:
    assert rc.desired_state(body, current) == expected


def test_desired_state_of_a_vm_that_starts_paused() -> None:
    body = vm("Always")
    body["spec"]["template"]["spec"]["startStrategy"] = "Paused"
    assert rc.desired_state(body, None) == "Paused"
