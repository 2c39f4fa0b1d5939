"""Kubernetes quantity parsing, canonical formatting and the float32 overcommit arithmetic."""

from __future__ import annotations

import struct
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from vmctl.core.quantity import (
    BINARY_SI,
    DECIMAL_EXPONENT,
    DECIMAL_SI,
    canonical,
    f32,
    format_quantity,
    overcommitted_request,
    parse_quantity,
    parse_quantity_with_format,
    value_int,
)
from vmctl.errors import InputError


@pytest.mark.parametrize(
    ("text", "value", "fmt"),
    [
        ("512M", 512_000_000, DECIMAL_SI),
        ("4Gi", 4 * 2**30, BINARY_SI),
        ("1Ki", 1024, BINARY_SI),
        ("1Ei", 2**60, BINARY_SI),
        ("2P", 2 * 10**15, DECIMAL_SI),
        ("3E", 3 * 10**18, DECIMAL_SI),
        ("100m", Fraction(1, 10), DECIMAL_SI),
        ("5u", Fraction(5, 10**6), DECIMAL_SI),
        ("7n", Fraction(7, 10**9), DECIMAL_SI),
        ("1.5Gi", 1536 * 2**20, BINARY_SI),
        (".5Gi", 512 * 2**20, BINARY_SI),
        ("1e3", 1000, DECIMAL_EXPONENT),
        ("1E3", 1000, DECIMAL_EXPONENT),
        ("2e-3", Fraction(2, 1000), DECIMAL_EXPONENT),
        ("-1Gi", -(2**30), BINARY_SI),
        ("+12", 12, DECIMAL_SI),
        ("0", 0, DECIMAL_SI),
        (1073741824, 1073741824, DECIMAL_SI),
        (1.5, Fraction(3, 2), DECIMAL_SI),
        (" 1Gi ", 2**30, BINARY_SI),
    ],
)
def test_parse(text, value, fmt):
    assert parse_quantity_with_format(text) == (Fraction(value), fmt)
    assert parse_quantity(text) == Fraction(value)


def test_parse_rounds_up_to_nano_and_caps_binary():
    assert parse_quantity("1e-12") == Fraction(1, 10**9)
    assert parse_quantity("-1e-12") == Fraction(-1, 10**9)
    assert parse_quantity("100000Ei") == 2**63 - 1
    # a fractional binary value below 1 becomes DecimalSI, as in Kubernetes
    assert parse_quantity_with_format("0.0000000001Ki")[1] == DECIMAL_SI


@pytest.mark.parametrize("bad", ["", "Gi", "1K", "1.5.5", "abc", "1e1.5", "1 Gi", "1Gib", "--1", "1e", True, None, [1]])
def test_parse_rejects_bad_text(bad):
    with pytest.raises(InputError, match=r"invalid quantity .*expected a number with an optional suffix"):
        parse_quantity(bad)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1536Mi", "1536Mi"),
        ("2048Mi", "2Gi"),
        ("1024Ki", "1Mi"),
        ("1.5Gi", "1536Mi"),
        ("0.5Gi", "512Mi"),
        ("1000Ki", "1000Ki"),
        ("1023", "1023"),
        ("512M", "512M"),
        ("1000M", "1G"),
        ("1500M", "1500M"),
        ("15000", "15k"),
        ("0.5", "500m"),
        ("1.5", "1500m"),
        ("0.1", "100m"),
        ("1e3", "1e3"),
        ("12e2", "1200"),
        ("15e3", "15e3"),
        ("1e-12", "1e-9"),
        ("0Mi", "0"),
        ("-2048Mi", "-2Gi"),
        ("102399992", "102399992"),
        # texts apimachinery's ParseQuantity keeps as written (its String() and JSON give them back)
        ("02Gi", "02Gi"),
        ("+1G", "+1G"),
        ("1.500G", "1.500G"),
        ("0100m", "0100m"),
        ("0128Mi", "128Mi"),
        ("02048Mi", "2Gi"),
        ("2.0Gi", "2Gi"),
        ("02000k", "2M"),
    ],
)
def test_canonical(text, expected):
    assert canonical(text) == expected


def test_format_binary_small_or_fractional_values_fall_back_to_decimal():
    assert format_quantity(1000, BINARY_SI) == "1k"
    assert format_quantity(Fraction(2049, 2), BINARY_SI) == "1024500m"
    assert format_quantity(1536 * 2**20, BINARY_SI) == "1536Mi"
    assert format_quantity(2 * 2**30, BINARY_SI) == "2Gi"
    assert format_quantity(435_200_000, DECIMAL_SI) == "435200k"
    assert format_quantity(435_200_000, DECIMAL_EXPONENT) == "435200e3"


@pytest.mark.parametrize(
    ("guest", "percent", "expected"),
    [
        ("512M", 80, "102399992"),  # float32: not 102400000
        ("512M", 15, "435200k"),
        ("4Gi", 50, "2Gi"),
        ("8Gi", 50, "4Gi"),
        ("1Gi", 10, "966367616"),
        ("1Gi", 100, "0"),
    ],
)
def test_overcommitted_request(guest, percent, expected):
    value, fmt = parse_quantity_with_format(guest)
    assert format_quantity(overcommitted_request(value_int(value), percent), fmt) == expected


def _struct_f32(x: float) -> float:
    return struct.unpack("f", struct.pack("f", x))[0]


@given(st.floats(min_value=-1e30, max_value=1e30, allow_nan=False, allow_infinity=False))
def test_f32_matches_hardware_rounding_of_doubles(x):
    assert f32(Fraction(x)) == Fraction(_struct_f32(x))


@given(st.integers(min_value=0, max_value=2**40), st.integers(min_value=0, max_value=100))
def test_overcommit_matches_struct_emulation(guest, percent):
    # for integers exactly representable as doubles, rounding step by step through struct gives the same result
    ratio = _struct_f32(1 - _struct_f32(_struct_f32(float(percent)) / 100))
    expected = int(_struct_f32(_struct_f32(float(guest)) * ratio))
    assert overcommitted_request(guest, percent) == expected


@given(st.integers(min_value=-(2**62), max_value=2**62), st.sampled_from([BINARY_SI, DECIMAL_SI, DECIMAL_EXPONENT]))
def test_format_then_parse_round_trips(value, fmt):
    assert parse_quantity(format_quantity(value, fmt)) == value


@given(st.integers(min_value=0, max_value=10**12).map(lambda n: Fraction(n, 10**9)))
def test_fractional_values_round_trip(value):
    assert parse_quantity(format_quantity(value, DECIMAL_SI)) == value


def test_value_int_rounds_up():
    assert value_int(Fraction(1, 10)) == 1
    assert value_int(Fraction(-1, 10)) == -1
    assert value_int(Fraction(5)) == 5
