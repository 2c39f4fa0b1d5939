"""KubeVirt's own instancetype-applier unit tests, ported (pkg/instancetype/apply/*_test.go @ d923fdb8).

Each case names the upstream file and the ``It``/``Entry`` description. Inputs and expected results are the
facts those cases assert; they run against ``vmctl.core.apply.apply_to_vmi`` (KubeVirt ``ApplyToVMI``).
"""

from __future__ import annotations

from typing import Any

import pytest

from vmctl.core.api import Conflict
from vmctl.core.apply import apply_to_vmi
from vmctl.core.quantity import parse_quantity

FIELD = "spec.template.spec"
Obj = dict[str, Any]


def new_vmi() -> tuple[Obj, Obj]:
    """``libvmi.New()``: an empty VMI spec (with an empty domain) and empty metadata."""
    return {"domain": {}}, {}


def apply(it: Obj | None, pref: Obj | None, spec: Obj, meta: Obj | None = None) -> list[str]:
    return [c.path for c in apply_to_vmi(FIELD, it, pref, spec, meta if meta is not None else {})]


# --- cpu_test.go ----------------------------------------------------------------------------------


def full_cpu_instancetype() -> Obj:
    """The BeforeEach instancetype of cpu_test.go."""
    return {"cpu": {
        "guest": 2,
        "model": "host-passthrough",
        "dedicatedCPUPlacement": True,
        "isolateEmulatorThread": True,
        "numa": {"guestMappingPassthrough": {}},
        "realtime": {"mask": "0-3,^1"},
        "maxSockets": 6,
    }}


def assert_full_cpu(cpu: Obj) -> None:
    assert cpu["model"] == "host-passthrough"
    assert cpu["dedicatedCpuPlacement"] is True
    assert cpu["isolateEmulatorThread"] is True
    assert cpu["numa"] == {"guestMappingPassthrough": {}}
    assert cpu["realtime"] == {"mask": "0-3,^1"}


def test_cpu_should_default_to_prefer_sockets() -> None:
    # cpu_test.go It("should default to PreferSockets")
    spec, meta = new_vmi()
    assert apply(full_cpu_instancetype(), {"cpu": {}}, spec, meta) == []
    cpu = spec["domain"]["cpu"]
    assert (cpu["sockets"], cpu["cores"], cpu["threads"]) == (2, 1, 1)
    assert_full_cpu(cpu)
    assert cpu["maxSockets"] == 6


@pytest.mark.parametrize(("topology", "expected"), [
    # cpu_test.go It("should default to Sockets, when instancetype is used with PreferAny")
    ("any", (2, 1, 1)),
    # cpu_test.go It("should apply in full with PreferCores selected")
    ("cores", (1, 2, 1)),
    # cpu_test.go It("should apply in full with PreferThreads selected")
    ("threads", (1, 1, 2)),
    # cpu_test.go It("should apply in full with PreferSockets selected")
    ("sockets", (2, 1, 1)),
])
def test_cpu_applies_in_full_with_topology(topology: str, expected: tuple[int, int, int]) -> None:
    spec, meta = new_vmi()
    assert apply(full_cpu_instancetype(), {"cpu": {"preferredCPUTopology": topology}}, spec, meta) == []
    cpu = spec["domain"]["cpu"]
    assert (cpu["sockets"], cpu["cores"], cpu["threads"]) == expected
    assert_full_cpu(cpu)


_SCT = "SocketsCoresThreads"
_CT = "CoresThreads"

# cpu_test.go Context("with PreferSpread") DescribeTable("should spread"): (description, vCPUs, spreadOptions, s/c/t)
SPREAD_ENTRIES: list[tuple[str, int, Obj | None, tuple[int, int, int]]] = [
    ("by default to SocketsCores with a default topology for 1 vCPU", 1, None, (1, 1, 1)),
    ("by default to SocketsCores with 2 vCPUs and a default ratio of 1:2:1", 2, None, (1, 2, 1)),
    ("by default to SocketsCores with 4 vCPUs and a default ratio of 1:2:1", 4, None, (2, 2, 1)),
    ("by default to SocketsCores with 6 vCPUs and a default ratio of 1:2:1", 6, None, (3, 2, 1)),
    ("by default to SocketsCores with 8 vCPUs and a default ratio of 1:2:1", 8, None, (4, 2, 1)),
    ("by default to SocketsCores with 3 vCPUs and a ratio of 1:3:1", 3, {"ratio": 3}, (1, 3, 1)),
    ("by default to SocketsCores with 6 vCPUs and a ratio of 1:3:1", 6, {"ratio": 3}, (2, 3, 1)),
    ("by default to SocketsCores with 9 vCPUs and a ratio of 1:3:1", 9, {"ratio": 3}, (3, 3, 1)),
    ("by default to SocketsCores with 12 vCPUs and a ratio of 1:3:1", 12, {"ratio": 3}, (4, 3, 1)),
    ("by default to SocketsCores with 4 vCPUs and a ratio of 1:4:1", 4, {"ratio": 4}, (1, 4, 1)),
    ("by default to SocketsCores with 8 vCPUs and a ratio of 1:4:1", 8, {"ratio": 4}, (2, 4, 1)),
    ("by default to SocketsCores with 12 vCPUs and a ratio of 1:4:1", 12, {"ratio": 4}, (3, 4, 1)),
    ("by default to SocketsCores with 16 vCPUs and a ratio of 1:4:1", 16, {"ratio": 4}, (4, 4, 1)),
    ("to SocketsCoresThreads with 4 vCPUs and a default ratio of 1:2:2", 4, {"across": _SCT}, (1, 2, 2)),
    ("to SocketsCoresThreads with 8 vCPUs and a default ratio of 1:2:2", 8, {"across": _SCT}, (2, 2, 2)),
    ("to SocketsCoresThreads with 12 vCPUs and a default ratio of 1:2:2", 12, {"across": _SCT}, (3, 2, 2)),
    ("to SocketsCoresThreads with 16 vCPUs and a default ratio of 1:2:2", 16, {"across": _SCT}, (4, 2, 2)),
    ("to SocketsCoresThreads with 6 vCPUs and a ratio of 1:3:2", 6, {"across": _SCT, "ratio": 3}, (1, 3, 2)),
    ("to SocketsCoresThreads with 12 vCPUs and a ratio of 1:3:2", 12, {"across": _SCT, "ratio": 3}, (2, 3, 2)),
    ("to SocketsCoresThreads with 18 vCPUs and a ratio of 1:3:2", 18, {"across": _SCT, "ratio": 3}, (3, 3, 2)),
    ("to SocketsCoresThreads with 24 vCPUs and a ratio of 1:3:2", 24, {"across": _SCT, "ratio": 3}, (4, 3, 2)),
    ("to SocketsCoresThreads with 8 vCPUs and a ratio of 1:4:2", 8, {"across": _SCT, "ratio": 4}, (1, 4, 2)),
    ("to SocketsCoresThreads with 16 vCPUs and a ratio of 1:4:2", 16, {"across": _SCT, "ratio": 4}, (2, 4, 2)),
    ("to SocketsCoresThreads with 24 vCPUs and a ratio of 1:4:2", 24, {"across": _SCT, "ratio": 4}, (3, 4, 2)),
    ("to SocketsCoresThreads with 36 vCPUs and a ratio of 1:4:2", 36, {"across": _SCT, "ratio": 4}, (4, 4, 2)),
    ("to CoresThreads with 2 vCPUs and a default ratio of 1:2", 2, {"across": _CT}, (1, 1, 2)),
    ("to CoresThreads with 4 vCPUs and a default ratio of 1:2", 4, {"across": _CT}, (1, 2, 2)),
    ("to CoresThreads with 6 vCPUs and a default ratio of 1:2", 6, {"across": _CT}, (1, 3, 2)),
    ("to CoresThreads with 8 vCPUs and a default ratio of 1:2", 8, {"across": _CT}, (1, 4, 2)),
]


@pytest.mark.parametrize(("vcpus", "options", "expected"), [e[1:] for e in SPREAD_ENTRIES],
                         ids=[e[0] for e in SPREAD_ENTRIES])
def test_cpu_should_spread(vcpus: int, options: Obj | None, expected: tuple[int, int, int]) -> None:
    # cpu_test.go DescribeTable("should spread") Entry(<id>)
    instancetype = full_cpu_instancetype()
    instancetype["cpu"]["guest"] = vcpus
    preference: Obj = {"cpu": {"preferredCPUTopology": "spread"}}
    if options is not None:
        preference["cpu"]["spreadOptions"] = options
    spec, meta = new_vmi()
    assert apply(instancetype, preference, spec, meta) == []
    cpu = spec["domain"]["cpu"]
    assert (cpu["sockets"], cpu["cores"], cpu["threads"]) == expected


def test_cpu_conflicts_when_vmi_domain_cpu_already_defined() -> None:
    # cpu_test.go It("should return a conflict if vmi.Spec.Domain.CPU already defined")
    spec = {"domain": {"cpu": {"cores": 4, "sockets": 1, "threads": 1}}}
    assert apply({"cpu": {"guest": 2}}, {"cpu": {}}, spec) == [
        "spec.template.spec.domain.cpu.sockets",
        "spec.template.spec.domain.cpu.cores",
        "spec.template.spec.domain.cpu.threads",
    ]


@pytest.mark.parametrize(("kind", "expected"), [
    # cpu_test.go It("should return a conflict if vmi.Spec.Domain.Resources.Requests[k8sv1.ResourceCPU] already defined")
    ("requests", "spec.template.spec.domain.resources.requests.cpu"),
    # cpu_test.go It("should return a conflict if vmi.Spec.Domain.Resources.Limits[k8sv1.ResourceCPU] already defined")
    ("limits", "spec.template.spec.domain.resources.limits.cpu"),
])
def test_cpu_conflicts_on_cpu_resources(kind: str, expected: str) -> None:
    spec = {"domain": {"resources": {kind: {"cpu": "1"}}}}
    conflicts = apply({"cpu": {"guest": 2}}, {"cpu": {}}, spec)
    assert conflicts == [expected]
    assert Conflict(conflicts[0]).message() == f"VM field(s) {expected} conflicts with selected instance type"


def test_cpu_should_apply_preferred_cpu_features() -> None:
    # cpu_test.go It("should apply PreferredCPUFeatures")
    preference = {"cpu": {"preferredCPUFeatures": [{"name": "foo", "policy": "require"},
                                                   {"name": "bar", "policy": "force"}]}}
    spec = {"domain": {"cpu": {"features": [{"name": "bar", "policy": "optional"}]}}}
    assert apply(full_cpu_instancetype(), preference, spec) == []
    features = spec["domain"]["cpu"]["features"]
    assert len(features) == 2
    assert {"name": "foo", "policy": "require"} in features
    assert {"name": "bar", "policy": "optional"} in features


# --- memory_test.go -------------------------------------------------------------------------------


def memory_instancetype() -> Obj:
    """The BeforeEach instancetype of memory_test.go."""
    return {"memory": {"guest": "512M", "hugepages": {"pageSize": "1Gi"}, "maxGuest": "2G"}}


def test_memory_should_apply_memory_spec_to_vmi() -> None:
    # memory_test.go It("should apply memory spec to VMI")
    spec, meta = new_vmi()
    assert apply(memory_instancetype(), None, spec, meta) == []
    assert spec["domain"]["memory"] == {"guest": "512M", "hugepages": {"pageSize": "1Gi"}, "maxGuest": "2G"}


@pytest.mark.parametrize(("percent", "request_bytes", "request_text"), [
    # memory_test.go DescribeTable("should apply memory overcommit to VMI based on OvercommitPercent") Entry("with 15% overcommit")
    (15, 435200000, "435200k"),
    # ... Entry("with 80% overcommit"): float32 arithmetic gives 102399992, not 102400000
    (80, 102399992, "102399992"),
])
def test_memory_overcommit(percent: int, request_bytes: int, request_text: str) -> None:
    instancetype = memory_instancetype()
    del instancetype["memory"]["hugepages"]
    instancetype["memory"]["overcommitPercent"] = percent
    spec, meta = new_vmi()
    assert apply(instancetype, None, spec, meta) == []
    request = spec["domain"]["resources"]["requests"]["memory"]
    assert request == request_text
    assert parse_quantity(request) == request_bytes
    assert request_bytes != 512_000_000


@pytest.mark.parametrize(("memory", "expected"), [
    # memory_test.go It("should return a conflict if vmi.Spec.Domain.Memory.Guest is already defined")
    ({"guest": "512M"}, "spec.template.spec.domain.memory.guest"),
    # memory_test.go It("should return a conflict if both vmi.Spec.Domain.Memory.Hugepages and instancetypeSpec.Memory.Hugepages are defined")
    ({"hugepages": {"pageSize": "1Gi"}}, "spec.template.spec.domain.memory.hugepages"),
    # memory_test.go It("should return a conflict if both vmi.Spec.Domain.Memory.MaxGuest and instancetypeSpec.Memory.MaxGuest are defined")
    ({"maxGuest": "2G"}, "spec.template.spec.domain.memory.maxGuest"),
])
def test_memory_conflicts(memory: Obj, expected: str) -> None:
    spec = {"domain": {"memory": memory}}
    assert apply(memory_instancetype(), None, spec) == [expected]


def test_memory_vmi_hugepages_without_instancetype_hugepages_is_kept() -> None:
    # memory_test.go It("should not return a conflict if vmi.Spec.Domain.Memory.Hugepages is defined and
    # instancetypeSpec.Memory.Hugepages is not defined")
    instancetype = memory_instancetype()
    del instancetype["memory"]["hugepages"]
    spec = {"domain": {"memory": {"hugepages": {"pageSize": "1Gi"}}}}
    assert apply(instancetype, None, spec) == []
    assert spec["domain"]["memory"] == {"guest": "512M", "hugepages": {"pageSize": "1Gi"}, "maxGuest": "2G"}


def test_memory_vmi_max_guest_without_instancetype_max_guest_is_kept() -> None:
    # memory_test.go It("should not return a conflict if vmi.Spec.Domain.Memory.MaxGuest is defined and
    # instancetypeSpec.Memory.MaxGuest is not defined")
    instancetype = memory_instancetype()
    del instancetype["memory"]["maxGuest"]
    spec = {"domain": {"memory": {"maxGuest": "2G"}}}
    assert apply(instancetype, None, spec) == []
    assert spec["domain"]["memory"] == {"guest": "512M", "hugepages": {"pageSize": "1Gi"}, "maxGuest": "2G"}


@pytest.mark.parametrize(("kind", "expected"), [
    # memory_test.go It("should return a conflict if memory request is already defined")
    ("requests", "spec.template.spec.domain.resources.requests.memory"),
    # memory_test.go It("should return a conflict if memory limit is already defined")
    ("limits", "spec.template.spec.domain.resources.limits.memory"),
])
def test_memory_conflicts_on_memory_resources(kind: str, expected: str) -> None:
    spec = {"domain": {"resources": {kind: {"memory": "128Mi"}}}}
    assert apply({"memory": {"guest": "512M"}}, None, spec) == [expected]


# --- annotations_test.go --------------------------------------------------------------------------

ANNOTATIONS = {"annotation-1": "1", "annotation-2": "2"}


def test_annotations_should_apply_to_vmi() -> None:
    # annotations_test.go It("should apply to VMI")
    spec, meta = new_vmi()
    assert apply({"annotations": dict(ANNOTATIONS)}, None, spec, meta) == []
    assert meta["annotations"] == ANNOTATIONS


def test_annotations_same_value_is_not_a_conflict() -> None:
    # annotations_test.go It("should not detect conflict when annotation with the same value already exists")
    spec, meta = new_vmi()
    meta["annotations"] = dict(ANNOTATIONS)
    assert apply({"annotations": dict(ANNOTATIONS)}, None, spec, meta) == []
    assert meta["annotations"] == ANNOTATIONS


def test_annotations_different_value_conflicts_without_prefix() -> None:
    # annotations_test.go It("should detect conflict when annotation with different value already exists")
    spec, meta = new_vmi()
    meta["annotations"] = {"annotation-1": "conflict"}
    assert apply({"annotations": dict(ANNOTATIONS)}, None, spec, meta) == ["annotations.annotation-1"]


# --- gpu_test.go / hostdevices_test.go ------------------------------------------------------------


@pytest.mark.parametrize(("key", "item"), [
    # gpu_test.go It("should apply to VMI")
    ("gpus", {"name": "barfoo", "deviceName": "vendor.com/gpu_name"}),
    # hostdevices_test.go It("should apply to VMI")
    ("hostDevices", {"name": "foobar", "deviceName": "vendor.com/device_name"}),
])
def test_devices_should_apply_to_vmi(key: str, item: Obj) -> None:
    spec, meta = new_vmi()
    assert apply({key: [item]}, None, spec, meta) == []
    assert spec["domain"]["devices"][key] == [item]


@pytest.mark.parametrize(("key", "item", "existing"), [
    # gpu_test.go It("should detect GPU conflict")
    ("gpus", {"name": "barfoo", "deviceName": "vendor.com/gpu_name"},
     {"name": "foobar", "deviceName": "vendor.com/gpu_name"}),
    # hostdevices_test.go It("should detect HostDevice conflict")
    ("hostDevices", {"name": "foobar", "deviceName": "vendor.com/device_name"},
     {"name": "foobar", "deviceName": "vendor.com/device_name"}),
])
def test_devices_conflict(key: str, item: Obj, existing: Obj) -> None:
    spec = {"domain": {"devices": {key: [existing]}}}
    assert apply({key: [item]}, None, spec) == [f"spec.template.spec.domain.devices.{key}"]
    assert spec["domain"]["devices"][key] == [existing]


# --- iothreadpolicy_test.go / iothreads_test.go / launchsecurity_test.go ----------------------------


def test_io_threads_policy_should_apply_to_vmi() -> None:
    # iothreadpolicy_test.go It("should apply to VMI")
    spec, meta = new_vmi()
    assert apply({"ioThreadsPolicy": "shared"}, None, spec, meta) == []
    assert spec["domain"]["ioThreadsPolicy"] == "shared"


def test_io_threads_policy_conflict() -> None:
    # iothreadpolicy_test.go It("should detect IOThreadsPolicy conflict")
    spec = {"domain": {"ioThreadsPolicy": "shared"}}
    assert apply({"ioThreadsPolicy": "shared"}, None, spec) == ["spec.template.spec.domain.ioThreadsPolicy"]


@pytest.mark.parametrize("domain", [
    # iothreads_test.go DescribeTable("should apply SupplementalPoolThreadCount when") Entry("IOThreads nil within VMI")
    {},
    # ... Entry("SupplementalPoolThreadCount nil within VMI")
    {"ioThreads": {}},
])
def test_io_threads_supplemental_pool_applied(domain: Obj) -> None:
    spec = {"domain": domain}
    assert apply({"ioThreads": {"supplementalPoolThreadCount": 4}}, None, spec) == []
    assert spec["domain"]["ioThreads"] == {"supplementalPoolThreadCount": 4}


def test_io_threads_supplemental_pool_conflict_keeps_vmi_value() -> None:
    # iothreads_test.go It("should not apply SupplementalPoolThreadCount when SupplementalPoolThreadCount provided within VMI")
    spec = {"domain": {"ioThreads": {"supplementalPoolThreadCount": 6}}}
    conflicts = apply({"ioThreads": {"supplementalPoolThreadCount": 4}}, None, spec)
    assert "spec.template.spec.domain.ioThreads.supplementalPoolThreadCount" in conflicts
    assert spec["domain"]["ioThreads"] == {"supplementalPoolThreadCount": 6}


def test_launch_security_should_apply_to_vmi() -> None:
    # launchsecurity_test.go It("should apply to VMI")
    spec, meta = new_vmi()
    assert apply({"launchSecurity": {"sev": {}}}, None, spec, meta) == []
    assert spec["domain"]["launchSecurity"] == {"sev": {}}


def test_launch_security_conflict() -> None:
    # launchsecurity_test.go It("should detect LaunchSecurity conflict")
    spec = {"domain": {"launchSecurity": {"sev": {}}}}
    assert apply({"launchSecurity": {"sev": {}}}, None, spec) == ["spec.template.spec.domain.launchSecurity"]


# --- nodeselector_test.go / scheduler_test.go -----------------------------------------------------


def test_node_selector_should_apply_to_vmi() -> None:
    # nodeselector_test.go It("should apply to VMI")
    spec, meta = new_vmi()
    assert apply({"nodeSelector": {"key": "value"}}, None, spec, meta) == []
    assert spec["nodeSelector"] == {"key": "value"}


def test_node_selector_noop_without_instancetype_node_selector() -> None:
    # nodeselector_test.go It("should be no-op if vmi.Spec.NodeSelector is already set but instancetype.NodeSelector is empty")
    spec: Obj = {"domain": {}, "nodeSelector": {"key": "value"}}
    assert apply({}, None, spec) == []
    assert spec["nodeSelector"] == {"key": "value"}


def test_node_selector_conflict_even_when_equal() -> None:
    # nodeselector_test.go It("should return a conflict if vmi.Spec.NodeSelector is already set and instancetype.NodeSelector is defined")
    spec: Obj = {"domain": {}, "nodeSelector": {"key": "value"}}
    assert apply({"nodeSelector": {"key": "value"}}, None, spec) == ["spec.template.spec.nodeSelector"]


def test_scheduler_name_should_apply_to_vmi() -> None:
    # scheduler_test.go It("should apply to VMI")
    spec, meta = new_vmi()
    assert apply({"schedulerName": "ultra-scheduler"}, None, spec, meta) == []
    assert spec["schedulerName"] == "ultra-scheduler"


def test_scheduler_name_noop_without_instancetype_scheduler() -> None:
    # scheduler_test.go It("should be no-op if vmi.Spec.SchedulerName is already set but instancetype.SchedulerName is empty")
    spec: Obj = {"domain": {}, "schedulerName": "super-fast-scheduler"}
    assert apply({}, None, spec) == []
    assert spec["schedulerName"] == "super-fast-scheduler"


def test_scheduler_name_conflict() -> None:
    # scheduler_test.go It("should return a conflict if vmi.Spec.SchedulerName is already set and instancetype.SchedulerName is defined")
    spec: Obj = {"domain": {}, "schedulerName": "slow-scheduler"}
    assert apply({"schedulerName": "ultra-fast-scheduler"}, None, spec) == ["spec.template.spec.schedulerName"]
