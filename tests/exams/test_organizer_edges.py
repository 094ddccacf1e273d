"""The organizer's side of theory exams through the page, the API and the command line:
odd input that was a server error or stored something unreadable. Tests named
"Regression" failed before the fix their docstring describes (a review of 2026-12-07)."""

import datetime
import json

import pytest
from django.test import Client

from jingsai.exams.models import ExamSession, Paper
from tests.commands import run_command
from tests.exams import factories as ex

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    data = ex.exam_with_organizer_client()
    other = ex.bank(owner=data["orgs"]["union"], level=4)
    ex.fill_bank(other, per_type=2)
    data["other"] = other
    return data


def _post(client, url, body):
    return client.post(url, json.dumps(body, ensure_ascii=False), content_type="application/json")


def _paper(world, **section):
    return {"competition": world["competition"].code, "bank": world["other"].pk, "name": "固定卷", "kind": "fixed",
            "sections": [{"type": "single", "points": "5", **section}]}


def test_the_paper_api_gives_back_a_fixed_paper_s_questions_by_the_numbers_it_was_given(world):
    """Regression: a fixed paper is made by the questions' numbers in the bank, and the API
    gave back their database ids under the same name: sent again, the body picked other
    questions or was refused."""
    singles = list(world["other"].questions.filter(type="single").order_by("number"))
    numbers = [singles[1].number, singles[0].number]  # in the order given, not the numbers' order
    assert [q.pk for q in singles] != [q.number for q in singles]
    made = _post(world["client"], "/api/exams/papers", _paper(world, questions=numbers))
    assert made.status_code == 201, made.content
    assert made.json()["sections"][0]["questions"] == numbers
    again = world["client"].get(f"/api/exams/papers/{made.json()['id']}").json()
    assert again["sections"][0]["questions"] == numbers


@pytest.mark.parametrize("difficulty", [9, "abc", 40000])
def test_a_fixed_paper_s_section_difficulty_is_checked_as_a_blueprint_s(world, difficulty):
    """Regression: only a blueprint's sections had their difficulty checked: a fixed paper
    stored 9, and "abc" (page) or 40000 (PostgreSQL) was a server error."""
    number = world["other"].questions.filter(type="single").order_by("number").first().number
    made = _post(world["client"], "/api/exams/papers", _paper(world, questions=[number], difficulty=difficulty))
    assert made.status_code in (400, 422), made.content
    assert not Paper.objects.filter(name="固定卷").exists()
    page = world["client"].post(f"/work/exams/papers/new/?competition={world['competition'].code}", {
        "name": "固定卷", "bank": str(world["other"].pk), "kind": "fixed", "multiple_scoring": "all",
        "section-0-type": "single", "section-0-points": "5", "section-0-questions": str(number),
        "section-0-difficulty": str(difficulty)})
    assert page.status_code == 200 and "难度" in page.content.decode()
    assert not Paper.objects.filter(name="固定卷").exists()


def test_a_bank_level_written_as_a_superscript_is_a_message_not_a_traceback(world, tmp_path):
    """Regression: "²" passes str.isdigit() and not int(): jingsai exams create-paper crashed."""
    file = tmp_path / "paper.json"
    file.write_text(json.dumps({"competition": world["competition"].code, "occupation": "6-18-02-04", "level": "²",
                                "name": "卷", "sections": [{"type": "single", "count": 1, "points": "5"}]}))
    code, _out, err = run_command("exams", "create-paper", str(file))
    assert code == 1 and "Traceback" not in err and "题库" in err


def test_a_session_window_in_year_one_is_refused_everywhere(world, tmp_path):
    """Regression: nothing bounded a sitting's times: year 1 overflowed SQLite (a server
    error, a traceback) and PostgreSQL stored it and could not read it back."""
    session = world["session"]
    patched = world["client"].patch(f"/api/exams/sessions/{session.pk}",
                                    json.dumps({"opens_at": "0001-01-01T00:00:00"}), content_type="application/json")
    assert patched.status_code == 400 and "2000" in patched.json()["detail"]
    file = tmp_path / "session.json"
    file.write_text(json.dumps({"opens_at": "0001-01-01T00:00:00", "reason": "改时间"}))
    code, _out, err = run_command("exams", "update-session", str(session.pk), str(file))
    assert code == 1 and "2000" in err
    assert ExamSession.objects.get(pk=session.pk).opens_at == session.opens_at
    later = session.closes_at + datetime.timedelta(days=1)
    assert world["client"].patch(f"/api/exams/sessions/{session.pk}", json.dumps({"closes_at": later.isoformat()}),
                                 content_type="application/json").status_code == 200


@pytest.mark.parametrize(("method", "path", "body"), [
    ("patch", "/api/exams/sessions/{session}", {"name": "理论\x00考试"}),
    ("patch", "/api/exams/sessions/{session}", {"access_code": "A\x007"}),
    ("patch", "/api/exams/banks/{bank}", {"name": "题\x00库"}),
])
def test_a_nul_in_an_api_body_is_refused_before_it_reaches_the_database(world, method, path, body):
    """Regression: a NUL in a name, an access code or a reason sent to the API was a server
    error on PostgreSQL (which cannot store one); the pages' forms already refused it."""
    url = path.format(session=world["session"].pk, bank=world["bank"].pk)
    response = getattr(world["client"], method)(url, json.dumps(body), content_type="application/json")
    assert response.status_code == 400 and response.json()["detail"] == "请求中含有不允许的 NUL 字符。"


def test_a_nul_in_a_command_s_json_file_is_refused(world, tmp_path):
    file = tmp_path / "session.json"
    file.write_text(json.dumps({"name": "理论\x00考试", "reason": "改名"}))
    code, _out, err = run_command("exams", "update-session", str(world["session"].pk), str(file))
    assert code == 1 and "NUL" in err
    assert ExamSession.objects.get(pk=world["session"].pk).name == world["session"].name


def test_the_exam_page_s_save_still_takes_a_nul_out_of_an_answer_rather_than_refuse_it(world):
    """The API's refusal of NUL is not the exam page's: a save drops it (see
    test_sitting_edges), so that one odd character never stops the page from saving."""
    from jingsai.exams import services

    user, _entry = world["candidates"][0]
    attempt = services.start(user, world["session"], device="d")
    response = Client().post(f"/api/exams/attempts/{attempt.pk}/answers",
                             json.dumps({"answers": [{"q": 0, "seq": 1, "r": "a\x00b"}]}),
                             content_type="application/json", HTTP_X_ATTEMPT_TOKEN=services.attempt_token(attempt))
    assert response.status_code == 200 and attempt.answers.get().response == "ab"


def test_a_body_that_is_not_json_is_answered_in_the_person_s_language(world):
    response = world["client"].patch(f"/api/exams/sessions/{world['session'].pk}", "{not json",
                                     content_type="application/json")
    assert response.status_code == 400 and response.json()["detail"] == "请求内容不是有效的 JSON。"


def test_the_command_line_extends_and_ends_a_candidate_s_attempt_as_the_live_list_does(world):
    """The live list and the API could extend or end an attempt; the command line could not."""
    from jingsai.exams import services
    from jingsai.exams.models import Attempt, AttemptEvent, AttemptStatus

    user, entry = world["candidates"][0]
    session = world["session"]
    code, _out, err = run_command("exams", "extend", str(session.pk), "--entry", str(entry.number), "--minutes", "10",
                                  "--reason", "停电")
    assert code == 1 and "尚未开始" in err  # nothing running yet
    attempt = services.start(user, session, device="d")
    code, out, err = run_command("exams", "extend", str(session.pk), "--entry", str(entry.number), "--minutes", "10",
                                 "--reason", "停电")
    assert code == 0 and entry.person.name in out, err
    assert Attempt.objects.get(pk=attempt.pk).deadline == attempt.deadline + datetime.timedelta(minutes=10)
    assert attempt.events.get(kind=AttemptEvent.Kind.EXTEND).detail == {"minutes": 10, "reason": "停电"}
    code, _out, err = run_command("exams", "extend", str(session.pk), "--entry", str(entry.number), "--minutes", "0",
                                  "--reason", "停电")
    assert code == 1 and "-120" in err
    code, out, err = run_command("exams", "end", str(session.pk), "--entry", str(entry.number), "--reason", "作弊")
    assert code == 0 and entry.person.name in out, err
    assert Attempt.objects.get(pk=attempt.pk).status != AttemptStatus.IN_PROGRESS
    code, _out, err = run_command("exams", "end", str(session.pk), "--entry", str(entry.number), "--reason", "作弊")
    assert code == 1 and "已经结束" in err
