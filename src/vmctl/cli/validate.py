"""``vmctl validate``: check every object of every input against KubeVirt's schema and admission rules."""

from __future__ import annotations

import re
import sys
from dataclasses import asdict, dataclass
from enum import StrEnum
from typing import Annotated, Any

import typer

from vmctl.cli.options import Catalog, Strict

HELP = """Check manifests the way the KubeVirt API server would, without a cluster.

Every object of every input is checked against KubeVirt's OpenAPI schema (types, required fields, enums, quantities, unknown fields) and, for VMs and VMIs, resolved against the instancetypes, preferences and presets of the inputs and the catalog (conflicts, requirements, matcher errors). Instancetype and preference specs get KubeVirt's own checks too.

Problems go to stderr, one per line: FILE:LINE: document N (Kind/name): FIELD: MESSAGE. Unknown fields and non-KubeVirt kinds are warnings unless --strict; a misspelled KubeVirt kind is an error. Exit code 1 when any error was found, else 0.

Example: vmctl validate -f vm.yaml

Example: vmctl validate -f manifests/ --strict -o json
"""


class ValidateFormat(StrEnum):
    text = "text"
    json = "json"


@dataclass
class Finding:
    file: str
    document: int
    line: int | None
    kind: str
    name: str
    field: str
    message: str
    severity: str  # "error", "warning" or "hint"

    def text(self) -> str:
        if self.document == 0:  # the file itself could not be read: the message names file and line
            return ("warning: " if self.severity == "warning" else "error: ") + self.message
        where = f"{self.file}:{self.line}" if self.line else self.file
        what = f"{self.kind or '<no kind>'}/{self.name or '<no name>'}"
        field = f"{self.field}: " if self.field else ""
        prefix = f"{self.severity}: "
        return f"{prefix}{where}: document {self.document} ({what}): {field}{self.message}"


_MAP_KEY = re.compile(r"\[([^\]]*[^\]0-9][^\]]*)\]")


def _line_path(field: str) -> str:
    """``metadata.labels[a.b/c]`` -> ``metadata.labels.a.b/c``, the form ``Document.line_of`` indexes."""
    return _MAP_KEY.sub(lambda m: "." + m.group(1), field)


def semantic_problems(obj: dict[str, Any], source: Any) -> list[Any]:
    """KubeVirt admission problems beyond the schema: resolution (VM, VMI) or spec checks (instancetypes,
    preferences)."""
    from vmctl.core import kinds
    from vmctl.errors import FieldProblem, VmctlError

    kind = obj.get("kind")
    spec = obj.get("spec") or {}
    try:
        if kind in (kinds.VM.kind, kinds.VMI.kind):
            from vmctl.core.pipeline import problems

            return list(problems(obj, source))
        if kind in (kinds.POOL.kind, kinds.VMIRS.kind):
            from vmctl.core.pool_admission import pool_problems, replicaset_problems

            if kind == kinds.POOL.kind:
                return pool_problems(obj, source, advisory=True)
            return replicaset_problems(obj, source, advisory=True)
        if kind in (kinds.INSTANCETYPE.kind, kinds.CLUSTER_INSTANCETYPE.kind):
            from vmctl.core.instancetype import validate_spec

            return list(validate_spec(spec))
        if kind in (kinds.PREFERENCE.kind, kinds.CLUSTER_PREFERENCE.kind):
            from vmctl.core.preference import validate_spec as validate_preference

            return list(validate_preference(spec))
    except VmctlError as exc:
        causes = getattr(exc, "causes", None) or []
        return list(causes) or [FieldProblem("", exc.message)]
    return []


def _objects(docs: list[Any]) -> list[tuple[Any, str, dict[str, Any] | Any]]:
    """(document, field prefix, object) for every object; ``List`` items get the prefix ``items[i].``, the
    objects a template makes (processed with its defaults) ``objects[i].`` or ``spec.virtualMachine.``."""
    from vmctl.io.yamlio import list_items

    out = []
    for doc in docs:
        items = list_items(doc)
        if items is None:
            out.append((doc, "", doc.obj))
            out.extend((doc, prefix, made) for prefix, made in _template_objects(doc.obj))
        else:
            out.extend((doc, f"items[{i}].", item) for i, item in enumerate(items))
    return out


#: what a required template parameter without a value is checked with
PLACEHOLDER = "placeholder"


def _placeholder(name: str) -> str:
    return f"{PLACEHOLDER}-{name.lower().replace('_', '-')}"


def _required_without_value(template: Any) -> list[str]:
    """The required parameters of a template that have neither a value nor a generator."""
    if not isinstance(template, dict) or template.get("kind") not in ("Template", "VirtualMachineTemplate"):
        return []
    from vmctl.errors import VmctlError
    from vmctl.template import parameters_of

    try:
        params = parameters_of(template)
    except VmctlError:
        return []
    return [str(p.get("name")) for p in params if p.get("required") and not p.get("value") and not p.get("generate")]


def _template_objects(obj: Any) -> list[tuple[str, Any]]:
    """(field prefix, object) for what a template makes with its defaults; [] for anything else or a template
    that cannot be processed (its own checks report that). Generated values use the first character of their
    alphabet; a required parameter without a value gets ``placeholder-<name>``."""
    if not isinstance(obj, dict) or obj.get("kind") not in ("Template", "VirtualMachineTemplate"):
        return []
    from vmctl.errors import VmctlError
    from vmctl.template import KUBEVIRT, engine_of, process

    try:
        engine = engine_of(obj)
        values = {name: _placeholder(name) for name in _required_without_value(obj)}
        made = process(obj, values, choose=lambda alphabet: alphabet[0]).objects
    except VmctlError:
        return []
    if engine == KUBEVIRT:
        return [("spec.virtualMachine.", item) for item in made[:1]]
    return [(f"objects[{i}].", item) for i, item in enumerate(made)]


def validate_documents(docs: list[Any], catalog_dirs: Any, *, strict: bool) -> tuple[list[Finding], int]:
    """All findings for the documents and the number of objects checked."""
    from vmctl.catalog import load_catalog
    from vmctl.errors import FieldProblem
    from vmctl.schema import WARNING_REASONS, validate_object

    objects = _objects(docs)
    catalog = load_catalog([obj for _, _, obj in objects], catalog_dirs)
    findings: list[Finding] = []
    for doc, prefix, obj in objects:
        problems = validate_object(obj)
        if isinstance(obj, dict) and obj.get("kind") == "VirtualMachinePool":
            from vmctl.core.pool_admission import pool_hints

            problems += pool_hints(obj)

        def is_warning(reason: str) -> bool:
            return reason in WARNING_REASONS and not (strict and reason == "FieldValueUnknown")

        blocking = [p for p in problems if not is_warning(p.reason) and p.reason != "Hint"]
        if isinstance(obj, dict) and not blocking:
            problems += semantic_problems(obj, catalog)
        for name in _required_without_value(obj):
            problems.append(FieldProblem("parameters", f'parameter {name} is required and has no value: the objects '
                                         f'were checked with "{_placeholder(name)}"', "Advisory"))
        meta = (obj.get("metadata") if isinstance(obj, dict) else None) or {}
        for problem in problems:
            field = f"{prefix}{problem.field}" if problem.field else prefix.rstrip(".")
            findings.append(Finding(
                file=doc.source, document=doc.index + 1, line=doc.line_of(_line_path(field)),
                kind=str(obj.get("kind") or "") if isinstance(obj, dict) else "",
                name=str(meta.get("name") or "") if isinstance(meta, dict) else "",
                field=field, message=problem.message,
                severity=_severity(problem.reason, is_warning),
            ))
    return findings, len(objects)


def _severity(reason: str, is_warning: Any) -> str:
    if reason == "Hint":  # vmctl's advice (e.g. a maxSurge KubeVirt pools do not have): never an error
        return "hint"
    return "warning" if is_warning(reason) else "error"


def _read_each(sources: list[str]) -> tuple[list[Any], list[Finding]]:
    """Every readable document; a file that cannot be read or parsed is one finding, the others are still read."""
    from vmctl.batch import parse_big_yaml
    from vmctl.errors import InputError
    from vmctl.io.inputs import input_files, read_objects

    docs: list[Any] = []
    unreadable: list[Finding] = []
    for source in sources:
        try:
            files = input_files(source) if source != "-" else ["-"]
        except InputError as exc:
            files, unreadable = [], [*unreadable, Finding(source, 0, None, "", "", "", exc.message, "error")]
        for file in files:
            try:
                docs.extend(read_objects([file], parse_big_yaml))  # a file with no objects is an error too
            except InputError as exc:
                unreadable.append(Finding(file, 0, None, "", "", "", exc.message, "error"))
    return docs, unreadable


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")


def register(app: typer.Typer) -> None:
    @app.command("validate", help=HELP)
    def validate(
        paths: Annotated[list[str] | None, typer.Argument(help="Files or folders (same as -f).")] = None,
        filename: Annotated[
            list[str] | None,
            typer.Option("--filename", "-f", help="File, directory or '-' (stdin); YAML or JSON. Repeatable."),
        ] = None,
        output: Annotated[
            ValidateFormat, typer.Option("--output", "-o", help="text (lines on stderr) or json (a list on stdout).")
        ] = ValidateFormat.text,
        strict: Strict = False,
        catalog: Catalog = None,
    ) -> None:
        import json

        from vmctl.errors import UsageError
        sources = [*(filename or []), *(paths or [])]
        if not sources:
            raise UsageError("no input: give -f FILE (a file, a folder or '-' for stdin)")
        docs, unreadable = _read_each(sources)
        if unreadable and not docs and len(unreadable) == 1:
            from vmctl.errors import InputError

            raise InputError(unreadable[0].message)  # nothing else to check: the one error line
        findings, count = validate_documents(docs, catalog, strict=strict)
        findings = unreadable + findings
        errors = sum(f.severity == "error" for f in findings)
        warnings = sum(f.severity == "warning" for f in findings)
        if output is ValidateFormat.json:
            sys.stdout.write(json.dumps([asdict(f) for f in findings], indent=2) + "\n")
        else:
            for finding in findings:
                sys.stderr.write(finding.text() + "\n")
            if errors:
                invalid = len({(f.file, f.document, f.kind, f.name) for f in findings if f.severity == "error"})
                summary = f"{_plural(count, 'object')} checked, {invalid} invalid: {_plural(errors, 'error')}"
            else:
                summary = f"{_plural(count, 'object')} valid"
            if warnings:
                summary += f", {_plural(warnings, 'warning')}"
            sys.stderr.write(summary + "\n")
        if errors:
            raise typer.Exit(1)
