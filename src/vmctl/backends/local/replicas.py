"""The pool and replica set controllers on the local host: plan a pass with ``controllers.pool`` /
``controllers.replicaset``, carry the typed actions out in the store (the VM controller then boots or stops
the guests), write the status and record KubeVirt's events."""

from __future__ import annotations

import contextlib
import random
import shutil
from collections.abc import Callable
from typing import Any

from vmctl.backends.local.context import LocalContext, now
from vmctl.backends.local.executor import Executor
from vmctl.backends.local.store import AlreadyExistsError, ConflictError, new_uuid
from vmctl.controllers import events
from vmctl.controllers import pool as poolctl
from vmctl.controllers import replicaset as rsctl
from vmctl.controllers.objects import controlled_by
from vmctl.controllers.status import condition, grace_seconds
from vmctl.core import kinds
from vmctl.core.fields import canonical_json, clone, controller_reference
from vmctl.core.pools import FINALIZER, REVISION_LABEL
from vmctl.core.vmi_from_vm import assign_firmware_identity
from vmctl.errors import NotFoundError, VmctlError

Obj = dict[str, Any]
SOURCE = "vmctl-controller"


class ReplicaControllers:
    """Runs the pool and replica set planners for one local control plane."""

    def __init__(self, ctx: LocalContext, executor: Executor, rng: random.Random | None = None) -> None:
        self.ctx = ctx
        self.executor = executor
        self.rng = rng or random.Random()

    def sync_all(self, namespace: str | None = None) -> float | None:
        """One pass over every pool and replica set; the soonest ``requeue_after`` any of them asked for."""
        store = self.ctx.store
        waits = [self.sync_pool(p) for p in store.list(kinds.POOL.kind, namespace)]
        waits += [self.sync_replicaset(rs) for rs in store.list(kinds.VMIRS.kind, namespace)]
        return min((w for w in waits if w is not None), default=None)

    def has_work(self, namespace: str | None = None) -> bool:
        store = self.ctx.store
        return bool(store.list(kinds.POOL.kind, namespace) or store.list(kinds.VMIRS.kind, namespace))

    # -- events and status -------------------------------------------------------------------------------

    def _event(self, owner: Obj, event: events.Event | None) -> None:
        if event is not None:
            meta = owner["metadata"]
            self.ctx.store.record_event(owner["kind"], meta["namespace"], meta["name"], type_=event.type,
                                        reason=event.reason, message=event.message, source=SOURCE)

    def _write_status(self, owner: Obj, status: Obj, paused_event: Callable[[bool], events.Event]) -> None:
        """Write the owner's status (its spec as it is now: a scale meanwhile is not undone); when the
        ReplicaPaused condition came or went, record ``paused_event(paused)``."""
        if canonical_json(status) == canonical_json(owner.get("status") or {}):
            return
        meta = owner["metadata"]
        store = self.ctx.store
        with store.transaction():
            current = store.get(owner["kind"], meta["namespace"], meta["name"])
            if current is None:
                return
            store.update({**current, "status": status})
        paused = condition({"status": status}, "ReplicaPaused") is not None
        if paused != (condition(owner, "ReplicaPaused") is not None):
            self._event(owner, paused_event(paused))

    # -- pools ---------------------------------------------------------------------------------------------

    def sync_pool(self, pool: Obj) -> float | None:
        store = self.ctx.store
        ns = pool["metadata"]["namespace"]
        plan = poolctl.plan_pool(
            pool, store.list(kinds.VM.kind, ns), store.list(kinds.VMI.kind, ns),
            store.list(kinds.CONTROLLER_REVISION.kind, ns), now(), self.rng, preserved=self._preserved(ns),
        )
        status = plan.status
        for action in plan.actions:
            try:
                uid = self._pool_action(pool, action)
            except VmctlError as exc:
                self._event(pool, events.pool_failure_event(action, ns, exc.message))
                failure = plan.failure_for(action, exc.message)
                if failure is not None:
                    status = plan.status_after_failure(failure, now())
                    if plan.previous_failure is None:
                        self._event(pool, events.sync_failure_event(failure))
                break
            self._event(pool, events.pool_event(action, ns, uid))
        self._write_status(pool, status, events.pool_paused_event)
        return plan.requeue_after

    def _pool_action(self, pool: Obj, action: poolctl.PoolAction) -> str:
        """Carry out one pool action; the uid of a deleted VM (for its event), else ""."""
        store = self.ctx.store
        ns = pool["metadata"]["namespace"]
        vm_kind = kinds.VM.kind
        match action:
            case poolctl.CreateVM(vm=vm):
                vm = clone(vm)  # created as through the API: KubeVirt's mutator gives it a firmware identity
                assign_firmware_identity(vm, new_uuid)
                with contextlib.suppress(AlreadyExistsError):  # made by an earlier pass
                    store.create(vm, namespace=ns)
            case poolctl.UpdateVM(vm=vm):
                store.update(clone(vm), status=False)
            case poolctl.DeleteVM(name=name, preserve=preserve):
                vm = store.get(vm_kind, ns, name)
                if vm is None:
                    return ""
                # Offline: nothing to do here — named volumes outlive their VM on this backend anyway;
                # Online: the VMI's guest is saved (memory included) instead of stopped, for a later scale-out
                store.mutate(vm_kind, ns, name, lambda o: _mark_deleted(o, keep_memory=preserve == "Online"))
                return str(vm["metadata"]["uid"])
            case poolctl.FinalizeVM(name=name):
                if store.get(vm_kind, ns, name) is not None:
                    store.mutate(vm_kind, ns, name, lambda o: _drop_finalizer(o, FINALIZER))
            case poolctl.ReleaseVM(name=name):
                uid = pool["metadata"]["uid"]
                store.mutate(vm_kind, ns, name, lambda o: _release(o, uid, FINALIZER))
            case poolctl.RestartVMI(name=name):
                vmi = store.get(kinds.VMI.kind, ns, name)
                if vmi is not None:
                    self.executor.stop_vmi(vmi, grace_seconds(vmi))
            case poolctl.RelabelVMI(name=name, revision=revision):
                store.mutate(kinds.VMI.kind, ns, name,
                             lambda o: o["metadata"].setdefault("labels", {}).__setitem__(REVISION_LABEL, revision))
            case poolctl.CreateRevision(revision=revision):
                with contextlib.suppress(AlreadyExistsError):
                    store.create(clone(revision), namespace=ns)
            case poolctl.DeleteRevision(name=name):
                with contextlib.suppress(NotFoundError):
                    store.delete(kinds.CONTROLLER_REVISION.kind, ns, name)
            case poolctl.AddPoolFinalizer():
                store.mutate(pool["kind"], ns, pool["metadata"]["name"], lambda o: _add_finalizer(o, FINALIZER))
            case poolctl.RemovePoolFinalizer():
                store.mutate(pool["kind"], ns, pool["metadata"]["name"], lambda o: _drop_finalizer(o, FINALIZER))
        return ""

    def _preserved(self, ns: str) -> dict[str, poolctl.Preservation]:
        """Members whose guest a scale-in kept (``statePreservation: Online``), by VM name."""
        return {name: "Online" for (_, name), record in self.ctx.store.runtimes(ns).items()
                if record.get("preserved") == "Online"}

    def drop_preserved(self, pool: Obj) -> None:
        """Remove the guests a deleted pool kept for later (saved domains and their files)."""
        from vmctl.backends.local.guests import lookup_domain, remove_domain

        store = self.ctx.store
        ns, prefix = pool["metadata"]["namespace"], f"{pool['metadata']['name']}-"
        for (_, name), record in store.runtimes(ns).items():
            if not record.get("preserved") or not name.startswith(prefix) or not name[len(prefix):].isdigit():
                continue
            dom = lookup_domain(self.ctx.conn, record.get("domain") or "")
            if dom is not None:
                remove_domain(dom)
            if record.get("workdir"):
                shutil.rmtree(record["workdir"], ignore_errors=True)
            store.set_runtime(ns, name, None)

    # -- replica sets ----------------------------------------------------------------------------------------

    def sync_replicaset(self, rs: Obj) -> float | None:
        store = self.ctx.store
        ns = rs["metadata"]["namespace"]
        plan = rsctl.plan_replicaset(rs, store.list(kinds.VMI.kind, ns), now(), self.rng)
        status = plan.status
        for action in plan.actions:
            try:
                uid = self._replicaset_action(rs, action)
            except VmctlError as exc:
                self._event(rs, events.replicaset_failure_event(action, exc.message))
                status = plan.status_after_failure(exc.message, now())
                break
            self._event(rs, events.replicaset_event(action, uid))
        self._write_status(rs, status, events.replicaset_paused_event)
        return plan.requeue_after

    def _replicaset_action(self, rs: Obj, action: rsctl.ReplicaSetAction) -> str:
        store = self.ctx.store
        ns = rs["metadata"]["namespace"]
        vmi_kind = kinds.VMI.kind
        match action:
            case rsctl.CreateVMI(vmi=vmi):
                vmi = clone(vmi)
                assign_firmware_identity(vmi, new_uuid)  # KubeVirt's VMI defaults
                resolved = self.executor.resolve(clone(vmi))  # VMI admission: presets and defaults
                resolved["metadata"] = {**clone(vmi["metadata"]), "namespace": ns}
                resolved.setdefault("status", {})["phase"] = "Pending"
                created = store.create(resolved, namespace=ns)
                self.executor.start_standalone(created)
            case rsctl.DeleteVMI(name=name):
                vmi = store.get(vmi_kind, ns, name)
                if vmi is None:
                    return ""
                self.executor.stop_vmi(vmi, grace_seconds(vmi))
                return str(vmi["metadata"]["uid"])
            case rsctl.AdoptVMI(name=name):
                owner = controller_reference(rs, kinds.VMIRS.api_version, rs["kind"])
                store.mutate(vmi_kind, ns, name, lambda o: o["metadata"].setdefault("ownerReferences", []).append(owner))
            case rsctl.ReleaseVMI(name=name):
                uid = rs["metadata"]["uid"]
                store.mutate(vmi_kind, ns, name, lambda o: _release(o, uid, None))
        return ""

    # -- deleting an owner ------------------------------------------------------------------------------------

    def delete_owner(self, owner: Obj) -> None:
        """What the garbage collector does when a pool or replica set is deleted: its members are deleted
        gracefully (VMs stop their VMIs first), then the owner goes."""
        store = self.ctx.store
        meta = owner["metadata"]
        member_kind = kinds.VM.kind if owner["kind"] == kinds.POOL.kind else kinds.VMI.kind
        for member in store.list(member_kind, meta["namespace"]):
            if not controlled_by(member, meta["uid"]):
                continue
            name = member["metadata"]["name"]
            try:
                if member_kind == kinds.VM.kind:
                    store.mutate(member_kind, meta["namespace"], name,
                                 lambda o: (_drop_finalizer(o, FINALIZER), _mark_deleted(o)))
                else:
                    self.executor.stop_vmi(member, grace_seconds(member))
            except (NotFoundError, ConflictError):
                continue
        store.delete(owner["kind"], meta["namespace"], meta["name"], cascade=False)
        if owner["kind"] == kinds.POOL.kind:
            self.drop_preserved(owner)

    def orphan_owner(self, owner: Obj) -> None:
        """``--cascade=orphan``: what the garbage collector does for an orphaning delete: every object the owner
        controls loses its owner reference (a pool's VMs also the pool's finalizer) and keeps running; then the
        owner goes."""
        store = self.ctx.store
        meta = owner["metadata"]
        uid = meta["uid"]
        with store.transaction():
            for dependant in store.owned_by(uid, meta.get("namespace") or ""):
                dmeta = dependant["metadata"]
                finalizer = FINALIZER if owner["kind"] == kinds.POOL.kind and dependant["kind"] == kinds.VM.kind else None
                try:
                    store.mutate(dependant["kind"], dmeta.get("namespace"), dmeta["name"],
                                 lambda o, f=finalizer: _release(o, uid, f))
                except (NotFoundError, ConflictError):
                    continue
            store.delete(owner["kind"], meta.get("namespace"), meta["name"], cascade=False)
        if owner["kind"] == kinds.POOL.kind:
            self.drop_preserved(owner)


def _mark_deleted(obj: Obj, *, keep_memory: bool = False) -> None:
    from vmctl.backends.local.executor import PRESERVE_ANNOTATION
    from vmctl.backends.local.store import now_rfc3339

    obj["metadata"].setdefault("deletionTimestamp", now_rfc3339())
    if keep_memory:
        obj["metadata"].setdefault("annotations", {})[PRESERVE_ANNOTATION] = "Online"


def _add_finalizer(obj: Obj, finalizer: str) -> None:
    finalizers = obj["metadata"].setdefault("finalizers", [])
    if finalizer not in finalizers:
        finalizers.append(finalizer)


def _drop_finalizer(obj: Obj, finalizer: str) -> None:
    finalizers = [f for f in obj["metadata"].get("finalizers") or [] if f != finalizer]
    if finalizers:
        obj["metadata"]["finalizers"] = finalizers
    else:
        obj["metadata"].pop("finalizers", None)


def _release(obj: Obj, owner_uid: str, finalizer: str | None) -> None:
    refs = [r for r in obj["metadata"].get("ownerReferences") or [] if r.get("uid") != owner_uid]
    if refs:
        obj["metadata"]["ownerReferences"] = refs
    else:
        obj["metadata"].pop("ownerReferences", None)
    if finalizer:
        _drop_finalizer(obj, finalizer)
