"""``vmctl create vm --resolve``: the VirtualMachineInstance KubeVirt would create, with concrete fields."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from vmctl.io.yamlio import parse_documents


def resolved(vmctl, *argv: str) -> dict[str, Any]:
    code, out, err = vmctl("create", "vm", *argv, "--resolve", "-o", "json")
    assert code == 0, err
    vmi = json.loads(out)
    assert vmi["kind"] == "VirtualMachineInstance"
    return vmi


def test_fedora_template_with_u1_medium_and_fedora(vmctl) -> None:
    vmi = resolved(vmctl, "--from-template", "fedora-server", "-p", "NAME=web1", "--instancetype", "u1.medium",
                   "--preference", "fedora")
    assert vmi["metadata"]["name"] == "web1"
    domain = vmi["spec"]["domain"]
    # u1.medium: 1 vCPU (preferred topology sockets -> 1 socket), 4Gi guest memory
    assert (domain["cpu"]["sockets"], domain["cpu"]["cores"], domain["cpu"]["threads"]) == (1, 1, 1)
    assert domain["memory"]["guest"] == "4Gi"
    # fedora: virtio disks and NIC, EFI with secure boot, SMM on
    assert {d["name"]: d["disk"]["bus"] for d in domain["devices"]["disks"]} == {
        "rootdisk": "virtio", "cloudinitdisk": "virtio"}
    assert domain["devices"]["interfaces"][0]["model"] == "virtio"
    assert domain["firmware"]["bootloader"] == {"efi": {"secureBoot": True}}
    assert domain["features"]["smm"] == {"enabled": True}
    assert vmi["metadata"]["annotations"]["kubevirt.io/cluster-instancetype-name"] == "u1.medium"
    assert vmi["metadata"]["annotations"]["kubevirt.io/cluster-preference-name"] == "fedora"


def test_plain_flags_resolve(vmctl) -> None:
    vmi = resolved(vmctl, "--name", "c1", "--instancetype", "o1.small", "--preference", "cirros",
                   "--volume-containerdisk", "src:quay.io/kubevirt/cirros-container-disk-demo:v1.4.0,name:root",
                   "-n", "lab")
    assert vmi["metadata"]["namespace"] == "lab"
    domain = vmi["spec"]["domain"]
    assert domain["memory"]["guest"] == "2Gi"
    assert domain["devices"]["disks"] == [{"name": "root", "disk": {"bus": "virtio"}}]
    assert vmi["spec"]["volumes"][0]["containerDisk"] == {
        "image": "quay.io/kubevirt/cirros-container-disk-demo:v1.4.0", "imagePullPolicy": "IfNotPresent"}
    assert vmi["spec"]["terminationGracePeriodSeconds"] == 180


def test_memory_and_cpu_flags_resolve(vmctl) -> None:
    vmi = resolved(vmctl, "--name", "small", "--memory", "1Gi", "--cpu", "3")
    # KubeVirt fills the topology only when sockets, cores and threads are all unset
    assert vmi["spec"]["domain"]["cpu"] == {"cores": 3, "model": "host-model"}
    assert vmi["spec"]["domain"]["memory"]["guest"] == "1Gi"


def test_yaml_output_by_default(vmctl) -> None:
    code, out, _ = vmctl("create", "vm", "--from-template", "cirros", "-p", "NAME=x", "--instancetype",
                         "u1.medium", "--resolve")
    assert code == 0
    (vmi,) = [d.obj for d in parse_documents(out, "<stdout>")]
    assert vmi["kind"] == "VirtualMachineInstance"
    assert vmi["spec"]["domain"]["memory"]["guest"] == "4Gi"
    code, out, _ = vmctl("create", "vm", "--from-template", "cirros", "-p", "NAME=x", "--resolve", "-o", "name")
    assert (code, out) == (0, "virtualmachineinstance.kubevirt.io/x\n")


def test_requirement_rejection(vmctl) -> None:
    code, out, err = vmctl("create", "vm", "--from-template", "fedora-server", "-p", "NAME=f",
                           "--instancetype", "u1.nano", "--preference", "fedora", "--resolve")
    assert (code, out) == (1, "")
    assert err.splitlines()[-1] == (
        "error: failure checking preference requirements: insufficient Memory resources of 512Mi provided by "
        "instance type, preference requires 2Gi"
    )


def test_unknown_instancetype(vmctl) -> None:
    code, out, err = vmctl("create", "vm", "--instancetype", "u1.huge", "--resolve")
    assert (code, out) == (1, "")
    assert err.splitlines()[0] == (
        'error: virtualmachineclusterinstancetypes.instancetype.kubevirt.io "u1.huge" not found')


def test_catalog_folder(tmp_path: Path, vmctl) -> None:
    code, out, _ = vmctl("create", "instancetype", "--name", "tiny-3", "--cpu", "3", "--memory", "768Mi")
    assert code == 0
    (tmp_path / "tiny.yaml").write_text(out)
    vmi = resolved(vmctl, "--name", "t", "--instancetype", "tiny-3", "--catalog", str(tmp_path))
    assert vmi["spec"]["domain"]["memory"]["guest"] == "768Mi"
    cpu = vmi["spec"]["domain"]["cpu"]
    assert cpu["sockets"] * cpu["cores"] * cpu["threads"] == 3
