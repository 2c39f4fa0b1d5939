"""The CRDs the cluster tests install agree with vmctl's kind table and KubeVirt's facts (kubevirt-semantics
§a)."""

from __future__ import annotations

from pathlib import Path

import yaml

from vmctl.core import kinds

CRDS = Path(__file__).resolve().parent.parent / "cluster" / "data" / "kubevirt-crds.yaml"
SCALABLE = {"VirtualMachineInstanceReplicaSet", "VirtualMachinePool"}
WITH_STATUS = {"VirtualMachine", *SCALABLE}
CLUSTER_SCOPED = {"VirtualMachineClusterInstancetype", "VirtualMachineClusterPreference"}


def crds() -> dict[str, dict]:
    return {d["spec"]["names"]["kind"]: d for d in yaml.safe_load_all(CRDS.read_text(encoding="utf-8")) if d}


def test_every_kubevirt_kind_of_the_table_has_a_matching_crd() -> None:
    docs = crds()
    expected = [
        kinds.VM,
        kinds.VMI,
        kinds.VMIRS,
        kinds.PRESET,
        kinds.POOL,
        kinds.INSTANCETYPE,
        kinds.CLUSTER_INSTANCETYPE,
        kinds.PREFERENCE,
        kinds.CLUSTER_PREFERENCE,
    ]
    assert sorted(docs) == sorted(k.kind for k in expected)
    for k in expected:
        spec = docs[k.kind]["spec"]
        assert docs[k.kind]["metadata"]["name"] == f"{k.plural}.{k.group}"
        assert spec["group"] == k.group
        assert spec["names"]["plural"] == k.plural and spec["names"]["singular"] == k.singular
        assert set(spec["names"]["shortNames"]) <= set(k.short), k.kind  # vmctl adds aliases, never drops one
        assert (spec["scope"] == "Namespaced") == k.namespaced
        assert (spec["scope"] == "Cluster") == (k.kind in CLUSTER_SCOPED)
        assert ("all" in spec["names"].get("categories", [])) == (k.kind not in CLUSTER_SCOPED)
        served = [v["name"] for v in spec["versions"] if v["served"]]
        assert sorted(served) == sorted(k.versions)
        assert len([v for v in spec["versions"] if v["storage"]]) == 1


def test_subresources_and_replicas_schema() -> None:
    for kind, doc in crds().items():
        for version in doc["spec"]["versions"]:
            sub = version.get("subresources") or {}
            assert ("status" in sub) == (kind in WITH_STATUS), kind
            assert ("scale" in sub) == (kind in SCALABLE), kind
            schema = version["schema"]["openAPIV3Schema"]
            assert schema["x-kubernetes-preserve-unknown-fields"] is True
            if kind in SCALABLE:
                assert sub["scale"] == {
                    "specReplicasPath": ".spec.replicas",
                    "statusReplicasPath": ".status.replicas",
                    "labelSelectorPath": ".status.labelSelector",
                }
                replicas = schema["properties"]["spec"]["properties"]["replicas"]
                assert replicas["type"] == "integer" and replicas["minimum"] == 0


def test_storage_versions() -> None:
    storage = {k: next(v["name"] for v in d["spec"]["versions"] if v["storage"]) for k, d in crds().items()}
    assert storage["VirtualMachineInstancePreset"] == "v1alpha3"  # v1 is served but not stored (crds.go)
    assert storage["VirtualMachinePool"] == "v1beta1"
    assert storage["VirtualMachine"] == "v1"
