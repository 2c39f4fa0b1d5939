"""The events about one object, as ``kubectl describe`` shows them (core/v1 Events, oldest first)."""

from __future__ import annotations

from typing import Any

from vmctl.backends.cluster.connection import Connection
from vmctl.backends.cluster.objects import list_objects
from vmctl.backends.cluster.resources import Resource

EVENTS = Resource("", "v1", "events", "Event", True)


def events_for(conn: Connection, obj: dict[str, Any], *, limit: int = 500) -> list[dict[str, Any]]:
    """Events whose ``involvedObject`` is ``obj`` (matched by name, namespace, kind and uid), oldest first."""
    meta = obj.get("metadata") or {}
    selector = [f"involvedObject.name={meta.get('name', '')}", f"involvedObject.kind={obj.get('kind', '')}"]
    namespace = meta.get("namespace")
    if namespace:
        selector.append(f"involvedObject.namespace={namespace}")
    if meta.get("uid"):
        selector.append(f"involvedObject.uid={meta['uid']}")
    found = list(
        list_objects(
            conn, EVENTS, namespace or conn.namespace, field_selector=",".join(selector), chunk_size=limit
        )
    )
    return sorted(found, key=_when)


def _when(event: dict[str, Any]) -> str:
    return str(
        event.get("lastTimestamp")
        or event.get("eventTime")
        or (event.get("metadata") or {}).get("creationTimestamp")
        or ""
    )
