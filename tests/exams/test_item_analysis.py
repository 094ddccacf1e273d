"""Item analysis (试题分析) of a sitting: difficulty, discrimination between the best and
the weakest 27%, the options chosen, the questions flagged; the page, the sheet, the API
and the command line."""

import json
from decimal import Decimal

import pytest
from django.db import connection

from jingsai.accounts.models import Role
from jingsai.exams import analysis, services
from jingsai.exams.models import AttemptItem
from tests import factories
from tests.commands import run_command
from tests.exams import factories as ex

pytestmark = pytest.mark.django_db


@pytest.fixture
def sat():
    """A fixed paper (a multiple-choice question worth 40, two single-choice questions and
    a true-or-false question worth 10 each) sat by 12 candidates: six strong (right on
    everything but the second single-choice question) and six weak (wrong on everything
    but the second single-choice question and the true-or-false one). A thirteenth
    attempt was voided and a fourteenth is still running: neither counts. The first two
    questions are of the knowledge point 焊接安全, the third of 焊接工艺, the last of none."""
    orgs = factories.tree()
    competition = factories.competition(host=orgs["union"], status="in_progress")
    bank = ex.bank(owner=orgs["union"])
    make = lambda q: services.add_question(factories.actor(), bank, q)  # noqa: E731
    many = make(ex.question("multiple", stem="焊工防护用品有哪些？"))
    good = make(ex.question("single", stem="碱性焊条用什么电源？"))
    bad = make(ex.question("single", stem="钝边的作用是什么？", kp="焊接工艺"))
    easy = make(ex.question("judge", stem="焊前应检查接地。", kp=""))
    paper = ex.paper(competition, bank, [
        {"type": "multiple", "points": "40", "questions": [many.number]},
        {"type": "single", "points": "10", "questions": [good.number, bad.number]},
        {"type": "judge", "points": "10", "questions": [easy.number]},
    ], kind="fixed", shuffle_questions=False)
    session = ex.session(competition, paper)
    organizer = factories.user(role=Role.ORGANIZER, org=orgs["union"])
    answers = {"strong": [["A", "B", "D"], "B", "A", True], "weak": [["A"], "A", "B", True]}
    for kind in ["strong"] * 6 + ["weak"] * 7:
        user, _entry = ex.candidate(competition, employer=orgs["unit_a"])
        attempt = services.start(user, session, device="d")
        services.save_answers(attempt.pk, "d", [(position, 1, json.dumps(response))
                                                for position, response in enumerate(answers[kind])])
        attempt = services.submit(user, attempt, device="d")
    services.void_attempt(organizer, attempt, reason="电脑死机")  # the seventh weak one
    running, _entry = ex.candidate(competition, employer=orgs["unit_a"])
    services.save_answers((a := services.start(running, session, device="d")).pk, "d", [(0, 1, json.dumps(["B"]))])
    return {"session": session, "organizer": organizer, "invigilator": factories.user(
        role=Role.INVIGILATOR, competition=competition), "numbers": [q.number for q in (many, good, bad, easy)],
        "running": a}


def test_difficulty_discrimination_and_options_chosen(sat):
    count, group, rows = analysis.item_statistics(sat["session"])
    assert (count, group) == (12, 3)  # round(12 × 0.27)
    by_number = {row.question_number: row for row in rows}
    many, good, bad, easy = (by_number[n] for n in sat["numbers"])
    summary = {name: (row.drawn, row.mean_score, row.difficulty, row.discrimination, row.flag)
               for name, row in (("many", many), ("good", good), ("bad", bad), ("easy", easy))}
    assert summary == {
        "many": (12, Decimal("20.00"), Decimal("0.50"), Decimal("1.00"), ""),
        "good": (12, Decimal("5.00"), Decimal("0.50"), Decimal("1.00"), ""),
        "bad": (12, Decimal("5.00"), Decimal("0.50"), Decimal("-1.00"), "negative"),  # the key looks wrong
        "easy": (12, Decimal("10.00"), Decimal("1.00"), Decimal("0.00"), ""),  # everyone right: nothing to tell
    }
    assert [(o["key"], o["chosen"], o["correct"]) for o in good.options] == [
        ("A", 6, False), ("B", 6, True), ("C", 0, False), ("D", 0, False)]
    assert [(o["key"], o["chosen"]) for o in many.options] == [("A", 12), ("B", 6), ("C", 0), ("D", 6)]
    assert [(o["key"], o["chosen"], o["correct"]) for o in easy.options] == [(True, 12, True), (False, 0, False)]
    assert good.option_text == "A 6；✓B 6；C 0；D 0"
    assert (good.unanswered, good.other) == (0, 0)


def test_by_knowledge_point_the_hardest_first(sat):
    _count, _group, rows = analysis.item_statistics(sat["session"])
    summary = [(k.name, k.questions, k.drawn, k.difficulty, k.discrimination, k.flagged)
               for k in analysis.by_knowledge_point(rows)]
    assert summary == [
        # (240 + 60) of (480 + 120) points; the best three had all 150 of theirs, the weakest none
        ("焊接安全", 2, 24, Decimal("0.50"), Decimal("1.00"), 0),
        ("焊接工艺", 1, 12, Decimal("0.50"), Decimal("-1.00"), 1),
        ("", 1, 12, Decimal("1.00"), Decimal("0.00"), 0),
    ]
    assert analysis.by_knowledge_point(rows)[2].label == "（未标知识点）"


def test_answers_the_exam_page_never_sends_are_counted_as_grading_reads_them():
    """An API client can store a true-or-false answer as the text "true" (graded wrong), an
    option twice in one multiple-choice answer (graded as once), a single choice as a list
    (graded wrong). The counts read them as grading does: the text names no option, the
    option named twice counts once, the list names none."""
    orgs = factories.tree()
    competition = factories.competition(host=orgs["union"], status="in_progress")
    bank = ex.bank(owner=orgs["union"])
    actor = factories.actor()
    judge = services.add_question(actor, bank, ex.question("judge", stem="焊前应检查接地。"))
    many = services.add_question(actor, bank, ex.question("multiple", stem="焊工防护用品有哪些？"))
    one = services.add_question(actor, bank, ex.question("single", stem="碱性焊条用什么电源？"))
    paper = ex.paper(competition, bank, [
        {"type": "judge", "points": "10", "questions": [judge.number]},
        {"type": "multiple", "points": "10", "questions": [many.number]},
        {"type": "single", "points": "10", "questions": [one.number]},
    ], kind="fixed", shuffle_questions=False)
    session = ex.session(competition, paper)
    answers = [["true", ["A", "A", "B", "D"], ["B"]], [True, ["A", 1], "B"], [None, None, None]]
    scores = []
    for given in answers:
        user, _entry = ex.candidate(competition, employer=orgs["unit_a"])
        attempt = services.start(user, session, device="d")
        if any(response is not None for response in given):
            services.save_answers(attempt.pk, "d", [(position, 1, json.dumps(response))
                                                    for position, response in enumerate(given) if response is not None])
        scores.append(services.submit(user, attempt, device="d").score)
    assert scores == [Decimal("10.00"), Decimal("20.00"), Decimal("0.00")]
    _count, _group, rows = analysis.item_statistics(session)
    by_number = {row.question_number: row for row in rows}
    judged, chose, single = by_number[judge.number], by_number[many.number], by_number[one.number]
    assert [o["chosen"] for o in judged.options] == [1, 0] and (judged.unanswered, judged.other) == (1, 1)
    assert [o["chosen"] for o in chose.options] == [2, 1, 0, 1] and (chose.unanswered, chose.other) == (1, 0)
    assert [o["chosen"] for o in single.options] == [0, 1, 0, 0] and (single.unanswered, single.other) == (1, 1)
    assert judged.option_text.endswith("未作答 1；无效作答 1")


def test_too_few_attempts_for_discrimination():
    world = ex.exam(n_candidates=2, graders_per_answer=1)
    for user, _entry in world["candidates"]:
        services.submit(user, services.start(user, world["session"], device="d"), device="d")
    for item in services.waiting_for(world["graders"][0], AttemptItem.objects.filter(
            attempt__session=world["session"], needs_grading=True)):
        services.grade(world["graders"][0], item, "0")
    count, group, rows = analysis.item_statistics(world["session"])
    assert count == 2 and group == 0 and rows
    assert all(row.discrimination is None and row.flag == "" for row in rows)


def test_the_page_the_sheet_the_api_and_the_command_line(sat, tmp_path):
    from jingsai.core import spreadsheets as sheets

    session = sat["session"]
    organizer = ex.logged_in(sat["organizer"])
    html = organizer.get(f"/work/exams/sessions/{session.pk}/items/").content.decode()
    assert 'id="item-analysis"' in html and "需要检查" in html and "区分度为负" in html
    assert f"/work/exams/sessions/{session.pk}/items/" in organizer.get(
        f"/work/exams/sessions/{session.pk}/").content.decode()
    # The questions and their keys: organizers only.
    invigilator = ex.logged_in(sat["invigilator"])
    assert invigilator.get(f"/work/exams/sessions/{session.pk}/items/").status_code == 403
    assert invigilator.get(f"/api/exams/sessions/{session.pk}/items").status_code == 403

    sheet = organizer.get(f"/work/exams/sessions/{session.pk}/items.xlsx")
    target = tmp_path / "items.xlsx"
    target.write_bytes(sheet.content)
    table = sheets.read_table(target)
    rows = list(table.data_rows())
    assert table.headers[:3] == ["题号", "版本", "题型"] and len(rows) == 4
    from openpyxl import load_workbook
    book = load_workbook(target, read_only=True)
    assert book.sheetnames == ["试题分析", "按知识点"]
    points = list(book["按知识点"].iter_rows(values_only=True))
    assert points[0] == ("知识点", "题数", "抽到人次", "难度(P)", "区分度(D)", "需查看的题")
    assert points[1:] == [("焊接安全", 2, 24, 0.5, 1, 0), ("焊接工艺", 1, 12, 0.5, -1, 1),
                          ("（未标知识点）", 1, 12, 1, 0, 0)]
    assert 'id="knowledge-points"' in html and 'data-knowledge-point="焊接工艺"' in html

    api = organizer.get(f"/api/exams/sessions/{session.pk}/items").json()
    assert api["attempts"] == 12 and api["group"] == 3
    bad = next(i for i in api["items"] if i["question"] == sat["numbers"][2])
    assert bad["discrimination"] == "-1.00" and bad["flag"] == "negative" and bad["drawn"] == 12
    assert [o["chosen"] for o in bad["options"]] == [6, 6, 0, 0] and bad["other"] == 0
    points = [(k["knowledge_point"], k["questions"], k["difficulty"], k["discrimination"], k["flagged"])
              for k in api["knowledge_points"]]
    assert points == [("焊接安全", 2, "0.50", "1.00", 0), ("焊接工艺", 1, "0.50", "-1.00", 1),
                      ("", 1, "1.00", "0.00", 0)]

    code, out, err = run_command("exams", "items", str(session.pk))
    assert code == 0, err
    lines = out.strip().splitlines()
    assert lines[0].startswith("题号  版本  题型") and len(lines) == 5 and "-1.00" in out
    csv_file = tmp_path / "items.csv"
    code, out, err = run_command("exams", "items", str(session.pk), "--out", str(csv_file))
    assert code == 0 and "4" in out, err
    assert csv_file.read_text(encoding="utf-8-sig").splitlines()[0].startswith("题号,版本,题型")
    code, out, err = run_command("exams", "items", str(session.pk), "--by", "knowledge-point")
    assert code == 0, err
    lines = out.strip().splitlines()
    assert lines[0].startswith("知识点  题数") and lines[1].startswith("焊接安全  2  24  0.50  1.00  0")
    assert len(lines) == 4 and lines[3].startswith("（未标知识点）")
    both = tmp_path / "points.xlsx"
    code, out, err = run_command("exams", "items", str(session.pk), "--by", "knowledge-point", "--out", str(both))
    assert code == 0, err
    assert load_workbook(both, read_only=True).sheetnames == ["按知识点", "试题分析"]


def test_each_version_apart_and_ties_split_by_attempt():
    """A question edited in the middle of the sitting shows as two rows, each with the
    attempts that saw it. Ten attempts with the same score: the best three are the first
    three to start and the weakest three the last three, so D is that of their answers."""
    orgs = factories.tree()
    competition = factories.competition(host=orgs["union"], status="in_progress")
    bank = ex.bank(owner=orgs["union"])
    actor = factories.actor()
    first = services.add_question(actor, bank, ex.question("single", stem="焊条烘干温度？"))
    second = services.add_question(actor, bank, ex.question("single", stem="焊缝余高？"))
    paper = ex.paper(competition, bank, [{"type": "single", "points": "5", "questions": [first.number, second.number]}],
                     kind="fixed", shuffle_questions=False)
    session = ex.session(competition, paper)
    # Everyone scores 5 (the key is B): the first three right on the first question only,
    # the last three on the second only, the four between on one or the other.
    plan = [("B", "A")] * 3 + [("B", "A"), ("A", "B"), ("B", "A"), ("A", "B")] + [("A", "B")] * 3
    for index, (one, two) in enumerate(plan):
        if index == 5:  # the first question is edited: the next attempts see its second version
            services.edit_question(actor, first, ex.question("single", stem="碱性焊条烘干温度？"), reason="更正")
        user, _entry = ex.candidate(competition, employer=orgs["unit_a"])
        attempt = services.start(user, session, device="d")
        services.save_answers(attempt.pk, "d", [(0, 1, json.dumps(one)), (1, 1, json.dumps(two))])
        assert services.submit(user, attempt, device="d").score == Decimal("5.00")
    count, group, rows = analysis.item_statistics(session)
    assert (count, group) == (10, 3)
    by_key = {(row.question_number, row.version_number): row for row in rows}
    assert sorted(by_key) == [(first.number, 1), (first.number, 2), (second.number, 1)]
    old, new, other = by_key[(first.number, 1)], by_key[(first.number, 2)], by_key[(second.number, 1)]
    assert (old.drawn, old.difficulty) == (5, Decimal("0.80")) and (new.drawn, new.difficulty) == (5, Decimal("0.20"))
    assert old.discrimination is None  # the weakest three saw only the new version
    assert new.discrimination is None  # and the best three only the old one
    assert (other.drawn, other.difficulty, other.discrimination) == (10, Decimal("0.50"), Decimal("-1.00"))
    assert other.flag == "negative"


@pytest.mark.parametrize(("difficulty", "discrimination", "flag"), [
    ("0.50", None, ""),  # too few attempts to say
    ("0.50", "-0.01", "negative"),
    ("0.00", "0.00", "none_right"),  # nobody right: most often a wrong key
    ("1.00", "0.00", ""),  # everyone right: nothing to tell apart
    ("0.95", "0.10", "weak"),
    ("0.50", "0.19", "weak"),
    ("0.50", "0.20", ""),
])
def test_what_is_flagged(difficulty, discrimination, flag):
    assert analysis._flag(Decimal(difficulty), None if discrimination is None else Decimal(discrimination)) == flag


def test_attempts_past_their_time_are_handed_in_first(sat):
    """As for the sheet of scores: an attempt whose time and grace are over counts, graded,
    without waiting for the background sweep."""
    import datetime

    from django.utils import timezone

    from jingsai.exams.models import Attempt, AttemptStatus

    past = timezone.now() - datetime.timedelta(minutes=1)
    Attempt.objects.filter(pk=sat["running"].pk).update(deadline=past, accept_until=past)
    count, _group, _rows = analysis.item_statistics(sat["session"])
    assert count == 13
    assert Attempt.objects.get(pk=sat["running"].pk).status == AttemptStatus.GRADED


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite runs one writer at a time")
def test_every_figure_is_of_one_moment(sat, monkeypatch):
    """An attempt voided while the analysis runs, between its count and its sums: the sums,
    the groups and the option counts are still those of the twelve attempts it counted."""
    import psycopg

    from jingsai.exams.models import Attempt, AttemptStatus

    victim = Attempt.objects.filter(session=sat["session"], status=AttemptStatus.GRADED).order_by("pk").first()
    real = analysis.AttemptItem

    class Meanwhile:  # the items' query is built after the count and the groups' cut are read
        class objects:
            @staticmethod
            def filter(*args, **kwargs):
                with psycopg.connect(**ex.second_connection_params()) as other:
                    other.execute("UPDATE exams_attempt SET status = 'voided' WHERE id = %s", [victim.pk])
                return real.objects.filter(*args, **kwargs)

    monkeypatch.setattr(analysis, "AttemptItem", Meanwhile)
    count, group, rows = analysis.item_statistics(sat["session"])
    assert Attempt.objects.get(pk=victim.pk).status == AttemptStatus.VOIDED  # it did happen meanwhile
    assert (count, group) == (12, 3)
    assert all(row.drawn == 12 for row in rows)
    assert all(sum(o["chosen"] for o in row.options) + row.unanswered == 12
               for row in rows if row.type != "multiple")
    monkeypatch.setattr(analysis, "AttemptItem", real)
    count, _group, rows = analysis.item_statistics(sat["session"])
    assert count == 11 and all(row.drawn == 11 for row in rows)  # the next one sees it
