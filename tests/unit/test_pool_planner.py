"""The VirtualMachinePool planner against KubeVirt's pool controller rules; tests named after the upstream
ones (``pkg/virt-controller/watch/pool/pool_test.go``) use its fixtures and expected values."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from vmctl.controllers import pool as pc
from vmctl.controllers.pool import (
    AddPoolFinalizer,
    CreateRevision,
    CreateVM,
    DeleteRevision,
    DeleteVM,
    FinalizeVM,
    RelabelVMI,
    ReleaseVM,
    RemovePoolFinalizer,
    RestartVMI,
    UpdateVM,
    plan_pool,
)
from vmctl.core import pools
from vmctl.core.fields import clone
from vmctl.core.pools import FINALIZER, REVISION_LABEL

NOW = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
POOL_UID = "pool-uid"


def default_pool(replicas: int | None = 3, **spec) -> dict:
    """``DefaultPool``: a pool ``my-pool`` whose template labels are ``selector: value``."""
    body = {
        "apiVersion": "pool.kubevirt.io/v1beta1",
        "kind": "VirtualMachinePool",
        "metadata": {
            "name": "my-pool",
            "namespace": "default",
            "uid": POOL_UID,
            "generation": 1,
            "finalizers": [FINALIZER],
        },
        "spec": {
            "selector": {"matchLabels": {"selector": "value"}},
            "virtualMachineTemplate": {
                "metadata": {"labels": {"selector": "value"}},
                "spec": {
                    "runStrategy": "Always",
                    "template": {
                        "spec": {
                            "domain": {"devices": {"interfaces": [{"name": "default", "masquerade": {}}]}},
                            "networks": [{"name": "default", "pod": {}}],
                        }
                    },
                },
            },
            **spec,
        },
    }
    if replicas is not None:
        body["spec"]["replicas"] = replicas
    return body


def changed(pool: dict, generation: int, edit) -> dict:
    """A copy of the pool at ``generation`` whose spec ``edit`` changed."""
    out = clone(pool)
    out["metadata"]["generation"] = generation
    edit(out["spec"])
    return out


def with_template_label(pool: dict, generation: int, **labels) -> dict:
    """The pool after a VMI-template change (``pool.Generation = 123`` and a new template label)."""

    def edit(spec: dict) -> None:
        spec["virtualMachineTemplate"]["spec"]["template"]["metadata"] = {"labels": dict(labels)}

    return changed(pool, generation, edit)


def revision(pool: dict) -> dict:
    """``createPoolRevision``."""
    return pools.revision_object(pool)


def members(
    pool: dict, count: int, vm_rev: dict, vmi_rev: dict, *, ready: bool = True, start: int = 0
) -> tuple[list[dict], list[dict]]:
    """``createVMsWithOrdinal``: VMs built from ``vm_rev``'s spec, Ready, each with a Running Ready VMI
    labelled with ``vmi_rev``; firmware uuid/serial ``test-uuid-<i>`` / ``test-serial-<i>``."""
    spec_pool = {**pool, "spec": vm_rev["data"]}
    vms, vmis = [], []
    for i in range(start, start + count):
        vm = pools.member_vm(spec_pool, i, pools.name_of(vm_rev))
        vm["metadata"]["uid"] = f"vm-uid-{i}"
        vm["metadata"]["creationTimestamp"] = (NOW - timedelta(hours=1) + timedelta(seconds=i)).strftime(
            "%Y-%m-%dT%H:%M:%SZ"
        )
        template_spec = dict(vm["spec"]["template"]["spec"])
        template_spec["domain"] = {
            **template_spec.get("domain", {}),
            "firmware": {"uuid": f"test-uuid-{i}", "serial": f"test-serial-{i}"},
        }
        vm["spec"]["template"] = {**vm["spec"]["template"], "spec": template_spec}
        vm["status"] = {"conditions": [{"type": "Ready", "status": "True" if ready else "False"}]}
        vms.append(vm)
        labels = {
            **vm["spec"]["template"].get("metadata", {}).get("labels", {}),
            REVISION_LABEL: pools.name_of(vmi_rev),
        }
        vmis.append(
            {
                "kind": "VirtualMachineInstance",
                "metadata": {"name": vm["metadata"]["name"], "namespace": "default", "labels": labels},
                "spec": template_spec,
                "status": {"phase": "Running", "conditions": [{"type": "Ready", "status": "True"}]},
            }
        )
    return vms, vmis


def mid_rollout(pool: dict, count: int, generation: int = 123) -> tuple[dict, list, list, list]:
    """``count`` members after a VMI-template change: VMs on the new revision, VMIs still on the old one;
    returns the changed pool, the VMs, the VMIs and both revisions."""
    old = revision(pool)
    pool = with_template_label(pool, generation, newkey="newval")
    new = revision(pool)
    vms, vmis = members(pool, count, new, old)
    return pool, vms, vmis, [old, new]


def plan(pool, vms=(), vmis=(), revisions=(), seed=1, **kw) -> pc.PoolPlan:
    return plan_pool(pool, list(vms), list(vmis), list(revisions), NOW, random.Random(seed), **kw)


def of(p: pc.PoolPlan, kind: type) -> list:
    return [a for a in p.actions if isinstance(a, kind)]


# --- naming ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("existing", "count", "expected"),
    [
        (["my-pool-1", "my-pool-3"], 3, ["my-pool-0", "my-pool-2", "my-pool-4"]),  # should fill in name gaps
        (["my-pool-0", "my-pool-1", "my-pool-2"], 2, ["my-pool-3", "my-pool-4"]),  # should append to end
    ],
)
def test_calculate_new_vm_names_on_scale_out(existing, count, expected):
    assert pools.new_member_names(count, "my-pool", set(existing)) == expected


def test_should_create_missing_vms():
    pool = default_pool(3)
    p = plan(pool)
    created = of(p, CreateVM)
    assert [a.vm["metadata"]["name"] for a in created] == ["my-pool-0", "my-pool-1", "my-pool-2"]
    rev = of(p, CreateRevision)
    assert [pools.name_of(r.revision) for r in rev] == ["my-pool-1"]
    assert rev[0].revision["data"] == pool["spec"] and rev[0].revision["revision"] == 1
    assert p.actions.index(rev[0]) < p.actions.index(created[0])  # the revision exists before its VMs


def test_member_vm_carries_labels_annotations_revision_finalizer_and_owner():
    pool = default_pool(1)
    pool["spec"]["virtualMachineTemplate"]["metadata"]["annotations"] = {"note": "x"}
    vm = of(plan(pool), CreateVM)[0].vm
    meta = vm["metadata"]
    assert meta["labels"] == {"selector": "value", REVISION_LABEL: "my-pool-1"}
    assert meta["annotations"] == {"note": "x"}
    assert vm["spec"]["template"]["metadata"]["labels"] == {REVISION_LABEL: "my-pool-1"}
    assert meta["finalizers"] == [FINALIZER]
    assert meta["ownerReferences"] == [
        {
            "apiVersion": "pool.kubevirt.io/v1beta1",
            "kind": "VirtualMachinePool",
            "name": "my-pool",
            "uid": POOL_UID,
            "controller": True,
            "blockOwnerDeletion": True,
        }
    ]
    assert meta["namespace"] == "default"
    # the pool's own template is untouched (members share sub-trees, never write into them)
    assert "metadata" not in pool["spec"]["virtualMachineTemplate"]["spec"]["template"]


def test_should_create_vms_with_finalizers():
    created = of(plan(default_pool(2)), CreateVM)
    assert all(FINALIZER in a.vm["metadata"]["finalizers"] for a in created) and len(created) == 2


def test_should_create_missing_vms_in_batches_of_a_maximum_of_burst_replicas_vms_at_once():
    assert len(of(plan(default_pool(15), burst_replicas=10), CreateVM)) == 10


def test_data_volume_templates_and_claims_are_suffixed():
    pool = default_pool(1)
    vspec = pool["spec"]["virtualMachineTemplate"]["spec"]
    vspec["dataVolumeTemplates"] = [{"metadata": {"name": "alpine-dv"}, "spec": {"storage": {}}}]
    vspec["template"]["spec"]["volumes"] = [
        {"name": "d1", "dataVolume": {"name": "alpine-dv"}},
        {"name": "d2", "persistentVolumeClaim": {"claimName": "alpine-dv"}},
        {"name": "d3", "persistentVolumeClaim": {"claimName": "other"}},
    ]
    spec = pools.member_vm(pool, 4)["spec"]
    assert spec["dataVolumeTemplates"][0]["metadata"]["name"] == "alpine-dv-4"
    vols = spec["template"]["spec"]["volumes"]
    assert vols[0]["dataVolume"]["name"] == "alpine-dv-4"
    assert vols[1]["persistentVolumeClaim"]["claimName"] == "alpine-dv-4"
    assert vols[2]["persistentVolumeClaim"]["claimName"] == "other"
    assert vspec["dataVolumeTemplates"][0]["metadata"]["name"] == "alpine-dv"  # the pool is untouched


@pytest.mark.parametrize("append", [None, False, True])
def test_should_respect_name_generation_settings(append):
    pool = default_pool(3)
    pool["spec"]["virtualMachineTemplate"]["spec"]["template"]["spec"]["volumes"] = [
        {"name": "configmap", "configMap": {"name": "configmap"}},
        {"name": "secret", "secret": {"secretName": "secret"}},
    ]
    if append is not None:
        pool["spec"]["nameGeneration"] = {
            "appendIndexToConfigMapRefs": append,
            "appendIndexToSecretRefs": append,
        }
    for i, action in enumerate(of(plan(pool), CreateVM)):
        vols = action.vm["spec"]["template"]["spec"]["volumes"]
        suffix = f"-{i}" if append else ""
        assert vols[0]["configMap"]["name"] == f"configmap{suffix}"
        assert vols[1]["secret"]["secretName"] == f"secret{suffix}"


@pytest.mark.parametrize("source", ["cloudInitNoCloud", "cloudInitConfigDrive"])
@pytest.mark.parametrize("append", [None, False, True])
def test_should_respect_name_generation_settings_for_cloudinit_volumes(source, append):
    pool = default_pool(3)
    pool["spec"]["virtualMachineTemplate"]["spec"]["template"]["spec"]["volumes"] = [
        {
            "name": "cloudinitdisk",
            source: {
                "secretRef": {"name": "userdata-secret"},
                "networkDataSecretRef": {"name": "networkdata-secret"},
            },
        }
    ]
    if append is not None:
        pool["spec"]["nameGeneration"] = {"appendIndexToSecretRefs": append}
    for i, action in enumerate(of(plan(pool), CreateVM)):
        vol = action.vm["spec"]["template"]["spec"]["volumes"][0]
        suffix = f"-{i}" if append else ""
        assert vol[source]["secretRef"]["name"] == f"userdata-secret{suffix}"
        assert vol[source]["networkDataSecretRef"]["name"] == f"networkdata-secret{suffix}"


def test_should_ignore_and_skip_the_name_for_non_matching_vms():
    pool = default_pool(3)
    foreign = {"kind": "VirtualMachine", "metadata": {"name": "my-pool-1", "labels": {"madeup": "value"}}}
    names = [a.vm["metadata"]["name"] for a in of(plan(pool, [foreign]), CreateVM)]
    assert names == ["my-pool-0", "my-pool-2", "my-pool-3"]


def test_should_ignore_orphaned_vms_even_when_selector_matches():
    pool = default_pool(3)
    rev = revision(pool)
    vms, vmis = members(pool, 3, rev, rev)
    for vm in vms:
        vm["metadata"]["ownerReferences"] = []
    p = plan(pool, vms, vmis, [rev])
    assert p.status["replicas"] == 0
    assert [a.vm["metadata"]["name"] for a in of(p, CreateVM)] == ["my-pool-3", "my-pool-4", "my-pool-5"]


def test_should_detect_a_vm_is_detached_then_release_and_replace_it():
    pool = default_pool(3)
    rev = revision(pool)
    vms, vmis = members(pool, 3, rev, rev)
    vms[1]["metadata"]["labels"] = {"other": "label"}  # still owned, no longer selected
    p = plan(pool, vms, vmis, [rev])
    assert of(p, ReleaseVM) == [ReleaseVM("my-pool-1")]
    assert [a.vm["metadata"]["name"] for a in of(p, CreateVM)] == ["my-pool-3"]
    assert p.status["replicas"] == 2


def test_pool_finalizer_is_added():
    pool = default_pool(0)
    pool["metadata"]["finalizers"] = []
    assert of(plan(pool), AddPoolFinalizer) == [AddPoolFinalizer()]


# --- scale-in -------------------------------------------------------------------------------------------


def test_should_delete_vms_in_batches_of_a_maximum_of_burst_replicas():
    pool = default_pool(0)
    rev = revision(pool)
    vms, vmis = members(pool, 15, rev, rev)
    p = plan(pool, vms, vmis, [rev], burst_replicas=10)
    assert len(of(p, DeleteVM)) == 10 and p.status["replicas"] == 15


def test_should_not_delete_vms_which_are_already_marked_deleted():
    pool = default_pool(0)
    rev = revision(pool)
    vms, vmis = members(pool, 10, rev, rev)
    for vm in vms[:5]:
        vm["metadata"]["deletionTimestamp"] = "2026-01-02T03:00:00Z"
    p = plan(pool, vms, vmis, [rev])
    deleted = {a.name for a in of(p, DeleteVM)}
    assert deleted == {f"my-pool-{i}" for i in range(5, 10)}
    assert p.status["replicas"] == 10


def test_should_delete_vms_with_highest_ordinals_first_when_using_descending_order_sort_policy():
    pool = default_pool(
        2, scaleInStrategy={"proactive": {"selectionPolicy": {"sortPolicy": "DescendingOrder"}}}
    )
    rev = revision(pool)
    vms, vmis = members(pool, 5, rev, rev)
    p = plan(pool, vms, vmis, [rev])
    assert [a.name for a in of(p, DeleteVM)] == ["my-pool-4", "my-pool-3", "my-pool-2"]
    assert [a.name for a in of(p, FinalizeVM)] == ["my-pool-4", "my-pool-3", "my-pool-2"]


def test_ascending_order_deletes_lowest_ordinals_first():
    pool = default_pool(
        3, scaleInStrategy={"proactive": {"selectionPolicy": {"sortPolicy": "AscendingOrder"}}}
    )
    rev = revision(pool)
    vms, vmis = members(pool, 5, rev, rev)
    assert [a.name for a in of(plan(pool, vms, vmis, [rev]), DeleteVM)] == ["my-pool-0", "my-pool-1"]


@pytest.mark.parametrize(("policy", "expected"), [("Oldest", {0, 1, 2}), ("Newest", {4, 3, 2})])
def test_should_delete_oldest_vms_first_when_using_oldest_sort_for_scale_in_strategy(policy, expected):
    pool = default_pool(2, scaleInStrategy={"proactive": {"selectionPolicy": {"sortPolicy": policy}}})
    rev = revision(pool)
    vms, vmis = members(pool, 5, rev, rev)
    vms.reverse()  # the order of the input does not matter, creationTimestamp does
    assert {int(a.name.rsplit("-", 1)[1]) for a in of(plan(pool, vms, vmis, [rev]), DeleteVM)} == expected


def test_random_scale_in_uses_the_rng_passed_in():
    pool = default_pool(2)
    rev = revision(pool)
    vms, vmis = members(pool, 6, rev, rev)
    first = [a.name for a in of(plan(pool, vms, vmis, [rev], seed=7), DeleteVM)]
    assert first == [a.name for a in of(plan(pool, vms, vmis, [rev], seed=7), DeleteVM)]
    assert len(first) == 4 and len(set(first)) == 4


def test_scale_in_selectors_filter_by_template_labels_and_node_selector():
    selectors = {
        "labelSelector": {"matchLabels": {"tier": "spare"}},
        "nodeSelectorRequirementMatcher": [{"key": "zone", "operator": "In", "values": ["a"]}],
    }
    pool = default_pool(3, scaleInStrategy={"proactive": {"selectionPolicy": {"selectors": selectors}}})
    rev = revision(pool)
    vms, vmis = members(pool, 5, rev, rev)
    for i in (1, 3, 4):
        vms[i]["spec"]["template"]["metadata"]["labels"]["tier"] = "spare"
    for i in (3, 4):
        vms[i]["spec"]["template"]["spec"]["nodeSelector"] = {"zone": "a"}
    assert {a.name for a in of(plan(pool, vms, vmis, [rev]), DeleteVM)} == {"my-pool-3", "my-pool-4"}


@pytest.mark.parametrize("strategy", [{"unmanaged": {}}, {"opportunistic": {}}])
def test_unmanaged_and_opportunistic_scale_in_never_delete(strategy):
    pool = default_pool(1, scaleInStrategy=strategy)
    rev = revision(pool)
    vms, vmis = members(pool, 3, rev, rev)
    assert not of(plan(pool, vms, vmis, [rev]), DeleteVM)


def test_should_do_proactive_scale_in_with_offline_state_preservation():
    pool = default_pool(
        2,
        scaleInStrategy={
            "proactive": {
                "statePreservation": "Offline",
                "selectionPolicy": {"sortPolicy": "DescendingOrder"},
            }
        },
    )
    rev = revision(pool)
    vms, vmis = members(pool, 3, rev, rev)
    p = plan(pool, vms, vmis, [rev])
    assert of(p, DeleteVM) == [DeleteVM("my-pool-2", "Offline")]
    assert of(p, FinalizeVM) == [FinalizeVM("my-pool-2", "Offline")]


def test_online_preserved_member_is_reused_on_scale_out():
    pool = default_pool(3)
    rev = revision(pool)
    vms, vmis = members(pool, 2, rev, rev)
    p = plan(pool, vms, vmis, [rev], preserved={"my-pool-2": "Online"})
    assert [(a.vm["metadata"]["name"], a.reuse) for a in of(p, CreateVM)] == [("my-pool-2", "Online")]


def test_should_remove_finalizer_from_vms_marked_for_deletion_during_opportunistic_scale_in():
    pool = default_pool(2)
    rev = revision(pool)
    vms, vmis = members(pool, 2, rev, rev)
    vms[0]["metadata"]["deletionTimestamp"] = "2026-01-02T03:00:00Z"
    p = plan(pool, vms, vmis, [rev])
    assert of(p, FinalizeVM) == [FinalizeVM("my-pool-0")]
    assert p.status["replicas"] == 2


def test_should_remove_finalizer_from_vms_and_data_volumes_references_marked_for_deletion():
    pool = default_pool(2, scaleInStrategy={"opportunistic": {"statePreservation": "Offline"}})
    rev = revision(pool)
    vms, vmis = members(pool, 2, rev, rev)
    vms[0]["metadata"]["deletionTimestamp"] = "2026-01-02T03:00:00Z"
    assert of(plan(pool, vms, vmis, [rev]), FinalizeVM) == [FinalizeVM("my-pool-0", "Offline")]


# --- updates ---------------------------------------------------------------------------------------------


def test_should_update_vm_when_vm_template_changes_but_not_vmi_unless_vmi_template_changes():
    pool = default_pool(1)
    old = revision(pool)
    pool = {**pool, "metadata": {**pool["metadata"], "generation": 123}}
    vms, vmis = members(pool, 1, old, old)
    p = plan(pool, vms, vmis, [old])
    assert not of(p, RestartVMI) and not of(p, UpdateVM)  # same template: my-pool-1 is still current


def test_should_update_vm_and_vmi_with_both_vm_and_vmi_template_change():
    pool = default_pool(1)
    pool, vms, vmis, revisions = mid_rollout(pool, 1, generation=123)
    assert of(plan(pool, vms, vmis, revisions), RestartVMI) == [RestartVMI("my-pool-0")]


def test_should_update_vms_using_opportunistic_update_strategy():
    pool = default_pool(5, updateStrategy={"opportunistic": {}})
    old = revision(pool)
    vms, vmis = members(pool, 5, old, old)
    pool = with_template_label(pool, 123, newkey="newval")
    p = plan(pool, vms, vmis, [old])
    updated = of(p, UpdateVM)
    assert len(updated) == 5
    assert all(a.vm["spec"]["template"]["metadata"]["labels"]["newkey"] == "newval" for a in updated)
    assert all(a.vm["metadata"]["labels"][REVISION_LABEL] == "my-pool-123" for a in updated)
    assert of(p, CreateRevision) and not of(p, RestartVMI)


def test_should_preserve_vm_firmware_identity_fields_when_updating_a_vm():
    pool = default_pool(1, updateStrategy={"opportunistic": {}})
    old = revision(pool)
    vms, vmis = members(pool, 1, old, old)
    pool = with_template_label(pool, 123, newkey="newval")
    vm = of(plan(pool, vms, vmis, [old]), UpdateVM)[0].vm
    firmware = vm["spec"]["template"]["spec"]["domain"]["firmware"]
    assert firmware == {"uuid": "test-uuid-0", "serial": "test-serial-0"}
    assert vm["metadata"]["uid"] == "vm-uid-0" and vm["status"] == vms[0]["status"]


def test_should_not_update_a_vm_if_the_update_strategy_is_set_to_unmanaged():
    pool = default_pool(1, updateStrategy={"unmanaged": {}})
    old = revision(pool)
    vms, vmis = members(pool, 1, old, old)
    pool = with_template_label(pool, 123, newkey="newval")
    p = plan(pool, vms, vmis, [old, revision(pool)])
    assert not of(p, UpdateVM) and not of(p, RestartVMI)


def test_should_respect_max_unavailable_limit_during_proactive_updates():
    pool = default_pool(4, maxUnavailable="25%")
    pool, vms, vmis, revisions = mid_rollout(pool, 4, generation=123)
    p = plan(pool, vms, vmis, revisions)
    assert len(of(p, RestartVMI)) == 1
    assert p.requeue_after == pc.RETRY_DELAY
    assert not of(p, DeleteRevision)  # the old revision is still in use


def test_should_not_trigger_proactive_update_when_vms_are_not_ready():
    pool = default_pool(4, maxUnavailable="25%")
    pool, vms, vmis, revisions = mid_rollout(pool, 4, generation=123)
    vmis[3]["status"]["conditions"] = [{"type": "Ready", "status": "False"}]
    assert not of(plan(pool, vms, vmis, revisions), RestartVMI)


def test_unhealthy_vms_are_updated_first_outside_the_budget():
    pool = default_pool(4, maxUnavailable=1)
    pool, vms, vmis, revisions = mid_rollout(pool, 4, generation=123)
    vms[2]["status"]["conditions"] = [{"type": "Ready", "status": "False"}]
    vmis[2]["status"]["conditions"] = [{"type": "Ready", "status": "False"}]
    # my-pool-2 is restarted as unhealthy; it also fills the budget of 1
    assert of(plan(pool, vms, vmis, revisions), RestartVMI) == [RestartVMI("my-pool-2")]


@pytest.mark.parametrize(
    ("max_unavailable", "replicas", "expected"),
    [
        (None, 4, 4),
        ("100%", 4, 4),
        ("25%", 4, 1),
        ("50%", 5, 2),
        ("10%", 4, 1),
        (2, 4, 2),
        ("1%", 4, 1),
    ],
)
def test_max_unavailable_forms(max_unavailable, replicas, expected):
    extra = {} if max_unavailable is None else {"maxUnavailable": max_unavailable}
    assert pools.max_unavailable(default_pool(replicas, **extra)) == (expected, None)


def test_invalid_max_unavailable_percentage_is_a_failed_update():
    pool = default_pool(2, maxUnavailable="abc%")
    pool, vms, vmis, revisions = mid_rollout(pool, 2, generation=2)
    cond = plan(pool, vms, vmis, revisions).status["conditions"][0]
    assert cond["type"] == "ReplicaFailure" and cond["reason"] == "FailedUpdate"
    assert cond["message"] == (
        "error during VMI update: invalid maxUnavailable percentage: "
        'strconv.ParseInt: parsing "abc": invalid syntax'
    )


def test_should_update_vmis_using_node_selector_filtering_for_proactive_update_strategy():
    selectors = {
        "nodeSelectorRequirementMatcher": [
            {"key": "node-role.kubernetes.io/worker", "operator": "NotIn", "values": ["test"]}
        ]
    }
    pool = default_pool(5, updateStrategy={"proactive": {"selectionPolicy": {"selectors": selectors}}})
    pool, vms, vmis, revisions = mid_rollout(pool, 5, generation=123)
    for vm in vms[:2]:
        vm["spec"]["template"]["spec"]["nodeSelector"] = {"node-role.kubernetes.io/worker": "test"}
    p = plan(pool, vms, vmis, revisions)
    assert {a.name for a in of(p, RestartVMI)} == {"my-pool-2", "my-pool-3", "my-pool-4"}
    assert not of(p, UpdateVM)


def test_should_update_vmis_and_vms_using_label_selector_filtering_for_proactive_update_strategy():
    selectors = {"labelSelector": {"matchLabels": {"app": "test"}}}
    pool = default_pool(5, updateStrategy={"proactive": {"selectionPolicy": {"selectors": selectors}}})
    pool, vms, vmis, revisions = mid_rollout(pool, 5, generation=123)
    for vm in vms[:2]:
        vm["spec"]["template"]["metadata"]["labels"]["app"] = "test"
    assert {a.name for a in of(plan(pool, vms, vmis, revisions), RestartVMI)} == {"my-pool-0", "my-pool-1"}


def test_should_update_newest_vms_first_when_using_newest_sort_policy_for_update_strategy():
    pool = default_pool(
        5, maxUnavailable=2, updateStrategy={"proactive": {"selectionPolicy": {"sortPolicy": "Newest"}}}
    )
    pool, vms, vmis, revisions = mid_rollout(pool, 5, generation=123)
    assert [a.name for a in of(plan(pool, vms, vmis, revisions), RestartVMI)] == ["my-pool-4", "my-pool-3"]


def test_changed_data_volume_templates_delete_the_vm_in_the_foreground():
    pool = default_pool(1)
    old = revision(pool)

    def add_dvt(spec: dict) -> None:
        spec["virtualMachineTemplate"]["spec"]["dataVolumeTemplates"] = [
            {"metadata": {"name": "dv"}, "spec": {}}
        ]

    pool = changed(pool, 2, add_dvt)
    new = revision(pool)
    vms, vmis = members(pool, 1, new, old)
    assert of(plan(pool, vms, vmis, [old, new]), DeleteVM) == [DeleteVM("my-pool-0", foreground=True)]


def test_same_vmi_template_under_a_new_revision_only_relabels_the_vmi():
    pool = default_pool(1)
    old = revision(pool)

    def annotate_vm(spec: dict) -> None:
        spec["virtualMachineTemplate"]["metadata"]["annotations"] = {"vm-only": "change"}

    pool = changed(pool, 2, annotate_vm)
    new = revision(pool)
    vms, vmis = members(pool, 1, new, old)
    assert of(plan(pool, vms, vmis, [old, new]), RelabelVMI) == [RelabelVMI("my-pool-0", "my-pool-2")]


def test_vmi_without_revision_label_is_restarted():
    pool = default_pool(1)
    rev = revision(pool)
    vms, vmis = members(pool, 1, rev, rev)
    del vmis[0]["metadata"]["labels"][REVISION_LABEL]
    assert of(plan(pool, vms, vmis, [rev]), RestartVMI) == [RestartVMI("my-pool-0")]


def test_should_prune_unused_controller_revisions():
    pool = default_pool(1)
    rev = revision(pool)
    madeup = {**rev, "metadata": {**rev["metadata"], "name": "madeup"}}
    vms, vmis = members(pool, 1, rev, rev)
    assert of(plan(pool, vms, vmis, [rev, madeup]), DeleteRevision) == [DeleteRevision("madeup")]


def test_revisions_of_other_owners_are_never_pruned():
    pool = default_pool(1)
    rev = revision(pool)
    other = {
        **rev,
        "metadata": {"name": "foreign", "ownerReferences": [{"kind": "VirtualMachinePool", "uid": "x"}]},
    }
    vms, vmis = members(pool, 1, rev, rev)
    assert not of(plan(pool, vms, vmis, [rev, other]), DeleteRevision)


# --- paused, deletion, autohealing, status -----------------------------------------------------------------


def test_should_not_create_missing_vms_when_it_is_paused_and_add_paused_condition():
    pool = default_pool(3, paused=True)
    p = plan(pool)
    assert not of(p, CreateVM)
    assert p.status["replicas"] == 0
    (cond,) = p.status["conditions"]
    assert cond["type"] == "ReplicaPaused" and cond["status"] == "True"
    assert cond["reason"] == "SuccessfulPaused" and cond["message"] == "Pool controller is paused"


def test_paused_pool_does_not_roll():
    pool = default_pool(2, paused=True)
    old = revision(pool)
    pool = with_template_label(pool, 123, newkey="newval")
    vms, vmis = members(pool, 2, old, old)
    p = plan(pool, vms, vmis, [old])
    assert not of(p, UpdateVM) and not of(p, RestartVMI) and p.status["readyReplicas"] == 2


def test_should_create_missing_vms_when_pool_is_resumed():
    pool = default_pool(3)
    pool["status"] = {"conditions": [{"type": "ReplicaPaused", "status": "True"}]}
    p = plan(pool)
    assert len(of(p, CreateVM)) == 3
    assert "conditions" not in p.status


def test_should_remove_failed_condition_when_no_reconcile_error_occurs():
    pool = default_pool(0)
    pool["status"] = {"conditions": [{"type": "ReplicaFailure", "status": "True"}]}
    assert "conditions" not in plan(pool).status


def test_should_set_failed_condition_when_reconcile_error_occurs():
    p = plan(default_pool(3))
    failure = p.failure_for(of(p, CreateVM)[0], "error")
    assert failure == pc.Failure("FailedScaleOut", "error during scale out: error")
    (cond,) = p.status_after_failure(failure, NOW)["conditions"]
    assert (
        cond["type"] == "ReplicaFailure" and cond["status"] == "True" and cond["reason"] == "FailedScaleOut"
    )


def test_should_back_off_and_respect_max_unavailable_when_updates_fail():
    pool = default_pool(4, maxUnavailable="25%")
    pool, vms, vmis, revisions = mid_rollout(pool, 4, generation=123)
    p = plan(pool, vms, vmis, revisions)
    (restart,) = of(p, RestartVMI)
    assert p.failure_for(restart, "simulated deletion failure").reason == "FailedUpdate"


def test_status_counts_replicas_ready_and_label_selector():
    pool = default_pool(3)
    pool["spec"]["selector"] = {
        "matchLabels": {"selector": "value"},
        "matchExpressions": [{"key": "a", "operator": "In", "values": ["y", "x"]}],
    }
    pool["spec"]["virtualMachineTemplate"]["metadata"]["labels"]["a"] = "x"
    rev = revision(pool)
    vms, vmis = members(pool, 3, rev, rev)
    vms[1]["status"]["conditions"][0]["status"] = "False"
    status = plan(pool, vms, vmis, [rev]).status
    assert status["replicas"] == 3 and status["readyReplicas"] == 2
    assert status["labelSelector"] == "a in (x,y),selector=value"


def test_selector_that_does_not_match_the_template_plans_nothing():
    pool = default_pool(3)
    pool["spec"]["selector"] = {"matchLabels": {"other": "x"}}
    p = plan(pool)
    assert not p.actions and p.problem == "selector does not match template labels"


def test_should_remove_finalizer_on_vms_when_pool_is_marked_for_deletion():
    pool = default_pool(3)
    pool["metadata"]["deletionTimestamp"] = "2026-01-02T03:00:00Z"
    rev = revision(pool)
    vms, vmis = members(pool, 3, rev, rev)
    for vm in vms:
        vm["metadata"]["ownerReferences"] = []
    p = plan(pool, vms, vmis, [rev])
    assert of(p, FinalizeVM) == [FinalizeVM(f"my-pool-{i}") for i in range(3)]
    assert of(p, RemovePoolFinalizer) == [RemovePoolFinalizer()]
    assert not of(p, CreateVM)


def test_should_delete_controller_revisions_when_pool_is_being_deleted():
    pool = default_pool(1)
    pool["metadata"]["deletionTimestamp"] = "2026-01-02T03:00:00Z"
    rev = revision(pool)
    assert of(plan(pool, [], [], [rev]), DeleteRevision) == [DeleteRevision("my-pool-1")]


def test_should_cleanup_vms_with_autohealing_when_the_threshold_for_consecutive_failures_is_exceeded():
    pool = default_pool(1, autohealing={"startUpFailureThreshold": 3})
    rev = revision(pool)
    vms, vmis = members(pool, 1, rev, rev)
    vms[0]["status"]["startFailure"] = {"consecutiveFailCount": 3}
    p = plan(pool, vms, vmis, [rev])
    assert of(p, DeleteVM) == [DeleteVM("my-pool-0")] and not of(p, CreateVM)


@pytest.mark.parametrize("printable", sorted(pc.AUTOHEAL_STATUSES))
def test_should_cleanup_vms_when_vm_is_in_failing_state_for_too_long(printable):
    pool = default_pool(1, autohealing={})
    rev = revision(pool)
    vms, vmis = members(pool, 1, rev, rev)
    vms[0]["status"] = {
        "printableStatus": printable,
        "conditions": [
            {
                "type": "Ready",
                "status": "False",
                "reason": "TestReason",
                "lastProbeTime": (NOW - timedelta(minutes=6)).strftime("%Y-%m-%dT%H:%M:%SZ"),
            }
        ],
    }
    assert of(plan(pool, vms, vmis, [rev]), DeleteVM) == [DeleteVM("my-pool-0")]


def test_failing_vm_is_kept_until_min_failing_to_start_duration_then_requeued():
    pool = default_pool(1, autohealing={"minFailingToStartDuration": "10m"})
    rev = revision(pool)
    vms, vmis = members(pool, 1, rev, rev)
    vms[0]["status"] = {
        "printableStatus": "CrashLoopBackOff",
        "conditions": [
            {
                "type": "Ready",
                "status": "False",
                "lastProbeTime": None,
                "lastTransitionTime": (NOW - timedelta(minutes=6)).strftime("%Y-%m-%dT%H:%M:%SZ"),
            }
        ],
    }
    p = plan(pool, vms, vmis, [rev])
    assert not of(p, DeleteVM) and p.requeue_after == pytest.approx(240.0)


def test_should_not_cleanup_vms_without_autohealing_enabled_even_if_the_vm_failed_to_start():
    pool = default_pool(3)
    rev = revision(pool)
    vms, vmis = members(pool, 3, rev, rev)
    vms[0]["status"]["startFailure"] = {"consecutiveFailCount": 3}
    assert not of(plan(pool, vms, vmis, [rev]), DeleteVM)


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("5m", 300), ("1h30m", 5400), ("90s", 90), ("1.5h", 5400), ("0", 0), ("x", None), ("", None)],
)
def test_parse_duration(text, seconds):
    assert pc.parse_duration(text) == seconds


# --- vmctl's max-surge -------------------------------------------------------------------------------------


def surge_pool(replicas: int, surge: str) -> dict:
    pool = default_pool(replicas)
    pool["metadata"]["annotations"] = {pools.MAX_SURGE_ANNOTATION: surge}
    return pool


@pytest.mark.parametrize(
    ("surge", "replicas", "expected"),
    [("1", 3, 1), ("25%", 3, 1), ("50%", 5, 3), ("0", 3, 0), ("x", 3, 0), ("", 3, 0)],
)
def test_max_surge_forms(surge, replicas, expected):
    assert pools.max_surge(surge_pool(replicas, surge)) == expected


def test_max_surge_starts_extra_members_before_retiring_any():
    pool = surge_pool(3, "1")
    old = revision(pool)
    vms, vmis = members(pool, 3, old, old)
    pool = with_template_label(pool, 2, newkey="newval")
    p = plan(pool, vms, vmis, [old])
    created = of(p, CreateVM)
    assert [a.vm["metadata"]["name"] for a in created] == ["my-pool-3"]
    assert created[0].vm["metadata"]["labels"][REVISION_LABEL] == "my-pool-2"
    assert not of(p, DeleteVM) and not of(p, RestartVMI)


def test_max_surge_retires_an_outdated_member_only_when_the_surge_member_is_ready():
    pool = surge_pool(3, "1")
    old = revision(pool)
    vms, vmis = members(pool, 3, old, old)
    pool = with_template_label(pool, 2, newkey="newval")
    new = revision(pool)
    extra_vms, extra_vmis = members(pool, 1, new, new, ready=False, start=3)
    p = plan(pool, vms + extra_vms, vmis + extra_vmis, [old, new])
    assert not of(p, DeleteVM) and not of(p, CreateVM)  # surge member not Ready yet: wait
    extra_vms[0]["status"]["conditions"][0]["status"] = "True"
    p = plan(pool, vms + extra_vms, vmis + extra_vmis, [old, new])
    (retired,) = of(p, DeleteVM)
    assert retired.name in {"my-pool-0", "my-pool-1", "my-pool-2"} and not of(p, CreateVM)


def test_max_surge_rollout_ends_with_replicas_members_all_current():
    """Simulate passes (actions applied, new members Ready one pass later; passes without actions are waits):
    Ready never drops below replicas and the pool ends at replicas members on the current revision."""
    pool = surge_pool(3, "1")
    old = revision(pool)
    vms, vmis = members(pool, 3, old, old)
    pool = with_template_label(pool, 2, newkey="newval")
    revisions = [old]
    by_name = {vm["metadata"]["name"]: vm for vm in vms}
    vmi_by_name = {vmi["metadata"]["name"]: vmi for vmi in vmis}
    for _ in range(20):
        p = plan(pool, by_name.values(), vmi_by_name.values(), revisions)
        ready = sum(pc.vm_ready(vm) for vm in by_name.values())
        assert ready >= 3
        for vm in by_name.values():  # members created last pass are Ready now
            vm["status"] = {"conditions": [{"type": "Ready", "status": "True"}]}
        for action in p.actions:
            if isinstance(action, CreateRevision):
                revisions.append(action.revision)
            elif isinstance(action, DeleteRevision):
                revisions = [r for r in revisions if pools.name_of(r) != action.name]
            elif isinstance(action, CreateVM):
                vm = {**action.vm, "status": {"conditions": [{"type": "Ready", "status": "False"}]}}
                by_name[vm["metadata"]["name"]] = vm
                vmi_by_name[vm["metadata"]["name"]] = {
                    "metadata": {
                        "name": vm["metadata"]["name"],
                        "labels": vm["spec"]["template"]["metadata"]["labels"],
                    },
                    "status": {"phase": "Running", "conditions": [{"type": "Ready", "status": "True"}]},
                }
            elif isinstance(action, FinalizeVM):
                by_name.pop(action.name, None)
                vmi_by_name.pop(action.name, None)
    assert not p.actions
    assert len(by_name) == 3
    assert {vmi["metadata"]["labels"][REVISION_LABEL] for vmi in vmi_by_name.values()} == {"my-pool-2"}


def test_max_surge_respects_the_update_selectors():
    pool = surge_pool(3, "1")
    pool["spec"]["updateStrategy"] = {
        "proactive": {"selectionPolicy": {"selectors": {"labelSelector": {"matchLabels": {"roll": "yes"}}}}}
    }
    old = revision(pool)
    vms, vmis = members(pool, 3, old, old)
    pool = with_template_label(pool, 2, newkey="newval")
    p = plan(pool, vms, vmis, [old])
    assert not of(p, CreateVM) and not of(p, RestartVMI)  # nothing selected: no surge, no restarts
    vms[0]["spec"]["template"]["metadata"]["labels"]["roll"] = "yes"
    assert [a.vm["metadata"]["name"] for a in of(plan(pool, vms, vmis, [old]), CreateVM)] == ["my-pool-3"]
