"""The ``expression`` generator: inclusive ranges, classes, literals, lengths and error texts per engine."""

from __future__ import annotations

import re

import pytest

from vmctl.template.generator import (
    ALPHANUMERIC,
    SYMBOLS,
    GeneratorError,
    generate_kubevirt,
    generate_openshift,
)

ENGINES = [generate_openshift, generate_kubevirt]


def alphabet_seen(gen, expression: str) -> set[str]:
    """Every alphabet the generator offers to the chooser (records instead of choosing randomly)."""
    offered: list[str] = []

    def choose(alphabet: str) -> str:
        offered.append(alphabet)
        return alphabet[-1]

    gen(expression, choose)
    return set(offered)


@pytest.mark.parametrize("gen", ENGINES)
def test_ranges_are_inclusive(gen) -> None:
    assert alphabet_seen(gen, "[a-z]{3}") == {"abcdefghijklmnopqrstuvwxyz"}
    assert alphabet_seen(gen, "[0-9]{1}") == {"0123456789"}
    assert alphabet_seen(gen, "[A-F0-9]{2}") == {"0123456789ABCDEF"}
    # the last character of the alphabet is reachable (library-go never yields z/9/Z here)
    assert gen("[a-z]{4}", lambda a: a[-1]) == "zzzz"
    assert gen("[a-zA-Z0-9]{2}", lambda a: a[-1]) == "zz"  # sorted alphabet: digits, upper, lower


@pytest.mark.parametrize("gen", ENGINES)
def test_classes(gen) -> None:
    assert alphabet_seen(gen, r"[\d]{2}") == {"0123456789"}
    assert alphabet_seen(gen, r"[\a]{2}") == {"".join(sorted(ALPHANUMERIC))}
    assert alphabet_seen(gen, r"[\w]{2}") == {"".join(sorted(ALPHANUMERIC + "_"))}
    assert alphabet_seen(gen, r"[\A]{2}") == {"".join(sorted(SYMBOLS))}
    assert len(SYMBOLS) == 32 and all(not c.isalnum() for c in SYMBOLS)


@pytest.mark.parametrize("gen", ENGINES)
def test_literals_kept_and_every_expression_replaced(gen) -> None:
    value = gen("fedora-[a-z0-9]{16}-x[0-1]{8}y", lambda a: a[0])
    assert value == "fedora-0000000000000000-x00000000y"
    real = gen("fedora-[a-z0-9]{16}")
    assert re.fullmatch(r"fedora-[a-z0-9]{16}", real)


@pytest.mark.parametrize("gen", ENGINES)
def test_random_values_cover_the_whole_range(gen) -> None:
    seen = set("".join(gen("[0-9]{255}") for _ in range(4)))
    assert seen == set("0123456789")  # 1020 draws: missing a digit has probability ~1e-45


@pytest.mark.parametrize("gen", ENGINES)
def test_text_without_expression_is_returned_unchanged(gen) -> None:
    assert gen("plain-text{3}") == "plain-text{3}"
    assert gen("") == ""


def test_openshift_syntax_errors() -> None:
    with pytest.raises(GeneratorError, match=re.escape("malformed expresion syntax: [ABC]")):
        generate_openshift("[ABC]{3}")
    with pytest.raises(GeneratorError, match=re.escape("malformed expresion syntax: [a-zB]")):
        generate_openshift("[a-zB]{3}")
    with pytest.raises(GeneratorError, match=re.escape("range must be within [1-255] characters (0)")):
        generate_openshift("[a-z]{0}")
    with pytest.raises(GeneratorError, match=re.escape("range must be within [1-255] characters (256)")):
        generate_openshift("[a-z]{256}")
    with pytest.raises(GeneratorError, match=re.escape("invalid range specified: z-a")):
        generate_openshift("[z-a]{2}")
    # library-go accepts literal characters before the trailing pair: vmctl keeps them as literals
    assert alphabet_seen(generate_openshift, "[XYa-c]{2}") == {"XYabc"}
    assert len(generate_openshift("[a-z]{255}")) == 255


def test_kubevirt_syntax_errors_and_literal_sets() -> None:
    assert alphabet_seen(generate_kubevirt, "[ABC]{3}") == {"ABC"}
    assert alphabet_seen(generate_kubevirt, "[CBAA]{3}") == {"ABC"}
    with pytest.raises(GeneratorError, match=re.escape("range must be within [1-255] characters: 0")):
        generate_kubevirt("[a-z]{0}")
    with pytest.raises(GeneratorError, match=re.escape("range must be within [1-255] characters: 300")):
        generate_kubevirt("[a-z]{300}")
    with pytest.raises(GeneratorError, match=re.escape('malformed length syntax: strconv.Atoi: parsing "ab": invalid syntax')):
        generate_kubevirt("[a-z]{ab}")
    with pytest.raises(GeneratorError, match=re.escape("invalid range specified: 9-0")):
        generate_kubevirt("[9-0]{2}")
