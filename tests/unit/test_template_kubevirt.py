"""KubeVirt VirtualMachineTemplate processing and its stricter errors."""

from __future__ import annotations

import pytest

from vmctl.errors import InputError
from vmctl.template import process


def vmt(vm: dict | None, parameters: list, api: str = "template.kubevirt.io/v1beta1", **spec) -> dict:
    body: dict = {"parameters": parameters, **spec}
    if vm is not None:
        body["virtualMachine"] = vm
    return {"apiVersion": api, "kind": "VirtualMachineTemplate", "metadata": {"name": "vt"}, "spec": body}


VM = {
    "metadata": {"name": "${NAME}", "namespace": "hardcoded", "labels": {"app": "${NAME}"}},
    "spec": {"runStrategy": "${STRATEGY}", "template": {"spec": {"domain": {"cpu": {"cores": "${{CORES}}"}}}}},
}
PARAMS = [
    {"name": "NAME", "generate": "expression", "from": "vm-[a-z]{4}"},
    {"name": "STRATEGY", "value": "Halted"},
    {"name": "CORES", "value": "2"},
]


@pytest.mark.parametrize("api", ["template.kubevirt.io/v1beta1", "template.kubevirt.io/v1alpha1"])
def test_processes_into_one_virtual_machine(api: str) -> None:
    result = process(vmt(VM, PARAMS, api, message="VM ${NAME} ready"), {"NAME": "web"})
    assert result.objects == [{
        "apiVersion": "kubevirt.io/v1",
        "kind": "VirtualMachine",
        "metadata": {"name": "web", "labels": {"app": "web"}},
        "spec": {"runStrategy": "Halted", "template": {"spec": {"domain": {"cpu": {"cores": 2}}}}},
    }]
    assert result.message == "VM web ready"


def test_apiversion_and_kind_forced_and_labels_added() -> None:
    vm = {"apiVersion": "kubevirt.io/v1alpha3", "kind": "Whatever", "metadata": {"name": "a"}, "spec": {}}
    obj = process(vmt(vm, []), {}, labels={"team": "x"}).objects[0]
    assert (obj["apiVersion"], obj["kind"]) == ("kubevirt.io/v1", "VirtualMachine")
    assert obj["metadata"] == {"name": "a", "labels": {"team": "x"}}


def test_parameterized_namespace_kept() -> None:
    vm = {"metadata": {"name": "a", "namespace": "${NS}"}, "spec": {}}
    assert process(vmt(vm, [{"name": "NS", "value": "prod"}]), {}).objects[0]["metadata"]["namespace"] == "prod"


@pytest.mark.parametrize(
    ("vm", "params", "supplied", "message"),
    [
        (VM, PARAMS, {"NOPE": "1"}, "parameter NOPE not found in template"),
        ({"metadata": {"name": "${UNDEF}"}}, [], {},
         "vt: spec.parameters: Invalid value: error processing template: found parameter 'UNDEF' but it was not defined"),
        ({"metadata": {"name": "${{UNDEF}}"}}, [], {},
         "vt: spec.parameters: Invalid value: error processing template: found parameter 'UNDEF' but it was not defined"),
        (VM, [{"name": ""}], {}, 'vt: spec.parameters[0].name: Invalid value: "": parameter name is empty'),
        (VM, [{"name": "A"}, {"name": "A"}], {}, 'vt: spec.parameters[1].name: Duplicate value: "A"'),
        (VM, [{"name": "A", "generate": "expression"}], {},
         "vt: spec.parameters[0].from: Invalid value: \"\": from cannot be empty for parameter 'A' using generator 'expression'"),
        (VM, [{"name": "A", "generate": "other", "from": "x"}], {},
         "vt: spec.parameters[0].generate: Invalid value: \"other\": unknown generator name 'other' for parameter 'A'"),
        (VM, [{"name": "A", "generate": "expression", "from": "[a-z]{0}"}], {},
         'vt: spec.parameters[0].from: Invalid value: "[a-z]{0}": range must be within [1-255] characters: 0'),
        (VM, [{"name": "A", "required": True}], {},
         "vt: spec.parameters[0].value: Required value: parameter 'A' is required and a value must be specified"),
        (None, [], {}, "vt: spec.virtualMachine: Invalid value: virtualMachine is required and cannot be empty"),
    ],
)
def test_strict_errors(vm, params, supplied, message) -> None:
    with pytest.raises(InputError) as err:
        process(vmt(vm, params), supplied)
    assert err.value.message == message


def test_undefined_reference_in_message_is_an_error() -> None:
    with pytest.raises(InputError) as err:
        process(vmt({"metadata": {"name": "a"}}, [], message="see ${DOCS}"), {})
    assert err.value.message == (
        "vt: spec.message: Invalid value: error processing message: found parameter 'DOCS' but it was not defined"
    )


def test_typed_value_in_map_key_must_be_a_string() -> None:
    vm = {"metadata": {"name": "a", "labels": {"${{K}}": "v"}}}
    with pytest.raises(InputError, match="substituted value type float64 is not assignable to target type string"):
        process(vmt(vm, [{"name": "K", "value": "5"}]), {})
    obj = process(vmt(vm, [{"name": "K", "value": '"quoted"'}]), {}).objects[0]
    assert obj["metadata"]["labels"] == {"quoted": "v"}


def test_literal_character_sets_generate() -> None:
    vm = {"metadata": {"name": "${N}"}}
    name = process(vmt(vm, [{"name": "N", "generate": "expression", "from": "[AB]{6}"}]), {}).objects[0]["metadata"]["name"]
    assert len(name) == 6 and set(name) <= {"A", "B"}


def test_ignore_unknown() -> None:
    obj = process(vmt({"metadata": {"name": "a"}}, []), {"X": "1"}, ignore_unknown=True).objects[0]
    assert obj["metadata"] == {"name": "a"}
