"""KubeVirt's VMI defaults (pkg/defaults, api defaulters, pkg/network/vmispec), as pure dict mutations.

Cluster-level settings are a ``ClusterConfig`` whose field defaults are KubeVirt's own defaults.
Everything works in place on plain dicts shaped like the VMI JSON.
"""

from __future__ import annotations

import functools
import math
from fractions import Fraction
from typing import Any, NamedTuple

from vmctl.core import quantity
from vmctl.core.fields import ensure
from vmctl.core.ids import uuid5_text, uuid_bytes
from vmctl.errors import ObjectRejected

Obj = dict[str, Any]

#: Namespace of the "legacy" firmware UUID (UUIDv5 of the VM name), pkg/virt-controller/watch/vm/firmware.go.
FIRMWARE_UUID_NAMESPACE = uuid_bytes("6a1a24a1-4061-4607-8bf4-a3963d0c5895")
PCI_TOPOLOGY_ANNOTATION = "kubevirt.io/pci-topology-version"
PCI_TOPOLOGY_VERSION = "v3"
QGS_SOCKET_PATH_ANNOTATION = "kubevirt.io/qgs-socket-path"
EMULATOR_THREAD_EVEN_PARITY_ANNOTATION = "alpha.kubevirt.io/EmulatorThreadCompleteToEvenParity"
NONROOT_RUNTIME_USER = 107
_MAX_HOTPLUG_VCPUS = 512
_HOTPLUG_ALIGN = 0x200000
_HOTPLUG_ALIGN_1G = 0x40000000
_MIN_HOTPLUG_GUEST = 0x40000000


#: Feature gates on in KubeVirt v1.9's default configuration that vmctl's checks read (beta gates).
DEFAULT_ON_GATES = frozenset({"WorkloadEncryptionSEV"})


class ClusterConfig(NamedTuple):  # immutable; a NamedTuple is much quicker to define than a frozen dataclass
    """The KubeVirt CR settings the defaults read; every default equals KubeVirt's."""

    default_architecture: str = "amd64"
    machine_type: str = ""  # the deprecated cluster-wide override (all architectures)
    machine_types: dict[str, str] = {"amd64": "q35", "arm64": "virt", "s390x": "s390-ccw-virtio"}  # never mutated
    cpu_model: str = ""  # empty → host-model
    cpu_request: str = "100m"
    network_interface: str = "bridge"  # or "masquerade"
    permit_bridge_interface_on_pod_network: bool = True
    eviction_strategy: str | None = "None"
    vm_rollout_strategy: str = "LiveUpdate"
    max_hotplug_ratio: int = 4
    max_cpu_sockets: int | None = None
    max_guest: str | None = None
    root_enabled: bool = False  # the Root feature gate
    #: TDX attestation: the QGS socket path every TDX VMI is annotated with (KubeVirt's default path).
    qgs_socket_path: str = "/var/run/tdx-qgs/qgs.socket"
    #: The AlignCPUs feature gate together with the EmulatorThreadCompleteToEvenParity annotation on the KubeVirt CR.
    emulator_thread_complete_to_even_parity: bool = False
    #: Feature gates beyond KubeVirt's defaults that the checks honour ("HostDisk", "Sidecar",
    #: "ExperimentalIgnitionSupport", "WorkloadEncryptionTDX").
    feature_gates: frozenset[str] = frozenset()

    def gate(self, name: str) -> bool:
        """Whether feature gate ``name`` is on: one of ``feature_gates`` or on by default in KubeVirt."""
        return name in DEFAULT_ON_GATES or name in self.feature_gates

    def machine_type_for(self, arch: str) -> str:
        if self.machine_type:
            return self.machine_type
        return self.machine_types.get(arch) or self.machine_types.get("amd64", "q35")


DEFAULT_CLUSTER = ClusterConfig()
#: The local backend's: a host vmctl runs guests on itself has host disks (hostDisk volumes) by nature, and runs
#: hook sidecars (when ``--allow-hooks`` says so).
LOCAL_CLUSTER = ClusterConfig(feature_gates=frozenset({"HostDisk", "Sidecar"}))


@functools.lru_cache(maxsize=65536)
def legacy_firmware_uuid(name: str) -> str:
    """UUIDv5 of a VM name, KubeVirt's stable fallback firmware UUID."""
    return uuid5_text(FIRMWARE_UUID_NAMESPACE, name)



def _list(parent: Obj, key: str) -> list[Any]:
    value = parent.get(key)
    return value if isinstance(value, list) else []


def _value(text: Any) -> Fraction | None:
    if isinstance(text, (dict, list)):
        return None
    return _parsed(text)


@functools.lru_cache(maxsize=4096)
def _parsed(text: str | int | float) -> Fraction | None:
    try:
        return quantity.parse_quantity(text)
    except Exception:  # noqa: BLE001 - unparsable quantities are the schema validator's business
        return None


def _int_value(text: Any) -> int:
    """``Quantity.Value()``: rounded up, away from zero."""
    value = _value(text)
    if value is None:
        return 0
    return math.ceil(value) if value >= 0 else -math.ceil(-value)


def _is_zero(text: Any) -> bool:
    value = _value(text)
    return value is None or value == 0


# --- devices --------------------------------------------------------------------------------------


def set_default_volume_disk(spec: Obj) -> None:
    """Every volume without a disk or filesystem of its name gets ``{name: <volume>}`` (pkg/util)."""
    volumes = _list(spec, "volumes")
    if not volumes:
        return
    devices = ensure(ensure(spec, "domain"), "devices")
    names = {d.get("name") for d in _list(devices, "disks") if isinstance(d, dict)}
    names.update(f.get("name") for f in _list(devices, "filesystems") if isinstance(f, dict))
    added = [{"name": v.get("name")} for v in volumes if isinstance(v, dict) and v.get("name") not in names]
    if added:
        devices["disks"] = _list(devices, "disks") + added


def set_default_network_interface(spec: Obj, cluster: ClusterConfig = DEFAULT_CLUSTER) -> None:
    """Pod network + default interface when the VMI has neither networks nor interfaces."""
    devices = ensure(ensure(spec, "domain"), "devices")
    if devices.get("autoattachPodInterface") is False:
        return
    if spec.get("networks") or devices.get("interfaces"):
        return
    binding = cluster.network_interface
    if binding == "bridge":
        if not cluster.permit_bridge_interface_on_pod_network:
            raise ObjectRejected("bridge interface is not enabled in kubevirt-config")
        devices["interfaces"] = [{"name": "default", "bridge": {}}]
    elif binding == "masquerade":
        devices["interfaces"] = [{"name": "default", "masquerade": {}}]
    elif binding == "slirp":
        raise ObjectRejected("slirp interface is deprecated as of v1.3")
    spec["networks"] = [{"name": "default", "pod": {}}]


def auto_attach_input_device(spec: Obj) -> None:
    """``autoattachInputDevice: true`` and no inputs → one input named ``default-0`` (VM controller)."""
    devices = ensure(ensure(spec, "domain"), "devices")
    if devices.get("autoattachInputDevice") is True and not devices.get("inputs"):
        devices["inputs"] = [{"name": "default-0"}]


# --- SetDefaultVirtualMachineInstanceSpec ----------------------------------------------------------


def set_default_vmi_spec(spec: Obj, cluster: ClusterConfig = DEFAULT_CLUSTER) -> None:
    """KubeVirt ``SetDefaultVirtualMachineInstanceSpec`` (also used by expand and VM admission)."""
    if not spec.get("architecture"):
        spec["architecture"] = cluster.default_architecture
    domain = ensure(spec, "domain")
    machine = ensure(domain, "machine")
    if not machine.get("type"):
        machine["type"] = cluster.machine_type_for(spec["architecture"])
    _set_default_resource_requests(domain, cluster)
    _set_guest_memory(domain)
    _set_default_cpu_topology(domain)
    _set_pull_policies(spec)
    if spec.get("evictionStrategy") is None and cluster.eviction_strategy is not None:
        spec["evictionStrategy"] = cluster.eviction_strategy
    set_default_network_interface(spec, cluster)
    set_default_volume_disk(spec)


def _set_default_resource_requests(domain: Obj, cluster: ClusterConfig) -> None:
    resources = ensure(domain, "resources")
    limits = resources.get("limits") or {}
    requests = resources.get("requests")
    if not _is_zero(limits.get("cpu")) and _is_zero((requests or {}).get("cpu")):
        requests = ensure(resources, "requests")
        requests["cpu"] = limits["cpu"]
    if _value(cluster.cpu_request) != Fraction(1, 10) and "cpu" not in (resources.get("requests") or {}):
        if (domain.get("cpu") or {}).get("dedicatedCpuPlacement"):
            return
        ensure(resources, "requests")["cpu"] = cluster.cpu_request


def _set_guest_memory(domain: Obj) -> None:
    memory = domain.get("memory")
    if isinstance(memory, dict) and memory.get("guest") is not None:
        return
    memory = ensure(domain, "memory")
    resources = domain.get("resources") or {}
    requests = resources.get("requests") or {}
    limits = resources.get("limits") or {}
    if not _is_zero(requests.get("memory")):
        memory["guest"] = requests["memory"]
    elif not _is_zero(limits.get("memory")):
        memory["guest"] = limits["memory"]
    elif isinstance(memory.get("hugepages"), dict):
        page = memory["hugepages"].get("pageSize")
        if _value(page) is not None:
            memory["guest"] = page


def _set_default_cpu_topology(domain: Obj) -> None:
    cpu = domain.get("cpu")
    if isinstance(cpu, dict) and (cpu.get("cores") or cpu.get("sockets") or cpu.get("threads")):
        return
    cpu = ensure(domain, "cpu")
    resources = domain.get("resources") or {}
    sockets = 1
    limits = resources.get("limits") or {}
    requests = resources.get("requests") or {}
    if "cpu" in limits:
        sockets = _int_value(limits["cpu"]) & 0xFFFFFFFF
    elif "cpu" in requests:
        sockets = _int_value(requests["cpu"]) & 0xFFFFFFFF
    cpu["sockets"] = sockets
    cpu["cores"] = 1
    cpu["threads"] = 1


def _set_pull_policies(spec: Obj) -> None:
    for volume in _list(spec, "volumes"):
        disk = volume.get("containerDisk") if isinstance(volume, dict) else None
        if isinstance(disk, dict) and not disk.get("imagePullPolicy"):
            image = str(disk.get("image") or "")
            latest = image.endswith(":latest") or (":" not in image and "@" not in image)
            disk["imagePullPolicy"] = "Always" if latest else "IfNotPresent"


# --- SetObjectDefaults_VirtualMachineInstance (api/core/v1 defaulters) -----------------------------


def _enable(state: Any) -> None:
    if isinstance(state, dict) and state.get("enabled") is None:
        state["enabled"] = True


def _present(timer: Any) -> None:
    if isinstance(timer, dict) and timer.get("present") is None:
        timer["present"] = True


_PLAIN_HYPERV = ("relaxed", "vapic", "vpindex", "runtime", "synic", "reset", "vendorid", "frequencies",
                 "reenlightenment", "ipi", "evmcs")


def _set_object_defaults(vmi: Obj) -> None:
    spec = ensure(vmi, "spec")
    domain = ensure(spec, "domain")
    firmware = ensure(domain, "firmware")
    features = ensure(domain, "features")
    devices = ensure(domain, "devices")
    for disk in _list(devices, "disks"):
        if isinstance(disk, dict) and all(disk.get(k) is None for k in ("disk", "cdrom", "lun")):
            disk["disk"] = {}
    for item in _list(devices, "inputs"):
        if isinstance(item, dict):
            if not item.get("bus"):
                item["bus"] = "usb"
            if not item.get("type"):
                item["type"] = "tablet"
    for key in ("readinessProbe", "livenessProbe"):
        _probe_defaults(spec.get(key))
    if not firmware.get("uuid"):
        firmware["uuid"] = legacy_firmware_uuid(str(ensure(vmi, "metadata").get("name", "")))
    timer = (domain.get("clock") or {}).get("timer") if isinstance(domain.get("clock"), dict) else None
    if isinstance(timer, dict):
        for name in ("hpet", "kvm", "pit", "rtc", "hyperv"):
            _present(timer.get(name))
    features["acpi"] = features.get("acpi") if isinstance(features.get("acpi"), dict) else {}
    _enable(features["acpi"])
    _enable(features.get("apic"))
    hyperv = features.get("hyperv")
    if isinstance(hyperv, dict):
        for name in _PLAIN_HYPERV:
            _enable(hyperv.get(name))
        spinlocks = hyperv.get("spinlocks")
        if isinstance(spinlocks, dict):
            _enable(spinlocks)
            if spinlocks["enabled"] is True and spinlocks.get("spinlocks") is None:
                spinlocks["spinlocks"] = 4096
        synictimer = hyperv.get("synictimer")
        if isinstance(synictimer, dict):
            _enable(synictimer)
            _enable(synictimer.get("direct"))
        tlbflush = hyperv.get("tlbflush")
        if isinstance(tlbflush, dict):
            _enable(tlbflush)
            _enable(tlbflush.get("direct"))
            _enable(tlbflush.get("extended"))
    _enable(features.get("smm"))
    _enable(features.get("pvspinlock"))
    for disk in _list(devices, "disks"):
        if not isinstance(disk, dict):
            continue
        cdrom = disk.get("cdrom")
        if isinstance(cdrom, dict):
            if cdrom.get("readonly") is None:
                cdrom["readonly"] = True
            if not cdrom.get("tray"):
                cdrom["tray"] = "closed"
        block = disk.get("blockSize")
        if isinstance(block, dict):
            _enable(block.get("matchVolume"))
    for gpu in _list(devices, "gpus"):
        display = ((gpu or {}).get("virtualGPUOptions") or {}).get("display") if isinstance(gpu, dict) else None
        if isinstance(display, dict):
            _enable(display.get("ramFB"))


def _probe_defaults(probe: Any) -> None:
    if not isinstance(probe, dict):
        return
    for key, floor in (("timeoutSeconds", 1), ("periodSeconds", 10), ("successThreshold", 1), ("failureThreshold", 3)):
        value = probe.get(key)
        if not isinstance(value, int) or value < 1:
            probe[key] = floor


# --- hyperv dependencies (pkg/defaults/hyperv.go) --------------------------------------------------


def _state_enabled(state: Any) -> bool:
    return isinstance(state, dict) and state.get("enabled") is True


def _state_missing(state: Any) -> bool:
    return not isinstance(state, dict) or state.get("enabled") is None


def _set_hyperv_dependencies(spec: Obj) -> None:
    domain = spec.get("domain") or {}
    hyperv = (domain.get("features") or {}).get("hyperv")
    if not isinstance(hyperv, dict):
        return
    synictimer = hyperv.get("synictimer")
    tlbflush = hyperv.get("tlbflush")
    # (feature, hyperv key it requires), leaves first as upstream; synictimer/tlbflush are read as copies
    rules: list[tuple[Any, str]] = [
        (lambda: hyperv.get("evmcs"), "vapic"),
        (lambda: hyperv.get("ipi"), "vpindex"),
        (lambda: {"enabled": tlbflush.get("enabled")} if isinstance(tlbflush, dict) else None, "vpindex"),
        (lambda: {"enabled": synictimer.get("enabled")} if isinstance(synictimer, dict) else None, "synic"),
        (lambda: hyperv.get("synic"), "vpindex"),
    ]
    for state_of, required in rules:
        if not _state_enabled(state_of()):
            continue
        needed = hyperv.get(required)
        if _state_missing(needed):
            if isinstance(needed, dict):
                needed["enabled"] = True
            else:
                hyperv[required] = {"enabled": True}
        elif not _state_enabled(needed):
            return  # a required feature is explicitly disabled: left to validation
    evmcs = hyperv.get("evmcs")
    if isinstance(evmcs, dict) and evmcs.get("enabled") in (None, True):
        cpu = ensure(domain, "cpu")
        features = cpu.get("features")
        if not features:
            cpu["features"] = [{"name": "vmx", "policy": "require"}]
            return
        for feature in features:
            if isinstance(feature, dict) and feature.get("name") == "vmx":
                feature["policy"] = "require"
                return
        features.append({"name": "vmx", "policy": "require"})


# --- architecture specifics ------------------------------------------------------------------------


def _set_disk_bus(devices: Obj, bus: str) -> None:
    for disk in _list(devices, "disks"):
        if not isinstance(disk, dict):
            continue
        for target in ("disk", "cdrom", "lun"):
            value = disk.get(target)
            if isinstance(value, dict) and not value.get("bus"):
                value["bus"] = bus


def _set_arch_defaults(spec: Obj, cluster: ClusterConfig) -> None:
    domain = ensure(spec, "domain")
    devices = ensure(domain, "devices")
    arch = spec.get("architecture")
    watchdog = devices.get("watchdog")
    if arch == "arm64":
        cpu = ensure(domain, "cpu")
        if not cpu.get("model"):
            cpu["model"] = "host-passthrough"
        firmware = ensure(domain, "firmware")
        if not isinstance(firmware.get("bootloader"), dict):
            firmware["bootloader"] = {"efi": {}}
        efi = firmware["bootloader"].get("efi")
        if isinstance(efi, dict) and efi.get("secureBoot") is None:
            efi["secureBoot"] = False
        _set_disk_bus(devices, "virtio")
    elif arch == "s390x":
        _set_disk_bus(devices, "virtio")
        if isinstance(watchdog, dict):
            diag = ensure(watchdog, "diag288")
            if not diag.get("action"):
                diag["action"] = "reset"
    else:
        _set_disk_bus(devices, "sata")
        if isinstance(watchdog, dict):
            i6300 = ensure(watchdog, "i6300esb")
            if not i6300.get("action"):
                i6300["action"] = "reset"
    cpu = ensure(domain, "cpu")
    if not cpu.get("model"):
        cpu["model"] = cluster.cpu_model or "host-model"


# --- hotplug (LiveUpdate rollout strategy) ---------------------------------------------------------


def _setup_hotplug(spec: Obj, cluster: ClusterConfig) -> None:
    if cluster.vm_rollout_strategy != "LiveUpdate":
        return
    domain = spec["domain"]
    cpu = domain["cpu"]
    sockets = int(cpu.get("sockets") or 0)
    cores = int(cpu.get("cores") or 0)
    threads = int(cpu.get("threads") or 0)
    if not cpu.get("maxSockets"):
        max_sockets = cluster.max_cpu_sockets or 0
        if max_sockets and sockets > max_sockets:
            max_sockets = sockets
        if max_sockets:
            cpu["maxSockets"] = max_sockets
    if not cpu.get("maxSockets"):
        max_sockets = sockets * cluster.max_hotplug_ratio
        if max_sockets * cores * threads > _MAX_HOTPLUG_VCPUS and cores * threads:
            max_sockets = max(_MAX_HOTPLUG_VCPUS // (cores * threads), sockets)
        if max_sockets:
            cpu["maxSockets"] = max_sockets
    memory = domain["memory"]
    if memory.get("maxGuest") is not None:
        return
    guest = _value(memory.get("guest")) if memory.get("guest") is not None else None
    if cluster.max_guest is not None:
        max_text: str | None = cluster.max_guest
        max_value = _value(cluster.max_guest)
    elif guest is not None:
        max_value = math.ceil(guest) * cluster.max_hotplug_ratio
        max_text = quantity.format_quantity(max_value, quantity.BINARY_SI)
    else:
        return
    if _live_update_memory_ok(spec, guest, max_value):
        memory["maxGuest"] = max_text


def _live_update_memory_ok(spec: Obj, guest: Fraction | None, max_guest: Fraction | int | None) -> bool:
    domain = spec["domain"]
    cpu = domain.get("cpu") or {}
    if cpu.get("realtime") is not None:
        return False
    if isinstance(cpu.get("numa"), dict) and cpu["numa"].get("guestMappingPassthrough") is not None:
        return False
    if domain.get("launchSecurity") is not None:
        return False
    memory = domain.get("memory") or {}
    align = _HOTPLUG_ALIGN
    if (memory.get("hugepages") or {}).get("pageSize") == "1Gi":
        align = _HOTPLUG_ALIGN_1G
    if guest is None or max_guest is None:
        return False
    guest_bytes = math.ceil(guest)
    max_bytes = math.ceil(max_guest)
    if guest > max_guest or guest_bytes % align or max_bytes % align:
        return False
    if spec.get("architecture") != "amd64":
        return False
    return guest_bytes >= _MIN_HOTPLUG_GUEST


# --- the whole VMI mutation on create ---------------------------------------------------------------


def set_default_vmi(vmi: Obj, cluster: ClusterConfig = DEFAULT_CLUSTER) -> None:
    """KubeVirt ``SetDefaultVirtualMachineInstance`` plus the rest of the VMI mutating webhook on create.

    The firmware UUID, when still empty, is the UUIDv5 of the VMI name (KubeVirt would pick a random one).
    Status gets what the webhook writes except the phase-transition timestamp.
    """
    spec = ensure(vmi, "spec")
    metadata = ensure(vmi, "metadata")
    set_default_vmi_spec(spec, cluster)
    if spec.get("architecture") == "s390x":
        features = ensure(spec["domain"], "features")
        acpi = ensure(features, "acpi")
        if acpi.get("enabled") is None:
            acpi["enabled"] = False
    _set_object_defaults(vmi)
    _set_hyperv_dependencies(spec)
    _set_arch_defaults(spec, cluster)
    domain = spec["domain"]
    status = ensure(vmi, "status")
    guest = (domain.get("memory") or {}).get("guest")
    if guest is not None:
        status["memory"] = {"guestAtBoot": guest, "guestCurrent": guest, "guestRequested": guest}
    cpu = domain["cpu"]
    if status.get("currentCPUTopology") is None:
        status["currentCPUTopology"] = {
            k: cpu[k] for k in ("sockets", "cores", "threads") if cpu.get(k)
        }
    if spec.get("architecture") != "arm64":
        _setup_hotplug(spec, cluster)
    if supports_pcie_hotplug(spec):
        annotations = ensure(metadata, "annotations")
        annotations.setdefault(PCI_TOPOLOGY_ANNOTATION, PCI_TOPOLOGY_VERSION)
    if cpu.get("isolateEmulatorThread") and cluster.emulator_thread_complete_to_even_parity:
        ensure(metadata, "annotations")[EMULATOR_THREAD_EVEN_PARITY_ANNOTATION] = ""
    launch_security = domain.get("launchSecurity")
    if isinstance(launch_security, dict) and launch_security.get("tdx") is not None and cluster.qgs_socket_path:
        ensure(metadata, "annotations")[QGS_SOCKET_PATH_ANNOTATION] = cluster.qgs_socket_path
    if not cluster.root_enabled:
        status["runtimeUser"] = NONROOT_RUNTIME_USER
    add_finalizer(metadata, VMI_FINALIZER)
    status["phase"] = "Pending"


VMI_FINALIZER = "kubevirt.io/foregroundDeleteVirtualMachine"
VM_CONTROLLER_FINALIZER = "kubevirt.io/virtualMachineControllerFinalize"


def add_finalizer(metadata: Obj, name: str) -> None:
    """Append a finalizer unless present (KubeVirt appends blindly; this keeps re-resolving idempotent)."""
    finalizers = metadata.get("finalizers") if isinstance(metadata.get("finalizers"), list) else []
    if name not in finalizers:
        metadata["finalizers"] = [*finalizers, name]


def supports_pcie_hotplug(spec: Obj) -> bool:
    """amd64/arm64 with a q35/virt machine (KubeVirt ``SupportsPCIeHotplug``)."""
    if spec.get("architecture", "") not in ("amd64", "arm64", ""):
        return False
    machine = (spec.get("domain") or {}).get("machine")
    if isinstance(machine, dict):
        mtype = str(machine.get("type") or "")
        if "q35" not in mtype and not mtype.startswith("virt"):
            return False
    return True
