"""Events about one object, found the way kubectl describe finds them."""

from __future__ import annotations

from typing import Any

import pytest

from vmctl.backends.cluster import objects
from vmctl.backends.cluster.connection import Connection
from vmctl.backends.cluster.events import events_for

pytestmark = pytest.mark.cluster


def event(name: str, about: dict[str, Any], reason: str, when: str) -> dict[str, Any]:
    meta = about["metadata"]
    return {
        "apiVersion": "v1",
        "kind": "Event",
        "metadata": {"name": name},
        "involvedObject": {
            "apiVersion": about["apiVersion"],
            "kind": about["kind"],
            "name": meta["name"],
            "namespace": meta["namespace"],
            "uid": meta["uid"],
        },
        "reason": reason,
        "message": f"{reason} happened",
        "type": "Normal",
        "firstTimestamp": when,
        "lastTimestamp": when,
        "count": 1,
        "source": {"component": "test"},
    }


def test_events_of_one_object_oldest_first(apiserver: Any, conn: Connection, namespace: str) -> None:
    web = objects.apply(
        conn,
        {
            "apiVersion": "kubevirt.io/v1",
            "kind": "VirtualMachine",
            "metadata": {"name": "web"},
            "spec": {"runStrategy": "Halted"},
        },
    ).obj
    other = objects.apply(
        conn,
        {
            "apiVersion": "kubevirt.io/v1",
            "kind": "VirtualMachine",
            "metadata": {"name": "other"},
            "spec": {"runStrategy": "Halted"},
        },
    ).obj
    base = f"/api/v1/namespaces/{namespace}/events"
    apiserver.admin.create(base, event("e2", web, "Started", "2026-12-07T10:00:02Z"))
    apiserver.admin.create(base, event("e1", web, "Created", "2026-12-07T10:00:01Z"))
    apiserver.admin.create(base, event("e3", other, "Created", "2026-12-07T10:00:00Z"))
    assert [e["reason"] for e in events_for(conn, web)] == ["Created", "Started"]
    assert [e["reason"] for e in events_for(conn, other)] == ["Created"]
