"""Every row of KubeVirt's instancetype conflict table, conflict ordering and ApplyToVMI's all-or-nothing preference step."""

from __future__ import annotations

import pytest

from vmctl.core.api import Conflict
from vmctl.core.apply import apply_instancetype, apply_to_vmi

P = "spec.template.spec"


def base(**extra):
    spec = {"cpu": {"guest": 2}, "memory": {"guest": "2Gi"}}
    for key, value in extra.items():
        if key in ("cpu", "memory"):
            spec[key] = {**spec[key], **value}
        else:
            spec[key] = value
    return spec


ROWS = [
    # (instancetype extra, VMI spec, metadata, expected conflict path)
    ({}, {"domain": {"resources": {"requests": {"cpu": "1"}}}}, {}, f"{P}.domain.resources.requests.cpu"),
    ({}, {"domain": {"resources": {"limits": {"cpu": "1"}}}}, {}, f"{P}.domain.resources.limits.cpu"),
    ({}, {"domain": {"cpu": {"sockets": 1}}}, {}, f"{P}.domain.cpu.sockets"),
    ({}, {"domain": {"cpu": {"cores": 1}}}, {}, f"{P}.domain.cpu.cores"),
    ({}, {"domain": {"cpu": {"threads": 1}}}, {}, f"{P}.domain.cpu.threads"),
    ({"cpu": {"model": "host-passthrough"}}, {"domain": {"cpu": {"model": "host-model"}}}, {}, f"{P}.domain.cpu.model"),
    ({"cpu": {"dedicatedCPUPlacement": True}}, {"domain": {"cpu": {"dedicatedCpuPlacement": True}}}, {},
     f"{P}.domain.cpu.dedicatedCPUPlacement"),
    ({"cpu": {"dedicatedCPUPlacement": False}}, {"domain": {"cpu": {"dedicatedCpuPlacement": True}}}, {},
     f"{P}.domain.cpu.dedicatedCPUPlacement"),
    ({"cpu": {"isolateEmulatorThread": False}}, {"domain": {"cpu": {"isolateEmulatorThread": True}}}, {},
     f"{P}.domain.cpu.isolateEmulatorThread"),
    ({"cpu": {"numa": {"guestMappingPassthrough": {}}}}, {"domain": {"cpu": {"numa": {}}}}, {}, f"{P}.domain.cpu.numa"),
    ({"cpu": {"realtime": {}}}, {"domain": {"cpu": {"realtime": {"mask": "0"}}}}, {}, f"{P}.domain.cpu.realtime"),
    ({}, {"domain": {"memory": {"guest": "1Gi"}}}, {}, f"{P}.domain.memory.guest"),
    ({"memory": {"hugepages": {"pageSize": "2Mi"}}}, {"domain": {"memory": {"hugepages": {"pageSize": "1Gi"}}}}, {},
     f"{P}.domain.memory.hugepages"),
    ({"memory": {"maxGuest": "8Gi"}}, {"domain": {"memory": {"maxGuest": "4Gi"}}}, {}, f"{P}.domain.memory.maxGuest"),
    ({}, {"domain": {"resources": {"requests": {"memory": "1Gi"}}}}, {}, f"{P}.domain.resources.requests.memory"),
    ({}, {"domain": {"resources": {"limits": {"memory": "1Gi"}}}}, {}, f"{P}.domain.resources.limits.memory"),
    ({"nodeSelector": {"a": "b"}}, {"nodeSelector": {"a": "b"}}, {}, f"{P}.nodeSelector"),  # equal still conflicts
    ({"nodeSelector": {"a": "b"}}, {"nodeSelector": {}}, {}, f"{P}.nodeSelector"),  # an empty map is not nil
    ({"schedulerName": "s1"}, {"schedulerName": "s1"}, {}, f"{P}.schedulerName"),
    ({"ioThreads": {"supplementalPoolThreadCount": 2}}, {"domain": {"ioThreads": {"supplementalPoolThreadCount": 4}}},
     {}, f"{P}.domain.ioThreads.supplementalPoolThreadCount"),
    ({"ioThreadsPolicy": "auto"}, {"domain": {"ioThreadsPolicy": "shared"}}, {}, f"{P}.domain.ioThreadsPolicy"),
    ({"launchSecurity": {"sev": {}}}, {"domain": {"launchSecurity": {"snp": {}}}}, {}, f"{P}.domain.launchSecurity"),
    ({"gpus": [{"name": "g", "deviceName": "d"}]}, {"domain": {"devices": {"gpus": [{"name": "x", "deviceName": "y"}]}}},
     {}, f"{P}.domain.devices.gpus"),
    ({"hostDevices": [{"name": "h", "deviceName": "d"}]},
     {"domain": {"devices": {"hostDevices": [{"name": "x", "deviceName": "y"}]}}}, {}, f"{P}.domain.devices.hostDevices"),
    ({"annotations": {"k": "v"}}, {}, {"annotations": {"k": "other"}}, "annotations.k"),  # no path prefix
]


@pytest.mark.parametrize(("extra", "vmi", "metadata", "path"), ROWS)
def test_conflict_table_row(extra, vmi, metadata, path):
    conflicts = apply_to_vmi(P, base(**extra), None, vmi, metadata)
    assert conflicts == [Conflict(path)]
    assert conflicts[0].message() == f"VM field(s) {path} conflicts with selected instance type"


NO_CONFLICT = [
    # the instancetype does not set the field, so the user's value is kept
    ({}, {"domain": {"cpu": {"model": "host-model"}}}, ("domain", "cpu", "model"), "host-model"),
    ({}, {"domain": {"cpu": {"dedicatedCpuPlacement": True}}}, ("domain", "cpu", "dedicatedCpuPlacement"), True),
    ({}, {"domain": {"cpu": {"isolateEmulatorThread": True}}}, ("domain", "cpu", "isolateEmulatorThread"), True),
    ({}, {"domain": {"cpu": {"numa": {"guestMappingPassthrough": {}}}}}, ("domain", "cpu", "numa"),
     {"guestMappingPassthrough": {}}),
    ({}, {"domain": {"memory": {"hugepages": {"pageSize": "1Gi"}}}}, ("domain", "memory", "hugepages"), {"pageSize": "1Gi"}),
    ({}, {"domain": {"memory": {"maxGuest": "8Gi"}}}, ("domain", "memory", "maxGuest"), "8Gi"),
    ({}, {"nodeSelector": {"a": "b"}}, ("nodeSelector",), {"a": "b"}),
    ({}, {"schedulerName": "mine"}, ("schedulerName",), "mine"),
    ({}, {"domain": {"ioThreadsPolicy": "shared"}}, ("domain", "ioThreadsPolicy"), "shared"),
    ({"schedulerName": ""}, {"schedulerName": "mine"}, ("schedulerName",), "mine"),
    # a false VMI bool does not conflict; the instancetype value replaces it
    ({"cpu": {"dedicatedCPUPlacement": True}}, {"domain": {"cpu": {"dedicatedCpuPlacement": False}}},
     ("domain", "cpu", "dedicatedCpuPlacement"), True),
    ({"cpu": {"model": "host-passthrough"}}, {"domain": {"cpu": {"model": ""}}}, ("domain", "cpu", "model"), "host-passthrough"),
    ({"gpus": [{"name": "g", "deviceName": "d"}]}, {"domain": {"devices": {"gpus": []}}}, ("domain", "devices", "gpus"),
     [{"name": "g", "deviceName": "d"}]),
    ({"hostDevices": [{"name": "h", "deviceName": "d"}]}, {"domain": {"devices": {"hostDevices": []}}},
     ("domain", "devices", "hostDevices"), [{"name": "h", "deviceName": "d"}]),
    ({}, {"domain": {"cpu": {"sockets": 0, "cores": 0, "threads": 0}}}, ("domain", "cpu", "sockets"), 2),
]


@pytest.mark.parametrize(("extra", "vmi", "keys", "expected"), NO_CONFLICT)
def test_no_conflict_keeps_or_sets_value(extra, vmi, keys, expected):
    assert apply_to_vmi(P, base(**extra), None, vmi, {}) == []
    node = vmi
    for key in keys:
        node = node[key]
    assert node == expected


def test_same_annotation_value_is_fine_and_missing_ones_are_added():
    metadata = {"annotations": {"k": "v"}}
    assert apply_to_vmi(P, base(annotations={"k": "v", "n": "new"}), None, {}, metadata) == []
    assert metadata == {"annotations": {"k": "v", "n": "new"}}


def test_all_cpu_conflicts_are_collected_in_order():
    vmi = {"domain": {"cpu": {"sockets": 2, "cores": 2, "threads": 2, "model": "m", "dedicatedCpuPlacement": True,
                              "isolateEmulatorThread": True, "numa": {}, "realtime": {}},
                      "resources": {"requests": {"cpu": "1"}, "limits": {"cpu": "1"}}}}
    spec = base(cpu={"model": "x", "dedicatedCPUPlacement": True, "isolateEmulatorThread": True, "numa": {},
                     "realtime": {}})
    paths = [c.path for c in apply_instancetype("spec", spec, None, vmi, {})]
    assert paths == [
        "spec.domain.resources.requests.cpu", "spec.domain.resources.limits.cpu", "spec.domain.cpu.sockets",
        "spec.domain.cpu.cores", "spec.domain.cpu.threads", "spec.domain.cpu.model",
        "spec.domain.cpu.dedicatedCPUPlacement", "spec.domain.cpu.isolateEmulatorThread", "spec.domain.cpu.numa",
        "spec.domain.cpu.realtime",
    ]
    # with a CPU conflict nothing of the instancetype CPU is written
    assert vmi["domain"]["cpu"]["model"] == "m"


@pytest.mark.parametrize(
    ("vmi_memory", "resources", "expected"),
    [
        ({"guest": "1Gi", "hugepages": {}, "maxGuest": "1Gi"}, {"requests": {"memory": "1"}, "limits": {"memory": "1"}},
         "domain.memory.guest"),
        ({"hugepages": {}, "maxGuest": "1Gi"}, {"requests": {"memory": "1"}, "limits": {"memory": "1"}},
         "domain.memory.hugepages"),
        ({"maxGuest": "1Gi"}, {"requests": {"memory": "1"}, "limits": {"memory": "1"}}, "domain.memory.maxGuest"),
        ({}, {"requests": {"memory": "1"}, "limits": {"memory": "1"}}, "domain.resources.requests.memory"),
        ({}, {"limits": {"memory": "1"}}, "domain.resources.limits.memory"),
    ],
)
def test_only_the_first_memory_conflict_is_reported(vmi_memory, resources, expected):
    spec = base(memory={"hugepages": {"pageSize": "2Mi"}, "maxGuest": "4Gi"})
    vmi = {"domain": {"memory": vmi_memory, "resources": resources}}
    assert apply_instancetype("spec", spec, None, vmi, {}) == [Conflict(f"spec.{expected}")]


def test_conflicts_of_all_sections_are_concatenated_in_kubevirt_order():
    spec = base(nodeSelector={"a": "b"}, schedulerName="s", ioThreads={"supplementalPoolThreadCount": 1},
                ioThreadsPolicy="auto", launchSecurity={}, gpus=[{"name": "g"}], hostDevices=[{"name": "h"}],
                annotations={"z": "1", "a": "1"})
    vmi = {"nodeSelector": {"x": "y"}, "schedulerName": "t",
           "domain": {"cpu": {"cores": 1}, "memory": {"guest": "1Gi"}, "ioThreads": {"supplementalPoolThreadCount": 2},
                      "ioThreadsPolicy": "shared", "launchSecurity": {},
                      "devices": {"gpus": [{"name": "x"}], "hostDevices": [{"name": "y"}]}}}
    metadata = {"annotations": {"z": "2", "a": "2"}}
    paths = [c.path for c in apply_instancetype("spec", spec, None, vmi, metadata)]
    assert paths == [
        "spec.nodeSelector", "spec.schedulerName", "spec.domain.cpu.cores", "spec.domain.memory.guest",
        "spec.domain.ioThreads.supplementalPoolThreadCount", "spec.domain.ioThreadsPolicy",
        "spec.domain.launchSecurity", "spec.domain.devices.gpus", "spec.domain.devices.hostDevices",
        "annotations.z", "annotations.a",
    ]


def test_conflict_stops_the_preference_but_other_sections_still_apply():
    vmi = {"domain": {"cpu": {"sockets": 4}}}
    metadata: dict = {}
    preference = {"machine": {"preferredMachineType": "q35"}, "annotations": {"p": "1"}}
    conflicts = apply_to_vmi("spec", base(annotations={"i": "1"}), preference, vmi, metadata)
    assert conflicts == [Conflict("spec.domain.cpu.sockets")]
    assert "machine" not in vmi["domain"]
    assert vmi["domain"]["memory"] == {"guest": "2Gi"}  # memory had no conflict
    assert metadata == {"annotations": {"i": "1"}}


def test_nothing_happens_without_instancetype_and_preference():
    vmi = {"domain": {}}
    assert apply_to_vmi("spec", None, None, vmi, {}) == []
    assert vmi == {"domain": {}}


def test_preference_alone_is_applied():
    vmi: dict = {"domain": {}}
    assert apply_to_vmi("spec", None, {"machine": {"preferredMachineType": "q35"}}, vmi, {}) == []
    assert vmi == {"domain": {"machine": {"type": "q35"}}}


def test_conflict_message_for_several_paths():
    conflicts = apply_to_vmi(P, base(), None, {"domain": {"cpu": {"sockets": 1}, "memory": {"guest": "1Gi"}}}, {})
    assert ", ".join(c.path for c in conflicts) == f"{P}.domain.cpu.sockets, {P}.domain.memory.guest"
