"""Small helpers shared by the instancetype appliers (Go nil/zero semantics on plain dicts)."""

from __future__ import annotations

from typing import Any

from vmctl.core.api import Conflict

Spec = dict[str, Any]


def child(path: str, *names: str) -> Conflict:
    """A conflict at ``path.name1.name2`` (``path`` may be empty)."""
    return Conflict(".".join([path, *names]) if path else ".".join(names))


def is_set(value: Any) -> bool:
    """A Go pointer/map/slice that is not nil: present and not ``None``."""
    return value is not None


def set_or_omit(obj: dict[str, Any], key: str, value: Any) -> None:
    """Assign a non-pointer Go field tagged ``omitempty``: zero values (False, 0, "") are not serialised."""
    if value:
        obj[key] = value
    else:
        obj.pop(key, None)
