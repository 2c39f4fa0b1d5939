"""Instancetype appliers (one module per spec section, KubeVirt's pkg/instancetype/apply) and spec validation.

Every section module exposes ``apply(path, instancetype_spec, preference_spec, vmi_spec, vmi_metadata)``
which mutates ``vmi_spec``/``vmi_metadata`` in place and returns its conflicts.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

from vmctl.core.api import Conflict
from vmctl.core.fields import dig
from vmctl.errors import FieldProblem

Applier = Callable[[str, dict[str, Any], "dict[str, Any] | None", dict[str, Any], dict[str, Any]], list[Conflict]]

#: The sections in the order KubeVirt's ApplyToVMI runs them: (instancetype spec field, applier module).
SECTIONS: tuple[tuple[str, str], ...] = (
    ("nodeSelector", "nodeselector"),
    ("schedulerName", "scheduler"),
    ("cpu", "cpu"),
    ("memory", "memory"),
    ("ioThreads", "iothreads"),
    ("ioThreadsPolicy", "iothreadpolicy"),
    ("launchSecurity", "launchsecurity"),
    ("gpus", "gpus"),
    ("hostDevices", "hostdevices"),
    ("annotations", "annotations"),
)
#: Sections that run even when the instancetype leaves their field out; every other applier does nothing
#: without its field, so its module is imported only when the field is there (shorter start-up).
_ALWAYS = frozenset({"cpu", "memory"})

LAUNCH_SECURITY_WARNING = "launchSecurity is deprecated and will be removed in a future release. Use preference instead."


def section_applier(module: str) -> Applier:
    """The ``apply`` function of one section module (``cpu``, ``memory``, ...)."""
    return importlib.import_module(f"vmctl.core.instancetype.{module}").apply


def apply_instancetype(
    path: str,
    instancetype_spec: dict[str, Any],
    preference_spec: dict[str, Any] | None,
    vmi_spec: dict[str, Any],
    vmi_metadata: dict[str, Any],
) -> list[Conflict]:
    """Run every instancetype section in KubeVirt's order; return all their conflicts concatenated.

    Sections without conflicts are applied even when another section conflicts (as in KubeVirt).
    """
    conflicts: list[Conflict] = []
    for field, module in SECTIONS:
        if field in instancetype_spec or field in _ALWAYS:
            apply = section_applier(module)
            conflicts.extend(apply(path, instancetype_spec, preference_spec, vmi_spec, vmi_metadata))
    return conflicts


def validate_spec(spec: dict[str, Any], path: str = "spec") -> list[FieldProblem]:
    """Admission checks of an instancetype spec; the deprecation warning (reason ``Warning``) only comes without errors."""
    problems: list[FieldProblem] = []
    field = f"{path}.memory.overcommitPercent"
    percent = dig(spec, "memory", "overcommitPercent")
    percent = percent if isinstance(percent, int) and not isinstance(percent, bool) else 0
    if percent < 0 or percent > 100:
        problems.append(FieldProblem(field, f"{field} '{percent}': must be in range between 0 and 100."))
    if percent != 0 and dig(spec, "memory", "hugepages") is not None:
        problems.append(FieldProblem(field, f"{field} and {path}.memory.hugepages should not be requested together."))
    if not problems and spec.get("launchSecurity") is not None:
        problems.append(FieldProblem(f"{path}.launchSecurity", LAUNCH_SECURITY_WARNING, "Warning"))
    return problems
