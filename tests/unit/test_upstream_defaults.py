"""KubeVirt's own VMI-defaulting unit tests, ported (pkg/virt-api/webhooks/mutating-webhook/mutators/
vmi-mutator_test.go, pkg/defaults/defaults_test.go, pkg/network/vmispec/defaults_test.go @ d923fdb8).

The VMI mutating webhook on create is ``vmctl.core.pipeline.resolve`` of a VirtualMachineInstance (presets, then
``SetDefaultVirtualMachineInstance``, then the finalizer and status); cluster settings are a ``ClusterConfig``.
"""

from __future__ import annotations

from typing import Any

import pytest

from vmctl.catalog import load_catalog
from vmctl.core.defaults import (
    DEFAULT_CLUSTER,
    ClusterConfig,
    set_default_network_interface,
    supports_pcie_hotplug,
)
from vmctl.core.fields import clone
from vmctl.core.pipeline import MemoSource, resolve
from vmctl.core.vmi_from_vm import mutate_defaults
from vmctl.errors import ObjectRejected

Obj = dict[str, Any]
LIVE_UPDATE = DEFAULT_CLUSTER  # KubeVirt's default rollout strategy is LiveUpdate
VMX = {"name": "vmx", "policy": "require"}


def base_vmi() -> Obj:
    """The BeforeEach VMI of vmi-mutator_test.go."""
    return {"apiVersion": "kubevirt.io/v1", "kind": "VirtualMachineInstance",
            "metadata": {"labels": {"test": "test"}}, "spec": {"domain": {"resources": {}}}}


def minimal_vmi(name: str = "testvmi") -> Obj:
    """``api.NewMinimalVMI``: a memory request of 8192Ki and nothing else."""
    return {"apiVersion": "kubevirt.io/v1", "kind": "VirtualMachineInstance",
            "metadata": {"name": name, "namespace": "default"},
            "spec": {"domain": {"resources": {"requests": {"memory": "8192Ki"}}}}}


def admit(vmi: Obj, cluster: ClusterConfig = DEFAULT_CLUSTER, presets: list[Obj] | None = None) -> Obj:
    # vmi-mutator_test.go runs the mutating webhook alone: no validation
    return resolve(vmi, MemoSource(load_catalog(presets or [])), origins=False, cluster=cluster,
                   validating=False).obj


def with_arch(arch: str, vmi: Obj | None = None) -> Obj:
    vmi = vmi if vmi is not None else base_vmi()
    vmi["spec"]["architecture"] = arch
    return vmi


# --- vmi-mutator_test.go: presets ---------------------------------------------------------------------

PRESET = {"apiVersion": "kubevirt.io/v1", "kind": "VirtualMachineInstancePreset",
          "metadata": {"name": "test-preset", "namespace": "default"},
          "spec": {"selector": {"matchLabels": {"test": "test"}}, "domain": {"cpu": {"cores": 4}}}}


def test_presets_applied_on_create() -> None:
    # vmi-mutator_test.go Context("with presets") It("should apply presets on VMI create")
    got = admit(base_vmi(), presets=[clone(PRESET)])
    assert got["spec"]["domain"]["cpu"]["cores"] == 4
    assert got["metadata"]["annotations"]["virtualmachinepreset.kubevirt.io/test-preset"] == "kubevirt.io/v1"


def test_presets_deprecation_warning() -> None:
    # vmi-mutator_test.go It("should include deprecation warning in response when presets are applied to VMI")
    result = resolve(base_vmi(), MemoSource(load_catalog([clone(PRESET)])), origins=False, validating=False)
    assert any("VirtualMachineInstancePresets is now deprecated" in w for w in result.warnings)


# --- vmi-mutator_test.go: architecture defaults -------------------------------------------------------

ARCH_DEFAULTS = [
    ("amd64", "host-model", "q35"),
    ("arm64", "host-passthrough", "virt"),
    ("s390x", "host-model", "s390-ccw-virtio"),
]


@pytest.mark.parametrize(("arch", "model", "machine"), ARCH_DEFAULTS)
def test_defaults_when_arch_is_known(arch: str, model: str, machine: str) -> None:
    # vmi-mutator_test.go DescribeTable("should apply defaults on VMI create when arch is known")
    # Entry("when architecture is <arch>")
    spec = admit(with_arch(arch))["spec"]
    assert spec["domain"]["machine"]["type"] == machine
    assert spec["domain"]["cpu"]["model"] == model
    assert "cpu" not in spec["domain"]["resources"].get("requests", {})
    assert "memory" not in spec["domain"]["resources"].get("requests", {})


@pytest.mark.parametrize(("arch", "model", "machine"), ARCH_DEFAULTS)
def test_defaults_when_arch_comes_from_cluster(arch: str, model: str, machine: str) -> None:
    # vmi-mutator_test.go DescribeTable("should apply defaults on VMI create when arch is unknown")
    # Entry("when architecture is <arch>")
    spec = admit(base_vmi(), ClusterConfig(default_architecture=arch))["spec"]
    assert spec["architecture"] == arch
    assert spec["domain"]["machine"]["type"] == machine
    assert spec["domain"]["cpu"]["model"] == model
    assert "cpu" not in spec["domain"]["resources"].get("requests", {})


@pytest.mark.parametrize(("arch", "model"), [
    # vmi-mutator_test.go DescribeTable("should apply configurable defaults on VMI create") Entry("on amd64")
    ("amd64", "Haswell"),
    # ... Entry("on s390x")
    ("s390x", "Haswell"),
    # ... Entry("on arm64")  (only host-passthrough on arm64)
    ("arm64", "host-passthrough"),
])
def test_configurable_defaults(arch: str, model: str) -> None:
    machine = "pc-q35-3.0"
    cluster = ClusterConfig(cpu_model="Haswell", cpu_request="800m",
                            machine_types={"amd64": machine, "arm64": machine, "s390x": machine})
    spec = admit(with_arch(arch), cluster)["spec"]
    assert spec["domain"]["cpu"]["model"] == model
    assert spec["domain"]["machine"]["type"] == machine
    assert spec["domain"]["resources"]["requests"]["cpu"] == "800m"


def _container_disk(name: str, image: str, policy: str | None = None) -> Obj:
    disk: Obj = {"image": image}
    if policy is not None:
        disk["imagePullPolicy"] = policy
    return {"name": name, "containerDisk": disk}


@pytest.mark.parametrize(("given", "expected"), [
    # vmi-mutator_test.go DescribeTable("it should") Entry("set the ImagePullPolicy to IfNotPresent if sha256")
    ([_container_disk("a", "test@sha256:9c2b78e11c25b3fd0b24b0ed684a112052dff03eee4ca4bdcc4f3168f9a14396")],
     [_container_disk("a", "test@sha256:9c2b78e11c25b3fd0b24b0ed684a112052dff03eee4ca4bdcc4f3168f9a14396",
                      "IfNotPresent")]),
    # ... Entry("set the ImagePullPolicy to Always if :latest is specified")
    ([_container_disk("a", "test:latest")], [_container_disk("a", "test:latest", "Always")]),
    # ... Entry("set the ImagePullPolicy to Always if no tag or shasum is specified")
    ([_container_disk("a", "test")], [_container_disk("a", "test", "Always")]),
    # ... Entry("set the ImagePullPolicy to IfNotPresent if arbitrary tags are specified")
    ([_container_disk("a", "test:notlatest")], [_container_disk("a", "test:notlatest", "IfNotPresent")]),
    # ... Entry("set the right ImagePullPolicy on a mixture of sources")
    ([_container_disk("a", "test:notlatest"), _container_disk("b", "test:latest"),
      _container_disk("c", "test:latest", "Never"), _container_disk("d", "test", "IfNotPresent"),
      _container_disk("e", "test:notlatest")],
     [_container_disk("a", "test:notlatest", "IfNotPresent"), _container_disk("b", "test:latest", "Always"),
      _container_disk("c", "test:latest", "Never"), _container_disk("d", "test", "IfNotPresent"),
      _container_disk("e", "test:notlatest", "IfNotPresent")]),
])
def test_image_pull_policy(given: list[Obj], expected: list[Obj]) -> None:
    vmi = base_vmi()
    vmi["spec"]["volumes"] = given
    assert admit(vmi)["spec"]["volumes"] == expected


# --- vmi-mutator_test.go: network, disks, inputs ------------------------------------------------------


@pytest.mark.parametrize(("binding", "expected"), [
    # vmi-mutator_test.go DescribeTable("should add the default network interface") Entry("as bridge")
    ("bridge", {"name": "default", "bridge": {}}),
    # ... Entry("as masquerade")
    ("masquerade", {"name": "default", "masquerade": {}}),
])
def test_default_network_interface(binding: str, expected: Obj) -> None:
    spec = admit(base_vmi(), ClusterConfig(network_interface=binding))["spec"]
    assert spec["domain"]["devices"]["interfaces"] == [expected]
    assert spec["networks"] == [{"name": "default", "pod": {}}]


def test_default_slirp_interface_is_rejected() -> None:
    # vmi-mutator_test.go It("should reject adding a default deprecated slirp interface")
    with pytest.raises(ObjectRejected) as info:
        admit(base_vmi(), ClusterConfig(network_interface="slirp"))
    assert info.value.message == "slirp interface is deprecated as of v1.3"


@pytest.mark.parametrize(("interfaces", "networks"), [
    # vmi-mutator_test.go DescribeTable("should not add the default interfaces if")
    # Entry("interfaces and networks are non-empty")
    ([{"name": "a"}], [{"name": "b"}]),
    # ... Entry("interfaces is non-empty")
    ([{"name": "a"}], []),
    # ... Entry("networks is non-empty")
    ([], [{"name": "b"}]),
])
def test_no_default_interface_when_some_given(interfaces: list[Obj], networks: list[Obj]) -> None:
    vmi = base_vmi()
    vmi["spec"]["domain"]["devices"] = {"interfaces": clone(interfaces)}
    vmi["spec"]["networks"] = clone(networks)
    spec = admit(vmi)["spec"]
    assert spec["domain"]["devices"].get("interfaces") == (interfaces or None)
    assert spec.get("networks") == (networks or None)


def test_missing_volume_disk_is_added() -> None:
    # vmi-mutator_test.go It("should add a missing volume disk")
    vmi = base_vmi()
    vmi["spec"]["domain"]["devices"] = {"disks": [{"name": "present-vol"}]}
    vmi["spec"]["volumes"] = [{"name": "present-vol"}, {"name": "missing-vol"}]
    disks = admit(vmi)["spec"]["domain"]["devices"]["disks"]
    assert [d["name"] for d in disks] == ["present-vol", "missing-vol"]


def test_disk_with_null_target_gets_disk_target() -> None:
    # Not an upstream case: SetDefaults_DiskDevice (api/core/v1/defaults.go) tests the three targets for nil, and
    # an explicit JSON null decodes to nil, so `disk: null` still becomes `disk: {}` (then bus sata on amd64).
    vmi = base_vmi()
    vmi["spec"]["domain"]["devices"] = {"disks": [{"name": "a", "disk": None}]}
    vmi["spec"]["volumes"] = [{"name": "a", "containerDisk": {"image": "test:1"}}]
    assert admit(vmi)["spec"]["domain"]["devices"]["disks"] == [{"name": "a", "disk": {"bus": "sata"}}]


def test_input_device_defaults() -> None:
    # vmi-mutator_test.go It("should set defaults for input devices")
    vmi = base_vmi()
    vmi["spec"]["domain"]["devices"] = {"inputs": [{"name": "default-0"}]}
    assert admit(vmi)["spec"]["domain"]["devices"]["inputs"] == [{"name": "default-0", "bus": "usb", "type": "tablet"}]


def test_specified_properties_are_not_overridden() -> None:
    # vmi-mutator_test.go It("should not override specified properties with defaults on VMI create")
    cluster = ClusterConfig(cpu_model="Haswell", machine_type="pc-q35-3.0", cpu_request="800m")
    vmi = base_vmi()
    vmi["spec"]["domain"] = {"resources": {"requests": {"cpu": "600m", "memory": "512Mi"}},
                             "cpu": {"model": "EPYC"}, "machine": {"type": "q35"}}
    domain = admit(vmi, cluster)["spec"]["domain"]
    assert domain["cpu"]["model"] == "EPYC"
    assert domain["machine"]["type"] == "q35"
    assert domain["resources"]["requests"] == {"cpu": "600m", "memory": "512Mi"}


# --- vmi-mutator_test.go: annotations copied from the cluster configuration ----------------------------

PARITY = "alpha.kubevirt.io/EmulatorThreadCompleteToEvenParity"


@pytest.mark.parametrize(("parity_configured", "isolate"), [
    # vmi-mutator_test.go DescribeTable("should not copy the EmulatorThreadCompleteToEvenParity annotation to the VMI")
    # Entry("when the AlignCPUs featureGate is disabled") / Entry("when the EmulatorThreadCompleteToEvenParity
    # annotation is not set on the kubevirt CR")  (both: the cluster setting is off)
    (False, True),
    # ... Entry("when isolateEmulatorThread is disabled on the VMI spec")
    (True, False),
])
def test_even_parity_annotation_not_copied(parity_configured: bool, isolate: bool) -> None:
    vmi = base_vmi()
    vmi["spec"]["domain"]["cpu"] = {"isolateEmulatorThread": isolate}
    cluster = ClusterConfig(emulator_thread_complete_to_even_parity=parity_configured)
    assert PARITY not in admit(vmi, cluster)["metadata"].get("annotations", {})


def test_even_parity_annotation_copied() -> None:
    # vmi-mutator_test.go It("should copy the EmulatorThreadCompleteToEvenParity annotation to the VMI")
    vmi = base_vmi()
    vmi["spec"]["domain"]["cpu"] = {"isolateEmulatorThread": True}
    cluster = ClusterConfig(emulator_thread_complete_to_even_parity=True)
    assert admit(vmi, cluster)["metadata"]["annotations"][PARITY] == ""


@pytest.mark.parametrize(("cluster", "path"), [
    # vmi-mutator_test.go It("should copy the qgs socket path annotation to a TDX VMI")
    (ClusterConfig(qgs_socket_path="/var/run/tdx-qgs/custom.socket"), "/var/run/tdx-qgs/custom.socket"),
    # Not an upstream case: without TDX attestation configuration GetQGSSocketPath returns
    # DefaultQGSSocketPath (pkg/virt-config/virt-config.go), so every TDX VMI is annotated with it.
    (DEFAULT_CLUSTER, "/var/run/tdx-qgs/qgs.socket"),
])
def test_qgs_socket_path_annotation(cluster: ClusterConfig, path: str) -> None:
    vmi = base_vmi()
    vmi["spec"]["domain"]["launchSecurity"] = {"tdx": {}}
    assert admit(vmi, cluster)["metadata"]["annotations"]["kubevirt.io/qgs-socket-path"] == path


def test_no_qgs_socket_path_annotation_without_tdx() -> None:
    # Not an upstream case: util.IsTDXVMI is false for a SEV VMI.
    vmi = base_vmi()
    vmi["spec"]["domain"]["launchSecurity"] = {"sev": {}}
    assert "kubevirt.io/qgs-socket-path" not in admit(vmi)["metadata"].get("annotations", {})


# --- vmi-mutator_test.go: PCI topology annotation -------------------------------------------------


@pytest.mark.parametrize(("arch", "annotated"), [
    # vmi-mutator_test.go DescribeTable("should set PCI topology version based on architecture")
    # Entry("amd64 gets v3")
    ("amd64", True),
    # ... Entry("arm64 gets v3")
    ("arm64", True),
    # ... Entry("s390x skipped")
    ("s390x", False),
    # ... Entry("ppc64le skipped")
    ("ppc64le", False),
])
def test_pci_topology_annotation(arch: str, annotated: bool) -> None:
    annotations = admit(with_arch(arch))["metadata"].get("annotations", {})
    if annotated:
        assert annotations["kubevirt.io/pci-topology-version"] == "v3"
    else:
        assert "kubevirt.io/pci-topology-version" not in annotations


def test_pci_topology_skipped_for_i440fx() -> None:
    # vmi-mutator_test.go It("should skip PCI topology version for i440fx machine type")
    vmi = with_arch("amd64")
    vmi["spec"]["domain"]["machine"] = {"type": "pc-i440fx-2.12"}
    assert "kubevirt.io/pci-topology-version" not in admit(vmi)["metadata"].get("annotations", {})


def test_pci_topology_existing_annotation_kept() -> None:
    # vmi-mutator_test.go It("should not override existing PCI topology version annotation")
    vmi = base_vmi()
    vmi["metadata"]["annotations"] = {"kubevirt.io/pci-topology-version": "v2"}
    assert admit(vmi)["metadata"]["annotations"]["kubevirt.io/pci-topology-version"] == "v2"


# --- vmi-mutator_test.go: CPU, memory ----------------------------------------------------------------


@pytest.mark.parametrize("request_cpu", [
    # vmi-mutator_test.go It("should convert CPU requests to sockets")
    "2200m",
    # vmi-mutator_test.go It("should convert CPU limits to sockets")  (upstream sets the request here too)
    "2.3",
])
def test_cpu_request_becomes_sockets(request_cpu: str) -> None:
    vmi = base_vmi()
    vmi["spec"]["domain"] = {"cpu": {"model": "EPYC"}, "resources": {"requests": {"cpu": request_cpu}}}
    cpu = admit(vmi)["spec"]["domain"]["cpu"]
    assert (cpu["sockets"], cpu["cores"], cpu["threads"]) == (3, 1, 1)


def test_foreground_finalizer() -> None:
    # vmi-mutator_test.go It("should apply foreground finalizer on VMI create")
    assert "kubevirt.io/foregroundDeleteVirtualMachine" in admit(base_vmi())["metadata"]["finalizers"]


def test_cpu_limit_copied_to_request() -> None:
    # vmi-mutator_test.go It("should copy cpu limits to requests if only limits are set")
    vmi = base_vmi()
    vmi["spec"]["domain"]["resources"] = {"requests": {}, "limits": {"cpu": "1"}}
    resources = admit(vmi)["spec"]["domain"]["resources"]
    assert resources["requests"]["cpu"] == "1"
    assert resources["limits"]["cpu"] == "1"


@pytest.mark.parametrize(("resources", "memory"), [
    # vmi-mutator_test.go DescribeTable("should always set memory.guest") Entry("when requests are set")
    ({"requests": {"memory": "1Gi"}}, None),
    # ... Entry("when limits are set")
    ({"limits": {"memory": "1Gi"}}, None),
    # ... Entry("when both requests and limits are set")
    ({"requests": {"memory": "1Gi"}, "limits": {"memory": "1Gi"}}, None),
    # ... Entry("when only hugepages pagesize is set")
    ({}, {"hugepages": {"pageSize": "1Gi"}}),
])
def test_memory_guest_always_set(resources: Obj, memory: Obj | None) -> None:
    vmi = base_vmi()
    vmi["spec"]["domain"]["resources"] = resources
    if memory is not None:
        vmi["spec"]["domain"]["memory"] = memory
    assert admit(vmi)["spec"]["domain"]["memory"]["guest"] == "1Gi"


# --- vmi-mutator_test.go: Hyper-V dependencies ---------------------------------------------------------


def hyperv_after(hyperv: Obj | None, cpu: Obj | None = None) -> tuple[Obj | None, Obj]:
    vmi = minimal_vmi()
    if hyperv is not None:
        vmi["spec"]["domain"]["features"] = {"hyperv": hyperv}
    if cpu is not None:
        vmi["spec"]["domain"]["cpu"] = cpu
    domain = admit(vmi)["spec"]["domain"]
    return domain["features"].get("hyperv"), domain["cpu"]


def test_hyperv_dependencies_set() -> None:
    # vmi-mutator_test.go It("should set the hyperv dependencies")
    hyperv, _ = hyperv_after({"synictimer": {"enabled": True}})
    assert hyperv is not None
    assert hyperv["vpindex"]["enabled"] is True
    assert hyperv["synic"]["enabled"] is True
    assert hyperv["synictimer"]["enabled"] is True


def test_hyperv_absent_is_not_mutated() -> None:
    # vmi-mutator_test.go It("Should not mutate VMIs without HyperV configuration")
    hyperv, cpu = hyperv_after(None)
    assert hyperv is None
    assert "features" not in cpu


def test_hyperv_empty_is_not_mutated() -> None:
    # vmi-mutator_test.go It("Should not mutate VMIs with empty HyperV configuration")
    hyperv, _ = hyperv_after({})
    assert hyperv == {}


def test_hyperv_without_dependencies_is_not_mutated() -> None:
    # vmi-mutator_test.go It("Should not mutate VMIs with hyperv configuration without deps")
    given = {"relaxed": {"enabled": True}, "runtime": {"enabled": True}, "reset": {"enabled": True}}
    hyperv, _ = hyperv_after(clone(given))
    assert hyperv == given


def test_hyperv_dependencies_fixed() -> None:
    # vmi-mutator_test.go It("Should mutate VMIs with hyperv configuration to fix deps")
    hyperv, _ = hyperv_after({"relaxed": {"enabled": True}, "synictimer": {"enabled": True}})
    assert hyperv == {"relaxed": {"enabled": True}, "vpindex": {"enabled": True}, "synic": {"enabled": True},
                      "synictimer": {"enabled": True}}


def test_hyperv_dependencies_partially_fixed() -> None:
    # vmi-mutator_test.go It("Should partially mutate VMIs with explicit hyperv configuration")
    hyperv, cpu = hyperv_after({"vpindex": {"enabled": False}, "synictimer": {"enabled": True},
                                "evmcs": {"enabled": True}})
    assert hyperv == {"vpindex": {"enabled": False}, "synic": {"enabled": True}, "synictimer": {"enabled": True},
                      "evmcs": {"enabled": True}, "vapic": {"enabled": True}}
    assert "features" not in cpu  # the failed dependency stops before the vmx CPU feature is added


@pytest.mark.parametrize(("cpu", "hyperv", "features"), [
    # vmi-mutator_test.go DescribeTable("modify the VMI cpu feature ") Entry("if hyperV doesn't contain EVMCS")
    (None, {"relaxed": {"enabled": True}}, None),
    # ... Entry("if EVMCS is explicitly false ")
    (None, {"evmcs": {"enabled": False}}, None),
    # ... Entry("if hyperV does contain EVMCS")
    (None, {"evmcs": {}}, [VMX]),
    # ... Entry("if EVMCS is explicitly true ")
    (None, {"evmcs": {"enabled": True}}, [VMX]),
    # ... Entry("if hyperV does contain EVMCS and cpu sockets ")
    ({"sockets": 2}, {"evmcs": {}}, [VMX]),
    # ... Entry("if hyperV does contain EVMCS and 0 cpu features ")
    ({"features": []}, {"evmcs": {}}, [VMX]),
    # ... Entry("if hyperV does contain EVMCS and 1 different cpu feature ")
    ({"features": [{"name": "monitor", "policy": "require"}]}, {"evmcs": {}},
     [{"name": "monitor", "policy": "require"}, VMX]),
    # ... Entry("if hyperV does contain EVMCS and disabled vmx cpu feature ")
    ({"features": [{"name": "vmx", "policy": "disabled"}]}, {"evmcs": {}}, [VMX]),
    # ... Entry("if hyperV does contain EVMCS and enabled vmx cpu feature ")
    ({"features": [{"name": "vmx", "policy": "require"}]}, {"evmcs": {}}, [VMX]),
])
def test_evmcs_vmx_cpu_feature(cpu: Obj | None, hyperv: Obj, features: list[Obj] | None) -> None:
    _, got = hyperv_after(hyperv, cpu)
    assert got.get("features") == features
    if cpu is not None and "sockets" in cpu:
        assert got["sockets"] == 2


# --- vmi-mutator_test.go: status, eviction strategy --------------------------------------------------


def test_root_feature_gate_leaves_runtime_user_unset() -> None:
    # vmi-mutator_test.go When("Root feature gate is enabled") It("Should not tag vmi as non-root ")
    # runtimeUser is a plain uint64 without omitempty: left unset it is written as 0
    assert admit(base_vmi(), ClusterConfig(root_enabled=True))["status"]["runtimeUser"] == 0


def test_runtime_user_is_non_root() -> None:
    # vmi-mutator_test.go It("Should tag vmi as non-root ")
    assert admit(base_vmi())["status"]["runtimeUser"] == 107


@pytest.mark.parametrize(("vmi_strategy", "cluster_strategy", "expected"), [
    # vmi-mutator_test.go DescribeTable("evictionStrategy should match the") Entry("one set in the VMI")
    ("LiveMigrate", "None", "LiveMigrate"),
    # ... Entry("one set cluster-wide")
    (None, "None", "None"),
    # ... Entry("one set in the VMI if both cluster-wide and VMI are set")
    ("None", "LiveMigrate", "None"),
    # ... Entry("default one if nothing is set")  (KubeVirt's default configuration says None)
    (None, DEFAULT_CLUSTER.eviction_strategy, "None"),
])
def test_eviction_strategy(vmi_strategy: str | None, cluster_strategy: str | None, expected: str) -> None:
    vmi = base_vmi()
    if vmi_strategy is not None:
        vmi["spec"]["evictionStrategy"] = vmi_strategy
    assert admit(vmi, ClusterConfig(eviction_strategy=cluster_strategy))["spec"]["evictionStrategy"] == expected


def test_guest_memory_status() -> None:
    # vmi-mutator_test.go It("should set guest memory status on VMI creation")
    vmi = base_vmi()
    vmi["spec"]["domain"]["memory"] = {"guest": "128Mi"}
    assert admit(vmi)["status"]["memory"] == {"guestAtBoot": "128Mi", "guestCurrent": "128Mi",
                                              "guestRequested": "128Mi"}


def test_default_cpu_topology_status() -> None:
    # vmi-mutator_test.go Context("CPU topology") It("should set default CPU topology in Status when not provided by VMI")
    assert admit(base_vmi())["status"]["currentCPUTopology"] == {"sockets": 1, "cores": 1, "threads": 1}


@pytest.mark.parametrize(("cpu", "status"), [
    # vmi-mutator_test.go DescribeTable("should copy VMI provided") Entry("full guest CPU topology")
    ({"sockets": 3, "cores": 3, "threads": 2}, {"sockets": 3, "cores": 3, "threads": 2}),
    # ... Entry("partial guest CPU topology")  (threads 0 is omitted in JSON)
    ({"sockets": 1, "cores": 1, "threads": 0}, {"sockets": 1, "cores": 1}),
])
def test_cpu_topology_status_copied(cpu: Obj, status: Obj) -> None:
    vmi = base_vmi()
    vmi["spec"]["domain"]["cpu"] = cpu
    assert admit(vmi)["status"]["currentCPUTopology"] == status


def test_existing_cpu_topology_status_kept() -> None:
    # vmi-mutator_test.go It("should not overwrite existing CurrentCPUTopology within status")
    vmi = base_vmi()
    vmi["status"] = {"currentCPUTopology": {"sockets": 1, "cores": 1, "threads": 1}}
    vmi["spec"]["domain"]["cpu"] = {"sockets": 2, "cores": 1, "threads": 1}
    assert admit(vmi)["status"]["currentCPUTopology"] == {"sockets": 1, "cores": 1, "threads": 1}


# --- vmi-mutator_test.go Context("when vmRolloutStrategy LiveUpdate is enabled") ----------------------

CPU_HOTPLUG: list[tuple[str, Obj | None, ClusterConfig, int, int | None]] = [
    ("to use maximum sockets configured in cluster config when its not set in VMI spec",
     None, ClusterConfig(max_cpu_sockets=10), 10, None),
    ("to prefer and use MaxCpuSockets from KV over MaxHotplugRatio",
     {"sockets": 2}, ClusterConfig(max_cpu_sockets=10, max_hotplug_ratio=2), 10, 2),
    ("to keep VMI values of max sockets when provided", {"sockets": 2, "maxSockets": 16}, LIVE_UPDATE, 16, 2),
    ("to use hot plug ratio configured in cluster config when max sockets isn't provided in the VMI",
     None, ClusterConfig(max_hotplug_ratio=2), 2, None),
    ("to calculate max sockets to be 4x times the configured sockets when no max sockets defined",
     {"sockets": 2}, LIVE_UPDATE, 8, None),
    ("to calculate max sockets to be 4x times the configured sockets with upper bound 512 when no max sockets "
     "defined", {"sockets": 32, "cores": 2, "threads": 3}, LIVE_UPDATE, 85, None),
    ("to calculate max sockets to be 4x times the default sockets when default CPU topology used",
     None, LIVE_UPDATE, 4, None),
    ("to set MaxSockets to number of sockets when MaxCpuSockets is lower",
     {"sockets": 3}, ClusterConfig(max_cpu_sockets=2), 3, None),
]


@pytest.mark.parametrize("arch", ["amd64", "s390x"])
@pytest.mark.parametrize(("cpu", "cluster", "max_sockets", "sockets"), [e[1:] for e in CPU_HOTPLUG],
                         ids=[e[0] for e in CPU_HOTPLUG])
def test_cpu_hotplug(arch: str, cpu: Obj | None, cluster: ClusterConfig, max_sockets: int,
                     sockets: int | None) -> None:
    # vmi-mutator_test.go DescribeTableSubtree("configure CPU hotplug on supported arch") It(<id>), Entry(<arch>)
    vmi = with_arch(arch)
    if cpu is not None:
        vmi["spec"]["domain"]["cpu"] = cpu
    got = admit(vmi, cluster)["spec"]["domain"]["cpu"]
    assert got["maxSockets"] == max_sockets
    if sockets is not None:
        assert got["sockets"] == sockets


MEMORY_HOTPLUG: list[tuple[str, Obj, ClusterConfig, str]] = [
    ("to keep VMI values of max guest when provided", {"guest": "2Gi", "maxGuest": "6Gi"}, LIVE_UPDATE, "6Gi"),
    ("to use maxGuest configured in cluster config when its not set in VM spec",
     {"guest": "1Gi"}, ClusterConfig(max_guest="10Gi"), "10Gi"),
    ("to prefer maxGuest from KV over MaxHotplugRatio",
     {"guest": "1Gi"}, ClusterConfig(max_guest="10Gi", max_hotplug_ratio=2), "10Gi"),
    ("to calculate maxGuest to be `MaxHotplugRatio` times the configured guest memory when no maxGuest is defined",
     {"guest": "1Gi"}, LIVE_UPDATE, "4Gi"),
    ("to use hot plug ratio configured in cluster config when max guest isn't provided in the VMI",
     {"guest": "1Gi"}, ClusterConfig(max_hotplug_ratio=2), "2Gi"),
]


@pytest.mark.parametrize(("memory", "cluster", "max_guest"), [e[1:] for e in MEMORY_HOTPLUG],
                         ids=[e[0] for e in MEMORY_HOTPLUG])
def test_memory_hotplug(memory: Obj, cluster: ClusterConfig, max_guest: str) -> None:
    # vmi-mutator_test.go DescribeTableSubtree("configure Memory hotplug on supported arch") It(<id>), Entry("amd64")
    vmi = with_arch("amd64")
    vmi["spec"]["domain"]["memory"] = memory
    got = admit(vmi, cluster)["spec"]["domain"]["memory"]
    assert got["guest"] == memory["guest"]
    assert got["maxGuest"] == max_guest


@pytest.mark.parametrize("setup", [
    # vmi-mutator_test.go DescribeTable("should leave MaxGuest empty when memory hotplug is incompatible")
    # Entry("realtime is configured")
    {"cpu": {"dedicatedCpuPlacement": True, "realtime": {}, "numa": {"guestMappingPassthrough": {}}},
     "memory": {"guest": "128Mi", "hugepages": {"pageSize": "2Mi"}}},
    # ... Entry("launchSecurity is configured")
    {"launchSecurity": {}, "memory": {"guest": "128Mi"}},
    # ... Entry("guest mapping passthrough is configured")
    {"cpu": {"dedicatedCpuPlacement": True, "numa": {"guestMappingPassthrough": {}}},
     "memory": {"guest": "128Mi", "hugepages": {"pageSize": "2Mi"}}},
    # ... Entry("guest memory is not set")  (the minimal VMI's 8192Ki request becomes the guest memory)
    {"memory": {}},
    # ... Entry("guest memory is not properly aligned")
    {"memory": {"guest": "123"}},
    # ... Entry("guest memory is less than 1Gi")
    {"memory": {"guest": "512Mi"}},
], ids=["realtime", "launchSecurity", "guest mapping passthrough", "guest unset", "unaligned", "below 1Gi"])
def test_memory_hotplug_incompatible(setup: Obj) -> None:
    vmi = with_arch("amd64", minimal_vmi("testvm"))
    vmi["spec"]["domain"].update(clone(setup))
    assert "maxGuest" not in admit(vmi)["spec"]["domain"]["memory"]


def test_max_sockets_unset_on_arm64() -> None:
    # vmi-mutator_test.go DescribeTable("should leave MaxSockets unset on unsupported arch") Entry("arm64")
    assert "maxSockets" not in admit(with_arch("arm64"), ClusterConfig(max_cpu_sockets=10))["spec"]["domain"]["cpu"]


@pytest.mark.parametrize("arch", [
    # vmi-mutator_test.go DescribeTable("should leave MaxGuest unset on unsupported arch") Entry("arm64")
    "arm64",
    # ... Entry("s390x")
    "s390x",
])
def test_max_guest_unset_on_unsupported_arch(arch: str) -> None:
    memory = admit(with_arch(arch), ClusterConfig(max_guest="512Mi"))["spec"]["domain"].get("memory", {})
    assert "maxGuest" not in memory


# --- vmi-mutator_test.go: arm64 -------------------------------------------------------------------


def test_arm64_cpu_model_and_uefi() -> None:
    # vmi-mutator_test.go It("should convert cpu model, AutoattachGraphicsDevice and UEFI boot on ARM64")
    domain = admit(with_arch("arm64"))["spec"]["domain"]
    assert domain["firmware"]["bootloader"]["efi"]["secureBoot"] is False
    assert domain["cpu"]["model"] == "host-passthrough"


@pytest.mark.parametrize(("disk", "target", "bus"), [
    # vmi-mutator_test.go DescribeTable("should convert disk bus to virtio or scsi on ARM64") Entry("Disk device")
    ({"name": "a"}, "disk", "virtio"),
    # ... Entry("Disk device with virtio bus")  (a scsi bus is kept)
    ({"name": "a", "disk": {"bus": "scsi"}}, "disk", "scsi"),
    # ... Entry("CDRom device")
    ({"name": "a", "cdrom": {}}, "cdrom", "virtio"),
    # ... Entry("LUN device")
    ({"name": "a", "lun": {}}, "lun", "virtio"),
])
def test_arm64_disk_bus(disk: Obj, target: str, bus: str) -> None:
    vmi = with_arch("arm64")
    vmi["spec"]["volumes"] = [{"name": "a", "containerDisk": {"image": "test:latest"}}]
    vmi["spec"]["domain"]["devices"] = {"disks": [disk]}
    assert admit(vmi)["spec"]["domain"]["devices"]["disks"][0][target]["bus"] == bus


# --- pkg/defaults/defaults_test.go --------------------------------------------------------------


@pytest.mark.parametrize(("bootloader", "secure_boot"), [
    # defaults_test.go Context("Arm64 bootloader") DescribeTable("should correctly default SecureBoot")
    # Entry("to false when no bootloader is specified")
    (None, False),
    # ... Entry("preserving SecureBoot when explicitly enabled")  (libvmi.WithUefi(true))
    ({"efi": {"secureBoot": True}}, True),
    # ... Entry("preserving SecureBoot when explicitly disabled")
    ({"efi": {"secureBoot": False}}, False),
    # ... Entry("not setting SecureBoot when bootloader is not EFI")
    ({}, None),
    # ... Entry("to false when EFI is set without SecureBoot")
    ({"efi": {}}, False),
])
def test_arm64_secure_boot_default(bootloader: Obj | None, secure_boot: bool | None) -> None:
    vmi = with_arch("arm64")
    if bootloader is not None:
        vmi["spec"]["domain"]["firmware"] = {"bootloader": bootloader}
    got = admit(vmi)["spec"]["domain"]["firmware"].get("bootloader", {})
    if secure_boot is None:
        assert "efi" not in got
    else:
        assert got["efi"]["secureBoot"] is secure_boot


@pytest.mark.parametrize(("arch", "machine", "expected"), [
    # defaults_test.go DescribeTable("should report PCIe hotplug support based on architecture and machine type")
    ("amd64", "pc-q35-3.0", True),  # Entry("amd64 with q35")
    ("amd64", None, True),  # Entry("amd64 with no machine type")
    ("amd64", "pc-i440fx-2.12", False),  # Entry("amd64 with i440fx")
    ("arm64", "virt", True),  # Entry("arm64 with virt")
    ("arm64", "virt-6.2", True),  # Entry("arm64 with versioned virt")
    ("arm64", None, True),  # Entry("arm64 with no machine type")
    ("", "pc-q35-3.0", True),  # Entry("empty arch with q35")
    ("", None, True),  # Entry("empty arch with no machine type")
    ("s390x", None, False),  # Entry("s390x")
    ("ppc64le", None, False),  # Entry("ppc64le")
])
def test_supports_pcie_hotplug(arch: str, machine: str | None, expected: bool) -> None:
    spec: Obj = {"architecture": arch, "domain": {}}
    if machine is not None:
        spec["domain"]["machine"] = {"type": machine}
    assert supports_pcie_hotplug(spec) is expected


@pytest.mark.parametrize(("template_arch", "cluster_arch", "expected"), [
    # defaults_test.go Context("Architecture") DescribeTable("should default to") Entry("user provided value when provided")
    ("userArch", "configArch", "userArch"),
    # ... Entry("config arch when not provided by user")
    (None, "configArch", "configArch"),
])
def test_vm_architecture_default(template_arch: str | None, cluster_arch: str, expected: str) -> None:
    vm: Obj = {"apiVersion": "kubevirt.io/v1", "kind": "VirtualMachine", "metadata": {"name": "vm"},
               "spec": {"template": {"spec": {"domain": {}}}}}
    if template_arch is not None:
        vm["spec"]["template"]["spec"]["architecture"] = template_arch
    mutate_defaults(vm, ClusterConfig(default_architecture=cluster_arch))
    assert vm["spec"]["template"]["spec"]["architecture"] == expected


# --- pkg/network/vmispec/defaults_test.go ---------------------------------------------------------


@pytest.mark.parametrize("spec", [
    # vmispec/defaults_test.go DescribeTable("It should not automatically add the pod network to the VMI")
    # Entry("when AutoattachPodInterface is false")
    {"domain": {"devices": {"autoattachPodInterface": False}}},
    # ... Entry("when at least one network and one interface are specified")
    {"domain": {"devices": {"interfaces": [{"name": "mynet"}]}}, "networks": [{"name": "mynet"}]},
])
def test_pod_network_not_added(spec: Obj) -> None:
    original = clone(spec)
    set_default_network_interface(spec, ClusterConfig())
    assert spec == original


@pytest.mark.parametrize("binding", ["bridge", "masquerade"])
@pytest.mark.parametrize("autoattach", [
    # vmispec/defaults_test.go DescribeTable("It should add the pod network using bridge|masquerade binding")
    # Entry("when AutoattachPodInterface is undefined")
    None,
    # ... Entry("when AutoattachPodInterface is true")
    True,
])
def test_pod_network_added(binding: str, autoattach: bool | None) -> None:
    spec: Obj = {"domain": {"devices": {}}}
    if autoattach is not None:
        spec["domain"]["devices"]["autoattachPodInterface"] = autoattach
    set_default_network_interface(spec, ClusterConfig(network_interface=binding))
    assert spec["domain"]["devices"]["interfaces"] == [{"name": "default", binding: {}}]
    assert spec["networks"] == [{"name": "default", "pod": {}}]


@pytest.mark.parametrize(("cluster", "message"), [
    # vmispec/defaults_test.go DescribeTable("It should return an error")
    # Entry("when bridge binding is the cluster-wide default, but it is disabled on pod network")
    (ClusterConfig(network_interface="bridge", permit_bridge_interface_on_pod_network=False),
     "bridge interface is not enabled in kubevirt-config"),
    # ... Entry("when the deprecated slirp binding is the cluster-wide default")
    (ClusterConfig(network_interface="slirp"), "slirp interface is deprecated as of v1.3"),
])
def test_pod_network_errors(cluster: ClusterConfig, message: str) -> None:
    with pytest.raises(ObjectRejected) as info:
        set_default_network_interface({}, cluster)
    assert info.value.message == message
