"""vmctl JinjaTemplate: rendering, parameters, and the sandbox against template injection."""

from __future__ import annotations

import pytest

from vmctl.errors import InputError
from vmctl.template import process


def jt(body: str, parameters: list | None = None, **extra) -> dict:
    return {
        "apiVersion": "vmctl.dev/v1alpha1",
        "kind": "JinjaTemplate",
        "metadata": {"name": "jt"},
        "parameters": parameters or [],
        "template": body,
        **extra,
    }


BODY = """\
apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ NAME | yaml }}
data:
  value: {{ VALUE | yaml }}
{% if EXTRA %}
  extra: "yes"
{% endif %}
"""
PARAMS = [{"name": "NAME", "required": True}, {"name": "VALUE", "value": "v"}, {"name": "EXTRA"}]


def test_renders_objects_with_logic_labels_and_message() -> None:
    t = jt(BODY, PARAMS, labels={"from": "template"}, message="made {{ NAME }}")
    result = process(t, {"NAME": "cm1", "EXTRA": "1"}, labels={"cli": "x"})
    assert result.objects == [{
        "apiVersion": "v1", "kind": "ConfigMap",
        "metadata": {"name": "cm1", "labels": {"from": "template", "cli": "x"}},
        "data": {"value": "v", "extra": "yes"},
    }]
    assert result.message == "made cm1"
    assert process(t, {"NAME": "cm2"}).objects[0]["data"] == {"value": "v"}


def test_several_documents() -> None:
    body = "{% for i in range(3) %}\n---\nkind: X\nmetadata:\n  name: x{{ i }}\n{% endfor %}\n"
    names = [o["metadata"]["name"] for o in process(jt(body), {}).objects]
    assert names == ["x0", "x1", "x2"]


def test_required_unknown_and_generated() -> None:
    with pytest.raises(InputError) as err:
        process(jt(BODY, PARAMS), {})
    assert err.value.message == "jt: parameters[0]: parameter NAME is required and must be specified"
    with pytest.raises(InputError, match='unknown parameter name "NOPE"'):
        process(jt(BODY, PARAMS), {"NAME": "a", "NOPE": "1"})
    gen = [{"name": "NAME", "generate": "expression", "from": "cm-[0-9]{4}"}, {"name": "VALUE"}, {"name": "EXTRA"}]
    name = process(jt(BODY, gen), {}).objects[0]["metadata"]["name"]
    assert name.startswith("cm-") and name[3:].isdigit() and len(name) == 7


def test_undefined_variable_is_an_error() -> None:
    with pytest.raises(InputError) as err:
        process(jt("kind: X\nmetadata:\n  name: {{ MISSING }}\n"), {})
    assert err.value.message == "jt: template: 'MISSING' is undefined"


def test_fail_function_and_syntax_errors() -> None:
    with pytest.raises(InputError) as err:
        process(jt('{{ fail("WORKLOAD must be server") }}'), {})
    assert err.value.message == "jt: template: WORKLOAD must be server"
    with pytest.raises(InputError, match=r"jt: template: line 2: template syntax error: "):
        process(jt("kind: X\n{% if %}\n"), {})


UNSAFE = "jt: template blocked by the sandbox: access to attribute '{attr}' of '{owner}' object is unsafe."


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("{{ ''.__class__.__mro__ }}", UNSAFE.format(attr="__class__", owner="str")),
        ("{{ ''.__class__.__mro__[1].__subclasses__() }}", UNSAFE.format(attr="__class__", owner="str")),
        ("{{ cycler.__init__.__globals__ }}", UNSAFE.format(attr="__init__", owner="type")),
        ("{{ joiner.__init__.__globals__.os }}", UNSAFE.format(attr="__init__", owner="type")),
        ("{{ namespace.__init__.__globals__ }}", UNSAFE.format(attr="__init__", owner="type")),
        ("{{ (1).__class__.__base__ }}", UNSAFE.format(attr="__class__", owner="int")),
        ("{{ range.__self__ }}", "jt: template: 'function object' has no attribute '__self__'"),
        ("{{ fail.__globals__ }}", UNSAFE.format(attr="__globals__", owner="function")),
    ],
)
def test_sandbox_blocks_python_internals(body: str, message: str) -> None:
    with pytest.raises(InputError) as err:
        process(jt(body), {})
    assert err.value.message == message


def test_sandbox_has_no_file_access() -> None:
    with pytest.raises(InputError, match=r"line 1: \{% include %\} is not supported: a template is self-contained"):
        process(jt("{% include '/etc/passwd' %}"), {})
    with pytest.raises(InputError, match="'open' is undefined"):
        process(jt("{{ open('/etc/passwd').read() }}"), {})
    with pytest.raises(InputError, match="'lipsum' is undefined"):
        process(jt("{{ lipsum(10) }}"), {})


def test_huge_results_are_refused() -> None:
    with pytest.raises(InputError, match="the result of '\\*' would be longer than"):
        process(jt("{{ 'a' * 100000000 }}"), {})
    with pytest.raises(InputError, match="the result of '\\*\\*' would be larger than"):
        process(jt("{{ 10 ** 100000 }}"), {})


def test_parameter_values_are_never_rendered_again() -> None:
    body = "kind: X\nmetadata:\n  name: x\nraw: 'pre {{ V }}'\nquoted: {{ V | yaml }}\n"
    params = [{"name": "V"}]
    obj = process(jt(body, params), {"V": "{{ 7*7 }}"}).objects[0]
    assert obj["quoted"] == "{{ 7*7 }}"
    assert obj["raw"] == "pre {{ 7*7 }}"
    loop = "{% for x in range(3) %}A{% endfor %}"
    obj = process(jt(body, params), {"V": loop}).objects[0]
    assert (obj["raw"], obj["quoted"]) == (f"pre {loop}", loop)


def test_yaml_filter_stops_structure_injection() -> None:
    body = "kind: X\nmetadata:\n  name: {{ V | yaml }}\n"
    obj = process(jt(body, [{"name": "V"}]), {"V": "a\nkind: Evil\nspec: {x: 1}"}).objects[0]
    assert obj == {"kind": "X", "metadata": {"name": "a\nkind: Evil\nspec: {x: 1}"}}


def test_rendered_text_must_be_objects() -> None:
    with pytest.raises(InputError, match="expected an object mapping, got str"):
        process(jt("just text\n"), {})
    with pytest.raises(InputError, match="the template rendered no objects"):
        process(jt("{% if false %}kind: X{% endif %}\n"), {})
    with pytest.raises(InputError, match=r"jt \(rendered\):2: invalid YAML"):
        process(jt("kind: X\n  bad: [\n"), {})
