"""Device preferences (KubeVirt ``ApplyDevicePreferences``): VMI values win, except ``disableHotplug``.

Order: plain device fields → autoattach → disks → interfaces → inputs → panic devices.
"""

from __future__ import annotations

from typing import Any

from vmctl.core.fields import clone, ensure
from vmctl.core.preference import autoattach, disks, inputs, interfaces, panic

#: preference field → VMI ``domain.devices`` field (pointer fields, set only when the VMI leaves them unset)
POINTER_FIELDS = {
    "preferredUseVirtioTransitional": "useVirtioTransitional",
    "preferredBlockMultiQueue": "blockMultiQueue",
    "preferredNetworkInterfaceMultiQueue": "networkInterfaceMultiqueue",  # VMI spells it with a lower-case q
}


def apply(preference_spec: dict[str, Any], vmi_spec: dict[str, Any]) -> None:
    devices = preference_spec.get("devices")
    if not isinstance(devices, dict):
        return
    vmi_devices = ensure(vmi_spec, "domain", "devices")
    for preferred, target in POINTER_FIELDS.items():
        if devices.get(preferred) is not None and vmi_devices.get(target) is None:
            vmi_devices[target] = bool(devices[preferred])
    if devices.get("preferredDisableHotplug") is not None:
        # A plain bool in the VMI: KubeVirt cannot tell "unset" from false, so the preference always wins.
        if devices["preferredDisableHotplug"]:
            vmi_devices["disableHotplug"] = True
        else:
            vmi_devices.pop("disableHotplug", None)
    sound = vmi_devices.get("sound")
    if devices.get("preferredSoundModel") and isinstance(sound, dict) and not sound.get("model"):
        sound["model"] = devices["preferredSoundModel"]
    for preferred, target in (("preferredRng", "rng"), ("preferredTPM", "tpm")):
        if devices.get(preferred) is not None and vmi_devices.get(target) is None:
            vmi_devices[target] = clone(devices[preferred])
    if devices.get("preferredVideoType") is not None:
        video = vmi_devices.get("video")
        if not isinstance(video, dict):
            video = vmi_devices["video"] = {}
        if not video.get("type"):
            video["type"] = devices["preferredVideoType"]
    autoattach.apply(preference_spec, vmi_spec)
    disks.apply(devices, vmi_devices)
    interfaces.apply(devices, vmi_devices, vmi_spec)
    inputs.apply(devices, vmi_devices)
    panic.apply(devices, vmi_spec)
