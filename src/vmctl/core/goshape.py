"""Objects shaped and printed the way KubeVirt's Go code does, driven by the generated type table.

- ``go_json(obj, type_name)``: what ``json.Marshal(json.Unmarshal(obj))`` gives for a KubeVirt type: fields
  unknown to the type dropped, non-pointer structs always present (``domain.resources: {}``), zero scalars
  and empty lists/maps with ``omitempty`` absent, ``nil`` pointers/slices/maps without it written as ``null``,
  quantities canonical (``0.5`` → ``"500m"``), a zero ``metav1.Time`` written as ``null``. Keys keep the order
  of the input; new keys follow in declaration order.
- ``go_value_text(value, type_name)``: Go's ``%v`` of a value of that type (``&{0 2 0 0  [] false <nil> ...}``).
"""

from __future__ import annotations

import functools
from typing import Any

from vmctl.core import quantity
from vmctl.core.gotypes_table import NAMED, STRUCTS
from vmctl.errors import VmctlError

_INT_TYPES = frozenset({"int", "int8", "int16", "int32", "int64", "uint", "uint8", "uint16", "uint32", "uint64"})
_ZERO = {"string": "", "bool": False, "float32": 0, "float64": 0, **{t: 0 for t in _INT_TYPES}}


@functools.cache
def _underlying(type_name: str) -> str:
    """Named types resolved to what they are built from (``v1.IOThreadsPolicy`` → ``string``)."""
    seen = 0
    while type_name in NAMED and seen < 20:
        type_name = NAMED[type_name]
        seen += 1
    return type_name


@functools.cache
def _fields(struct: str) -> tuple[tuple[str, str, str, int], ...]:
    """(Go name, JSON name, type, flags) of a struct's JSON fields, inlined embedded structs flattened."""
    out: list[tuple[str, str, str, int]] = []
    for go_name, json_name, type_name, flags in STRUCTS[struct]:
        if flags & 2:
            inner = _underlying(type_name.lstrip("*"))
            if inner in STRUCTS:
                out.extend(_fields(inner))
            continue
        out.append((go_name, json_name, type_name, flags))
    return tuple(out)


def _canonical_quantity(value: Any) -> Any:
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        return value
    try:
        return quantity.canonical(value)
    except VmctlError:
        return value


def _is_empty(value: Any, type_name: str) -> bool:
    """Go's omitempty test (structs are never empty)."""
    if type_name.startswith("*"):
        return value is None
    kind = _underlying(type_name)
    if kind in STRUCTS or kind in ("Quantity", "Time", "Duration", "IntOrString", "Raw"):
        return False
    if value is None:
        return True
    if isinstance(value, (list, dict, str)):
        return len(value) == 0
    return value is False or (not isinstance(value, bool) and value == 0)


def _omitted(encoded: Any, type_name: str, flags: int) -> bool:
    """Whether Go leaves the field out: ``omitempty`` and empty, or ``omitzero`` and the zero value."""
    if flags & 1 and _is_empty(encoded, type_name):
        return True
    return bool(flags & 4) and (not encoded or encoded == go_json(None, type_name))


def go_json(value: Any, type_name: str) -> Any:
    """``value`` encoded as Go encodes a value of ``type_name`` after decoding it (see module doc)."""
    if type_name.startswith("*"):
        return None if value is None else go_json(value, type_name[1:])
    kind = _underlying(type_name)
    if kind.startswith("[]"):
        if not isinstance(value, list):
            return None
        item = kind[2:]
        return [go_json(v, item) for v in value]
    if kind.startswith("map["):
        if not isinstance(value, dict):
            return None
        item = kind[kind.index("]") + 1:]
        return {k: go_json(v, item) for k, v in value.items()}
    if kind in STRUCTS:
        return _struct_json(value if isinstance(value, dict) else {}, kind)
    if kind == "Quantity":
        return "0" if value is None else _canonical_quantity(value)
    if kind == "Time":
        return value if value else None
    if kind == "Duration":
        return "0s" if value is None else value
    if kind == "IntOrString":
        return 0 if value is None else value
    if kind in _ZERO:
        return _ZERO[kind] if value is None else value
    return value  # any, raw data, types outside the table


def _struct_json(value: dict[str, Any], struct: str) -> dict[str, Any]:
    fields = _fields(struct)
    by_json = {f[1]: f for f in fields}
    out: dict[str, Any] = {}
    for key, item in value.items():  # the input's keys first, in their order
        field = by_json.get(key)
        if field is None:
            continue
        encoded = go_json(item, field[2])
        if not _omitted(encoded, field[2], field[3]):
            out[key] = encoded
    for _go, key, type_name, flags in fields:  # then what Go writes although the input lacks it
        if key in out or (key in value and flags & 5):
            continue
        encoded = go_json(None, type_name)
        if not _omitted(encoded, type_name, flags):
            out[key] = encoded
    return out


# --- %v -------------------------------------------------------------------------------------------------


def _quantity_text(value: Any) -> str:
    from vmctl.core.presets import go_quantity_repr

    return go_quantity_repr(value)


def go_value_text(value: Any, type_name: str, *, top: bool = True) -> str:
    """Go's ``%v`` of ``value`` decoded into ``type_name`` (pointers print as ``&{...}`` at the top only)."""
    if type_name.startswith("*"):
        if value is None:
            return "<nil>"
        if top and _underlying(type_name[1:]) in STRUCTS:
            return "&" + go_value_text(value, type_name[1:], top=False)
        return "0xc000000000"  # Go prints other pointers as addresses
    kind = _underlying(type_name)
    if kind.startswith("[]"):
        items = value if isinstance(value, list) else []
        return "[" + " ".join(go_value_text(v, kind[2:], top=False) for v in items) + "]"
    if kind.startswith("map["):
        items = value if isinstance(value, dict) else {}
        item = kind[kind.index("]") + 1:]
        return "map[" + " ".join(f"{k}:{go_value_text(items[k], item, top=False)}" for k in sorted(items)) + "]"
    if kind in STRUCTS:
        data = value if isinstance(value, dict) else {}
        parts = []
        for _go, json_name, field_type, flags in STRUCTS[kind]:
            if flags & 2:
                parts.append(go_value_text(data, field_type, top=False))
            else:
                parts.append(go_value_text(data.get(json_name), field_type, top=False))
        return "{" + " ".join(parts) + "}"
    if kind == "Quantity":
        return _quantity_text("0" if value is None else value)
    if kind == "bool":
        return "true" if value is True else "false"
    if kind in _ZERO:
        if value is None:
            return str(_ZERO[kind])
        if isinstance(value, float) and value.is_integer() and kind not in ("float32", "float64"):
            return str(int(value))
        return str(value)
    return "<nil>" if value is None else str(value)
