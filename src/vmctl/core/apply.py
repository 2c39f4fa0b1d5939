"""KubeVirt ``ApplyToVMI``: the instancetype sections, then (only without conflicts) the preference."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from vmctl.core.api import Conflict
from vmctl.core.instancetype import apply_instancetype
from vmctl.core.preference import apply_preference

__all__ = ["apply_instancetype", "apply_to_vmi"]


def apply_to_vmi(
    path: str,
    instancetype_spec: dict[str, Any] | None,
    preference_spec: dict[str, Any] | None,
    vmi_spec: dict[str, Any],
    vmi_metadata: dict[str, Any],
    after_instancetype: Callable[[], None] | None = None,
) -> list[Conflict]:
    """Apply both specs to ``vmi_spec``/``vmi_metadata`` in place; return the instancetype conflicts.

    ``path`` prefixes conflict paths (``spec.template.spec`` at VM admission, ``spec`` for a VMI). With
    conflicts the preference is not applied at all (the VMI is then half-applied, as in KubeVirt).
    ``after_instancetype`` runs between the two (origin tracking).
    """
    if instancetype_spec is None and preference_spec is None:
        return []
    if instancetype_spec is not None:
        conflicts = apply_instancetype(path, instancetype_spec, preference_spec, vmi_spec, vmi_metadata)
        if conflicts:
            return conflicts
        if after_instancetype is not None:
            after_instancetype()
    if preference_spec is not None:
        apply_preference(preference_spec, vmi_spec, vmi_metadata)
    return []
