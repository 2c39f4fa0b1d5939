"""Schema validation of KubeVirt objects: types, ranges, required fields, enums, quantities, unknown fields."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from vmctl.catalog import load_catalog
from vmctl.errors import FieldProblem
from vmctl.schema import validate_object
from vmctl.schema.validator import DATA, QUANTITY_PATTERN

REPO = Path(__file__).resolve().parents[2]
SWAGGER = next(
    (p for p in (REPO.parent / "shared" / "kubevirt" / "openapi" / "swagger.json",
                 Path("/work/shared/kubevirt/openapi/swagger.json")) if p.is_file()),
    None,
)


def vm(**spec_overrides):
    spec = {
        "runStrategy": "Always",
        "instancetype": {"name": "u1.medium"},
        "template": {"metadata": {"labels": {"app": "web"}}, "spec": {
            "domain": {"devices": {"disks": [{"name": "root", "disk": {"bus": "virtio"}}]},
                       "memory": {"guest": "1Gi"}, "cpu": {"cores": 2}},
            "volumes": [{"name": "root", "containerDisk": {"image": "quay.io/containerdisks/fedora:41"}}],
        }},
    }
    spec.update(spec_overrides)
    return {"apiVersion": "kubevirt.io/v1", "kind": "VirtualMachine", "metadata": {"name": "web1"}, "spec": spec}


def fields(problems: list[FieldProblem]) -> list[tuple[str, str]]:
    return [(p.field, p.reason) for p in problems]


def test_valid_vm_has_no_problems():
    assert validate_object(vm()) == []


def test_every_bundled_catalog_object_is_schema_valid():
    catalog = load_catalog()
    for obj in catalog.instancetypes() + catalog.preferences():
        assert validate_object(obj) == [], obj["metadata"]["name"]


def test_other_served_versions_validate_with_the_same_schema():
    old = vm()
    old["apiVersion"] = "kubevirt.io/v1alpha3"
    assert validate_object(old) == [
        FieldProblem("apiVersion", "kubevirt.io/v1alpha3 is now deprecated and will be removed in a future release.",
                     "Deprecated")
    ]
    pool = {"apiVersion": "pool.kubevirt.io/v1alpha1", "kind": "VirtualMachinePool", "metadata": {"name": "p"},
            "spec": {"replicas": 2, "selector": {"matchLabels": {"a": "b"}},
                     "virtualMachineTemplate": {"spec": {"template": {"spec": {"domain": {"devices": {}}}}}}}}
    assert validate_object(pool) == []
    pool["spec"]["replicas"] = "two"
    assert fields(validate_object(pool)) == [("spec.replicas", "FieldValueTypeInvalid")]


def test_wrong_types_are_reported_with_path_and_kubernetes_text():
    obj = vm(running="yes")
    obj["spec"]["template"]["spec"]["domain"]["devices"]["disks"][0]["bootOrder"] = "1"
    obj["metadata"]["labels"] = {"tier": 3}
    problems = validate_object(obj)
    assert fields(problems) == [  # in the order of the document
        ("metadata.labels[tier]", "FieldValueTypeInvalid"),
        ("spec.template.spec.domain.devices.disks[0].bootOrder", "FieldValueTypeInvalid"),
        ("spec.running", "FieldValueTypeInvalid"),
    ]
    assert problems[2].message == 'Invalid value: "string": spec.running in body must be of type boolean: "string"'


def test_integer_ranges():
    obj = vm()
    obj["spec"]["template"]["spec"]["domain"]["devices"]["disks"][0]["bootOrder"] = 2**31
    problems = validate_object(obj)
    assert problems == [FieldProblem(
        "spec.template.spec.domain.devices.disks[0].bootOrder",
        "Invalid value: 2147483648: must be in the range of int32 (-2147483648 to 2147483647)",
    )]
    obj["spec"]["template"]["spec"]["domain"]["devices"]["disks"][0]["bootOrder"] = 2.0  # a whole JSON number is fine
    assert validate_object(obj) == []
    obj["spec"]["template"]["spec"]["domain"]["devices"]["disks"][0]["bootOrder"] = True
    assert fields(validate_object(obj)) == [("spec.template.spec.domain.devices.disks[0].bootOrder", "FieldValueTypeInvalid")]


def test_missing_required_fields():
    obj = vm()
    del obj["spec"]["template"]["spec"]["domain"]["devices"]
    obj["spec"]["instancetype"] = {"kind": "VirtualMachineClusterInstancetype"}
    # the matcher's name is optional in the schema (inferFromVolume); only devices is missing
    assert fields(validate_object(obj)) == [("spec.template.spec.domain.devices", "FieldValueRequired")]
    no_spec = {"apiVersion": "kubevirt.io/v1", "kind": "VirtualMachine", "metadata": {"name": "x"}}
    assert validate_object(no_spec) == [FieldProblem("spec", "Required value", "FieldValueRequired")]
    assert validate_object({"metadata": {}}) == [
        FieldProblem("apiVersion", "Required value", "FieldValueRequired"),
        FieldProblem("kind", "Required value", "FieldValueRequired"),
    ]


def test_enum_values():
    obj = vm()
    obj["spec"]["template"]["spec"]["dnsPolicy"] = "Sometimes"
    assert validate_object(obj) == [FieldProblem(
        "spec.template.spec.dnsPolicy",
        'Unsupported value: "Sometimes": supported values: "ClusterFirst", "ClusterFirstWithHostNet", "Default", "None"',
        "FieldValueNotSupported",
    )]


@pytest.mark.parametrize("good", ["1Gi", "512Mi", "1.5Gi", "100m", "1e3", "+2", 2147483648, 0.5])
def test_good_quantities(good):
    obj = vm()
    obj["spec"]["template"]["spec"]["domain"]["memory"]["guest"] = good
    assert validate_object(obj) == []


@pytest.mark.parametrize("bad", ["2GB", "1 Gi", "Gi", "1gi", "--1"])
def test_bad_quantities(bad):
    obj = vm()
    obj["spec"]["template"]["spec"]["domain"]["memory"]["guest"] = bad
    path = "spec.template.spec.domain.memory.guest"
    assert validate_object(obj) == [
        FieldProblem(path, f"Invalid value: {json.dumps(bad)}: {path} in body should match '{QUANTITY_PATTERN}'")
    ]


def test_int_or_string():
    vmi = {"apiVersion": "kubevirt.io/v1", "kind": "VirtualMachineInstance", "metadata": {"name": "v"},
           "spec": {"domain": {"devices": {}},
                    "readinessProbe": {"tcpSocket": {"port": 22}, "httpGet": {"port": "http"}}}}
    assert validate_object(vmi) == []
    vmi["spec"]["readinessProbe"]["tcpSocket"]["port"] = [22]
    assert fields(validate_object(vmi)) == [("spec.readinessProbe.tcpSocket.port", "FieldValueTypeInvalid")]


def test_nulls_are_accepted_like_the_api_server_prunes_them():
    assert validate_object(vm(running=None, preference=None)) == []


def test_unknown_fields_and_did_you_mean_hints():
    obj = vm(preferences={"name": "fedora"}, instanceType={"name": "u1.small"})
    obj["spec"]["template"]["spec"]["instanceType"] = {"name": "u1.medium"}
    obj["spec"]["template"]["spec"]["domain"]["cpu"]["coers"] = 2
    problems = validate_object(obj)
    assert [(p.field, p.message) for p in problems] == [  # in the order of the document
        ("spec.template.spec.domain.cpu.coers",
         'unknown field "spec.template.spec.domain.cpu.coers"; did you mean "spec.template.spec.domain.cpu.cores"?'),
        ("spec.template.spec.instanceType",
         'unknown field "spec.template.spec.instanceType"; did you mean "spec.instancetype.name"?'),
        ("spec.preferences", 'unknown field "spec.preferences"; did you mean "spec.preference"?'),
        ("spec.instanceType", 'unknown field "spec.instanceType"; did you mean "spec.instancetype"?'),
    ]
    assert {p.reason for p in problems} == {"FieldValueUnknown"}


def test_instancetype_in_pool_template_points_at_the_vm_template():
    pool = {"apiVersion": "pool.kubevirt.io/v1beta1", "kind": "VirtualMachinePool", "metadata": {"name": "p"},
            "spec": {"selector": {}, "virtualMachineTemplate": {"spec": {"template": {"spec": {
                "domain": {"devices": {}}, "instancetype": {"name": "u1.small"}}}}}}}
    (problem,) = validate_object(pool)
    assert problem.message.endswith('did you mean "spec.virtualMachineTemplate.spec.instancetype.name"?')


def test_unknown_field_in_empty_struct():
    it = {"apiVersion": "instancetype.kubevirt.io/v1beta1", "kind": "VirtualMachineClusterPreference",
          "metadata": {"name": "p"}, "spec": {"devices": {"preferredRng": {"foo": 1}}}}
    assert fields(validate_object(it)) == [("spec.devices.preferredRng.foo", "FieldValueUnknown")]


def test_kinds_and_versions():
    (problem,) = validate_object({"apiVersion": "instancetype.kubevirt.io/v1beta1", "kind": "VirtualMachineInstanceType",
                                  "metadata": {"name": "x"}})
    assert problem == FieldProblem(
        "kind", 'no matches for kind "VirtualMachineInstanceType" in version "instancetype.kubevirt.io/v1beta1"; '
        'did you mean "VirtualMachineInstancetype"?')
    (problem,) = validate_object({"apiVersion": "instancetype.kubevirt.io/v1alpha2", "kind": "VirtualMachineInstancetype"})
    assert problem.field == "apiVersion" and problem.reason == "FieldValueNotSupported"
    assert problem.message.endswith("served versions: instancetype.kubevirt.io/v1beta1")
    (problem,) = validate_object({"apiVersion": "apps/v1", "kind": "Deployment"})
    assert (problem.field, problem.reason) == ("kind", "FieldValueUnknown")
    assert validate_object({"apiVersion": "v1", "kind": "ConfigMap", "data": {"a": "b"}}) == []


def test_preset_deprecation_warning():
    preset = {"apiVersion": "kubevirt.io/v1", "kind": "VirtualMachineInstancePreset", "metadata": {"name": "p"},
              "spec": {"selector": {"matchLabels": {"a": "b"}}, "domain": {"cpu": {"cores": 2}, "devices": {}}}}
    assert validate_object(preset) == [FieldProblem(
        "kind", "kubevirt.io/v1 VirtualMachineInstancePresets is now deprecated and will be removed in v2.", "Deprecated")]


@pytest.mark.skipif(SWAGGER is None, reason="upstream swagger.json (shared/kubevirt) not beside the repo")
def test_derived_schema_matches_its_source():
    data = json.loads(DATA.read_text())
    assert data["source"]["sha256"] == hashlib.sha256(SWAGGER.read_bytes()).hexdigest()
    upstream = json.loads(SWAGGER.read_text())["definitions"]
    for name, definition in data["definitions"].items():
        assert set(definition.get("properties", {})) == set(upstream[name].get("properties", {})), name
        assert definition.get("required", []) == upstream[name].get("required", []), name
    assert "description" not in DATA.read_text()
