"""virtctl's lifecycle requests: ``PUT`` to KubeVirt's ``subresources.kubevirt.io/v1`` API (virt-api).

Bodies are what virtctl sends — its Go option structs marshalled to JSON, so unset fields are omitted:
``start`` ``StartOptions`` (``{}``, ``{"paused":true}``, ``{"dryRun":["All"]}``); ``stop`` ``StopOptions``
(``gracePeriod`` only with ``--force``); ``restart`` ``RestartOptions`` (``gracePeriodSeconds`` only with
``--force``); VMI ``pause``/``unpause`` ``PauseOptions``/``UnpauseOptions``; ``softreboot`` and ``reset`` have
no body. virt-api answers 202 (VM verbs) or 200 (VMI verbs) with no body; refusals are ``Status`` objects,
which ``errors.py`` turns into one line (409 "VM is already running" and the like, quoted).
"""

from __future__ import annotations

from typing import Any

from vmctl.backends.cluster.connection import Connection, path_segment
from vmctl.errors import UsageError

GROUP_VERSION = "subresources.kubevirt.io/v1"
DRY_RUN_ALL = ["All"]


def subresource_path(namespace: str, plural: str, name: str, verb: str) -> str:
    return f"/apis/{GROUP_VERSION}/namespaces/{path_segment(namespace)}/{plural}/{path_segment(name)}/{verb}"


def start_body(*, paused: bool = False, dry_run: bool = False) -> dict[str, Any]:
    body: dict[str, Any] = {}
    if paused:
        body["paused"] = True
    if dry_run:
        body["dryRun"] = DRY_RUN_ALL
    return body


def stop_body(
    *, grace_period: int | None = None, force: bool = False, dry_run: bool = False
) -> dict[str, Any]:
    """virtctl: ``--force`` and ``--grace-period`` go together; only then is ``gracePeriod`` sent."""
    return _forced("gracePeriod", grace_period, force, dry_run)


def restart_body(
    *, grace_period: int | None = None, force: bool = False, dry_run: bool = False
) -> dict[str, Any]:
    """As ``stop``; the server accepts only 0 (``For force restart, only gracePeriod=0 is supported for
    now``)."""
    return _forced("gracePeriodSeconds", grace_period, force, dry_run)


def _forced(key: str, grace_period: int | None, force: bool, dry_run: bool) -> dict[str, Any]:
    if force != (grace_period is not None and grace_period >= 0):
        raise UsageError("Must both use --force=true and set --grace-period.")
    body: dict[str, Any] = {key: grace_period} if force else {}
    if dry_run:
        body["dryRun"] = DRY_RUN_ALL
    return body


def dry_run_body(dry_run: bool) -> dict[str, Any]:
    """``PauseOptions`` / ``UnpauseOptions``."""
    return {"dryRun": DRY_RUN_ALL} if dry_run else {}


def _put(
    conn: Connection, vm: bool, name: str, verb: str, namespace: str | None, body: dict[str, Any] | None
) -> int:
    """PUT one verb of a VM (``vm``) or VMI; the HTTP status (202 for VM verbs, 200 for VMI verbs)."""
    ns = namespace or conn.namespace
    plural, kind = (
        ("virtualmachines", "VirtualMachine") if vm else ("virtualmachineinstances", "VirtualMachineInstance")
    )
    status, _ = conn.request(
        "PUT", subresource_path(ns, plural, name, verb), body=body, expect_body=False,
        what=f'{kind} "{name}" in namespace "{ns}" ({verb})',
    )  # fmt: skip
    return status


def start(conn: Connection, name: str, namespace: str | None = None, *, paused: bool = False,
          dry_run: bool = False) -> int:  # fmt: skip
    return _put(conn, True, name, "start", namespace, start_body(paused=paused, dry_run=dry_run))


def stop(conn: Connection, name: str, namespace: str | None = None, *, grace_period: int | None = None,
         force: bool = False, dry_run: bool = False) -> int:  # fmt: skip
    body = stop_body(grace_period=grace_period, force=force, dry_run=dry_run)
    return _put(conn, True, name, "stop", namespace, body)


def restart(conn: Connection, name: str, namespace: str | None = None, *, grace_period: int | None = None,
            force: bool = False, dry_run: bool = False) -> int:  # fmt: skip
    body = restart_body(grace_period=grace_period, force=force, dry_run=dry_run)
    return _put(conn, True, name, "restart", namespace, body)


def pause(conn: Connection, name: str, namespace: str | None = None, *, dry_run: bool = False) -> int:
    """Pause the VMI ``name`` (``pause vm X`` pauses the VMI named X, as virtctl)."""
    return _put(conn, False, name, "pause", namespace, dry_run_body(dry_run))


def unpause(conn: Connection, name: str, namespace: str | None = None, *, dry_run: bool = False) -> int:
    return _put(conn, False, name, "unpause", namespace, dry_run_body(dry_run))


def soft_reboot(conn: Connection, name: str, namespace: str | None = None) -> int:
    return _put(conn, False, name, "softreboot", namespace, None)


def reset(conn: Connection, name: str, namespace: str | None = None) -> int:
    return _put(conn, False, name, "reset", namespace, None)
