"""The KubeVirt ``VirtualMachineTemplate`` engine (virt-template-engine rules, stricter than OpenShift's)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from vmctl.core.fields import clone
from vmctl.errors import InputError
from vmctl.template.model import Obj, ProcessResult, template_name
from vmctl.template.openshift import merge_labels
from vmctl.template.params import check_parameters, parameter_values
from vmctl.template.substitute import STRING_REF, SubstitutionError, substitute, substitute_string

if TYPE_CHECKING:
    from vmctl.template.generator import Chooser


def generate_values(params: list[Obj], choose: Chooser | None = None) -> dict[str, str]:
    """Generate missing values; stop at the first error (as the KubeVirt engine does)."""
    values: dict[str, str] = {}
    for i, param in enumerate(params):
        path = f"spec.parameters[{i}]"
        name = str(param.get("name") or "")
        if not name:
            raise InputError(f'{path}.name: Invalid value: "": parameter name is empty')
        if name in values:
            raise InputError(f'{path}.name: Duplicate value: "{name}"')
        value = str(param.get("value") or "")
        generate = str(param.get("generate") or "")
        source = str(param.get("from") or "")
        if not value and generate:
            if generate != "expression":
                raise InputError(
                    f'{path}.generate: Invalid value: "{generate}": '
                    f"unknown generator name '{generate}' for parameter '{name}'"
                )
            if not source:
                raise InputError(
                    f'{path}.from: Invalid value: "": from cannot be empty for parameter '
                    f"'{name}' using generator '{generate}'"
                )
            from vmctl.template.generator import GeneratorError, generate_kubevirt  # only when generating

            try:
                value = generate_kubevirt(source, choose) if choose else generate_kubevirt(source)
            except GeneratorError as exc:
                raise InputError(f'{path}.from: Invalid value: "{source}": {exc}') from None
        if not value and param.get("required"):
            raise InputError(f"{path}.value: Required value: parameter '{name}' is required and a value must be specified")
        values[name] = value
    return values


def process(
    template: Obj,
    supplied: dict[str, str],
    *,
    ignore_unknown: bool = False,
    labels: dict[str, str] | None = None,
    choose: Chooser | None = None,
) -> ProcessResult:
    name = template_name(template)
    spec = template.get("spec")
    if not isinstance(spec, dict):
        raise InputError(f"{name}: spec: Required value: a VirtualMachineTemplate needs a spec")
    params = check_parameters(spec.get("parameters"), f"{name}: spec.parameters")
    known = {p.get("name") for p in params}
    if not ignore_unknown:
        for key in supplied:
            if key not in known:
                raise InputError(f"parameter {key} not found in template")
    values = parameter_values(params, supplied, template=name, generate=generate_values, choose=choose, ignore_unknown=True)

    vm = spec.get("virtualMachine")
    if not isinstance(vm, dict) or not vm:
        raise InputError(f"{name}: spec.virtualMachine: Invalid value: virtualMachine is required and cannot be empty")
    vm = clone(vm)
    meta = vm.get("metadata")
    if isinstance(meta, dict) and meta.get("namespace") and not STRING_REF.search(str(meta["namespace"])):
        del meta["namespace"]
    try:
        vm = substitute(vm, values, strict=True)
    except SubstitutionError as exc:
        raise InputError(f"{name}: spec.parameters: Invalid value: error processing template: {exc}") from None
    if not isinstance(vm.get("metadata", {}), dict) or not isinstance(vm.get("spec", {}), dict):
        raise InputError(
            f"{name}: spec.virtualMachine: Invalid value: failed to convert unstructured object to VirtualMachine: "
            "metadata and spec must be objects"
        )
    vm = {"apiVersion": "kubevirt.io/v1", "kind": "VirtualMachine", **{k: v for k, v in vm.items() if k not in ("apiVersion", "kind")}}
    merge_labels(vm, dict(labels or {}))

    message = spec.get("message")
    if isinstance(message, str) and message:
        try:
            message = substitute_string(message, values, strict=True)[0]
        except SubstitutionError as exc:
            raise InputError(f"{name}: spec.message: Invalid value: error processing message: {exc}") from None
    else:
        message = None
    return ProcessResult([vm], message)
