"""The VMI replica set planner against KubeVirt's replica set controller; tests named after the upstream ones
(``pkg/virt-controller/watch/replicaset/replicaset_test.go``) use its ``defaultReplicaSet`` fixture."""

from __future__ import annotations

import random
import re
from datetime import UTC, datetime

import pytest

from vmctl.controllers.replicaset import AdoptVMI, CreateVMI, DeleteVMI, ReleaseVMI, plan_replicaset
from vmctl.core import replicasets

NOW = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
OWNER = {
    "apiVersion": "kubevirt.io/v1",
    "kind": "VirtualMachineInstanceReplicaSet",
    "name": "rs",
    "uid": "rs",
    "controller": True,
    "blockOwnerDeletion": True,
}


def default_rs(replicas: int | None = 3, **spec) -> dict:
    """``defaultReplicaSet``: template ``testvmi`` labelled ``test: test``, selector on that label."""
    body = {
        "apiVersion": "kubevirt.io/v1",
        "kind": "VirtualMachineInstanceReplicaSet",
        "metadata": {"name": "rs", "namespace": "default", "uid": "rs"},
        "spec": {
            "selector": {"matchLabels": {"test": "test"}},
            "template": {
                "metadata": {"name": "testvmi", "labels": {"test": "test"}},
                "spec": {"domain": {"devices": {}}},
            },
            **spec,
        },
    }
    if replicas is not None:
        body["spec"]["replicas"] = replicas
    return body


def vmi(name: str, *, owned: bool = True, phase: str = "Running", ready: bool = True, **meta) -> dict:
    return {
        "kind": "VirtualMachineInstance",
        "metadata": {
            "name": name,
            "namespace": "default",
            "labels": {"test": "test"},
            **({"ownerReferences": [OWNER]} if owned else {}),
            **meta,
        },
        "status": {"phase": phase, "conditions": [{"type": "Ready", "status": "True" if ready else "False"}]},
    }


def plan(rs, vmis=(), seed=1, **kw):
    return plan_replicaset(rs, list(vmis), NOW, random.Random(seed), **kw)


def of(p, kind):
    return [a for a in p.actions if isinstance(a, kind)]


def test_should_create_missing_vmis():
    created = of(plan(default_rs(3)), CreateVMI)
    assert len(created) == 3
    for action in created:
        meta = action.vmi["metadata"]
        # generateName is the template name as it is: no dash before the API server's 5 random characters
        assert meta["generateName"] == "testvmi"
        assert re.fullmatch(r"testvmi[bcdfghjklmnpqrstvwxz2456789]{5}", meta["name"])
        assert meta["labels"] == {"test": "test"} and meta["ownerReferences"] == [OWNER]
        assert action.vmi["spec"] == {"domain": {"devices": {}}}
    assert len({a.vmi["metadata"]["name"] for a in created}) == 3


@pytest.mark.parametrize(
    ("template_meta", "base"),
    [
        ({"name": "web"}, "web"),
        ({"generateName": "web-"}, "web-"),
        ({}, "rs"),
    ],
)
def test_vmi_base_name_is_template_name_then_generate_name_then_replica_set_name(template_meta, base):
    rs = default_rs(1)
    rs["spec"]["template"]["metadata"] = {**template_meta, "labels": {"test": "test"}}
    name = of(plan(rs), CreateVMI)[0].vmi["metadata"]["name"]
    assert name.startswith(base) and len(name) == len(base) + 5


def test_generated_names_avoid_taken_names():
    taken = {"xbbbbb"}
    name = replicasets.generate_name("x", random.Random(0), taken)
    assert name not in taken and len(name) == 6
    assert len(replicasets.generate_name("a" * 80, random.Random(0))) == 63


def test_should_not_create_missing_vmis_when_it_is_paused_and_add_paused_condition():
    p = plan(default_rs(3, paused=True))
    assert not p.actions
    (cond,) = p.status["conditions"]
    assert (cond["type"], cond["status"], cond["reason"], cond["message"]) == (
        "ReplicaPaused",
        "True",
        "Paused",
        "Controller got paused",
    )


def test_should_create_missing_vmis_when_it_gets_unpaused():
    rs = default_rs(3)
    rs["status"] = {"conditions": [{"type": "ReplicaPaused", "status": "True"}]}
    p = plan(rs)
    assert len(of(p, CreateVMI)) == 3 and "conditions" not in p.status


def test_should_create_missing_vmis_in_batches_of_a_maximum_of_10_vmis_at_once():
    assert len(of(plan(default_rs(15), burst_replicas=10), CreateVMI)) == 10


def test_should_already_create_replacement_vmis_once_it_discovers_that_a_vmi_is_marked_for_deletion():
    vmis = [vmi(f"testvmi{x}") for x in range(3)]
    vmis += [vmi(f"testvmi{x}", deletionTimestamp="2026-01-02T03:00:00Z") for x in range(3, 6)]
    assert len(of(plan(default_rs(10), vmis), CreateVMI)) == 7


def test_should_delete_missing_vmis_in_batches_of_a_maximum_of_10_vmis_at_once():
    vmis = [vmi(f"testvmi{x}") for x in range(15)]
    assert of(plan(default_rs(0), vmis, burst_replicas=10), DeleteVMI) == [
        DeleteVMI(f"testvmi{x}") for x in range(10)
    ]


def test_scale_in_takes_vmis_from_the_front_of_the_list():
    vmis = [vmi("c"), vmi("a"), vmi("b")]
    assert of(plan(default_rs(1), vmis), DeleteVMI) == [DeleteVMI("c"), DeleteVMI("a")]


def test_should_not_delete_vmis_which_are_already_marked_deleted():
    vmis = [vmi(f"testvmi{x}", deletionTimestamp="2026-01-02T03:00:00Z") for x in range(5)]
    vmis += [vmi(f"testvmi{x}") for x in range(5, 10)]
    assert of(plan(default_rs(0), vmis), DeleteVMI) == [DeleteVMI(f"testvmi{x}") for x in range(5, 10)]


def test_should_ignore_non_matching_vmis():
    stranger = vmi("other", owned=False)
    stranger["metadata"]["labels"] = {"madeup": "value"}
    p = plan(default_rs(3), [stranger])
    assert len(of(p, CreateVMI)) == 3 and not of(p, AdoptVMI)


def test_should_detect_that_a_virtualmachineinstance_already_exists_and_adopt_it():
    p = plan(default_rs(1), [vmi("orphan", owned=False)])
    assert p.actions == [AdoptVMI("orphan")] and p.status["replicas"] == 1


def test_vmi_owned_by_another_controller_is_left_alone():
    other = vmi("theirs", owned=False, ownerReferences=[{**OWNER, "uid": "someone-else"}])
    p = plan(default_rs(1), [other])
    assert not of(p, AdoptVMI) and len(of(p, CreateVMI)) == 1


def test_owned_vmi_that_stopped_matching_is_released():
    moved = vmi("moved")
    moved["metadata"]["labels"] = {"test": "other"}
    p = plan(default_rs(0), [moved])
    assert p.actions == [ReleaseVMI("moved")]


def test_should_detect_that_it_has_nothing_to_do():
    p = plan(default_rs(1), [vmi("testvmi")])
    assert not p.actions
    assert p.status == {"labelSelector": "test=test", "replicas": 1, "readyReplicas": 1}


@pytest.mark.parametrize("phase", ["Failed", "Succeeded"])
def test_should_delete_virtualmachineinstance_in_the_final_state(phase):
    p = plan(default_rs(1), [vmi("testvmi", phase=phase)])
    assert DeleteVMI("testvmi", finished=True) in p.actions and len(of(p, CreateVMI)) == 1
    assert (p.status["replicas"], p.status["readyReplicas"]) == (0, 0)


def test_should_delete_virtualmachineinstance_in_unknown_state():
    terminating = vmi("testvmi")
    terminating["status"]["conditions"] = [{"type": "Ready", "status": "False", "reason": "PodTerminating"}]
    p = plan(default_rs(1), [terminating])
    assert DeleteVMI("testvmi", finished=True) in p.actions and len(of(p, CreateVMI)) == 1


def test_should_be_woken_by_a_not_ready_but_running_vmi_and_update_the_ready_replicas_counter():
    p = plan(default_rs(2), [vmi("a"), vmi("b", ready=False)])
    assert (p.status["replicas"], p.status["readyReplicas"]) == (2, 1)


@pytest.mark.parametrize(("replicas", "reason"), [(3, "FailedCreate"), (0, "FailedDelete")])
def test_should_add_a_fail_condition_if_scaling_fails(replicas, reason):
    p = plan(default_rs(replicas), [vmi("testvmi")])
    (cond,) = p.status_after_failure("failure", NOW)["conditions"]
    assert (cond["type"], cond["reason"], cond["message"], cond["status"]) == (
        "ReplicaFailure",
        reason,
        "failure",
        "True",
    )


def test_should_update_the_replica_count_and_remove_the_failed_condition():
    rs = default_rs(1)
    rs["status"] = {"conditions": [{"type": "ReplicaFailure", "status": "True", "reason": "FailedCreate"}]}
    assert "conditions" not in plan(rs, [vmi("testvmi")]).status


def test_selector_that_does_not_match_the_template_plans_nothing():
    rs = default_rs(2)
    rs["spec"]["selector"] = {"matchLabels": {"other": "x"}}
    p = plan(rs)
    assert not p.actions and p.problem == "selector does not match template labels"
