"""SetupVMIFromVM and the VM mutating webhook effects."""

from __future__ import annotations

from typing import Any

from vmctl.core.defaults import legacy_firmware_uuid
from vmctl.core.preference import mutate_vm
from vmctl.core.vmi_from_vm import (
    instancetype_annotations,
    mutate_defaults,
    setup_vmi_from_vm,
)


def vm(**spec: Any) -> dict[str, Any]:
    base: dict[str, Any] = {"template": {"metadata": {"labels": {"a": "b"}, "annotations": {"x": "y"},
                                                      "generateName": "g-"},
                                         "spec": {"domain": {}, "volumes": [{"name": "v", "emptyDisk": {}}]}}}
    base.update(spec)
    return {"kind": "VirtualMachine", "metadata": {"name": "m", "uid": "u-1"}, "spec": base}


def test_setup_copies_template_and_owns_the_vmi() -> None:
    vmi = setup_vmi_from_vm(vm(), "ns")
    assert vmi["metadata"] == {
        "name": "m", "namespace": "ns", "labels": {"a": "b"},
        "annotations": {"x": "y", "kubevirt.io/vm-generation": "1"},
        "finalizers": ["kubevirt.io/virtualMachineControllerFinalize"],
        "ownerReferences": [{"apiVersion": "kubevirt.io/v1", "blockOwnerDeletion": True, "controller": True,
                             "kind": "VirtualMachine", "name": "m", "uid": "u-1"}],
    }
    assert vmi["spec"]["domain"]["firmware"] == {"uuid": legacy_firmware_uuid("m")}
    assert vmi["spec"]["domain"]["devices"]["disks"] == [{"name": "v"}]
    assert vmi["status"] == {"virtualMachineRevisionName": "revision-start-vm-u-1-1"}


def test_existing_firmware_uuid_kept_and_paused_start() -> None:
    source = vm()
    source["spec"]["template"]["spec"]["domain"]["firmware"] = {"uuid": "fixed"}
    source["status"] = {"stateChangeRequests": [{"action": "Start", "data": {"paused": "true"}}]}
    vmi = setup_vmi_from_vm(source, "ns")
    assert vmi["spec"]["domain"]["firmware"]["uuid"] == "fixed"
    assert vmi["spec"]["startStrategy"] == "Paused"


def test_webhook_preferences_and_defaults() -> None:
    source = vm(dataVolumeTemplates=[{"spec": {"pvc": {}}}, {"spec": {"storage": {"storageClassName": "fast"}}}])
    mutate_vm({"preferredArchitecture": "arm64", "machine": {"preferredMachineType": "virt-9"},
               "volumes": {"preferredStorageClassName": "slow"}}, source)
    mutate_defaults(source)
    spec = source["spec"]["template"]["spec"]
    assert spec["architecture"] == "arm64"
    assert spec["domain"]["machine"] == {"type": "virt-9"}
    assert [d["spec"] for d in source["spec"]["dataVolumeTemplates"]] == [
        {"pvc": {"storageClassName": "slow"}}, {"storage": {"storageClassName": "fast"}}]
    assert spec["domain"]["firmware"]["uuid"] == legacy_firmware_uuid("m")
    assert source["spec"]["template"]["metadata"]["annotations"]["kubevirt.io/pci-topology-version"] == "v3"


def test_machine_type_default_follows_architecture() -> None:
    source = vm()
    source["spec"]["template"]["spec"]["architecture"] = "s390x"
    mutate_defaults(source)
    assert source["spec"]["template"]["spec"]["domain"]["machine"] == {"type": "s390-ccw-virtio"}
    assert "kubevirt.io/pci-topology-version" not in source["spec"]["template"]["metadata"]["annotations"]


def test_instancetype_annotation_names_by_kind() -> None:
    assert instancetype_annotations({"spec": {"instancetype": {"name": "a"}, "preference": {"name": "b"}}}) == {
        "kubevirt.io/cluster-instancetype-name": "a", "kubevirt.io/cluster-preference-name": "b"}
    assert instancetype_annotations({"spec": {
        "instancetype": {"name": "a", "kind": "VirtualMachineInstancetype"},
        "preference": {"name": "b", "kind": "virtualmachinepreferences"}}}) == {
        "kubevirt.io/instancetype-name": "a", "kubevirt.io/preference-name": "b"}


def test_firmware_identity_assigned_only_where_missing_and_kept_only_where_left_out() -> None:
    from itertools import count

    from vmctl.core.vmi_from_vm import assign_firmware_identity, keep_firmware_identity

    ids = (f"id-{n}" for n in count())
    vm: dict = {"kind": "VirtualMachine", "spec": {"template": {"spec": {"domain": {"firmware": {"serial": "mine"}}}}}}
    assign_firmware_identity(vm, lambda: next(ids))  # a VM: a UUID and a serial
    assert vm["spec"]["template"]["spec"]["domain"]["firmware"] == {"serial": "mine", "uuid": "id-0"}
    vmi: dict = {"kind": "VirtualMachineInstance", "spec": {}}
    assign_firmware_identity(vmi, lambda: next(ids))  # a VMI: a UUID only
    assert vmi["spec"] == {"domain": {"firmware": {"uuid": "id-1"}}}
    update: dict = {"kind": "VirtualMachine", "spec": {"template": {"spec": {"domain": {"firmware": {"uuid": "x"}}}}}}
    keep_firmware_identity(update, vm)  # what the update says wins; what it leaves out stays
    assert update["spec"]["template"]["spec"]["domain"]["firmware"] == {"uuid": "x", "serial": "mine"}
    bare: dict = {"kind": "VirtualMachine", "spec": {}}
    assign_firmware_identity(bare, lambda: next(ids))  # no template spec: nothing to do
    assert bare == {"kind": "VirtualMachine", "spec": {}}
