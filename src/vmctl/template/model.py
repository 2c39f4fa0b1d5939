"""What every template engine returns, and how a template's kind picks its engine."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, NamedTuple

from vmctl.errors import InputError

if TYPE_CHECKING:
    from vmctl.template.catalog import TemplateRef

Obj = dict[str, Any]

OPENSHIFT = "openshift"
KUBEVIRT = "kubevirt"
JINJA = "jinja2"
GO = "go"

JINJA_API_VERSION = "vmctl.dev/v1alpha1"
JINJA_KIND = "JinjaTemplate"
#: A plain manifest with Go-template placeholders (``{{ .NAME }}``), wrapped by ``vmctl.template.gotemplate``.
GO_KIND = "GoTemplate"
KUBEVIRT_API_VERSIONS = ("template.kubevirt.io/v1beta1", "template.kubevirt.io/v1alpha1")
OPENSHIFT_API_VERSIONS = ("template.openshift.io/v1", "v1")


class ProcessResult(NamedTuple):  # a NamedTuple is much quicker to define than a dataclass (start-up time)
    """The processed objects and the template's message (parameters substituted), if any."""

    objects: list[Obj]
    message: str | None = None
    warnings: tuple[str, ...] = ()


def template_name(template: Obj) -> str:
    meta = template.get("metadata")
    name = meta.get("name") if isinstance(meta, dict) else None
    return str(name) if name else "<unnamed>"


def engine_of(template: Any) -> str:
    """``openshift``, ``kubevirt`` or ``jinja2`` for a template object; InputError for anything else."""
    if not isinstance(template, dict):
        raise InputError(f"not a template: expected a mapping, got {type(template).__name__}")
    kind, api = template.get("kind"), template.get("apiVersion")
    if kind == "Template" and api in OPENSHIFT_API_VERSIONS:
        return OPENSHIFT
    if kind == "VirtualMachineTemplate" and api in KUBEVIRT_API_VERSIONS:
        return KUBEVIRT
    if kind == JINJA_KIND and api == JINJA_API_VERSION:
        return JINJA
    if kind == GO_KIND and api == JINJA_API_VERSION and isinstance(template.get("text"), str):
        return GO
    raise InputError(
        f"{template_name(template)}: not a template: apiVersion {api!r} kind {kind!r} (expected "
        f"template.openshift.io/v1 Template, template.kubevirt.io/v1beta1 VirtualMachineTemplate or "
        f"{JINJA_API_VERSION} {JINJA_KIND})"
    )


def is_template(obj: Any) -> bool:
    try:
        engine_of(obj)
    except InputError:
        return False
    return True


def parameters_of(template: Obj) -> list[Obj]:
    """The parameter list of a template of any engine (``spec.parameters`` for VirtualMachineTemplate)."""
    from vmctl.template.params import check_parameters

    kubevirt = engine_of(template) == KUBEVIRT
    holder = template.get("spec") if kubevirt else template
    params = holder.get("parameters") if isinstance(holder, dict) else None
    where = "spec.parameters" if kubevirt else "parameters"
    return check_parameters(params, f"{template_name(template)}: {where}")


class TemplateLineError(InputError):
    """An error at a line of a template's text field (``template``, ``message``); ``located`` turns it into
    an error at the file's line when the template's file is known."""

    def __init__(self, template: str, field: str, line: int, problem: str) -> None:
        super().__init__(f"{template}: {field}: line {line}: {problem}")
        self.template, self.field, self.line, self.problem = template, field, line, problem

    def located(self, origin: TemplateRef | None) -> InputError:
        if origin is None or origin.path is None or not origin.text:
            return self
        from vmctl.io.yamlio import parse_documents

        try:
            docs = [d for d in parse_documents(origin.text, str(origin.path)) if d.obj == origin.obj]
        except InputError:
            return self
        key_line = docs[0].line_of(self.field) if docs else None
        if key_line is None:
            return self
        lines = origin.text.splitlines()
        block = key_line <= len(lines) and re.search(r":\s*[|>][-+0-9]*\s*(#.*)?$", lines[key_line - 1])
        line = key_line + self.line if block else key_line
        return InputError(f"{origin.path}:{line}: {self.template}: {self.field}: {self.problem}")


def description_of(template: Obj) -> str:
    meta = template.get("metadata") if isinstance(template.get("metadata"), dict) else {}
    annotations = meta.get("annotations") if isinstance(meta.get("annotations"), dict) else {}
    text = annotations.get("description") or annotations.get("openshift.io/display-name") or ""
    return " ".join(str(text).split())
