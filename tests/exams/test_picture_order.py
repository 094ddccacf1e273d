"""A question's pictures are listed in the order its author gave them, wherever they are
shown. Before, QuestionVersion.images was a plain many-to-many listed by the pictures' pk:
a question written with [B, A], A being already in the bank (stored by an earlier
question), was shown [A, B]. Every test here failed before the ordered links
(QuestionVersionImage) came in."""

import re
from importlib import import_module

import pytest
from django.db import connection

from jingsai.core.errors import UserError
from jingsai.core.models import AuditRecord
from jingsai.exams import services
from jingsai.exams.content import ImageData
from jingsai.exams.models import Question
from tests.exams import factories as ex

pytestmark = pytest.mark.django_db

A, B = ImageData("a.png", b"\x89PNG\r\n\x1a\n" + b"A" * 16), ImageData("b.png", b"\x89PNG\r\n\x1a\n" + b"B" * 16)


def _written_b_then_a(bank):
    """(a_pk, b_pk, question): A stored first by another question, then one written [B, A]."""
    services.add_question(None, bank, ex.question("judge", stem="看图一", images=[A]))
    question = services.add_question(None, bank, ex.question("judge", stem="看图二", images=[B, A]))
    a_pk, b_pk = (bank.images.get(name=name).pk for name in ("a.png", "b.png"))
    assert a_pk < b_pk  # the bank's order is the other way round
    return a_pk, b_pk, Question.objects.get(pk=question.pk)


def _shown(html):
    return [int(pk) for pk in re.findall(r'src="/work/exams/images/(\d+)/"', html)]


def test_the_api_and_the_question_page_show_pictures_in_the_authors_order():
    world = ex.exam_with_organizer_client(n_candidates=0)
    a_pk, b_pk, question = _written_b_then_a(world["bank"])
    body = world["client"].get(f"/api/exams/questions/{question.pk}").json()
    assert body["current"]["images"] == [f"/work/exams/images/{b_pk}/", f"/work/exams/images/{a_pk}/"]
    assert body["current"]["image_ids"] == [b_pk, a_pk]
    assert body["versions"][0]["image_ids"] == [b_pk, a_pk]
    listed = world["client"].get(f"/api/exams/banks/{world['bank'].pk}/questions?q=看图二").json()
    assert listed["items"][0]["current"]["image_ids"] == [b_pk, a_pk]
    page = world["client"].get(f"/work/exams/questions/{question.pk}/").content.decode()
    assert _shown(page) == [b_pk, a_pk] * 2  # the current version, and the same in the list of versions
    edit_page = world["client"].get(f"/work/exams/questions/{question.pk}/edit/").content.decode()
    assert _shown(edit_page) == [b_pk, a_pk]
    assert services.question_data(question.current).images == [b_pk, a_pk]


def test_an_exam_item_shows_pictures_in_the_authors_order():
    world = ex.exam()
    a_pk, b_pk, question = _written_b_then_a(world["bank"])
    paper = ex.paper(world["competition"], world["bank"], [
        {"type": "judge", "points": "5", "questions": [question.number]}], kind="fixed")
    session = ex.session(world["competition"], paper)
    user, _entry = world["candidates"][0]
    attempt = services.start(user, session, device="d")
    state = services.attempt_state(attempt, image_url=lambda pk: pk)
    assert [item["images"] for item in state["items"]] == [[b_pk, a_pk]]
    assert services.item_view(attempt.items.get())["images"] == [b_pk, a_pk]


@pytest.mark.parametrize("fmt", ["moodle-xml", "gift"])
def test_an_export_and_import_keep_the_pictures_in_order(fmt):
    source = ex.bank()
    _written_b_then_a(source)
    exported = services.export_questions(source, fmt)
    target = ex.bank(level=4)
    services.import_questions(None, target, exported, fmt=fmt)
    question = Question.objects.get(bank=target, current__stem__contains="看图二")
    sha256 = dict(target.images.values_list("pk", "sha256"))
    assert [sha256[pk] for pk in services.question_data(question.current).images] == [
        source.images.get(name="b.png").sha256, source.images.get(name="a.png").sha256]


def test_an_edit_that_only_reorders_the_pictures_is_a_change():
    world = ex.exam_with_organizer_client(n_candidates=1)
    a_pk, b_pk, question = _written_b_then_a(world["bank"])
    client = world["client"]
    current = client.get(f"/api/exams/questions/{question.pk}").json()["current"]
    said = {key: current[key] for key in ("type", "stem", "answer", "explanation", "difficulty", "title")}
    said["knowledge_point"] = current["knowledge_point"] or ""
    before = services.question_digest(question.current)

    unchanged = client.put(f"/api/exams/questions/{question.pk}", {**said, "images": [b_pk, a_pk]},
                           content_type="application/json")
    assert unchanged.status_code == 200 and unchanged.json()["current"]["number"] == 1
    assert not AuditRecord.objects.filter(action__in=("exams.edit_question", "exams.new_version")).exists()

    # Seen by a candidate: the reorder makes version 2, and the version seen keeps its order.
    user, _entry = world["candidates"][0]
    paper = ex.paper(world["competition"], world["bank"], [
        {"type": "judge", "points": "5", "questions": [question.number]}], kind="fixed")
    attempt = services.start(user, ex.session(world["competition"], paper), device="d")
    reordered = client.put(f"/api/exams/questions/{question.pk}", {**said, "images": [a_pk, b_pk]},
                           content_type="application/json")
    assert reordered.status_code == 200, reordered.content.decode()
    assert reordered.json()["current"]["number"] == 2
    assert reordered.json()["current"]["image_ids"] == [a_pk, b_pk]
    assert AuditRecord.objects.get(action="exams.new_version").changes == {"images": [[b_pk, a_pk], [a_pk, b_pk]]}
    question.refresh_from_db()
    assert services.question_digest(question.current) != before
    assert services.attempt_state(attempt, image_url=lambda pk: pk)["items"][0]["images"] == [b_pk, a_pk]


def test_the_edit_page_saves_the_pictures_in_the_order_of_their_numbers():
    world = ex.exam_with_organizer_client(n_candidates=0)
    a_pk, b_pk, question = _written_b_then_a(world["bank"])
    saved = world["client"].post(f"/work/exams/questions/{question.pk}/edit/", {
        "type": "judge", "difficulty": 3, "stem": "看图二", "answer": "对", "knowledge_point": "焊接安全",
        "keep_image": [str(b_pk), str(a_pk)], f"place_{b_pk}": "2", f"place_{a_pk}": "1", "reason": "换顺序",
        "base": services.question_digest(question.current)})
    assert saved.status_code == 302, saved.content.decode()
    question.refresh_from_db()
    assert services.question_data(question.current).images == [a_pk, b_pk]
    assert AuditRecord.objects.get(action="exams.edit_question").changes == {"images": [[b_pk, a_pk], [a_pk, b_pk]]}


def test_a_question_takes_only_pictures_of_its_own_bank():
    elsewhere = ex.bank()
    a_pk, _b_pk, _question = _written_b_then_a(elsewhere)
    with pytest.raises(UserError):
        services.add_question(None, ex.bank(level=4), ex.question("judge", stem="借图", images=[a_pk]))


# ---------------------------------------------------------------- the migration


def test_the_migration_carries_every_link_over_in_the_order_shown_until_now():
    """0009's carry_over(), given the links of the automatic table as they were, numbers each
    version's pictures in the order they were shown until now (by picture pk); undoing it
    puts every link back."""
    migration = import_module("jingsai.exams.migrations.0009_question_version_image")
    bank = ex.bank()
    a_pk, b_pk, pictured = _written_b_then_a(bank)
    one = Question.objects.get(bank=bank, current__stem="看图一")
    apps = ex.apps_after("0009_question_version_image")
    old = apps.get_model("exams", "QuestionVersion").images.through
    links = apps.get_model("exams", "QuestionVersionImage")
    links.objects.all().delete()  # as before the migration: only the old table
    ex.create_table(old)
    old.objects.bulk_create([old(questionversion_id=pictured.current_id, questionimage_id=b_pk),
                             old(questionversion_id=pictured.current_id, questionimage_id=a_pk),
                             old(questionversion_id=one.current_id, questionimage_id=a_pk)])
    editor = type("Editor", (), {"connection": connection})()

    migration.carry_over(apps, editor)
    assert list(links.objects.order_by("version_id", "position")
                .values_list("version_id", "image_id", "position")) == sorted([
                    (pictured.current_id, a_pk, 0), (pictured.current_id, b_pk, 1), (one.current_id, a_pk, 0)])
    assert old.objects.count() == 3  # the old table goes only in 0010

    old.objects.all().delete()
    migration.carry_back(apps, editor)
    assert sorted(old.objects.values_list("questionversion_id", "questionimage_id")) == sorted([
        (pictured.current_id, a_pk), (pictured.current_id, b_pk), (one.current_id, a_pk)])


def test_a_versions_pictures_are_read_without_joining_the_question_and_its_bank():
    """Regression: QuestionVersionImage was ordered by ["version", "position"], and ordering
    by a relation orders by that model's own ordering (the version's question, then the
    question's bank): every read of a version's pictures, and every prefetch of them for a
    list (the API's questions, a practice round), joined three more tables and sorted on the
    bank's occupation and level, to order the pictures of a single version."""
    from django.test.utils import CaptureQueriesContext

    from jingsai.exams.models import QuestionVersion, picture_links

    bank = ex.bank()
    a_pk, b_pk, question = _written_b_then_a(bank)
    with CaptureQueriesContext(connection) as queries:
        assert [p.pk for p in question.current.pictures()] == [b_pk, a_pk]
        versions = list(QuestionVersion.objects.filter(question__bank=bank).prefetch_related(picture_links()))
    assert {v.question_id: [p.pk for p in v.pictures()] for v in versions}[question.pk] == [b_pk, a_pk]
    read = [q["sql"] for q in queries if "exams_questionversionimage" in q["sql"]]
    assert len(read) == 2 and not [sql for sql in read if "exams_bank" in sql or "exams_question\"" in sql], read
