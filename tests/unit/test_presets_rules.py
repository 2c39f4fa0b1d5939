"""VirtualMachineInstancePresets: selection, merging, conflicts, annotations (KubeVirt preset.go)."""

from __future__ import annotations

from typing import Any

import pytest

from vmctl.core.presets import (
    DEPRECATION_WARNING,
    apply_presets,
    deprecation_warnings,
    go_quantity_repr,
)
from vmctl.core.selectors import SelectorError, compile_selector
from vmctl.errors import ObjectRejected


def preset(name: str, domain: dict[str, Any], selector: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"apiVersion": "kubevirt.io/v1", "kind": "VirtualMachineInstancePreset", "metadata": {"name": name},
            "spec": {"selector": selector if selector is not None else {"matchLabels": {"app": "web"}},
                     "domain": domain}}


def vmi(domain: dict[str, Any] | None = None, labels: dict[str, str] | None = None,
        annotations: dict[str, str] | None = None) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": "v", "labels": labels if labels is not None else {"app": "web"}}
    if annotations:
        meta["annotations"] = annotations
    return {"kind": "VirtualMachineInstance", "metadata": meta, "spec": {"domain": domain or {}}}


def test_only_listed_sections_are_merged() -> None:
    obj = vmi()
    result = apply_presets(obj, [preset("p", {
        "resources": {"requests": {"memory": "128Mi"}}, "cpu": {"cores": 2}, "firmware": {"serial": "s"},
        "clock": {"utc": {}, "timer": {"hpet": {"present": False}}}, "features": {"smm": {}},
        "devices": {"watchdog": {"name": "w", "i6300esb": {}}, "disks": [{"name": "x"}]},
        "ioThreadsPolicy": "shared", "memory": {"guest": "1Gi"}, "machine": {"type": "pc"},
    })])
    assert obj["spec"]["domain"] == {
        "resources": {"requests": {"memory": "128Mi"}}, "cpu": {"cores": 2}, "firmware": {"serial": "s"},
        "clock": {"utc": {}, "timer": {"hpet": {"present": False}}}, "features": {"smm": {}},
        "devices": {"watchdog": {"name": "w", "i6300esb": {}}}, "ioThreadsPolicy": "shared",
    }
    assert result.applied == ["p"]
    assert obj["metadata"]["annotations"] == {"virtualmachinepreset.kubevirt.io/p": "kubevirt.io/v1"}


def test_memory_only_preset_does_nothing_and_is_not_annotated() -> None:
    obj = vmi()
    result = apply_presets(obj, [preset("small", {"memory": {"guest": "128Mi"}})])
    assert obj["spec"]["domain"] == {}
    assert "annotations" not in obj["metadata"]
    assert result.applied == []
    assert "matches but sets nothing" in result.warnings[0]


def test_requests_only_when_vmi_has_none() -> None:
    obj = vmi({"resources": {"requests": {"cpu": "1"}}})
    result = apply_presets(obj, [preset("p", {"resources": {"requests": {"memory": "1Gi"}}})])
    assert obj["spec"]["domain"]["resources"]["requests"] == {"cpu": "1"}
    assert result.applied == []


def test_vmi_conflict_is_skipped_with_warning() -> None:
    obj = vmi({"cpu": {"cores": 4}})
    result = apply_presets(obj, [preset("p", {"cpu": {"cores": 2}, "features": {"smm": {}}})])
    assert obj["spec"]["domain"]["cpu"] == {"cores": 4}
    assert obj["spec"]["domain"]["features"] == {"smm": {}}
    assert result.applied == ["p"]
    assert result.warnings == [
        'Some settings were not applied for VirtualMachineInstancePreset \'p\': spec.cpu: {"cores":2} != {"cores":4}'
    ]


def test_equal_values_count_as_applied() -> None:
    obj = vmi({"cpu": {"cores": 2}})
    result = apply_presets(obj, [preset("p", {"cpu": {"cores": 2}})])
    assert result.applied == ["p"]
    assert obj["metadata"]["annotations"]["virtualmachinepreset.kubevirt.io/p"] == "kubevirt.io/v1"


def test_preset_vs_preset_conflict_rejects_with_kubevirt_text() -> None:
    obj = vmi()
    with pytest.raises(ObjectRejected) as exc:
        apply_presets(obj, [preset("a", {"resources": {"requests": {"memory": "64M"}}}),
                            preset("b", {"resources": {"requests": {"memory": "128M"}}})])
    assert exc.value.message == (
        "VirtualMachinePresets cannot be applied due to conflicts: presets 'b' and 'a' conflict: "
        "spec.resources.requests[memory]: {{128 6} {<nil>} 128M DecimalSI} != {{64 6} {<nil>} 64M DecimalSI}"
    )
    assert obj["spec"]["domain"] == {}  # nothing applied


def test_identical_presets_do_not_conflict() -> None:
    obj = vmi()
    result = apply_presets(obj, [preset("a", {"cpu": {"cores": 2}}), preset("b", {"cpu": {"cores": 2}})])
    assert result.applied == ["a", "b"]


def test_exclude_annotation_skips_presets() -> None:
    obj = vmi(annotations={"virtualmachineinstancepresets.admission.kubevirt.io/exclude": "true"})
    assert apply_presets(obj, [preset("p", {"cpu": {"cores": 2}})]).applied == []
    assert obj["spec"]["domain"] == {}


def test_selector_must_match_labels() -> None:
    obj = vmi(labels={"app": "db"})
    assert apply_presets(obj, [preset("p", {"cpu": {"cores": 2}})]).applied == []


def test_invalid_selector_rejects() -> None:
    with pytest.raises(ObjectRejected, match='"Foo" is not a valid label selector operator'):
        apply_presets(vmi(), [preset("p", {"cpu": {}}, {"matchExpressions": [{"key": "a", "operator": "Foo"}]})])


def test_clock_offset_then_timer() -> None:
    obj = vmi({"clock": {"timezone": "UTC"}})
    apply_presets(obj, [preset("p", {"clock": {"utc": {}, "timer": {"rtc": {}}}})])
    assert obj["spec"]["domain"]["clock"] == {"timezone": "UTC", "timer": {"rtc": {}}}


def test_deprecation_warning_only_with_preset_annotation() -> None:
    assert deprecation_warnings(vmi(annotations={"virtualmachinepreset.kubevirt.io/p": "kubevirt.io/v1"})) == [
        DEPRECATION_WARNING]
    assert deprecation_warnings(vmi()) == []
    assert DEPRECATION_WARNING == "kubevirt.io/v1 VirtualMachineInstancePresets is now deprecated and will be removed in v2."


@pytest.mark.parametrize(
    ("text", "shown"),
    [("2", "{{2 0} {<nil>} 2 DecimalSI}"), ("100m", "{{100 -3} {<nil>} 100m DecimalSI}"),
     ("128Mi", "{{134217728 0} {<nil>}  BinarySI}"), ("1Gi", "{{1073741824 0} {<nil>} 1Gi BinarySI}"),
     ("1000", "{{1000 0} {<nil>}  DecimalSI}")],
)
def test_go_quantity_repr(text: str, shown: str) -> None:
    assert go_quantity_repr(text) == shown


def test_representation_not_value_decides_request_conflicts() -> None:
    # Go compares the Quantity structs: 1Gi and 1024Mi are equal values but different representations
    with pytest.raises(ObjectRejected, match=r"requests\[memory\]"):
        apply_presets(vmi(), [preset("a", {"resources": {"requests": {"memory": "1Gi"}}}),
                              preset("b", {"resources": {"requests": {"memory": "1024Mi"}}})])


@pytest.mark.parametrize(
    ("selector", "labels", "matches"),
    [
        ({"matchLabels": {"a": "1"}}, {"a": "1"}, True),
        ({"matchLabels": {"a": "1"}}, {"a": "2"}, False),
        ({"matchExpressions": [{"key": "a", "operator": "In", "values": ["1", "2"]}]}, {"a": "2"}, True),
        ({"matchExpressions": [{"key": "a", "operator": "NotIn", "values": ["1"]}]}, {}, True),
        ({"matchExpressions": [{"key": "a", "operator": "NotIn", "values": ["1"]}]}, {"a": "1"}, False),
        ({"matchExpressions": [{"key": "a", "operator": "Exists"}]}, {"a": ""}, True),
        ({"matchExpressions": [{"key": "a", "operator": "DoesNotExist"}]}, {"a": ""}, False),
        ({}, {"x": "y"}, True),
    ],
)
def test_selector_semantics(selector: dict[str, Any], labels: dict[str, str], matches: bool) -> None:
    assert compile_selector(selector)(labels) is matches


@pytest.mark.parametrize(
    ("selector", "message"),
    [
        ({"matchExpressions": [{"key": "a", "operator": "In", "values": []}]},
         # apimachinery prints the bad value as JSON; LabelSelectorAsSelector passes a nil slice: null
         "values: Invalid value: null: for 'in', 'notin' operators, values set can't be empty"),
        ({"matchExpressions": [{"key": "a", "operator": "Exists", "values": ["x"]}]},
         'values: Invalid value: ["x"]: values set must be empty for exists and does not exist'),
        ({"matchLabels": {"a b": "x"}},
         'key: Invalid value: "a b": name part must consist of alphanumeric characters, \'-\', \'_\' or \'.\', and '
         "must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex "
         "used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"),
    ],
)
def test_selector_errors(selector: dict[str, Any], message: str) -> None:
    with pytest.raises(SelectorError) as exc:
        compile_selector(selector)
    assert exc.value.message == message
