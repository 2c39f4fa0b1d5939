"""The OpenShift ``template.openshift.io/v1`` Template engine (library-go ``Processor.Process`` rules)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from vmctl.core.fields import clone
from vmctl.errors import InputError
from vmctl.template.model import Obj, ProcessResult, template_name
from vmctl.template.params import check_parameters, parameter_values
from vmctl.template.substitute import STRING_REF, SubstitutionError, substitute, substitute_string

if TYPE_CHECKING:
    from vmctl.template.generator import Chooser


def generate_values(params: list[Obj], choose: Chooser | None = None) -> dict[str, str]:
    """Fill empty values from generators, then check ``required``; all errors are reported together."""
    errors: list[str] = []
    values: dict[str, str] = {}
    for i, param in enumerate(params):
        name = str(param.get("name") or "")
        value = str(param.get("value") or "")
        generate = param.get("generate") or ""
        path = f"template.parameters[{i}]"
        if not value and generate:
            if generate != "expression":
                errors.append(f"{path}: Unknown generator name '{generate}' for parameter {name}")
                continue
            from vmctl.template.generator import GeneratorError, generate_openshift  # only when generating

            try:
                kwargs = {"choose": choose} if choose else {}
                value = generate_openshift(str(param.get("from") or ""), **kwargs)
            except GeneratorError as exc:
                errors.append(f"{path}: {exc}")
                continue
        if not value and param.get("required"):
            errors.append(f"{path}: parameter {name} is required and must be specified")
            continue
        values[name] = value
    if errors:
        raise InputError(errors[0] if len(errors) == 1 else "; ".join(errors))
    return values


def _strip_namespace(obj: Obj) -> None:
    meta = obj.get("metadata")
    if isinstance(meta, dict) and "namespace" in meta:
        ns = meta["namespace"]
        if not (isinstance(ns, str) and STRING_REF.search(ns)):
            del meta["namespace"]


def merge_labels(obj: Obj, labels: dict[str, Any]) -> None:
    """Add ``labels`` to ``metadata.labels`` (overwriting equal keys)."""
    if not labels:
        return
    meta = obj.get("metadata")
    if not isinstance(meta, dict):
        meta = {}
        obj["metadata"] = meta
    current = meta.get("labels")
    if not isinstance(current, dict):
        current = {}
    meta["labels"] = {**current, **labels}


def process(
    template: Obj,
    supplied: dict[str, str],
    *,
    ignore_unknown: bool = False,
    labels: dict[str, str] | None = None,
    choose: Chooser | None = None,
) -> ProcessResult:
    name = template_name(template)
    params = check_parameters(template.get("parameters"), f"{name}: parameters")
    objects = template.get("objects") or []
    if not isinstance(objects, list):
        raise InputError(f"{name}: objects: expected a list of objects")
    values = parameter_values(
        params, supplied, template=name, generate=generate_values, choose=choose, ignore_unknown=ignore_unknown
    )

    message = template.get("message")
    if isinstance(message, str) and message:
        message = substitute_string(message, values, strict=False)[0]
    else:
        message = None

    object_labels: dict[str, Any] = {}
    template_labels = template.get("labels") or {}
    if not isinstance(template_labels, dict):
        raise InputError(f"{name}: labels: expected a map of label keys to values")
    for key, value in {**template_labels, **(labels or {})}.items():
        new_key = substitute_string(str(key), values, strict=False)[0]
        object_labels[new_key] = substitute_string(str(value), values, strict=False)[0]

    out: list[Obj] = []
    for i, item in enumerate(objects):
        if not isinstance(item, dict):
            raise InputError(f"{name}: objects[{i}]: expected an object mapping, got {type(item).__name__}")
        obj = clone(item)
        _strip_namespace(obj)
        try:
            obj = substitute(obj, values, strict=False)
        except SubstitutionError as exc:
            raise InputError(f"{name}: item[{i}].parameters: {exc}") from None
        if not isinstance(obj, dict):
            raise InputError(f"{name}: objects[{i}]: substitution did not yield an object")
        merge_labels(obj, object_labels)
        out.append(obj)
    return ProcessResult(out, message)
