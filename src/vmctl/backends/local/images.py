"""Pull OCI images (containerDisk, kernelBoot) with skopeo and unpack them into a cache by digest.

Layout under ``<state-dir>/images/``::

    refs.json                    image reference -> digest of the last pull (for IfNotPresent / Never)
    <algo>-<hex>/rootfs/...      the unpacked image (layers applied in order, whiteouts honoured)

``skopeo inspect`` gives the digest, ``skopeo copy docker://REF@DIGEST oci:<tmp>`` fetches it (TLS verification off
for ``localhost``/``127.0.0.1``/``[::1]`` registries and those in ``VMCTL_INSECURE_REGISTRIES``), and the layers are
unpacked with ``tarfile``'s ``data`` filter, so absolute paths, ``..`` and links leaving the image are rejected.
A containerDisk's disk is the ``path`` field or the single file under ``/disk`` (as KubeVirt's ``GetImage``).
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import re
import shutil
import subprocess
import tarfile
import tempfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from vmctl.errors import InputError, VmctlError

LOCAL_REGISTRIES = ("localhost", "127.0.0.1", "[::1]", "::1")
POLICIES = ("Always", "IfNotPresent", "Never")


@dataclass(frozen=True)
class PulledImage:
    """An unpacked image in the cache."""

    reference: str
    digest: str
    root: Path  # the unpacked file system

    def file(self, path: str, *, what: str, volume: str) -> Path:
        """The regular file at ``path`` inside the image (no escaping the root through links)."""
        target = (self.root / path.lstrip("/")).resolve()
        root = self.root.resolve()
        if root not in target.parents:
            raise VmctlError(f"volume {volume}: {what} {path!r} is outside image {self.reference}")
        if not target.is_file():
            raise VmctlError(f"volume {volume}: {what} {path} not found in image {self.reference}")
        return target

    def disk(self, path: str | None, *, volume: str) -> Path:
        """KubeVirt's containerDisk rule: ``path`` when set, else the only file in ``/disk``."""
        if path:
            return self.file(path, what="disk path", volume=volume)
        folder = self.root / "disk"
        entries = sorted(folder.iterdir()) if folder.is_dir() else []
        if not entries:
            raise VmctlError(f"volume {volume}: image {self.reference}: no file found in folder /disk, no disk present")
        if len(entries) > 1:
            raise VmctlError(
                f"volume {volume}: image {self.reference}: more than one file found in folder /disk, only one disk is allowed"
            )
        return self.file(f"/disk/{entries[0].name}", what="disk", volume=volume)


def default_policy(image: str) -> str:
    """KubeVirt's defaulting: ``Always`` for ``:latest`` or untagged images, else ``IfNotPresent``."""
    if "@" in image:
        return "IfNotPresent"
    _repo, tag = split_tag(image)
    return "Always" if tag in ("", "latest") else "IfNotPresent"


def split_tag(image: str) -> tuple[str, str]:
    """``host:5000/a/b:v1`` -> (``host:5000/a/b``, ``v1``); no tag -> (image, "")."""
    name = image.split("@", 1)[0]
    slash = name.rfind("/")
    colon = name.rfind(":")
    if colon > slash:
        return name[:colon], name[colon + 1 :]
    return name, ""


def registry_host(image: str) -> str:
    first = image.split("/", 1)[0]
    if "/" in image and ("." in first or ":" in first or first == "localhost" or first.startswith("[")):
        return first
    return "docker.io"


def insecure(image: str, extra: Sequence[str] = ()) -> bool:
    host = registry_host(image)
    bare = host.rsplit(":", 1)[0] if not host.startswith("[") else host.split("]")[0] + "]"
    configured = [h.strip() for h in os.environ.get("VMCTL_INSECURE_REGISTRIES", "").split(",") if h.strip()]
    return bare in LOCAL_REGISTRIES or host in extra or host in configured or bare in configured


#: ``Reporter.progress``: (label, total bytes or 0, a function giving the bytes done) → a context manager.
Progress = Callable[[str, int, Callable[[], int]], AbstractContextManager[None]]


class ImageCache:
    """The image cache of one state folder."""

    def __init__(self, state_dir: Path, *, insecure_registries: Sequence[str] = (),
                 progress: Progress | None = None):
        self.dir = Path(state_dir) / "images"
        self.insecure_registries = tuple(insecure_registries)
        self.progress = progress  # shows pulls (``Reporter.progress``), or None

    # -- references ----------------------------------------------------------------------------

    def _refs(self) -> dict[str, str]:
        try:
            value = json.loads((self.dir / "refs.json").read_text())
        except (OSError, ValueError):
            return {}
        return value if isinstance(value, dict) else {}

    def _remember(self, image: str, digest: str) -> None:
        refs = self._refs()
        refs[image] = digest
        tmp = self.dir / f".refs.{os.getpid()}.json"
        tmp.write_text(json.dumps(refs, indent=1, sort_keys=True))
        os.replace(tmp, self.dir / "refs.json")

    def _root(self, digest: str) -> Path:
        return self.dir / digest.replace(":", "-") / "rootfs"

    def cached(self, image: str) -> PulledImage | None:
        digest = image.split("@", 1)[1] if "@" in image else self._refs().get(image)
        if digest and self._root(digest).is_dir():
            return PulledImage(image, digest, self._root(digest))
        return None

    # -- pulling -------------------------------------------------------------------------------

    def pull(self, image: str, *, volume: str, policy: str | None = None, authfile: Path | None = None) -> PulledImage:
        """Make ``image`` available per ``policy`` (Always / IfNotPresent / Never) and return it unpacked."""
        if not isinstance(image, str) or not image.strip():
            raise InputError(f"volume {volume}: image is required")
        policy = policy or default_policy(image)
        if policy not in POLICIES:
            raise InputError(
                f'volume {volume}: imagePullPolicy: Unsupported value: "{policy}": supported values: "Always", "IfNotPresent", "Never"'
            )
        cached = self.cached(image)
        if policy == "Never":
            if cached is None:
                raise VmctlError(
                    f"volume {volume}: image {image} is not present locally and imagePullPolicy is Never"
                )
            return cached
        if policy == "IfNotPresent" and cached is not None:
            return cached
        self.dir.mkdir(parents=True, exist_ok=True)
        digest = image.split("@", 1)[1] if "@" in image else self._inspect_digest(image, volume, authfile)
        root = self._root(digest)
        if not root.is_dir():
            self._fetch(image, digest, volume, authfile)
        self._remember(image, digest)
        return PulledImage(image, digest, root)

    def _skopeo(self, args: list[str], image: str, volume: str) -> str:
        if shutil.which("skopeo") is None:
            raise VmctlError(f"volume {volume}: cannot pull image {image}: skopeo is not installed (apt-get install skopeo)")
        from vmctl.settings import pull_timeout

        timeout = pull_timeout()
        try:
            proc = subprocess.run(
                ["skopeo", *args], stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=timeout,
                check=False,
            )
        except subprocess.TimeoutExpired:
            raise VmctlError(f"volume {volume}: pulling image {image} timed out after {timeout:g}s") from None
        if proc.returncode != 0:
            raise _PullFailed(skopeo_message(proc.stderr))
        return proc.stdout

    def _tls(self, image: str, flag: str) -> list[str]:
        return [f"{flag}=false"] if insecure(image, self.insecure_registries) else []

    def _inspect_digest(self, image: str, volume: str, authfile: Path | None) -> str:
        args = ["inspect", *self._tls(image, "--tls-verify"), "--format", "{{.Digest}}"]
        if authfile:
            args += ["--authfile", str(authfile)]
        try:
            out = self._skopeo([*args, f"docker://{image}"], image, volume).strip()
        except _PullFailed as exc:
            raise VmctlError(f"volume {volume}: cannot pull image {image}: {exc}") from None
        if not re.fullmatch(r"[a-z0-9]+:[0-9a-f]{32,}", out):
            raise VmctlError(f"volume {volume}: cannot pull image {image}: skopeo returned no digest ({out!r})")
        return out

    def _fetch(self, image: str, digest: str, volume: str, authfile: Path | None) -> None:
        """Copy the image to a temporary OCI layout, unpack it, then move it into place (all or nothing)."""
        final = self._root(digest).parent
        work = Path(tempfile.mkdtemp(prefix=".pull-", dir=self.dir))
        try:
            layout = work / "oci"
            repo, _tag = split_tag(image)
            args = ["copy", "--quiet", *self._tls(image, "--src-tls-verify")]
            if authfile:
                args += ["--src-authfile", str(authfile)]
            with self._progress(f"pulling {image}", layout, self._expected_size(image, digest, volume, authfile)):
                self._skopeo([*args, f"docker://{repo}@{digest}", f"oci:{layout}:image"], image, volume)
            self._unpack(layout, work / "rootfs", image, volume)
            final.mkdir(parents=True, exist_ok=True)
            shutil.rmtree(layout)
            if (final / "rootfs").exists():  # pulled concurrently by another vmctl
                return
            os.replace(work / "rootfs", final / "rootfs")
            (final / "image.json").write_text(json.dumps({"image": image, "digest": digest}) + "\n")
        except _PullFailed as exc:
            if "no space left on device" in str(exc).lower():
                raise VmctlError(f"volume {volume}: pulling image {image}: no space left on device in {self.dir}") from None
            raise VmctlError(f"volume {volume}: cannot pull image {image}: {exc}") from None
        except OSError as exc:
            if exc.errno == errno.ENOSPC:
                raise VmctlError(f"volume {volume}: pulling image {image}: no space left on device in {self.dir}") from None
            raise VmctlError(f"volume {volume}: pulling image {image}: {exc.strerror or exc}") from None
        finally:
            shutil.rmtree(work, ignore_errors=True)
            with contextlib.suppress(OSError):
                if final.is_dir() and not any(final.iterdir()):
                    final.rmdir()

    def _expected_size(self, image: str, digest: str, volume: str, authfile: Path | None) -> int:
        """Sum of the layer sizes from the manifest (0 when unknown); only used for the progress bar."""
        if not self.progress:
            return 0
        try:
            repo, _ = split_tag(image)
            args = ["inspect", "--raw", *self._tls(image, "--tls-verify")]
            if authfile:
                args += ["--authfile", str(authfile)]
            manifest = json.loads(self._skopeo([*args, f"docker://{repo}@{digest}"], image, volume))
            return sum(int(layer.get("size", 0)) for layer in manifest.get("layers") or [])
        except (VmctlError, _PullFailed, ValueError, TypeError, AttributeError):
            return 0

    @contextlib.contextmanager
    def _progress(self, label: str, folder: Path, total: int) -> Iterator[None]:
        """Progress of a pull, measured as the bytes written into ``folder``, through the reporter."""
        if not self.progress:
            yield
            return
        with self.progress(label, total, lambda: _tree_size(folder)):
            yield

    def _unpack(self, layout: Path, rootfs: Path, image: str, volume: str) -> None:
        rootfs.mkdir()
        for blob in _layer_blobs(layout):
            try:
                extract_layer(blob, rootfs)
            except UnsafeLayer as exc:
                raise VmctlError(f"volume {volume}: image {image}: {exc}") from None

    def prune(self) -> list[Path]:
        """Remove cached images no reference points to; returns what was removed."""
        keep = {d.replace(":", "-") for d in self._refs().values()}
        removed = []
        if self.dir.is_dir():
            for child in self.dir.iterdir():
                if child.is_dir() and child.name not in keep:
                    shutil.rmtree(child, ignore_errors=True)
                    removed.append(child)
        return removed


class _PullFailed(Exception):
    pass


class UnsafeLayer(Exception):
    """A layer entry that would write outside the image root."""


def skopeo_message(stderr: str) -> str:
    """The useful part of skopeo's error output (its ``msg="..."`` of a fatal log line, else the last line)."""
    lines = [line.strip() for line in stderr.strip().splitlines() if line.strip()]
    for line in reversed(lines):
        m = re.search(r'msg="((?:[^"\\]|\\.)*)"', line)
        if m:
            return m.group(1).replace('\\"', '"')
    return lines[-1] if lines else "skopeo failed"


def _tree_size(folder: Path) -> int:
    total = 0
    for dirpath, _dirs, files in os.walk(folder):
        for name in files:
            with contextlib.suppress(OSError):
                total += os.lstat(os.path.join(dirpath, name)).st_size
    return total


def _layer_blobs(layout: Path) -> list[Path]:
    """Layer blobs of the single image in an OCI layout, bottom first."""
    index = json.loads((layout / "index.json").read_text())
    manifests = index.get("manifests") or []
    if not manifests:
        raise VmctlError(f"{layout}: OCI layout has no manifest")
    manifest = _blob_json(layout, manifests[0]["digest"])
    if manifest.get("manifests"):  # an index: take the first (skopeo already chose the platform)
        manifest = _blob_json(layout, manifest["manifests"][0]["digest"])
    return [_blob(layout, layer["digest"]) for layer in manifest.get("layers") or []]


def _blob(layout: Path, digest: str) -> Path:
    algo, _, hexdigest = digest.partition(":")
    if not re.fullmatch(r"[a-z0-9]+", algo) or not re.fullmatch(r"[0-9a-f]+", hexdigest):
        raise VmctlError(f"{layout}: invalid digest {digest!r}")
    return layout / "blobs" / algo / hexdigest


def _blob_json(layout: Path, digest: str) -> dict[str, Any]:
    value = json.loads(_blob(layout, digest).read_text())
    return value if isinstance(value, dict) else {}


def extract_layer(blob: Path, root: Path) -> None:
    """Apply one (possibly compressed) layer tarball to ``root``; unsafe entries raise ``UnsafeLayer``.

    OCI whiteouts are honoured: ``.wh.NAME`` removes NAME, ``.wh..wh..opq`` empties the folder.
    """
    root = root.resolve()
    try:
        tar = tarfile.open(blob, mode="r:*")  # noqa: SIM115 - closed by the with-block below
    except tarfile.ReadError as exc:
        raise UnsafeLayer(f"layer {blob.name[:12]}: not a (gzip/bzip2/xz) tar archive: {exc}") from None
    with tar:
        for member in tar:
            name = member.name
            parts = [p for p in name.split("/") if p not in ("", ".")]
            if not parts:
                continue
            base = parts[-1]
            if base.startswith(".wh."):
                parent = _inside(root, "/".join(parts[:-1]), name)
                if base == ".wh..wh..opq":
                    if parent.is_dir():
                        for child in parent.iterdir():
                            _remove(child)
                else:
                    _remove(_inside(root, "/".join([*parts[:-1], base[4:]]), name))
                continue
            try:
                safe = tarfile.data_filter(member, str(root))
            except tarfile.FilterError as exc:
                raise UnsafeLayer(f"unsafe path {name!r} in layer {blob.name[:12]} rejected ({exc})") from None
            if safe is None or not (safe.isfile() or safe.isdir() or safe.issym() or safe.islnk()):
                continue  # device nodes and fifos have no place in a disk image
            target = _inside(root, safe.name, name)
            if target.is_symlink() or (target.exists() and not target.is_dir()) or (target.is_dir() and not safe.isdir()):
                _remove(target)
            tar.extract(safe, str(root), set_attrs=False, filter="data")


def _inside(root: Path, rel: str, name: str) -> Path:
    """``root/rel`` after resolving links in the parent folders; must stay inside ``root``."""
    target = root / rel
    parent = target.parent.resolve()
    if parent != root and root not in parent.parents:
        raise UnsafeLayer(f"unsafe path {name!r} rejected (it leaves the image through a link)")
    return parent / target.name


def _remove(path: Path) -> None:
    if path.is_symlink() or path.is_file():
        path.unlink()
    elif path.is_dir():
        shutil.rmtree(path)
