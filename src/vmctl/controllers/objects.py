"""Reading objects' metadata the way KubeVirt's controllers do: labels, deletion, finalizers, the controller
ownerReference. Pure helpers shared by the pool and replica set planners (conditions and timestamps are in
``status.py``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

Obj = dict[str, Any]


def meta(obj: Obj) -> Obj:
    value = obj.get("metadata")
    return value if isinstance(value, dict) else {}


def labels(obj: Obj | None) -> Mapping[str, str]:
    value = meta(obj or {}).get("labels")
    return value if isinstance(value, dict) else {}


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
