"""Preference appliers (one module per spec section, KubeVirt's pkg/instancetype/preference/apply),
the spread-topology check and preference spec validation. Preferences never conflict: they only fill
what the VMI leaves unset (except ``devices.disableHotplug`` and ``features.acpi``, always overwritten).
"""

from __future__ import annotations

from typing import Any

# The section appliers are imported by the functions that run them, so importing the package (as the
# instancetype appliers and the pipeline do) costs little when no preference is involved.
from vmctl.core.preference import topology as topo
from vmctl.core.preference.spread import check_spread_topology
from vmctl.errors import FieldProblem

__all__ = ["apply_autoattach", "apply_preference", "check_spread_topology", "mutate_vm", "validate_spec"]


def apply_preference(preference_spec: dict[str, Any] | None, vmi_spec: dict[str, Any], vmi_metadata: dict[str, Any]) -> None:
    """Apply a preference to ``vmi_spec``/``vmi_metadata`` in place, in KubeVirt's order."""
    if preference_spec is None:
        return
    from vmctl.core.preference import clock, cpu, devices, features, firmware, machine, misc
    from vmctl.core.preference.annotations import apply as apply_annotations

    cpu.apply(preference_spec, vmi_spec)
    devices.apply(preference_spec, vmi_spec)
    features.apply(preference_spec, vmi_spec)
    firmware.apply(preference_spec, vmi_spec)
    machine.apply(preference_spec, vmi_spec)
    clock.apply(preference_spec, vmi_spec)
    misc.apply_subdomain(preference_spec, vmi_spec)
    misc.apply_termination_grace_period(preference_spec, vmi_spec)
    misc.apply_architecture(preference_spec, vmi_spec)
    apply_annotations(preference_spec, vmi_metadata)
    misc.apply_launch_security(preference_spec, vmi_spec)


def apply_autoattach(preference_spec: dict[str, Any] | None, vmi_spec: dict[str, Any]) -> None:
    """Apply only the five ``preferredAutoattach*`` fields (VM controller, before default devices are added)."""
    from vmctl.core.preference import autoattach

    autoattach.apply(preference_spec, vmi_spec)


def mutate_vm(preference_spec: dict[str, Any] | None, vm: dict[str, Any]) -> None:
    """Apply the preference's VM-level defaults to ``vm`` in place (KubeVirt's VM mutator order)."""
    from vmctl.core.preference.vm import mutate_vm as mutate

    mutate(preference_spec, vm)


def validate_spec(spec: dict[str, Any], path: str = "spec") -> list[FieldProblem]:
    """Admission checks of a preference spec; the deprecation warning (reason ``Warning``) only comes without errors."""
    cpu_spec = spec.get("cpu") if isinstance(spec.get("cpu"), dict) else {}
    written = cpu_spec.get("preferredCPUTopology")
    if written is None:
        return []
    if written not in topo.SUPPORTED:
        return [FieldProblem(f"{path}.cpu.preferredCPUTopology", f"unknown preferredCPUTopology {written}")]
    if written in (topo.SPREAD, "preferSpread"):
        ratio, across = topo.spread_options(spec)
        if across not in topo.SPREAD_ACROSS:
            return [FieldProblem(f"{path}.cpu.spreadOptions.across", f"across {across} is not supported")]
        if across == topo.CORES_THREADS and ratio != 2:
            return [FieldProblem(
                f"{path}.cpu.spreadOptions.ratio",
                "only a ratio of 2 (1 core 2 threads) is allowed when spreading vCPUs over cores and threads",
            )]
    if written in topo.DEPRECATED:
        message = (f"PreferredCPUTopology {written} is deprecated for removal in a future release, "
                   f"please use {topo.DEPRECATED[written]} instead")
        return [FieldProblem(f"{path}.cpu.preferredCPUTopology", message, "Warning")]
    return []
