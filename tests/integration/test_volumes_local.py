"""Volumes on real guests: a containerDisk and a kernelBoot container pulled from an OCI registry boot, disks on
KubeVirt's default bus (SATA) boot and are seen by the guest, and named volumes are protected while a VMI uses
them."""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import socket
import subprocess
import time
import urllib.request
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.libvirt

_spec = importlib.util.spec_from_file_location("h8_console_helpers", Path(__file__).with_name("test_console_local.py"))
assert _spec is not None and _spec.loader is not None
helpers = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(helpers)
env = helpers.env
VMCTL = helpers.VMCTL

SHARED_IMAGE = "localhost:5000/vmctl/test-guest:v1"


def _has_image(ref: str, oci: Path) -> bool:
    """Whether the registry holds this build of the test guest (an older build there is not used)."""
    import hashlib

    host, _, rest = ref.partition("/")
    repo, _, tag = rest.rpartition(":")
    want = json.loads((oci / "index.json").read_text())["manifests"][0]["digest"]
    accept = "application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json"
    request = urllib.request.Request(f"http://{host}/v2/{repo}/manifests/{tag}", headers={"Accept": accept})
    try:
        with urllib.request.urlopen(request, timeout=2) as resp:
            return resp.status == 200 and "sha256:" + hashlib.sha256(resp.read()).hexdigest() == want
    except OSError:
        return False


@pytest.fixture(scope="module")
def guest_image(test_guest: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The test guest as an OCI image: from the shared registry (tests/vm/setup_registry.sh) when it has it,
    else pushed to a throw-away docker-registry on a free local port."""
    if _has_image(SHARED_IMAGE, Path(test_guest.oci)):
        yield SHARED_IMAGE
        return
    binary, skopeo = shutil.which("docker-registry"), shutil.which("skopeo")
    if binary is None or skopeo is None:
        pytest.skip("no registry on localhost:5000 and docker-registry/skopeo are not installed")
    base = tmp_path_factory.mktemp("registry")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    (base / "config.yml").write_text(f"version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n"
                                     f"    rootdirectory: {base}/data\nhttp:\n  addr: 127.0.0.1:{port}\n")
    proc = subprocess.Popen([binary, "serve", str(base / "config.yml")], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.05)
        ref = f"127.0.0.1:{port}/vmctl/test-guest:v1"
        subprocess.run([skopeo, "copy", "--quiet", "--dest-tls-verify=false", f"oci:{test_guest.oci}:v1",
                        f"docker://{ref}"], check=True, capture_output=True)
        yield ref
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def container_vm(name: str, image: str, *, kernel_boot: bool) -> dict[str, Any]:
    firmware: dict[str, Any] = {}
    if kernel_boot:
        firmware = {"kernelBoot": {"kernelArgs": "console=ttyS0,115200 quiet panic=-1", "container": {
            "image": image, "kernelPath": "/boot/vmlinux", "initrdPath": "/boot/initrd.gz"}}}
    volumes = [{"name": "root", "containerDisk": {"image": image}},
               {"name": "cloudinitdisk", "cloudInitNoCloud": {"userData": f"#cloud-config\nvm: {name}\n"}}]
    return {
        "apiVersion": "kubevirt.io/v1", "kind": "VirtualMachine", "metadata": {"name": name},
        "spec": {"runStrategy": "Always", "template": {"spec": {
            "terminationGracePeriodSeconds": 0,
            "domain": {"memory": {"guest": "256Mi"}, "firmware": firmware,
                       "devices": {"disks": [{"name": v["name"], "disk": {"bus": "virtio"}} for v in volumes]}},
            "volumes": volumes,
        }}},
    }


@pytest.mark.parametrize("kernel_boot", [False, True], ids=["disk-boot", "kernel-boot"])
def test_container_disk_from_registry_boots(env: Any, guest_image: str, kernel_boot: bool) -> None:
    name = "kb1" if kernel_boot else "cd1"
    applied = env.apply(container_vm(name, guest_image, kernel_boot=kernel_boot))
    assert applied.returncode == 0, applied.stderr.decode()
    proc = env.popen("console", name)
    try:
        seen = helpers.read_until(proc, b"VMCTL-TEST-GUEST-SHELL-READY")
        assert b"VMCTL-TEST-GUEST-BOOTED" in seen
        assert f"vm: {name}".encode() in seen
        assert (b"SYSLINUX" in seen) != kernel_boot  # disk boot goes through the image's boot loader
    finally:
        proc.kill()
    images = env.state / "images"
    assert (images / "refs.json").is_file()
    assert [p for p in images.iterdir() if p.name.startswith(".pull-")] == []


def test_volume_in_use_cannot_be_deleted(env: Any) -> None:
    assert env.apply(helpers.guest_vm("vol1", "#cloud-config\n")).returncode == 0
    listed = env.run("volume", "list")
    assert listed.returncode == 0
    lines = listed.stdout.decode().splitlines()
    assert lines[0].split() == ["NAME", "SIZE", "FORMAT", "USED", "USED-BY"]
    assert lines[1].split()[0] == "root" and lines[1].split()[2] == "qcow2"
    assert lines[1].split()[-1] == "vmi/vol1,vm/vol1"
    refused = env.run("volume", "delete", "root")
    assert refused.returncode == 1
    assert refused.stderr.decode() == (
        "error: volume root is in use by vmi/vol1\nhint: stop the VM first (vmctl stop NAME)\n"
    )
    assert os.path.exists(env.state / "volumes" / env.namespace / "root.qcow2")


def _disks(conn: Any, env: Any, name: str) -> dict[str, tuple[str, str, bool]]:
    """alias -> (target dev, bus, read-only) of the running domain."""
    root = ET.fromstring(conn.lookupByName(f"{env.namespace}_{name}").XMLDesc(0))
    return {d.find("alias").get("name"): (d.find("target").get("dev"), d.find("target").get("bus"),
                                          d.find("readonly") is not None)
            for d in root.findall("devices/disk")}


def _console_until_ready(env: Any, name: str) -> str:
    proc = env.popen("console", name)
    try:
        return helpers.read_until(proc, helpers.SHELL_READY).decode(errors="replace").replace("\r", "")
    finally:
        proc.kill()


def test_create_vm_with_container_disk_and_user_boots_on_the_default_sata_bus(
    env: Any, guest_image: str, libvirt_conn: Any
) -> None:
    """The new-user path: ``vmctl create vm ... --user me | vmctl apply -f -`` (no bus anywhere: SATA)."""
    created = subprocess.run(
        [VMCTL, "create", "vm", "--name", "sata1", "--memory", "256Mi",
         "--volume-containerdisk", f"src:{guest_image},name:root", "--user", "me"],
        env=env.env, capture_output=True, timeout=60, check=False)
    assert created.returncode == 0, created.stderr.decode()
    env.vms.append("sata1")
    applied = env.run("apply", "-f", "-", input=created.stdout)
    assert applied.returncode == 0, applied.stderr.decode()
    assert _disks(libvirt_conn, env, "sata1") == {
        "ua-root": ("sda", "sata", False), "ua-cloudinitdisk": ("sdb", "sata", False)}
    text = _console_until_ready(env, "sata1")
    assert "SYSLINUX" in text  # booted from the containerDisk on SATA
    modules = next(line for line in text.splitlines() if line.startswith("VMCTL-MODULES "))
    assert "failed=" not in modules
    blocks = [line.split()[1:] for line in text.splitlines() if line.startswith("VMCTL-BLOCK ")]
    assert [(b[0], b[-2], b[-1]) for b in blocks] == [("sda", "ro=0", "label="), ("sdb", "ro=0", "label=cidata")]
    # cloud-init NoCloud read from the SATA disk
    assert "VMCTL-SEED cidata /dev/sdb\n" in text
    assert "VMCTL-BEGIN cidata/user-data\n#cloud-config\nuser: me\nVMCTL-END cidata/user-data" in text


def test_config_map_and_cloud_init_on_sata_disks_reach_the_guest(env: Any, guest_image: str, libvirt_conn: Any) -> None:
    config_map = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "app"},
                  "data": {"app.conf": "greeting=H16-CONFIGMAP-4242\n"}}
    vm = {
        "apiVersion": "kubevirt.io/v1", "kind": "VirtualMachine", "metadata": {"name": "sata2"},
        "spec": {"runStrategy": "Always", "template": {"spec": {
            "terminationGracePeriodSeconds": 0,
            "domain": {"memory": {"guest": "256Mi"}, "devices": {"disks": [
                {"name": "root", "disk": {}},
                {"name": "cloudinitdisk", "disk": {"bus": "sata"}},
                {"name": "cfg"},  # no target: a disk on the default bus
            ]}},
            "volumes": [
                {"name": "root", "containerDisk": {"image": guest_image}},
                {"name": "cloudinitdisk", "cloudInitNoCloud": {"userData": "#cloud-config\nmarker: H16-SATA-SEED\n"}},
                {"name": "cfg", "configMap": {"name": "app"}},
            ],
        }}},
    }
    applied = env.apply(config_map, vm)
    assert applied.returncode == 0, applied.stderr.decode()
    assert _disks(libvirt_conn, env, "sata2") == {
        "ua-root": ("sda", "sata", False), "ua-cloudinitdisk": ("sdb", "sata", False),
        "ua-cfg": ("sdc", "sata", False)}
    proc = env.popen("console", "sata2")
    try:
        text = helpers.read_until(proc, helpers.SHELL_READY).decode(errors="replace").replace("\r", "")
        assert "VMCTL-SEED cidata /dev/sdb\n" in text and "marker: H16-SATA-SEED\n" in text
        assert "VMCTL-BLOCK sdc " in text
        cfg_line = next(line for line in text.splitlines() if line.startswith("VMCTL-BLOCK sdc "))
        assert cfg_line.endswith(" ro=0 label=cfgdata")
        assert proc.stdin is not None
        proc.stdin.write(b"mkdir -p /mnt/cfg && mount -t iso9660 -o ro /dev/sdc /mnt/cfg && cat /mnt/cfg/app.conf\r")
        proc.stdin.flush()
        helpers.read_until(proc, b"greeting=H16-CONFIGMAP-4242", timeout=30)
    finally:
        proc.kill()
