"""Who sees and does what around exams: right answers and scores kept back while an exam on
the bank is under way or still to come, graders kept from answers they must not mark
(回避), practice on a closed bank, CSRF and redirects. Tests named "Regression" failed
before the fix their docstring describes."""

import datetime
import json
from decimal import Decimal

import pytest
from django.utils import timezone

from jingsai.accounts import services as account_services
from jingsai.accounts.models import Role
from jingsai.exams import services
from jingsai.exams.models import AttemptStatus
from tests import factories
from tests.exams import factories as ex

pytestmark = pytest.mark.django_db

_client = ex.logged_in


@pytest.fixture
def world():
    return ex.exam_with_organizer()


def _hand_in(world, index=0, *, short_text="先断电", judge_right=True):
    """Candidate `index` starts, answers one judge question (right or wrong) and one short
    question, and hands in. Returns (user, attempt, judge item, short item)."""
    user, _entry = world["candidates"][index]
    attempt = services.start(user, world["session"], device=f"d{index}")
    items = attempt.items.select_related("version")
    judge = items.filter(version__type="judge").first()
    short = items.filter(version__type="short").first()
    given = judge.version.answer if judge_right else not judge.version.answer
    services.save_answers(attempt.pk, f"d{index}", [(judge.position, 1, json.dumps(given)),
                                                    (short.position, 1, json.dumps(short_text))])
    services.submit(user, attempt, device=f"d{index}")
    attempt.refresh_from_db()
    return user, attempt, judge, short


# ---------------------------------------------------------------- right answers during the exam


def test_review_hides_each_questions_score_while_the_exam_is_under_way(world):
    """Regression: a candidate who has handed in sees each question's score on the review page while
    others are still answering; a judge question's 0 or full marks is its right answer."""
    user, attempt, judge, _short = _hand_in(world, judge_right=True)
    judge.refresh_from_db()
    assert attempt.status == AttemptStatus.SUBMITTED and judge.score == judge.points
    page = _client(user).get(f"/work/exams/attempts/{attempt.pk}/").content.decode()
    assert "right-answer" not in page  # the answers themselves are held back (right)...
    # ...but the per-question score says which answers were right.
    assert f"{judge.score} / {judge.points}" not in page


def test_review_hides_right_answers_while_another_sitting_of_the_paper_is_under_way(world):
    """Regression: the review checks only its own session; with a second sitting (补考) of the same
    paper under way, the first sitting's candidates see every right answer."""
    user, attempt, _judge, _short = _hand_in(world)
    first = world["session"]
    first.closes_at = timezone.now() - datetime.timedelta(minutes=1)
    first.save(update_fields=["closes_at"])
    second = ex.session(world["competition"], world["paper"])  # open now, same paper
    assert services.under_way(type(second).objects.filter(pk=second.pk))
    page = _client(user).get(f"/work/exams/attempts/{attempt.pk}/").content.decode()
    assert "right-answer" not in page


def test_the_api_gives_a_candidate_no_right_answers_during_the_exam(world):
    """Pinned (right): the attempt API and the start API carry the questions, never the answers."""
    user, _entry = world["candidates"][0]
    client = _client(user)
    state = client.post(f"/api/exams/sessions/{world['session'].pk}/start", {"device": "x"},
                        content_type="application/json").json()
    got = client.get(f"/api/exams/attempts/{state['attempt']}").json()
    for body in (state, got):
        assert body["items"] and all(set(i) <= {"position", "section", "type", "stem", "options", "blanks",
                                                "points", "images"} for i in body["items"])
        assert "explanation" not in json.dumps(body, ensure_ascii=False)


# ---------------------------------------------------------------- grading: blind and free of conflicts


def test_a_grader_never_gets_their_own_answer_to_grade(world):
    """Regression: a candidate who also holds the grader role is handed their own short answer to
    grade (page and API): next_to_grade() and grade() never exclude the grader's own attempt."""
    user, _attempt, _judge, short = _hand_in(world, short_text="我自己的答案")
    account_services.grant_role(factories.actor(), user, Role.GRADER, competition=world["competition"], check=False)
    client = _client(user)
    page = client.get(f"/work/exams/sessions/{world['session'].pk}/grade/").content.decode()
    marked = client.post(f"/api/exams/grading/{short.pk}", {"score": "10"}, content_type="application/json")
    leaks = {"shown on the grading page": "我自己的答案" in page,
             "marked through the API": short.gradings.filter(grader=user).exists()}
    assert not any(leaks.values()), leaks
    assert marked.status_code in (403, 400)


def test_a_grader_is_not_given_answers_from_their_own_unit(world):
    """Regression: a grader employed at the candidate's own enterprise grades that candidate's answer
    (回避: no conflict-of-interest check on exams.grade, as judging.mark has)."""
    _user, _attempt, _judge, short = _hand_in(world, short_text="同单位选手的答案")
    colleague = factories.person(employer=world["orgs"]["unit_a"])
    grader = factories.user(role=Role.GRADER, competition=world["competition"], person=colleague)
    client = _client(grader)
    page = client.get(f"/work/exams/sessions/{world['session'].pk}/grade/").content.decode()
    nxt = client.get(f"/api/exams/sessions/{world['session'].pk}/grading/next").json()
    marked = client.post(f"/api/exams/grading/{short.pk}", {"score": "10"}, content_type="application/json")
    leaks = {"shown on the grading page": "同单位选手的答案" in page,
             "queued by the API": nxt["next"] is not None,
             "marked through the API": short.gradings.filter(grader=grader).exists()}
    assert not any(leaks.values()), leaks
    assert marked.status_code in (403, 400)


def test_a_candidate_holding_the_grader_role_gets_no_answer_of_their_competition_to_grade(world):
    """Regression: a candidate of another unit who also holds the grader role, in the middle
    of their own exam, is handed a rival's short answer with its reference answer (the same
    questions on a fixed paper): only their own answer was kept from them."""
    _user, _attempt, _judge, short = _hand_in(world, short_text="对手的答案")
    rival, _entry = ex.candidate(world["competition"], employer=world["orgs"]["unit_b"])
    account_services.grant_role(factories.actor(), rival, Role.GRADER, competition=world["competition"], check=False)
    assert services.start(rival, world["session"], device="r").status == AttemptStatus.IN_PROGRESS
    client = _client(rival)
    page = client.get(f"/work/exams/sessions/{world['session'].pk}/grade/").content.decode()
    nxt = client.get(f"/api/exams/sessions/{world['session'].pk}/grading/next").json()
    marked = client.post(f"/api/exams/grading/{short.pk}", {"score": "10"}, content_type="application/json")
    leaks = {"shown on the grading page": "对手的答案" in page, "queued by the API": nxt["next"] is not None,
             "marked through the API": short.gradings.filter(grader=rival).exists()}
    assert not any(leaks.values()), leaks
    assert marked.status_code == 403 and "你本人报名参加的竞赛的答案" in marked.json()["detail"]
    # The grader who is no candidate still has it.
    assert services.next_to_grade(world["session"], world["graders"][0]).pk == short.pk


@pytest.mark.parametrize(("given", "code", "refused"), [
    ("6.125", "too_precise", "得分最多保留 2 位小数。"),  # was stored as 6.12 (rounded half to even)
    (6.125, "too_precise", "得分最多保留 2 位小数。"),
    ("-0.004", "out_of_range", "得分须在 0 到 10.00 之间。"),  # was stored as -0.00
], ids=["6.125 as text", "6.125 as a number", "-0.004"])
def test_the_api_refuses_a_mark_the_grading_page_would(world, given, code, refused):
    """Regression: the grading API rounded a mark of 6.125 half to even (6.12, where every
    score rounds half up) and stored -0.004 as -0.00; the page's form refuses both."""
    _user, _attempt, _judge, short = _hand_in(world)
    client = _client(world["graders"][0])
    response = client.post(f"/api/exams/grading/{short.pk}", {"score": given}, content_type="application/json")
    assert response.status_code == 400, response.content
    assert (response.json()["code"], response.json()["detail"]) == (code, refused) and not short.gradings.exists()
    ok = client.post(f"/api/exams/grading/{short.pk}", {"score": "6.5"}, content_type="application/json")
    assert ok.status_code == 200 and short.gradings.get().score == Decimal("6.50")


def test_grading_is_blind_in_the_api(world):
    """Pinned (right): the API's grading queue names the answer by its blind code only."""
    _user, attempt, _judge, _short = _hand_in(world, short_text="先断电")
    entry = attempt.entry
    response = _client(world["graders"][0]).get(f"/api/exams/sessions/{world['session'].pk}/grading/next")
    body = json.dumps(response.json(), ensure_ascii=False)
    assert attempt.blind_code in body and "先断电" in body
    assert entry.person.name not in body and entry.unit.name not in body
    assert set(response.json()["next"]) == {"item", "candidate", "position", "points", "stem", "reference",
                                            "images", "response"}


# ---------------------------------------------------------------- practice


def test_closing_a_bank_to_practice_stops_answers_and_explanations(world):
    """Regression: a round started before the bank was closed to practice (e.g. kept for a final)
    still checks answers and reveals the right answer and explanation: answer_practice()
    re-checks an exam under way but not bank.practice_open."""
    bank = world["bank"]
    worker = factories.person(employer=world["orgs"]["unit_b"])
    user = factories.user(person=worker)
    # Nobody practises while an exam on the bank is under way: put the exam tomorrow.
    type(world["session"]).objects.filter(pk=world["session"].pk).update(
        opens_at=timezone.now() + datetime.timedelta(days=1), closes_at=timezone.now() + datetime.timedelta(days=2))
    practice = services.start_practice(worker, bank, count=50)
    services.update_bank(factories.actor(), bank, practice_open=False, reason="决赛用题")
    item = practice.items.select_related("version").exclude(version__type="short").first()
    client = _client(user)
    by_page = client.post(f"/work/exams/practice/{practice.pk}/answer/{item.position}/", {"q": "A"})
    other = practice.items.select_related("version").exclude(version__type="short").exclude(pk=item.pk).first()
    by_api = client.post(f"/api/exams/practice/{practice.pk}/answers", {"position": other.position, "response": "A"},
                         content_type="application/json")
    checked = {"page": (by_page.status_code, "right-answer" in by_page.content.decode()),
               "api": (by_api.status_code, "answer" in by_api.json())}
    assert checked == {"page": (400, False), "api": (403, False)}, checked


def test_unsafe_requests_need_the_csrf_token_and_next_stays_on_the_site(world):
    """Pinned (right): session-authenticated API and page POSTs are refused without the CSRF
    token, and an invigilator's `next` pointing off the site is ignored."""
    from django.test import Client

    user, _entry = world["candidates"][0]
    attempt = services.start(user, world["session"], device="d")
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(world["invigilator"])
    api = strict.post(f"/api/exams/attempts/{attempt.pk}/end", {"reason": "违纪"}, content_type="application/json")
    page = strict.post(f"/work/exams/attempts/{attempt.pk}/end/", {"reason": "违纪"})
    attempt.refresh_from_db()
    assert api.status_code == 403 and page.status_code == 403 and attempt.status == AttemptStatus.IN_PROGRESS
    assert _client(world["invigilator"]).get(f"/work/exams/attempts/{attempt.pk}/end/").status_code == 405
    sent = _client(world["invigilator"]).post(f"/work/exams/attempts/{attempt.pk}/extend/",
                                              {"minutes": 5, "reason": "停电", "next": "//evil.example/"})
    assert sent.status_code == 302 and "evil" not in sent["Location"]


def test_the_session_page_says_when_no_grader_may_mark_an_answer(world):
    """With conflicts kept, an answer can be left that none of the competition's graders may
    mark: the session page says so (and how many), so the organizer can add a grader."""
    from jingsai.accounts.models import RoleAssignment

    _user, _attempt, _judge, _short = _hand_in(world, short_text="同单位选手的答案")
    RoleAssignment.objects.filter(role=Role.GRADER, competition=world["competition"]).delete()
    colleague = factories.user(role=Role.GRADER, competition=world["competition"],
                               person=factories.person(employer=world["orgs"]["unit_a"]))
    assert colleague.person.employer == _attempt.entry.unit
    url = f"/work/exams/sessions/{world['session'].pk}/"
    page = _client(world["organizer"]).get(url).content.decode()
    assert 'id="ungradable"' in page and "有 1 道简答题没有阅卷员可以评分" in page
    factories.user(role=Role.GRADER, competition=world["competition"],
                   person=factories.person(employer=world["orgs"]["unit_b"]))
    assert 'id="ungradable"' not in _client(world["organizer"]).get(url).content.decode()


def test_an_invigilator_is_not_shown_the_right_answers_while_the_exam_is_under_way(world):
    """Regression: an attempt's page showed the invigilators every right answer ("staff
    always") while candidates were still answering: someone in the hall, with the key on a
    tablet. The organizers still see it; invigilators once no exam drawn from the bank is
    under way, as the candidates do."""
    _user, attempt, _judge, _short = _hand_in(world)
    url = f"/work/exams/attempts/{attempt.pk}/"
    invigilator = _client(world["invigilator"]).get(url).content.decode()
    assert "right-answer" not in invigilator
    assert "每题得分、正确答案和解析，要等用这个题库出题的考试都结束后才显示" in invigilator
    organizer = _client(world["organizer"]).get(url).content.decode()
    assert "right-answer" in organizer
    started = attempt.events.get(kind="start").at
    assert f"<td>{timezone.localtime(started):%Y-%m-%d %H:%M:%S}</td>" in organizer  # the record names the day
    session = world["session"]
    session.closes_at = timezone.now() - datetime.timedelta(minutes=1)
    session.save(update_fields=["closes_at"])
    services.sweep(session=session)
    assert "right-answer" in _client(world["invigilator"]).get(url).content.decode()
