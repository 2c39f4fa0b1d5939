"""Plain manifests with Go-template placeholders, as popular write-ups use with ``virtctl create vm
--from-template FILE --param VM_NAME=my-vm``: ``metadata.name: "{{ .VM_NAME }}"``.

This is no Go-template engine: only ``{{ .NAME }}`` and ``{{ .NAME | default "x" }}`` are understood, and any
other ``{{ ... }}`` in such a file is an error. The placeholders are the parameters (required unless they have a
default). Values are substituted into the *parsed* objects, never into the text, so a value can never add keys
or documents: each placeholder becomes a unique plain token, the text is parsed by the bounded loader, and the
tokens are replaced in strings (keys included). The objects are then checked against KubeVirt's schema, as
nothing else would check them before the API server. A placeholder that is a whole unquoted scalar takes the value's
YAML scalar type (``cores: {{ .CPU }}`` with ``CPU=2`` gives the number 2); a value that would read as a
mapping, list or several lines stays a string.
"""

from __future__ import annotations

import json
import re
import secrets
from typing import TYPE_CHECKING, Any, NamedTuple

from vmctl.errors import InputError
from vmctl.io.yamlio import iter_objects, parse_documents
from vmctl.template.model import GO_KIND, JINJA_API_VERSION, Obj, ProcessResult, template_name
from vmctl.template.openshift import merge_labels
from vmctl.template.params import parameter_values

if TYPE_CHECKING:
    from vmctl.template.generator import Chooser

#: Something that looks like a Go-template action: ``{{ ... }}`` on one line.
_ACTION = re.compile(r"\{\{-?\s*(.*?)\s*-?\}\}")
#: The supported actions: ``.NAME`` and ``.NAME | default "x"`` (the default as a Go string literal).
_PLACEHOLDER = re.compile(r'\.([A-Za-z_][A-Za-z0-9_]*)(?:\s*\|\s*default\s+("(?:[^"\\]|\\.)*"))?')
#: A file is a Go template when it holds at least one ``{{ .NAME`` action.
_MARKER = re.compile(r"\{\{-?\s*\.[A-Za-z_]")


class Placeholder(NamedTuple):
    start: int
    end: int
    name: str
    default: str | None
    quoted: bool  # the placeholder is a whole quoted scalar ("{{ .X }}" or '{{ .X }}')


def is_go_template(text: str) -> bool:
    return bool(_MARKER.search(text))


def placeholders(text: str, source: str) -> list[Placeholder]:
    """Every ``{{ ... }}`` action of ``text``; anything but a supported placeholder is an error at its line."""
    found: list[Placeholder] = []
    for match in _ACTION.finditer(text):
        body = _PLACEHOLDER.fullmatch(match.group(1))
        line = text.count("\n", 0, match.start()) + 1
        if body is None:
            raise InputError(
                f"{source}:{line}: unsupported Go-template action {match.group(0)!r}: only {{{{ .NAME }}}} and "
                '{{ .NAME | default "value" }} are supported'
            )
        default = None
        if body.group(2) is not None:
            try:
                default = str(json.loads(body.group(2)))
            except ValueError:
                raise InputError(f"{source}:{line}: invalid string {body.group(2)} in {match.group(0)!r}") from None
        before, after = text[match.start() - 1 : match.start()], text[match.end() : match.end() + 1]
        quoted = bool(before) and before in "\"'" and after == before
        found.append(Placeholder(match.start(), match.end(), body.group(1), default, quoted))
    return found


def _parameters(found: list[Placeholder]) -> list[Obj]:
    """One parameter per name, in order of first use: required unless some use gives a default."""
    params: dict[str, Obj] = {}
    for p in found:
        param = params.setdefault(p.name, {"name": p.name, "required": True})
        if p.default is not None and "value" not in param:
            param["value"] = p.default
            param.pop("required")
    return list(params.values())


def wrap(text: str, source: str) -> Obj | None:
    """A template object for a manifest with Go-template placeholders, or None when ``text`` has none."""
    if not is_go_template(text):
        return None
    return {
        "apiVersion": JINJA_API_VERSION,
        "kind": GO_KIND,
        "metadata": {"name": source},
        "parameters": _parameters(placeholders(text, source)),
        "text": text,
    }


def _values(params: list[Obj], _choose: Any = None) -> dict[str, str]:
    values: dict[str, str] = {}
    for i, param in enumerate(params):
        value = str(param.get("value") or "")
        if not value and param.get("required"):
            raise InputError(f"parameters[{i}]: parameter {param['name']} is required and must be specified")
        values[param["name"]] = value
    return values


def _scalar(value: str) -> Any:
    """What ``value`` reads as when it is a whole unquoted YAML scalar; a string unless it is one line that reads
    as a number, boolean or null."""
    if "\n" in value or "\r" in value:
        return value
    import yaml

    try:
        parsed = yaml.safe_load(value)
    except yaml.YAMLError:
        return value
    return parsed if isinstance(parsed, bool | int | float) or parsed is None else value


def process(
    template: Obj,
    supplied: dict[str, str],
    *,
    ignore_unknown: bool = False,
    labels: dict[str, str] | None = None,
    choose: Chooser | None = None,
) -> ProcessResult:
    name = template_name(template)
    text = str(template.get("text") or "")
    found = placeholders(text, name)
    params = _parameters(found)
    values = parameter_values(params, supplied, template=name, generate=_values, ignore_unknown=ignore_unknown)

    nonce = secrets.token_hex(8)
    raw: dict[str, str] = {}  # token -> the value as text
    typed: dict[str, Any] = {}  # token -> the value as a whole unquoted scalar reads
    pieces: list[str] = []
    last = 0
    for i, p in enumerate(found):
        token = f"vmctl{nonce}x{i}x"
        raw[token] = values.get(p.name) or p.default or ""
        typed[token] = _scalar(raw[token]) if not p.quoted and _whole_plain_scalar(text, p) else raw[token]
        pieces += [text[last : p.start], token]
        last = p.end
    pieces.append(text[last:])
    docs = parse_documents("".join(pieces), name)
    pattern = re.compile(rf"vmctl{nonce}x\d+x")

    def substitute(node: Any) -> Any:
        if isinstance(node, str):
            return typed[node] if node in typed else pattern.sub(lambda m: raw[m.group(0)], node)
        if isinstance(node, list):
            return [substitute(v) for v in node]
        if isinstance(node, dict):
            return {pattern.sub(lambda m: raw[m.group(0)], k) if isinstance(k, str) else k: substitute(v)
                    for k, v in node.items()}
        return node

    objects: list[Obj] = []
    for doc, item in iter_objects(docs):
        try:
            obj = substitute(item)
        except RecursionError:
            raise InputError(f"{doc.where}: nested too deeply") from None
        if not isinstance(obj, dict):
            raise InputError(f"{doc.where}: expected an object mapping, got {type(obj).__name__}")
        merge_labels(obj, dict(labels or {}))
        objects.append(obj)
    if not objects:
        raise InputError(f"{name}: the template holds no objects")
    _validate(template, supplied, objects)
    return ProcessResult(objects, None)


def _validate(template: Obj, supplied: dict[str, str], objects: list[Obj]) -> None:
    """No engine stands between such a file and the API server, so the objects are checked here: names (naming
    the parameter that made a bad one), then KubeVirt's schema (types, quantities, enums)."""
    from vmctl.schema import WARNING_REASONS, validate_object
    from vmctl.template import check_names

    check_names(template, supplied, objects)
    for i, obj in enumerate(objects):
        for problem in validate_object(obj):
            if problem.reason not in WARNING_REASONS:
                field = f"{problem.field}: " if problem.field else ""
                raise InputError(
                    f"{template_name(template)}: objects[{i}] ({obj.get('kind')}): {field}{problem.message}"
                )


def _whole_plain_scalar(text: str, p: Placeholder) -> bool:
    """True when the placeholder is all of an unquoted scalar: after ``key: ``, ``- `` or ``[``/``,`` and
    followed by the end of the line, a comment, ``,`` or a closing bracket."""
    line_start = text.rfind("\n", 0, p.start) + 1
    line_end = text.find("\n", p.end)
    before = text[line_start : p.start].rstrip()
    after = text[p.end : len(text) if line_end < 0 else line_end].strip()
    return (before.endswith((":", "-", "[", ",", "{")) or not before) and (
        not after or after.startswith(("#", ",", "]", "}"))
    )
