"""volumes.prepare with real qemu-img, real files and a real (pre-filled) image cache."""

from __future__ import annotations

import base64
import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from vmctl.backends.local import cloudinit, volumes
from vmctl.backends.local.contracts import DiskSource
from vmctl.backends.local.images import ImageCache
from vmctl.errors import InputError, NotFoundError, VmctlError

pytestmark = pytest.mark.skipif(shutil.which("qemu-img") is None, reason="qemu-img (qemu-utils) is not installed")


def info(path: Path) -> dict[str, Any]:
    out = subprocess.run(["qemu-img", "info", "--output=json", "-U", str(path)], capture_output=True, check=True, text=True)
    return json.loads(out.stdout)


def make_vmi(volumes_: list[dict[str, Any]], **spec: Any) -> dict[str, Any]:
    disks = [{"name": v["name"], "disk": {"bus": "virtio"}} for v in volumes_]
    domain = {"devices": {"disks": disks, "interfaces": [{"name": "default", "masquerade": {}}]},
              "firmware": {"uuid": "11111111-2222-3333-4444-555555555555"}}
    domain.update(spec.pop("domain", {}))
    return {"kind": "VirtualMachineInstance", "metadata": {"name": "vm1", "namespace": "dev", "uid": "u1"},
            "spec": {"domain": domain, "networks": [{"name": "default", "pod": {}}], "volumes": volumes_, **spec}}


class Objects:
    def __init__(self, *objs: dict[str, Any]) -> None:
        self.objs = {(o["kind"], o["metadata"].get("namespace", "dev"), o["metadata"]["name"]): o for o in objs}

    def __call__(self, kind: str, namespace: str, name: str) -> dict[str, Any] | None:
        return self.objs.get((kind, namespace, name))


def secret(name: str, **data: str) -> dict[str, Any]:
    return {"kind": "Secret", "metadata": {"name": name, "namespace": "dev"},
            "data": {k: base64.b64encode(v.encode()).decode() for k, v in data.items()}}


@pytest.fixture
def state(tmp_path: Path) -> Path:
    return tmp_path / "state"


def test_empty_disk_cloud_init_console_and_port_forwards(tmp_path: Path, state: Path) -> None:
    vmi = make_vmi([
        {"name": "scratch", "emptyDisk": {"capacity": "2Gi"}},
        {"name": "cloudinitdisk", "cloudInitNoCloud": {"secretRef": {"name": "ud"}}},
    ], accessCredentials=[{"sshPublicKey": {"source": {"secret": {"secretName": "keys"}},
                                            "propagationMethod": {"noCloud": {}}}}])
    lookup = Objects(secret("ud", userdata="#cloud-config\n"), secret("keys", b="ssh-rsa B", a="ssh-rsa A", c=""))
    inputs = volumes.prepare(vmi, tmp_path / "work", lookup, state_dir=state)
    assert inputs.disks["scratch"] == DiskSource(tmp_path / "work" / "scratch.qcow2", "qcow2")
    assert info(inputs.disks["scratch"].path)["virtual-size"] == 2 * 1024**3
    seed = inputs.disks["cloudinitdisk"]
    assert (seed.format, seed.readonly) == ("raw", False)  # a per-VMI file; KubeVirt sets no read-only either
    label, files = cloudinit.read_iso(seed.path)
    assert label == "cidata" and files["user-data"] == b"#cloud-config\n"
    assert json.loads(files["meta-data"]) == {
        "instance-id": "11111111-2222-3333-4444-555555555555", "local-hostname": "vm1",
        "public-keys": {"0": "ssh-rsa A", "1": "ssh-rsa B"},
    }
    assert inputs.console_log == tmp_path / "work" / "console.log"
    assert inputs.nvram is None
    [(host, guest, proto)] = inputs.port_forwards  # no ports declared: SSH is forwarded
    assert (guest, proto) == (22, "tcp") and 1024 <= host < 65536


def test_named_volumes_ephemeral_and_readonly_claims(tmp_path: Path, state: Path) -> None:
    volumes.create_volume(state, "dev", "data", 64 * 1024**2)
    vmi = make_vmi([
        {"name": "pvc", "persistentVolumeClaim": {"claimName": "data", "readOnly": True}},
        {"name": "dv", "dataVolume": {"name": "data"}},
        {"name": "eph", "ephemeral": {"persistentVolumeClaim": {"claimName": "data"}}},
    ])
    inputs = volumes.prepare(vmi, tmp_path / "work", None, state_dir=state, port_forwards=False)
    named = state / "volumes" / "dev" / "data.qcow2"
    assert inputs.disks["pvc"] == DiskSource(named, "qcow2", readonly=True)
    assert inputs.disks["dv"] == DiskSource(named, "qcow2")
    overlay = info(inputs.disks["eph"].path)
    assert overlay["backing-filename"] == str(named) and overlay["virtual-size"] == 64 * 1024**2
    assert inputs.port_forwards == []


def test_host_disk_or_create_is_sparse_and_disk_must_exist(tmp_path: Path, state: Path) -> None:
    target = tmp_path / "host" / "sub" / "disk.img"
    vmi = make_vmi([{"name": "h", "hostDisk": {"path": str(target), "type": "DiskOrCreate", "capacity": "1Gi"}}])
    inputs = volumes.prepare(vmi, tmp_path / "work", None, state_dir=state)
    assert inputs.disks["h"] == DiskSource(target, "raw")
    assert target.stat().st_size == 1024**3 and target.stat().st_blocks == 0
    missing = make_vmi([{"name": "h", "hostDisk": {"path": str(tmp_path / "nope.img"), "type": "Disk"}}])
    with pytest.raises(VmctlError, match=r"volume h: hostDisk .*nope\.img does not exist"):
        volumes.prepare(missing, tmp_path / "work2", None, state_dir=state)


def test_config_map_and_secret_disks(tmp_path: Path, state: Path) -> None:
    cm = {"kind": "ConfigMap", "metadata": {"name": "app", "namespace": "dev"}, "data": {"app.conf": "x=1\n"},
          "binaryData": {"blob.bin": base64.b64encode(b"\x00\x01").decode()}}
    vmi = make_vmi([
        {"name": "cfg", "configMap": {"name": "app"}},
        {"name": "ks", "secret": {"secretName": "kick", "volumeLabel": "OEMDRV"}},
        {"name": "opt", "configMap": {"name": "absent", "optional": True}},
    ])
    inputs = volumes.prepare(vmi, tmp_path / "work", Objects(cm, secret("kick", **{"ks.cfg": "text\n"})), state_dir=state)
    assert cloudinit.read_iso(inputs.disks["cfg"].path) == ("cfgdata", {"app.conf": b"x=1\n", "blob.bin": b"\x00\x01"})
    assert cloudinit.read_iso(inputs.disks["ks"].path) == ("OEMDRV", {"ks.cfg": b"text\n"})
    assert cloudinit.read_iso(inputs.disks["opt"].path) == ("cfgdata", {})
    assert not any(d.readonly for d in inputs.disks.values())  # per-VMI ISOs, writable as in KubeVirt


def test_container_disk_overlay_over_cached_image(tmp_path: Path, state: Path) -> None:
    digest = "sha256:" + "ab" * 32
    root = state / "images" / digest.replace(":", "-") / "rootfs"
    (root / "disk").mkdir(parents=True)
    (root / "boot").mkdir()
    subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", str(root / "disk" / "guest.qcow2"), "32M"], check=True)
    (root / "boot" / "vmlinuz").write_bytes(b"kernel")
    (state / "images" / "refs.json").write_text(json.dumps({"localhost:5000/vmctl/test-guest:v1": digest}))
    vmi = make_vmi(
        [{"name": "root", "containerDisk": {"image": "localhost:5000/vmctl/test-guest:v1", "imagePullPolicy": "Never"}}],
        domain={"firmware": {"kernelBoot": {"container": {"image": "localhost:5000/vmctl/test-guest:v1",
                                                          "imagePullPolicy": "IfNotPresent",
                                                          "kernelPath": "/boot/vmlinuz"}},
                             "bootloader": {"efi": {"persistent": True}}}},
    )
    inputs = volumes.prepare(vmi, tmp_path / "work", None, state_dir=state, image_cache=ImageCache(state, progress=None))
    overlay = info(inputs.disks["root"].path)
    assert overlay["format"] == "qcow2"
    assert overlay["backing-filename"] == str(root / "disk" / "guest.qcow2")
    assert overlay["backing-filename-format"] == "qcow2"
    assert inputs.kernel == root / "boot" / "vmlinuz" and inputs.initrd is None
    assert inputs.nvram == state / "nvram" / "dev" / "vm1_VARS.fd"


def test_container_disk_rules_of_kubevirt(tmp_path: Path, state: Path) -> None:
    digest = "sha256:" + "cd" * 32
    root = state / "images" / digest.replace(":", "-") / "rootfs"
    (root / "disk").mkdir(parents=True)
    (root / "disk" / "a.img").write_bytes(b"a")
    (root / "disk" / "b.img").write_bytes(b"b")
    (state / "images" / "refs.json").write_text(json.dumps({"reg.example/two:v1": digest}))
    vmi = make_vmi([{"name": "root", "containerDisk": {"image": "reg.example/two:v1", "imagePullPolicy": "Never"}}])
    with pytest.raises(VmctlError, match="more than one file found in folder /disk, only one disk is allowed"):
        volumes.prepare(vmi, tmp_path / "w", None, state_dir=state)
    never = make_vmi([{"name": "root", "containerDisk": {"image": "reg.example/none:v1", "imagePullPolicy": "Never"}}])
    with pytest.raises(VmctlError, match="^volume root: image reg.example/none:v1 is not present locally and imagePullPolicy is Never$"):
        volumes.prepare(never, tmp_path / "w", None, state_dir=state)
    escape = make_vmi([{"name": "root", "containerDisk": {"image": "reg.example/two:v1", "imagePullPolicy": "Never",
                                                           "path": "/../../../etc/passwd"}}])
    with pytest.raises(VmctlError, match="outside image"):
        volumes.prepare(escape, tmp_path / "w", None, state_dir=state)


@pytest.mark.parametrize("kind", ["serviceAccount", "downwardMetrics", "sysprep", "memoryDump"])
def test_unsupported_volume_fails_and_removes_everything_made_so_far(tmp_path: Path, state: Path, kind: str) -> None:
    vmi = make_vmi([
        {"name": "scratch", "emptyDisk": {"capacity": "1Gi"}},
        {"name": "ci", "cloudInitNoCloud": {"userData": "x"}},
        {"name": "odd", kind: {}},
    ])
    work = tmp_path / "work"
    with pytest.raises(VmctlError) as err:
        volumes.prepare(vmi, work, None, state_dir=state)
    assert str(err.value) == f"volume odd: volume type {kind} is not supported by the local backend"
    assert not work.exists()


def test_failure_keeps_an_existing_workdir_but_removes_new_files(tmp_path: Path, state: Path) -> None:
    work = tmp_path / "work"
    work.mkdir()
    (work / "keep.txt").write_text("mine")
    host = tmp_path / "made" / "disk.img"
    vmi = make_vmi([
        {"name": "h", "hostDisk": {"path": str(host), "type": "DiskOrCreate", "capacity": "1Mi"}},
        {"name": "missing", "persistentVolumeClaim": {"claimName": "nothere"}},
    ])
    with pytest.raises(NotFoundError) as err:
        volumes.prepare(vmi, work, None, state_dir=state)
    assert str(err.value) == 'volume missing: persistentvolumeclaims "nothere" not found'
    assert err.value.hint and "vmctl volume create nothere" in err.value.hint
    assert sorted(p.name for p in work.iterdir()) == ["keep.txt"]
    assert not host.exists() and not host.parent.exists()


def test_bad_capacity_and_missing_configmap(tmp_path: Path, state: Path) -> None:
    with pytest.raises(InputError, match=r"^volume s: emptyDisk.capacity: invalid quantity 'lots'"):
        volumes.prepare(make_vmi([{"name": "s", "emptyDisk": {"capacity": "lots"}}]), tmp_path / "w", None, state_dir=state)
    with pytest.raises(NotFoundError, match='^volume c: configmaps "gone" not found$'):
        volumes.prepare(make_vmi([{"name": "c", "configMap": {"name": "gone"}}]), tmp_path / "w", Objects(), state_dir=state)


def test_declared_ports_become_host_forwards(tmp_path: Path, state: Path) -> None:
    vmi = make_vmi([])
    vmi["spec"]["domain"]["devices"]["interfaces"][0]["ports"] = [{"port": 80}, {"port": 53, "protocol": "UDP"}]
    inputs = volumes.prepare(vmi, tmp_path / "w", None, state_dir=state)
    assert [(g, p) for _h, g, p in inputs.port_forwards] == [(80, "tcp"), (53, "udp")]
    assert len({h for h, _g, _p in inputs.port_forwards}) == 2


def test_named_volume_lifecycle(tmp_path: Path) -> None:
    state = tmp_path / "s"
    raw = tmp_path / "src.raw"
    raw.write_bytes(b"\x00" * 1024 * 1024)
    vol = volumes.import_volume(state, "default", "root", raw, size=8 * 1024**2)
    assert (vol.format, vol.virtual_size) == ("qcow2", 8 * 1024**2)
    with pytest.raises(VmctlError, match='persistentvolumeclaims "root" already exists'):
        volumes.create_volume(state, "default", "root", 1024**2)
    assert [v.name for v in volumes.list_volumes(state, None)] == ["root"]
    with pytest.raises(InputError, match="lowercase RFC 1123"):
        volumes.create_volume(state, "default", "Bad_Name", 1024**2)
    volumes.delete_volume(state, "default", "root")
    assert volumes.list_volumes(state, "default") == []
