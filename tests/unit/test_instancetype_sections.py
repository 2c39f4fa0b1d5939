"""Instancetype sections other than cpu/memory, and instancetype spec validation (admitter texts)."""

from __future__ import annotations

import pytest

from vmctl.core.instancetype import (
    gpus,
    hostdevices,
    iothreadpolicy,
    iothreads,
    launchsecurity,
    nodeselector,
    scheduler,
    validate_spec,
)
from vmctl.core.instancetype.annotations import apply as apply_annotations
from vmctl.errors import FieldProblem


@pytest.mark.parametrize(
    ("section", "spec", "expected"),
    [
        (nodeselector, {"nodeSelector": {"disk": "ssd"}}, {"nodeSelector": {"disk": "ssd"}}),
        (scheduler, {"schedulerName": "my-scheduler"}, {"schedulerName": "my-scheduler"}),
        (iothreads, {"ioThreads": {"supplementalPoolThreadCount": 4}},
         {"domain": {"ioThreads": {"supplementalPoolThreadCount": 4}}}),
        (iothreadpolicy, {"ioThreadsPolicy": "supplementalPool"}, {"domain": {"ioThreadsPolicy": "supplementalPool"}}),
        (launchsecurity, {"launchSecurity": {"sev": {"policy": {"secureBoot": True}}}},
         {"domain": {"launchSecurity": {"sev": {"policy": {"secureBoot": True}}}}}),
        (gpus, {"gpus": [{"name": "gpu1", "deviceName": "nvidia.com/GP102GL"}]},
         {"domain": {"devices": {"gpus": [{"name": "gpu1", "deviceName": "nvidia.com/GP102GL"}]}}}),
        (hostdevices, {"hostDevices": [{"name": "hd1", "deviceName": "intel.com/qat"}]},
         {"domain": {"devices": {"hostDevices": [{"name": "hd1", "deviceName": "intel.com/qat"}]}}}),
    ],
)
def test_section_writes_its_field(section, spec, expected):
    vmi: dict = {}
    assert section.apply("spec", spec, None, vmi, {}) == []
    assert vmi == expected


@pytest.mark.parametrize(
    ("section", "spec"),
    [
        (nodeselector, {"nodeSelector": None}),
        (scheduler, {"schedulerName": ""}),
        (iothreads, {"ioThreads": {}}),
        (iothreadpolicy, {}),
        (launchsecurity, {}),
        (gpus, {"gpus": []}),
        (hostdevices, {"hostDevices": []}),
    ],
)
def test_section_without_value_changes_nothing(section, spec):
    vmi = {"nodeSelector": {"a": "b"}, "schedulerName": "s", "domain": {"ioThreadsPolicy": "shared"}}
    assert section.apply("spec", spec, None, vmi, {}) == []
    assert vmi == {"nodeSelector": {"a": "b"}, "schedulerName": "s", "domain": {"ioThreadsPolicy": "shared"}}


def test_copies_are_independent_of_the_instancetype():
    spec = {"nodeSelector": {"a": "b"}, "gpus": [{"name": "g"}]}
    vmi: dict = {}
    nodeselector.apply("spec", spec, None, vmi, {})
    gpus.apply("spec", spec, None, vmi, {})
    vmi["nodeSelector"]["x"] = "y"
    vmi["domain"]["devices"]["gpus"][0]["name"] = "changed"
    assert spec == {"nodeSelector": {"a": "b"}, "gpus": [{"name": "g"}]}


def test_iothreads_keeps_other_vmi_iothreads_fields():
    vmi = {"domain": {"ioThreads": {"other": 1}}}
    iothreads.apply("spec", {"ioThreads": {"supplementalPoolThreadCount": 2}}, None, vmi, {})
    assert vmi == {"domain": {"ioThreads": {"other": 1, "supplementalPoolThreadCount": 2}}}


def test_annotations_added_kept_and_conflicting():
    metadata = {"annotations": {"same": "v", "diff": "mine"}}
    conflicts = apply_annotations("spec.template.spec", {"annotations": {"same": "v", "diff": "theirs", "new": "n"}},
                                  None, {}, metadata)
    assert [c.path for c in conflicts] == ["annotations.diff"]
    assert metadata == {"annotations": {"same": "v", "diff": "mine", "new": "n"}}


def test_annotations_create_the_map_only_when_needed():
    metadata: dict = {}
    assert apply_annotations("spec", {}, None, {}, metadata) == []
    assert metadata == {}
    apply_annotations("spec", {"annotations": {"cpu-quota.crio.io": "disable"}}, None, {}, metadata)
    assert metadata == {"annotations": {"cpu-quota.crio.io": "disable"}}


def test_annotation_keys_with_dots_keep_the_plain_path():
    conflicts = apply_annotations("spec", {"annotations": {"cpu-quota.crio.io": "disable"}}, None, {},
                                  {"annotations": {"cpu-quota.crio.io": "enable"}})
    assert conflicts[0].message() == "VM field(s) annotations.cpu-quota.crio.io conflicts with selected instance type"


@pytest.mark.parametrize(
    ("memory", "problems"),
    [
        ({"guest": "1Gi", "overcommitPercent": 101},
         [FieldProblem("spec.memory.overcommitPercent",
                       "spec.memory.overcommitPercent '101': must be in range between 0 and 100.")]),
        ({"guest": "1Gi", "overcommitPercent": -1},
         [FieldProblem("spec.memory.overcommitPercent",
                       "spec.memory.overcommitPercent '-1': must be in range between 0 and 100.")]),
        ({"guest": "1Gi", "overcommitPercent": 10, "hugepages": {"pageSize": "2Mi"}},
         [FieldProblem("spec.memory.overcommitPercent",
                       "spec.memory.overcommitPercent and spec.memory.hugepages should not be requested together.")]),
        ({"guest": "1Gi", "overcommitPercent": 200, "hugepages": {"pageSize": "2Mi"}},
         [FieldProblem("spec.memory.overcommitPercent",
                       "spec.memory.overcommitPercent '200': must be in range between 0 and 100."),
          FieldProblem("spec.memory.overcommitPercent",
                       "spec.memory.overcommitPercent and spec.memory.hugepages should not be requested together.")]),
        ({"guest": "1Gi", "overcommitPercent": 100}, []),
        ({"guest": "1Gi", "overcommitPercent": 0, "hugepages": {"pageSize": "2Mi"}}, []),
    ],
)
def test_validate_spec(memory, problems):
    assert validate_spec({"cpu": {"guest": 1}, "memory": memory}) == problems


def test_validate_spec_warns_about_launch_security_only_without_errors():
    spec = {"cpu": {"guest": 1}, "memory": {"guest": "1Gi"}, "launchSecurity": {"sev": {}}}
    assert validate_spec(spec) == [FieldProblem(
        "spec.launchSecurity",
        "launchSecurity is deprecated and will be removed in a future release. Use preference instead.", "Warning")]
    spec["memory"]["overcommitPercent"] = 101
    assert [p.reason for p in validate_spec(spec)] == ["FieldValueInvalid"]
