"""``parse_documents`` reads YAML as Kubernetes does (a repeated key is an error, an unclosed quote is reported
where it opens), builds exactly what PyYAML's safe loader builds otherwise, and keeps its bounds."""

from __future__ import annotations

import re
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from vmctl.errors import InputError
from vmctl.io.yamlio import IMPLICIT_RESOLVERS, implicit_tag, parse_documents, split_documents


def objects(text: str) -> list[Any]:
    return [doc.obj for doc in parse_documents(text, "f.yaml")]


def error(text: str) -> str:
    with pytest.raises(InputError) as caught:
        parse_documents(text, "f.yaml")
    return caught.value.message


# --- repeated keys ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("apiVersion: v1\nkind: VirtualMachine\nmetadata:\n  name: a\nkind: Pod\n",
         'f.yaml:5: invalid YAML: key "kind" already set in map (at line 2)'),
        ("a:\n  b: 1\n  c: 2\n  b: 3\n", 'f.yaml:4: invalid YAML: key "b" already set in map (at line 2)'),
        ("a: [{x: 1, x: 2}]\n", 'f.yaml:1: invalid YAML: key "x" already set in map (at line 1)'),
        ("yes: 1\ntrue: 2\n", 'f.yaml:2: invalid YAML: key "true" already set in map (at line 1)'),
        ("1: a\n0x1: b\n", 'f.yaml:2: invalid YAML: key "0x1" already set in map (at line 1)'),
        # documents PyYAML's own constructor builds (a date, a merge key) follow the same rule
        ("a: 2001-12-14\nb: 1\na: 2\n", 'f.yaml:3: invalid YAML: key "a" already set in map (at line 1)'),
        ("base: &b {x: 1}\nuse:\n  <<: *b\n  y: 5\n  y: 6\n",
         'f.yaml:5: invalid YAML: key "y" already set in map (at line 4)'),
        ("---\nkind: A\n---\nkind: B\nkind: C\n", 'f.yaml:5: invalid YAML: key "kind" already set in map (at line 4)'),
    ],
)
def test_a_repeated_key_is_an_error_at_its_line(text: str, expected: str) -> None:
    assert error(text) == expected


def test_keys_equal_as_text_but_not_as_values_are_different_keys() -> None:
    assert objects("1: a\n'1': b\n") == [{1: "a", "1": "b"}]


def test_a_merge_key_may_be_overridden() -> None:
    assert objects("base: &b {x: 1, y: 2}\nuse:\n  <<: *b\n  x: 5\n") == [
        {"base": {"x": 1, "y": 2}, "use": {"x": 5, "y": 2}}
    ]


def test_the_same_key_in_different_documents_is_fine() -> None:
    assert objects("kind: A\n---\nkind: B\n") == [{"kind": "A"}, {"kind": "B"}]


# --- unclosed quotes -------------------------------------------------------------------------------------------

UNCLOSED = "f.yaml:{}: invalid YAML: unclosed quote: the quoted scalar that starts on this line never ends"


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("apiVersion: kubevirt.io/v1\nkind: VirtualMachine\nmetadata:\n  name: \"web1\nspec:\n  runStrategy: Always\n", 4),
        ("metadata:\n  name: \"web1\n  labels:\n    app: \"x\"\nspec: {}\n", 2),
        ("metadata:\n  name: 'web1\nspec:\n  a: 'b'\n  c: d\n", 2),
        ("items:\n- \"a\n- b\n- c: \"d\"\n- e: f\n", 2),
    ],
)
def test_an_unclosed_quote_is_reported_where_it_opens(text: str, line: int) -> None:
    assert error(text) == UNCLOSED.format(line)


def test_a_bad_escape_in_a_closed_quote_keeps_libyamls_message() -> None:
    assert error('a: 1\nb: "x\\qy"\nc: 2\n') == "f.yaml:2: invalid YAML: found unknown escape character"


def test_a_quote_that_runs_into_the_next_document_is_unclosed() -> None:
    assert error('a: "x\n---\nb: 1\n') == UNCLOSED.format(1)


def test_a_quoted_scalar_over_several_lines_is_fine() -> None:
    assert objects('a: "hello\n  world"\nb: 1\n') == [{"a": "hello world", "b": 1}]


def test_other_errors_keep_their_own_line() -> None:
    text = "apiVersion: kubevirt.io/v1\nkind: VirtualMachine\nmetadata:\n  name: [web1\nspec: {}\n"
    assert error(text) == "f.yaml:5: invalid YAML: did not find expected ',' or ']'"


# --- the same data as PyYAML, and the bounds ---------------------------------------------------------------------

SAMPLES = [
    "a: 1\nb: 1.5\nc: true\nd: null\ne: ~\nf: '1'\ng: 0o17\nh: 0x1f\ni: 1_000\nj: .inf\nk: -.inf\nl: yes\n",
    "a: &x [1, {b: 2}]\nc: *x\n",
    "a: !!binary aGVsbG8=\nb: 2001-12-14t21:59:43.10-05:00\nc: !!set {x, y}\n",
    "- a\n- [b, c]\n- {d: e}\n- - f\n",
    "? a\n: c\n",
    "a: |\n  line\n  two\nb: >\n  folded\n  text\n",
    "--- 1\n--- text\n---\n...\n--- [1]\n",
    "=: value\n",
]


@pytest.mark.parametrize("text", SAMPLES)
def test_documents_equal_pyyaml_safe_load(text: str) -> None:
    expected = [obj for obj in yaml.load_all(text, Loader=yaml.SafeLoader) if obj is not None]
    assert objects(text) == expected


@settings(max_examples=200, deadline=None)
@given(st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8) | st.floats(allow_nan=False),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=5), children, max_size=4),
    max_leaves=20,
))
def test_any_plain_data_reads_back_as_written(data: Any) -> None:
    text = yaml.safe_dump({"root": data})
    assert objects(text) == [yaml.safe_load(text)]


def test_aliases_are_built_once_and_bounded() -> None:
    bomb = "a: &a [" + ",".join(['"lol"'] * 9) + "]\n" + "".join(
        f"{n}: &{n} [" + ",".join([f"*{p}"] * 9) + "]\n" for p, n in zip("abcdefgh", "bcdefghi", strict=True)
    )
    assert "expands to more than" in error(bomb)


def test_nesting_is_bounded() -> None:
    assert "invalid YAML" in error("a: " + "[" * 5000 + "]" * 5000 + "\n")


def test_the_resolver_copy_equals_pyyaml() -> None:
    """``IMPLICIT_RESOLVERS`` lets the emitter decide plain strings without importing PyYAML."""
    ours = [(tag, pattern, flags, first) for tag, pattern, flags, firsts in IMPLICIT_RESOLVERS for first in firsts]
    theirs = [
        (tag, regexp.pattern, regexp.flags & ~re.UNICODE, first)
        for first, resolvers in yaml.resolver.Resolver.yaml_implicit_resolvers.items()
        if first
        for tag, regexp in resolvers
    ]
    assert sorted(ours) == sorted(theirs)
    for first in {first for *_, first in ours}:  # and in PyYAML's order for every first character
        assert [t for t, _, _, f in ours if f == first] == [
            t for t, _ in yaml.resolver.Resolver.yaml_implicit_resolvers[first]
        ]


@settings(deadline=None)
@given(st.text(alphabet="0123456789.:-+eEtTyYnNoOfF_xXabl ~<=", min_size=1, max_size=12))
def test_implicit_tag_equals_pyyaml(text: str) -> None:
    assert implicit_tag(text) == yaml.resolver.Resolver().resolve(yaml.ScalarNode, text, (True, False))


# --- cutting a stream into runs of documents ---------------------------------------------------------------------


def test_split_documents_cuts_on_document_starts_only() -> None:
    text = "".join(f"---\nkind: VirtualMachine\nmetadata:\n  name: vm-{i}\n  note: '--- not a start'\n" for i in range(50))
    parts = split_documents(text, 2)
    assert len(parts) == 2 and "".join(parts) == text and parts[1].startswith("---\n")
    first = objects(parts[0])
    assert first + objects(parts[1]) == objects(text)


def test_split_documents_leaves_directives_and_single_documents_alone() -> None:
    assert split_documents("%YAML 1.1\n---\na: 1\n---\nb: 2\n", 2) == ["%YAML 1.1\n---\na: 1\n---\nb: 2\n"]
    assert split_documents("a: 1\n", 2) == ["a: 1\n"]


def test_an_unhashable_key_is_pyyamls_error() -> None:
    assert error("? [a, b]\n: c\n") == "f.yaml:1: invalid YAML: found unhashable key"
