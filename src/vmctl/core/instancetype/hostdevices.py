"""Instancetype ``hostDevices`` → VMI ``domain.devices.hostDevices`` (any VMI host device conflicts)."""

from __future__ import annotations

from vmctl.core.api import Conflict
from vmctl.core.fields import clone, dig, ensure
from vmctl.core.instancetype._common import Spec, child


def apply(path: str, instancetype_spec: Spec, preference_spec: Spec | None, vmi_spec: Spec, vmi_metadata: Spec) -> list[Conflict]:
    wanted = instancetype_spec.get("hostDevices")
    if not wanted:
        return []
    if dig(vmi_spec, "domain", "devices", "hostDevices"):
        return [child(path, "domain", "devices", "hostDevices")]
    ensure(vmi_spec, "domain", "devices")["hostDevices"] = clone(wanted)
    return []
