"""The question bank, reviewed: banks, questions, their versions and their pages, API and
command. Tests named "Regression" failed before the fix their docstring describes (a
review of 2026-12-07)."""

import pytest

from jingsai.core.errors import Rejected
from jingsai.core.models import AuditRecord
from jingsai.exams import services
from jingsai.exams.models import Question, QuestionVersion
from tests.exams import factories as ex

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    return ex.exam_with_organizer_client()


def test_retiring_a_question_twice_leaves_it_retired(world):
    """Regression: the question page's button posted only "toggle", and the view flipped
    whatever state the question was in: a double click on "Retire" (or two organizers on
    the same page) retired the question and put it straight back in use, to be drawn for
    candidates. The button now says which state it asks for, and asking again changes
    nothing."""
    question = Question.objects.filter(bank=world["bank"]).first()
    client = world["client"]
    page = client.get(f"/work/exams/questions/{question.pk}/").content.decode()
    assert 'name="active" value="0"' in page
    for _twice in range(2):
        response = client.post(f"/work/exams/questions/{question.pk}/toggle/", {"active": "0"})
        assert response.status_code == 302
    question.refresh_from_db()
    assert not question.is_active
    assert AuditRecord.objects.filter(action="exams.retire_question", object_id=str(question.pk)).count() == 1
    assert not AuditRecord.objects.filter(action="exams.restore_question").exists()
    client.post(f"/work/exams/questions/{question.pk}/toggle/", {"active": "1"})
    client.post(f"/work/exams/questions/{question.pk}/toggle/", {"active": "1"})
    question.refresh_from_db()
    assert question.is_active
    assert AuditRecord.objects.filter(action="exams.restore_question", object_id=str(question.pk)).count() == 1
    # A post that does not say which is refused with a message, and changes nothing.
    refused = client.post(f"/work/exams/questions/{question.pk}/toggle/", follow=True)
    assert "停用" in refused.content.decode()
    question.refresh_from_db()
    assert question.is_active


def _seen_question(world, qtype="single"):
    """A question of `qtype` that the first candidate's attempt shows."""
    user, _entry = world["candidates"][0]
    attempt = services.start(user, world["session"], device="d")
    item = attempt.items.select_related("version__question").filter(version__type=qtype).first()
    return item.version.question


def test_saving_a_seen_question_unchanged_makes_no_new_version(world):
    """Regression: opening a question that candidates had seen in the editor and pressing
    Save without changing anything made a new version, identical to the old one, with an
    audit record of a new version and no changes; the item analysis then split the
    question's figures between the two versions. Nothing is written now."""
    question = _seen_question(world)
    client = world["client"]
    form = client.get(f"/work/exams/questions/{question.pk}/edit/").context["form"]
    posted = {name: value for name, value in form.initial.items() if value is not None}
    response = client.post(f"/work/exams/questions/{question.pk}/edit/", posted)
    assert response.status_code == 302
    through_api = client.put(f"/api/exams/questions/{question.pk}", {
        "type": "single", "stem": question.current.stem, "options": [o["text"] for o in question.current.options],
        "answer": question.current.answer, "knowledge_point": question.knowledge_point.name,
        "difficulty": question.difficulty,
    }, content_type="application/json")
    assert through_api.status_code == 200, through_api.content
    assert QuestionVersion.objects.filter(question=question).count() == 1
    assert not AuditRecord.objects.filter(action__in=("exams.new_version", "exams.edit_question")).exists()
    # A real change still makes a new version, with its record.
    data = services.question_data(question.current)
    data.explanation = "新解析"
    assert services.edit_question(None, question, data).number == 2
    assert AuditRecord.objects.get(action="exams.new_version").changes == {"explanation": ["", "新解析"]}


def test_a_fixed_paper_says_when_an_edit_changed_a_question_s_type(world):
    """Regression: a fixed paper's sections are checked for their questions' types when
    the paper is saved, and an edit may change a question's type afterwards: the paper then
    showed a multiple-choice question among its single-choice ones (scored as multiple
    choice), and neither the paper page nor the API said so. They now name the question."""
    bank = world["bank"]
    singles = list(Question.objects.filter(bank=bank, type="single").order_by("number")[:2])
    paper = services.save_paper(None, competition=world["competition"], bank=bank, name="固定卷", kind="fixed",
                                sections=[{"type": "single", "points": "5", "questions": [q.number for q in singles]}])
    assert services.paper_shortages(paper) == []
    data = services.question_data(singles[1].current)
    data.type, data.answer = "multiple", "AB"
    services.edit_question(None, singles[1], data, reason="改为多选")
    said = services.paper_shortages(paper)
    assert len(said) == 1 and str(singles[1].number) in said[0] and "多选" in said[0]
    page = world["client"].get(f"/work/exams/papers/{paper.pk}/").content.decode()
    assert "多选" in page and "请另组" in page
    assert world["client"].get(f"/api/exams/papers/{paper.pk}").json()["shortages"] == [str(m) for m in said]


@pytest.mark.parametrize("level", [0, -1])
def test_the_api_makes_no_bank_for_a_level_the_page_and_the_command_refuse(world, level):
    """Regression: the page offers levels 1 to 5 and the command refuses others, but the API
    made a bank for level 0 (特级技师) or -1 (首席技师), named "焊工（0级）". The service
    now refuses them, with a message."""
    from jingsai.exams.models import Bank

    before = Bank.objects.count()
    made = world["client"].post("/api/exams/banks", {"occupation": "6-18-02-05", "level": level,
                                                     "owner": world["orgs"]["union"].code},
                                content_type="application/json")
    assert made.status_code == 400 and "1 至 5 级" in made.json()["detail"]
    assert Bank.objects.count() == before


def test_the_questions_command_names_the_changed_settings_in_the_user_s_language(world):
    """Regression: `jingsai questions bank --practice closed` answered "已修改：practice_open。",
    the field's name in the code. It now says the setting as the page does."""
    from tests.commands import run_command

    bank = world["bank"]
    code, out, _err = run_command("questions", "bank", "--occupation", bank.occupation, "--level", str(bank.level),
                                  "--practice", "closed", "--name", "焊工理论题库")
    assert code == 0
    assert "practice_open" not in out and "已修改：名称、开放练兵。" in out, out


PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 24


def test_a_question_that_is_only_a_picture_can_be_added_and_edited_on_the_page(world):
    """Regression: a question may be a picture without text (content.check accepts it, and
    imports make them), but the page's form required the question text: such a question
    could not be added on the page, and one imported could not be edited there at all (its
    difficulty, say) without inventing a text. An empty text with a picture is accepted
    now; without a picture it is still refused, with content.check's message."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    bank, client = world["bank"], world["client"]
    added = client.post(f"/work/exams/banks/{bank.pk}/questions/new/", {
        "type": "judge", "difficulty": 3, "stem": "", "answer": "对",
        "pictures": SimpleUploadedFile("图.png", PNG)})
    assert added.status_code == 302, added.content.decode()
    question = Question.objects.get(bank=bank, current__stem="")
    picture = question.current.images.get()
    edited = client.post(f"/work/exams/questions/{question.pk}/edit/", {
        "type": "judge", "difficulty": 5, "stem": "", "answer": "对", "keep_image": str(picture.pk)})
    assert edited.status_code == 302, edited.content.decode()
    question.refresh_from_db()
    assert question.difficulty == 5 and list(question.current.images.all()) == [picture]
    refused = client.post(f"/work/exams/banks/{bank.pk}/questions/new/", {
        "type": "judge", "difficulty": 3, "stem": " ", "answer": "对"})
    assert refused.status_code == 200 and "题干为空" in refused.content.decode()


def test_saving_an_edit_over_someone_else_s_later_change_is_refused(world):
    """Regression: the edit page saved what its form held over whatever the question said
    by then: when two organizers had it open, the second to save silently undid the first's
    correction (an unseen question is changed in place, so no version kept it either). The
    page now carries the content it was opened on, and a save over a later change is
    refused with a message; opened again, the edit saves."""
    question = Question.objects.filter(bank=world["bank"], type="judge").first()
    client = world["client"]
    opened = client.get(f"/work/exams/questions/{question.pk}/edit/")
    posted = {name: value for name, value in opened.context["form"].initial.items() if value is not None}
    posted["base"] = opened.context["base"]
    assert f'name="base" value="{posted["base"]}"' in opened.content.decode()
    # Another organizer corrects the answer meanwhile.
    data = services.question_data(question.current)
    data.answer = not data.answer
    services.edit_question(None, question, data, reason="答案更正")
    refused = client.post(f"/work/exams/questions/{question.pk}/edit/", {**posted, "difficulty": 5})
    assert refused.status_code == 200 and "已有他人修改" in refused.content.decode()
    question.refresh_from_db()
    assert question.current.answer is data.answer and question.difficulty != 5
    reopened = client.get(f"/work/exams/questions/{question.pk}/edit/")
    posted = {name: value for name, value in reopened.context["form"].initial.items() if value is not None}
    saved = client.post(f"/work/exams/questions/{question.pk}/edit/",
                        {**posted, "difficulty": 5, "base": reopened.context["base"]})
    assert saved.status_code == 302
    question.refresh_from_db()
    assert question.current.answer is data.answer and question.difficulty == 5


@pytest.mark.parametrize("answer", [{"要点": "断电"}, ["断电", "救人"], True])
def test_a_short_answer_s_reference_that_is_not_a_text_is_refused(world, answer):
    """Regression: the API stored a short-answer question's reference answer given as a
    JSON object, list or boolean as Python's rendering of it ("{'要点': '断电'}"), shown
    so to graders. It is refused now, with a message; a number is still taken as its text."""
    url = f"/api/exams/banks/{world['bank'].pk}/questions"
    before = Question.objects.count()
    refused = world["client"].post(url, {"type": "short", "stem": "触电急救第一步？", "answer": answer},
                                   content_type="application/json")
    assert refused.status_code == 400 and "参考答案须为一段文字" in str(refused.json()["problems"])
    assert Question.objects.count() == before
    made = world["client"].post(url, {"type": "short", "stem": "安全电压是多少伏？", "answer": 36},
                                content_type="application/json")
    assert made.status_code == 201 and made.json()["current"]["answer"] == "36"


def test_the_bank_page_counts_each_knowledge_point_s_questions_as_it_lists_them(world):
    """Regression: the knowledge-point filter of the bank page said how many questions each
    point has counting retired ones, while the list shows those in use (or, ticked, the
    retired): "焊接安全 (30)" listed 29 questions. It now counts what the list shows."""
    bank, client = world["bank"], world["client"]
    point = bank.knowledge_points.get(name="焊接安全")
    retired = Question.objects.filter(bank=bank, knowledge_point=point).first()
    services.set_question_active(None, retired, False)
    in_use = Question.objects.filter(bank=bank, knowledge_point=point, is_active=True).count()
    page = client.get(f"/work/exams/banks/{bank.pk}/").content.decode()
    assert f"焊接安全 ({in_use})" in page
    page = client.get(f"/work/exams/banks/{bank.pk}/?retired=1").content.decode()
    assert "焊接安全 (1)" in page


def test_a_choice_question_with_more_than_eight_options_is_refused_not_a_server_error(world):
    """Regression: a choice question with nine options whose answer named one of the first
    eight (A) passed the answer's check, and lettering the options A to H then ran out of
    letters: the API (and a Moodle XML file with nine answers) gave a server error instead
    of "at most 8 options"."""
    url = f"/api/exams/banks/{world['bank'].pk}/questions"
    before = Question.objects.count()
    refused = world["client"].post(url, {"type": "single", "stem": "选出正确的一项", "answer": "A",
                                         "options": [f"选项{i}" for i in range(9)]}, content_type="application/json")
    assert refused.status_code == 400 and "最多" in str(refused.json()["problems"])
    answers = "".join(f'<answer fraction="{100 if i == 0 else 0}"><text>选项{i}</text></answer>' for i in range(9))
    with pytest.raises(Rejected):
        services.import_questions(None, world["bank"], (
            '<?xml version="1.0" encoding="UTF-8"?><quiz><question type="multichoice"><name><text>九项</text></name>'
            f'<questiontext><text>选出正确的一项</text></questiontext><single>true</single>{answers}</question></quiz>'
        ).encode(), filename="q.xml")
    assert Question.objects.count() == before


def test_adding_the_same_question_twice_adds_it_once(world):
    """Regression: an import leaves out questions the bank already holds, but the page and
    the API added the same content again: a double click on Save made two identical
    questions, which a blueprint could then draw into the same paper. The second is now
    refused, naming the question the bank has."""
    bank, client = world["bank"], world["client"]
    form = {"type": "single", "difficulty": 3, "stem": "焊条烘干的目的是？", "option_A": "去除水分",
            "option_B": "增加重量", "answer": "A", "knowledge_point": "焊接材料"}
    assert client.post(f"/work/exams/banks/{bank.pk}/questions/new/", form).status_code == 302
    question = Question.objects.get(bank=bank, current__stem="焊条烘干的目的是？")
    again = client.post(f"/work/exams/banks/{bank.pk}/questions/new/", form)
    assert again.status_code == 200 and f"题库中已有这道题：第 {question.number} 题" in again.content.decode()
    through_api = client.post(f"/api/exams/banks/{bank.pk}/questions", {
        "type": "single", "stem": "焊条烘干的目的是？", "options": ["去除水分", "增加重量"], "answer": "A",
    }, content_type="application/json")
    assert through_api.status_code == 400 and str(question.number) in through_api.json()["detail"]
    assert Question.objects.filter(bank=bank, current__stem="焊条烘干的目的是？").count() == 1
    assert AuditRecord.objects.filter(action="exams.add_question", object_id=str(question.pk)).count() == 1
