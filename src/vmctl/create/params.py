"""virtctl's structured flag values: ``key:value,key:value`` (``create/params/params.go``).

A value is split on ``,``; every item is split once on ``:`` (so values may contain ``:`` but not ``,``).
Slice params separate their items with ``;``. Error texts equal virtctl's.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from vmctl.core import gotext
from vmctl.core.names import label_errors
from vmctl.errors import UsageError, VmctlError

ParamType = Literal["string", "uint", "quantity", "slice"]

#: Characters of Kubernetes' ``rand.String`` (no vowels, no confusable digits).
_RAND_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"

_UINT32_MAX = 2**32 - 1


class ParamError(UsageError):
    """A malformed structured flag value (exit code 2)."""


def flag_error(flag: str, message: str) -> ParamError:
    """``failed to parse "--<flag>" flag: <message>`` as virtctl's ``params.FlagErr``."""
    return ParamError(f'failed to parse "--{flag}" flag: {message}')


def random_suffix(length: int = 5) -> str:
    """Random lowercase suffix like Kubernetes' ``rand.String`` (used only for default names)."""
    import secrets

    return "".join(secrets.choice(_RAND_ALPHABET) for _ in range(length))


def check_dns1123_label(flag: str, name: str) -> None:
    """Raise virtctl's ``invalid name "<name>": ...`` error for a name that is not a DNS-1123 label."""
    errs = label_errors(name)
    if errs:
        raise flag_error(flag, f'invalid name "{name}": {",".join(errs)}')


def split_params(text: str) -> dict[str, str]:
    """Split ``k:v,k:v`` into a dict (later keys win); raises ``ValueError`` with virtctl's text."""
    if text == "":
        raise ValueError("params may not be empty")
    result: dict[str, str] = {}
    for item in text.split(","):
        key, sep, value = item.partition(":")
        if not sep:
            raise ValueError(f"params need to have at least one colon: {item}")
        result[key] = value
    return result


def _parse_uint(name: str, value: str) -> int:
    """Go ``strconv.ParseUint(value, 10, 32)`` with its error texts."""
    if not value or not value.isascii() or not value.isdigit():
        raise ValueError(f'failed to parse param "{name}": strconv.ParseUint: parsing "{value}": invalid syntax')
    number = int(value)
    if number > _UINT32_MAX:
        raise ValueError(f'failed to parse param "{name}": strconv.ParseUint: parsing "{value}": value out of range')
    return number


def parse_quantity_text(value: str) -> str:
    """Validate a Kubernetes quantity and return its canonical text (``1024Mi`` -> ``1Gi``)."""
    from vmctl.core.quantity import format_quantity, parse_quantity, quantity_format

    return format_quantity(parse_quantity(value), quantity_format(value))


def _quantity_error(exc: Exception) -> str:
    return getattr(exc, "message", None) or str(exc)


def map_params(flag: str, text: str, spec: Mapping[str, ParamType]) -> dict[str, Any]:
    """Parse one structured flag value against ``spec`` (param name -> type), like virtctl's ``params.Map``.

    Values: ``string`` -> str, ``uint`` -> int, ``quantity`` -> canonical str, ``slice`` -> list[str].
    Params not given are absent from the result.
    """
    try:
        raw = split_params(text)
    except ValueError as exc:
        raise flag_error(flag, str(exc)) from None
    result: dict[str, Any] = {}
    for name, kind in spec.items():
        if name not in raw:
            continue
        value = raw.pop(name)
        if kind == "uint":
            try:
                result[name] = _parse_uint(name, value)
            except ValueError as exc:
                raise flag_error(flag, str(exc)) from None
        elif kind == "quantity":
            try:
                result[name] = parse_quantity_text(value)
            except (VmctlError, ValueError) as exc:
                raise flag_error(flag, f'failed to parse param "{name}": {_quantity_error(exc)}') from None
        elif kind == "slice":
            result[name] = value.split(";")
        else:
            result[name] = value
    if raw:
        unknown = ",".join(f"{k}:{v}" for k, v in raw.items())
        raise flag_error(flag, f"unknown param(s): {unknown}")
    return result


def get_param(name: str, text: str) -> str | None:
    """The raw value of one param (``None`` when absent), like virtctl's ``GetParamByName``."""
    return split_params(text).get(name)


def split_prefixed_name(text: str) -> tuple[str, str]:
    """Split ``prefix/name`` (or ``name``) into ``(prefix, name)``; raises ``ValueError`` with virtctl's text."""
    parts = text.split("/")
    if len(parts) == 1:
        prefix, name = "", parts[0]
    elif len(parts) == 2:
        prefix, name = parts
    else:
        raise ValueError(f"invalid count {len(parts) - 1} of slashes in prefix/name")
    if name == "":
        raise ValueError("name cannot be empty")
    return prefix, name


def supported(spec: Mapping[str, ParamType]) -> str:
    """``name:string,src:string,bootorder:uint`` for help texts."""
    shown = {"string": "string", "uint": "uint", "quantity": "resource.Quantity", "slice": "[]string"}
    return ",".join(f"{name}:{shown[kind]}" for name, kind in spec.items())


def csv_record(flag: str, value: str) -> list[str]:
    """The fields of a pflag StringSlice value: the first record of Go's ``encoding/csv`` reader (comma
    separated; a field in double quotes may hold commas, ``""`` and line breaks; leading empty lines skipped).
    A malformed value is pflag's ``invalid argument`` usage error with Go's parse error."""
    text = value.replace("\r\n", "\n")
    start = len(text) - len(text.lstrip("\n"))
    line = start + 1
    record_line = line
    fields: list[str] = []
    pos = start

    def fail(line: int, column: int, problem: str) -> UsageError:
        where = f"record on line {record_line}; " if line != record_line else ""
        return UsageError(
            f"invalid argument {gotext.quote(value)} for \"--{flag}\" flag: {where}parse error on line {line}, "
            f"column {column}: {problem}"
        )

    if pos >= len(text):
        return []
    line_start = pos
    while True:
        if pos < len(text) and text[pos] == '"':  # quoted field
            pos += 1
            field: list[str] = []
            while True:
                quote = text.find('"', pos)
                if quote < 0:
                    raise fail(text.count("\n", 0, len(text)) + 1, len(text) - text.rfind("\n") ,
                               'extraneous or missing " in quoted-field')
                chunk = text[pos:quote]
                line += chunk.count("\n")
                if "\n" in chunk:
                    line_start = pos + chunk.rfind("\n") + 1
                field.append(chunk)
                after = text[quote + 1 : quote + 2]
                if after == '"':
                    field.append('"')
                    pos = quote + 2
                    continue
                if after in ("", ",", "\n"):
                    fields.append("".join(field))
                    pos = quote + 2
                    if after == ",":
                        break
                    return fields
                raise fail(line, quote - line_start + 2, 'extraneous or missing " in quoted-field')
            continue
        end = len(text)
        for stop in (",", "\n"):
            found = text.find(stop, pos)
            if 0 <= found < end:
                end = found
        field_text = text[pos:end]
        if '"' in field_text:
            raise fail(line, pos - line_start + field_text.index('"') + 1, 'bare " in non-quoted-field')
        fields.append(field_text)
        if end < len(text) and text[end] == ",":
            pos = end + 1
            continue
        return fields
