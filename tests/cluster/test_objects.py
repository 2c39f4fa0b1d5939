"""Object verbs against the real API server, cross-checked with the machine's real kubectl."""

from __future__ import annotations

import json
import threading
import time
import types
from typing import Any

import pytest
import yaml

from vmctl.backends.cluster import errors, objects
from vmctl.backends.cluster.connection import Connection
from vmctl.backends.cluster.resources import lookup, of_kind
from vmctl.core import kinds
from vmctl.errors import InputError, NotFoundError

pytestmark = pytest.mark.cluster

VM = lookup("vm")


def vm(name: str, run_strategy: str = "Halted", **labels: str) -> dict[str, Any]:
    return {
        "apiVersion": "kubevirt.io/v1",
        "kind": "VirtualMachine",
        "metadata": {"name": name, **({"labels": labels} if labels else {})},
        "spec": {
            "runStrategy": run_strategy,
            "template": {"spec": {"domain": {"devices": {}, "memory": {"guest": "128Mi"}}}},
        },
    }


def kubectl_json(kubectl: Any, *args: str) -> Any:
    return json.loads(kubectl(*args, "-o", "json").stdout)


def test_server_side_apply_creates_then_configures(conn: Connection, namespace: str, kubectl: Any) -> None:
    first = objects.apply(conn, vm("web"))
    assert first.created and first.action == "created"
    assert first.obj["metadata"]["namespace"] == namespace
    seen = kubectl_json(kubectl, "get", "vm", "web", "-n", namespace, "--show-managed-fields")
    assert seen["spec"]["runStrategy"] == "Halted"
    managers = {(m["manager"], m["operation"]) for m in seen["metadata"]["managedFields"]}
    assert ("vmctl", "Apply") in managers

    again = objects.apply(conn, vm("web", "Always"))
    assert not again.created and again.action == "configured"
    assert kubectl_json(kubectl, "get", "vm", "web", "-n", namespace)["spec"]["runStrategy"] == "Always"


def test_apply_dry_run_stores_nothing(conn: Connection, namespace: str, kubectl: Any) -> None:
    result = objects.apply(conn, vm("ghost"), dry_run=True)
    assert result.obj["metadata"]["name"] == "ghost"
    proc = kubectl("get", "vm", "ghost", "-n", namespace, check=False)
    assert proc.returncode == 1 and "NotFound" in proc.stderr


def test_apply_namespace_rules(conn: Connection, namespace: str) -> None:
    obj = vm("a")
    obj["metadata"]["namespace"] = "elsewhere"
    with pytest.raises(InputError, match='namespace from the provided object "elsewhere" does not match'):
        objects.apply(conn, obj, namespace=namespace)
    cluster_scoped = {
        "apiVersion": "instancetype.kubevirt.io/v1beta1",
        "kind": "VirtualMachineClusterInstancetype",
        "metadata": {"name": f"it-{namespace}", "namespace": namespace},
        "spec": {"cpu": {"guest": 1}, "memory": {"guest": "1Gi"}},
    }
    stored = objects.apply(conn, cluster_scoped).obj
    assert "namespace" not in stored["metadata"]
    objects.delete(conn, of_kind(kinds.CLUSTER_INSTANCETYPE), f"it-{namespace}")


def test_apply_conflict_with_kubectl_then_force(conn: Connection, namespace: str, kubectl: Any) -> None:
    kubectl.server_side_apply(namespace, yaml.safe_dump(vm("web", "Always")))
    with pytest.raises(errors.Conflict) as exc:
        objects.apply(conn, vm("web", "Halted"))
    assert exc.value.message.startswith(
        'conflict (409): Apply failed with 1 conflict: conflict with "kubectl'
    )
    assert ".spec.runStrategy" in exc.value.message and "\n" not in exc.value.message
    assert exc.value.hint and "--force-conflicts" in exc.value.hint

    objects.apply(conn, vm("web", "Halted"), force=True)
    seen = kubectl_json(kubectl, "get", "vm", "web", "-n", namespace)
    assert seen["spec"]["runStrategy"] == "Halted"


def test_apply_unknown_kind_uses_discovery(conn: Connection, namespace: str, kubectl: Any) -> None:
    svc = {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "robot"}}
    assert objects.apply(conn, svc).created
    assert (
        kubectl_json(kubectl, "get", "serviceaccount", "robot", "-n", namespace)["metadata"]["name"]
        == "robot"
    )
    with pytest.raises(NotFoundError, match='no kind "Nope" in API version "v1"'):
        objects.apply(conn, {"apiVersion": "v1", "kind": "Nope", "metadata": {"name": "x"}})


def test_get_and_not_found(conn: Connection, namespace: str, kubectl: Any) -> None:
    kubectl(
        "create", "--validate=false", "-n", namespace, "-f", "-", stdin=yaml.safe_dump(vm("made-by-kubectl"))
    )
    got = objects.get(conn, VM, "made-by-kubectl")
    assert got["kind"] == "VirtualMachine" and got["spec"]["runStrategy"] == "Halted"
    with pytest.raises(NotFoundError) as exc:
        objects.get(conn, VM, "missing")
    assert exc.value.message == 'virtualmachines.kubevirt.io "missing" not found'


def test_list_is_paginated_and_lazy(conn: Connection, namespace: str, kubectl: Any) -> None:
    items = [vm(f"vm-{i:02d}", tier="a" if i % 2 else "b") for i in range(25)]
    kubectl(
        "create",
        "--validate=false",
        "-n",
        namespace,
        "-f",
        "-",
        stdin=json.dumps({"apiVersion": "v1", "kind": "List", "items": items}),
    )
    calls: list[dict[str, Any]] = []
    real = conn.request

    def counting(method: str, path: str, **kw: Any) -> Any:
        calls.append(dict(kw.get("query") or {}))
        return real(method, path, **kw)

    conn.request = counting  # type: ignore[method-assign]
    gen = objects.list_objects(conn, VM, chunk_size=10)
    assert isinstance(gen, types.GeneratorType) and calls == []
    first = next(gen)
    assert first["kind"] == "VirtualMachine" and first["apiVersion"] == "kubevirt.io/v1"
    assert len(calls) == 1 and calls[0]["limit"] == 10
    names = [first["metadata"]["name"], *(o["metadata"]["name"] for o in gen)]
    assert names == sorted(f"vm-{i:02d}" for i in range(25))
    assert len(calls) == 3 and calls[1]["continue"] and calls[2]["continue"]

    tier_a = [o["metadata"]["name"] for o in objects.list_objects(conn, VM, label_selector="tier=a")]
    assert len(tier_a) == 12
    everywhere = {o["metadata"]["namespace"] for o in objects.list_objects(conn, VM, all_namespaces=True)}
    assert namespace in everywhere


def test_delete_propagation_policies(conn: Connection, namespace: str, kubectl: Any) -> None:
    for name in ("bg", "fg", "orphan"):
        objects.apply(conn, vm(name))
    objects.delete(conn, VM, "bg")
    with pytest.raises(NotFoundError):
        objects.get(conn, VM, "bg")
    # no garbage collector runs here, so the policy's finalizer stays visible: proof of what was sent
    objects.delete(conn, VM, "fg", cascade="foreground")
    assert kubectl_json(kubectl, "get", "vm", "fg", "-n", namespace)["metadata"]["finalizers"] == [
        "foregroundDeletion"
    ]
    objects.delete(conn, VM, "orphan", cascade="orphan")
    assert objects.get(conn, VM, "orphan")["metadata"]["finalizers"] == ["orphan"]
    with pytest.raises(InputError, match="--cascade: expected background, foreground or orphan"):
        objects.delete(conn, VM, "x", cascade="sideways")


def test_delete_dry_run_keeps_the_object(conn: Connection) -> None:
    objects.apply(conn, vm("keep"))
    objects.delete(conn, VM, "keep", dry_run=True)
    assert objects.exists(conn, VM, "keep")


def test_wait_deleted_follows_finalizers(conn: Connection, namespace: str, kubectl: Any) -> None:
    held = vm("held")
    held["metadata"]["finalizers"] = ["vmctl.test/hold"]
    objects.apply(conn, held)
    objects.delete(conn, VM, "held")
    with pytest.raises(objects.WaitTimeout, match='timed out after 1 s waiting for VirtualMachine "held"'):
        objects.wait_deleted(conn, VM, "held", timeout=1)

    def release() -> None:
        time.sleep(0.5)
        kubectl(
            "patch",
            "vm",
            "held",
            "-n",
            namespace,
            "--type",
            "merge",
            "-p",
            '{"metadata":{"finalizers":null}}',
        )

    t = threading.Thread(target=release)
    t.start()
    start = time.monotonic()
    objects.wait_deleted(conn, VM, "held", timeout=30)
    t.join()
    assert time.monotonic() - start < 10


def test_wait_for_a_status_change_through_a_watch(apiserver: Any, conn: Connection, namespace: str) -> None:
    objects.apply(conn, vm("w"))

    def controller() -> None:  # plays virt-controller: writes the status subresource
        time.sleep(0.5)
        apiserver.admin.request(
            "PATCH",
            f"/apis/kubevirt.io/v1/namespaces/{namespace}/virtualmachines/w/status",
            {"status": {"printableStatus": "Running"}},
            content_type="application/merge-patch+json",
        )

    t = threading.Thread(target=controller)
    t.start()
    obj = objects.wait_for(
        conn,
        VM,
        "w",
        lambda o: (o or {}).get("status", {}).get("printableStatus") == "Running",
        timeout=30,
        describe="run",
    )
    t.join()
    assert obj is not None and obj["status"]["printableStatus"] == "Running"


def test_watch_yields_events(conn: Connection, namespace: str) -> None:
    listed = conn.request("GET", VM.path(namespace))[1]
    rv = listed["metadata"]["resourceVersion"]
    objects.apply(conn, vm("e1"))
    objects.delete(conn, VM, "e1")
    events = []
    for kind, obj in objects.watch(conn, VM, name="e1", resource_version=rv, timeout_seconds=2):
        if kind != "BOOKMARK":
            events.append((kind, obj["metadata"]["name"]))
        if kind == "DELETED":
            break
    assert events == [("ADDED", "e1"), ("DELETED", "e1")]
    assert list(objects.list_objects(conn, VM)) == []  # leaving a watch early leaves the connection usable


def test_apply_all_stops_at_the_refused_document_and_says_what_was_not_sent(
    conn: Connection, namespace: str, kubectl: Any
) -> None:
    bad_pool = {
        "apiVersion": "pool.kubevirt.io/v1beta1",
        "kind": "VirtualMachinePool",
        "metadata": {"name": "web"},
        "spec": {"replicas": -1, "selector": {}, "virtualMachineTemplate": {}},
    }
    report = objects.apply_all(conn, [vm("first"), bad_pool, vm("third")])
    assert [a.obj["metadata"]["name"] for a in report.applied] == ["first"]
    assert report.failed is not None and report.failed[0] == 1
    assert [i for i, _ in report.not_sent] == [2]
    lines = report.lines()
    assert lines[0] == "virtualmachine.kubevirt.io/first created"
    assert lines[1] == (
        "virtualmachinepool.pool.kubevirt.io/web not applied (document 2): invalid (422): "
        'VirtualMachinePool.pool.kubevirt.io "web" is invalid'
    )
    assert lines[2].startswith("  spec.replicas: Invalid value: -1")
    assert (
        lines[-1] == "virtualmachine.kubevirt.io/third not applied (document 3): not sent after the failure"
    )
    names = kubectl("get", "vm", "-n", namespace, "-o", "name").stdout.split()
    assert names == ["virtualmachine.kubevirt.io/first"]


def test_an_api_the_server_lacks_is_named(conn: Connection, namespace: str, apiserver: Any) -> None:
    from vmctl.backends.cluster.resources import Resource

    missing = Resource("cdi.kubevirt.io", "v1beta1", "datavolumes", "DataVolume")
    with pytest.raises(NotFoundError) as exc:
        objects.get(conn, missing, "disk")
    assert exc.value.message == (
        f'the API server at {apiserver.url} does not serve DataVolume "disk" in namespace "{namespace}" (404)'
    )
    assert exc.value.hint == "is KubeVirt (or the add-on that serves this API) installed on this cluster?"
