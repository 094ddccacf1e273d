"""The question bank, reviewed: banks, questions, their versions and their pages, API and
command. Tests named "Regression" failed before the fix their docstring describes (a
review of 2026-12-07)."""

import pytest

from jingsai.core.models import AuditRecord
from jingsai.exams.models import Question
from tests.exams import factories as ex

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    data = ex.exam_with_organizer(n_candidates=1)
    data["client"] = ex.logged_in(data["organizer"])
    data["client"].raise_request_exception = False
    return data


def test_retiring_a_question_twice_leaves_it_retired(world):
    """Regression: the question page's button posted only "toggle", and the view flipped
    whatever state the question was in: a double click on "Retire" (or two organizers on
    the same page) retired the question and put it straight back in use, to be drawn for
    candidates. The button now says which state it asks for, and asking again changes
    nothing."""
    question = Question.objects.filter(bank=world["bank"]).first()
    client = world["client"]
    page = client.get(f"/work/exams/questions/{question.pk}/").content.decode()
    assert 'name="active" value="0"' in page
    for _twice in range(2):
        response = client.post(f"/work/exams/questions/{question.pk}/toggle/", {"active": "0"})
        assert response.status_code == 302
    question.refresh_from_db()
    assert not question.is_active
    assert AuditRecord.objects.filter(action="exams.retire_question", object_id=str(question.pk)).count() == 1
    assert not AuditRecord.objects.filter(action="exams.restore_question").exists()
    client.post(f"/work/exams/questions/{question.pk}/toggle/", {"active": "1"})
    client.post(f"/work/exams/questions/{question.pk}/toggle/", {"active": "1"})
    question.refresh_from_db()
    assert question.is_active
    assert AuditRecord.objects.filter(action="exams.restore_question", object_id=str(question.pk)).count() == 1
    # A post that does not say which is refused with a message, and changes nothing.
    refused = client.post(f"/work/exams/questions/{question.pk}/toggle/", follow=True)
    assert "停用" in refused.content.decode()
    question.refresh_from_db()
    assert question.is_active
