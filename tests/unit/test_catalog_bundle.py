"""The bundled catalog equals the common-instancetypes v1.7.0 bundles, except our own descriptions."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from vmctl import paths
from vmctl.catalog import load_catalog
from vmctl.io.yamlio import parse_documents

REPO = Path(__file__).resolve().parents[2]
SHARED = next(
    (p for p in (REPO.parent / "shared" / "kubevirt", Path("/work/shared/kubevirt")) if p.is_dir()), None
)
BUNDLED = paths.bundled("instancetypes")
DESCRIPTION = "instancetype.kubevirt.io/description"

needs_upstream = pytest.mark.skipif(SHARED is None, reason="upstream data folder shared/kubevirt not beside the repo")


def _yaml_objects(path: Path) -> list[dict]:
    return [d.obj for d in parse_documents(path.read_text(encoding="utf-8"), str(path))]


def _upstream(name: str) -> dict[str, dict]:
    assert SHARED is not None
    objs = _yaml_objects(SHARED / "common-instancetypes" / name)
    return {o["metadata"]["name"]: o for o in objs}


@pytest.fixture(autouse=True)
def _isolated(monkeypatch, tmp_path):
    monkeypatch.delenv("VMCTL_CATALOG_PATH", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))


def test_counts_of_shipped_objects():
    catalog = load_catalog()
    assert len(catalog.instancetypes()) == 65
    assert len(catalog.preferences()) == 54
    assert {o["kind"] for o in catalog.instancetypes()} == {"VirtualMachineClusterInstancetype"}
    assert {o["kind"] for o in catalog.preferences()} == {"VirtualMachineClusterPreference"}


@needs_upstream
@pytest.mark.parametrize(
    ("shipped", "upstream"),
    [
        ("clusterinstancetypes.yaml", "common-clusterinstancetypes-bundle-v1.7.0.yaml"),
        ("clusterpreferences.yaml", "common-clusterpreferences-bundle-v1.7.0.yaml"),
    ],
)
def test_every_shipped_object_equals_upstream(shipped, upstream):
    ours = {o["metadata"]["name"]: o for o in _yaml_objects(BUNDLED / shipped)}
    theirs = _upstream(upstream)
    assert sorted(ours) == sorted(theirs)
    for name, obj in ours.items():
        up = theirs[name]
        assert obj["apiVersion"] == up["apiVersion"], name
        assert obj["kind"] == up["kind"], name
        assert obj["metadata"]["labels"] == up["metadata"]["labels"], name
        assert obj["spec"] == up["spec"], name
        assert set(obj["metadata"]) == set(up["metadata"]), name
        ours_ann = {k: v for k, v in obj["metadata"]["annotations"].items() if k != DESCRIPTION}
        up_ann = {k: v for k, v in up["metadata"]["annotations"].items() if k != DESCRIPTION}
        assert ours_ann == up_ann, name


@needs_upstream
def test_descriptions_are_our_own_short_text():
    theirs = _upstream("common-clusterinstancetypes-bundle-v1.7.0.yaml")
    for obj in _yaml_objects(BUNDLED / "clusterinstancetypes.yaml"):
        ours = obj["metadata"]["annotations"][DESCRIPTION]
        upstream = theirs[obj["metadata"]["name"]]["metadata"]["annotations"][DESCRIPTION]
        assert ours and ours != upstream
        assert len(ours) < 300 and "\n" not in ours


def test_json_index_equals_yaml_files():
    listing = json.loads((BUNDLED / "catalog.json").read_text())
    assert listing["kind"] == "List"
    from_yaml = _yaml_objects(BUNDLED / "clusterinstancetypes.yaml") + _yaml_objects(BUNDLED / "clusterpreferences.yaml")
    assert listing["items"] == from_yaml


def test_spot_values_of_well_known_objects():
    catalog = load_catalog()
    medium = catalog.find_instancetype("u1.medium", "", "default")
    assert medium["spec"] == {"cpu": {"guest": 1}, "memory": {"guest": "4Gi"}}
    assert medium["metadata"]["labels"]["instancetype.kubevirt.io/common-instancetypes-version"] == "v1.7.0"
    o1 = catalog.find_instancetype("o1.large", "", "default")
    assert o1["spec"]["memory"] == {"guest": "8Gi", "overcommitPercent": 50}
    fedora = catalog.find_preference("fedora", "VirtualMachineClusterPreference", "default")
    assert fedora["spec"]["requirements"] == {"architecture": "amd64", "cpu": {"guest": 1}, "memory": {"guest": "2Gi"}}
    assert fedora["spec"]["firmware"] == {"preferredEfi": {"secureBoot": True}}


def test_source_notes_name_origin_licence_and_changes():
    text = (BUNDLED / "SOURCE.md").read_text()
    for needle in ("kubevirt/common-instancetypes", "v1.7.0", "Apache License 2.0",
                   "d923fdb815cd2016ddaebdaaa51db04133576d72", "What we changed"):
        assert needle in text
