"""KubeVirt's own VM-controller unit tests about the VMI it creates, ported
(pkg/virt-controller/watch/vm/vm_test.go: SetupVMIFromVM / startVMI expectations @ d923fdb8).

``SetupVMIFromVM`` (+ the generation annotation, revision name and finalizer startVMI adds) is
``vmctl.core.vmi_from_vm.setup_vmi_from_vm``; whole starts (autoattach, default devices, preference) go through
the real pipeline, ``vmctl.core.pipeline.resolve``.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from vmctl.catalog import load_catalog
from vmctl.core.defaults import ClusterConfig, legacy_firmware_uuid
from vmctl.core.fields import clone
from vmctl.core.pipeline import MemoSource, resolve
from vmctl.core.vmi_from_vm import setup_vmi_from_vm
from vmctl.errors import ObjectRejected

Obj = dict[str, Any]
GENERATION = "kubevirt.io/vm-generation"


def default_vm(name: str = "testvmi", generation: int | None = None) -> Obj:
    """``watchtesting.DefaultVirtualMachine(true)``: a started VM made from ``api.NewMinimalVMI``."""
    meta: Obj = {"name": name, "namespace": "default", "uid": "vm-uid", "resourceVersion": "1",
                 "finalizers": ["kubevirt.io/virtualMachineControllerFinalize"]}
    if generation is not None:
        meta["generation"] = generation
    return {"apiVersion": "kubevirt.io/v1", "kind": "VirtualMachine", "metadata": meta,
            "spec": {"runStrategy": "Always", "template": {
                "metadata": {"name": name},
                "spec": {"domain": {"resources": {"requests": {"memory": "8192Ki"}}}}}}}


def start(vm: Obj, docs: list[Obj] | None = None, cluster: ClusterConfig | None = None) -> Obj:
    source = MemoSource(load_catalog(docs or []))
    if cluster is None:
        return resolve(vm, source, origins=False, validating=False).obj
    return resolve(vm, source, origins=False, cluster=cluster, validating=False).obj


# --- SetupVMIFromVM ---------------------------------------------------------------------------------


def test_stable_firmware_uuids() -> None:
    # vm_test.go It("should have stable firmware UUIDs")
    vmi1 = setup_vmi_from_vm(default_vm("testvm1"), "default")
    vmi2 = setup_vmi_from_vm(default_vm("testvm1"), "default")
    vmi3 = setup_vmi_from_vm(default_vm("testvm3"), "default")
    first = vmi1["spec"]["domain"]["firmware"]["uuid"]
    assert first == vmi2["spec"]["domain"]["firmware"]["uuid"]
    assert first != vmi3["spec"]["domain"]["firmware"]["uuid"]
    # CalculateLegacyUUID: UUIDv5 of the name in the 6a1a24a1-... namespace
    assert first == str(uuid.uuid5(uuid.UUID("6a1a24a1-4061-4607-8bf4-a3963d0c5895"), "testvm1"))


def test_template_firmware_uuid_is_honoured() -> None:
    # vm_test.go It("should honour any firmware UUID present in the template")
    uid = "5d307ca9-b3ef-428c-8861-06e72d69f223"
    vm = default_vm("testvm1")
    vm["spec"]["template"]["spec"]["domain"]["firmware"] = {"uuid": uid}
    assert setup_vmi_from_vm(vm, "default")["spec"]["domain"]["firmware"]["uuid"] == uid


@pytest.mark.parametrize(("start_annotations", "end_annotations"), [
    # vm_test.go Context("VM generation tests") DescribeTable("should add the generation annotation onto the VMI")
    # Entry("with previous annotations")
    ({"test": "test"}, {"test": "test", GENERATION: "6"}),
    # ... Entry("without previous annotations")
    ({}, {GENERATION: "6"}),
])
def test_generation_annotation(start_annotations: Obj, end_annotations: Obj) -> None:
    vm = default_vm(generation=6)
    vm["spec"]["template"]["metadata"]["annotations"] = start_annotations
    assert setup_vmi_from_vm(vm, "default")["metadata"]["annotations"] == end_annotations


def test_vmi_gets_vm_revision_name() -> None:
    # vm_test.go It("should create VMI with vmRevision")  (getVMRevisionName: revision-start-vm-<uid>-<generation>)
    vmi = setup_vmi_from_vm(default_vm(generation=1), "default")
    assert vmi["status"]["virtualMachineRevisionName"] == "revision-start-vm-vm-uid-1"


def test_vmi_gets_controller_finalizer() -> None:
    # vm_test.go startVMI: "add a finalizer to ensure the VM controller has a chance to see the VMI"
    vmi = setup_vmi_from_vm(default_vm(), "default")
    assert vmi["metadata"]["finalizers"] == ["kubevirt.io/virtualMachineControllerFinalize"]
    assert vmi["metadata"]["ownerReferences"] == [{
        "apiVersion": "kubevirt.io/v1", "blockOwnerDeletion": True, "controller": True,
        "kind": "VirtualMachine", "name": "testvmi", "uid": "vm-uid"}]


@pytest.mark.parametrize("annotations", [
    # vm_test.go It("should copy annotations from spec.template to vmi")
    {"test": "test"},
    # vm_test.go It("should copy kubevirt ignitiondata annotation from spec.template to vmi")
    {"kubevirt.io/ignitiondata": "test"},
    # vm_test.go It("should copy kubernetes annotations from spec.template to vmi")
    {"cluster-autoscaler.kubernetes.io/safe-to-evict": "true"},
])
def test_template_annotations_copied(annotations: Obj) -> None:
    vm = default_vm(generation=0)  # the fake client leaves generation 0
    vm["spec"]["template"]["metadata"]["annotations"] = dict(annotations)
    assert setup_vmi_from_vm(vm, "default")["metadata"]["annotations"] == {**annotations, GENERATION: "0"}


def test_vm_annotations_not_copied() -> None:
    # vm_test.go It("should not copy annotations from vm to vmi")
    vm = default_vm()
    vm["metadata"]["annotations"] = {"kubevirt.io/test": "test"}
    assert "kubevirt.io/test" not in setup_vmi_from_vm(vm, "default")["metadata"]["annotations"]
    assert "kubevirt.io/test" not in start(vm)["metadata"]["annotations"]


def test_max_sockets_from_vm_spec_honoured() -> None:
    # vm_test.go Context("Live update features") It("should honour the maximum CPU sockets from VM spec")
    vm = default_vm()
    vm["spec"]["template"]["spec"]["domain"]["cpu"] = {"maxSockets": 24}
    assert setup_vmi_from_vm(vm, "default")["spec"]["domain"]["cpu"]["maxSockets"] == 24


def test_max_sockets_from_vm_spec_preferred_over_cluster() -> None:
    # vm_test.go It("should prefer maximum CPU sockets from VM spec rather than from cluster config")
    vm = default_vm()
    vm["spec"]["template"]["spec"]["domain"]["cpu"] = {"maxSockets": 24}
    assert start(vm, cluster=ClusterConfig(max_cpu_sockets=48))["spec"]["domain"]["cpu"]["maxSockets"] == 24


# --- startVMI: default devices ------------------------------------------------------------------------


@pytest.mark.parametrize(("binding", "expected"), [
    # vm_test.go DescribeTable("should add the default network interface") Entry("as bridge")
    ("bridge", {"name": "default", "bridge": {}}),
    # ... Entry("as masquerade")
    ("masquerade", {"name": "default", "masquerade": {}}),
])
def test_default_network_interface(binding: str, expected: Obj) -> None:
    spec = start(default_vm(), cluster=ClusterConfig(network_interface=binding))["spec"]
    assert spec["networks"] == [{"name": "default", "pod": {}}]
    assert spec["domain"]["devices"]["interfaces"] == [expected]


def test_default_slirp_interface_rejected() -> None:
    # vm_test.go It("should reject adding a default deprecated slirp interface")  (no VMI is created)
    with pytest.raises(ObjectRejected) as info:
        start(default_vm(), cluster=ClusterConfig(network_interface="slirp"))
    assert info.value.message == "slirp interface is deprecated as of v1.3"


@pytest.mark.parametrize(("interfaces", "networks"), [
    # vm_test.go DescribeTable("should not add the default interfaces if") Entry("interfaces and networks are non-empty")
    ([{"name": "a"}], [{"name": "b"}]),
    # ... Entry("interfaces is non-empty")
    ([{"name": "a"}], []),
    # ... Entry("networks is non-empty")
    ([], [{"name": "b"}]),
])
def test_no_default_interfaces_when_some_given(interfaces: list[Obj], networks: list[Obj]) -> None:
    vm = default_vm()
    template = vm["spec"]["template"]["spec"]
    template["domain"]["devices"] = {"interfaces": clone(interfaces)}
    template["networks"] = clone(networks)
    spec = start(vm)["spec"]
    assert spec.get("networks", []) == networks
    assert [{"name": i["name"]} for i in spec["domain"]["devices"].get("interfaces", [])] == interfaces


def test_missing_volume_disk_added() -> None:
    # vm_test.go It("should add a missing volume disk")
    vm = default_vm()
    template = vm["spec"]["template"]["spec"]
    template["domain"]["devices"] = {"disks": [{"name": "present-vol"}]}
    template["volumes"] = [{"name": "present-vol"}, {"name": "missing-vol"}]
    vmi = setup_vmi_from_vm(vm, "default")
    assert vmi["spec"]["domain"]["devices"]["disks"] == [{"name": "present-vol"}, {"name": "missing-vol"}]


@pytest.mark.parametrize(("autoattach", "inputs", "expected"), [
    # vm_test.go DescribeTable("AutoattachInputDevice should ") Entry("add default input device when enabled in VirtualMachine")
    (True, [], ["default-0"]),
    # ... Entry("not add default input device when disabled by VirtualMachine")
    (False, [], []),
    # ... Entry("not add default input device by default")
    (None, [], []),
    # ... Entry("not add default input device when devices already present in VirtualMachine")
    (True, [{"name": "existing-0"}], ["existing-0"]),
])
def test_autoattach_input_device(autoattach: bool | None, inputs: list[Obj], expected: list[str]) -> None:
    vm = default_vm()
    devices: Obj = {"inputs": inputs}
    if autoattach is not None:
        devices["autoattachInputDevice"] = autoattach
    vm["spec"]["template"]["spec"]["domain"]["devices"] = devices
    got = start(vm)["spec"]["domain"]["devices"].get("inputs", [])
    assert [i["name"] for i in got] == expected


# --- startVMI: Context("Instancetype and Preferences") Context("preference") ----------------------------


def preference_doc(name: str, spec: Obj, namespaced: bool = True) -> Obj:
    meta: Obj = {"name": name, "uid": "9160e5de-2540-476a-86d9-af0081aee68a", "generation": 1}
    if namespaced:
        meta["namespace"] = "default"
    kind = "VirtualMachinePreference" if namespaced else "VirtualMachineClusterPreference"
    return {"apiVersion": "instancetype.kubevirt.io/v1beta1", "kind": kind, "metadata": meta, "spec": spec}


# The namespaced preference of the Context's outer BeforeEach (firmware EFI, virtio disks/interfaces, usb tablet).
PREFERENCE = preference_doc("preference", {
    "firmware": {"preferredUseEfi": True},
    "devices": {"preferredDiskBus": "virtio", "preferredInterfaceModel": "virtio",
                "preferredInputBus": "usb", "preferredInputType": "tablet"},
})


def with_preference(vm: Obj, name: str) -> Obj:
    vm["spec"]["preference"] = {"name": name, "kind": "virtualmachinepreference"}
    return vm


def test_preference_applied_to_default_network_interface() -> None:
    # vm_test.go Context("preference") It("should apply preferences to default network interface")
    vm = with_preference(default_vm(), "preference")
    vm["spec"]["template"]["spec"]["domain"]["devices"] = {"interfaces": []}
    vm["spec"]["template"]["spec"]["networks"] = []
    spec = start(vm, [PREFERENCE])["spec"]
    assert spec["domain"]["devices"]["interfaces"][0]["model"] == "virtio"
    assert spec["networks"] == [{"name": "default", "pod": {}}]


def test_preferred_autoattach_pod_interface_skips_default_network() -> None:
    # vm_test.go It("should apply preferredAutoattachPodInterface and skip adding default network interface")
    doc = preference_doc("autoattachPodInterfacePreference",
                         {"devices": {"preferredAutoattachPodInterface": False}})
    vm = with_preference(default_vm(), "autoattachPodInterfacePreference")
    vm["spec"]["template"]["spec"]["domain"]["devices"] = {"interfaces": []}
    vm["spec"]["template"]["spec"]["networks"] = []
    spec = start(vm, [doc])["spec"]
    assert spec["domain"]["devices"]["autoattachPodInterface"] is False
    assert spec["domain"]["devices"].get("interfaces", []) == []
    assert spec.get("networks", []) == []


def test_preference_applied_to_default_volume_disk() -> None:
    # vm_test.go It("should apply preferences to default volume disk")
    vm = with_preference(default_vm(), "preference")
    template = vm["spec"]["template"]["spec"]
    template["domain"]["devices"] = {"disks": [{"name": "present-vol", "disk": {"bus": "sata"}}]}
    template["volumes"] = [{"name": "present-vol"}, {"name": "missing-vol"}]
    disks = start(vm, [PREFERENCE])["spec"]["domain"]["devices"]["disks"]
    assert [d["name"] for d in disks] == ["present-vol", "missing-vol"]
    assert disks[0]["disk"]["bus"] == "sata"  # the user's value is kept
    assert disks[1]["disk"]["bus"] == "virtio"  # the preference fills the new disk


def test_preference_applied_to_autoattached_input_device() -> None:
    # vm_test.go It("should apply preferences to AutoattachInputDevice attached input device")
    vm = with_preference(default_vm(), "preference")
    vm["spec"]["template"]["spec"]["domain"]["devices"] = {"autoattachInputDevice": True}
    assert start(vm, [PREFERENCE])["spec"]["domain"]["devices"]["inputs"] == [
        {"name": "default-0", "bus": "usb", "type": "tablet"}]


def test_preferred_autoattach_input_device_attaches_input() -> None:
    # vm_test.go It("should apply preferences to preferredAutoattachInputDevice attached input device")
    doc = preference_doc("autoattachInputDevicePreference", {"devices": {
        "preferredAutoattachInputDevice": True, "preferredInputBus": "virtio", "preferredInputType": "tablet"}})
    vm = with_preference(default_vm(), "autoattachInputDevicePreference")
    assert start(vm, [doc])["spec"]["domain"]["devices"]["inputs"] == [
        {"name": "default-0", "bus": "virtio", "type": "tablet"}]


def test_preferred_autoattach_input_device_false_skips_input() -> None:
    # vm_test.go It("should apply preferredAutoattachInputDevice and skip adding default input device")
    doc = preference_doc("preferredAutoattachInputDevicePreference",
                         {"devices": {"preferredAutoattachInputDevice": False}})
    vm = with_preference(default_vm(), "preferredAutoattachInputDevicePreference")
    devices = start(vm, [doc])["spec"]["domain"]["devices"]
    assert devices["autoattachInputDevice"] is False
    assert devices.get("inputs", []) == []


def test_vmi_firmware_uuid_matches_legacy_uuid_of_vm_name() -> None:
    # vm_test.go Entry("should not raise RestartRequired when VM and VMI UUIDs match", CalculateLegacyUUID("testvmi"))
    assert start(default_vm())["spec"]["domain"]["firmware"]["uuid"] == legacy_firmware_uuid("testvmi")
