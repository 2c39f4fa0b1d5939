"""Byte streams into a local guest: the serial console, VNC, screenshots and forwarded guest ports."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from vmctl.backends.base import Ref, Stream
from vmctl.backends.local.context import LocalContext
from vmctl.backends.local.converge import Converger
from vmctl.backends.local.libvirt_conn import libvirt_module
from vmctl.backends.local.store import ConflictError
from vmctl.controllers.lifecycle import VMI_NOT_RUNNING
from vmctl.controllers.status import RUNNING, phase
from vmctl.core import kinds
from vmctl.core.fields import dig
from vmctl.errors import NotFoundError, VmctlError

Obj = dict[str, Any]


class LocalStreams:
    """Console, VNC and guest ports of the VMIs of one local control plane."""

    def __init__(self, ctx: LocalContext, converger: Converger) -> None:
        self.ctx = ctx
        self.converger = converger

    def running_vmi(self, ref: Ref) -> Obj:
        """The VMI (converged first), or NotFound."""
        self.converger.touch(ref.namespace, ref.name)
        vmi = self.ctx.store.get(kinds.VMI.kind, ref.namespace, ref.name)
        if vmi is None:
            raise NotFoundError(f'virtualmachineinstance.kubevirt.io "{ref.name}" not found')
        return vmi

    def running_domain(self, ref: Ref) -> Any:
        vmi = self.running_vmi(ref)
        dom = self.ctx.domain_of(vmi)
        if dom is None or phase(vmi) != RUNNING:
            raise ConflictError(
                f'Operation cannot be fulfilled on virtualmachineinstance.kubevirt.io "{ref.name}": {VMI_NOT_RUNNING}'
            )
        return dom

    def console(self, ref: Ref, *, timeout: float, force: bool, escape: bytes) -> int:
        """Serial console. A VM due to start is started paused here and resumed once attached (no output is
        lost); for a VMI already running the serial log is replayed first. Waits up to ``timeout`` seconds."""
        from vmctl.backends.local.console import run_session

        store = self.ctx.store
        deadline = time.monotonic() + timeout
        while True:
            started = None
            vm = store.get(kinds.VM.kind, ref.namespace, ref.name)
            if vm is not None:
                started = self.converger.converge(ref.namespace, ref.name, console=True)
            else:
                self.converger.converge(ref.namespace, ref.name, start=False)
            vmi = store.get(kinds.VMI.kind, ref.namespace, ref.name)
            if vmi is None and vm is None:
                raise NotFoundError(f'virtualmachineinstance.kubevirt.io "{ref.name}" not found')
            if started is not None:
                resume = started.resume if dig(vmi, "spec", "startStrategy") != "Paused" else None
                try:
                    return int(run_session(self.ctx.conn, started, force=force, escape=escape, replay_log=None,
                                           on_attached=resume, name=ref.name))
                finally:
                    self.converger.executor.observe_into_store(ref.namespace, ref.name)
            if vmi is not None and phase(vmi) == RUNNING:
                dom = self.ctx.domain_of(vmi)
                if dom is not None:
                    record = store.runtime(ref.namespace, ref.name) or {}
                    log = Path(record["consoleLog"]) if record.get("consoleLog") else None
                    if log is not None and not log.is_file():
                        log = None
                    return int(run_session(self.ctx.conn, dom, force=force, escape=escape, replay_log=log,
                                           on_attached=None, name=ref.name))
            if time.monotonic() >= deadline:
                raise VmctlError("Timeout trying to connect to the virtual machine instance")
            time.sleep(1)

    def vnc_stream(self, ref: Ref) -> Stream:
        """A socket connected to the VMI's VNC server (address and port from the live XML)."""
        from vmctl.backends.local import vnc

        return vnc.connect(self.running_domain(ref))

    def screenshot(self, ref: Ref) -> bytes:
        from vmctl.backends.local import vnc

        libvirt = libvirt_module()
        dom = self.running_domain(ref)
        try:
            return bytes(vnc.screenshot(self.ctx.conn, dom))
        except libvirt.libvirtError as exc:
            raise VmctlError(f"screenshot of VMI {ref.name} failed: {exc}") from None

    def domain_xml(self, ref: Ref) -> str:
        """The live libvirt XML of a VMI's domain."""
        vmi = self.running_vmi(ref)
        dom = self.ctx.domain_of(vmi)
        if dom is None:
            raise VmctlError(f"VMI {ref.name} has no libvirt domain (phase {phase(vmi) or 'Pending'})")
        return str(dom.XMLDesc(0))

    def port_connector(self, ref: Ref, port: int, protocol: str) -> Callable[[], Stream]:
        """Connects to the host port the guest's ``port`` is forwarded to (recorded when the guest started)."""
        from vmctl.streams.tcp import connect_tcp, host_port_for

        vmi = self.running_vmi(ref)
        record = self.ctx.store.runtime(ref.namespace, ref.name) or {}
        if record.get("uid") != vmi["metadata"]["uid"]:
            record = {}
        forwards = [(int(h), int(g), str(p)) for h, g, p in record.get("portForwards") or []]
        host_port = host_port_for(forwards, port, protocol, vmi=ref.name)
        return lambda: connect_tcp(host_port)
