"""Point a libvirt error back at the VMI field it most likely came from.

libvirt reports problems in terms of domain XML (``machine type``, ``<target>``, ``loader``); users wrote a VMI.
The mapping is by keyword, ordered from the most to the least specific, and only says "from" when one matches.
"""

from __future__ import annotations

import re

_RULES: tuple[tuple[str, str], ...] = (
    (r"hugepage", "spec.domain.memory.hugepages"),
    (r"machine type|machine '|\bmachine\b", "spec.domain.machine.type"),
    (r"cpu model|cpu mode|\bmodel '.*' .*cpu|host-passthrough|host-model", "spec.domain.cpu.model"),
    (r"topology|vcpu|sockets|cores|threads", "spec.domain.cpu"),
    (r"loader|nvram|firmware|secure ?boot|\bsmm\b|ovmf", "spec.domain.firmware"),
    (r"kernel|initrd|cmdline", "spec.domain.firmware.kernelBoot"),
    (r"memory|currentmemory|\bmemballoon", "spec.domain.memory.guest"),
    (r"disk|target dev|\bbus\b|cdrom|drive|storage|image", "spec.domain.devices.disks"),
    (r"interface|network|\bnic\b|mac address|passt|slirp|hostfwd", "spec.domain.devices.interfaces"),
    (r"graphics|vnc|video", "spec.domain.devices.autoattachGraphicsDevice"),
    (r"timer|clock|hpet|\bpit\b|\brtc\b", "spec.domain.clock"),
    (r"hyperv|feature|\bapic\b|\bacpi\b|pvspinlock", "spec.domain.features"),
    (r"watchdog", "spec.domain.devices.watchdog"),
    (r"\brng\b|random", "spec.domain.devices.rng"),
    (r"tpm|swtpm", "spec.domain.devices.tpm"),
    (r"input|tablet|keyboard", "spec.domain.devices.inputs"),
    (r"panic", "spec.domain.devices.panicDevices"),
)


def vmi_field_for(message: str) -> str | None:
    """The VMI field a libvirt error message most likely refers to, or None."""
    text = message.lower()
    for pattern, field in _RULES:
        if re.search(pattern, text):
            return field
    return None


def describe_libvirt_error(action: str, name: str, message: str) -> str:
    """One line: what failed, libvirt's own words, and the VMI field they point at when known."""
    field = vmi_field_for(message)
    suffix = f" (from VMI field {field})" if field else ""
    return f"VMI {name}: {action}: {message}{suffix}"
