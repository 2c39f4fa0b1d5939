"""Cloud-init seed ISOs: contents read back with pycdlib, metadata as KubeVirt writes it."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from vmctl.backends.local import cloudinit
from vmctl.errors import InputError, VmctlError

VMI = {
    "apiVersion": "kubevirt.io/v1",
    "kind": "VirtualMachineInstance",
    "metadata": {
        "name": "web1.example",
        "namespace": "dev",
        "uid": "0b5e-uid",
        "annotations": {"kubevirt.io/cluster-instancetype-name": "u1.small"},
    },
    "spec": {"domain": {"firmware": {"uuid": "6a1a24a1-0000-4000-8000-000000000001"}}},
}


def seed(tmp_path: Path, volume: dict, **kw) -> tuple[str, dict[str, bytes]]:
    data = cloudinit.read_volume(VMI, volume, **kw)
    iso = cloudinit.write_seed(data, VMI, tmp_path / "seed.iso")
    return cloudinit.read_iso(iso)


def test_nocloud_iso_has_kubevirt_metadata_userdata_and_network_config(tmp_path: Path) -> None:
    label, files = seed(tmp_path, {
        "name": "cloudinitdisk",
        "cloudInitNoCloud": {"userData": "#cloud-config\nruncmd: ['echo <hi> & bye']\n", "networkData": "version: 2\n"},
    })
    assert label == "cidata"
    assert set(files) == {"meta-data", "user-data", "network-config"}
    assert files["user-data"] == b"#cloud-config\nruncmd: ['echo <hi> & bye']\n"
    assert files["network-config"] == b"version: 2\n"
    # Go's json.Marshal of NoCloudMetadata: field order, hostname cut at the first dot, firmware UUID as id
    assert files["meta-data"] == (
        b'{"instance-type":"u1.small","instance-id":"6a1a24a1-0000-4000-8000-000000000001",'
        b'"local-hostname":"web1"}'
    )


def test_nocloud_base64_and_ssh_keys_sorted_like_go_maps(tmp_path: Path) -> None:
    user = base64.b64encode(b"#cloud-config\npassword: x\n").decode()
    keys = {str(i): f"ssh-ed25519 KEY{i}" for i in range(11)}
    _label, files = seed(tmp_path, {"name": "ci", "cloudInitNoCloud": {"userDataBase64": user}}, public_keys=keys)
    assert files["user-data"] == b"#cloud-config\npassword: x\n"
    assert "network-config" not in files
    meta = files["meta-data"].decode()
    assert meta.index('"10"') < meta.index('"2"')  # Go sorts map keys as strings
    assert json.loads(meta)["public-keys"]["10"] == "ssh-ed25519 KEY10"


def test_configdrive_layout_and_metadata(tmp_path: Path) -> None:
    label, files = seed(tmp_path, {"name": "cd", "cloudInitConfigDrive": {"userData": "#!/bin/sh\necho hi\n",
                                                                           "networkData": '{"links":[]}'}})
    assert label == "config-2"
    assert set(files) == {"openstack/latest/meta_data.json", "openstack/latest/user_data",
                          "openstack/latest/network_data.json"}
    assert files["openstack/latest/meta_data.json"] == (
        b'{"instance_type":"u1.small","instance_id":"web1.example.dev","hostname":"web1",'
        b'"uuid":"6a1a24a1-0000-4000-8000-000000000001"}'
    )
    assert files["openstack/latest/user_data"] == b"#!/bin/sh\necho hi\n"


def test_spec_hostname_wins_and_uid_is_the_fallback_id(tmp_path: Path) -> None:
    vmi = {"metadata": {"name": "a", "uid": "uid-7"}, "spec": {"hostname": "custom"}}
    data = cloudinit.read_volume(vmi, {"name": "c", "cloudInitNoCloud": {"userData": "x"}})
    assert data.no_cloud_metadata == {"instance-id": "uid-7", "local-hostname": "custom"}


def test_secret_refs_fill_user_and_network_data() -> None:
    volume = {"name": "c", "cloudInitNoCloud": {"secretRef": {"name": "ud"}, "networkDataSecretRef": {"name": "nd"}}}
    data = cloudinit.read_volume(VMI, volume, secret_data={"ud": {"userData": "U"}, "nd": {"networkdata": "N"}})
    assert (data.user_data, data.network_data) == ("U", "N")
    with pytest.raises(VmctlError, match="^no cloud-init data-source found at volume: c$"):
        cloudinit.read_volume(VMI, volume, secret_data={"ud": {"other": "x"}, "nd": {}})


def test_empty_volume_is_rejected_with_kubevirt_text() -> None:
    with pytest.raises(InputError) as err:
        cloudinit.read_volume(VMI, {"name": "c", "cloudInitNoCloud": {}})
    assert str(err.value) == (
        "volume c: userDataBase64, userData, networkDataBase64 or networkData is required for a cloud-init data source"
    )


def test_bad_base64_names_the_field() -> None:
    with pytest.raises(InputError, match=r"^volume c: userDataBase64: illegal base64 data"):
        cloudinit.read_volume(VMI, {"name": "c", "cloudInitNoCloud": {"userDataBase64": "!!!"}})


def test_cloudinitdata_round_trips_through_go_json() -> None:
    data = cloudinit.read_volume(VMI, {"name": "c", "cloudInitNoCloud": {"userData": "x"}})
    obj = data.to_go_json()
    assert list(obj) == ["DataSource", "NoCloudMetaData", "ConfigDriveMetaData", "UserData", "NetworkData",
                         "DevicesData", "VolumeName"]
    assert obj["DataSource"] == "noCloud" and obj["ConfigDriveMetaData"] is None and obj["VolumeName"] == "c"
    assert cloudinit.CloudInitData.from_go_json(obj, where="hook") == data
    with pytest.raises(VmctlError, match="^hook: Invalid cloud-init data source: 'bogus'$"):
        cloudinit.CloudInitData.from_go_json({**obj, "DataSource": "bogus"}, where="hook")


def test_config_iso_keeps_real_names_and_label(tmp_path: Path) -> None:
    files = {"app.properties": b"a=1\n", "APP.PROPERTIES": b"b=2\n", "no-extension": b"", "x" * 80: b"long"}
    iso = cloudinit.build_iso(tmp_path / "cfg.iso", "OEMDRV", files)
    label, back = cloudinit.read_iso(iso)
    assert label == "OEMDRV"
    assert back == files
    assert not (tmp_path / "cfg.iso.staging").exists()


def test_iso_rejects_parent_paths(tmp_path: Path) -> None:
    with pytest.raises(VmctlError, match="cannot put file"):
        cloudinit.build_iso(tmp_path / "x.iso", "cfgdata", {"../etc/passwd": b"x"})
    assert list(tmp_path.iterdir()) == []
