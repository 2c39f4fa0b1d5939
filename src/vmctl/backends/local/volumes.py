"""Turn a VMI's volumes into files for the domain, and manage named local volumes.

``prepare(vmi, workdir, store_lookup)`` returns ``DomainInputs`` (``backends/local/contracts.py``):

=======================  ===============================================================================
volume source            local file
=======================  ===============================================================================
containerDisk            qcow2 overlay in ``workdir`` over the pulled image's disk (``images.py`` cache)
cloudInitNoCloud /       seed ISO (``cidata`` / ``config-2``) in ``workdir``; secrets and SSH keys from local
cloudInitConfigDrive     Secrets; a ``preCloudInitIso`` hook may rewrite the data first
emptyDisk                qcow2 of ``capacity`` in ``workdir``
hostDisk                 the file at ``path`` (``DiskOrCreate``: a sparse raw file of ``capacity`` if missing)
persistentVolumeClaim,   the named volume ``<state-dir>/volumes/<namespace>/<name>.qcow2``
dataVolume
ephemeral                qcow2 overlay in ``workdir`` over a named volume
configMap / secret       ISO with one file per key (volume id ``volumeLabel`` or ``cfgdata``, as KubeVirt)
=======================  ===============================================================================

Only a ``persistentVolumeClaim.readOnly`` claim gives a read-only ``DiskSource``. Images shared between VMIs
(pulled containerDisks, named volumes under ``ephemeral``) are only ever read through a per-VMI qcow2 overlay;
ISOs are per-VMI files and, as in KubeVirt, not read-only unless the disk target says so (libvirt refuses
read-only SATA hard disks, SATA being KubeVirt's default bus).

``spec.domain.firmware.kernelBoot.container`` gives ``kernel``/``initrd``; the serial console log and the EFI NVRAM
get paths too. Anything else fails with an error naming the volume and its type, and every file created so far
is removed, whatever the failure.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from vmctl.backends.local import cloudinit
from vmctl.backends.local.contracts import DiskSource, DomainInputs
from vmctl.core.names import subdomain_errors
from vmctl.errors import InputError, NotFoundError, VmctlError

#: ``store_lookup(kind, namespace, name)`` -> stored object or None (``Store.get`` fits).
StoreLookup = Callable[[str, str, str], "dict[str, Any] | None"]

UNSUPPORTED = ("serviceAccount", "downwardAPI", "downwardMetrics", "sysprep", "memoryDump", "containerPath")
SOURCES = (
    "containerDisk", "cloudInitNoCloud", "cloudInitConfigDrive", "emptyDisk", "hostDisk", "persistentVolumeClaim",
    "dataVolume", "ephemeral", "configMap", "secret", *UNSUPPORTED,
)


# --- qemu-img -------------------------------------------------------------------------------------


def qemu_img(*args: str, what: str) -> str:
    """Run ``qemu-img`` (argument list, no shell); failures raise with its message."""
    if shutil.which("qemu-img") is None:
        raise VmctlError(f"{what}: qemu-img is not installed (apt-get install qemu-utils)")
    proc = subprocess.run(["qemu-img", *args], stdin=subprocess.DEVNULL, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        message = proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else f"exit status {proc.returncode}"
        raise VmctlError(f"{what}: {message.removeprefix('qemu-img: ')}")
    return proc.stdout


def image_info(path: Path, *, what: str) -> dict[str, Any]:
    """``qemu-img info --output=json`` of a file (format, virtual-size, actual-size, backing file)."""
    info = json.loads(qemu_img("info", "--output=json", "-U", str(path), what=what))
    return info if isinstance(info, dict) else {}


def create_overlay(base: Path, overlay: Path, *, what: str, base_format: str | None = None) -> None:
    fmt = base_format or str(image_info(base, what=what).get("format", "raw"))
    qemu_img("create", "-q", "-f", "qcow2", "-F", fmt, "-b", str(base), str(overlay), what=what)


def parse_size(value: Any, *, what: str) -> int:
    """Bytes of a Kubernetes quantity (``10Gi``); must be positive."""
    from vmctl.core.quantity import positive_bytes

    return positive_bytes(value, what=what)


# --- named volumes --------------------------------------------------------------------------------


@dataclass(frozen=True)
class NamedVolume:
    namespace: str
    name: str
    path: Path
    format: str
    virtual_size: int
    actual_size: int


def volumes_dir(state_dir: Path) -> Path:
    return Path(state_dir) / "volumes"


def volume_path(state_dir: Path, namespace: str, name: str) -> Path:
    check_name(name, what="volume name")
    check_name(namespace, what="namespace")
    return volumes_dir(state_dir) / namespace / f"{name}.qcow2"


def check_name(name: str, *, what: str) -> None:
    if not isinstance(name, str) or subdomain_errors(name):
        raise InputError(
            f"{what} {name!r}: a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, "
            "'-' or '.', and must start and end with an alphanumeric character"
        )


def describe_volume(state_dir: Path, namespace: str, name: str) -> NamedVolume:
    path = volume_path(state_dir, namespace, name)
    if not path.is_file():
        raise NotFoundError(f'persistentvolumeclaims "{name}" not found')
    info = image_info(path, what=f"volume {namespace}/{name}")
    return NamedVolume(namespace, name, path, str(info.get("format", "")), int(info.get("virtual-size", 0)),
                       int(info.get("actual-size", 0)))


def list_volumes(state_dir: Path, namespace: str | None) -> list[NamedVolume]:
    from vmctl.io.inputs import folder_error

    out = []
    base = volumes_dir(state_dir)
    folder = base
    try:  # an unreadable folder is an error, not "no volumes" (pathlib's glob would skip it silently)
        spaces = [namespace] if namespace else sorted(p.name for p in base.iterdir() if p.is_dir()) if base.is_dir() else []
        for ns in spaces:
            folder = base / ns
            if not folder.is_dir():
                continue
            for file in sorted(p for p in folder.iterdir() if p.suffix == ".qcow2"):
                out.append(describe_volume(state_dir, ns, file.stem))
    except OSError as exc:
        raise folder_error(exc, folder) from None
    return out


def create_volume(state_dir: Path, namespace: str, name: str, size: int) -> NamedVolume:
    """A new empty qcow2 named volume; refuses to overwrite."""
    path = volume_path(state_dir, namespace, name)
    if path.exists():
        raise VmctlError(f'persistentvolumeclaims "{name}" already exists')
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        qemu_img("create", "-q", "-f", "qcow2", str(path), str(size), what=f"volume {namespace}/{name}")
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return describe_volume(state_dir, namespace, name)


#: A raw disk is a whole number of these.
SECTOR = 512


def import_volume(state_dir: Path, namespace: str, name: str, source: Path, *, size: int | None = None) -> NamedVolume:
    """Convert a local qcow2/raw file into a new named qcow2 volume (optionally grown to ``size``)."""
    path = volume_path(state_dir, namespace, name)
    if path.exists():
        raise VmctlError(f'persistentvolumeclaims "{name}" already exists')
    what = f"volume {namespace}/{name}"
    info = image_info(source, what=f"--from {source}")
    fmt = str(info.get("format", ""))
    if fmt not in ("qcow2", "raw"):
        raise InputError(f"--from {source}: unsupported image format {fmt!r} (expected qcow2 or raw)")
    if info.get("backing-filename"):
        raise InputError(f"--from {source}: has a backing file; import the flattened image instead")
    raw_size = source.stat().st_size  # qemu-img rounds a raw file's virtual size up to a whole sector
    if fmt == "raw" and (raw_size == 0 or raw_size % SECTOR):  # qemu-img found no format: it only guessed raw
        raise InputError(
            f"--from {source}: not a disk image: qemu-img finds no image format, and its {raw_size} bytes are not "
            f"a raw disk (a whole, non-zero number of {SECTOR}-byte sectors)"
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.importing")
    try:
        qemu_img("convert", "-q", "-f", fmt, "-O", "qcow2", str(source), str(tmp), what=what)
        if size is not None and size > int(info.get("virtual-size", 0)):
            qemu_img("resize", "-q", "-f", "qcow2", str(tmp), str(size), what=what)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return describe_volume(state_dir, namespace, name)


def delete_volume(state_dir: Path, namespace: str, name: str) -> None:
    path = volume_path(state_dir, namespace, name)
    if not path.is_file():
        raise NotFoundError(f'persistentvolumeclaims "{name}" not found')
    path.unlink()


def claims_of(vmi: dict[str, Any]) -> set[str]:
    """Names of the named volumes a VMI (or VM template) uses."""
    spec = vmi.get("spec") or {}
    if "template" in spec:
        spec = (spec.get("template") or {}).get("spec") or {}
    names = set()
    for volume in spec.get("volumes") or []:
        if not isinstance(volume, dict):
            continue
        pvc = volume.get("persistentVolumeClaim") or (volume.get("ephemeral") or {}).get("persistentVolumeClaim")
        if isinstance(pvc, dict) and pvc.get("claimName"):
            names.add(str(pvc["claimName"]))
        dv = volume.get("dataVolume")
        if isinstance(dv, dict) and dv.get("name"):
            names.add(str(dv["name"]))
    return names


# --- prepare ----------------------------------------------------------------------------------------


class _Created:
    """Files and folders made during ``prepare``, removed again on failure (newest first)."""

    def __init__(self) -> None:
        self.paths: list[Path] = []

    def add(self, path: Path) -> Path:
        self.paths.append(path)
        return path

    def cleanup(self) -> None:
        for path in reversed(self.paths):
            try:
                if path.is_dir() and not path.is_symlink():
                    shutil.rmtree(path)
                else:
                    path.unlink(missing_ok=True)
            except OSError:
                pass


def _lookup(store_lookup: StoreLookup | None, kind: str, namespace: str, name: str) -> dict[str, Any] | None:
    if store_lookup is None:
        return None
    try:
        return store_lookup(kind, namespace, name)
    except NotFoundError:
        return None


def _secret_data(secret: dict[str, Any], *, what: str) -> dict[str, bytes]:
    out: dict[str, bytes] = {}
    for key, value in (secret.get("data") or {}).items():
        try:
            out[str(key)] = base64.b64decode(str(value), validate=True)
        except ValueError:
            raise InputError(f"{what}: data.{key} is not valid base64") from None
    for key, value in (secret.get("stringData") or {}).items():
        out[str(key)] = str(value).encode()
    return out


def _configmap_data(cm: dict[str, Any], *, what: str) -> dict[str, bytes]:
    out = {str(k): str(v).encode() for k, v in (cm.get("data") or {}).items()}
    for key, value in (cm.get("binaryData") or {}).items():
        try:
            out[str(key)] = base64.b64decode(str(value), validate=True)
        except ValueError:
            raise InputError(f"{what}: binaryData.{key} is not valid base64") from None
    return out


def _volume_kind(volume: dict[str, Any]) -> str:
    present = [key for key in volume if key != "name"]
    if not present:
        raise InputError(f"volume {volume.get('name', '')}: no volume source set")
    for key in present:
        if key not in SOURCES:
            raise VmctlError(f"volume {volume.get('name', '')}: volume type {key} is not supported by the local backend")
    return present[0]


def prepare(
    vmi: dict[str, Any],
    workdir: Path,
    store_lookup: StoreLookup | None,
    *,
    state_dir: Path | None = None,
    hook_scripts: Sequence[Any] = (),
    image_cache: Any = None,
    port_forwards: bool = True,
) -> DomainInputs:
    """Make every file the VMI's domain needs; on any failure remove what was made and re-raise.

    ``state_dir`` holds the image cache and named volumes (default: ``vmctl.paths.default_state_dir()``);
    ``hook_scripts`` are the already-allowed hook scripts (``hooks.HookScript``) whose ``preCloudInitIso`` runs
    before a seed ISO is written; ``image_cache`` overrides the ``images.ImageCache`` (tests).
    """
    from vmctl.paths import default_state_dir

    state = Path(state_dir) if state_dir is not None else default_state_dir()
    created = _Created()
    workdir = Path(workdir)
    if not workdir.exists():
        workdir.mkdir(parents=True, mode=0o700)
        created.add(workdir)
    try:
        return _prepare(vmi, workdir, store_lookup, state, list(hook_scripts), image_cache, created, port_forwards)
    except BaseException:
        created.cleanup()
        raise


def _prepare(
    vmi: dict[str, Any], workdir: Path, store_lookup: StoreLookup | None, state: Path, hook_scripts: list[Any],
    image_cache: Any, created: _Created, port_forwards: bool,
) -> DomainInputs:
    meta = vmi.get("metadata") or {}
    spec = vmi.get("spec") or {}
    namespace = str(meta.get("namespace") or "default")
    domain = spec.get("domain") or {}
    devices = domain.get("devices") or {}
    disk_names = {d.get("name") for d in devices.get("disks") or [] if isinstance(d, dict)}
    fs_names = {f.get("name") for f in devices.get("filesystems") or [] if isinstance(f, dict)}
    inputs = DomainInputs()
    cache = image_cache

    def images() -> Any:
        nonlocal cache
        if cache is None:
            from vmctl.backends.local.images import ImageCache

            cache = ImageCache(state)
        return cache

    def pull(src: dict[str, Any], name: str) -> Any:
        authfile = _authfile(src, namespace, store_lookup, workdir, created, name)
        try:
            return images().pull(str(src.get("image") or ""), volume=name, policy=src.get("imagePullPolicy") or None,
                                 authfile=authfile)
        finally:
            if authfile is not None:
                authfile.unlink(missing_ok=True)  # credentials never stay on disk

    for volume in spec.get("volumes") or []:
        if not isinstance(volume, dict):
            continue
        name = str(volume.get("name", ""))
        kind = _volume_kind(volume)
        src = volume.get(kind) or {}
        if kind in UNSUPPORTED:
            raise VmctlError(f"volume {name}: volume type {kind} is not supported by the local backend")
        if name in fs_names:
            raise VmctlError(f"volume {name}: {kind} as a filesystem (virtiofs) is not supported by the local backend")
        if name not in disk_names:
            continue  # KubeVirt prepares only volumes a disk uses (others are pod-level mounts)
        if kind == "containerDisk":
            image = pull(src, name)
            base = image.disk(src.get("path"), volume=name)
            overlay = created.add(workdir / f"{name}.qcow2")
            create_overlay(base, overlay, what=f"volume {name}")
            inputs.disks[name] = DiskSource(overlay, "qcow2")
        elif kind in ("cloudInitNoCloud", "cloudInitConfigDrive"):
            iso = _seed(vmi, volume, namespace, store_lookup, hook_scripts, workdir, created)
            inputs.disks[name] = DiskSource(iso, "raw")  # a per-VMI copy: writable, as KubeVirt's
        elif kind == "emptyDisk":
            size = parse_size(src.get("capacity"), what=f"volume {name}: emptyDisk.capacity")
            path = created.add(workdir / f"{name}.qcow2")
            qemu_img("create", "-q", "-f", "qcow2", str(path), str(size), what=f"volume {name}")
            inputs.disks[name] = DiskSource(path, "qcow2")
        elif kind == "hostDisk":
            inputs.disks[name] = _host_disk(src, name, created)
        elif kind in ("persistentVolumeClaim", "dataVolume"):
            claim = str(src.get("claimName") if kind == "persistentVolumeClaim" else src.get("name") or "")
            path = _named(state, namespace, claim, name, kind)
            inputs.disks[name] = DiskSource(path, "qcow2", readonly=bool(src.get("readOnly")))
        elif kind == "ephemeral":
            claim = str((src.get("persistentVolumeClaim") or {}).get("claimName") or "")
            base = _named(state, namespace, claim, name, "persistentVolumeClaim")
            overlay = created.add(workdir / f"{name}.qcow2")
            create_overlay(base, overlay, what=f"volume {name}", base_format="qcow2")
            inputs.disks[name] = DiskSource(overlay, "qcow2")
        elif kind in ("configMap", "secret"):
            inputs.disks[name] = _config_disk(kind, src, name, namespace, store_lookup, workdir, created)

    kernel_boot = ((domain.get("firmware") or {}).get("kernelBoot") or {}).get("container")
    if isinstance(kernel_boot, dict) and kernel_boot:
        image = pull(kernel_boot, "kernel-boot")
        if kernel_boot.get("kernelPath"):
            inputs.kernel = image.file(str(kernel_boot["kernelPath"]), what="kernelPath", volume="kernel-boot")
        if kernel_boot.get("initrdPath"):
            inputs.initrd = image.file(str(kernel_boot["initrdPath"]), what="initrdPath", volume="kernel-boot")
        if inputs.kernel is None and inputs.initrd is None:
            raise InputError("spec.domain.firmware.kernelBoot.container: kernelPath or initrdPath is required")

    inputs.console_log = workdir / "console.log"
    efi = ((domain.get("firmware") or {}).get("bootloader") or {}).get("efi")
    if isinstance(efi, dict):
        if efi.get("persistent"):
            nvram_dir = state / "nvram" / namespace
            nvram_dir.mkdir(parents=True, exist_ok=True)
            inputs.nvram = nvram_dir / f"{meta.get('name', 'vmi')}_VARS.fd"
        else:
            inputs.nvram = workdir / "nvram_VARS.fd"
    if port_forwards:
        from vmctl.backends.local.portforward import plan_host_forwards

        inputs.port_forwards = plan_host_forwards(vmi)
    return inputs


def _named(state: Path, namespace: str, claim: str, volume: str, kind: str) -> Path:
    if not claim:
        field = "claimName" if kind == "persistentVolumeClaim" else "name"
        raise InputError(f"volume {volume}: {kind}.{field} is required")
    path = volume_path(state, namespace, claim)
    if not path.is_file():
        raise NotFoundError(
            f'volume {volume}: persistentvolumeclaims "{claim}" not found',
            hint=f"create it with: vmctl volume create {claim} --size 10Gi -n {namespace} (or volume import)",
        )
    return path


def _host_disk(src: dict[str, Any], name: str, created: _Created) -> DiskSource:
    path_text = src.get("path")
    if not path_text:
        raise InputError(f"volume {name}: hostDisk.path is required")
    path = Path(str(path_text))
    kind = src.get("type")
    if kind == "Disk":
        if not path.is_file():
            raise VmctlError(f"volume {name}: hostDisk {path} does not exist (type Disk needs an existing file)")
    elif kind == "DiskOrCreate":
        if not path.exists():
            size = parse_size(src.get("capacity"), what=f"volume {name}: hostDisk.capacity")
            if not path.parent.is_dir():
                path.parent.mkdir(parents=True)
                created.add(path.parent)
            created.add(path)
            with open(path, "xb") as fh:
                fh.truncate(size)  # sparse
    else:
        raise InputError(f'volume {name}: hostDisk.type: Unsupported value: "{kind}": supported values: "Disk", "DiskOrCreate"')
    return DiskSource(path, "raw")


def _config_disk(
    kind: str, src: dict[str, Any], name: str, namespace: str, store_lookup: StoreLookup | None, workdir: Path,
    created: _Created,
) -> DiskSource:
    ref = str(src.get("name") if kind == "configMap" else src.get("secretName") or "")
    obj_kind = "ConfigMap" if kind == "configMap" else "Secret"
    plural = "configmaps" if kind == "configMap" else "secrets"
    if not ref:
        raise InputError(f"volume {name}: {kind}.{'name' if kind == 'configMap' else 'secretName'} is required")
    obj = _lookup(store_lookup, obj_kind, namespace, ref)
    what = f"volume {name}: {obj_kind} {namespace}/{ref}"
    if obj is None:
        if not src.get("optional"):
            raise NotFoundError(f'volume {name}: {plural} "{ref}" not found')
        files: dict[str, bytes] = {}
    elif kind == "configMap":
        files = _configmap_data(obj, what=what)
    else:
        files = _secret_data(obj, what=what)
    iso = created.add(workdir / f"{name}.iso")
    cloudinit.build_iso(iso, str(src.get("volumeLabel") or "cfgdata"), files)
    return DiskSource(iso, "raw")  # a per-VMI copy: writable, as KubeVirt's


def _ssh_keys(vmi: dict[str, Any], method: str, namespace: str, store_lookup: StoreLookup | None) -> dict[str, str]:
    """SSH public keys of ``accessCredentials`` propagated by ``method`` (noCloud / configDrive), as KubeVirt."""
    keys: dict[str, str] = {}
    for cred in (vmi.get("spec") or {}).get("accessCredentials") or []:
        ssh = (cred or {}).get("sshPublicKey") or {}
        if not isinstance((ssh.get("propagationMethod") or {}).get(method), dict):
            continue
        secret_name = ((ssh.get("source") or {}).get("secret") or {}).get("secretName")
        if not secret_name:
            continue
        secret = _lookup(store_lookup, "Secret", namespace, secret_name)
        if secret is None:
            raise NotFoundError(f'accessCredentials: secrets "{secret_name}" not found')
        for _key, value in sorted(_secret_data(secret, what=f"Secret {namespace}/{secret_name}").items()):
            text = value.decode(errors="replace")
            if text:
                keys[str(len(keys))] = text
    return keys


def _seed(
    vmi: dict[str, Any], volume: dict[str, Any], namespace: str, store_lookup: StoreLookup | None,
    hook_scripts: list[Any], workdir: Path, created: _Created,
) -> Path:
    name = str(volume.get("name", ""))
    no_cloud = "cloudInitNoCloud" in volume
    src = volume.get("cloudInitNoCloud" if no_cloud else "cloudInitConfigDrive") or {}
    secrets: dict[str, dict[str, str]] = {}
    for ref_field in ("secretRef", "networkDataSecretRef"):
        ref = (src.get(ref_field) or {}).get("name")
        if not ref or ref in secrets:
            continue
        secret = _lookup(store_lookup, "Secret", namespace, ref)
        if secret is None:
            raise NotFoundError(f'volume {name}: {ref_field}: secrets "{ref}" not found')
        secrets[ref] = {k: v.decode(errors="replace") for k, v in _secret_data(secret, what=f"Secret {namespace}/{ref}").items()}
    keys = _ssh_keys(vmi, "noCloud" if no_cloud else "configDrive", namespace, store_lookup)
    data = cloudinit.read_volume(vmi, volume, secret_data=secrets, public_keys=keys)
    if any(getattr(s, "hook_point", "") == "preCloudInitIso" for s in hook_scripts):
        from vmctl.backends.local import hooks

        changed = hooks.run_pre_cloud_init_iso(vmi, data.to_go_json(), hook_scripts)
        data = cloudinit.CloudInitData.from_go_json(changed, where="preCloudInitIso hook output")
    iso = created.add(workdir / f"{name}.iso")
    cloudinit.write_seed(data, vmi, iso)
    return iso


def _authfile(
    src: dict[str, Any], namespace: str, store_lookup: StoreLookup | None, workdir: Path, created: _Created, volume: str,
) -> Path | None:
    """``imagePullSecret`` (a ``kubernetes.io/dockerconfigjson`` Secret) as a private skopeo auth file."""
    secret_name = src.get("imagePullSecret")
    if not secret_name:
        return None
    secret = _lookup(store_lookup, "Secret", namespace, str(secret_name))
    if secret is None:
        raise NotFoundError(f'volume {volume}: imagePullSecret: secrets "{secret_name}" not found')
    data = _secret_data(secret, what=f"Secret {namespace}/{secret_name}")
    content = data.get(".dockerconfigjson") or data.get(".dockercfg")
    if content is None:
        raise InputError(f"volume {volume}: imagePullSecret {secret_name} has no .dockerconfigjson key")
    path = created.add(workdir / f".auth-{volume}.json")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(content)
    return path
