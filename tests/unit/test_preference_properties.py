"""Properties of the appliers, checked with hypothesis and with the real common-instancetypes v1.7.0 bundles."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vmctl.core.apply import apply_to_vmi
from vmctl.core.fields import canonical_json, clone
from vmctl.core.instancetype import validate_spec as validate_instancetype
from vmctl.core.preference import apply_preference, check_spread_topology
from vmctl.core.preference import validate_spec as validate_preference
from vmctl.core.quantity import parse_quantity
from vmctl.core.requirements import check_requirements
from vmctl.io.yamlio import parse_documents

BUNDLES = "common-instancetypes/common-cluster{}-bundle-v1.7.0.yaml"


def load(shared: Path, what: str) -> dict[str, dict]:
    text = (shared / BUNDLES.format(what)).read_text()
    return {d.obj["metadata"]["name"]: d.obj for d in parse_documents(text, what) if d.obj}


def sample_vmi() -> dict:
    return {
        "domain": {
            "devices": {
                "disks": [{"name": "root"}, {"name": "cd", "cdrom": {}}, {"name": "lun", "lun": {}}],
                "interfaces": [{"name": "default"}],
                "inputs": [{"name": "tablet"}],
                "sound": {"name": "audio"},
            },
        },
        "networks": [{"name": "default", "pod": {}}],
        "volumes": [{"name": "root", "containerDisk": {"image": "quay.io/containerdisks/fedora:41"}}],
    }


booleans = st.one_of(st.none(), st.booleans())
preferences = st.fixed_dictionaries({}, optional={
    "devices": st.fixed_dictionaries({}, optional={
        "preferredDiskBus": st.sampled_from(["virtio", "sata", "scsi", ""]),
        "preferredDiskDedicatedIoThread": booleans,
        "preferredDiskCache": st.sampled_from(["none", "writeback"]),
        "preferredInterfaceModel": st.sampled_from(["virtio", "e1000e"]),
        "preferredInterfaceMasquerade": st.just({}),
        "preferredDisableHotplug": booleans,
        "preferredRng": st.just({}),
        "preferredTPM": st.just({"persistent": True}),
        "preferredAutoattachPodInterface": booleans,
        "preferredInputBus": st.sampled_from(["usb", "virtio"]),
        "preferredPanicDeviceModel": st.sampled_from(["hyperv", "isa"]),
        "preferredVideoType": st.sampled_from(["virtio", "vga"]),
        "preferredSoundModel": st.sampled_from(["ich9", "ac97"]),
        "preferredCdromBus": st.sampled_from(["sata", "scsi"]),
        "preferredLunBus": st.sampled_from(["scsi"]),
    }),
    "features": st.fixed_dictionaries({}, optional={
        "preferredAcpi": st.fixed_dictionaries({}, optional={"enabled": st.booleans()}),
        "preferredSmm": st.just({}),
        "preferredHyperv": st.fixed_dictionaries({}, optional={"relaxed": st.just({}), "spinlocks": st.just({"spinlocks": 8191})}),
    }),
    "firmware": st.fixed_dictionaries({}, optional={
        "preferredUseBios": booleans, "preferredUseBiosSerial": booleans, "preferredUseEfi": booleans,
        "preferredUseSecureBoot": booleans, "preferredEfi": st.fixed_dictionaries({}, optional={"secureBoot": st.booleans()}),
    }),
    "clock": st.fixed_dictionaries({}, optional={"preferredClockOffset": st.just({"utc": {}}),
                                                 "preferredTimer": st.just({"hpet": {"present": False}})}),
    "cpu": st.fixed_dictionaries({}, optional={"preferredCPUFeatures": st.just([{"name": "pcid"}, {"name": "vmx"}])}),
    "machine": st.just({"preferredMachineType": "q35"}),
    "preferredSubdomain": st.just("sub"),
    "preferredTerminationGracePeriodSeconds": st.integers(min_value=0, max_value=3600),
    "preferredArchitecture": st.sampled_from(["amd64", "arm64"]),
    "annotations": st.just({"vm.kubevirt.io/os": "linux"}),
})


@given(preferences)
@settings(max_examples=200)
def test_applying_a_preference_twice_changes_nothing(preference):
    firmware = preference.get("firmware", {})
    if "preferredEfi" in firmware and firmware.get("preferredUseSecureBoot") is not None:
        return  # KubeVirt quirk, see test_efi_with_deprecated_secure_boot_is_not_idempotent
    vmi, metadata = sample_vmi(), {}
    apply_preference(preference, vmi, metadata)
    once = canonical_json([vmi, metadata])
    apply_preference(preference, vmi, metadata)
    assert canonical_json([vmi, metadata]) == once


def test_efi_with_deprecated_secure_boot_is_not_idempotent():
    # preferredEfi returns early the first time; a second pass finds the EFI and fills secureBoot (as KubeVirt does)
    preference = {"firmware": {"preferredEfi": {}, "preferredUseSecureBoot": False}}
    vmi: dict = {"domain": {}}
    apply_preference(preference, vmi, {})
    assert vmi["domain"]["firmware"] == {"bootloader": {"efi": {}}}
    apply_preference(preference, vmi, {})
    assert vmi["domain"]["firmware"] == {"bootloader": {"efi": {"secureBoot": False}}}


@given(preferences)
@settings(max_examples=200)
def test_preference_never_mutates_itself(preference):
    before = canonical_json(preference)
    vmi = sample_vmi()
    apply_preference(preference, vmi, {})
    # mutate everything that was written: the preference must not share objects with the VMI
    for device in vmi["domain"]["devices"].get("interfaces", []):
        device.get("masquerade", {})["x"] = 1
    vmi["domain"].get("features", {}).get("hyperv", {}).get("spinlocks", {})["x"] = 1
    assert canonical_json(preference) == before


@given(preferences)
@settings(max_examples=200)
def test_second_preference_never_overrides_the_first_except_hotplug_and_acpi(preference):
    first = {"devices": {"preferredDiskBus": "scsi", "preferredInterfaceModel": "rtl8139", "preferredRng": {"x": 1},
                         "preferredTPM": {}, "preferredAutoattachPodInterface": True, "preferredInputBus": "usb",
                         "preferredVideoType": "bochs", "preferredPanicDeviceModel": "pvpanic", "preferredSoundModel": "x",
                         "preferredCdromBus": "usb", "preferredLunBus": "usb", "preferredDiskCache": "writethrough"},
             "machine": {"preferredMachineType": "pc"}, "preferredSubdomain": "first",
             "preferredTerminationGracePeriodSeconds": 5, "preferredArchitecture": "s390x",
             "clock": {"preferredClockOffset": {"timezone": "UTC"}, "preferredTimer": {}},
             "firmware": {"preferredUseBios": True, "preferredUseBiosSerial": False},
             "annotations": {"vm.kubevirt.io/os": "first"}}
    vmi, metadata = sample_vmi(), {}
    apply_preference(first, vmi, metadata)
    expected = clone([vmi, metadata])
    apply_preference(preference, vmi, metadata)
    devices = preference.get("devices", {})
    if devices.get("preferredDisableHotplug") is not None:
        expected[0]["domain"]["devices"].pop("disableHotplug", None)
        vmi["domain"]["devices"].pop("disableHotplug", None)
    for name in ("features", "cpu"):
        expected[0]["domain"].pop(name, None)
        vmi["domain"].pop(name, None)
    for disk in vmi["domain"]["devices"]["disks"]:
        disk.pop("dedicatedIOThread", None)
    for disk in expected[0]["domain"]["devices"]["disks"]:
        disk.pop("dedicatedIOThread", None)
    for target in (vmi, expected[0]):
        for disk in target["domain"]["devices"]["disks"]:
            disk.pop("blockSize", None)
            disk.pop("io", None)
        for iface in target["domain"]["devices"]["interfaces"]:
            iface.pop("masquerade", None)
        target["domain"]["devices"].pop("useVirtioTransitional", None)
    assert canonical_json([vmi, metadata]) == canonical_json(expected)


_CACHE: dict[Path, tuple[dict, dict]] = {}


@pytest.fixture
def bundles(shared_kubevirt):
    if shared_kubevirt not in _CACHE:
        _CACHE[shared_kubevirt] = load(shared_kubevirt, "instancetypes"), load(shared_kubevirt, "preferences")
    return _CACHE[shared_kubevirt]


def test_every_bundled_object_passes_validation(bundles):
    instancetypes, preferences = bundles
    assert len(instancetypes) == 65 and len(preferences) == 54
    for obj in instancetypes.values():
        assert validate_instancetype(obj["spec"]) == [], obj["metadata"]["name"]
    for obj in preferences.values():
        assert [p for p in validate_preference(obj["spec"]) if p.reason != "Warning"] == [], obj["metadata"]["name"]


def test_every_bundled_pair_applies_without_conflict(bundles):
    instancetypes, preferences = bundles
    for it_name, instancetype in instancetypes.items():
        for pref_name, preference in preferences.items():
            spec = instancetype["spec"]
            if check_spread_topology(spec, preference["spec"]) is not None:
                continue
            vmi, metadata = sample_vmi(), {}
            assert apply_to_vmi("spec", spec, preference["spec"], vmi, metadata) == [], (it_name, pref_name)
            cpu = vmi["domain"]["cpu"]
            assert cpu["sockets"] * cpu["cores"] * cpu["threads"] == spec["cpu"]["guest"], (it_name, pref_name)
            assert parse_quantity(vmi["domain"]["memory"]["guest"]) == parse_quantity(spec["memory"]["guest"])


def test_o1_medium_with_fedora(bundles):
    instancetypes, preferences = bundles
    vmi, metadata = sample_vmi(), {}
    assert apply_to_vmi("spec", instancetypes["o1.medium"]["spec"], preferences["fedora"]["spec"], vmi, metadata) == []
    domain = vmi["domain"]
    assert domain["cpu"] == {"sockets": 1, "cores": 1, "threads": 1}
    assert domain["memory"] == {"guest": "4Gi"}
    assert domain["resources"] == {"requests": {"memory": "2Gi"}}
    assert domain["devices"]["disks"][0] == {"name": "root", "disk": {"bus": "virtio"}}
    assert domain["devices"]["interfaces"] == [{"name": "default", "model": "virtio"}]
    assert domain["devices"]["rng"] == {}
    assert domain["features"] == {"smm": {}}
    assert domain["firmware"] == {"bootloader": {"efi": {"secureBoot": True}}}
    assert vmi["architecture"] == "amd64"
    assert metadata["annotations"]["vm.kubevirt.io/os"] == "linux"


def test_cx1_large_with_windows_2k22(bundles):
    instancetypes, preferences = bundles
    vmi, metadata = sample_vmi(), {}
    assert apply_to_vmi("spec", instancetypes["cx1.large"]["spec"], preferences["windows.2k22"]["spec"], vmi, metadata) == []
    domain = vmi["domain"]
    assert domain["cpu"] == {"sockets": 2, "cores": 1, "threads": 1, "dedicatedCpuPlacement": True,
                             "isolateEmulatorThread": True, "numa": {"guestMappingPassthrough": {}}, "maxSockets": 2}
    assert domain["memory"] == {"guest": "4Gi", "hugepages": {"pageSize": "2Mi"}}
    assert domain["ioThreadsPolicy"] == "auto"
    assert domain["devices"]["tpm"] == {"persistent": True}
    assert domain["devices"]["autoattachInputDevice"] is True
    assert domain["features"]["hyperv"]["spinlocks"] == {"spinlocks": 8191}
    assert domain["clock"]["utc"] == {}
    assert vmi["terminationGracePeriodSeconds"] == 3600


def test_requirements_of_bundled_preferences(bundles):
    instancetypes, preferences = bundles
    assert check_requirements(instancetypes["u1.nano"]["spec"], preferences["fedora"]["spec"], {"architecture": "amd64"}
                              ).message == ("failure checking preference requirements: insufficient Memory resources of "
                                            "512Mi provided by instance type, preference requires 2Gi")
    assert check_requirements(instancetypes["u1.medium"]["spec"], preferences["fedora"]["spec"],
                              {"architecture": "amd64"}) is None
