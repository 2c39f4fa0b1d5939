"""Which stage of the pipeline set each field: snapshots between stages, and a commented YAML view.

Stages are named ``vm`` (or ``vmi``), ``instancetype/<name>``, ``preference/<name>``, ``preset/<name>``
and ``default`` (KubeVirt's controllers and webhooks). A leaf is attributed to the last stage that set or
changed it; leaves nothing attributed are ``default``.
"""

from __future__ import annotations

import json
import re
from typing import Any

Obj = dict[str, Any]
_MISSING = object()


def flatten(obj: Any, prefix: str = "", out: dict[str, Any] | None = None) -> dict[str, Any]:
    """Leaf paths (``spec.domain.disks[0].name``) → values; empty dicts and lists are leaves too."""
    if out is None:
        out = {}
    if isinstance(obj, dict):
        if not obj:
            out[prefix] = {}
        for key, value in obj.items():
            path = f"{prefix}.{key}" if prefix else str(key)
            if isinstance(value, (dict, list)):
                flatten(value, path, out)
            else:
                out[path] = value
    elif isinstance(obj, list):
        if not obj:
            out[prefix] = []
        for i, value in enumerate(obj):
            path = f"{prefix}[{i}]"
            if isinstance(value, (dict, list)):
                flatten(value, path, out)
            else:
                out[path] = value
    else:
        out[prefix] = obj
    return out


class OriginTracker:
    """Collect per-stage changes; ``snap`` after each stage with the object in its final shape."""

    def __init__(self, enabled: bool = True) -> None:
        self.enabled = enabled
        self._last: Any = _MISSING  # a snapshot (``_frozen``) of the last snapped view
        self._origin: dict[str, str] = {}

    def snap(self, stage: str, view: Obj) -> None:
        """Attribute to ``stage`` every leaf of ``view`` (as ``flatten`` names them) that is new or changed
        (another value, or another type) since the last snap."""
        if not self.enabled:
            return
        self._last = _changed(self._last, view, "", self._origin, stage)

    def origins(self, final: Obj, default: str = "default") -> dict[str, str]:
        """Origins of every leaf of ``final`` (snap it first to attribute the last stage's changes)."""
        if not self.enabled:
            return {}
        return {path: self._origin.get(path, default) for path in flatten(final)}


class _Exact:
    """A leaf of a snapshot other than a string or None: equal only to the same value of the same type
    (``1``, ``True`` and ``1.0`` are different leaves), so whole snapshots compare with ``==``."""

    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self.value) and other == self.value

    __hash__ = None  # type: ignore[assignment]


def _frozen(node: Any) -> Any:
    """A snapshot of live data: containers copied, leaves other than strings and None wrapped in ``_Exact``."""
    if isinstance(node, dict):
        return {k: _frozen(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_frozen(v) for v in node]
    return node if node is None or type(node) is str else _Exact(node)


def _changed(before: Any, new: Any, path: str, origin: dict[str, str], stage: str) -> Any:
    """Set ``origin[p] = stage`` for every ``flatten`` path ``p`` of ``new`` whose leaf is not in the
    snapshot ``before`` (missing, another value or another type); return the snapshot of ``new``, sharing
    ``before``'s unchanged parts. Unchanged subtrees are compared in one ``==`` and never walked."""
    if isinstance(new, dict):
        if type(before) is dict and before == new:
            return before
        if not new:
            origin[path] = stage
            return {}
        if type(before) is not dict:
            for sub in flatten(new, path):
                origin[sub] = stage
            return _frozen(new)
        out = {}
        get = before.get
        for key, value in new.items():
            old = get(key, _MISSING)
            if isinstance(value, (dict, list)):
                out[key] = _changed(old, value, f"{path}.{key}" if path else str(key), origin, stage)
            elif old is _MISSING or old != value:
                origin[f"{path}.{key}" if path else str(key)] = stage
                out[key] = _frozen(value)
            else:
                out[key] = old
        return out
    if isinstance(new, list):
        if type(before) is list and before == new:
            return before
        if not new:
            origin[path] = stage
            return []
        if type(before) is not list:
            for sub in flatten(new, path):
                origin[sub] = stage
            return _frozen(new)
        count = len(before)
        items = []
        for i, value in enumerate(new):
            old = before[i] if i < count else _MISSING
            if isinstance(value, (dict, list)):
                items.append(_changed(old, value, f"{path}[{i}]", origin, stage))
            elif old is _MISSING or old != value:
                origin[f"{path}[{i}]"] = stage
                items.append(_frozen(value))
            else:
                items.append(old)
        return items
    if before is _MISSING or before != new:
        origin[path] = stage
        return _frozen(new)
    return before


# --- YAML with a trailing origin comment per leaf ----------------------------------------------------

# patterns, not compiled objects: ``re`` compiles them on first use, so resolving without origins pays nothing
_PLAIN = r"[A-Za-z0-9_/.][A-Za-z0-9_./@+-]*"
_NUMBERISH = (
    r"[-+]?(\d[\d_]*)?(\.[\d_]*)?([eE][-+]?\d+)?|0[xXoObB][0-9a-fA-F_]+|[-+]?\.(inf|Inf|INF|nan|NaN|NAN)"
    r"|\d{4}-\d{1,2}-\d{1,2}.*"
)
_SPECIAL = {"true", "false", "yes", "no", "on", "off", "null", "y", "n", "~", ""}


def _plain_ok(text: str) -> bool:
    return bool(re.fullmatch(_PLAIN, text)) and text.lower() not in _SPECIAL and not re.fullmatch(_NUMBERISH, text)


#: texts already written by ``_text`` (a batch repeats the same strings in every object)
_TEXTS: dict[str, str] = {}
_TEXTS_LIMIT = 100_000


def _text(text: str) -> str:
    """``text`` as it is when plain, else JSON-quoted."""
    found = _TEXTS.get(text)
    if found is None:
        if len(_TEXTS) >= _TEXTS_LIMIT:
            _TEXTS.clear()
        found = _TEXTS[text] = text if _plain_ok(text) else json.dumps(text, ensure_ascii=False)
    return found


def _scalar(value: Any) -> str:
    if type(value) is str:
        return _text(value)
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, (int, float)):
        return json.dumps(value)
    if isinstance(value, dict):
        return "{}"
    if isinstance(value, list):
        return "[]"
    return _text(str(value))


def _key(key: Any) -> str:
    return _text(str(key))


def render_yaml_with_origins(obj: Obj, origins: dict[str, str]) -> str:
    """Block YAML (sorted keys) with ``# <stage>`` after every leaf line, comments aligned."""
    lines: list[tuple[str, str | None]] = []

    def emit_mapping(node: Obj, path: str, indent: str, first_prefix: str | None = None) -> None:
        for n, key in enumerate(sorted(node, key=str)):
            value = node[key]
            sub = f"{path}.{key}" if path else str(key)
            lead = first_prefix if (first_prefix is not None and n == 0) else indent
            emit_value(f"{lead}{_key(key)}:", value, sub, indent)

    def emit_value(head: str, value: Any, path: str, indent: str) -> None:
        if isinstance(value, dict) and value:
            lines.append((head, None))
            emit_mapping(value, path, indent + "  ")
        elif isinstance(value, list) and value:
            lines.append((head, None))
            emit_sequence(value, path, indent)
        else:
            lines.append((f"{head} {_scalar(value)}", origins.get(path)))

    def emit_sequence(items: list[Any], path: str, indent: str) -> None:
        for i, item in enumerate(items):
            sub = f"{path}[{i}]"
            if isinstance(item, dict) and item:
                emit_mapping(item, sub, indent + "  ", first_prefix=indent + "- ")
            elif isinstance(item, list) and item:
                lines.append((f"{indent}-", None))
                emit_sequence(item, sub, indent + "  ")
            else:
                lines.append((f"{indent}- {_scalar(item)}", origins.get(sub)))

    emit_mapping(obj, "", "")
    width = min(max((len(text) for text, origin in lines if origin), default=0), 70)
    out = []
    for text, origin in lines:
        out.append(f"{text.ljust(width)}  # {origin}" if origin else text)
    return "\n".join(out) + "\n"
