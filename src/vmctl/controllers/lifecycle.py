"""virt-api's lifecycle subresources as pure rules (``pkg/virt-api/rest/lifecycle.go``).

Each ``request_*`` judges a start/stop/restart against the VM and its VMI and returns what to change (a new
runStrategy and/or state-change requests); each ``check_*`` judges a VMI verb (pause, unpause, soft-reboot,
reset). Refusals raise ``LifecycleError`` with KubeVirt's HTTP status and text.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from vmctl.controllers.status import (
    FAILED,
    RUNNING,
    SCHEDULED,
    SUCCEEDED,
    condition,
    grace_seconds,
    has_condition_true,
    is_final,
    phase,
    state_change_requests,
    uid,
)
from vmctl.core.fields import clone, dig
from vmctl.core.runstrategy import ALWAYS, HALTED, MANUAL, ONCE, RERUN, run_strategy, set_run_strategy

Obj = dict[str, Any]

VM_NOT_RUNNING = "VM is not running"
VMI_NOT_RUNNING = "VMI is not running"
VMI_NOT_PAUSED = "VMI is not paused"
UNDERWAY = "unable to complete request: stop/start already underway"


class LifecycleError(Exception):
    """A lifecycle request KubeVirt's API would refuse, with its HTTP status and message."""

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


@dataclass
class Request:
    """What a lifecycle verb changes: a new runStrategy and/or a new stateChangeRequests list."""

    run_strategy: str | None = None
    state_change_requests: list[Obj] | None = None
    vmi_grace: int | None = None  # patch the VMI's terminationGracePeriodSeconds first


def _change_requests(vm: Obj, *changes: Obj) -> list[Obj]:
    """``getChangeRequestJson``: queue the changes, or fail when a request is already underway."""
    current = state_change_requests(vm)
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
    old_grace = grace_seconds(vmi)
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
        set_run_strategy(vm, req.run_strategy)
    if req.state_change_requests is not None:
        status = vm.setdefault("status", {})
        status["stateChangeRequests"] = req.state_change_requests
        status.pop("startFailure", None)
    return vm
