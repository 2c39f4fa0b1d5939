"""Catalog lookup: order of sources, namespaced vs cluster kinds, errors and hints, presets."""

from __future__ import annotations

import os

import pytest

from vmctl.catalog import is_cluster_kind, load_catalog
from vmctl.core import kinds
from vmctl.core.selectors import SelectorError, parse_selector
from vmctl.errors import InputError, NotFoundError, ObjectRejected


def _it(name, cpus, kind="VirtualMachineClusterInstancetype", namespace=None):
    meta = {"name": name}
    if namespace:
        meta["namespace"] = namespace
    return {"apiVersion": "instancetype.kubevirt.io/v1beta1", "kind": kind, "metadata": meta,
            "spec": {"cpu": {"guest": cpus}, "memory": {"guest": "1Gi"}}}


def _write(folder, name, text):
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(text)
    return folder


CLUSTER_MEDIUM_3 = """apiVersion: instancetype.kubevirt.io/v1beta1
kind: VirtualMachineClusterInstancetype
metadata: {name: u1.medium}
spec: {cpu: {guest: 3}, memory: {guest: 3Gi}}
"""


@pytest.fixture(autouse=True)
def _isolated(monkeypatch, tmp_path):
    monkeypatch.delenv("VMCTL_CATALOG_PATH", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))


def test_input_document_beats_catalog_dir_beats_bundled(tmp_path):
    folder = _write(tmp_path / "cat", "it.yaml", CLUSTER_MEDIUM_3)
    assert load_catalog().find_instancetype("u1.medium", "", "default")["spec"]["cpu"]["guest"] == 1
    assert load_catalog((), [folder]).find_instancetype("u1.medium", "", "default")["spec"]["cpu"]["guest"] == 3
    catalog = load_catalog([_it("u1.medium", 7)], [folder])
    assert catalog.find_instancetype("u1.medium", "", "default")["spec"]["cpu"]["guest"] == 7
    assert catalog.lookup(kinds.CLUSTER_INSTANCETYPE, "u1.medium")[1] == "input"


def test_catalog_dirs_in_order_then_env_then_config_then_bundled(tmp_path, monkeypatch):
    first = _write(tmp_path / "a", "x.yaml", CLUSTER_MEDIUM_3.replace("guest: 3}", "guest: 4}"))
    second = _write(tmp_path / "b", "x.yaml", CLUSTER_MEDIUM_3)
    env = _write(tmp_path / "env", "x.yaml", CLUSTER_MEDIUM_3.replace("u1.medium", "u1.small").replace("guest: 3}", "guest: 5}"))
    config = _write(tmp_path / "config" / "vmctl" / "catalog", "x.yaml",
                    CLUSTER_MEDIUM_3.replace("u1.medium", "u1.large").replace("guest: 3}", "guest: 6}"))
    monkeypatch.setenv("VMCTL_CATALOG_PATH", os.pathsep.join([str(tmp_path / "missing"), str(env)]))
    catalog = load_catalog((), [first, second])
    assert [layer.label for layer in catalog.layers] == ["input", str(first), str(second), str(env), str(config), "bundled"]
    assert catalog.find_instancetype("u1.medium", "", "ns")["spec"]["cpu"]["guest"] == 4
    assert catalog.find_instancetype("u1.small", "", "ns")["spec"]["cpu"]["guest"] == 5
    assert catalog.find_instancetype("u1.large", "", "ns")["spec"]["cpu"]["guest"] == 6
    assert catalog.find_instancetype("u1.xlarge", "", "ns")["spec"]["cpu"]["guest"] == 4  # bundled


def test_bundled_catalog_is_read_only_when_needed():
    catalog = load_catalog([_it("mine", 2)])
    catalog.find_instancetype("mine", "", "default")
    assert catalog.layers[-1].label == "bundled"
    assert catalog.layers[-1]._index is None
    catalog.find_instancetype("u1.nano", "", "default")
    assert catalog.layers[-1]._index is not None


def test_missing_catalog_flag_folder_is_an_input_error(tmp_path):
    with pytest.raises(InputError, match=r"--catalog .*nope: no such file or directory"):
        load_catalog((), [tmp_path / "nope"])


@pytest.mark.parametrize(
    ("kind", "cluster"),
    [("", True), (None, True), ("VirtualMachineClusterInstancetype", True), ("virtualmachineclusterinstancetypes", True),
     ("VirtualMachineInstancetype", False), ("virtualmachineinstancetypes", False)],
)
def test_matcher_kind_rule(kind, cluster):
    assert is_cluster_kind(kind, "instancetype") is cluster


def test_unexpected_kind_texts():
    # the comparison is case-insensitive, so only a real misspelling is rejected
    assert is_cluster_kind("VirtualMachineInstanceTypes", "instancetype") is False
    with pytest.raises(ObjectRejected, match=r"^got unexpected kind in InstancetypeMatcher: VirtualMachineInstanceTyp$"):
        is_cluster_kind("VirtualMachineInstanceTyp", "instancetype")
    with pytest.raises(ObjectRejected, match=r"^got unexpected kind in PreferenceMatcher: vmpref$"):
        load_catalog().find_preference("fedora", "vmpref", "default")


def test_namespaced_and_cluster_kinds_are_separate():
    docs = [
        _it("small", 1, kind="VirtualMachineInstancetype", namespace="team-a"),
        _it("small", 9),
        _it("floating", 4, kind="VirtualMachineInstancetype"),
    ]
    catalog = load_catalog(docs)
    assert catalog.find_instancetype("small", "VirtualMachineInstancetype", "team-a")["spec"]["cpu"]["guest"] == 1
    assert catalog.find_instancetype("small", "", "team-a")["spec"]["cpu"]["guest"] == 9
    # a namespaced object without a namespace is visible in every namespace
    assert catalog.find_instancetype("floating", "virtualmachineinstancetype", "team-b")["spec"]["cpu"]["guest"] == 4
    with pytest.raises(NotFoundError) as err:
        catalog.find_instancetype("small", "VirtualMachineInstancetype", "team-b")
    assert str(err.value) == 'virtualmachineinstancetypes.instancetype.kubevirt.io "small" not found'
    assert err.value.hint == 'a VirtualMachineClusterInstancetype named "small" exists; did you mean kind: VirtualMachineClusterInstancetype?'


def test_not_found_text_and_did_you_mean():
    with pytest.raises(NotFoundError) as err:
        load_catalog().find_instancetype("u1.mediun", "", "default")
    assert str(err.value) == 'virtualmachineclusterinstancetypes.instancetype.kubevirt.io "u1.mediun" not found'
    assert err.value.hint.startswith('did you mean "u1.medium"')
    with pytest.raises(NotFoundError) as err:
        load_catalog().find_preference("zzzz", "", "default")
    assert str(err.value) == 'virtualmachineclusterpreferences.instancetype.kubevirt.io "zzzz" not found'
    assert err.value.hint == "'vmctl get virtualmachineclusterpreferences' lists the 54 available"


def test_found_objects_are_copies():
    catalog = load_catalog()
    catalog.find_instancetype("u1.small", "", "default")["spec"]["cpu"]["guest"] = 99
    assert catalog.find_instancetype("u1.small", "", "default")["spec"]["cpu"]["guest"] == 1


def test_presets_by_namespace_sorted_by_name(tmp_path):
    def preset(name, namespace=None):
        meta = {"name": name, **({"namespace": namespace} if namespace else {})}
        return {"apiVersion": "kubevirt.io/v1", "kind": "VirtualMachineInstancePreset", "metadata": meta,
                "spec": {"selector": {"matchLabels": {"a": "b"}}}}

    folder = _write(tmp_path / "cat", "p.yaml", "kind: List\napiVersion: v1\nitems:\n"
                    "- {apiVersion: kubevirt.io/v1, kind: VirtualMachineInstancePreset, metadata: {name: a-dir, namespace: x}}\n")
    catalog = load_catalog([preset("z", "x"), preset("m"), preset("b", "y")], [folder])
    assert [p["metadata"]["name"] for p in catalog.presets("x")] == ["a-dir", "m", "z"]
    assert [p["metadata"]["name"] for p in catalog.presets("y")] == ["b", "m"]


def test_other_kinds_in_catalog_folders_are_ignored(tmp_path):
    folder = _write(tmp_path / "cat", "mixed.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: u1.medium}\n---\n"
                    + CLUSTER_MEDIUM_3)
    _write(folder, "README.md", "not yaml: [")
    assert load_catalog((), [folder]).find_instancetype("u1.medium", "", "d")["spec"]["cpu"]["guest"] == 3


def test_label_selector():
    match = parse_selector("a=b,c!=d,e in (f, g),!h,i")
    assert match({"a": "b", "e": "g", "i": ""})
    assert not match({"a": "b", "e": "g", "i": "", "h": "1"})
    assert not match({"a": "b", "c": "d", "e": "f", "i": "1"})
    assert parse_selector("x notin (y)")({"x": "z"})
    with pytest.raises(SelectorError, match="unable to parse requirement 'a=b=c'"):
        parse_selector("a=b=c")
