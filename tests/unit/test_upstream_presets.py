"""KubeVirt's own VirtualMachineInstancePreset unit tests, ported
(pkg/virt-api/webhooks/mutating-webhook/mutators/preset_test.go @ d923fdb8).

``checkMergeConflicts`` is ``merge_conflicts``, ``checkPresetConflicts`` is ``check_preset_conflicts`` (raising
with the webhook's full text), ``filterPresets`` is ``matching_presets`` and ``applyPresets`` is ``apply_presets``.
Conflict details of struct-typed sections are shown as JSON where KubeVirt prints Go structs (documented in
docs/resolution.md), so only the quantity texts, which vmctl renders as Go does, are compared exactly.
"""

from __future__ import annotations

from typing import Any

import pytest

from vmctl.core.fields import clone
from vmctl.core.presets import (
    apply_presets,
    check_preset_conflicts,
    matching_presets,
    merge_conflicts,
)
from vmctl.errors import ObjectRejected

Obj = dict[str, Any]
ANNOTATION = "virtualmachinepreset.kubevirt.io/"


def preset(name: str, domain: Obj, match_labels: dict[str, str] | None = None) -> Obj:
    selector: Obj = {} if match_labels is None else {"matchLabels": match_labels}
    return {"apiVersion": "kubevirt.io/v1", "kind": "VirtualMachineInstancePreset", "metadata": {"name": name},
            "spec": {"selector": selector, "domain": domain}}


# --- Context("Annotate Presets") -------------------------------------------------------------------


def test_annotate_vmi() -> None:
    # preset_test.go It("should properly annotate a VirtualMachineInstance")
    vmi: Obj = {}
    result = apply_presets(vmi, [preset("test-preset", {"cpu": {"cores": 1}})])
    assert result.applied == ["test-preset"]
    assert vmi["metadata"]["annotations"] == {ANNOTATION + "test-preset": "kubevirt.io/v1"}


def test_annotate_vmi_multiple() -> None:
    # preset_test.go It("should allow multiple annotations")
    vmi: Obj = {}
    apply_presets(vmi, [preset("preset-foo", {"cpu": {"cores": 1}}), preset("preset-bar", {"cpu": {"cores": 1}})])
    assert vmi["metadata"]["annotations"] == {ANNOTATION + "preset-foo": "kubevirt.io/v1",
                                              ANNOTATION + "preset-bar": "kubevirt.io/v1"}


# --- Context("Override detection") ----------------------------------------------------------------

UUID = "11112222-3333-4444-5555-666677778888"


def override_vmi() -> Obj:
    """The BeforeEach VMI of Context("Override detection")."""
    return {"metadata": {"labels": {"test": "test"}}, "spec": {"domain": {
        "resources": {"requests": {"memory": "64M"}},
        "cpu": {"cores": 4},
        "firmware": {"uuid": UUID},
        "clock": {"timer": {"hpet": {"tickPolicy": "delay"}}},
        "features": {"acpi": {"enabled": True}, "apic": {"enabled": False}, "hyperv": {}},
        "devices": {
            "watchdog": {"name": "testcase", "i6300esb": {"action": "reset"}},
            "disks": [{"name": "testdisk", "disk": {"bus": "virtio", "readonly": True}}],
        },
    }}}


def apply_fresh(vmi: Obj, domain: Obj) -> Obj:
    """``vmi.Annotations = {}`` then ``applyPresets`` with the test preset; returns the annotations."""
    vmi["metadata"]["annotations"] = {}
    apply_presets(vmi, [preset("test-preset", domain, {"test": "test"})])
    return vmi["metadata"]["annotations"]


def test_detect_cpu_overrides() -> None:
    # preset_test.go It("Should detect CPU overrides")
    vmi = override_vmi()
    domain = vmi["spec"]["domain"]
    assert merge_conflicts({}, domain) == []
    assert merge_conflicts({"cpu": {"cores": 4}}, domain) == []
    assert len(apply_fresh(vmi, {"cpu": {"cores": 4}})) == 1
    assert domain["cpu"]["cores"] == 4
    assert len(merge_conflicts({"cpu": {"cores": 6}}, domain)) == 1
    assert apply_fresh(vmi, {"cpu": {"cores": 6}}) == {}
    assert domain["cpu"]["cores"] == 4


def test_detect_resource_overrides() -> None:
    # preset_test.go It("Should detect Resource overrides")
    vmi = override_vmi()
    domain = vmi["spec"]["domain"]
    mismatch = {"resources": {"requests": {"memory": "128M"}}}
    assert merge_conflicts(mismatch, domain) == [
        "spec.resources.requests[memory]: {{128 6} {<nil>} 128M DecimalSI} != {{64 6} {<nil>} 64M DecimalSI}"]
    assert apply_fresh(vmi, mismatch) == {}
    assert domain["resources"]["requests"]["memory"] == "64M"
    match = {"resources": {"requests": {"memory": "64M"}}}
    assert merge_conflicts(match, domain) == []
    assert len(apply_fresh(vmi, match)) == 1
    assert domain["resources"]["requests"]["memory"] == "64M"


def test_detect_firmware_overrides() -> None:
    # preset_test.go It("Should detect Firmware overrides")
    vmi = override_vmi()
    domain = vmi["spec"]["domain"]
    mismatch = {"firmware": {"uuid": "88887777-6666-5555-4444-333322221111"}}
    assert len(merge_conflicts(mismatch, domain)) == 1
    assert apply_fresh(vmi, mismatch) == {}
    assert domain["firmware"]["uuid"] == UUID
    assert merge_conflicts({"firmware": {"uuid": UUID}}, domain) == []
    assert len(apply_fresh(vmi, {"firmware": {"uuid": UUID}})) == 1
    assert domain["firmware"]["uuid"] == UUID


def test_detect_clock_overrides() -> None:
    # preset_test.go It("Should detect Clock overrides")
    vmi = override_vmi()
    domain = vmi["spec"]["domain"]
    mismatch = {"clock": {"timer": {"hpet": {"tickPolicy": "catchup"}}}}
    found = merge_conflicts(mismatch, domain)
    assert len(found) == 1
    assert found[0].startswith("spec.clock.timer: ")
    assert apply_fresh(vmi, mismatch) == {}
    assert domain["clock"]["timer"]["hpet"]["tickPolicy"] == "delay"
    match = {"clock": {"timer": {"hpet": {"tickPolicy": "delay"}}}}
    assert merge_conflicts(match, domain) == []
    assert len(apply_fresh(vmi, match)) == 1
    assert domain["clock"]["timer"]["hpet"]["tickPolicy"] == "delay"


def test_detect_feature_overrides() -> None:
    # preset_test.go It("Should detect Feature overrides")
    vmi = override_vmi()
    domain = vmi["spec"]["domain"]
    mismatch = {"features": {"acpi": {"enabled": False}}}
    assert len(merge_conflicts(mismatch, domain)) == 1
    assert apply_fresh(vmi, mismatch) == {}
    assert domain["features"]["acpi"]["enabled"] is True
    match = {"features": {"acpi": {"enabled": True}, "apic": {"enabled": False}, "hyperv": {}}}
    assert merge_conflicts(match, domain) == []
    assert len(apply_fresh(vmi, match)) == 1
    assert domain["features"]["acpi"]["enabled"] is True


def test_detect_watchdog_overrides() -> None:
    # preset_test.go It("Should detect Watchdog overrides")
    vmi = override_vmi()
    domain = vmi["spec"]["domain"]
    mismatch = {"devices": {"watchdog": {"name": "foo", "i6300esb": {"action": "poweroff"}}}}
    assert len(merge_conflicts(mismatch, domain)) == 1
    assert apply_fresh(vmi, mismatch) == {}
    assert domain["devices"]["watchdog"]["name"] == "testcase"
    match = {"devices": {"watchdog": {"name": "testcase", "i6300esb": {"action": "reset"}}}}
    assert merge_conflicts(match, domain) == []
    assert len(apply_fresh(vmi, match)) == 1
    assert domain["devices"]["watchdog"]["name"] == "testcase"


def test_detect_io_threads_policy_overrides() -> None:
    # preset_test.go It("Should detect ioThreadsPolicy overrides")
    vmi = override_vmi()
    domain = vmi["spec"]["domain"]
    domain["ioThreadsPolicy"] = "auto"
    # KubeVirt formats the two *IOThreadsPolicy pointers with %v: Go prints their addresses
    assert merge_conflicts({"ioThreadsPolicy": "shared"}, domain) == ["spec.ioThreadsPolicy: 0xc000000000 != 0xc000000000"]
    assert apply_fresh(vmi, {"ioThreadsPolicy": "shared"}) == {}
    assert domain["ioThreadsPolicy"] == "auto"
    assert merge_conflicts({"ioThreadsPolicy": "auto"}, domain) == []
    assert len(apply_fresh(vmi, {"ioThreadsPolicy": "auto"})) == 1
    assert domain["ioThreadsPolicy"] == "auto"


# --- Context("Conflict detection") ----------------------------------------------------------------


def conflict_presets() -> dict[str, Obj]:
    """The four presets of Context("Conflict detection")."""
    return {
        "preset1": preset("memory-64", {"resources": {"requests": {"memory": "64M"}}},
                          {"kubevirt.io/m64": "memory-64"}),
        "preset2": preset("memory-128", {"resources": {"requests": {"memory": "128M"}}},
                          {"kubevirt.io/m128": "memory-128"}),
        "preset3": preset("cpu-4", {"cpu": {"cores": 4}}, {"kubevirt.io/cpu": "cpu-4"}),
        "preset4": preset("duplicate-mem", {"resources": {"requests": {"memory": "64M"}}},
                          {"kubevirt.io/m64": "memory-64"}),
    }


def test_detect_conflicts_between_presets() -> None:
    # preset_test.go It("should detect conflicts between presets")
    p = conflict_presets()
    with pytest.raises(ObjectRejected) as info:
        check_preset_conflicts([p["preset1"], p["preset2"]])
    assert info.value.message == (
        "VirtualMachinePresets cannot be applied due to conflicts: presets 'memory-128' and 'memory-64' conflict: "
        "spec.resources.requests[memory]: {{128 6} {<nil>} 128M DecimalSI} != {{64 6} {<nil>} 64M DecimalSI}")


def test_no_error_for_no_conflict() -> None:
    # preset_test.go It("should not return an error for no conflict")
    p = conflict_presets()
    check_preset_conflicts([p["preset1"], p["preset3"]])


def test_same_settings_do_not_conflict() -> None:
    # preset_test.go It("should not consider presets with same settings to conflict")
    p = conflict_presets()
    check_preset_conflicts([p["preset1"], p["preset4"]])


@pytest.mark.parametrize("labels", [
    # preset_test.go It("should not apply presets that conflict")
    {"kubevirt.io/m64": "memory-64", "kubevirt.io/m128": "memory-128"},
    # preset_test.go It("should not apply any presets if any conflict")
    {"kubevirt.io/m64": "memory-64", "kubevirt.io/m128": "memory-128", "kubevirt.io/cpu": "cpu-4"},
])
def test_conflicting_presets_apply_nothing(labels: dict[str, str]) -> None:
    vmi: Obj = {"metadata": {"name": "test-vmi", "labels": labels}, "spec": {"domain": {}}}
    with pytest.raises(ObjectRejected) as info:
        apply_presets(vmi, list(conflict_presets().values()))
    assert info.value.message.startswith("VirtualMachinePresets cannot be applied due to conflicts: ")
    assert "annotations" not in vmi["metadata"]
    assert vmi["spec"]["domain"] == {}


def test_non_conflicting_presets_are_applied() -> None:
    # preset_test.go It("should apply presets that don't conflict")
    p = conflict_presets()
    vmi: Obj = {"metadata": {"name": "test-vmi", "labels": {"kubevirt.io/m64": "memory-64",
                                                           "kubevirt.io/cpu": "cpu-4"}},
                "spec": {"domain": {}}}
    apply_presets(vmi, [p["preset1"], p["preset3"], p["preset4"]])
    annotations = vmi["metadata"]["annotations"]
    for name in ("memory-64", "cpu-4", "duplicate-mem"):
        assert annotations[ANNOTATION + name] == "kubevirt.io/v1"
    assert vmi["spec"]["domain"]["resources"]["requests"] == {"memory": "64M"}
    assert vmi["spec"]["domain"]["cpu"] == {"cores": 4}


# --- Context("Apply Presets") ---------------------------------------------------------------------


def apply_one(domain: Obj) -> Obj:
    vmi: Obj = {"metadata": {"name": "testvmi"}, "spec": {"domain": {}}}
    apply_presets(vmi, [preset("test-preset", domain, None)])
    return vmi


def test_excluded_vmi_is_skipped() -> None:
    # preset_test.go When("VMI has exclusion annotation") It("Should be skipped")
    vmi: Obj = {"metadata": {"name": "testvmi",
                             "annotations": {"virtualmachineinstancepresets.admission.kubevirt.io/exclude": "true"}},
                "spec": {"domain": {}}}
    result = apply_presets(vmi, [preset("test-preset", {"cpu": {"cores": 4}})])
    assert result.applied == []
    assert "cpu" not in vmi["spec"]["domain"]


@pytest.mark.parametrize(("domain", "key", "expected"), [
    # preset_test.go It("Should apply CPU settings")
    ({"cpu": {"cores": 4}}, "cpu", {"cores": 4}),
    # preset_test.go It("Should apply Resources")
    ({"resources": {"requests": {"memory": "64M"}}}, "resources", {"requests": {"memory": "64M"}}),
    # preset_test.go It("Should apply Firmware settings")
    ({"firmware": {"uuid": UUID}}, "firmware", {"uuid": UUID}),
    # preset_test.go It("Should apply Clock settings")
    ({"clock": {"timer": {"hpet": {"tickPolicy": "delay"}}}}, "clock", {"timer": {"hpet": {"tickPolicy": "delay"}}}),
    # preset_test.go It("Should apply Feature settings")
    ({"features": {"acpi": {"enabled": True}, "apic": {"enabled": False}, "hyperv": {}}}, "features",
     {"acpi": {"enabled": True}, "apic": {"enabled": False}, "hyperv": {}}),
    # preset_test.go It("Should apply Watchdog settings")
    ({"devices": {"watchdog": {"name": "testcase", "i6300esb": {"action": "reset"}}}}, "devices",
     {"watchdog": {"name": "testcase", "i6300esb": {"action": "reset"}}}),
    # preset_test.go It("Should apply IOThreads settings")
    ({"ioThreadsPolicy": "shared"}, "ioThreadsPolicy", "shared"),
])
def test_apply_settings(domain: Obj, key: str, expected: Any) -> None:
    vmi = apply_one(clone(domain))
    assert vmi["spec"]["domain"][key] == expected
    assert vmi["metadata"]["annotations"][ANNOTATION + "test-preset"] == "kubevirt.io/v1"


# --- Context("Filter Matching") -------------------------------------------------------------------

FLAVOR = "kubevirt.io/flavor"


def filter_vmi() -> Obj:
    return {"metadata": {"name": "testvmi", "labels": {FLAVOR: "matching"}}, "spec": {"domain": {}}}


def test_filter_matches_correct_selector() -> None:
    # preset_test.go It("Should match preset with the correct selector")
    found = matching_presets(filter_vmi(), [preset("test-preset", {}, {FLAVOR: "matching"}),
                                            preset("unrelated-preset", {}, {FLAVOR: "unrelated"})])
    assert [p["metadata"]["name"] for p in found] == ["test-preset"]


def test_filter_does_not_match_incorrect_selector() -> None:
    # preset_test.go It("Should not match preset with the incorrect selector")
    assert matching_presets(filter_vmi(), [preset("unrelated-preset", {}, {FLAVOR: "unrelated"})]) == []


def test_filter_does_not_ignore_bogus_selectors() -> None:
    # preset_test.go It("Should not ignore bogus selectors")
    with pytest.raises(ObjectRejected) as info:
        matching_presets(filter_vmi(), [preset("broken-preset", {}, {FLAVOR: "!"})])
    assert info.value.message.startswith('values[0][kubevirt.io/flavor]: Invalid value: "!": ')
