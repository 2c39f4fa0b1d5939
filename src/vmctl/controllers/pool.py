"""The VirtualMachinePool planner: KubeVirt's pool controller (``pkg/virt-controller/watch/pool/pool.go``) as a
pure function from the pool, the VMs and VMIs of its namespace and its ControllerRevisions to typed actions and
the status to write. No I/O; the clock and the random source are passed in.

One call plans one sync pass, in KubeVirt's order: autohealing → release detached VMs → pool finalizer →
(unless paused or deleting) scale, then updates once scaling is stable, then revision pruning once both are
stable → status. Steps that KubeVirt guards with its create/delete expectations wait for the next pass here
too. The executor applies the actions in order and plans again (after ``requeue_after`` when it is set).

vmctl extension: a ``pool.vmctl.io/max-surge`` annotation turns a proactive rollout into surge-and-retire
(``_surge_rollout``); a cluster ignores the annotation.
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from vmctl.controllers.objects import (
    condition_true,
    controlled_by,
    deleting,
    find_condition,
    has_finalizer,
    labels,
    meta,
    new_condition,
    parse_timestamp,
)
from vmctl.core import pools
from vmctl.core.pools import FINALIZER, REVISION_LABEL, name_of
from vmctl.core.selectors import SelectorError, compile_node_requirements, compile_selector, selector_string

Obj = dict[str, Any]
Preservation = Literal["Offline", "Online"]

#: virt-controller's ``--burst-replicas`` default: at most this many creates or deletes per pass.
BURST_REPLICAS = 250
RETRY_DELAY = 3.0  # defaultRetryDelay: a proactive update waiting for maxUnavailable
DEFAULT_STARTUP_FAILURE_THRESHOLD = 3
DEFAULT_MIN_FAILING_TO_START = 300.0  # seconds
AUTOHEAL_STATUSES = frozenset(
    {"CrashLoopBackOff", "Unschedulable", "DataVolumeError", "PvcNotFound", "ErrImagePull", "ImagePullBackOff"}
)
PAUSED_REASON, PAUSED_MESSAGE = "SuccessfulPaused", "Pool controller is paused"
SORT_POLICIES = ("AscendingOrder", "DescendingOrder", "Newest", "Oldest", "Random")


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
    CreateVM | UpdateVM | DeleteVM | FinalizeVM | ReleaseVM | RestartVMI | RelabelVMI | CreateRevision
    | DeleteRevision | AddPoolFinalizer | RemovePoolFinalizer
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
        """KubeVirt's ReplicaFailure reason and message when applying ``action`` failed with ``error`` (None for
        the steps whose failure KubeVirt only retries)."""
        if isinstance(action, CreateVM) or (
            isinstance(action, CreateRevision) and any(isinstance(a, CreateVM) for a in self.actions)
        ):
            return Failure("FailedScaleOut", f"error during scale out: {error}")
        if isinstance(action, (CreateRevision, UpdateVM)):
            return Failure("FailedUpdate", f"error during VM update: {error}")
        if isinstance(action, (RestartVMI, RelabelVMI)) or (isinstance(action, DeleteVM) and action.foreground):
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
        conds.append(self.previous_failure or new_condition("ReplicaFailure", failure.reason, failure.message, now))
        status["conditions"] = conds
        return status


# --- reading objects ---------------------------------------------------------------------------------------


def vm_ready(vm: Obj) -> bool:
    """The VM's Ready condition is True (what ``readyReplicas`` counts)."""
    return condition_true(vm, "Ready")


def vmi_ready(vmi: Obj | None) -> bool:
    """``isVMIReady``: not being deleted, Running, Ready=True."""
    if vmi is None or deleting(vmi) or (vmi.get("status") or {}).get("phase") != "Running":
        return False
    return condition_true(vmi, "Ready")


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


def _semantic(node: Any) -> Any:
    """The value Go's ``equality.Semantic.DeepEqual`` sees after a JSON round trip: no nulls, and empty maps
    and lists equal to absent ones."""
    if isinstance(node, dict):
        out = {}
        for key, value in node.items():
            value = _semantic(value)
            if value is not None and value != {} and value != []:
                out[key] = value
        return out
    if isinstance(node, list):
        return [_semantic(item) for item in node]
    return node


# --- selection policies ------------------------------------------------------------------------------------


def _sort(vms: list[Obj], policy: str, rng: random.Random) -> list[Obj]:
    """``sortVMsBasedOnSortPolicy`` (an unknown policy sorts randomly, as KubeVirt does)."""
    if policy in ("AscendingOrder", "DescendingOrder"):
        def ordinal(vm: Obj) -> int:
            return pools.index_from_name(name_of(vm)) or 0
        return sorted(vms, key=ordinal, reverse=policy == "DescendingOrder")
    if policy in ("Newest", "Oldest"):
        oldest = datetime.min.replace(tzinfo=UTC)

        def created(vm: Obj) -> datetime:
            return parse_timestamp(meta(vm).get("creationTimestamp")) or oldest
        return sorted(vms, key=created, reverse=policy == "Newest")
    shuffled = list(vms)
    rng.shuffle(shuffled)
    return shuffled


def _filter(vms: list[Obj], selectors: Obj) -> list[Obj]:
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
        return vms
    return [
        vm for vm in vms
        if (label_sel is None or label_sel(_template_labels(vm))) and (node_sel is None or node_sel(_node_selector(vm)))
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


# --- one pass -------------------------------------------------------------------------------------------------

_NONE, _RESTART, _RELABEL, _VM_DELETE = "no-update", "restart", "label-patch", "vm-delete"


class _Pass:
    """The state of one planning pass (lookups built once, so a pass is linear in the members)."""

    def __init__(self, pool: Obj, vms: Iterable[Obj], vmis: Iterable[Obj], revisions: Iterable[Obj],
                 now: datetime, rng: random.Random, preserved: Mapping[str, Preservation], burst: int) -> None:
        self.pool, self.now, self.rng, self.preserved, self.burst = pool, now, rng, preserved, burst
        self.spec = pools.spec_of(pool)
        self.name = name_of(pool)
        self.uid = str(meta(pool).get("uid") or "")
        self.all_vms = list(vms)
        self.vmis = {name_of(v): v for v in vmis}
        self.revisions = {name_of(r): r for r in revisions}
        self.revision = pools.revision_name(pool)
        self.plan = PoolPlan()
        self.expecting = False  # a create or delete KubeVirt would wait to observe before the next step
        self._current = _semantic(self.spec.get("virtualMachineTemplate"))
        self._vm_current: dict[str, bool] = {}
        self._vmi_update: dict[tuple[str, str], str] = {}
        self._stale_revisions: dict[str, bool] = {}
        self._revision_planned = False

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

    def vmi_of(self, vm: Obj) -> Obj | None:
        return self.vmis.get(name_of(vm))

    def is_outdated_vm(self, vm: Obj) -> bool:
        """``isOutdatedVM``: no revision label, an unknown revision, or another VM template."""
        revision = labels(vm).get(REVISION_LABEL)
        if revision is None:
            return True
        current = self._vm_current.get(revision)
        if current is None:
            stored = self.revisions.get(revision)
            current = stored is not None and _semantic(
                _revision_spec(stored).get("virtualMachineTemplate")
            ) == self._current
            self._vm_current[revision] = current
        return not current

    def vmi_update(self, vm: Obj, vmi: Obj) -> str:
        """``isOutdatedVMI``: what the VMI needs, comparing the revisions of the VM and of the VMI."""
        vm_rev = labels(vm).get(REVISION_LABEL)
        if vm_rev is None:
            return _NONE
        vmi_rev = labels(vmi).get(REVISION_LABEL)
        if vmi_rev is None:
            return _RESTART
        if vm_rev == vmi_rev:
            return _NONE
        key = (vm_rev, vmi_rev)
        if key not in self._vmi_update:
            self._vmi_update[key] = self._compare_revisions(vm_rev, vmi_rev)
        return self._vmi_update[key]

    def _compare_revisions(self, vm_rev: str, vmi_rev: str) -> str:
        expected = self.revisions.get(vm_rev)
        if expected is None:
            return _NONE
        running = self.revisions.get(vmi_rev)
        if running is None:
            return _RESTART
        want = (_revision_spec(expected).get("virtualMachineTemplate") or {}).get("spec") or {}
        have = (_revision_spec(running).get("virtualMachineTemplate") or {}).get("spec") or {}
        if _semantic(want.get("dataVolumeTemplates")) != _semantic(have.get("dataVolumeTemplates")):
            return _VM_DELETE
        if _semantic(want.get("template")) != _semantic(have.get("template")):
            return _RESTART
        return _RELABEL

    def emit_vmi_update(self, vm: Obj, vmi: Obj, kind: str) -> None:
        """``handleResourceUpdate``."""
        name = name_of(vm)
        if kind == _RESTART and not deleting(vmi):
            self.add(RestartVMI(name))
        elif kind == _VM_DELETE:
            self.add(DeleteVM(name, foreground=True))
        elif kind == _RELABEL:
            self.add(RelabelVMI(name, labels(vm)[REVISION_LABEL]))

    def delete_members(self, vms: list[Obj], count: int) -> None:
        """``scaleIn``: the first ``count`` by the scale-in policy and selectors; each deleted and finalized."""
        eligible = [vm for vm in vms if not deleting(vm)]
        count -= len(vms) - len(eligible)
        count = min(count, len(eligible))
        if count <= 0:
            return
        strategy = (self.spec.get("scaleInStrategy") or {}).get("proactive")
        sort_policy, selectors = _policy(strategy)
        ordered = _sort(eligible, sort_policy, self.rng)
        if selectors is not None:
            ordered = _filter(ordered, selectors)
        preserve = _preservation(strategy)
        for vm in ordered[:count]:
            self.add(DeleteVM(name_of(vm), preserve))
            self.add(FinalizeVM(name_of(vm), preserve))
            self.expecting = True

    # -- autohealing

    def autoheal(self, owned: list[Obj]) -> bool:
        """``autoHealFailingVMs``: replace members failing to start. True when something is deleted."""
        healing = self.spec.get("autohealing")
        if not isinstance(healing, dict):
            return False
        threshold = healing.get("startUpFailureThreshold")
        threshold = threshold if isinstance(threshold, int) else DEFAULT_STARTUP_FAILURE_THRESHOLD
        minimum = parse_duration(healing.get("minFailingToStartDuration"))
        minimum = DEFAULT_MIN_FAILING_TO_START if minimum is None else minimum
        failing = [vm for vm in owned if self._failing(vm, threshold, minimum)]
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
        ready = find_condition(vm, "Ready")
        if ready is None or ready.get("status") != "False":
            return False
        # KubeVirt measures from lastProbeTime; vmctl's VMs leave it null, so lastTransitionTime stands in
        since = parse_timestamp(ready.get("lastProbeTime")) or parse_timestamp(ready.get("lastTransitionTime"))
        if since is None:
            return True
        failing_for = (self.now - since).total_seconds()
        if failing_for >= minimum:
            return True
        self.requeue(minimum - failing_for)
        return False

    # -- scaling

    def scale(self, members: list[Obj]) -> bool:
        """``scale``: True when the member count is right (then VMs being deleted by someone else are
        finalized: opportunistic scale-in)."""
        scale_in = self.spec.get("scaleInStrategy") or {}
        diff = len(members) - pools.replicas(self.pool)
        if diff == 0:
            if scale_in.get("unmanaged") is None:
                preserve = _preservation(scale_in.get("opportunistic"))
                for vm in members:
                    if deleting(vm) and (preserve or has_finalizer(vm, FINALIZER)):
                        self.add(FinalizeVM(name_of(vm), preserve))
            return True
        count = min(abs(diff), self.burst)
        if diff < 0:
            self.scale_out(count)
        elif scale_in.get("unmanaged") is None and scale_in.get("opportunistic") is None:
            self.delete_members(members, count)
        return False

    def scale_out(self, count: int) -> None:
        taken = {name_of(vm) for vm in self.all_vms}
        names = pools.new_member_names(count, self.name, taken)
        revision = self.ensure_revision()
        for name in names:
            index = pools.index_from_name(name) or 0
            self.add(CreateVM(pools.member_vm(self.pool, index, revision), self.preserved.get(name)))
            self.expecting = True

    # -- updates

    def update(self, members: list[Obj]) -> bool:
        """``update``: True when no VM is outdated (then revisions may be pruned)."""
        strategy = self.spec.get("updateStrategy") or {}
        if strategy.get("unmanaged") is not None:
            return True
        live = [vm for vm in members if not deleting(vm)]
        proactive = strategy.get("proactive")
        _, selectors = _policy(proactive)
        if selectors is not None:
            try:
                live = _filter(live, selectors)
            except SelectorError as exc:
                raise _SyncError("FailedUpdate", f"failed to filter VMs based on ordered policies: {exc.message}") from None
        outdated, current = [], []
        for vm in live:
            (outdated if self.is_outdated_vm(vm) else current).append(vm)
        if outdated:
            self.opportunistic_update(outdated)
        if strategy.get("opportunistic") is None:
            self.proactive_update(current, proactive)
        return not outdated

    def opportunistic_update(self, outdated: list[Obj]) -> None:
        revision = self.ensure_revision()
        for vm in outdated:
            index = pools.index_from_name(name_of(vm))
            if index is None:
                tail = name_of(vm).rsplit("-", 1)[-1]
                raise _SyncError("FailedUpdate", f'error during VM update: strconv.Atoi: parsing "{tail}": invalid syntax')
            self.add(UpdateVM(pools.updated_member_vm(self.pool, vm, index, revision)))

    def proactive_update(self, current: list[Obj], proactive: Any) -> None:
        """``proactiveUpdate``: unhealthy members first, then at most maxUnavailable − unavailable."""
        handled: set[str] = set()
        for vm in current:
            vmi = self.vmi_of(vm)
            if vm_ready(vm) or vmi is None or deleting(vmi):
                continue
            self.emit_vmi_update(vm, vmi, self.vmi_update(vm, vmi))
            handled.add(name_of(vm))
        limit, error = pools.max_unavailable(self.pool)
        if error is not None:
            raise _SyncError("FailedUpdate", f"error during VMI update: {error}")
        unavailable = sum(1 for vm in current if not vmi_ready(self.vmi_of(vm)))
        order = _sort(current, _policy(proactive)[0], self.rng) if proactive is not None else current
        budget = limit - unavailable
        for vm in order:
            if budget <= 0:
                self.requeue(RETRY_DELAY)
                return
            vmi = self.vmi_of(vm)
            if vmi is None:
                continue
            kind = self.vmi_update(vm, vmi)
            if kind == _NONE:
                continue
            if name_of(vm) not in handled:
                self.emit_vmi_update(vm, vmi, kind)
            budget -= 1

    # -- vmctl's surge rollout

    def stale(self, vm: Obj) -> bool:
        """Its VMI runs another template (or dataVolumeTemplates) than the pool's current one."""
        vmi = self.vmi_of(vm)
        if vmi is None or deleting(vmi):
            return False
        running = labels(vmi).get(REVISION_LABEL)
        if running is None:
            return True
        if running == self.revision:
            return False
        if running not in self._stale_revisions:
            stored = self.revisions.get(running)
            have = _semantic((_revision_spec(stored or {}).get("virtualMachineTemplate") or {}).get("spec")) or {}
            want = self._current.get("spec") or {}
            self._stale_revisions[running] = stored is None or any(
                have.get(key) != want.get(key) for key in ("template", "dataVolumeTemplates")
            )
        return self._stale_revisions[running]

    def surge_rollout(self, members: list[Obj], surge: int) -> None:
        """Replace stale members without losing capacity: start up to ``surge`` extra members at the current
        revision, retire stale ones only while the Ready count stays at or above ``replicas``."""
        want = pools.replicas(self.pool)
        live = [vm for vm in members if not deleting(vm)]
        for vm in members:
            if deleting(vm) and has_finalizer(vm, FINALIZER):
                self.add(FinalizeVM(name_of(vm)))
        stale = [vm for vm in live if self.stale(vm)]
        stale_names = {name_of(vm) for vm in stale}
        fresh = [vm for vm in live if name_of(vm) not in stale_names]
        outdated_fresh = [vm for vm in fresh if self.is_outdated_vm(vm)]
        if outdated_fresh:
            self.opportunistic_update(outdated_fresh)
        create = min(want + surge - len(live), want - len(fresh), self.burst)
        if create > 0:
            self.scale_out(create)
        ready = sum(1 for vm in live if vm_ready(vm))
        budget = min(len(stale), len(live) - want)
        ready_budget = ready - want
        sort_policy, _ = _policy((self.spec.get("updateStrategy") or {}).get("proactive"))
        ordered = sorted(_sort(stale, sort_policy, self.rng), key=vm_ready)  # not-ready ones go first
        for vm in ordered:
            if budget <= 0:
                break
            if vm_ready(vm):
                if ready_budget <= 0:
                    continue
                ready_budget -= 1
            self.add(DeleteVM(name_of(vm)))
            self.add(FinalizeVM(name_of(vm)))
            budget -= 1
        self.requeue(RETRY_DELAY)

    # -- pruning, deletion, status

    def prune(self, members: list[Obj]) -> None:
        """``pruneUnusedRevisions``: the pool's revisions no member VM or VMI refers to."""
        used = set()
        for vm in members:
            used.add(labels(vm).get(REVISION_LABEL))
            vmi = self.vmi_of(vm)
            if vmi is not None:
                used.add(labels(vmi).get(REVISION_LABEL))
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

    def status(self, members: list[Obj], failure: Failure | None) -> Obj:
        """``updateStatus``."""
        old = self.pool.get("status") if isinstance(self.pool.get("status"), dict) else {}
        status = dict(old)
        status["labelSelector"] = selector_string(self.spec.get("selector"))
        conds = [c for c in old.get("conditions") or [] if isinstance(c, dict)]
        previous = next((c for c in conds if c.get("type") == "ReplicaFailure"), None)
        self.plan.previous_failure = previous
        if failure is not None and previous is None:
            conds.append(new_condition("ReplicaFailure", failure.reason, failure.message, self.now))
        elif failure is None and previous is not None:
            conds = [c for c in conds if c.get("type") != "ReplicaFailure"]
        paused = self.spec.get("paused") is True
        has_paused = any(c.get("type") == "ReplicaPaused" for c in conds)
        if paused and not has_paused:
            conds.append(new_condition("ReplicaPaused", PAUSED_REASON, PAUSED_MESSAGE, self.now))
        elif not paused and has_paused:
            conds = [c for c in conds if c.get("type") != "ReplicaPaused"]
        if conds:
            status["conditions"] = conds
        else:
            status.pop("conditions", None)
        status["replicas"] = len(members)
        status["readyReplicas"] = sum(1 for vm in members if vm_ready(vm))
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
    earlier scale-in kept (see ``CreateVM.reuse``)."""
    run = _Pass(pool, vms, vmis, revisions, now, rng, preserved or {}, burst_replicas)
    plan, spec = run.plan, run.spec
    try:
        selector = compile_selector(spec.get("selector"))
    except SelectorError as exc:
        plan.status, plan.problem = dict(pool.get("status") or {}), f"invalid selector on pool: {exc.message}"
        return plan
    if not selector(pools.vm_template(pool).get("metadata", {}).get("labels") or {}):
        plan.status, plan.problem = dict(pool.get("status") or {}), "selector does not match template labels"
        return plan
    pool_deleting = deleting(pool)
    owned = [vm for vm in run.all_vms if controlled_by(vm, run.uid)]
    try:
        healed = run.autoheal(owned)
    except SelectorError as exc:  # KubeVirt returns before writing the status
        plan.actions.clear()
        plan.status, plan.problem = dict(pool.get("status") or {}), f"failed to auto heal failing vms: {exc.message}"
        return plan
    members = []
    for vm in owned:
        if selector(labels(vm)):
            members.append(vm)
        elif not pool_deleting:
            run.add(ReleaseVM(name_of(vm)))
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
        failure = exc.failure if isinstance(exc, _SyncError) else Failure("FailedScaleIn", f"error during scale in: {exc.message}")
    plan.status = run.status(members, failure)
    return plan


def _sync(run: _Pass, members: list[Obj]) -> None:
    """Scale, then update, then prune — each only once the step before it is stable."""
    surge = pools.max_surge(run.pool)
    update_strategy = run.spec.get("updateStrategy") or {}
    proactive = update_strategy.get("unmanaged") is None and update_strategy.get("opportunistic") is None
    if surge and proactive and any(run.stale(vm) for vm in members if not deleting(vm)):
        run.surge_rollout(members, surge)
        return
    scale_stable = run.scale(members)
    if not scale_stable or run.expecting:
        return
    update_stable = run.update(members)
    if update_stable and not run.expecting:
        run.prune(members)
