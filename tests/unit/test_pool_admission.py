"""Pool and replica set admission with KubeVirt's texts; cases named after ``vmpool-admitter_test.go`` and
``vmirs-admitter_test.go`` (``newValidVMPool``: empty selector, RunStrategy Always, a containerDisk)."""

from __future__ import annotations

import pytest

from vmctl.catalog import load_catalog
from vmctl.core.pipeline import MemoSource
from vmctl.core.pool_admission import HINT, pool_hints, pool_problems, replicaset_problems

SOURCE = MemoSource(load_catalog())


def valid_pool(**spec) -> dict:
    """``newValidVMPool``."""
    return {
        "apiVersion": "pool.kubevirt.io/v1beta1",
        "kind": "VirtualMachinePool",
        "metadata": {"name": "p"},
        "spec": {
            "selector": {},
            "virtualMachineTemplate": {
                "metadata": {},
                "spec": {
                    "runStrategy": "Always",
                    "template": {
                        "spec": {
                            "domain": {"devices": {"disks": [{"name": "testdisk"}]}},
                            "volumes": [{"name": "testdisk", "containerDisk": {"image": "fake"}}],
                        }
                    },
                },
            },
            **spec,
        },
    }


def fields(problems) -> list[str]:
    return [p.field for p in problems]


def test_should_accept_valid_vm_spec():
    pool = valid_pool(
        updateStrategy={"proactive": {"selectionPolicy": {"sortPolicy": "Newest"}}},
        scaleInStrategy={
            "proactive": {"selectionPolicy": {"sortPolicy": "Newest"}, "statePreservation": "Online"}
        },
    )
    assert pool_problems(pool, SOURCE) == []


def test_missing_template():
    (problem,) = pool_problems({"kind": "VirtualMachinePool", "spec": {"selector": {}}}, SOURCE)
    assert problem == ("spec.template", "missing virtual machine template.", "FieldValueRequired")


def test_with_mismatching_label_selectors():
    pool = valid_pool(selector={"matchLabels": {"match": "not"}})
    pool["spec"]["virtualMachineTemplate"]["metadata"] = {"labels": {"notmatch": "val"}}
    assert [(p.field, p.message) for p in pool_problems(pool, SOURCE)] == [
        ("spec.selector", "selector does not match labels.")
    ]


def test_invalid_selector_reports_apimachinery_text():
    pool = valid_pool(selector={"matchExpressions": [{"key": "a", "operator": "Near"}]})
    assert [(p.field, p.message) for p in pool_problems(pool, SOURCE)] == [
        ("spec.selector", '"Near" is not a valid label selector operator')
    ]


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (
            "invalid%",
            'maxUnavailable percentage value "invalid" is invalid: '
            'strconv.Atoi: parsing "invalid": invalid syntax',
        ),
        ("25", "maxUnavailable percentage must end with %"),
        ("0%", "maxUnavailable percentage value 0 must be between 1 and 100"),
        ("101%", "maxUnavailable percentage value 101 must be between 1 and 100"),
        (-1, "maxUnavailable must be greater than 0"),
        (0, "maxUnavailable must be greater than 0"),
    ],
)
def test_with_invalid_max_unavailable(value, message):
    assert [(p.field, p.message) for p in pool_problems(valid_pool(maxUnavailable=value), SOURCE)] == [
        ("spec.maxUnavailable", message)
    ]


@pytest.mark.parametrize("value", [1, "1%", "100%", "25%"])
def test_valid_max_unavailable(value):
    assert pool_problems(valid_pool(maxUnavailable=value), SOURCE) == []


@pytest.mark.parametrize(
    ("strategy", "found"),
    [
        ({"unmanaged": {}, "proactive": {"selectionPolicy": {}}}, "unmanaged, proactive"),
        ({"unmanaged": {}, "opportunistic": {}}, "unmanaged, opportunistic"),
        ({"opportunistic": {}, "proactive": {"selectionPolicy": {}}}, "opportunistic, proactive"),
        ({"unmanaged": {}, "opportunistic": {}, "proactive": {}}, "unmanaged, opportunistic, proactive"),
    ],
)
@pytest.mark.parametrize("name", ["updateStrategy", "scaleInStrategy"])
def test_with_invalid_strategy(name, strategy, found):
    assert [(p.field, p.message) for p in pool_problems(valid_pool(**{name: strategy}), SOURCE)] == [
        (f"spec.{name}", f"only one strategy can be configured at a time: but found {found} strategies")
    ]


def test_with_invalid_unmanaged_and_proactive_scale_in_strategy():
    pool = valid_pool(
        updateStrategy={"opportunistic": {}, "proactive": {}},
        scaleInStrategy={"unmanaged": {}, "proactive": {}},
    )
    assert fields(pool_problems(pool, SOURCE)) == ["spec.updateStrategy", "spec.scaleInStrategy"]


def test_selector_is_immutable_after_creation():
    old = valid_pool(selector={"matchLabels": {"a": "b"}})
    new = valid_pool(selector={"matchLabels": {"a": "c"}})
    for pool in (old, new):
        pool["spec"]["virtualMachineTemplate"]["metadata"] = {"labels": {"a": "b", "c": "c"}}
    new["spec"]["selector"] = {"matchLabels": {"c": "c"}}
    assert [(p.field, p.message) for p in pool_problems(new, SOURCE, old=old)] == [
        ("spec.selector", "selector is immutable after creation.")
    ]
    assert pool_problems(old, SOURCE, old=old) == []


def test_template_problems_move_under_virtual_machine_template():
    pool = valid_pool()
    pool["spec"]["virtualMachineTemplate"]["spec"]["instancetype"] = {"name": "no-such-type"}
    assert pool_problems(pool, SOURCE) == []  # KubeVirt admits it: its members just cannot start
    (problem,) = pool_problems(pool, SOURCE, advisory=True)
    assert problem.field == "spec.virtualMachineTemplate.spec.instancetype.name" and problem.reason == "Advisory"
    assert '"no-such-type" not found' in problem.message


def test_max_surge_write_up_gets_a_hint_to_the_real_fields():
    pool = valid_pool(updateStrategy={"rollingUpdate": {"maxSurge": 1}})
    (hint,) = pool_hints(pool)
    assert hint.field == "spec.updateStrategy.rollingUpdate.maxSurge" and hint.reason == HINT
    assert "spec.maxUnavailable" in hint.message and "pool.vmctl.io/max-surge" in hint.message


def test_unreadable_max_surge_annotation_gets_a_hint():
    pool = valid_pool()
    pool["metadata"]["annotations"] = {"pool.vmctl.io/max-surge": "lots"}
    (hint,) = pool_hints(pool)
    assert (
        hint.field == "metadata.annotations[pool.vmctl.io/max-surge]" and "vmctl ignores it" in hint.message
    )
    pool["metadata"]["annotations"] = {"pool.vmctl.io/max-surge": "25%"}
    assert pool_hints(pool) == []


def valid_rs(**spec) -> dict:
    return {
        "apiVersion": "kubevirt.io/v1",
        "kind": "VirtualMachineInstanceReplicaSet",
        "metadata": {"name": "rs"},
        "spec": {
            "selector": {"matchLabels": {"app": "x"}},
            "template": {"metadata": {"labels": {"app": "x"}},
                         "spec": {"domain": {"devices": {}, "memory": {"guest": "128Mi"}}}},
            **spec,
        },
    }


def test_replica_set_valid_and_mismatching_selector():
    assert replicaset_problems(valid_rs(), SOURCE) == []
    bad = valid_rs(selector={"matchLabels": {"match": "not"}})
    assert [(p.field, p.message) for p in replicaset_problems(bad, SOURCE)] == [
        ("spec.selector", "selector does not match labels.")
    ]


def test_replica_set_missing_template():
    (problem,) = replicaset_problems({"spec": {"selector": {}}}, SOURCE)
    assert (problem.field, problem.message) == ("spec.template", "missing virtual machine template.")
