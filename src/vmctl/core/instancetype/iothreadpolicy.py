"""Instancetype ``ioThreadsPolicy`` → VMI ``domain.ioThreadsPolicy``."""

from __future__ import annotations

from vmctl.core.api import Conflict
from vmctl.core.fields import dig, ensure
from vmctl.core.instancetype._common import Spec, child


def apply(path: str, instancetype_spec: Spec, preference_spec: Spec | None, vmi_spec: Spec, vmi_metadata: Spec) -> list[Conflict]:
    policy = instancetype_spec.get("ioThreadsPolicy")
    if policy is None:
        return []
    if dig(vmi_spec, "domain", "ioThreadsPolicy") is not None:
        return [child(path, "domain", "ioThreadsPolicy")]
    ensure(vmi_spec, "domain")["ioThreadsPolicy"] = policy
    return []
