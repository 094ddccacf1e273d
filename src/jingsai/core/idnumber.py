"""居民身份证号码 (GB 11643-1999): validation, normalization and what the number tells.

Pure: no Django models, no settings. Messages are lazy translations, so this module can be
imported anywhere and only renders text when a message is shown.
"""

import datetime
import re
import unicodedata
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK_CHARS = "10X98765432"
# Province-level codes of GB/T 2260, plus 81/82/83 for the residence permits of Hong Kong,
# Macao and Taiwan residents (港澳台居民居住证), which use the same 18-character format.
PROVINCES = frozenset(
    [
        "11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37", "41",
        "42", "43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62", "63", "64", "65", "71",
        "81", "82", "83"
    ]
)
_SHAPE = re.compile(r"^[0-9]{17}[0-9X]$")  # ASCII digits only: \d takes any script's

MESSAGES = {
    "empty": _("The identity number is empty."),
    "old_15": _(
        "This is a 15-digit identity number of the first generation; enter the 18-digit number."
    ),
    "lost_x": _(
        "The identity number has 17 digits: the final X was probably dropped by the "
        "spreadsheet. Enter the full 18 characters as text."
    ),
    "length": _("An identity number has 18 characters; this one has %(length)s."),
    "characters": _(
        "An identity number is 17 digits followed by a digit or X; this one contains "
        "other characters."
    ),
    "region": _("The first six digits (%(region)s) are not a region code."),
    "birth_date": _("The birth date in the number (%(digits)s) is not a real date."),
    "birth_future": _("The birth date in the number (%(digits)s) is in the future."),
    "birth_too_old": _("The birth date in the number (%(digits)s) is before 1900."),
    "check_digit": _(
        "The check digit does not match: the last character should be %(expected)s, not "
        "%(given)s. Check the number for a typing error."
    ),
}


class InvalidIdNumber(ValueError):
    """An identity number that cannot be accepted; `code` names why, `message` says it."""

    def __init__(self, code, **params):
        self.code = code
        self.params = params
        super().__init__(code)

    @property
    def message(self):
        return str(MESSAGES[self.code]) % self.params if self.params else str(MESSAGES[self.code])

    def __str__(self):
        return self.message


@dataclass(frozen=True)
class IdNumber:
    value: str
    birth_date: datetime.date
    sex: str  # "M" or "F"

    @property
    def region(self):
        return self.value[:6]

    def age_on(self, day):
        years = day.year - self.birth_date.year
        if (day.month, day.day) < (self.birth_date.month, self.birth_date.day):
            years -= 1
        return years


def check_char(first17):
    return CHECK_CHARS[sum(int(c) * w for c, w in zip(first17, WEIGHTS, strict=True)) % 11]


def normalize(raw):
    """Canonical text of what a person typed: full-width characters folded (NFKC), spaces
    removed, a lower-case x upper-cased. Does not validate."""
    text = unicodedata.normalize("NFKC", str(raw))
    return "".join(text.split()).upper()


def parse(raw, *, today=None):
    """Validate and return an IdNumber, or raise InvalidIdNumber with the first problem."""
    value = normalize(raw) if raw is not None else ""
    if not value:
        raise InvalidIdNumber("empty")
    if len(value) != 18:
        if len(value) == 17 and value.isascii() and value.isdigit():
            raise InvalidIdNumber("lost_x")
        if len(value) == 15 and value.isascii() and value.isdigit():
            raise InvalidIdNumber("old_15")
        raise InvalidIdNumber("length", length=len(value))
    if not _SHAPE.match(value):
        raise InvalidIdNumber("characters")
    if value[:2] not in PROVINCES:
        raise InvalidIdNumber("region", region=value[:6])
    digits = value[6:14]
    try:
        birth = datetime.date(int(digits[:4]), int(digits[4:6]), int(digits[6:8]))
    except ValueError:
        raise InvalidIdNumber("birth_date", digits=digits) from None
    if birth.year < 1900:
        raise InvalidIdNumber("birth_too_old", digits=digits)
    if birth > (today or datetime.date.today()):
        raise InvalidIdNumber("birth_future", digits=digits)
    expected = check_char(value[:17])
    if value[17] != expected:
        raise InvalidIdNumber("check_digit", expected=expected, given=value[17])
    return IdNumber(value=value, birth_date=birth, sex="M" if int(value[16]) % 2 else "F")


def is_valid(raw):
    try:
        parse(raw)
    except InvalidIdNumber:
        return False
    return True


def make(region, birth, sequence):
    """Build a valid number from its parts (demo data and tests): region "310104",
    birth a date, sequence 0..999 (odd for men)."""
    first17 = f"{region}{birth:%Y%m%d}{sequence:03d}"
    return first17 + check_char(first17)
