"""What the pages did and the API or the command line could not: retiring and restoring a
question, and the sheet of scores of a sitting."""

import io
import json
from decimal import Decimal

import openpyxl
import pytest

from jingsai.core.models import AuditRecord
from jingsai.exams import services
from jingsai.exams.models import AttemptStatus, Question
from tests.commands import run_command
from tests.exams import factories as ex
from tests.exams.test_grading import _answer_everything

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    data = ex.exam_with_organizer(n_candidates=3)
    data["client"] = ex.logged_in(data["organizer"])
    return data


def _post(client, url, body):
    return client.post(url, json.dumps(body, ensure_ascii=False), content_type="application/json")


# ---------------------------------------------------------------- retiring a question


def test_a_question_retired_through_the_api_is_no_longer_drawn_and_comes_back_when_restored(world):
    bank, client = world["bank"], world["client"]
    question = bank.questions.filter(type="single").order_by("number").first()

    retired = _post(client, f"/api/exams/questions/{question.pk}/retire", {"reason": "答案有争议"})
    assert retired.status_code == 200, retired.content
    assert retired.json()["is_active"] is False
    question.refresh_from_db()
    assert not question.is_active
    record = AuditRecord.objects.get(action="exams.retire_question")
    assert record.reason == "答案有争议" and record.changes == {"is_active": [True, False]}
    assert question.pk not in {row.id for row in services.question_pool(bank)}

    again = _post(client, f"/api/exams/questions/{question.pk}/retire", {})
    assert again.status_code == 200 and again.json()["is_active"] is False
    assert AuditRecord.objects.filter(action="exams.retire_question").count() == 1  # nothing changed, nothing said

    restored = _post(client, f"/api/exams/questions/{question.pk}/restore", {"reason": "已核实"})
    assert restored.status_code == 200 and restored.json()["is_active"] is True
    question.refresh_from_db()
    assert question.is_active
    assert AuditRecord.objects.get(action="exams.restore_question").reason == "已核实"
    assert question.pk in {row.id for row in services.question_pool(bank)}


def test_retiring_through_the_api_needs_the_right_to_manage_the_bank(world):
    question = world["bank"].questions.first()
    user, _entry = world["candidates"][0]
    answer = _post(ex.logged_in(user), f"/api/exams/questions/{question.pk}/retire", {"reason": "x"})
    assert answer.status_code == 403
    question.refresh_from_db()
    assert question.is_active


def _bank_args(bank):
    return ["--occupation", bank.occupation, "--level", str(bank.level)]


def test_the_command_line_retires_and_restores_questions_by_their_numbers(world):
    bank = world["bank"]
    first, second = bank.questions.order_by("number")[:2]
    code, out, err = run_command("questions", "retire", *_bank_args(bank), str(first.number), str(second.number),
                                 "--reason", "教材已更新")
    assert code == 0, err
    assert f"{first.number}, {second.number}" in out
    assert set(Question.objects.filter(pk__in=[first.pk, second.pk]).values_list("is_active", flat=True)) == {False}
    records = AuditRecord.objects.filter(action="exams.retire_question")
    assert records.count() == 2 and {r.reason for r in records} == {"教材已更新"}

    code, out, err = run_command("questions", "restore", *_bank_args(bank), str(first.number))
    assert code == 0, err
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.is_active and not second.is_active

    code, out, err = run_command("questions", "restore", *_bank_args(bank), str(first.number))
    assert code == 0 and f"原本就在使用：{first.number}。" in out, out  # said so, and nothing recorded
    assert AuditRecord.objects.filter(action="exams.restore_question").count() == 1


def test_a_number_the_bank_does_not_have_changes_nothing(world):
    bank = world["bank"]
    first = bank.questions.order_by("number").first()
    top = bank.questions.order_by("-number").first().number
    for missing in (top + 1, 2**40):
        code, _out, err = run_command("questions", "retire", *_bank_args(bank), str(first.number), str(missing))
        assert code == 1 and str(missing) in err, err
    first.refresh_from_db()
    assert first.is_active
    assert not AuditRecord.objects.filter(action="exams.retire_question").exists()


# ---------------------------------------------------------------- the sheet of scores


def _sat(world):
    """The first candidate graded, the second still answering, the third voided and sitting
    again."""
    session, organizer = world["session"], world["organizer"]
    session.paper.sections.filter(type="short").delete()  # graded at hand-in
    (first, _e1), (second, _e2), (third, _e3) = world["candidates"]
    graded = services.start(first, session, device="a")
    _answer_everything(graded)
    services.submit(first, graded, device="a")
    services.start(second, session, device="b")
    voided = services.start(third, session, device="c")
    services.void_attempt(organizer, voided, reason="电脑死机")
    services.start(third, session, device="c2")
    graded.refresh_from_db()
    return graded


def test_the_api_gives_the_sheet_of_scores_as_the_page_does(world):
    graded = _sat(world)
    assert graded.status == AttemptStatus.GRADED
    answer = world["client"].get(f"/api/exams/sessions/{world['session'].pk}/results")
    assert answer.status_code == 200, answer.content
    rows = answer.json()
    assert len(rows) == 3  # the voided attempt is not a row; its sitting again is
    entries = [e.number for _u, e in world["candidates"]]
    assert [r["entry"] for r in rows] == sorted(entries)
    first = next(r for r in rows if r["entry"] == world["candidates"][0][1].number)
    assert first["status"] == "graded" and first["ended_by"] == "candidate"
    assert Decimal(first["score"]) == graded.score == graded.max_score > 0
    assert Decimal(first["theory_score"]) == services.theory_score(graded)
    assert first["name"] == world["candidates"][0][1].person.name
    running = next(r for r in rows if r["entry"] == world["candidates"][1][1].number)
    assert running["status"] == "in_progress" and running["score"] is None and running["theory_score"] is None

    sheet = world["client"].get(f"/api/exams/sessions/{world['session'].pk}/results?format=xlsx")
    assert sheet.status_code == 200
    assert "attachment" in sheet["Content-Disposition"]
    page = world["client"].get(f"/work/exams/sessions/{world['session'].pk}/results.xlsx")
    table = [list(r) for r in openpyxl.load_workbook(io.BytesIO(sheet.content)).active.iter_rows(values_only=True)]
    same = [list(r) for r in openpyxl.load_workbook(io.BytesIO(page.content)).active.iter_rows(values_only=True)]
    assert table == same and len(table) == 4


def test_the_sheet_of_scores_api_refuses_an_unknown_format_and_people_without_the_right(world):
    url = f"/api/exams/sessions/{world['session'].pk}/results"
    answer = world["client"].get(url + "?format=pdf")
    assert answer.status_code == 400 and "pdf" in answer.json()["detail"]
    user, _entry = world["candidates"][0]
    assert ex.logged_in(user).get(url).status_code == 403
    assert ex.logged_in(world["invigilator"]).get(url).status_code == 200


# ---------------------------------------------------------------- text too long is refused, not cut


@pytest.mark.parametrize(("field", "message"), [("options", "选项"), ("knowledge_point", "知识点"), ("title", "名称")])
def test_an_option_knowledge_point_or_title_too_long_is_refused_not_cut(world, field, message):
    """Regression: an option over 2,000 characters, a knowledge point over 200 and a title
    over 200 were cut without a word (the API, an import): the question then said something
    else, and two long knowledge points could become one. A title now holds 255 characters,
    as Moodle's question name does, so a Moodle bank's names come in whole."""
    body = {"type": "single", "stem": "长文本测试题", "options": ["甲", "乙"], "answer": "A",
            "knowledge_point": "焊接安全"}
    if field == "options":
        body["options"] = ["甲" * 2001, "乙"]
    elif field == "title":
        body["title"] = "题" * 256
    else:
        body["knowledge_point"] = "焊" * 201
    before = world["bank"].questions.count()
    answer = _post(world["client"], f"/api/exams/banks/{world['bank'].pk}/questions", body)
    assert answer.status_code == 400, answer.content
    assert message in json.dumps(answer.json(), ensure_ascii=False)
    assert world["bank"].questions.count() == before
    if field == "options":  # at the limit: kept whole
        body["options"] = ["甲" * 2000, "乙"]
    elif field == "title":
        body["title"] = "题" * 255
    else:
        body["knowledge_point"] = "焊" * 200
    made = _post(world["client"], f"/api/exams/banks/{world['bank'].pk}/questions", body)
    assert made.status_code == 201, made.content
    current = made.json()["current"]
    if field == "options":
        assert current["options"][0]["text"] == "甲" * 2000
    elif field == "title":
        assert current["title"] == "题" * 255
    else:
        assert current["knowledge_point"] == "焊" * 200


def test_a_fixed_paper_s_page_lists_its_questions_by_their_numbers_as_the_api_does(world):
    """Regression: the API gave a fixed paper's questions by their numbers in the bank, and
    its page showed only how many there were."""
    singles = list(world["bank"].questions.filter(type="single").order_by("number"))
    numbers = [singles[2].number, singles[0].number]
    made = _post(world["client"], "/api/exams/papers", {
        "competition": world["competition"].code, "bank": world["bank"].pk, "name": "固定卷", "kind": "fixed",
        "sections": [{"type": "single", "points": "5", "questions": numbers}]})
    assert made.status_code == 201, made.content
    page = world["client"].get(f"/work/exams/papers/{made.json()['id']}/").content.decode()
    assert f"题库题号：{numbers[0]}、{numbers[1]}" in page
