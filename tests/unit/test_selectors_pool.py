"""The selector pieces the pool controller needs: the canonical selector string (``status.labelSelector``) and
node-selector requirements with Gt/Lt (``nodeSelectorRequirementsAsSelector``)."""

from __future__ import annotations

import pytest

from vmctl.core.selectors import SelectorError, compile_node_requirements, selector_string


@pytest.mark.parametrize(
    ("selector", "text"),
    [
        (None, ""),
        ({}, ""),
        ({"matchLabels": {"b": "2", "a": "1"}}, "a=1,b=2"),
        (
            {
                "matchExpressions": [
                    {"key": "z", "operator": "NotIn", "values": ["y", "x"]},
                    {"key": "k", "operator": "Exists"},
                    {"key": "d", "operator": "DoesNotExist"},
                ]
            },
            "!d,k,z notin (x,y)",
        ),
    ],
)
def test_selector_string_is_canonical(selector, text):
    assert selector_string(selector) == text


@pytest.mark.parametrize(
    ("op", "values", "label", "expected"),
    [
        ("Gt", ["3"], "4", True),
        ("Gt", ["3"], "3", False),
        ("Lt", ["3"], "2", True),
        ("Gt", ["3"], "x", False),
        ("In", ["a"], "a", True),
        ("NotIn", ["a"], "a", False),
        ("Exists", [], "a", True),
        ("DoesNotExist", [], "a", False),
    ],
)
def test_node_requirements_match(op, values, label, expected):
    assert (
        compile_node_requirements([{"key": "k", "operator": op, "values": values}])({"k": label}) is expected
    )


@pytest.mark.parametrize(
    ("req", "message"),
    [
        ({"key": "k", "operator": "Near"}, '"Near" is not a valid label selector operator'),
        (
            {"key": "k", "operator": "Gt", "values": ["1", "2"]},
            'values: Invalid value: ["1","2"]: '
            "for 'Gt', 'Lt' operators, exactly one value is required",
        ),
        (
            {"key": "k", "operator": "Lt", "values": ["x"]},
            "values[0]: Invalid value: \"x\": for 'Gt', 'Lt' operators, the value must be an integer",
        ),
    ],
)
def test_node_requirement_errors(req, message):
    with pytest.raises(SelectorError) as err:
        compile_node_requirements([req])
    assert err.value.message == message
