"""Carries out the VM controller's actions on the host: create and boot a VMI's guest, stop it, destroy it,
remove it with its files. One ``match`` maps each typed action to the work."""

from __future__ import annotations

import contextlib
import os
import shutil
from datetime import timedelta
from pathlib import Path
from typing import Any

from vmctl.backends.base import Reporter
from vmctl.backends.local.context import LocalContext, lease_key, now
from vmctl.backends.local.domain import METADATA_NS
from vmctl.backends.local.guests import (
    ask_shutdown,
    domain_name,
    domain_owner,
    lookup_domain,
    power_off,
    remove_domain,
)
from vmctl.backends.local.libvirt_conn import libvirt_module
from vmctl.backends.local.libvirt_errors import describe_libvirt_error
from vmctl.backends.local.store import ConflictError, now_rfc3339
from vmctl.controllers import vm as vmctrl
from vmctl.controllers.status import FAILED, FINAL_PHASES, SCHEDULING, marked_for_deletion, timestamp
from vmctl.core import kinds
from vmctl.core.fields import canonical_json, clone, dig
from vmctl.core.runstrategy import ALWAYS, set_run_strategy
from vmctl.errors import VmctlError

Obj = dict[str, Any]

HOOK_ANNOTATION = "hooks.kubevirt.io/hookSidecars"
#: On a VM being deleted by its pool's scale-in: keep its guest's memory (``statePreservation: Online``).
PRESERVE_ANNOTATION = "pool.vmctl.io/preserve"


_TCG_NOTICED = False


def hostname() -> str:
    return os.uname().nodename


def notice_tcg(reporter: Reporter, host: Any, name: str) -> None:
    """One notice per process when guests run under TCG (software emulation) rather than KVM."""
    global _TCG_NOTICED
    if host.virt_type == "kvm" or _TCG_NOTICED or host.kvm_reason == "VMCTL_VIRT_TYPE=qemu":
        return
    _TCG_NOTICED = True
    reporter.notice(f"KVM is not usable here ({host.kvm_reason}); VMI {name} runs with TCG "
                    "software emulation (slower; VMCTL_VIRT_TYPE=qemu silences this)")


class Executor:
    """Turns actions into libvirt calls and store writes for one local control plane."""

    def __init__(self, ctx: LocalContext) -> None:
        self.ctx = ctx
        #: VMIs resolved at admission (``apply``), by VM: used by the VM's next start instead of resolving again
        self.admitted: dict[tuple[str, str, str], Obj] = {}

    # -- the one dispatch ------------------------------------------------------------------------------------

    def execute(self, action: vmctrl.VMAction, vm: Obj, vmi: Obj | None, *, console: bool) -> Any:
        """Do one action for ``vm``; returns the domain started paused for a console (else None)."""
        store = self.ctx.store
        ns, name = vm["metadata"]["namespace"], vm["metadata"]["name"]
        match action:
            case vmctrl.StartVMI(paused=paused):
                return self.start_vmi(vm, paused=paused, console=console)
            case vmctrl.StopVMI(grace=grace) if vmi is not None:
                self.stop_vmi(vmi, grace)
            case vmctrl.DestroyDomain() if vmi is not None:
                self.destroy(vmi)
            case vmctrl.FinalizeVMI() if vmi is not None:
                self.finalize(vmi)
            case vmctrl.SetRunStrategy(value=value):
                store.mutate(kinds.VM.kind, ns, name, lambda o: set_run_strategy(o, value or ALWAYS))
            case vmctrl.AddStartRequest():
                def add(o: Obj) -> None:
                    reqs = list(dig(o, "status", "stateChangeRequests", default=[]) or [])
                    reqs.append({"action": "Start"})
                    o.setdefault("status", {})["stateChangeRequests"] = reqs
                store.mutate(kinds.VM.kind, ns, name, add)
            case vmctrl.DeleteVM():
                current = store.get(kinds.VM.kind, ns, name)
                if current is not None and not current["metadata"].get("finalizers"):
                    store.delete(kinds.VM.kind, ns, name)  # a finalizer (a pool's) holds it until removed
        return None

    # -- status -----------------------------------------------------------------------------------------------

    def write_status(self, vm: Obj, vmi: Obj | None, step: vmctrl.Plan) -> None:
        store = self.ctx.store
        with store.transaction():
            if vmi is not None and step.vmi_status is not None and canonical_json(step.vmi_status) != canonical_json(
                vmi.get("status")
            ):
                store.update({**vmi, "status": step.vmi_status})
            if canonical_json(step.vm_status) != canonical_json(vm.get("status")):
                store.update({**vm, "status": step.vm_status})

    def observe_into_store(self, ns: str, name: str) -> None:
        """Record what the guest really does now in the VMI's (and its VM's) status."""
        store = self.ctx.store
        vm = store.get(kinds.VM.kind, ns, name)
        vmi = store.get(kinds.VMI.kind, ns, name)
        if vmi is None:
            return
        obs = vmctrl.Observed(domain=self.ctx.observed(vmi, "").domain)
        if vm is None:
            store.update({**vmi, "status": vmctrl.observe_vmi(vmi, obs, now())})
            return
        self.write_status(vm, vmi, vmctrl.plan(vm, vmi, obs, now()))

    # -- start ----------------------------------------------------------------------------------------------

    def resolve(self, obj: Obj) -> Obj:
        """VM or VMI → the VMI KubeVirt would create (instancetype, preference, presets, defaults)."""
        from vmctl.backends.local.source import StoreSource
        from vmctl.core.defaults import LOCAL_CLUSTER
        from vmctl.core.pipeline import resolve

        return resolve(obj, StoreSource(self.ctx.store), origins=False, cluster=LOCAL_CLUSTER).obj

    def vmi_for(self, vm: Obj, paused: bool) -> Obj:
        """The VMI the VM controller creates for ``vm`` now."""
        meta = vm["metadata"]
        admitted = self.admitted.pop((meta["namespace"], meta["name"], canonical_json(vm.get("spec"))), None)
        vmi = clone(admitted) if admitted is not None else self.resolve(clone(vm))
        vmeta = vmi.setdefault("metadata", {})
        vmeta["name"] = meta["name"]
        vmeta["namespace"] = meta["namespace"]
        labels = dig(vm, "spec", "template", "metadata", "labels")
        if labels:
            vmeta["labels"] = {**(vmeta.get("labels") or {}), **labels}
        vmeta["ownerReferences"] = [{
            "apiVersion": kinds.VM.api_version, "kind": kinds.VM.kind, "name": meta["name"],
            "uid": meta["uid"], "controller": True, "blockOwnerDeletion": True,
        }]
        vmeta.setdefault("annotations", {})["kubevirt.io/vm-generation"] = str(meta.get("generation", 1))
        vmi["apiVersion"] = kinds.VMI.api_version
        vmi["kind"] = kinds.VMI.kind
        if paused:
            vmi.setdefault("spec", {})["startStrategy"] = "Paused"
        vmi.pop("status", None)
        return vmi

    def hook_scripts(self, vmi: Obj) -> list[Any]:
        """The VMI's hook sidecar scripts; refused unless the user allowed hooks."""
        if HOOK_ANNOTATION not in (dig(vmi, "metadata", "annotations") or {}):
            return []
        if not self.ctx.allow_hooks:
            raise VmctlError(
                f"VMI {vmi['metadata']['name']} has the annotation {HOOK_ANNOTATION}: hook scripts run on this host, "
                "so they are refused unless allowed (--allow-hooks or 'allowHooks: true' in ~/.config/vmctl/config.yaml)"
            )
        from vmctl.backends.local import hooks

        return hooks.resolve_hook_scripts(vmi, self.ctx.store.get)

    def start_vmi(self, vm: Obj, *, paused: bool, console: bool = False) -> Any:
        """Create the VMI of ``vm`` and boot its guest; returns the domain when started for a console."""
        store = self.ctx.store
        ns, name = vm["metadata"]["namespace"], vm["metadata"]["name"]
        _ = self.ctx.conn  # libvirt unreachable: fail before a VMI record exists
        key = lease_key(ns, name)
        if not self.ctx.try_lease(key):
            return None  # someone else is starting it
        try:
            vmi = self.vmi_for(vm, paused)
            scripts = self.hook_scripts(vmi)
            with store.transaction():
                if store.get(kinds.VMI.kind, ns, name) is not None:
                    return None
                vmi["status"] = {"phase": SCHEDULING, "nodeName": hostname()}
                vmi = store.create(vmi)
                fresh_vm = store.require(kinds.VM.kind, ns, name)
                step = vmctrl.plan(fresh_vm, vmi, vmctrl.Observed(starting=True), now())
                store.update({**fresh_vm, "status": step.vm_status})
                store.update({**vmi, "status": step.vmi_status})
            return self.boot(store.require(kinds.VMI.kind, ns, name), scripts, console=console)
        finally:
            self.ctx.release(key)

    def start_standalone(self, vmi: Obj) -> Any:
        """Boot the guest of a VMI applied on its own."""
        ns, name = vmi["metadata"]["namespace"], vmi["metadata"]["name"]
        key = lease_key(ns, name)
        if not self.ctx.try_lease(key):
            return None
        try:
            scripts = self.hook_scripts(vmi)

            def schedule(o: Obj) -> None:
                o.setdefault("status", {}).update({"phase": SCHEDULING, "nodeName": hostname()})

            vmi = self.ctx.store.mutate(kinds.VMI.kind, ns, name, schedule)
            return self.boot(vmi, scripts, console=False)
        finally:
            self.ctx.release(key)

    def workdir(self, namespace: str, name: str, uid: str) -> Path:
        return self.ctx.state_dir / "vmis" / namespace / f"{name}-{uid[:8]}"

    def boot(self, vmi: Obj, scripts: list[Any], *, console: bool) -> Any:
        """Prepare files, build and define the domain, start it; on failure leave no domain and a Failed VMI."""
        from vmctl.backends.local import volumes
        from vmctl.backends.local.domain import build_domain
        from vmctl.backends.local.host import detect_host

        ctx, store = self.ctx, self.ctx.store
        ns, name, vmi_uid = vmi["metadata"]["namespace"], vmi["metadata"]["name"], vmi["metadata"]["uid"]
        workdir = self.workdir(ns, name, vmi_uid)
        dname = domain_name(ns, name)
        dom = None
        restored = self._restore(vmi, console=console)
        if restored is not None:
            return restored if console else None
        try:
            existing = lookup_domain(ctx.conn, dname)
            if existing is not None:
                owner = domain_owner(existing)
                if ctx.owns(owner) and owner.get("uid") != vmi_uid:
                    remove_domain(existing)  # left over from an earlier VMI of this name
                else:
                    raise VmctlError(
                        f"libvirt domain {dname} already exists on {ctx.uri} and is not managed by the vmctl state "
                        f"folder {ctx.state_dir}; remove it or use another --state-dir"
                    )
            from vmctl.backends.local.images import ImageCache

            images = ImageCache(ctx.state_dir, progress=ctx.reporter.progress)
            inputs = volumes.prepare(vmi, workdir, store.get, state_dir=ctx.state_dir, hook_scripts=scripts,
                                     image_cache=images)
            record: Obj = {"domain": dname, "uid": vmi_uid, "workdir": str(workdir),
                           "portForwards": [list(f) for f in inputs.port_forwards]}
            if inputs.console_log is not None:
                record["consoleLog"] = str(inputs.console_log)
            store.set_runtime(ns, name, record)
            host = detect_host()
            notice_tcg(self.ctx.reporter, host, name)
            libvirt = libvirt_module()  # detect_host may have reset libvirt's error handler
            domain = build_domain(vmi, inputs, host, name=dname, metadata=ctx.owner_record(vmi))
            xml = domain.xml
            if scripts:
                from vmctl.backends.local import hooks

                xml = hooks.run_on_define_domain(vmi, xml, scripts)
            try:
                dom = ctx.conn.defineXML(xml)
            except libvirt.libvirtError as exc:
                raise VmctlError(describe_libvirt_error("libvirt refused the domain", name, str(exc))) from None
            start_paused = console or dig(vmi, "spec", "startStrategy") == "Paused"
            try:
                if start_paused and ctx.conn.getType().upper() == "TEST":
                    dom.create()  # the test driver has no START_PAUSED
                    dom.suspend()
                else:
                    dom.createWithFlags(libvirt.VIR_DOMAIN_START_PAUSED if start_paused else 0)
            except libvirt.libvirtError as exc:
                raise VmctlError(describe_libvirt_error("starting the domain failed", name, str(exc))) from None
            self._run_monitor_commands(dom, domain.monitor_commands, name)
            if domain.monitor_commands:
                store.set_runtime(ns, name, {**record, "monitorCommands": domain.monitor_commands})
        except BaseException as exc:
            if dom is not None:
                remove_domain(dom)
            shutil.rmtree(workdir, ignore_errors=True)
            self.fail_vmi(ns, name, vmi_uid, exc)
            raise
        self.observe_into_store(ns, name)
        return dom if console else None

    def _restore(self, vmi: Obj, *, console: bool) -> Any:
        """Resume the guest a pool kept for this member (``statePreservation: Online``) from its managed save:
        the domain takes the new VMI as its owner and comes back with its memory. None when there is none."""
        ctx, store = self.ctx, self.ctx.store
        ns, name, vmi_uid = vmi["metadata"]["namespace"], vmi["metadata"]["name"], vmi["metadata"]["uid"]
        record = store.runtime(ns, name) or {}
        if record.get("preserved") != "Online":
            return None
        dom = lookup_domain(ctx.conn, record.get("domain") or domain_name(ns, name))
        if dom is None or not ctx.owns(domain_owner(dom)) or not dom.hasManagedSaveImage(0):
            store.set_runtime(ns, name, {k: v for k, v in record.items() if k != "preserved"})
            return None
        libvirt = libvirt_module()
        owner = ctx.owner_record(vmi)
        element = "<owner " + " ".join(f'{k}="{v}"' for k, v in owner.items() if v not in (None, "")) + "/>"
        try:
            dom.setMetadata(libvirt.VIR_DOMAIN_METADATA_ELEMENT, element, "vmctl", METADATA_NS,
                            libvirt.VIR_DOMAIN_AFFECT_CONFIG)
            dom.createWithFlags(libvirt.VIR_DOMAIN_START_PAUSED if console else 0)  # restores the saved memory
            dom.setMetadata(libvirt.VIR_DOMAIN_METADATA_ELEMENT, element, "vmctl", METADATA_NS,
                            libvirt.VIR_DOMAIN_AFFECT_LIVE)
        except libvirt.libvirtError as exc:
            ctx.reporter.warn(f"VMI {name}: resuming its saved guest failed ({exc}); it boots afresh")
            remove_domain(dom)
            self.remove_files({**vmi, "metadata": {**vmi["metadata"], "uid": record.get("uid")}})
            return None
        fresh = {k: v for k, v in record.items() if k != "preserved"}
        store.set_runtime(ns, name, {**fresh, "uid": vmi_uid})
        self._run_monitor_commands(dom, list(record.get("monitorCommands") or []), name)
        self.observe_into_store(ns, name)
        return dom

    def _run_monitor_commands(self, dom: Any, commands: list[str], name: str) -> None:
        """User-mode networking port forwards are added through the QEMU monitor once QEMU runs."""
        if not commands or self.ctx.conn.getType() != "QEMU":
            return  # only QEMU has a monitor (the test driver runs no guest)
        libvirt = libvirt_module()
        import libvirt_qemu

        for command in commands:
            try:
                libvirt_qemu.qemuMonitorCommand(dom, command, libvirt_qemu.VIR_DOMAIN_QEMU_MONITOR_COMMAND_HMP)
            except libvirt.libvirtError as exc:
                raise VmctlError(f"VMI {name}: port forward {command!r} failed: {exc}") from None

    def fail_vmi(self, ns: str, name: str, vmi_uid: str, exc: BaseException) -> None:
        """Mark a VMI whose start failed Failed with the reason, and bring its VM's status up to date."""
        store = self.ctx.store
        message = getattr(exc, "message", None) or str(exc) or type(exc).__name__

        def fail(o: Obj) -> None:
            if o["metadata"]["uid"] != vmi_uid:
                return
            status = o.setdefault("status", {})
            status["phase"] = FAILED
            stamps = list(status.get("phaseTransitionTimestamps") or [])
            stamps.append({"phase": FAILED, "phaseTransitionTimestamp": now_rfc3339()})
            status["phaseTransitionTimestamps"] = stamps
            conds = [c for c in status.get("conditions") or [] if c.get("type") != "Synchronized"]
            conds.append({"type": "Synchronized", "status": "False", "reason": "FailedCreate", "message": message,
                          "lastProbeTime": None, "lastTransitionTime": now_rfc3339()})
            status["conditions"] = conds

        with contextlib.suppress(VmctlError):
            store.mutate(kinds.VMI.kind, ns, name, fail)
        with contextlib.suppress(VmctlError):
            vm = store.get(kinds.VM.kind, ns, name)
            vmi = store.get(kinds.VMI.kind, ns, name)
            if vm is not None:
                self.write_status(vm, vmi, vmctrl.plan(vm, vmi, vmctrl.Observed(), now()))

    # -- stop -------------------------------------------------------------------------------------------------

    def stop_vmi(self, vmi: Obj, grace: int) -> None:
        """Mark the VMI deleted (deadline = now + grace) and ask the guest to power off (or destroy at 0)."""
        ns, name = vmi["metadata"]["namespace"], vmi["metadata"]["name"]
        deadline = timestamp(now() + timedelta(seconds=grace))

        def mark(o: Obj) -> None:
            if not o["metadata"].get("deletionTimestamp"):
                o["metadata"]["deletionTimestamp"] = deadline
                o["metadata"]["deletionGracePeriodSeconds"] = grace

        vmi = self.ctx.store.mutate(kinds.VMI.kind, ns, name, mark)
        dom = self.ctx.domain_of(vmi)
        if dom is None:
            return
        if self._preserving_memory(ns, name):
            self._managed_save(dom, name)
            return
        if grace == 0:
            power_off(dom)
            return
        ask_shutdown(dom)

    def _preserving_memory(self, ns: str, name: str) -> bool:
        vm = self.ctx.store.get(kinds.VM.kind, ns, name)
        return bool(vm and marked_for_deletion(vm)
                    and dig(vm, "metadata", "annotations", PRESERVE_ANNOTATION) == "Online")

    def _managed_save(self, dom: Any, name: str) -> None:
        """Save the guest's memory to disk and stop it; the domain stays defined for a later restore."""
        libvirt = libvirt_module()
        try:
            dom.managedSave(0)
        except libvirt.libvirtError as exc:
            self.ctx.reporter.warn(f"VMI {name}: keeping its memory failed ({exc}); it is powered off instead")
            power_off(dom)

    def destroy(self, vmi: Obj) -> None:
        dom = self.ctx.domain_of(vmi)
        if dom is not None:
            power_off(dom)

    def finalize(self, vmi: Obj) -> None:
        """The VMI's guest is down: undefine it, remove its files, delete the VMI object. A guest whose memory
        was saved for its pool (``statePreservation: Online``) keeps its domain and files instead."""
        store = self.ctx.store
        ns, name = vmi["metadata"]["namespace"], vmi["metadata"]["name"]
        dom = self.ctx.domain_of(vmi)
        if dom is not None and self._preserving_memory(ns, name) and dom.hasManagedSaveImage(0):
            record = store.runtime(ns, name) or {}
            store.set_runtime(ns, name, {**record, "preserved": "Online"})
        else:
            if dom is not None:
                remove_domain(dom)
            self.remove_files(vmi)
        with store.transaction():
            current = store.get(kinds.VMI.kind, ns, name)
            if current is not None and current["metadata"]["uid"] == vmi["metadata"]["uid"]:
                store.delete(kinds.VMI.kind, ns, name)

    def release_final(self, vmi: Obj | None, status: Obj | None, obs: vmctrl.Observed) -> None:
        """A finished VMI (Succeeded/Failed) keeps its record but not its domain and files."""
        if vmi is None or status is None or status.get("phase") not in FINAL_PHASES:
            return
        if obs.domain.active or obs.domain is vmctrl.DomainState.ABSENT:
            return
        ns, name = vmi["metadata"]["namespace"], vmi["metadata"]["name"]
        if self._preserving_memory(ns, name):
            return  # its finalize keeps the saved guest
        dom = self.ctx.domain_of(vmi)
        if dom is not None:
            remove_domain(dom)
        self.remove_files(vmi)

    def remove_files(self, vmi: Obj) -> None:
        ns, name = vmi["metadata"]["namespace"], vmi["metadata"]["name"]
        record = self.ctx.store.runtime(ns, name)
        if record and record.get("uid") == vmi["metadata"]["uid"] and record.get("workdir"):
            shutil.rmtree(record["workdir"], ignore_errors=True)
            self.ctx.store.set_runtime(ns, name, None)

    def step_standalone(self, vmi: Obj, obs: vmctrl.Observed) -> bool:
        """A VMI without a VM: keep its status true; finish or force its deletion. True when it changed."""
        status = vmctrl.observe_vmi(vmi, obs, now())
        if canonical_json(status) != canonical_json(vmi.get("status")):
            try:
                self.ctx.store.update({**vmi, "status": status})
            except ConflictError:
                return True
        self.release_final(vmi, status, obs)
        if not marked_for_deletion(vmi):
            return False
        if not obs.domain.active:
            self.finalize(vmi)
            return True
        from vmctl.controllers.status import parse_timestamp

        deadline = parse_timestamp(dig(vmi, "metadata", "deletionTimestamp"))
        if deadline is None or now() >= deadline:
            self.destroy(vmi)
            return True
        return False
