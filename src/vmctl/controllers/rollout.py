"""Rollouts of replicated workloads as pure functions: status (updated / ready / available of desired, the
revision of every member), pause and resume, restart, history and undo — what ``kubectl rollout`` does for a
Deployment, for KubeVirt's VirtualMachinePool and VirtualMachineInstanceReplicaSet.

A pool's revision is the ControllerRevision ``<pool>-<generation>`` that holds its spec; a member VM carries
the revision it was made from in the label ``kubevirt.io/vm-pool-revision-name``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, NamedTuple

from vmctl.controllers.objects import controlled_by
from vmctl.controllers.status import has_condition_true, timestamp
from vmctl.core.fields import dig, merge_diff

Obj = dict[str, Any]

POOL = "VirtualMachinePool"
REPLICA_SET = "VirtualMachineInstanceReplicaSet"
REVISION_LABEL = "kubevirt.io/vm-pool-revision-name"
RESTARTED_AT = "kubectl.kubernetes.io/restartedAt"
CHANGE_CAUSE = "kubernetes.io/change-cause"


class Member(NamedTuple):
    name: str
    revision: str  # "" when unknown
    ready: bool
    updated: bool


class RolloutStatus(NamedTuple):
    desired: int
    current: int
    updated: int
    ready: int
    available: int
    paused: bool
    revision: str
    members: list[Member]

    @property
    def complete(self) -> bool:
        return self.current == self.desired and self.updated == self.desired and self.available == self.desired

    def line(self, kind: str, name: str) -> str:
        """kubectl's one-line progress report."""
        what = f'{kind.lower()} "{name}"'
        if self.paused and not self.complete:
            return f"Waiting for {what} rollout: it is paused ({self.updated} of {self.desired} updated replicas)"
        if self.updated < self.desired:
            return (f"Waiting for {what} rollout to finish: {self.updated} out of {self.desired} new replicas have "
                    "been updated...")
        if self.current > self.desired:
            return (f"Waiting for {what} rollout to finish: {self.current - self.desired} old replicas are "
                    "pending termination...")
        if self.available < self.desired:
            return (f"Waiting for {what} rollout to finish: {self.available} of {self.desired} updated replicas "
                    "are available...")
        return f"{what} successfully rolled out"

    def as_dict(self) -> Obj:
        return {
            "desired": self.desired, "current": self.current, "updated": self.updated, "ready": self.ready,
            "available": self.available, "paused": self.paused, "complete": self.complete,
            "revision": self.revision,
            "members": [{"name": m.name, "revision": m.revision, "ready": m.ready, "updated": m.updated}
                        for m in self.members],
        }


def desired_replicas(obj: Obj) -> int:
    """``spec.replicas``; KubeVirt defaults a missing value to 1."""
    replicas = dig(obj, "spec", "replicas")
    return replicas if isinstance(replicas, int) and not isinstance(replicas, bool) else 1


def is_paused(obj: Obj) -> bool:
    return dig(obj, "spec", "paused") is True


def revision_name(pool: Obj) -> str:
    """The name of the pool's current ControllerRevision: ``<pool>-<generation>``."""
    meta = pool.get("metadata") or {}
    return f"{meta.get('name', '')}-{meta.get('generation', 1)}"


def owned_by(obj: Obj, owner: Obj) -> bool:
    """Whether ``owner`` is ``obj``'s controller (by uid)."""
    return controlled_by(obj, str(dig(owner, "metadata", "uid", default="") or ""))


def _ready(obj: Obj) -> bool:
    if obj.get("kind") == "VirtualMachine":
        return dig(obj, "status", "ready") is True or has_condition_true(obj, "Ready")
    return has_condition_true(obj, "Ready")


def rollout_status(
    owner: Obj, members: list[Obj], vmis: Sequence[Obj] = (), revisions: Sequence[Obj] = ()
) -> RolloutStatus:
    """Where a pool's (or replica set's) rollout stands, from its members (VMs of a pool, VMIs of a set).

    A pool member is updated when its VM and its VMI both carry a revision that holds the pool's current VM
    template (KubeVirt's ``isOutdatedVM``: a scale makes a new generation but no new template)."""
    is_pool = owner.get("kind") == POOL
    current = revision_name(owner) if is_pool else ""
    fresh = _current_revisions(owner, revisions) if is_pool else set()
    vmi_by_name = {dig(v, "metadata", "name"): v for v in vmis}
    rows = []
    for obj in sorted(members, key=lambda o: _index_key(dig(o, "metadata", "name", default=""))):
        if dig(obj, "metadata", "deletionTimestamp"):
            continue
        name = dig(obj, "metadata", "name", default="")
        revision = dig(obj, "metadata", "labels", REVISION_LABEL, default="") or ""
        updated = True
        if is_pool:
            vmi = vmi_by_name.get(name)
            vmi_revision = dig(vmi, "metadata", "labels", REVISION_LABEL, default="") if vmi else revision
            updated = revision in fresh and vmi_revision in fresh
        rows.append(Member(name, revision, _ready(obj), updated))
    return RolloutStatus(
        desired=desired_replicas(owner), current=len(rows), updated=sum(m.updated for m in rows),
        ready=sum(m.ready for m in rows), available=sum(m.ready and m.updated for m in rows),
        paused=is_paused(owner), revision=current, members=rows,
    )


def _current_revisions(pool: Obj, objs: Sequence[Obj]) -> set[str]:
    """The names of the pool's revisions that hold its current VM template (and the current name itself)."""
    from vmctl.core.pools import semantic

    template = semantic(dig(pool, "spec", "virtualMachineTemplate", default={})) or {}
    names = {revision_name(pool)}
    for rev in revisions(pool, objs):
        if (semantic(rev.template) or {}) == template:
            names.add(rev.name)
    return names


def _index_key(name: str) -> tuple[int, str]:
    tail = name.rsplit("-", 1)[-1]
    return (int(tail), name) if tail.isdigit() else (1 << 62, name)


# --- changes a rollout verb makes (JSON merge patches) ---------------------------------------------------


class RolloutRefused(Exception):
    """What kubectl says when a rollout verb has nothing to do or cannot be done."""


def pause_patch(obj: Obj, kind_name: str) -> Obj:
    if is_paused(obj):
        raise RolloutRefused(f"{kind_name} is already paused")
    return {"spec": {"paused": True}}


def resume_patch(obj: Obj, kind_name: str) -> Obj:
    if not is_paused(obj):
        raise RolloutRefused(f"{kind_name} is not paused")
    return {"spec": {"paused": None}}


def restart_patch(obj: Obj, now: datetime) -> Obj:
    """kubectl's restart: a ``restartedAt`` annotation on the VMI template, so every member's VMI differs from
    the new revision and the pool restarts them within its ``maxUnavailable``."""
    if obj.get("kind") != POOL:
        raise RolloutRefused("restarting is only supported for VirtualMachinePools (a VirtualMachineInstanceReplicaSet "
                             "never updates the VMIs it made)")
    stamp = timestamp(now)
    return {"spec": {"virtualMachineTemplate": {"spec": {"template": {"metadata": {
        "annotations": {RESTARTED_AT: stamp}}}}}}}


class Revision(NamedTuple):
    number: int
    name: str
    template: Obj  # the pool's virtualMachineTemplate in that revision
    cause: str


def _spec_of(revision: Obj) -> Obj:
    """The pool spec a ControllerRevision holds (``data``: the spec, as an object or as JSON text)."""
    data = revision.get("data")
    if isinstance(data, str):
        import json

        try:
            data = json.loads(data)
        except ValueError:
            data = None
    if isinstance(data, dict) and isinstance(data.get("spec"), dict):
        return data["spec"]
    return data if isinstance(data, dict) else {}


def revisions(pool: Obj, objs: Sequence[Obj]) -> list[Revision]:
    """The pool's ControllerRevisions, oldest first."""
    name = dig(pool, "metadata", "name", default="")
    out = []
    for rev in objs:
        rname = dig(rev, "metadata", "name", default="")
        mine = owned_by(rev, pool) or (not dig(rev, "metadata", "ownerReferences") and rname.startswith(f"{name}-"))
        if not mine:
            continue
        number = rev.get("revision")
        if not isinstance(number, int):
            tail = rname.rsplit("-", 1)[-1]
            number = int(tail) if tail.isdigit() else 0
        cause = dig(rev, "metadata", "annotations", CHANGE_CAUSE, default="") or ""
        out.append(Revision(number, rname, _spec_of(rev).get("virtualMachineTemplate") or {}, cause))
    return sorted(out)


def changed_paths(old: Any, new: Any, path: str = "") -> list[str]:
    """The dotted paths of the leaves that differ between two documents."""
    if isinstance(old, dict) and isinstance(new, dict):
        out: list[str] = []
        for key in sorted(set(old) | set(new), key=str):
            out += changed_paths(old.get(key), new.get(key), f"{path}.{key}" if path else str(key))
        return out
    return [] if old == new else [path or "."]


def undo_patch(pool: Obj, history: list[Revision], to_revision: int | None) -> tuple[Obj, Revision]:
    """The patch that puts a previous revision's template back (default: the one before the current)."""
    if not history:
        raise RolloutRefused("no rollout history found")
    current = pool.get("spec", {}).get("virtualMachineTemplate") or {}
    if to_revision is None or to_revision == 0:
        older = [r for r in history if r.name != revision_name(pool)]
        if not older:
            raise RolloutRefused("no revision to roll back to")
        target = older[-1]
    else:
        found = [r for r in history if r.number == to_revision]
        if not found:
            raise RolloutRefused(f"unable to find the specified revision {to_revision}")
        target = found[0]
    if target.template == current:
        raise RolloutRefused(f"skipped rollback (current template already matches revision {target.number})")
    return {"spec": {"virtualMachineTemplate": merge_diff(current, target.template)}}, target
