"""Preference devices: every preferred device field, disks, interfaces, inputs, panic devices, autoattach."""

from __future__ import annotations

import pytest

from vmctl.core.preference import apply_autoattach, apply_preference


def devices_after(preferred_devices, vmi_devices=None, vmi_extra=None):
    vmi = {"domain": {"devices": {} if vmi_devices is None else vmi_devices}, **(vmi_extra or {})}
    apply_preference({"devices": preferred_devices}, vmi, {})
    return vmi["domain"]["devices"]


@pytest.mark.parametrize(
    ("preferred", "target", "value"),
    [
        ("preferredUseVirtioTransitional", "useVirtioTransitional", True),
        ("preferredBlockMultiQueue", "blockMultiQueue", True),
        ("preferredNetworkInterfaceMultiQueue", "networkInterfaceMultiqueue", True),
        ("preferredAutoattachGraphicsDevice", "autoattachGraphicsDevice", False),
        ("preferredAutoattachMemBalloon", "autoattachMemBalloon", False),
        ("preferredAutoattachPodInterface", "autoattachPodInterface", False),
        ("preferredAutoattachSerialConsole", "autoattachSerialConsole", False),
        ("preferredAutoattachInputDevice", "autoattachInputDevice", True),
        ("preferredRng", "rng", {}),
        ("preferredTPM", "tpm", {"persistent": True}),
    ],
)
def test_pointer_fields_fill_only_when_unset(preferred, target, value):
    assert devices_after({preferred: value}) == {target: value}
    user = {"x": 1} if isinstance(value, dict) else (not value)
    assert devices_after({preferred: value}, {target: user}) == {target: user}


def test_disable_hotplug_is_always_overwritten():
    assert devices_after({"preferredDisableHotplug": True}, {"disableHotplug": False}) == {"disableHotplug": True}
    assert devices_after({"preferredDisableHotplug": False}, {"disableHotplug": True}) == {}  # false is omitted
    assert devices_after({}, {"disableHotplug": True}) == {"disableHotplug": True}


def test_sound_model_only_for_existing_sound_device_without_model():
    assert devices_after({"preferredSoundModel": "ich9"}) == {}
    assert devices_after({"preferredSoundModel": "ich9"}, {"sound": {"name": "s"}}) == {"sound": {"name": "s", "model": "ich9"}}
    assert devices_after({"preferredSoundModel": "ich9"}, {"sound": {"name": "s", "model": "ac97"}}) == {
        "sound": {"name": "s", "model": "ac97"}}


def test_video_type_creates_video_and_fills_empty_type():
    assert devices_after({"preferredVideoType": "virtio"}) == {"video": {"type": "virtio"}}
    assert devices_after({"preferredVideoType": "virtio"}, {"video": {"type": "vga"}}) == {"video": {"type": "vga"}}
    assert devices_after({"preferredVideoType": "virtio"}, {"video": {}}) == {"video": {"type": "virtio"}}


def test_preferred_virtual_gpu_options_are_not_applied():
    assert devices_after({"preferredVirtualGPUOptions": {"display": {"enabled": True}}}) == {}


def test_disk_without_target_becomes_disk_and_gets_all_disk_preferences():
    preferred = {"preferredDiskBus": "virtio", "preferredDiskCache": "writeback", "preferredDiskIO": "native",
                 "preferredDiskBlockSize": {"custom": {"logical": 512, "physical": 4096}},
                 "preferredDiskDedicatedIoThread": True}
    result = devices_after(preferred, {"disks": [{"name": "root"}]})
    assert result["disks"] == [{"name": "root", "disk": {"bus": "virtio"}, "cache": "writeback", "io": "native",
                                "blockSize": {"custom": {"logical": 512, "physical": 4096}}, "dedicatedIOThread": True}]


def test_disk_user_values_win():
    disk = {"name": "d", "disk": {"bus": "sata"}, "cache": "none", "io": "threads", "blockSize": {"matchVolume": {}},
            "dedicatedIOThread": False}
    preferred = {"preferredDiskBus": "virtio", "preferredDiskCache": "writeback", "preferredDiskIO": "native",
                 "preferredDiskBlockSize": {"custom": {}}, "preferredDiskDedicatedIoThread": True}
    assert devices_after(preferred, {"disks": [dict(disk)]})["disks"] == [disk]


def test_dedicated_io_thread_follows_the_final_bus():
    preferred = {"preferredDiskDedicatedIoThread": True, "preferredDiskBus": "sata"}
    assert devices_after(preferred, {"disks": [{"name": "a"}]})["disks"] == [{"name": "a", "disk": {"bus": "sata"}}]
    preferred = {"preferredDiskDedicatedIoThread": True}
    assert devices_after(preferred, {"disks": [{"name": "a", "disk": {"bus": "virtio"}}]})["disks"] == [
        {"name": "a", "disk": {"bus": "virtio"}, "dedicatedIOThread": True}]
    # no bus yet (the sata default comes later, with the VMI defaults): no dedicated IO thread
    assert devices_after(preferred, {"disks": [{"name": "a"}]})["disks"] == [{"name": "a", "disk": {}}]


def test_cdrom_and_lun_buses():
    preferred = {"preferredCdromBus": "sata", "preferredLunBus": "scsi", "preferredDiskBus": "virtio",
                 "preferredDiskCache": "none"}
    result = devices_after(preferred, {"disks": [{"name": "c", "cdrom": {}}, {"name": "l", "lun": {}},
                                                 {"name": "c2", "cdrom": {"bus": "scsi"}}]})
    assert result["disks"] == [{"name": "c", "cdrom": {"bus": "sata"}}, {"name": "l", "lun": {"bus": "scsi"}},
                               {"name": "c2", "cdrom": {"bus": "scsi"}}]


def test_interface_model_and_masquerade_rule():
    vmi_devices = {"interfaces": [
        {"name": "pod"},                      # pod network, no binding → masquerade
        {"name": "bridged", "bridge": {}},    # has a binding → unchanged
        {"name": "plugin", "binding": {"name": "passt"}},
        {"name": "multus"},                   # not a pod network
        {"name": "missing"},                  # no network at all
        {"name": "modelled", "model": "e1000e"},
    ]}
    networks = [{"name": "pod", "pod": {}}, {"name": "bridged", "pod": {}}, {"name": "plugin", "pod": {}},
                {"name": "multus", "multus": {"networkName": "n"}}, {"name": "modelled", "pod": {}}]
    result = devices_after({"preferredInterfaceModel": "virtio", "preferredInterfaceMasquerade": {}}, vmi_devices,
                           {"networks": networks})
    assert result["interfaces"] == [
        {"name": "pod", "model": "virtio", "masquerade": {}},
        {"name": "bridged", "bridge": {}, "model": "virtio"},
        {"name": "plugin", "binding": {"name": "passt"}, "model": "virtio"},
        {"name": "multus", "model": "virtio"},
        {"name": "missing", "model": "virtio"},
        {"name": "modelled", "model": "e1000e", "masquerade": {}},
    ]


@pytest.mark.parametrize("binding", ["bridge", "slirp", "masquerade", "sriov", "macvtap", "passt", "passtBinding"])
def test_every_binding_method_blocks_masquerade(binding):
    result = devices_after({"preferredInterfaceMasquerade": {}}, {"interfaces": [{"name": "n", binding: {}}]},
                           {"networks": [{"name": "n", "pod": {}}]})
    assert result["interfaces"] == [{"name": "n", binding: {}}]


def test_inputs_bus_and_type():
    result = devices_after({"preferredInputBus": "virtio", "preferredInputType": "tablet"},
                           {"inputs": [{"name": "a"}, {"name": "b", "bus": "usb", "type": "keyboard"}]})
    assert result["inputs"] == [{"name": "a", "bus": "virtio", "type": "tablet"},
                                {"name": "b", "bus": "usb", "type": "keyboard"}]


def test_panic_devices():
    assert devices_after({"preferredPanicDeviceModel": "hyperv"}) == {"panicDevices": [{"model": "hyperv"}]}
    assert devices_after({"preferredPanicDeviceModel": "hyperv"}, {"panicDevices": [{}, {"model": "isa"}]}) == {
        "panicDevices": [{"model": "hyperv"}, {"model": "isa"}]}


def test_autoattach_alone_touches_only_the_five_fields():
    vmi = {"domain": {"devices": {"autoattachMemBalloon": True}}}
    apply_autoattach({"devices": {"preferredAutoattachPodInterface": False, "preferredAutoattachMemBalloon": False,
                                  "preferredAutoattachGraphicsDevice": False, "preferredAutoattachSerialConsole": True,
                                  "preferredAutoattachInputDevice": True, "preferredRng": {},
                                  "preferredDiskBus": "virtio"}}, vmi)
    assert vmi == {"domain": {"devices": {"autoattachMemBalloon": True, "autoattachPodInterface": False,
                                          "autoattachGraphicsDevice": False, "autoattachSerialConsole": True,
                                          "autoattachInputDevice": True}}}


def test_autoattach_without_preference_or_devices_changes_nothing():
    vmi: dict = {}
    apply_autoattach(None, vmi)
    apply_autoattach({"cpu": {}}, vmi)
    assert vmi == {}
