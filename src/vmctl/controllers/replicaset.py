"""The VirtualMachineInstanceReplicaSet planner: KubeVirt's replica set controller
(``pkg/virt-controller/watch/replicaset/replicaset.go``, ``pkg/controller/controller_ref_manager.go``) as a
pure function from the replica set and the VMIs of its namespace to typed actions and the status to write.

One call plans one sync pass: claim VMIs (adopt matching orphans, release owned ones that stopped matching) →
(unless paused or deleting) scale to ``replicas`` (scale-in takes VMIs from the front of the list; at most
``burst_replicas`` per pass), then delete finished VMIs → status. The random name suffixes come from the
``rng`` passed in.
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from vmctl.controllers.objects import controlled_by, controller_of, labels
from vmctl.controllers.pool import BURST_REPLICAS
from vmctl.controllers.status import (
    condition,
    has_condition_true,
    is_final,
    marked_for_deletion,
    new_condition,
)
from vmctl.core import replicasets
from vmctl.core.pools import name_of
from vmctl.core.selectors import SelectorError, compile_selector, selector_string

Obj = dict[str, Any]

PAUSED_REASON, PAUSED_MESSAGE = "Paused", "Controller got paused"
POD_TERMINATING_REASON = "PodTerminating"


@dataclass(frozen=True)
class CreateVMI:
    """Create a member VMI (its name already generated from ``metadata.generateName``)."""

    vmi: Obj


@dataclass(frozen=True)
class DeleteVMI:
    """Delete a member VMI: one too many (scale-in), or ``finished`` (Succeeded, Failed or its pod
    terminating)."""

    name: str
    finished: bool = False


@dataclass(frozen=True)
class AdoptVMI:
    """An orphan VMI the selector matches: make the replica set its controller owner."""

    name: str


@dataclass(frozen=True)
class ReleaseVMI:
    """An owned VMI the selector no longer matches: drop its ownerReferences."""

    name: str


ReplicaSetAction = CreateVMI | DeleteVMI | AdoptVMI | ReleaseVMI


@dataclass
class ReplicaSetPlan:
    actions: list[ReplicaSetAction] = field(default_factory=list)
    status: Obj = field(default_factory=dict)
    requeue_after: float | None = None
    #: why nothing was planned (KubeVirt logs it and does not requeue)
    problem: str | None = None
    #: ``len(active) - replicas`` before scaling (its sign names a failure: FailedCreate or FailedDelete)
    diff: int = 0

    def status_after_failure(self, error: str, now: datetime) -> Obj:
        """``status`` as KubeVirt writes it when creating or deleting failed with ``error`` (``checkFailure``:
        an existing ReplicaFailure condition is kept)."""
        status = dict(self.status)
        conds = list(status.get("conditions") or [])
        if not any(c.get("type") == "ReplicaFailure" for c in conds):
            reason = "FailedCreate" if self.diff < 0 else "FailedDelete"
            conds.append(new_condition("ReplicaFailure", "True", now, reason, error))
        status["conditions"] = conds
        return status


def _terminating(vmi: Obj) -> bool:
    """Ready=False with reason PodTerminating: KubeVirt counts the VMI as neither active nor
    finished-final."""
    cond = condition(vmi, "Ready")
    return cond is not None and cond.get("status") == "False" and cond.get("reason") == POD_TERMINATING_REASON


def plan_replicaset(
    rs: Obj,
    vmis: Iterable[Obj],
    now: datetime,
    rng: random.Random,
    *,
    burst_replicas: int = BURST_REPLICAS,
) -> ReplicaSetPlan:
    """One sync pass of KubeVirt's replica set controller over ``vmis`` (the VMIs of its namespace, in list
    order: scale-in deletes from the front)."""
    plan = ReplicaSetPlan()
    spec = rs.get("spec") if isinstance(rs.get("spec"), dict) else {}
    old_status = rs.get("status") if isinstance(rs.get("status"), dict) else {}
    template = spec.get("template")
    template_labels = (
        ((template or {}).get("metadata") or {}).get("labels") if isinstance(template, dict) else None
    )
    if not isinstance(template, dict) or spec.get("selector") is None or not template_labels:
        plan.status, plan.problem = dict(old_status), "invalid controller spec"
        return plan
    try:
        selector = compile_selector(spec["selector"])
    except SelectorError as exc:
        plan.status, plan.problem = dict(old_status), f"invalid selector on replicaset: {exc.message}"
        return plan
    if not selector(template_labels):
        plan.status, plan.problem = dict(old_status), "selector does not match template labels"
        return plan

    uid = str((rs.get("metadata") or {}).get("uid") or "")
    rs_deleting = marked_for_deletion(rs)
    all_vmis = list(vmis)
    claimed = []
    for vmi in all_vmis:  # ClaimVirtualMachineInstances
        matched = selector(labels(vmi))
        if controlled_by(vmi, uid):
            if matched:
                claimed.append(vmi)
            elif not rs_deleting:
                plan.actions.append(ReleaseVMI(name_of(vmi)))
        elif matched and controller_of(vmi) is None and not rs_deleting and not marked_for_deletion(vmi):
            plan.actions.append(AdoptVMI(name_of(vmi)))
            claimed.append(vmi)

    active = [v for v in claimed if not is_final(v) and not marked_for_deletion(v) and not _terminating(v)]
    finished = [v for v in claimed if not marked_for_deletion(v) and (is_final(v) or _terminating(v))]
    plan.diff = len(active) - replicasets.replicas(rs)
    if spec.get("paused") is not True and not rs_deleting:
        count = min(abs(plan.diff), burst_replicas)
        if plan.diff > 0:
            plan.actions.extend(DeleteVMI(name_of(v)) for v in active[:count])
        elif plan.diff < 0:
            taken = {name_of(v) for v in all_vmis}
            base = replicasets.base_name(rs)
            for _ in range(count):
                name = replicasets.generate_name(base, rng, taken)
                taken.add(name)
                plan.actions.append(CreateVMI(replicasets.member_vmi(rs, name)))
        plan.actions.extend(
            DeleteVMI(name_of(v), finished=True) for v in finished[: min(len(finished), burst_replicas)]
        )
    plan.status = _status(rs, old_status, spec, active, now)
    return plan


def _status(rs: Obj, old: Obj, spec: Obj, active: list[Obj], now: datetime) -> Obj:
    """``updateStatus``: counts, label selector, the Paused condition; a successful pass drops
    ReplicaFailure."""
    status = dict(old)
    status["labelSelector"] = selector_string(spec.get("selector"))
    status["replicas"] = len(active)
    status["readyReplicas"] = sum(1 for v in active if has_condition_true(v, "Ready"))
    conds = [
        c for c in old.get("conditions") or [] if isinstance(c, dict) and c.get("type") != "ReplicaFailure"
    ]
    has_paused = any(c.get("type") == "ReplicaPaused" for c in conds)
    if spec.get("paused") is True and not has_paused:
        conds.append(new_condition("ReplicaPaused", "True", now, PAUSED_REASON, PAUSED_MESSAGE))
    elif spec.get("paused") is not True and has_paused:
        conds = [c for c in conds if c.get("type") != "ReplicaPaused"]
    if conds:
        status["conditions"] = conds
    else:
        status.pop("conditions", None)
    return status
