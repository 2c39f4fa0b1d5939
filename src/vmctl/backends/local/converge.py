"""The local control loop: plan a VM's next step with the VM controller, execute it, repeat until nothing is
left to do now; sweep guests no VMI owns; and watch libvirt's events to do it continuously."""

from __future__ import annotations

import contextlib
import shutil
import threading
from typing import Any

from vmctl.backends.local.context import LocalContext, lease_key, now
from vmctl.backends.local.executor import Executor
from vmctl.backends.local.guests import all_domains, domain_owner, remove_domain
from vmctl.backends.local.libvirt_conn import libvirt_module, start_event_loop
from vmctl.backends.local.store import ConflictError
from vmctl.controllers import vm as vmctrl
from vmctl.core import kinds
from vmctl.core.fields import dig
from vmctl.errors import NotFoundError, VmctlError

Obj = dict[str, Any]

MAX_STEPS = 16


class Converger:
    """Drives VMs and standalone VMIs of one state folder to where their controllers say they should be."""

    def __init__(self, ctx: LocalContext, executor: Executor) -> None:
        from vmctl.backends.local.replicas import ReplicaControllers

        self.ctx = ctx
        self.executor = executor
        self.replicas = ReplicaControllers(ctx, executor)
        self.due_to_start: set[tuple[str, str]] = set()  # VMs a pass without starts would have started
        self.woke = threading.Event()  # set to make a waiting ``watch`` loop pass at once

    def replicas_changed(self, namespace: str | None) -> None:
        """A pool or replica set changed: its controller must act without a further command, as on a cluster —
        start the background controller of this state folder (or wake the running one)."""
        from vmctl.backends.local import daemon

        running = daemon.status(self.ctx.state_dir)
        if running is None:
            daemon.start(self.ctx.state_dir, self.ctx.uri, interval=daemon.DEFAULT_INTERVAL,
                         allow_hooks=self.ctx.allow_hooks)
        else:
            daemon.wake(running)

    def converge(
        self, namespace: str, name: str, *, start: bool = True, domains: dict[str, Any] | None = None,
        console: bool = False,
    ) -> Any:
        """Plan and execute steps for one VM (or standalone VMI) until nothing is left to do now.

        Returns the domain started paused for a console when ``console`` is set (else None).
        """
        store = self.ctx.store
        key = lease_key(namespace, name)
        for _ in range(MAX_STEPS):
            vm = store.get(kinds.VM.kind, namespace, name)
            vmi = store.get(kinds.VMI.kind, namespace, name)
            if vm is None and vmi is None:
                return None
            obs = self.ctx.observed(vmi, key, domains)
            domains = None  # after the first step look domains up afresh
            if vm is None:
                assert vmi is not None
                if not self.executor.step_standalone(vmi, obs):
                    return None
                continue
            step = vmctrl.plan(vm, vmi, obs, now())
            try:
                self.executor.write_status(vm, vmi, step)
            except ConflictError:
                continue
            self.executor.release_final(vmi, step.vmi_status, obs)
            actions = [a for a in step.actions if start or not isinstance(a, vmctrl.StartVMI)]
            if len(actions) < len(step.actions):
                self.due_to_start.add((namespace, name))
            if not actions:
                trimmed = step.vm_status.get("stateChangeRequests") != dig(vm, "status", "stateChangeRequests")
                if trimmed:
                    continue  # a handled request was removed: the next one may be actionable now
                return None
            for action in actions:
                result = self.executor.execute(action, vm, vmi, console=console)
                if result is not None:
                    return result
        return None

    def touch(self, namespace: str, name: str) -> None:
        """Converge a VM (or VMI) a command touches, starting a VMI when its runStrategy calls for one. A start
        that fails is a warning here (the object shows the failure): the command itself goes on."""
        try:
            self.converge(namespace, name, start=True)
        except VmctlError as exc:
            self.ctx.warn_once(f"{name}: {exc.message}")
            self.converge(namespace, name, start=False)

    def sync_all(self, namespace: str | None = None, *, start: bool = False) -> None:
        """Converge every VM and VMI (of a namespace); ``start`` lets it start VMIs (the controller does)."""
        store = self.ctx.store
        replicated = start and self.replicas.has_work(namespace)
        if replicated:
            self.replicas.sync_all(namespace)  # pools and replica sets first: the VMs they make start below
        vms = store.list(kinds.VM.kind, namespace)
        vmis = store.list(kinds.VMI.kind, namespace)
        if not vms and not vmis:
            return
        domains = all_domains(self.ctx.conn) if vmis else {}
        keys = {(o["metadata"]["namespace"], o["metadata"]["name"]) for o in (*vms, *vmis)}
        for ns, name in sorted(keys):
            try:
                self.converge(ns, name, start=start, domains=domains)
            except NotFoundError:
                continue  # deleted meanwhile (by a controller pass in another process): nothing left to do
            except VmctlError as exc:
                if not start:
                    raise
                self.ctx.reporter.warn(f"{ns}/{name}: {exc.message}")
        if vmis or domains:
            self.sweep_orphans(domains or all_domains(self.ctx.conn))
        if replicated:
            self.replicas.sync_all(namespace)  # their status after the members moved

    def sweep_orphans(self, domains: dict[str, Any]) -> None:
        """Remove domains of this state folder that no stored VMI owns (left by a crash)."""
        store = self.ctx.store
        kept = {r.get("domain") for r in store.runtimes().values() if r.get("preserved")}
        for dom in domains.values():
            owner = domain_owner(dom)
            if not self.ctx.owns(owner) or dom.name() in kept:
                continue
            vmi = store.get(kinds.VMI.kind, owner.get("namespace"), owner.get("name", ""))
            if vmi is not None and vmi["metadata"]["uid"] == owner.get("uid"):
                continue
            if store.lease_held(lease_key(owner.get("namespace", ""), owner.get("name", ""))):
                continue
            remove_domain(dom)
        self.sweep_workdirs()

    def sweep_workdirs(self) -> None:
        """Remove VMI folders no VMI's runtime record points to (a process killed while it prepared files)."""
        root = self.ctx.state_dir / "vmis"
        if not root.is_dir():
            return
        store = self.ctx.store
        for ns_dir in root.iterdir():
            for workdir in ns_dir.iterdir() if ns_dir.is_dir() else ():
                name = workdir.name.rsplit("-", 1)[0]
                record = store.runtime(ns_dir.name, name) or {}
                if record.get("workdir") == str(workdir) or store.lease_held(lease_key(ns_dir.name, name)):
                    continue
                shutil.rmtree(workdir, ignore_errors=True)

    def watch(self, stop: threading.Event, *, interval: float = 5.0, namespace: str | None = None) -> None:
        """Reconcile everything now, then on every libvirt lifecycle event and every ``interval`` seconds."""
        libvirt = libvirt_module()
        start_event_loop()
        conn = libvirt.open(self.ctx.uri)  # a connection of its own, opened after the event loop exists
        woke = self.woke

        def on_event(*_: Any) -> None:
            woke.set()

        callback = conn.domainEventRegisterAny(None, libvirt.VIR_DOMAIN_EVENT_ID_LIFECYCLE, on_event, None)
        threading.Thread(target=lambda: stop.wait() or woke.set(), name="controller-stop", daemon=True).start()
        try:
            while not stop.is_set():
                woke.clear()
                self.sync_all(namespace, start=True)
                woke.wait(interval)
                if woke.is_set():
                    stop.wait(0.2)  # let a burst of events settle
        finally:
            with contextlib.suppress(libvirt.libvirtError):
                conn.domainEventDeregisterAny(callback)
            with contextlib.suppress(libvirt.libvirtError):
                conn.close()
