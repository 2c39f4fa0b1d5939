"""Libvirt domains as the guests of VMIs: their names, their owner record, their state as the VM controller
sees it, and their removal."""

from __future__ import annotations

import contextlib
from typing import Any

from vmctl.backends.local.domain import read_owner
from vmctl.backends.local.libvirt_conn import libvirt_module
from vmctl.controllers.vm import DomainState
from vmctl.errors import VmctlError


def domain_name(namespace: str, name: str) -> str:
    return f"{namespace}_{name}"


def observe_domain(dom: Any) -> DomainState:
    """Map libvirt's (state, reason) to the VM controller's guest states."""
    libvirt = libvirt_module()
    try:
        state, reason = dom.state()
    except libvirt.libvirtError:
        return DomainState.ABSENT
    D = DomainState
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


def domain_owner(dom: Any) -> dict[str, str]:
    """The owner record of a live domain (empty when it has none, or vanished meanwhile)."""
    libvirt = libvirt_module()
    try:
        return read_owner(dom.XMLDesc(0))
    except libvirt.libvirtError:
        return {}


def lookup_domain(conn: Any, name: str) -> Any:
    """The domain of that name, or None."""
    libvirt = libvirt_module()
    try:
        return conn.lookupByName(name)
    except libvirt.libvirtError as exc:
        if exc.get_error_code() == libvirt.VIR_ERR_NO_DOMAIN:
            return None
        raise VmctlError(f"libvirt: {exc}") from None


def all_domains(conn: Any) -> dict[str, Any]:
    libvirt = libvirt_module()
    try:
        return {d.name(): d for d in conn.listAllDomains(0)}
    except libvirt.libvirtError as exc:
        raise VmctlError(f"libvirt: {exc}") from None


def power_off(dom: Any) -> None:
    """Destroy a running domain (nothing when it is not running or gone)."""
    libvirt = libvirt_module()
    with contextlib.suppress(libvirt.libvirtError):
        if dom.isActive():
            dom.destroy()


def ask_shutdown(dom: Any) -> None:
    """Press the guest's ACPI power button (a plain shutdown for drivers without the flag)."""
    libvirt = libvirt_module()
    try:
        dom.shutdownFlags(libvirt.VIR_DOMAIN_SHUTDOWN_ACPI_POWER_BTN)
    except libvirt.libvirtError as exc:
        if exc.get_error_code() in (libvirt.VIR_ERR_INVALID_ARG, libvirt.VIR_ERR_NO_SUPPORT):
            with contextlib.suppress(libvirt.libvirtError):
                dom.shutdown()  # drivers without an ACPI flag (the test driver)


def remove_domain(dom: Any) -> None:
    """Destroy and undefine a domain with its NVRAM, managed save and snapshot metadata."""
    libvirt = libvirt_module()
    power_off(dom)
    flags = libvirt.VIR_DOMAIN_UNDEFINE_NVRAM | libvirt.VIR_DOMAIN_UNDEFINE_MANAGED_SAVE
    flags |= libvirt.VIR_DOMAIN_UNDEFINE_SNAPSHOTS_METADATA
    try:
        dom.undefineFlags(flags)
    except libvirt.libvirtError as exc:
        if exc.get_error_code() != libvirt.VIR_ERR_NO_DOMAIN:
            with contextlib.suppress(libvirt.libvirtError):
                dom.undefine()
