"""Instancetype ``ioThreads.supplementalPoolThreadCount`` → VMI ``domain.ioThreads``."""

from __future__ import annotations

from vmctl.core.api import Conflict
from vmctl.core.fields import dig, ensure
from vmctl.core.instancetype._common import Spec, child


def apply(path: str, instancetype_spec: Spec, preference_spec: Spec | None, vmi_spec: Spec, vmi_metadata: Spec) -> list[Conflict]:
    count = dig(instancetype_spec, "ioThreads", "supplementalPoolThreadCount")
    if count is None:
        return []
    if dig(vmi_spec, "domain", "ioThreads", "supplementalPoolThreadCount") is not None:
        return [child(path, "domain", "ioThreads", "supplementalPoolThreadCount")]
    ensure(vmi_spec, "domain", "ioThreads")["supplementalPoolThreadCount"] = count
    return []
