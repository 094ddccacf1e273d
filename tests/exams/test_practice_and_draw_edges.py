"""Practice statistics and access, the blueprint draw and fixed papers' checks. Tests named
"Regression" failed before the fix their docstring describes."""

import datetime
import json
import random

import pytest
from django.db import connection
from django.utils import timezone

from jingsai.accounts.models import Role
from jingsai.core.errors import Rejected, UserError
from jingsai.exams import services
from jingsai.exams.models import ExamSession, PracticeItem, PracticeSet
from tests import factories
from tests.exams import factories as ex

pytestmark = pytest.mark.django_db


def _add(bank, qtype="single", kp="焊接安全", difficulty=3, **fields):
    return services.add_question(factories.actor(), bank, ex.question(qtype, kp=kp, difficulty=difficulty, **fields))


def _right(version):
    return {"single": lambda: next(k for k, f in version.answer.items() if f == "1"),
            "multiple": lambda: list(version.answer), "judge": lambda: version.answer,
            "fill": lambda: [b[0]["text"] for b in version.answer],
            "short": lambda: "先切断电源"}[version.type]()


def _wrong(version):
    return {"single": "Z", "multiple": ["Z"], "judge": not version.answer, "fill": ["不对"]}[version.type]


def _practise(worker, bank, count, respond):
    """A practice round of `count` questions, each answered with respond(version)."""
    practice = services.start_practice(worker, bank, count=count)
    for item in practice.items.select_related("version"):
        services.answer_practice(worker, item, respond(item.version))
    return practice


# ---------------------------------------------------------------- the blueprint draw


def test_a_blueprint_accepted_when_saved_starts_for_every_candidate():
    """Regression: the draw (draw._fill) was greedy, and shortages() broke ties by question id
    while draw() broke them at random. Here the bank can fill the paper (kp 甲 ×1,
    difficulty 1 ×2, difficulty 2 ×1 from four questions) and save_paper() accepted it, yet
    about half the candidates' draws picked the 甲/difficulty-1 question for the first
    section and then found the difficulty-1 section one short: the start failed with "the
    exam cannot start". Now, when the preferences leave a section short, questions are
    passed between sections along an augmenting path (draw._reassign): a paper accepted at
    save time is drawn for every candidate."""
    orgs = factories.tree()
    competition = factories.competition(host=orgs["union"])
    bank = ex.bank(owner=orgs["union"])
    _add(bank, kp="甲", difficulty=2)
    _add(bank, kp="甲", difficulty=1)
    _add(bank, kp="乙", difficulty=1)
    _add(bank, kp="乙", difficulty=2)
    paper = ex.paper(competition, bank, [
        {"type": "single", "knowledge_point": "甲", "count": 1, "points": "5"},
        {"type": "single", "difficulty": 1, "count": 2, "points": "5"},
        {"type": "single", "difficulty": 2, "count": 1, "points": "5"},
    ])  # accepted: the bank can fill it
    assert services.paper_shortages(paper) == []
    failed = []
    for seed in range(30):
        try:
            services.draw_paper(paper, random.Random(seed))
        except UserError as error:
            failed.append((seed, error.message))
    assert failed == [], f"{len(failed)} of 30 candidates could not start: {failed[0]}"


def test_a_blueprint_the_bank_can_fill_is_accepted():
    """Regression: the same greedy fill, the other way round: shortages() filled the sections
    greedily (narrowest first, ties by id) and reported a shortage where an assignment
    exists. Five questions, sections 乙 ×3, difficulty 3 ×1, 甲 ×1: 乙 = {q0, q2, q3},
    difficulty 3 = {q4}, 甲 = {q1} fills it, but the check gave q0 to the difficulty-3 section
    and then said the 乙 section could have only 2. The check now uses the same exact
    assignment as the draw, and the paper is saved."""
    orgs = factories.tree()
    competition = factories.competition(host=orgs["union"])
    bank = ex.bank(owner=orgs["union"])
    _add(bank, kp="乙", difficulty=3)  # q0
    _add(bank, kp="甲", difficulty=1)  # q1
    _add(bank, kp="乙", difficulty=2)  # q2
    _add(bank, kp="乙", difficulty=1)  # q3
    _add(bank, kp="甲", difficulty=3)  # q4
    sections = [
        {"type": "single", "knowledge_point": "乙", "count": 3, "points": "5"},
        {"type": "single", "difficulty": 3, "count": 1, "points": "5"},
        {"type": "single", "knowledge_point": "甲", "count": 1, "points": "5"},
    ]
    try:
        ex.paper(competition, bank, sections)
    except Rejected as rejected:
        pytest.fail("a paper the bank can fill was refused: " + "; ".join(str(p.message)
                                                                          for p in rejected.problems))


def test_a_fixed_paper_with_a_question_retired_since_says_so():
    """Regression: draw_paper() (fixed branch) copied the section's question ids as they were
    saved, _current_versions() never looked at is_active, and paper_shortages() returned []
    for every fixed paper. A question retired after the paper was saved (because it is
    wrong, say) was still put in front of every candidate, and neither the paper page nor
    the API warned. Now the paper page, the session page and the API's shortages name it."""
    orgs = factories.tree()
    competition = factories.competition(host=orgs["union"])
    bank = ex.bank(owner=orgs["union"])
    first, second = _add(bank), _add(bank)
    paper = ex.paper(competition, bank, [{"type": "single", "points": "5",
                                          "questions": [first.number, second.number]}], kind="fixed")
    services.set_question_active(factories.actor(), first, False, reason="答案有误")
    assert str(first.number) in services.paper_shortages(paper)[0]  # the paper still shows it, and says so
    # The paper's page, its session's page and the API say so.
    from django.test import Client

    client = Client()
    from jingsai.accounts.models import Role

    client.force_login(factories.user(role=Role.ORGANIZER, org=orgs["union"]))
    session = ex.session(competition, paper)
    for page in (f"/work/exams/papers/{paper.pk}/", f"/work/exams/sessions/{session.pk}/"):
        shown = client.get(page).content.decode()
        assert "停用" in shown and str(first.number) in shown, page
    assert client.get(f"/api/exams/papers/{paper.pk}").json()["shortages"]


def test_a_fixed_paper_listing_a_circled_number_gets_a_message_not_a_crash():
    """Regression: _clean_sections() tested `str(number).isdigit()`, which is true for ①②③ (and
    ²), which int() refuses, so question numbers typed as ①, common in Chinese text, raised
    ValueError (a server error on the paper form) instead of naming the bad number. Numbers
    are now read only from ASCII digits, and the paper is refused with a message naming ①."""
    orgs = factories.tree()
    competition = factories.competition(host=orgs["union"])
    bank = ex.bank(owner=orgs["union"])
    _add(bank)
    with pytest.raises(Rejected):
        ex.paper(competition, bank, [{"type": "single", "points": "5", "questions": ["①"]}], kind="fixed")


# ---------------------------------------------------------------- practice statistics


@pytest.fixture
def practice_world():
    orgs = factories.tree()
    bank = ex.bank(owner=orgs["union"])
    return {"orgs": orgs, "bank": bank, "worker": factories.person(employer=orgs["unit_a"])}


def test_practice_accuracy_does_not_count_short_answers_as_wrong(practice_world):
    """Regression: practice_activity() counted every answered item in answers=Count("pk") and
    the right ones in correct=Count(correct=True); a short answer is answered but has no
    verdict (correct=None, answer_practice()), so it lowered the unit's accuracy as if it
    were wrong. A worker who got the one checkable question right and wrote a short answer
    showed 50.0%. Accuracy is now over the answers that were checked (100.0%)."""
    bank, worker = practice_world["bank"], practice_world["worker"]
    _add(bank, "single", kp="甲")
    _add(bank, "short", kp="甲")
    _practise(worker, bank, 2, _right)
    (row,) = services.practice_activity(PracticeItem.objects.all())
    assert row["accuracy"] == 100, row


def test_practice_statistics_count_answers_by_when_they_were_given(practice_world):
    """Regression: views.py _activity_items() and api.py _visible_practice() narrowed by the
    round's created_at, not by when each answer was given: a round begun 10 days ago and
    answered today did not count in "the last 7 days" (and its answers never counted in any
    period that held the day they were given). The period now selects answers by
    answered_at, as practice_daily() does."""
    bank, worker, orgs = practice_world["bank"], practice_world["worker"], practice_world["orgs"]
    _add(bank, "single")
    practice = services.start_practice(worker, bank, count=1)
    PracticeSet.objects.filter(pk=practice.pk).update(created_at=timezone.now() - datetime.timedelta(days=10))
    item = practice.items.select_related("version").get()
    services.answer_practice(worker, item, _right(item.version))  # today
    organizer = factories.user(role=Role.ORGANIZER, org=orgs["union"])
    rows = ex.logged_in(organizer).get("/api/exams/practice/stats?days=7").json()["rows"]
    assert [(r["name"], r["answers"]) for r in rows] == [("甲企业", 1)]


def test_a_wrong_answer_review_for_one_knowledge_point_draws_from_it_alone(practice_world):
    """Regression: in WRONG_BOOK mode start_practice() drew from every unmastered wrong answer
    of the bank; the knowledge point asked for (the practice page sends it with the mode) was
    ignored, yet stored on the round. Reviewing "甲" brought 乙's questions, and the round was
    listed as a 甲 round. The review now keeps to the point chosen."""
    bank, worker = practice_world["bank"], practice_world["worker"]
    _add(bank, "judge", kp="甲")
    _add(bank, "judge", kp="乙")
    _practise(worker, bank, 2, _wrong)
    point = bank.knowledge_points.get(name="甲")
    review = services.start_practice(worker, bank, knowledge_point=point, mode="wrong", count=10)
    points = {item.version.knowledge_point.name for item in review.items.select_related("version__knowledge_point")}
    assert points == {"甲"}, points


# ---------------------------------------------------------------- practice answers during an exam


def test_checking_an_answered_practice_question_again_during_an_exam_gives_nothing_away():
    """Regression: answer_practice() returned an item already answered before it checked that
    the bank was still open and no exam drawn from it was under way, and the API and the page
    then sent the right answer and explanation. A worker who practised yesterday could
    re-post the same position during today's exam (or after the bank closed) and get the
    answers that the round page and the wrong-answer book keep back. Now nothing of the
    right answer or explanation is sent while services.practice_answers_kept() holds for
    the bank."""
    world = ex.exam(n_candidates=1)
    session, bank = world["session"], world["bank"]
    worker = factories.person(employer=world["orgs"]["unit_b"])
    user = factories.user(person=worker)
    opens = session.opens_at
    ExamSession.objects.filter(pk=session.pk).update(opens_at=timezone.now() + datetime.timedelta(hours=1))
    practice = services.start_practice(worker, bank, count=50)  # the day before
    item = practice.items.select_related("version").filter(version__type="single").first()
    services.answer_practice(worker, item, _wrong(item.version))
    ExamSession.objects.filter(pk=session.pk).update(opens_at=opens)  # the exam is under way
    assert services.practice_answers_kept([bank])
    client = ex.logged_in(user)
    api = client.post(f"/api/exams/practice/{practice.pk}/answers",
                      data=json.dumps({"position": item.position, "response": "A"}), content_type="application/json")
    page = client.post(f"/work/exams/practice/{practice.pk}/answer/{item.position}/", {"q": "A"})
    assert (api.status_code, page.status_code) == (400, 400), (api.content, page.content)  # refused, as practice is
    assert "answer" not in api.json() and "right-answer" not in page.content.decode()



@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="a race between two transactions")
def test_a_practice_round_started_while_a_question_is_edited_shows_the_options_as_edited():
    """Regression: a practice round read the options of the versions it drew without any
    lock, and an edit of a question nobody had seen yet (in place, as no version is kept for
    what nobody saw) that took an option away while a round started left the round holding
    the letter of an option that no longer existed; its page failed. The round now reads the
    versions under the lock an edit waits for, and waits for an edit in progress."""
    bank = ex.bank()
    question = services.add_question(factories.actor(), bank, ex.question("single", answer="A"))
    person = factories.person()
    # What edit_question() holds once it has locked the version and changed it in place (no
    # round or attempt showed it yet), before it commits: option D taken away.
    with ex.held_by_another_transaction(
            ("SELECT 1 FROM exams_questionversion WHERE id = %s FOR UPDATE", [question.current_id]),
            ("UPDATE exams_questionversion SET options = options - 3 WHERE id = %s", [question.current_id])):
        practice = services.start_practice(person, bank, count=1)
    item = practice.items.get()
    assert sorted(item.option_order) == ["A", "B", "C"]
