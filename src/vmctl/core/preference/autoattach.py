"""The five ``preferredAutoattach*`` device preferences (also run alone by the VM controller before default devices)."""

from __future__ import annotations

from typing import Any

from vmctl.core.fields import ensure

#: preference field → VMI ``domain.devices`` field
FIELDS = {
    "preferredAutoattachGraphicsDevice": "autoattachGraphicsDevice",
    "preferredAutoattachMemBalloon": "autoattachMemBalloon",
    "preferredAutoattachPodInterface": "autoattachPodInterface",
    "preferredAutoattachSerialConsole": "autoattachSerialConsole",
    "preferredAutoattachInputDevice": "autoattachInputDevice",
}


def apply(preference_spec: dict[str, Any] | None, vmi_spec: dict[str, Any]) -> None:
    devices = (preference_spec or {}).get("devices")
    if not isinstance(devices, dict):
        return
    for preferred, target in FIELDS.items():
        if devices.get(preferred) is None:
            continue
        vmi_devices = ensure(vmi_spec, "domain", "devices")
        if vmi_devices.get(target) is None:
            vmi_devices[target] = bool(devices[preferred])
