"""VMI → libvirt domain XML: each mapping checked on our XML and accepted by libvirt's own parser.

libvirt's ``test:///<file>`` driver runs in-process with a private state per connection, so every domain the
converter produces is also defined there (libvirt validates the XML as qemu:///system would parse it).
"""

from __future__ import annotations

import copy
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from vmctl.backends.local.contracts import DiskSource, DomainInputs, HostInfo
from vmctl.backends.local.domain import (
    METADATA_NS,
    build_domain,
    build_domain_xml,
    read_owner,
)
from vmctl.backends.local.host import LocalHost
from vmctl.errors import VmctlError

libvirt = pytest.importorskip("libvirt")

UUID = "5d307ca9-b3ef-428c-8861-06e72d69f223"
TCG = LocalHost(virt_type="qemu", root=False)
OWNER = {"store": "store-1", "kind": "VirtualMachineInstance", "apiVersion": "kubevirt.io/v1", "namespace": "ns1", "name": "vm1",
         "uid": "0f9a6c3e-1111-2222-3333-444455556666", "resourceVersion": "7"}


def base_vmi(**domain: Any) -> dict[str, Any]:
    spec_domain: dict[str, Any] = {
        "memory": {"guest": "128Mi"},
        "firmware": {"uuid": UUID},
        "features": {"acpi": {}},
        "devices": {},
    }
    spec_domain.update(domain)
    return {"apiVersion": "kubevirt.io/v1", "kind": "VirtualMachineInstance",
            "metadata": {"name": "vm1", "namespace": "ns1"}, "spec": {"domain": spec_domain}}


def convert(vmi: dict[str, Any], inputs: DomainInputs | None = None, host: HostInfo = TCG,
            name: str = "vmctl-unit") -> str:
    return build_domain_xml(vmi, inputs or DomainInputs(), host, name=name, metadata=OWNER)


@pytest.fixture
def conn(tmp_path: Path) -> Any:
    node = tmp_path / "node.xml"
    node.write_text("<node><cpu><mhz>2000</mhz><model>i686</model></cpu><memory>8388608</memory></node>")
    libvirt.registerErrorHandler(lambda _c, _e: None, None)
    c = libvirt.open(f"test://{node}")
    yield c
    c.close()
    libvirt.registerErrorHandler(None, None)


def accepted(conn: Any, xml: str) -> ET.Element:
    """Define the XML in the test driver and return libvirt's normalised view of it."""
    dom = conn.defineXML(xml)
    return ET.fromstring(dom.XMLDesc(0))


def tree(xml: str) -> ET.Element:
    return ET.fromstring(xml)


def attrs(el: ET.Element | None) -> dict[str, str]:
    assert el is not None
    return dict(el.attrib)


# --- identity, memory, lifecycle -----------------------------------------------------------------------


def test_minimal_vmi_maps_identity_memory_and_default_devices(conn: Any) -> None:
    xml = convert(base_vmi())
    root = tree(xml)
    assert root.get("type") == "qemu"
    assert root.findtext("name") == "vmctl-unit"
    assert root.findtext("uuid") == UUID
    assert root.findtext("memory") == str(128 * 2**20) and root.find("memory").get("unit") == "b"
    assert root.findtext("currentMemory") == str(128 * 2**20)
    assert root.findtext("vcpu") == "1"
    assert attrs(root.find("os/type")) == {"arch": "x86_64", "machine": "q35"}
    assert attrs(root.find("cpu")) == {"mode": "host-model"}
    assert attrs(root.find("cpu/topology")) == {"sockets": "1", "cores": "1", "threads": "1"}
    assert [f.tag for f in root.find("features")] == ["acpi", "vmport"]
    assert [root.findtext(t) for t in ("on_poweroff", "on_reboot", "on_crash")] == ["destroy", "restart", "destroy"]
    assert root.find("sysinfo/system/entry[@name='uuid']").text == UUID
    assert attrs(root.find("os/smbios")) == {"mode": "sysinfo"}
    devices = root.find("devices")
    assert attrs(devices.find("graphics")) == {"type": "vnc", "port": "-1", "autoport": "yes", "listen": "127.0.0.1"}
    assert attrs(devices.find("video/model")) == {"type": "vga", "vram": "16384", "heads": "1"}
    assert devices.find("serial").get("type") == "pty" and devices.find("console/target").get("type") == "serial"
    assert devices.find("channel/target").get("name") == "org.qemu.guest_agent.0"
    assert attrs(devices.find("memballoon")) == {"model": "virtio-non-transitional", "freePageReporting": "off"}
    assert devices.find("controller[@type='usb']").get("model") == "none"
    assert root.find("seclabel") is None  # TCG host without root
    live = accepted(conn, xml)
    assert live.findtext("memory") == "131072" and live.find("memory").get("unit") == "KiB"


def test_owner_metadata_round_trips(conn: Any) -> None:
    xml = convert(base_vmi())
    assert read_owner(xml) == OWNER
    live = accepted(conn, xml)
    assert live.find(f"metadata/{{{METADATA_NS}}}owner").get("uid") == OWNER["uid"]
    assert read_owner(ET.tostring(live, encoding="unicode")) == OWNER


def test_output_is_deterministic() -> None:
    vmi = base_vmi(devices={"disks": [{"name": "d", "disk": {"bus": "virtio"}}], "rng": {}})
    vmi["spec"]["volumes"] = [{"name": "d", "emptyDisk": {"capacity": "1Gi"}}]
    inputs = DomainInputs(disks={"d": DiskSource(Path("/var/tmp/d.qcow2"))})
    assert convert(copy.deepcopy(vmi), inputs) == convert(vmi, inputs)


@pytest.mark.parametrize(
    ("domain", "expected"),
    [
        ({"memory": {"guest": "1Gi"}}, 2**30),
        ({"memory": None, "resources": {"limits": {"memory": "512Mi"}}}, 512 * 2**20),
        ({"memory": None, "resources": {"requests": {"memory": "256M"}, "limits": {"memory": "1Gi"}}}, 256 * 10**6),
        ({"memory": {"guest": "1.5Gi"}}, 3 * 2**29),
    ],
)
def test_guest_memory_precedence(domain: dict[str, Any], expected: int) -> None:
    assert tree(convert(base_vmi(**domain))).findtext("memory") == str(expected)


def test_missing_memory_names_the_field() -> None:
    with pytest.raises(VmctlError, match=r"^spec\.domain\.memory\.guest: no guest memory"):
        convert(base_vmi(memory=None))


def test_memory_hotplug_is_rejected() -> None:
    with pytest.raises(VmctlError, match=r"^spec\.domain\.memory\.maxGuest: memory hotplug is not supported"):
        convert(base_vmi(memory={"guest": "1Gi", "maxGuest": "4Gi"}))


def test_hugepages_need_free_pages_on_the_host(conn: Any) -> None:
    vmi = base_vmi(memory={"guest": "128Mi", "hugepages": {"pageSize": "2Mi"}})
    with pytest.raises(VmctlError) as err:
        convert(vmi)
    assert str(err.value).startswith("spec.domain.memory.hugepages.pageSize: this host has no free 2Mi hugepages")
    xml = convert(vmi, host=LocalHost(virt_type="qemu", hugepages=("2Mi",)))
    assert attrs(tree(xml).find("memoryBacking/hugepages/page")) == {"size": "2048", "unit": "KiB"}
    assert attrs(tree(xml).find("memoryBacking/source")) == {"type": "memfd"}
    accepted(conn, xml)


def test_reboot_policy_terminate_destroys_on_reboot() -> None:
    assert tree(convert(base_vmi(rebootPolicy="Terminate"))).findtext("on_reboot") == "destroy"


# --- CPU -------------------------------------------------------------------------------------------------


def test_cpu_topology_and_custom_model_with_features(conn: Any) -> None:
    cpu = {"sockets": 2, "cores": 2, "threads": 1, "model": "qemu64",
           "features": [{"name": "ssse3", "policy": "require"}, {"name": "x2apic"}]}
    xml = convert(base_vmi(cpu=cpu))
    root = tree(xml)
    assert root.findtext("vcpu") == "4"
    assert attrs(root.find("cpu")) == {"mode": "custom"}
    assert root.findtext("cpu/model") == "qemu64"
    assert attrs(root.find("cpu/topology")) == {"sockets": "2", "cores": "2", "threads": "1"}
    assert [(f.get("policy"), f.get("name")) for f in root.findall("cpu/feature")] == [
        ("require", "ssse3"), ("require", "x2apic"), ("disable", "mpx")]
    accepted(conn, xml)


@pytest.mark.parametrize(("resources", "sockets"), [
    ({"limits": {"cpu": "3"}}, "3"),
    ({"requests": {"cpu": "500m"}}, "1"),
    ({"requests": {"cpu": "2"}, "limits": {"cpu": "4"}}, "4"),
])
def test_topology_from_cpu_resources_when_unset(resources: dict[str, Any], sockets: str) -> None:
    root = tree(convert(base_vmi(resources=resources)))
    assert root.find("cpu/topology").get("sockets") == sockets
    assert root.findtext("vcpu") == sockets


def test_host_passthrough_becomes_maximum_under_tcg_only() -> None:
    vmi = base_vmi(cpu={"model": "host-passthrough"})
    assert tree(convert(vmi)).find("cpu").get("mode") == "maximum"
    assert tree(convert(vmi, host=LocalHost(virt_type="kvm"))).find("cpu").get("mode") == "host-passthrough"


def test_max_sockets_gives_hotpluggable_vcpus(conn: Any) -> None:
    xml = convert(base_vmi(cpu={"sockets": 1, "cores": 2, "threads": 1, "maxSockets": 3}))
    root = tree(xml)
    assert attrs(root.find("vcpu")) == {"placement": "static", "current": "2"} and root.findtext("vcpu") == "6"
    vcpus = root.findall("vcpus/vcpu")
    assert [(v.get("enabled"), v.get("hotpluggable")) for v in vcpus] == [
        ("yes", "no"), ("yes", "no"), ("no", "yes"), ("no", "yes"), ("no", "yes"), ("no", "yes")]
    assert accepted(conn, xml).find("vcpu").get("current") == "2"


def test_dedicated_cpu_placement_is_rejected() -> None:
    with pytest.raises(VmctlError, match=r"^spec\.domain\.cpu\.dedicatedCpuPlacement: not supported"):
        convert(base_vmi(cpu={"dedicatedCpuPlacement": True}))


# --- firmware ----------------------------------------------------------------------------------------------


def test_bios_use_serial(conn: Any) -> None:
    xml = convert(base_vmi(firmware={"uuid": UUID, "serial": "SER-1", "bootloader": {"bios": {"useSerial": True}}}))
    root = tree(xml)
    assert attrs(root.find("os/bios")) == {"useserial": "yes"}
    assert root.find("sysinfo/system/entry[@name='serial']").text == "SER-1"
    accepted(conn, xml)


def test_secure_boot_without_smm_gives_kubevirts_error() -> None:
    vmi = base_vmi(firmware={"uuid": UUID, "bootloader": {"efi": {}}})
    with pytest.raises(VmctlError) as err:
        convert(vmi)
    assert str(err.value) == ("spec.domain has EFI SecureBoot enabled. SecureBoot requires SMM, "
                              "which is currently disabled.")


def efi_host() -> LocalHost:
    return LocalHost(virt_type="qemu", ovmf_code=Path("/usr/share/OVMF/OVMF_CODE_4M.fd"),
                     ovmf_code_secure=Path("/usr/share/OVMF/OVMF_CODE_4M.secboot.fd"),
                     ovmf_vars=Path("/usr/share/OVMF/OVMF_VARS_4M.fd"),
                     ovmf_vars_secure=Path("/usr/share/OVMF/OVMF_VARS_4M.ms.fd"))


def test_efi_without_secure_boot(conn: Any, tmp_path: Path) -> None:
    vmi = base_vmi(firmware={"uuid": UUID, "bootloader": {"efi": {"secureBoot": False}}})
    xml = convert(vmi, DomainInputs(nvram=tmp_path / "vm1_VARS.fd"), host=efi_host())
    root = tree(xml)
    assert root.findtext("os/loader") == "/usr/share/OVMF/OVMF_CODE_4M.fd"
    assert attrs(root.find("os/loader")) == {"readonly": "yes", "secure": "no", "type": "pflash"}
    assert root.findtext("os/nvram") == str(tmp_path / "vm1_VARS.fd")
    assert root.find("os/nvram").get("template") == "/usr/share/OVMF/OVMF_VARS_4M.fd"
    assert root.find("features/smm") is None
    accepted(conn, xml)


def test_efi_secure_boot_with_smm(conn: Any) -> None:
    vmi = base_vmi(firmware={"uuid": UUID, "bootloader": {"efi": {"secureBoot": True}}},
                   features={"acpi": {}, "smm": {"enabled": True}})
    xml = convert(vmi, host=efi_host())
    root = tree(xml)
    assert root.findtext("os/loader") == "/usr/share/OVMF/OVMF_CODE_4M.secboot.fd"
    assert root.find("os/loader").get("secure") == "yes"
    assert root.find("os/nvram").get("template") == "/usr/share/OVMF/OVMF_VARS_4M.ms.fd"
    assert attrs(root.find("features/smm")) == {"state": "on"}
    accepted(conn, xml)


def test_efi_without_ovmf_names_the_field() -> None:
    vmi = base_vmi(firmware={"uuid": UUID, "bootloader": {"efi": {"secureBoot": False}}})
    with pytest.raises(VmctlError, match=r"^spec\.domain\.firmware\.bootloader\.efi: OVMF firmware not found"):
        convert(vmi, host=LocalHost(virt_type="qemu"))


def test_kernel_boot(conn: Any, tmp_path: Path) -> None:
    kb = {"kernelArgs": "console=ttyS0", "container": {"image": "reg/img:v1", "kernelPath": "/boot/vmlinux",
                                                         "initrdPath": "/boot/initrd.gz"}}
    vmi = base_vmi(firmware={"uuid": UUID, "kernelBoot": kb})
    xml = convert(vmi, DomainInputs(kernel=tmp_path / "vmlinux", initrd=tmp_path / "initrd.gz"))
    root = tree(xml)
    assert root.findtext("os/kernel") == str(tmp_path / "vmlinux")
    assert root.findtext("os/initrd") == str(tmp_path / "initrd.gz")
    assert root.findtext("os/cmdline") == "console=ttyS0"
    accepted(conn, xml)
    with pytest.raises(VmctlError, match=r"^spec\.domain\.firmware\.kernelBoot\.container\.kernelPath: "):
        convert(vmi)


# --- disks -------------------------------------------------------------------------------------------------


def disk_vmi() -> tuple[dict[str, Any], DomainInputs]:
    disks = [
        {"name": "root", "disk": {"bus": "virtio"}, "bootOrder": 1, "cache": "none", "io": "native",
         "serial": "ROOT1"},
        {"name": "seed", "cdrom": {"bus": "sata"}},
        {"name": "data", "disk": {"bus": "scsi"}, "errorPolicy": "report"},
        {"name": "logs", "disk": {"bus": "scsi", "readonly": True}},
        {"name": "stick", "disk": {"bus": "usb"}},
        {"name": "extra", "disk": {"bus": "virtio"}, "dedicatedIOThread": False},
        {"name": "dvd", "cdrom": {"bus": "sata", "tray": "open", "readonly": False}},
    ]
    vmi = base_vmi(devices={"disks": disks})
    vmi["spec"]["volumes"] = [
        {"name": "root", "containerDisk": {"image": "localhost:5000/vmctl/test-guest:v1"}},
        {"name": "seed", "cloudInitNoCloud": {"userData": "#cloud-config\n"}},
        {"name": "data", "emptyDisk": {"capacity": "1Gi"}},
        {"name": "logs", "hostDisk": {"path": "/dev/vdz", "type": "Disk"}},
        {"name": "stick", "emptyDisk": {"capacity": "64Mi"}},
        {"name": "extra", "emptyDisk": {"capacity": "64Mi"}},
    ]
    inputs = DomainInputs(disks={
        "root": DiskSource(Path("/var/tmp/vm/root.qcow2"), transient=True),
        "seed": DiskSource(Path("/var/tmp/vm/seed.iso"), format="raw", readonly=True),
        "data": DiskSource(Path("/var/tmp/vm/data.qcow2")),
        "logs": DiskSource(Path("/dev/vdz"), format="raw"),
        "stick": DiskSource(Path("/var/tmp/vm/stick.qcow2")),
        "extra": DiskSource(Path("/var/tmp/vm/extra.qcow2")),
    })
    return vmi, inputs


def test_disks_buses_names_and_options(conn: Any) -> None:
    vmi, inputs = disk_vmi()
    xml = convert(vmi, inputs)
    disks = {d.find("alias").get("name"): d for d in tree(xml).findall("devices/disk")}
    assert list(disks) == ["ua-root", "ua-seed", "ua-data", "ua-logs", "ua-stick", "ua-extra", "ua-dvd"]
    targets = {k: attrs(d.find("target")) for k, d in disks.items()}
    assert targets == {
        "ua-root": {"dev": "vda", "bus": "virtio"}, "ua-seed": {"dev": "sda", "bus": "sata"},
        "ua-data": {"dev": "sdb", "bus": "scsi"}, "ua-logs": {"dev": "sdc", "bus": "scsi"},
        "ua-stick": {"dev": "sdd", "bus": "usb"}, "ua-extra": {"dev": "vdb", "bus": "virtio"},
        "ua-dvd": {"dev": "sde", "bus": "sata", "tray": "open"},
    }
    root = disks["ua-root"]
    assert attrs(root) == {"type": "file", "device": "disk", "model": "virtio-non-transitional"}
    assert attrs(root.find("driver")) == {"name": "qemu", "type": "qcow2", "cache": "none", "io": "native",
                                          "error_policy": "stop", "discard": "unmap"}
    assert root.find("source").get("file") == "/var/tmp/vm/root.qcow2"
    assert attrs(root.find("transient")) == {"shareBacking": "yes"}
    assert root.findtext("serial") == "ROOT1" and root.find("boot").get("order") == "1"
    seed = disks["ua-seed"]
    assert seed.get("device") == "cdrom" and seed.find("readonly") is not None
    assert "discard" not in seed.find("driver").attrib
    assert disks["ua-data"].find("driver").get("error_policy") == "report"
    assert attrs(disks["ua-data"].find("address")) == {"type": "drive", "controller": "0", "bus": "0",
                                                        "target": "0", "unit": "1"}
    logs = disks["ua-logs"]
    assert logs.get("type") == "block" and logs.find("source").get("dev") == "/dev/vdz"
    assert logs.find("readonly") is not None
    assert disks["ua-dvd"].find("source") is None and disks["ua-dvd"].find("readonly") is None
    devices = tree(xml).find("devices")
    assert devices.find("controller[@type='usb']").get("model") == "qemu-xhci"
    live = accepted(conn, xml)
    assert sorted(d.find("target").get("dev") for d in live.findall("devices/disk")) == [
        "sda", "sdb", "sdc", "sdd", "sde", "vda", "vdb"]


def test_disk_without_prepared_file_names_the_volume() -> None:
    vmi, inputs = disk_vmi()
    inputs.disks.pop("data")
    with pytest.raises(VmctlError, match=r"^spec\.volumes\[2\]\.emptyDisk: volume 'data' has no local file"):
        convert(vmi, inputs)


def test_disk_without_volume_uses_kubevirts_text() -> None:
    vmi = base_vmi(devices={"disks": [{"name": "ghost", "disk": {"bus": "virtio"}}]})
    with pytest.raises(VmctlError) as err:
        convert(vmi)
    assert str(err.value) == "spec.domain.devices.disks[0].name: no matching volume with name ghost found"


@pytest.mark.parametrize(("disk", "message"), [
    ({"name": "d", "lun": {"bus": "scsi"}}, r"^spec\.domain\.devices\.disks\[0\]\.lun: a LUN needs a block device"),
    ({"name": "d", "disk": {"bus": "ide"}}, r"^spec\.domain\.devices\.disks\[0\]\.disk\.bus: unsupported bus 'ide'"),
    ({"name": "d", "disk": {"bus": "virtio"}, "shareable": True, "cache": "writeback"},
     r"^spec\.domain\.devices\.disks\[0\]\.cache: a sharable disk requires cache = none got: writeback"),
    ({"name": "d", "disk": {"bus": "sata", "pciAddress": "0000:81:01.0"}},
     r"setting a pci address is not allowed for non-virtio bus types, for disk d"),
    ({"name": "d", "disk": {"bus": "virtio"}, "errorPolicy": "panic"}, r"error policy panic not recognized"),
])
def test_disk_errors(disk: dict[str, Any], message: str) -> None:
    vmi = base_vmi(devices={"disks": [disk]})
    vmi["spec"]["volumes"] = [{"name": "d", "emptyDisk": {"capacity": "1Gi"}}]
    with pytest.raises(VmctlError, match=message):
        convert(vmi, DomainInputs(disks={"d": DiskSource(Path("/var/tmp/d.qcow2"))}))


def test_io_threads_and_block_multiqueue(conn: Any) -> None:
    vmi, inputs = disk_vmi()
    dom = vmi["spec"]["domain"]
    dom["ioThreadsPolicy"] = "shared"
    dom["cpu"] = {"sockets": 2}
    dom["devices"]["blockMultiQueue"] = True
    dom["devices"]["disks"][5]["dedicatedIOThread"] = True
    xml = convert(vmi, inputs)
    root = tree(xml)
    assert root.findtext("iothreads") == "2"
    drivers = {d.find("alias").get("name"): d.find("driver") for d in root.findall("devices/disk")}
    assert drivers["ua-root"].get("iothread") == "1" and drivers["ua-extra"].get("iothread") == "2"
    assert drivers["ua-root"].get("queues") == "2" and "queues" not in drivers["ua-seed"].attrib
    accepted(conn, xml)


# --- features, clock -----------------------------------------------------------------------------------------


def test_hyperv_kvm_pvspinlock_apic_smm(conn: Any) -> None:
    hyperv = {"relaxed": {}, "vapic": {}, "spinlocks": {"spinlocks": 8191}, "vpindex": {}, "runtime": {},
              "synic": {}, "synictimer": {"direct": {}}, "reset": {}, "vendorid": {"vendorid": "vmctlvendor"},
              "frequencies": {}, "reenlightenment": {"enabled": False}, "tlbflush": {}, "ipi": {}, "evmcs": {}}
    features = {"acpi": {}, "apic": {}, "smm": {}, "hyperv": hyperv, "kvm": {"hidden": True},
                "pvspinlock": {"enabled": False}}
    xml = convert(base_vmi(features=features))
    feats = tree(xml).find("features")
    assert [f.tag for f in feats] == ["acpi", "apic", "hyperv", "kvm", "pvspinlock", "vmport", "smm"]
    hv = feats.find("hyperv")
    assert [(e.tag, e.get("state")) for e in hv] == [
        ("relaxed", "on"), ("vapic", "on"), ("spinlocks", "on"), ("vpindex", "on"), ("runtime", "on"),
        ("synic", "on"), ("stimer", "on"), ("reset", "on"), ("vendor_id", "on"), ("frequencies", "on"),
        ("reenlightenment", "off"), ("tlbflush", "on"), ("ipi", "on"), ("evmcs", "on")]
    assert hv.find("spinlocks").get("retries") == "8191"
    assert hv.find("vendor_id").get("value") == "vmctlvendor"
    assert attrs(hv.find("stimer/direct")) == {"state": "on"}
    assert attrs(feats.find("kvm/hidden")) == {"state": "on"}
    assert attrs(feats.find("pvspinlock")) == {"state": "off"}
    accepted(conn, xml)


def test_acpi_disabled_and_tlbflush_direct_rejected() -> None:
    assert tree(convert(base_vmi(features={"acpi": {"enabled": False}}))).find("features/acpi") is None
    with pytest.raises(VmctlError, match=r"^spec\.domain\.features\.hyperv\.tlbflush\.direct: "):
        convert(base_vmi(features={"hyperv": {"tlbflush": {"direct": {}}}}))


def test_clock_utc_offset_and_timers(conn: Any) -> None:
    clock = {"utc": {"offsetSeconds": 3600}, "timer": {"rtc": {"tickPolicy": "catchup"}, "pit": {"tickPolicy": "delay"},
                                                        "hpet": {"enabled": False}}}
    xml = convert(base_vmi(clock=clock))
    root = tree(xml)
    assert attrs(root.find("clock")) == {"offset": "utc", "adjustment": "3600"}
    assert [attrs(t) for t in root.findall("clock/timer")] == [
        {"name": "rtc", "tickpolicy": "catchup", "present": "yes"},
        {"name": "pit", "tickpolicy": "delay", "present": "yes"},
        {"name": "hpet", "present": "no"}]
    accepted(conn, xml)
    tz = tree(convert(base_vmi(clock={"timezone": "Europe/Berlin"})))
    assert attrs(tz.find("clock")) == {"offset": "timezone", "timezone": "Europe/Berlin"}
    assert tree(convert(base_vmi(clock={"utc": {}}))).find("clock").get("adjustment") == "reset"


def test_kvm_clock_needs_kvm() -> None:
    vmi = base_vmi(clock={"utc": {}, "timer": {"kvm": {}}})
    with pytest.raises(VmctlError, match=r"^spec\.domain\.clock\.timer\.kvm: needs KVM"):
        convert(vmi)
    assert tree(convert(vmi, host=LocalHost(virt_type="kvm"))).find("clock/timer").get("name") == "kvmclock"


# --- devices -------------------------------------------------------------------------------------------------


def test_rng_watchdog_inputs_panic_sound(conn: Any) -> None:
    devices = {"rng": {}, "watchdog": {"name": "wd", "i6300esb": {"action": "poweroff"}},
               "inputs": [{"name": "tab", "type": "tablet", "bus": "usb"},
                          {"name": "vtab", "type": "tablet", "bus": "virtio"}],
               "panicDevices": [{"model": "isa"}], "sound": {"name": "snd"}}
    xml = convert(base_vmi(devices=devices))
    dev = tree(xml).find("devices")
    assert attrs(dev.find("rng")) == {"model": "virtio-non-transitional"}
    assert attrs(dev.find("rng/backend")) == {"model": "random"} and dev.findtext("rng/backend") == "/dev/urandom"
    assert attrs(dev.find("watchdog")) == {"model": "i6300esb", "action": "poweroff"}
    assert [attrs(i) for i in dev.findall("input")] == [{"type": "tablet", "bus": "usb"},
                                                       {"type": "tablet", "bus": "virtio", "model": "virtio"}]
    assert dev.find("controller[@type='usb']").get("model") == "qemu-xhci"
    assert attrs(dev.find("panic")) == {"model": "isa"}
    assert attrs(dev.find("sound")) == {"model": "ich9"}
    accepted(conn, xml)


def test_keyboard_input_uses_kubevirts_error() -> None:
    with pytest.raises(VmctlError) as err:
        convert(base_vmi(devices={"inputs": [{"name": "kb", "type": "keyboard", "bus": "usb"}]}))
    assert str(err.value) == "spec.domain.devices.inputs[0].type: input contains unsupported type keyboard"


def test_tpm_needs_swtpm(conn: Any) -> None:
    vmi = base_vmi(devices={"tpm": {"persistent": True}})
    with pytest.raises(VmctlError, match=r"^spec\.domain\.devices\.tpm: an emulated TPM needs swtpm"):
        convert(vmi)
    xml = convert(vmi, host=LocalHost(virt_type="qemu", swtpm=True))
    assert attrs(tree(xml).find("devices/tpm")) == {"model": "tpm-crb"}
    assert attrs(tree(xml).find("devices/tpm/backend")) == {"type": "emulator", "version": "2.0",
                                                            "persistent_state": "yes"}
    assert tree(convert(base_vmi(devices={"tpm": {"enabled": False}}))).find("devices/tpm") is None


def test_autoattach_switches(conn: Any) -> None:
    devices = {"autoattachGraphicsDevice": False, "autoattachSerialConsole": False, "autoattachMemBalloon": False,
               "disableHotplug": True}
    xml = convert(base_vmi(devices=devices))
    dev = tree(xml).find("devices")
    for tag in ("graphics", "video", "serial", "console", "channel"):
        assert dev.find(tag) is None, tag
    assert [c.get("type") for c in dev.findall("controller")] == ["usb"]
    assert attrs(dev.find("memballoon")) == {"model": "none"}
    accepted(conn, xml)


def test_console_log_and_video_type(tmp_path: Path) -> None:
    xml = convert(base_vmi(devices={"video": {"type": "virtio"}}), DomainInputs(console_log=tmp_path / "c.log"))
    dev = tree(xml).find("devices")
    assert attrs(dev.find("serial/log")) == {"file": str(tmp_path / "c.log"), "append": "off"}
    assert attrs(dev.find("video/model")) == {"type": "virtio", "heads": "1"}


def test_unsupported_device_names_the_field() -> None:
    with pytest.raises(VmctlError, match=r"^spec\.domain\.devices\.gpus: not supported by the local backend"):
        convert(base_vmi(devices={"gpus": [{"name": "g", "deviceName": "nvidia.com/GP100"}]}))


def test_seclabel_when_qemu_runs_as_root(conn: Any) -> None:
    xml = convert(base_vmi(), host=LocalHost(virt_type="qemu", root=True))
    assert attrs(tree(xml).find("seclabel")) == {"type": "static", "model": "dac", "relabel": "no"}
    assert tree(xml).findtext("seclabel/label") == "+0:+0"
    accepted(conn, xml)


# --- network -------------------------------------------------------------------------------------------------


def net_vmi() -> dict[str, Any]:
    vmi = base_vmi(devices={"interfaces": [
        {"name": "default", "masquerade": {}, "macAddress": "02:00:00:AA:BB:CC", "ports": [{"port": 80}]},
        {"name": "storage", "bridge": {}, "model": "e1000e", "bootOrder": 2},
        {"name": "gone", "bridge": {}, "state": "absent"},
    ]})
    vmi["spec"]["networks"] = [{"name": "default", "pod": {}},
                               {"name": "storage", "multus": {"networkName": "ns1/storage-net"}},
                               {"name": "gone", "multus": {"networkName": "gone-net"}}]
    return vmi


def test_pod_network_is_user_mode_and_multus_maps_to_a_bridge(conn: Any) -> None:
    xml = convert(net_vmi(), DomainInputs(networks={"storage": "bridge:br-storage"}))
    ifaces = tree(xml).findall("devices/interface")
    assert [i.get("type") for i in ifaces] == ["user", "bridge"]
    pod, storage = ifaces
    assert pod.find("mac").get("address") == "02:00:00:aa:bb:cc"
    assert pod.find("model").get("type") == "virtio-non-transitional"
    assert pod.find("alias").get("name") == "ua-default"
    assert storage.find("source").get("bridge") == "br-storage"
    assert storage.find("model").get("type") == "e1000e" and storage.find("boot").get("order") == "2"
    live = accepted(conn, xml)
    assert [i.get("type") for i in live.findall("devices/interface")] == ["user", "bridge"]
    net = tree(convert(net_vmi(), DomainInputs(networks={"storage": "network:default"})))
    assert net.find("devices/interface[@type='network']/source").get("network") == "default"


def test_unmapped_multus_network_names_the_network() -> None:
    with pytest.raises(VmctlError) as err:
        convert(net_vmi())
    assert str(err.value) == ("spec.networks[1].multus.networkName: network 'ns1/storage-net' (VMI network "
                              "'storage') is not mapped to a libvirt network or bridge on this host")


def test_interface_errors() -> None:
    vmi = base_vmi(devices={"interfaces": [{"name": "nope", "masquerade": {}}]})
    vmi["spec"]["networks"] = [{"name": "default", "pod": {}}]
    with pytest.raises(VmctlError, match=r"^spec\.domain\.devices\.interfaces\[0\]\.name: failed to find network nope$"):
        convert(vmi)
    vmi["spec"]["domain"]["devices"]["interfaces"] = [{"name": "default", "sriov": {}}]
    with pytest.raises(VmctlError, match=r"^spec\.domain\.devices\.interfaces\[0\]\.sriov: "):
        convert(vmi)


def test_port_forwards_on_slirp_become_monitor_commands(conn: Any) -> None:
    inputs = DomainInputs(port_forwards=[(18080, 80, "tcp"), (15353, 53, "udp")],
                          networks={"storage": "bridge:br0"})
    domain = build_domain(net_vmi(), inputs, TCG, name="vmctl-unit", metadata=OWNER)
    assert tree(domain.xml).find("devices/interface/backend") is None
    assert "portForward" not in domain.xml  # not written into the XML to be parsed back
    assert domain.monitor_commands == ["hostfwd_add hostua-default tcp:127.0.0.1:18080-:80",
                                       "hostfwd_add hostua-default udp:127.0.0.1:15353-:53"]
    accepted(conn, domain.xml)


def test_port_forwards_use_passt_where_libvirt_has_it() -> None:
    inputs = DomainInputs(port_forwards=[(18080, 80, "tcp")], networks={"storage": "bridge:br0"})
    xml = convert(net_vmi(), inputs, host=LocalHost(virt_type="qemu", passt=True))
    pod = tree(xml).find("devices/interface[@type='user']")
    assert attrs(pod.find("backend")) == {"type": "passt"}
    assert attrs(pod.find("portForward")) == {"proto": "tcp", "address": "127.0.0.1"}
    assert attrs(pod.find("portForward/range")) == {"start": "18080", "to": "80"}
    domain = build_domain(net_vmi(), inputs, LocalHost(virt_type="qemu", passt=True), name="x", metadata=OWNER)
    assert domain.monitor_commands == []


def test_port_forwards_without_pod_interface_fail() -> None:
    with pytest.raises(VmctlError, match=r"^spec\.domain\.devices\.interfaces: port forwarding needs"):
        convert(base_vmi(), DomainInputs(port_forwards=[(18080, 80, "tcp")]))
