"""The local SQLite store: Kubernetes-like metadata, optimistic concurrency, selectors, cascade delete."""

from __future__ import annotations

import re
import sqlite3
import uuid
from pathlib import Path

import pytest

from vmctl.backends.local.store import SCHEMA_VERSION, AlreadyExistsError, ConflictError, Store
from vmctl.core.selectors import SelectorError
from vmctl.errors import NotFoundError, VmctlError


def vm(name: str, labels: dict[str, str] | None = None, run: str = "Halted") -> dict:
    meta: dict = {"name": name}
    if labels:
        meta["labels"] = labels
    return {
        "apiVersion": "kubevirt.io/v1", "kind": "VirtualMachine", "metadata": meta,
        "spec": {"runStrategy": run, "template": {"spec": {"domain": {"devices": {}}}}},
    }


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return Store(tmp_path / "state")


def test_create_fills_metadata(store: Store) -> None:
    obj = store.create(vm("web1"))
    meta = obj["metadata"]
    assert meta["namespace"] == "default"
    assert uuid.UUID(meta["uid"]).version == 4
    assert meta["resourceVersion"] == "1"
    assert meta["generation"] == 1
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", meta["creationTimestamp"])
    assert store.get("VirtualMachine", "default", "web1") == obj
    assert (store.state_dir / "state.db").is_file()


def test_resource_version_is_global_and_increasing(store: Store) -> None:
    a = store.create(vm("a"))
    b = store.create(vm("b"), namespace="other")
    a2 = store.update(a)
    assert [a["metadata"]["resourceVersion"], b["metadata"]["resourceVersion"], a2["metadata"]["resourceVersion"]] == [
        "1", "2", "3",
    ]
    assert b["metadata"]["namespace"] == "other"


def test_stale_update_conflicts_with_kubernetes_text(store: Store) -> None:
    first = store.create(vm("web1"))
    store.update(first)  # rv 1 -> 2
    with pytest.raises(ConflictError) as err:
        store.update(first)  # still says rv 1
    assert str(err.value) == (
        'Operation cannot be fulfilled on virtualmachines.kubevirt.io "web1": the object has been modified; '
        "please apply your changes to the latest version and try again"
    )


def test_generation_bumps_only_on_spec_change(store: Store) -> None:
    obj = store.create(vm("web1"))
    obj["metadata"]["labels"] = {"tier": "web"}
    obj = store.update(obj)
    assert obj["metadata"]["generation"] == 1
    obj["spec"]["runStrategy"] = "Always"
    obj = store.update(obj)
    assert obj["metadata"]["generation"] == 2
    obj["status"] = {"printableStatus": "Running"}
    obj = store.update(obj)
    assert obj["metadata"]["generation"] == 2
    assert obj["metadata"]["resourceVersion"] == "4"


def test_update_keeps_system_metadata(store: Store) -> None:
    obj = store.create(vm("web1"))
    forged = {**obj, "metadata": {**obj["metadata"], "uid": "forged", "creationTimestamp": "1999-01-01T00:00:00Z"}}
    stored = store.update(forged)
    assert stored["metadata"]["uid"] == obj["metadata"]["uid"]
    assert stored["metadata"]["creationTimestamp"] == obj["metadata"]["creationTimestamp"]


def test_create_twice_is_already_exists(store: Store) -> None:
    store.create(vm("web1"))
    with pytest.raises(AlreadyExistsError, match='virtualmachines.kubevirt.io "web1" already exists'):
        store.create(vm("web1"))


def test_apply_created_configured_unchanged(store: Store) -> None:
    obj, action = store.apply(vm("web1"))
    assert action == "created"
    same, action = store.apply(vm("web1"))
    assert action == "unchanged"
    assert same["metadata"]["resourceVersion"] == obj["metadata"]["resourceVersion"]
    changed, action = store.apply(vm("web1", run="Always"))
    assert action == "configured"
    assert changed["metadata"]["generation"] == 2
    relabelled, action = store.apply(vm("web1", labels={"a": "b"}, run="Always"))
    assert action == "configured"
    assert relabelled["metadata"]["labels"] == {"a": "b"}
    assert relabelled["metadata"]["generation"] == 2


def test_apply_keeps_status(store: Store) -> None:
    obj, _ = store.apply(vm("web1"))
    obj["status"] = {"printableStatus": "Stopped"}
    store.update(obj)
    again, action = store.apply(vm("web1"))
    assert action == "unchanged"
    assert again["status"] == {"printableStatus": "Stopped"}


@pytest.mark.parametrize(
    ("selector", "expected"),
    [
        ("app=web", ["a", "b"]),
        ("app==web,tier=front", ["a"]),
        ("app!=web", ["c", "d"]),
        ("tier", ["a", "c"]),
        ("!tier", ["b", "d"]),
        ("app in (web, db)", ["a", "b", "c"]),
        ("app notin (web)", ["c", "d"]),
        (None, ["a", "b", "c", "d"]),
    ],
)
def test_label_selectors(store: Store, selector: str | None, expected: list[str]) -> None:
    store.create(vm("a", {"app": "web", "tier": "front"}))
    store.create(vm("b", {"app": "web"}))
    store.create(vm("c", {"app": "db", "tier": "back"}))
    store.create(vm("d"))
    assert [o["metadata"]["name"] for o in store.list("VirtualMachine", "default", selector)] == expected


def test_bad_selector_is_a_selector_error(store: Store) -> None:
    # the store raises the core error; the CLI maps it to a usage error naming --selector
    with pytest.raises(SelectorError, match=re.escape("unable to parse requirement 'app=(x'")):
        store.list("VirtualMachine", None, "app=(x")


def test_list_namespaces(store: Store) -> None:
    store.create(vm("b"), namespace="ns2")
    store.create(vm("a"), namespace="ns1")
    store.create(vm("c"))
    assert [(o["metadata"]["namespace"], o["metadata"]["name"]) for o in store.list("VirtualMachine")] == [
        ("default", "c"), ("ns1", "a"), ("ns2", "b"),
    ]
    assert [o["metadata"]["name"] for o in store.list("VirtualMachine", "ns1")] == ["a"]


def test_cluster_scoped_kinds_have_no_namespace(store: Store) -> None:
    obj = store.create(
        {"apiVersion": "instancetype.kubevirt.io/v1beta1", "kind": "VirtualMachineClusterInstancetype",
         "metadata": {"name": "small", "namespace": "ignored"}, "spec": {"cpu": {"guest": 1}}},
    )
    assert "namespace" not in obj["metadata"]
    assert store.get("VirtualMachineClusterInstancetype", "whatever", "small") is not None


def test_cascade_delete_of_owned_objects(store: Store) -> None:
    owner = store.create(vm("web1"))
    ref = {"apiVersion": "kubevirt.io/v1", "kind": "VirtualMachine", "name": "web1",
           "uid": owner["metadata"]["uid"], "controller": True}
    store.create({"kind": "VirtualMachineInstance", "metadata": {"name": "web1", "ownerReferences": [ref]}, "spec": {}})
    store.create({"kind": "ControllerRevision", "metadata": {"name": "rev", "ownerReferences": [ref]}, "data": {}})
    store.create({"kind": "VirtualMachineInstance", "metadata": {"name": "other"}, "spec": {}})
    deleted = store.delete("VirtualMachine", "default", "web1")
    assert sorted((o["kind"], o["metadata"]["name"]) for o in deleted) == [
        ("ControllerRevision", "rev"), ("VirtualMachine", "web1"), ("VirtualMachineInstance", "web1"),
    ]
    assert [o["metadata"]["name"] for o in store.list("VirtualMachineInstance")] == ["other"]


def test_delete_missing_is_not_found(store: Store) -> None:
    with pytest.raises(NotFoundError, match='virtualmachines.kubevirt.io "nope" not found'):
        store.delete("VirtualMachine", "default", "nope")


def test_failed_transaction_leaves_nothing(store: Store) -> None:
    with pytest.raises(RuntimeError), store.transaction():
        store.create(vm("a"))
        raise RuntimeError("boom")
    assert store.list("VirtualMachine") == []


def test_schema_is_versioned_and_wal(store: Store, tmp_path: Path) -> None:
    assert store.schema_version == SCHEMA_VERSION == 1
    db = sqlite3.connect(store.path)
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    db.execute("UPDATE meta SET value='99' WHERE key='schemaVersion'")
    db.commit()
    db.close()
    with pytest.raises(VmctlError, match="state schema version 99 is newer than this vmctl supports"):
        Store(tmp_path / "state")


def test_store_id_is_stable(store: Store) -> None:
    again = Store(store.state_dir)
    assert again.store_id == store.store_id
    assert len(store.store_id) == 32
