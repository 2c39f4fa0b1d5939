"""Parsed templates are cached as JSON under the user cache folder, named by the text's hash: a changed file is
parsed again, a broken or unwritable cache is never an error, and only plain data is cached."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from vmctl.io import parsecache
from vmctl.io.parsecache import cache_dir, parse_cached

TEXT = "kind: Template\nmetadata:\n  name: t\nobjects: []\n---\n---\nkind: Other\n"


def entries() -> list[Path]:
    return sorted(cache_dir().glob("*.json")) if cache_dir().is_dir() else []


def test_cache_folder_follows_xdg_cache_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert cache_dir() == tmp_path / "vmctl" / "parsed"


def test_second_read_comes_from_the_cache_with_the_same_documents(monkeypatch: pytest.MonkeyPatch) -> None:
    first = parse_cached(TEXT, "t.yaml")
    assert len(entries()) == 1
    monkeypatch.setattr(parsecache, "parse_documents", lambda *a: pytest.fail("parsed again"))
    second = parse_cached(TEXT, "t.yaml")
    assert [(d.obj, d.index, d.source, d.text) for d in second] == [(d.obj, d.index, d.source, d.text) for d in first]
    assert [d.index for d in second] == [0, 2]


def test_a_changed_text_is_parsed_again() -> None:
    parse_cached(TEXT, "t.yaml")
    changed = parse_cached(TEXT.replace("name: t", "name: u"), "t.yaml")
    assert changed[0].obj["metadata"]["name"] == "u"
    assert len(entries()) == 2


def test_a_broken_entry_is_replaced() -> None:
    parse_cached(TEXT, "t.yaml")
    (entry,) = entries()
    entry.write_text("{not json")
    assert parse_cached(TEXT, "t.yaml")[0].obj["metadata"]["name"] == "t"
    assert entry.read_text().startswith("[[0, ")


def test_an_unwritable_cache_is_no_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker))  # a file where the folder should be
    assert parse_cached(TEXT, "t.yaml")[0].obj["kind"] == "Template"
    assert not [p for p in tmp_path.iterdir() if p.name != "file"]


def test_data_json_cannot_hold_is_not_cached() -> None:
    docs = parse_cached("a: 2001-12-14\n", "d.yaml")
    assert str(docs[0].obj["a"]) == "2001-12-14" and entries() == []
    assert parse_cached("1: a\n", "k.yaml")[0].obj == {1: "a"} and entries() == []


def test_errors_are_the_parsers_and_nothing_is_cached() -> None:
    from vmctl.errors import InputError

    with pytest.raises(InputError, match=r'f.yaml:2: invalid YAML: key "a" already set'):
        parse_cached("a: 1\na: 2\n", "f.yaml")
    assert entries() == []


def test_no_scratch_file_is_left_behind() -> None:
    parse_cached(TEXT, "t.yaml")
    assert [p.name for p in cache_dir().iterdir() if p.name.startswith(".")] == []
    assert os.listdir(cache_dir())
