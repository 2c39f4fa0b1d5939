"""The VirtualMachinePool planner: KubeVirt's pool controller (``pkg/virt-controller/watch/pool/pool.go``) as
a pure function from the pool, the VMs and VMIs of its namespace and its ControllerRevisions to typed actions
and the status to write. No I/O; the clock and the random source are passed in.

One call plans one sync pass, in KubeVirt's order: autohealing → release detached VMs → pool finalizer →
(unless paused or deleting) scale, then updates once scaling is stable, then revision pruning once both are
stable → status. Steps that KubeVirt guards with its create/delete expectations wait for the next pass here
too. The executor applies the actions in order and plans again (after ``requeue_after`` when it is set).

vmctl extension: a ``pool.vmctl.io/max-surge`` annotation turns a proactive rollout into surge-and-retire
(``_Pass.surge_rollout``); a cluster ignores the annotation.
"""

from __future__ import annotations

import gc
import json
import random
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from vmctl.controllers.objects import has_finalizer, labels, meta
from vmctl.controllers.status import (
    condition,
    has_condition_true,
    marked_for_deletion,
    new_condition,
    parse_timestamp,
)
from vmctl.core import pools
from vmctl.core.pools import FINALIZER, REVISION_LABEL, name_of, semantic
from vmctl.core.selectors import SelectorError, compile_node_requirements, compile_selector, selector_string

Obj = dict[str, Any]
Preservation = Literal["Offline", "Online"]

#: virt-controller's ``--burst-replicas`` default: at most this many creates or deletes per pass.
BURST_REPLICAS = 250
RETRY_DELAY = 3.0  # defaultRetryDelay: a proactive update waiting for maxUnavailable
DEFAULT_STARTUP_FAILURE_THRESHOLD = 3
DEFAULT_MIN_FAILING_TO_START = 300.0  # seconds
AUTOHEAL_STATUSES = frozenset(
    {
        "CrashLoopBackOff",
        "Unschedulable",
        "DataVolumeError",
        "PvcNotFound",
        "ErrImagePull",
        "ImagePullBackOff",
    }
)
PAUSED_REASON, PAUSED_MESSAGE = "SuccessfulPaused", "Pool controller is paused"


# --- actions ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CreateVM:
    """Create a member VM. ``reuse``: state kept by an earlier scale-in of this name (its disks for Offline,
    disks and memory for Online) is to be taken over."""

    vm: Obj
    reuse: Preservation | None = None


@dataclass(frozen=True)
class UpdateVM:
    """Replace a member VM with ``vm`` (labels, annotations and spec from the template; the running VMI is not
    touched)."""

    vm: Obj


@dataclass(frozen=True)
class DeleteVM:
    """Delete a member VM (it keeps the pool finalizer until a ``FinalizeVM``). ``preserve``: keep its disks
    (Offline) or its disks and memory (Online, a managed save) for a later scale-out. ``foreground``: its VMI
    and volumes go before it (an update that changed dataVolumeTemplates)."""

    name: str
    preserve: Preservation | None = None
    foreground: bool = False


@dataclass(frozen=True)
class FinalizeVM:
    """Remove the pool finalizer from a VM being deleted, so the deletion completes; ``preserve``: detach its
    disks first so they outlive it."""

    name: str
    preserve: Preservation | None = None


@dataclass(frozen=True)
class ReleaseVM:
    """A member whose labels no longer match the selector: drop its ownerReferences and the pool finalizer."""

    name: str


@dataclass(frozen=True)
class RestartVMI:
    """Delete the member's VMI; its VM controller starts a new one from the updated template."""

    name: str


@dataclass(frozen=True)
class RelabelVMI:
    """The VMI already runs what revision ``revision`` describes: only set its revision label."""

    name: str
    revision: str


@dataclass(frozen=True)
class CreateRevision:
    revision: Obj


@dataclass(frozen=True)
class DeleteRevision:
    name: str


@dataclass(frozen=True)
class AddPoolFinalizer:
    pass


@dataclass(frozen=True)
class RemovePoolFinalizer:
    pass


PoolAction = (
    CreateVM
    | UpdateVM
    | DeleteVM
    | FinalizeVM
    | ReleaseVM
    | RestartVMI
    | RelabelVMI
    | CreateRevision
    | DeleteRevision
    | AddPoolFinalizer
    | RemovePoolFinalizer
)


@dataclass(frozen=True)
class Failure:
    """A sync error: the ``ReplicaFailure`` condition's reason and message."""

    reason: str
    message: str


@dataclass
class PoolPlan:
    actions: list[PoolAction] = field(default_factory=list)
    status: Obj = field(default_factory=dict)
    requeue_after: float | None = None
    #: why nothing was planned (KubeVirt logs it and does not requeue), e.g. a selector that does not match
    problem: str | None = None
    #: the ReplicaFailure condition the pool had (KubeVirt keeps it as is while errors go on)
    previous_failure: Obj | None = None

    def failure_for(self, action: PoolAction, error: str) -> Failure | None:
        """KubeVirt's ReplicaFailure reason and message when applying ``action`` failed with ``error`` (None
        for the steps whose failure KubeVirt only retries)."""
        if isinstance(action, CreateVM) or (
            isinstance(action, CreateRevision) and any(isinstance(a, CreateVM) for a in self.actions)
        ):
            return Failure("FailedScaleOut", f"error during scale out: {error}")
        if isinstance(action, (CreateRevision, UpdateVM)):
            return Failure("FailedUpdate", f"error during VM update: {error}")
        if isinstance(action, (RestartVMI, RelabelVMI)) or (
            isinstance(action, DeleteVM) and action.foreground
        ):
            return Failure("FailedUpdate", f"error during VMI update: {error}")
        if isinstance(action, DeleteVM):
            return Failure("FailedScaleIn", f"error during scale in: {error}")
        if isinstance(action, FinalizeVM):
            proactive = any(isinstance(a, DeleteVM) and a.name == action.name for a in self.actions)
            prefix = "error during scale in" if proactive else "error during opportunistic scale in"
            return Failure("FailedScaleIn", f"{prefix}: {error}")
        if isinstance(action, DeleteRevision):
            return Failure("FailedRevisionPruning", f"error while pruning vmpool revisions: {error}")
        return None

    def status_after_failure(self, failure: Failure, now: datetime) -> Obj:
        """``status`` as KubeVirt writes it when a step failed: with a ReplicaFailure condition (an existing
        one is kept unchanged)."""
        status = dict(self.status)
        conds = [c for c in status.get("conditions") or [] if c.get("type") != "ReplicaFailure"]
        failed = new_condition("ReplicaFailure", "True", now, failure.reason, failure.message)
        conds.append(self.previous_failure or failed)
        status["conditions"] = conds
        return status


# --- reading objects ---------------------------------------------------------------------------------------


def vm_ready(vm: Obj) -> bool:
    """The VM's Ready condition is True (what ``readyReplicas`` counts)."""
    return has_condition_true(vm, "Ready")


def _template_labels(vm: Obj) -> Mapping[str, str]:
    value = (((vm.get("spec") or {}).get("template") or {}).get("metadata") or {}).get("labels")
    return value if isinstance(value, dict) else {}


def _node_selector(vm: Obj) -> Mapping[str, str]:
    value = ((((vm.get("spec") or {}).get("template") or {}).get("spec")) or {}).get("nodeSelector")
    return value if isinstance(value, dict) else {}


_DURATION_PART = re.compile(r"([0-9]*\.?[0-9]+)(ns|us|µs|ms|s|m|h)")
_UNIT_SECONDS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}


def parse_duration(text: Any) -> float | None:
    """Go ``time.ParseDuration`` (``5m``, ``1h30m``, ``90s``) in seconds, or None."""
    if not isinstance(text, str) or not text:
        return None
    sign, body = (-1.0, text[1:]) if text[0] == "-" else (1.0, text.lstrip("+"))
    if body == "0":
        return 0.0
    pos, total = 0, 0.0
    while pos < len(body):
        match = _DURATION_PART.match(body, pos)
        if not match:
            return None
        total += float(match.group(1)) * _UNIT_SECONDS[match.group(2)]
        pos = match.end()
    return sign * total if body else None


def _revision_spec(revision: Obj) -> Obj:
    data = revision.get("data")
    if isinstance(data, str):
        try:
            data = json.loads(data)
        except ValueError:
            data = None
    return data if isinstance(data, dict) else {}


# --- members ---------------------------------------------------------------------------------------------


class Member:
    """A VM the pool controls, with what the passes read from it and its VMI, extracted once."""

    __slots__ = (
        "name",
        "vm",
        "labels",
        "revision",
        "deleting",
        "ready",
        "vmi",
        "vmi_revision",
        "vmi_ready",
        "vmi_deleting",
    )

    def __init__(self, vm: Obj, vm_meta: Obj, vmi: Obj | None) -> None:
        # written for speed (this runs for every member on every pass): no helper calls, few lookups
        self.vm = vm
        self.vmi = vmi
        self.name = vm_meta.get("name") or ""
        vm_labels = vm_meta.get("labels")
        if type(vm_labels) is not dict:
            vm_labels = {}
        self.labels: Mapping[str, str] = vm_labels
        self.revision: str | None = vm_labels.get(REVISION_LABEL)
        self.deleting = bool(vm_meta.get("deletionTimestamp"))
        self.ready = _ready(vm.get("status"))
        if vmi is None:
            self.vmi_revision, self.vmi_ready, self.vmi_deleting = None, False, False
            return
        vmi_meta = vmi.get("metadata") or {}
        vmi_labels = vmi_meta.get("labels")
        self.vmi_revision = vmi_labels.get(REVISION_LABEL) if type(vmi_labels) is dict else None
        self.vmi_deleting = deleting_vmi = bool(vmi_meta.get("deletionTimestamp"))
        vmi_status = vmi.get("status")
        self.vmi_ready = (
            not deleting_vmi
            and type(vmi_status) is dict
            and vmi_status.get("phase") == "Running"
            and _ready(vmi_status)
        )


def _ready(status: Any) -> bool:
    """The status has a Ready condition that is True."""
    if type(status) is dict:
        for cond in status.get("conditions") or ():
            if cond.get("type") == "Ready":
                return cond.get("status") == "True"
    return False


def _members(vms: Iterable[Obj], vmis: Mapping[str, Obj], uid: str) -> list[Member]:
    """The VMs whose controller ownerReference is the pool (``metav1.GetControllerOf(vm).UID == uid``)."""
    out = []
    if not uid:
        return out
    add = out.append
    for vm in vms:
        vm_meta = vm.get("metadata")
        if type(vm_meta) is not dict:
            continue
        for ref in vm_meta.get("ownerReferences") or ():
            if ref.get("controller") is True:
                if ref.get("uid") == uid:
                    add(Member(vm, vm_meta, vmis.get(vm_meta.get("name"))))
                break
    return out


# --- selection policies ------------------------------------------------------------------------------------


def _sort(members: list[Member], policy: str, rng: random.Random) -> list[Member]:
    """``sortVMsBasedOnSortPolicy`` (an unknown policy sorts randomly, as KubeVirt does)."""
    if policy in ("AscendingOrder", "DescendingOrder"):

        def ordinal(m: Member) -> int:
            return pools.index_from_name(m.name) or 0

        return sorted(members, key=ordinal, reverse=policy == "DescendingOrder")
    if policy in ("Newest", "Oldest"):
        oldest = datetime.min.replace(tzinfo=UTC)

        def created(m: Member) -> datetime:
            return parse_timestamp(meta(m.vm).get("creationTimestamp")) or oldest

        return sorted(members, key=created, reverse=policy == "Newest")
    shuffled = list(members)
    rng.shuffle(shuffled)
    return shuffled


def _filter(members: list[Member], selectors: Obj) -> list[Member]:
    """``filterVMsBasedOnSelectors``: template labels and template nodeSelector; ``SelectorError`` with
    KubeVirt's wording."""
    label_sel = node_sel = None
    if selectors.get("labelSelector") is not None:
        try:
            label_sel = compile_selector(selectors["labelSelector"])
        except SelectorError as exc:
            raise SelectorError(f"failed to parse label selector from pool: {exc.message}") from None
    if selectors.get("nodeSelectorRequirementMatcher") is not None:
        try:
            node_sel = compile_node_requirements(list(selectors["nodeSelectorRequirementMatcher"]))
        except SelectorError as exc:
            raise SelectorError(f"failed to parse node selector from pool: {exc.message}") from None
    if label_sel is None and node_sel is None:
        return members
    return [
        m
        for m in members
        if (label_sel is None or label_sel(_template_labels(m.vm)))
        and (node_sel is None or node_sel(_node_selector(m.vm)))
    ]


def _policy(strategy: Any) -> tuple[str, Obj | None]:
    """(sortPolicy, selectors) of a ``proactive`` strategy block; Random when unset."""
    selection = strategy.get("selectionPolicy") if isinstance(strategy, dict) else None
    if not isinstance(selection, dict):
        return "Random", None
    sort_policy = selection.get("sortPolicy") or "Random"
    selectors = selection.get("selectors")
    return str(sort_policy), selectors if isinstance(selectors, dict) else None


def _preservation(strategy: Any) -> Preservation | None:
    value = strategy.get("statePreservation") if isinstance(strategy, dict) else None
    return value if value in ("Offline", "Online") else None


# --- one pass -----------------------------------------------------------------------------------------------

_NONE, _RESTART, _RELABEL, _VM_DELETE = "no-update", "restart", "label-patch", "vm-delete"


class _Pass:
    """The state of one planning pass: lookups and comparisons are built once per pass (per member, per
    revision), so a pass is linear in the members."""

    def __init__(
        self,
        pool: Obj,
        vms: Iterable[Obj],
        vmis: Iterable[Obj],
        revisions: Iterable[Obj],
        now: datetime,
        rng: random.Random,
        preserved: Mapping[str, Preservation],
        burst: int,
    ) -> None:
        self.pool, self.now, self.rng, self.preserved, self.burst = pool, now, rng, preserved, burst
        self.spec = pools.spec_of(pool)
        self.name = name_of(pool)
        self.uid = str(meta(pool).get("uid") or "")
        self.all_vms = list(vms)
        self.vmis = {(v.get("metadata") or {}).get("name"): v for v in vmis}
        self.revisions = {name_of(r): r for r in revisions}
        self.revision = pools.revision_name(pool)
        self.plan = PoolPlan()
        self.expecting = False  # a create or delete KubeVirt would wait to observe before the next step
        self._current = semantic(self.spec.get("virtualMachineTemplate")) or {}
        self._vm_current: dict[str, bool] = {}
        self._vmi_update: dict[tuple[str, str], str] = {}
        self._stale_revisions: dict[str, bool] = {}
        self._revision_planned = False
        self._factory: pools.MemberFactory | None = None

    # -- small steps

    def add(self, action: PoolAction) -> None:
        self.plan.actions.append(action)

    def requeue(self, seconds: float) -> None:
        current = self.plan.requeue_after
        self.plan.requeue_after = seconds if current is None else min(current, seconds)

    def ensure_revision(self) -> str:
        """``ensureControllerRevision``."""
        if self.revision not in self.revisions and not self._revision_planned:
            self.add(CreateRevision(pools.revision_object(self.pool)))
            self._revision_planned = True
            self.expecting = True
        return self.revision

    def is_outdated_vm(self, m: Member) -> bool:
        """``isOutdatedVM``: no revision label, an unknown revision, or another VM template."""
        if m.revision is None:
            return True
        current = self._vm_current.get(m.revision)
        if current is None:
            stored = self.revisions.get(m.revision)
            current = (
                stored is not None
                and (semantic(_revision_spec(stored).get("virtualMachineTemplate")) or {}) == self._current
            )
            self._vm_current[m.revision] = current
        return not current

    def vmi_update(self, m: Member) -> str:
        """``isOutdatedVMI``: what the VMI needs, comparing the revisions of the VM and of the VMI."""
        if m.revision is None:
            return _NONE
        if m.vmi_revision is None:
            return _RESTART
        if m.revision == m.vmi_revision:
            return _NONE
        key = (m.revision, m.vmi_revision)
        kind = self._vmi_update.get(key)
        if kind is None:
            kind = self._vmi_update[key] = self._compare_revisions(m.revision, m.vmi_revision)
        return kind

    def _compare_revisions(self, vm_rev: str, vmi_rev: str) -> str:
        expected = self.revisions.get(vm_rev)
        if expected is None:
            return _NONE
        running = self.revisions.get(vmi_rev)
        if running is None:
            return _RESTART
        want = (_revision_spec(expected).get("virtualMachineTemplate") or {}).get("spec") or {}
        have = (_revision_spec(running).get("virtualMachineTemplate") or {}).get("spec") or {}
        if semantic(want.get("dataVolumeTemplates")) != semantic(have.get("dataVolumeTemplates")):
            return _VM_DELETE
        if semantic(want.get("template")) != semantic(have.get("template")):
            return _RESTART
        return _RELABEL

    def emit_vmi_update(self, m: Member, kind: str) -> None:
        """``handleResourceUpdate``."""
        if kind == _RESTART and not m.vmi_deleting:
            self.add(RestartVMI(m.name))
        elif kind == _VM_DELETE:
            self.add(DeleteVM(m.name, foreground=True))
        elif kind == _RELABEL and m.revision is not None:
            self.add(RelabelVMI(m.name, m.revision))

    def delete_members(self, members: list[Member], count: int) -> None:
        """``scaleIn``: the first ``count`` by the scale-in policy and selectors; each deleted and
        finalized."""
        eligible = [m for m in members if not m.deleting]
        count -= len(members) - len(eligible)
        count = min(count, len(eligible))
        if count <= 0:
            return
        strategy = (self.spec.get("scaleInStrategy") or {}).get("proactive")
        sort_policy, selectors = _policy(strategy)
        ordered = _sort(eligible, sort_policy, self.rng)
        if selectors is not None:
            ordered = _filter(ordered, selectors)
        preserve = _preservation(strategy)
        for m in ordered[:count]:
            self.add(DeleteVM(m.name, preserve))
            self.add(FinalizeVM(m.name, preserve))
            self.expecting = True

    # -- autohealing

    def autoheal(self, owned: list[Member]) -> bool:
        """``autoHealFailingVMs``: replace members failing to start. True when something is deleted."""
        healing = self.spec.get("autohealing")
        if not isinstance(healing, dict):
            return False
        threshold = healing.get("startUpFailureThreshold")
        threshold = threshold if isinstance(threshold, int) else DEFAULT_STARTUP_FAILURE_THRESHOLD
        minimum = parse_duration(healing.get("minFailingToStartDuration"))
        minimum = DEFAULT_MIN_FAILING_TO_START if minimum is None else minimum
        failing = [m for m in owned if self._failing(m.vm, threshold, minimum)]
        if not failing:
            return False
        before = len(self.plan.actions)
        self.delete_members(failing, len(failing))
        return len(self.plan.actions) > before

    def _failing(self, vm: Obj, threshold: int, minimum: float) -> bool:
        status = vm.get("status") or {}
        fails = (status.get("startFailure") or {}).get("consecutiveFailCount")
        if isinstance(fails, int) and fails >= threshold:
            return True
        if status.get("printableStatus") not in AUTOHEAL_STATUSES:
            return False
        ready = condition(vm, "Ready")
        if ready is None or ready.get("status") != "False":
            return False
        # KubeVirt measures from lastProbeTime; vmctl's VMs leave it null, so lastTransitionTime stands in
        since = parse_timestamp(ready.get("lastProbeTime")) or parse_timestamp(
            ready.get("lastTransitionTime")
        )
        if since is None:
            return True
        failing_for = (self.now - since).total_seconds()
        if failing_for >= minimum:
            return True
        self.requeue(minimum - failing_for)
        return False

    # -- scaling

    def finalize_deleted(self, members: list[Member], preserve: Preservation | None) -> None:
        """VMs someone else deletes lose the pool finalizer (``opportunisticScaleIn``)."""
        for m in members:
            if m.deleting and (preserve or has_finalizer(m.vm, FINALIZER)):
                self.add(FinalizeVM(m.name, preserve))

    def scale(self, members: list[Member]) -> bool:
        """``scale``: True when the member count is right (then VMs being deleted by someone else are
        finalized: opportunistic scale-in)."""
        scale_in = self.spec.get("scaleInStrategy") or {}
        diff = len(members) - pools.replicas(self.pool)
        if diff == 0:
            if scale_in.get("unmanaged") is None:
                self.finalize_deleted(members, _preservation(scale_in.get("opportunistic")))
            return True
        count = min(abs(diff), self.burst)
        if diff < 0:
            self.scale_out(count)
        elif scale_in.get("unmanaged") is None and scale_in.get("opportunistic") is None:
            self.delete_members(members, count)
        return False

    def factory(self) -> pools.MemberFactory:
        """Builds members at the current revision (made once per pass, when first needed)."""
        if self._factory is None:
            self._factory = pools.MemberFactory(self.pool, self.ensure_revision())
        return self._factory

    def scale_out(self, count: int) -> None:
        taken = {name_of(vm) for vm in self.all_vms}
        names = pools.new_member_names(count, self.name, taken)
        factory = self.factory()
        for name in names:
            self.add(CreateVM(factory.vm(pools.index_from_name(name) or 0), self.preserved.get(name)))
            self.expecting = True

    # -- updates

    def update(self, members: list[Member]) -> bool:
        """``update``: True when no VM is outdated (then revisions may be pruned)."""
        strategy = self.spec.get("updateStrategy") or {}
        if strategy.get("unmanaged") is not None:
            return True
        live = self.update_selection([m for m in members if not m.deleting])
        proactive = strategy.get("proactive")
        outdated, current = [], []
        for m in live:
            (outdated if self.is_outdated_vm(m) else current).append(m)
        if outdated:
            self.opportunistic_update(outdated)
        if strategy.get("opportunistic") is None:
            self.proactive_update(current, proactive)
        return not outdated

    def update_selection(self, members: list[Member]) -> list[Member]:
        """The members ``updateStrategy.proactive.selectionPolicy.selectors`` lets updates touch."""
        _, selectors = _policy((self.spec.get("updateStrategy") or {}).get("proactive"))
        if selectors is None:
            return members
        try:
            return _filter(members, selectors)
        except SelectorError as exc:
            raise _SyncError(
                "FailedUpdate", f"failed to filter VMs based on ordered policies: {exc.message}"
            ) from None

    def opportunistic_update(self, outdated: list[Member]) -> None:
        factory = self.factory()
        for m in outdated:
            index = pools.index_from_name(m.name)
            if index is None:
                tail = m.name.rsplit("-", 1)[-1]
                raise _SyncError(
                    "FailedUpdate", f'error during VM update: strconv.Atoi: parsing "{tail}": invalid syntax'
                )
            self.add(UpdateVM(factory.updated_vm(m.vm, index)))

    def proactive_update(self, current: list[Member], proactive: Any) -> None:
        """``proactiveUpdate``: unhealthy members first, then at most maxUnavailable − unavailable."""
        handled: set[str] = set()
        for m in current:
            if m.ready or m.vmi is None or m.vmi_deleting:
                continue
            self.emit_vmi_update(m, self.vmi_update(m))
            handled.add(m.name)
        limit, error = pools.max_unavailable(self.pool)
        if error is not None:
            raise _SyncError("FailedUpdate", f"error during VMI update: {error}")
        unavailable = sum(1 for m in current if not m.vmi_ready)
        order = _sort(current, _policy(proactive)[0], self.rng) if proactive is not None else current
        budget = limit - unavailable
        for m in order:
            if budget <= 0:
                self.requeue(RETRY_DELAY)
                return
            if m.vmi is None:
                continue
            kind = self.vmi_update(m)
            if kind == _NONE:
                continue
            if m.name not in handled:
                self.emit_vmi_update(m, kind)
            budget -= 1

    # -- vmctl's surge rollout

    def stale(self, m: Member) -> bool:
        """Its VMI runs another template (or dataVolumeTemplates) than the pool's current one."""
        if m.vmi is None or m.vmi_deleting:
            return False
        running = m.vmi_revision
        if running is None:
            return True
        if running == self.revision:
            return False
        stale = self._stale_revisions.get(running)
        if stale is None:
            stored = self.revisions.get(running)
            have = (
                semantic((_revision_spec(stored or {}).get("virtualMachineTemplate") or {}).get("spec")) or {}
            )
            want = self._current.get("spec") or {}
            stale = self._stale_revisions[running] = stored is None or any(
                have.get(key) != want.get(key) for key in ("template", "dataVolumeTemplates")
            )
        return stale

    def surge_rollout(self, members: list[Member], stale: list[Member], surge: int) -> None:
        """Replace stale members without losing capacity: start up to ``surge`` extra members at the current
        revision, retire stale ones only while the Ready count stays at or above ``replicas``."""
        want = pools.replicas(self.pool)
        live = [m for m in members if not m.deleting]
        self.finalize_deleted(members, None)
        stale_names = {m.name for m in stale}
        fresh = [m for m in live if m.name not in stale_names]
        outdated_fresh = [m for m in fresh if self.is_outdated_vm(m)]
        if outdated_fresh:
            self.opportunistic_update(outdated_fresh)
        create = min(want + surge - len(live), want - len(fresh), self.burst)
        if create > 0:
            self.scale_out(create)
        ready = sum(1 for m in live if m.ready)
        budget = min(len(stale), len(live) - want)
        ready_budget = ready - want
        sort_policy, _ = _policy((self.spec.get("updateStrategy") or {}).get("proactive"))
        ordered = _sort(stale, sort_policy, self.rng)
        ordered = [m for m in ordered if not m.ready] + [
            m for m in ordered if m.ready
        ]  # not-ready ones first
        for m in ordered:
            if budget <= 0:
                break
            if m.ready:
                if ready_budget <= 0:
                    continue
                ready_budget -= 1
            self.add(DeleteVM(m.name))
            self.add(FinalizeVM(m.name))
            budget -= 1
        self.requeue(RETRY_DELAY)

    # -- pruning, deletion, status

    def prune(self, members: list[Member]) -> None:
        """``pruneUnusedRevisions``: the pool's revisions no member VM or VMI refers to."""
        used = {m.revision for m in members} | {m.vmi_revision for m in members}
        for name, revision in self.revisions.items():
            if name not in used and self._owns_revision(revision):
                self.add(DeleteRevision(name))

    def _owns_revision(self, revision: Obj) -> bool:
        for ref in meta(revision).get("ownerReferences") or []:
            if isinstance(ref, dict) and ref.get("kind") == pools.KIND:
                return bool(self.uid) and ref.get("uid") == self.uid
        return False

    def delete_pool(self, selector: Any) -> None:
        """``handlePoolDeletion``: free the namespace's VMs the selector matches, then the pool itself."""
        for vm in self.all_vms:
            if selector(labels(vm)) and has_finalizer(vm, FINALIZER):
                self.add(FinalizeVM(name_of(vm)))
        if has_finalizer(self.pool, FINALIZER):
            self.add(RemovePoolFinalizer())

    def status(self, members: list[Member], failure: Failure | None) -> Obj:
        """``updateStatus``."""
        old = self.pool.get("status") if isinstance(self.pool.get("status"), dict) else {}
        status = dict(old)
        status["labelSelector"] = selector_string(self.spec.get("selector"))
        conds = [c for c in old.get("conditions") or [] if isinstance(c, dict)]
        previous = next((c for c in conds if c.get("type") == "ReplicaFailure"), None)
        self.plan.previous_failure = previous
        if failure is not None and previous is None:
            conds.append(new_condition("ReplicaFailure", "True", self.now, failure.reason, failure.message))
        elif failure is None and previous is not None:
            conds = [c for c in conds if c.get("type") != "ReplicaFailure"]
        paused = self.spec.get("paused") is True
        has_paused = any(c.get("type") == "ReplicaPaused" for c in conds)
        if paused and not has_paused:
            conds.append(new_condition("ReplicaPaused", "True", self.now, PAUSED_REASON, PAUSED_MESSAGE))
        elif not paused and has_paused:
            conds = [c for c in conds if c.get("type") != "ReplicaPaused"]
        if conds:
            status["conditions"] = conds
        else:
            status.pop("conditions", None)
        status["replicas"] = len(members)
        status["readyReplicas"] = sum(1 for m in members if m.ready)
        return status


class _SyncError(Exception):
    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.failure = Failure(reason, message)


def plan_pool(
    pool: Obj,
    vms: Iterable[Obj],
    vmis: Iterable[Obj],
    revisions: Iterable[Obj],
    now: datetime,
    rng: random.Random,
    *,
    preserved: Mapping[str, Preservation] | None = None,
    burst_replicas: int = BURST_REPLICAS,
) -> PoolPlan:
    """One sync pass of KubeVirt's pool controller.

    ``vms``: every VM of the pool's namespace (names of VMs the pool does not own still block their index);
    ``vmis``: the VMIs of the namespace (a member's VMI has the member's name); ``revisions``: the
    ControllerRevisions (those the pool owns are pruned when unused); ``preserved``: names whose state an
    earlier scale-in kept (see ``CreateVM.reuse``).

    The cyclic garbage collector is paused during the pass (it makes no reference cycles): with a large
    pool in memory, its scans of every live object would make a pass superlinear in the members."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _plan(pool, vms, vmis, revisions, now, rng, preserved or {}, burst_replicas)
    finally:
        if collecting:
            gc.enable()


def _plan(
    pool: Obj,
    vms: Iterable[Obj],
    vmis: Iterable[Obj],
    revisions: Iterable[Obj],
    now: datetime,
    rng: random.Random,
    preserved: Mapping[str, Preservation],
    burst_replicas: int,
) -> PoolPlan:
    run = _Pass(pool, vms, vmis, revisions, now, rng, preserved, burst_replicas)
    plan, spec = run.plan, run.spec
    try:
        selector = compile_selector(spec.get("selector"))
    except SelectorError as exc:
        plan.status, plan.problem = dict(pool.get("status") or {}), f"invalid selector on pool: {exc.message}"
        return plan
    if not selector(pools.vm_template(pool).get("metadata", {}).get("labels") or {}):
        plan.status, plan.problem = dict(pool.get("status") or {}), "selector does not match template labels"
        return plan
    pool_deleting = marked_for_deletion(pool)
    owned = _members(run.all_vms, run.vmis, run.uid)
    try:
        healed = run.autoheal(owned)
    except SelectorError as exc:  # KubeVirt returns before writing the status
        plan.actions.clear()
        plan.status, plan.problem = (
            dict(pool.get("status") or {}),
            f"failed to auto heal failing vms: {exc.message}",
        )
        return plan
    members = []
    for m in owned:
        if selector(m.labels):
            members.append(m)
        elif not pool_deleting:
            run.add(ReleaseVM(m.name))
    if not pool_deleting and not has_finalizer(pool, FINALIZER):
        run.add(AddPoolFinalizer())
    failure: Failure | None = None
    try:
        if healed:
            run.requeue(0.0)
        elif not pool_deleting and spec.get("paused") is not True:
            _sync(run, members)
        elif pool_deleting:
            run.delete_pool(selector)
            run.prune(members)
    except (_SyncError, SelectorError) as exc:
        failure = (
            exc.failure
            if isinstance(exc, _SyncError)
            else Failure("FailedScaleIn", f"error during scale in: {exc.message}")
        )
    plan.status = run.status(members, failure)
    return plan


def _sync(run: _Pass, members: list[Member]) -> None:
    """Scale, then update, then prune — each only once the step before it is stable."""
    surge = pools.max_surge(run.pool)
    update_strategy = run.spec.get("updateStrategy") or {}
    proactive = update_strategy.get("unmanaged") is None and update_strategy.get("opportunistic") is None
    if surge and proactive:
        stale = run.update_selection([m for m in members if not m.deleting and run.stale(m)])
        if stale:
            run.surge_rollout(members, stale, surge)
            return
    scale_stable = run.scale(members)
    if not scale_stable or run.expecting:
        return
    update_stable = run.update(members)
    if update_stable and not run.expecting:
        run.prune(members)
