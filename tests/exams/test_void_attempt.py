"""Voiding an attempt so that the candidate sits the exam again (重考): what happens to the
old attempt, its answers, its grading and its score; the new attempt; who may do it and
when; the page, the API and the command line."""

import json
from decimal import Decimal

import pytest

from jingsai.core.errors import UserError
from jingsai.core.models import AuditRecord
from jingsai.exams import lifecycle, services
from jingsai.exams.models import Attempt, AttemptEvent, AttemptStatus
from jingsai.exams.services import SaveRefused
from jingsai.results.models import ComponentScore
from tests.commands import run_command
from tests.exams import factories as ex
from tests.exams.test_grading import _answer_everything

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    return ex.exam_with_organizer(n_candidates=2)


def test_a_running_attempt_voided_takes_no_more_answers_and_the_candidate_starts_afresh(world):
    user, entry = world["candidates"][0]
    session = world["session"]
    old = services.start(user, session, device="d")
    services.save_answers(old.pk, "d", [(0, 1, json.dumps("A"))])
    with pytest.raises(UserError) as no_reason:
        services.void_attempt(world["organizer"], old, reason=" ")
    assert no_reason.value.code == "reason"

    services.void_attempt(world["organizer"], old, reason="电脑死机")

    old.refresh_from_db()
    assert old.status == AttemptStatus.VOIDED and old.submitted_at is not None
    assert old.answers.count() == 1  # kept, for the record
    with pytest.raises(SaveRefused) as refused:
        services.save_answers(old.pk, "d", [(1, 1, json.dumps("B"))])
    assert refused.value.code == "voided"
    assert services.heartbeat(old.pk, "d")["status"] == AttemptStatus.VOIDED
    event = old.events.get(kind=AttemptEvent.Kind.VOID)
    assert event.actor == world["organizer"] and event.detail["reason"] == "电脑死机"
    record = AuditRecord.objects.get(action="exams.void")
    assert record.reason == "电脑死机" and record.changes["status"] == ["in_progress", "voided"]
    # The live list shows the candidate as not started, then with the new attempt.
    row = next(r for r in services.attempt_progress(session) if r["entry_id"] == entry.pk)
    assert row["state"] == "absent" and row["attempt_id"] is None and row["voided"]
    with pytest.raises(UserError) as again:
        services.void_attempt(world["organizer"], old, reason="再次")
    assert again.value.code == "voided"

    new = services.start(user, session, device="d2")
    assert new.pk != old.pk and new.status == AttemptStatus.IN_PROGRESS and not new.answers.exists()
    assert new.deadline - new.started_at == old.deadline - old.started_at  # the full time again
    assert services.start(user, session, device="d2").pk == new.pk  # resumed, not a third
    row = next(r for r in services.live_list(session) if r["entry_id"] == entry.pk)
    assert row["attempt_id"] == new.pk and row["state"] == "in_progress" and row["voided"]
    other = next(r for r in services.live_list(session) if r["entry_id"] != entry.pk)
    assert not other["voided"]
    # The invigilators' page and API say the candidate sits again.
    html = ex.logged_in(world["invigilator"]).get(f"/work/exams/sessions/{session.pk}/monitor/").content.decode()
    assert html.count('class="badge text-bg-secondary voided"') == 1
    listed = ex.logged_in(world["invigilator"]).get(f"/api/exams/sessions/{session.pk}/monitor").json()["items"]
    assert [r["voided"] for r in listed if r["entry_id"] == entry.pk] == [True]
    assert Attempt.objects.filter(session=session, entry=entry).count() == 2


def test_a_graded_attempt_voided_takes_its_score_out_of_the_results_until_the_new_one_is_graded():
    world = ex.exam_with_organizer(n_candidates=1)
    world["session"].paper.sections.filter(type="short").delete()  # graded at hand-in
    user, entry = world["candidates"][0]
    old = services.start(user, world["session"], device="d")
    _answer_everything(old)
    old = services.submit(user, old, device="d")
    assert old.status == AttemptStatus.GRADED
    assert ComponentScore.objects.get(entry=entry, component="theory").value == Decimal("100")

    services.void_attempt(world["organizer"], old, reason="试卷抽错")

    assert ComponentScore.objects.get(entry=entry, component="theory").value is None
    assert AuditRecord.objects.filter(action="results.score", reason__contains="试卷抽错").exists()
    new = services.start(user, world["session"], device="d")
    new = services.submit(user, new, device="d")  # nothing answered
    assert new.status == AttemptStatus.GRADED
    assert ComponentScore.objects.get(entry=entry, component="theory").value == Decimal("0")


def test_a_voided_attempts_short_answers_leave_the_graders_queue(world):
    user, _entry = world["candidates"][0]
    session = world["session"]
    attempt = services.start(user, session, device="d")
    _answer_everything(attempt)
    attempt = services.submit(user, attempt, device="d")
    assert attempt.status == AttemptStatus.SUBMITTED
    grader = world["graders"][0]
    item = services.next_to_grade(session, grader)
    assert item is not None and lifecycle.exams_graded(session.competition)
    assert services.grading_progress(session)["pending"] == 2

    services.void_attempt(world["organizer"], attempt, reason="替考")

    assert services.next_to_grade(session, grader) is None
    assert services.grading_progress(session) == {"total": 0, "pending": 0}
    assert services.ungradable(session, world["graders"]) == 0
    assert lifecycle.exams_graded(session.competition) is None
    with pytest.raises(UserError) as refused:
        services.grade(grader, item, "5")  # the page was open before the void
    assert refused.value.code == "voided"


def test_voiding_is_refused_once_no_new_attempt_could_be_started(world):
    from jingsai.competitions.models import Competition

    user, _entry = world["candidates"][0]
    attempt = services.start(user, world["session"], device="d")
    Competition.objects.filter(pk=world["competition"].pk).update(status="scoring")
    with pytest.raises(UserError) as refused:
        services.void_attempt(world["organizer"], attempt, reason="电脑死机")
    assert refused.value.code == "closed"
    attempt.refresh_from_db()
    assert attempt.status == AttemptStatus.IN_PROGRESS


def test_voiding_is_refused_when_no_sitting_is_left_to_start_again_in(world):
    """The session has closed and no other sitting is open or to come: voiding would take
    the score away for good. Once a make-up sitting is added, it is allowed."""
    import datetime

    from django.utils import timezone

    from jingsai.exams.models import ExamSession

    user, entry = world["candidates"][0]
    attempt = services.submit(user, services.start(user, world["session"], device="d"), device="d")
    ExamSession.objects.filter(pk=world["session"].pk).update(closes_at=timezone.now())
    with pytest.raises(UserError) as refused:
        services.void_attempt(world["organizer"], attempt, reason="电脑死机")
    assert refused.value.code == "no_sitting" and entry.person.name in refused.value.message
    attempt.refresh_from_db()
    assert attempt.status != AttemptStatus.VOIDED
    ex.session(world["competition"], world["paper"], opens=timezone.now() + datetime.timedelta(days=1))
    assert services.void_attempt(world["organizer"], attempt, reason="电脑死机").status == AttemptStatus.VOIDED


def test_a_voided_attempt_does_not_count_as_sitting_the_exam_in_another_sitting(world):
    user, _entry = world["candidates"][0]
    first = services.start(user, world["session"], device="d")
    makeup = ex.session(world["competition"], world["paper"])
    with pytest.raises(UserError) as refused:
        services.start(user, makeup, device="d")
    assert refused.value.code == "sat_elsewhere"
    services.void_attempt(world["organizer"], first, reason="停电，改在补考场")
    second = services.start(user, makeup, device="d")
    assert second.session_id == makeup.pk
    # The voided attempt's page leads to the new one, in the make-up sitting.
    page = ex.logged_in(world["organizer"]).get(f"/work/exams/attempts/{first.pk}/").content.decode()
    assert f"/work/exams/attempts/{second.pk}/" in page


def test_the_sheet_of_scores_leaves_a_voided_attempt_out(world):
    user, entry = world["candidates"][0]
    old = services.submit(user, services.start(user, world["session"], device="d"), device="d")
    services.void_attempt(world["organizer"], old, reason="试卷抽错")
    new = services.start(user, world["session"], device="d")
    _columns, rows = services.session_results(world["session"])
    assert [row[0] for row in rows] == [entry.number]
    assert rows[0][4] == AttemptStatus(new.status).label
    # The session's page lists both, the one that counts first, the voided one without a score.
    html = ex.logged_in(world["organizer"]).get(f"/work/exams/sessions/{world['session'].pk}/").content.decode()
    assert html.index(f"/work/exams/attempts/{new.pk}/") < html.index(f"/work/exams/attempts/{old.pk}/")


def test_organizers_void_on_the_attempt_page_and_the_candidate_is_told_why(world):
    user, _entry = world["candidates"][0]
    session = world["session"]
    old = services.start(user, session, device="d")
    invigilator = ex.logged_in(world["invigilator"])
    page = invigilator.get(f"/work/exams/attempts/{old.pk}/").content.decode()
    assert 'id="void-attempt"' not in page  # an organizer's decision, not every invigilator's
    assert invigilator.post(f"/work/exams/attempts/{old.pk}/void/", {"reason": "x"}).status_code == 403
    organizer = ex.logged_in(world["organizer"])
    assert 'id="void-attempt"' in organizer.get(f"/work/exams/attempts/{old.pk}/").content.decode()
    refused = organizer.post(f"/work/exams/attempts/{old.pk}/void/", {"reason": ""}, follow=True)
    assert "请说明作废的原因" in refused.content.decode()
    done = organizer.post(f"/work/exams/attempts/{old.pk}/void/", {"reason": "电脑死机"}, follow=True)
    html = done.content.decode()
    assert done.status_code == 200 and 'id="voided-note"' in html and 'id="void-attempt"' not in html
    old.refresh_from_db()
    assert old.status == AttemptStatus.VOIDED

    candidate = ex.logged_in(user)
    intro = candidate.get(f"/work/exams/take/{session.pk}/").content.decode()
    assert 'id="voided"' in intro and "电脑死机" in intro and 'id="start-exam"' in intro
    assert str(session.pk) in candidate.get("/work/exams/mine/").content.decode()
    candidate.post(f"/work/exams/take/{session.pk}/start/")
    new = services.current_attempt(session, old.entry)
    assert new is not None and new.pk != old.pk
    note = organizer.get(f"/work/exams/attempts/{old.pk}/").content.decode()
    assert f"/work/exams/attempts/{new.pk}/" in note


def test_the_api_voids_for_organizers_only(world):
    user, _entry = world["candidates"][0]
    attempt = services.start(user, world["session"], device="d")
    url = f"/api/exams/attempts/{attempt.pk}/void"
    denied = ex.logged_in(world["invigilator"]).post(url, {"reason": "x"}, content_type="application/json")
    assert denied.status_code == 403
    organizer = ex.logged_in(world["organizer"])
    missing = organizer.post(url, {"reason": ""}, content_type="application/json")
    assert missing.status_code == 400 and missing.json()["code"] == "reason"
    done = organizer.post(url, {"reason": "电脑死机"}, content_type="application/json")
    assert done.status_code == 200 and done.json() == {"status": "voided"}
    again = organizer.post(url, {"reason": "电脑死机"}, content_type="application/json")
    assert again.status_code == 400 and again.json()["code"] == "voided"
    # The exam page's save is told, and asks the server, which sends it back to the start.
    token = services.attempt_token(attempt)
    save = ex.logged_in(user).post(f"/api/exams/attempts/{attempt.pk}/answers",
                                   {"answers": [{"q": 0, "seq": 1, "r": "A"}]}, content_type="application/json",
                                   HTTP_X_ATTEMPT_TOKEN=token)
    assert save.status_code == 400 and save.json()["code"] == "voided"
    # The hand-in button without JavaScript leads back to the start page.
    handed = ex.logged_in(user).post(f"/work/exams/take/{world['session'].pk}/submit/")
    assert handed.status_code == 302 and handed["Location"].endswith(f"/take/{world['session'].pk}/")


def test_the_command_line_voids_a_candidates_attempt_by_entry_number(world):
    user, entry = world["candidates"][0]
    session = world["session"]
    attempt = services.start(user, session, device="d")
    code, out, err = run_command("exams", "void", str(session.pk), "--entry", str(entry.number),
                                 "--reason", "电脑死机")
    assert code == 0, err
    assert entry.person.name in out
    attempt.refresh_from_db()
    assert attempt.status == AttemptStatus.VOIDED
    code, _out, err = run_command("exams", "void", str(session.pk), "--entry", str(entry.number),
                                  "--reason", "电脑死机")
    assert code == 1 and str(entry.number) in err  # nothing left to void
    code, out, _err = run_command("exams", "sessions", session.competition.code)
    assert code == 0 and "已作废 1" in out, out
