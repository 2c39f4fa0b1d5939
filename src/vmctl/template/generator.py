"""The ``expression`` parameter generator shared by the template engines.

``from`` text such as ``fedora-[a-z0-9]{16}`` keeps its literal parts and replaces every ``[ranges]{n}``
with ``n`` random characters drawn (with :mod:`secrets`) from the ranges. Ranges are INCLUSIVE in vmctl
(``[a-z]`` can yield ``z``), like KubeVirt's engine; OpenShift's library-go excludes the upper bound.

Two syntaxes are checked, one per engine:

* ``openshift`` — library-go's rules: the bracket must start with a class (``\\w \\d \\a \\A``) or end with
  ``x-y`` pairs, else ``malformed expresion syntax: [..]`` (sic); length 1–255, else
  ``range must be within [1-255] characters (n)``.
* ``kubevirt`` — virt-template-engine's rules: literal character sets (``[ABC]``) are allowed, lengths
  must be numeric, ``range must be within [1-255] characters: n``.
"""

from __future__ import annotations

import re
from collections.abc import Callable

LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
DIGITS = "0123456789"
ALPHANUMERIC = LETTERS + DIGITS
SYMBOLS = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"
CLASSES = {"\\w": ALPHANUMERIC + "_", "\\d": DIGITS, "\\a": ALPHANUMERIC, "\\A": SYMBOLS}
MIN_LENGTH, MAX_LENGTH = 1, 255

# openshift/library-go
_OS_EXPR = re.compile(r"\[([a-zA-Z0-9\-\\]+)\](\{([0-9]+)\})")
_OS_VALID = re.compile(r"\[(\\w|\\d|\\a|\\A)|([a-zA-Z0-9]\-[a-zA-Z0-9])+\]")
# kubevirt/virt-template-engine
_KV_EXPR = re.compile(r"\[([a-zA-Z0-9\-\\]+)\](\{(\w+)\})", re.ASCII)
_KV_TOKEN = re.compile(r"(\\w)|(\\d)|(\\a)|(\\A)|(.-.)|([a-zA-Z0-9]+)")
# vmctl's reading of library-go ranges: a class, an x-y pair, or one literal character
_OS_TOKEN = re.compile(r"\\[wdaA]|[a-zA-Z0-9]-[a-zA-Z0-9]|[a-zA-Z0-9]")

Chooser = Callable[[str], str]


class GeneratorError(ValueError):
    """The ``from`` expression is not valid for the engine."""


def _span(start: str, end: str) -> str:
    left, right = ALPHANUMERIC.find(start), ALPHANUMERIC.find(end)
    if left == -1:
        raise GeneratorError(f"invalid start character in range: {start}")
    if right == -1:
        raise GeneratorError(f"invalid end character in range: {end}")
    if left > right:
        raise GeneratorError(f"invalid range specified: {start}-{end}")
    return ALPHANUMERIC[left : right + 1]


def _alphabet(tokens: list[str]) -> str:
    chars: list[str] = []
    for token in tokens:
        if token in CLASSES:
            chars.append(CLASSES[token])
        elif len(token) == 3 and token[1] == "-":
            chars.append(_span(token[0], token[2]))
        else:
            chars.append(token)
    return "".join(sorted(set("".join(chars))))


_INT64_MAX = 2**63 - 1


def _go_atoi(digits: str) -> int:
    """Go's ``strconv.Atoi`` on ASCII digits: values past int64 clamp to its maximum."""
    digits = digits.lstrip("0") or "0"
    return _INT64_MAX if len(digits) > 19 else min(int(digits), _INT64_MAX)


def secure_choice(alphabet: str) -> str:
    """One character chosen with :mod:`secrets` (imported on first use: it loads OpenSSL)."""
    import secrets

    return secrets.choice(alphabet)


def _fill(alphabet: str, length: int, choose: Chooser) -> str:
    if not alphabet:
        raise GeneratorError("alphabet cannot be empty")
    return "".join(choose(alphabet) for _ in range(length))


def generate_openshift(expression: str, choose: Chooser = secure_choice) -> str:
    """Generate a value with library-go's syntax rules (inclusive ranges)."""
    out = expression
    while (match := _OS_EXPR.search(out)) is not None:
        whole = match.group(0)
        bracket = whole[: whole.rindex("{")]
        if not _OS_VALID.search(bracket):
            raise GeneratorError(f"malformed expresion syntax: {bracket}")
        length = _go_atoi(match.group(3))
        if not MIN_LENGTH <= length <= MAX_LENGTH:
            raise GeneratorError(f"range must be within [{MIN_LENGTH}-{MAX_LENGTH}] characters ({length})")
        value = _fill(_alphabet(_OS_TOKEN.findall(match.group(1))), length, choose)
        out = out.replace(whole, value, 1)
    return out


def generate_kubevirt(expression: str, choose: Chooser = secure_choice) -> str:
    """Generate a value with virt-template-engine's syntax rules."""
    out = expression
    while (match := _KV_EXPR.search(out)) is not None:
        whole, ranges, length_text = match.group(0), match.group(1), match.group(3)
        if not _KV_TOKEN.search(ranges):
            raise GeneratorError(f"malformed ranges syntax: {ranges}")
        if not length_text.isdigit():
            raise GeneratorError(f'malformed length syntax: strconv.Atoi: parsing "{length_text}": invalid syntax')
        length = _go_atoi(length_text)
        if length == _INT64_MAX:
            raise GeneratorError(f'malformed length syntax: strconv.Atoi: parsing "{length_text}": value out of range')
        if not MIN_LENGTH <= length <= MAX_LENGTH:
            raise GeneratorError(f"range must be within [{MIN_LENGTH}-{MAX_LENGTH}] characters: {length}")
        tokens = [m.group(0) for m in _KV_TOKEN.finditer(ranges)]
        out = out.replace(whole, _fill(_alphabet(tokens), length, choose), 1)
    return out
