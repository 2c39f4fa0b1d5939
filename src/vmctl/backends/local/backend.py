"""``LocalBackend``: the ``Backend`` interface on a libvirt host with a SQLite store.

Objects live in ``<state-dir>/state.db`` (``store.py``); what should happen next is decided by the pure
planners in ``vmctl.controllers``; ``converge.py`` observes libvirt and has ``executor.py`` carry the plan
out. There is no daemon: every command converges the objects it touches (``vmctl controller`` does it
continuously). A VMI's domain is named ``<namespace>_<name>`` and carries one owner record (state folder id,
namespace, name, VMI uid), so after a crash vmctl adopts a running domain or removes a half-made one.

What "touches" means: ``get``/``describe`` of one VM or VMI, ``delete vmi``, the lifecycle verbs, ``console`` and
``--wait`` converge that VM fully, starting a new VMI when its runStrategy calls for one (Always; RerunOnFailure
after a failure), as KubeVirt's controller would at once. Listings (``get vms``) only bring statuses up to date
and name the VMs that are due to start in a notice, so a listing never boots a batch of guests.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

from vmctl.admission import Admitted
from vmctl.backends.base import (
    NOT_SENT,
    ApplyError,
    NamedVolumes,
    ObjectSource,
    Ref,
    Reporter,
    Stream,
    check_cascade,
    not_applied,
    refusal,
)
from vmctl.backends.local.context import LocalContext, now
from vmctl.backends.local.converge import Converger
from vmctl.backends.local.executor import Executor
from vmctl.backends.local.libvirt_conn import libvirt_module
from vmctl.backends.local.store import (
    STORED_BY_KIND,
    ConflictError,
    new_uuid,
    not_found,
    now_rfc3339,
    scope_namespace,
)
from vmctl.backends.local.streams import LocalStreams
from vmctl.controllers import lifecycle as api
from vmctl.controllers import vm as vmctrl
from vmctl.controllers.status import (
    FAILED,
    PENDING,
    condition,
    grace_seconds,
    is_final,
    parse_timestamp,
    phase,
    timestamp,
)
from vmctl.core import kinds
from vmctl.core.defaults import LOCAL_CLUSTER
from vmctl.core.fields import canonical_json, clone, dig
from vmctl.errors import InputError, NotFoundError, UsageError, VmctlError

Obj = dict[str, Any]

POLL = 0.25


def lifecycle_error(exc: api.LifecycleError) -> VmctlError:
    if exc.code == 404:
        return NotFoundError(exc.message)
    if exc.code == 409:
        return ConflictError(exc.message)
    return VmctlError(exc.message)


class LocalBackend:
    """Run KubeVirt VMs on a libvirt host; objects in SQLite."""

    name = "local"
    stored_kinds = frozenset(STORED_BY_KIND)
    cluster_config = LOCAL_CLUSTER
    default_namespace = "default"

    def __init__(self, state_dir: Path, uri: str, *, allow_hooks: bool = False,
                 reporter: Reporter | None = None) -> None:
        from vmctl.backends.base import SilentReporter

        self.ctx = LocalContext(state_dir, uri, allow_hooks=allow_hooks, reporter=reporter or SilentReporter())
        self.executor = Executor(self.ctx)
        self.converger = Converger(self.ctx, self.executor)
        self.streams = LocalStreams(self.ctx, self.converger)

    @property
    def uri(self) -> str:
        return self.ctx.uri

    @property
    def state_dir(self) -> Path:
        return self.ctx.state_dir

    @property
    def allow_hooks(self) -> bool:
        return self.ctx.allow_hooks

    @property
    def store(self) -> Any:
        return self.ctx.store

    def close(self) -> None:
        self.ctx.close()

    def lookup_source(self) -> ObjectSource:
        from vmctl.backends.local.source import StoreSource

        return StoreSource(self.ctx.store)

    def server_defaults(self, obj: Obj) -> None:
        """A new VM's template gets a random firmware UUID and serial and a new VMI a random UUID where none is
        set (KubeVirt's mutator and VMI defaults; domains of one host need distinct UUIDs, and a name-based one
        repeats across namespaces); an update that leaves them out keeps the stored ones."""
        from vmctl.core.vmi_from_vm import assign_firmware_identity, keep_firmware_identity

        kind = obj.get("kind")
        if kind not in (kinds.VM.kind, kinds.VMI.kind):
            return
        meta = obj["metadata"]
        current = self.ctx.store.get(kind, scope_namespace(kind, meta.get("namespace")), meta["name"])
        if current is None:
            assign_firmware_identity(obj, new_uuid)
        else:
            keep_firmware_identity(obj, current)

    # -- objects ------------------------------------------------------------------------------------------

    def apply(self, batch: list[Admitted], *, namespace: str | None = None, dry_run: str = "none",
              force: bool = False) -> list[tuple[Obj, str]]:
        """Store every object in one transaction, then reconcile. A document the store refuses rolls the
        whole batch back (an ``ApplyError`` naming every document). ``dry_run`` "client" or "server": the
        same transaction is rolled back at its end, nothing is reconciled and no domain is defined. ``force``
        (``--force-conflicts``) changes nothing here: the store has no field managers."""
        store = self.ctx.store
        for item in batch:
            if item.obj.get("kind") not in STORED_BY_KIND:
                raise InputError(f"kind {item.obj.get('kind')!r} cannot be stored by the local backend")
        if any(item.obj["kind"] in (kinds.VM.kind, kinds.VMI.kind) for item in batch):
            _ = self.ctx.conn  # libvirt unreachable: fail here, before anything is stored
        results: list[tuple[Obj, str]] = []
        vmis: list[Obj] = []
        dry = dry_run != "none"
        try:
            with store.transaction():
                for index, item in enumerate(batch):
                    try:
                        stored, action = self._apply_one(item, namespace, remember=not dry)
                    except VmctlError as exc:
                        raise _Refused(index, exc) from None
                    if action == "created" and stored["kind"] == kinds.VMI.kind:
                        vmis.append(stored)
                    results.append((stored, action))
                if dry:
                    raise _RollBack
        except _RollBack:
            return results
        except _Refused as refused:
            raise self._refusal(batch, refused.index, refused.error) from None
        problems: list[str] = []
        replicated = {s["metadata"]["namespace"] for s, action in results
                      if s["kind"] in (kinds.POOL.kind, kinds.VMIRS.kind) and action != "unchanged"}
        for ns in sorted(replicated):
            self.converger.replicas_changed(ns)
        for stored, _ in results:
            if stored["kind"] == kinds.VM.kind:
                try:
                    self.converger.converge(stored["metadata"]["namespace"], stored["metadata"]["name"])
                except VmctlError as exc:
                    problems.append(f"VirtualMachine {stored['metadata']['name']}: {exc.message}")
        for stored in vmis:
            try:
                self.executor.start_standalone(stored)
            except VmctlError as exc:
                problems.append(f"VirtualMachineInstance {stored['metadata']['name']}: {exc.message}")
        fresh = []
        for stored, action in results:
            meta = stored["metadata"]
            fresh.append((store.get(stored["kind"], meta.get("namespace"), meta["name"]) or stored, action))
        if problems:
            raise ApplyError("; ".join(problems), fresh)
        return fresh

    def _apply_one(self, item: Admitted, namespace: str | None, *, remember: bool) -> tuple[Obj, str]:
        if item.obj["kind"] == kinds.VMI.kind:
            return self._apply_vmi(item, namespace)
        stored, action = self.ctx.store.apply(item.obj, namespace=namespace)
        if remember and stored["kind"] == kinds.VM.kind and item.vmi is not None:
            meta = stored["metadata"]
            key = (meta["namespace"], meta["name"], canonical_json(stored.get("spec")))
            self.executor.admitted[key] = item.vmi
        return stored, action

    @staticmethod
    def _refusal(batch: list[Admitted], index: int, error: VmctlError) -> ApplyError:
        """Document ``index`` was refused: the transaction stored none of the batch."""
        lines = [not_applied(index, batch[index].obj, error.message), *error.detail_lines()]
        lines += [not_applied(i, item.obj, ROLLED_BACK if i < index else NOT_SENT)
                  for i, item in enumerate(batch) if i != index]
        return refusal(lines, [], error)

    def _apply_vmi(self, item: Admitted, namespace: str | None) -> tuple[Obj, str]:
        """Store an admitted VMI (the spec admission resolved it to); an existing one may not change."""
        obj = item.obj
        meta = obj.get("metadata") or {}
        ns = scope_namespace(kinds.VMI.kind, meta.get("namespace") or namespace)
        resolved = clone(item.vmi) if item.vmi is not None else self.executor.resolve(clone(obj))
        resolved["metadata"] = {**(resolved.get("metadata") or {}), "namespace": ns}
        current = self.ctx.store.get(kinds.VMI.kind, ns, meta.get("name", ""))
        if current is not None:
            if canonical_json(current.get("spec")) == canonical_json(resolved.get("spec")):
                return current, "unchanged"
            raise VmctlError(
                f'virtualmachineinstances.kubevirt.io "{meta.get("name")}": the spec of a running VMI cannot be '
                "changed; delete it and apply again"
            )
        resolved.setdefault("status", {})["phase"] = PENDING
        return self.ctx.store.create(resolved), "created"

    def get(self, ref: Ref) -> Obj:
        self._keep_controller(ref.kind)
        if ref.kind in (kinds.VM.kind, kinds.VMI.kind):
            self.converger.touch(ref.namespace, ref.name)
        obj = self.ctx.store.get(ref.kind, ref.namespace, ref.name)
        if obj is None:
            raise not_found(ref.kind, ref.name)
        return obj

    def list(self, kind: str, namespace: str | None = None, selector: str | None = None, *,
             chunk_size: int = 500) -> list[Obj]:
        """``chunk_size`` changes nothing: the store is read in one query."""
        self._keep_controller(kind)
        if kind in (kinds.VM.kind, kinds.VMI.kind):
            self.converger.due_to_start.clear()
            self.converger.sync_all(namespace, start=False)
            self._notice_due(qualified=namespace is None)
        return self.ctx.store.list(kind, namespace, selector)

    _WORKLOAD_KINDS = (kinds.VM.kind, kinds.VMI.kind, kinds.POOL.kind, kinds.VMIRS.kind)

    def _keep_controller(self, kind: str) -> None:
        """Pools and replica sets need their controller running: a command that reads workloads starts it
        again when it died (``kill -9``), as a cluster's control plane would be there."""
        from vmctl.backends.local import daemon

        if kind not in self._WORKLOAD_KINDS or not (self.ctx.state_dir / "state.db").is_file():
            return
        if self.converger.replicas.has_work() and daemon.status(self.ctx.state_dir) is None:
            self.converger.replicas_changed(None)

    def _notice_due(self, *, qualified: bool) -> None:
        """A listing does not start VMs; say which ones are due to start and how to start them."""
        due = sorted(self.converger.due_to_start)
        if not due or self.controller_status() is not None:
            return  # a running controller starts them
        names = ", ".join(f"{ns}/{name}" if qualified else name for ns, name in due)
        what = f"VM {names} is" if len(due) == 1 else f"VMs {names} are"
        self.ctx.reporter.notice(f"{what} due to start (runStrategy); a listing does not start VMs: "
                                 "'vmctl get vm NAME' starts one, 'vmctl controller --once' starts all")

    def delete(self, ref: Ref, *, wait: bool = False, timeout: float = 300, cascade: str = "background") -> None:
        """Delete as the garbage collector would: "background" and "foreground" both delete what the object owns
        (a VM's VMI, a pool's VMs, a replica set's VMIs) and return once the object is gone from the store;
        "orphan" leaves a pool's or replica set's members (and anything else it owns) without the owner. A VM
        owns its running VMI: orphaning it is refused here."""
        store = self.ctx.store
        check_cascade(cascade)
        obj = store.get(ref.kind, ref.namespace, ref.name)
        if obj is None:
            raise not_found(ref.kind, ref.name)
        if cascade == "orphan":
            if ref.kind in (kinds.VM.kind, kinds.VMI.kind):
                raise UsageError(f"--cascade=orphan: not supported by the local backend for a "
                                 f"{ref.kind} (its VMI and domain are deleted with it)")
            self.converger.replicas.orphan_owner(obj)
            return
        if ref.kind == kinds.VM.kind:
            def mark(vm: Obj) -> None:
                vm["metadata"].setdefault("deletionTimestamp", now_rfc3339())
            store.mutate(ref.kind, ref.namespace, ref.name, mark)
            self.converger.converge(ref.namespace, ref.name, start=False)
        elif ref.kind == kinds.VMI.kind:
            # the owning VM is reconciled too: runStrategy Always starts a new VMI once this one is gone
            self.executor.stop_vmi(obj, grace_seconds(obj))
            self.converger.touch(ref.namespace, ref.name)
        elif ref.kind in (kinds.POOL.kind, kinds.VMIRS.kind):
            self.converger.replicas.delete_owner(obj)
            self.converger.sync_all(ref.namespace, start=True)
            return
        else:
            store.delete(ref.kind, ref.namespace, ref.name)
            return
        if wait:
            self.wait(ref, "Deleted", timeout, uid=obj["metadata"]["uid"])

    def events(self, ref: Ref) -> list[Obj]:
        return self.ctx.store.events(ref.kind, ref.namespace, ref.name)

    # -- replicated workloads --------------------------------------------------------------------------

    def scale(self, ref: Ref, replicas: int, *, current_replicas: int | None = None) -> Obj:
        from vmctl.controllers.rollout import desired_replicas

        def change(obj: Obj) -> None:
            now_replicas = desired_replicas(obj)
            if current_replicas is not None and now_replicas != current_replicas:
                raise ConflictError(f"Expected replicas to be {current_replicas}, was {now_replicas}")
            obj.setdefault("spec", {})["replicas"] = replicas

        return self._change_replicated(ref, change)

    def patch(self, ref: Ref, merge_patch: Obj) -> Obj:
        from vmctl.core.fields import merge_patch as apply_patch

        def change(obj: Obj) -> None:
            patched = apply_patch(obj, merge_patch)
            obj.clear()
            obj.update(patched)

        return self._change_replicated(ref, change)

    def _change_replicated(self, ref: Ref, change: Callable[[Obj], None]) -> Obj:
        """Change a stored object in one transaction; for a pool or replica set make sure a controller runs."""
        store = self.ctx.store
        with store.transaction():
            if store.get(ref.kind, ref.namespace, ref.name) is None:
                raise not_found(ref.kind, ref.name)
            obj = store.mutate(ref.kind, ref.namespace, ref.name, change)
        if ref.kind in (kinds.POOL.kind, kinds.VMIRS.kind):
            self.converger.replicas_changed(ref.namespace)
        return obj


    def reconcile(self, namespace: str | None = None, *, start: bool = True) -> None:
        self.converger.sync_all(namespace, start=start)

    def watch(self, stop: threading.Event, *, interval: float = 5.0, namespace: str | None = None) -> None:
        import signal

        from vmctl.backends.local import daemon

        with daemon.hold(self.ctx.state_dir, self.ctx.uri):
            if threading.current_thread() is threading.main_thread():
                signal.signal(daemon.WAKE_SIGNAL, lambda *_: self.converger.woke.set())
            self.converger.watch(stop, interval=interval, namespace=namespace)

    def controller_status(self) -> dict[str, Any] | None:
        from vmctl.backends.local import daemon

        running = daemon.status(self.ctx.state_dir)
        return running.as_dict() if running else None

    def start_controller(self, *, interval: float = 5.0) -> tuple[dict[str, Any], bool]:
        from vmctl.backends.local import daemon

        running, started = daemon.start(self.ctx.state_dir, self.ctx.uri, interval=interval,
                                        allow_hooks=self.ctx.allow_hooks)
        return running.as_dict(), started

    def stop_controller(self) -> dict[str, Any] | None:
        from vmctl.backends.local import daemon

        stopped = daemon.stop(self.ctx.state_dir)
        return stopped.as_dict() if stopped else None

    def volumes(self) -> NamedVolumes:
        from vmctl.backends.local.named_volumes import LocalVolumes

        return LocalVolumes(self.ctx.state_dir, self.ctx.reporter)

    # -- lifecycle verbs -------------------------------------------------------------------------------------

    def _request(self, ref: Ref, make: Callable[[Obj, Obj | None], api.Request], *, start: bool = False) -> None:
        """Judge a lifecycle request against fresh state and record it (one transaction, no libvirt calls).

        ``start``: converge first with starts allowed, so a request left pending (no controller ran) is
        honoured before the new one is judged."""
        store = self.ctx.store
        self.converger.converge(ref.namespace, ref.name, start=start)
        with store.transaction():
            vm = store.get(kinds.VM.kind, ref.namespace, ref.name)
            if vm is None:
                raise NotFoundError(f'virtualmachine.kubevirt.io "{ref.name}" not found')
            vmi = store.get(kinds.VMI.kind, ref.namespace, ref.name)
            try:
                req = make(vm, vmi)
            except api.LifecycleError as exc:
                raise lifecycle_error(exc) from None
            if req.vmi_grace is not None and vmi is not None:
                store.update(_with_grace(vmi, req.vmi_grace))
            store.update(api.apply_request(vm, req))

    def start(self, ref: Ref, *, paused: bool = False) -> None:
        with self.ctx.starting(ref.namespace, ref.name):
            self._request(ref, lambda vm, vmi: api.request_start(vm, vmi, paused=paused), start=True)
            self.converger.converge(ref.namespace, ref.name)
            self._raise_start_failure(ref)

    def _raise_start_failure(self, ref: Ref) -> None:
        vmi = self.ctx.store.get(kinds.VMI.kind, ref.namespace, ref.name)
        cond = condition(vmi, "Synchronized")
        if vmi is not None and phase(vmi) == FAILED and cond and cond.get("reason") == "FailedCreate":
            raise VmctlError(f"VMI {ref.name} failed to start: {cond.get('message')}")

    def stop(self, ref: Ref, *, grace_period: int | None = None, force: bool = False) -> None:
        self._request(ref, lambda vm, vmi: api.request_stop(vm, vmi, grace_period=grace_period))
        self.converger.converge(ref.namespace, ref.name, start=False)

    def restart(self, ref: Ref, *, grace_period: int | None = None, force: bool = False) -> None:
        store = self.ctx.store
        with self.ctx.starting(ref.namespace, ref.name):
            self._request(ref, lambda vm, vmi: api.request_restart(vm, vmi, grace_period=grace_period), start=True)
            # the old VMI must be gone before the new one starts: drive it here (bounded by its grace period)
            vmi = store.get(kinds.VMI.kind, ref.namespace, ref.name)
            old_uid = dig(vmi, "metadata", "uid")
            deadline = time.monotonic() + grace_seconds(vmi) + 30
            while time.monotonic() < deadline:
                self.converger.converge(ref.namespace, ref.name)
                cur = store.get(kinds.VMI.kind, ref.namespace, ref.name)
                if cur is not None and cur["metadata"]["uid"] != old_uid:
                    break
                time.sleep(POLL)
            self._raise_start_failure(ref)

    def _vmi_verb(self, ref: Ref, check: Callable[[Obj], None], act: Callable[[Any], None]) -> None:
        vmi = self.streams.running_vmi(ref)
        try:
            check(vmi)
        except api.LifecycleError as exc:
            raise lifecycle_error(exc) from None
        dom = self.ctx.domain_of(vmi)
        if dom is None:
            raise ConflictError(
                f'Operation cannot be fulfilled on virtualmachineinstance.kubevirt.io "{ref.name}": '
                f"{api.VMI_NOT_RUNNING}"
            )
        libvirt = libvirt_module()
        try:
            act(dom)
        except libvirt.libvirtError as exc:
            raise VmctlError(f"libvirt: {exc}") from None
        self.executor.observe_into_store(ref.namespace, ref.name)

    def pause(self, ref: Ref) -> None:
        self._vmi_verb(ref, api.check_pause, lambda dom: dom.suspend())

    def unpause(self, ref: Ref) -> None:
        self._vmi_verb(ref, api.check_unpause, lambda dom: dom.resume())

    def soft_reboot(self, ref: Ref) -> None:
        # libvirt is looked up only once the VMI was found, so a missing VMI is reported as such
        self._vmi_verb(
            ref, api.check_soft_reboot, lambda dom: dom.reboot(libvirt_module().VIR_DOMAIN_REBOOT_ACPI_POWER_BTN)
        )

    def reset(self, ref: Ref) -> None:
        self._vmi_verb(ref, api.check_reset, lambda dom: dom.reset(0))

    # -- waits -------------------------------------------------------------------------------------------------

    def _pair(self, ref: Ref) -> tuple[Obj | None, Obj | None]:
        self.converger.touch(ref.namespace, ref.name)
        store = self.ctx.store
        return store.get(kinds.VM.kind, ref.namespace, ref.name), store.get(kinds.VMI.kind, ref.namespace, ref.name)

    def wait(self, ref: Ref, condition: str, timeout: float, *, uid: str | None = None) -> Obj:
        """Poll (converging each time, starts included) until ``condition`` holds: Ready, Running, Paused,
        Stopped, Deleted (with ``uid``: that object is gone, even if a new one of the same name exists)."""
        deadline = time.monotonic() + timeout
        while True:
            vm, vmi = self._pair(ref)
            obj = vm if ref.kind == kinds.VM.kind else vmi
            if uid is not None and obj is not None and obj["metadata"].get("uid") != uid:
                obj = None  # replaced by a new object of the same name
                vm, vmi = (None, vmi) if ref.kind == kinds.VM.kind else (vm, None)
            try:
                done = vmctrl.holds(condition, ref.kind, vm, vmi)
            except ValueError as exc:
                raise InputError(str(exc)) from None
            if done:
                return obj or {}
            if time.monotonic() >= deadline:
                what = "VirtualMachine" if ref.kind == kinds.VM.kind else "VirtualMachineInstance"
                raise VmctlError(f"timed out after {timeout:g}s waiting for {what} {ref.name} to be {condition}")
            time.sleep(POLL)

    def wait_desired(self, refs: list[Ref], timeout: float) -> None:
        """Poll (converging, starts included) until every VM is where its runStrategy heads it
        (``controllers.vm.desired_state``) and every standalone VMI is Ready (Paused when it starts paused)."""
        deadline = time.monotonic() + timeout
        pending = list(refs)
        while True:
            waiting = []
            for ref in pending:
                vm, vmi = self._pair(ref)
                if ref.kind == kinds.VM.kind:
                    if vm is None or dig(vm, "metadata", "deletionTimestamp"):
                        continue
                    want = vmctrl.desired_state(vm, vmi)
                else:
                    if vmi is None:
                        raise NotFoundError(f'virtualmachineinstances.kubevirt.io "{ref.name}" not found')
                    if is_final(vmi):
                        raise VmctlError(f"VirtualMachineInstance {ref.name} is {phase(vmi)}; it will not be Ready")
                    want = "Paused" if dig(vmi, "spec", "startStrategy") == "Paused" else "Ready"
                if not vmctrl.holds(want, ref.kind, vm, vmi):
                    waiting.append((ref, want, vm, vmi))
            if not waiting:
                return
            if time.monotonic() >= deadline:
                ref, want, vm, vmi = waiting[0]
                if ref.kind == kinds.VM.kind:
                    what, state = "VirtualMachine", dig(vm, "status", "printableStatus", default="Unknown")
                else:
                    what, state = "VirtualMachineInstance", phase(vmi) or "Pending"
                raise VmctlError(f"timed out after {timeout:g}s waiting for {what} {ref.name} to be {want} "
                                 f"(it is {state})")
            pending = [w[0] for w in waiting]
            time.sleep(POLL)

    # -- streams -----------------------------------------------------------------------------------------------

    def console(self, ref: Ref, *, timeout: float, force: bool, escape: bytes) -> int:
        return self.streams.console(ref, timeout=timeout, force=force, escape=escape)

    def vnc_stream(self, ref: Ref) -> Stream:
        return self.streams.vnc_stream(ref)

    def screenshot(self, ref: Ref) -> bytes:
        return self.streams.screenshot(ref)

    def port_connector(self, ref: Ref, port: int, protocol: str) -> Callable[[], Stream]:
        return self.streams.port_connector(ref, port, protocol)

    def domain_xml(self, ref: Ref) -> str:
        return self.streams.domain_xml(ref)


#: Why a document before a refused one is not stored: the local backend applies a batch as one transaction.
ROLLED_BACK = "rolled back after the failure (all or nothing on the local backend)"


class _RollBack(Exception):
    """Ends a dry run's transaction: everything was judged, nothing is kept."""


class _Refused(Exception):
    def __init__(self, index: int, error: VmctlError) -> None:
        super().__init__(error.message)
        self.index = index
        self.error = error


def _with_grace(vmi: Obj, grace: int) -> Obj:
    """The VMI with a new termination grace period; a pending deletion deadline only moves earlier."""
    vmi = clone(vmi)
    vmi.setdefault("spec", {})["terminationGracePeriodSeconds"] = grace
    meta = vmi["metadata"]
    current = parse_timestamp(meta.get("deletionTimestamp"))
    if current is not None:
        sooner = now() + timedelta(seconds=grace)
        if sooner < current:
            meta["deletionTimestamp"] = timestamp(sooner)
            meta["deletionGracePeriodSeconds"] = grace
    return vmi

