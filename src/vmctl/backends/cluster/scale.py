"""Scaling and rollout pause of VirtualMachinePools and VMI ReplicaSets, exactly as kubectl does it.

- ``scale`` without preconditions: a merge patch ``{"spec":{"replicas":N}}`` of the ``scale`` subresource
  (kubectl's ``ScaleSimple``);
- with ``current_replicas`` and/or ``resource_version``: GET the ``autoscaling/v1`` Scale, check, PUT it back
  with its resourceVersion, so a concurrent change answers 409 (one clear line);
- ``set_paused``: a merge patch of ``spec.paused`` (VirtualMachinePool has no pause subresource).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from vmctl.backends.cluster import errors
from vmctl.backends.cluster.connection import JSON, Connection
from vmctl.backends.cluster.objects import merge_patch, namespace_for, wait_for
from vmctl.backends.cluster.resources import Resource
from vmctl.errors import InputError, VmctlError

Obj = dict[str, Any]


class PreconditionFailed(VmctlError):
    """``--current-replicas`` / ``--resource-version`` did not match what the server has."""


def get_scale(conn: Connection, res: Resource, name: str, namespace: str | None = None) -> Obj:
    """The object's ``autoscaling/v1`` Scale (``spec.replicas``, ``status.replicas``, ``status.selector``)."""
    ns = namespace_for(conn, res, namespace)
    _, scale_obj = conn.request("GET", res.path(ns, name, "scale"), what=res.describe(name, ns))
    return scale_obj


def scale(
    conn: Connection,
    res: Resource,
    name: str,
    replicas: int,
    namespace: str | None = None,
    *,
    current_replicas: int | None = None,
    resource_version: str | None = None,
    dry_run: bool = False,
) -> Obj:
    """Set ``spec.replicas`` through the scale subresource; returns the Scale the server stored."""
    if replicas < 0:
        raise InputError(f"--replicas: expected a number >= 0, got {replicas}")
    ns = namespace_for(conn, res, namespace)
    what = res.describe(name, ns)
    if current_replicas is None and resource_version is None:
        return merge_patch(
            conn, res, name, {"spec": {"replicas": replicas}}, ns, subresource="scale", dry_run=dry_run
        )
    current = get_scale(conn, res, name, ns)
    have = (current.get("spec") or {}).get("replicas", 0)
    if current_replicas is not None and have != current_replicas:
        # kubectl's words (and the local backend's)
        raise PreconditionFailed(f"Expected replicas to be {current_replicas}, was {have}")
    have_rv = (current.get("metadata") or {}).get("resourceVersion")
    if resource_version is not None and have_rv != resource_version:
        raise PreconditionFailed(f"Expected resourceVersion to be {resource_version}, was {have_rv}")
    current.setdefault("spec", {})["replicas"] = replicas
    try:
        _, stored = conn.request(
            "PUT",
            res.path(ns, name, "scale"),
            body=current,
            content_type=JSON,
            query={"dryRun": "All" if dry_run else None},
            what=what,
        )
    except errors.Conflict as exc:
        raise errors.Conflict(
            f"{what} changed while scaling (409): nothing was changed",
            status=409,
            reason=exc.reason,
            hint="check its replicas and run the command again",
        ) from None
    return stored


def wait_scaled(
    conn: Connection,
    res: Resource,
    name: str,
    namespace: str | None = None,
    *,
    timeout: float = 300,
    clock: Callable[[], float] = time.monotonic,
) -> Obj | None:
    """Block until ``status.replicas`` equals ``spec.replicas`` (what ``kubectl scale --timeout`` waits
    for)."""

    def done(obj: Obj | None) -> bool:
        if obj is None:
            raise errors.ClusterNotFound(
                f"{res.describe(name, namespace_for(conn, res, namespace))} was deleted while waiting"
            )
        return (obj.get("status") or {}).get("replicas", 0) == (obj.get("spec") or {}).get("replicas", 0)

    return wait_for(
        conn,
        res,
        name,
        done,
        namespace=namespace,
        timeout=timeout,
        describe="reach its replicas",
        clock=clock,
    )


def set_paused(
    conn: Connection,
    res: Resource,
    name: str,
    paused: bool,
    namespace: str | None = None,
    *,
    dry_run: bool = False,
) -> Obj:
    """Pause or resume rollouts: merge patch ``{"spec":{"paused":true|false}}``."""
    return merge_patch(
        conn, res, name, {"spec": {"paused": paused}}, namespace_for(conn, res, namespace), dry_run=dry_run
    )
