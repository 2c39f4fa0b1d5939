"""The local control plane's planner: pure functions, no I/O, the clock passed in.

Given a VM, its VMI and what libvirt reports about the domain, decide what to do next (start a VMI, stop it,
finish a stop, destroy after the grace period) and what the VM and VMI status should say — the rules of
KubeVirt's VM controller (``pkg/virt-controller/watch/vm/vm.go``: ``syncRunStrategy``, ``updateStatus``,
``setPrintableStatus``) and of the lifecycle subresources (``pkg/virt-api/rest/lifecycle.go``), with the
domain's real state standing in for virt-handler. One call plans one step; the executor applies it and
plans again until nothing is left to do.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

from vmctl.core.fields import clone, dig

Obj = dict[str, Any]

ALWAYS, HALTED, MANUAL, RERUN, ONCE = "Always", "Halted", "Manual", "RerunOnFailure", "Once"
RUN_STRATEGIES = (ALWAYS, HALTED, MANUAL, RERUN, ONCE)

PENDING, SCHEDULING, SCHEDULED, RUNNING, SUCCEEDED, FAILED = (
    "Pending", "Scheduling", "Scheduled", "Running", "Succeeded", "Failed",
)
FINAL_PHASES = (SUCCEEDED, FAILED)
DEFAULT_GRACE_SECONDS = 30  # KubeVirt DefaultGracePeriodSeconds
MAX_CRASHLOOP_DELAY = 300  # defaultMaxCrashLoopBackoffDelaySeconds

VM_NOT_RUNNING = "VM is not running"
VMI_NOT_RUNNING = "VMI is not running"
VMI_NOT_PAUSED = "VMI is not paused"
UNDERWAY = "unable to complete request: stop/start already underway"


class DomainState(StrEnum):
    """What libvirt says about the VMI's domain, reduced to what the planner needs."""

    ABSENT = "Absent"  # no domain of that name (or it belongs to someone else)
    DEFINED = "Defined"  # defined, not started yet
    RUNNING = "Running"  # running, blocked, in PM suspend
    PAUSED = "Paused"  # suspended by a user (or START_PAUSED)
    PAUSED_IOERROR = "PausedIOError"
    SHUTTING_DOWN = "ShuttingDown"  # guest is handling an ACPI shutdown
    SHUTOFF_GUEST = "ShutoffGuest"  # the guest powered off (VMI Succeeded)
    SHUTOFF_FAILED = "ShutoffFailed"  # destroyed behind our back, failed, crashed (VMI Failed)

    @property
    def active(self) -> bool:
        return self in (DomainState.RUNNING, DomainState.PAUSED, DomainState.PAUSED_IOERROR, DomainState.SHUTTING_DOWN)


@dataclass(frozen=True)
class Observed:
    """The observed world for one VM: the domain's state and whether a live vmctl process is starting it."""

    domain: DomainState = DomainState.ABSENT
    starting: bool = False


@dataclass(frozen=True)
class Action:
    """One step for the executor.

    ``start_vmi`` (paused), ``stop_vmi`` (grace: mark the VMI deleted, ACPI shutdown or destroy when 0),
    ``destroy_domain`` (grace period over), ``finalize_vmi`` (the domain is down: delete the VMI object,
    undefine the domain, remove its files), ``set_run_strategy`` (value), ``add_start_request`` (after the
    status is written), ``delete_vm`` (a VM marked for deletion has no VMI left).
    """

    name: str
    paused: bool = False
    grace: int | None = None
    value: str | None = None


@dataclass
class Plan:
    actions: list[Action] = field(default_factory=list)
    vm_status: Obj = field(default_factory=dict)
    vmi_status: Obj | None = None
    requeue_after: float | None = None  # seconds until something time-based is due (grace, backoff)


class LifecycleError(Exception):
    """A lifecycle request KubeVirt's API would refuse, with its HTTP-like status and message."""

    def __init__(self, code: int, resource: str, name: str, reason: str) -> None:
        self.code, self.resource, self.name, self.reason = code, resource, name, reason
        if code == 409:
            text = f'Operation cannot be fulfilled on {resource}.kubevirt.io "{name}": {reason}'
        elif code == 404:
            text = f'{resource}.kubevirt.io "{name}" not found'
        else:
            text = reason
        super().__init__(text)
        self.message = text


# --- helpers -------------------------------------------------------------------------------------------


def _ts(now: datetime) -> str:
    return now.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_ts(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    except ValueError:
        return None


def run_strategy(vm: Obj) -> str:
    """KubeVirt ``VirtualMachine.RunStrategy()``: spec.runStrategy, else spec.running, else Halted."""
    rs = dig(vm, "spec", "runStrategy")
    if isinstance(rs, str) and rs:
        return rs
    running = dig(vm, "spec", "running")
    if running is True:
        return ALWAYS
    return HALTED


def phase(vmi: Obj | None) -> str:
    return str(dig(vmi, "status", "phase", default="") or "")


def is_final(vmi: Obj | None) -> bool:
    return phase(vmi) in FINAL_PHASES


def uid(obj: Obj | None) -> str | None:
    return dig(obj, "metadata", "uid")


def marked_for_deletion(vmi: Obj | None) -> bool:
    return bool(dig(vmi, "metadata", "deletionTimestamp"))


def condition(obj: Obj | None, ctype: str) -> Obj | None:
    for cond in dig(obj, "status", "conditions", default=[]) or []:
        if isinstance(cond, dict) and cond.get("type") == ctype:
            return cond
    return None


def has_condition_true(obj: Obj | None, ctype: str) -> bool:
    cond = condition(obj, ctype)
    return cond is not None and cond.get("status") == "True"


def _requests(vm: Obj) -> list[Obj]:
    return list(dig(vm, "status", "stateChangeRequests", default=[]) or [])


def has_start_request(vm: Obj) -> bool:
    reqs = _requests(vm)
    return bool(reqs) and reqs[0].get("action") == "Start"


def has_start_paused_request(vm: Obj) -> bool:
    reqs = _requests(vm)
    return bool(reqs) and reqs[0].get("action") == "Start" and (reqs[0].get("data") or {}).get("paused") == "true"


def has_stop_request_for(vm: Obj, vmi: Obj | None) -> bool:
    reqs = _requests(vm)
    return bool(reqs) and vmi is not None and reqs[0].get("action") == "Stop" and reqs[0].get("uid") == uid(vmi)


def _set_condition(conds: list[Obj], new: Obj, now: datetime) -> None:
    """Add or replace a condition, keeping lastTransitionTime when the status did not change."""
    for i, cond in enumerate(conds):
        if cond.get("type") == new["type"]:
            if cond.get("status") == new["status"] and cond.get("lastTransitionTime"):
                new["lastTransitionTime"] = cond["lastTransitionTime"]
            conds[i] = new
            return
    conds.append(new)


def _cond(ctype: str, status: str, now: datetime, reason: str = "", message: str = "") -> Obj:
    out: Obj = {"type": ctype, "status": status, "lastProbeTime": None, "lastTransitionTime": _ts(now)}
    if reason:
        out["reason"] = reason
    if message:
        out["message"] = message
    return out


# --- the VMI: its phase and conditions from the domain ----------------------------------------------------


def observe_vmi(vmi: Obj, obs: Observed, now: datetime) -> Obj:
    """The VMI status that reflects the real domain state (phase, Ready and Paused conditions)."""
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
        # the domain vanished, or the process that was starting it died half way
        new = FAILED
    status["phase"] = new
    if new != old or not status.get("phaseTransitionTimestamps"):
        stamps = list(status.get("phaseTransitionTimestamps") or [])
        if not stamps or stamps[-1].get("phase") != new:
            stamps.append({"phase": new, "phaseTransitionTimestamp": _ts(now)})
        status["phaseTransitionTimestamps"] = stamps

    conds = [c for c in (status.get("conditions") or []) if isinstance(c, dict)]
    paused = new == RUNNING and dom in (DomainState.PAUSED, DomainState.PAUSED_IOERROR)
    if paused:
        if dom is DomainState.PAUSED_IOERROR:
            pc = _cond("Paused", "True", now, "PausedIOError", "VMI was paused, low-level IO error detected")
        else:
            pc = _cond("Paused", "True", now, "PausedByUser", "VMI was paused by user")
        _set_condition(conds, pc, now)
    else:
        conds = [c for c in conds if c.get("type") != "Paused"]
    if new == RUNNING and not paused:
        ready = _cond("Ready", "True", now)
    elif new == RUNNING:
        ready = _cond(
            "Ready", "False", now, "ReadinessGatesNotReady",
            'the status of pod readiness gate "kubevirt.io/virtual-machine-unpaused" is not "True", but False',
        )
    else:
        ready = _cond("Ready", "False", now, "GuestNotRunning", "Guest VM is not reported as running")
    _set_condition(conds, ready, now)
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
    retry = parse_ts(dig(vm, "status", "startFailure", "retryAfterTimestamp"))
    return max(0.0, (retry - now).total_seconds()) if retry else 0.0


def plan(vm: Obj, vmi: Obj | None, obs: Observed, now: datetime) -> Plan:
    """Plan one step for ``vm`` (with its VMI, or None) given the observed domain."""
    out = Plan()
    rs = run_strategy(vm)
    if vmi is not None:
        out.vmi_status = observe_vmi(vmi, obs, now)
        vmi = {**vmi, "status": out.vmi_status}

    # a VMI being deleted: finish when the domain is down, destroy it when the grace period is over
    if vmi is not None and marked_for_deletion(vmi):
        if not obs.domain.active:
            out.actions.append(Action("finalize_vmi"))
        else:
            deadline = parse_ts(dig(vmi, "metadata", "deletionTimestamp"))
            if deadline is None or now >= deadline:
                out.actions.append(Action("destroy_domain"))
            else:
                out.requeue_after = (deadline - now).total_seconds()
    elif dig(vm, "metadata", "deletionTimestamp"):
        out.actions.append(Action("stop_vmi", grace=_grace(vmi)) if vmi is not None else Action("delete_vm"))
    elif not obs.starting:
        _sync_run_strategy(vm, vmi, rs, obs, now, out)
    out.vm_status = vm_status(vm, vmi, obs, now, out)
    return out


def _grace(vmi: Obj | None) -> int:
    grace = dig(vmi, "spec", "terminationGracePeriodSeconds")
    return int(grace) if isinstance(grace, int) and grace >= 0 else DEFAULT_GRACE_SECONDS


def _start(vm: Obj, now: datetime, out: Plan) -> None:
    left = _backoff_left(vm, now)
    if left > 0:
        out.requeue_after = left
        return
    out.actions.append(Action("start_vmi", paused=has_start_paused_request(vm)))


def _sync_run_strategy(vm: Obj, vmi: Obj | None, rs: str, obs: Observed, now: datetime, out: Plan) -> None:
    stop = Action("stop_vmi", grace=_grace(vmi))
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
                    out.actions.append(Action("add_start_request"))
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
                out.actions.append(Action("set_run_strategy", value=ALWAYS))
            return
        out.actions.append(stop)
    elif rs == ONCE and vmi is None:
        _start(vm, now, out)


def _trim_first_request(vm: Obj, vmi: Obj | None) -> bool:
    reqs = _requests(vm)
    if not reqs:
        return False
    first = reqs[0]
    if first.get("action") == "Stop":
        return vmi is None or not first.get("uid") or first.get("uid") != uid(vmi)
    if first.get("action") == "Start":
        return vmi is not None and not marked_for_deletion(vmi) and not is_final(vmi)
    return False


def vm_status(vm: Obj, vmi: Obj | None, obs: Observed, now: datetime, step: Plan | None = None) -> Obj:
    """The VM status KubeVirt's ``updateStatus`` would write for this state."""
    status = clone(vm.get("status") or {})
    rs = run_strategy(vm)
    status["created"] = vmi is not None
    status["ready"] = vmi is not None and has_condition_true(vmi, "Ready")
    if status.get("runStrategy") or status["created"]:
        status["runStrategy"] = rs
    if _trim_first_request(vm, vmi):
        reqs = _requests(vm)[1:]
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
                "retryAfterTimestamp": _ts(now + timedelta(seconds=backoff_seconds(count))),
            }

    # conditions: Ready (always), then the VMI's other conditions copied over
    conds = [c for c in (status.get("conditions") or []) if isinstance(c, dict)]
    vmi_ready = condition(vmi, "Ready")
    if vmi is None:
        ready = _cond("Ready", "False", now, "VMINotExists", "VMI does not exist")
    elif vmi_ready is None:
        ready = _cond("Ready", "False", now, "VMIConditionMissing", "VMI is missing the Ready condition")
    else:
        ready = clone(vmi_ready)
    _set_condition(conds, ready, now)
    ignore = {"Ready", "Failure", "RestartRequired"}
    if vmi is not None:
        seen = set()
        for cond in dig(vmi, "status", "conditions", default=[]) or []:
            if cond.get("type") in ignore:
                continue
            seen.add(cond.get("type"))
            _set_condition(conds, clone(cond), now)
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


# --- lifecycle requests (virt-api's subresources) ----------------------------------------------------------


@dataclass
class Request:
    """What a lifecycle verb changes: a new runStrategy and/or a new stateChangeRequests list."""

    run_strategy: str | None = None
    state_change_requests: list[Obj] | None = None
    vmi_grace: int | None = None  # patch the VMI's terminationGracePeriodSeconds first


def _change_requests(vm: Obj, *changes: Obj) -> list[Obj]:
    """``getChangeRequestJson``: queue the changes, or fail when a request is already underway."""
    current = _requests(vm)
    if not current:
        return list(changes)
    if len(changes) == 1 and changes[0]["action"] == "Stop":
        return list(changes)
    raise LifecycleError(409, "virtualmachine", dig(vm, "metadata", "name"), UNDERWAY)


def _running_vmi(vmi: Obj | None) -> bool:
    return vmi is not None and not is_final(vmi) and phase(vmi) not in ("", "Unknown")


def request_start(vm: Obj, vmi: Obj | None, *, paused: bool = False) -> Request:
    name = dig(vm, "metadata", "name")
    if _running_vmi(vmi):
        raise LifecycleError(409, "virtualmachine", name, "VM is already running")
    rs = run_strategy(vm)
    data = {"paused": "true"} if paused else None
    start: Obj = {"action": "Start", **({"data": data} if data else {})}
    if rs == HALTED:
        if paused and dig(vm, "spec", "template", "spec", "startStrategy") != "Paused":
            return Request(state_change_requests=_change_requests(vm, start))
        return Request(run_strategy=ALWAYS)
    if rs in (RERUN, MANUAL):
        restart = (rs == RERUN and phase(vmi) == SUCCEEDED) or (rs == MANUAL and is_final(vmi))
        if rs == RERUN and phase(vmi) == FAILED:
            raise LifecycleError(409, "virtualmachine", name, "RerunOnFailure does not support starting VM from failed state")
        if restart and vmi is not None:
            return Request(state_change_requests=_change_requests(vm, {"action": "Stop", "uid": uid(vmi)}, start))
        return Request(state_change_requests=_change_requests(vm, start))
    if rs in (ALWAYS, ONCE):
        raise LifecycleError(409, "virtualmachine", name, f"{rs} does not support manual start requests")
    return Request()


def request_stop(vm: Obj, vmi: Obj | None, *, grace_period: int | None = None) -> Request:
    name = dig(vm, "metadata", "name")
    rs = run_strategy(vm)
    has_vmi = vmi is not None
    req = Request()
    old_grace = _grace(vmi)
    if has_vmi and not is_final(vmi) and grace_period is not None:
        req.vmi_grace = grace_period
    if rs == HALTED:
        if not has_vmi or is_final(vmi):
            raise LifecycleError(409, "virtualmachine", name, VM_NOT_RUNNING)
        explicit = dig(vmi, "spec", "terminationGracePeriodSeconds") is not None
        if grace_period is None or (explicit and grace_period >= old_grace):
            raise LifecycleError(
                409, "virtualmachine", name, "Halted only supports manual stop requests with a shorter graceperiod"
            )
        req.state_change_requests = _change_requests(vm, {"action": "Stop", "uid": uid(vmi)})
    elif rs in (RERUN, MANUAL):
        if not has_vmi or is_final(vmi):
            raise LifecycleError(409, "virtualmachine", name, VM_NOT_RUNNING)
        req.state_change_requests = _change_requests(vm, {"action": "Stop", "uid": uid(vmi)})
    elif rs in (ALWAYS, ONCE):
        req.run_strategy = HALTED
    return req


def request_restart(vm: Obj, vmi: Obj | None, *, grace_period: int | None = None) -> Request:
    name = dig(vm, "metadata", "name")
    if grace_period is not None and grace_period > 0:
        raise LifecycleError(400, "virtualmachine", name, "For force restart, only gracePeriod=0 is supported for now")
    if grace_period is not None and grace_period < 0:
        raise LifecycleError(400, "virtualmachine", name, "gracePeriod has to be greater or equal to 0")
    rs = run_strategy(vm)
    if rs in (HALTED, ONCE):
        raise LifecycleError(409, "virtualmachine", name, f"RunStategy {rs} does not support manual restart requests")
    if vmi is None:
        raise LifecycleError(409, "virtualmachine", name, f"VM is not running: {HALTED}")
    req = Request(state_change_requests=_change_requests(vm, {"action": "Stop", "uid": uid(vmi)}, {"action": "Start"}))
    if grace_period == 0:
        req.vmi_grace = 1
    return req


def check_pause(vmi: Obj) -> None:
    name = dig(vmi, "metadata", "name")
    if phase(vmi) != RUNNING:
        raise LifecycleError(409, "virtualmachineinstance", name, VM_NOT_RUNNING)
    probe = dig(vmi, "spec", "livenessProbe")
    if isinstance(probe, dict) and "guestAgentPing" not in probe:
        raise LifecycleError(
            403, "virtualmachineinstance", name, "Pausing VMIs with a non-GuestAgentPing LivenessProbe is not supported"
        )
    if condition(vmi, "Paused") is not None:
        raise LifecycleError(409, "virtualmachineinstance", name, "VMI is already paused")


def check_unpause(vmi: Obj) -> None:
    name = dig(vmi, "metadata", "name")
    if phase(vmi) != RUNNING:
        raise LifecycleError(409, "virtualmachineinstance", name, VMI_NOT_RUNNING)
    if condition(vmi, "Paused") is None:
        raise LifecycleError(409, "virtualmachineinstance", name, VMI_NOT_PAUSED)


def check_soft_reboot(vmi: Obj) -> None:
    name = dig(vmi, "metadata", "name")
    if phase(vmi) != RUNNING:
        raise LifecycleError(409, "virtualmachineinstance", name, VM_NOT_RUNNING)
    if has_condition_true(vmi, "Paused"):
        raise LifecycleError(409, "virtualmachineinstance", name, "VMI is paused")
    if condition(vmi, "AgentConnected") is None and dig(vmi, "spec", "domain", "features", "acpi", "enabled") is False:
        raise LifecycleError(
            409, "virtualmachineinstance", name, "VMI neither have the agent connected nor the ACPI feature enabled"
        )


def check_reset(vmi: Obj) -> None:
    if phase(vmi) not in (RUNNING, SCHEDULED):
        p = phase(vmi)
        raise LifecycleError(
            400, "virtualmachineinstance", dig(vmi, "metadata", "name"),
            f"Failed to reset non-running VMI with phase {p}: Unable to connect to VirtualMachineInstance "
            f"because phase is {p} instead of {RUNNING} or {SCHEDULED}",
        )


def apply_request(vm: Obj, req: Request) -> Obj:
    """The VM after a lifecycle request (spec.runStrategy / spec.running and status.stateChangeRequests)."""
    vm = clone(vm)
    if req.run_strategy is not None:
        spec = vm.setdefault("spec", {})
        if "runStrategy" in spec or "running" not in spec:
            spec["runStrategy"] = req.run_strategy
        else:
            spec["running"] = req.run_strategy == ALWAYS
    if req.state_change_requests is not None:
        status = vm.setdefault("status", {})
        status["stateChangeRequests"] = req.state_change_requests
        status.pop("startFailure", None)
    return vm
