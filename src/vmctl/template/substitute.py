"""``${NAME}`` / ``${{NAME}}`` substitution over JSON-like objects (both OpenShift and KubeVirt engines).

Rules shared by both engines:

* ``${{NAME}}`` is only recognised when it is the whole string; the value is parsed as JSON
  (``"3"`` → 3, ``"true"`` → True, ``'{"a":1}'`` → a map) and used as is when it is not valid JSON.
* ``${NAME}`` may appear any number of times inside a string; the result is always a string.
* Strings are visited everywhere: map values, list items and map keys.
* Like the Go engines, each match found in the original string replaces the *first* remaining
  occurrence of that reference text in the partially substituted string.

Differences: OpenShift leaves a reference to an undefined parameter verbatim; KubeVirt (``strict``)
fails with ``found parameter 'X' but it was not defined``.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

STRING_REF = re.compile(r"\$\{([a-zA-Z0-9_]+?)\}")
WHOLE_REF = re.compile(r"^\$\{\{([a-zA-Z0-9_]+)\}\}$")
MAX_DEPTH = 512


class SubstitutionError(ValueError):
    """A reference could not be substituted (KubeVirt's stricter rules)."""


def _go_type(value: Any) -> str:
    """The Go type name encoding/json gives a decoded value (for error texts)."""
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "float64"
    if isinstance(value, dict):
        return "map[string]interface {}"
    if isinstance(value, list):
        return "[]interface {}"
    return "string"


def substitute_string(text: str, params: dict[str, str], *, strict: bool) -> tuple[str, bool]:
    """Substitute references in one string; returns (text, is_string). ``is_string`` False means ``${{}}``."""
    whole = WHOLE_REF.match(text)
    if whole:
        name = whole.group(1)
        if name in params:
            return params[name], False
        if strict:
            raise SubstitutionError(f"found parameter '{name}' but it was not defined")
    out = text
    for match in STRING_REF.finditer(text):
        name = match.group(1)
        if name in params:
            out = out.replace(match.group(0), params[name], 1)
        elif strict:
            raise SubstitutionError(f"found parameter '{name}' but it was not defined")
    return out, True


def _go_float(text: str) -> Any:
    """Go decodes JSON numbers as float64 and prints integral ones without a fraction."""
    value = float(text)
    if math.isinf(value):
        raise ValueError(f"number out of range: {text}")
    return int(value) if value.is_integer() and abs(value) < 1e21 else value


def _go_int(text: str) -> Any:
    return _go_float(text) if len(text) > 15 else int(text)


def _reject(text: str) -> Any:
    raise ValueError(f"not JSON: {text}")


def _typed(text: str, is_string: bool, *, strict: bool, key: bool) -> Any:
    if is_string:
        return text
    try:
        value = json.loads(text, parse_float=_go_float, parse_int=_go_int, parse_constant=_reject)
    except ValueError:
        return text
    if value is None and strict:
        raise SubstitutionError("cannot assign nil value to target type " + ("string" if key else "interface {}"))
    if key and not isinstance(value, str):
        raise SubstitutionError(f"substituted value type {_go_type(value)} is not assignable to target type string")
    return value


def substitute(obj: Any, params: dict[str, str], *, strict: bool = False, depth: int = 0) -> Any:
    """Return a copy of ``obj`` with every string (keys included) substituted."""
    if depth > MAX_DEPTH:
        raise SubstitutionError(f"object is nested more than {MAX_DEPTH} levels deep")
    if isinstance(obj, str):
        text, is_string = substitute_string(obj, params, strict=strict)
        return _typed(text, is_string, strict=strict, key=False)
    if isinstance(obj, list):
        return [substitute(v, params, strict=strict, depth=depth + 1) for v in obj]
    if isinstance(obj, dict):
        out: dict[Any, Any] = {}
        for key, value in obj.items():
            new_key = key
            if isinstance(key, str):
                text, is_string = substitute_string(key, params, strict=strict)
                new_key = _typed(text, is_string, strict=strict, key=True)
            out[new_key] = substitute(value, params, strict=strict, depth=depth + 1)
        return out
    return obj


def referenced(obj: Any, depth: int = 0) -> set[str]:
    """Every parameter name referenced anywhere in ``obj`` (both forms)."""
    names: set[str] = set()
    if depth > MAX_DEPTH:
        return names
    if isinstance(obj, str):
        whole = WHOLE_REF.match(obj)
        if whole:
            names.add(whole.group(1))
        names.update(m.group(1) for m in STRING_REF.finditer(obj))
    elif isinstance(obj, list):
        for v in obj:
            names |= referenced(v, depth + 1)
    elif isinstance(obj, dict):
        for k, v in obj.items():
            names |= referenced(k, depth + 1) | referenced(v, depth + 1)
    return names
