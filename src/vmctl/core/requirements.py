"""Preference ``requirements`` (KubeVirt pkg/instancetype/preference/requirements): cpu → memory → architecture.

Evaluated at VM admission on a *copy* of the VM template spec to which the VMI defaults were already
applied (the caller does that). The first unmet requirement becomes one problem with reason
``FieldValueNotFound`` whose field lists the offending paths joined by ", ".
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from vmctl.core import quantity
from vmctl.core.fields import dig
from vmctl.core.preference import topology as topo
from vmctl.errors import FieldProblem, InputError

PREFIX = "failure checking preference requirements: "
_CPU = "spec.template.spec.domain.cpu"
_MEMORY = "spec.template.spec.domain.memory"
_ARCH = "spec.template.spec.architecture"
_INSTANCETYPE = "spec.instancetype"


def _vm_cpu_text(provided: int, required: int, provided_as: str) -> str:
    return (f"insufficient CPU resources of {provided} vCPU provided by VirtualMachine, "
            f"preference requires {required} vCPU provided as {provided_as}")


def _check_cpu(
    instancetype_spec: dict[str, Any] | None, preference_spec: dict[str, Any], vm_spec: dict[str, Any]
) -> tuple[list[str], str] | None:
    required = int(dig(preference_spec, "requirements", "cpu", "guest") or 0)
    if instancetype_spec is not None:
        provided = int(dig(instancetype_spec, "cpu", "guest") or 0)
        if provided < required:
            return [_INSTANCETYPE], (f"insufficient CPU resources of {provided} vCPU provided by instance type, "
                                     f"preference requires {required} vCPU")
        return None
    vm_cpu = dig(vm_spec, "domain", "cpu")
    if vm_cpu is None:
        return [_CPU], f"no CPU resources provided by VirtualMachine, preference requires {required} vCPU"
    counts = {name: int(vm_cpu.get(name) or 0) for name in ("sockets", "cores", "threads")}
    wanted = topo.normalized_topology(preference_spec)
    if wanted in (topo.SOCKETS, topo.CORES, topo.THREADS):
        if counts[wanted] < required:
            return [f"{_CPU}.{wanted}"], _vm_cpu_text(counts[wanted], required, wanted)
    elif wanted == topo.SPREAD:
        _, across = topo.spread_options(preference_spec)
        names = {topo.SOCKETS_CORES: ("sockets", "cores"), topo.CORES_THREADS: ("cores", "threads"),
                 topo.SOCKETS_CORES_THREADS: ("sockets", "cores", "threads")}.get(across, ())
        provided = 1 if names else 0
        for name in names:
            provided *= counts[name]
        if provided < required:
            return [f"{_CPU}.{name}" for name in names], _vm_cpu_text(provided, required, across)
    elif wanted == topo.ANY:
        provided = counts["cores"] * counts["sockets"] * counts["threads"]
        if provided < required:
            return ([f"{_CPU}.cores", f"{_CPU}.sockets", f"{_CPU}.threads"],
                    _vm_cpu_text(provided, required, "cores, sockets and threads"))
    return None


def _quantity(text: Any, where: str) -> tuple[Fraction, str]:
    try:
        return quantity.parse_quantity_with_format(text if text is not None else "0")
    except InputError as exc:
        raise InputError(f"{where}: {exc.message}") from None


def _check_memory(
    instancetype_spec: dict[str, Any] | None, preference_spec: dict[str, Any], vm_spec: dict[str, Any]
) -> tuple[list[str], str] | None:
    path, source = _MEMORY, "VirtualMachine"
    provided, given = (Fraction(0), quantity.BINARY_SI), None
    if instancetype_spec is not None:
        path, source = _INSTANCETYPE, "instance type"
        given = dig(instancetype_spec, "memory", "guest")
        provided = _quantity(given, "instancetype spec.memory.guest")
    vm_guest = dig(vm_spec, "domain", "memory", "guest")
    if vm_guest is not None:  # quirk kept from KubeVirt: the VM's own value wins, even with an instancetype
        given, provided = vm_guest, _quantity(vm_guest, "spec.template.spec.domain.memory.guest")
    wanted = dig(preference_spec, "requirements", "memory", "guest")
    required = _quantity(wanted, "preference spec.requirements.memory.guest")
    if provided[0] < required[0]:
        return [path], (f"insufficient Memory resources of {quantity.shown(given, *provided)} provided by "
                        f"{source}, preference requires {quantity.shown(wanted, *required)}")
    return None


def _check_architecture(preference_spec: dict[str, Any], vm_spec: dict[str, Any]) -> tuple[list[str], str] | None:
    required = dig(preference_spec, "requirements", "architecture")
    actual = vm_spec.get("architecture") or ""
    if actual != required:
        return [_ARCH], f"preference requires architecture {required} but {actual} is being requested"
    return None


def check_requirements(
    instancetype_spec: dict[str, Any] | None,
    preference_spec: dict[str, Any] | None,
    vm_template_spec: dict[str, Any],
) -> FieldProblem | None:
    """First unmet requirement (cpu → memory → architecture) or None.

    ``vm_template_spec`` must be a copy of the VM template spec with VMI defaults already applied.
    """
    requirements = (preference_spec or {}).get("requirements")
    if not isinstance(requirements, dict) or preference_spec is None:
        return None
    found = None
    if requirements.get("cpu") is not None:
        found = _check_cpu(instancetype_spec, preference_spec, vm_template_spec)
    if found is None and requirements.get("memory") is not None:
        found = _check_memory(instancetype_spec, preference_spec, vm_template_spec)
    if found is None and requirements.get("architecture") is not None:
        found = _check_architecture(preference_spec, vm_template_spec)
    if found is None:
        return None
    paths, message = found
    return FieldProblem(", ".join(paths), PREFIX + message, "FieldValueNotFound")
