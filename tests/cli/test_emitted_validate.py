"""Every manifest ``vmctl create vm`` emits is valid: for every bundled template and several instancetypes and
preferences, the VirtualMachine and (with ``--resolve``) the VirtualMachineInstance pass the KubeVirt schema,
and the resolution pipeline finds no admission problem unless the preference's requirements rule it out."""

from __future__ import annotations

import json
from fractions import Fraction
from typing import Any

import pytest

from vmctl.catalog import load_catalog
from vmctl.core import pipeline
from vmctl.core.quantity import parse_quantity
from vmctl.create.params import parse_quantity_text
from vmctl.schema import validate_object
from vmctl.template import list_templates

Obj = dict[str, Any]
CATALOG = load_catalog()
TEMPLATES = sorted(t["metadata"]["name"] for t in list_templates())
INSTANCETYPES = ["u1.nano", "u1.medium", "o1.small", "cx1.large", "n1.medium", "m1.large", "d1.small", "rt1.small"]
#: The common-instancetypes preference matching each bundled template's guest OS ("linux" for the rest).
PREFERENCES = {
    "cirros": "cirros", "fedora-server": "fedora", "ubuntu-server": "ubuntu", "centos-stream9": "centos.stream9",
    "windows-2k22": "windows.2k22",
}


def _spec(kind: str, name: str) -> Obj:
    finder = CATALOG.find_instancetype if kind == "instancetype" else CATALOG.find_preference
    return finder(name, "", "default")["spec"]


def requirement_violation(instancetype: str, preference: str) -> str | None:
    """KubeVirt's requirement message when the instancetype gives less than the preference requires."""
    it, pref = _spec("instancetype", instancetype), _spec("preference", preference)
    required = pref.get("requirements") or {}
    need_cpu = (required.get("cpu") or {}).get("guest")
    if need_cpu is not None and it["cpu"]["guest"] < need_cpu:
        return (f"failure checking preference requirements: insufficient CPU resources of {it['cpu']['guest']} "
                f"vCPU provided by instance type, preference requires {need_cpu} vCPU")
    need_memory = (required.get("memory") or {}).get("guest")
    if need_memory is not None and Fraction(parse_quantity(it["memory"]["guest"])) < parse_quantity(need_memory):
        return (f"failure checking preference requirements: insufficient Memory resources of {it['memory']['guest']} "
                f"provided by instance type, preference requires {parse_quantity_text(need_memory)}")
    return None


def check_vm_and_vmi(vmctl, argv: list[str], rejection: str | None = None) -> None:
    code, out, err = vmctl("create", "vm", *argv, "-o", "json")
    assert code == 0, err
    vm = json.loads(out)
    assert vm["kind"] == "VirtualMachine"
    assert validate_object(vm) == []
    problems = pipeline.problems(vm, CATALOG)
    code, out, err = vmctl("create", "vm", *argv, "--resolve", "-o", "json")
    if rejection is not None:
        assert [p.message for p in problems] == [rejection]
        assert (code, out) == (1, "")
        assert err.splitlines()[-1] == f"error: {rejection}"
        return
    assert problems == []
    assert code == 0, err
    vmi = json.loads(out)
    assert vmi["kind"] == "VirtualMachineInstance"
    assert validate_object(vmi) == []


def test_there_are_bundled_templates() -> None:
    assert {"cirros", "fedora-server"} <= set(TEMPLATES)


@pytest.mark.parametrize("template", TEMPLATES)
def test_template_alone(template: str, vmctl) -> None:
    check_vm_and_vmi(vmctl, ["--from-template", template, "-p", "NAME=t1"])


@pytest.mark.parametrize("instancetype", INSTANCETYPES)
@pytest.mark.parametrize("template", TEMPLATES)
def test_template_with_instancetype_and_preference(
    template: str, instancetype: str, vmctl
) -> None:
    preference = PREFERENCES.get(template, "linux")
    check_vm_and_vmi(
        vmctl,
        ["--from-template", template, "-p", "NAME=t1", "--instancetype", instancetype, "--preference", preference],
        rejection=requirement_violation(instancetype, preference),
    )


def test_a_rejected_combination_is_covered() -> None:
    assert requirement_violation("u1.nano", "fedora") == (
        "failure checking preference requirements: insufficient Memory resources of 512Mi provided by instance "
        "type, preference requires 2Gi"
    )
    assert requirement_violation("u1.nano", "cirros") is None


@pytest.mark.parametrize(
    "argv",
    [
        ["--name", "plain"],
        ["--name", "flags", "--memory", "2Gi", "--cpu", "2", "--run-strategy", "manual",
         "--volume-containerdisk", "src:quay.io/containerdisks/fedora:41,bootorder:1",
         "--volume-import", "type:blank,size:5Gi,name:scratch",
         "--user", "fedora", "--ssh-key", "ssh-ed25519 AAAA me@host", "--ga-manage-ssh"],
        ["--name", "it", "--instancetype", "u1.small", "--preference", "fedora",
         "--volume-containerdisk", "src:quay.io/containerdisks/fedora:41", "--cloud-init", "configdrive",
         "--user", "fedora"],
        ["--name", "creds", "--memory", "1Gi", "--volume-containerdisk", "src:quay.io/x:1",
         "--access-cred", "type:ssh,src:keys,user:fedora", "--access-cred", "type:password,src:pws"],
    ],
    ids=["defaults", "many-flags", "instancetype", "access-creds"],
)
def test_plain_vms(argv: list[str], vmctl) -> None:
    check_vm_and_vmi(vmctl, argv)


def test_imported_volumes_pass_the_schema(vmctl) -> None:
    code, out, err = vmctl(
        "create", "vm", "--name", "imports", "-o", "json",
        "--volume-import", "type:ds,src:os-images/fedora,size:30Gi,name:root",
        "--volume-import", "type:http,url:https://example.org/disk.qcow2,size:10Gi,name:web",
        "--volume-import", "type:registry,url:docker://quay.io/containerdisks/fedora:41,size:10Gi,name:reg",
        "--volume-pvc", "src:data", "--volume-sysprep", "src:unattend",
    )
    assert code == 0, err
    vm = json.loads(out)
    assert validate_object(vm) == []
    # PVCs are processed before imported volumes, so the PVC is the first volume and the one inferred from
    assert [v["name"] for v in vm["spec"]["template"]["spec"]["volumes"]] == ["data", "root", "web", "reg", "sysprepdisk"]
    assert vm["spec"]["instancetype"] == {"inferFromVolume": "data", "inferFromVolumeFailurePolicy": "Ignore"}
