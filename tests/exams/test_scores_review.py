"""How a theory exam's score flows into the competition's results: the theory score on
the component's scale, and what voiding, grading and results do to it."""

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from jingsai.exams import services
from jingsai.exams.models import AttemptStatus, ExamSession
from tests.exams import factories as ex
from tests.exams.test_grading import _answer_everything

pytestmark = pytest.mark.django_db


def _graded(world, index=0):
    """The candidate's attempt, every question answered right, handed in and graded (the
    paper has no short answers: 80 points)."""
    session = world["session"]
    session.paper.sections.filter(type="short").delete()
    user, _entry = world["candidates"][index]
    attempt = services.start(user, session, device="d")
    _answer_everything(attempt)
    attempt = services.submit(user, attempt, device="d")
    assert attempt.status == AttemptStatus.GRADED
    return attempt


def test_a_full_theory_score_is_written_as_a_plain_number_in_the_api():
    """Regression: a theory score of 100 (or 80, 90...) came out as "1E+2" in the API's sheet
    of scores and in the command line's csv, the normalized Decimal's exponent form."""
    world = ex.exam_with_organizer(n_candidates=1)
    attempt = _graded(world)
    assert format(services.theory_score(attempt)) == "100"
    client = ex.logged_in(world["organizer"])
    rows = client.get(f"/api/exams/sessions/{world['session'].pk}/results").json()
    assert rows[0]["theory_score"] == "100"


def test_an_exam_without_a_component_is_refused_not_left_unable_to_hand_in():
    """Regression: a session created with an empty component (the API's and the command
    line's `"component": ""`) was checked as if it were "theory" but stored as "", so every
    hand-in then failed ("the competition has no component") and nobody could hand in."""
    world = ex.exam_with_organizer(n_candidates=0)
    client = ex.logged_in(world["organizer"])
    now = timezone.now()
    answer = client.post("/api/exams/sessions", json.dumps({
        "competition": world["competition"].code, "paper": world["paper"].pk, "name": "补考", "component": "",
        "opens_at": now.isoformat(), "closes_at": (now + timedelta(hours=2)).isoformat(),
        "duration_minutes": 60}), content_type="application/json")
    assert answer.status_code == 400, answer.content
    assert "“”" in answer.json()["detail"]
    assert not ExamSession.objects.filter(name="补考").exists()
