"""``vmctl.io.yamlio.dump_yaml`` writes plain data itself; its text must equal PyYAML's, byte for byte.

The reference is PyYAML's C dumper with the options vmctl has always used (block style, sorted keys,
width 1000, unicode, no aliases, ``|`` for strings with line breaks), built here independently.
"""

from __future__ import annotations

import copy
import json
import string
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from vmctl.catalog import load_catalog
from vmctl.core.pipeline import MemoSource, resolve
from vmctl.errors import VmctlError
from vmctl.io import yamlio
from vmctl.io.yamlio import dump_yaml, parse_documents
from vmctl.template import list_templates, parameters_of, process

REPO = Path(__file__).resolve().parents[2]
SHARED = Path("/work/shared/kubevirt")


class _Reference(yaml.CSafeDumper):
    def ignore_aliases(self, data: Any) -> bool:
        return True


def _literal(dumper: yaml.SafeDumper, data: str) -> yaml.ScalarNode:
    return dumper.represent_scalar("tag:yaml.org,2002:str", data, style="|" if "\n" in data else None)


_Reference.add_representer(str, _literal)


def reference(obj: Any) -> str:
    return yaml.dump(obj, Dumper=_Reference, default_flow_style=False, sort_keys=True, allow_unicode=True, width=1000)


def same(obj: Any) -> str:
    expected = reference(obj)
    assert dump_yaml(obj) == expected
    return expected


def fast(obj: dict[str, Any]) -> str:
    """The emitter's own text (no fallback to PyYAML for the whole object), checked against the reference."""
    text = yamlio._fast_dump(obj)
    assert text == reference(obj)
    return text


# --- known shapes and scalars ---------------------------------------------------------------------------------


def test_block_layout_of_nested_collections() -> None:
    obj = {
        "b": [1, "two", None, True, False, 2.5, [], {}, [3, [4, 5]], {"z": 1, "a": [{"k": "v"}]}],
        "a": {"y": {}, "x": []},
    }
    assert fast(obj) == (
        "a:\n  x: []\n  y: {}\nb:\n- 1\n- two\n- null\n- true\n- false\n- 2.5\n- []\n- {}\n- - 3\n  - - 4\n"
        "    - 5\n- a:\n  - k: v\n  z: 1\n"
    )


@pytest.mark.parametrize(
    ("value", "text"),
    [
        ("yes", "'yes'"), ("No", "'No'"), ("on", "'on'"), ("y", "y"), ("n", "n"), ("null", "'null'"),
        ("~", "'~'"), ("", "''"), ("123", "'123'"), ("0x1f", "'0x1f'"), ("1.5", "'1.5'"), ("1e3", "1e3"),
        ("1.0e+3", "'1.0e+3'"), ("2020-01-01", "'2020-01-01'"), (".inf", "'.inf'"), ("<<", "'<<'"), ("=", "'='"),
        ("190:20:30", "'190:20:30'"), ("a: b", "'a: b'"), ("a:b", "a:b"), ("a #b", "'a #b'"), ("a#b", "a#b"),
        (" lead", "' lead'"), ("trail ", "'trail '"), ("- x", "'- x'"), ("-x", "-x"), ("...x", "'...x'"),
        ("it's", "it's"), ("'q'", "'''q'''"), ('"d"', "'\"d\"'"), ("tab\there", '"tab\\there"'),
        ("quay.io/containerdisks/fedora:40", "quay.io/containerdisks/fedora:40"), ("é ü", "é ü"),
        ("\x85", '"\\N"'),
    ],
)
def test_string_values(value: str, text: str) -> None:
    assert same({"key": value}) == f"key: {text}\n"
    assert same({"key": [value]}) == f"key:\n- {text}\n"
    key = same({value: 1})
    if value == "\x85":  # a key with a line break is a complex key
        assert key == f"? {text}\n: 1\n"
    else:
        assert key == f"{text}: 1\n"


@pytest.mark.parametrize(
    ("value", "text"),
    [
        ("a\nb", "|-\n  a\n  b"), ("a\n", "|\n  a"), ("a\n\nb\n", "|\n  a\n\n  b"), (" a\nb", "|2-\n   a\n  b"),
        ("\na", "|2-\n\n  a"), ("a \nb", '"a \\nb"'), ("a\n b", "|-\n  a\n   b"),
    ],
)
def test_multiline_values_nested(value: str, text: str) -> None:
    body = text.replace("\n  ", "\n      ")
    assert same({"a": {"b": {"c": value}}}) == f"a:\n  b:\n    c: {body}\n"


def test_unicode_line_separators_are_left_to_pyyaml() -> None:
    # PyYAML writes U+2028 raw inside a quoted scalar and indents the next line: the text depends on the column
    assert same({"key": "a\u2028b"}) == "key: 'a\u2028  b'\n"
    assert same({"a": {"b": ["a\u2028b", "c\x85d"]}}) == "a:\n  b:\n  - 'a\u2028    b'\n  - \"c\\Nd\"\n"


def test_kept_trailing_newlines_end_the_document_as_pyyaml_does() -> None:
    assert same({"a": {"b": "x\n\n"}, "c": 1}) == "a:\n  b: |+\n    x\n\nc: 1\n...\n"


def test_long_and_odd_keys() -> None:
    same({"k" * 100: 1, "k" * 129: 2, "x y": 3, "": 4, "a\nb": 5, "yes": 6})
    same({"a" * 127: {"b": 1}, "c d e " * 30: [1]})


def test_long_strings_break_like_pyyaml() -> None:
    words = " ".join(["word"] * 400)
    same({"a": words, "b": {"c": {"d": "x" * 990 + " y"}}, "e": ["z " * 600]})
    same({"a": "x" * 5000})
    deep: dict[str, Any] = {"leaf": "one two three " * 20}
    for _ in range(300):
        deep = {"k": deep}
    same(deep)


def test_non_plain_data_goes_to_pyyaml() -> None:
    import datetime

    same({"when": datetime.date(2020, 1, 1), "b": b"\x00\x01", "t": (1, 2)})
    same({1: "int key", 2: "x"})
    same({"f": [float("inf"), float("-inf"), float("nan"), 1e-7, 3.0, 1e16, -0.0]})
    same({"big": 10**30, "neg": -5})
    assert dump_yaml([1, {"a": 2}]) == reference([1, {"a": 2}])
    assert dump_yaml("top\n") == reference("top\n")
    assert dump_yaml({}) == reference({})


def test_shared_subobjects_are_written_out_each_time() -> None:
    shared = {"x": [1, 2]}
    same({"a": shared, "b": shared, "c": [shared, shared]})


# --- real data ------------------------------------------------------------------------------------------------


def test_golden_templates_render_identically() -> None:
    files = sorted((REPO / "tests" / "golden" / "templates").glob("*.yaml"))
    assert files
    for path in files:
        text = path.read_text()
        (doc,) = parse_documents(text, str(path))
        assert fast(doc.obj) == text


@pytest.mark.skipif(not SHARED.is_dir(), reason="upstream data not present")
def test_upstream_documents_render_identically() -> None:
    count = 0
    for path in sorted(SHARED.rglob("*.yaml")):
        for doc in parse_documents(path.read_text(), str(path)):
            same(doc.obj)
            count += 1
    swagger = json.loads((SHARED / "openapi" / "swagger.json").read_text())
    for definition in swagger["definitions"].values():  # long descriptions: line breaks, quotes, 1000+ chars
        same(definition)
        count += 1
    same(swagger["paths"])
    assert count > 500


def _catalog_objects() -> list[dict[str, Any]]:
    catalog = load_catalog()
    return catalog.instancetypes() + catalog.preferences()


def test_catalog_objects_render_identically() -> None:
    for obj in _catalog_objects():
        fast(obj)


def _template_vms() -> list[dict[str, Any]]:
    vms = []
    for template in list_templates():
        names = {p["name"] for p in parameters_of(template)}
        params = {"NAME": f"vm-{template['metadata']['name']}"}
        if "CLOUD_USER_PASSWORD" in names:
            params["CLOUD_USER_PASSWORD"] = "abcd-efgh-ijkl"
        result = process(template, params, choose=lambda alphabet: alphabet[0])
        vms += [o for o in result.objects if o.get("kind") == "VirtualMachine"]
    return vms


def test_resolved_vmis_of_every_template_and_catalog_entry_render_identically() -> None:
    catalog = load_catalog()
    source = MemoSource(catalog)
    instancetypes = [o["metadata"]["name"] for o in catalog.instancetypes()]
    preferences = [o["metadata"]["name"] for o in catalog.preferences()]
    vms = _template_vms()
    assert len(vms) >= 6
    rendered = 0
    for vm in vms:
        combos = [(it, None) for it in instancetypes] + [(None, p) for p in preferences]
        combos += list(zip(instancetypes, preferences, strict=False))
        for it, pref in combos:
            item = copy.deepcopy(vm)
            spec = item["spec"]
            if it:
                spec["instancetype"] = {"name": it, "kind": "VirtualMachineClusterInstancetype"}
                for section in ("cpu", "memory", "resources"):
                    spec["template"]["spec"]["domain"].pop(section, None)
            if pref:
                spec["preference"] = {"name": pref, "kind": "VirtualMachineClusterPreference"}
            try:
                result = resolve(item, source, origins=False)
            except VmctlError:
                continue
            fast(result.obj)
            same(item)
            rendered += 1
    assert rendered > 500


# --- generated data -------------------------------------------------------------------------------------------

_TRICKY = [
    "", " ", "  ", "\n", "\n\n", "a\n", "a\n\n", "\na", " a", "a ", "a\n b", "a \nb", "\t", "a\tb", "yes", "NO",
    "off", "On", "true", "False", "null", "Null", "~", "0", "-0", "+1", "0o7", "0b101", "0x_F", "1_000", "1:20",
    "1.5e+3", "-.inf", ".NaN", "2001-12-14t21:59:43.10-05:00", "2002-12-14", "<<", "=", "-", "--", "---", "...",
    "- a", "? a", "?a", ": a", ":a", "a:", "a: ", "a :b", "#", "a #", "a#", "&a", "*a", "!a", "|", ">", "%", "@",
    "`", "'", '"', "[a]", "{a}", "a,b", "a, b", "\\", "é", "ü ö", "日本", "\u00a0", "\ufeff", "\x85", "\u2028",
    "\u2029", "\r", "a\r\nb", "\x00", "\x7f", "\x1b[0m", "\ud7ff", "\ue000", "\U0001f600", "x" * 128, "x" * 990,
    "y " * 520, "#cloud-config\npassword: x\n", "line\n\n\n", "  indented\n  block\n", "a\n\x85b",
]

_ALPHABET = string.ascii_letters + string.digits + " \n\t-_.:/#'\"?!&*|>%@`,[]{}=<~+\\\x85\u2028é日"
strings = st.one_of(
    st.sampled_from(_TRICKY),
    st.text(alphabet=_ALPHABET, max_size=12),
    st.text(max_size=6),
    st.builds(lambda a, b: a + b, st.sampled_from(_TRICKY), st.text(alphabet=_ALPHABET, max_size=4)),
)
scalars = st.one_of(
    strings, st.integers(), st.booleans(), st.none(), st.floats(allow_nan=True, allow_infinity=True)
)
json_like = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(strings, inner, max_size=4),
    max_leaves=25,
)


@settings(max_examples=800, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(strings, json_like, min_size=1, max_size=6))
def test_generated_data_renders_identically(obj: dict[str, Any]) -> None:
    same(obj)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(_TRICKY), min_size=1, max_size=5), st.integers(min_value=0, max_value=6))
def test_tricky_strings_at_every_depth(values: list[str], depth: int) -> None:
    obj: Any = {"k": values, "m": {v: v for v in values}}
    for level in range(depth):
        obj = {"d": obj} if level % 2 else {"l": [obj, values]}
    same(obj)


def test_caches_stay_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(yamlio, "_CACHE_LIMIT", 10)
    for i in range(50):
        same({f"key-{i}": f"value {i}", "list": [f"item {i}", f"{i}"]})
    assert len(yamlio._VALUES) <= 10 and len(yamlio._KEYS) <= 10
