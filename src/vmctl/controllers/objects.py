"""Reading Kubernetes objects (plain dicts) the way KubeVirt's controllers do: owners, deletion, conditions,
timestamps. Shared by the planners; pure."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

Obj = dict[str, Any]


def meta(obj: Obj) -> Obj:
    value = obj.get("metadata")
    return value if isinstance(value, dict) else {}


def labels(obj: Obj | None) -> Mapping[str, str]:
    value = meta(obj or {}).get("labels")
    return value if isinstance(value, dict) else {}


def deleting(obj: Obj) -> bool:
    """``metadata.deletionTimestamp`` is set."""
    return bool(meta(obj).get("deletionTimestamp"))


def has_finalizer(obj: Obj, finalizer: str) -> bool:
    return finalizer in (meta(obj).get("finalizers") or [])


def controller_of(obj: Obj) -> Obj | None:
    """``metav1.GetControllerOf``: the ownerReference with ``controller: true``."""
    for ref in meta(obj).get("ownerReferences") or []:
        if isinstance(ref, dict) and ref.get("controller") is True:
            return ref
    return None


def controlled_by(obj: Obj, uid: str) -> bool:
    ref = controller_of(obj)
    return ref is not None and bool(uid) and ref.get("uid") == uid


def find_condition(obj: Obj | None, ctype: str) -> Obj | None:
    for cond in ((obj or {}).get("status") or {}).get("conditions") or []:
        if isinstance(cond, dict) and cond.get("type") == ctype:
            return cond
    return None


def condition_true(obj: Obj | None, ctype: str) -> bool:
    cond = find_condition(obj, ctype)
    return cond is not None and cond.get("status") == "True"


def new_condition(ctype: str, reason: str, message: str, now: datetime) -> Obj:
    """A ``status: "True"`` condition as the pool and replica set controllers add them."""
    return {"type": ctype, "status": "True", "lastProbeTime": None, "lastTransitionTime": timestamp(now),
            "reason": reason, "message": message}


def timestamp(now: datetime) -> str:
    return now.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_timestamp(text: Any) -> datetime | None:
    if not isinstance(text, str) or not text:
        return None
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
