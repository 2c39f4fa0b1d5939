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
        self._last: dict[str, Any] = {}
        self._origin: dict[str, str] = {}

    def snap(self, stage: str, view: Obj) -> None:
        if not self.enabled:
            return
        flat = flatten(view)
        last = self._last
        origin = self._origin
        for path, value in flat.items():
            old = last.get(path, _MISSING)
            if old is _MISSING or old != value or type(old) is not type(value):
                origin[path] = stage
        self._last = flat

    def origins(self, final: Obj, default: str = "default") -> dict[str, str]:
        """Origins of every leaf of ``final`` (snap it first to attribute the last stage's changes)."""
        if not self.enabled:
            return {}
        return {path: self._origin.get(path, default) for path in flatten(final)}


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


def _scalar(value: Any) -> str:
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
    text = str(value)
    return text if _plain_ok(text) else json.dumps(text, ensure_ascii=False)


def _key(key: Any) -> str:
    text = str(key)
    return text if _plain_ok(text) else json.dumps(text, ensure_ascii=False)


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
