"""What every template engine returns, and how a template's kind picks its engine."""

from __future__ import annotations

from typing import Any, NamedTuple

from vmctl.errors import InputError

Obj = dict[str, Any]

OPENSHIFT = "openshift"
KUBEVIRT = "kubevirt"
JINJA = "jinja2"

JINJA_API_VERSION = "vmctl.dev/v1alpha1"
JINJA_KIND = "JinjaTemplate"
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
    holder = template.get("spec") if engine_of(template) == KUBEVIRT else template
    params = holder.get("parameters") if isinstance(holder, dict) else None
    if params is None:
        return []
    if not isinstance(params, list) or not all(isinstance(p, dict) for p in params):
        where = "spec.parameters" if engine_of(template) == KUBEVIRT else "parameters"
        raise InputError(f"{template_name(template)}: {where}: expected a list of parameter mappings")
    return params


def description_of(template: Obj) -> str:
    meta = template.get("metadata") if isinstance(template.get("metadata"), dict) else {}
    annotations = meta.get("annotations") if isinstance(meta.get("annotations"), dict) else {}
    text = annotations.get("description") or annotations.get("openshift.io/display-name") or ""
    return " ".join(str(text).split())
