"""Instancetype ``memory`` → VMI ``domain.memory`` (+ a memory request when overcommitted).

Only the first conflict is reported, in KubeVirt's order: guest, hugepages, maxGuest, requests.memory,
limits.memory. Quantities are written in Kubernetes' canonical form (``2048Mi`` → ``2Gi``).
"""

from __future__ import annotations

from fractions import Fraction

from vmctl.core import quantity
from vmctl.core.api import Conflict
from vmctl.core.fields import clone, dig, ensure
from vmctl.core.instancetype._common import Spec, child
from vmctl.errors import InputError


def _first_conflict(path: str, memory: Spec, vmi_spec: Spec, vmi_memory: Spec) -> Conflict | None:
    if vmi_memory.get("guest") is not None:
        return child(path, "domain", "memory", "guest")
    for name in ("hugepages", "maxGuest"):
        if vmi_memory.get(name) is not None and memory.get(name) is not None:
            return child(path, "domain", "memory", name)
    resources = dig(vmi_spec, "domain", "resources", default={}) or {}
    for kind in ("requests", "limits"):
        if "memory" in (resources.get(kind) or {}):
            return child(path, "domain", "resources", kind, "memory")
    return None


def _parse(text: object, field: str) -> tuple[Fraction, str]:
    try:
        return quantity.parse_quantity_with_format(text if text is not None else "0")  # type: ignore[arg-type]
    except InputError as exc:
        raise InputError(f"instancetype spec.memory.{field}: {exc.message}") from None


def overcommit_request(guest: object, percent: int) -> str:
    """The memory request KubeVirt writes for ``guest`` at ``percent`` overcommit (float32 arithmetic)."""
    value, fmt = _parse(guest, "guest")
    return quantity.format_quantity(quantity.overcommitted_request(quantity.value_int(value), percent), fmt)


def apply(path: str, instancetype_spec: Spec, preference_spec: Spec | None, vmi_spec: Spec, vmi_metadata: Spec) -> list[Conflict]:
    memory = instancetype_spec.get("memory") or {}
    vmi_memory = ensure(vmi_spec, "domain", "memory")
    conflict = _first_conflict(path, memory, vmi_spec, vmi_memory)
    if conflict is not None:
        return [conflict]
    value, fmt = _parse(memory.get("guest"), "guest")
    vmi_memory["guest"] = quantity.shown(memory.get("guest"), value, fmt)
    percent = memory.get("overcommitPercent") or 0
    if isinstance(percent, int) and percent > 0:
        requested = quantity.overcommitted_request(quantity.value_int(value), percent)
        ensure(vmi_spec, "domain", "resources", "requests")["memory"] = quantity.format_quantity(requested, fmt)
    if memory.get("hugepages") is not None:
        vmi_memory["hugepages"] = clone(memory["hugepages"])
    if memory.get("maxGuest") is not None:
        max_value, max_fmt = _parse(memory["maxGuest"], "maxGuest")
        vmi_memory["maxGuest"] = quantity.shown(memory["maxGuest"], max_value, max_fmt)
    return []
