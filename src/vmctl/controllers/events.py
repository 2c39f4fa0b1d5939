"""KubeVirt's events for the pool and replica set planners' actions, word for word (``pool.go``,
``replicaset.go``): what ``vmctl describe`` shows once an executor has applied an action (or failed to)."""

from __future__ import annotations

from dataclasses import dataclass

from vmctl.controllers.pool import (
    CreateVM,
    DeleteVM,
    Failure,
    FinalizeVM,
    PoolAction,
    RelabelVMI,
    RestartVMI,
    UpdateVM,
)
from vmctl.controllers.replicaset import CreateVMI, DeleteVMI, ReplicaSetAction

NORMAL, WARNING = "Normal", "Warning"


@dataclass(frozen=True)
class Event:
    type: str  # Normal or Warning
    reason: str
    message: str


def pool_event(action: PoolAction, namespace: str, uid: str = "") -> Event | None:
    """The event KubeVirt records when ``action`` succeeded (``uid``: the deleted VM's)."""
    if isinstance(action, CreateVM):
        return Event(NORMAL, "SuccessfulCreate", f"Created VM {namespace}/{action.vm['metadata']['name']}")
    if isinstance(action, UpdateVM):
        return Event(NORMAL, "SuccessfulUpdate", f"Updated VM {namespace}/{action.vm['metadata']['name']}")
    if isinstance(action, (RestartVMI, RelabelVMI)) or (isinstance(action, DeleteVM) and action.foreground):
        return Event(NORMAL, "SuccessfulDelete", f"Successfully updated resource {namespace}/{action.name}")
    if isinstance(action, DeleteVM):
        return Event(
            NORMAL, "SuccessfulDelete", f"Deleted VM {namespace}/{action.name} with uid {uid} from pool"
        )
    return None


def pool_failure_event(action: PoolAction, namespace: str, error: str) -> Event | None:
    """The warning KubeVirt records when ``action`` failed (its ``Error updating virtual machine`` text puts
    the name before the namespace: kept)."""
    if isinstance(action, CreateVM):
        return Event(WARNING, "FailedCreate", f"Error creating VM: {error}")
    if isinstance(action, UpdateVM):
        name = action.vm["metadata"]["name"]
        return Event(WARNING, "FailedUpdate", f"Error updating virtual machine {name}/{namespace}: {error}")
    if isinstance(action, (RestartVMI, RelabelVMI)) or (isinstance(action, DeleteVM) and action.foreground):
        return Event(WARNING, "FailedUpdate", f"Error updating resource {namespace}/{action.name}: {error}")
    if isinstance(action, DeleteVM):
        return Event(
            WARNING, "FailedDelete", f"Error deleting virtual machine {namespace}/{action.name}: {error}"
        )
    if isinstance(action, FinalizeVM):
        return Event(
            WARNING, "FailedUpdate", f"Error removing finalizer for VM {namespace}/{action.name}: {error}"
        )
    return None


def sync_failure_event(failure: Failure) -> Event:
    """The warning that goes with a new ReplicaFailure condition."""
    return Event(WARNING, failure.reason, failure.message)


def pool_paused_event(paused: bool) -> Event:
    """When ``spec.paused`` flipped (the ReplicaPaused condition was added or removed)."""
    if paused:
        return Event(NORMAL, "SuccessfulPaused", "Pool is paused")
    return Event(NORMAL, "SuccessfulResume", "Pool is unpaused")


def replicaset_event(action: ReplicaSetAction, uid: str = "") -> Event | None:
    """The event KubeVirt records when ``action`` succeeded (``uid``: the deleted VMI's)."""
    if isinstance(action, CreateVMI):
        name = action.vmi["metadata"]["name"]
        return Event(
            NORMAL,
            "SuccessfulCreate",
            f"Started the virtual machine by creating the new virtual machine instance {name}",
        )
    if isinstance(action, DeleteVMI) and action.finished:
        return Event(NORMAL, "SuccessfulDelete", f"Deleted finished virtual machine: {uid}")
    if isinstance(action, DeleteVMI):
        return Event(
            NORMAL,
            "SuccessfulDelete",
            f"Stopped the virtual machine by deleting the virtual machine instance {uid}",
        )
    return None


def replicaset_failure_event(action: ReplicaSetAction, error: str) -> Event | None:
    if isinstance(action, CreateVMI):
        return Event(WARNING, "FailedCreate", f"Error creating virtual machine instance: {error}")
    if isinstance(action, DeleteVMI) and action.finished:
        return Event(
            WARNING, "FailedDelete", f"Error deleting finished virtual machine {action.name}: {error}"
        )
    if isinstance(action, DeleteVMI):
        return Event(
            WARNING, "FailedDelete", f"Error deleting virtual machine instance {action.name}: {error}"
        )
    return None


def replicaset_paused_event(paused: bool) -> Event:
    return (
        Event(NORMAL, "SuccessfulPaused", "Paused")
        if paused
        else Event(NORMAL, "SuccessfulResumed", "Resumed")
    )
