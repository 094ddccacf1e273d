"""The explanations (解析) on an attempt's review, as Moodle's general feedback: shown after
the right answer wherever the review shows it (the page and the API), with their pictures,
and kept back with it; a picture of an explanation loads exactly when the review shows it
(services.review_shows_answers, asked by both)."""

import datetime
import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from jingsai.accounts.models import Role
from jingsai.exams import images, scoring, services
from jingsai.exams.content import ImageData
from jingsai.exams.models import AttemptStatus, ExamSession
from tests import factories
from tests.exams import factories as ex

pytestmark = pytest.mark.django_db

TEXT = "碱性焊条一般采用直流反接，电弧稳定。"


def _png(tag):
    return ImageData(f"{tag}.png", b"\x89PNG\r\n\x1a\n" + tag.encode())


def _url(pk):
    return reverse("exams:image", args=[pk])


@pytest.fixture
def world():
    """A sitting open now, on a fixed paper of three questions from a bank closed to
    practice (so that practice shows no picture): a single choice explained in words and two
    pictures, a true-or-false question explained by a picture alone, and one unexplained; a
    candidate, the invigilator, a grader and an organizer of the host."""
    orgs = factories.tree()
    competition = factories.competition(host=orgs["union"], status="in_progress")
    bank = ex.bank(owner=orgs["union"], practice_open=False)
    actor = factories.actor()
    single = services.add_question(actor, bank, ex.question(
        "single", explanation=TEXT, explanation_images=[_png("reverse"), _png("forward")]))
    judge = services.add_question(actor, bank, ex.question("judge", explanation_images=[_png("ground")]))
    plain = services.add_question(actor, bank, ex.question("single"))
    paper = ex.paper(competition, bank, kind="fixed", sections=[
        {"type": "single", "count": 2, "points": "5", "questions": [single.number, plain.number]},
        {"type": "judge", "count": 1, "points": "5", "questions": [judge.number]}])
    session = ex.session(competition, paper)
    user, _entry = ex.candidate(competition, employer=orgs["unit_a"])
    explained = services.explanation_images([single.current_id, judge.current_id])
    return {"orgs": orgs, "competition": competition, "bank": bank, "paper": paper, "session": session,
            "user": user, "single": single, "judge": judge, "plain": plain,
            "pictures": {"single": explained[single.current_id], "judge": explained[judge.current_id]},
            "invigilator": factories.user(role=Role.INVIGILATOR, competition=competition),
            "grader": factories.user(role=Role.GRADER, competition=competition),
            "organizer": factories.user(role=Role.ORGANIZER, org=orgs["union"])}


def _start(world):
    return services.start(world["user"], world["session"], device="d1")


def _hand_in(world):
    attempt = _start(world)
    services.submit(world["user"], attempt, device="d1")
    attempt.refresh_from_db()
    assert attempt.status != AttemptStatus.IN_PROGRESS
    return attempt


def _close(session):
    ExamSession.objects.filter(pk=session.pk).update(closes_at=timezone.now() - datetime.timedelta(minutes=1))


def _all_urls(world):
    return [_url(pk) for pk in world["pictures"]["single"] + world["pictures"]["judge"]]


def _page(user, attempt):
    response = ex.logged_in(user).get(reverse("exams:attempt", args=[attempt.pk]))
    assert response.status_code == 200
    return response.content.decode()


def _api(user, attempt):
    response = ex.logged_in(user).get(f"/api/exams/attempts/{attempt.pk}")
    assert response.status_code == 200, response.content
    return response.json()


def _loads(user, world):
    """The status of each explanation picture loaded by `user`."""
    client = ex.logged_in(user)
    return {client.get(url).status_code for url in _all_urls(world)}


def _assert_shown(world, user, attempt):
    page = _page(user, attempt)
    single, forward = [_url(pk) for pk in world["pictures"]["single"]]
    # After the right answer, the text and then its pictures in their order.
    at = page.index(TEXT)
    assert page.rindex("right-answer", 0, at) and at < page.index(single) < page.index(forward)
    assert _url(world["pictures"]["judge"][0]) in page
    body = _api(user, attempt)
    assert body["answers_shown"] is True
    by_version = {item.version_id: body["items"][item.position] for item in attempt.items.all()}
    shown = by_version[world["single"].current_id]
    assert shown["explanation"] == TEXT and shown["explanation_images"] == [single, forward]
    version = world["single"].current
    assert shown["answer"] == json.loads(json.dumps(scoring.correct_response(version.type, version.answer)))
    judge = by_version[world["judge"].current_id]
    assert judge["explanation"] == "" and judge["explanation_images"] == [_url(world["pictures"]["judge"][0])]
    assert by_version[world["plain"].current_id]["explanation_images"] == []
    assert _loads(user, world) == {200}


def _assert_kept(world, user, attempt, *, page=True):
    if page:
        text = _page(user, attempt)
        assert TEXT not in text and not any(url in text for url in _all_urls(world))
    body = _api(user, attempt)
    assert body["answers_shown"] is False
    assert "explanation" not in json.dumps(body["items"], ensure_ascii=False)
    assert _loads(user, world) == {404}


def test_the_candidate_sees_them_after_hand_in_once_no_exam_on_the_bank_is_under_way(world):
    attempt = _hand_in(world)
    _close(world["session"])
    _assert_shown(world, world["user"], attempt)


def test_not_during_the_exam(world):
    attempt = _start(world)
    # The page sends the candidate back to the exam; the API and the pictures give nothing away.
    assert ex.logged_in(world["user"]).get(reverse("exams:attempt", args=[attempt.pk])).status_code == 302
    _assert_kept(world, world["user"], attempt, page=False)
    services.submit(world["user"], attempt, device="d1")
    attempt.refresh_from_db()
    _assert_kept(world, world["user"], attempt)  # handed in, while the sitting is still open
    _close(world["session"])
    _assert_shown(world, world["user"], attempt)


def test_not_while_another_sitting_on_the_bank_is_under_way(world):
    attempt = _hand_in(world)
    _close(world["session"])
    second = ex.session(world["competition"], world["paper"], name="补考")  # open now, same bank
    _assert_kept(world, world["user"], attempt)
    _assert_kept(world, world["invigilator"], attempt)
    _close(second)
    _assert_shown(world, world["user"], attempt)


def test_not_when_the_session_does_not_show_scores(world):
    ExamSession.objects.filter(pk=world["session"].pk).update(show_score=False)
    attempt = _hand_in(world)
    _close(world["session"])
    _assert_kept(world, world["user"], attempt)
    # The invigilators are shown the answers all the same, the pictures with them.
    _assert_shown(world, world["invigilator"], attempt)


def test_invigilators_once_no_exam_on_the_bank_is_under_way_and_graders_never(world):
    attempt = _hand_in(world)
    _assert_kept(world, world["invigilator"], attempt)
    _close(world["session"])
    _assert_shown(world, world["invigilator"], attempt)
    assert _loads(world["grader"], world) == {404}
    # Someone of another competition, a worker who is no candidate of it, gets nothing.
    stranger = factories.user(person=factories.person())
    assert _loads(stranger, world) == {404}


def test_the_organizers_always(world):
    attempt = _start(world)  # the candidate is still answering
    _assert_shown(world, world["organizer"], attempt)


def test_may_view_asks_the_same_rule_as_the_review(world):
    attempt = _hand_in(world)
    picture = world["bank"].images.get(pk=world["pictures"]["judge"][0])
    for shown in (False, True):
        assert services.review_shows_answers(world["user"], attempt) is shown
        assert images.may_view(world["user"], picture) is shown
        _close(world["session"])


def test_whether_an_invigilator_may_load_a_picture_is_read_once_for_all_their_sessions(world):
    """Regression: loading an explanation's picture asked, for each session the invigilator
    watches that drew the question, whether answers are kept back, with a query each time
    (while they are kept, every session was asked). Now once for them all."""
    picture = world["bank"].images.get(pk=world["pictures"]["judge"][0])
    invigilator = world["invigilator"]
    _start(world)  # under way: answers kept back, so every session is looked at

    def queries():
        with CaptureQueriesContext(connection) as captured:
            assert images.may_view(invigilator, picture) is False
        return len(captured)

    queries()  # the invigilator's roles are read once and kept
    one = queries()
    for n in range(3):
        sitting = ex.session(world["competition"], world["paper"], name=f"第{n + 2}考场")
        user, _entry = ex.candidate(world["competition"], employer=world["orgs"]["unit_a"])
        services.start(user, sitting, device=f"d{n}")
    assert queries() == one


def test_the_review_reads_every_explanation_picture_at_once(world):
    """The review of a paper with four questions explained by pictures takes as many
    queries as that of one with two."""
    actor = factories.actor()
    more = [services.add_question(actor, world["bank"], ex.question("judge", explanation_images=[_png(f"more{n}")]))
            for n in range(2)]
    bigger = ex.paper(world["competition"], world["bank"], kind="fixed", sections=[
        {"type": "single", "count": 2, "points": "5", "questions": [world["single"].number, world["plain"].number]},
        {"type": "judge", "count": 3, "points": "5", "questions": [world["judge"].number] + [q.number for q in more]}])
    sitting = ex.session(world["competition"], bigger, name="理论考试（二）")
    other, _entry = ex.candidate(world["competition"], employer=world["orgs"]["unit_a"])
    small = _hand_in(world)
    large = services.start(other, sitting, device="d2")
    services.submit(other, large, device="d2")
    _close(world["session"])
    _close(sitting)
    client = ex.logged_in(world["organizer"])
    counts = []
    for attempt in (small, large):
        url = reverse("exams:attempt", args=[attempt.pk])
        client.get(url)  # warm up: the session, the translations
        with CaptureQueriesContext(connection) as queries:
            page = client.get(url).content.decode()
        assert all(u in page for u in _all_urls(world))
        counts.append(len(queries.captured_queries))
    extra = [_url(pk) for q in more for pk in services.explanation_images([q.current_id])[q.current_id]]
    assert len(extra) == 2 and all(u in page for u in extra)
    assert counts[0] == counts[1]
