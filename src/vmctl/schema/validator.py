"""A small validator of KubeVirt objects against the derived OpenAPI definitions in ``data/``.

Checks what the API server's schema validation checks: types (with int32/int64 ranges), required fields,
enums, int-or-string, the Quantity grammar and unknown fields (reason ``FieldValueUnknown``, a warning for
``kubectl`` unless field validation is strict). ``null`` values are accepted anywhere: the API server prunes
them before validating. Messages follow the API server's wording.
"""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path
from typing import Any

from vmctl.core import kinds
from vmctl.errors import FieldProblem
from vmctl.schema.hints import unknown_field_hint

DATA = Path(__file__).resolve().parent / "data" / "kubevirt-schema.json"
#: Reasons that are warnings unless ``--strict`` (FieldValueUnknown) or always (Deprecated).
WARNING_REASONS = frozenset({"FieldValueUnknown", "Deprecated", "Advisory"})  # Advisory: core.pipeline.ADVISORY

_QUANTITY = "k8s.io.apimachinery.pkg.api.resource.Quantity"
_INT_OR_STRING = "k8s.io.apimachinery.pkg.util.intstr.IntOrString"
#: Definitions that accept any content.
_FREE_FORM = frozenset({
    "k8s.io.apimachinery.pkg.apis.meta.v1.FieldsV1",
    "k8s.io.apimachinery.pkg.runtime.RawExtension",
    "v1.DataVolumeTemplateDummyStatus",
})
#: The Quantity grammar as Kubernetes CRD schemas spell it.
QUANTITY_PATTERN = (
    r"^(\+|-)?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))(([KMGTPE]i)|[numkMGTPE]|([eE](\+|-)?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))))?$"
)
_QUANTITY_RE = re.compile(QUANTITY_PATTERN)
_RANGES = {"int32": (-(2**31), 2**31 - 1), "int64": (-(2**63), 2**63 - 1), "byte": (-128, 127)}
_DEPRECATED_VERSIONS = {("kubevirt.io", "v1alpha3"): "kubevirt.io/v1alpha3 is now deprecated and will be removed in a future release."}
_PRESET_WARNING = "{api} VirtualMachineInstancePresets is now deprecated and will be removed in v2."


@cache
def _schema() -> dict[str, Any]:
    return json.loads(DATA.read_text(encoding="utf-8"))


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return type(value).__name__


def _is_integer(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    return isinstance(value, int) or (isinstance(value, float) and value.is_integer())


class _Walker:
    def __init__(self, definitions: dict[str, Any]) -> None:
        self.definitions = definitions
        self.problems: list[FieldProblem] = []
        self.ancestors: list[tuple[str, str]] = []

    def type_error(self, path: str, value: Any, expected: str) -> None:
        actual = _json_type(value)
        self.problems.append(FieldProblem(
            path, f'Invalid value: "{actual}": {path} in body must be of type {expected}: "{actual}"',
            "FieldValueTypeInvalid",
        ))

    def walk(self, value: Any, schema: dict[str, Any], path: str, definition: str = "") -> None:
        if value is None:
            return
        ref = schema.get("$ref")
        if ref:
            name = ref.rsplit("/", 1)[-1]
            self.walk_definition(value, name, path)
            return
        types = schema.get("type")
        if isinstance(types, list):
            allowed = [t for t in types if t != "null"]
            if not any(self.matches(value, t) for t in allowed):
                self.type_error(path, value, " or ".join(allowed))
            return
        if schema.get("format") == "int-or-string":
            if not (isinstance(value, str) or _is_integer(value)):
                self.type_error(path, value, "integer or string")
            return
        if types == "object" or "properties" in schema or "additionalProperties" in schema:
            self.walk_object(value, schema, path, definition)
        elif types == "array":
            if not isinstance(value, list):
                self.type_error(path, value, "array")
                return
            items = schema.get("items") or {}
            for i, item in enumerate(value):
                self.walk(item, items, f"{path}[{i}]")
        elif types in ("string", "integer", "number", "boolean"):
            self.walk_scalar(value, schema, path, types)

    def matches(self, value: Any, type_name: str) -> bool:
        return {
            "string": isinstance(value, str),
            "integer": _is_integer(value),
            "number": isinstance(value, int | float) and not isinstance(value, bool),
            "boolean": isinstance(value, bool),
            "object": isinstance(value, dict),
            "array": isinstance(value, list),
        }.get(type_name, True)

    def walk_scalar(self, value: Any, schema: dict[str, Any], path: str, type_name: str) -> None:
        if not self.matches(value, type_name):
            self.type_error(path, value, type_name)
            return
        fmt = schema.get("format")
        if type_name == "integer" and fmt in _RANGES:
            low, high = _RANGES[fmt]
            if not low <= int(value) <= high:
                self.problems.append(FieldProblem(
                    path, f"Invalid value: {int(value)}: must be in the range of {fmt} ({low} to {high})",
                ))
        enum = schema.get("enum")
        if enum and value not in enum:
            supported = ", ".join(json.dumps(e) for e in enum)
            self.problems.append(FieldProblem(
                path, f"Unsupported value: {json.dumps(value)}: supported values: {supported}", "FieldValueNotSupported",
            ))

    def walk_definition(self, value: Any, name: str, path: str) -> None:
        if name in _FREE_FORM:
            return
        if name == _QUANTITY:
            self.check_quantity(value, path)
            return
        if name == _INT_OR_STRING:
            if not (isinstance(value, str) or _is_integer(value)):
                self.type_error(path, value, "integer or string")
            return
        self.walk(value, self.definitions[name], path, name)

    def check_quantity(self, value: Any, path: str) -> None:
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            self.type_error(path, value, "integer or string")
        elif isinstance(value, str) and not _QUANTITY_RE.match(value):
            self.problems.append(FieldProblem(
                path, f"Invalid value: {json.dumps(value)}: {path} in body should match '{QUANTITY_PATTERN}'",
            ))

    def walk_object(self, value: Any, schema: dict[str, Any], path: str, definition: str) -> None:
        if not isinstance(value, dict):
            self.type_error(path, value, "object")
            return
        prefix = f"{path}." if path else ""
        for name in schema.get("required", ()):
            if value.get(name) is None:
                self.problems.append(FieldProblem(f"{prefix}{name}", "Required value", "FieldValueRequired"))
        properties = schema.get("properties")
        extra = schema.get("additionalProperties")
        self.ancestors.append((definition, path))
        try:
            for key, item in value.items():
                if properties and key in properties:
                    self.walk(item, properties[key], f"{prefix}{key}")
                elif isinstance(extra, dict):
                    self.walk(item, extra, f"{path}[{key}]")
                elif extra is True:
                    continue
                else:
                    self.unknown(str(key), path, definition, list(properties or ()))
        finally:
            self.ancestors.pop()

    def unknown(self, key: str, parent: str, definition: str, siblings: list[str]) -> None:
        field = f"{parent}.{key}" if parent else key
        message = f'unknown field "{field}"'
        hint = unknown_field_hint(key, parent, definition, siblings, self.ancestors[:-1])
        if hint:
            message += f"; {hint}"
        self.problems.append(FieldProblem(field, message, "FieldValueUnknown"))


def _kind_problems(obj: dict[str, Any]) -> tuple[list[FieldProblem], str | None]:
    """Problems of ``apiVersion``/``kind`` and the definition to validate against (None: do not walk)."""
    api_version, kind = obj.get("apiVersion"), obj.get("kind")
    problems = [
        FieldProblem(field, "Required value", "FieldValueRequired")
        for field, val in (("apiVersion", api_version), ("kind", kind)) if not val
    ]
    if problems:
        return problems, None
    if not isinstance(api_version, str) or not isinstance(kind, str):
        field = "apiVersion" if not isinstance(api_version, str) else "kind"
        return [FieldProblem(field, f"Invalid value: must be a string, got {_json_type(obj[field])}")], None
    roots = _schema()["roots"]
    known = kinds.BY_KIND.get(kind) or kinds.OTHER_BY_KIND.get(kind)
    if known is None:
        group = api_version.rpartition("/")[0]
        hint = kinds.kind_hint(kind, group if group.endswith("kubevirt.io") else None)
        if hint:
            return [FieldProblem(
                "kind", f'no matches for kind "{kind}" in version "{api_version}"; did you mean "{hint}"?',
            )], None
        return [FieldProblem(
            "kind", f'unknown kind "{kind}" in version "{api_version}": not a KubeVirt kind, not validated',
            "FieldValueUnknown",
        )], None
    if kind not in roots:
        return [], None  # a kind vmctl knows but has no schema for (Template, ConfigMap, ...)
    group, _, version = api_version.rpartition("/")
    if group != known.group or version not in known.versions:
        served = ", ".join(f"{known.group}/{v}" for v in known.versions)
        return [FieldProblem(
            "apiVersion", f'no matches for kind "{kind}" in version "{api_version}"; served versions: {served}',
            "FieldValueNotSupported",
        )], None
    warnings = []
    if (group, version) in _DEPRECATED_VERSIONS:
        warnings.append(FieldProblem("apiVersion", _DEPRECATED_VERSIONS[(group, version)], "Deprecated"))
    if kind == kinds.PRESET.kind:
        warnings.append(FieldProblem("kind", _PRESET_WARNING.format(api=api_version), "Deprecated"))
    return warnings, roots[kind]


def validate_object(obj: Any, *, memo: dict[str, tuple[FieldProblem, ...]] | None = None) -> list[FieldProblem]:
    """Schema problems of one object (dotted paths such as ``spec.template.spec.domain.cpu.cores``).

    ``memo``: a dict kept across the calls for one batch of loaded documents (JSON/YAML data: dicts, lists,
    str, int, float, bool, None, dates, bytes): objects equal but for ``metadata.name`` are walked once.
    """
    if not isinstance(obj, dict):
        return [FieldProblem("", f"Invalid value: an object must be a mapping, not {_json_type(obj)}")]
    problems, definition = _kind_problems(obj)
    if definition is None:
        return problems
    key = _memo_key(obj, definition) if memo is not None else None
    if key is not None and memo is not None:
        found = memo.get(key)
        if found is None:
            found = memo[key] = tuple(_walk(obj, definition))
        return problems + name_problems(obj) + list(found)
    return problems + name_problems(obj) + _walk(obj, definition)


def _walk(obj: dict[str, Any], definition: str) -> list[FieldProblem]:
    walker = _Walker(_schema()["definitions"])
    walker.walk_definition(obj, definition, "")
    return walker.problems


@cache
def _plain_name(definition: str) -> bool:
    """True when ``metadata.name`` of ``definition`` is checked for its type only (its text never matters)."""
    definitions = _schema()["definitions"]
    meta = definitions[definition].get("properties", {}).get("metadata", {}).get("$ref", "")
    name = definitions.get(meta.rsplit("/", 1)[-1], {}).get("properties", {}).get("name")
    return name == {"type": "string"}


def _memo_key(obj: dict[str, Any], definition: str) -> str | None:
    """The text that decides the walk of ``obj``: its ``repr`` (key order, types and values; the walk depends on
    all three), with a string ``metadata.name`` blanked where the schema only checks its type."""
    meta = obj.get("metadata")
    if type(meta) is dict and type(meta.get("name")) is str and _plain_name(definition):
        blank = dict(meta)
        blank["name"] = ""
        obj = dict(obj)
        obj["metadata"] = blank
    try:
        return f"{definition} {obj!r}"
    except RecursionError:
        return None


def name_problems(obj: dict[str, Any]) -> list[FieldProblem]:
    """The API server's object-name rules: a name (or generateName) is required and is an RFC 1123 subdomain."""
    from vmctl.core.names import subdomain_errors

    meta = obj.get("metadata")
    meta = meta if isinstance(meta, dict) else {}
    name, generate = meta.get("name"), meta.get("generateName")
    if not name:
        if generate:
            return []
        return [FieldProblem("metadata.name", "Required value: name or generateName is required", "FieldValueRequired")]
    if not isinstance(name, str):
        return []  # the schema walk reports the type
    return [FieldProblem("metadata.name", f'Invalid value: "{name}": {message}') for message in subdomain_errors(name)]
