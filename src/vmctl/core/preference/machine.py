"""Machine preference: ``domain.machine.type`` when empty."""

from __future__ import annotations

from typing import Any

from vmctl.core.fields import dig, ensure


def apply(preference_spec: dict[str, Any], vmi_spec: dict[str, Any]) -> None:
    machine_type = dig(preference_spec, "machine", "preferredMachineType")
    if not machine_type:
        return
    machine = ensure(vmi_spec, "domain", "machine")
    if not machine.get("type"):
        machine["type"] = machine_type
