"""Safe, bounded loading of YAML and JSON documents.

Every document is loaded with a safe loader, the input size is bounded, and alias expansion is bounded
so that a "billion laughs" document is rejected before anything walks it.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from typing import Any

import yaml

from vmctl.errors import InputError

try:  # the C loader is ~10x faster; fall back to the pure-Python one
    _Loader: type = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - depends on how PyYAML was built
    _Loader = yaml.SafeLoader

#: Largest input accepted, in bytes (VMCTL_MAX_INPUT_BYTES overrides).
MAX_INPUT_BYTES = int(os.environ.get("VMCTL_MAX_INPUT_BYTES", 16 * 1024 * 1024))
#: Largest number of nodes a document may expand to once aliases are followed.
MAX_EXPANDED_NODES = int(os.environ.get("VMCTL_MAX_EXPANDED_NODES", 2_000_000))


class Document:
    """One parsed document with where it came from (a plain class: quicker to define than a dataclass)."""

    def __init__(self, obj: Any, source: str, index: int, text: str = "") -> None:
        self.obj = obj
        self.source = source
        self.index = index
        self.text = text
        self._lines: dict[str, int] | None = None

    def __repr__(self) -> str:
        return f"Document(obj={self.obj!r}, source={self.source!r}, index={self.index!r})"

    @property
    def where(self) -> str:
        return f"{self.source}[{self.index}]"

    def line_of(self, path: str) -> int | None:
        """1-based line of a dotted field path (``spec.template.spec.domain``), if the source is YAML."""
        if self._lines is None:
            self._lines = _line_index(self.text, self.index)
        while path:
            if path in self._lines:
                return self._lines[path]
            path = path.rsplit(".", 1)[0] if "." in path else ""
        return self._lines.get("", None)


def _check_size(data: str | bytes, source: str) -> None:
    if len(data) > MAX_INPUT_BYTES:
        raise InputError(f"{source}: input is {len(data)} bytes, more than the limit of {MAX_INPUT_BYTES} bytes")


def _expanded_size(obj: Any, source: str, index: int) -> None:
    """Reject documents whose alias expansion would be huge (memoised walk, linear in distinct nodes)."""
    memo: dict[int, int] = {}

    def size(node: Any) -> int:
        if isinstance(node, dict):
            key = id(node)
            if key in memo:
                return memo[key]
            total = 1 + sum(size(v) for v in node.values()) + len(node)
        elif isinstance(node, list):
            key = id(node)
            if key in memo:
                return memo[key]
            total = 1 + sum(size(v) for v in node)
        else:
            return 1
        if total > MAX_EXPANDED_NODES:
            raise InputError(
                f"{source}: document {index + 1} expands to more than {MAX_EXPANDED_NODES} nodes "
                "(YAML aliases nested too deeply?)"
            )
        memo[key] = total
        return total

    size(obj)


def parse_documents(text: str, source: str) -> list[Document]:
    """Parse a multi-document YAML (or JSON) text into documents; empty documents are skipped."""
    _check_size(text, source)
    stripped = text.lstrip()
    if stripped.startswith(("{", "[")):
        try:
            obj = json.loads(text)
        except json.JSONDecodeError as exc:
            if stripped.startswith("{"):
                raise InputError(f"{source}:{exc.lineno}: invalid JSON: {exc.msg}") from None
        else:
            return [Document(obj, source, 0, text)]
    docs: list[Document] = []
    try:
        for i, obj in enumerate(yaml.load_all(text, Loader=_Loader)):
            if obj is None:
                continue
            _expanded_size(obj, source, i)
            docs.append(Document(obj, source, i, text))
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = f":{mark.line + 1}" if mark else ""
        problem = exc.problem or exc.context or "invalid YAML"
        raise InputError(f"{source}{line}: invalid YAML: {problem}") from None
    except yaml.YAMLError as exc:
        raise InputError(f"{source}: invalid YAML: {exc}") from None
    except RecursionError:
        raise InputError(f"{source}: invalid YAML: nested too deeply") from None
    return docs


def iter_objects(docs: list[Document]) -> Iterator[tuple[Document, dict[str, Any]]]:
    """Yield every object, flattening ``kind: List`` documents."""
    for doc in docs:
        obj = doc.obj
        if isinstance(obj, dict) and obj.get("kind") == "List" and isinstance(obj.get("items"), list):
            for item in obj["items"]:
                yield doc, item
        else:
            yield doc, obj


def dump_yaml(obj: Any) -> str:
    """Render an object as block-style YAML with stable key order."""
    return yaml.dump(obj, Dumper=_Dumper, default_flow_style=False, sort_keys=True, allow_unicode=True, width=1000)


class _Dumper(getattr(yaml, "CSafeDumper", yaml.SafeDumper)):  # type: ignore[misc]
    """Safe dumper that never emits anchors/aliases (outputs are for kubectl)."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def _str_presenter(dumper: yaml.SafeDumper, data: str) -> yaml.ScalarNode:
    if "\n" in data:
        return dumper.represent_scalar("tag:yaml.org,2002:str", data, style="|")
    return dumper.represent_scalar("tag:yaml.org,2002:str", data)


_Dumper.add_representer(str, _str_presenter)


def _line_index(text: str, index: int) -> dict[str, int]:
    """Map dotted field paths of document ``index`` to 1-based line numbers."""
    lines: dict[str, int] = {}
    try:
        nodes = list(yaml.compose_all(text, Loader=yaml.SafeLoader))
    except yaml.YAMLError:
        return lines
    # compose_all skips nothing, parse_documents skips empty docs but keeps the original index
    if index >= len(nodes) or nodes[index] is None:
        return lines

    def walk(node: yaml.Node, path: str, depth: int) -> None:
        if depth > 200:
            return
        lines.setdefault(path, node.start_mark.line + 1)
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                if isinstance(key, yaml.ScalarNode):
                    sub = f"{path}.{key.value}" if path else str(key.value)
                    lines.setdefault(sub, key.start_mark.line + 1)
                    walk(value, sub, depth + 1)
        elif isinstance(node, yaml.SequenceNode):
            for i, item in enumerate(node.value):
                walk(item, f"{path}[{i}]", depth + 1)

    walk(nodes[index], "", 0)
    return lines
