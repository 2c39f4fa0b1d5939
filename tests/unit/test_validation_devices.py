"""The device, storage and migration checks of the VMI spec validation (validation_devices.py)."""

from __future__ import annotations

import pytest

from vmctl.core import validation_devices as vd
from vmctl.core.defaults import DEFAULT_CLUSTER, LOCAL_CLUSTER, ClusterConfig
from vmctl.core.validation import validate_vmi_create


@pytest.mark.parametrize(("path", "cleaned"), [
    ("a/b", "/a/b"), ("/a/../b", "/b"), ("/..", "/"), ("//x//y/", "/x/y"), (".", "/"), ("/a/./b/..", "/a"),
])
def test_clean_rooted_is_gos_join_with_root(path: str, cleaned: str) -> None:
    assert vd.clean_rooted(path) == cleaned


@pytest.mark.parametrize(("path", "problem"), [
    ("/disk/image", None), ("/disk/", None), ("//", None), ("/", "must not point to root"),
    ("disk", "must be an absolute path"), ("/disk//", "must be an absolute path"), ("/a/../b", "must be an absolute"),
])
def test_container_disk_path(path: str, problem: str | None) -> None:
    spec = {"volumes": [{"name": "cd", "containerDisk": {"image": "i", "path": path}}]}
    causes = vd.container_disk_paths("spec", spec)
    assert [c.field for c in causes] == ([] if problem is None else ["spec.volumes[0].containerDisk"])
    assert problem is None or problem in causes[0].message


def test_eviction_strategy_falls_back_to_the_cluster() -> None:
    assert vd.live_migration("spec", {}, DEFAULT_CLUSTER) == []
    assert vd.live_migration("spec", {"evictionStrategy": "External"}, DEFAULT_CLUSTER) == []
    [cause] = vd.live_migration("spec", {"evictionStrategy": "Migrate"}, DEFAULT_CLUSTER)
    assert cause.message == "spec.evictionStrategy is set with an unrecognized option: Migrate"


def test_two_ramfb_displays_are_refused_one_disabled_is_not() -> None:
    gpu = {"name": "g", "deviceName": "d", "virtualGPUOptions": {"display": {}}}
    off = {**gpu, "virtualGPUOptions": {"display": {"ramFB": {"enabled": False}}}}
    assert vd.mdev_ramfb("spec", {"domain": {"devices": {"gpus": [gpu, off]}}}) == []
    assert [c.field for c in vd.mdev_ramfb("spec", {"domain": {"devices": {"gpus": [gpu, gpu]}}})] == ["spec.GPUs"]


def _vmi(**devices: object) -> dict:
    return {"architecture": "amd64", "domain": {"memory": {"guest": "1Gi"}, "devices": devices},
            "volumes": [{"name": "data", "persistentVolumeClaim": {"claimName": "c"}}]}


@pytest.mark.parametrize(("devices", "gate", "message"), [
    ({"disks": [{"name": "data", "lun": {"reservation": True}}]}, "PersistentReservation",
     "persistent reservation is not enabled in kubevirt config"),
    ({"filesystems": [{"name": "data", "virtiofs": {}}]}, "EnableVirtioFsStorageVolumes",
     "virtiofs is not allowed: virtiofs feature gate is not enabled for PVC"),
])
def test_feature_gates_refuse_by_default(devices: dict, gate: str, message: str) -> None:
    spec = _vmi(**devices)
    assert [c.message for c in validate_vmi_create(spec, DEFAULT_CLUSTER)] == [message]
    assert [c.message for c in validate_vmi_create(spec, LOCAL_CLUSTER)] == [message]
    assert validate_vmi_create(spec, ClusterConfig(feature_gates=frozenset({gate}))) == []


def test_utility_volumes_are_reported_by_both_vmi_validators() -> None:
    spec = {**_vmi(disks=[{"name": "data"}]), "utilityVolumes": [{"name": "u", "claimName": "c"}]}
    assert [c.field for c in validate_vmi_create(spec)] == ["spec.utilityVolumes", "spec.utilityVolumes"]


def test_disk_settings_in_kubevirts_order() -> None:
    disk = {"name": "Disk.A", "serial": "a b", "cache": "none2", "io": "x", "errorPolicy": "x",
            "disk": {"bus": "sata", "pciAddress": "1"}, "blockSize": {"custom": {"logical": 700, "physical": 700}}}
    spec = {**_vmi(disks=[disk]), "volumes": [{"name": "Disk.A", "emptyDisk": {"capacity": "1Gi"}}]}
    fields = [c.field for c in validate_vmi_create(spec)]
    base, doubled = "spec.domain.devices.disks[0]", "spec.domain.devices.disks.domain.devices.disks"
    once = [f"{doubled}.disk[0].pciAddress"] * 2 + [f"{base}.serial", f"{base}.cache", f"{doubled}[0].io",
                                                    f"{base}.errorPolicy", f"{doubled}[0].name",
                                                    f"{base}.blockSize.custom.logical"]
    assert fields == once + once  # the storage spec validator, then the domain spec's disk checks


@pytest.mark.parametrize(("custom", "problem"), [
    ({"logical": 512, "physical": 4096}, None), ({"logical": 4096, "physical": 512}, "must be the same or less"),
    ({"logical": 512, "physical": 4096, "discardGranularity": 100}, "must be multiples of logical size 512"),
    ({"logical": 256, "physical": 4194304}, "less than the supported minimum"), ({"logical": 1000, "physical": 1024},
                                                                                "is not a power of 2"),
])
def test_custom_block_size(custom: dict, problem: str | None) -> None:
    causes = vd.disk_settings("d", 0, {"name": "a", "blockSize": {"custom": custom}})
    assert (causes == []) if problem is None else (problem in causes[0].message)


def test_firmware_acpi_bootloader_and_kernel_boot() -> None:
    spec = {"domain": {"firmware": {"acpi": {"slicNameRef": "slic", "msdmNameRef": "gone"}}},
            "volumes": [{"name": "slic", "configMap": {"name": "c"}}]}
    assert [(c.field, c.message) for c in vd.firmware_acpi("spec", spec)] == [
        ("spec.acpi.slicNameRef", "spec.acpi refers to Volume of unsupported type."),
        ("spec.acpi.msdmNameRef", "spec.acpi does not have a matching Volume.")]
    domain = {"firmware": {"bootloader": {"efi": {}, "bios": {}},
                           "kernelBoot": {"container": {"image": "i", "kernelPath": "boot/k", "initrdPath": "/"}}}}
    assert [c.field for c in vd.firmware("spec.domain", domain)] == [
        "spec.domain.firmware.bootloader", "spec.domain.firmware.kernelBoot.container.kernelPath",
        "spec.domain.firmware.kernelBoot.container.initrdPath"]


def test_a_rejection_lists_ten_causes_like_the_api_server() -> None:
    from vmctl.core.pipeline import rejection
    from vmctl.errors import FieldProblem

    refused = rejection([FieldProblem(f"f{i}", f"m{i}") for i in range(12)])
    assert len(refused.causes) == 10 and str(refused.message).endswith("m9, and 2 more validation errors")
