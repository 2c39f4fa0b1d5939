"""Instancetype ``launchSecurity`` (deprecated) → VMI ``domain.launchSecurity``."""

from __future__ import annotations

from vmctl.core.api import Conflict
from vmctl.core.fields import clone, dig, ensure
from vmctl.core.instancetype._common import Spec, child


def apply(path: str, instancetype_spec: Spec, preference_spec: Spec | None, vmi_spec: Spec, vmi_metadata: Spec) -> list[Conflict]:
    wanted = instancetype_spec.get("launchSecurity")
    if wanted is None:
        return []
    if dig(vmi_spec, "domain", "launchSecurity") is not None:
        return [child(path, "domain", "launchSecurity")]
    ensure(vmi_spec, "domain")["launchSecurity"] = clone(wanted)
    return []
