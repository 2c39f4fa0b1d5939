"""Kubernetes ``resource.Quantity``: exact parsing, canonical formatting and Go float32 emulation.

Parsing follows apimachinery's grammar (sign, digits, optional fraction, then a suffix: binary ``Ki``..``Ei``,
decimal ``n u m k M G T P E`` or an exponent ``e<n>``/``E<n>``). Values are exact ``Fraction``s, rounded up
(away from zero) to nano units like Kubernetes does; BinarySI magnitudes are capped at 2^63-1.
Formatting reproduces ``Quantity.String()``: the canonical text for the quantity's format.

Parsing, formatting and the float32 helpers are pure functions of immutable arguments and are memoised:
a batch of VMs uses the same handful of quantities over and over.
"""

from __future__ import annotations

import re
import struct
from fractions import Fraction
from functools import lru_cache

from vmctl.errors import InputError

BINARY_SI = "BinarySI"
DECIMAL_SI = "DecimalSI"
DECIMAL_EXPONENT = "DecimalExponent"

_BINARY = {"Ki": 10, "Mi": 20, "Gi": 30, "Ti": 40, "Pi": 50, "Ei": 60}
_DECIMAL = {"n": -9, "u": -6, "m": -3, "": 0, "k": 3, "M": 6, "G": 9, "T": 12, "P": 15, "E": 18}
_DECIMAL_BY_EXP = {exp: suffix for suffix, exp in _DECIMAL.items()}
_BINARY_BY_EXP = {exp // 10: suffix for suffix, exp in _BINARY.items()}
_NANO = Fraction(1, 10**9)
_MAX_INT64 = 2**63 - 1

# What both the API server's OpenAPI pattern and apimachinery's parser accept: sign, digits with an optional
# fraction, then one suffix (binary, decimal or an integer exponent).
_GRAMMAR = re.compile(r"([+-]?)(?:([0-9]+)(?:\.([0-9]*))?|\.([0-9]+))([KMGTPE]i|[numkMGTPE]|[eE][+-]?[0-9]+)?")
_EXPECTED = "expected a number with an optional suffix (Ki, Mi, Gi, Ti, Pi, Ei, n, u, m, k, M, G, T, P, E or e<exponent>)"


def _split(text: str) -> tuple[bool, str, str, str]:
    match = _GRAMMAR.fullmatch(text)
    if match is None:
        raise InputError(f"invalid quantity {text!r}: {_EXPECTED}")
    sign, num, denom, only_denom, suffix = match.groups()
    return sign != "-", num or "", denom or only_denom or "", suffix or ""


def _interpret(suffix: str, text: str) -> tuple[int, int, str]:
    """(base, exponent, format) of a suffix."""
    if suffix in _DECIMAL:
        return 10, _DECIMAL[suffix], DECIMAL_SI
    if suffix in _BINARY:
        return 2, _BINARY[suffix], BINARY_SI
    exponent = int(suffix[1:])
    if abs(exponent) > 1000:
        raise InputError(f"invalid quantity {text!r}: exponent {exponent} is out of range")
    return 10, exponent, DECIMAL_EXPONENT


def _round_up_nano(value: Fraction) -> Fraction:
    """Round the magnitude up to a whole number of nano units (Kubernetes keeps nothing finer)."""
    if (value / _NANO).denominator == 1:
        return value
    magnitude = -((-abs(value)) // _NANO) * _NANO
    return magnitude if value > 0 else -magnitude


def parse_quantity_with_format(text: str | int | float) -> tuple[Fraction, str]:
    """Exact value and format of a quantity written as YAML/JSON text or number."""
    if isinstance(text, bool) or not isinstance(text, str | int | float):
        raise InputError(f"invalid quantity {text!r}: {_EXPECTED}")
    return _parse_cached(text)


@lru_cache(maxsize=4096, typed=True)  # typed: 1 and 1.0 are different texts ("1" vs "1.0")
def _parse_cached(text: str | int | float) -> tuple[Fraction, str]:
    raw = str(text).strip()
    if raw == "":
        raise InputError(f"invalid quantity '': {_EXPECTED}")
    if raw == "0":
        return Fraction(0), DECIMAL_SI
    positive, num, denom, suffix = _split(raw)
    base, exponent, fmt = _interpret(suffix, raw)
    digits = Fraction(int(num + denom or "0"), 10 ** len(denom))
    value = digits * (Fraction(10) ** exponent if base == 10 else 2**exponent)
    value = _round_up_nano(value)
    if fmt == BINARY_SI:
        value = min(value, Fraction(_MAX_INT64))
        if 0 < value < 1:
            fmt = DECIMAL_SI
    return (value if positive else -value), fmt


def parse_quantity(text: str | int | float) -> Fraction:
    """Exact value of a quantity; ``InputError`` on bad text."""
    return parse_quantity_with_format(text)[0]


def quantity_format(text: str | int | float) -> str:
    """The format (``BinarySI``/``DecimalSI``/``DecimalExponent``) Kubernetes infers from the text."""
    return parse_quantity_with_format(text)[1]


def _remove_factors(value: int, base: int) -> tuple[int, int]:
    times = 0
    magnitude = abs(value)
    while magnitude >= base and magnitude % base == 0:
        magnitude //= base
        times += 1
    return (magnitude if value >= 0 else -magnitude), times


def _decimal_text(value: Fraction, fmt: str) -> str:
    value = _round_up_nano(value)
    mantissa, exponent = int(value / _NANO), -9
    mantissa, times = _remove_factors(mantissa, 10)
    exponent += times
    extra = exponent % 3  # Python's modulo floors: exponent moves down to a multiple of 3
    mantissa, exponent = mantissa * 10**extra, exponent - extra
    if exponent == 0:
        return str(mantissa)
    if fmt == DECIMAL_SI and exponent in _DECIMAL_BY_EXP:
        return f"{mantissa}{_DECIMAL_BY_EXP[exponent]}"
    return f"{mantissa}e{exponent}"


def format_quantity(value: Fraction | int, fmt: str = DECIMAL_SI) -> str:
    """Kubernetes canonical text (``Quantity.String()``) of ``value`` in format ``fmt``."""
    return _format_cached(Fraction(value), fmt)


@lru_cache(maxsize=4096)
def _format_cached(value: Fraction, fmt: str) -> str:
    if value == 0:
        return "0"
    if fmt == BINARY_SI:
        if -1024 < value < 1024 or value.denominator != 1:
            return _decimal_text(value, DECIMAL_SI)
        mantissa, times = _remove_factors(int(value), 1024)
        if times not in _BINARY_BY_EXP and times != 0:
            return _decimal_text(value, DECIMAL_SI)
        return f"{mantissa}{_BINARY_BY_EXP.get(times, '')}"
    if fmt not in (DECIMAL_SI, DECIMAL_EXPONENT):
        fmt = DECIMAL_EXPONENT
    return _decimal_text(value, fmt)


def canonical(text: str | int | float) -> str:
    """The text Kubernetes stores for a quantity, e.g. ``2048Mi`` → ``2Gi``, ``1.5Gi`` → ``1536Mi``; a text
    ``ParseQuantity`` keeps as written (``kept_as_written``) stays as it is, e.g. ``02Gi``."""
    return shown(text, *parse_quantity_with_format(text))


def shown(text: object, value: Fraction, fmt: str) -> str:
    """``Quantity.String()`` of ``text`` already parsed to ``value`` in format ``fmt``: the text as written when
    ``ParseQuantity`` keeps it, else the canonical form of ``value``."""
    if isinstance(text, (str, int, float)) and not isinstance(text, bool):
        raw = str(text).strip()
        if kept_as_written(raw):
            return raw
    return format_quantity(value, fmt)


@lru_cache(maxsize=4096)
def kept_as_written(raw: str) -> bool:
    """Whether apimachinery's ``ParseQuantity`` caches the text itself, so that ``String()`` and its JSON give
    it back unchanged: its fast path for small exact values, which takes any text whose digits (leading zeros
    and a ``+`` sign aside) look canonical, e.g. ``02Gi``, ``+1G``, ``1.500G`` (``raw`` must parse)."""
    if raw == "0":
        return True
    _positive, num, denom, suffix = _split(raw)
    num = num.lstrip("0") or "0"
    _base, exponent, fmt = _interpret(suffix, raw)
    if fmt == BINARY_SI:
        if denom:
            return False
        scale, mantissa = 0, 1 << exponent
        precision = 15 - len(num) - int(exponent * 3 / 10) - 1
    else:
        scale, mantissa, precision = exponent, 1, 18 - len(num) - len(denom)
    scale -= len(denom)
    if precision < 0 or scale < -9:
        return False
    shifted = num + denom
    value = int(shifted)
    if value * mantissa > _MAX_INT64:
        return False
    if fmt == BINARY_SI:
        return exponent % 10 == 0 and value & 0x07 != 0
    return scale % 3 == 0 and not shifted.endswith("000") and shifted[0] != "0"


def value_int(value: Fraction) -> int:
    """``Quantity.Value()``: the integer value, rounded up (away from zero)."""
    whole = -((-abs(value)) // 1)
    return int(whole if value >= 0 else -whole)


# --- Go float32 emulation -------------------------------------------------------------------------

def f32(value: Fraction | int) -> Fraction:
    """Round exactly to the nearest float32 (ties to even), as Go's ``float32(x)`` and float32 ops do."""
    return _f32_cached(Fraction(value))


@lru_cache(maxsize=4096)
def _f32_cached(value: Fraction) -> Fraction:
    if value == 0:
        return Fraction(0)
    magnitude = abs(value)
    exponent = magnitude.numerator.bit_length() - magnitude.denominator.bit_length()
    if Fraction(2) ** exponent > magnitude:
        exponent -= 1
    exponent = max(exponent, -126)  # subnormals keep the minimum exponent
    scale = Fraction(2) ** (exponent - 23)
    mantissa = round(magnitude / scale)  # Python's round() on Fraction ties to even
    result = mantissa * scale
    if result > Fraction(struct.unpack("f", struct.pack("f", 3.4028234663852886e38))[0]):
        raise OverflowError("float32 overflow")
    return result if value > 0 else -result


@lru_cache(maxsize=4096)
def overcommitted_request(guest_bytes: int, percent: int) -> int:
    """``int64(float32(guest) * (1 - float32(percent)/100))`` evaluated with float32 rounding at each step."""
    ratio = f32(1 - f32(f32(percent) / 100))
    product = f32(f32(guest_bytes) * ratio)
    return int(product)  # int64() truncates toward zero


def positive_bytes(value: str | int | float, *, what: str) -> int:
    """Whole bytes of a positive Kubernetes quantity (``10Gi``), rounded up; errors name ``what``."""
    from vmctl.errors import InputError

    try:
        size = parse_quantity(value)
    except InputError as exc:
        raise InputError(f"{what}: {exc.message}") from None
    if size <= 0:
        raise InputError(f"{what}: must be greater than zero, got {value!r}")
    return int(-(-size // 1))
