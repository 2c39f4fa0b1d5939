"""KubeVirt's VM controller as a pure planner: ``(VM, its VMI, observed domain, now) → typed actions + status``.

The rules of ``pkg/virt-controller/watch/vm/vm.go`` (``syncRunStrategy``, ``updateStatus``,
``setPrintableStatus``), with the observed state of the VMI's guest standing in for virt-handler. One call plans
one step; an executor carries the actions out and plans again until nothing is left to do. No I/O, no clock:
``now`` is passed in.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from vmctl.controllers.status import (
    FAILED,
    FINAL_PHASES,
    PENDING,
    RUNNING,
    SCHEDULED,
    SCHEDULING,
    SUCCEEDED,
    condition,
    grace_seconds,
    has_condition_true,
    has_start_paused_request,
    has_start_request,
    has_stop_request_for,
    is_final,
    marked_for_deletion,
    new_condition,
    parse_timestamp,
    phase,
    set_condition,
    state_change_requests,
    timestamp,
    uid,
)
from vmctl.core.fields import clone, dig
from vmctl.core.runstrategy import ALWAYS, HALTED, MANUAL, ONCE, RERUN, run_strategy

Obj = dict[str, Any]

MAX_CRASHLOOP_DELAY = 300  # defaultMaxCrashLoopBackoffDelaySeconds


class DomainState(StrEnum):
    """What the host says about the VMI's guest, reduced to what the planner needs."""

    ABSENT = "Absent"  # no guest of that name (or it belongs to someone else)
    DEFINED = "Defined"  # defined, not started yet
    RUNNING = "Running"  # running, blocked, in PM suspend
    PAUSED = "Paused"  # suspended by a user (or started paused)
    PAUSED_IOERROR = "PausedIOError"
    SHUTTING_DOWN = "ShuttingDown"  # the guest is handling an ACPI shutdown
    SHUTOFF_GUEST = "ShutoffGuest"  # the guest powered off (VMI Succeeded)
    SHUTOFF_FAILED = "ShutoffFailed"  # destroyed behind our back, failed, crashed (VMI Failed)

    @property
    def active(self) -> bool:
        return self in (DomainState.RUNNING, DomainState.PAUSED, DomainState.PAUSED_IOERROR, DomainState.SHUTTING_DOWN)


@dataclass(frozen=True)
class Observed:
    """The observed world for one VM: its guest's state and whether a live process is starting it."""

    domain: DomainState = DomainState.ABSENT
    starting: bool = False


# --- actions: one type per step an executor can take ---------------------------------------------------


@dataclass(frozen=True)
class StartVMI:
    """Create the VM's VMI and boot it (``paused``: start it paused)."""

    paused: bool = False


@dataclass(frozen=True)
class StopVMI:
    """Mark the VMI deleted with a deadline ``grace`` seconds away and ask the guest to power off (0: at once)."""

    grace: int


@dataclass(frozen=True)
class DestroyDomain:
    """The grace period is over: power the guest off hard."""


@dataclass(frozen=True)
class FinalizeVMI:
    """The guest is down: remove it and its files and delete the VMI object."""


@dataclass(frozen=True)
class SetRunStrategy:
    """Change the VM's runStrategy (a start request on a Halted VM)."""

    value: str


@dataclass(frozen=True)
class AddStartRequest:
    """Queue a Start state-change request (RerunOnFailure after a failure), once the status is written."""


@dataclass(frozen=True)
class DeleteVM:
    """A VM marked for deletion has no VMI left: delete it."""


VMAction = StartVMI | StopVMI | DestroyDomain | FinalizeVMI | SetRunStrategy | AddStartRequest | DeleteVM


@dataclass
class Plan:
    actions: list[VMAction] = field(default_factory=list)
    vm_status: Obj = field(default_factory=dict)
    vmi_status: Obj | None = None
    requeue_after: float | None = None  # seconds until something time-based is due (grace, backoff)


# --- the VMI: its phase and conditions from the guest -----------------------------------------------------


def observe_vmi(vmi: Obj, obs: Observed, now: datetime) -> Obj:
    """The VMI status that reflects the guest's real state (phase, Ready and Paused conditions)."""
    status = clone(vmi.get("status") or {})
    old = status.get("phase") or PENDING
    new = old
    dom = obs.domain
    if old in FINAL_PHASES:
        new = old
    elif dom.active:
        new = RUNNING
    elif dom is DomainState.SHUTOFF_GUEST:
        new = SUCCEEDED
    elif dom is DomainState.SHUTOFF_FAILED:
        new = FAILED
    elif obs.starting:
        new = old
    elif old == RUNNING or (old in (PENDING, SCHEDULING, SCHEDULED) and dom in (DomainState.ABSENT, DomainState.DEFINED)):
        # the guest vanished, or the process that was starting it died half way
        new = FAILED
    status["phase"] = new
    if new != old or not status.get("phaseTransitionTimestamps"):
        stamps = list(status.get("phaseTransitionTimestamps") or [])
        if not stamps or stamps[-1].get("phase") != new:
            stamps.append({"phase": new, "phaseTransitionTimestamp": timestamp(now)})
        status["phaseTransitionTimestamps"] = stamps

    conds = [c for c in (status.get("conditions") or []) if isinstance(c, dict)]
    paused = new == RUNNING and dom in (DomainState.PAUSED, DomainState.PAUSED_IOERROR)
    if paused:
        if dom is DomainState.PAUSED_IOERROR:
            pc = new_condition("Paused", "True", now, "PausedIOError", "VMI was paused, low-level IO error detected")
        else:
            pc = new_condition("Paused", "True", now, "PausedByUser", "VMI was paused by user")
        set_condition(conds, pc)
    else:
        conds = [c for c in conds if c.get("type") != "Paused"]
    if new == RUNNING and not paused:
        ready = new_condition("Ready", "True", now)
    elif new == RUNNING:
        ready = new_condition(
            "Ready", "False", now, "ReadinessGatesNotReady",
            'the status of pod readiness gate "kubevirt.io/virtual-machine-unpaused" is not "True", but False',
        )
    else:
        ready = new_condition("Ready", "False", now, "GuestNotRunning", "Guest VM is not reported as running")
    set_condition(conds, ready)
    conds.sort(key=lambda c: {"Ready": 0, "Paused": 1}.get(str(c.get("type")), 2))
    status["conditions"] = conds
    return status


def was_running(vmi: Obj | None) -> bool:
    return any(s.get("phase") == RUNNING for s in dig(vmi, "status", "phaseTransitionTimestamps", default=[]) or [])


# --- the VM: one planning step ------------------------------------------------------------------------------


def backoff_seconds(fail_count: int) -> int:
    """KubeVirt's crash-loop delay without its random jitter: 10 s × failures², at most 300 s."""
    interval = max(10, MAX_CRASHLOOP_DELAY // 30)
    return min(interval * max(fail_count, 1) ** 2, MAX_CRASHLOOP_DELAY)


def _backoff_left(vm: Obj, now: datetime) -> float:
    retry = parse_timestamp(dig(vm, "status", "startFailure", "retryAfterTimestamp"))
    return max(0.0, (retry - now).total_seconds()) if retry else 0.0


def plan(vm: Obj, vmi: Obj | None, obs: Observed, now: datetime) -> Plan:
    """Plan one step for ``vm`` (with its VMI, or None) given the observed guest."""
    out = Plan()
    rs = run_strategy(vm)
    if vmi is not None:
        out.vmi_status = observe_vmi(vmi, obs, now)
        vmi = {**vmi, "status": out.vmi_status}

    # a VMI being deleted: finish when the guest is down, destroy it when the grace period is over
    if vmi is not None and marked_for_deletion(vmi):
        if not obs.domain.active:
            out.actions.append(FinalizeVMI())
        else:
            deadline = parse_timestamp(dig(vmi, "metadata", "deletionTimestamp"))
            if deadline is None or now >= deadline:
                out.actions.append(DestroyDomain())
            else:
                out.requeue_after = (deadline - now).total_seconds()
    elif dig(vm, "metadata", "deletionTimestamp"):
        out.actions.append(StopVMI(grace_seconds(vmi)) if vmi is not None else DeleteVM())
    elif not obs.starting:
        _sync_run_strategy(vm, vmi, rs, now, out)
    out.vm_status = vm_status(vm, vmi, obs, now)
    return out


def _start(vm: Obj, now: datetime, out: Plan) -> None:
    left = _backoff_left(vm, now)
    if left > 0:
        out.requeue_after = left
        return
    out.actions.append(StartVMI(paused=has_start_paused_request(vm)))


def _sync_run_strategy(vm: Obj, vmi: Obj | None, rs: str, now: datetime, out: Plan) -> None:
    stop = StopVMI(grace_seconds(vmi))
    if rs == ALWAYS:
        if vmi is not None:
            if has_stop_request_for(vm, vmi) or is_final(vmi):
                out.actions.append(stop)
            return
        _start(vm, now, out)
    elif rs == RERUN:
        if vmi is not None:
            failed = phase(vmi) == FAILED
            if has_stop_request_for(vm, vmi) or failed or phase(vmi) == SUCCEEDED:
                out.actions.append(stop)
                if failed:
                    out.actions.append(AddStartRequest())
            return
        if has_start_request(vm) or dig(vm, "status", "runStrategy") != rs:
            _start(vm, now, out)
    elif rs == MANUAL:
        if vmi is not None:
            if has_stop_request_for(vm, vmi):
                out.actions.append(stop)
        elif has_start_request(vm):
            _start(vm, now, out)
    elif rs == HALTED:
        if vmi is None:
            if has_start_request(vm):
                out.actions.append(SetRunStrategy(ALWAYS))
            return
        out.actions.append(stop)
    elif rs == ONCE and vmi is None:
        _start(vm, now, out)


def _trim_first_request(vm: Obj, vmi: Obj | None) -> bool:
    reqs = state_change_requests(vm)
    if not reqs:
        return False
    first = reqs[0]
    if first.get("action") == "Stop":
        return vmi is None or not first.get("uid") or first.get("uid") != uid(vmi)
    if first.get("action") == "Start":
        return vmi is not None and not marked_for_deletion(vmi) and not is_final(vmi)
    return False


def vm_status(vm: Obj, vmi: Obj | None, obs: Observed, now: datetime) -> Obj:
    """The VM status KubeVirt's ``updateStatus`` would write for this state."""
    status = clone(vm.get("status") or {})
    rs = run_strategy(vm)
    status["created"] = vmi is not None
    status["ready"] = vmi is not None and has_condition_true(vmi, "Ready")
    if status.get("runStrategy") or status["created"]:
        status["runStrategy"] = rs
    if _trim_first_request(vm, vmi):
        reqs = state_change_requests(vm)[1:]
        if reqs:
            status["stateChangeRequests"] = reqs
        else:
            status.pop("stateChangeRequests", None)

    # start failures (crash-loop backoff)
    if was_running(vmi) or rs not in (ALWAYS, RERUN, ONCE):
        status.pop("startFailure", None)
    elif vmi is not None and is_final(vmi):
        failure = status.get("startFailure") or {}
        if failure.get("lastFailedVMIUID") != uid(vmi):
            count = int(failure.get("consecutiveFailCount", 0)) + 1
            status["startFailure"] = {
                "consecutiveFailCount": count,
                "lastFailedVMIUID": uid(vmi),
                "retryAfterTimestamp": timestamp(now + timedelta(seconds=backoff_seconds(count))),
            }

    # conditions: Ready (always), then the VMI's other conditions copied over
    conds = [c for c in (status.get("conditions") or []) if isinstance(c, dict)]
    vmi_ready = condition(vmi, "Ready")
    if vmi is None:
        ready = new_condition("Ready", "False", now, "VMINotExists", "VMI does not exist")
    elif vmi_ready is None:
        ready = new_condition("Ready", "False", now, "VMIConditionMissing", "VMI is missing the Ready condition")
    else:
        ready = clone(vmi_ready)
    set_condition(conds, ready)
    ignore = {"Ready", "Failure", "RestartRequired"}
    if vmi is not None:
        seen = set()
        for cond in dig(vmi, "status", "conditions", default=[]) or []:
            if cond.get("type") in ignore:
                continue
            seen.add(cond.get("type"))
            set_condition(conds, clone(cond))
        conds = [c for c in conds if c.get("type") in ignore or c.get("type") in seen]
    status["conditions"] = conds
    status["printableStatus"] = printable_status(vm, vmi, obs, status)
    return status


def printable_status(vm: Obj, vmi: Obj | None, obs: Observed, status: Obj | None = None) -> str:
    """``status.printableStatus`` in KubeVirt's order of precedence (first match wins)."""
    status = status if status is not None else (vm.get("status") or {})
    start_expected = obs.starting and (vmi is None or phase(vmi) not in (RUNNING, *FINAL_PHASES))
    if dig(vm, "metadata", "deletionTimestamp"):
        return "Terminating"
    if vmi is not None and not is_final(vmi) and marked_for_deletion(vmi):
        return "Stopping"
    paused = has_condition_true(vmi, "Paused")
    if vmi is not None and phase(vmi) == RUNNING and paused:
        return "Paused"
    if vmi is not None and phase(vmi) == RUNNING:
        return "Running"
    if vmi is None and start_expected:
        return "Starting"
    if vmi is not None and phase(vmi) in ("", PENDING, SCHEDULING, SCHEDULED):
        return "Starting"
    if (vmi is None or is_final(vmi)) and not start_expected:
        failure = status.get("startFailure") or {}
        if int(failure.get("consecutiveFailCount", 0)) > 0 and run_strategy(vm) in (ALWAYS, RERUN, ONCE):
            return "CrashLoopBackOff"
    if vmi is not None:
        if is_final(vmi):
            return "Stopped"
    elif not start_expected:
        return "Stopped"
    return "Unknown"


def desired_state(vm: Obj, vmi: Obj | None) -> str:
    """Where a VM is heading now (what ``apply --wait`` waits for): "Ready", "Paused" or "Stopped".

    Always runs; RerunOnFailure runs until its guest powers off on its own (or a stop request removed the VMI);
    Once runs until its VMI ends; Manual runs while it has a live VMI or a start request; Halted is stopped
    (unless a start request is queued). A VM whose VMI starts paused heads for "Paused"."""
    rs = run_strategy(vm)
    paused = dig(vm, "spec", "template", "spec", "startStrategy") == "Paused" or has_start_paused_request(vm)
    running = "Paused" if paused else "Ready"
    live = vmi is not None and not is_final(vmi) and not marked_for_deletion(vmi)
    if rs == ALWAYS:
        return running
    if rs == RERUN:
        stopped = phase(vmi) == SUCCEEDED or (
            vmi is None and not has_start_request(vm) and dig(vm, "status", "runStrategy") == RERUN
        )
        return "Stopped" if stopped else running
    if rs == ONCE:
        return "Stopped" if is_final(vmi) else running
    if rs == MANUAL:
        return running if (live and not has_stop_request_for(vm, vmi)) or has_start_request(vm) else "Stopped"
    return running if has_start_request(vm) else "Stopped"  # Halted


def holds(condition_name: str, kind: str, vm: Obj | None, vmi: Obj | None) -> bool:
    """Whether a wait condition (Ready, Running, Unpaused, Paused, Stopped, Deleted) holds for a VM or VMI."""
    cond = condition_name.lower()
    if cond == "deleted":
        return (vm if kind == "VirtualMachine" else vmi) is None
    if cond == "ready":
        return vmi is not None and has_condition_true(vmi, "Ready")
    if cond == "paused":
        return vmi is not None and phase(vmi) == RUNNING and has_condition_true(vmi, "Paused")
    if cond in ("running", "unpaused"):
        return vmi is not None and phase(vmi) == RUNNING and not has_condition_true(vmi, "Paused")
    if cond == "stopped":
        if kind == "VirtualMachine" and vm is not None:
            return dig(vm, "status", "printableStatus") in ("Stopped", "CrashLoopBackOff") and (
                vmi is None or is_final(vmi)
            )
        return vmi is None or is_final(vmi)
    raise ValueError(f"unknown wait condition {condition_name!r}")
