"""Edges of question import and export found by a review of the file formats (Moodle XML,
GIFT, the xlsx template). Each test failed before the fix its docstring describes."""

import pytest

from jingsai.core.errors import Rejected
from jingsai.exams import services
from jingsai.exams.models import Question
from tests.exams import factories as ex

pytestmark = pytest.mark.django_db


def _xml(bank, questions):
    data = f'<?xml version="1.0" encoding="UTF-8"?><quiz>{questions}</quiz>'.encode()
    return services.import_questions(None, bank, data, filename="q.xml")


def _messages(rejected):
    return [(str(p.message), p.where) for p in rejected.value.problems]


@pytest.mark.parametrize("value", ["NaN", "-Infinity", "1e9999999999"])
def test_a_moodle_answer_weight_that_is_not_a_finite_number_is_reported(value):
    """moodle._fraction caught only InvalidOperation of the constructor: fraction="NaN" failed
    later comparing with 0, and a huge exponent overflowed dividing by 100 (a 500 on the page)."""
    bank = ex.bank()
    with pytest.raises(Rejected) as rejected:
        _xml(bank, '<question type="multichoice"><name><text>权重</text></name><questiontext format="html">'
                   '<text>焊接电弧属于哪种放电？</text></questiontext><single>true</single>'
                   f'<answer fraction="{value}"><text>固体放电</text></answer>'
                   '<answer fraction="100"><text>气体放电</text></answer></question>')
    [(message, where)] = _messages(rejected)
    assert value in message and "权重" in where
    assert not Question.objects.filter(bank=bank).exists()
