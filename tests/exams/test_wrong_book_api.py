"""The wrong-answer book through the API, as the page shows it: each entry's question with
its options and pictures, the right answer, the explanation and its pictures, and the
Remove button's POST /api/exams/practice/wrong/{id}/remove. Tests named "Regression"
failed before the change their docstring describes."""

import base64

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from jingsai.core.models import AuditRecord
from jingsai.exams import services
from jingsai.exams.content import ImageData
from jingsai.exams.models import WrongAnswer
from tests import factories
from tests.exams import factories as ex

pytestmark = pytest.mark.django_db

PNG = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4nGNgaPgPAAIDAYAkYfWXAAAAAElFTkSuQmCC")
BOOK = "/api/exams/practice/wrong"


def _remove(client, entry):
    return client.post(f"{BOOK}/{entry.pk}/remove", content_type="application/json")


@pytest.fixture
def world():
    """A worker who answered wrong a single-choice question with a picture, an explanation
    and an explanation's picture; a colleague in another unit."""
    orgs = factories.tree()
    bank = ex.bank(owner=orgs["union"])
    ex.fill_bank(bank, per_type=1)
    question = services.add_question(factories.actor(), bank, ex.question(
        "single", kp="错题本", explanation="直流反接：焊条接正极。",
        images=[ImageData(name="题图.png", data=PNG)], explanation_images=[ImageData(name="解析图.png", data=PNG)]))
    worker = factories.person(employer=orgs["unit_a"])
    practice = services.start_practice(worker, bank, knowledge_point=bank.knowledge_points.get(name="错题本"), count=1)
    services.answer_practice(worker, practice.items.get(), "Z")
    user = factories.user(person=worker)
    other = factories.user(person=factories.person(employer=orgs["unit_b"]))
    return {"bank": bank, "question": question, "worker": worker, "user": user, "client": ex.logged_in(user),
            "other": ex.logged_in(other), "entry": WrongAnswer.objects.get(person=worker)}


def test_an_entry_through_the_api_shows_the_question_the_right_answer_and_the_explanation(world):
    """Regression: the API's book gave only each entry's stem, while the page shows the
    question as practice does, the right answer, the explanation and its pictures (and a
    Remove button, which needs the entry's id)."""
    client, question, entry = world["client"], world["question"], world["entry"]
    version = question.current
    picture = reverse("exams:image", args=[version.images.get().pk])
    explained = reverse("exams:image", args=[version.explanation_image_links.get().image_id])
    body = client.get(BOOK).json()
    (got,) = body["entries"]
    assert got["id"] == entry.pk and got["question"] == question.pk and got["bank"] == world["bank"].pk
    assert got["stem"] == version.stem and got["times_wrong"] == 1 and got["last_wrong_at"]
    assert got["type"] == "single" and got["blanks"] == 0 and got["images"] == [picture]
    assert [(o["label"], o["text"]) for o in got["options"]] == [("A", "直流正接"), ("B", "直流反接"), ("C", "交流"),
                                                                 ("D", "脉冲")]
    right = next(o["key"] for o in got["options"] if o["label"] == "B")
    assert got["answer"] == [right]
    assert got["explanation"] == "直流反接：焊条接正极。" and got["explanation_images"] == [explained]
    assert body["held"] == []
    # As a practice round's answered item gives them (its options shuffled, the book's in their written order).
    (item,) = client.get(f"/api/exams/practice/{entry.person.practice_sets.get().pk}").json()["items"]
    for key in ("type", "stem", "blanks", "images", "answer", "explanation", "explanation_images"):
        assert got[key] == item[key], key
    assert {(o["key"], o["text"]) for o in got["options"]} == {(o["key"], o["text"]) for o in item["options"]}
    page = client.get(reverse("exams:wrong_book")).content.decode()
    assert explained in page and picture in page


def test_entries_of_a_bank_that_keeps_its_answers_back_stay_out(world):
    services.update_bank(None, world["bank"], practice_open=False)
    body = world["client"].get(BOOK).json()
    assert body["entries"] == []
    assert body["held"] == [{"bank": world["bank"].pk, "name": world["bank"].name, "count": 1}]


def test_the_books_queries_do_not_grow_with_its_entries(world):
    client, worker, bank = world["client"], world["worker"], world["bank"]
    # Every entry with a picture and an explanation's picture, so a query per entry of either would show.
    questions = [services.add_question(factories.actor(), bank, ex.question(
        qtype, kp="错题本", explanation="解析", images=[ImageData(name="题图.png", data=PNG)],
        explanation_images=[ImageData(name="解析图.png", data=PNG)])) for qtype in ("multiple", "judge", "fill") * 2]
    counts = {}
    for n in (2, 6):
        WrongAnswer.objects.filter(person=worker).delete()
        WrongAnswer.objects.bulk_create(WrongAnswer(person=worker, question=q) for q in questions[:n])
        with CaptureQueriesContext(connection) as queries:
            body = client.get(BOOK).json()
        assert len(body["entries"]) == n and all(e["images"] and e["explanation_images"] for e in body["entries"])
        counts[n] = len(queries)
    assert counts[6] == counts[2], counts


def test_removing_an_entry_through_the_api_is_recorded_and_harmless_twice(world):
    client, entry = world["client"], world["entry"]
    answer = _remove(client, entry)
    assert answer.status_code == 200, answer.content
    entry.refresh_from_db()
    assert entry.mastered_at is not None
    assert answer.json()["id"] == entry.pk and answer.json()["mastered_at"]
    assert client.get(BOOK).json()["entries"] == []
    record = AuditRecord.objects.get(action="exams.remove_wrong_answer")
    assert record.actor_id == world["user"].pk and record.data == {"question": entry.question_id}
    again = _remove(client, entry)
    assert again.status_code == 200 and again.json() == answer.json()
    assert AuditRecord.objects.filter(action="exams.remove_wrong_answer").count() == 1


def test_someone_elses_entry_is_not_found_and_stays(world):
    entry = world["entry"]
    assert _remove(world["other"], entry).status_code == 404
    assert _remove(world["client"], WrongAnswer(pk=entry.pk + 1000)).status_code == 404
    entry.refresh_from_db()
    assert entry.mastered_at is None
    assert not AuditRecord.objects.filter(action="exams.remove_wrong_answer").exists()
    assert [e["id"] for e in world["client"].get(BOOK).json()["entries"]] == [entry.pk]
