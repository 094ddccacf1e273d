"""Pictures of an explanation (Moodle's general feedback): imported in their order, written
back on export, shown after the explanation's text wherever it is shown, and kept back with
it while an exam drawn from the bank is under way."""

import base64
import datetime
import hashlib
import json
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from jingsai.accounts.models import Role
from jingsai.core.errors import Rejected
from jingsai.exams import services
from jingsai.exams.models import ExamSession, Question
from tests import factories
from tests.exams import factories as ex

pytestmark = pytest.mark.django_db

DATA = Path(__file__).parent / "data"
FILE = "moodle_explanation_pictures.xml"
REVERSE = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4nGNgaPgPAAIDAYAkYfWXAAAAAElFTkSuQmCC"
FORWARD = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4nGP4f4IBAASRAcjyuzl2AAAAAElFTkSuQmCC"


def _sha(b64):
    return hashlib.sha256(base64.b64decode(b64)).hexdigest()


def _import(bank, data=None):
    data = data if data is not None else (DATA / FILE).read_bytes()
    return services.import_questions(factories.actor(), bank, data, filename=FILE, fmt="moodle-xml")


def _explained(version):
    return [link.image for link in version.explanation_image_links.select_related("image").order_by("position")]


def _questions(bank):
    wiring = Question.objects.select_related("current").get(bank=bank, current__title="反接接线")
    ground = Question.objects.select_related("current").get(bank=bank, current__title="接地线")
    return wiring, ground


def _url(image):
    return reverse("exams:image", args=[image.pk])


def test_general_feedback_pictures_are_imported_as_the_explanations_in_their_order():
    bank = ex.bank()
    result = _import(bank)
    assert result["added"]["single"] == 1 and result["added"]["judge"] == 1
    wiring, ground = _questions(bank)
    assert wiring.current.explanation == "直流反接：焊条接正极，工件接负极。\n\n对照正接："
    # In the order the feedback shows them, not that of the <file> elements; the %-encoded name read back.
    pictures = _explained(wiring.current)
    assert [p.sha256 for p in pictures] == [_sha(REVERSE), _sha(FORWARD)]
    assert [p.name for p in pictures] == ["reverse.png", "正接 图.png"]
    assert [i.name for i in wiring.current.images.all()] == ["stem.png"]  # the question's own stay its own
    # An explanation may be a picture alone; the same picture is stored once in the bank.
    assert ground.current.explanation == ""
    assert [p.pk for p in _explained(ground.current)] == [pictures[0].pk]
    assert not ground.current.images.exists()
    assert bank.images.count() == 3


def test_a_picture_in_an_answers_feedback_is_still_refused_and_only_it():
    data = (DATA / FILE).read_text(encoding="utf-8").replace(
        "<text>正接多用于酸性焊条。</text>",
        '<text><![CDATA[<p>正接多用于酸性焊条。<img src="@@PLUGINFILE@@/forward.png"></p>]]></text>'
        f'<file name="forward.png" path="/" encoding="base64">{FORWARD}</file>',
    ).encode()
    bank = ex.bank()
    with pytest.raises(Rejected) as rejected:
        _import(bank, data)
    messages = [problem.message for problem in rejected.value.problems]
    assert len(messages) == 1, messages  # the general feedback's pictures are not among them
    assert "forward.png" in messages[0] and "反馈" in messages[0]
    assert not Question.objects.filter(bank=bank).exists()


def test_export_writes_them_back_into_the_general_feedback_and_they_read_back_the_same():
    bank = ex.bank()
    _import(bank)
    exported = services.export_questions(bank, "moodle-xml")
    feedback = exported.decode().split("<generalfeedback", 1)[1].split("</generalfeedback>", 1)[0]
    assert "@@PLUGINFILE@@/reverse.png" in feedback and REVERSE in feedback
    assert _import(bank, exported)["duplicates"] == 2  # the same questions: nothing added
    again = ex.bank(occupation="6-18-02-05")
    _import(again, exported)
    wiring, ground = _questions(again)
    assert [p.sha256 for p in _explained(wiring.current)] == [_sha(REVERSE), _sha(FORWARD)]
    assert [p.sha256 for p in _explained(ground.current)] == [_sha(REVERSE)]
    assert [i.name for i in wiring.current.images.all()] == ["stem.png"]
    assert services.export_questions(again, "moodle-xml") == exported


@pytest.fixture
def world():
    """An exam on a bank that holds the imported questions, its session opening in an
    hour, and a worker (a candidate of it) who practises on the bank meanwhile."""
    data = ex.exam(n_candidates=1)
    _import(data["bank"])
    wiring, ground = _questions(data["bank"])
    ExamSession.objects.filter(pk=data["session"].pk).update(opens_at=timezone.now() + datetime.timedelta(hours=1))
    user, _entry = data["candidates"][0]
    data.update(wiring=wiring, ground=ground, user=user, client=ex.logged_in(user))
    return data


def _practise(world):
    point = world["bank"].knowledge_points.get(name="解析配图")
    practice = services.start_practice(world["user"].person, world["bank"], knowledge_point=point, count=2)
    item = practice.items.select_related("version").get(version=world["wiring"].current)
    return practice, item


def test_practice_shows_the_pictures_after_the_explanation_once_answered(world):
    client, pictures = world["client"], _explained(world["wiring"].current)
    practice, item = _practise(world)
    page = client.get(reverse("exams:practice_round", args=[practice.pk])).content.decode()
    assert _url(pictures[1]) not in page  # not before answering
    fragment = client.post(reverse("exams:practice_answer", args=[practice.pk, item.position]),
                           {"q": "Z"}).content.decode()
    text_at = fragment.index("对照正接")
    assert text_at < fragment.index(_url(pictures[0])) < fragment.index(_url(pictures[1]))
    assert _url(pictures[1]) in client.get(reverse("exams:practice_round", args=[practice.pk])).content.decode()
    assert client.get(_url(pictures[1])).status_code == 200
    body = client.get(f"/api/exams/practice/{practice.pk}").json()
    answered = next(i for i in body["items"] if i["position"] == item.position)
    assert answered["explanation_images"] == [_url(p) for p in pictures]
    # The wrong-answer book shows them too.
    book = client.get(reverse("exams:wrong_book")).content.decode()
    assert _url(pictures[0]) in book and _url(pictures[1]) in book


def test_the_api_answer_gives_them(world):
    practice, _item = _practise(world)
    other = practice.items.select_related("version").get(version=world["ground"].current)
    answered = world["client"].post(f"/api/exams/practice/{practice.pk}/answers",
                                    data=json.dumps({"position": other.position, "response": True}),
                                    content_type="application/json")
    assert answered.status_code == 200, answered.content
    assert answered.json()["explanation_images"] == [_url(_explained(world["ground"].current)[0])]


def test_they_are_kept_back_while_an_exam_drawn_from_the_bank_is_under_way(world):
    client, user, session = world["client"], world["user"], world["session"]
    only_explained = _explained(world["wiring"].current)[1]  # in no question's text
    practice, item = _practise(world)
    services.answer_practice(user.person, item, "Z")
    assert client.get(_url(only_explained)).status_code == 200
    ExamSession.objects.filter(pk=session.pk).update(opens_at=timezone.now() - datetime.timedelta(minutes=5))
    assert client.get(_url(only_explained)).status_code == 404
    page = client.get(reverse("exams:practice_round", args=[practice.pk])).content.decode()
    assert _url(only_explained) not in page and "对照正接" not in page
    assert client.get(f"/api/exams/practice/{practice.pk}").json()["items"][item.position]["explanation_images"] \
        is None
    assert _url(only_explained) not in client.get(reverse("exams:wrong_book")).content.decode()
    # A candidate whose paper holds the question is not shown its explanation's pictures either.
    fixed = ex.paper(world["competition"], world["bank"], kind="fixed", sections=[
        {"type": "single", "count": 1, "points": "5", "questions": [world["wiring"].number]}])
    sitting = ex.session(world["competition"], fixed)
    attempt = services.start(user, sitting, device="d1")
    assert attempt.items.get().version_id == world["wiring"].current_id
    taking = client.get(reverse("exams:take", args=[sitting.pk])).content.decode()
    assert "对照正接" not in taking and _url(only_explained) not in taking
    assert client.get(_url(only_explained)).status_code == 404
    # The organizers still see them, on the question's page and in the API.
    organizer = factories.user(role=Role.ORGANIZER, org=world["orgs"]["union"])
    staff = ex.logged_in(organizer)
    assert staff.get(_url(only_explained)).status_code == 200
    page = staff.get(reverse("exams:question", args=[world["wiring"].pk])).content.decode()
    assert page.index("对照正接") < page.index(_url(only_explained))
    got = staff.get(f"/api/exams/questions/{world['wiring'].pk}").json()
    assert got["current"]["explanation_images"] == [_url(p) for p in _explained(world["wiring"].current)]


def _organizer_client(bank):
    return ex.logged_in(factories.user(role=Role.ORGANIZER, org=bank.owner))


def test_an_api_edit_keeps_them_and_they_count_as_content():
    bank = ex.bank()
    _import(bank)
    wiring, _ground = _questions(bank)
    pictures = [p.pk for p in _explained(wiring.current)]
    base = services.question_digest(wiring.current)
    # Left out of the body, an edit keeps them, in their order, and a save of the same says nothing new.
    body = {"type": "single", "stem": wiring.current.stem, "options": ["直流正接", "直流反接", "交流"],
            "answer": "B", "explanation": wiring.current.explanation, "knowledge_point": "解析配图", "difficulty": 2,
            "title": "反接接线"}
    client = _organizer_client(bank)
    for _ in range(2):
        saved = client.put(f"/api/exams/questions/{wiring.pk}", data=json.dumps(body),
                           content_type="application/json")
        assert saved.status_code == 200, saved.content
    wiring.refresh_from_db()
    assert [p.pk for p in _explained(wiring.current)] == pictures
    assert services.question_digest(wiring.current) == base and wiring.versions.count() == 1
    # Their order is part of what the version says: a change is a change, and a new version once seen.
    services.start_practice(factories.person(), bank, count=5)
    q = services.question_data(wiring.current)
    q.explanation_images.reverse()
    version = services.edit_question(factories.actor(), wiring, q, base=base)
    assert version.number == 2 and [p.pk for p in _explained(version)] == pictures[::-1]
    assert services.question_digest(version) != base
    assert [p.pk for p in _explained(wiring.versions.get(number=1))] == pictures  # what was shown stays


def test_the_edit_page_keeps_them_and_takes_one_away_or_adds_one():
    bank = ex.bank()
    _import(bank)
    wiring, _ground = _questions(bank)
    client = _organizer_client(bank)
    pictures = [p.pk for p in _explained(wiring.current)]
    page = client.get(reverse("exams:question_edit", args=[wiring.pk])).content.decode()
    assert "remove_explanation_image" in page and "explanation_pictures" in page
    form = {"type": "single", "knowledge_point": "解析配图", "difficulty": "2", "title": "反接接线",
            "stem": wiring.current.stem, "option_A": "直流正接", "option_B": "直流反接", "option_C": "交流",
            "answer": "B", "explanation": wiring.current.explanation, "base": services.question_digest(wiring.current),
            "keep_image": [str(i.pk) for i in wiring.current.images.all()]}
    edit = reverse("exams:question_edit", args=[wiring.pk])
    assert client.post(edit, form).status_code == 302  # saved as it was: nothing changes
    wiring.refresh_from_db()
    assert wiring.versions.count() == 1 and [p.pk for p in _explained(wiring.current)] == pictures
    form["remove_explanation_image"] = [str(pictures[0])]
    assert client.post(edit, form).status_code == 302
    wiring.refresh_from_db()
    assert [p.pk for p in _explained(wiring.current)] == pictures[1:]
    form = {**form, "base": services.question_digest(wiring.current), "remove_explanation_image": [],
            "explanation_pictures": SimpleUploadedFile("added.png", base64.b64decode(REVERSE), "image/png")}
    assert client.post(edit, form).status_code == 302
    wiring.refresh_from_db()
    assert [p.pk for p in _explained(wiring.current)] == pictures[1:] + [pictures[0]]  # the same file: stored once
    assert [i.name for i in wiring.current.images.all()] == ["stem.png"]


def test_gift_reads_a_picture_of_the_general_feedback_as_the_explanations_and_writes_it_back():
    """GIFT carries pictures as data: URIs in [html] text; one in the general feedback was
    taken for a picture of the question, shown during the exam with it."""
    text = ("$CATEGORY: $course$/top/解析配图\n\n"
            "::接地线::[html]焊机外壳必须可靠接地。{T####<p>见图</p><p><img src\\=\"data\\:image/png;base64,"
            f"{REVERSE}\"></p>}}\n")
    bank = ex.bank()
    services.import_questions(factories.actor(), bank, text.encode(), filename="q.gift", fmt="gift")
    ground = Question.objects.select_related("current").get(bank=bank)
    assert ground.current.explanation == "见图" and not ground.current.images.exists()
    assert [p.sha256 for p in _explained(ground.current)] == [_sha(REVERSE)]
    # Written back, with the Moodle XML file's pictures, they read back where they were.
    _import(bank)
    exported = services.export_questions(bank, "gift")
    again = ex.bank(occupation="6-18-02-05")
    services.import_questions(factories.actor(), again, exported, filename="q.gift", fmt="gift")
    wiring = Question.objects.select_related("current").get(bank=again, current__title="反接接线")
    assert [p.sha256 for p in _explained(wiring.current)] == [_sha(REVERSE), _sha(FORWARD)]
    assert wiring.current.images.count() == 1 and wiring.current.explanation.endswith("对照正接：")
    ground = Question.objects.select_related("current").get(bank=again, current__title="接地线")
    assert [p.sha256 for p in _explained(ground.current)] == [_sha(REVERSE)] and not ground.current.images.exists()


def test_an_export_reads_the_explanations_pictures_in_a_fixed_number_of_queries():
    """Regression: export_questions() prefetched the questions' pictures, but question_data()
    read each version's explanation pictures with a query of its own: a bank of 2,000
    questions took 2,000 more queries to export."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from jingsai.exams.content import ImageData, QuestionData

    def exported(n):
        bank = ex.bank(occupation=f"6-18-02-0{n}")
        for i in range(n):
            services.add_question(factories.actor(), bank, QuestionData(
                type="judge", stem=f"焊条直流反接第{i}题", answer=True, explanation="见图",
                explanation_images=[ImageData(name="reverse.png", data=base64.b64decode(REVERSE))]))
        with CaptureQueriesContext(connection) as queries:
            data = services.export_questions(bank, "moodle-xml")
        assert data.decode().count("@@PLUGINFILE@@/reverse.png") == n
        return len(queries)

    assert exported(5) == exported(2)


def test_the_api_puts_them_in_order_takes_one_away_and_refuses_another_banks():
    """Regression: the edit page takes an explanation's picture away (one showing a wrong
    answer, say), but the API had no field for them: its PUT always kept them, and a
    client could neither remove nor reorder them. `explanation_images` now takes their ids
    (explanation_image_ids), as `images` does the question's, from the question's bank only."""
    bank = ex.bank()
    _import(bank)
    wiring, _ground = _questions(bank)
    reverse, forward = [p.pk for p in _explained(wiring.current)]
    client = _organizer_client(bank)
    got = client.get(f"/api/exams/questions/{wiring.pk}").json()
    assert got["current"]["explanation_image_ids"] == [reverse, forward]
    body = {"type": "single", "stem": wiring.current.stem, "options": ["直流正接", "直流反接", "交流"],
            "answer": "B", "explanation": wiring.current.explanation, "knowledge_point": "解析配图", "difficulty": 2,
            "title": "反接接线", "explanation_images": [forward, reverse]}
    saved = client.put(f"/api/exams/questions/{wiring.pk}", data=json.dumps(body), content_type="application/json")
    assert saved.status_code == 200, saved.content
    assert saved.json()["current"]["explanation_image_ids"] == [forward, reverse]
    saved = client.put(f"/api/exams/questions/{wiring.pk}", data=json.dumps({**body, "explanation_images": [forward]}),
                       content_type="application/json")
    assert saved.json()["current"]["explanation_image_ids"] == [forward]
    wiring.refresh_from_db()
    assert [p.pk for p in _explained(wiring.current)] == [forward]

    other = ex.bank(occupation="6-18-02-05")
    _import(other)
    foreign = _explained(_questions(other)[0].current)[0].pk
    refused = client.put(f"/api/exams/questions/{wiring.pk}",
                         data=json.dumps({**body, "explanation_images": [foreign]}), content_type="application/json")
    assert refused.status_code == 400, refused.content
    assert refused.json()["detail"] == f"题库中没有编号为 {foreign} 的图片。"
    wiring.refresh_from_db()
    assert [p.pk for p in _explained(wiring.current)] == [forward]
