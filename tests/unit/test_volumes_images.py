"""Image pulling: safe layer extraction, reference parsing, and real pulls from a throw-away local registry."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import shutil
import socket
import subprocess
import tarfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from vmctl.backends.local import images
from vmctl.backends.local.images import ImageCache, UnsafeLayer, extract_layer
from vmctl.errors import InputError, VmctlError


def layer(path: Path, entries: list[tuple[str, str, bytes | str]]) -> Path:
    """A gzip tar with entries (name, type, content/link target); type is file|dir|sym|link."""
    with tarfile.open(path, "w:gz") as tar:
        for name, kind, content in entries:
            info = tarfile.TarInfo(name)
            if kind == "file":
                data = content if isinstance(content, bytes) else content.encode()
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
            elif kind == "dir":
                info.type = tarfile.DIRTYPE
                info.mode = 0o755
                tar.addfile(info)
            elif kind == "sym":
                info.type = tarfile.SYMTYPE
                info.linkname = str(content)
                tar.addfile(info)
            elif kind == "link":
                info.type = tarfile.LNKTYPE
                info.linkname = str(content)
                tar.addfile(info)
    return path


@pytest.mark.parametrize(
    "entries",
    [
        [("../evil", "file", "x")],
        [("disk/../../evil", "file", "x")],
        [("escape", "sym", "/etc"), ("escape/evil", "file", "x")],
        [("up", "sym", "../../.."), ("up/evil", "file", "x")],
        [("hard", "link", "../../etc/passwd")],
    ],
    ids=["dotdot", "nested-dotdot", "abs-symlink-then-write", "rel-symlink-then-write", "hardlink-out"],
)
def test_path_traversal_is_rejected(tmp_path: Path, entries: list) -> None:
    root = tmp_path / "root"
    root.mkdir()
    outside = tmp_path / "evil"
    with pytest.raises(UnsafeLayer, match="unsafe path"):
        extract_layer(layer(tmp_path / "l.tar.gz", entries), root)
    assert not outside.exists()
    assert not (tmp_path.parent / "evil").exists()


def test_absolute_names_stay_inside_the_root(tmp_path: Path) -> None:
    root = tmp_path / "root"
    root.mkdir()
    extract_layer(layer(tmp_path / "l.tar.gz", [("/etc/evil", "file", "x")]), root)
    assert (root / "etc" / "evil").read_text() == "x"
    assert not (tmp_path / "etc").exists()


def test_layers_apply_in_order_with_whiteouts(tmp_path: Path) -> None:
    root = tmp_path / "root"
    root.mkdir()
    extract_layer(layer(tmp_path / "1.tgz", [("disk", "dir", ""), ("disk/old.img", "file", "old"),
                                             ("etc/keep", "file", "k"), ("etc/drop", "file", "d"),
                                             ("opaque/a", "file", "a")]), root)
    extract_layer(layer(tmp_path / "2.tgz", [("disk/.wh.old.img", "file", ""), ("disk/new.img", "file", "new"),
                                             ("etc/.wh.drop", "file", ""), ("opaque/.wh..wh..opq", "file", ""),
                                             ("opaque/b", "file", "b"), ("lib", "sym", "etc")]), root)
    assert sorted(p.name for p in (root / "disk").iterdir()) == ["new.img"]
    assert sorted(p.name for p in (root / "etc").iterdir()) == ["keep"]
    assert sorted(p.name for p in (root / "opaque").iterdir()) == ["b"]
    assert (root / "lib" / "keep").read_text() == "k"  # a relative link inside the image is fine


@pytest.mark.parametrize(
    ("image", "repo", "tag", "policy", "registry"),
    [
        ("localhost:5000/vmctl/test-guest:v1", "localhost:5000/vmctl/test-guest", "v1", "IfNotPresent", "localhost:5000"),
        ("quay.io/containerdisks/fedora", "quay.io/containerdisks/fedora", "", "Always", "quay.io"),
        ("fedora:latest", "fedora", "latest", "Always", "docker.io"),
        ("reg:5000/a@sha256:" + "0" * 64, "reg:5000/a", "", "IfNotPresent", "reg:5000"),
    ],
)
def test_reference_parsing(image: str, repo: str, tag: str, policy: str, registry: str) -> None:
    assert images.split_tag(image) == (repo, tag)
    assert images.default_policy(image) == policy
    assert images.registry_host(image) == registry


def test_insecure_registries(monkeypatch: pytest.MonkeyPatch) -> None:
    assert images.insecure("localhost:5000/a:v1") and images.insecure("127.0.0.1:5000/a")
    assert not images.insecure("quay.io/a:v1")
    monkeypatch.setenv("VMCTL_INSECURE_REGISTRIES", "registry.lab:5000, other.lab")
    assert images.insecure("registry.lab:5000/a:v1") and images.insecure("other.lab/x")


def test_skopeo_message_picks_the_fatal_msg() -> None:
    stderr = 'time="2026-01-01T00:00:00Z" level=fatal msg="Error reading manifest v9: manifest unknown"\n'
    assert images.skopeo_message(stderr) == "Error reading manifest v9: manifest unknown"
    assert images.skopeo_message("plain failure\n") == "plain failure"


needs_skopeo = pytest.mark.skipif(shutil.which("skopeo") is None, reason="skopeo is not installed")


@needs_skopeo
def test_unreachable_registry_is_one_line_naming_image_and_volume(tmp_path: Path) -> None:
    cache = ImageCache(tmp_path, progress=None)
    with pytest.raises(VmctlError) as err:
        cache.pull("127.0.0.1:1/nothing/here:v1", volume="rootdisk", policy="Always")
    text = str(err.value)
    assert text.startswith("volume rootdisk: cannot pull image 127.0.0.1:1/nothing/here:v1: ")
    assert "connection refused" in text and "\n" not in text
    assert not (tmp_path / "images" / "refs.json").exists()


def test_bad_policy_is_rejected(tmp_path: Path) -> None:
    with pytest.raises(InputError, match='imagePullPolicy: Unsupported value: "Sometimes"'):
        ImageCache(tmp_path).pull("localhost:5000/a:v1", volume="v", policy="Sometimes")


# --- a real registry ---------------------------------------------------------------------------------


def _sha(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def oci_layout(dest: Path, files: dict[str, bytes]) -> Path:
    """A one-layer OCI image layout holding ``files``."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    raw = buf.getvalue()
    gz = gzip.compress(raw, mtime=0)
    config = json.dumps({"architecture": "amd64", "os": "linux",
                         "rootfs": {"type": "layers", "diff_ids": [_sha(raw)]}}).encode()
    manifest = json.dumps({
        "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": _sha(config), "size": len(config)},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": _sha(gz), "size": len(gz)}],
    }).encode()
    blobs = dest / "blobs" / "sha256"
    blobs.mkdir(parents=True)
    for blob in (gz, config, manifest):
        (blobs / _sha(blob).split(":")[1]).write_bytes(blob)
    (dest / "oci-layout").write_text('{"imageLayoutVersion": "1.0.0"}')
    (dest / "index.json").write_text(json.dumps({"schemaVersion": 2, "manifests": [
        {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": _sha(manifest), "size": len(manifest)}]}))
    return dest


@pytest.fixture
def registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A docker-registry (distribution) on a free 127.0.0.1 port, storage in a temp folder."""
    binary = shutil.which("docker-registry")
    if binary is None or shutil.which("skopeo") is None:
        pytest.skip("docker-registry or skopeo is not installed")
    base = tmp_path_factory.mktemp("registry")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    (base / "config.yml").write_text(
        f"version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: {base}/data\n"
        f"http:\n  addr: 127.0.0.1:{port}\n"
    )
    proc = subprocess.Popen([binary, "serve", str(base / "config.yml")], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.05)
        yield f"127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def push(layout: Path, ref: str) -> None:
    subprocess.run(["skopeo", "copy", "--quiet", "--dest-tls-verify=false", f"oci:{layout}", f"docker://{ref}"],
                   check=True, capture_output=True)


def test_pull_cache_and_policies_against_a_real_registry(tmp_path: Path, registry: str) -> None:
    push(oci_layout(tmp_path / "img1", {"disk/guest.img": b"DISK-V1", "boot/vmlinuz": b"KERNEL"}), f"{registry}/t/guest:v1")
    cache = ImageCache(tmp_path / "state", progress=None)
    pulled = cache.pull(f"{registry}/t/guest:v1", volume="root")
    assert pulled.digest.startswith("sha256:")
    assert pulled.disk(None, volume="root").read_bytes() == b"DISK-V1"
    assert pulled.file("/boot/vmlinuz", what="kernelPath", volume="k").read_bytes() == b"KERNEL"
    assert json.loads((tmp_path / "state" / "images" / "refs.json").read_text()) == {f"{registry}/t/guest:v1": pulled.digest}
    assert [p.name for p in (tmp_path / "state" / "images").iterdir() if p.name.startswith(".pull-")] == []
    # a new image under the same tag: IfNotPresent keeps the cached one, Always fetches the new digest
    push(oci_layout(tmp_path / "img2", {"disk/guest.img": b"DISK-V2"}), f"{registry}/t/guest:v1")
    again = cache.pull(f"{registry}/t/guest:v1", volume="root", policy="IfNotPresent")
    assert again.digest == pulled.digest
    fresh = cache.pull(f"{registry}/t/guest:v1", volume="root", policy="Always")
    assert fresh.digest != pulled.digest
    assert fresh.disk(None, volume="root").read_bytes() == b"DISK-V2"
    with pytest.raises(VmctlError, match=rf"^volume root: cannot pull image {registry}/t/missing:v1: .*manifest unknown"):
        cache.pull(f"{registry}/t/missing:v1", volume="root")


def test_disk_full_while_pulling_removes_partial_files(tmp_path: Path, registry: str) -> None:
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root")
    push(oci_layout(tmp_path / "big", {"disk/big.img": os.urandom(3 * 1024 * 1024)}), f"{registry}/t/big:v1")
    small = tmp_path / "small"
    small.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(small)], capture_output=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.decode().strip()}")
    try:
        cache = ImageCache(small, progress=None)
        with pytest.raises(VmctlError) as err:
            cache.pull(f"{registry}/t/big:v1", volume="root")
        assert str(err.value) == f"volume root: pulling image {registry}/t/big:v1: no space left on device in {small / 'images'}"
        assert sorted(p.name for p in (small / "images").iterdir()) == []
    finally:
        subprocess.run(["umount", str(small)], check=False)
