"""The exact decimal helpers the engine relies on (jingsai.core.numbers)."""

from decimal import Decimal
from fractions import Fraction

import pytest

from jingsai.core.numbers import (
    NumberError,
    format_decimal,
    fraction_to_decimal,
    parse_decimal,
    round_fraction_half_up,
    round_half_up,
)


@pytest.mark.parametrize(
    ("value", "places", "text"),
    [("85.555", 2, "85.56"), ("2.675", 2, "2.68"), ("2.665", 2, "2.67"), ("0.5", 0, "1"),
     ("1.5", 0, "2"), ("2.5", 0, "3"), ("-2.5", 0, "-3"), ("-0.001", 2, "0.00"),
     ("7", 3, "7.000"), ("1E+2", 2, "100.00"), ("0.0000001", 2, "0.00")],
)
def test_round_half_up_and_format(value, places, text):
    assert format_decimal(Decimal(value), places) == text
    assert round_half_up(Decimal(value), places) == Decimal(text)


def test_format_none():
    assert format_decimal(None, 2) is None


@pytest.mark.parametrize(
    ("value", "expected"),
    [("85.5", Decimal("85.5")), (" 3 ", Decimal(3)), (7, Decimal(7)),
     (Decimal("1.10"), Decimal("1.10"))],
)
def test_parse_decimal(value, expected):
    assert parse_decimal(value) == expected


@pytest.mark.parametrize(
    ("value", "code"),
    [(0.3, "float_not_allowed"), (True, "bool_not_allowed"), ("abc", "not_a_number"),
     ("NaN", "not_finite"), ("-Infinity", "not_finite"), (Decimal("sNaN"), "not_finite"),
     (None, "not_a_number"), ([1], "not_a_number")],
)
def test_parse_decimal_refuses(value, code):
    with pytest.raises(NumberError) as caught:
        parse_decimal(value)
    assert caught.value.code == code


def test_floats_only_when_asked_and_then_by_shortest_repr():
    assert parse_decimal(0.3, allow_float=True) == Decimal("0.3")
    assert parse_decimal(85.555, allow_float=True) == Decimal("85.555")
    with pytest.raises(NumberError):
        parse_decimal(float("nan"), allow_float=True)


def test_fractions():
    assert round_fraction_half_up(Fraction(35, 3), 2) == Decimal("11.67")
    assert round_fraction_half_up(Fraction(1, 200), 2) == Decimal("0.01")
    assert round_fraction_half_up(Fraction(-1, 200), 2) == Decimal("-0.01")
    assert round_fraction_half_up(Fraction(1, 3), 0) == Decimal("0")
    assert fraction_to_decimal(Fraction(3, 8)) == (Decimal("0.375"), True)
    assert fraction_to_decimal(Fraction(2, 3), 4) == (Decimal("0.6667"), False)
    assert fraction_to_decimal(Fraction(5)) == (Decimal(5), True)
