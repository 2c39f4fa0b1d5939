"""Objects shaped and printed the way KubeVirt's Go code does, driven by the generated type table.

- ``go_json(obj, type_name)``: what ``json.Marshal(json.Unmarshal(obj))`` gives for a KubeVirt type: fields
  unknown to the type dropped, non-pointer structs always present (``domain.resources: {}``), zero scalars
  and empty lists/maps with ``omitempty`` absent, ``nil`` pointers/slices/maps without it written as ``null``,
  quantities canonical (``0.5`` → ``"500m"``), a zero ``metav1.Time`` written as ``null``, and what the types'
  own decoders change (NTP servers, DNS name servers, the pod network's CIDR in canonical form). Keys keep the
  order of the input; new keys follow in declaration order.
- ``go_value_text(value, type_name)``: Go's ``%v`` of a value of that type (``&{0 2 0 0  [] false <nil> ...}``).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from vmctl.core import quantity
from vmctl.core.fields import clone
from vmctl.core.gotypes_table import NAMED, STRUCTS
from vmctl.core.netaddr import sanitize_cidr, sanitize_ip
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


_OPAQUE = frozenset({"Quantity", "Time", "Duration", "IntOrString", "Raw"})
Encoder = Callable[[Any], Any]
Obj = dict[str, Any]


def _is_empty(value: Any, type_name: str) -> bool:
    """Go's omitempty test (structs are never empty)."""
    if type_name.startswith("*"):
        return value is None
    kind = _underlying(type_name)
    if kind in STRUCTS or kind in _OPAQUE:
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
    encoder = _ENCODERS.get(type_name)
    return (encoder or _encoder(type_name))(value)


def _passthrough(value: Any) -> Any:
    return value


@functools.lru_cache(maxsize=4096)
def _canonical_cached(value: str | int | float) -> Any:
    return _canonical_quantity(value)


def _quantity_json(value: Any) -> Any:
    if value is None:
        return "0"
    return _canonical_cached(value) if type(value) in (str, int, float) else value


#: one compiled encoder per Go type; a struct's is registered before its fields' (the types are recursive)
_ENCODERS: dict[str, Encoder] = {}


def _encoder(type_name: str) -> Encoder:
    found = _ENCODERS.get(type_name)
    if found is not None:
        return found
    kind = _underlying(type_name)
    encoder: Encoder
    if type_name.startswith("*"):
        inner = _encoder(type_name[1:])
        encoder = lambda value: None if value is None else inner(value)  # noqa: E731
    elif kind.startswith("[]"):
        item = _encoder(kind[2:])
        encoder = lambda value: [item(v) for v in value] if isinstance(value, list) else None  # noqa: E731
    elif kind.startswith("map["):
        item = _encoder(kind[kind.index("]") + 1:])
        if item is _passthrough or kind.endswith("]string"):
            encoder = lambda value: dict(value) if isinstance(value, dict) else None  # noqa: E731
        else:
            encoder = lambda value: {k: item(v) for k, v in value.items()} if isinstance(value, dict) else None  # noqa: E731
    elif kind in STRUCTS:
        encoder = _struct_encoder(type_name, kind)
    elif kind == "Quantity":
        encoder = _quantity_json
    elif kind == "Time":
        encoder = lambda value: value if value else None  # noqa: E731
    elif kind in ("Duration", "IntOrString") or kind in _ZERO:
        zero = {"Duration": "0s", "IntOrString": 0}.get(kind, _ZERO.get(kind))
        encoder = lambda value: zero if value is None else value  # noqa: E731
    else:
        encoder = _passthrough  # any, raw data, types outside the table
    _ENCODERS[type_name] = encoder
    return encoder


def _omit_test(type_name: str, flags: int) -> Callable[[Any], bool] | None:
    """How Go decides to leave a present field out (None: never)."""
    if flags & 1:
        if type_name.startswith("*"):
            return lambda encoded: encoded is None
        kind = _underlying(type_name)
        if kind not in STRUCTS and kind not in _OPAQUE:
            return lambda encoded: not encoded and encoded is not True
    if flags & 4:
        return lambda encoded: not encoded or encoded == go_json(None, type_name)
    return None


def _struct_encoder(type_name: str, struct: str) -> Encoder:
    fields = _fields(struct)
    by_json: dict[str, tuple[Encoder, Callable[[Any], bool] | None]] = {}
    #: what Go writes for a field the input lacks (computed on first use: the types are recursive)
    absent: list[tuple[str, Any, bool]] = []

    def compute_absent() -> None:
        for _go, key, field_type, flags in fields:
            encoded = go_json(None, field_type)
            if not _omitted(encoded, field_type, flags):
                absent.append((key, encoded, isinstance(encoded, (dict, list))))
        absent.append(("", None, False))  # marks the list as computed

    def encode(value: Any) -> dict[str, Any]:
        if not isinstance(value, dict):
            value = {}
        out: dict[str, Any] = {}
        get = by_json.get
        for key, item in value.items():  # the input's keys first, in their order
            field = get(key)
            if field is not None:
                encoded = field[0](item)
                omit = field[1]
                if omit is None or not omit(encoded):
                    out[key] = encoded
        if not absent:
            compute_absent()
        for key, encoded, mutable in absent:  # then what Go writes although the input lacks it
            if key and key not in value:
                out[key] = clone(encoded) if mutable else encoded
        return out

    sanitise = _SANITISERS.get(struct)
    if sanitise is not None:
        plain = encode
        encode = lambda value: plain(sanitise(value) if isinstance(value, dict) else value)  # noqa: E731
    _ENCODERS[type_name] = encode
    for _go, key, field_type, flags in fields:
        by_json[key] = (_encoder(field_type), _omit_test(field_type, flags))
    return encode


# --- the custom decoders of KubeVirt's types (staging/src/kubevirt.io/api/core/v1: sanitizers.go) -------------


def _sanitise_list(value: Obj, key: str) -> Obj:
    items = value.get(key)
    if not isinstance(items, list):
        return value
    return {**value, key: [sanitize_ip(item) for item in items]}


def _sanitise_spec(spec: Obj) -> Obj:
    dns = spec.get("dnsConfig")
    return {**spec, "dnsConfig": _sanitise_list(dns, "nameservers")} if isinstance(dns, dict) else spec


def _sanitise_pod_network(network: Obj) -> Obj:
    if "vmNetworkCIDR" not in network:
        return network
    return {**network, "vmNetworkCIDR": sanitize_cidr(network["vmNetworkCIDR"])}


#: types with their own ``UnmarshalJSON``: what they change on decoding
_SANITISERS: dict[str, Callable[[Obj], Obj]] = {
    "v1.DHCPOptions": lambda options: _sanitise_list(options, "ntpServers"),
    "v1.PodNetwork": _sanitise_pod_network,
    "v1.VirtualMachineInstanceSpec": _sanitise_spec,
}


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


def drop_omitted(value: Any, type_name: str) -> None:
    """Remove in place the fields Go's ``omitempty`` would leave out of ``value`` (a ``type_name``): what a
    JSON round trip through the Go types loses, as a mutating webhook's replaced ``/spec`` does. Empty lists,
    maps and strings, zero numbers, ``false`` and nulls; a struct is never empty and is walked into."""
    kind = _underlying(type_name.lstrip("*"))
    if kind.startswith("[]"):
        if isinstance(value, list):
            for item in value:
                drop_omitted(item, kind[2:])
        return
    if kind not in STRUCTS or not isinstance(value, dict):
        return
    for _go, json_name, field_type, flags in _fields(kind):
        if json_name not in value:
            continue
        field = value[json_name]
        if flags & 1 and _is_empty(field, field_type):
            del value[json_name]
        elif isinstance(field, (dict, list)):
            drop_omitted(field, field_type)
