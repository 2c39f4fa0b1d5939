"""Cloud-init seed ISOs (NoCloud ``cidata`` and ConfigDrive ``config-2``) and config-volume ISOs, built in Python.

What goes on the ISO follows KubeVirt's ``pkg/cloud-init/cloud-init.go``:

* NoCloud: ``meta-data`` (JSON of ``instance-type``, ``instance-id``, ``local-hostname``, ``public-keys``),
  ``user-data`` and, when set, ``network-config``; volume id ``cidata``.
* ConfigDrive: ``openstack/latest/meta_data.json`` (``instance_type``, ``instance_id`` = ``<name>.<namespace>``,
  ``hostname``, ``uuid``, ``devices``, ``public_keys``), ``openstack/latest/user_data`` and, when set,
  ``openstack/latest/network_data.json``; volume id ``config-2``.
* instance-id / uuid: the VMI's firmware UUID (KubeVirt's ``cloudInitUUIDFromVMI``); locally we fall back to the
  VMI uid, then its name, so that the id is stable across restarts.

``CloudInitData`` mirrors KubeVirt's Go struct; its JSON (Go field names) is what a ``preCloudInitIso`` hook reads
and writes. ``build_iso`` also serves ConfigMap/Secret disks (one file per key, volume id ``cfgdata`` by default).
"""

from __future__ import annotations

import base64
import io
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from vmctl.core.gotext import json_text
from vmctl.errors import InputError, VmctlError

NO_CLOUD = "noCloud"
CONFIG_DRIVE = "configDrive"
CLUSTER_INSTANCETYPE_ANNOTATION = "kubevirt.io/cluster-instancetype-name"
INSTANCETYPE_ANNOTATION = "kubevirt.io/instancetype-name"
#: KubeVirt's error when a cloud-init volume carries no data at all.
NO_DATA_MESSAGE = (
    "userDataBase64, userData, networkDataBase64 or networkData is required for a cloud-init data source"
)


@dataclass
class CloudInitData:
    """KubeVirt's ``CloudInitData`` (a data-source independent view of one cloud-init volume)."""

    data_source: str
    user_data: str = ""
    network_data: str = ""
    no_cloud_metadata: dict[str, Any] | None = None
    config_drive_metadata: dict[str, Any] | None = None
    devices_data: list[dict[str, Any]] | None = None
    volume_name: str = ""

    def to_go_json(self) -> dict[str, Any]:
        """The JSON KubeVirt's ``json.Marshal(CloudInitData)`` produces (Go field names, nil pointers as null)."""
        return {
            "DataSource": self.data_source,
            "NoCloudMetaData": self.no_cloud_metadata,
            "ConfigDriveMetaData": self.config_drive_metadata,
            "UserData": self.user_data,
            "NetworkData": self.network_data,
            "DevicesData": self.devices_data,
            "VolumeName": self.volume_name,
        }

    @classmethod
    def from_go_json(cls, obj: Any, *, where: str) -> CloudInitData:
        """Parse what a ``preCloudInitIso`` hook printed; ``where`` names the hook in errors."""
        if not isinstance(obj, dict):
            raise VmctlError(f"{where}: expected a CloudInitData JSON object, got {type(obj).__name__}")
        source = obj.get("DataSource") or ""
        if source not in (NO_CLOUD, CONFIG_DRIVE):
            raise VmctlError(f"{where}: Invalid cloud-init data source: '{source}'")
        for key in ("UserData", "NetworkData", "VolumeName"):
            if obj.get(key) is not None and not isinstance(obj.get(key), str):
                raise VmctlError(f"{where}: CloudInitData.{key} must be a string")
        for key in ("NoCloudMetaData", "ConfigDriveMetaData"):
            if obj.get(key) is not None and not isinstance(obj.get(key), dict):
                raise VmctlError(f"{where}: CloudInitData.{key} must be an object or null")
        devices = obj.get("DevicesData")
        if devices is not None and not isinstance(devices, list):
            raise VmctlError(f"{where}: CloudInitData.DevicesData must be a list or null")
        return cls(
            data_source=source,
            user_data=obj.get("UserData") or "",
            network_data=obj.get("NetworkData") or "",
            no_cloud_metadata=obj.get("NoCloudMetaData"),
            config_drive_metadata=obj.get("ConfigDriveMetaData"),
            devices_data=devices,
            volume_name=obj.get("VolumeName") or "",
        )


# --- reading the VMI -----------------------------------------------------------------------------


def hostname(vmi: dict[str, Any]) -> str:
    """KubeVirt's ``dns.SanitizeHostname``: ``spec.hostname``, else the name up to the first dot (63 chars)."""
    spec_hostname = (vmi.get("spec") or {}).get("hostname")
    if spec_hostname:
        return str(spec_hostname)
    return str((vmi.get("metadata") or {}).get("name", "")).split(".")[0][:63]


def instance_uuid(vmi: dict[str, Any]) -> str:
    """Firmware UUID (as KubeVirt), else the VMI uid, else its name — stable across restarts."""
    meta = vmi.get("metadata") or {}
    firmware = ((vmi.get("spec") or {}).get("domain") or {}).get("firmware") or {}
    return str(firmware.get("uuid") or meta.get("uid") or meta.get("name") or "")


def instance_type(vmi: dict[str, Any]) -> str:
    annotations = (vmi.get("metadata") or {}).get("annotations") or {}
    return str(annotations.get(CLUSTER_INSTANCETYPE_ANNOTATION) or annotations.get(INSTANCETYPE_ANNOTATION) or "")


def _raw_or_base64(raw: Any, b64: Any, *, field: str) -> str:
    if raw:
        return str(raw)
    if b64:
        try:
            return base64.b64decode(str(b64), validate=True).decode("utf-8", errors="replace")
        except ValueError as exc:
            raise InputError(f"{field}Base64: illegal base64 data ({exc})") from None
    return ""


def read_volume(
    vmi: dict[str, Any],
    volume: dict[str, Any],
    *,
    secret_data: dict[str, dict[str, str]] | None = None,
    public_keys: dict[str, str] | None = None,
) -> CloudInitData:
    """Turn one ``cloudInitNoCloud`` / ``cloudInitConfigDrive`` volume into ``CloudInitData``.

    ``secret_data`` maps a secret name to its decoded keys (for ``secretRef`` / ``networkDataSecretRef``);
    ``public_keys`` are the SSH keys from ``accessCredentials`` (``{"0": key, ...}``).
    """
    name = str(volume.get("name", ""))
    if "cloudInitNoCloud" in volume:
        source, kind = volume.get("cloudInitNoCloud") or {}, NO_CLOUD
    elif "cloudInitConfigDrive" in volume:
        source, kind = volume.get("cloudInitConfigDrive") or {}, CONFIG_DRIVE
    else:
        raise ValueError(f"volume {name} is not a cloud-init volume")
    user = source.get("userData") or ""
    network = source.get("networkData") or ""
    user_ref = (source.get("secretRef") or {}).get("name")
    network_ref = (source.get("networkDataSecretRef") or {}).get("name")
    if user_ref or network_ref:
        found_user = _secret_key(secret_data, user_ref, ("userdata", "userData")) if user_ref else None
        found_network = _secret_key(secret_data, network_ref, ("networkdata", "networkData")) if network_ref else None
        if found_user is None and found_network is None:
            raise VmctlError(f"no cloud-init data-source found at volume: {name}")
        user = found_user or user
        network = found_network or network
    user = _raw_or_base64(user, source.get("userDataBase64"), field=f"volume {name}: userData")
    network = _raw_or_base64(network, source.get("networkDataBase64"), field=f"volume {name}: networkData")
    if not user and not network:
        raise InputError(f"volume {name}: {NO_DATA_MESSAGE}")
    data = CloudInitData(data_source=kind, user_data=user, network_data=network, volume_name=name)
    meta = vmi.get("metadata") or {}
    itype = instance_type(vmi)
    if kind == NO_CLOUD:
        nc: dict[str, Any] = {}
        if itype:
            nc["instance-type"] = itype
        nc["instance-id"] = instance_uuid(vmi)
        nc["local-hostname"] = hostname(vmi)
        if public_keys:
            nc["public-keys"] = dict(public_keys)
        data.no_cloud_metadata = nc
    else:
        cd: dict[str, Any] = {}
        if itype:
            cd["instance_type"] = itype
        cd["instance_id"] = f"{meta.get('name', '')}.{meta.get('namespace') or 'default'}"
        cd["hostname"] = hostname(vmi)
        cd["uuid"] = instance_uuid(vmi)
        if public_keys:
            cd["public_keys"] = dict(public_keys)
        data.config_drive_metadata = cd
    return data


def _secret_key(secrets: dict[str, dict[str, str]] | None, name: str, keys: tuple[str, ...]) -> str | None:
    content = (secrets or {}).get(name)
    if content is None:
        return None
    for key in keys:
        if key in content:
            return content[key]
    return None


# --- writing -------------------------------------------------------------------------------------


def _sorted_maps(meta: dict[str, Any]) -> dict[str, Any]:
    """Go marshals maps with sorted keys; struct fields keep their order."""
    out = dict(meta)
    for key in ("public-keys", "public_keys"):
        if isinstance(out.get(key), dict):
            out[key] = dict(sorted(out[key].items()))
    return out


def seed_files(data: CloudInitData, vmi: dict[str, Any]) -> tuple[str, dict[str, bytes]]:
    """The volume id and the files (path → bytes) of the seed ISO for ``data`` (KubeVirt's GenerateLocalData)."""
    if not data.user_data and not data.network_data:
        raise VmctlError("UserData or NetworkData is required for cloud-init data source")
    meta = vmi.get("metadata") or {}
    files: dict[str, bytes] = {}
    if data.data_source == NO_CLOUD:
        nc = data.no_cloud_metadata
        if nc is None:
            nc = {"instance-id": instance_uuid(vmi)}
            if instance_type(vmi):
                nc = {"instance-type": instance_type(vmi), **nc}
        files["meta-data"] = json_text(_sorted_maps(nc)).encode()
        files["user-data"] = data.user_data.encode()
        if data.network_data:
            files["network-config"] = data.network_data.encode()
        return "cidata", files
    if data.data_source == CONFIG_DRIVE:
        cd = dict(data.config_drive_metadata or {})
        if data.config_drive_metadata is None:
            cd = {"instance_id": f"{meta.get('name', '')}.{meta.get('namespace') or 'default'}", "uuid": instance_uuid(vmi)}
            if instance_type(vmi):
                cd = {"instance_type": instance_type(vmi), **cd}
        if data.devices_data is not None:
            cd["devices"] = data.devices_data
        else:
            cd.pop("devices", None)
        order = ("instance_type", "instance_id", "local_hostname", "hostname", "uuid", "devices", "public_keys")
        ordered = {k: cd[k] for k in order if k in cd}
        ordered.update({k: v for k, v in cd.items() if k not in ordered})
        base = "openstack/latest"
        files[f"{base}/meta_data.json"] = json_text(_sorted_maps(ordered)).encode()
        files[f"{base}/user_data"] = data.user_data.encode()
        if data.network_data:
            files[f"{base}/network_data.json"] = data.network_data.encode()
        return "config-2", files
    raise VmctlError(f"Invalid cloud-init data source: '{data.data_source}'")


def write_seed(data: CloudInitData, vmi: dict[str, Any], path: Path) -> Path:
    """Write the NoCloud/ConfigDrive ISO for ``data`` to ``path``."""
    volume_id, files = seed_files(data, vmi)
    return build_iso(path, volume_id, files)


_ISO_CHAR = re.compile(r"[^A-Z0-9_]")


def _iso9660_name(name: str, used: set[str], *, is_dir: bool) -> str:
    """A unique ISO9660 level-3 identifier for ``name`` (Rock Ridge and Joliet keep the real name)."""
    upper = name.upper()
    stem, dot, ext = ("", "", "") if is_dir else upper.rpartition(".")
    if is_dir or not dot:
        stem, ext = upper, ""
    stem = _ISO_CHAR.sub("_", stem)[:22] or "_"
    ext = _ISO_CHAR.sub("_", ext)[:6]
    candidate, n = stem, 0
    while True:
        ident = candidate if is_dir else f"{candidate}.{ext}"
        if ident not in used:
            used.add(ident)
            return ident if is_dir else ident + ";1"
        n += 1
        candidate = f"{stem[:17]}_{n}"


def build_iso(path: Path, volume_id: str, files: dict[str, bytes]) -> Path:
    """Write an ISO9660 image with Rock Ridge and Joliet names holding ``files`` (relative paths with ``/``).

    Written to ``<path>.staging`` and renamed, so a failure never leaves a half-written ISO behind.
    """
    import pycdlib  # lazily: only the local backend needs it

    iso = pycdlib.PyCdlib()
    iso.new(interchange_level=3, joliet=3, rock_ridge="1.09", vol_ident=volume_id)
    used: dict[str, set[str]] = {}
    # relative dir -> (ISO9660 path, Joliet path or None when a component is too long for Joliet)
    dirs: dict[str, tuple[str, str | None]] = {"": ("", "")}
    staging = path.with_name(path.name + ".staging")
    try:
        for rel in sorted(files):
            parts = [p for p in rel.split("/") if p]
            if not parts or any(p in (".", "..") for p in parts):
                raise VmctlError(f"cannot put file {rel!r} on an ISO")
            parent = ""
            for part in parts[:-1]:
                current = f"{parent}/{part}" if parent else part
                if current not in dirs:
                    iso_parent, joliet_parent = dirs[parent]
                    ident = _iso9660_name(part, used.setdefault(iso_parent, set()), is_dir=True)
                    joliet_dir = f"{joliet_parent}/{part}" if joliet_parent is not None and len(part) <= 64 else None
                    iso.add_directory(f"{iso_parent}/{ident}", rr_name=part, joliet_path=joliet_dir)
                    dirs[current] = (f"{iso_parent}/{ident}", joliet_dir)
                parent = current
            iso_parent, joliet_parent = dirs[parent]
            leaf = parts[-1]
            ident = _iso9660_name(leaf, used.setdefault(iso_parent, set()), is_dir=False)
            joliet = f"{joliet_parent}/{leaf}" if joliet_parent is not None and len(leaf) <= 64 else None
            content = files[rel]
            iso.add_fp(io.BytesIO(content), len(content), f"{iso_parent}/{ident}", rr_name=leaf, joliet_path=joliet)
        iso.write(str(staging))
        os.replace(staging, path)
    except BaseException:
        staging.unlink(missing_ok=True)
        raise
    finally:
        iso.close()
    return path


def read_iso(path: Path) -> tuple[str, dict[str, bytes]]:
    """Volume id and files (Rock Ridge names) of an ISO — for tests and ``vmctl`` diagnostics."""
    import pycdlib

    iso = pycdlib.PyCdlib()
    iso.open(str(path))
    try:
        volume_id = iso.pvd.volume_identifier.decode().strip()
        files: dict[str, bytes] = {}
        for dirname, _subdirs, names in iso.walk(rr_path="/"):
            for name in names:
                rr = f"{dirname.rstrip('/')}/{name}"
                out = io.BytesIO()
                iso.get_file_from_iso_fp(out, rr_path=rr)
                files[rr.lstrip("/")] = out.getvalue()
        return volume_id, files
    finally:
        iso.close()
