"""``LocalBackend``: the ``Backend`` interface on a libvirt host with a SQLite store.

Objects live in ``<state-dir>/state.db`` (``store.py``); what should happen next is decided by the pure planner
(``reconcile.py``); this module observes libvirt, executes the plan and keeps both in step. There is no daemon:
every command converges the objects it touches (``vmctl controller`` does it continuously). A VMI's domain is
named ``<namespace>_<name>`` and carries vmctl metadata (state folder id, namespace, name, VMI uid), so after a
crash vmctl adopts a running domain or removes a half-made one.

What "touches" means: ``get``/``describe`` of one VM or VMI, ``delete vmi``, the lifecycle verbs, ``console`` and
``--wait`` converge that VM fully, starting a new VMI when its runStrategy calls for one (Always; RerunOnFailure
after a failure), as KubeVirt's controller would at once. Listings (``get vms``) only bring statuses up to date
and name the VMs that are due to start in a ``notice:`` line, so a listing never boots a batch of guests.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import threading
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from vmctl.backends.base import Ref
from vmctl.backends.local import reconcile as rc
from vmctl.backends.local.libvirt_errors import describe_libvirt_error
from vmctl.backends.local.store import (
    STORED_BY_KIND,
    ConflictError,
    Store,
    not_found,
    now_rfc3339,
    scope_namespace,
)
from vmctl.core import kinds
from vmctl.core.fields import canonical_json, clone, dig
from vmctl.errors import InputError, NotFoundError, VmctlError

Obj = dict[str, Any]

HOOK_ANNOTATION = "hooks.kubevirt.io/hookSidecars"
META_NS = "https://vmctl.dev/xmlns/runtime/v1"  # ours; domain.py has its own owner element
LIBVIRTD_DOWN = "libvirtd is not running: start it with 'libvirtd -d' (or 'systemctl start libvirtd')"
MAX_STEPS = 16
POLL = 0.25

_events_lock = threading.Lock()
_events_started = False


def _libvirt() -> Any:
    try:
        import libvirt
    except ImportError:
        raise VmctlError("the local backend needs libvirt-python: pip install 'vmctl[local]'") from None
    # libvirt prints every error to stderr by default; vmctl reports the ones that matter itself. Set every
    # time: other modules (host detection) put the default handler back.
    libvirt.registerErrorHandler(_ignore_error, None)
    return libvirt


def _ignore_error(_ctx: Any, _err: Any) -> None:
    return None


def start_event_loop() -> None:
    """Register libvirt's default event loop and run it in a daemon thread (once; before opening connections)."""
    global _events_started
    libvirt = _libvirt()
    with _events_lock:
        if _events_started:
            return
        libvirt.virEventRegisterDefaultImpl()

        def run() -> None:
            while True:
                libvirt.virEventRunDefaultImpl()

        threading.Thread(target=run, name="libvirt-events", daemon=True).start()
        _events_started = True


_connections: dict[str, Any] = {}


def open_connection(uri: str) -> Any:
    """Open libvirt (one shared connection per URI and process), turning "daemon not running" into one line
    that says how to start it."""
    libvirt = _libvirt()
    conn = _connections.get(uri)
    if conn is not None:
        with contextlib.suppress(libvirt.libvirtError):
            if conn.isAlive():
                return conn
    try:
        conn = libvirt.open(uri)
        _connections[uri] = conn
        return conn
    except libvirt.libvirtError as exc:
        text = str(exc)
        if "Failed to connect socket" in text or "No such file or directory" in text or "Connection refused" in text:
            raise VmctlError(LIBVIRTD_DOWN) from None
        raise VmctlError(f"cannot connect to libvirt at {uri}: {text}") from None


def domain_name(namespace: str, name: str) -> str:
    return f"{namespace}_{name}"


def _now() -> datetime:
    return datetime.now(UTC)


def lifecycle_error(exc: rc.LifecycleError) -> VmctlError:
    if exc.code == 404:
        return NotFoundError(exc.message)
    if exc.code == 409:
        return ConflictError(exc.message)
    return VmctlError(exc.message)


# --- domain state and ownership ----------------------------------------------------------------------------


def observe_domain(dom: Any) -> rc.DomainState:
    """Map libvirt's (state, reason) to the planner's domain states."""
    libvirt = _libvirt()
    try:
        state, reason = dom.state()
    except libvirt.libvirtError:
        return rc.DomainState.ABSENT
    D = rc.DomainState
    if state in (libvirt.VIR_DOMAIN_RUNNING, libvirt.VIR_DOMAIN_BLOCKED, libvirt.VIR_DOMAIN_PMSUSPENDED):
        return D.RUNNING
    if state == libvirt.VIR_DOMAIN_PAUSED:
        if reason == libvirt.VIR_DOMAIN_PAUSED_IOERROR:
            return D.PAUSED_IOERROR
        if reason == libvirt.VIR_DOMAIN_PAUSED_SHUTTING_DOWN:
            return D.SHUTTING_DOWN
        if reason == libvirt.VIR_DOMAIN_PAUSED_STARTING_UP:
            return D.RUNNING  # QEMU is being launched; libvirtd resumes it on its own
        return D.PAUSED
    if state == libvirt.VIR_DOMAIN_SHUTDOWN:
        return D.SHUTTING_DOWN
    if state == libvirt.VIR_DOMAIN_SHUTOFF:
        if reason == libvirt.VIR_DOMAIN_SHUTOFF_SHUTDOWN:
            return D.SHUTOFF_GUEST
        if reason == libvirt.VIR_DOMAIN_SHUTOFF_UNKNOWN:
            return D.DEFINED
        return D.SHUTOFF_FAILED
    if state == libvirt.VIR_DOMAIN_CRASHED:
        return D.SHUTOFF_FAILED
    return D.DEFINED


def add_owner_metadata(xml: str, owner: dict[str, str]) -> str:
    """Put ``<vmctlrt:runtime store= namespace= name= uid=/>`` into the domain's ``<metadata>``."""
    ET.register_namespace("vmctlrt", META_NS)
    root = ET.fromstring(xml)
    meta = root.find("metadata")
    if meta is None:
        meta = ET.Element("metadata")
        # <metadata> goes after name/uuid/title/description
        index = 0
        for i, child in enumerate(list(root)):
            if child.tag in ("name", "uuid", "title", "description"):
                index = i + 1
        root.insert(index, meta)
    for old in meta.findall(f"{{{META_NS}}}runtime"):
        meta.remove(old)
    ET.SubElement(meta, f"{{{META_NS}}}runtime", {k: str(v) for k, v in owner.items()})
    return ET.tostring(root, encoding="unicode")


def domain_owner(dom: Any) -> dict[str, str] | None:
    """The vmctl owner record of a live domain; None when it has none or vanished meanwhile."""
    libvirt = _libvirt()
    try:
        return read_owner(dom.XMLDesc(0))
    except libvirt.libvirtError:
        return None


def read_owner(xml: str) -> dict[str, str] | None:
    """The vmctl owner record of a domain XML, or None for domains vmctl did not make."""
    try:
        root = ET.fromstring(xml)
    except ET.ParseError:
        return None
    node = root.find(f"metadata/{{{META_NS}}}runtime")
    return dict(node.attrib) if node is not None else None


class _StoreSource:
    """ObjectSource for the pipeline: objects stored in SQLite first, then the catalogs."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._catalog: Any = None

    @property
    def catalog(self) -> Any:
        if self._catalog is None:
            from vmctl.catalog import load_catalog

            self._catalog = load_catalog()
        return self._catalog

    def _find(self, kind: str, name: str, namespace: str, method: str) -> Obj:
        obj = self.store.get(kind, namespace, name)
        if obj is not None:
            return obj
        return getattr(self.catalog, method)(name, kind, namespace)

    def find_instancetype(self, name: str, kind: str, namespace: str) -> Obj:
        return self._find(kind, name, namespace, "find_instancetype")

    def find_preference(self, name: str, kind: str, namespace: str) -> Obj:
        return self._find(kind, name, namespace, "find_preference")

    def presets(self, namespace: str) -> list[Obj]:
        stored = {p["metadata"]["name"]: p for p in self.store.list(kinds.PRESET.kind, namespace)}
        try:
            extra = self.catalog.presets(namespace)
        except Exception:  # noqa: BLE001 - a catalog problem must not hide stored presets
            extra = []
        for preset in extra:
            stored.setdefault(dig(preset, "metadata", "name"), preset)
        return [stored[k] for k in sorted(stored)]


_TCG_NOTICED = False


def _notice_tcg(host: Any, name: str) -> None:
    """One line, once per process, when guests run under TCG (software emulation) rather than KVM."""
    global _TCG_NOTICED
    if host.virt_type == "kvm" or _TCG_NOTICED or host.kvm_reason == "VMCTL_VIRT_TYPE=qemu":
        return
    _TCG_NOTICED = True
    import sys

    sys.stderr.write(f"notice: KVM is not usable here ({host.kvm_reason}); VMI {name} runs with TCG "
                     "software emulation (slower; VMCTL_VIRT_TYPE=qemu silences this)\n")


class LocalBackend:
    """Run KubeVirt VMs on a libvirt host; objects in SQLite."""

    name = "local"

    def __init__(self, state_dir: Path, uri: str, *, allow_hooks: bool = False) -> None:
        self.state_dir = Path(state_dir).expanduser().absolute()  # libvirtd resolves paths on its own side
        self.uri = uri
        self.allow_hooks = allow_hooks
        self.store = Store(self.state_dir)
        self._conn: Any = None
        self._leases: dict[str, int] = {}
        self.due_to_start: set[tuple[str, str]] = set()  # VMs a start=False pass would have started
        self._warned: set[str] = set()

    # -- libvirt -------------------------------------------------------------------------------------

    @property
    def conn(self) -> Any:
        if self._conn is None:
            self._conn = open_connection(self.uri)
        return self._conn

    def close(self) -> None:
        """Close the store (the libvirt connection stays shared by the process)."""
        self._conn = None
        self.store.close()

    def _lookup_domain(self, namespace: str, name: str) -> Any:
        libvirt = _libvirt()
        try:
            return self.conn.lookupByName(domain_name(namespace, name))
        except libvirt.libvirtError as exc:
            if exc.get_error_code() == libvirt.VIR_ERR_NO_DOMAIN:
                return None
            raise VmctlError(f"libvirt: {exc}") from None

    def _domain_of(self, vmi: Obj | None, domains: dict[str, Any] | None = None) -> Any:
        """The domain that belongs to this VMI (same store and uid), or None."""
        if vmi is None:
            return None
        ns, name = vmi["metadata"].get("namespace", "default"), vmi["metadata"]["name"]
        dom = domains.get(domain_name(ns, name)) if domains is not None else self._lookup_domain(ns, name)
        if dom is None:
            return None
        owner = domain_owner(dom)
        if not owner or owner.get("store") != self.store.store_id or owner.get("uid") != vmi["metadata"]["uid"]:
            return None
        return dom

    def _observed(self, vmi: Obj | None, key: str, domains: dict[str, Any] | None = None) -> rc.Observed:
        starting = self.store.lease_held(key)
        dom = self._domain_of(vmi, domains)
        state = observe_domain(dom) if dom is not None else rc.DomainState.ABSENT
        return rc.Observed(domain=state, starting=starting)

    # -- leases -----------------------------------------------------------------------------------------

    def _try_lease(self, key: str) -> bool:
        if self._leases.get(key):
            self._leases[key] += 1
            return True
        if not self.store.acquire_lease(key):
            return False
        self._leases[key] = 1
        return True

    def _release(self, key: str) -> None:
        count = self._leases.get(key, 0) - 1
        if count <= 0:
            self._leases.pop(key, None)
            self.store.release_lease(key)
        else:
            self._leases[key] = count

    @contextlib.contextmanager
    def _starting(self, ref: Ref) -> Iterator[None]:
        key = _lease_key(ref.namespace, ref.name)
        if not self._try_lease(key):
            raise VmctlError(f"VM {ref.name} is already being started by another vmctl process")
        try:
            yield
        finally:
            self._release(key)

    # -- objects ------------------------------------------------------------------------------------------

    def apply(self, objs: list[Obj], *, namespace: str | None = None) -> list[tuple[Obj, str]]:
        for obj in objs:
            kind = obj.get("kind") if isinstance(obj, dict) else None
            if kind not in STORED_BY_KIND:
                raise InputError(f"kind {kind!r} cannot be stored by the local backend")
        if any(obj["kind"] in (kinds.VM.kind, kinds.VMI.kind) for obj in objs):
            _ = self.conn  # libvirt unreachable: fail here, before anything is stored
        results: list[tuple[Obj, str]] = []
        vmis: list[tuple[Obj, Obj]] = []
        with self.store.transaction():
            for obj in objs:
                if obj["kind"] == kinds.VMI.kind:
                    stored, action = self._apply_vmi(obj, namespace)
                    if action == "created":
                        vmis.append((obj, stored))
                else:
                    stored, action = self.store.apply(obj, namespace=namespace)
                results.append((stored, action))
        problems: list[str] = []
        for stored, _ in results:
            if stored["kind"] == kinds.VM.kind:
                try:
                    self._converge(stored["metadata"]["namespace"], stored["metadata"]["name"])
                except VmctlError as exc:
                    problems.append(f"VirtualMachine {stored['metadata']['name']}: {exc.message}")
        for _, stored in vmis:
            try:
                self._start_standalone(stored)
            except VmctlError as exc:
                problems.append(f"VirtualMachineInstance {stored['metadata']['name']}: {exc.message}")
        fresh = []
        for stored, action in results:
            meta = stored["metadata"]
            fresh.append((self.store.get(stored["kind"], meta.get("namespace"), meta["name"]) or stored, action))
        if problems:
            err = VmctlError("; ".join(problems))
            err.results = fresh  # type: ignore[attr-defined]
            raise err
        return fresh

    def _apply_vmi(self, obj: Obj, namespace: str | None) -> tuple[Obj, str]:
        meta = obj.get("metadata") or {}
        ns = scope_namespace(kinds.VMI.kind, meta.get("namespace") or namespace)
        resolved = self._resolve(clone({**obj, "metadata": {**meta, "namespace": ns}}))
        current = self.store.get(kinds.VMI.kind, ns, meta.get("name", ""))
        if current is not None:
            if canonical_json(current.get("spec")) == canonical_json(resolved.get("spec")):
                return current, "unchanged"
            raise VmctlError(
                f'virtualmachineinstances.kubevirt.io "{meta.get("name")}": the spec of a running VMI cannot be '
                "changed; delete it and apply again"
            )
        resolved.setdefault("status", {})["phase"] = rc.PENDING
        return self.store.create(resolved), "created"

    def get(self, ref: Ref) -> Obj:
        kind = ref.kind
        if kind in (kinds.VM.kind, kinds.VMI.kind):
            self._touch(ref.namespace, ref.name)
        obj = self.store.get(kind, ref.namespace, ref.name)
        if obj is None:
            raise not_found(kind, ref.name)
        return obj

    def list(self, kind: str, namespace: str | None = None, selector: str | None = None) -> list[Obj]:
        if kind in (kinds.VM.kind, kinds.VMI.kind):
            self.due_to_start.clear()
            self.sync_all(namespace, start=False)
            self._notice_due(qualified=namespace is None)
        return self.store.list(kind, namespace, selector)

    def _notice_due(self, *, qualified: bool) -> None:
        """A listing does not start VMs; say which ones are due to start and how to start them."""
        due = sorted(self.due_to_start)
        if not due:
            return
        import sys

        names = ", ".join(f"{ns}/{name}" if qualified else name for ns, name in due)
        what = f"VM {names} is" if len(due) == 1 else f"VMs {names} are"
        sys.stderr.write(f"notice: {what} due to start (runStrategy); a listing does not start VMs: "
                         "'vmctl get vm NAME' starts one, 'vmctl controller --once' starts all\n")

    def delete(self, ref: Ref, *, wait: bool = False, timeout: float = 300) -> None:
        kind = ref.kind
        obj = self.store.get(kind, ref.namespace, ref.name)
        if obj is None:
            raise not_found(kind, ref.name)
        if kind == kinds.VM.kind:
            def mark(vm: Obj) -> None:
                vm["metadata"].setdefault("deletionTimestamp", now_rfc3339())
            self.store.mutate(kind, ref.namespace, ref.name, mark)
            self._converge(ref.namespace, ref.name, start=False)
        elif kind == kinds.VMI.kind:
            # the owning VM is reconciled too: runStrategy Always starts a new VMI once this one is gone
            self._stop_vmi(obj, rc._grace(obj))
            self._touch(ref.namespace, ref.name)
        else:
            self.store.delete(kind, ref.namespace, ref.name)
            return
        if wait:
            self.wait(ref, "Deleted", timeout, uid=obj["metadata"]["uid"])

    # -- convergence -------------------------------------------------------------------------------------

    def _sync_one(self, namespace: str, name: str) -> None:
        self._converge(namespace, name, start=False)

    def _touch(self, namespace: str, name: str) -> None:
        """Converge a VM (or VMI) a command touches, starting a VMI when its runStrategy calls for one. A start
        that fails is a warning here (the object shows the failure): the command itself goes on."""
        try:
            self._converge(namespace, name, start=True)
        except VmctlError as exc:
            text = f"{name}: {exc.message}"
            if text not in self._warned:  # a wait loop touches the VM many times: say it once
                self._warned.add(text)
                from vmctl.cli.output import warn

                warn(text)
            self._converge(namespace, name, start=False)

    def sync_all(self, namespace: str | None = None, *, start: bool = False) -> None:
        """Converge every VM and VMI (of a namespace); ``start`` lets it start VMIs (the controller does)."""
        vms = self.store.list(kinds.VM.kind, namespace)
        vmis = self.store.list(kinds.VMI.kind, namespace)
        if not vms and not vmis:
            return
        domains = self._all_domains() if vmis else {}
        keys = {(o["metadata"]["namespace"], o["metadata"]["name"]) for o in (*vms, *vmis)}
        for ns, name in sorted(keys):
            try:
                self._converge(ns, name, start=start, domains=domains)
            except VmctlError as exc:
                if start:
                    from vmctl.cli.output import warn

                    warn(f"{ns}/{name}: {exc.message}")
                else:
                    raise
        if vmis or domains:
            self._sweep_orphans(domains or self._all_domains())

    def _all_domains(self) -> dict[str, Any]:
        try:
            return {d.name(): d for d in self.conn.listAllDomains(0)}
        except _libvirt().libvirtError as exc:
            raise VmctlError(f"libvirt: {exc}") from None

    def _sweep_orphans(self, domains: dict[str, Any]) -> None:
        """Remove domains of this state folder that no stored VMI owns (left by a crash)."""
        store_id = self.store.store_id
        for dom in domains.values():
            owner = domain_owner(dom)
            if not owner or owner.get("store") != store_id:
                continue
            vmi = self.store.get(kinds.VMI.kind, owner.get("namespace"), owner.get("name", ""))
            if vmi is not None and vmi["metadata"]["uid"] == owner.get("uid"):
                continue
            if self.store.lease_held(_lease_key(owner.get("namespace", ""), owner.get("name", ""))):
                continue
            self._remove_domain(dom)

    def _converge(
        self, namespace: str, name: str, *, start: bool = True, domains: dict[str, Any] | None = None,
        console: bool = False,
    ) -> Any:
        """Plan and execute steps for one VM (or standalone VMI) until nothing is left to do now.

        Returns the domain started paused for a console when ``console`` is set (else None).
        """
        key = _lease_key(namespace, name)
        for _ in range(MAX_STEPS):
            vm = self.store.get(kinds.VM.kind, namespace, name)
            vmi = self.store.get(kinds.VMI.kind, namespace, name)
            if vm is None and vmi is None:
                return None
            obs = self._observed(vmi, key, domains)
            domains = None  # after the first step look domains up afresh
            now = _now()
            if vm is None:
                assert vmi is not None
                if not self._step_standalone(vmi, obs, now):
                    return None
                continue
            step = rc.plan(vm, vmi, obs, now)
            try:
                self._write_status(vm, vmi, step)
            except ConflictError:
                continue
            self._release_final(vmi, step.vmi_status, obs)
            actions = [a for a in step.actions if start or a.name != "start_vmi"]
            if len(actions) < len(step.actions):
                self.due_to_start.add((namespace, name))
            if not actions:
                trimmed = step.vm_status.get("stateChangeRequests") != dig(vm, "status", "stateChangeRequests")
                if trimmed:
                    continue  # a handled request was removed: the next one may be actionable now
                return None
            for action in actions:
                result = self._execute(action, vm, vmi, console=console)
                if result is not None:
                    return result
        return None

    def _write_status(self, vm: Obj, vmi: Obj | None, step: rc.Plan) -> None:
        with self.store.transaction():
            if vmi is not None and step.vmi_status is not None and canonical_json(step.vmi_status) != canonical_json(
                vmi.get("status")
            ):
                self.store.update({**vmi, "status": step.vmi_status})
            if canonical_json(step.vm_status) != canonical_json(vm.get("status")):
                self.store.update({**vm, "status": step.vm_status})

    def _step_standalone(self, vmi: Obj, obs: rc.Observed, now: datetime) -> bool:
        """A VMI without a VM: keep its status true; finish or force its deletion. True when it changed."""
        status = rc.observe_vmi(vmi, obs, now)
        if canonical_json(status) != canonical_json(vmi.get("status")):
            try:
                self.store.update({**vmi, "status": status})
            except ConflictError:
                return True
        self._release_final(vmi, status, obs)
        if not rc.marked_for_deletion(vmi):
            return False
        if not obs.domain.active:
            self._finalize(vmi)
            return True
        deadline = rc.parse_ts(dig(vmi, "metadata", "deletionTimestamp"))
        if deadline is None or now >= deadline:
            self._destroy(vmi)
            return True
        return False

    def _release_final(self, vmi: Obj | None, status: Obj | None, obs: rc.Observed) -> None:
        """A finished VMI (Succeeded/Failed) keeps its record but not its domain and files."""
        if vmi is None or status is None or status.get("phase") not in rc.FINAL_PHASES:
            return
        if obs.domain.active or obs.domain is rc.DomainState.ABSENT:
            return
        dom = self._domain_of(vmi)
        if dom is not None:
            self._remove_domain(dom)
        self._remove_files(vmi)

    def _remove_files(self, vmi: Obj) -> None:
        ns, name = vmi["metadata"]["namespace"], vmi["metadata"]["name"]
        record = self.store.runtime(ns, name)
        if record and record.get("uid") == vmi["metadata"]["uid"] and record.get("workdir"):
            shutil.rmtree(record["workdir"], ignore_errors=True)
            self.store.set_runtime(ns, name, None)

    def _execute(self, action: rc.Action, vm: Obj, vmi: Obj | None, *, console: bool) -> Any:
        ns, name = vm["metadata"]["namespace"], vm["metadata"]["name"]
        if action.name == "start_vmi":
            return self._start_vmi(vm, paused=action.paused, console=console)
        if action.name == "stop_vmi" and vmi is not None:
            self._stop_vmi(vmi, action.grace if action.grace is not None else rc.DEFAULT_GRACE_SECONDS)
        elif action.name == "destroy_domain" and vmi is not None:
            self._destroy(vmi)
        elif action.name == "finalize_vmi" and vmi is not None:
            self._finalize(vmi)
        elif action.name == "set_run_strategy":
            self.store.mutate(kinds.VM.kind, ns, name, lambda o: rc_set_run_strategy(o, action.value or rc.ALWAYS))
        elif action.name == "add_start_request":
            def add(o: Obj) -> None:
                reqs = list(dig(o, "status", "stateChangeRequests", default=[]) or [])
                reqs.append({"action": "Start"})
                o.setdefault("status", {})["stateChangeRequests"] = reqs
            self.store.mutate(kinds.VM.kind, ns, name, add)
        elif action.name == "delete_vm":
            self.store.delete(kinds.VM.kind, ns, name)
        return None

    # -- start ----------------------------------------------------------------------------------------------

    def _resolve(self, obj: Obj) -> Obj:
        """VM or VMI → the VMI KubeVirt would create (instancetype, preference, presets, defaults)."""
        from vmctl.core.pipeline import resolve

        return resolve(obj, _StoreSource(self.store)).obj

    def _vmi_for(self, vm: Obj, paused: bool) -> Obj:
        vmi = clone(self._resolve(clone(vm)))
        meta = vmi.setdefault("metadata", {})
        vm_meta = vm["metadata"]
        meta["name"] = vm_meta["name"]
        meta["namespace"] = vm_meta["namespace"]
        labels = dig(vm, "spec", "template", "metadata", "labels")
        if labels:
            meta["labels"] = {**(meta.get("labels") or {}), **labels}
        meta["ownerReferences"] = [{
            "apiVersion": kinds.VM.api_version, "kind": kinds.VM.kind, "name": vm_meta["name"],
            "uid": vm_meta["uid"], "controller": True, "blockOwnerDeletion": True,
        }]
        meta.setdefault("annotations", {})["kubevirt.io/vm-generation"] = str(vm_meta.get("generation", 1))
        vmi["apiVersion"] = kinds.VMI.api_version
        vmi["kind"] = kinds.VMI.kind
        if paused:
            vmi.setdefault("spec", {})["startStrategy"] = "Paused"
        vmi.pop("status", None)
        return vmi

    def _check_hooks(self, vmi: Obj) -> list[Any]:
        if HOOK_ANNOTATION not in (dig(vmi, "metadata", "annotations") or {}):
            return []
        if not self.allow_hooks:
            raise VmctlError(
                f"VMI {vmi['metadata']['name']} has the annotation {HOOK_ANNOTATION}: hook scripts run on this host, "
                "so they are refused unless allowed (--allow-hooks or 'allowHooks: true' in ~/.config/vmctl/config.yaml)"
            )
        from vmctl.backends.local import hooks

        return hooks.resolve_hook_scripts(vmi, self._store_lookup)

    def _store_lookup(self, kind: str, namespace: str, name: str) -> Obj | None:
        return self.store.get(kind, namespace, name)

    def _workdir(self, namespace: str, name: str, uid: str) -> Path:
        return self.state_dir / "vmis" / namespace / f"{name}-{uid[:8]}"

    def _start_vmi(self, vm: Obj, *, paused: bool, console: bool = False) -> Any:
        """Create the VMI of ``vm`` and boot its domain; returns the domain when started for a console."""
        ns, name = vm["metadata"]["namespace"], vm["metadata"]["name"]
        _ = self.conn  # libvirt unreachable: fail before a VMI record exists
        key = _lease_key(ns, name)
        if not self._try_lease(key):
            return None  # someone else is starting it
        try:
            vmi = self._vmi_for(vm, paused)
            self._check_hooks(vmi)
            with self.store.transaction():
                if self.store.get(kinds.VMI.kind, ns, name) is not None:
                    return None
                vmi["status"] = {"phase": rc.SCHEDULING, "nodeName": hostname()}
                vmi = self.store.create(vmi)
                fresh_vm = self.store.require(kinds.VM.kind, ns, name)
                step = rc.plan(fresh_vm, vmi, rc.Observed(starting=True), _now())
                self.store.update({**fresh_vm, "status": step.vm_status})
                self.store.update({**vmi, "status": step.vmi_status})
            return self._boot(self.store.require(kinds.VMI.kind, ns, name), console=console)
        finally:
            self._release(key)

    def _start_standalone(self, vmi: Obj) -> Any:
        ns, name = vmi["metadata"]["namespace"], vmi["metadata"]["name"]
        key = _lease_key(ns, name)
        if not self._try_lease(key):
            return None
        try:
            self._check_hooks(vmi)
            def schedule(o: Obj) -> None:
                o.setdefault("status", {}).update({"phase": rc.SCHEDULING, "nodeName": hostname()})
            vmi = self.store.mutate(kinds.VMI.kind, ns, name, schedule)
            return self._boot(vmi, console=False)
        finally:
            self._release(key)

    def _boot(self, vmi: Obj, *, console: bool) -> Any:
        """Prepare files, build and define the domain, start it; on failure leave no domain and a Failed VMI."""
        libvirt = _libvirt()
        from vmctl.backends.local import volumes
        from vmctl.backends.local.domain import build_domain_xml
        from vmctl.backends.local.host import detect_host

        ns, name, vmi_uid = vmi["metadata"]["namespace"], vmi["metadata"]["name"], vmi["metadata"]["uid"]
        workdir = self._workdir(ns, name, vmi_uid)
        dname = domain_name(ns, name)
        self.store.set_runtime(ns, name, {"domain": dname, "uid": vmi_uid, "workdir": str(workdir)})
        dom = None
        try:
            existing = self._lookup_domain(ns, name)
            if existing is not None:
                owner = domain_owner(existing)
                if owner and owner.get("store") == self.store.store_id and owner.get("uid") != vmi_uid:
                    self._remove_domain(existing)  # left over from an earlier VMI of this name
                else:
                    raise VmctlError(
                        f"libvirt domain {dname} already exists on {self.uri} and is not managed by the vmctl state "
                        f"folder {self.state_dir}; remove it or use another --state-dir"
                    )
            scripts = self._check_hooks(vmi)
            inputs = volumes.prepare(vmi, workdir, self._store_lookup, state_dir=self.state_dir, hook_scripts=scripts)
            record = {"domain": dname, "uid": vmi_uid, "workdir": str(workdir)}
            if inputs.console_log is not None:
                record["consoleLog"] = str(inputs.console_log)
            self.store.set_runtime(ns, name, record)
            owner = {"store": self.store.store_id, "namespace": ns, "name": name, "uid": vmi_uid}
            described = {"kind": kinds.VMI.kind, "apiVersion": kinds.VMI.api_version, "namespace": ns, "name": name,
                         "uid": vmi_uid, "resourceVersion": vmi["metadata"].get("resourceVersion")}
            host = detect_host()
            _notice_tcg(host, name)
            libvirt = _libvirt()  # detect_host may have reset libvirt's error handler
            xml = build_domain_xml(vmi, inputs, host, name=dname, metadata=described)
            if scripts:
                from vmctl.backends.local import hooks

                xml = hooks.run_on_define_domain(vmi, xml, scripts)
            xml = add_owner_metadata(xml, owner)
            try:
                dom = self.conn.defineXML(xml)
            except libvirt.libvirtError as exc:
                raise VmctlError(describe_libvirt_error("libvirt refused the domain", name, str(exc))) from None
            start_paused = console or dig(vmi, "spec", "startStrategy") == "Paused"
            try:
                if start_paused and self.conn.getType().upper() == "TEST":
                    dom.create()  # the test driver has no START_PAUSED
                    dom.suspend()
                else:
                    dom.createWithFlags(libvirt.VIR_DOMAIN_START_PAUSED if start_paused else 0)
            except libvirt.libvirtError as exc:
                raise VmctlError(describe_libvirt_error("starting the domain failed", name, str(exc))) from None
            self._add_port_forwards(dom, xml, name)
        except BaseException as exc:
            if dom is not None:
                self._remove_domain(dom)
            shutil.rmtree(workdir, ignore_errors=True)
            self._fail_vmi(ns, name, vmi_uid, exc)
            raise
        # record what the domain really does now
        self._observe_into_store(ns, name)
        return dom if console else None

    def _add_port_forwards(self, dom: Any, xml: str, name: str) -> None:
        """User-mode networking port forwards are added through the QEMU monitor once QEMU runs."""
        from vmctl.backends.local.domain import slirp_hostfwd_commands

        commands = slirp_hostfwd_commands(xml)
        if not commands or self.conn.getType() != "QEMU":
            return  # only QEMU has a monitor (the test driver runs no guest)
        libvirt = _libvirt()
        import libvirt_qemu

        for command in commands:
            try:
                libvirt_qemu.qemuMonitorCommand(dom, command, libvirt_qemu.VIR_DOMAIN_QEMU_MONITOR_COMMAND_HMP)
            except libvirt.libvirtError as exc:
                raise VmctlError(f"VMI {name}: port forward {command!r} failed: {exc}") from None

    def _fail_vmi(self, ns: str, name: str, vmi_uid: str, exc: BaseException) -> None:
        message = getattr(exc, "message", None) or str(exc) or type(exc).__name__

        def fail(o: Obj) -> None:
            if o["metadata"]["uid"] != vmi_uid:
                return
            status = o.setdefault("status", {})
            status["phase"] = rc.FAILED
            stamps = list(status.get("phaseTransitionTimestamps") or [])
            stamps.append({"phase": rc.FAILED, "phaseTransitionTimestamp": now_rfc3339()})
            status["phaseTransitionTimestamps"] = stamps
            conds = [c for c in status.get("conditions") or [] if c.get("type") != "Synchronized"]
            conds.append({"type": "Synchronized", "status": "False", "reason": "FailedCreate", "message": message,
                          "lastProbeTime": None, "lastTransitionTime": now_rfc3339()})
            status["conditions"] = conds

        with contextlib.suppress(VmctlError):
            self.store.mutate(kinds.VMI.kind, ns, name, fail)
        with contextlib.suppress(VmctlError):
            vm = self.store.get(kinds.VM.kind, ns, name)
            vmi = self.store.get(kinds.VMI.kind, ns, name)
            if vm is not None:
                step = rc.plan(vm, vmi, rc.Observed(), _now())
                self._write_status(vm, vmi, step)

    def _observe_into_store(self, ns: str, name: str) -> None:
        vm = self.store.get(kinds.VM.kind, ns, name)
        vmi = self.store.get(kinds.VMI.kind, ns, name)
        if vmi is None:
            return
        obs = rc.Observed(domain=self._observed(vmi, "").domain)
        now = _now()
        if vm is None:
            status = rc.observe_vmi(vmi, obs, now)
            self.store.update({**vmi, "status": status})
            return
        self._write_status(vm, vmi, rc.plan(vm, vmi, obs, now))

    # -- stop -------------------------------------------------------------------------------------------------

    def _stop_vmi(self, vmi: Obj, grace: int) -> None:
        """Mark the VMI deleted (deadline = now + grace) and ask the guest to power off (or destroy at 0)."""
        ns, name = vmi["metadata"]["namespace"], vmi["metadata"]["name"]
        deadline = (_now() + timedelta(seconds=grace)).strftime("%Y-%m-%dT%H:%M:%SZ")

        def mark(o: Obj) -> None:
            if not o["metadata"].get("deletionTimestamp"):
                o["metadata"]["deletionTimestamp"] = deadline
                o["metadata"]["deletionGracePeriodSeconds"] = grace

        vmi = self.store.mutate(kinds.VMI.kind, ns, name, mark)
        dom = self._domain_of(vmi)
        if dom is None:
            return
        if grace == 0:
            self._destroy(vmi)
            return
        libvirt = _libvirt()
        try:
            dom.shutdownFlags(libvirt.VIR_DOMAIN_SHUTDOWN_ACPI_POWER_BTN)
        except libvirt.libvirtError as exc:
            if exc.get_error_code() in (libvirt.VIR_ERR_INVALID_ARG, libvirt.VIR_ERR_NO_SUPPORT):
                with contextlib.suppress(libvirt.libvirtError):
                    dom.shutdown()  # drivers without an ACPI flag (the test driver)

    def _destroy(self, vmi: Obj) -> None:
        dom = self._domain_of(vmi)
        if dom is None:
            return
        libvirt = _libvirt()
        with contextlib.suppress(libvirt.libvirtError):
            if dom.isActive():
                dom.destroy()

    def _remove_domain(self, dom: Any) -> None:
        libvirt = _libvirt()
        with contextlib.suppress(libvirt.libvirtError):
            if dom.isActive():
                dom.destroy()
        flags = libvirt.VIR_DOMAIN_UNDEFINE_NVRAM | libvirt.VIR_DOMAIN_UNDEFINE_MANAGED_SAVE
        flags |= libvirt.VIR_DOMAIN_UNDEFINE_SNAPSHOTS_METADATA
        try:
            dom.undefineFlags(flags)
        except libvirt.libvirtError as exc:
            if exc.get_error_code() != libvirt.VIR_ERR_NO_DOMAIN:
                with contextlib.suppress(libvirt.libvirtError):
                    dom.undefine()

    def _finalize(self, vmi: Obj) -> None:
        """The VMI's domain is down: undefine it, remove its files, delete the VMI object."""
        ns, name = vmi["metadata"]["namespace"], vmi["metadata"]["name"]
        dom = self._domain_of(vmi)
        if dom is not None:
            self._remove_domain(dom)
        self._remove_files(vmi)
        with self.store.transaction():
            current = self.store.get(kinds.VMI.kind, ns, name)
            if current is not None and current["metadata"]["uid"] == vmi["metadata"]["uid"]:
                self.store.delete(kinds.VMI.kind, ns, name)

    # -- lifecycle verbs -------------------------------------------------------------------------------------

    def _vm_for_verb(self, ref: Ref, *, start: bool = False) -> Obj:
        self._converge(ref.namespace, ref.name, start=start)
        vm = self.store.get(kinds.VM.kind, ref.namespace, ref.name)
        if vm is None:
            raise NotFoundError(f'virtualmachine.kubevirt.io "{ref.name}" not found')
        return vm

    def _vmi_for_verb(self, ref: Ref) -> Obj:
        self._touch(ref.namespace, ref.name)
        vmi = self.store.get(kinds.VMI.kind, ref.namespace, ref.name)
        if vmi is None:
            raise NotFoundError(f'virtualmachineinstance.kubevirt.io "{ref.name}" not found')
        return vmi

    def _request(self, ref: Ref, make: Callable[[Obj, Obj | None], rc.Request], *, start: bool = False) -> None:
        """Validate a lifecycle request against fresh state and record it (one transaction, no libvirt calls).

        ``start``: converge first with starts allowed, so a request left pending (no controller ran) is
        honoured before the new one is judged."""
        self._vm_for_verb(ref, start=start)
        with self.store.transaction():
            vm = self.store.get(kinds.VM.kind, ref.namespace, ref.name)
            if vm is None:
                raise NotFoundError(f'virtualmachine.kubevirt.io "{ref.name}" not found')
            vmi = self.store.get(kinds.VMI.kind, ref.namespace, ref.name)
            try:
                req = make(vm, vmi)
            except rc.LifecycleError as exc:
                raise lifecycle_error(exc) from None
            if req.vmi_grace is not None and vmi is not None:
                self.store.update(_with_grace(vmi, req.vmi_grace))
            self.store.update(rc.apply_request(vm, req))

    def start(self, ref: Ref, *, paused: bool = False) -> None:
        with self._starting(ref):
            self._request(ref, lambda vm, vmi: rc.request_start(vm, vmi, paused=paused), start=True)
            self._converge(ref.namespace, ref.name)
            self._raise_start_failure(ref)

    def _raise_start_failure(self, ref: Ref) -> None:
        vmi = self.store.get(kinds.VMI.kind, ref.namespace, ref.name)
        cond = rc.condition(vmi, "Synchronized")
        if vmi is not None and rc.phase(vmi) == rc.FAILED and cond and cond.get("reason") == "FailedCreate":
            raise VmctlError(f"VMI {ref.name} failed to start: {cond.get('message')}")

    def stop(self, ref: Ref, *, grace_period: int | None = None, force: bool = False) -> None:
        self._request(ref, lambda vm, vmi: rc.request_stop(vm, vmi, grace_period=grace_period))
        self._converge(ref.namespace, ref.name, start=False)

    def restart(self, ref: Ref, *, grace_period: int | None = None, force: bool = False) -> None:
        with self._starting(ref):
            self._request(ref, lambda vm, vmi: rc.request_restart(vm, vmi, grace_period=grace_period), start=True)
            # the old VMI must be gone before the new one starts: drive it here (bounded by its grace period)
            vmi = self.store.get(kinds.VMI.kind, ref.namespace, ref.name)
            old_uid = dig(vmi, "metadata", "uid")
            deadline = time.monotonic() + rc._grace(vmi) + 30
            while time.monotonic() < deadline:
                self._converge(ref.namespace, ref.name)
                cur = self.store.get(kinds.VMI.kind, ref.namespace, ref.name)
                if cur is not None and cur["metadata"]["uid"] != old_uid:
                    break
                time.sleep(POLL)
            self._raise_start_failure(ref)

    def _vmi_verb(self, ref: Ref, check: Callable[[Obj], None], act: Callable[[Any], None]) -> None:
        vmi = self._vmi_for_verb(Ref(kinds.VMI.kind, ref.name, ref.namespace))
        try:
            check(vmi)
        except rc.LifecycleError as exc:
            raise lifecycle_error(exc) from None
        dom = self._domain_of(vmi)
        if dom is None:
            raise ConflictError(
                f'Operation cannot be fulfilled on virtualmachineinstance.kubevirt.io "{ref.name}": {rc.VMI_NOT_RUNNING}'
            )
        libvirt = _libvirt()
        try:
            act(dom)
        except libvirt.libvirtError as exc:
            raise VmctlError(f"libvirt: {exc}") from None
        self._observe_into_store(ref.namespace, ref.name)

    def pause(self, ref: Ref) -> None:
        self._vmi_verb(ref, rc.check_pause, lambda dom: dom.suspend())

    def unpause(self, ref: Ref) -> None:
        self._vmi_verb(ref, rc.check_unpause, lambda dom: dom.resume())

    def soft_reboot(self, ref: Ref) -> None:
        libvirt = _libvirt()
        self._vmi_verb(ref, rc.check_soft_reboot, lambda dom: dom.reboot(libvirt.VIR_DOMAIN_REBOOT_ACPI_POWER_BTN))

    def reset(self, ref: Ref) -> None:
        self._vmi_verb(ref, rc.check_reset, lambda dom: dom.reset(0))

    def wait(self, ref: Ref, condition: str, timeout: float, *, uid: str | None = None) -> Obj:
        """Poll (converging each time, starts included) until ``condition`` holds: Ready, Running, Paused,
        Stopped, Deleted (with ``uid``: that object is gone, even if a new one of the same name exists)."""
        deadline = time.monotonic() + timeout
        while True:
            self._touch(ref.namespace, ref.name)
            vm = self.store.get(kinds.VM.kind, ref.namespace, ref.name)
            vmi = self.store.get(kinds.VMI.kind, ref.namespace, ref.name)
            obj = vm if ref.kind == kinds.VM.kind else vmi
            if uid is not None and obj is not None and obj["metadata"].get("uid") != uid:
                obj = None  # replaced by a new object of the same name
                vm, vmi = (None, vmi) if ref.kind == kinds.VM.kind else (vm, None)
            if _holds(condition, ref.kind, vm, vmi):
                return obj or {}
            if time.monotonic() >= deadline:
                what = "VirtualMachine" if ref.kind == kinds.VM.kind else "VirtualMachineInstance"
                raise VmctlError(f"timed out after {timeout:g}s waiting for {what} {ref.name} to be {condition}")
            time.sleep(POLL)

    def wait_desired(self, refs: list[Ref], timeout: float) -> None:
        """Poll (converging, starts included) until every VM is where its runStrategy heads it
        (``reconcile.desired_state``) and every standalone VMI is Ready (Paused when it starts paused)."""
        deadline = time.monotonic() + timeout
        pending = list(refs)
        while True:
            waiting = []
            for ref in pending:
                self._touch(ref.namespace, ref.name)
                vm = self.store.get(kinds.VM.kind, ref.namespace, ref.name)
                vmi = self.store.get(kinds.VMI.kind, ref.namespace, ref.name)
                if ref.kind == kinds.VM.kind:
                    if vm is None or dig(vm, "metadata", "deletionTimestamp"):
                        continue
                    want = rc.desired_state(vm, vmi)
                else:
                    if vmi is None:
                        raise NotFoundError(f'virtualmachineinstances.kubevirt.io "{ref.name}" not found')
                    if rc.is_final(vmi):
                        raise VmctlError(f"VirtualMachineInstance {ref.name} is {rc.phase(vmi)}; it will not be Ready")
                    want = "Paused" if dig(vmi, "spec", "startStrategy") == "Paused" else "Ready"
                if not _holds(want, ref.kind, vm, vmi):
                    waiting.append((ref, want, vm, vmi))
            if not waiting:
                return
            if time.monotonic() >= deadline:
                ref, want, vm, vmi = waiting[0]
                if ref.kind == kinds.VM.kind:
                    what, now = "VirtualMachine", dig(vm, "status", "printableStatus", default="Unknown")
                else:
                    what, now = "VirtualMachineInstance", rc.phase(vmi) or "Pending"
                raise VmctlError(f"timed out after {timeout:g}s waiting for {what} {ref.name} to be {want} "
                                 f"(it is {now})")
            pending = [w[0] for w in waiting]
            time.sleep(POLL)

    # -- streams -----------------------------------------------------------------------------------------------

    def console(self, ref: Ref, *, timeout: float, force: bool, escape: bytes) -> int:
        """Serial console. A VM due to start is started paused here and resumed once attached (no output is
        lost); for a VMI already running the serial log is replayed first. Waits up to ``timeout`` seconds."""
        from vmctl.backends.local.console import run_session

        deadline = time.monotonic() + timeout
        while True:
            started = None
            vm = self.store.get(kinds.VM.kind, ref.namespace, ref.name)
            if vm is not None:
                started = self._converge(ref.namespace, ref.name, console=True)
            else:
                self._sync_one(ref.namespace, ref.name)
            vmi = self.store.get(kinds.VMI.kind, ref.namespace, ref.name)
            if vmi is None and vm is None:
                raise NotFoundError(f'virtualmachineinstance.kubevirt.io "{ref.name}" not found')
            if started is not None:
                resume = started.resume if dig(vmi, "spec", "startStrategy") != "Paused" else None
                try:
                    return int(run_session(self.conn, started, force=force, escape=escape, replay_log=None,
                                           on_attached=resume, name=ref.name))
                finally:
                    self._observe_into_store(ref.namespace, ref.name)
            if vmi is not None and rc.phase(vmi) == rc.RUNNING:
                dom = self._domain_of(vmi)
                if dom is not None:
                    record = self.store.runtime(ref.namespace, ref.name) or {}
                    log = Path(record["consoleLog"]) if record.get("consoleLog") else None
                    if log is not None and not log.is_file():
                        log = None
                    return int(run_session(self.conn, dom, force=force, escape=escape, replay_log=log,
                                           on_attached=None, name=ref.name))
            if time.monotonic() >= deadline:
                raise VmctlError("Timeout trying to connect to the virtual machine instance")
            time.sleep(1)

    def _running_domain(self, ref: Ref) -> Any:
        vmi = self._vmi_for_verb(Ref(kinds.VMI.kind, ref.name, ref.namespace))
        dom = self._domain_of(vmi)
        if dom is None or rc.phase(vmi) != rc.RUNNING:
            raise ConflictError(
                f'Operation cannot be fulfilled on virtualmachineinstance.kubevirt.io "{ref.name}": {rc.VMI_NOT_RUNNING}'
            )
        return dom

    def vnc_stream(self, ref: Ref) -> Any:
        """A socket connected to the VMI's VNC server (address and port from the live XML)."""
        from vmctl.backends.local import vnc

        return vnc.connect(self._running_domain(ref))

    def screenshot(self, ref: Ref) -> bytes:
        from vmctl.backends.local import vnc

        libvirt = _libvirt()
        dom = self._running_domain(ref)
        try:
            return bytes(vnc.screenshot(self.conn, dom))
        except libvirt.libvirtError as exc:
            raise VmctlError(f"screenshot of VMI {ref.name} failed: {exc}") from None

    def domain_xml(self, ref: Ref) -> str:
        """The live libvirt XML of a VMI's domain."""
        vmi = self._vmi_for_verb(Ref(kinds.VMI.kind, ref.name, ref.namespace))
        dom = self._domain_of(vmi)
        if dom is None:
            raise VmctlError(f"VMI {ref.name} has no libvirt domain (phase {rc.phase(vmi) or 'Pending'})")
        return str(dom.XMLDesc(0))

    # -- the controller ------------------------------------------------------------------------------------------

    def watch(self, stop: threading.Event, *, interval: float = 5.0, namespace: str | None = None,
              on_pass: Callable[[], None] | None = None) -> None:
        """Reconcile everything now, then on every libvirt lifecycle event and every ``interval`` seconds."""
        libvirt = _libvirt()
        start_event_loop()
        conn = libvirt.open(self.uri)  # a connection of its own, opened after the event loop exists
        woke = threading.Event()

        def on_event(*_: Any) -> None:
            woke.set()

        callback = conn.domainEventRegisterAny(None, libvirt.VIR_DOMAIN_EVENT_ID_LIFECYCLE, on_event, None)
        try:
            while not stop.is_set():
                woke.clear()
                self.sync_all(namespace, start=True)
                if on_pass is not None:
                    on_pass()
                woke.wait(interval)
                # let a burst of events settle
                if woke.is_set():
                    stop.wait(0.2)
        finally:
            with contextlib.suppress(libvirt.libvirtError):
                conn.domainEventDeregisterAny(callback)
            with contextlib.suppress(libvirt.libvirtError):
                conn.close()


def rc_set_run_strategy(vm: Obj, value: str) -> None:
    spec = vm.setdefault("spec", {})
    if "running" in spec and "runStrategy" not in spec:
        spec["running"] = value == rc.ALWAYS
    else:
        spec["runStrategy"] = value


def _lease_key(namespace: str, name: str) -> str:
    return f"start/{namespace}/{name}"


def _holds(condition: str, kind: str, vm: Obj | None, vmi: Obj | None) -> bool:
    cond = condition.lower()
    if cond == "deleted":
        return (vm if kind == kinds.VM.kind else vmi) is None
    if cond == "ready":
        return vmi is not None and rc.has_condition_true(vmi, "Ready")
    if cond == "paused":
        return vmi is not None and rc.phase(vmi) == rc.RUNNING and rc.has_condition_true(vmi, "Paused")
    if cond in ("running", "unpaused"):
        return vmi is not None and rc.phase(vmi) == rc.RUNNING and not rc.has_condition_true(vmi, "Paused")
    if cond == "stopped":
        if kind == kinds.VM.kind and vm is not None:
            return dig(vm, "status", "printableStatus") in ("Stopped", "CrashLoopBackOff") and (
                vmi is None or rc.is_final(vmi)
            )
        return vmi is None or rc.is_final(vmi)
    raise InputError(f"unknown wait condition {condition!r}")


def hostname() -> str:
    return os.uname().nodename


def _with_grace(vmi: Obj, grace: int) -> Obj:
    """The VMI with a new termination grace period; a pending deletion deadline only moves earlier."""
    vmi = clone(vmi)
    vmi.setdefault("spec", {})["terminationGracePeriodSeconds"] = grace
    meta = vmi["metadata"]
    current = rc.parse_ts(meta.get("deletionTimestamp"))
    if current is not None:
        sooner = _now() + timedelta(seconds=grace)
        if sooner < current:
            meta["deletionTimestamp"] = sooner.strftime("%Y-%m-%dT%H:%M:%SZ")
            meta["deletionGracePeriodSeconds"] = grace
    return vmi
