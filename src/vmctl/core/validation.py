"""KubeVirt's VM and VMI admission checks that can be decided offline, with its texts and field paths.

Ports, in KubeVirt's order, of ``ValidateVirtualMachineInstanceSpec`` (vmi-create-admitter.go) and the helpers
it calls (network admitter, storage disks, boot order, CPU pinning, NUMA, realtime, hugepages, ...), the extra
checks of the VMI create admitter (volumes mapped to disks, mandatory memory, per-architecture settings) and
of the VM admitter (``ValidateVirtualMachineSpec``: run strategy, live-update CPU and memory). Checks that need
the cluster (DataVolumes, feature gates other than KubeVirt's defaults, ...) are not ported; KubeVirt's
default configuration is assumed (no feature gates, LiveUpdate rollout, bridge on pod network allowed).
"""

from __future__ import annotations

import base64
import binascii
import fnmatch
import re
from fractions import Fraction
from typing import Any

from vmctl.core import quantity, validation_devices, validation_network
from vmctl.core.defaults import DEFAULT_CLUSTER, ClusterConfig
from vmctl.core.fields import dig
from vmctl.core.names import label_errors, subdomain_errors
from vmctl.core.validation_dra import validate_dra
from vmctl.core.validation_scheduling import validate_affinity, validate_dns, validate_topology_spread
from vmctl.core.validation_security import (
    validate_access_credentials,
    validate_hyperv,
    validate_launch_security,
    validate_metadata,
)
from vmctl.errors import FieldProblem, VmctlError

Obj = dict[str, Any]

INVALID, REQUIRED, NOT_SUPPORTED, DUPLICATE = ("FieldValueInvalid", "FieldValueRequired", "FieldValueNotSupported",
                                               "FieldValueDuplicate")
_NOT_FOUND = "{} '{}' not found."
_VALID_RUN_STRATEGIES = ("Always", "Halted", "Manual", "RerunOnFailure", "Once")
_INTERFACE_MODELS = frozenset({"e1000", "e1000e", "igb", "ne2k_pci", "pcnet", "rtl8139", "virtio"})
_IFACE_NAME = re.compile(r"^[A-Za-z0-9-_]+$")
_DISK_BUSES = ("virtio", "scsi", "sata", "usb")  # in the order KubeVirt lists them
_IO_THREADS_POLICIES = ("shared", "auto", "supplementalPool")
_CPU_FEATURE_POLICIES = frozenset({"", "force", "require", "optional", "disable", "forbid"})
#: KubeVirt's default emulated machines per architecture (virt-config.go)
_EMULATED_MACHINES = {"arm64": ("virt*",), "s390x": ("s390-ccw-virtio*",)}
_AMD64_MACHINES = ("q35*", "pc-q35*")
_HOTPLUG_ALIGNMENT = 2 * 1024 * 1024
_HOTPLUG_1G_ALIGNMENT = 1024 * 1024 * 1024
_MIN_HOTPLUG_GUEST = 1024 * 1024 * 1024



def _quantity(value: Any) -> Fraction:
    """A quantity's exact value; 0 when unset or unparsable (as ``ResourceList.Memory()`` for a missing key)."""
    if value is None:
        return Fraction(0)
    try:
        return quantity.parse_quantity(value)
    except VmctlError:
        return Fraction(0)


def _value(value: Any) -> int:
    return quantity.value_int(_quantity(value))


def _milli(value: Any) -> int:
    return quantity.value_int(_quantity(value) * 1000)


def _text(value: Any) -> str:
    """``Quantity.String()`` (``0`` when unset)."""
    if value is None:
        return "0"
    try:
        return quantity.canonical(value)
    except VmctlError:
        return str(value)


def _vcpus(cpu: Any) -> int:
    """``hwutil.GetNumberOfVCPUs``: sockets × cores × threads, each 0 counted as 1; 0 without a CPU."""
    if not isinstance(cpu, dict):
        return 0
    result = 1
    for key in ("sockets", "cores", "threads"):
        result *= int(cpu.get(key) or 1)
    return result


def validate_namespace(namespace: str) -> list[FieldProblem]:
    """The API server's ``ValidateObjectMeta`` check of ``metadata.namespace`` (a DNS-1123 label)."""
    return [FieldProblem("metadata.namespace", f'metadata.namespace: Invalid value: "{namespace}": {m}', INVALID)
            for m in label_errors(namespace)]


def _host_names(field: str, spec: Obj) -> list[FieldProblem]:
    """``validateHostNameNotConformingToDNSLabelRules`` and ``validateSubdomainDNSSubdomainRules``."""
    causes = []
    hostname, subdomain = spec.get("hostname"), spec.get("subdomain")
    if isinstance(hostname, str) and hostname:
        errors = label_errors(hostname)
        if errors:
            causes.append(FieldProblem(f"{field}.hostname", f"{field}.hostname does not conform to the kubernetes "
                                       f"DNS_LABEL rules : {', '.join(errors)}", INVALID))
    if isinstance(subdomain, str) and subdomain:
        errors = subdomain_errors(subdomain)
        if errors:
            causes.append(FieldProblem(f"{field}.subdomain", f"{field}.subdomain does not conform to the kubernetes "
                                       f"DNS_SUBDOMAIN rules : {', '.join(errors)}", INVALID))
    return causes


# --- network admitter (pkg/network/admitter) ----------------------------------------------------------


def validate_network_creation(field: str, spec: Obj) -> list[FieldProblem]:
    """``Validator.ValidateCreation``: the discontinued bindings."""
    causes = []
    for idx, iface in enumerate(dig(spec, "domain", "devices", "interfaces") or []):
        base = f"{field}.domain.devices.interfaces[{idx}]"
        for key, message in (("slirp", "Slirp interface support has been discontinued since v1.3"),
                             ("passt", "Passt network binding has been discontinued since v1.3"),
                             ("macvtap", "Macvtap network binding has been discontinued since v1.3")):
            if isinstance(iface, dict) and iface.get(key) is not None:
                causes.append(FieldProblem(f"{base}.{key}", message, INVALID))
    return causes


def _bindings(iface: Obj) -> int:
    return sum(1 for key in ("bridge", "masquerade", "sriov", "passtBinding", "binding") if iface.get(key) is not None)


def _network_sources(field: str, networks: list[Obj]) -> list[FieldProblem]:
    """``validateSinglePodNetwork``, ``validateSingleNetworkSource``, ``validateMultusNetworkSource``."""
    causes = []
    pods = [n for n in networks if n.get("pod") is not None]
    multus_default = [n for n in networks if isinstance(n.get("multus"), dict) and n["multus"].get("default")]
    if len(pods) > 1:
        causes.append(FieldProblem(f"{field}.interfaces", "more than one interface is connected to a pod network in "
                                   f"{field}.interfaces", DUPLICATE))
    if len(multus_default) > 1:
        causes.append(FieldProblem(f"{field}.networks", "Multus CNI should only have one default network", INVALID))
    if pods and multus_default:
        causes.append(FieldProblem(f"{field}.networks", "Pod network cannot be defined when Multus default network "
                                   "is defined", INVALID))
    for idx, network in enumerate(networks):
        count = sum(1 for key in ("pod", "multus", "resourceClaim") if network.get(key) is not None)
        if count == 0:
            causes.append(FieldProblem(f"{field}.networks[{idx}]", "should have a network type", REQUIRED))
        elif count > 1:
            causes.append(FieldProblem(f"{field}.networks[{idx}]", "should have only one network type", REQUIRED))
    for idx, network in enumerate(networks):
        if isinstance(network.get("multus"), dict) and not network["multus"].get("networkName"):
            causes.append(FieldProblem(f"{field}.networks[{idx}]", "CNI delegating plugin must have a networkName",
                                       REQUIRED))
            break
    return causes


def _interface_states(field: str, interfaces: list[Obj]) -> list[FieldProblem]:
    """``validateInterfaceStateValue``."""
    causes = []
    for idx, iface in enumerate(interfaces):
        state, name, path = iface.get("state") or "", iface.get("name", ""), f"{field}.domain.devices.interfaces[{idx}].state"
        if state and state not in ("absent", "down", "up"):
            causes.append(FieldProblem(path, f"logical {name} interface state value is unsupported: {state}", INVALID))
        if iface.get("sriov") is not None and state in ("down", "up"):
            causes.append(FieldProblem(path, f'"{name}" interface\'s state "{state}" is not supported for SR-IOV NICs',
                                       INVALID))
        if state == "absent" and iface.get("bridge") is None:
            causes.append(FieldProblem(path, f'"{name}" interface\'s state "{state}" is supported only for bridge '
                                       "binding", INVALID))
    return causes


def validate_network(field: str, spec: Obj) -> list[FieldProblem]:
    """``Validator.Validate`` (feature gates as in KubeVirt's default configuration; per-interface settings and
    DRA networks in ``validation_network``)."""
    causes: list[FieldProblem] = []
    networks = [n for n in spec.get("networks") or [] if isinstance(n, dict)]
    interfaces = [i for i in dig(spec, "domain", "devices", "interfaces") or [] if isinstance(i, dict)]
    causes += _network_sources(field, networks)
    causes += _interface_states(field, interfaces)
    by_name = {}
    for network in networks:
        by_name[network.get("name", "")] = network  # the last of a name wins, as in KubeVirt's index
    for idx, iface in enumerate(interfaces):
        base = f"{field}.domain.devices.interfaces[{idx}]"
        if _bindings(iface) != 1:
            causes.append(FieldProblem(
                base, f"logical {iface.get('name', '')} interface must have exactly one binding method or binding plugin",
                INVALID))
        network = by_name.get(iface.get("name", ""), {})
        if iface.get("masquerade") is not None and network.get("pod") is None:
            causes.append(FieldProblem(f"{base}.name", "Masquerade interface only implemented with pod network", INVALID))
        causes += validation_network.binding_extras(base, iface, network)
    seen: set[str] = set()
    for i, network in enumerate(networks):
        name = network.get("name", "")
        if name in seen:
            causes.append(FieldProblem(
                f"{field}.networks[{i}].name",
                f'Network with name "{name}" already exists, every network must have a unique name', DUPLICATE))
        seen.add(name)
    causes += validation_network.dra_networks(field, networks)
    iface_names = {i.get("name", "") for i in interfaces}
    for i, network in enumerate(networks):
        if network.get("name", "") not in iface_names:
            path = f"{field}.networks[{i}].name"
            causes.append(FieldProblem(path, _NOT_FOUND.format(path, network.get("name", "")), REQUIRED))
    seen = set()
    for idx, iface in enumerate(interfaces):
        if iface.get("name", "") in seen:
            causes.append(FieldProblem(f"{field}.domain.devices.interfaces[{idx}].name",
                                       "Only one interface can be connected to one specific network", DUPLICATE))
        seen.add(iface.get("name", ""))
    for idx, iface in enumerate(interfaces):
        if iface.get("name", "") not in by_name:
            path = f"{field}.domain.devices.interfaces[{idx}].name"
            causes.append(FieldProblem(path, _NOT_FOUND.format(path, iface.get("name", "")), INVALID))
    for idx, iface in enumerate(interfaces):
        base = f"{field}.domain.devices.interfaces[{idx}]"
        if not _IFACE_NAME.match(str(iface.get("name", ""))):
            causes.append(FieldProblem(f"{base}.name", "Network interface name can only contain alphabetical "
                                       "characters, numbers, dashes (-) or underscores (_)", INVALID))
        model = iface.get("model") or ""
        if model and model not in _INTERFACE_MODELS:
            causes.append(FieldProblem(f"{base}.model",
                                       f"interface {base}.name uses model {model} that is not supported.", NOT_SUPPORTED))
        causes += validation_network.interface_fields(field, idx, iface, by_name.get(iface.get("name", ""), {}))
    return causes


# --- storage (pkg/storage/admitters/disks.go) ---------------------------------------------------------


def _disk_bus(disk: Obj) -> str:
    for key in ("disk", "lun", "cdrom"):
        if isinstance(disk.get(key), dict):
            return str(disk[key].get("bus") or "")
    return ""


def _disk_type(disk: Obj) -> str:
    return next((key for key in ("disk", "lun", "cdrom") if isinstance(disk.get(key), dict)), "")


def _bus_support(field: str, idx: int, disk: Obj) -> list[FieldProblem]:
    """``validateBusSupport``."""
    bus, kind = _disk_bus(disk), _disk_type(disk)
    if not bus:
        return []
    causes = []
    if bus == "ide":
        causes.append(FieldProblem(f"{field}[{idx}].{kind}.bus", "IDE bus is not supported", INVALID))
    elif bus == "virtio":
        if kind == "cdrom":
            causes.append(FieldProblem(f"{field}[{idx}].cdrom.bus", "Bus type virtio is invalid for CD-ROM device",
                                       INVALID))
    elif bus == "sata":
        if isinstance(disk.get("disk"), dict) and disk["disk"].get("readonly") is True:
            causes.append(FieldProblem(f"{field}[{idx}].disk.bus", "sata hard-disks do not support read-only.",
                                       INVALID))
    elif bus not in ("scsi", "usb"):
        causes.append(FieldProblem(
            f"{field}[{idx}].{kind}.bus",
            f"{field}[{idx}] is set with an unrecognized bus {bus}, must be one of: [{' '.join(_DISK_BUSES)}]", INVALID))
    if disk.get("dedicatedIOThread") is True and bus != "virtio":
        causes.append(FieldProblem(f"{field}.domain.devices.disks[{idx}]",
                                   f"IOThreads are not supported for disks on a {bus} bus", NOT_SUPPORTED))
    return causes


def validate_disks(field: str, disks: list[Any]) -> list[FieldProblem]:
    causes: list[FieldProblem] = []
    disks = [d if isinstance(d, dict) else {} for d in disks]
    for idx, disk in enumerate(disks):
        for other in range(idx):
            if disks[other].get("name") == disk.get("name"):
                causes.append(FieldProblem(f"{field}[{idx}].name",
                                           f"{field}[{idx}] and {field}[{other}] must not have the same Name.", INVALID))
        if sum(1 for key in ("disk", "lun", "cdrom") if disk.get(key) is not None) > 1:
            causes.append(FieldProblem(f"{field}[{idx}]", f"{field}[{idx}] can only have a single target type defined",
                                       INVALID))
        causes += validation_devices.disk_pci_address(field, idx, disk)
        order = disk.get("bootOrder")
        if isinstance(order, int) and order < 1:
            causes.append(FieldProblem(f"{field}[{idx}].bootOrder",
                                       f"{field}[{idx}] must have a boot order > 0, if supplied", INVALID))
        causes += _bus_support(field, idx, disk)
        causes += validation_devices.disk_settings(field, idx, disk)
    return causes


# --- ValidateVirtualMachineInstanceSpec ------------------------------------------------------------------


def _negative(path: str, value: Any) -> FieldProblem:
    return FieldProblem(path, f"{path} '{_text(value)}': must be greater than or equal to 0.", INVALID)


def _over_limit(request_path: str, request: Any, limit_path: str, limit: Any) -> FieldProblem:
    return FieldProblem(request_path, f"{request_path} '{_text(request)}' is greater than {limit_path} "
                        f"'{_text(limit)}'", INVALID)


def _memory_checks(field: str, spec: Obj) -> list[FieldProblem]:
    causes = []
    resources = dig(spec, "domain", "resources") or {}
    requests, limits = resources.get("requests") or {}, resources.get("limits") or {}
    req_mem, lim_mem = requests.get("memory"), limits.get("memory")
    req_path = f"{field}.domain.resources.requests.memory"
    lim_path = f"{field}.domain.resources.limits.memory"
    if _value(req_mem) < 0:
        causes.append(_negative(req_path, req_mem))
    elif _value(req_mem) > 0 and _quantity(req_mem) < 1_000_000:
        causes.append(FieldProblem(req_path, f"{req_path} '{_text(req_mem)}': must be greater than or equal to 1M.",
                                   INVALID))
    if _value(lim_mem) < 0:
        causes.append(_negative(lim_path, lim_mem))
    if _value(lim_mem) > 0 and _value(req_mem) > _value(lim_mem):
        causes.append(_over_limit(req_path, req_mem, lim_path, lim_mem))
    hugepages = dig(spec, "domain", "memory", "hugepages")
    if isinstance(hugepages, dict):
        page = hugepages.get("pageSize", "")
        page_path = f"{field}.domain.memory.hugepages.pageSize"
        try:
            page_size = quantity.value_int(quantity.parse_quantity(page))
        except VmctlError:
            causes.append(FieldProblem(page_path, f"{page_path} '{page}': quantities must match the regular "
                                       "expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'", INVALID))
            return causes
        vm_memory = _value(req_mem) or _value(dig(spec, "domain", "memory", "guest")) or _value(lim_mem)
        if vm_memory != 0 and vm_memory < page_size:
            causes.append(FieldProblem(req_path, f"{req_path} '{_text(req_mem)}' must be equal to or larger than page "
                                       f"size {page_path} '{page}'", INVALID))
        elif page_size and vm_memory % page_size != 0:
            causes.append(FieldProblem(req_path, f"{req_path} '{_text(req_mem)}' is not a multiple of the page size "
                                       f"{page_path} '{page}'", INVALID))
    return causes


def _emulated_machine(field: str, spec: Obj) -> list[FieldProblem]:
    machine_type = dig(spec, "domain", "machine", "type")
    if not machine_type:
        return []
    allowed = _EMULATED_MACHINES.get(str(spec.get("architecture") or ""), _AMD64_MACHINES)
    if any(fnmatch.fnmatchcase(str(machine_type), pattern) for pattern in allowed):
        return []
    path = f"{field}.domain.machine.type"
    return [FieldProblem(path, f"{path} is not supported: {machine_type} (allowed values: [{' '.join(allowed)}])",
                         INVALID)]


def _cpu_resources(field: str, spec: Obj) -> list[FieldProblem]:
    causes = []
    resources = dig(spec, "domain", "resources") or {}
    req_cpu, lim_cpu = (resources.get("requests") or {}).get("cpu"), (resources.get("limits") or {}).get("cpu")
    req_path, lim_path = f"{field}.domain.resources.requests.cpu", f"{field}.domain.resources.limits.cpu"
    if _milli(req_cpu) < 0:
        causes.append(_negative(req_path, req_cpu))
    if _milli(lim_cpu) < 0:
        causes.append(_negative(lim_path, lim_cpu))
    if _milli(lim_cpu) > 0 and _milli(req_cpu) > _milli(lim_cpu):
        causes.append(_over_limit(req_path, req_cpu, lim_path, lim_cpu))
    return causes


def _memory_is_provided(field: str, spec: Obj) -> list[FieldProblem]:
    resources = dig(spec, "domain", "resources") or {}
    if _quantity((resources.get("limits") or {}).get("memory")) or _quantity(
            (resources.get("requests") or {}).get("memory")):
        return []
    memory = dig(spec, "domain", "memory")
    if isinstance(memory, dict) and (memory.get("hugepages") is not None or _quantity(memory.get("guest"))):
        return []
    return [FieldProblem(
        f"{field}.domain.resources.limits.memory",
        f"{field}.domain.resources.requests.memory, {field}.domain.resources.limits.memory, "
        f"{field}.domain.memory.hugepages or {field}.domain.memory.guest should be provided", INVALID)]


def _cpu_pinning(field: str, spec: Obj, cluster: ClusterConfig) -> list[FieldProblem]:
    cpu = dig(spec, "domain", "cpu")
    if not isinstance(cpu, dict) or cpu.get("dedicatedCpuPlacement") is not True:
        return []
    causes = _memory_is_provided(field, spec)
    resources = dig(spec, "domain", "resources") or {}
    requests, limits = resources.get("requests") or {}, resources.get("limits") or {}
    req_cpu, lim_cpu = _value(requests.get("cpu")), _value(limits.get("cpu"))
    dedicated = f"{field}.domain.cpu.dedicatedCpuPlacement"
    req_path, lim_path = f"{field}.domain.resources.requests.cpu", f"{field}.domain.resources.limits.cpu"
    if req_cpu > 0 and req_cpu * 1000 != _milli(requests.get("cpu")):
        causes.append(FieldProblem(req_path, "provided resources CPU requests must be an interger", INVALID))
    if lim_cpu > 0 and lim_cpu * 1000 != _milli(limits.get("cpu")):
        causes.append(FieldProblem(lim_path, "provided resources CPU limits must be an interger", INVALID))
    req_mem, lim_mem = _value(requests.get("memory")), _value(limits.get("memory"))
    if req_mem > 0 and lim_mem > 0 and req_mem != lim_mem:
        causes.append(FieldProblem(f"{field}.domain.resources.requests.memory",
                                   f"{field}.domain.resources.requests.memory must be equal to "
                                   f"{field}.domain.resources.limits.memory", INVALID))
    vcpus = _vcpus(cpu)
    cores = f"{field}.domain.cpu.cores"
    if req_cpu == 0 and lim_cpu == 0 and vcpus == 0:
        causes.append(FieldProblem(dedicated, f"either {req_path} or {lim_path} or {cores} must be provided when "
                                   "DedicatedCPUPlacement is true ", INVALID))
    if req_cpu > 0 and lim_cpu > 0 and req_cpu != lim_cpu:
        causes.append(FieldProblem(dedicated, f"{req_path} or {lim_path} must be equal when DedicatedCPUPlacement "
                                   "is true ", INVALID))
    if (req_cpu > 0 or lim_cpu > 0) and vcpus > 0 and req_cpu != vcpus and lim_cpu != vcpus:
        causes.append(FieldProblem(dedicated, f"{req_path} or {lim_path} must not be provided at the same time with "
                                   f"{cores} when DedicatedCPUPlacement is true ", INVALID))
    threads = int(cpu.get("threads") or 0)
    arch = spec.get("architecture") or cluster.default_architecture
    if threads > 1 and arch == "arm64":
        causes.append(FieldProblem(f"{field}.architecture", f"threads must not be greater than 1 at "
                                   f"{field}.domain.cpu.threads (got {threads}) when {field}.architecture is arm64",
                                   INVALID))
    if threads > 2:
        causes.append(FieldProblem(dedicated, f"Not more than two threads must be provided at {field}.domain.cpu."
                                   f"threads (got {threads}) when DedicatedCPUPlacement is true", INVALID))
    return causes


def _numa(field: str, spec: Obj) -> list[FieldProblem]:
    cpu = dig(spec, "domain", "cpu")
    if dig(cpu, "numa", "guestMappingPassthrough") is None:
        return []
    path = f"{field}.domain.cpu.numa.guestMappingPassthrough"
    causes = []  # the NUMA feature gate is GA: no gate check
    if cpu.get("dedicatedCpuPlacement") is not True:
        causes.append(FieldProblem(path, f"{field}.domain.cpu.dedicatedCpuPlacement must be set to true when NUMA "
                                   f"topology strategy is set in {path}", INVALID))
    if dig(spec, "domain", "memory", "hugepages") is None:
        causes.append(FieldProblem(path, f"{field}.domain.memory.hugepages must be requested when NUMA topology "
                                   f"strategy is set in {path}", INVALID))
    return causes


def _cpu_misc(field: str, spec: Obj) -> list[FieldProblem]:
    """Isolated emulator thread, CPU feature policies, CPU hotplug, start strategy, realtime."""
    causes = []
    cpu = dig(spec, "domain", "cpu")
    if isinstance(cpu, dict):
        if cpu.get("isolateEmulatorThread") is True and cpu.get("dedicatedCpuPlacement") is not True:
            causes.append(FieldProblem(f"{field}.domain.cpu.isolateEmulatorThread", "IsolateEmulatorThread should be "
                                       "only set in combination with DedicatedCPUPlacement", INVALID))
        for idx, feature in enumerate(cpu.get("features") or []):
            policy = (feature or {}).get("policy", "")
            if policy not in _CPU_FEATURE_POLICIES:
                causes.append(FieldProblem(f"{field}.domain.cpu.features[{idx}].policy", f"CPU feature "
                                           f"{feature.get('name', '')} uses policy {policy} that is not supported.",
                                           NOT_SUPPORTED))
        max_sockets = int(cpu.get("maxSockets") or 0)
        if max_sockets and int(cpu.get("sockets") or 0) > max_sockets:
            causes.append(FieldProblem(f"{field}.domain.cpu.sockets", "Number of sockets in CPU topology is greater "
                                       "than the maximum sockets allowed", INVALID))
    strategy = spec.get("startStrategy")
    if strategy is not None and strategy != "Paused":
        path = f"{field}.startStrategy"
        causes.append(FieldProblem(path, f"{path} is set with an unrecognized option: {strategy}", INVALID))
    elif strategy is not None and spec.get("livenessProbe") is not None:
        path = f"{field}.startStrategy"
        causes.append(FieldProblem(path, f"either {path} or {field}.livenessProbe should be provided.Pausing VMI "
                                   "with LivenessProbe is not supported", INVALID))
    if isinstance(cpu, dict) and cpu.get("realtime") is not None:
        if cpu.get("dedicatedCpuPlacement") is not True:
            causes.append(FieldProblem(f"{field}.domain.cpu.dedicatedCpuPlacement", f"{field}.domain.cpu."
                                       f"dedicatedCpuPlacement must be set to true when {field}.domain.cpu.realtime "
                                       "is used", REQUIRED))
        if dig(cpu, "numa", "guestMappingPassthrough") is None:
            path = f"{field}.domain.cpu.numa.guestMappingPassthrough"
            causes.append(FieldProblem(path, f"{path} must be defined when {field}.domain.cpu.realtime is used",
                                       REQUIRED))
    return causes


def _boot_order(field: str, spec: Obj) -> list[FieldProblem]:
    causes = []
    orders: set[int] = set()
    volumes = {v.get("name"): v for v in spec.get("volumes") or [] if isinstance(v, dict)}
    for idx, disk in enumerate(dig(spec, "domain", "devices", "disks") or []):
        disk = disk if isinstance(disk, dict) else {}
        base = f"{field}.domain.devices.disks[{idx}]"
        volume = volumes.get(disk.get("name"))
        if volume is None and disk.get("cdrom") is None:  # an empty CD-ROM is allowed: the DeclarativeHotplugVolumes
            # gate is beta, on by default
            causes.append(FieldProblem(f"{base}.name", _NOT_FOUND.format(f"{base}.Name", disk.get("name", "")),
                                       INVALID))
        if disk.get("lun") is not None and volume is not None and volume.get("persistentVolumeClaim") is None \
                and volume.get("dataVolume") is None:
            causes.append(FieldProblem(f"{base}.lun", f"{base}.lun can only be mapped to a DataVolume or "
                                       "PersistentVolumeClaim volume.", INVALID))
        order = disk.get("bootOrder")
        if isinstance(order, int):
            if order in orders:
                causes.append(FieldProblem(f"{base}.bootOrder", f"Boot order for {base}.bootOrder already set for a "
                                           "different device.", INVALID))
            orders.add(order)
    for idx, iface in enumerate(dig(spec, "domain", "devices", "interfaces") or []):
        order = (iface or {}).get("bootOrder")
        if not isinstance(order, int):
            continue
        base = f"{field}.domain.devices.interfaces[{idx}]"
        if order < 1:
            causes.append(FieldProblem(f"{field}[{idx}].bootOrder", f"{field}[{idx}] must have a boot order > 0, if "
                                       "supplied", INVALID))
        else:
            if order in orders:
                causes.append(FieldProblem(f"{base}.bootOrder", f"Boot order for {base}.bootOrder already set for a "
                                           "different device.", INVALID))
            orders.add(order)
    return causes


def _inputs_and_io_threads(field: str, spec: Obj) -> list[FieldProblem]:
    causes = []
    for idx, device in enumerate(dig(spec, "domain", "devices", "inputs") or []):
        device = device if isinstance(device, dict) else {}
        base = f"{field}.domain.devices.inputs[{idx}]"
        if device.get("bus", "") not in ("virtio", "usb", ""):
            causes.append(FieldProblem(f"{base}.bus", "Input device can have only virtio or usb bus.", INVALID))
        if device.get("type") != "tablet":
            causes.append(FieldProblem(f"{base}.type", "Input device can have only tablet type.", INVALID))
    policy = dig(spec, "domain", "ioThreadsPolicy")
    if policy is not None:
        if policy not in _IO_THREADS_POLICIES:
            causes.append(FieldProblem(f"{field}.domain.ioThreadsPolicy", f"Invalid IOThreadsPolicy ({policy})",
                                       INVALID))
        count = dig(spec, "domain", "ioThreads", "supplementalPoolThreadCount")
        if policy == "supplementalPool" and (not isinstance(count, int) or count < 1):
            causes.append(FieldProblem(f"{field}.domain.ioThreads.count", "the number of iothreads needs to be set "
                                       "and positive for the dedicated policy", INVALID))
    return causes


def _probes(field: str, spec: Obj) -> list[FieldProblem]:
    """``validateProbe`` for both probes, then the pod-network requirement of HTTP and TCP probes."""
    causes = []
    for name in ("readinessProbe", "livenessProbe"):
        probe, path = spec.get(name), f"{field}.{name}"
        if not isinstance(probe, dict):
            continue
        handlers = sum(1 for key in ("httpGet", "tcpSocket", "exec", "guestAgentPing") if probe.get(key) is not None)
        if handlers > 1:
            causes.append(FieldProblem(path, f"{path} must have exactly one probe type set", INVALID))
        if handlers < 1:
            causes.append(FieldProblem(path, f"either {path}.tcpSocket, {path}.exec or {path}.httpGet must be set if a "
                                       f"{path} is specified", REQUIRED))
    if not any(isinstance(n, dict) and n.get("pod") is not None for n in spec.get("networks") or []):
        for name in ("readinessProbe", "livenessProbe"):
            probe = spec.get(name)
            for key in ("httpGet", "tcpSocket"):
                if isinstance(probe, dict) and probe.get(key) is not None:
                    path = f"{field}.{name}.{key}"
                    causes.append(FieldProblem(path, f"{path} is only allowed if the Pod Network is attached", INVALID))
    return causes


def _domain_spec(field: str, spec: Obj) -> list[FieldProblem]:
    domain = spec.get("domain") or {}
    path = f"{field}.domain"
    causes = validate_disks(f"{path}.devices.disks", dig(domain, "devices", "disks") or [])
    causes += validation_devices.firmware(path, domain)
    efi = dig(domain, "firmware", "bootloader", "efi")
    secure_boot = isinstance(efi, dict) and efi.get("secureBoot") is not False
    smm = dig(domain, "features", "smm")
    smm_enabled = isinstance(smm, dict) and smm.get("enabled") is not False
    if secure_boot and not smm_enabled and dig(domain, "launchSecurity", "tdx") is None:
        causes.append(FieldProblem(path, f"{path} has EFI SecureBoot enabled. SecureBoot requires SMM, which is "
                                   "currently disabled.", INVALID))
    return causes


_VOLUME_SOURCES = ("persistentVolumeClaim", "sysprep", "cloudInitNoCloud", "cloudInitConfigDrive", "containerDisk",
                   "ephemeral", "emptyDisk", "hostDisk", "dataVolume", "configMap", "secret", "downwardAPI",
                   "serviceAccount", "downwardMetrics", "memoryDump", "containerPath")
_CLOUD_INIT_MAX = 2048


def _volumes(field: str, spec: Obj, cluster: ClusterConfig) -> list[FieldProblem]:
    """``validateVolumes`` (DownwardMetrics off as by default; HostDisk as ``cluster.feature_gates`` says)."""
    causes: list[FieldProblem] = []
    names: dict[str, int] = {}
    counts = {"serviceAccount": 0, "downwardMetrics": 0, "memoryDump": 0}
    base = f"{field}.volumes"
    for idx, volume in enumerate(spec.get("volumes") or []):
        volume = volume if isinstance(volume, dict) else {}
        path = f"{base}[{idx}]"
        name = volume.get("name")
        if name in names:
            causes.append(FieldProblem(f"{path}.name", f"{path} and {base}[{names[name]}] must not have the same Name.",
                                       INVALID))
        else:
            names[name] = idx
        data_volume = volume.get("dataVolume")
        if isinstance(data_volume, dict) and not data_volume.get("name"):
            causes.append(FieldProblem(f"{path}.name", "DataVolume 'name' must be set", REQUIRED))
        for key in counts:
            counts[key] += volume.get(key) is not None
        if sum(1 for key in _VOLUME_SOURCES if volume.get(key) is not None) != 1:
            causes.append(FieldProblem(path, f"{path} must have exactly one source type set", INVALID))
        causes += _cloud_init(path, volume)
        if volume.get("downwardMetrics") is not None:
            causes.append(FieldProblem(path, "downwardMetrics disks are not allowed: DownwardMetrics feature gate is "
                                       "not enabled.", INVALID))
        causes += _host_disk(path, volume.get("hostDisk"), cluster.gate("HostDisk"))
        for key, ref in (("configMap", "name"), ("secret", "secretName"), ("serviceAccount", "serviceAccountName")):
            source = volume.get(key)
            if isinstance(source, dict) and not source.get(ref):
                causes.append(FieldProblem(f"{path}.{key}.{ref}", f"{path}.{key}.{ref} is a required field", INVALID))
    for key, label in (("serviceAccount", "serviceAccount"), ("downwardMetrics", "downwardMetric"),
                       ("memoryDump", "memory dump")):
        if counts[key] > 1:
            causes.append(FieldProblem(base, f"{base} must have max one {label} volume set", INVALID))
    return causes


def _cloud_init(path: str, volume: Obj) -> list[FieldProblem]:
    """The cloud-init data source checks of ``validateVolumes``."""
    kind = "cloudInitNoCloud" if volume.get("cloudInitNoCloud") is not None else "cloudInitConfigDrive"
    source = volume.get(kind)
    if not isinstance(source, dict):
        return []
    causes = []
    where = f"{path}.{kind}"
    counts, lengths = [], []
    for data, secret in (("userData", "secretRef"), ("networkData", "networkDataSecretRef")):
        count, length = 0, 0
        if (source.get(secret) or {}).get("name"):
            count += 1
        encoded = source.get(f"{data}Base64") or ""
        if encoded:
            count += 1
            try:
                length = len(base64.b64decode(encoded, validate=True))
            except (binascii.Error, ValueError):
                causes.append(FieldProblem(f"{where}.{data}Base64", f"{where}.{data}Base64.{kind}.{data}Base64 is not "
                                           "a valid base64 value.", INVALID))
        if source.get(data):
            count += 1
            length = len(str(source[data]).encode())
        label, secret_name = ("userdatasource", "UserDataSecretRef") if data == "userData" else (
            "networkdata source", "NetworkDataSecretRef")
        if count > 1:
            causes.append(FieldProblem(where, f"{where} must have only one {label} set.", INVALID))
        if length > _CLOUD_INIT_MAX:
            causes.append(FieldProblem(where, f"{where} {data.lower()} exceeds {_CLOUD_INIT_MAX} byte limit. Should use "
                                       f"{secret_name} for larger data.", INVALID))
        counts.append(count)
        lengths.append(length)
    if not any(counts):
        causes.append(FieldProblem(where, f"{where} must have at least one userdatasource or one networkdatasource "
                                   "set.", INVALID))
    return causes


def _host_disk(path: str, host_disk: Any, enabled: bool) -> list[FieldProblem]:
    if not isinstance(host_disk, dict):
        return []
    causes = [] if enabled else [FieldProblem(path, "HostDisk feature gate is not enabled", INVALID)]
    if not host_disk.get("path"):
        causes.append(FieldProblem(f"{path}.hostDisk.path", f"{path}.hostDisk.path is required for hostDisk volume",
                                   "FieldValueNotFound"))
    kind = host_disk.get("type", "")
    if kind not in ("Disk", "DiskOrCreate"):
        causes.append(FieldProblem(f"{path}.hostDisk.type", f"{path}.hostDisk.type has invalid value '{kind}', allowed "
                                   "are 'Disk' or 'DiskOrCreate'", INVALID))
    if kind == "Disk" and _quantity(host_disk.get("capacity")):
        causes.append(FieldProblem(f"{path}.hostDisk.capacity", f"{path}.hostDisk.capacity is allowed to pass only with "
                                   f"{path}.hostDisk.type equal to 'DiskOrCreate'", INVALID))
    return causes


def _devices_misc(field: str, spec: Obj, cluster: ClusterConfig) -> list[FieldProblem]:
    """The checks at the end of ``ValidateVirtualMachineInstanceSpec`` that need no cluster data (feature gates
    as on a fresh cluster)."""
    causes = []
    domain = spec.get("domain") or {}
    devices = domain.get("devices") or {}
    if devices.get("hostDevices"):  # an empty list does not survive the mutating webhooks' JSON round trip
        causes.append(FieldProblem(f"{field}.HostDevices", "Host Devices feature gate is not enabled in "
                                   "kubevirt-config", INVALID))
    sound = devices.get("sound")
    if isinstance(sound, dict):
        if sound.get("model") not in (None, "", "ich9", "ac97"):
            causes.append(FieldProblem(f"{field}.Sound", "Sound device type is not supported. Options: 'ich9' or "
                                       "'ac97'", INVALID))
        if not sound.get("name"):
            causes.append(FieldProblem(f"{field}.Sound", "Sound device requires a name field.", INVALID))
    causes += validate_launch_security(field, spec, cluster)
    if devices.get("autoattachVSOCK") is True:
        causes.append(FieldProblem(f"{field}.domain.devices.autoattachVSOCK", "VSOCK feature gate is not enabled in "
                                   "kubevirt-config", INVALID))
    causes += validation_devices.persistent_reservation(field, spec, cluster)
    if devices.get("downwardMetrics") is not None:
        causes.append(FieldProblem(f"{field}.domain.devices.downwardMetrics", "downwardMetrics virtio serial is not "
                                   "allowed: DownwardMetrics feature gate is not enabled", INVALID))
    causes += validation_devices.virtiofs(field, spec, cluster)
    if devices.get("video") is not None and devices.get("autoattachGraphicsDevice") is False:
        causes.append(FieldProblem(f"{field}.video", "Video configuration is not allowed when "
                                   "autoattachGraphicsDevice is set to false", INVALID))
    panic_devices = devices.get("panicDevices") or []
    if panic_devices and (spec.get("architecture") or cluster.default_architecture) == "s390x":
        causes.append(FieldProblem(f"{field}.domain.devices.panicDevices", "custom panic devices are not supported "
                                   "on s390x architecture", INVALID))
    for idx, device in enumerate(panic_devices):
        model = (device or {}).get("model")
        if model is not None and model not in ("hyperv", "isa", "pvpanic"):
            causes.append(FieldProblem(f"{field}.domain.devices.panicDevices[{idx}].model",
                                       f"invalid PanicDeviceModel({model})", INVALID))
    # rebootPolicy: its feature gate is on by default in v1.9 (checked against KubeVirt's code)
    if (domain.get("memory") or {}).get("reservedOverhead") is not None:
        causes.append(FieldProblem(f"{field}.domain.memory.reservedOverhead", "Reserved overhead memlock feature gate "
                                   "is not enabled in kubevirt-config", INVALID))
    causes += _service_account(field, spec)
    return causes


def _service_account(field: str, spec: Obj) -> list[FieldProblem]:
    """``validateServiceAccountName``."""
    name = spec.get("serviceAccountName")
    if not isinstance(name, str) or not name:
        return []
    causes = []
    errors = subdomain_errors(name)
    if errors:
        causes.append(FieldProblem(f"{field}.serviceAccountName", f"{field}.serviceAccountName is not a valid service "
                                   f"account name: {'; '.join(errors)}", INVALID))
    for volume in spec.get("volumes") or []:
        account = (volume or {}).get("serviceAccount")
        if isinstance(account, dict) and account.get("serviceAccountName", "") != name:
            causes.append(FieldProblem(f"{field}.serviceAccountName", f'spec.serviceAccountName "{name}" and '
                                       f'serviceAccount volume "{account.get("serviceAccountName", "")}" must reference '
                                       "the same service account", INVALID))
            break
    return causes


def validate_vmi_spec(field: str, spec: Obj, cluster: ClusterConfig = DEFAULT_CLUSTER) -> list[FieldProblem]:
    """``ValidateVirtualMachineInstanceSpec`` (shared by the VM and VMI admitters), the offline part."""
    causes = _host_names(field, spec)
    causes += _memory_checks(field, spec)
    causes += _emulated_machine(field, spec)
    causes += validation_devices.firmware_acpi(field, spec)
    causes += _cpu_resources(field, spec)
    causes += _cpu_pinning(field, spec, cluster)
    causes += _numa(field, spec)
    causes += _cpu_misc(field, spec)
    causes += validate_affinity(field, spec) + validate_topology_spread(field, spec)
    causes += validate_network(field, spec)
    causes += validate_dra(field, spec)
    causes += _boot_order(field, spec)
    causes += _inputs_and_io_threads(field, spec)
    causes += _probes(field, spec)
    causes += _domain_spec(field, spec)
    causes += _volumes(field, spec, cluster)
    causes += validation_devices.storage_checks(field, spec)
    causes += validate_access_credentials(field, spec) + validate_dns(field, spec)
    causes += validation_devices.migration_and_displays(field, spec, cluster)
    causes += _devices_misc(field, spec, cluster)
    return causes


def validate_vmi_create(spec: Obj, cluster: ClusterConfig = DEFAULT_CLUSTER, metadata: Obj | None = None
                        ) -> list[FieldProblem]:
    """The VMI create admitter: network + spec checks, volumes mapped to disks, mandatory memory, metadata,
    Hyper-V, per-architecture settings."""
    causes = validate_network_creation("spec", spec) + validate_network("spec", spec)
    causes += validation_devices.storage_checks("spec", spec)  # the storage spec validator, then the disks
    causes += validate_disks("spec.domain.devices.disks", dig(spec, "domain", "devices", "disks") or [])
    causes += validate_vmi_spec("spec", spec, cluster)
    disks = {(d or {}).get("name") for d in dig(spec, "domain", "devices", "disks") or []}
    filesystems = {(f or {}).get("name") for f in dig(spec, "domain", "devices", "filesystems") or []}
    for idx, volume in enumerate(spec.get("volumes") or []):
        volume = volume or {}
        if volume.get("memoryDump") is None and volume.get("name") not in disks | filesystems:
            path = f"spec.domain.volumes[{idx}].name"
            causes.append(FieldProblem(path, _NOT_FOUND.format(path, volume.get("name", "")), INVALID))
    resources = dig(spec, "domain", "resources") or {}
    memory = dig(spec, "domain", "memory")
    if not _value((resources.get("requests") or {}).get("memory")) and (
            not isinstance(memory, dict) or (memory.get("guest") is None and memory.get("hugepages") is None)):
        causes.append(FieldProblem("", "no memory requested, at least one of 'spec.domain.memory.guest', "
                                   "'spec.domain.memory.hugepages.pageSize' or 'spec.domain.resources.requests.memory' "
                                   "must be set", REQUIRED))
    causes += validate_metadata("metadata", metadata, cluster) + validate_hyperv(spec)
    return causes + _per_arch(spec)


# --- ValidateVirtualMachineInstancePerArch (pkg/virt-api/webhooks/{amd64,arm64}.go) -----------------------

_AMD64_VIDEO = ("vga", "cirrus", "virtio", "ramfb", "bochs")
_ARM64_VIDEO = ("virtio", "ramfb")


def _video(spec: Obj, arch: str, allowed: tuple[str, ...]) -> list[FieldProblem]:
    video = dig(spec, "domain", "devices", "video")
    if not isinstance(video, dict) or video.get("type", "") in allowed:
        return []
    return [FieldProblem("spec.domain.devices.video.type", f"video model '{video.get('type', '')}' is not supported "
                         f"on {arch} architecture", NOT_SUPPORTED)]


def _amd64(spec: Obj) -> list[FieldProblem]:
    causes = []
    watchdog = dig(spec, "domain", "devices", "watchdog")
    if isinstance(watchdog, dict) and (watchdog.get("i6300esb") is None or watchdog.get("diag288") is not None):
        causes.append(FieldProblem("spec.domain.devices.watchdog", "amd64 only supports I6300ESB watchdog device",
                                   NOT_SUPPORTED))
    return causes + _video(spec, "amd64", _AMD64_VIDEO)


def _arm64(spec: Obj) -> list[FieldProblem]:
    causes = []
    if dig(spec, "domain", "firmware", "bootloader", "bios") is not None:
        causes.append(FieldProblem("spec.domain.firmware.bootloader.bios", "Arm64 does not support bios boot, please "
                                   "change to uefi boot", NOT_SUPPORTED))
    model = dig(spec, "domain", "cpu", "model")
    if model and model != "host-passthrough":
        causes.append(FieldProblem("spec.domain.cpu.model", "currently, host-passthrough is the only model supported "
                                   "on Arm64", NOT_SUPPORTED))
    for idx, disk in enumerate(dig(spec, "domain", "devices", "disks") or []):
        for kind in ("disk", "cdrom", "lun"):
            target = (disk or {}).get(kind)
            if isinstance(target, dict) and target.get("bus", "") not in ("", "virtio", "scsi"):
                causes.append(FieldProblem(f"spec.domain.devices.disks[{idx}].{kind}.bus", "Arm64 not support this "
                                           "disk bus type, please use virtio or scsi", NOT_SUPPORTED))
    if dig(spec, "domain", "devices", "watchdog") is not None:
        causes.append(FieldProblem("spec.domain.devices.watchdog", "Arm64 not support Watchdog device", NOT_SUPPORTED))
    if dig(spec, "domain", "devices", "sound") is not None:
        causes.append(FieldProblem("spec.domain.devices.sound", "Arm64 not support sound device", NOT_SUPPORTED))
    return causes + _video(spec, "arm64", _ARM64_VIDEO)


def _per_arch(spec: Obj) -> list[FieldProblem]:
    arch = spec.get("architecture")
    if arch == "amd64":
        return _amd64(spec)
    if arch == "arm64":
        return _arm64(spec)
    if arch == "s390x":
        return []  # not ported: vmctl resolves for amd64 and arm64
    return [FieldProblem("spec.architecture", f"unsupported architecture: {arch or ''}", INVALID)]


# --- ValidateVirtualMachineSpec ----------------------------------------------------------------------------


def validate_vm_spec(spec: Obj, cluster: ClusterConfig = DEFAULT_CLUSTER) -> list[FieldProblem]:
    """``ValidateVirtualMachineSpec`` on the VM (with the instancetype applied and defaults set on its template)."""
    template = spec.get("template")
    if not isinstance(template, dict):
        return [FieldProblem("spec.template", "missing virtual machine template.", REQUIRED)]
    template_spec = template.get("spec") or {}
    causes = validate_metadata("spec.template.metadata", template.get("metadata"), cluster)
    causes += validate_vmi_spec("spec.template.spec", template_spec, cluster)
    running, strategy = spec.get("running"), spec.get("runStrategy")
    if running is not None and strategy is not None:
        causes.append(FieldProblem("spec.running", "Running and RunStrategy are mutually exclusive. Note that Running "
                                   "is deprecated, please use RunStrategy instead", INVALID))
    if running is None and strategy is None:
        causes.append(FieldProblem("spec.running", "RunStrategy must be specified", INVALID))
    if strategy is not None:
        if strategy == "WaitAsReceiver":
            causes.append(FieldProblem("spec.runStrategy", "Invalid RunStrategy (WaitAsReceiver), "
                                       "DecentralizedLiveMigration feature gate is not enabled in kubevirt resource",
                                       INVALID))
        elif strategy not in _VALID_RUN_STRATEGIES:
            causes.append(FieldProblem("spec.runStrategy", f"Invalid RunStrategy ({strategy})", INVALID))
    causes += _live_update(template_spec)
    return causes


def _live_update(spec: Obj) -> list[FieldProblem]:
    causes = []
    cpu = dig(spec, "domain", "cpu")
    if isinstance(cpu, dict):
        sockets, max_sockets = int(cpu.get("sockets") or 0), int(cpu.get("maxSockets") or 0)
        if sockets and max_sockets and sockets > max_sockets:
            causes.append(FieldProblem("spec.template.spec.domain.cpu.sockets", "Number of sockets in CPU topology is "
                                       "greater than the maximum sockets allowed", INVALID))
    memory = dig(spec, "domain", "memory")
    if isinstance(memory, dict) and memory.get("maxGuest") is not None:
        problem = _live_update_memory(spec, memory)
        if problem:
            causes.append(FieldProblem("spec.template.spec.domain.memory.guest", problem, INVALID))
    return causes


def _live_update_memory(spec: Obj, memory: Obj) -> str | None:
    """``memory.ValidateLiveUpdateMemory``."""
    cpu = dig(spec, "domain", "cpu") or {}
    if cpu.get("realtime") is not None:
        return "Memory hotplug is not compatible with realtime VMs"
    if dig(cpu, "numa", "guestMappingPassthrough") is not None:
        return "Memory hotplug is not compatible with guest mapping passthrough"
    if dig(spec, "domain", "launchSecurity") is not None:
        return "Memory hotplug is not compatible with encrypted VMs"
    alignment = _HOTPLUG_1G_ALIGNMENT if dig(memory, "hugepages", "pageSize") == "1Gi" else _HOTPLUG_ALIGNMENT
    if memory.get("guest") is None:
        return "Guest memory must be configured when memory hotplug is enabled"
    guest, max_guest = _quantity(memory["guest"]), _quantity(memory["maxGuest"])
    if guest > max_guest:
        return "Guest memory is greater than the configured maxGuest memory"
    if _value(memory["guest"]) % alignment:
        return f"Guest memory must be {quantity.format_quantity(alignment, 'BinarySI')} aligned"
    if _value(memory["maxGuest"]) % alignment:
        return f"MaxGuest must be {quantity.format_quantity(alignment, 'BinarySI')} aligned"
    if spec.get("architecture") != "amd64":
        return "Memory hotplug is only available for x86_64 VMs"
    if _value(memory["guest"]) < _MIN_HOTPLUG_GUEST:
        return "Memory hotplug is only available for VMs with at least 1Gi of guest memory"
    return None
