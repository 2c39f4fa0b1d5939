"""Preference cpu features, features, firmware, machine, clock, subdomain, grace period, architecture,
launch security and annotations."""

from __future__ import annotations

import pytest

from vmctl.core.preference import apply_preference


def after(preference, vmi=None, metadata=None):
    vmi = {"domain": {}} if vmi is None else vmi
    apply_preference(preference, vmi, {} if metadata is None else metadata)
    return vmi


def test_cpu_features_appended_unless_the_name_exists():
    vmi = {"domain": {"cpu": {"features": [{"name": "vmx", "policy": "forbid"}]}}}
    after({"cpu": {"preferredCPUFeatures": [{"name": "vmx", "policy": "require"}, {"name": "pcid"}]}}, vmi)
    assert vmi["domain"]["cpu"]["features"] == [{"name": "vmx", "policy": "forbid"}, {"name": "pcid"}]


def test_cpu_features_create_cpu_when_missing():
    assert after({"cpu": {"preferredCPUFeatures": [{"name": "pcid"}]}})["domain"] == {"cpu": {"features": [{"name": "pcid"}]}}


def test_acpi_is_always_overwritten_others_only_when_unset():
    vmi = {"domain": {"features": {"acpi": {"enabled": False}, "apic": {"enabled": False}, "smm": {"enabled": False},
                                   "kvm": {"hidden": False}, "pvspinlock": {"enabled": False}}}}
    after({"features": {"preferredAcpi": {"enabled": True}, "preferredApic": {"enabled": True},
                        "preferredSmm": {"enabled": True}, "preferredKvm": {"hidden": True},
                        "preferredPvspinlock": {"enabled": True}}}, vmi)
    assert vmi["domain"]["features"] == {"acpi": {"enabled": True}, "apic": {"enabled": False},
                                         "smm": {"enabled": False}, "kvm": {"hidden": False},
                                         "pvspinlock": {"enabled": False}}


def test_features_created_and_filled():
    result = after({"features": {"preferredApic": {"endOfInterrupt": True}, "preferredSmm": {}, "preferredKvm": {"hidden": True},
                                 "preferredPvspinlock": {"enabled": False}, "preferredAcpi": {}}})
    assert result["domain"]["features"] == {"acpi": {}, "apic": {"endOfInterrupt": True}, "kvm": {"hidden": True},
                                            "pvspinlock": {"enabled": False}, "smm": {}}


def test_hyperv_is_merged_per_sub_feature():
    every = {name: {} for name in ("relaxed", "vapic", "vpindex", "runtime", "synic", "reset", "frequencies",
                                   "reenlightenment", "ipi", "evmcs")}
    every.update({"spinlocks": {"spinlocks": 8191}, "synictimer": {"direct": {}}, "vendorid": {"vendorid": "kv"},
                  "tlbflush": {}})
    vmi = {"domain": {"features": {"hyperv": {"relaxed": {"enabled": False}, "spinlocks": {"spinlocks": 4096}}}}}
    after({"features": {"preferredHyperv": every}}, vmi)
    assert vmi["domain"]["features"]["hyperv"] == {**every, "relaxed": {"enabled": False}, "spinlocks": {"spinlocks": 4096}}


def test_features_without_preference_are_not_created():
    assert after({"machine": {}}) == {"domain": {}}


@pytest.mark.parametrize(
    ("firmware", "bootloader", "expected"),
    [
        ({"preferredUseBios": True}, {}, {"bios": {}}),
        ({"preferredUseBios": False}, {}, {}),
        ({"preferredUseBios": True}, {"efi": {}}, {"efi": {}}),
        ({"preferredUseBios": True, "preferredUseBiosSerial": True}, {}, {"bios": {"useSerial": True}}),
        ({"preferredUseBiosSerial": True}, {"bios": {"useSerial": False}}, {"bios": {"useSerial": False}}),
        ({"preferredUseBiosSerial": True}, {}, {}),
        ({"preferredEfi": {"secureBoot": True, "persistent": True}}, {}, {"efi": {"secureBoot": True, "persistent": True}}),
        ({"preferredEfi": {"secureBoot": True}}, {"bios": {}}, {"bios": {}}),
        ({"preferredEfi": {"secureBoot": True}}, {"efi": {"secureBoot": False}}, {"efi": {"secureBoot": False}}),
        # preferredEfi wins: the deprecated fields are then ignored entirely
        ({"preferredEfi": {}, "preferredUseEfi": True, "preferredUseSecureBoot": True}, {}, {"efi": {}}),
        ({"preferredUseEfi": True}, {}, {"efi": {}}),
        ({"preferredUseEfi": True, "preferredUseSecureBoot": False}, {}, {"efi": {"secureBoot": False}}),
        ({"preferredUseSecureBoot": True}, {"efi": {}}, {"efi": {"secureBoot": True}}),
        ({"preferredUseSecureBoot": True}, {"efi": {"secureBoot": False}}, {"efi": {"secureBoot": False}}),
        ({"preferredUseEfi": True}, {"bios": {}}, {"bios": {}}),
        # with a user EFI, preferredEfi is skipped and the deprecated secure boot still fills the gap
        ({"preferredEfi": {"secureBoot": False}, "preferredUseSecureBoot": True}, {"efi": {}}, {"efi": {"secureBoot": True}}),
        ({"preferredUseBios": True, "preferredEfi": {"secureBoot": True}}, {}, {"bios": {}}),
    ],
)
def test_firmware(firmware, bootloader, expected):
    vmi = {"domain": {"firmware": {"bootloader": bootloader}}} if bootloader else {"domain": {}}
    assert after({"firmware": firmware}, vmi)["domain"]["firmware"] == {"bootloader": expected}


def test_machine_type_only_when_empty():
    assert after({"machine": {"preferredMachineType": "q35"}})["domain"] == {"machine": {"type": "q35"}}
    vmi = {"domain": {"machine": {"type": "pc"}}}
    assert after({"machine": {"preferredMachineType": "q35"}}, vmi)["domain"] == {"machine": {"type": "pc"}}
    assert after({"machine": {"preferredMachineType": ""}})["domain"] == {}


def test_clock_offset_and_timer():
    result = after({"clock": {"preferredClockOffset": {"utc": {"offsetSeconds": 30}},
                              "preferredTimer": {"hpet": {"present": False}}}})
    assert result["domain"]["clock"] == {"utc": {"offsetSeconds": 30}, "timer": {"hpet": {"present": False}}}


def test_clock_user_offset_and_timer_win():
    vmi = {"domain": {"clock": {"timezone": "Europe/Berlin", "timer": {"rtc": {}}}}}
    after({"clock": {"preferredClockOffset": {"utc": {}}, "preferredTimer": {"hpet": {}}}}, vmi)
    assert vmi["domain"]["clock"] == {"timezone": "Europe/Berlin", "timer": {"rtc": {}}}


def test_clock_object_is_created_even_for_an_empty_clock_preference():
    assert after({"clock": {}})["domain"] == {"clock": {}}


def test_top_level_preferences():
    preference = {"preferredSubdomain": "sub", "preferredTerminationGracePeriodSeconds": 3600,
                  "preferredArchitecture": "arm64", "preferredLaunchSecurity": {"sev": {}}}
    result = after(preference)
    assert result == {"domain": {"launchSecurity": {"sev": {}}}, "subdomain": "sub",
                      "terminationGracePeriodSeconds": 3600, "architecture": "arm64"}
    user = {"domain": {"launchSecurity": {"tdx": {}}}, "subdomain": "mine", "terminationGracePeriodSeconds": 0,
            "architecture": "amd64"}
    assert after(preference, {**user, "domain": dict(user["domain"])}) == user


def test_empty_architecture_preference_is_ignored():
    assert after({"preferredArchitecture": ""}) == {"domain": {}}


def test_annotations_added_only_when_absent():
    metadata = {"annotations": {"vm.kubevirt.io/os": "mine"}}
    after({"annotations": {"vm.kubevirt.io/os": "linux", "extra": "1"}}, metadata=metadata)
    assert metadata == {"annotations": {"vm.kubevirt.io/os": "mine", "extra": "1"}}


def test_none_preference_changes_nothing():
    vmi = {"domain": {}}
    apply_preference(None, vmi, {})
    assert vmi == {"domain": {}}


def test_mutate_vm_writes_architecture_machine_type_and_storage_class():
    from vmctl.core.preference import mutate_vm

    vm = {"spec": {"template": {"spec": {"domain": {}}}, "dataVolumeTemplates": [
        {"spec": {"pvc": {}}}, {"spec": {"storage": {"storageClassName": "fast"}}}, {"spec": {"storage": {}}}]}}
    mutate_vm({"preferredArchitecture": "arm64", "machine": {"preferredMachineType": "virt"},
               "volumes": {"preferredStorageClassName": "local"}}, vm)
    assert vm == {"spec": {"template": {"spec": {"domain": {"machine": {"type": "virt"}}, "architecture": "arm64"}},
                           "dataVolumeTemplates": [{"spec": {"pvc": {"storageClassName": "local"}}},
                                                   {"spec": {"storage": {"storageClassName": "fast"}}},
                                                   {"spec": {"storage": {"storageClassName": "local"}}}]}}


def test_mutate_vm_keeps_user_values():
    from vmctl.core.preference import mutate_vm

    vm = {"spec": {"template": {"spec": {"domain": {"machine": {"type": "pc"}}, "architecture": "amd64"}}}}
    mutate_vm({"preferredArchitecture": "arm64", "machine": {"preferredMachineType": "virt"}}, vm)
    assert vm == {"spec": {"template": {"spec": {"domain": {"machine": {"type": "pc"}}, "architecture": "amd64"}}}}
    mutate_vm(None, vm)
    assert vm["spec"]["template"]["spec"]["architecture"] == "amd64"
