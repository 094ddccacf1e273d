"""How a theory exam's score flows into the competition's results: the theory score on
the component's scale, and what voiding, grading and results do to it."""

import json
from datetime import timedelta
from decimal import Decimal

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


def test_a_question_nearly_everyone_got_right_is_still_flagged_for_weak_discrimination():
    """Regression: the flags read the difficulty rounded to two places, so a question on which
    one candidate of twelve lost half a point (P 0.9958, shown 1.00) counted as "everyone
    right" and its weak discrimination (D 0.02) was not flagged."""
    from jingsai.accounts.models import Role
    from jingsai.exams import analysis
    from tests import factories

    orgs = factories.tree()
    competition = factories.competition(host=orgs["union"], status="in_progress")
    bank = ex.bank(owner=orgs["union"])
    essay = services.add_question(factories.actor(), bank, ex.question("short", stem="焊前为何要预热？"))
    check = services.add_question(factories.actor(), bank, ex.question("judge", stem="焊前应检查接地。"))
    paper = ex.paper(competition, bank, [
        {"type": "short", "points": "10", "questions": [essay.number]},
        {"type": "judge", "points": "10", "questions": [check.number]},
    ], kind="fixed", shuffle_questions=False)
    session = ex.session(competition, paper, graders_per_answer=1)
    grader = factories.user(role=Role.GRADER, competition=competition)
    marks = {}
    for index in range(12):  # the last three wrong on the true-or-false question: the weakest three
        user, _entry = ex.candidate(competition, employer=orgs["unit_b"])
        attempt = services.start(user, session, device="d")
        services.save_answers(attempt.pk, "d", [(0, 1, json.dumps("防止冷裂纹")), (1, 1, json.dumps(index < 9))])
        services.submit(user, attempt, device="d")
        marks[attempt.pk] = "9.5" if index == 11 else "10"
    while (item := services.next_to_grade(session, grader)) is not None:
        services.grade(grader, item, marks[item.attempt_id])
    count, group, rows = analysis.item_statistics(session)
    assert (count, group) == (12, 3)
    row = next(r for r in rows if r.question_number == essay.number)
    assert (row.difficulty, row.discrimination) == (Decimal("1.00"), Decimal("0.02"))
    assert row.flag == "weak"


def test_the_time_a_candidate_used_goes_to_the_results_for_a_time_tie_breaker():
    """Regression: results-rules.md breaks ties with `time:<component>` (同分用时少者优先), but
    a graded exam gave the results its score only, and its time used was empty: a
    competition breaking ties on the theory exam's time could not. The score now carries the
    whole seconds from the start to the hand-in, at most to the deadline: a time-out handed
    in later by the sweep counts the time the candidate had, not the time the sweep came."""
    from jingsai.results.models import ComponentScore

    now = timezone.now()
    world = ex.exam(n_candidates=2, minutes=60, opens=now - timedelta(hours=3), closes_at=now + timedelta(hours=3))
    session = world["session"]
    session.paper.sections.filter(type="short").delete()  # graded at hand-in
    (first, first_entry), (second, second_entry) = world["candidates"]
    quick = services.start(first, session, device="a", now=now - timedelta(minutes=25, seconds=30))
    services.submit(first, quick, device="a", now=now)
    assert ComponentScore.objects.get(entry=first_entry, component="theory").time_seconds == 25 * 60 + 30
    late = services.start(second, session, device="b", now=now - timedelta(hours=2))  # never handed in
    services.sweep(now=now)
    late.refresh_from_db()
    assert late.status == AttemptStatus.GRADED and late.submitted_at > late.deadline
    assert ComponentScore.objects.get(entry=second_entry, component="theory").time_seconds == 60 * 60


def test_a_component_holding_exam_scores_keeps_its_maximum():
    """Regression: a graded exam stores its score on the component's scale (the paper's
    points scaled to its maximum). The rules could then change that maximum: lowered, the
    stored scores were over it and the results could not be computed; raised, a full 100
    was read as 100 of 150 while the exam's own pages showed 150. Such a change is now
    refused with a message; a component without exam scores may still change."""
    import copy

    from jingsai.competitions import services as competitions
    from jingsai.core.errors import Rejected

    world = ex.exam_with_organizer(n_candidates=1)
    competition = world["competition"]
    spec = copy.deepcopy(competition.spec)
    theory = next(c for c in spec["components"] if c["key"] == "theory")
    theory["max"] = 150
    competitions.load_competition(None, copy.deepcopy(spec), reason="满分调整", check=False, competition=competition)
    competition.refresh_from_db()
    stored = next(c for c in competition.spec["components"] if c["key"] == "theory")
    assert str(stored["max"]) == "150"  # no exam scores yet: the maximum may change

    _graded(world)
    spec = copy.deepcopy(competition.spec)
    next(c for c in spec["components"] if c["key"] == "theory")["max"] = 100
    with pytest.raises(Rejected) as refused:
        competitions.load_competition(None, spec, reason="满分调整", check=False, competition=competition)
    assert [p.code for p in refused.value.problems] == ["component_rescaled"]
    assert "150" in str(refused.value.problems[0].message)
    competition.refresh_from_db()
    assert str(next(c for c in competition.spec["components"] if c["key"] == "theory")["max"]) == "150"


def test_a_make_up_exam_clears_the_absence_mark_once_every_component_has_a_score():
    """Regression: someone marked 缺考 who then sat a make-up exam and was graded kept the
    mark, so the entry stayed unranked with every component scored."""
    from jingsai.core.models import AuditRecord
    from jingsai.results import services as results
    from jingsai.results.models import ScoreStatus

    world = ex.exam_with_organizer(n_candidates=2)
    organizer = world["organizer"]
    (_user, entry), (_other_user, other) = world["candidates"]
    for marked in (entry, other):
        results.set_score_status(organizer, marked, ScoreStatus.Status.ABSENT, reason="没来考理论")
    results.set_component_score(organizer, entry, "practical", Decimal("75"), reason="实操")

    _graded(world, 0)  # every component scored now: the mark goes, with its reason
    assert not ScoreStatus.objects.filter(entry=entry).exists()
    record = AuditRecord.objects.filter(action="results.status").order_by("-pk").first()
    assert record.changes == {"status": ["absent", None]}
    assert "补考" in record.reason or world["session"].name in record.reason

    _graded(world, 1)  # no practical score: the mark still explains it, and stays
    assert ScoreStatus.objects.get(entry=other).status == ScoreStatus.Status.ABSENT


def test_a_disqualification_is_not_cleared_by_a_graded_exam():
    from jingsai.results import services as results
    from jingsai.results.models import ScoreStatus

    world = ex.exam_with_organizer(n_candidates=1)
    _user, entry = world["candidates"][0]
    results.set_component_score(world["organizer"], entry, "practical", Decimal("75"), reason="实操")
    results.set_score_status(world["organizer"], entry, ScoreStatus.Status.DISQUALIFIED, reason="作弊")
    _graded(world)
    assert ScoreStatus.objects.get(entry=entry).status == ScoreStatus.Status.DISQUALIFIED


def test_an_exam_score_equal_to_one_typed_by_hand_is_recorded_as_the_exams():
    """Regression: a theory score typed in by hand, then equalled by the graded exam, kept
    the source "entered by hand", so the results' explanation said so."""
    from jingsai.core.models import AuditRecord
    from jingsai.results import services as results
    from jingsai.results.models import ComponentScore, ScoreSource

    world = ex.exam_with_organizer(n_candidates=1)
    session = world["session"]
    session.paper.sections.filter(type="short").delete()
    user, entry = world["candidates"][0]
    # Typed in with the same time as the exam will give: nothing but the source differs.
    results.set_component_score(world["organizer"], entry, "theory", Decimal("100"), time_seconds=600,
                                reason="先录入")
    began = timezone.now()
    attempt = services.start(user, session, device="d", now=began)
    _answer_everything(attempt)
    attempt = services.submit(user, attempt, device="d", now=began + timedelta(seconds=600))
    assert attempt.status == AttemptStatus.GRADED
    assert services.time_used(attempt) == 600
    score = ComponentScore.objects.get(entry=entry, component="theory")
    assert score.value == Decimal("100")
    assert score.source == ScoreSource.EXAM
    record = AuditRecord.objects.filter(action="results.score").order_by("-pk").first()
    assert record.changes == {"source": ["manual", "exam"]}


def test_the_same_score_typed_by_hand_leaves_an_exam_s_score_the_exam_s():
    """The same value given again by hand changes nothing: the score stays the exam's (its
    explanation names the exam, and voiding the attempt still clears it)."""
    from jingsai.results import services as results
    from jingsai.results.models import ComponentScore, ScoreSource

    world = ex.exam_with_organizer(n_candidates=1)
    attempt = _graded(world)
    _user, entry = world["candidates"][0]
    score = ComponentScore.objects.get(entry=entry, component="theory")
    results.set_component_score(world["organizer"], entry, "theory", score.value,
                                time_seconds=services.time_used(attempt), reason="核对")
    again = ComponentScore.objects.get(entry=entry, component="theory")
    assert (again.source, again.recorded_at) == (ScoreSource.EXAM, score.recorded_at)
