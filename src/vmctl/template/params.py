"""Parameter values from the command line (``-p K=V``, ``--param-file``) and their injection into templates."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from vmctl.errors import InputError, UsageError

Obj = dict[str, Any]
_FIELDS = {"name": str, "displayName": str, "description": str, "value": str, "generate": str, "from": str,
           "required": bool}
MAX_PARAM_FILE_BYTES = 4 * 1024 * 1024


def parse_param_args(args: list[str], flag: str = "-p/--param") -> dict[str, str]:
    """``["K=V", ...]`` → ``{K: V}``; a missing ``=``, an empty key or a repeated key is a usage error."""
    values: dict[str, str] = {}
    duplicates: list[str] = []
    for arg in args:
        key, sep, value = arg.partition("=")
        if not sep:
            raise UsageError(f"invalid {flag} value {arg!r}: expected NAME=VALUE (e.g. {flag.split('/')[0]} NAME=web1)")
        if not key:
            raise UsageError(f"invalid {flag} value {arg!r}: the parameter name before '=' is empty")
        if key in values and key not in duplicates:
            duplicates.append(key)
        values[key] = value
    if duplicates:
        raise UsageError(f"The following parameters were provided more than once: {', '.join(duplicates)}")
    return values


def _unquote(value: str, where: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] == '"':
        try:
            decoded = json.loads(value)
        except ValueError:
            raise InputError(f"{where}: invalid double-quoted value (use JSON escapes such as \\n)") from None
        return str(decoded)
    if len(value) >= 2 and value[0] == value[-1] == "'":
        return value[1:-1]
    return value


def read_param_file(path: str | Path) -> dict[str, str]:
    """Read an env-file: ``KEY=VALUE`` lines; blank lines and ``#`` comments are skipped.

    A value in double quotes takes JSON escapes (``"line1\\nline2"``); single quotes are taken literally.
    """
    path = Path(path)
    try:
        if path.stat().st_size > MAX_PARAM_FILE_BYTES:
            raise InputError(f"{path}: parameter file is larger than {MAX_PARAM_FILE_BYTES} bytes")
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(f"{path}: no such parameter file") from None
    except UnicodeDecodeError:
        raise InputError(f"{path}: parameter file is not UTF-8 text") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot read parameter file: {exc.strerror}") from None
    values: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), 1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        key, sep, value = stripped.partition("=")
        key = key.strip()
        if key.startswith("export "):
            key = key[len("export "):].strip()
        if not sep or not key:
            raise InputError(f"{path}:{number}: invalid parameter line {stripped!r}: expected KEY=VALUE")
        values[key] = _unquote(value.strip(), f"{path}:{number}")
    return values


def combine(cli: dict[str, str], files: list[tuple[str, dict[str, str]]]) -> tuple[dict[str, str], list[str]]:
    """Merge file values (later files win) under command-line values; warn when the command line wins."""
    merged: dict[str, str] = {}
    origin: dict[str, str] = {}
    for source, values in files:
        for key, value in values.items():
            merged[key] = value
            origin[key] = source
    warnings = [
        f'parameter "{key}" is set on the command line and in "{origin[key]}"; using the command-line value'
        for key in cli
        if key in origin
    ]
    merged.update(cli)
    return merged, warnings


def check_parameters(params: Any, where: str) -> list[Obj]:
    """A template's parameter list (``None`` is empty): named mappings with fields of the right type (as the
    Kubernetes decoder insists)."""
    params = params or []
    if not isinstance(params, list) or not all(isinstance(p, dict) for p in params):
        raise InputError(f"{where}: expected a list of parameter mappings")
    for i, param in enumerate(params):
        for key, expected in _FIELDS.items():
            if key in param and param[key] is not None and not isinstance(param[key], expected):
                got = type(param[key]).__name__
                raise InputError(
                    f"{where}[{i}].{key}: expected a {'boolean' if expected is bool else 'string'}, got {got} "
                    f"{param[key]!r}" + (" (quote it)" if expected is str else "")
                )
        if not param.get("name"):
            raise InputError(f'{where}[{i}].name: Invalid value: "": parameter name is empty')
    return params


def inject(params: list[Obj], values: dict[str, str], *, ignore_unknown: bool, unknown: str) -> tuple[list[Obj], list[str]]:
    """Copy ``params`` with the supplied values set (a supplied value clears ``generate``, as ``oc`` does).

    Returns the new list and the unknown names (``unknown`` is the error text format with ``{name}``);
    unknown names raise unless ``ignore_unknown``.
    """
    out = [dict(p) for p in params]
    by_name = {p.get("name"): p for p in out}
    missing: list[str] = []
    for key, value in values.items():
        param = by_name.get(key)
        if param is None:
            missing.append(key)
            continue
        param["value"] = value
        param.pop("generate", None)
    if missing and not ignore_unknown:
        errors = [unknown.format(name=name) for name in missing]
        raise InputError(errors[0] if len(errors) == 1 else "[" + ", ".join(errors) + "]")
    return out, missing


def parameter_values(
    params: list[Obj], supplied: dict[str, str], *, template: str, generate: Callable[..., dict[str, str]],
    choose: Any = None, ignore_unknown: bool, unknown: str = 'unknown parameter name "{name}"',
) -> dict[str, str]:
    """Every parameter's value: the supplied ones (see ``inject``), the rest from the engine's ``generate``
    (whose errors get the ``template`` name in front)."""
    injected, _ = inject(params, supplied, ignore_unknown=ignore_unknown, unknown=unknown)
    try:
        return generate(injected, choose)
    except InputError as exc:
        raise InputError(f"{template}: {exc.message}") from None
