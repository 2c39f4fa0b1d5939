"""``vmctl.create.instancetype`` / ``vmctl.create.preference``: virtctl's manifests and error texts."""

from __future__ import annotations

import re
from typing import Any

import pytest

from vmctl.create.instancetype import InstancetypeOptions, build_instancetype
from vmctl.create.preference import PreferenceOptions, build_preference
from vmctl.errors import EXIT_USAGE, VmctlError


def it_error(**kwargs: Any) -> str:
    with pytest.raises(VmctlError) as info:
        build_instancetype(InstancetypeOptions(**kwargs))
    assert info.value.exit_code == EXIT_USAGE
    return info.value.message


def test_cluster_instancetype_by_default() -> None:
    assert build_instancetype(InstancetypeOptions(cpu=2, memory="4096Mi", name="small")) == {
        "apiVersion": "instancetype.kubevirt.io/v1beta1",
        "kind": "VirtualMachineClusterInstancetype",
        "metadata": {"name": "small"},
        "spec": {"cpu": {"guest": 2}, "memory": {"guest": "4Gi"}},
    }


def test_default_names() -> None:
    cluster = build_instancetype(InstancetypeOptions(cpu=1, memory="1Gi"))["metadata"]["name"]
    assert re.fullmatch(r"clusterinstancetype-[bcdfghjklmnpqrstvwxz2456789]{5}", cluster)
    namespaced = build_instancetype(InstancetypeOptions(cpu=1, memory="1Gi", namespaced=True))["metadata"]["name"]
    assert re.fullmatch(r"instancetype-[bcdfghjklmnpqrstvwxz2456789]{5}", namespaced)


def test_namespace_makes_it_namespaced() -> None:
    obj = build_instancetype(InstancetypeOptions(cpu=1, memory="1Gi", name="a", namespace="dev"))
    assert obj["kind"] == "VirtualMachineInstancetype"
    assert obj["metadata"] == {"name": "a", "namespace": "dev"}
    obj = build_instancetype(InstancetypeOptions(cpu=1, memory="1Gi", name="a", namespaced=True))
    assert obj["kind"] == "VirtualMachineInstancetype"
    assert obj["metadata"] == {"name": "a"}


def test_devices_and_iothreads() -> None:
    obj = build_instancetype(InstancetypeOptions(
        cpu=8, memory="32Gi", name="g", gpu=["name:gpu1,devicename:nvidia.com/A10"],
        hostdevice=["name:nic,devicename:intel.com/x710", "devicename:d2,name:h2"], iothreadspolicy="auto",
    ))
    assert obj["spec"] == {
        "cpu": {"guest": 8}, "memory": {"guest": "32Gi"},
        "gpus": [{"name": "gpu1", "deviceName": "nvidia.com/A10"}],
        "hostDevices": [{"name": "nic", "deviceName": "intel.com/x710"}, {"name": "h2", "deviceName": "d2"}],
        "ioThreadsPolicy": "auto",
    }


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({}, 'required flag(s) "cpu", "memory" not set'),
        ({"cpu": 1}, 'required flag(s) "memory" not set'),
        ({"cpu": 0, "memory": "1Gi"}, "cpu value must be greater than zero"),
        ({"cpu": 1, "memory": "1Gi", "gpu": ["devicename:x"]}, 'failed to parse "--gpu" flag: name must be specified'),
        ({"cpu": 1, "memory": "1Gi", "hostdevice": ["name:x"]},
         'failed to parse "--hostdevice" flag: deviceName must be specified'),
        ({"cpu": 1, "memory": "1Gi", "gpu": ["name:x,devicename:y,vendor:z"]},
         'failed to parse "--gpu" flag: unknown param(s): vendor:z'),
        ({"cpu": 1, "memory": "1Gi", "iothreadspolicy": "dedicated"},
         'failed to parse "--iothreadspolicy" flag: IOThread must be of value auto or shared'),
    ],
)
def test_instancetype_errors(kwargs: dict[str, Any], message: str) -> None:
    assert it_error(**kwargs) == message


def test_bad_memory_names_the_flag() -> None:
    assert it_error(cpu=1, memory="lots").startswith('failed to parse "--memory" flag: ')


def test_preference_defaults() -> None:
    obj = build_preference(PreferenceOptions(name="p"))
    assert obj == {"apiVersion": "instancetype.kubevirt.io/v1beta1", "kind": "VirtualMachineClusterPreference",
                   "metadata": {"name": "p"}, "spec": {}}
    name = build_preference(PreferenceOptions())["metadata"]["name"]
    assert re.fullmatch(r"clusterpreference-[bcdfghjklmnpqrstvwxz2456789]{5}", name)
    obj = build_preference(PreferenceOptions(namespace="dev"))
    assert obj["kind"] == "VirtualMachinePreference" and obj["metadata"]["namespace"] == "dev"
    assert re.fullmatch(r"preference-[bcdfghjklmnpqrstvwxz2456789]{5}", obj["metadata"]["name"])


def test_preference_flags() -> None:
    obj = build_preference(PreferenceOptions(name="p", volume_storage_class="fast", machine_type="q35",
                                             cpu_topology="spread", namespaced=True))
    assert obj["kind"] == "VirtualMachinePreference"
    assert obj["spec"] == {"volumes": {"preferredStorageClassName": "fast"}, "machine": {"preferredMachineType": "q35"},
                           "cpu": {"preferredCPUTopology": "spread"}}


@pytest.mark.parametrize("value", ["sockets", "cores", "threads", "spread", "any", "preferSockets"])
def test_cpu_topologies_accepted(value: str) -> None:
    assert build_preference(PreferenceOptions(cpu_topology=value))["spec"]["cpu"] == {"preferredCPUTopology": value}


def test_bad_cpu_topology() -> None:
    with pytest.raises(VmctlError) as info:
        build_preference(PreferenceOptions(cpu_topology="numa"))
    assert info.value.message == (
        'failed to parse "--cpu-topology" flag: CPU topology must have a value of sockets, cores, threads or spread')
