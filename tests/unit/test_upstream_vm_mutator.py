"""KubeVirt's own VM mutating-webhook unit tests about instancetypes and preferences, ported
(pkg/virt-api/webhooks/mutating-webhook/mutators/vm-mutator_test.go @ d923fdb8).

The webhook is matcher validation (``vmctl.core.matchers.validate_matchers``), then the preference's VM-level
defaults (``preferredArchitecture``, ``preferredMachineType``, ``preferredStorageClassName``) and the VM defaults
(``vmctl.core.vmi_from_vm.mutate_defaults``). The preference part is ``vmctl.core.preference.mutate_vm``, the one
the pipeline calls.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from vmctl.core.defaults import DEFAULT_CLUSTER, ClusterConfig
from vmctl.core.matchers import validate_matchers
from vmctl.core.preference import mutate_vm
from vmctl.core.vmi_from_vm import mutate_defaults
from vmctl.errors import FieldProblem

Obj = dict[str, Any]
Mutator = Callable[[Obj | None, Obj], None]
CONFIG_MACHINE = "pc-q35-3.0"


MUTATORS = pytest.mark.parametrize("mutate", [mutate_vm], ids=["preference.mutate_vm"])


def base_vm(arch: str | None = None) -> Obj:
    """The BeforeEach VM of vm-mutator_test.go."""
    spec: Obj = {"domain": {}}
    if arch is not None:
        spec["architecture"] = arch
    return {"apiVersion": "kubevirt.io/v1", "kind": "VirtualMachine",
            "metadata": {"name": "vm", "namespace": "default", "labels": {"test": "test"}},
            "spec": {"template": {"spec": spec}}}


def webhook(vm: Obj, pref: Obj | None, mutate: Mutator, cluster: ClusterConfig = DEFAULT_CLUSTER) -> Obj:
    assert validate_matchers(vm) == []
    mutate(pref, vm)
    mutate_defaults(vm, cluster)
    return vm


ARCHES = pytest.mark.parametrize("arch", ["amd64", "s390x", "arm64"])


@MUTATORS
@ARCHES
def test_user_machine_type_wins(arch: str, mutate: Mutator) -> None:
    # vm-mutator_test.go DescribeTable("should not override user specified MachineType with PreferredMachineType or
    # cluster config on VM create") Entry(<arch>)
    vm = base_vm(arch)
    vm["spec"]["template"]["spec"]["domain"]["machine"] = {"type": "pc-q35-2.0"}
    vm["spec"]["preference"] = {"name": "machineTypePreference", "kind": "virtualmachinepreference"}
    got = webhook(vm, {"machine": {"preferredMachineType": "pc-q35-4.0"}}, mutate,
                  ClusterConfig(machine_type=CONFIG_MACHINE))
    assert got["spec"]["template"]["spec"]["domain"]["machine"]["type"] == "pc-q35-2.0"


@MUTATORS
@ARCHES
def test_preferred_machine_type_beats_cluster_config(arch: str, mutate: Mutator) -> None:
    # vm-mutator_test.go DescribeTable("should use PreferredMachineType over cluster config on VM create") Entry(<arch>)
    vm = base_vm(arch)
    vm["spec"]["preference"] = {"name": "machineTypePreference", "kind": "virtualmachinepreference"}
    got = webhook(vm, {"machine": {"preferredMachineType": "pc-q35-4.0"}}, mutate,
                  ClusterConfig(machine_type=CONFIG_MACHINE))
    assert got["spec"]["template"]["spec"]["domain"]["machine"]["type"] == "pc-q35-4.0"


@MUTATORS
@pytest.mark.parametrize("arch", ["amd64", "arm64", "s390x"])
def test_missing_preference_falls_back_to_cluster_machine_type(arch: str, mutate: Mutator) -> None:
    # vm-mutator_test.go DescribeTable("should ignore error looking up preference and apply cluster config on VM
    # create") Entry(<arch>). The webhook itself carries on without the preference; vmctl's resolve reports the
    # missing preference afterwards (documented in docs/resolution.md).
    vm = base_vm(arch)
    vm["spec"]["preference"] = {"name": "foobar", "kind": "virtualmachinepreference"}
    cluster = ClusterConfig(machine_types={"amd64": CONFIG_MACHINE, "arm64": CONFIG_MACHINE, "s390x": CONFIG_MACHINE})
    got = webhook(vm, None, mutate, cluster)
    assert got["spec"]["template"]["spec"]["domain"]["machine"]["type"] == CONFIG_MACHINE


@MUTATORS
@ARCHES
def test_cluster_preference_machine_type_without_kind(arch: str, mutate: Mutator) -> None:
    # vm-mutator_test.go DescribeTable("should use PreferredMachineType from ClusterSingularPreferenceResourceName
    # when no preference kind is provided") Entry(<arch>)
    vm = base_vm(arch)
    vm["spec"]["preference"] = {"name": "machineTypeClusterPreference"}
    got = webhook(vm, {"machine": {"preferredMachineType": "pc-q35-5.0"}}, mutate)
    assert got["spec"]["template"]["spec"]["domain"]["machine"]["type"] == "pc-q35-5.0"


@pytest.mark.parametrize(("arch", "machine"), [
    # vm-mutator_test.go DescribeTable("should apply defaults on VM create") Entry("arm64")
    ("arm64", "virt"),
    # ... Entry("s390x")
    ("s390x", "s390-ccw-virtio"),
    # ... Entry("amd64")
    ("amd64", "q35"),
])
def test_vm_machine_type_defaults(arch: str, machine: str) -> None:
    vm = base_vm(arch)
    mutate_defaults(vm)
    assert vm["spec"]["template"]["spec"]["domain"]["machine"]["type"] == machine


@pytest.mark.parametrize(("arch", "overrides"), [
    # vm-mutator_test.go DescribeTable("should apply configurable defaults on VM create")
    # Entry("when override is for amd64 architecture")
    ("amd64", {"amd64": CONFIG_MACHINE, "arm64": "virt", "s390x": "s390-ccw-virtio"}),
    # ... Entry("when override is for arm64 architecture")
    ("arm64", {"amd64": "q35", "arm64": CONFIG_MACHINE, "s390x": "s390-ccw-virtio"}),
    # ... Entry("when override is for s390x architecture")
    ("s390x", {"amd64": "q35", "arm64": "virt", "s390x": CONFIG_MACHINE}),
])
def test_vm_machine_type_from_arch_config(arch: str, overrides: dict[str, str]) -> None:
    vm = base_vm(arch)
    mutate_defaults(vm, ClusterConfig(machine_types=overrides))
    assert vm["spec"]["template"]["spec"]["domain"]["machine"]["type"] == CONFIG_MACHINE


@pytest.mark.parametrize(("arch", "annotated"), [
    # vm-mutator_test.go DescribeTable("should set PCI topology version based on architecture") Entry("amd64 gets v3")
    ("amd64", True),
    # ... Entry("arm64 gets v3")
    ("arm64", True),
    # ... Entry("s390x skipped")
    ("s390x", False),
    # ... Entry("ppc64le skipped")
    ("ppc64le", False),
])
def test_vm_pci_topology_annotation(arch: str, annotated: bool) -> None:
    vm = base_vm(arch)
    mutate_defaults(vm)
    annotations = (vm["spec"]["template"].get("metadata") or {}).get("annotations", {})
    assert (annotations.get("kubevirt.io/pci-topology-version") == "v3") is annotated


@pytest.mark.parametrize(("machine", "annotated"), [
    # vm-mutator_test.go It("should skip PCI topology version for i440fx machine type")
    ("pc-i440fx-2.12", False),
    # vm-mutator_test.go It("should set PCI topology version for PCIe-capable machine type on amd64")
    ("pc-q35-rhel9.4.0", True),
])
def test_vm_pci_topology_by_machine_type(machine: str, annotated: bool) -> None:
    vm = base_vm("amd64")
    vm["spec"]["template"]["spec"]["domain"]["machine"] = {"type": machine}
    mutate_defaults(vm)
    annotations = (vm["spec"]["template"].get("metadata") or {}).get("annotations", {})
    assert ("kubevirt.io/pci-topology-version" in annotations) is annotated


def test_vm_pci_topology_existing_annotation_kept() -> None:
    # vm-mutator_test.go It("should not override existing PCI topology version annotation on VM template")
    vm = base_vm("amd64")
    vm["spec"]["template"]["metadata"] = {"annotations": {"kubevirt.io/pci-topology-version": "v2"}}
    mutate_defaults(vm)
    assert vm["spec"]["template"]["metadata"]["annotations"]["kubevirt.io/pci-topology-version"] == "v2"


@pytest.mark.parametrize(("instancetype", "preference"), [
    # vm-mutator_test.go DescribeTable("should admit valid values to InferFromVolumePolicy")
    # Entry("InstancetypeMatcher with IgnoreInferFromVolumeFailure")
    ({"name": "bar", "inferFromVolumeFailurePolicy": "Ignore"}, None),
    # ... Entry("InstancetypeMatcher with RejectInferFromVolumeFailure")
    ({"name": "bar", "inferFromVolumeFailurePolicy": "Reject"}, None),
    # ... Entry("PreferenceMatcher with IgnoreInferFromVolumeFailure")
    (None, {"name": "bar", "inferFromVolumeFailurePolicy": "Ignore"}),
    # ... Entry("PreferenceMatcher with RejectInferFromVolumeFailure")
    (None, {"name": "bar", "inferFromVolumeFailurePolicy": "Reject"}),
])
def test_valid_failure_policies_admitted(instancetype: Obj | None, preference: Obj | None) -> None:
    vm = base_vm()
    if instancetype is not None:
        vm["spec"]["instancetype"] = instancetype
    if preference is not None:
        vm["spec"]["preference"] = preference
    assert validate_matchers(vm) == []


# --- Context("setPreferenceStorageClassName") -----------------------------------------------------

CEPH = {"volumes": {"preferredStorageClassName": "ceph"}}


def storage_vm(dv_spec: Obj) -> Obj:
    vm = base_vm()
    vm["spec"]["preference"] = {"name": "machineTypeClusterPreference"}
    vm["spec"]["dataVolumeTemplates"] = [{"spec": dv_spec}]
    return vm


@MUTATORS
@pytest.mark.parametrize(("dv_spec", "key", "expected"), [
    # vm-mutator_test.go It("[test_id:10328]should apply PreferredStorageClassName to PVC")
    ({"pvc": {}}, "pvc", "ceph"),
    # vm-mutator_test.go It("[test_id:10329]should apply PreferredStorageClassName to Storage")
    ({"storage": {}}, "storage", "ceph"),
    # vm-mutator_test.go It("should not overwrite storageclass already defined in PVC of DataVolumeTemplate")
    ({"pvc": {"storageClassName": "local"}}, "pvc", "local"),
    # vm-mutator_test.go It("should not overwrite storageclass already defined in Storage of DataVolumeTemplate")
    ({"storage": {"storageClassName": "local"}}, "storage", "local"),
])
def test_preferred_storage_class(dv_spec: Obj, key: str, expected: str, mutate: Mutator) -> None:
    vm = webhook(storage_vm(dv_spec), CEPH, mutate)
    templates = vm["spec"]["dataVolumeTemplates"]
    assert len(templates) == 1
    assert templates[0]["spec"][key]["storageClassName"] == expected


@MUTATORS
def test_preferred_storage_class_without_pvc(mutate: Mutator) -> None:
    # vm-mutator_test.go It("should not fail if DataVolumeSpec PersistentVolumeClaimSpec is nil - bug #9868")
    vm = webhook(storage_vm({}), CEPH, mutate)
    assert vm["spec"]["dataVolumeTemplates"] == [{"spec": {}}]


# --- Context("on update") ---------------------------------------------------------------------------

UPDATE_CASES: list[tuple[str, Obj | None, Obj | None, bool]] = [
    ("should accept request without changes",
     {"name": "{n}", "revisionName": "{n}CR"}, {"name": "{n}", "revisionName": "{n}CR"}, True),
    ("should accept request when updating name and clearing RevisionName",
     {"name": "{n}", "revisionName": "{n}CR"}, {"name": "foo"}, True),
    ("should accept request when updating name and RevisionName",
     {"name": "{n}", "revisionName": "{n}CR"}, {"name": "foo", "revisionName": "bar"}, True),
    ("should accept request changing RevisionName",
     {"name": "{n}", "revisionName": "{n}CR"}, {"name": "{n}", "revisionName": "foo"}, True),
    ("should accept request when introducing matcher", None, {"name": "{n}", "revisionName": "foo"}, True),
    ("should accept request when removing matcher", {"name": "{n}", "revisionName": "{n}CR"}, None, True),
    ("should reject request changing name without clearing RevisionName",
     {"name": "{n}", "revisionName": "{n}CR"}, {"name": "foo", "revisionName": "{n}CR"}, False),
]


def _matcher(template: Obj | None, which: str) -> Obj | None:
    if template is None:
        return None
    kind = "virtualmachineclusterinstancetype" if which == "instancetype" else "virtualmachineclusterpreference"
    return {**{k: v.format(n=which) for k, v in template.items()}, "kind": kind}


@pytest.mark.parametrize("which", ["instancetype", "preference"])
@pytest.mark.parametrize(("old", "new", "accepted"), [e[1:] for e in UPDATE_CASES], ids=[e[0] for e in UPDATE_CASES])
def test_matcher_update(which: str, old: Obj | None, new: Obj | None, accepted: bool) -> None:
    # vm-mutator_test.go Context("on update") Context("of InstancetypeMatcher" / "of PreferenceMatcher") It(<id>)
    old_vm, new_vm = base_vm(), base_vm()
    if old is not None:
        old_vm["spec"][which] = _matcher(old, which)
    if new is not None:
        new_vm["spec"][which] = _matcher(new, which)
    found = validate_matchers(new_vm, old_vm)
    if accepted:
        assert found == []
    else:
        assert found == [FieldProblem(f"spec.{which}.revisionName",
                                      "the Matcher Name has been updated without updating the RevisionName")]


# --- Context("failure tests") DescribeTable("should fail if") ----------------------------------------

FAIL_CASES: list[tuple[str, str, Obj, str, str]] = []
for _which, _type in (("instancetype", "InstancetypeMatcher"), ("preference", "PreferenceMatcher")):
    FAIL_CASES += [
        (f"{_type} does not provide Name or InferFromVolume", _which, {}, f"spec.{_which}",
         f"Either Name or InferFromVolume should be provided within the {_type}"),
        (f"{_type} provides Name and InferFromVolume", _which, {"name": "foo", "inferFromVolume": "bar"},
         f"spec.{_which}.name", "Name already set, should be cleared before setting inferFromVolume"),
        (f"{_type} provides Kind and InferFromVolume", _which, {"kind": "foo", "inferFromVolume": "bar"},
         f"spec.{_which}.kind", "Kind already set, should be cleared before setting inferFromVolume"),
        (f"{_type} provides invalid value to InferFromVolumeFailurePolicy", _which,
         {"inferFromVolume": "bar", "inferFromVolumeFailurePolicy": "not-valid"},
         f"spec.{_which}.inferFromVolumeFailurePolicy", "Invalid value 'not-valid' for InferFromVolumeFailurePolicy"),
    ]


@pytest.mark.parametrize(("which", "matcher", "field", "message"), [e[1:] for e in FAIL_CASES],
                         ids=[e[0] for e in FAIL_CASES])
def test_matcher_validation_fails(which: str, matcher: Obj, field: str, message: str) -> None:
    # vm-mutator_test.go Context("failure tests") DescribeTable("should fail if") Entry(<id>)
    vm = base_vm()
    vm["spec"][which] = matcher
    found = validate_matchers(vm)
    assert len(found) == 1
    assert (found[0].field, found[0].message) == (field, message)
