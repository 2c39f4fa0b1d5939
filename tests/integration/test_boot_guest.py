"""Boot the test guest from converted VMIs on the real libvirtd (TCG here) and talk to it on the console."""

from __future__ import annotations

import io
import socket
import time
import urllib.request
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from vmctl.backends.local.contracts import DiskSource, DomainInputs
from vmctl.backends.local.domain import build_domain, build_domain_xml, read_owner
from vmctl.backends.local.host import detect_host

pytestmark = pytest.mark.libvirt

BOOT_TIMEOUT = 90
USER_DATA = "#cloud-config\nhostname: vmctl-boot-test\nruncmd: [echo hello-from-cloud-init]\n"
MAC = "02:00:00:12:34:56"


def seed_iso(path: Path, files: dict[str, str], label: str = "cidata") -> Path:
    """A NoCloud seed ISO written with pycdlib (what the local backend's cloud-init support produces)."""
    import pycdlib

    iso = pycdlib.PyCdlib()
    iso.new(interchange_level=3, joliet=3, rock_ridge="1.09", vol_ident=label)
    for i, (name, text) in enumerate(sorted(files.items())):
        data = text.encode()
        iso.add_fp(io.BytesIO(data), len(data), f"/F{i}.;1", rr_name=name, joliet_path=f"/{name}")
    iso.write(str(path))
    iso.close()
    return path


def vmi(name: str, domain: dict[str, Any], volumes: list[dict[str, Any]], networks: list[dict[str, Any]] | None = None,
        ) -> dict[str, Any]:
    base: dict[str, Any] = {"cpu": {"sockets": 1, "cores": 1, "threads": 1}, "memory": {"guest": "256Mi"},
                            "machine": {"type": "q35"}, "features": {"acpi": {}},
                            "firmware": {"uuid": "8d0a2f1e-43a9-5d1c-9b3e-0c5a7e2f9d11"}}
    base.update(domain)
    return {"apiVersion": "kubevirt.io/v1", "kind": "VirtualMachineInstance",
            "metadata": {"name": name, "namespace": "default", "uid": f"uid-{name}"},
            "spec": {"domain": base, "volumes": volumes, "networks": networks or []}}


def owner(name: str) -> dict[str, str]:
    return {"kind": "VirtualMachineInstance", "namespace": "default", "name": name, "uid": f"uid-{name}",
            "resourceVersion": "1"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_kernel_boot_with_cloud_init_cdrom_and_pod_nic(
    boot_domain: Any, domain_name: str, test_guest: Any, tmp_path: Path, virt_type: str
) -> None:
    import libvirt_qemu

    seed = seed_iso(tmp_path / "seed.iso", {"meta-data": "instance-id: boot-1\nlocal-hostname: boot-1\n",
                                            "user-data": USER_DATA})
    kernel_boot = {"kernelArgs": "console=ttyS0,115200 quiet panic=-1",
                   "container": {"image": "localhost:5000/vmctl/test-guest:v1", "kernelPath": "/boot/vmlinux",
                                 "initrdPath": "/boot/initrd.gz"}}
    spec = vmi("boot-1", {
        "firmware": {"uuid": "8d0a2f1e-43a9-5d1c-9b3e-0c5a7e2f9d11", "kernelBoot": kernel_boot},
        "devices": {"disks": [{"name": "cloudinitdisk", "cdrom": {"bus": "sata"}}],
                    "interfaces": [{"name": "default", "masquerade": {}, "macAddress": MAC}]},
    }, [{"name": "cloudinitdisk", "cloudInitNoCloud": {"userData": USER_DATA}}], [{"name": "default", "pod": {}}])
    port = free_port()
    inputs = DomainInputs(disks={"cloudinitdisk": DiskSource(seed, format="raw", readonly=True)},
                          kernel=test_guest.vmlinux, initrd=test_guest.initrd, console_log=tmp_path / "console.log",
                          port_forwards=[(port, 8080, "tcp")])
    domain = build_domain(spec, inputs, detect_host(), name=domain_name, metadata=owner("boot-1"))
    xml = domain.xml
    assert f"type=\"{virt_type}\"" in xml

    started = time.monotonic()
    dom, console = boot_domain(xml)
    console.wait_for(test_guest.booted, BOOT_TIMEOUT)
    booted_after = time.monotonic() - started
    console.wait_for(test_guest.shell_ready, BOOT_TIMEOUT)
    text = console.text()
    assert "VMCTL-BEGIN cidata/user-data\n" in text.replace("\r", "")
    assert "hostname: vmctl-boot-test" in text
    assert f"VMCTL-NIC eth0 {MAC}" in text
    assert "VMCTL-DHCP eth0 10.0.2.15/24" in text
    out = console.run("echo ABC$((40+2))XYZ; cat /sys/class/dmi/id/product_uuid")
    assert out.split() == ["ABC42XYZ", "8d0a2f1e-43a9-5d1c-9b3e-0c5a7e2f9d11"]

    # the domain maps back to its owner, and the SLIRP port forward reaches the guest
    assert read_owner(dom.XMLDesc(0))["uid"] == "uid-boot-1"
    for cmd in domain.monitor_commands:
        libvirt_qemu.qemuMonitorCommand(dom, cmd, libvirt_qemu.VIR_DOMAIN_QEMU_MONITOR_COMMAND_HMP)
    console.run('(while true; do echo -e "HTTP/1.0 200 OK\\r\\n\\r\\nvmctl-pong" | nc -l -p 8080; done &); '
                "sleep 0.3")
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=15) as resp:
        assert resp.read() == b"vmctl-pong\n"
    assert test_guest.booted in (tmp_path / "console.log").read_text(errors="replace")
    print(f"kernelBoot marker after {booted_after:.1f} s")


def test_disk_boot_with_devices(boot_domain: Any, domain_name: str, test_guest: Any, tmp_path: Path) -> None:
    """SeaBIOS → syslinux from the qcow2 (transient, like an un-overlaid containerDisk), plus real devices."""
    spec = vmi("boot-2", {
        "cpu": {"sockets": 1, "cores": 2, "threads": 1},
        "firmware": {"uuid": "8d0a2f1e-43a9-5d1c-9b3e-0c5a7e2f9d12", "serial": "VMCTL-SERIAL-2",
                     "bootloader": {"bios": {"useSerial": True}}},
        "devices": {"disks": [{"name": "containerdisk", "disk": {"bus": "virtio"}, "bootOrder": 1,
                               "serial": "ROOTDISK"}],
                    "interfaces": [{"name": "default", "masquerade": {}, "model": "e1000e", "macAddress": MAC}],
                    "rng": {}, "watchdog": {"name": "wd", "i6300esb": {"action": "poweroff"}},
                    "inputs": [{"name": "tablet", "type": "tablet", "bus": "usb"}]},
        "clock": {"utc": {}, "timer": {"rtc": {"tickPolicy": "catchup"}, "pit": {"tickPolicy": "delay"},
                                        "hpet": {"enabled": False}}},
    }, [{"name": "containerdisk", "containerDisk": {"image": "localhost:5000/vmctl/test-guest:v1"}}],
        [{"name": "default", "pod": {}}])
    inputs = DomainInputs(disks={"containerdisk": DiskSource(test_guest.disk, transient=True)})
    xml = build_domain_xml(spec, inputs, detect_host(), name=domain_name, metadata=owner("boot-2"))
    dom, console = boot_domain(xml)
    console.wait_for(test_guest.shell_ready, BOOT_TIMEOUT)
    text = console.text()
    assert "VMCTL-BLOCK vda" in text and "serial=ROOTDISK" in text
    assert f"VMCTL-NIC eth0 {MAC}" in text
    out = console.run("nproc; cat /sys/class/dmi/id/product_serial; ls /dev/hwrng")
    assert out.split() == ["2", "VMCTL-SERIAL-2", "/dev/hwrng"]
    assert dom.isActive()


def test_efi_boot(boot_domain: Any, domain_name: str, test_guest: Any, tmp_path: Path) -> None:
    """OVMF without Secure Boot, kernelBoot with the EFI-stub vmlinuz; NVRAM file from inputs.nvram."""
    host = detect_host()
    if host.ovmf_code is None:
        pytest.skip("OVMF is not installed (apt-get install ovmf)")
    spec = vmi("boot-3", {
        "firmware": {"uuid": "8d0a2f1e-43a9-5d1c-9b3e-0c5a7e2f9d13", "bootloader": {"efi": {"secureBoot": False}},
                     "kernelBoot": {"kernelArgs": "console=ttyS0,115200 quiet panic=-1 vmctl.seedwait=0",
                                    "container": {"image": "x", "kernelPath": "/boot/vmlinuz",
                                                  "initrdPath": "/boot/initrd.gz"}}},
        "devices": {"autoattachGraphicsDevice": False},
    }, [])
    nvram = tmp_path / "boot-3_VARS.fd"
    inputs = DomainInputs(kernel=test_guest.vmlinuz, initrd=test_guest.initrd, nvram=nvram)
    xml = build_domain_xml(spec, inputs, host, name=domain_name, metadata=owner("boot-3"))
    _dom, console = boot_domain(xml)
    console.wait_for(test_guest.shell_ready, 180)
    assert console.run("echo ABC$((40+2))XYZ; test -d /sys/firmware/efi && echo EFI").split() == ["ABC42XYZ", "EFI"]
    assert nvram.is_file() and nvram.stat().st_size > 0


def _unit_module(name: str) -> Any:
    import importlib.util

    path = Path(__file__).resolve().parent.parent / "unit" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(f"h16_{name}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_libvirtd_accepts_every_volume_type_on_every_bus(libvirt_conn: Any, domain_name: str, tmp_path: Path) -> None:
    """Define (not start) what the converter makes for each volume type × bus: the QEMU driver, unlike the
    test driver, checks the devices (e.g. "readonly sata disks are not supported")."""
    import libvirt

    buses = _unit_module("test_domain_volume_buses")
    world = buses.World(tmp_path)
    host = detect_host()
    cases = [(vtype, {"disk": {"bus": bus}}) for vtype in buses.SOURCES for bus in buses.BUSES]
    cases += [(vtype, {"disk": {}}) for vtype in buses.SOURCES]
    cases += [(vtype, {"cdrom": {"bus": bus}}) for vtype in buses.ISO_SOURCES for bus in ("sata", "scsi", "usb")]
    cases += [("configMap", {"disk": {"bus": bus, "readonly": True}}) for bus in ("virtio", "scsi", "usb")]
    refused = []
    for vtype, disk in cases:
        vmi = world.vmi(vtype, disk)
        inputs, _ = world.prepare(vmi)
        xml = build_domain_xml(vmi, inputs, host, name=domain_name, metadata=owner("buses"))
        try:
            libvirt_conn.defineXML(xml).undefine()
        except libvirt.libvirtError as exc:
            refused.append(f"{vtype} {disk}: {exc}")
    assert refused == []
    # the check is real here: a read-only SATA hard disk is refused by this libvirtd
    vmi = world.vmi("configMap", {"disk": {"bus": "virtio", "readonly": True}})
    inputs, _ = world.prepare(vmi)
    xml = build_domain_xml(vmi, inputs, host, name=domain_name, metadata=owner("buses"))
    root = ET.fromstring(xml)
    disk = root.find("devices/disk")
    assert disk is not None and disk.find("readonly") is not None
    disk.attrib.pop("model")
    disk.find("target").attrib.update(dev="sda", bus="sata")
    disk.remove(disk.find("driver"))  # no virtio iothread on sata
    with pytest.raises(libvirt.libvirtError, match="readonly sata disks are not supported"):
        libvirt_conn.defineXML(ET.tostring(root, encoding="unicode"))
