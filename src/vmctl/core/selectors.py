"""Kubernetes label selectors, with apimachinery's error texts (pure; raises ``SelectorError``).

- ``compile_selector``: a ``metav1.LabelSelector`` (``matchLabels`` + ``matchExpressions``), as
  ``LabelSelectorAsSelector``;
- ``parse_selector``: a kubectl-style selector string (``-l``): ``a=b``, ``a==b``, ``a!=b``, ``a in (x,y)``,
  ``a notin (x)``, ``a``, ``!a``, comma-separated (all must hold).

Callers map ``SelectorError`` to their own errors (a usage error for ``-l``, a rejection for presets).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from vmctl.core.gotext import json_text
from vmctl.core.names import label_value_errors, qualified_name_errors
from vmctl.errors import VmctlError

Selector = Callable[[Mapping[str, str]], bool]


class SelectorError(VmctlError):
    """A label selector that Kubernetes refuses."""


def _json_strings(values: list[str]) -> str:
    """How apimachinery's field errors print a ``[]string`` bad value: Go's JSON (``null`` when empty, as
    ``LabelSelectorAsSelector`` passes a nil slice then)."""
    if not values:
        return "null"
    return json_text(values)


def _requirement_errors(key: str, op: str, values: list[str]) -> list[str]:
    errs: list[str] = []
    key_errs = qualified_name_errors(key)
    if key_errs:
        errs.append(f'key: Invalid value: "{key}": ' + "; ".join(key_errs))
    if op in ("in", "notin") and not values:
        errs.append(f"values: Invalid value: {_json_strings(values)}: for 'in', 'notin' operators, values set can't be empty")
    elif op == "=" and len(values) != 1:
        errs.append(f"values: Invalid value: {_json_strings(values)}: exact-match compatibility requires one single value")
    elif op in ("exists", "!") and values:
        errs.append(f"values: Invalid value: {_json_strings(values)}: values set must be empty for exists and does not exist")
    for i, value in enumerate(values):
        value_errs = label_value_errors(value)
        if value_errs:
            errs.append(f'values[{i}][{key}]: Invalid value: "{value}": ' + "; ".join(value_errs))
    return errs


_OPERATORS = {"In": "in", "NotIn": "notin", "Exists": "exists", "DoesNotExist": "!"}


def compile_selector(selector: Mapping[str, Any] | None) -> Selector:
    """Compile a ``metav1.LabelSelector``; ``SelectorError`` with Kubernetes' text when it is invalid.

    ``None`` selects nothing, an empty selector selects everything (as ``LabelSelectorAsSelector``).
    """
    if selector is None:
        return lambda labels: False
    match_labels = selector.get("matchLabels") or {}
    expressions = selector.get("matchExpressions") or []
    if not match_labels and not expressions:
        return lambda labels: True
    checks: list[tuple[str, str, frozenset[str]]] = []
    for key, value in sorted(match_labels.items()):
        errs = _requirement_errors(str(key), "=", [str(value)])
        if errs:
            raise SelectorError(errs[0] if len(errs) == 1 else "[" + ", ".join(errs) + "]")
        checks.append((str(key), "=", frozenset([str(value)])))
    checks.extend(_requirement(expr, _OPERATORS) for expr in expressions)
    return _matcher(checks)


def _requirement(expr: Any, operators: Mapping[str, str]) -> tuple[str, str, frozenset[str]]:
    """One ``matchExpressions`` / ``NodeSelectorRequirement`` entry as (key, operator, values), checked as
    ``labels.NewRequirement`` does."""
    expr = expr if isinstance(expr, Mapping) else {}
    raw_op = str(expr.get("operator", ""))
    op = operators.get(raw_op)
    if op is None:
        raise SelectorError(f'"{raw_op}" is not a valid label selector operator')
    key = str(expr.get("key", ""))
    values = [str(v) for v in expr.get("values") or []]
    if op in ("gt", "lt"):
        errs = _integer_requirement_errors(key, values)
    else:
        errs = _requirement_errors(key, op, values)
    if errs:
        raise SelectorError(errs[0] if len(errs) == 1 else "[" + ", ".join(errs) + "]")
    return key, op, frozenset(values)


def _matcher(checks: list[tuple[str, str, frozenset[str]]]) -> Selector:
    """The selector for compiled requirements (key, operator, values); ``gt``/``lt`` compare integers, and a
    label that is not one does not match."""

    def matches(labels: Mapping[str, str]) -> bool:
        for key, op, values in checks:
            present = key in labels
            if op in ("=", "in"):
                if not present or labels[key] not in values:
                    return False
            elif op == "notin":
                if present and labels[key] in values:
                    return False
            elif op == "exists":
                if not present:
                    return False
            elif op == "!":  # DoesNotExist
                if present:
                    return False
            else:
                if not present or not _INTEGER.fullmatch(labels[key]):
                    return False
                have, want = int(labels[key]), int(next(iter(values)))
                if (op == "gt" and not have > want) or (op == "lt" and not have < want):
                    return False
        return True

    return matches


def selector_string(selector: Mapping[str, Any] | None) -> str:
    """``LabelSelectorAsSelector(selector).String()``: the canonical form the scale subresource reports
    (requirements sorted by key, ``in``/``notin`` values sorted); "" for nil and empty selectors.

    Call ``compile_selector`` first when the selector may be invalid."""
    if not selector:
        return ""
    match_labels = selector.get("matchLabels") or {}
    parts: list[tuple[str, str]] = [(str(k), f"{k}={v}") for k, v in match_labels.items()]
    for expr in selector.get("matchExpressions") or []:
        key = str(expr.get("key", ""))
        op = _OPERATORS.get(str(expr.get("operator", "")), "")
        values = sorted(str(v) for v in expr.get("values") or [])
        if op == "exists":
            parts.append((key, key))
        elif op == "!":
            parts.append((key, "!" + key))
        else:
            parts.append((key, f"{key} {op} ({','.join(values)})"))
    parts.sort(key=lambda part: part[0])
    return ",".join(text for _, text in parts)


_NODE_OPERATORS = {**_OPERATORS, "Gt": "gt", "Lt": "lt"}
_INTEGER = re.compile(r"[+-]?[0-9]+")


def _integer_requirement_errors(key: str, values: list[str]) -> list[str]:
    errs = [f'key: Invalid value: "{key}": ' + "; ".join(e)] if (e := qualified_name_errors(key)) else []
    if len(values) != 1:
        errs.append(
            f"values: Invalid value: {_json_strings(values)}: for 'Gt', 'Lt' operators, exactly one value is required"
        )
    elif not _INTEGER.fullmatch(values[0]):
        errs.append(
            f'values[0]: Invalid value: "{values[0]}": for \'Gt\', \'Lt\' operators, the value must be an integer'
        )
    return errs


def compile_node_requirements(requirements: list[Mapping[str, Any]]) -> Selector:
    """A selector from ``[]NodeSelectorRequirement`` (In, NotIn, Exists, DoesNotExist, Gt, Lt) over a label
    map, as KubeVirt's pool controller builds it; ``SelectorError`` with apimachinery's text."""
    return _matcher([_requirement(req, _NODE_OPERATORS) for req in requirements])


# --- kubectl-style selector strings ----------------------------------------------------------------

Matcher = Callable[[Mapping[str, str]], bool]

_KEY = r"[A-Za-z0-9][-A-Za-z0-9_./]*"
_VALUE = r"[-A-Za-z0-9_.]*"
_SET = re.compile(rf"^\s*({_KEY})\s+(in|notin)\s+\(\s*({_VALUE}(?:\s*,\s*{_VALUE})*)\s*\)\s*$")
_EQ = re.compile(rf"^\s*({_KEY})\s*(==|=|!=)\s*({_VALUE})\s*$")
_EXISTS = re.compile(rf"^\s*(!?)\s*({_KEY})\s*$")


def _split(text: str) -> list[str]:
    """Split on commas outside parentheses."""
    parts, depth, current = [], 0, []
    for ch in text:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        if ch == "," and depth == 0:
            parts.append("".join(current))
            current = []
        else:
            current.append(ch)
    parts.append("".join(current))
    return parts


def _string_requirement(text: str) -> Matcher:
    if m := _SET.match(text):
        key, op, values = m.group(1), m.group(2), {v.strip() for v in m.group(3).split(",")}
        if op == "in":
            return lambda labels: key in labels and labels[key] in values
        return lambda labels: key not in labels or labels[key] not in values
    if m := _EQ.match(text):
        key, op, value = m.groups()
        if op == "!=":
            return lambda labels: labels.get(key) != value
        return lambda labels: labels.get(key) == value
    if m := _EXISTS.match(text):
        negate, key = m.group(1) == "!", m.group(2)
        return (lambda labels: key not in labels) if negate else (lambda labels: key in labels)
    raise SelectorError(f"unable to parse requirement {text.strip()!r}")


def parse_selector(text: str) -> Matcher:
    """A predicate over a label dict; ``SelectorError`` naming the bad requirement."""
    if not text.strip():
        return lambda labels: True
    requirements = [_string_requirement(part) for part in _split(text)]
    return lambda labels: all(req(labels) for req in requirements)
