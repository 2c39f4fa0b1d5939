"""Small helpers for nested dicts of Kubernetes objects (pure, no I/O)."""

from __future__ import annotations

import json
from typing import Any

_SCALARS = frozenset({str, int, float, bool, type(None)})


def clone(obj: Any) -> Any:
    """Deep copy of JSON-like data (much faster than copy.deepcopy); scalars are shared, not visited."""
    if isinstance(obj, dict):
        return {k: v if type(v) in _SCALARS else clone(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [v if type(v) in _SCALARS else clone(v) for v in obj]
    return obj


def dig(obj: Any, *keys: str | int, default: Any = None) -> Any:
    """``obj[k1][k2]...`` or ``default`` when any step is missing."""
    for key in keys:
        if isinstance(obj, dict):
            if key not in obj:
                return default
            obj = obj[key]
        elif isinstance(obj, list) and isinstance(key, int) and -len(obj) <= key < len(obj):
            obj = obj[key]
        else:
            return default
    return obj


def ensure(obj: dict[str, Any], *keys: str) -> dict[str, Any]:
    """Return ``obj[k1][k2]...``, creating empty dicts on the way (also replacing ``None``)."""
    for key in keys:
        child = obj.get(key)
        if not isinstance(child, dict):
            child = {}
            obj[key] = child
        obj = child
    return obj


def canonical_json(obj: Any) -> str:
    """Deterministic JSON (sorted keys, no spaces) used for hashing and equality."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"))
