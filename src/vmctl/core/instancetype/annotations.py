"""Instancetype ``annotations`` → VMI metadata annotations.

A missing key is added, an equal value is fine, a different value conflicts at ``annotations.<key>``
(no path prefix, as in KubeVirt). Conflicts follow the instancetype's key order.
"""

from __future__ import annotations

from vmctl.core.api import Conflict
from vmctl.core.instancetype._common import Spec, child


def apply(path: str, instancetype_spec: Spec, preference_spec: Spec | None, vmi_spec: Spec, vmi_metadata: Spec) -> list[Conflict]:
    wanted = instancetype_spec.get("annotations") or {}
    if not wanted:
        return []
    existing = vmi_metadata.get("annotations")
    if not isinstance(existing, dict):
        existing = {}
    conflicts: list[Conflict] = []
    for key, value in wanted.items():
        if key in existing:
            if existing[key] != value:
                conflicts.append(child("", "annotations", key))
            continue
        existing[key] = value
    if existing:
        vmi_metadata["annotations"] = existing
    return conflicts
