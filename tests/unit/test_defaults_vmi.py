"""VMI defaults (KubeVirt SetDefaultVirtualMachineInstance, amd64, default cluster config)."""

from __future__ import annotations

from typing import Any

import pytest

from vmctl.core.defaults import (
    ClusterConfig,
    legacy_firmware_uuid,
    set_default_network_interface,
    set_default_vmi,
    set_default_vmi_spec,
    set_default_volume_disk,
)
from vmctl.errors import ObjectRejected


def vmi(spec: dict[str, Any] | None = None, name: str = "t") -> dict[str, Any]:
    return {"apiVersion": "kubevirt.io/v1", "kind": "VirtualMachineInstance",
            "metadata": {"name": name, "namespace": "default"}, "spec": spec or {"domain": {}}}


def defaulted(spec: dict[str, Any] | None = None, cluster: ClusterConfig | None = None) -> dict[str, Any]:
    obj = vmi(spec)
    set_default_vmi(obj, cluster or ClusterConfig())
    return obj


def test_empty_vmi_gets_every_default() -> None:
    obj = defaulted()
    spec = obj["spec"]
    assert spec["architecture"] == "amd64"
    assert spec["domain"]["machine"] == {"type": "q35"}
    assert spec["domain"]["cpu"] == {"sockets": 1, "cores": 1, "threads": 1, "model": "host-model", "maxSockets": 4}
    assert spec["domain"]["features"] == {"acpi": {"enabled": True}}
    assert spec["domain"]["firmware"] == {"uuid": legacy_firmware_uuid("t")}
    assert spec["evictionStrategy"] == "None"
    assert spec["networks"] == [{"name": "default", "pod": {}}]
    assert spec["domain"]["devices"]["interfaces"] == [{"name": "default", "bridge": {}}]
    assert spec["domain"]["memory"] == {}  # no requests, no limits, no hugepages: nothing to copy
    assert obj["status"] == {
        "currentCPUTopology": {"sockets": 1, "cores": 1, "threads": 1}, "runtimeUser": 107, "phase": "Pending",
    }
    assert obj["metadata"]["annotations"] == {"kubevirt.io/pci-topology-version": "v3"}
    assert obj["metadata"]["finalizers"] == ["kubevirt.io/foregroundDeleteVirtualMachine"]


def test_firmware_uuid_is_uuid5_of_the_name() -> None:
    value = legacy_firmware_uuid("web1")
    assert value == "8adb56aa-c842-528b-8d5f-9eef4289b835"
    assert value[14] == "5"  # version 5


@pytest.mark.parametrize(
    ("resources", "sockets"),
    [
        ({"limits": {"cpu": "3"}}, 3),
        ({"requests": {"cpu": "2"}}, 2),
        ({"requests": {"cpu": "1500m"}}, 2),  # Quantity.Value() rounds up
        ({"requests": {"cpu": "500m"}}, 1),
        ({"limits": {"cpu": "4"}, "requests": {"cpu": "2"}}, 4),  # limits win
    ],
)
def test_topology_from_cpu_request_or_limit(resources: dict[str, Any], sockets: int) -> None:
    spec = defaulted({"domain": {"resources": resources}})["spec"]
    assert (spec["domain"]["cpu"]["sockets"], spec["domain"]["cpu"]["cores"], spec["domain"]["cpu"]["threads"]) == (
        sockets, 1, 1)


def test_topology_kept_when_any_field_set() -> None:
    spec = defaulted({"domain": {"cpu": {"cores": 2}}})["spec"]
    assert spec["domain"]["cpu"] == {"cores": 2, "model": "host-model"}


def test_cpu_limit_copied_to_request() -> None:
    spec = defaulted({"domain": {"resources": {"limits": {"cpu": "2"}}}})["spec"]
    assert spec["domain"]["resources"]["requests"] == {"cpu": "2"}


def test_cluster_cpu_request_only_when_not_100m() -> None:
    plain = defaulted({"domain": {}})["spec"]["domain"]["resources"]
    assert "requests" not in plain
    custom = defaulted({"domain": {}}, ClusterConfig(cpu_request="250m"))["spec"]["domain"]["resources"]
    assert custom["requests"] == {"cpu": "250m"}
    dedicated = defaulted({"domain": {"cpu": {"dedicatedCpuPlacement": True, "cores": 2}}},
                          ClusterConfig(cpu_request="250m"))
    assert "requests" not in dedicated["spec"]["domain"]["resources"]


@pytest.mark.parametrize(
    ("domain", "guest"),
    [
        ({"resources": {"requests": {"memory": "1Gi"}, "limits": {"memory": "2Gi"}}}, "1Gi"),
        ({"resources": {"limits": {"memory": "2Gi"}}}, "2Gi"),
        ({"memory": {"hugepages": {"pageSize": "2Mi"}}}, "2Mi"),
        ({"memory": {"guest": "3Gi"}, "resources": {"requests": {"memory": "1Gi"}}}, "3Gi"),
    ],
)
def test_guest_memory_precedence(domain: dict[str, Any], guest: str) -> None:
    obj = defaulted({"domain": domain})
    assert obj["spec"]["domain"]["memory"]["guest"] == guest
    assert obj["status"]["memory"] == {"guestAtBoot": guest, "guestCurrent": guest, "guestRequested": guest}


def test_memory_hotplug_max_guest_is_four_times_aligned_guest() -> None:
    assert defaulted({"domain": {"memory": {"guest": "4Gi"}}})["spec"]["domain"]["memory"]["maxGuest"] == "16Gi"
    # below 1Gi: no memory hotplug
    assert "maxGuest" not in defaulted({"domain": {"memory": {"guest": "512Mi"}}})["spec"]["domain"]["memory"]
    # realtime VMs cannot hotplug memory
    rt = defaulted({"domain": {"memory": {"guest": "4Gi"}, "cpu": {"realtime": {}, "sockets": 1}}})
    assert "maxGuest" not in rt["spec"]["domain"]["memory"]
    # not with the Stage rollout strategy
    stage = defaulted({"domain": {"memory": {"guest": "4Gi"}}}, ClusterConfig(vm_rollout_strategy="Stage"))
    assert "maxGuest" not in stage["spec"]["domain"]["memory"]
    assert "maxSockets" not in stage["spec"]["domain"]["cpu"]


def test_max_sockets_capped_at_512_vcpus() -> None:
    cpu = defaulted({"domain": {"cpu": {"sockets": 100, "cores": 2, "threads": 1}}})["spec"]["domain"]["cpu"]
    assert cpu["maxSockets"] == 256


@pytest.mark.parametrize(
    ("image", "policy"),
    [("quay.io/x/fedora:latest", "Always"), ("quay.io/x/fedora", "Always"), ("quay.io/x/fedora:40", "IfNotPresent"),
     ("quay.io/x/fedora@sha256:abc", "IfNotPresent")],
)
def test_container_disk_pull_policy(image: str, policy: str) -> None:
    spec = defaulted({"domain": {}, "volumes": [{"name": "d", "containerDisk": {"image": image}}]})["spec"]
    assert spec["volumes"][0]["containerDisk"]["imagePullPolicy"] == policy


def test_explicit_pull_policy_kept() -> None:
    spec = defaulted({"domain": {}, "volumes": [{"name": "d", "containerDisk": {
        "image": "x:latest", "imagePullPolicy": "Never"}}]})["spec"]
    assert spec["volumes"][0]["containerDisk"]["imagePullPolicy"] == "Never"


def test_disks_targets_bus_cdrom_and_inputs() -> None:
    spec = defaulted({
        "domain": {"devices": {
            "disks": [{"name": "a"}, {"name": "b", "cdrom": {}}, {"name": "c", "lun": {}},
                      {"name": "d", "disk": {"bus": "virtio"}}],
            "inputs": [{"name": "i"}],
        }},
        "volumes": [{"name": "a", "emptyDisk": {"capacity": "1Gi"}}, {"name": "e", "emptyDisk": {"capacity": "1Gi"}}],
    })["spec"]
    disks = spec["domain"]["devices"]["disks"]
    assert disks == [
        {"name": "a", "disk": {"bus": "sata"}},
        {"name": "b", "cdrom": {"bus": "sata", "readonly": True, "tray": "closed"}},
        {"name": "c", "lun": {"bus": "sata"}},
        {"name": "d", "disk": {"bus": "virtio"}},
        {"name": "e", "disk": {"bus": "sata"}},  # default disk for the volume without one
    ]
    assert spec["domain"]["devices"]["inputs"] == [{"name": "i", "bus": "usb", "type": "tablet"}]


def test_feature_states_and_timers_enabled_where_nil() -> None:
    spec = defaulted({"domain": {
        "features": {"acpi": {"enabled": False}, "apic": {}, "smm": {}, "hyperv": {
            "relaxed": {}, "spinlocks": {}, "vapic": {"enabled": False}}},
        "clock": {"utc": {}, "timer": {"hpet": {"present": False}, "rtc": {"tickPolicy": "catchup"}}},
    }})["spec"]
    features = spec["domain"]["features"]
    assert features["acpi"] == {"enabled": False}
    assert features["apic"] == {"enabled": True}
    assert features["smm"] == {"enabled": True}
    assert features["hyperv"] == {"relaxed": {"enabled": True}, "spinlocks": {"enabled": True, "spinlocks": 4096},
                                  "vapic": {"enabled": False}}
    assert spec["domain"]["clock"]["timer"] == {"hpet": {"present": False},
                                               "rtc": {"tickPolicy": "catchup", "present": True}}


def test_hyperv_dependencies_enable_requirements() -> None:
    hyperv = defaulted({"domain": {"features": {"hyperv": {"synictimer": {}, "ipi": {}}}}})["spec"]["domain"][
        "features"]["hyperv"]
    assert hyperv["synic"] == {"enabled": True}
    assert hyperv["vpindex"] == {"enabled": True}
    assert hyperv["synictimer"] == {"enabled": True}


def test_evmcs_adds_vmx_cpu_feature() -> None:
    spec = defaulted({"domain": {"features": {"hyperv": {"evmcs": {}}},
                                 "cpu": {"features": [{"name": "vmx", "policy": "optional"}], "sockets": 1}}})["spec"]
    assert spec["domain"]["cpu"]["features"] == [{"name": "vmx", "policy": "require"}]
    assert spec["domain"]["features"]["hyperv"]["vapic"] == {"enabled": True}


def test_hyperv_disabled_requirement_stops_defaulting() -> None:
    hyperv = defaulted({"domain": {"features": {"hyperv": {"synictimer": {}, "synic": {"enabled": False}}}}})[
        "spec"]["domain"]["features"]["hyperv"]
    assert "vpindex" not in hyperv


def test_watchdog_action_and_probes() -> None:
    spec = defaulted({"domain": {"devices": {"watchdog": {"name": "w"}}},
                      "readinessProbe": {"httpGet": {"port": 80}}})["spec"]
    assert spec["domain"]["devices"]["watchdog"] == {"name": "w", "i6300esb": {"action": "reset"}}
    assert spec["readinessProbe"] == {"httpGet": {"port": 80}, "timeoutSeconds": 1, "periodSeconds": 10,
                                      "successThreshold": 1, "failureThreshold": 3}


def test_cluster_settings() -> None:
    cluster = ClusterConfig(cpu_model="Haswell", network_interface="masquerade", eviction_strategy=None,
                            default_architecture="arm64", root_enabled=True)
    obj = defaulted({"domain": {}}, cluster)
    spec = obj["spec"]
    assert spec["architecture"] == "arm64"
    assert spec["domain"]["machine"]["type"] == "virt"
    assert spec["domain"]["cpu"]["model"] == "host-passthrough"  # arm64's own default wins over the cluster's
    assert spec["domain"]["firmware"]["bootloader"] == {"efi": {"secureBoot": False}}
    assert spec["domain"]["devices"]["interfaces"] == [{"name": "default", "masquerade": {}}]
    assert "evictionStrategy" not in spec
    assert "runtimeUser" not in obj["status"]
    assert "maxSockets" not in spec["domain"]["cpu"]  # no hotplug on arm64
    amd = defaulted({"domain": {}}, ClusterConfig(cpu_model="Haswell"))
    assert amd["spec"]["domain"]["cpu"]["model"] == "Haswell"


def test_network_default_rules() -> None:
    spec: dict[str, Any] = {"domain": {"devices": {"autoattachPodInterface": False}}}
    set_default_network_interface(spec)
    assert "networks" not in spec
    spec = {"domain": {"devices": {}}, "networks": [{"name": "n", "pod": {}}]}
    set_default_network_interface(spec)
    assert "interfaces" not in spec["domain"]["devices"]
    with pytest.raises(ObjectRejected, match="bridge interface is not enabled in kubevirt-config"):
        set_default_network_interface({"domain": {}}, ClusterConfig(permit_bridge_interface_on_pod_network=False))


def test_volume_disk_skips_filesystems() -> None:
    spec: dict[str, Any] = {"domain": {"devices": {"filesystems": [{"name": "fs", "virtiofs": {}}]}},
                            "volumes": [{"name": "fs"}, {"name": "v"}]}
    set_default_volume_disk(spec)
    assert spec["domain"]["devices"]["disks"] == [{"name": "v"}]


def test_spec_defaults_do_not_touch_object_level_defaults() -> None:
    spec: dict[str, Any] = {"domain": {"devices": {"disks": [{"name": "a"}]}}}
    set_default_vmi_spec(spec)
    assert spec["domain"]["devices"]["disks"] == [{"name": "a"}]  # no target/bus: those are object defaults
    assert "model" not in spec["domain"]["cpu"]
    assert "features" not in spec["domain"]
