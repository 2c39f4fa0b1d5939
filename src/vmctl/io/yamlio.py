"""Safe, bounded loading of YAML and JSON documents.

Every document is loaded with a safe loader (libyaml's, strict about repeated keys: see ``yamlloader``), the
input size is bounded, and alias expansion is bounded so that a "billion laughs" document is rejected before
anything walks it. PyYAML is imported only when YAML is really read or written by PyYAML.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

from vmctl import settings
from vmctl.errors import InputError


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


def check_size(data: str | bytes, source: str) -> None:
    limit = settings.max_input_bytes()
    if len(data) > limit:
        raise InputError(f"{source}: input is {len(data)} bytes, more than the limit of {limit} bytes")


def _expanded_size(obj: Any, source: str, index: int) -> None:
    """Reject documents whose alias expansion would be huge (memoised walk, linear in distinct nodes)."""
    memo: dict[int, int] = {}
    limit = settings.max_expanded_nodes()

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
        if total > limit:
            raise InputError(
                f"{source}: document {index + 1} expands to more than {limit} nodes "
                "(YAML aliases nested too deeply?)"
            )
        memo[key] = total
        return total

    size(obj)


def parse_documents(text: str, source: str) -> list[Document]:
    """Parse a multi-document YAML (or JSON) text into documents; empty documents are skipped."""
    check_size(text, source)
    stripped = text.lstrip()
    if stripped.startswith(("{", "[")):
        try:
            obj = json.loads(text)
        except json.JSONDecodeError as exc:
            if stripped.startswith("{"):
                raise InputError(f"{source}:{exc.lineno}: invalid JSON: {exc.msg}") from None
        else:
            return [Document(obj, source, 0, text)]
    return load_yaml(text, source)[0]


def load_yaml(text: str, source: str, chunk: str | None = None) -> tuple[list[Document], int]:
    """(documents, how many the stream holds, empty ones included) of the YAML ``text``, or of ``chunk``:
    a run of whole documents of ``text`` starting on a document start (see ``split_documents``)."""
    import yaml

    from vmctl.io.yamlloader import loader

    stream = text if chunk is None else chunk
    docs: list[Document] = []
    count = 0
    reader = loader()(stream)
    try:
        while reader.check_data():
            obj = reader.get_data()
            index = count
            count += 1
            if obj is None:
                continue
            size = reader.last_size
            if size is None or size > settings.max_expanded_nodes():
                _expanded_size(obj, source, index)
            docs.append(Document(obj, source, index, text))
    except yaml.MarkedYAMLError as exc:
        raise InputError(f"{source}{_yaml_problem(exc, stream)}") from None
    except yaml.YAMLError as exc:
        raise InputError(f"{source}: invalid YAML: {exc}") from None
    except RecursionError:
        raise InputError(f"{source}: invalid YAML: nested too deeply") from None
    finally:
        reader.dispose()
    return docs, count


#: A quoted scalar that ran past its line and swallowed this (a key, or a list item): its quote was not closed.
_SWALLOWED = re.compile(r"\n[ \t]*(?:- |[^\s\"'#][^\n\"']*?:(?:[ \t]|$))", re.M)


def _yaml_problem(exc: Any, text: str) -> str:
    """``:LINE: invalid YAML: PROBLEM`` for a YAML error; an unclosed quote is reported where it opened."""
    opened = _unclosed_quote(exc, text)
    if opened is not None:
        return f":{opened}: invalid YAML: unclosed quote: the quoted scalar that starts on this line never ends"
    mark = exc.problem_mark or exc.context_mark
    line = f":{mark.line + 1}" if mark else ""
    problem = exc.problem or exc.context or "invalid YAML"
    return f"{line}: invalid YAML: {problem}"


def _unclosed_quote(exc: Any, text: str) -> int | None:
    """The 1-based line of the quote a YAML error comes from, if it comes from one that was never closed.

    Either libyaml reached the end of the text inside the quoted scalar, or the scalar ended at some later
    quote after swallowing whole lines of YAML (``key:`` or ``- item`` lines) and the error came after it.
    """
    if exc.context == "while scanning a quoted scalar" and exc.context_mark is not None:
        if exc.problem in ("found unexpected end of stream", "found unexpected document indicator"):
            return exc.context_mark.line + 1
        return None  # e.g. a bad escape inside a closed quote: libyaml's own message is right
    mark = exc.problem_mark or exc.context_mark
    if mark is None:
        return None
    import yaml

    from vmctl.io.yamlloader import loader

    scanner = loader()(text)
    try:
        while scanner.check_token():
            token = scanner.get_token()
            if token.start_mark.line > mark.line:
                break
            if (
                isinstance(token, yaml.ScalarToken)
                and token.style in ("'", '"')
                and token.end_mark.line > token.start_mark.line
                and _SWALLOWED.search(text, token.start_mark.index, token.end_mark.index)
            ):
                return token.start_mark.line + 1
    except yaml.YAMLError:
        pass
    finally:
        scanner.dispose()
    return None


#: A line that starts a YAML document (``---`` alone or followed by a space): never inside a scalar.
_DOCUMENT_START = re.compile(r"^---(?=[ \t\r\n]|$)", re.M)


def split_documents(text: str, parts: int) -> list[str]:
    """``text`` cut into at most ``parts`` runs of whole documents of similar size, each after the first
    starting on a ``---`` line; joined, they are ``text``. Texts with directives (``%``) are not cut."""
    if parts < 2 or "\n%" in text or text.startswith("%"):
        return [text]
    cuts = [0]
    for n in range(1, parts):
        found = _DOCUMENT_START.search(text, max(len(text) * n // parts, cuts[-1] + 1))
        if found is None:
            break
        cuts.append(found.start())
    cuts.append(len(text))
    return [text[a:b] for a, b in zip(cuts, cuts[1:], strict=False) if b > a]


def list_items(doc: Document) -> list[Any] | None:
    """The ``items`` of a ``kind: List`` document (missing or null: none), None for any other document;
    ``items`` that is not a list is an error, as the API machinery's decoder says."""
    obj = doc.obj
    if not (isinstance(obj, dict) and obj.get("kind") == "List"):
        return None
    items = obj.get("items")
    if items is None:
        return []
    if not isinstance(items, list):
        line = doc.line_of("items")
        where = f"{doc.source}:{line}" if line else doc.source
        raise InputError(
            f"{where}: document {doc.index + 1} (List): items: expected a list of objects, got {type(items).__name__}"
        )
    return items


def iter_objects(docs: list[Document]) -> Iterator[tuple[Document, dict[str, Any]]]:
    """Yield every object, flattening ``kind: List`` documents."""
    for doc in docs:
        items = list_items(doc)
        if items is None:
            yield doc, doc.obj
        else:
            for item in items:
                yield doc, item


def dump_yaml(obj: Any) -> str:
    """Render an object as block-style YAML with stable key order.

    Plain JSON-like mappings are written by a small emitter that produces PyYAML's exact text (see
    ``_fast_dump``); anything else, and any scalar it is not sure about, is left to PyYAML.
    """
    if type(obj) is dict and obj:
        try:
            return _fast_dump(obj)
        except (_Fallback, RecursionError):
            pass
    return _pyyaml_dump(obj)


def _pyyaml_dump(obj: Any) -> str:
    import yaml

    return yaml.dump(obj, Dumper=_dumper(), default_flow_style=False, sort_keys=True, allow_unicode=True, width=1000)


# --- a fast emitter for plain data ------------------------------------------------------------------------
#
# Block style as PyYAML writes it with the options above: two-space mapping indentation, sequences inside a
# mapping not indented, "- " items with a first mapping key on the dash line, ``{}``/``[]`` for empty
# collections. The only hard part is how a string is written; the emitter writes it itself only when it
# is sure (``_PLAIN_SAFE`` text that PyYAML's own resolver reads back as a string: plain, as is). Every
# other scalar is rendered by PyYAML once, alone, in the same kind of position (mapping key, mapping value,
# sequence item), and the text is reused; where that text could depend on the surroundings (line width,
# "|+" blocks that end the document with "...", unusual line breaks) the whole object goes to PyYAML.

_STR_TAG = "tag:yaml.org,2002:str"
#: strings written plain when the resolver agrees: no indicator, quote, comment, space run or line break
_PLAIN_SAFE = re.compile(r"[A-Za-z0-9_/](?:[A-Za-z0-9_./+@=-]|:(?=[^ ])| (?=[^ ]))*")
#: longest text the emitter reasons about itself (PyYAML breaks lines longer than ``width`` at spaces)
_SHORT = 200
_WIDTH = 900
#: longest key the emitter writes itself (PyYAML writes keys longer than 128 as "? key")
_SHORT_KEY = 100
#: PyYAML's implicit resolvers (``yaml.resolver.Resolver``), copied so that writing plain data needs no
#: PyYAML import: (tag, pattern, re flags, first characters), in PyYAML's order. A test keeps them equal.
IMPLICIT_RESOLVERS: tuple[tuple[str, str, int, str], ...] = (
    ("tag:yaml.org,2002:bool", r'''^(?:yes|Yes|YES|no|No|NO
                    |true|True|TRUE|false|False|FALSE
                    |on|On|ON|off|Off|OFF)$''', re.X, "yYnNtTfFoO"),
    ("tag:yaml.org,2002:float", r'''^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?
                    |\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?
                    |[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*
                    |[-+]?\.(?:inf|Inf|INF)
                    |\.(?:nan|NaN|NAN))$''', re.X, "-+0123456789."),
    ("tag:yaml.org,2002:int", r'''^(?:[-+]?0b[0-1_]+
                    |[-+]?0[0-7_]+
                    |[-+]?(?:0|[1-9][0-9_]*)
                    |[-+]?0x[0-9a-fA-F_]+
                    |[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+)$''', re.X, "-+0123456789"),
    ("tag:yaml.org,2002:merge", r"^(?:<<)$", 0, "<"),
    ("tag:yaml.org,2002:null", r'''^(?: ~
                    |null|Null|NULL
                    | )$''', re.X, "~nN"),
    ("tag:yaml.org,2002:timestamp", r'''^(?:[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]
                    |[0-9][0-9][0-9][0-9] -[0-9][0-9]? -[0-9][0-9]?
                     (?:[Tt]|[ \t]+)[0-9][0-9]?
                     :[0-9][0-9] :[0-9][0-9] (?:\.[0-9]*)?
                     (?:[ \t]*(?:Z|[-+][0-9][0-9]?(?::[0-9][0-9])?))?)$''', re.X, "0123456789"),
    ("tag:yaml.org,2002:value", r"^(?:=)$", 0, "="),
    ("tag:yaml.org,2002:yaml", r"^(?:!|&|\*)$", 0, "!&*"),
)
_FIRST_CHARS = frozenset("".join(first for *_, first in IMPLICIT_RESOLVERS))
_implicit: dict[str, list[tuple[str, re.Pattern[str]]]] = {}


def implicit_tag(text: str) -> str:
    """The tag PyYAML's resolver gives the non-empty plain scalar ``text`` (``str`` unless it reads as
    something else), as ``Resolver().resolve(ScalarNode, text, (True, False))`` returns it."""
    if not _implicit:
        for tag, pattern, flags, first in IMPLICIT_RESOLVERS:
            compiled = re.compile(pattern, flags)
            for char in first:
                _implicit.setdefault(char, []).append((tag, compiled))
    for tag, pattern in _implicit.get(text[0], ()):
        if pattern.match(text):
            return tag
    return _STR_TAG
_ODD_BREAKS = ("\r", "\x85", "\u2028", "\u2029")
#: caches of rendered scalars: text -> (rendering, continuation lines or None, contains a space)
_KEYS: dict[str, str] = {}
_VALUES: dict[str, tuple[str, list[str] | None, bool]] = {}
_ITEMS: dict[str, tuple[str, list[str] | None, bool]] = {}
_FLOATS: dict[str, str] = {}
_CACHE_LIMIT = 200_000


class _Fallback(Exception):
    """The fast emitter cannot vouch for this object: PyYAML renders it."""


def _plain(text: str, longest: int = _SHORT) -> bool:
    """True when PyYAML certainly writes ``text`` plain and unchanged (as a key, value or item)."""
    if len(text) > longest or not _PLAIN_SAFE.fullmatch(text):
        return False
    if text[0] in _FIRST_CHARS:
        return implicit_tag(text) == _STR_TAG
    return True


def _cached(cache: dict[Any, Any], key: Any, value: Any) -> Any:
    if len(cache) >= _CACHE_LIMIT:
        cache.clear()
    cache[key] = value
    return value


def _key_text(key: str) -> str:
    if _plain(key, _SHORT_KEY):
        return _cached(_KEYS, key, key)
    text = _pyyaml_dump({key: None})
    if not text.endswith(": null\n") or text.startswith("? ") or text.count("\n") != 1 or any(
        c in text for c in _ODD_BREAKS
    ):
        raise _Fallback
    return _cached(_KEYS, key, text[: -len(": null\n")])


def _scalar_text(value: str, cache: dict[str, Any], item: bool) -> tuple[str, list[str] | None, bool]:
    """How PyYAML writes the string ``value`` after "key: " (or "- " when ``item``), at column 0."""
    if not value:
        return ("''", None, False)  # an empty string (e.g. the uid of an owner that has none)
    if _plain(value):
        return _cached(cache, value, (value, None, " " in value))
    known = _quoted_or_literal(value)
    if known is not None:
        return _cached(cache, value, known)
    text = _pyyaml_dump([value] if item else {"a": value})
    lead = "- " if item else "a: "
    if not text.startswith(lead) or not text.endswith("\n") or any(c in text for c in _ODD_BREAKS):
        raise _Fallback
    body = text[len(lead) : -1]
    if "\n" not in body:
        if len(body) > _WIDTH:
            raise _Fallback
        return _cached(cache, value, (body, None, " " in body))
    head, *rest = body.split("\n")
    # a literal block: continuation lines indented by two (or empty), not kept-chomped ("|+" ends with "...")
    if not head.startswith("|") or "+" in head or any(line and not line.startswith("  ") for line in rest):
        raise _Fallback
    return _cached(cache, value, (head, rest, True))


#: a line of a literal block the emitter writes itself: printable ASCII, no trailing space
_LITERAL_LINE = re.compile(r"(?:[ -~]*[!-~])?")


def _quoted_or_literal(value: str) -> tuple[str, list[str] | None, bool] | None:
    """``_scalar_text`` of two common kinds of strings, without PyYAML: text of plain characters that would
    read back as another type (``"1"``, ``"true"``: single-quoted), and lines of printable ASCII without
    trailing spaces (a literal block, ``|`` or ``|-``); None for anything else."""
    if len(value) <= _SHORT and _PLAIN_SAFE.fullmatch(value):  # not _plain: it resolves to another type
        return f"'{value}'", None, " " in value
    if "\n" not in value or value[0] in " \n":
        return None
    lines = value.split("\n")
    chomp = "-"
    if not lines[-1]:  # ends with a line break: "|", or "|+" (left to PyYAML) for more than one
        lines.pop()
        if not lines[-1]:
            return None
        chomp = ""
    if not all(_LITERAL_LINE.fullmatch(line) for line in lines):
        return None
    return "|" + chomp, ["  " + line if line else "" for line in lines], True


def _float_text(value: float) -> str:
    key = repr(value)
    text = _FLOATS.get(key)
    if text is None:
        dumped = _pyyaml_dump([value])
        if not dumped.startswith("- ") or dumped.count("\n") != 1:
            raise _Fallback
        text = _cached(_FLOATS, key, dumped[2:-1])
    return text


def _fast_dump(obj: dict[str, Any]) -> str:
    """``_pyyaml_dump(obj)`` for dicts with str keys, lists, str, int, float, bool and None; _Fallback else."""
    out: list[str] = []
    add = out.append
    keys = _KEYS
    values = _VALUES
    items = _ITEMS

    def scalar(value: Any, cache: dict[str, Any], item: bool, column: int, base: int) -> None:
        # ``column``: where the scalar starts; ``base``: the column of its key or dash
        kind = type(value)
        if kind is str:
            found = cache.get(value)
            if found is None:
                found = _scalar_text(value, cache, item)
            text, rest, spaced = found
            if rest is None:
                if spaced and column + len(text) > _WIDTH:
                    raise _Fallback
                add(text)
                add("\n")
                return
            add(text)
            add("\n")
            pad = " " * base
            for line in rest:
                if line:
                    add(pad)
                    add(line)
                add("\n")
        elif value is None:
            add("null\n")
        elif value is True:
            add("true\n")
        elif value is False:
            add("false\n")
        elif kind is int:
            add(int.__repr__(value))
            add("\n")
        elif kind is float:
            add(_float_text(value))
            add("\n")
        else:
            raise _Fallback

    def mapping(node: dict[str, Any], indent: int, first: str | None) -> None:
        pad = " " * indent
        lead = pad if first is None else first
        for key in sorted(node):
            if type(key) is not str:
                raise _Fallback
            text = keys.get(key)
            if text is None:
                text = _key_text(key)
            value = node[key]
            add(lead)
            lead = pad
            add(text)
            kind = type(value)
            if kind is dict:
                if value:
                    add(":\n")
                    mapping(value, indent + 2, None)
                else:
                    add(": {}\n")
            elif kind is list:
                if value:
                    add(":\n")
                    sequence(value, indent)
                else:
                    add(": []\n")
            else:
                add(": ")
                scalar(value, values, False, indent + len(text) + 2, indent)

    def sequence(node: list[Any], indent: int, first: str | None = None) -> None:
        # ``first``: the text before the first item's dash, when it follows a parent's dash ("- - a")
        pad = " " * indent
        lead = pad if first is None else first
        for value in node:
            kind = type(value)
            if kind is dict:
                if value:
                    mapping(value, indent + 2, lead + "- ")
                else:
                    add(lead)
                    add("- {}\n")
            elif kind is list:
                if value:
                    sequence(value, indent + 2, lead + "- ")
                else:
                    add(lead)
                    add("- []\n")
            else:
                add(lead)
                add("- ")
                scalar(value, items, True, indent + 2, indent)
            lead = pad

    mapping(obj, 0, None)
    return "".join(out)


_dumpers: list[type] = []


def _dumper() -> type:
    """The safe dumper for outputs (built on first use): no anchors/aliases (outputs are for kubectl), and
    multi-line strings as literal blocks."""
    if not _dumpers:
        import yaml

        class Dumper(getattr(yaml, "CSafeDumper", yaml.SafeDumper)):  # type: ignore[misc]
            def ignore_aliases(self, data: Any) -> bool:
                return True

        def str_presenter(dumper: yaml.SafeDumper, data: str) -> yaml.ScalarNode:
            if "\n" in data:
                return dumper.represent_scalar(_STR_TAG, data, style="|")
            return dumper.represent_scalar(_STR_TAG, data)

        Dumper.add_representer(str, str_presenter)
        _dumpers.append(Dumper)
    return _dumpers[0]


def _line_index(text: str, index: int) -> dict[str, int]:
    """Map dotted field paths of document ``index`` to 1-based line numbers."""
    import yaml

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
