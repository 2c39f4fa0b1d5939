"""Instancetype ``schedulerName`` → VMI ``schedulerName`` (a non-empty VMI value conflicts)."""

from __future__ import annotations

from vmctl.core.api import Conflict
from vmctl.core.instancetype._common import Spec, child


def apply(path: str, instancetype_spec: Spec, preference_spec: Spec | None, vmi_spec: Spec, vmi_metadata: Spec) -> list[Conflict]:
    wanted = instancetype_spec.get("schedulerName")
    if not wanted:
        return []
    if vmi_spec.get("schedulerName"):
        return [child(path, "schedulerName")]
    vmi_spec["schedulerName"] = wanted
    return []
