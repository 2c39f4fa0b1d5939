"""KubeVirt's own preference-applier unit tests, ported (pkg/instancetype/preference/apply/*_test.go and
pkg/instancetype/preference/annotations/annotations_test.go @ d923fdb8).

Upstream calls ``ApplyToVMI(field, nil, preferenceSpec, ...)`` in most of these (the instancetype variable is
never set); the same call here is ``vmctl.core.apply.apply_to_vmi``.
"""

from __future__ import annotations

from typing import Any

import pytest

from vmctl.core.apply import apply_to_vmi

FIELD = "spec.template.spec"
Obj = dict[str, Any]


def apply(pref: Obj | None, spec: Obj, meta: Obj | None = None, it: Obj | None = None) -> list[str]:
    return [c.path for c in apply_to_vmi(FIELD, it, pref, spec, meta if meta is not None else {})]


# --- device_test.go -------------------------------------------------------------------------------

USER_BLOCK_SIZE = {"custom": {"logical": 512, "physical": 512}}
PREFERRED_BLOCK_SIZE = {"custom": {"logical": 4096, "physical": 4096}}


def device_vmi() -> Obj:
    """The BeforeEach VMI of device_test.go."""
    return {"domain": {"devices": {
        "disks": [
            {"cache": "writeback", "io": "native", "blockSize": dict(USER_BLOCK_SIZE), "disk": {"bus": "scsi"}},
            {"disk": {}},
            {"cdrom": {"bus": "sata"}},
            {"cdrom": {}},
            {"lun": {"bus": "sata"}},
            {"lun": {}},
        ],
        "inputs": [{"bus": "usb", "type": "tablet"}, {}],
        "interfaces": [{"name": "primary", "model": "e1000"}, {"name": "secondary"}],
        "sound": {},
        "panicDevices": [{}],
    }}}


def device_preference() -> Obj:
    """The BeforeEach preference of device_test.go."""
    return {"devices": {
        "preferredDiskDedicatedIoThread": True,
        "preferredDisableHotplug": True,
        "preferredUseVirtioTransitional": True,
        "preferredNetworkInterfaceMultiQueue": True,
        "preferredBlockMultiQueue": True,
        "preferredDiskBlockSize": dict(PREFERRED_BLOCK_SIZE),
        "preferredDiskCache": "writethrough",
        "preferredDiskIO": "native",
        "preferredDiskBus": "virtio",
        "preferredCdromBus": "scsi",
        "preferredLunBus": "sata",
        "preferredInputBus": "virtio",
        "preferredInputType": "tablet",
        "preferredInterfaceModel": "virtio",
        "preferredSoundModel": "ac97",
        "preferredRng": {},
        "preferredInterfaceMasquerade": {},
        "preferredPanicDeviceModel": "hyperv",
    }}


def test_masquerade_applied_to_interface_on_pod_network() -> None:
    # device_test.go Context("PreferredInterfaceMasquerade") It("should be applied to interface on Pod network")
    spec = device_vmi()
    spec["networks"] = [{"name": "primary", "pod": {}}]
    assert apply(device_preference(), spec) == []
    interfaces = spec["domain"]["devices"]["interfaces"]
    assert interfaces[0]["masquerade"] == {}
    assert "masquerade" not in interfaces[1]


def test_masquerade_not_applied_to_interface_with_another_binding() -> None:
    # device_test.go It("should not be applied on interface that has another binding set")
    spec = device_vmi()
    spec["domain"]["devices"]["interfaces"][0]["sriov"] = {}
    assert apply(device_preference(), spec) == []
    iface = spec["domain"]["devices"]["interfaces"][0]
    assert "masquerade" not in iface
    assert iface["sriov"] == {}


def test_masquerade_not_applied_to_interface_not_on_pod_network() -> None:
    # device_test.go It("should not be applied on interface that is not on Pod network")
    spec = device_vmi()
    spec["networks"] = [{"name": "primary"}]
    assert apply(device_preference(), spec) == []
    assert "masquerade" not in spec["domain"]["devices"]["interfaces"][0]


def test_devices_should_apply_to_vmi() -> None:
    # device_test.go It("should apply to VMI")
    spec = device_vmi()
    assert apply(device_preference(), spec) == []
    devices = spec["domain"]["devices"]
    disks = devices["disks"]
    # what the VMI defines is kept
    assert disks[0] == {"cache": "writeback", "io": "native", "blockSize": USER_BLOCK_SIZE, "disk": {"bus": "scsi"}}
    assert disks[2] == {"cdrom": {"bus": "sata"}}
    assert disks[4] == {"lun": {"bus": "sata"}}
    assert devices["inputs"][0] == {"bus": "usb", "type": "tablet"}
    assert devices["interfaces"][0]["model"] == "e1000"
    # everything the VMI leaves unset comes from the preference
    assert devices["disableHotplug"] is True
    assert devices["useVirtioTransitional"] is True
    assert disks[1] == {"disk": {"bus": "virtio"}, "cache": "writethrough", "io": "native",
                        "blockSize": PREFERRED_BLOCK_SIZE, "dedicatedIOThread": True}
    assert disks[3] == {"cdrom": {"bus": "scsi"}}
    assert disks[5] == {"lun": {"bus": "sata"}}
    assert devices["inputs"][1] == {"bus": "virtio", "type": "tablet"}
    assert devices["interfaces"][1]["model"] == "virtio"
    assert devices["sound"] == {"model": "ac97"}
    assert devices["rng"] == {}
    assert devices["networkInterfaceMultiqueue"] is True
    assert devices["blockMultiQueue"] is True
    assert devices["panicDevices"] == [{"model": "hyperv"}]


def test_devices_apply_when_disk_has_no_target() -> None:
    # device_test.go It("Should apply when a VMI disk doesn't have a DiskDevice target defined")
    spec = device_vmi()
    del spec["domain"]["devices"]["disks"][1]["disk"]
    assert apply(device_preference(), spec) == []
    assert spec["domain"]["devices"]["disks"][1]["disk"] == {"bus": "virtio"}


def test_devices_preferred_bus_ignored_when_disk_bus_set() -> None:
    # device_test.go It("[test_id:CNV-9817] Should ignore preference when a VMI disk have a DiskDevice defined")
    spec = device_vmi()
    spec["domain"]["devices"]["disks"][1]["disk"]["bus"] = "scsi"
    assert apply(device_preference(), spec) == []
    assert spec["domain"]["devices"]["disks"][1]["disk"]["bus"] == "scsi"


@pytest.mark.parametrize("devices", [
    # device_test.go Context("PreferredDiskDedicatedIoThread") DescribeTable("should be ignored when") Entry("unset")
    {},
    # ... Entry("false")  -- false is only written to virtio disks, none here (no bus preference)
    {"preferredDiskDedicatedIoThread": False},
])
def test_dedicated_io_thread_ignored(devices: Obj) -> None:
    spec = device_vmi()
    assert apply({"devices": devices}, spec) == []
    for disk in spec["domain"]["devices"]["disks"]:
        if "disk" in disk:
            assert "dedicatedIOThread" not in disk


def test_dedicated_io_thread_only_applies_to_virtio_disks() -> None:
    # device_test.go It("should only apply to virtio disk devices")
    spec = device_vmi()
    spec["domain"]["devices"]["disks"][1]["disk"]["bus"] = "virtio"
    assert apply({"devices": {"preferredDiskDedicatedIoThread": True}}, spec) == []
    for disk in spec["domain"]["devices"]["disks"]:
        if "disk" in disk:
            if disk["disk"].get("bus") == "virtio":
                assert disk["dedicatedIOThread"] is True
            else:
                assert "dedicatedIOThread" not in disk
    assert spec["domain"]["devices"]["disks"][1]["dedicatedIOThread"] is True


@pytest.mark.parametrize(("vmi_tpm", "preferred_tpm", "expected"), [
    # device_test.go Context("PreferredTPM") Entry("only apply when TPM device is nil within VMI spec")
    (None, {"persistent": True}, {"persistent": True}),
    # ... Entry("not apply when TPM device is provided within VMI spec")
    ({"persistent": True}, {}, {"persistent": True}),
    # ... Entry("not apply when TPM device is provided in the preference but disabled within VMI spec")
    ({"enabled": False}, {}, {"enabled": False}),
    # ... Entry("not apply when TPM device is explicitly Enabled in the preference but disabled within VMI spec")
    ({"enabled": False}, {"enabled": True}, {"enabled": False}),
])
def test_preferred_tpm(vmi_tpm: Obj | None, preferred_tpm: Obj, expected: Obj) -> None:
    spec = device_vmi()
    if vmi_tpm is not None:
        spec["domain"]["devices"]["tpm"] = vmi_tpm
    pref = device_preference()
    pref["devices"]["preferredTPM"] = preferred_tpm
    assert apply(pref, spec) == []
    assert spec["domain"]["devices"]["tpm"] == expected


@pytest.mark.parametrize(("model", "vmi_devices", "expected"), [
    # device_test.go Context("PreferredPanicDeviceModel") Entry("not apply when preferredPanicDeviceModel is nil")
    (None, [{"model": "hyperv"}], [{"model": "hyperv"}]),
    # ... Entry("create a panic device when none are provided in the VMI spec")
    ("hyperv", [], [{"model": "hyperv"}]),
    # ... Entry("only apply when  panic device model is nil for a panic device provided in the VMI spec")
    ("isa", [{"model": "hyperv"}, {}, {"model": ""}], [{"model": "hyperv"}, {"model": "isa"}, {"model": ""}]),
])
def test_preferred_panic_device_model(model: str | None, vmi_devices: list[Obj], expected: list[Obj]) -> None:
    spec = device_vmi()
    spec["domain"]["devices"]["panicDevices"] = vmi_devices
    pref = device_preference()
    if model is None:
        del pref["devices"]["preferredPanicDeviceModel"]
    else:
        pref["devices"]["preferredPanicDeviceModel"] = model
    assert apply(pref, spec) == []
    assert spec["domain"]["devices"]["panicDevices"] == expected


@pytest.mark.parametrize(("video_type", "vmi_video", "expected"), [
    # device_test.go Context("PreferredVideoType") Entry("only apply when video device type is empty within VMI spec")
    ("virtio", {}, {"type": "virtio"}),
    # ... Entry("not apply when video device type is already set within VMI spec")
    ("virtio", {"type": "vga"}, {"type": "vga"}),
    # ... Entry("create video device and apply when video device is not provided in the VMI spec")
    ("virtio", None, {"type": "virtio"}),
    # ... Entry("not apply when preferredVideoType is nil")
    (None, {}, {}),
    # ... Entry("not apply when preferredVideoType is nil and video device is nil")
    (None, None, None),
])
def test_preferred_video_type(video_type: str | None, vmi_video: Obj | None, expected: Obj | None) -> None:
    spec = device_vmi()
    if vmi_video is not None:
        spec["domain"]["devices"]["video"] = vmi_video
    pref = device_preference()
    if video_type is not None:
        pref["devices"]["preferredVideoType"] = video_type
    assert apply(pref, spec) == []
    assert spec["domain"]["devices"].get("video") == expected


AUTOATTACH = {
    "preferredAutoattachGraphicsDevice": "autoattachGraphicsDevice",
    "preferredAutoattachMemBalloon": "autoattachMemBalloon",
    "preferredAutoattachPodInterface": "autoattachPodInterface",
    "preferredAutoattachSerialConsole": "autoattachSerialConsole",
    "preferredAutoattachInputDevice": "autoattachInputDevice",
}


@pytest.mark.parametrize(("preferred", "vmi_value", "expected"), [
    # device_test.go DescribeTable("PreferredAutoAttach should") Entry("apply true when VMI value is nil")
    (True, None, True),
    # ... Entry("apply false when VMI value is nil")
    (False, None, False),
    # ... Entry("not apply nil when VMI value is nil")
    (None, None, None),
    # ... Entry("not apply nil when VMI value is true")
    (None, True, True),
    # ... Entry("not apply nil when VMI value is false")
    (None, False, False),
    # ... Entry("not apply true when VMI value is false")
    (True, False, False),
    # ... Entry("not apply false when VMI value is true")
    (False, True, True),
])
@pytest.mark.parametrize("field", sorted(AUTOATTACH))
def test_preferred_autoattach(field: str, preferred: bool | None, vmi_value: bool | None,
                              expected: bool | None) -> None:
    spec = device_vmi()
    target = AUTOATTACH[field]
    if vmi_value is not None:
        spec["domain"]["devices"][target] = vmi_value
    pref = device_preference()
    if preferred is not None:
        pref["devices"][field] = preferred
    assert apply(pref, spec) == []
    assert spec["domain"]["devices"].get(target) == expected


# --- features_test.go -----------------------------------------------------------------------------


def features_preference() -> Obj:
    """The BeforeEach preference of features_test.go."""
    return {"features": {
        "preferredAcpi": {},
        "preferredApic": {"enabled": True},
        "preferredHyperv": {
            "relaxed": {},
            "vapic": {},
            "spinlocks": {"enabled": True, "spinlocks": 32},
            "vpindex": {},
            "runtime": {},
            "synic": {},
            "synictimer": {"enabled": True, "direct": {}},
            "reset": {},
            "vendorid": {"enabled": True, "vendorid": "1234"},
            "frequencies": {},
            "reenlightenment": {},
            "tlbflush": {},
            "ipi": {},
            "evmcs": {},
        },
        "preferredKvm": {"hidden": True},
        "preferredPvspinlock": {},
        "preferredSmm": {},
    }}


def test_features_should_apply_to_vmi() -> None:
    # features_test.go It("should apply to VMI")
    spec: Obj = {"domain": {}}
    pref = features_preference()
    assert apply(pref, spec) == []
    features = spec["domain"]["features"]
    wanted = pref["features"]
    assert features["acpi"] == wanted["preferredAcpi"]
    assert features["apic"] == wanted["preferredApic"]
    assert features["hyperv"] == wanted["preferredHyperv"]
    assert features["kvm"] == {"hidden": True}
    assert features["pvspinlock"] == {}
    assert features["smm"] == {}


def test_features_merge_hyperv_with_vmi_values() -> None:
    # features_test.go It("should apply when some HyperV features already defined in the VMI")
    spec: Obj = {"domain": {"features": {"hyperv": {"evmcs": {"enabled": False}}}}}
    assert apply(features_preference(), spec) == []
    hyperv = spec["domain"]["features"]["hyperv"]
    assert hyperv["evmcs"] == {"enabled": False}
    assert hyperv["vendorid"] == {"enabled": True, "vendorid": "1234"}


# --- firmware_test.go -----------------------------------------------------------------------------


def test_firmware_bios_preferences_applied_in_full() -> None:
    # firmware_test.go It("should apply BIOS preferences full to VMI")
    spec: Obj = {"domain": {}}
    pref = {"firmware": {"preferredUseBios": True, "preferredUseBiosSerial": True,
                         "preferredUseEfi": False, "preferredUseSecureBoot": False}}
    assert apply(pref, spec) == []
    assert spec["domain"]["firmware"]["bootloader"] == {"bios": {"useSerial": True}}


def test_firmware_secure_boot_preferences_applied_in_full() -> None:
    # firmware_test.go It("should apply SecureBoot preferences full to VMI")
    spec: Obj = {"domain": {}}
    pref = {"firmware": {"preferredUseBios": False, "preferredUseBiosSerial": False,
                         "preferredUseEfi": True, "preferredUseSecureBoot": True}}
    assert apply(pref, spec) == []
    assert spec["domain"]["firmware"]["bootloader"] == {"efi": {"secureBoot": True}}


def test_firmware_use_efi_does_not_overwrite_user_bios() -> None:
    # firmware_test.go It("should not overwrite user defined Bootloader.BIOS with DeprecatedPreferredUseEfi - bug #10313")
    spec: Obj = {"domain": {"firmware": {"bootloader": {"bios": {"useSerial": False}}}}}
    assert apply({"firmware": {"preferredUseEfi": True, "preferredUseSecureBoot": True}}, spec) == []
    assert spec["domain"]["firmware"]["bootloader"] == {"bios": {"useSerial": False}}


def test_firmware_bios_serial_does_not_overwrite_user_value() -> None:
    # firmware_test.go It("should not overwrite user defined value with PreferredUseBiosSerial - bug #10313")
    spec: Obj = {"domain": {"firmware": {"bootloader": {"bios": {"useSerial": False}}}}}
    assert apply({"firmware": {"preferredUseBios": True, "preferredUseBiosSerial": True}}, spec) == []
    assert spec["domain"]["firmware"]["bootloader"]["bios"]["useSerial"] is False


def test_firmware_use_bios_does_not_overwrite_user_efi() -> None:
    # firmware_test.go It("should not overwrite user defined Bootloader.EFI with PreferredUseBios - bug #10313")
    spec: Obj = {"domain": {"firmware": {"bootloader": {"efi": {"secureBoot": False}}}}}
    assert apply({"firmware": {"preferredUseBios": True, "preferredUseBiosSerial": True}}, spec) == []
    assert spec["domain"]["firmware"]["bootloader"] == {"efi": {"secureBoot": False}}


def test_firmware_secure_boot_does_not_overwrite_user_value() -> None:
    # firmware_test.go It("should not overwrite user defined value with DeprecatedPreferredUseSecureBoot - bug #10313")
    spec: Obj = {"domain": {"firmware": {"bootloader": {"efi": {"secureBoot": False}}}}}
    assert apply({"firmware": {"preferredUseEfi": True, "preferredUseSecureBoot": True}}, spec) == []
    assert spec["domain"]["firmware"]["bootloader"]["efi"]["secureBoot"] is False


def test_firmware_preferred_efi() -> None:
    # firmware_test.go It("should apply PreferredEfi")
    spec: Obj = {"domain": {}}
    assert apply({"firmware": {"preferredEfi": {"persistent": True, "secureBoot": True}}}, spec) == []
    assert spec["domain"]["firmware"]["bootloader"] == {"efi": {"persistent": True, "secureBoot": True}}


def test_firmware_preferred_efi_ignores_deprecated_fields() -> None:
    # firmware_test.go It("should ignore DeprecatedPreferredUseEfi and DeprecatedPreferredUseSecureBoot when using PreferredEfi")
    spec: Obj = {"domain": {}}
    pref = {"firmware": {"preferredEfi": {"persistent": True}, "preferredUseEfi": False,
                         "preferredUseSecureBoot": False}}
    assert apply(pref, spec) == []
    assert spec["domain"]["firmware"]["bootloader"] == {"efi": {"persistent": True}}


def test_firmware_preferred_efi_does_not_overwrite_efi() -> None:
    # firmware_test.go It("should not overwrite EFI when using PreferredEfi - bug #12985")
    spec: Obj = {"domain": {"firmware": {"bootloader": {"efi": {"secureBoot": False}}}}}
    assert apply({"firmware": {"preferredEfi": {"secureBoot": True, "persistent": True}}}, spec) == []
    assert spec["domain"]["firmware"]["bootloader"] == {"efi": {"secureBoot": False}}


def test_firmware_preferred_efi_not_applied_over_bios() -> None:
    # firmware_test.go It("should not apply PreferredEfi when VM already using BIOS - bug #12985")
    spec: Obj = {"domain": {"firmware": {"bootloader": {"bios": {}}}}}
    assert apply({"firmware": {"preferredEfi": {}}}, spec) == []
    assert spec["domain"]["firmware"]["bootloader"] == {"bios": {}}


# --- clock_test.go / machine_test.go / architecture_test.go ---------------------------------------


def test_clock_should_apply_to_vmi() -> None:
    # clock_test.go It("should apply to VMI")
    spec: Obj = {"domain": {}}
    pref = {"clock": {"preferredClockOffset": {"utc": {"offsetSeconds": 30}},
                      "preferredTimer": {"hyperv": {}}}}
    assert apply(pref, spec) == []
    assert spec["domain"]["clock"] == {"utc": {"offsetSeconds": 30}, "timer": {"hyperv": {}}}


def test_machine_should_apply_to_vmi() -> None:
    # machine_test.go It("should apply to VMI")
    spec: Obj = {"domain": {}}
    assert apply({"machine": {"preferredMachineType": "q35-rhel-8.0"}}, spec) == []
    assert spec["domain"]["machine"] == {"type": "q35-rhel-8.0"}


def test_architecture_applied_when_unset() -> None:
    # architecture_test.go It("should apply preferred architecture to VMI when architecture is not set")
    spec: Obj = {"domain": {}}
    assert apply({"preferredArchitecture": "arm64"}, spec) == []
    assert spec["architecture"] == "arm64"


def test_architecture_does_not_override_vmi_value() -> None:
    # architecture_test.go It("should not override existing architecture in VMI")
    spec: Obj = {"domain": {}, "architecture": "amd64"}
    assert apply({"preferredArchitecture": "arm64"}, spec) == []
    assert spec["architecture"] == "amd64"


@pytest.mark.parametrize("pref", [
    # architecture_test.go DescribeTable("should not apply when") Entry("PreferenceSpec is nil")
    None,
    # ... Entry("PreferredArchitecture is nil")
    {},
    # ... Entry("PreferredArchitecture is an empty string")
    {"preferredArchitecture": ""},
])
def test_architecture_not_applied(pref: Obj | None) -> None:
    spec: Obj = {"domain": {}}
    assert apply(pref, spec) == []
    assert spec.get("architecture", "") == ""


# --- launchsecurity_test.go -----------------------------------------------------------------------

VMI_LS = {"sev": {}}
PREF_LS = {"sev": {"policy": {}}}
IT_LS = {"tdx": {}}


@pytest.mark.parametrize(("vmi_ls", "pref_ls", "it_ls", "conflict", "expected"), [
    # launchsecurity_test.go DescribeTable("should apply correct LaunchSecurity") Entry("all nil")
    (None, None, None, False, None),
    # ... Entry("preference set")
    (None, PREF_LS, None, False, PREF_LS),
    # ... Entry("vmi set")
    (VMI_LS, None, None, False, VMI_LS),
    # ... Entry("vmi and preference set")
    (VMI_LS, PREF_LS, None, False, VMI_LS),
    # ... Entry("instancetype set")
    (None, None, IT_LS, False, IT_LS),
    # ... Entry("instancetype and preference set")
    (None, PREF_LS, IT_LS, False, IT_LS),
    # ... Entry("instancetype and vmi set")
    (VMI_LS, None, IT_LS, True, None),
    # ... Entry("all set")
    (VMI_LS, PREF_LS, IT_LS, True, None),
])
def test_launch_security(vmi_ls: Obj | None, pref_ls: Obj | None, it_ls: Obj | None, conflict: bool,
                         expected: Obj | None) -> None:
    spec: Obj = {"domain": {}}
    if vmi_ls is not None:
        spec["domain"]["launchSecurity"] = dict(vmi_ls)
    pref: Obj = {} if pref_ls is None else {"preferredLaunchSecurity": pref_ls}
    it: Obj = {} if it_ls is None else {"launchSecurity": it_ls}
    conflicts = apply(pref, spec, it=it)
    if conflict:
        assert conflicts
        assert "launchSecurity" in conflicts[0]
        assert conflicts[0] == "spec.template.spec.domain.launchSecurity"
    else:
        assert conflicts == []
        assert spec["domain"].get("launchSecurity") == expected


# --- subdomain_test.go / termination_test.go ------------------------------------------------------


def test_subdomain_should_apply_to_vmi() -> None:
    # subdomain_test.go It("should apply to VMI")
    spec: Obj = {"domain": {}}
    assert apply({"preferredSubdomain": "kubevirt.io"}, spec) == []
    assert spec["subdomain"] == "kubevirt.io"


def test_subdomain_does_not_overwrite_user_value() -> None:
    # subdomain_test.go It("should not overwrite user defined value")
    spec: Obj = {"domain": {}, "subdomain": "foo.com"}
    assert apply({"preferredSubdomain": "kubevirt.io"}, spec) == []
    assert spec["subdomain"] == "foo.com"


def test_subdomain_empty_preference_writes_nothing() -> None:
    # Not an upstream case: subdomain.go copies an empty preferredSubdomain into the Go string field, which is
    # `omitempty`, so the VMI JSON has no subdomain at all.
    spec: Obj = {"domain": {}}
    assert apply({"preferredSubdomain": ""}, spec) == []
    assert "subdomain" not in spec


def test_termination_grace_period_should_apply_to_vmi() -> None:
    # termination_test.go It("should apply to VMI")
    spec: Obj = {"domain": {}}
    assert apply({"preferredTerminationGracePeriodSeconds": 180}, spec) == []
    assert spec["terminationGracePeriodSeconds"] == 180


def test_termination_grace_period_does_not_overwrite_user_value() -> None:
    # termination_test.go It("should not overwrite user defined value")
    spec: Obj = {"domain": {}, "terminationGracePeriodSeconds": 100}
    assert apply({"preferredTerminationGracePeriodSeconds": 180}, spec) == []
    assert spec["terminationGracePeriodSeconds"] == 100


# --- preference/annotations/annotations_test.go Context("apply to vmi") -----------------------------

PREF_ANNOTATIONS = {"annotation-1": "1", "annotation-2": "2"}


def test_preference_annotations_should_apply_to_vmi() -> None:
    # preference/annotations/annotations_test.go It("should apply to VMI")
    spec: Obj = {"domain": {}}
    meta: Obj = {}
    assert apply({"annotations": dict(PREF_ANNOTATIONS)}, spec, meta) == []
    assert meta["annotations"] == PREF_ANNOTATIONS


def test_preference_annotations_do_not_overwrite_existing_values() -> None:
    # preference/annotations/annotations_test.go It("should not overwrite already existing values")
    existing = {"annotation-1": "dont-overwrite", "annotation-2": "dont-overwrite", "annotation-3": "dont-overwrite"}
    spec: Obj = {"domain": {}}
    meta: Obj = {"annotations": dict(existing)}
    assert apply({"annotations": dict(PREF_ANNOTATIONS)}, spec, meta) == []
    assert meta["annotations"] == existing
