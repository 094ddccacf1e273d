import datetime

import pytest

from jingsai.core import idnumber
from jingsai.core.idnumber import InvalidIdNumber, parse

TODAY = datetime.date(2026, 6, 1)
WITH_X = "11010519491231002X"  # the standard's own example: check character X
MALE = idnumber.make("310104", datetime.date(1990, 5, 17), 123)


def code_of(raw):
    with pytest.raises(InvalidIdNumber) as caught:
        parse(raw, today=TODAY)
    return caught.value.code


def test_a_valid_number_tells_birth_date_and_sex():
    parsed = parse(WITH_X, today=TODAY)
    assert parsed.value == WITH_X
    assert parsed.birth_date == datetime.date(1949, 12, 31)
    assert parsed.sex == "F"  # the 17th digit, 2, is even
    assert parse(MALE).sex == "M"
    assert parsed.region == "110105"
    assert parsed.age_on(datetime.date(2026, 12, 30)) == 76
    assert parsed.age_on(datetime.date(2026, 12, 31)) == 77


@pytest.mark.parametrize("raw", [
    "11010519491231002x",                       # lower-case x
    "１１０１０５１９４９１２３１００２Ｘ",         # full-width digits and X
    "１１０１０５１９４９１２３１００２ｘ",         # full-width lower-case x
    " 110105 19491231 002X ",                   # spaces typed or pasted
])
def test_the_same_number_however_it_is_typed(raw):
    assert parse(raw, today=TODAY).value == WITH_X
    assert idnumber.normalize(raw) == WITH_X


@pytest.mark.parametrize(("raw", "code"), [
    ("", "empty"),
    ("   ", "empty"),
    ("11010519491231002", "lost_x"),            # a spreadsheet dropped the X
    ("110105491231002", "old_15"),              # first-generation 15-digit number
    ("1101051949123100", "length"),
    ("11010519491231002XX", "length"),
    ("11010519491231002Y", "characters"),
    ("X10105194912310021", "characters"),
    ("000000199001011234", "region"),           # no province 00
    ("991234199001011234", "region"),
    ("110105199902300011", "birth_date"),       # 30 February 1999
    ("110105199913010011", "birth_date"),       # month 13
    ("110105203001010011", "birth_future"),
    ("110105189912310011", "birth_too_old"),
    ("110105194912310021", "check_digit"),      # the example with a wrong last digit
    ("11" + "".join(chr(0x0660 + int(d)) for d in "010519491231002") + "X", "characters"),  # Arabic-Indic digits
    ("".join(chr(0x0966 + int(d)) for d in "11010519491231002"), "length"),  # Devanagari, X lost
])
def test_invalid_numbers_are_named(raw, code):
    assert code_of(raw) == code


def test_a_wrong_check_digit_says_which_was_expected():
    with pytest.raises(InvalidIdNumber) as caught:
        parse("110105194912310021", today=TODAY)
    assert "X" in caught.value.message and "1" in caught.value.message


def test_every_check_character_is_computed():
    for sequence in range(0, 60):
        number = idnumber.make("440305", datetime.date(2001, 2, 28), sequence)
        assert idnumber.is_valid(number)
        wrong = number[:-1] + ("0" if number[-1] != "0" else "1")
        assert not idnumber.is_valid(wrong)
    assert {idnumber.check_char(idnumber.make("440305", datetime.date(2001, 2, 28), s)[:17]) for s in range(200)} \
        == set("0123456789X")


def test_leap_day_and_hong_kong_macao_taiwan_residence_permits():
    assert parse(idnumber.make("310104", datetime.date(2000, 2, 29), 11)).birth_date.day == 29
    assert code_of("110105200102290011") == "birth_date"  # 2001 is not a leap year
    assert idnumber.is_valid(idnumber.make("810000", datetime.date(1990, 1, 1), 11))


def test_messages_are_chinese():
    from django.utils import translation

    with translation.override("zh-hans"):
        with pytest.raises(InvalidIdNumber) as caught:
            parse("110105199902300011", today=TODAY)
        assert "19990230" in caught.value.message and "日期" in caught.value.message
        with pytest.raises(InvalidIdNumber) as caught:
            parse("11010519491231002", today=TODAY)
        assert "X" in caught.value.message and "身份证" in caught.value.message
