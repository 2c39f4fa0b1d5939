"""Every volume type on every disk bus KubeVirt allows: prepared for real (qemu-img, ISOs, overlays), converted,
and accepted by libvirt's parser.

libvirt's ``test:///`` driver does not run the QEMU driver's checks, and those refuse read-only SATA hard disks
("readonly sata disks are not supported"); so the XML is also checked for ``<readonly/>`` directly.
tests/integration/test_boot_guest.py defines the same domains on the real libvirtd.
"""

from __future__ import annotations

import base64
import json
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from vmctl.backends.local import volumes
from vmctl.backends.local.contracts import DomainInputs
from vmctl.backends.local.domain import build_domain_xml
from vmctl.backends.local.host import LocalHost
from vmctl.backends.local.images import ImageCache
from vmctl.errors import VmctlError

libvirt = pytest.importorskip("libvirt")
pytestmark = pytest.mark.skipif(shutil.which("qemu-img") is None, reason="qemu-img (qemu-utils) is not installed")

IMAGE = "localhost:5000/vmctl/test-guest:v1"
DIGEST = "sha256:" + "5a" * 32
TCG = LocalHost(virt_type="qemu", root=False)
OWNER = {"kind": "VirtualMachineInstance", "apiVersion": "kubevirt.io/v1", "namespace": "dev", "name": "vm1",
         "uid": "u1", "resourceVersion": "1"}
BUSES = ("virtio", "sata", "scsi", "usb")

#: One volume of each type the local backend prepares (named volume "data", ConfigMap "app", Secret "kick").
SOURCES: dict[str, dict[str, Any]] = {
    "containerDisk": {"containerDisk": {"image": IMAGE, "imagePullPolicy": "Never"}},
    "cloudInitNoCloud": {"cloudInitNoCloud": {"userData": "#cloud-config\n"}},
    "cloudInitConfigDrive": {"cloudInitConfigDrive": {"userData": "#cloud-config\n"}},
    "emptyDisk": {"emptyDisk": {"capacity": "64Mi"}},
    "hostDisk": {"hostDisk": {"path": "@HOST@/disk.img", "type": "DiskOrCreate", "capacity": "64Mi"}},
    "persistentVolumeClaim": {"persistentVolumeClaim": {"claimName": "data"}},
    "dataVolume": {"dataVolume": {"name": "data"}},
    "ephemeral": {"ephemeral": {"persistentVolumeClaim": {"claimName": "data"}}},
    "configMap": {"configMap": {"name": "app"}},
    "secret": {"secret": {"secretName": "kick"}},
}
ISO_SOURCES = ("cloudInitNoCloud", "cloudInitConfigDrive", "configMap", "secret")


class World:
    """A state folder with a cached containerDisk image and a named volume, plus ConfigMap/Secret objects."""

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.state = tmp / "state"
        rootfs = self.state / "images" / DIGEST.replace(":", "-") / "rootfs"
        (rootfs / "disk").mkdir(parents=True)
        self.base = rootfs / "disk" / "guest.qcow2"
        subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", str(self.base), "32M"], check=True)
        (self.state / "images" / "refs.json").write_text(json.dumps({IMAGE: DIGEST}))
        self.named = volumes.create_volume(self.state, "dev", "data", 64 * 1024**2).path
        self.objects = {
            ("ConfigMap", "dev", "app"): {"kind": "ConfigMap", "metadata": {"name": "app", "namespace": "dev"},
                                          "data": {"app.conf": "x=1\n"}},
            ("Secret", "dev", "kick"): {"kind": "Secret", "metadata": {"name": "kick", "namespace": "dev"},
                                        "data": {"ks.cfg": base64.b64encode(b"text\n").decode()}},
        }
        self.runs = 0

    def vmi(self, vtype: str, disk: dict[str, Any]) -> dict[str, Any]:
        source = json.loads(json.dumps(SOURCES[vtype]).replace("@HOST@", str(self.tmp / "host")))
        return {"apiVersion": "kubevirt.io/v1", "kind": "VirtualMachineInstance",
                "metadata": {"name": "vm1", "namespace": "dev", "uid": "u1"},
                "spec": {"domain": {"memory": {"guest": "128Mi"}, "firmware": {"uuid": "5d307ca9-b3ef-428c-8861-06e72d69f223"},
                                    "devices": {"disks": [{"name": "v", **disk}]}},
                         "volumes": [{"name": "v", **source}]}}

    def prepare(self, vmi: dict[str, Any]) -> tuple[DomainInputs, Path]:
        self.runs += 1
        work = self.tmp / f"work{self.runs}"
        inputs = volumes.prepare(vmi, work, lambda k, ns, n: self.objects.get((k, ns, n)), state_dir=self.state,
                                 image_cache=ImageCache(self.state, progress=None), port_forwards=False)
        return inputs, work


@pytest.fixture
def world(tmp_path: Path) -> World:
    return World(tmp_path)


@pytest.fixture
def conn(tmp_path: Path) -> Any:
    node = tmp_path / "node.xml"
    node.write_text("<node><cpu><mhz>2000</mhz><model>i686</model></cpu><memory>8388608</memory></node>")
    libvirt.registerErrorHandler(lambda _c, _e: None, None)
    c = libvirt.open(f"test://{node}")
    yield c
    c.close()
    libvirt.registerErrorHandler(None, None)


def convert(vmi: dict[str, Any], inputs: DomainInputs) -> str:
    return build_domain_xml(vmi, inputs, TCG, name="vmctl-unit", metadata=OWNER)


def only_disk(xml: str) -> ET.Element:
    [disk] = ET.fromstring(xml).findall("devices/disk")
    return disk


def backing_file(path: Path) -> str | None:
    out = subprocess.run(["qemu-img", "info", "--output=json", "-U", str(path)], capture_output=True, text=True,
                         check=True).stdout
    return json.loads(out).get("backing-filename")


@pytest.mark.parametrize("bus", [*BUSES, None], ids=[*BUSES, "default"])
@pytest.mark.parametrize("vtype", list(SOURCES))
def test_every_volume_type_is_a_writable_disk_on_every_bus(world: World, conn: Any, vtype: str, bus: str | None) -> None:
    vmi = world.vmi(vtype, {"disk": {"bus": bus}} if bus else {"disk": {}})
    inputs, work = world.prepare(vmi)
    xml = convert(vmi, inputs)
    disk = only_disk(xml)
    want_bus = bus or "sata"  # KubeVirt's default disk bus on amd64
    assert dict(disk.find("target").attrib) == {"dev": "vda" if want_bus == "virtio" else "sda", "bus": want_bus}
    assert disk.get("device") == "disk"
    assert disk.find("readonly") is None  # nothing in the VMI asks for read-only
    source = Path(disk.find("source").get("file"))
    assert source.is_file()
    if vtype in ("containerDisk", "ephemeral"):  # shared images are only read through a per-VMI overlay
        assert source.parent == work and disk.find("driver").get("type") == "qcow2"
        assert backing_file(source) == str(world.base if vtype == "containerDisk" else world.named)
    elif vtype in ISO_SOURCES:
        assert source.parent == work and disk.find("driver").get("type") == "raw"
    live = ET.fromstring(conn.defineXML(xml).XMLDesc(0))
    assert live.find("devices/disk/target").get("bus") == want_bus


@pytest.mark.parametrize("bus", ["sata", "scsi", "usb", None], ids=["sata", "scsi", "usb", "default"])
@pytest.mark.parametrize("vtype", [*ISO_SOURCES, "containerDisk"])
def test_cdroms_stay_read_only_on_every_bus(world: World, conn: Any, vtype: str, bus: str | None) -> None:
    vmi = world.vmi(vtype, {"cdrom": {"bus": bus}} if bus else {"cdrom": {}})
    inputs, _ = world.prepare(vmi)
    xml = convert(vmi, inputs)
    disk = only_disk(xml)
    assert disk.get("device") == "cdrom" and disk.find("target").get("bus") == (bus or "sata")
    assert disk.find("readonly") is not None
    conn.defineXML(xml)


def test_cdrom_readonly_false_is_writable(world: World) -> None:
    vmi = world.vmi("configMap", {"cdrom": {"bus": "sata", "readonly": False}})
    inputs, _ = world.prepare(vmi)
    assert only_disk(convert(vmi, inputs)).find("readonly") is None


@pytest.mark.parametrize("bus", ["virtio", "scsi", "usb"])
def test_disk_readonly_where_libvirt_supports_it(world: World, conn: Any, bus: str) -> None:
    vmi = world.vmi("configMap", {"disk": {"bus": bus, "readonly": True}})
    inputs, _ = world.prepare(vmi)
    xml = convert(vmi, inputs)
    assert only_disk(xml).find("readonly") is not None
    conn.defineXML(xml)


@pytest.mark.parametrize("disk", [{"disk": {"bus": "sata", "readonly": True}}, {"disk": {"readonly": True}}],
                         ids=["sata", "default"])
def test_read_only_sata_disk_gives_kubevirts_admission_error(world: World, disk: dict[str, Any]) -> None:
    vmi = world.vmi("secret", disk)
    inputs, _ = world.prepare(vmi)
    with pytest.raises(VmctlError) as err:
        convert(vmi, inputs)
    assert str(err.value) == "spec.domain.devices.disks[0].disk.bus: sata hard-disks do not support read-only."


def test_read_only_claim_is_read_only_on_virtio(world: World, conn: Any) -> None:
    vmi = world.vmi("persistentVolumeClaim", {"disk": {"bus": "virtio"}})
    vmi["spec"]["volumes"][0]["persistentVolumeClaim"]["readOnly"] = True
    inputs, _ = world.prepare(vmi)
    xml = convert(vmi, inputs)
    disk = only_disk(xml)
    assert disk.find("readonly") is not None and disk.find("source").get("file") == str(world.named)
    conn.defineXML(xml)


def test_read_only_claim_on_sata_names_the_volume_field(world: World) -> None:
    vmi = world.vmi("persistentVolumeClaim", {"disk": {}})
    vmi["spec"]["volumes"][0]["persistentVolumeClaim"]["readOnly"] = True
    inputs, _ = world.prepare(vmi)
    with pytest.raises(VmctlError) as err:
        convert(vmi, inputs)
    assert str(err.value) == (
        "spec.volumes[0].persistentVolumeClaim.readOnly: volume 'v' is read-only, but its disk "
        "(spec.domain.devices.disks[0]) is on the sata bus, and sata hard-disks do not support read-only; "
        "use bus virtio, scsi or usb, or a cdrom"
    )
