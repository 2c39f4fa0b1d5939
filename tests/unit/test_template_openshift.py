"""OpenShift Template processing: substitution forms, typed values, generation, required/unknown, labels."""

from __future__ import annotations

import copy

import pytest

from vmctl.errors import InputError
from vmctl.template import process


def tpl(objects: list, parameters: list, **extra) -> dict:
    return {
        "apiVersion": "template.openshift.io/v1",
        "kind": "Template",
        "metadata": {"name": "t1"},
        "objects": objects,
        "parameters": parameters,
        **extra,
    }


def test_string_substitution_many_times_and_in_keys() -> None:
    t = tpl(
        [{"kind": "ConfigMap", "metadata": {"name": "${A}-${B}-${A}"}, "data": {"${A}_key": "x${B}y", "n": ["${B}"]}}],
        [{"name": "A", "value": "foo"}, {"name": "B", "value": "7"}],
    )
    obj = process(t, {}).objects[0]
    assert obj == {"kind": "ConfigMap", "metadata": {"name": "foo-7-foo"}, "data": {"foo_key": "x7y", "n": ["7"]}}


def test_json_typed_substitution_only_for_the_whole_string() -> None:
    t = tpl(
        [{"kind": "X", "metadata": {"name": "x"}, "spec": {
            "n": "${{N}}", "b": "${{B}}", "m": "${{M}}", "s": "${{S}}", "str": "${N}", "mixed": "a-${{N}}",
            "list": ["${{L}}"],
        }}],
        [{"name": "N", "value": "3"}, {"name": "B", "value": "true"}, {"name": "M", "value": '{"a": 1}'},
         {"name": "S", "value": "not json"}, {"name": "L", "value": "[1, 2.5]"}],
    )
    spec = process(t, {}).objects[0]["spec"]
    assert spec == {"n": 3, "b": True, "m": {"a": 1}, "s": "not json", "str": "3", "mixed": "a-${{N}}",
                    "list": [[1, 2.5]]}
    assert isinstance(spec["n"], int) and spec["b"] is True


def test_undefined_reference_is_left_verbatim() -> None:
    t = tpl([{"kind": "X", "metadata": {"name": "${NAME}-${MISSING}"}, "v": "${{MISSING}}"}], [{"name": "NAME", "value": "a"}])
    obj = process(t, {}).objects[0]
    assert obj["metadata"]["name"] == "a-${MISSING}"
    assert obj["v"] == "${{MISSING}}"


def test_supplied_value_replaces_generator_and_default() -> None:
    t = tpl([{"kind": "X", "metadata": {"name": "${NAME}"}, "v": "${V}"}],
            [{"name": "NAME", "generate": "expression", "from": "vm-[a-z]{8}"}, {"name": "V", "value": "default"}])
    assert process(t, {"NAME": "web1", "V": "given"}).objects[0] == {"kind": "X", "metadata": {"name": "web1"}, "v": "given"}
    generated = process(t, {}).objects[0]["metadata"]["name"]
    assert generated.startswith("vm-") and len(generated) == 11 and generated[3:].isalpha()


def test_generated_value_is_the_same_everywhere() -> None:
    t = tpl([{"kind": "X", "metadata": {"name": "${NAME}", "labels": {"app": "${NAME}"}}}],
            [{"name": "NAME", "generate": "expression", "from": "[a-z]{10}"}])
    obj = process(t, {}).objects[0]
    assert obj["metadata"]["name"] == obj["metadata"]["labels"]["app"]


def test_required_parameter_error() -> None:
    t = tpl([{"kind": "X", "metadata": {"name": "${A}"}}], [{"name": "OPT"}, {"name": "A", "required": True}])
    with pytest.raises(InputError) as err:
        process(t, {})
    assert err.value.message == "t1: template.parameters[1]: parameter A is required and must be specified"
    # an explicitly empty value does not satisfy required either
    with pytest.raises(InputError, match="parameter A is required"):
        process(t, {"A": ""})
    assert process(t, {"A": "ok"}).objects[0]["metadata"]["name"] == "ok"


def test_all_parameter_errors_are_reported_together() -> None:
    t = tpl([], [{"name": "A", "required": True}, {"name": "G", "generate": "expression", "from": "[ABC]{2}"},
                 {"name": "H", "generate": "magic"}])
    with pytest.raises(InputError) as err:
        process(t, {})
    assert err.value.message == (
        "t1: template.parameters[0]: parameter A is required and must be specified; "
        "template.parameters[1]: malformed expresion syntax: [ABC]; "
        "template.parameters[2]: Unknown generator name 'magic' for parameter H"
    )


def test_unknown_parameter() -> None:
    t = tpl([{"kind": "X", "metadata": {"name": "x"}}], [{"name": "A", "value": "1"}])
    with pytest.raises(InputError) as err:
        process(t, {"X": "1"})
    assert err.value.message == 'unknown parameter name "X"'
    with pytest.raises(InputError) as err:
        process(t, {"X": "1", "Y": "2"})
    assert err.value.message == '[unknown parameter name "X", unknown parameter name "Y"]'
    assert process(t, {"X": "1"}, ignore_unknown=True).objects == [{"kind": "X", "metadata": {"name": "x"}}]


def test_namespace_stripped_unless_parameterized() -> None:
    t = tpl([{"kind": "X", "metadata": {"name": "a", "namespace": "hard"}},
             {"kind": "X", "metadata": {"name": "b", "namespace": "${NS}"}},
             {"kind": "X", "metadata": {"name": "c", "namespace": "pre-${NS}"}}],
            [{"name": "NS", "value": "team"}])
    objs = process(t, {}).objects
    assert "namespace" not in objs[0]["metadata"]
    assert objs[1]["metadata"]["namespace"] == "team"
    assert objs[2]["metadata"]["namespace"] == "pre-team"


def test_labels_merged_into_every_object_with_substitution() -> None:
    t = tpl([{"kind": "X", "metadata": {"name": "a", "labels": {"keep": "1", "over": "old"}}},
             {"kind": "Y", "metadata": {"name": "b"}},
             {"kind": "Z"}],
            [{"name": "APP", "value": "shop"}],
            labels={"app": "${APP}", "over": "new", "${APP}-key": "v"})
    objs = process(t, {}, labels={"team": "a", "over": "cli"}).objects
    assert objs[0]["metadata"]["labels"] == {"keep": "1", "over": "cli", "app": "shop", "shop-key": "v", "team": "a"}
    assert objs[1]["metadata"]["labels"] == {"app": "shop", "over": "cli", "shop-key": "v", "team": "a"}
    assert objs[2]["metadata"] == {"labels": {"app": "shop", "over": "cli", "shop-key": "v", "team": "a"}}


def test_message_substituted_and_template_not_modified() -> None:
    t = tpl([{"kind": "X", "metadata": {"name": "${A}", "namespace": "n"}}], [{"name": "A", "value": "one"}],
            message="Created ${A}; undefined ${B} stays.")
    before = copy.deepcopy(t)
    result = process(t, {"A": "two"})
    assert result.message == "Created two; undefined ${B} stays."
    assert t == before


def test_value_inserted_is_not_substituted_again_but_go_replace_order_is_kept() -> None:
    # each match of the original string replaces the first remaining occurrence, as library-go does
    t = tpl([{"kind": "X", "metadata": {"name": "n"}, "a": "${A}", "b": "${A}-${B}"}],
            [{"name": "A", "value": "${B}"}, {"name": "B", "value": "x"}])
    obj = process(t, {}).objects[0]
    assert obj["a"] == "${B}"
    assert obj["b"] == "x-${B}"


def test_bad_shapes_are_reported_with_field() -> None:
    with pytest.raises(InputError, match=r"t1: parameters\[0\]\.value: expected a string, got int 2 \(quote it\)"):
        process(tpl([], [{"name": "A", "value": 2}]), {})
    with pytest.raises(InputError, match=r"t1: objects\[0\]: expected an object mapping, got str"):
        process(tpl(["oops"], []), {})
