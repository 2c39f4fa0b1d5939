"""The YAML loader behind ``parse_documents``: libyaml (``CSafeLoader``), strict as Kubernetes reads YAML.

- **Strict**: a key repeated in one mapping is an error at the repeated key's line (the API server's strict
  decoding refuses such objects; PyYAML would silently keep the last value).
- **Fast**: plain data (maps with scalar keys, lists, strings, ints, floats, bools, nulls) is built by one tight
  walk over libyaml's nodes instead of PyYAML's generic constructor, and plain scalars are resolved once per
  distinct text. Anything else (other tags, ``<<`` merge keys, collection keys) goes through PyYAML's own
  ``SafeConstructor``, with the same duplicate-key rule.
- **Bounded**: libyaml refuses nesting deeper than 1,000 levels, aliases are built once (no expansion here;
  the caller bounds the expanded size, see ``StrictLoader.last_size``), and this module never reads a file.

PyYAML is imported by the first call, not at start-up.
"""

from __future__ import annotations

from typing import Any

_STR = "tag:yaml.org,2002:str"
_MAP = "tag:yaml.org,2002:map"
_SEQ = "tag:yaml.org,2002:seq"
_INT = "tag:yaml.org,2002:int"
_FLOAT = "tag:yaml.org,2002:float"
_BOOL = "tag:yaml.org,2002:bool"
_NULL = "tag:yaml.org,2002:null"
_MERGE = "tag:yaml.org,2002:merge"
#: distinct plain scalars whose resolved tag is remembered (cleared when full)
_TAG_MEMO_LIMIT = 100_000


class _Unusual(Exception):
    """The fast walk met something only PyYAML's constructor knows: the document is built by PyYAML."""


_loader: type | None = None


def loader() -> type:
    """The strict, fast loader class (built on first use, so PyYAML is imported only when YAML is read)."""
    global _loader
    if _loader is None:
        _loader = _make_loader()
    return _loader


def duplicate_key_error(mapping: Any, key_node: Any, key: Any, key_of: Any) -> Exception:
    """A ``ConstructorError`` at ``key_node`` saying, as Kubernetes' YAML decoder does, that ``key`` is already
    set in the mapping (and on which line); ``key_of(node)`` is the key a key node stands for."""
    import yaml

    first = next((k for k, _ in mapping.value if k is not key_node and key_of(k) == key), None)
    where = f" (at line {first.start_mark.line + 1})" if first is not None else ""
    return yaml.constructor.ConstructorError(
        None, None, f'key "{key_node.value}" already set in map{where}', key_node.start_mark
    )


def _make_loader() -> type:
    import yaml
    from yaml.nodes import MappingNode, ScalarNode, SequenceNode

    base: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    tags: dict[str, str] = {}

    class StrictLoader(base):  # type: ignore[misc, valid-type]
        """``CSafeLoader`` that refuses duplicate keys and builds plain data quickly."""

        #: the last document's size in nodes as ``yamlio`` counts them, when known without a walk
        #: (None: an alias was followed, or PyYAML built it)
        last_size: int | None = None

        # no path resolvers are registered: skip PyYAML's per-node bookkeeping for them
        def descend_resolver(self, current_node: Any, current_index: Any) -> None:
            return None

        def ascend_resolver(self) -> None:
            return None

        def resolve(self, kind: Any, value: Any, implicit: Any) -> str:
            if kind is ScalarNode:
                if not implicit[0]:
                    return _STR if implicit[1] else base.resolve(self, kind, value, implicit)
                tag = tags.get(value)
                if tag is None:
                    if len(tags) >= _TAG_MEMO_LIMIT:
                        tags.clear()
                    tag = tags[value] = base.resolve(self, kind, value, implicit)
                return tag
            return base.resolve(self, kind, value, implicit)

        def construct_document(self, node: Any) -> Any:
            try:
                obj, self.last_size = _build(node, self)
            except _Unusual:
                self.last_size = None
                obj = base.construct_document(self, node)
            return obj

        def construct_mapping(self, node: Any, deep: bool = False) -> dict[Any, Any]:
            # PyYAML's path (unusual documents): its own mapping construction plus the duplicate-key rule;
            # keys merged in with "<<" may be overridden, as YAML's merge key intends
            if isinstance(node, MappingNode):
                self.flatten_mapping(node)
                merged = getattr(node, "_vmctl_merged", 0)
                seen: set[Any] = set()
                for index, (key_node, _) in enumerate(node.value):
                    if index < merged:
                        continue
                    key = self.construct_object(key_node, deep=True)
                    try:
                        hash(key)
                    except TypeError:
                        continue  # PyYAML reports unhashable keys itself
                    if key in seen:
                        raise duplicate_key_error(node, key_node, key, self.construct_object)
                    seen.add(key)
            return yaml.constructor.BaseConstructor.construct_mapping(self, node, deep=deep)

        def flatten_mapping(self, node: Any) -> None:
            own = sum(1 for key, _ in node.value if key.tag != _MERGE)
            base.flatten_mapping(self, node)
            node._vmctl_merged = len(node.value) - own  # PyYAML puts the merged pairs first

    def _build(root: Any, constructor: Any) -> tuple[Any, int | None]:
        """(data, expanded size or None when an alias was followed) of plain documents; _Unusual else."""
        built: dict[int, Any] = {}
        aliased = False
        count = 1
        bools = constructor.bool_values

        def scalar(node: Any) -> Any:
            tag = node.tag
            if tag == _STR:
                return node.value
            if tag == _INT:
                return constructor.construct_yaml_int(node)
            if tag == _NULL:
                return None
            if tag == _BOOL:
                return bools[node.value.lower()]
            if tag == _FLOAT:
                return constructor.construct_yaml_float(node)
            raise _Unusual

        def build(node: Any) -> Any:
            nonlocal aliased, count
            cls = node.__class__
            if cls is ScalarNode:
                return node.value if node.tag == _STR else scalar(node)
            key_id = id(node)
            if key_id in built:
                aliased = True
                return built[key_id]
            if cls is MappingNode:
                if node.tag != _MAP:
                    raise _Unusual
                out: dict[Any, Any] = {}
                built[key_id] = out
                pairs = node.value
                count += 2 * len(pairs)
                for key_node, value_node in pairs:
                    if key_node.__class__ is not ScalarNode or key_node.tag == _MERGE:
                        raise _Unusual
                    key = key_node.value if key_node.tag == _STR else scalar(key_node)
                    if key in out:
                        raise duplicate_key_error(node, key_node, key, scalar)
                    value_cls = value_node.__class__
                    if value_cls is ScalarNode and value_node.tag == _STR:
                        out[key] = value_node.value
                    else:
                        out[key] = build(value_node)
                return out
            if cls is SequenceNode:
                if node.tag != _SEQ:
                    raise _Unusual
                items: list[Any] = []
                built[key_id] = items
                count += len(node.value)
                for item in node.value:
                    items.append(build(item))
                return items
            raise _Unusual

        obj = build(root)
        return obj, (None if aliased else count)

    return StrictLoader
