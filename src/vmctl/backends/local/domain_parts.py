"""Shared pieces of the VMI → domain XML converter: constants, ``DomainError`` and small XML helpers."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from fractions import Fraction
from typing import Any

from vmctl.errors import VmctlError

Obj = dict[str, Any]

#: Namespace of vmctl's element inside the domain's <metadata>.
METADATA_NS = "https://vmctl.dev/xmlns/domain/v1"
METADATA_KEYS = ("store", "kind", "apiVersion", "namespace", "name", "uid", "resourceVersion")
ET.register_namespace("vmctl", METADATA_NS)

VIRTIO_MODEL = "virtio-non-transitional"
VIRTIO_TRANSITIONAL = "virtio-transitional"
GUEST_AGENT_CHANNEL = "org.qemu.guest_agent.0"
SECURE_BOOT_SMM = "{path} has EFI SecureBoot enabled. SecureBoot requires SMM, which is currently disabled."
DISK_BUSES = ("virtio", "sata", "scsi", "usb")
#: Buses on which libvirt refuses a read-only hard disk (``device='disk'``); CD-ROMs there are fine.
READONLY_UNSUPPORTED = ("sata",)
INTERFACE_MODELS = ("virtio", "e1000", "e1000e", "igb", "ne2k_pci", "pcnet", "rtl8139")
WATCHDOG_ACTIONS = ("poweroff", "reset", "shutdown")


class DomainError(VmctlError):
    """A VMI field the local backend cannot express as a libvirt domain."""

    def __init__(self, path: str, message: str) -> None:
        super().__init__(f"{path}: {message}")
        self.path = path


# --- small helpers ------------------------------------------------------------------------------------


def sub_element(parent: ET.Element, tag: str, text: str | None = None, /, **attrs: Any) -> ET.Element:
    """Append a child; attributes with value None are left out; names ending in '_' lose it."""
    el = ET.SubElement(parent, tag, {k.rstrip("_"): str(v) for k, v in attrs.items() if v is not None})
    if text is not None:
        el.text = text
    return el


def is_enabled(state: Any, default: bool = True) -> bool:
    """A KubeVirt FeatureState-like ``{enabled: bool}``; ``enabled`` unset means ``default``."""
    if not isinstance(state, dict) or state.get("enabled") is None:
        return default
    return bool(state["enabled"])


def on_off(value: bool) -> str:
    return "on" if value else "off"


def yes_no(value: bool) -> str:
    return "yes" if value else "no"


def field_quantity(value: Any, path: str) -> Fraction:
    """A Kubernetes quantity (``"1Gi"``, ``"500m"``, ``2``) as an exact number; errors name ``path``."""
    from vmctl.core.quantity import parse_quantity
    from vmctl.errors import InputError

    if isinstance(value, bool):
        raise DomainError(path, f"invalid quantity {value!r}")
    try:
        return parse_quantity(value)
    except InputError:
        raise DomainError(path, f"invalid quantity {value!r}") from None


def ceil_int(q: Fraction) -> int:
    return -(-q.numerator // q.denominator)


def memory_bytes(value: Any, path: str) -> int:
    """KubeVirt ``QuantityToByte``: whole bytes, a fractional byte count rounds down."""
    q = field_quantity(value, path)
    size = int(q) if q.denominator == 1 else ceil_int(q) - 1
    if size < 0:
        raise DomainError(path, f"Memory size '{value}' must be greater than or equal to 0")
    return size


def device_name(prefix: str, index: int) -> str:
    """KubeVirt ``formatDeviceName``: 0 → a, 25 → z, 26 → aa."""
    name = ""
    while index >= 0:
        name = chr(ord("a") + index % 26) + name
        index = index // 26 - 1
    return prefix + name


def pci_address(parent: ET.Element, text: str, path: str) -> None:
    m = re.fullmatch(r"([0-9a-fA-F]{4}):([0-9a-fA-F]{2}):([0-9a-fA-F]{2})\.([0-7])", text)
    if not m:
        raise DomainError(path, f"invalid PCI address {text!r}, expected DDDD:BB:SS.F")
    dom, bus, slot, fn = m.groups()
    sub_element(parent, "address", type="pci", domain=f"0x{dom}", bus=f"0x{bus}", slot=f"0x{slot}", function=f"0x{fn}")


def add_alias(parent: ET.Element, name: str) -> None:
    """KubeVirt's user-defined alias ``ua-<name>``."""
    sub_element(parent, "alias", name=f"ua-{name}")


def reject_keys(spec: Obj, path: str, *keys: str) -> None:
    for key in keys:
        value = spec.get(key)
        if value not in (None, False, [], {}, ""):
            raise DomainError(f"{path}.{key}", "not supported by the local backend")
