"""Read catalog objects from folders and files (YAML or JSON, multi-document, ``List`` flattened)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from vmctl.errors import InputError

#: The kinds a catalog holds; anything else in a catalog folder is ignored.
CATALOG_KINDS = frozenset({
    "VirtualMachineInstancetype",
    "VirtualMachineClusterInstancetype",
    "VirtualMachinePreference",
    "VirtualMachineClusterPreference",
    "VirtualMachineInstancePreset",
})
_SUFFIXES = (".yaml", ".yml", ".json")
#: The pre-parsed form of the bundled catalog (the same objects as its YAML files).
INDEX_FILE = "catalog.json"


def _named(obj: dict[str, Any]) -> bool:
    meta = obj.get("metadata")
    return isinstance(meta, dict) and isinstance(meta.get("name"), str) and bool(meta["name"])


def catalog_objects(objs: Iterable[Any]) -> list[dict[str, Any]]:
    """The catalog objects among ``objs`` (``List`` documents flattened), in order."""
    found: list[dict[str, Any]] = []
    for obj in objs:
        if not isinstance(obj, dict):
            continue
        if obj.get("kind") == "List" and isinstance(obj.get("items"), list):
            found.extend(catalog_objects(obj["items"]))
        elif isinstance(obj.get("kind"), str) and obj["kind"] in CATALOG_KINDS and _named(obj):
            found.append(obj)
    return found


def read_index(path: Path) -> list[dict[str, Any]]:
    """Objects of a pre-parsed ``catalog.json`` (a ``List``)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InputError(f"{path}: cannot read catalog index: {exc}") from None
    return catalog_objects([data])


def read_bundled(path: Path) -> list[dict[str, Any]]:
    """The bundled catalog: its ``catalog.json`` when present (fast), else its YAML files."""
    index = path / INDEX_FILE
    return read_index(index) if index.is_file() else read_path(path)


def read_path(path: Path) -> list[dict[str, Any]]:
    """Catalog objects of one file, or of every YAML/JSON file below a folder (sorted by path)."""
    if path.is_file():
        files = [path]
    elif path.is_dir():
        from vmctl.io.inputs import files_below

        files = files_below(path, _SUFFIXES, skip_hidden=True)
    else:
        raise InputError(f"catalog {path}: no such file or directory")
    from vmctl.io.inputs import read_inputs  # imports PyYAML: only when a folder is really read

    docs = read_inputs(str(f) for f in files)
    return catalog_objects(d.obj for d in docs)
