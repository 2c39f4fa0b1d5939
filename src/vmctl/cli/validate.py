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
    severity: str  # "error" or "warning"

    def text(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        what = f"{self.kind or '<no kind>'}/{self.name or '<no name>'}"
        field = f"{self.field}: " if self.field else ""
        prefix = "warning: " if self.severity == "warning" else "error: "
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
    """(document, field prefix, object) for every object; ``List`` items get the prefix ``items[i].``."""
    out = []
    for doc in docs:
        obj = doc.obj
        if isinstance(obj, dict) and obj.get("kind") == "List" and isinstance(obj.get("items"), list):
            out.extend((doc, f"items[{i}].", item) for i, item in enumerate(obj["items"]))
        else:
            out.append((doc, "", obj))
    return out


def validate_documents(docs: list[Any], catalog_dirs: Any, *, strict: bool) -> tuple[list[Finding], int]:
    """All findings for the documents and the number of objects checked."""
    from vmctl.catalog import load_catalog
    from vmctl.schema import WARNING_REASONS, validate_object

    objects = _objects(docs)
    catalog = load_catalog([obj for _, _, obj in objects], catalog_dirs)
    findings: list[Finding] = []
    for doc, prefix, obj in objects:
        problems = validate_object(obj)

        def is_warning(reason: str) -> bool:
            return reason in WARNING_REASONS and not (strict and reason == "FieldValueUnknown")

        if isinstance(obj, dict) and not any(not is_warning(p.reason) for p in problems):
            problems += semantic_problems(obj, catalog)
        meta = (obj.get("metadata") if isinstance(obj, dict) else None) or {}
        for problem in problems:
            field = f"{prefix}{problem.field}" if problem.field else prefix.rstrip(".")
            findings.append(Finding(
                file=doc.source, document=doc.index + 1, line=doc.line_of(_line_path(field)),
                kind=str(obj.get("kind") or "") if isinstance(obj, dict) else "",
                name=str(meta.get("name") or "") if isinstance(meta, dict) else "",
                field=field, message=problem.message,
                severity="warning" if is_warning(problem.reason) else "error",
            ))
    return findings, len(objects)


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

        from vmctl.batch import parse_big_yaml
        from vmctl.errors import UsageError
        from vmctl.io.inputs import read_inputs

        sources = [*(filename or []), *(paths or [])]
        if not sources:
            raise UsageError("no input: give -f FILE (a file, a folder or '-' for stdin)")
        docs = read_inputs(sources, parse=parse_big_yaml)
        findings, count = validate_documents(docs, catalog, strict=strict)
        errors = sum(f.severity == "error" for f in findings)
        warnings = len(findings) - errors
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
