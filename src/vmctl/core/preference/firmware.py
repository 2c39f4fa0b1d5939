"""Firmware preferences: BIOS, BIOS serial, EFI (``preferredEfi`` beats the deprecated useEfi/useSecureBoot)."""

from __future__ import annotations

from typing import Any

from vmctl.core.fields import clone, ensure


def apply(preference_spec: dict[str, Any], vmi_spec: dict[str, Any]) -> None:
    firmware = preference_spec.get("firmware")
    if not isinstance(firmware, dict):
        return
    bootloader = ensure(vmi_spec, "domain", "firmware", "bootloader")
    if firmware.get("preferredUseBios") and bootloader.get("bios") is None and bootloader.get("efi") is None:
        bootloader["bios"] = {}
    bios = bootloader.get("bios")
    if firmware.get("preferredUseBiosSerial") is not None and bios is not None and bios.get("useSerial") is None:
        bios["useSerial"] = bool(firmware["preferredUseBiosSerial"])
    if bootloader.get("efi") is None and bootloader.get("bios") is None and firmware.get("preferredEfi") is not None:
        bootloader["efi"] = clone(firmware["preferredEfi"])
        return  # the deprecated fields below are ignored once preferredEfi was used
    if firmware.get("preferredUseEfi") and bootloader.get("efi") is None and bootloader.get("bios") is None:
        bootloader["efi"] = {}
    efi = bootloader.get("efi")
    if firmware.get("preferredUseSecureBoot") is not None and efi is not None and efi.get("secureBoot") is None:
        efi["secureBoot"] = bool(firmware["preferredUseSecureBoot"])
