"""Scale subresource and rollout pause of pools and replica sets, as kubectl does them, on the real server."""

from __future__ import annotations

import json
import threading
import time
from typing import Any

import pytest
import yaml

from vmctl.backends.cluster import errors, objects, scale
from vmctl.backends.cluster.connection import Connection, connect
from vmctl.backends.cluster.resources import lookup
from vmctl.errors import ObjectRejected

pytestmark = pytest.mark.cluster

POOL = lookup("vmpool")
VMIRS = lookup("vmirs")


def pool(name: str, replicas: int = 1) -> dict[str, Any]:
    return {
        "apiVersion": "pool.kubevirt.io/v1beta1",
        "kind": "VirtualMachinePool",
        "metadata": {"name": name},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"pool": name}},
            "virtualMachineTemplate": {
                "metadata": {"labels": {"pool": name}},
                "spec": {"runStrategy": "Halted", "template": {"spec": {}}},
            },
        },
    }


def spec_replicas(kubectl: Any, kind: str, name: str, namespace: str) -> int:
    out = kubectl("get", kind, name, "-n", namespace, "-o", "json").stdout
    return int(json.loads(out)["spec"]["replicas"])


def test_scale_is_a_merge_patch_of_the_scale_subresource(
    conn: Connection, namespace: str, kubectl: Any
) -> None:
    kubectl("create", "--validate=false", "-n", namespace, "-f", "-", stdin=yaml.safe_dump(pool("web")))
    sent: list[tuple[str, str, str]] = []
    real = conn.request

    def spy(method: str, path: str, **kw: Any) -> Any:
        sent.append((method, path, kw.get("content_type", "")))
        return real(method, path, **kw)

    conn.request = spy  # type: ignore[method-assign]
    stored = scale.scale(conn, POOL, "web", 3)
    assert sent == [
        (
            "PATCH",
            f"/apis/pool.kubevirt.io/v1beta1/namespaces/{namespace}/virtualmachinepools/web/scale",
            "application/merge-patch+json",
        )
    ]
    assert stored["kind"] == "Scale" and stored["apiVersion"] == "autoscaling/v1"
    assert stored["spec"]["replicas"] == 3
    assert spec_replicas(kubectl, "vmpool", "web", namespace) == 3


def test_scale_matches_kubectl_scale(conn: Connection, namespace: str, kubectl: Any, apiserver: Any) -> None:
    kubectl("create", "--validate=false", "-n", namespace, "-f", "-", stdin=yaml.safe_dump(pool("web", 2)))
    kubectl("scale", "vmpool/web", "--replicas=4", "-n", namespace)
    apiserver.admin.request(
        "PATCH",
        f"/apis/pool.kubevirt.io/v1beta1/namespaces/{namespace}/virtualmachinepools/web/status",
        {"status": {"replicas": 4, "labelSelector": "pool=web"}},
        content_type="application/merge-patch+json",
    )
    got = scale.get_scale(conn, POOL, "web")
    assert got["spec"]["replicas"] == 4
    assert got["status"] == {"replicas": 4, "selector": "pool=web"}


def test_preconditions_get_then_put(conn: Connection, namespace: str, kubectl: Any) -> None:
    kubectl("create", "--validate=false", "-n", namespace, "-f", "-", stdin=yaml.safe_dump(pool("web", 2)))
    with pytest.raises(scale.PreconditionFailed) as exc:
        scale.scale(conn, POOL, "web", 5, current_replicas=3)
    assert exc.value.message == "Expected replicas to be 3, was 2"  # kubectl's words
    assert spec_replicas(kubectl, "vmpool", "web", namespace) == 2
    stored = scale.scale(conn, POOL, "web", 5, current_replicas=2)
    assert stored["spec"]["replicas"] == 5
    with pytest.raises(scale.PreconditionFailed, match="Expected resourceVersion to be 1, was "):
        scale.scale(conn, POOL, "web", 6, resource_version="1")


def test_concurrent_change_is_409_in_one_line(conn: Connection, namespace: str, kubectl: Any) -> None:
    kubectl("create", "--validate=false", "-n", namespace, "-f", "-", stdin=yaml.safe_dump(pool("web", 2)))
    real = conn.request

    def racing(method: str, path: str, **kw: Any) -> Any:
        answer = real(method, path, **kw)
        if method == "GET" and path.endswith("/scale"):  # someone else scales between our GET and PUT
            kubectl("scale", "vmpool/web", "--replicas=7", "-n", namespace)
        return answer

    conn.request = racing  # type: ignore[method-assign]
    with pytest.raises(errors.Conflict) as exc:
        scale.scale(conn, POOL, "web", 3, current_replicas=2)
    assert exc.value.message == (
        f'VirtualMachinePool "web" in namespace "{namespace}" changed while scaling (409): '
        "nothing was changed"
    )
    assert spec_replicas(kubectl, "vmpool", "web", namespace) == 7


def test_negative_replicas_are_the_servers_422(conn: Connection, namespace: str, kubectl: Any) -> None:
    kubectl("create", "--validate=false", "-n", namespace, "-f", "-", stdin=yaml.safe_dump(pool("web")))
    with pytest.raises(ObjectRejected) as exc:
        objects.merge_patch(conn, POOL, "web", {"spec": {"replicas": -1}})
    lines = [exc.value.message, *exc.value.detail_lines()]
    assert lines[0] == 'invalid (422): VirtualMachinePool.pool.kubevirt.io "web" is invalid'
    assert lines[1].startswith(
        "  spec.replicas: Invalid value: -1: spec.replicas in body should be greater than or equal to 0"
    )
    assert (
        lines[2] == "  .spec.replicas: Invalid value: -1: should be a non-negative integer"
    )  # the scale path's check
    assert [c.field for c in exc.value.causes] == ["spec.replicas", ".spec.replicas"]


def test_a_422_shows_one_cause_per_line(cli: Any, namespace: str) -> None:
    """What the user sees: the error line, then each of the server's causes on its own line."""
    bad = cli.tmp / "bad.yaml"
    doc = pool("web", replicas=-1)
    doc["spec"]["virtualMachineTemplate"]["spec"]["template"]["spec"] = {
        "domain": {"devices": {}, "memory": {"guest": "128Mi"}}
    }
    bad.write_text(yaml.safe_dump(doc))
    code, out, err = cli("apply", "-f", str(bad))
    assert code == 1 and out == ""
    lines = err.splitlines()
    assert lines[0].startswith("error: ") and lines[0].endswith(" is invalid") and "\\n" not in err
    assert lines[1].startswith("  spec.replicas: Invalid value: -1: ")


def test_replica_sets_scale_too(conn: Connection, namespace: str, kubectl: Any) -> None:
    rs = {
        "apiVersion": "kubevirt.io/v1",
        "kind": "VirtualMachineInstanceReplicaSet",
        "metadata": {"name": "rs"},
        "spec": {
            "replicas": 1,
            "selector": {"matchLabels": {"rs": "rs"}},
            "template": {"metadata": {"labels": {"rs": "rs"}}, "spec": {"domain": {"devices": {}}}},
        },
    }
    objects.apply(conn, rs)
    scale.scale(conn, VMIRS, "rs", 0)
    assert spec_replicas(kubectl, "vmirs", "rs", namespace) == 0


def test_wait_scaled_follows_status(apiserver: Any, conn: Connection, namespace: str) -> None:
    objects.apply(conn, pool("web", 2))

    def controller() -> None:
        time.sleep(0.5)
        apiserver.admin.request(
            "PATCH",
            f"/apis/pool.kubevirt.io/v1beta1/namespaces/{namespace}/virtualmachinepools/web/status",
            {"status": {"replicas": 2}},
            content_type="application/merge-patch+json",
        )

    t = threading.Thread(target=controller)
    t.start()
    obj = scale.wait_scaled(conn, POOL, "web", timeout=30)
    t.join()
    assert obj is not None and obj["status"]["replicas"] == 2


def test_rollout_pause_and_resume(conn: Connection, namespace: str, kubectl: Any) -> None:
    objects.apply(conn, pool("web"))
    assert scale.set_paused(conn, POOL, "web", True)["spec"]["paused"] is True
    out = kubectl("get", "vmpool", "web", "-n", namespace, "-o", "jsonpath={.spec.paused}").stdout
    assert out == "true"
    scale.set_paused(conn, POOL, "web", False)
    assert objects.get(conn, POOL, "web")["spec"]["paused"] is False


def test_rbac_user_may_get_but_not_scale(apiserver: Any, namespace: str, kubectl: Any) -> None:
    kubectl("create", "--validate=false", "-n", namespace, "-f", "-", stdin=yaml.safe_dump(pool("web")))
    apiserver.admin.grant(
        namespace,
        "viewer",
        [
            {
                "apiGroups": ["pool.kubevirt.io"],
                "resources": ["virtualmachinepools"],
                "verbs": ["get", "list", "watch"],
            },
        ],
    )
    with connect(apiserver.kubeconfig, "viewer", namespace, environ={}) as viewer:
        assert objects.get(viewer, POOL, "web")["metadata"]["name"] == "web"
        with pytest.raises(errors.Forbidden) as exc:
            scale.scale(viewer, POOL, "web", 3)
    assert exc.value.message == (
        'forbidden (403): virtualmachinepools.pool.kubevirt.io "web" is forbidden: '
        'User "viewer" cannot patch '
        f'resource "virtualmachinepools/scale" in API group "pool.kubevirt.io" in the namespace "{namespace}"'
    )
    assert spec_replicas(kubectl, "vmpool", "web", namespace) == 1
