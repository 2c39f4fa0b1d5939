"""The VM → VMI pipeline: golden result, stage order, rejections, expand, origins, properties."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from vmctl.catalog import load_catalog
from vmctl.core.defaults import legacy_firmware_uuid
from vmctl.core.fields import clone
from vmctl.core.goshape import go_json
from vmctl.core.origin import flatten
from vmctl.core.pipeline import MemoSource, expand_vm, problems, resolve
from vmctl.errors import FieldProblem, NotFoundError, ObjectRejected, VmctlError

UUID_WEB1 = legacy_firmware_uuid("web1")


def make_vm(
    name: str = "web1",
    instancetype: str | None = "u1.medium",
    preference: str | None = "fedora",
    domain: dict[str, Any] | None = None,
    labels: dict[str, str] | None = None,
    **meta: Any,
) -> dict[str, Any]:
    spec: dict[str, Any] = {"runStrategy": "Always"}
    if instancetype:
        spec["instancetype"] = {"name": instancetype}
    if preference:
        spec["preference"] = {"name": preference}
    spec["template"] = {
        "metadata": {"labels": labels if labels is not None else {"app": "web"}},
        "spec": {
            "domain": domain if domain is not None else {"devices": {}},
            "volumes": [
                {"name": "rootdisk", "containerDisk": {"image": "quay.io/containerdisks/fedora:40"}},
                {"name": "cloudinit", "cloudInitNoCloud": {"userData": "#cloud-config\n"}},
            ],
        },
    }
    return {"apiVersion": "kubevirt.io/v1", "kind": "VirtualMachine", "metadata": {"name": name, **meta}, "spec": spec}


@pytest.fixture(scope="module")
def catalog() -> MemoSource:
    return MemoSource(load_catalog())


def source_with(*docs: dict[str, Any]) -> MemoSource:
    return MemoSource(load_catalog(list(docs)))


def preference_doc(name: str, spec: dict[str, Any]) -> dict[str, Any]:
    return {"apiVersion": "instancetype.kubevirt.io/v1beta1", "kind": "VirtualMachineClusterPreference",
            "metadata": {"name": name}, "spec": spec}


def instancetype_doc(name: str, spec: dict[str, Any]) -> dict[str, Any]:
    return {"apiVersion": "instancetype.kubevirt.io/v1beta1", "kind": "VirtualMachineClusterInstancetype",
            "metadata": {"name": name}, "spec": spec}


GOLDEN = {
    "apiVersion": "kubevirt.io/v1",
    "kind": "VirtualMachineInstance",
    "metadata": {
        "annotations": {
            "kubevirt.io/cluster-instancetype-name": "u1.medium",
            "kubevirt.io/cluster-preference-name": "fedora",
            "kubevirt.io/pci-topology-version": "v3",
            "kubevirt.io/vm-generation": "1",
            "vm.kubevirt.io/os": "linux",
        },
        "finalizers": ["kubevirt.io/virtualMachineControllerFinalize", "kubevirt.io/foregroundDeleteVirtualMachine"],
        "labels": {"app": "web"},
        "name": "web1",
        "namespace": "default",
        "ownerReferences": [{"apiVersion": "kubevirt.io/v1", "blockOwnerDeletion": True, "controller": True,
                             "kind": "VirtualMachine", "name": "web1", "uid": ""}],
    },
    "spec": {
        "architecture": "amd64",
        "domain": {
            "cpu": {"cores": 1, "maxSockets": 4, "model": "host-model", "sockets": 1, "threads": 1},
            "devices": {
                "disks": [{"disk": {"bus": "virtio"}, "name": "rootdisk"},
                          {"disk": {"bus": "virtio"}, "name": "cloudinit"}],
                "interfaces": [{"bridge": {}, "model": "virtio", "name": "default"}],
                "rng": {},
            },
            "features": {"acpi": {"enabled": True}, "smm": {"enabled": True}},
            "firmware": {"bootloader": {"efi": {"secureBoot": True}}, "uuid": UUID_WEB1},
            "machine": {"type": "q35"},
            "memory": {"guest": "4Gi", "maxGuest": "16Gi"},
            "resources": {},
        },
        "evictionStrategy": "None",
        "networks": [{"name": "default", "pod": {}}],
        "volumes": [
            {"containerDisk": {"image": "quay.io/containerdisks/fedora:40", "imagePullPolicy": "IfNotPresent"},
             "name": "rootdisk"},
            {"cloudInitNoCloud": {"userData": "#cloud-config\n"}, "name": "cloudinit"},
        ],
    },
    "status": {  # as KubeVirt's own code gives for this input (differential oracle, commit d923fdb815)
        "currentCPUTopology": {"cores": 1, "sockets": 1, "threads": 1},
        "guestOSInfo": {},
        "virtualMachineRevisionName": "revision-start-vm--1",
        "memory": {"guestAtBoot": "4Gi", "guestCurrent": "4Gi", "guestRequested": "4Gi"},
        "phase": "Pending",
        "runtimeUser": 107,
    },
}


def test_golden_u1_medium_fedora(catalog: MemoSource) -> None:
    result = resolve(make_vm(), catalog)
    got = result.obj
    for section in ("metadata", "status"):
        assert got[section] == GOLDEN[section], section
    for key in GOLDEN["spec"]:
        assert got["spec"][key] == GOLDEN["spec"][key], key
    assert got == GOLDEN
    assert result.warnings == []


def test_uid_and_generation_reach_owner_ref_and_revision(catalog: MemoSource) -> None:
    got = resolve(make_vm(uid="1234", generation=3), catalog).obj
    assert got["metadata"]["ownerReferences"][0]["uid"] == "1234"
    assert got["metadata"]["annotations"]["kubevirt.io/vm-generation"] == "3"
    assert got["status"]["virtualMachineRevisionName"] == "revision-start-vm-1234-3"
    plain = resolve(make_vm(), catalog).obj
    assert plain["status"]["virtualMachineRevisionName"] == "revision-start-vm--1"
    assert plain["metadata"]["ownerReferences"][0]["uid"] == ""  # KubeVirt's code with that input: no invented uid


def test_input_is_not_modified(catalog: MemoSource) -> None:
    vm = make_vm()
    before = clone(vm)
    resolve(vm, catalog)
    expand_vm(vm, catalog)
    assert vm == before


def test_origins_name_each_stage(catalog: MemoSource) -> None:
    result = resolve(make_vm(), catalog)
    origins = result.origins
    assert origins["spec.domain.cpu.sockets"] == "instancetype/u1.medium"
    assert origins["spec.domain.memory.guest"] == "instancetype/u1.medium"
    assert origins["spec.domain.devices.disks[0].disk.bus"] == "preference/fedora"
    assert origins["spec.architecture"] == "preference/fedora"
    assert origins["metadata.annotations.vm.kubevirt.io/os"] == "preference/fedora"
    assert origins["metadata.annotations.kubevirt.io/cluster-instancetype-name"] == "instancetype/u1.medium"
    assert origins["metadata.annotations.kubevirt.io/cluster-preference-name"] == "preference/fedora"
    assert origins["metadata.labels.app"] == "vm"
    assert origins["metadata.name"] == "vm"
    assert origins["metadata.namespace"] == "default"  # the VM stated none
    assert resolve(make_vm(namespace="dev"), catalog).origins["metadata.namespace"] == "vm"
    assert origins["spec.volumes[0].containerDisk.image"] == "vm"
    assert origins["spec.volumes[0].containerDisk.imagePullPolicy"] == "default"
    assert origins["spec.domain.machine.type"] == "default"
    assert origins["status.phase"] == "default"
    assert set(origins) == set(flatten(result.obj))  # every leaf has exactly one origin


def test_origins_of_a_preset() -> None:
    preset = {"apiVersion": "kubevirt.io/v1", "kind": "VirtualMachineInstancePreset", "metadata": {"name": "wd"},
              "spec": {"selector": {"matchLabels": {"app": "web"}}, "domain": {"devices": {"watchdog": {"name": "w"}}}}}
    result = resolve(make_vm(), source_with(preset))
    assert result.origins["spec.domain.devices.watchdog.name"] == "preset/wd"
    assert result.origins["spec.domain.devices.watchdog.i6300esb.action"] == "default"
    assert result.obj["metadata"]["annotations"]["virtualmachinepreset.kubevirt.io/wd"] == "kubevirt.io/v1"
    assert result.warnings == ["kubevirt.io/v1 VirtualMachineInstancePresets is now deprecated and will be removed in v2."]


def test_presets_run_after_the_instancetype() -> None:
    preset = {"apiVersion": "kubevirt.io/v1", "kind": "VirtualMachineInstancePreset", "metadata": {"name": "big"},
              "spec": {"selector": {"matchLabels": {"app": "web"}}, "domain": {"cpu": {"cores": 4}}}}
    result = resolve(make_vm(), source_with(preset))
    assert result.obj["spec"]["domain"]["cpu"]["cores"] == 1  # the instancetype already set cpu
    assert "virtualmachinepreset.kubevirt.io/big" not in result.obj["metadata"]["annotations"]
    assert result.warnings[0].startswith("Unable to apply VirtualMachineInstancePreset 'big': spec.cpu:")


def test_autoattach_preference_runs_before_default_network_but_not_in_expand() -> None:
    pref = preference_doc("nopod", {"devices": {"preferredAutoattachPodInterface": False}})
    source = source_with(pref)
    vmi = resolve(make_vm(preference="nopod"), source).obj
    assert "networks" not in vmi["spec"]
    assert "interfaces" not in vmi["spec"]["domain"]["devices"]
    assert vmi["spec"]["domain"]["devices"]["autoattachPodInterface"] is False
    expanded = expand_vm(make_vm(preference="nopod"), source).obj["spec"]["template"]["spec"]
    assert expanded["networks"] == [{"name": "default", "pod": {}}]
    assert expanded["domain"]["devices"]["interfaces"] == [{"bridge": {}, "name": "default"}]
    assert expanded["domain"]["devices"]["autoattachPodInterface"] is False


def test_autoattach_input_device_gets_preferred_bus() -> None:
    pref = preference_doc("tablet", {"devices": {"preferredAutoattachInputDevice": True, "preferredInputBus": "virtio"}})
    vmi = resolve(make_vm(preference="tablet"), source_with(pref)).obj
    assert vmi["spec"]["domain"]["devices"]["inputs"] == [{"bus": "virtio", "name": "default-0", "type": "tablet"}]


def test_preferred_architecture_and_machine_type_reach_the_vmi() -> None:
    pref = preference_doc("old", {"machine": {"preferredMachineType": "pc-q35-rhel8.6.0"}})
    vmi = resolve(make_vm(preference="old"), source_with(pref)).obj
    assert vmi["spec"]["domain"]["machine"] == {"type": "pc-q35-rhel8.6.0"}


def test_conflict_rejects_at_vm_admission(catalog: MemoSource) -> None:
    vm = make_vm(domain={"cpu": {"sockets": 2}, "memory": {"guest": "1Gi"}})
    with pytest.raises(ObjectRejected) as exc:
        resolve(vm, catalog)
    assert exc.value.message == (
        "VM field(s) spec.template.spec.domain.cpu.sockets conflicts with selected instance type, "
        "VM field(s) spec.template.spec.domain.memory.guest conflicts with selected instance type"
    )
    assert exc.value.causes == [
        FieldProblem("spec.template.spec.domain.cpu.sockets",
                     "VM field(s) spec.template.spec.domain.cpu.sockets conflicts with selected instance type"),
        FieldProblem("spec.template.spec.domain.memory.guest",
                     "VM field(s) spec.template.spec.domain.memory.guest conflicts with selected instance type"),
    ]


def test_expand_conflict_text(catalog: MemoSource) -> None:
    vm = make_vm(domain={"cpu": {"sockets": 2}, "memory": {"guest": "1Gi"}})
    with pytest.raises(ObjectRejected) as exc:
        expand_vm(vm, catalog)
    assert exc.value.message == (
        "VM field(s) spec.template.spec.domain.cpu.sockets, spec.template.spec.domain.memory.guest "
        "conflicts with selected instance type"
    )


def test_not_found(catalog: MemoSource) -> None:
    # the VM webhooks admit a VM whose instancetype is missing; the VM controller then fails on it
    with pytest.raises(NotFoundError) as exc:
        resolve(make_vm(instancetype="u1.nope", preference=None, domain={"memory": {"guest": "1Gi"}}), catalog)
    assert exc.value.message == 'virtualmachineclusterinstancetypes.instancetype.kubevirt.io "u1.nope" not found'
    # ... but they check the VM without it: here fedora's requirements fail first (KubeVirt's code does the same)
    with pytest.raises(ObjectRejected, match="insufficient Memory resources of 0 provided by VirtualMachine"):
        resolve(make_vm(instancetype="u1.nope"), catalog)


def test_requirements_checked_after_defaults(catalog: MemoSource) -> None:
    with pytest.raises(ObjectRejected) as exc:
        resolve(make_vm(instancetype="u1.nano"), catalog)
    assert exc.value.causes == [FieldProblem(
        "spec.instancetype",
        "failure checking preference requirements: insufficient Memory resources of 512Mi provided by instance "
        "type, preference requires 2Gi",
        "FieldValueNotFound",
    )]


def test_spread_topology_rejected() -> None:
    source = source_with(instancetype_doc("three", {"cpu": {"guest": 3}, "memory": {"guest": "1Gi"}}),
                         preference_doc("spread", {"cpu": {"preferredCPUTopology": "spread"}}))
    with pytest.raises(ObjectRejected) as exc:
        resolve(make_vm(instancetype="three", preference="spread"), source)
    assert exc.value.message == (
        "3 vCPUs provided by the instance type are not divisible by the Spec.PreferSpreadSocketToCoreRatio or "
        "Spec.CPU.PreferSpreadOptions.Ratio of 2 provided by the preference"
    )


def test_matcher_problems(catalog: MemoSource) -> None:
    vm = make_vm()
    vm["spec"]["instancetype"] = {}
    with pytest.raises(ObjectRejected) as exc:
        resolve(vm, catalog)
    assert exc.value.message == "Either Name or InferFromVolume should be provided within the InstancetypeMatcher"
    assert problems(vm, catalog)[0].field == "spec.instancetype"


def test_problems_lists_both_missing_objects(catalog: MemoSource) -> None:
    found = problems(make_vm(instancetype="u1.nope", preference="nope"), catalog)
    assert [p.field for p in found] == ["spec.instancetype.name", "spec.preference.name"]
    assert problems(make_vm(), catalog) == []


def test_vm_without_instancetype_gets_plain_defaults(catalog: MemoSource) -> None:
    vm = make_vm(instancetype=None, preference=None,
                 domain={"resources": {"requests": {"memory": "2048Mi", "cpu": 2}}, "devices": {}})
    vmi = resolve(vm, catalog).obj
    assert vmi["spec"]["domain"]["resources"] == {"requests": {"cpu": "2", "memory": "2Gi"}}  # Go's canonical text
    assert vmi["spec"]["domain"]["memory"] == {"guest": "2Gi", "maxGuest": "8Gi"}
    assert vmi["spec"]["domain"]["cpu"]["sockets"] == 2
    assert vmi["spec"]["domain"]["devices"]["disks"][0] == {"disk": {"bus": "sata"}, "name": "rootdisk"}
    assert "kubevirt.io/cluster-instancetype-name" not in vmi["metadata"]["annotations"]


def test_namespaced_kinds_and_namespace(catalog: MemoSource) -> None:
    it = {"apiVersion": "instancetype.kubevirt.io/v1beta1", "kind": "VirtualMachineInstancetype",
          "metadata": {"name": "mine", "namespace": "dev"}, "spec": {"cpu": {"guest": 2}, "memory": {"guest": "2Gi"}}}
    vm = make_vm(instancetype=None, preference=None, namespace="dev")
    vm["spec"]["instancetype"] = {"name": "mine", "kind": "VirtualMachineInstancetype"}
    vmi = resolve(vm, source_with(it)).obj
    assert vmi["metadata"]["namespace"] == "dev"
    assert vmi["metadata"]["annotations"]["kubevirt.io/instancetype-name"] == "mine"
    assert vmi["spec"]["domain"]["cpu"]["sockets"] == 2
    with pytest.raises(VmctlError, match='does not match the namespace "prod"'):
        resolve(vm, catalog, namespace="prod")


def test_vmi_input_gets_presets_and_defaults(catalog: MemoSource) -> None:
    vmi = {"apiVersion": "kubevirt.io/v1", "kind": "VirtualMachineInstance", "metadata": {"name": "v"},
           "spec": {"domain": {"resources": {"requests": {"memory": "1Gi"}}}}}
    result = resolve(vmi, catalog)
    assert result.obj["spec"]["domain"]["memory"]["guest"] == "1Gi"
    assert result.obj["spec"]["domain"]["firmware"]["uuid"] == legacy_firmware_uuid("v")
    assert result.obj["metadata"]["finalizers"] == ["kubevirt.io/foregroundDeleteVirtualMachine"]
    assert result.origins["spec.domain.resources.requests.memory"] == "vmi"


def test_expand_golden(catalog: MemoSource) -> None:
    out = expand_vm(make_vm(), catalog).obj
    assert "instancetype" not in out["spec"] and "preference" not in out["spec"]
    assert out["spec"]["template"] == {
        "metadata": {"annotations": {"vm.kubevirt.io/os": "linux"}, "labels": {"app": "web"}},
        "spec": {
            "architecture": "amd64",
            "domain": {
                "cpu": {"cores": 1, "sockets": 1, "threads": 1},
                "devices": {"disks": [{"disk": {"bus": "virtio"}, "name": "rootdisk"},
                                      {"disk": {"bus": "virtio"}, "name": "cloudinit"}],
                            "interfaces": [{"bridge": {}, "model": "virtio", "name": "default"}], "rng": {}},
                "features": {"acpi": {}, "smm": {}},  # acpi is a non-pointer struct: Go always writes it
                "firmware": {"bootloader": {"efi": {"secureBoot": True}}},
                "machine": {"type": "q35"},
                "memory": {"guest": "4Gi"},
                "resources": {},
            },
            "evictionStrategy": "None",
            "networks": [{"name": "default", "pod": {}}],
            "volumes": [
                {"containerDisk": {"image": "quay.io/containerdisks/fedora:40", "imagePullPolicy": "IfNotPresent"},
                 "name": "rootdisk"},
                {"cloudInitNoCloud": {"userData": "#cloud-config\n"}, "name": "cloudinit"},
            ],
        },
    }


def test_expand_without_matchers_returns_vm_unchanged(catalog: MemoSource) -> None:
    vm = make_vm(instancetype=None, preference=None)
    vm["metadata"]["namespace"] = "default"  # expand-spec sets the request namespace
    assert expand_vm(vm, catalog).obj == go_json(vm, "v1.VirtualMachine")


# --- properties ---------------------------------------------------------------------------------------

INSTANCETYPES = ["u1.small", "u1.medium", "u1.large", "cx1.medium", "o1.large", "m1.large", None]
PREFERENCES = ["fedora", "ubuntu", "windows.2k22", "centos.stream9", "cirros", None]


@st.composite
def vms(draw: st.DrawFn) -> dict[str, Any]:
    it = draw(st.sampled_from(INSTANCETYPES))
    pref = draw(st.sampled_from(PREFERENCES))
    domain: dict[str, Any] = {"devices": {}}
    if it is None:
        domain["resources"] = {"requests": {"memory": draw(st.sampled_from(["1Gi", "2Gi", "3072Mi", "4G"]))}}
        if draw(st.booleans()):
            domain["cpu"] = {"cores": draw(st.integers(1, 4))}
    if draw(st.booleans()):
        domain["devices"]["disks"] = [{"name": "rootdisk", "cdrom": {}}]
    labels = draw(st.dictionaries(st.sampled_from(["app", "tier", "env"]), st.sampled_from(["a", "b"]), max_size=2))
    name = draw(st.from_regex(r"[a-z][a-z0-9-]{0,10}[a-z0-9]", fullmatch=True))
    return make_vm(name=name, instancetype=it, preference=pref, domain=domain, labels=labels)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(vm=vms())
def test_resolve_is_deterministic_and_idempotent(catalog: MemoSource, vm: dict[str, Any]) -> None:
    try:
        first = resolve(vm, catalog)
    except ObjectRejected:
        assume(False)
        return
    second = resolve(vm, catalog)
    assert first.obj == second.obj
    assert first.origins == second.origins
    again = resolve(first.obj, catalog, origins=False)
    assert again.obj == first.obj
