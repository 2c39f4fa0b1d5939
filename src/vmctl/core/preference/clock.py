"""Clock preferences: the offset (``utc``/``timezone``, inline in ``clock``) only when neither is set; ``timer`` when unset."""

from __future__ import annotations

from typing import Any

from vmctl.core.fields import clone, ensure


def apply(preference_spec: dict[str, Any], vmi_spec: dict[str, Any]) -> None:
    preferred = preference_spec.get("clock")
    if not isinstance(preferred, dict):
        return
    clock = ensure(vmi_spec, "domain", "clock")
    offset = preferred.get("preferredClockOffset")
    if offset is not None and clock.get("utc") is None and clock.get("timezone") is None:
        clock.pop("utc", None)
        clock.pop("timezone", None)
        for key in ("utc", "timezone"):
            if offset.get(key) is not None:
                clock[key] = clone(offset[key])
    if preferred.get("preferredTimer") is not None and clock.get("timer") is None:
        clock["timer"] = clone(preferred["preferredTimer"])
