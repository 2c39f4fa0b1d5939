"""``vmctl.io.jsonout.dumps_indented`` writes exactly what ``json.dumps(obj, indent=2, sort_keys=True)`` writes."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from vmctl.io.jsonout import dumps_indented, indented

json_like = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4),
    max_leaves=30,
)


@settings(max_examples=500, deadline=None)
@given(json_like)
def test_same_text_as_the_standard_encoder(obj: Any) -> None:
    assert dumps_indented(obj) == json.dumps(obj, indent=2, sort_keys=True)


def test_data_it_does_not_know_goes_to_the_standard_encoder() -> None:
    class Tagged(dict):  # a dict subclass, and non-string keys
        pass

    for obj in ({1: "a", 2: [1.5]}, Tagged(a=1), {"t": (1, 2)}):
        assert dumps_indented(obj) == json.dumps(obj, indent=2, sort_keys=True)


def test_a_part_placed_at_an_indent_joins_like_the_whole() -> None:
    items = [{"b": [1, {"c": None}], "a": "x"}, {}]
    whole = json.dumps({"items": items}, indent=2, sort_keys=True)
    assert whole == '{\n  "items": [\n    ' + ",\n    ".join(indented(i, "    ") for i in items) + "\n  ]\n}"
