"""Rollout views and verbs of pools and replica sets (controllers/rollout.py), and JSON merge patches."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from vmctl.controllers import rollout
from vmctl.core.fields import merge_diff, merge_patch

POOL = {"apiVersion": "pool.kubevirt.io/v1beta1", "kind": "VirtualMachinePool",
        "metadata": {"name": "web", "namespace": "default", "uid": "pool-uid", "generation": 3},
        "spec": {"replicas": 3, "virtualMachineTemplate": {"metadata": {"labels": {"app": "web"}},
                                                            "spec": {"runStrategy": "Always"}}}}


def vm(index: int, revision: str, ready: bool, owner: str = "pool-uid") -> dict:
    return {"kind": "VirtualMachine",
            "metadata": {"name": f"web-{index}", "labels": {rollout.REVISION_LABEL: revision},
                         "ownerReferences": [{"kind": "VirtualMachinePool", "name": "web", "uid": owner,
                                              "controller": True}]},
            "status": {"ready": ready}}


def revision(number: int, template: dict, owner: str = "pool-uid") -> dict:
    return {"apiVersion": "apps/v1", "kind": "ControllerRevision", "revision": number,
            "metadata": {"name": f"web-{number}", "ownerReferences": [
                {"kind": "VirtualMachinePool", "name": "web", "uid": owner, "controller": True}]},
            "data": {"virtualMachineTemplate": template, "replicas": 3}}


def test_status_counts_updated_ready_and_available_members() -> None:
    state = rollout.rollout_status(POOL, [vm(10, "web-3", True), vm(0, "web-2", True), vm(1, "web-3", False)])
    assert [m.name for m in state.members] == ["web-0", "web-1", "web-10"]  # by index, not as text
    assert (state.desired, state.current, state.updated, state.ready, state.available) == (3, 3, 2, 2, 1)
    assert not state.complete
    assert state.line("VirtualMachinePool", "web") == (
        'Waiting for virtualmachinepool "web" rollout to finish: 2 out of 3 new replicas have been updated...')
    done = rollout.rollout_status(POOL, [vm(i, "web-3", True) for i in range(3)])
    assert done.complete and done.line("VirtualMachinePool", "web") == 'virtualmachinepool "web" successfully rolled out'


def test_status_of_extra_and_paused_members() -> None:
    extra = rollout.rollout_status(POOL, [vm(i, "web-3", True) for i in range(4)])
    assert not extra.complete and "1 old replicas are pending termination" in extra.line("VirtualMachinePool", "web")
    paused = rollout.rollout_status({**POOL, "spec": {**POOL["spec"], "paused": True}}, [vm(0, "web-2", True)])
    assert paused.paused and "it is paused (0 of 3 updated replicas)" in paused.line("VirtualMachinePool", "web")


def test_pause_resume_and_restart_patches() -> None:
    with pytest.raises(rollout.RolloutRefused, match='^virtualmachinepools.pool.kubevirt.io "web" is not paused$'):
        rollout.resume_patch(POOL, 'virtualmachinepools.pool.kubevirt.io "web"')
    assert rollout.pause_patch(POOL, "x") == {"spec": {"paused": True}}
    paused = merge_patch(POOL, {"spec": {"paused": True}})
    assert rollout.resume_patch(paused, "x") == {"spec": {"paused": None}}
    assert "paused" not in merge_patch(paused, {"spec": {"paused": None}})["spec"]
    patch = rollout.restart_patch(POOL, datetime(2026, 12, 7, 10, 0, tzinfo=UTC))
    restarted = merge_patch(POOL, patch)
    assert restarted["spec"]["virtualMachineTemplate"]["spec"] == {
        "runStrategy": "Always", "template": {"metadata": {"annotations": {rollout.RESTARTED_AT: "2026-12-07T10:00:00Z"}}}}
    with pytest.raises(rollout.RolloutRefused, match="only supported for VirtualMachinePools"):
        rollout.restart_patch({"kind": "VirtualMachineInstanceReplicaSet"}, datetime.now(UTC))


def test_history_and_undo() -> None:
    old = {"metadata": {"labels": {"app": "web"}}, "spec": {"runStrategy": "Manual"}}
    history = rollout.revisions(POOL, [revision(3, POOL["spec"]["virtualMachineTemplate"]), revision(1, old),
                                       revision(2, old, owner="other-pool")])
    assert [r.number for r in history] == [1, 3]
    assert rollout.changed_paths(history[0].template, history[1].template) == ["spec.runStrategy"]
    patch, target = rollout.undo_patch(POOL, history, None)
    assert target.number == 1 and patch == {"spec": {"virtualMachineTemplate": {"spec": {"runStrategy": "Manual"}}}}
    assert merge_patch(POOL, patch)["spec"]["virtualMachineTemplate"] == old
    with pytest.raises(rollout.RolloutRefused, match="^skipped rollback"):
        rollout.undo_patch(POOL, history, 3)
    with pytest.raises(rollout.RolloutRefused, match="^unable to find the specified revision 7$"):
        rollout.undo_patch(POOL, history, 7)


def test_merge_patch_follows_rfc_7386() -> None:
    assert merge_patch({"a": "b"}, {"a": "c"}) == {"a": "c"}
    assert merge_patch({"a": "b"}, {"b": "c"}) == {"a": "b", "b": "c"}
    assert merge_patch({"a": "b"}, {"a": None}) == {}
    assert merge_patch({"a": [{"b": "c"}]}, {"a": [1]}) == {"a": [1]}
    assert merge_patch({"e": None}, {"a": 1}) == {"e": None, "a": 1}
    assert merge_patch({}, {"a": {"bb": {"ccc": None}}}) == {"a": {"bb": {}}}


def test_merge_diff_is_the_inverse_of_merge_patch() -> None:
    old = {"a": 1, "b": {"c": 2, "d": [1]}, "e": "x"}
    new = {"a": 1, "b": {"c": 3}, "f": {"g": True}}
    assert merge_diff(old, new) == {"e": None, "b": {"c": 3, "d": None}, "f": {"g": True}}
    assert merge_patch(old, merge_diff(old, new)) == new
