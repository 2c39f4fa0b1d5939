"""VM matchers: kind scope, KubeVirt's matcher validation texts and the VMI name annotations."""

from __future__ import annotations

import pytest

from vmctl.core.matchers import annotations_for, is_cluster_kind, validate_matchers
from vmctl.errors import FieldProblem, ObjectRejected


@pytest.mark.parametrize(
    ("kind", "which", "cluster"),
    [
        (None, "instancetype", True),
        ("", "instancetype", True),
        ("VirtualMachineClusterInstancetype", "instancetype", True),
        ("virtualmachineclusterinstancetypes", "instancetype", True),
        ("VirtualMachineInstancetype", "instancetype", False),
        ("VIRTUALMACHINEINSTANCETYPES", "instancetype", False),
        ("", "preference", True),
        ("VirtualMachineClusterPreference", "preference", True),
        ("virtualmachineclusterpreferences", "preference", True),
        ("VirtualMachinePreference", "preference", False),
        ("virtualmachinepreferences", "preference", False),
    ],
)
def test_is_cluster_kind(kind, which, cluster):
    assert is_cluster_kind(kind, which) is cluster


@pytest.mark.parametrize(
    ("kind", "which", "message"),
    [
        ("VirtualMachineInstanceType2", "instancetype", "got unexpected kind in InstancetypeMatcher: VirtualMachineInstanceType2"),
        ("VirtualMachinePreference", "instancetype", "got unexpected kind in InstancetypeMatcher: VirtualMachinePreference"),
        ("VirtualMachineInstancetype", "preference", "got unexpected kind in PreferenceMatcher: VirtualMachineInstancetype"),
    ],
)
def test_unexpected_kind(kind, which, message):
    with pytest.raises(ObjectRejected) as caught:
        is_cluster_kind(kind, which)
    assert caught.value.message == message


def vm(instancetype=None, preference=None):
    spec: dict = {}
    if instancetype is not None:
        spec["instancetype"] = instancetype
    if preference is not None:
        spec["preference"] = preference
    return {"spec": spec}


def test_valid_matchers():
    assert validate_matchers(vm({"name": "u1.medium"}, {"name": "fedora", "kind": "VirtualMachinePreference"})) == []
    assert validate_matchers(vm({"inferFromVolume": "root", "inferFromVolumeFailurePolicy": "Ignore"})) == []
    assert validate_matchers(vm()) == []


@pytest.mark.parametrize("which,type_name", [("instancetype", "InstancetypeMatcher"), ("preference", "PreferenceMatcher")])
def test_name_or_infer_required(which, type_name):
    assert validate_matchers({"spec": {which: {"kind": "x"}}}) == [FieldProblem(
        f"spec.{which}", f"Either Name or InferFromVolume should be provided within the {type_name}", "FieldValueNotFound")]


@pytest.mark.parametrize("which", ["instancetype", "preference"])
def test_infer_with_name_kind_and_bad_policy(which):
    matcher = {"inferFromVolume": "root", "name": "n", "kind": "k", "inferFromVolumeFailurePolicy": "Sometimes"}
    assert validate_matchers({"spec": {which: matcher}}) == [
        FieldProblem(f"spec.{which}.name", "Name already set, should be cleared before setting inferFromVolume",
                     "FieldValueNotSupported"),
        FieldProblem(f"spec.{which}.kind", "Kind already set, should be cleared before setting inferFromVolume",
                     "FieldValueNotSupported"),
        FieldProblem(f"spec.{which}.inferFromVolumeFailurePolicy",
                     "Invalid value 'Sometimes' for InferFromVolumeFailurePolicy"),
    ]


def test_instancetype_problems_come_before_and_hide_preference_problems():
    problems = validate_matchers(vm({}, {}))
    assert [p.field for p in problems] == ["spec.instancetype"]


def test_update_renaming_without_new_revision_name():
    old = vm({"name": "u1.small", "revisionName": "rev-1"})
    new = vm({"name": "u1.large", "revisionName": "rev-1"})
    assert validate_matchers(new, old) == [FieldProblem(
        "spec.instancetype.revisionName", "the Matcher Name has been updated without updating the RevisionName")]
    assert validate_matchers(vm({"name": "u1.large", "revisionName": "rev-2"}), old) == []
    assert validate_matchers(vm({"name": "u1.large"}), vm({"name": "u1.small"})) == []
    old_pref = vm(None, {"name": "fedora", "revisionName": "r"})
    assert [p.field for p in validate_matchers(vm(None, {"name": "centos", "revisionName": "r"}), old_pref)] == [
        "spec.preference.revisionName"]


@pytest.mark.parametrize(
    ("instancetype", "preference", "expected"),
    [
        ({"name": "u1.medium"}, {"name": "fedora"},
         {"kubevirt.io/cluster-instancetype-name": "u1.medium", "kubevirt.io/cluster-preference-name": "fedora"}),
        ({"name": "mine", "kind": "VirtualMachineInstancetype"}, {"name": "p", "kind": "virtualmachinepreferences"},
         {"kubevirt.io/instancetype-name": "mine", "kubevirt.io/preference-name": "p"}),
        ({"name": "c", "kind": "VirtualMachineClusterInstancetype"}, None, {"kubevirt.io/cluster-instancetype-name": "c"}),
        ({"name": "odd", "kind": "Unknown"}, None, {}),
        (None, None, {}),
    ],
)
def test_annotations_for(instancetype, preference, expected):
    assert annotations_for(vm(instancetype, preference)) == expected
