"""Preference ``annotations`` → VMI metadata annotations, only for keys the VMI does not have (never a conflict)."""

from __future__ import annotations

from typing import Any


def apply(preference_spec: dict[str, Any], vmi_metadata: dict[str, Any]) -> None:
    wanted = preference_spec.get("annotations") or {}
    if not wanted:
        return
    existing = vmi_metadata.get("annotations")
    if not isinstance(existing, dict):
        existing = vmi_metadata["annotations"] = {}
    for key, value in wanted.items():
        existing.setdefault(key, value)
