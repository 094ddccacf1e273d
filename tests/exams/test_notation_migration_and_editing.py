"""The xlsx and editor answer notation with backslashes, migration 0003's queries, right
answers between two sittings, the wrong-answer book, and option feedback through the API.
Tests named "Regression" failed before the fix their docstring describes."""

import datetime
import json
from importlib import import_module

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from jingsai.exams import services
from jingsai.exams.content import QuestionData
from jingsai.exams.formats import xlsx
from jingsai.exams.models import Question
from tests.exams import factories as ex

pytestmark = pytest.mark.django_db

# A fill-in whose accepted answers end in a backslash (计算机操作员: "the root of drive C is
# written ____": C:\ or c:\). Entered through the API, Moodle XML or GIFT, all of which
# keep the backslash.
ROOTS = [[{"text": "C:\\", "fraction": "1"}, {"text": "c:\\", "fraction": "1"}]]


# ---------------------------------------------------------------- xlsx notation


def test_xlsx_notation_round_trips_an_accepted_answer_ending_in_a_backslash():
    """Regression: xlsx.answer_text escapes | and ； but not the backslash itself, and parse_answer's
    (?<!\\\\)\\| then takes the answer's own last backslash for an escape: the two accepted
    answers C:\\ and c:\\ come back as one answer "C:|c:\\" (and blanks merge the same way
    over ；). Before this change "C:\\|c:\\" split on | and round-tripped."""
    q = QuestionData(type="fill", stem="C 盘根目录写作____。", answer=ROOTS)
    assert xlsx.parse_answer("fill", xlsx.answer_text(q)) == ROOTS
    two_blanks = [[{"text": "a\\", "fraction": "1"}], [{"text": "b", "fraction": "1"}]]
    q = QuestionData(type="fill", stem="____与____", answer=two_blanks)
    assert xlsx.parse_answer("fill", xlsx.answer_text(q)) == two_blanks


def test_saving_a_fill_in_in_the_web_editor_without_touching_its_answer_keeps_the_answer():
    """Regression: The web editor shows the answer through xlsx.answer_text and reads it back through
    xlsx.parse_answer: changing only the difficulty of such a question silently rewrites its
    accepted answers (a candidate writing C:\\ is then marked wrong)."""
    world = ex.exam_with_organizer(n_candidates=0)
    question = services.add_question(None, world["bank"], ex.question(
        "fill", stem="C 盘根目录写作____。", answer=json.loads(json.dumps(ROOTS)), kp=""))
    client = ex.logged_in(world["organizer"])
    form = client.get(f"/work/exams/questions/{question.pk}/edit/").context["form"]
    shown = form.initial["answer"]
    response = client.post(f"/work/exams/questions/{question.pk}/edit/", {
        "type": "fill", "difficulty": 4, "stem": "C 盘根目录写作____。", "answer": shown,
        "knowledge_point": "", "title": "", "explanation": "", "reason": "难度",
    })
    assert response.status_code == 302
    question = Question.objects.get(pk=question.pk)
    assert question.current.difficulty == 4
    assert question.current.answer == ROOTS


# ---------------------------------------------------------------- the data migration


def test_the_fingerprint_migration_does_not_query_once_per_question_version():
    """Regression: 0003's recompute() runs version.images.values_list(...) for every fill-in and picture
    version: one query per row (a provincial bank of 100 000 versions is 100 000 queries
    inside the migration's transaction), and it keeps every changed row in memory for one
    bulk_update at the end."""
    name = "0003_fingerprints_count_pictures_and_blank_marks"
    recompute = import_module(f"jingsai.exams.migrations.{name}").recompute
    # The models as recompute() was written for: the plain link table of pictures it reads
    # was replaced by ordered links in 0009.
    apps = ex.apps_after(name)
    ex.create_table(apps.get_model("exams", "QuestionVersion").images.through)
    bank = ex.bank()

    def queries():
        with CaptureQueriesContext(connection) as captured:
            recompute(apps, None)
        return len(captured)

    for i in range(3):
        services.add_question(None, bank, ex.question("fill", stem=f"第{i}题：保护气体是（　）。"))
    few = queries()
    for i in range(3, 23):
        services.add_question(None, bank, ex.question("fill", stem=f"第{i}题：保护气体是（　）。"))
    many = queries()
    assert many - few <= 2, f"3 versions: {few} queries; 23 versions: {many} queries"


# ---------------------------------------------------------------- review page (suspected; design gap)


def test_a_bank_kept_for_exams_shows_no_right_answers_between_two_sittings():
    """With a second sitting of the same paper still to come (the afternoon sitting, 补考),
    a bank closed to practice keeps the right answers and each question's score from the
    morning's candidates; a bank open to practice shows them, as practice does."""
    world = ex.exam_with_organizer(n_candidates=1)
    user, _entry = world["candidates"][0]
    attempt = services.start(user, world["session"], device="d0")
    services.submit(user, attempt, device="d0")
    first = world["session"]
    first.closes_at = timezone.now() - datetime.timedelta(minutes=1)
    first.save(update_fields=["closes_at"])
    ex.session(world["competition"], world["paper"], opens=timezone.now() + datetime.timedelta(hours=2))
    url = f"/work/exams/attempts/{attempt.pk}/"
    assert "right-answer" in ex.logged_in(user).get(url).content.decode()  # open to practice
    services.update_bank(world["organizer"], world["bank"], practice_open=False, reason="决赛用题")
    assert "right-answer" not in ex.logged_in(user).get(url).content.decode()


# ---------------------------------------------------------------- practice closed: the wrong-answer book


def test_the_wrong_answer_book_shows_no_right_answers_of_a_bank_closed_or_under_exam():
    """Regression: answer_practice() now refuses a bank closed to practice, and practice waits while an exam
    drawn from the bank is under way; but views.wrong_book still shows, for every question
    the worker once got wrong, the right answer and the explanation of its *current*
    version: a bank closed "for the final" (and revised since) and an exam under way on it
    change nothing there, and a candidate can open the page on a phone during the exam."""
    world = ex.exam_with_organizer(n_candidates=1)
    bank, session = world["bank"], world["session"]
    user, _entry = world["candidates"][0]
    person = user.person
    type(session).objects.filter(pk=session.pk).update(  # practice before the exam
        opens_at=timezone.now() + datetime.timedelta(days=1), closes_at=timezone.now() + datetime.timedelta(days=2))
    practice = services.start_practice(person, bank, count=50)
    item = practice.items.select_related("version").filter(version__type="judge").first()
    services.answer_practice(person, item, not item.version.answer)  # wrong: into the book
    services.update_bank(world["organizer"], bank, practice_open=False, reason="决赛用题")
    question = item.version.question
    revised = services.question_data(question.current)
    revised.explanation = "决赛修订：此题答案的依据见 GB 9448 第 5.2 条。"
    services.edit_question(world["organizer"], question, revised, reason="决赛修订")
    type(session).objects.filter(pk=session.pk).update(  # the final is under way
        opens_at=timezone.now() - datetime.timedelta(minutes=5), closes_at=timezone.now() + datetime.timedelta(hours=2))
    assert services.under_way(type(session).objects.filter(pk=session.pk))
    page = ex.logged_in(user).get("/work/exams/practice/wrong/").content.decode()
    shown = {"right answer": "right-answer" in page, "revised explanation": "决赛修订" in page}
    assert not any(shown.values()), shown


# ---------------------------------------------------------------- option feedback: the API editor


def test_editing_a_question_through_the_api_keeps_its_option_feedback():
    """Regression: The change keeps Moodle's per-option feedback when the web editor saves a question, but
    PUT /api/exams/questions/{id} (QuestionIn.options: list[str]) still rebuilds the options
    from their texts: any edit through the API (a new difficulty) drops every feedback."""
    world = ex.exam_with_organizer(n_candidates=0)
    bank = world["bank"]
    data = ('<?xml version="1.0" encoding="UTF-8"?><quiz><question type="multichoice"><name><text>极性</text></name>'
            '<questiontext format="html"><text>碱性焊条通常采用哪种极性？</text></questiontext><single>true</single>'
            '<answer fraction="0"><text>直流正接</text><feedback><text>正接用于酸性焊条。</text></feedback></answer>'
            '<answer fraction="100"><text>直流反接</text><feedback><text>正确。</text></feedback></answer>'
            '</question></quiz>').encode()
    services.import_questions(None, bank, data, filename="q.xml")
    question = Question.objects.get(bank=bank, current__title="极性")
    response = ex.logged_in(world["organizer"]).put(f"/api/exams/questions/{question.pk}", {
        "type": "single", "stem": "碱性焊条通常采用哪种极性？", "options": ["直流正接", "直流反接"], "answer": "B",
        "difficulty": 4, "title": "极性", "reason": "难度"}, content_type="application/json")
    assert response.status_code == 200, response.content
    question.refresh_from_db()
    assert question.current.difficulty == 4
    assert [o.get("feedback") for o in question.current.options] == ["正接用于酸性焊条。", "正确。"]
