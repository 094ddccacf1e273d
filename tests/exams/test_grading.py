"""Scoring each type, partial credit, blind double grading with a third grader on
disagreement, the theory score reaching results, and the lifecycle guards."""

import datetime
import json
from decimal import Decimal

import pytest
from django.utils import timezone

from jingsai.competitions import services as competition_services
from jingsai.core.errors import UserError
from jingsai.exams import scoring, services
from jingsai.exams.models import AttemptStatus, Paper
from jingsai.results.models import ComponentScore
from tests.exams import factories as ex

SINGLE = {"A": "1", "C": "0.5"}
FILL = [[{"text": "氩气", "fraction": "1"}, {"text": "Ar", "fraction": "1"}, {"text": "惰性气体", "fraction": "0.5"}],
        [{"text": "L/min", "fraction": "1"}]]
WILD = [[{"text": "低氢*", "fraction": "1", "wildcard": True}, {"text": "碱性\\*", "fraction": "0.5", "wildcard": True},
         {"text": "E50**15", "fraction": "0.25", "wildcard": True}]]


@pytest.mark.parametrize(("qtype", "answer", "response", "partial", "expected"), [
    ("single", SINGLE, "A", False, "4.00"),
    ("single", SINGLE, "C", False, "2.00"),
    ("single", SINGLE, "B", False, "0.00"),
    ("single", SINGLE, None, False, "0.00"),
    ("multiple", ["A", "C", "D"], ["D", "C", "A"], False, "4.00"),
    ("multiple", ["A", "C", "D"], ["A", "C"], False, "0.00"),
    ("multiple", ["A", "C", "D"], ["A", "C"], True, "2.67"),
    ("multiple", ["A", "C", "D"], ["A", "B"], True, "0.00"),
    ("multiple", ["A", "C", "D"], [], True, "0.00"),
    ("judge", True, True, False, "4.00"),
    ("judge", True, False, False, "0.00"),
    ("judge", False, "false", False, "0.00"),
    ("fill", FILL, ["ＡＲ ", "l/MIN"], False, "4.00"),
    ("fill", FILL, ["惰性气体", "L/min"], False, "3.00"),
    ("fill", FILL, ["氩气"], False, "2.00"),
    ("fill", FILL, "氩气", False, "2.00"),
    ("fill", WILD, "低氢钾型", False, "4.00"),
    ("fill", WILD, " 低氢 ", False, "4.00"),  # * may stand for nothing
    ("fill", WILD, "超低氢型", False, "0.00"),
    ("fill", WILD, "碱性*", False, "2.00"),  # \\* is an asterisk
    ("fill", WILD, "碱性型", False, "0.00"),
    ("fill", WILD, "ｅ５０ 任意 １５", False, "1.00"),  # folded like any answer; ** is *
    ("fill", [[{"text": "2*3", "fraction": "1"}]], "2x3", False, "0.00"),  # no flag: the text itself
    ("fill", [[{"text": "2*3", "fraction": "1"}]], "2*3", False, "4.00"),
    ("short", "参考答案", "我的回答", False, None),
])
def test_scoring_each_type(qtype, answer, response, partial, expected):
    result = scoring.score(qtype, answer, response, Decimal(4), partial=partial)
    assert result == (Decimal(expected) if expected is not None else None)




def _right_response(version, essay):
    if version.type == "single":
        return next(k for k, f in version.answer.items() if f == "1")
    if version.type == "multiple":
        return list(version.answer)
    if version.type == "fill":
        return [blank[0]["text"] for blank in version.answer]
    return essay if version.type == "short" else version.answer


def _answer_everything(attempt, right=True, essay="先切断电源，再用干燥木棍挑开电线，然后心肺复苏。"):
    answers = []
    for item in attempt.items.select_related("version"):
        version = item.version
        response = _right_response(version, essay)
        if not right and version.type == "single":
            response = next(o["key"] for o in version.options if o["key"] not in version.answer)
        answers.append((item.position, 1, json.dumps(response, ensure_ascii=False)))
    services.save_answers(attempt.pk, attempt.device, answers)


@pytest.mark.django_db
def test_double_blind_grading_with_a_third_grader_on_disagreement():
    world = ex.exam(graders_per_answer=2, disagreement_percent=20)
    user, entry = world["candidates"][0]
    attempt = services.start(user, world["session"], device="d")
    _answer_everything(attempt)
    attempt = services.submit(user, attempt, device="d")
    assert attempt.status == AttemptStatus.SUBMITTED and attempt.objective_score == 80
    first, second, third = world["graders"]
    essay_a = services.next_to_grade(world["session"], first)
    assert essay_a.version.type == "short"
    services.grade(first, essay_a, "8")
    with pytest.raises(UserError):
        services.grade(first, essay_a, "9")  # one grader marks an answer once
    assert services.next_to_grade(world["session"], first).pk != essay_a.pk
    services.grade(second, essay_a, "9")  # within 20% of 10 points: the mean
    essay_a.refresh_from_db()
    assert essay_a.score == Decimal("8.50") and not essay_a.needs_grading
    essay_b = services.next_to_grade(world["session"], first)
    services.grade(first, essay_b, "3")
    services.grade(second, essay_b, "9")  # 6 points apart: a third grader is needed
    essay_b.refresh_from_db()
    assert essay_b.needs_grading and essay_b.gradings_needed == 3
    assert services.next_to_grade(world["session"], second) is None
    assert services.next_to_grade(world["session"], third).pk == essay_b.pk
    services.grade(third, essay_b, "8")  # nearer to 9: (8 + 9) / 2
    essay_b.refresh_from_db()
    assert essay_b.score == Decimal("8.50")
    attempt.refresh_from_db()
    assert attempt.status == AttemptStatus.GRADED and attempt.score == Decimal("97.00")
    score = ComponentScore.objects.get(entry=entry, component="theory")
    assert score.value == Decimal("97") and score.source == "exam"
    with pytest.raises(UserError):
        services.grade(world["graders"][0], essay_b, "1")


@pytest.mark.django_db
def test_a_grader_sees_which_sessions_wait_for_their_marks_and_how_many_answers():
    """The list of exam sessions named every session of a grader's competitions alike, so a
    grader had to open each to find work. Each now counts the answers waiting for this
    grader's mark (what next_to_grade gives one by one), those sessions first; the API
    lists the same."""
    world = ex.exam(graders_per_answer=2, disagreement_percent=20)
    session = world["session"]
    later = ex.session(world["competition"], world["paper"], name="补考场",
                       opens=timezone.now() + datetime.timedelta(days=1))  # the newest: listed first without work
    user, _entry = world["candidates"][0]
    attempt = services.start(user, session, device="d")
    _answer_everything(attempt)
    services.submit(user, attempt, device="d")
    first, second, third = world["graders"]

    def waiting(grader):
        queue = services.grading_queue(grader)
        assert (queue[0].waiting > 0) == (services.next_to_grade(session, grader) is not None)
        return [(s.pk, s.waiting) for s in queue]

    assert waiting(first) == waiting(second) == waiting(third) == [(session.pk, 2), (later.pk, 0)]
    essay_a = services.next_to_grade(session, first)
    services.grade(first, essay_a, "8")
    assert waiting(first)[0] == (session.pk, 1) and waiting(second)[0] == (session.pk, 2)
    services.grade(second, essay_a, "9")  # agreed: resolved
    essay_b = services.next_to_grade(session, first)
    services.grade(first, essay_b, "3")
    services.grade(second, essay_b, "9")  # too far apart: a third grader's mark is wanted
    assert waiting(first) == waiting(second) == [(later.pk, 0), (session.pk, 0)]
    assert waiting(third) == [(session.pk, 1), (later.pk, 0)]

    page = ex.logged_in(third).get("/work/exams/sessions/").content.decode()
    assert "1 道待你评阅" in page and "暂无待你评阅的答案" in page
    grade_links = [page.index(f"/work/exams/sessions/{s.pk}/grade/") for s in (session, later)]
    assert grade_links == sorted(grade_links)
    api = ex.logged_in(third).get("/api/exams/grading").json()
    assert [(row["session"], row["waiting"]) for row in api] == [(session.pk, 1), (later.pk, 0)]


@pytest.mark.django_db
def test_one_grader_and_the_scale_of_the_theory_component():
    world = ex.exam(graders_per_answer=1)
    user, entry = world["candidates"][0]
    attempt = services.start(user, world["session"], device="d")
    _answer_everything(attempt, right=False)
    attempt = services.submit(user, attempt, device="d")
    assert attempt.objective_score == 60  # the four single choices wrong: 80 - 20
    for _ in range(2):
        item = services.next_to_grade(world["session"], world["graders"][0])
        with pytest.raises(UserError):
            services.grade(world["graders"][0], item, "10.5")
        services.grade(world["graders"][0], item, "7.25")
    attempt.refresh_from_db()
    assert attempt.score == Decimal("74.50")
    assert ComponentScore.objects.get(entry=entry).value == Decimal("74.5")


@pytest.mark.django_db
def test_partial_credit_for_multiple_choice_is_an_option_of_the_paper():
    world = ex.exam()
    Paper.objects.filter(pk=world["paper"].pk).update(multiple_scoring=Paper.MultipleScoring.PARTIAL)
    user, _entry = world["candidates"][0]
    attempt = services.start(user, world["session"], device="d")
    multiple = attempt.items.select_related("version").filter(version__type="multiple").first()
    right = multiple.version.answer
    services.save_answers(attempt.pk, "d", [(multiple.position, 1, json.dumps(right[:1]))])
    services.submit(user, attempt, device="d")
    multiple.refresh_from_db()
    assert multiple.score == (Decimal(10) * 1 / len(right)).quantize(Decimal("0.01"))


@pytest.mark.django_db
def test_the_lifecycle_waits_for_the_exam_and_its_grading():
    world = ex.exam()
    competition, actor = world["competition"], ex.factories.actor()
    user, _entry = world["candidates"][0]
    attempt = services.start(user, world["session"], device="d")
    with pytest.raises(UserError, match="正在参加理论考试"):
        competition_services.transition(actor, competition, "scoring")
    _answer_everything(attempt)
    services.submit(user, attempt, device="d")
    competition_services.transition(actor, competition, "scoring")
    competition.refresh_from_db()
    with pytest.raises(UserError, match="简答题未阅完"):
        competition_services.transition(actor, competition, "publicity")


def _publicity(competition):
    """The first stage's results published, their publicity period over."""
    from django.utils import timezone

    from jingsai.results.models import Publicity

    stage = competition.stages.order_by("order").first()
    return stage, Publicity.objects.create(competition=competition, stage=stage, ends_at=timezone.now())


def _results_final(competition):
    """The first stage's results made final (as results.services.finalize records it)."""
    from jingsai.results.models import Finalization

    stage, publicity = _publicity(competition)
    Finalization.objects.create(competition=competition, stage=stage, publicity=publicity)


@pytest.mark.django_db
def test_results_cannot_become_final_while_the_stages_exam_is_answered_or_graded():
    from jingsai.results.services import finalize_blockers

    world = ex.exam(graders_per_answer=1)
    user, _entry = world["candidates"][0]
    stage, publicity = _publicity(world["competition"])
    assert not finalize_blockers(stage, publicity)
    attempt = services.start(user, world["session"], device="d")
    assert finalize_blockers(stage, publicity) == ["还有 1 份理论考试答卷在作答或评分中。"]
    _answer_everything(attempt)
    services.submit(user, attempt, device="d")
    assert finalize_blockers(stage, publicity) == ["还有 1 份理论考试答卷在作答或评分中。"]
    for _ in range(2):
        services.grade(world["graders"][0], services.next_to_grade(world["session"], world["graders"][0]), "5")
    assert not finalize_blockers(stage, publicity)


@pytest.mark.django_db
def test_once_results_are_final_no_exam_starts_and_no_hand_in_or_mark_is_lost():
    from jingsai.core.models import AuditRecord

    world = ex.exam(n_candidates=3, graders_per_answer=1)
    (first, first_entry), (second, _e), (late, _l) = world["candidates"]
    running = services.start(first, world["session"], device="d1")
    handed_in = services.start(second, world["session"], device="d2")
    _answer_everything(handed_in)
    services.submit(second, handed_in, device="d2")
    _results_final(world["competition"])
    with pytest.raises(UserError, match="成绩已确定"):
        services.start(late, world["session"], device="d3")
    assert not world["session"].attempts.filter(entry=_l).exists()
    _answer_everything(running)
    running = services.submit(first, running, device="d1")
    assert running.status == AttemptStatus.SUBMITTED  # handed in, not rolled back
    grader = world["graders"][0]
    while (item := services.next_to_grade(world["session"], grader)) is not None:
        services.grade(grader, item, "6")
    running.refresh_from_db()
    assert running.status == AttemptStatus.GRADED and running.score == Decimal("92.00")
    assert not ComponentScore.objects.filter(entry=first_entry).exists()
    kept = AuditRecord.objects.filter(action="exams.score_not_transferred", object_id=str(running.pk))
    assert kept.count() == 1 and "成绩已确定" in kept.get().reason


@pytest.mark.django_db
def test_the_grading_rules_cannot_change_once_candidates_have_started():
    world = ex.exam(graders_per_answer=2, disagreement_percent=20)
    user, _entry = world["candidates"][0]
    actor = ex.factories.actor()
    services.update_session(actor, world["session"], graders_per_answer=1, reason="只需一人")
    services.update_session(actor, world["session"], graders_per_answer=2, reason="仍需两人")
    services.start(user, world["session"], device="d")
    for change in ({"graders_per_answer": 1}, {"disagreement_percent": 30}):
        with pytest.raises(UserError, match="阅卷人数和分差阈值"):
            services.update_session(actor, world["session"], reason="改", **change)
    services.update_session(actor, world["session"], graders_per_answer=2, disagreement_percent=20,
                            name="理论考试（一）", reason="同值照存")
    world["session"].refresh_from_db()
    assert (world["session"].graders_per_answer, world["session"].disagreement_percent) == (2, 20)
