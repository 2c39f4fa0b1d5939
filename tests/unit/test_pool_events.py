"""KubeVirt's event texts for applied (or failed) pool and replica set actions."""

from __future__ import annotations

from vmctl.controllers import events as ev
from vmctl.controllers.pool import CreateVM, DeleteVM, Failure, RestartVMI, UpdateVM
from vmctl.controllers.replicaset import CreateVMI, DeleteVMI


def test_pool_events_follow_kubevirt():
    vm = {"metadata": {"name": "web-0"}}
    assert ev.pool_event(CreateVM(vm), "dev") == ev.Event(
        "Normal", "SuccessfulCreate", "Created VM dev/web-0"
    )
    assert ev.pool_event(UpdateVM(vm), "dev").message == "Updated VM dev/web-0"
    assert (
        ev.pool_event(DeleteVM("web-1"), "dev", "u1").message == "Deleted VM dev/web-1 with uid u1 from pool"
    )
    assert ev.pool_event(RestartVMI("web-2"), "dev") == ev.Event(
        "Normal", "SuccessfulDelete", "Successfully updated resource dev/web-2"
    )
    # KubeVirt's own order: name before namespace in this one text
    assert (
        ev.pool_failure_event(UpdateVM(vm), "dev", "boom").message
        == "Error updating virtual machine web-0/dev: boom"
    )
    assert ev.pool_failure_event(CreateVM(vm), "dev", "boom") == ev.Event(
        "Warning", "FailedCreate", "Error creating VM: boom"
    )
    assert ev.pool_paused_event(True).message == "Pool is paused"
    assert ev.pool_paused_event(False).reason == "SuccessfulResume"
    assert ev.sync_failure_event(Failure("FailedScaleOut", "x")) == ev.Event("Warning", "FailedScaleOut", "x")


def test_replicaset_events_follow_kubevirt():
    create = CreateVMI({"metadata": {"name": "rsabcde"}})
    assert ev.replicaset_event(create).message == (
        "Started the virtual machine by creating the new virtual machine instance rsabcde"
    )
    assert ev.replicaset_event(DeleteVMI("a"), "uid-a").message == (
        "Stopped the virtual machine by deleting the virtual machine instance uid-a"
    )
    assert (
        ev.replicaset_event(DeleteVMI("a", finished=True), "uid-a").message
        == "Deleted finished virtual machine: uid-a"
    )
    assert (
        ev.replicaset_failure_event(DeleteVMI("a"), "x").message
        == "Error deleting virtual machine instance a: x"
    )
    assert ev.replicaset_paused_event(False) == ev.Event("Normal", "SuccessfulResumed", "Resumed")
