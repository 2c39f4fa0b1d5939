"""Preference ``cpu.preferredCPUFeatures`` → VMI ``domain.cpu.features`` (a feature the VMI names is kept)."""

from __future__ import annotations

from typing import Any

from vmctl.core.fields import clone, dig, ensure


def apply(preference_spec: dict[str, Any], vmi_spec: dict[str, Any]) -> None:
    wanted = dig(preference_spec, "cpu", "preferredCPUFeatures")
    if not wanted:
        return
    # KubeVirt assumes domain.cpu exists here (an instancetype always creates it); create it instead of failing.
    vmi_cpu = ensure(vmi_spec, "domain", "cpu")
    features = vmi_cpu.get("features") or []
    names = {feature.get("name") for feature in features if isinstance(feature, dict)}
    for feature in wanted:
        if feature.get("name") not in names:
            features.append(clone(feature))
    vmi_cpu["features"] = features
