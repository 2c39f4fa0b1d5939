"""Instancetype ``gpus`` → VMI ``domain.devices.gpus`` (any VMI GPU conflicts)."""

from __future__ import annotations

from vmctl.core.api import Conflict
from vmctl.core.fields import clone, dig, ensure
from vmctl.core.instancetype._common import Spec, child


def apply(path: str, instancetype_spec: Spec, preference_spec: Spec | None, vmi_spec: Spec, vmi_metadata: Spec) -> list[Conflict]:
    wanted = instancetype_spec.get("gpus")
    if not wanted:
        return []
    if dig(vmi_spec, "domain", "devices", "gpus"):
        return [child(path, "domain", "devices", "gpus")]
    ensure(vmi_spec, "domain", "devices")["gpus"] = clone(wanted)
    return []
