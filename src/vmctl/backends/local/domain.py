"""VMI → libvirt domain XML for the local backend, following KubeVirt's converter where it has a mapping.

KubeVirt's mapping lives in ``pkg/virt-launcher/virtwrap/converter`` (compute/*, storage/disk.go,
network/configurator.go). Where a pod has no local equivalent the local choice is documented in
docs/local-domain.md: pod network → user-mode networking, VNC on 127.0.0.1, serial console on a pty with a
log file, TCG (``type='qemu'``) wherever KVM does not really work.

Anything in the VMI that cannot be mapped raises ``VmctlError`` naming the VMI field path. The output is
deterministic for the same inputs.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any, NamedTuple

from vmctl.backends.local.contracts import DomainInputs, HostInfo
from vmctl.backends.local.domain_devices import DeviceWriter
from vmctl.backends.local.domain_parts import (
    METADATA_KEYS,
    METADATA_NS,
    SECURE_BOOT_SMM,
    VIRTIO_MODEL,
    VIRTIO_TRANSITIONAL,
    DomainError,
    ceil_int,
    field_quantity,
    is_enabled,
    memory_bytes,
    on_off,
    reject_keys,
    sub_element,
    yes_no,
)
from vmctl.errors import VmctlError

__all__ = ["METADATA_NS", "Domain", "DomainError", "build_domain", "build_domain_xml", "read_owner"]

Obj = dict[str, Any]


# --- the converter ------------------------------------------------------------------------------------


class _Converter(DeviceWriter):
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
        sub_element(r, "name", self.name)
        firmware: Obj = self.domain.get("firmware") or {}
        if firmware.get("uuid"):
            sub_element(r, "uuid", str(firmware["uuid"]))
        self._metadata()
        self._memory()
        self._cpu_count()
        self._iothreads_count()
        self._sysinfo(firmware)
        self._os(firmware)
        self._features()
        self._cpu()
        self._clock()
        sub_element(r, "on_poweroff", "destroy")
        reboot = self.domain.get("rebootPolicy")
        sub_element(r, "on_reboot", "destroy" if reboot == "Terminate" else "restart")
        sub_element(r, "on_crash", "destroy")
        self.dev = sub_element(r, "devices")
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
        reject_keys(self.domain, "spec.domain", "launchSecurity")
        reject_keys(self.devices, "spec.domain.devices", "gpus", "hostDevices", "filesystems", "clientPassthrough",
                "downwardMetrics", "autoattachVSOCK")
        cpu: Obj = self.domain.get("cpu") or {}
        reject_keys(cpu, "spec.domain.cpu", "dedicatedCpuPlacement", "isolateEmulatorThread", "numa", "realtime")
        acpi = (self.domain.get("firmware") or {}).get("acpi")
        if acpi:
            raise DomainError("spec.domain.firmware.acpi", "ACPI SLIC/MSDM tables are not supported by the local backend")

    # --- metadata -------------------------------------------------------------------------------------
    def _metadata(self) -> None:
        md = sub_element(self.root, "metadata")
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
            return memory_bytes(memory["guest"], "spec.domain.memory.guest"), "spec.domain.memory.guest"
        if "memory" not in requests and limits.get("memory") is not None:
            path = "spec.domain.resources.limits.memory"
            return memory_bytes(limits["memory"], path), path
        if requests.get("memory") is not None:
            path = "spec.domain.resources.requests.memory"
            return memory_bytes(requests["memory"], path), path
        raise DomainError("spec.domain.memory.guest", "no guest memory: set memory.guest or resources.requests.memory")

    def _memory(self) -> None:
        size, path = self._guest_memory()
        if size == 0:
            raise DomainError(path, "guest memory must be greater than 0")
        memory: Obj = self.domain.get("memory") or {}
        max_guest = memory.get("maxGuest")
        if max_guest is not None and memory_bytes(max_guest, "spec.domain.memory.maxGuest") != size:
            raise DomainError("spec.domain.memory.maxGuest", "memory hotplug is not supported by the local backend")
        sub_element(self.root, "memory", str(size), unit="b")
        sub_element(self.root, "currentMemory", str(size), unit="b")
        hugepages = memory.get("hugepages")
        if hugepages is not None:
            page = str((hugepages or {}).get("pageSize") or "")
            field = "spec.domain.memory.hugepages.pageSize"
            if not page:
                raise DomainError(field, "a page size is required (e.g. 2Mi)")
            kib = memory_bytes(page, field) // 1024
            if page not in self.host.hugepages:
                have = ", ".join(self.host.hugepages) or "none"
                raise DomainError(field, f"this host has no free {page} hugepages (free page sizes: {have}); "
                                  "reserve some in /sys/kernel/mm/hugepages or remove memory.hugepages")
            if size % (kib * 1024):
                raise DomainError(path, f"guest memory must be a multiple of the hugepage size {page}")
            mb = sub_element(self.root, "memoryBacking")
            sub_element(sub_element(mb, "hugepages"), "page", size=kib, unit="KiB")
            sub_element(mb, "source", type="memfd")

    # --- CPU ------------------------------------------------------------------------------------------
    def _topology(self) -> tuple[int, int, int]:
        cpu: Obj = self.domain.get("cpu") or {}
        sockets, cores, threads = (int(cpu.get(k) or 0) for k in ("sockets", "cores", "threads"))
        if sockets == cores == threads == 0:
            resources: Obj = self.domain.get("resources") or {}
            limit = (resources.get("limits") or {}).get("cpu")
            request = (resources.get("requests") or {}).get("cpu")
            if limit is not None:
                sockets = ceil_int(field_quantity(limit, "spec.domain.resources.limits.cpu"))
            elif request is not None:
                sockets = ceil_int(field_quantity(request, "spec.domain.resources.requests.cpu"))
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
            sub_element(self.root, "vcpu", str(total), placement="static", current=str(enabled))
            vcpus = sub_element(self.root, "vcpus")
            for i in range(total):
                sub_element(vcpus, "vcpu", id=i, enabled=yes_no(i < enabled), hotpluggable=yes_no(i >= cores * threads))
            self._sockets = max_sockets
        else:
            sub_element(self.root, "vcpu", str(enabled), placement="static")
            self._sockets = sockets
        self._cores, self._threads = cores, threads

    def _cpu(self) -> None:
        cpu: Obj = self.domain.get("cpu") or {}
        model = cpu.get("model") or "host-model"
        if model in ("host-model", "host-passthrough"):
            if model == "host-passthrough" and not self.kvm:
                el = sub_element(self.root, "cpu", mode="maximum")  # TCG cannot pass the host CPU through
            else:
                el = sub_element(self.root, "cpu", mode=model)
        else:
            el = sub_element(self.root, "cpu", mode="custom")
            sub_element(el, "model", str(model), fallback="forbid")
        sub_element(el, "topology", sockets=self._sockets, dies=None, cores=self._cores, threads=self._threads)
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
            sub_element(el, "feature", policy=policy, name=name)
        if model not in ("host-model", "host-passthrough") and "mpx" not in names:
            sub_element(el, "feature", policy="disable", name="mpx")  # as KubeVirt does for named models on amd64

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
            sub_element(self.root, "iothreads", str(count))
            return
        auto = len(disks) - dedicated
        if policy in (None, "shared"):
            limit = 1
        elif policy == "auto":
            resources: Obj = self.domain.get("resources") or {}
            cpus = (resources.get("requests") or {}).get("cpu") or (resources.get("limits") or {}).get("cpu")
            limit = 2 * (ceil_int(field_quantity(cpus, "spec.domain.resources.requests.cpu")) if cpus else 1)
        else:
            raise DomainError("spec.domain.ioThreadsPolicy", f"unsupported policy {policy!r} (shared, auto, supplementalPool)")
        if auto + dedicated > limit:
            auto = max(limit - dedicated, 1)
        self.auto_threads = auto
        sub_element(self.root, "iothreads", str(auto + dedicated))

    # --- sysinfo, os, features, clock ------------------------------------------------------------------
    def _sysinfo(self, firmware: Obj) -> None:
        chassis: Obj | None = self.domain.get("chassis")
        if not firmware and not chassis:
            return
        si = sub_element(self.root, "sysinfo", type="smbios")
        if firmware:
            system = sub_element(si, "system")
            sub_element(system, "entry", str(firmware.get("uuid") or ""), name="uuid")
            if firmware.get("serial"):
                sub_element(system, "entry", str(firmware["serial"]), name="serial")
        if chassis:
            ch = sub_element(si, "chassis")
            for key in ("manufacturer", "version", "serial", "asset", "sku"):
                sub_element(ch, "entry", str(chassis.get(key) or ""), name=key)

    def _os(self, firmware: Obj) -> None:
        os_el = sub_element(self.root, "os")
        machine = (self.domain.get("machine") or {}).get("type") or "q35"
        sub_element(os_el, "type", "hvm", arch=self.host.arch, machine=machine)
        bootloader: Obj = firmware.get("bootloader") or {}
        if bootloader.get("efi") is not None:
            self._efi(os_el, bootloader.get("efi") or {})
        kernel_boot: Obj | None = firmware.get("kernelBoot")
        if kernel_boot is not None:
            self._kernel_boot(os_el, kernel_boot)
        elif self.inputs.kernel is not None:
            raise DomainError("spec.domain.firmware.kernelBoot", "a kernel was prepared but the VMI has no kernelBoot")
        if self.spec.get("startStrategy") == "Paused":
            sub_element(os_el, "bootmenu", enable="yes", timeout="10000")
        bios: Obj = bootloader.get("bios") or {}
        if bios.get("useSerial"):
            if (self.devices.get("autoattachSerialConsole") is False):
                raise DomainError("spec.domain.firmware.bootloader.bios.useSerial",
                                  "needs the serial console (devices.autoattachSerialConsole is false)")
            sub_element(os_el, "bios", useserial="yes")
        if firmware:
            sub_element(os_el, "smbios", mode="sysinfo")

    def _efi(self, os_el: ET.Element, efi: Obj) -> None:
        secure = efi.get("secureBoot") is None or bool(efi.get("secureBoot"))
        features: Obj | None = self.domain.get("features")
        smm = isinstance(features, dict) and features.get("smm") is not None and is_enabled(features.get("smm"))
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
        sub_element(os_el, "loader", str(code), readonly="yes", secure=yes_no(secure), type="pflash")
        nvram = sub_element(os_el, "nvram", template=str(template))
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
            sub_element(os_el, "kernel", str(self.inputs.kernel))
        if self.inputs.initrd is not None:
            if self.inputs.kernel is None:
                raise DomainError(f"{path}.container.kernelPath", "an initrd needs a kernel")
            sub_element(os_el, "initrd", str(self.inputs.initrd))
        args = kb.get("kernelArgs")
        if args:
            if self.inputs.kernel is None:
                raise DomainError(f"{path}.kernelArgs", "kernel arguments need a kernel (kernelBoot.container)")
            sub_element(os_el, "cmdline", str(args))

    def _features(self) -> None:
        src = self.domain.get("features")
        if src is None:
            src = {}  # KubeVirt's VMI defaulting always sets `features: {}` (so ACPI is on)
        feats = sub_element(self.root, "features")
        if not isinstance(src, dict):
            raise DomainError("spec.domain.features", "expected an object")
        if is_enabled(src.get("acpi")):
            sub_element(feats, "acpi")
        if src.get("apic") is not None and is_enabled(src.get("apic")):
            sub_element(feats, "apic")
        hyperv = src.get("hyperv")
        passthrough = src.get("hypervPassthrough")
        if hyperv is not None:
            self._hyperv(sub_element(feats, "hyperv"), hyperv or {})
        elif passthrough is not None and is_enabled(passthrough, default=False):
            if not self.kvm:
                raise DomainError("spec.domain.features.hypervPassthrough", "needs KVM; this host runs guests with TCG")
            sub_element(feats, "hyperv", mode="passthrough")
        kvm = src.get("kvm")
        if kvm is not None:
            sub_element(sub_element(feats, "kvm"), "hidden", state=on_off(bool((kvm or {}).get("hidden"))))
        pvspinlock = src.get("pvspinlock")
        if pvspinlock is not None:
            sub_element(feats, "pvspinlock", state=on_off(is_enabled(pvspinlock)))
        sub_element(feats, "vmport", state="off")
        if src.get("smm") is not None and is_enabled(src.get("smm")):
            sub_element(feats, "smm", state="on")

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
            state = on_off(is_enabled(value))
            if key == "spinlocks":
                sub_element(el, "spinlocks", state=state, retries=value.get("spinlocks"))
            elif key == "synictimer":
                st = sub_element(el, "stimer", state=state)
                if value.get("direct") is not None:
                    sub_element(st, "direct", state=on_off(is_enabled(value["direct"])))
            elif key == "vendorid":
                sub_element(el, "vendor_id", state=state, value=value.get("vendorid") or None)
            elif key == "tlbflush":
                for sub in ("direct", "extended"):
                    if value.get(sub) is not None:
                        raise DomainError(f"{base}.tlbflush.{sub}", "not supported by this host's libvirt (9.0)")
                sub_element(el, "tlbflush", state=state)
            else:
                sub_element(el, key, state=state)

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
        el = sub_element(self.root, "clock", **attrs)
        timer: Obj = clock.get("timer") or {}
        for key, name in (("rtc", "rtc"), ("pit", "pit"), ("kvm", "kvmclock"), ("hpet", "hpet"),
                          ("hyperv", "hypervclock")):
            t = timer.get(key)
            if t is None:
                continue
            t = t or {}
            present = is_enabled(t)
            if name in ("kvmclock", "hypervclock") and present and not self.kvm:
                raise DomainError(f"spec.domain.clock.timer.{key}", "needs KVM; this host runs guests with TCG")
            sub_element(el, "timer", name=name, tickpolicy=t.get("tickPolicy") or None, track=t.get("track") or None,
                 present=yes_no(present))


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
