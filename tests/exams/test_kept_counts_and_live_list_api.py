"""A practice round whose answers are kept back does not count its right answers either
(page, home page, API); the live list through the API names each row's stage and entry
id. Tests named "Regression" failed before the fix their docstring describes."""

import pytest
from django.urls import reverse

from jingsai.accounts.models import Role
from jingsai.exams import services
from tests import factories
from tests.exams import factories as ex

pytestmark = pytest.mark.django_db


def _right(item):
    version = item.version
    return {"single": lambda: next(k for k, f in version.answer.items() if f == "1"),
            "multiple": lambda: list(version.answer), "judge": lambda: version.answer,
            "fill": lambda: [b[0]["text"] for b in version.answer]}[version.type]()


def _answered_then_closed(qtype, answer):
    """A one-question practice round of `qtype`, answered with answer(item) while the bank
    was open; then the bank is closed to practice (its questions kept for an exam)."""
    orgs = factories.tree()
    bank = ex.bank(owner=orgs["union"])
    ex.fill_bank(bank, per_type=2)
    services.add_question(factories.actor(), bank, ex.question(qtype, kp="关闭前"))
    worker = factories.person(employer=orgs["unit_a"])
    practice = services.start_practice(worker, bank, knowledge_point=bank.knowledge_points.get(name="关闭前"),
                                       count=1)
    item = practice.items.select_related("version").get()
    answered = services.answer_practice(worker, item, answer(item))
    services.update_bank(None, bank, practice_open=False)
    client = ex.logged_in(factories.user(person=worker))
    return practice, answered, client, bank


@pytest.fixture
def kept_round():
    """A one-question round answered right, then its bank closed to practice."""
    practice, answered, client, bank = _answered_then_closed("single", _right)
    assert answered.correct is True
    return {"practice": practice, "client": client, "bank": bank}


def test_a_kept_round_does_not_say_through_the_api_how_many_answers_were_right(kept_round):
    """Regression: practice_answers_kept() hid each item's verdict, but the API still gave the
    round's `correct` count beside `answers_kept: true`. For a one-question round (or by
    comparing two rounds) that count is the verdict: correct == 1 says the response shown is
    the right answer."""
    practice = kept_round["practice"]
    body = kept_round["client"].get(f"/api/exams/practice/{practice.pk}").json()
    assert body["answers_kept"] is True
    (answered,) = [i for i in body["items"] if i.get("response") is not None]
    assert answered["correct"] is None  # the item's verdict is kept back ...
    assert body["correct"] is None  # ... and so is the round's count of right answers


def test_a_kept_round_does_not_say_on_its_page_how_many_answers_were_right(kept_round):
    """Regression: The same on the page: practice_round.html's footer prints "答对 1 题，已答 1 题" from
    practice.correct while every item says the verdict is kept back; the practice home page
    (recent rounds, and the 'answered right' total) does the same."""
    practice = kept_round["practice"]
    page = kept_round["client"].get(reverse("exams:practice_round", args=[practice.pk])).content.decode()
    assert "不显示正确答案和解析" in page  # the item keeps its verdict back ...
    assert "答对 1 题" not in page  # ... and so does the round's footer
    home = kept_round["client"].get(reverse("exams:practice")).content.decode()
    assert "答对 1 题" not in home


def test_the_live_list_through_the_api_names_each_rows_stage():
    """Regression: the page's live list named each row's stage in a session open to every
    stage (entry numbers repeat from stage to stage), but the API's live list gave only the
    entry number: two rows both said entry 1, and an API client could not tell which
    candidate was which, nor which entry id the allowance call wanted."""
    w = ex.two_stage_exam()  # open to every stage
    orgs, competition, qualifier, final, session = w.orgs, w.competition, w.qualifier, w.final, w.session
    stayed, advanced = factories.person(employer=orgs["unit_a"]), factories.person(employer=orgs["unit_a"])
    factories.entry(competition, stayed, stage=qualifier, number=1)
    factories.entry(competition, advanced, stage=qualifier, number=2)
    factories.entry(competition, advanced, stage=final, number=1)
    client = ex.logged_in(factories.user("jiankao9", role=Role.INVIGILATOR, competition=competition))
    page = client.get(f"/work/exams/sessions/{session.pk}/monitor/").content.decode()
    assert "区级选拔赛" in page and "市级决赛" in page  # the page names them
    rows = client.get(f"/api/exams/sessions/{session.pk}/monitor").json()["items"]
    assert [row["entry"] for row in rows] == [1, 1]
    assert all("stage" in row for row in rows), rows
    assert {row["stage"] for row in rows} == {"qualifier", "final"}
    # The entry id it gives is what the allowance call takes (the number would be ambiguous).
    final_row = next(row for row in rows if row["stage"] == "final")
    given = client.post(f"/api/exams/sessions/{session.pk}/allowances", content_type="application/json",
                        data={"entry": final_row["entry_id"], "minutes": 10, "reason": "听障考生"})
    assert given.status_code == 200, given.content
    from jingsai.exams.models import Allowance

    assert Allowance.objects.get().entry.person == advanced and Allowance.objects.get().entry.stage == final



def test_the_wrong_answer_book_does_not_give_away_the_verdict_of_a_kept_round():
    """Regression: while a bank kept its answers back, the wrong-answer book (page and API)
    still listed each question of a round answered wrong, beside the round's view that gives
    the response: for a true-or-false question the two together are the right answer."""
    practice, answered, client, bank = _answered_then_closed("judge", lambda item: not item.version.answer)
    assert answered.correct is False
    round_view = client.get(f"/api/exams/practice/{practice.pk}").json()
    assert round_view["answers_kept"] is True and round_view["correct"] is None
    assert round_view["items"][0]["response"] is not None  # the response shows ...
    wrong = client.get("/api/exams/practice/wrong").json()
    assert [w for w in wrong["entries"] if w["bank"] == bank.pk] == []  # ... and so, here, does its verdict
    assert wrong["held"] == [{"bank": bank.pk, "name": bank.name, "count": 1}]
    page = client.get("/work/exams/practice/wrong/").content.decode()
    assert f'id="held-{bank.pk}"' in page and "right-answer" not in page


def test_the_wrong_answer_book_leaves_out_held_entries_before_it_counts_or_cuts():
    """Regression: the API took the newest 500 entries first and then left out the held
    ones, so a worker with many held entries got an empty or short book while open ones
    existed; it did not say how many were held either. The practice page's count of the
    book included the held entries the book itself does not show."""
    from django.utils import timezone

    from jingsai.exams.models import WrongAnswer

    _practice, _answered, client, closed = _answered_then_closed("judge", lambda item: not item.version.answer)
    worker = WrongAnswer.objects.get().person
    orgs_union = closed.owner
    open_bank = ex.bank(owner=orgs_union, level=4, name="开放题库")
    ex.fill_bank(open_bank, per_type=2)
    older = timezone.now() - timezone.timedelta(days=3)
    for question in open_bank.questions.all()[:3]:
        WrongAnswer.objects.create(person=worker, question=question, last_wrong_at=older)
    for question in closed.questions.exclude(pk=WrongAnswer.objects.get(question__bank=closed).question_id)[:4]:
        WrongAnswer.objects.create(person=worker, question=question)  # newer than the open ones
    book = client.get("/api/exams/practice/wrong?limit=3").json()
    assert {w["bank"] for w in book["entries"]} == {open_bank.pk} and len(book["entries"]) == 3
    assert book["held"] == [{"bank": closed.pk, "name": closed.name, "count": 5}]
    assert client.get("/api/exams/practice/wrong?limit=0").status_code == 400
    page = client.get(reverse("exams:practice")).content.decode()
    assert '<span class="badge text-bg-danger">3</span>' in page
    assert services.wrong_count(worker) == 3


def test_the_live_list_api_filters_by_group_and_finds_a_candidate():
    """The API's live list takes the page's filters: a group, and an entry number or a part
    of a name or unit."""
    world = ex.exam(n_candidates=3)
    (first, first_entry), (second, second_entry), _third = world["candidates"]
    services.start(first, world["session"], device="d1")
    services.submit(second, services.start(second, world["session"], device="d2"), device="d2")
    client = ex.logged_in(world["invigilator"])
    url = f"/api/exams/sessions/{world['session'].pk}/monitor"
    assert [r["entry_id"] for r in client.get(url, {"group": "in_progress"}).json()["items"]] == [first_entry.pk]
    assert [r["entry_id"] for r in client.get(url, {"group": "handed_in"}).json()["items"]] == [second_entry.pk]
    assert client.get(url, {"group": "absent"}).json()["count"] == 1
    found = client.get(url, {"q": str(second_entry.number)}).json()["items"]
    assert [r["entry_id"] for r in found] == [second_entry.pk]
    assert [r["name"] for r in client.get(url, {"q": first.person.name}).json()["items"]] == [first.person.name]
    refused = client.get(url, {"group": "everyone"})
    assert refused.status_code == 400 and "in_progress" in refused.json()["detail"]
