"""Object verbs against the API server: server-side apply, get, paginated list, delete, watch and wait.

Every function takes a ``Connection`` and plain dicts; errors arrive as vmctl errors (``errors.py``).
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from vmctl.backends.base import NOT_SENT, check_cascade, not_applied, ref_name
from vmctl.backends.cluster import errors
from vmctl.backends.cluster.connection import APPLY_PATCH, MERGE_PATCH, Connection
from vmctl.backends.cluster.resources import Resource, for_object
from vmctl.errors import InputError, NotFoundError, VmctlError

FIELD_MANAGER = "vmctl"
DEFAULT_CHUNK_SIZE = 500  # kubectl's --chunk-size default
PROPAGATION = {"background": "Background", "foreground": "Foreground", "orphan": "Orphan"}

Obj = dict[str, Any]


class WaitTimeout(VmctlError):
    """A ``--wait`` ran out of time."""


@dataclass(frozen=True)
class Applied:
    """The object as the server stored it, and whether the apply created it."""

    obj: Obj
    created: bool

    @property
    def action(self) -> str:
        return "created" if self.created else "configured"


def namespace_for(conn: Connection, res: Resource, namespace: str | None) -> str | None:
    """The namespace a request about one object uses: ``namespace``, else the connection's; None if
    cluster-scoped."""
    return (namespace or conn.namespace) if res.namespaced else None


def target_namespace(
    conn: Connection, res: Resource, obj_namespace: str | None, namespace: str | None
) -> str | None:
    """kubectl's rule: the object's namespace, else ``-n``, else the context's; a clash is an error."""
    if not res.namespaced:
        return None
    if obj_namespace and namespace and obj_namespace != namespace:
        raise InputError(
            f'the namespace from the provided object "{obj_namespace}" does not match '
            f'the namespace "{namespace}"',
            hint=f"pass -n {obj_namespace} or remove metadata.namespace from the object",
        )
    return obj_namespace or namespace or conn.namespace


def apply(
    conn: Connection,
    obj: Obj,
    *,
    namespace: str | None = None,
    force: bool = False,
    dry_run: bool | str = False,
    field_manager: str = FIELD_MANAGER,
) -> Applied:
    """Server-side apply one object (PATCH ``application/apply-patch+yaml``); ``force`` takes over
    conflicts (``force=true``). ``dry_run`` is kubectl's ``--dry-run``: True or "server" sends ``dryRun=All``
    (the server judges everything and stores nothing); "client" sends nothing: a GET says whether the object
    would be created or configured; False or "none" applies."""
    mode = dry_run_mode(dry_run)
    res = for_object(conn, obj)
    meta = obj.get("metadata") if isinstance(obj.get("metadata"), dict) else {}
    name = meta.get("name")
    if not isinstance(name, str) or not name:
        raise InputError(f"{res.kind}: metadata.name is required to apply")
    ns = target_namespace(conn, res, meta.get("namespace"), namespace)
    body = copy.deepcopy(obj)
    body.setdefault("metadata", {})
    if ns is None:
        body["metadata"].pop("namespace", None)
    else:
        body["metadata"]["namespace"] = ns
    if mode == "client":
        return Applied(body, not exists(conn, res, name, ns))
    query = {
        "fieldManager": field_manager,
        "force": True if force else None,
        "dryRun": "All" if mode == "server" else None,
    }
    status, stored = conn.request(
        "PATCH",
        res.path(ns, name),
        query=query,
        body=body,
        content_type=APPLY_PATCH,
        what=res.describe(name, ns),
    )
    return Applied(stored if isinstance(stored, dict) else body, status == 201)


DRY_RUN_MODES = ("none", "client", "server")


def dry_run_mode(dry_run: bool | str) -> str:
    """``--dry-run``'s value as one of none, client, server (True means server, False none)."""
    if isinstance(dry_run, bool):
        return "server" if dry_run else "none"
    if dry_run not in DRY_RUN_MODES:
        raise InputError(f'invalid dry-run value ({dry_run}): must be "none", "server", or "client"')
    return dry_run


@dataclass
class ApplyReport:
    """What ``apply_all`` did: the objects applied (in order), the one the server refused, those never
    sent."""

    applied: list[Applied]
    failed: tuple[int, Obj, VmctlError] | None = None  # (0-based index, object, error)
    not_sent: list[tuple[int, Obj]] = field(default_factory=list)

    def lines(self) -> list[str]:
        """One line per document: ``NAME created|configured``, the refusal (then its causes, one per line),
        ``NAME not applied (document N): not sent after the failure``."""
        out = [f"{ref(a.obj)} {a.action}" for a in self.applied]
        if self.failed is not None:
            index, obj, err = self.failed
            if isinstance(err, errors.TimedOut):  # sent, but no answer came
                out.append(f"{ref(obj)} not known to be applied (document {index + 1}): {err.message}")
            else:
                out.append(not_applied(index, obj, err.message))
            out += err.detail_lines()  # the 422 causes, one per line
            out += [not_applied(i, o, NOT_SENT) for i, o in self.not_sent]
        return out


ref = ref_name  # ``kind.group/name``, as kubectl's ``-o name``


def apply_all(conn: Connection, objs: list[Obj], **options: Any) -> ApplyReport:
    """Server-side apply documents in order; stop at the first the server refuses and say what was not sent.

    ``options`` are ``apply``'s (namespace, force, dry_run, field_manager). Client-side validation happens
    before this is called: here only the server can refuse.
    """
    report = ApplyReport([])
    for index, obj in enumerate(objs):
        try:
            report.applied.append(apply(conn, obj, **options))
        except VmctlError as exc:
            report.failed = (index, obj, exc)
            report.not_sent = list(enumerate(objs))[index + 1 :]
            break
    return report


def get(conn: Connection, res: Resource, name: str, namespace: str | None = None) -> Obj:
    """One object; ``NotFoundError`` when it does not exist."""
    ns = namespace_for(conn, res, namespace)
    _, obj = conn.request("GET", res.path(ns, name), what=res.describe(name, ns))
    return obj


def list_objects(
    conn: Connection,
    res: Resource,
    namespace: str | None = None,
    *,
    all_namespaces: bool = False,
    label_selector: str | None = None,
    field_selector: str | None = None,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
) -> Iterator[Obj]:
    """Yield every matching object, fetched ``chunk_size`` at a time (``limit``/``continue``): bounded
    memory."""
    ns = None if all_namespaces or not res.namespaced else (namespace or conn.namespace)
    token: str | None = None
    while True:
        query = {
            "limit": chunk_size if chunk_size > 0 else None,
            "continue": token,
            "labelSelector": label_selector,
            "fieldSelector": field_selector,
        }
        _, page = conn.request("GET", res.path(ns), query=query, what=res.describe(namespace=ns) + " list")
        items = page.get("items") or []
        for item in items:
            item.setdefault("apiVersion", res.api_version)
            item.setdefault("kind", res.kind)
            yield item
        del items
        token = (page.get("metadata") or {}).get("continue") or None
        if not token:
            return


def delete(
    conn: Connection,
    res: Resource,
    name: str,
    namespace: str | None = None,
    *,
    cascade: str = "background",
    grace_period: int | None = None,
    dry_run: bool = False,
) -> Obj | None:
    """Delete one object with a propagation policy (kubectl's ``--cascade=background|foreground|orphan``)."""
    check_cascade(cascade)
    policy = PROPAGATION[cascade]
    ns = namespace_for(conn, res, namespace)
    body: Obj = {"kind": "DeleteOptions", "apiVersion": "v1", "propagationPolicy": policy}
    if grace_period is not None:
        body["gracePeriodSeconds"] = grace_period
    if dry_run:
        body["dryRun"] = ["All"]
    _, answer = conn.request("DELETE", res.path(ns, name), body=body, what=res.describe(name, ns))
    return answer if isinstance(answer, dict) else None


def merge_patch(
    conn: Connection,
    res: Resource,
    name: str,
    patch: Obj,
    namespace: str | None = None,
    *,
    subresource: str | None = None,
    dry_run: bool = False,
) -> Obj:
    """A JSON merge patch (RFC 7386) of one object or subresource; returns what the server stored."""
    ns = namespace_for(conn, res, namespace)
    _, obj = conn.request(
        "PATCH",
        res.path(ns, name, subresource),
        body=patch,
        content_type=MERGE_PATCH,
        query={"dryRun": "All" if dry_run else None},
        what=res.describe(name, ns),
    )
    return obj


def watch(
    conn: Connection,
    res: Resource,
    namespace: str | None = None,
    *,
    name: str | None = None,
    resource_version: str | None = None,
    label_selector: str | None = None,
    timeout_seconds: int | None = None,
) -> Iterator[tuple[str, Obj]]:
    """Yield (``ADDED``|``MODIFIED``|``DELETED``|``BOOKMARK``, object) until the server ends the watch."""
    ns = namespace_for(conn, res, namespace)
    query = {
        "watch": True,
        "resourceVersion": resource_version,
        "fieldSelector": f"metadata.name={name}" if name else None,
        "labelSelector": label_selector,
        "timeoutSeconds": timeout_seconds,
        "allowWatchBookmarks": True,
    }
    read_timeout = None if timeout_seconds is None else timeout_seconds + 10
    for event in conn.stream(res.path(ns), query=query, what=res.describe(name, ns), timeout=read_timeout):
        kind = str(event.get("type", ""))
        obj = event.get("object") or {}
        if kind == "ERROR":
            code = int(obj.get("code") or 500)
            raise errors.from_response(code, _json(obj), conn.context_for("GET", res.describe(name, ns)))
        yield kind, obj


def wait_for(
    conn: Connection,
    res: Resource,
    name: str,
    condition: Callable[[Obj | None], bool],
    *,
    namespace: str | None = None,
    timeout: float = 300,
    describe: str = "reach the wanted state",
    clock: Callable[[], float] = time.monotonic,
) -> Obj | None:
    """Watch one object until ``condition(obj)`` holds (``obj`` is None once it is gone); return that object.

    Starts from a list (for a consistent resourceVersion), then watches from there; an expired watch (410)
    starts over. Raises ``WaitTimeout`` after ``timeout`` seconds.
    """
    ns = namespace_for(conn, res, namespace)
    deadline = clock() + timeout
    what = res.describe(name, ns)
    while True:
        _, page = conn.request(
            "GET", res.path(ns), query={"fieldSelector": f"metadata.name={name}"}, what=what
        )
        items = page.get("items") or []
        current: Obj | None = items[0] if items else None
        if condition(current):
            return current
        rv = (page.get("metadata") or {}).get("resourceVersion")
        remaining = deadline - clock()
        if remaining <= 0:
            break
        try:
            for kind, obj in watch(
                conn, res, ns, name=name, resource_version=rv, timeout_seconds=max(1, int(remaining + 0.999))
            ):
                if kind == "BOOKMARK":
                    continue
                current = None if kind == "DELETED" else obj
                if condition(current):
                    return current
                if clock() >= deadline:
                    break
        except errors.ClusterError as exc:
            if exc.status != 410:
                raise
            continue  # the server dropped our position: list again
        if clock() >= deadline:
            break
    raise WaitTimeout(f"timed out after {timeout:g} s waiting for {what} to {describe}")


def wait_deleted(
    conn: Connection, res: Resource, name: str, *, namespace: str | None = None, timeout: float = 300
) -> None:
    """Block until the object is gone (finalizers done)."""
    wait_for(
        conn, res, name, lambda obj: obj is None, namespace=namespace, timeout=timeout, describe="be deleted"
    )


def exists(conn: Connection, res: Resource, name: str, namespace: str | None = None) -> bool:
    try:
        get(conn, res, name, namespace)
    except NotFoundError:
        return False
    return True


def _json(obj: Any) -> str:
    import json

    return json.dumps(obj)
