"""The ``<devices>`` part of the VMI → domain XML converter: disks, controllers, interfaces, console, channels,
inputs, graphics, sound, watchdog, balloon, RNG, TPM, panic device, security label."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any

from vmctl.backends.local.contracts import DiskSource, DomainInputs, HostInfo
from vmctl.backends.local.domain_parts import (
    DISK_BUSES,
    GUEST_AGENT_CHANNEL,
    INTERFACE_MODELS,
    READONLY_UNSUPPORTED,
    WATCHDOG_ACTIONS,
    DomainError,
    add_alias,
    device_name,
    is_enabled,
    pci_address,
    sub_element,
)

Obj = dict[str, Any]


class DeviceWriter:
    """Writes the devices of a domain; mixed into the converter, which sets these attributes."""

    spec: Obj
    domain: Obj
    devices: Obj
    inputs: DomainInputs
    host: HostInfo
    kvm: bool
    virtio: str
    dev: ET.Element | None
    root: ET.Element
    vcpus: int
    usb_needed: bool
    slirp_forwards: list[tuple[str, int, int, str]]

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
            index = next(n for n in range(26 ** 3) if device_name(prefix, n) not in taken)
            dev_name = device_name(prefix, index)
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
            el = sub_element(self.dev, "disk", type="block" if block else "file", device=kind)
            driver = sub_element(el, "driver", name="qemu", type=source.format if source else "raw")
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
                sub_element(el, "source", **({"dev": str(source.path)} if block else {"file": str(source.path)}))
            elif kind == "lun":
                raise DomainError(f"{path}.lun", "a LUN needs a block device")
            if kind == "lun" and not block:
                raise DomainError(f"{path}.lun", f"a LUN needs a block device; volume {dname!r} is a file")
            tgt = sub_element(el, "target", dev=dev_name, bus=bus)
            if kind == "cdrom" and target.get("tray"):
                if target["tray"] not in ("open", "closed"):
                    raise DomainError(f"{path}.cdrom.tray", f"expected open or closed, got {target['tray']!r}")
                tgt.set("tray", target["tray"])
            if self._readonly(kind, bus, target, source, path, volume):
                sub_element(el, "readonly")
            if disk.get("shareable"):
                if disk.get("cache") not in (None, "none"):
                    raise DomainError(f"{path}.cache", f"a sharable disk requires cache = none got: {disk['cache']}")
                driver.set("cache", "none")
                sub_element(el, "shareable")
            if source is not None and source.transient:
                sub_element(el, "transient", shareBacking="yes")
            if disk.get("serial"):
                sub_element(el, "serial", str(disk["serial"]))
            if disk.get("bootOrder") is not None:
                sub_element(el, "boot", order=int(disk["bootOrder"]))
            self._block_size(el, disk, path)
            add_alias(el, dname)
            if target.get("pciAddress"):
                if bus != "virtio":
                    raise DomainError(f"{path}.{kind}.pciAddress",
                                      f"setting a pci address is not allowed for non-virtio bus types, for disk {dname}")
                pci_address(el, target["pciAddress"], f"{path}.{kind}.pciAddress")
            if bus == "scsi":
                sub_element(el, "address", type="drive", controller="0", bus="0", target="0", unit=index)
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
            sub_element(el, "blockio", logical_block_size=custom.get("logical"), physical_block_size=custom.get("physical"))

    # --- controllers ----------------------------------------------------------------------------------
    def _controllers(self) -> None:
        assert self.dev is not None
        inputs = self.devices.get("inputs") or []
        if any(i.get("bus") in (None, "", "usb") for i in inputs):
            self.usb_needed = True
        sub_element(self.dev, "controller", type="usb", index="0", model="qemu-xhci" if self.usb_needed else "none")
        disks = self.devices.get("disks") or []
        scsi = any((d.get(k) or {}).get("bus") == "scsi" for d in disks for k in ("disk", "cdrom", "lun"))
        if not self.devices.get("disableHotplug") or scsi:
            sub_element(self.dev, "controller", type="scsi", index="0", model=self.virtio)
        if self.devices.get("autoattachSerialConsole") is not False:
            sub_element(self.dev, "controller", type="virtio-serial", index="0", model=self.virtio)

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
                el = sub_element(self.dev, "interface", type="user")
            elif kind_ == "bridge":
                el = sub_element(self.dev, "interface", type="bridge")
                sub_element(el, "source", bridge=target)
            else:  # "network:<name>" or a bare libvirt network name
                el = sub_element(self.dev, "interface", type="network")
                sub_element(el, "source", network=target if kind_ == "network" else mapping)
            if iface.get("macAddress"):
                sub_element(el, "mac", address=str(iface["macAddress"]).lower().replace("-", ":"))
            model = iface.get("model") or "virtio"
            if model not in INTERFACE_MODELS:
                raise DomainError(f"{path}.model", f"unsupported model {model!r} ({', '.join(INTERFACE_MODELS)})")
            sub_element(el, "model", type=self.virtio if model == "virtio" else model)
            if kind_ == "user" and forwards and not forwarded:
                forwarded = True
                if getattr(self.host, "passt", False):
                    sub_element(el, "backend", type="passt")
                    for host_port, guest_port, proto in forwards:
                        pf = sub_element(el, "portForward", proto=proto, address="127.0.0.1")
                        sub_element(pf, "range", start=host_port, to=guest_port)
                else:
                    self.slirp_forwards = [(f"ua-{name}", h, g, p) for h, g, p in forwards]
            if iface.get("bootOrder") is not None:
                sub_element(el, "boot", order=int(iface["bootOrder"]))
            if iface.get("state") == "down":
                sub_element(el, "link", state="down")
            add_alias(el, name)
            if iface.get("pciAddress"):
                pci_address(el, iface["pciAddress"], f"{path}.pciAddress")
            if iface.get("acpiIndex"):
                sub_element(el, "acpi", index=int(iface["acpiIndex"]))
        if forwards and not forwarded:
            raise DomainError("spec.domain.devices.interfaces",
                              "port forwarding needs an interface on the pod network (user-mode networking)")

    # --- serial console, channels, inputs, graphics ---------------------------------------------------
    def _serial_console(self) -> None:
        assert self.dev is not None
        if self.devices.get("autoattachSerialConsole") is False:
            return
        serial = sub_element(self.dev, "serial", type="pty")
        if self.inputs.console_log is not None:
            sub_element(serial, "log", file=str(self.inputs.console_log), append="off")
        sub_element(serial, "target", port="0")
        console = sub_element(self.dev, "console", type="pty")
        sub_element(console, "target", type="serial", port="0")

    def _channels(self) -> None:
        assert self.dev is not None
        if self.devices.get("autoattachSerialConsole") is False:
            return  # the guest-agent channel needs the virtio-serial controller
        ch = sub_element(self.dev, "channel", type="unix")
        sub_element(ch, "target", type="virtio", name=GUEST_AGENT_CHANNEL)

    def _inputs(self) -> None:
        assert self.dev is not None
        for i, spec in enumerate(self.devices.get("inputs") or []):
            path = f"spec.domain.devices.inputs[{i}]"
            bus = spec.get("bus") or "usb"
            if bus not in ("usb", "virtio"):
                raise DomainError(f"{path}.bus", f"input contains unsupported bus {bus}")
            if spec.get("type") != "tablet":
                raise DomainError(f"{path}.type", f"input contains unsupported type {spec.get('type')}")
            el = sub_element(self.dev, "input", type="tablet", bus=bus, model="virtio" if bus == "virtio" else None)
            add_alias(el, spec.get("name") or f"input{i}")

    def _graphics(self) -> None:
        assert self.dev is not None
        if self.devices.get("autoattachGraphicsDevice") is False:
            return
        gr = sub_element(self.dev, "graphics", type="vnc", port="-1", autoport="yes", listen="127.0.0.1")
        sub_element(gr, "listen", type="address", address="127.0.0.1")
        video = self.devices.get("video") or {}
        vtype = video.get("type") or "vga"
        if vtype not in ("vga", "cirrus", "virtio", "ramfb", "bochs"):
            raise DomainError("spec.domain.devices.video.type", f"unsupported video type {vtype!r}")
        model = sub_element(sub_element(self.dev, "video"), "model", type=vtype)
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
        el = sub_element(self.dev, "sound", model=model)
        add_alias(el, sound.get("name") or "sound")

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
        el = sub_element(self.dev, "watchdog", model="i6300esb", action=action)
        add_alias(el, wd.get("name") or "watchdog")

    def _memballoon(self) -> None:
        assert self.dev is not None
        if self.devices.get("autoattachMemBalloon") is False:
            sub_element(self.dev, "memballoon", model="none")
            return
        el = sub_element(self.dev, "memballoon", model=self.virtio, freePageReporting="off")
        sub_element(el, "stats", period="10")

    def _rng(self) -> None:
        assert self.dev is not None
        if self.devices.get("rng") is None:
            return
        el = sub_element(self.dev, "rng", model=self.virtio)
        sub_element(el, "backend", "/dev/urandom", model="random")

    def _tpm(self) -> None:
        assert self.dev is not None
        tpm = self.devices.get("tpm")
        if tpm is None or not is_enabled(tpm):
            return
        if not getattr(self.host, "swtpm", False):
            raise DomainError("spec.domain.devices.tpm",
                              "an emulated TPM needs swtpm, which is not installed on this host "
                              "(apt-get install swtpm swtpm-tools)")
        persistent = bool((tpm or {}).get("persistent"))
        el = sub_element(self.dev, "tpm", model="tpm-crb" if persistent else "tpm-tis")
        sub_element(el, "backend", type="emulator", version="2.0", persistent_state="yes" if persistent else None)

    def _panic(self) -> None:
        assert self.dev is not None
        for i, panic in enumerate(self.devices.get("panicDevices") or []):
            model = panic.get("model") or "isa"
            if model not in ("isa", "hyperv", "pvpanic"):
                raise DomainError(f"spec.domain.devices.panicDevices[{i}].model",
                                  f"unsupported model {model!r} (isa, hyperv, pvpanic)")
            sub_element(self.dev, "panic", model=model)

    def _seclabel(self) -> None:
        if getattr(self.host, "root", False):
            # QEMU runs as root and libvirt does not chown (and never restores) shared images.
            sl = sub_element(self.root, "seclabel", type="static", model="dac", relabel="no")
            sub_element(sl, "label", "+0:+0")
