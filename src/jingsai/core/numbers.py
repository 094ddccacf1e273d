"""Exact decimal helpers shared by the results engine, imports and the spec parser.

Pure: stdlib only, no Django, no settings. Every score in the project is a
`decimal.Decimal`; binary floats are refused where a value enters the system
(`parse_decimal`), except where a file format can only give floats (YAML,
spreadsheets), whose callers opt in with ``allow_float=True`` and get the
shortest decimal that gives back the same float (what Excel and YAML show).

Rounding is always half up (`ROUND_HALF_UP`, ties away from zero) to a number of
decimal places; `quantize` takes the rounding mode as an argument, so none of
these helpers switches the decimal context.
"""

from __future__ import annotations

from decimal import ROUND_FLOOR, ROUND_HALF_UP, Decimal, InvalidOperation
from fractions import Fraction

__all__ = [
    "NumberError",
    "floor_decimal",
    "format_decimal",
    "fraction_to_decimal",
    "parse_decimal",
    "quantum",
    "round_fraction_half_up",
    "round_half_up",
]


class NumberError(ValueError):
    """A value that is not an acceptable decimal; `code` says why.

    Codes: ``float_not_allowed``, ``bool_not_allowed``, ``not_a_number``,
    ``not_finite``.
    """

    def __init__(self, code: str, value: object):
        super().__init__(f"{code}: {value!r}")
        self.code = code
        self.value = value


_QUANTA = {places: Decimal(1).scaleb(-places) for places in range(0, 19)}


def quantum(places: int) -> Decimal:
    """``Decimal('1E-places')``: the exponent to quantize to."""
    try:
        return _QUANTA[places]
    except KeyError:
        return Decimal(1).scaleb(-places)


def parse_decimal(value: object, *, allow_float: bool = False) -> Decimal:
    """A finite `Decimal` from a `Decimal`, `int` or numeric `str`.

    Floats are refused (``float_not_allowed``) unless ``allow_float`` is true, in
    which case a float becomes the decimal of its shortest repr (0.3 -> 0.3, never
    0.299999999999999988897769753748...). Booleans are refused even though they
    are ints. Surrounding spaces in strings are ignored.
    """
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, bool):
        raise NumberError("bool_not_allowed", value)
    elif isinstance(value, int):
        return Decimal(value)
    elif isinstance(value, float):
        if not allow_float:
            raise NumberError("float_not_allowed", value)
        result = Decimal(repr(value))
    elif isinstance(value, str):
        try:
            result = Decimal(value.strip())
        except InvalidOperation:
            raise NumberError("not_a_number", value) from None
    else:
        raise NumberError("not_a_number", value)
    if not result.is_finite():
        raise NumberError("not_finite", value)
    return result


def round_half_up(value: Decimal, places: int) -> Decimal:
    """`value` rounded half up (ties away from zero) to `places` decimals."""
    result = value.quantize(quantum(places), rounding=ROUND_HALF_UP)
    if not result:
        return abs(result)  # never "-0.00"
    return result


def floor_decimal(value: Decimal) -> int:
    """The greatest integer <= value."""
    return int(value.to_integral_value(rounding=ROUND_FLOOR))


def format_decimal(value: Decimal | None, places: int) -> str | None:
    """`value` rounded half up and written with exactly `places` decimals.

    ``None`` stays ``None``; the result never uses exponent notation.
    """
    if value is None:
        return None
    return f"{round_half_up(value, places):f}"


def round_fraction_half_up(value: Fraction, places: int) -> Decimal:
    """An exact rational rounded half up to `places` decimals, as a `Decimal`.

    Integer arithmetic only, so the result is exact however long the
    fraction's decimal expansion is (thirds from judges' means, for instance).
    """
    scaled = value * (10**places)
    numerator, denominator = abs(scaled.numerator), scaled.denominator
    units, remainder = divmod(numerator, denominator)
    if 2 * remainder >= denominator:
        units += 1
    if scaled < 0 and units:
        units = -units
    return Decimal(f"{units}E-{places}")


def fraction_to_decimal(value: Fraction, places: int = 28) -> tuple[Decimal, bool]:
    """`(decimal, exact)`: the fraction itself when its expansion terminates,
    else rounded half up to `places` decimals with ``exact`` false."""
    denominator = value.denominator
    for prime in (2, 5):
        while denominator % prime == 0:
            denominator //= prime
    if denominator == 1:
        twos = fives = 0
        rest = value.denominator
        while rest % 2 == 0:
            rest //= 2
            twos += 1
        while rest % 5 == 0:
            rest //= 5
            fives += 1
        digits = max(twos, fives)
        scaled = value * (10**digits)
        return Decimal(f"{scaled.numerator}E-{digits}"), True
    return round_fraction_half_up(value, places), False
