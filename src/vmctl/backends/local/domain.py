"""VMI → libvirt domain XML for the local backend, following KubeVirt's converter where it has a mapping.

KubeVirt's mapping lives in ``pkg/virt-launcher/virtwrap/converter`` (compute/*, storage/disk.go,
network/configurator.go). Where a pod has no local equivalent the local choice is documented in
docs/local-domain.md: pod network → user-mode networking, VNC on 127.0.0.1, serial console on a pty with a
log file, TCG (``type='qemu'``) wherever KVM does not really work.

Anything in the VMI that cannot be mapped raises ``VmctlError`` naming the VMI field path. The output is
deterministic for the same inputs.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from fractions import Fraction
from typing import Any, NamedTuple

from vmctl.backends.local.contracts import DiskSource, DomainInputs, HostInfo
from vmctl.errors import VmctlError

Obj = dict[str, Any]

#: Namespace of vmctl's element inside the domain's <metadata>.
METADATA_NS = "https://vmctl.dev/xmlns/domain/v1"
METADATA_KEYS = ("store", "kind", "apiVersion", "namespace", "name", "uid", "resourceVersion")
ET.register_namespace("vmctl", METADATA_NS)

VIRTIO_MODEL = "virtio-non-transitional"
VIRTIO_TRANSITIONAL = "virtio-transitional"
GUEST_AGENT_CHANNEL = "org.qemu.guest_agent.0"
SECURE_BOOT_SMM = "{path} has EFI SecureBoot enabled. SecureBoot requires SMM, which is currently disabled."
DISK_BUSES = ("virtio", "sata", "scsi", "usb")
#: Buses on which libvirt refuses a read-only hard disk (``device='disk'``); CD-ROMs there are fine.
READONLY_UNSUPPORTED = ("sata",)
INTERFACE_MODELS = ("virtio", "e1000", "e1000e", "igb", "ne2k_pci", "pcnet", "rtl8139")
WATCHDOG_ACTIONS = ("poweroff", "reset", "shutdown")


class DomainError(VmctlError):
    """A VMI field the local backend cannot express as a libvirt domain."""

    def __init__(self, path: str, message: str) -> None:
        super().__init__(f"{path}: {message}")
        self.path = path


# --- small helpers ------------------------------------------------------------------------------------


def _sub(parent: ET.Element, tag: str, text: str | None = None, /, **attrs: Any) -> ET.Element:
    """Append a child; attributes with value None are left out; names ending in '_' lose it."""
    el = ET.SubElement(parent, tag, {k.rstrip("_"): str(v) for k, v in attrs.items() if v is not None})
    if text is not None:
        el.text = text
    return el


def _enabled(state: Any, default: bool = True) -> bool:
    """A KubeVirt FeatureState-like ``{enabled: bool}``; ``enabled`` unset means ``default``."""
    if not isinstance(state, dict) or state.get("enabled") is None:
        return default
    return bool(state["enabled"])


def _on_off(value: bool) -> str:
    return "on" if value else "off"


def _yes_no(value: bool) -> str:
    return "yes" if value else "no"


def _quantity(value: Any, path: str) -> Fraction:
    """A Kubernetes quantity (``"1Gi"``, ``"500m"``, ``2``) as an exact number; errors name ``path``."""
    from vmctl.core.quantity import parse_quantity
    from vmctl.errors import InputError

    if isinstance(value, bool):
        raise DomainError(path, f"invalid quantity {value!r}")
    try:
        return parse_quantity(value)
    except InputError:
        raise DomainError(path, f"invalid quantity {value!r}") from None


def _ceil(q: Fraction) -> int:
    return -(-q.numerator // q.denominator)


def _memory_bytes(value: Any, path: str) -> int:
    """KubeVirt ``QuantityToByte``: whole bytes, a fractional byte count rounds down."""
    q = _quantity(value, path)
    size = int(q) if q.denominator == 1 else _ceil(q) - 1
    if size < 0:
        raise DomainError(path, f"Memory size '{value}' must be greater than or equal to 0")
    return size


def _device_name(prefix: str, index: int) -> str:
    """KubeVirt ``formatDeviceName``: 0 → a, 25 → z, 26 → aa."""
    name = ""
    while index >= 0:
        name = chr(ord("a") + index % 26) + name
        index = index // 26 - 1
    return prefix + name


def _pci_address(parent: ET.Element, text: str, path: str) -> None:
    m = re.fullmatch(r"([0-9a-fA-F]{4}):([0-9a-fA-F]{2}):([0-9a-fA-F]{2})\.([0-7])", text)
    if not m:
        raise DomainError(path, f"invalid PCI address {text!r}, expected DDDD:BB:SS.F")
    dom, bus, slot, fn = m.groups()
    _sub(parent, "address", type="pci", domain=f"0x{dom}", bus=f"0x{bus}", slot=f"0x{slot}", function=f"0x{fn}")


def _alias(parent: ET.Element, name: str) -> None:
    """KubeVirt's user-defined alias ``ua-<name>``."""
    _sub(parent, "alias", name=f"ua-{name}")


def _reject(spec: Obj, path: str, *keys: str) -> None:
    for key in keys:
        value = spec.get(key)
        if value not in (None, False, [], {}, ""):
            raise DomainError(f"{path}.{key}", "not supported by the local backend")


# --- the converter ------------------------------------------------------------------------------------


class _Converter:
    def __init__(self, vmi: Obj, inputs: DomainInputs, host: HostInfo, name: str, metadata: Obj) -> None:
        self.vmi = vmi
        self.spec: Obj = vmi.get("spec") or {}
        self.domain: Obj = self.spec.get("domain") or {}
        self.devices: Obj = self.domain.get("devices") or {}
        self.inputs = inputs
        self.host = host
        self.name = name
        self.metadata = metadata
        self.kvm = host.virt_type == "kvm"
        self.virtio = VIRTIO_TRANSITIONAL if self.devices.get("useVirtioTransitional") else VIRTIO_MODEL
        self.root = ET.Element("domain", type=host.virt_type)
        self.dev: ET.Element | None = None
        self.vcpus = 1
        self.usb_needed = False
        self.slirp_forwards: list[tuple[str, int, int, str]] = []  # (alias, host, guest, proto)

    # The order below is libvirt's canonical element order, so the output reads like `virsh dumpxml`.
    def build(self) -> str:
        self._check_unsupported()
        r = self.root
        _sub(r, "name", self.name)
        firmware: Obj = self.domain.get("firmware") or {}
        if firmware.get("uuid"):
            _sub(r, "uuid", str(firmware["uuid"]))
        self._metadata()
        self._memory()
        self._cpu_count()
        self._iothreads_count()
        self._sysinfo(firmware)
        self._os(firmware)
        self._features()
        self._cpu()
        self._clock()
        _sub(r, "on_poweroff", "destroy")
        reboot = self.domain.get("rebootPolicy")
        _sub(r, "on_reboot", "destroy" if reboot == "Terminate" else "restart")
        _sub(r, "on_crash", "destroy")
        self.dev = _sub(r, "devices")
        self._disks()
        self._controllers()
        self._interfaces()
        self._serial_console()
        self._channels()
        self._inputs()
        self._graphics()
        self._sound()
        self._watchdog()
        self._memballoon()
        self._rng()
        self._tpm()
        self._panic()
        self._seclabel()
        ET.indent(r, "  ")
        return ET.tostring(r, encoding="unicode") + "\n"

    # --- checks ---------------------------------------------------------------------------------------
    def _check_unsupported(self) -> None:
        _reject(self.domain, "spec.domain", "launchSecurity")
        _reject(self.devices, "spec.domain.devices", "gpus", "hostDevices", "filesystems", "clientPassthrough",
                "downwardMetrics", "autoattachVSOCK")
        cpu: Obj = self.domain.get("cpu") or {}
        _reject(cpu, "spec.domain.cpu", "dedicatedCpuPlacement", "isolateEmulatorThread", "numa", "realtime")
        acpi = (self.domain.get("firmware") or {}).get("acpi")
        if acpi:
            raise DomainError("spec.domain.firmware.acpi", "ACPI SLIC/MSDM tables are not supported by the local backend")

    # --- metadata -------------------------------------------------------------------------------------
    def _metadata(self) -> None:
        md = _sub(self.root, "metadata")
        owner = ET.SubElement(md, f"{{{METADATA_NS}}}owner")
        for key in METADATA_KEYS:
            value = self.metadata.get(key)
            if value not in (None, ""):
                owner.set(key, str(value))

    def monitor_commands(self) -> list[str]:
        """QEMU monitor (HMP) commands that add the port forwards of a user-mode (SLIRP) interface: libvirt
        9.0 has no port-forward syntax for SLIRP, so they run once the domain has started."""
        return [f"hostfwd_add host{alias} {proto}:127.0.0.1:{host_port}-:{guest_port}"
                for alias, host_port, guest_port, proto in self.slirp_forwards]

    # --- memory ---------------------------------------------------------------------------------------
    def _guest_memory(self) -> tuple[int, str]:
        memory: Obj = self.domain.get("memory") or {}
        resources: Obj = self.domain.get("resources") or {}
        requests: Obj = resources.get("requests") or {}
        limits: Obj = resources.get("limits") or {}
        if memory.get("guest") is not None:
            return _memory_bytes(memory["guest"], "spec.domain.memory.guest"), "spec.domain.memory.guest"
        if "memory" not in requests and limits.get("memory") is not None:
            path = "spec.domain.resources.limits.memory"
            return _memory_bytes(limits["memory"], path), path
        if requests.get("memory") is not None:
            path = "spec.domain.resources.requests.memory"
            return _memory_bytes(requests["memory"], path), path
        raise DomainError("spec.domain.memory.guest", "no guest memory: set memory.guest or resources.requests.memory")

    def _memory(self) -> None:
        size, path = self._guest_memory()
        if size == 0:
            raise DomainError(path, "guest memory must be greater than 0")
        memory: Obj = self.domain.get("memory") or {}
        max_guest = memory.get("maxGuest")
        if max_guest is not None and _memory_bytes(max_guest, "spec.domain.memory.maxGuest") != size:
            raise DomainError("spec.domain.memory.maxGuest", "memory hotplug is not supported by the local backend")
        _sub(self.root, "memory", str(size), unit="b")
        _sub(self.root, "currentMemory", str(size), unit="b")
        hugepages = memory.get("hugepages")
        if hugepages is not None:
            page = str((hugepages or {}).get("pageSize") or "")
            field = "spec.domain.memory.hugepages.pageSize"
            if not page:
                raise DomainError(field, "a page size is required (e.g. 2Mi)")
            kib = _memory_bytes(page, field) // 1024
            if page not in self.host.hugepages:
                have = ", ".join(self.host.hugepages) or "none"
                raise DomainError(field, f"this host has no free {page} hugepages (free page sizes: {have}); "
                                  "reserve some in /sys/kernel/mm/hugepages or remove memory.hugepages")
            if size % (kib * 1024):
                raise DomainError(path, f"guest memory must be a multiple of the hugepage size {page}")
            mb = _sub(self.root, "memoryBacking")
            _sub(_sub(mb, "hugepages"), "page", size=kib, unit="KiB")
            _sub(mb, "source", type="memfd")

    # --- CPU ------------------------------------------------------------------------------------------
    def _topology(self) -> tuple[int, int, int]:
        cpu: Obj = self.domain.get("cpu") or {}
        sockets, cores, threads = (int(cpu.get(k) or 0) for k in ("sockets", "cores", "threads"))
        if sockets == cores == threads == 0:
            resources: Obj = self.domain.get("resources") or {}
            limit = (resources.get("limits") or {}).get("cpu")
            request = (resources.get("requests") or {}).get("cpu")
            if limit is not None:
                sockets = _ceil(_quantity(limit, "spec.domain.resources.limits.cpu"))
            elif request is not None:
                sockets = _ceil(_quantity(request, "spec.domain.resources.requests.cpu"))
        return sockets or 1, cores or 1, threads or 1

    def _cpu_count(self) -> None:
        sockets, cores, threads = self._topology()
        cpu: Obj = self.domain.get("cpu") or {}
        enabled = sockets * cores * threads
        max_sockets = int(cpu.get("maxSockets") or 0)
        self.vcpus = enabled
        if max_sockets and max_sockets != sockets:
            if max_sockets < sockets:
                raise DomainError("spec.domain.cpu.maxSockets", f"must be at least cpu.sockets ({sockets})")
            total = max_sockets * cores * threads
            _sub(self.root, "vcpu", str(total), placement="static", current=str(enabled))
            vcpus = _sub(self.root, "vcpus")
            for i in range(total):
                _sub(vcpus, "vcpu", id=i, enabled=_yes_no(i < enabled), hotpluggable=_yes_no(i >= cores * threads))
            self._sockets = max_sockets
        else:
            _sub(self.root, "vcpu", str(enabled), placement="static")
            self._sockets = sockets
        self._cores, self._threads = cores, threads

    def _cpu(self) -> None:
        cpu: Obj = self.domain.get("cpu") or {}
        model = cpu.get("model") or "host-model"
        if model in ("host-model", "host-passthrough"):
            if model == "host-passthrough" and not self.kvm:
                el = _sub(self.root, "cpu", mode="maximum")  # TCG cannot pass the host CPU through
            else:
                el = _sub(self.root, "cpu", mode=model)
        else:
            el = _sub(self.root, "cpu", mode="custom")
            _sub(el, "model", str(model), fallback="forbid")
        _sub(el, "topology", sockets=self._sockets, dies=None, cores=self._cores, threads=self._threads)
        names = set()
        for i, feature in enumerate(cpu.get("features") or []):
            name = feature.get("name")
            if not name:
                raise DomainError(f"spec.domain.cpu.features[{i}].name", "a feature name is required")
            policy = feature.get("policy") or "require"
            if policy not in ("force", "require", "optional", "disable", "forbid"):
                raise DomainError(f"spec.domain.cpu.features[{i}].policy",
                                  f"unsupported policy {policy!r} (force, require, optional, disable, forbid)")
            names.add(name)
            _sub(el, "feature", policy=policy, name=name)
        if model not in ("host-model", "host-passthrough") and "mpx" not in names:
            _sub(el, "feature", policy="disable", name="mpx")  # as KubeVirt does for named models on amd64

    def _iothreads_count(self) -> None:
        disks: list[Obj] = self.devices.get("disks") or []
        policy = self.domain.get("ioThreadsPolicy")
        dedicated = sum(1 for d in disks if d.get("dedicatedIOThread"))
        self.auto_threads = 0
        if policy is None and not dedicated:
            return
        if policy == "supplementalPool":
            count = int((self.domain.get("ioThreads") or {}).get("supplementalPoolThreadCount") or 0)
            if count < 1:
                raise DomainError("spec.domain.ioThreads.supplementalPoolThreadCount", "must be at least 1")
            self.supplemental = count
            _sub(self.root, "iothreads", str(count))
            return
        auto = len(disks) - dedicated
        if policy in (None, "shared"):
            limit = 1
        elif policy == "auto":
            resources: Obj = self.domain.get("resources") or {}
            cpus = (resources.get("requests") or {}).get("cpu") or (resources.get("limits") or {}).get("cpu")
            limit = 2 * (_ceil(_quantity(cpus, "spec.domain.resources.requests.cpu")) if cpus else 1)
        else:
            raise DomainError("spec.domain.ioThreadsPolicy", f"unsupported policy {policy!r} (shared, auto, supplementalPool)")
        if auto + dedicated > limit:
            auto = max(limit - dedicated, 1)
        self.auto_threads = auto
        _sub(self.root, "iothreads", str(auto + dedicated))

    # --- sysinfo, os, features, clock ------------------------------------------------------------------
    def _sysinfo(self, firmware: Obj) -> None:
        chassis: Obj | None = self.domain.get("chassis")
        if not firmware and not chassis:
            return
        si = _sub(self.root, "sysinfo", type="smbios")
        if firmware:
            system = _sub(si, "system")
            _sub(system, "entry", str(firmware.get("uuid") or ""), name="uuid")
            if firmware.get("serial"):
                _sub(system, "entry", str(firmware["serial"]), name="serial")
        if chassis:
            ch = _sub(si, "chassis")
            for key in ("manufacturer", "version", "serial", "asset", "sku"):
                _sub(ch, "entry", str(chassis.get(key) or ""), name=key)

    def _os(self, firmware: Obj) -> None:
        os_el = _sub(self.root, "os")
        machine = (self.domain.get("machine") or {}).get("type") or "q35"
        _sub(os_el, "type", "hvm", arch=self.host.arch, machine=machine)
        bootloader: Obj = firmware.get("bootloader") or {}
        if bootloader.get("efi") is not None:
            self._efi(os_el, bootloader.get("efi") or {})
        kernel_boot: Obj | None = firmware.get("kernelBoot")
        if kernel_boot is not None:
            self._kernel_boot(os_el, kernel_boot)
        elif self.inputs.kernel is not None:
            raise DomainError("spec.domain.firmware.kernelBoot", "a kernel was prepared but the VMI has no kernelBoot")
        if self.spec.get("startStrategy") == "Paused":
            _sub(os_el, "bootmenu", enable="yes", timeout="10000")
        bios: Obj = bootloader.get("bios") or {}
        if bios.get("useSerial"):
            if (self.devices.get("autoattachSerialConsole") is False):
                raise DomainError("spec.domain.firmware.bootloader.bios.useSerial",
                                  "needs the serial console (devices.autoattachSerialConsole is false)")
            _sub(os_el, "bios", useserial="yes")
        if firmware:
            _sub(os_el, "smbios", mode="sysinfo")

    def _efi(self, os_el: ET.Element, efi: Obj) -> None:
        secure = efi.get("secureBoot") is None or bool(efi.get("secureBoot"))
        features: Obj | None = self.domain.get("features")
        smm = isinstance(features, dict) and features.get("smm") is not None and _enabled(features.get("smm"))
        if secure and not smm:
            raise VmctlError(SECURE_BOOT_SMM.format(path="spec.domain"))
        if secure:
            code = self.host.ovmf_code_secure
            template = getattr(self.host, "ovmf_vars_secure", None) or self.host.ovmf_vars
        else:
            code, template = self.host.ovmf_code, self.host.ovmf_vars
        if code is None or template is None:
            kind = "Secure Boot OVMF firmware" if secure else "OVMF firmware"
            raise DomainError("spec.domain.firmware.bootloader.efi",
                              f"{kind} not found on this host (install the ovmf package)")
        _sub(os_el, "loader", str(code), readonly="yes", secure=_yes_no(secure), type="pflash")
        nvram = _sub(os_el, "nvram", template=str(template))
        if self.inputs.nvram is not None:
            nvram.text = str(self.inputs.nvram)

    def _kernel_boot(self, os_el: ET.Element, kb: Obj) -> None:
        container: Obj = kb.get("container") or {}
        path = "spec.domain.firmware.kernelBoot"
        if container.get("kernelPath") and self.inputs.kernel is None:
            raise DomainError(f"{path}.container.kernelPath", "the kernel has not been extracted from the image")
        if container.get("initrdPath") and self.inputs.initrd is None:
            raise DomainError(f"{path}.container.initrdPath", "the initrd has not been extracted from the image")
        if self.inputs.kernel is not None:
            _sub(os_el, "kernel", str(self.inputs.kernel))
        if self.inputs.initrd is not None:
            if self.inputs.kernel is None:
                raise DomainError(f"{path}.container.kernelPath", "an initrd needs a kernel")
            _sub(os_el, "initrd", str(self.inputs.initrd))
        args = kb.get("kernelArgs")
        if args:
            if self.inputs.kernel is None:
                raise DomainError(f"{path}.kernelArgs", "kernel arguments need a kernel (kernelBoot.container)")
            _sub(os_el, "cmdline", str(args))

    def _features(self) -> None:
        src = self.domain.get("features")
        if src is None:
            src = {}  # KubeVirt's VMI defaulting always sets `features: {}` (so ACPI is on)
        feats = _sub(self.root, "features")
        if not isinstance(src, dict):
            raise DomainError("spec.domain.features", "expected an object")
        if _enabled(src.get("acpi")):
            _sub(feats, "acpi")
        if src.get("apic") is not None and _enabled(src.get("apic")):
            _sub(feats, "apic")
        hyperv = src.get("hyperv")
        passthrough = src.get("hypervPassthrough")
        if hyperv is not None:
            self._hyperv(_sub(feats, "hyperv"), hyperv or {})
        elif passthrough is not None and _enabled(passthrough, default=False):
            if not self.kvm:
                raise DomainError("spec.domain.features.hypervPassthrough", "needs KVM; this host runs guests with TCG")
            _sub(feats, "hyperv", mode="passthrough")
        kvm = src.get("kvm")
        if kvm is not None:
            _sub(_sub(feats, "kvm"), "hidden", state=_on_off(bool((kvm or {}).get("hidden"))))
        pvspinlock = src.get("pvspinlock")
        if pvspinlock is not None:
            _sub(feats, "pvspinlock", state=_on_off(_enabled(pvspinlock)))
        _sub(feats, "vmport", state="off")
        if src.get("smm") is not None and _enabled(src.get("smm")):
            _sub(feats, "smm", state="on")

    def _hyperv(self, el: ET.Element, hv: Obj) -> None:
        base = "spec.domain.features.hyperv"
        order = ("relaxed", "vapic", "spinlocks", "vpindex", "runtime", "synic", "synictimer", "reset", "vendorid",
                 "frequencies", "reenlightenment", "tlbflush", "ipi", "evmcs")
        for key in hv:
            if key not in order:
                raise DomainError(f"{base}.{key}", "unknown Hyper-V feature")
        for key in order:
            value = hv.get(key)
            if value is None:
                continue
            state = _on_off(_enabled(value))
            if key == "spinlocks":
                _sub(el, "spinlocks", state=state, retries=value.get("spinlocks"))
            elif key == "synictimer":
                st = _sub(el, "stimer", state=state)
                if value.get("direct") is not None:
                    _sub(st, "direct", state=_on_off(_enabled(value["direct"])))
            elif key == "vendorid":
                _sub(el, "vendor_id", state=state, value=value.get("vendorid") or None)
            elif key == "tlbflush":
                for sub in ("direct", "extended"):
                    if value.get(sub) is not None:
                        raise DomainError(f"{base}.tlbflush.{sub}", "not supported by this host's libvirt (9.0)")
                _sub(el, "tlbflush", state=state)
            else:
                _sub(el, key, state=state)

    def _clock(self) -> None:
        clock: Obj | None = self.domain.get("clock")
        if clock is None:
            return
        attrs: dict[str, Any] = {}
        if clock.get("utc") is not None:
            utc = clock["utc"] or {}
            attrs["offset"] = "utc"
            offset = utc.get("offsetSeconds")
            attrs["adjustment"] = str(offset) if offset is not None else "reset"
        elif clock.get("timezone") is not None:
            attrs = {"offset": "timezone", "timezone": str(clock["timezone"])}
        el = _sub(self.root, "clock", **attrs)
        timer: Obj = clock.get("timer") or {}
        for key, name in (("rtc", "rtc"), ("pit", "pit"), ("kvm", "kvmclock"), ("hpet", "hpet"),
                          ("hyperv", "hypervclock")):
            t = timer.get(key)
            if t is None:
                continue
            t = t or {}
            present = _enabled(t)
            if name in ("kvmclock", "hypervclock") and present and not self.kvm:
                raise DomainError(f"spec.domain.clock.timer.{key}", "needs KVM; this host runs guests with TCG")
            _sub(el, "timer", name=name, tickpolicy=t.get("tickPolicy") or None, track=t.get("track") or None,
                 present=_yes_no(present))

    # --- disks ----------------------------------------------------------------------------------------
    def _disks(self) -> None:
        assert self.dev is not None
        volumes = {v.get("name"): (i, v) for i, v in enumerate(self.spec.get("volumes") or [])}
        used: dict[str, set[str]] = {}
        queues = self.vcpus if self.devices.get("blockMultiQueue") else None
        auto_thread, dedicated_thread = 1, self.auto_threads + 1
        for i, disk in enumerate(self.devices.get("disks") or []):
            path = f"spec.domain.devices.disks[{i}]"
            dname = disk.get("name") or ""
            kinds = [k for k in ("disk", "cdrom", "lun") if disk.get(k) is not None]
            if len(kinds) > 1:
                raise DomainError(path, f"only one of disk, cdrom or lun may be set, got {', '.join(kinds)}")
            kind = kinds[0] if kinds else "disk"
            target: Obj = disk.get(kind) or {}
            bus = target.get("bus") or "sata"
            if bus not in DISK_BUSES:
                raise DomainError(f"{path}.{kind}.bus", f"unsupported bus {bus!r} (virtio, sata, scsi, usb)")
            prefix = "vd" if bus == "virtio" else "sd"
            taken = used.setdefault(prefix, set())
            index = next(n for n in range(26 ** 3) if _device_name(prefix, n) not in taken)
            dev_name = _device_name(prefix, index)
            taken.add(dev_name)
            if bus == "usb":
                self.usb_needed = True

            volume = volumes.get(dname)
            source: DiskSource | None = self.inputs.disks.get(dname)
            if volume is None and kind != "cdrom":
                raise DomainError(f"{path}.name", f"no matching volume with name {dname} found")
            if volume is not None and source is None:
                vidx, vol = volume
                vtype = next((k for k in vol if k != "name"), "unknown")
                raise DomainError(f"spec.volumes[{vidx}].{vtype}",
                                  f"volume {dname!r} has no local file (volume type {vtype} not prepared)")
            block = source is not None and str(source.path).startswith("/dev/")
            el = _sub(self.dev, "disk", type="block" if block else "file", device=kind)
            driver = _sub(el, "driver", name="qemu", type=source.format if source else "raw")
            if disk.get("cache"):
                if disk["cache"] not in ("none", "writethrough", "writeback"):
                    raise DomainError(f"{path}.cache", f"unsupported cache mode {disk['cache']!r}")
                driver.set("cache", disk["cache"])
            if disk.get("io") and disk["io"] != "default":
                if disk["io"] not in ("native", "threads"):
                    raise DomainError(f"{path}.io", f"unsupported io mode {disk['io']!r}")
                driver.set("io", disk["io"])
            policy = disk.get("errorPolicy") or "stop"
            if policy not in ("stop", "ignore", "report", "enospace"):
                raise DomainError(f"{path}.errorPolicy", f"error policy {policy} not recognized")
            driver.set("error_policy", policy)
            if kind != "cdrom":
                driver.set("discard", "unmap")
            if queues and bus == "virtio":
                driver.set("queues", str(queues))
            if bus == "virtio" and self.auto_threads:
                if disk.get("dedicatedIOThread"):
                    driver.set("iothread", str(dedicated_thread))
                    dedicated_thread += 1
                else:
                    driver.set("iothread", str(auto_thread))
                    auto_thread = auto_thread % self.auto_threads + 1
            if source is not None:
                _sub(el, "source", **({"dev": str(source.path)} if block else {"file": str(source.path)}))
            elif kind == "lun":
                raise DomainError(f"{path}.lun", "a LUN needs a block device")
            if kind == "lun" and not block:
                raise DomainError(f"{path}.lun", f"a LUN needs a block device; volume {dname!r} is a file")
            tgt = _sub(el, "target", dev=dev_name, bus=bus)
            if kind == "cdrom" and target.get("tray"):
                if target["tray"] not in ("open", "closed"):
                    raise DomainError(f"{path}.cdrom.tray", f"expected open or closed, got {target['tray']!r}")
                tgt.set("tray", target["tray"])
            if self._readonly(kind, bus, target, source, path, volume):
                _sub(el, "readonly")
            if disk.get("shareable"):
                if disk.get("cache") not in (None, "none"):
                    raise DomainError(f"{path}.cache", f"a sharable disk requires cache = none got: {disk['cache']}")
                driver.set("cache", "none")
                _sub(el, "shareable")
            if source is not None and source.transient:
                _sub(el, "transient", shareBacking="yes")
            if disk.get("serial"):
                _sub(el, "serial", str(disk["serial"]))
            if disk.get("bootOrder") is not None:
                _sub(el, "boot", order=int(disk["bootOrder"]))
            self._block_size(el, disk, path)
            _alias(el, dname)
            if target.get("pciAddress"):
                if bus != "virtio":
                    raise DomainError(f"{path}.{kind}.pciAddress",
                                      f"setting a pci address is not allowed for non-virtio bus types, for disk {dname}")
                _pci_address(el, target["pciAddress"], f"{path}.{kind}.pciAddress")
            if bus == "scsi":
                _sub(el, "address", type="drive", controller="0", bus="0", target="0", unit=index)
            if bus == "virtio" and kind == "disk":
                el.set("model", self.virtio)
            if kind == "lun" and target.get("reservation"):
                raise DomainError(f"{path}.lun.reservation", "persistent reservations are not supported locally")

    @staticmethod
    def _readonly(kind: str, bus: str, target: Obj, source: DiskSource | None, path: str,
                  volume: tuple[int, Obj] | None) -> bool:
        """Whether the disk gets ``<readonly/>``, as KubeVirt: only ``readonly`` on the disk target counts
        (CD-ROMs default to read-only); a read-only local file (a ``readOnly`` claim) counts too.

        libvirt refuses read-only SATA hard disks (SATA CD-ROMs are fine); KubeVirt's admission rejects
        ``disk.readonly`` on sata with the text used here.
        """
        if kind == "cdrom":
            readonly = target.get("readonly") is None or bool(target.get("readonly"))
        else:
            readonly = bool(target.get("readonly"))
            if readonly and kind == "disk" and bus in READONLY_UNSUPPORTED:
                raise DomainError(f"{path}.disk.bus", f"{bus} hard-disks do not support read-only.")
        if source is not None and source.readonly and not readonly:
            if kind == "disk" and bus in READONLY_UNSUPPORTED:
                vidx, vol = volume if volume is not None else (0, {})
                vtype = next((k for k in vol if k != "name"), "unknown")
                field = "readOnly" if vtype == "persistentVolumeClaim" else ""
                raise DomainError(
                    f"spec.volumes[{vidx}].{vtype}" + (f".{field}" if field else ""),
                    f"volume {vol.get('name', '')!r} is read-only, but its disk ({path}) is on the {bus} bus, and "
                    f"{bus} hard-disks do not support read-only; use bus virtio, scsi or usb, or a cdrom",
                )
            readonly = True
        return readonly

    def _block_size(self, el: ET.Element, disk: Obj, path: str) -> None:
        bs: Obj | None = disk.get("blockSize")
        if not bs:
            return
        custom = bs.get("custom")
        if custom:
            if custom.get("discardGranularity") is not None:
                raise DomainError(f"{path}.blockSize.custom.discardGranularity",
                                  "not supported by this host's libvirt (9.0)")
            _sub(el, "blockio", logical_block_size=custom.get("logical"), physical_block_size=custom.get("physical"))

    # --- controllers ----------------------------------------------------------------------------------
    def _controllers(self) -> None:
        assert self.dev is not None
        inputs = self.devices.get("inputs") or []
        if any(i.get("bus") in (None, "", "usb") for i in inputs):
            self.usb_needed = True
        _sub(self.dev, "controller", type="usb", index="0", model="qemu-xhci" if self.usb_needed else "none")
        disks = self.devices.get("disks") or []
        scsi = any((d.get(k) or {}).get("bus") == "scsi" for d in disks for k in ("disk", "cdrom", "lun"))
        if not self.devices.get("disableHotplug") or scsi:
            _sub(self.dev, "controller", type="scsi", index="0", model=self.virtio)
        if self.devices.get("autoattachSerialConsole") is not False:
            _sub(self.dev, "controller", type="virtio-serial", index="0", model=self.virtio)

    # --- network --------------------------------------------------------------------------------------
    def _interfaces(self) -> None:
        assert self.dev is not None
        networks = {n.get("name"): n for n in self.spec.get("networks") or []}
        forwards = list(self.inputs.port_forwards)
        forwarded = False
        for i, iface in enumerate(self.devices.get("interfaces") or []):
            path = f"spec.domain.devices.interfaces[{i}]"
            if iface.get("state") == "absent":
                continue
            name = iface.get("name") or ""
            net = networks.get(name)
            if net is None:
                raise DomainError(f"{path}.name", f"failed to find network {name}")
            for binding in ("sriov", "macvtap"):
                if iface.get(binding) is not None:
                    raise DomainError(f"{path}.{binding}", f"{binding} interfaces are not supported by the local backend")
            if iface.get("dhcpOptions"):
                raise DomainError(f"{path}.dhcpOptions", "DHCP options are not supported by the local backend")
            mapping = self.inputs.networks.get(name)
            if mapping is None:
                if net.get("pod") is not None:
                    mapping = "user"
                elif net.get("multus") is not None:
                    netname = (net.get("multus") or {}).get("networkName", "")
                    raise DomainError(f"spec.networks[{list(networks).index(name)}].multus.networkName",
                                      f"network {netname!r} (VMI network {name!r}) is not mapped to a libvirt "
                                      "network or bridge on this host")
                else:
                    kind = next((k for k in net if k != "name"), "unknown")
                    raise DomainError(f"spec.networks[{list(networks).index(name)}].{kind}",
                                      f"network type {kind} is not supported by the local backend")
            kind_, _, target = mapping.partition(":")
            if kind_ == "user":
                el = _sub(self.dev, "interface", type="user")
            elif kind_ == "bridge":
                el = _sub(self.dev, "interface", type="bridge")
                _sub(el, "source", bridge=target)
            else:  # "network:<name>" or a bare libvirt network name
                el = _sub(self.dev, "interface", type="network")
                _sub(el, "source", network=target if kind_ == "network" else mapping)
            if iface.get("macAddress"):
                _sub(el, "mac", address=str(iface["macAddress"]).lower().replace("-", ":"))
            model = iface.get("model") or "virtio"
            if model not in INTERFACE_MODELS:
                raise DomainError(f"{path}.model", f"unsupported model {model!r} ({', '.join(INTERFACE_MODELS)})")
            _sub(el, "model", type=self.virtio if model == "virtio" else model)
            if kind_ == "user" and forwards and not forwarded:
                forwarded = True
                if getattr(self.host, "passt", False):
                    _sub(el, "backend", type="passt")
                    for host_port, guest_port, proto in forwards:
                        pf = _sub(el, "portForward", proto=proto, address="127.0.0.1")
                        _sub(pf, "range", start=host_port, to=guest_port)
                else:
                    self.slirp_forwards = [(f"ua-{name}", h, g, p) for h, g, p in forwards]
            if iface.get("bootOrder") is not None:
                _sub(el, "boot", order=int(iface["bootOrder"]))
            if iface.get("state") == "down":
                _sub(el, "link", state="down")
            _alias(el, name)
            if iface.get("pciAddress"):
                _pci_address(el, iface["pciAddress"], f"{path}.pciAddress")
            if iface.get("acpiIndex"):
                _sub(el, "acpi", index=int(iface["acpiIndex"]))
        if forwards and not forwarded:
            raise DomainError("spec.domain.devices.interfaces",
                              "port forwarding needs an interface on the pod network (user-mode networking)")

    # --- serial console, channels, inputs, graphics ---------------------------------------------------
    def _serial_console(self) -> None:
        assert self.dev is not None
        if self.devices.get("autoattachSerialConsole") is False:
            return
        serial = _sub(self.dev, "serial", type="pty")
        if self.inputs.console_log is not None:
            _sub(serial, "log", file=str(self.inputs.console_log), append="off")
        _sub(serial, "target", port="0")
        console = _sub(self.dev, "console", type="pty")
        _sub(console, "target", type="serial", port="0")

    def _channels(self) -> None:
        assert self.dev is not None
        if self.devices.get("autoattachSerialConsole") is False:
            return  # the guest-agent channel needs the virtio-serial controller
        ch = _sub(self.dev, "channel", type="unix")
        _sub(ch, "target", type="virtio", name=GUEST_AGENT_CHANNEL)

    def _inputs(self) -> None:
        assert self.dev is not None
        for i, spec in enumerate(self.devices.get("inputs") or []):
            path = f"spec.domain.devices.inputs[{i}]"
            bus = spec.get("bus") or "usb"
            if bus not in ("usb", "virtio"):
                raise DomainError(f"{path}.bus", f"input contains unsupported bus {bus}")
            if spec.get("type") != "tablet":
                raise DomainError(f"{path}.type", f"input contains unsupported type {spec.get('type')}")
            el = _sub(self.dev, "input", type="tablet", bus=bus, model="virtio" if bus == "virtio" else None)
            _alias(el, spec.get("name") or f"input{i}")

    def _graphics(self) -> None:
        assert self.dev is not None
        if self.devices.get("autoattachGraphicsDevice") is False:
            return
        gr = _sub(self.dev, "graphics", type="vnc", port="-1", autoport="yes", listen="127.0.0.1")
        _sub(gr, "listen", type="address", address="127.0.0.1")
        video = self.devices.get("video") or {}
        vtype = video.get("type") or "vga"
        if vtype not in ("vga", "cirrus", "virtio", "ramfb", "bochs"):
            raise DomainError("spec.domain.devices.video.type", f"unsupported video type {vtype!r}")
        model = _sub(_sub(self.dev, "video"), "model", type=vtype)
        if vtype in ("vga", "cirrus") or video:
            if vtype not in ("ramfb", "bochs", "virtio"):
                model.set("vram", "16384")
            model.set("heads", "1")

    def _sound(self) -> None:
        assert self.dev is not None
        sound: Obj | None = self.devices.get("sound")
        if sound is None:
            return
        model = sound.get("model") or "ich9"
        if model not in ("ich9", "ac97"):
            raise DomainError("spec.domain.devices.sound.model", f"invalid model: {model}")
        el = _sub(self.dev, "sound", model=model)
        _alias(el, sound.get("name") or "sound")

    # --- watchdog, balloon, rng, tpm, panic ------------------------------------------------------------
    def _watchdog(self) -> None:
        assert self.dev is not None
        wd: Obj | None = self.devices.get("watchdog")
        if wd is None:
            return
        esb = wd.get("i6300esb")
        if esb is None:
            raise DomainError("spec.domain.devices.watchdog",
                              f"watchdog {wd.get('name')} can't be mapped, no watchdog type specified")
        action = (esb or {}).get("action") or "reset"
        if action not in WATCHDOG_ACTIONS:
            raise DomainError("spec.domain.devices.watchdog.i6300esb.action",
                              f"unsupported action {action!r} (poweroff, reset, shutdown)")
        el = _sub(self.dev, "watchdog", model="i6300esb", action=action)
        _alias(el, wd.get("name") or "watchdog")

    def _memballoon(self) -> None:
        assert self.dev is not None
        if self.devices.get("autoattachMemBalloon") is False:
            _sub(self.dev, "memballoon", model="none")
            return
        el = _sub(self.dev, "memballoon", model=self.virtio, freePageReporting="off")
        _sub(el, "stats", period="10")

    def _rng(self) -> None:
        assert self.dev is not None
        if self.devices.get("rng") is None:
            return
        el = _sub(self.dev, "rng", model=self.virtio)
        _sub(el, "backend", "/dev/urandom", model="random")

    def _tpm(self) -> None:
        assert self.dev is not None
        tpm = self.devices.get("tpm")
        if tpm is None or not _enabled(tpm):
            return
        if not getattr(self.host, "swtpm", False):
            raise DomainError("spec.domain.devices.tpm",
                              "an emulated TPM needs swtpm, which is not installed on this host "
                              "(apt-get install swtpm swtpm-tools)")
        persistent = bool((tpm or {}).get("persistent"))
        el = _sub(self.dev, "tpm", model="tpm-crb" if persistent else "tpm-tis")
        _sub(el, "backend", type="emulator", version="2.0", persistent_state="yes" if persistent else None)

    def _panic(self) -> None:
        assert self.dev is not None
        for i, panic in enumerate(self.devices.get("panicDevices") or []):
            model = panic.get("model") or "isa"
            if model not in ("isa", "hyperv", "pvpanic"):
                raise DomainError(f"spec.domain.devices.panicDevices[{i}].model",
                                  f"unsupported model {model!r} (isa, hyperv, pvpanic)")
            _sub(self.dev, "panic", model=model)

    def _seclabel(self) -> None:
        if getattr(self.host, "root", False):
            # QEMU runs as root and libvirt does not chown (and never restores) shared images.
            sl = _sub(self.root, "seclabel", type="static", model="dac", relabel="no")
            _sub(sl, "label", "+0:+0")


def build_domain_xml(vmi: Obj, inputs: DomainInputs, host: HostInfo, *, name: str, metadata: Obj) -> str:
    """The libvirt domain XML for ``vmi`` (a resolved VMI dict), named ``name``.

    ``inputs`` holds the files prepared for the VMI's volumes, kernel and console log; ``metadata``
    (store, kind, apiVersion, namespace, name, uid, resourceVersion of the owner) is stored in the domain's
    ``<metadata>`` so the local backend can map domains back to objects after a crash.
    ``inputs.networks`` maps VMI network names to ``user``, ``bridge:<bridge>`` or ``network:<libvirt network>``;
    pod networks default to user-mode networking. Raises ``VmctlError`` naming the VMI field that cannot be
    mapped.
    """
    return build_domain(vmi, inputs, host, name=name, metadata=metadata).xml


class Domain(NamedTuple):
    """A domain definition and the QEMU monitor commands to run once it has started."""

    xml: str
    monitor_commands: list[str]


def build_domain(vmi: Obj, inputs: DomainInputs, host: HostInfo, *, name: str, metadata: Obj) -> Domain:
    """``build_domain_xml`` plus the monitor commands that add SLIRP port forwards."""
    converter = _Converter(vmi, inputs, host, name, metadata)
    xml = converter.build()
    return Domain(xml, converter.monitor_commands())


def read_owner(xml: str) -> dict[str, str]:
    """The owner recorded by ``build_domain_xml`` in a domain's XML (empty when there is none)."""
    try:
        owner = ET.fromstring(xml).find(f"metadata/{{{METADATA_NS}}}owner")
    except ET.ParseError:
        return {}
    return dict(owner.attrib) if owner is not None else {}
