"""Reading and writing the status KubeVirt's controllers keep: VMI phases, conditions, state-change requests,
timestamps. Pure helpers shared by the planners."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from vmctl.core.fields import dig

Obj = dict[str, Any]

PENDING, SCHEDULING, SCHEDULED, RUNNING, SUCCEEDED, FAILED = (
    "Pending", "Scheduling", "Scheduled", "Running", "Succeeded", "Failed",
)
FINAL_PHASES = (SUCCEEDED, FAILED)
DEFAULT_GRACE_SECONDS = 30  # KubeVirt DefaultGracePeriodSeconds


def timestamp(now: datetime) -> str:
    """RFC 3339 in UTC with second precision, as the API server writes ``metav1.Time``."""
    return now.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_timestamp(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    except ValueError:
        return None


def phase(vmi: Obj | None) -> str:
    return str(dig(vmi, "status", "phase", default="") or "")


def is_final(vmi: Obj | None) -> bool:
    return phase(vmi) in FINAL_PHASES


def uid(obj: Obj | None) -> str | None:
    return dig(obj, "metadata", "uid")


def marked_for_deletion(obj: Obj | None) -> bool:
    return bool(dig(obj, "metadata", "deletionTimestamp"))


def grace_seconds(vmi: Obj | None) -> int:
    """The VMI's ``terminationGracePeriodSeconds``, KubeVirt's default when unset."""
    grace = dig(vmi, "spec", "terminationGracePeriodSeconds")
    return int(grace) if isinstance(grace, int) and grace >= 0 else DEFAULT_GRACE_SECONDS


def condition(obj: Obj | None, ctype: str) -> Obj | None:
    for cond in dig(obj, "status", "conditions", default=[]) or []:
        if isinstance(cond, dict) and cond.get("type") == ctype:
            return cond
    return None


def has_condition_true(obj: Obj | None, ctype: str) -> bool:
    cond = condition(obj, ctype)
    return cond is not None and cond.get("status") == "True"


def new_condition(ctype: str, status: str, now: datetime, reason: str = "", message: str = "") -> Obj:
    out: Obj = {"type": ctype, "status": status, "lastProbeTime": None, "lastTransitionTime": timestamp(now)}
    if reason:
        out["reason"] = reason
    if message:
        out["message"] = message
    return out


def set_condition(conds: list[Obj], new: Obj) -> None:
    """Add or replace a condition, keeping lastTransitionTime when its status did not change."""
    for i, cond in enumerate(conds):
        if cond.get("type") == new["type"]:
            if cond.get("status") == new["status"] and cond.get("lastTransitionTime"):
                new["lastTransitionTime"] = cond["lastTransitionTime"]
            conds[i] = new
            return
    conds.append(new)


def state_change_requests(vm: Obj) -> list[Obj]:
    return list(dig(vm, "status", "stateChangeRequests", default=[]) or [])


def has_start_request(vm: Obj) -> bool:
    reqs = state_change_requests(vm)
    return bool(reqs) and reqs[0].get("action") == "Start"


def has_start_paused_request(vm: Obj) -> bool:
    reqs = state_change_requests(vm)
    return bool(reqs) and reqs[0].get("action") == "Start" and (reqs[0].get("data") or {}).get("paused") == "true"


def has_stop_request_for(vm: Obj, vmi: Obj | None) -> bool:
    reqs = state_change_requests(vm)
    return bool(reqs) and vmi is not None and reqs[0].get("action") == "Stop" and reqs[0].get("uid") == uid(vmi)
