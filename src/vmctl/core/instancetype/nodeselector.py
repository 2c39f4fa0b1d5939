"""Instancetype ``nodeSelector`` → VMI ``nodeSelector`` (any VMI nodeSelector, even an equal one, conflicts)."""

from __future__ import annotations

from vmctl.core.api import Conflict
from vmctl.core.instancetype._common import Spec, child


def apply(path: str, instancetype_spec: Spec, preference_spec: Spec | None, vmi_spec: Spec, vmi_metadata: Spec) -> list[Conflict]:
    wanted = instancetype_spec.get("nodeSelector")
    if wanted is None:
        return []
    if vmi_spec.get("nodeSelector") is not None:
        return [child(path, "nodeSelector")]
    vmi_spec["nodeSelector"] = dict(wanted)
    return []
