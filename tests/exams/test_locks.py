"""Row locks that keep concurrent work apart, on PostgreSQL (SQLite runs one writer at a
time): an edit and a start of the same question version wait for each other; two changes
of one candidate's extra time wait for each other without deadlocking a hand-in; a start
waits for its stage's results being made final; a void waits for a step of the
competition and for the stage's results being made final."""

import threading

import psycopg
import pytest
from django.db import OperationalError, connection, transaction
from django.utils import timezone

from jingsai.exams import services
from jingsai.exams.models import Question, QuestionVersion
from tests import factories
from tests.exams import factories as ex

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks are PostgreSQL's"),
]


def _waits_while_held(lock_sql, params, call):
    """Whether `call` waits for a lock that a second connection holds (lock_sql): it must
    give up after 300 ms. The second connection then lets go."""
    other = psycopg.connect(**ex.second_connection_params())
    try:
        other.execute(lock_sql, params)
        with pytest.raises(OperationalError), transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL lock_timeout = '300ms'")
            call()
    finally:
        other.rollback()
        other.close()


def test_an_edit_waits_for_a_start_that_is_storing_the_version_it_would_change_in_place():
    bank = ex.bank()
    question = services.add_question(None, bank, ex.question("judge", stem="焊前检查接地。"))
    version_id = Question.objects.get(pk=question.pk).current_id
    data = services.question_data(Question.objects.get(pk=question.pk).current)
    data.stem = "焊前必须检查接地。"
    # What a start's INSERT of an attempt item takes on the version it refers to, until it commits.
    _waits_while_held("SELECT 1 FROM exams_questionversion WHERE id = %s FOR KEY SHARE", [version_id],
                      lambda: services.edit_question(None, question, data, reason="勘误"))
    assert Question.objects.get(pk=question.pk).current.stem == "焊前检查接地。"
    assert services.edit_question(None, question, data, reason="勘误").stem == "焊前必须检查接地。"


def test_a_start_waits_for_an_edit_in_progress_and_shows_what_the_edit_stored():
    world = ex.exam()
    user, _entry = world["candidates"][0]
    versions = list(QuestionVersion.objects.filter(question__bank=world["bank"]).values_list("pk", flat=True))
    other = psycopg.connect(**ex.second_connection_params())
    try:
        # What edit_question does to a version nobody has seen yet: lock it, then change it in place.
        other.execute("SELECT 1 FROM exams_questionversion WHERE id = ANY(%s) FOR UPDATE", [versions])
        other.execute("UPDATE exams_questionversion SET stem = stem || '（修订）' WHERE id = ANY(%s)", [versions])
        committer = threading.Timer(0.5, other.commit)
        committer.start()
        attempt = services.start(user, world["session"])
        committer.join()
    finally:
        other.close()
    first_view = [item["stem"] for item in services.attempt_state(attempt)["items"]]
    assert first_view and all(stem.endswith("（修订）") for stem in first_view)
    stored = [item["stem"] for item in services.attempt_state(attempt)["items"]]
    assert stored == first_view


def test_extra_time_for_a_candidate_waits_for_another_change_to_the_same_candidate():
    world = ex.exam()
    _user, entry = world["candidates"][0]
    # An allowance already there: changing it is an UPDATE, which no foreign-key check makes wait.
    services.set_allowance(ex.factories.actor(), world["session"], entry, 5, reason="初设")
    # What another set_allowance for the same candidate holds until it commits.
    _waits_while_held("SELECT 1 FROM registration_entry WHERE id = %s FOR NO KEY UPDATE", [entry.pk],
                      lambda: services.set_allowance(ex.factories.actor(), world["session"], entry, 10, reason="听障"))
    assert services.set_allowance(ex.factories.actor(), world["session"], entry, 10, reason="听障").extra_minutes == 10


def test_extra_time_through_one_of_a_persons_entries_waits_for_a_change_through_another():
    """Regression: extra time follows the person (allowance_for), so a change given through
    an advanced candidate's final entry moves a running attempt by the difference from what
    the qualifier entry gave; but it locked only its own entry, so a change through the
    qualifier entry at the same moment read the same "before" and both moved the attempt.
    It now locks every entry of the person, in order."""
    w = ex.two_stage_exam()  # open to every stage
    advanced = factories.person(employer=w.orgs["unit_a"])
    qualifier_entry = factories.entry(w.competition, advanced, stage=w.qualifier, number=1)
    final_entry = factories.entry(w.competition, advanced, stage=w.final, number=1)
    _waits_while_held("SELECT 1 FROM registration_entry WHERE id = %s FOR NO KEY UPDATE", [qualifier_entry.pk],
                      lambda: services.set_allowance(ex.factories.actor(), w.session, final_entry, 10, reason="听障"))
    assert services.set_allowance(ex.factories.actor(), w.session, final_entry, 10, reason="听障").extra_minutes == 10


def test_extra_time_and_a_hand_in_that_records_the_first_score_do_not_deadlock():
    world = ex.exam()
    user, entry = world["candidates"][0]
    attempt = services.start(user, world["session"], device="d")
    other = psycopg.connect(**ex.second_connection_params())
    failures = []
    try:
        # A hand-in under way holds the attempt; extra time for the same candidate locks the
        # entry, then waits for the attempt.
        other.execute("SELECT 1 FROM exams_attempt WHERE id = %s FOR UPDATE", [attempt.pk])

        def first_score():
            # The hand-in then stores the entry's first score: its foreign key takes KEY SHARE
            # on the entry, which a FOR UPDATE there would have blocked: a deadlock.
            try:
                other.execute("SELECT 1 FROM registration_entry WHERE id = %s FOR KEY SHARE", [entry.pk])
                other.commit()
            except psycopg.Error as error:
                failures.append(error)
                other.rollback()

        timer = threading.Timer(0.5, first_score)
        timer.start()
        services.set_allowance(ex.factories.actor(), world["session"], entry, 10, reason="听障")
        timer.join()
    finally:
        other.close()
    assert not failures
    attempt.refresh_from_db()
    assert attempt.deadline == attempt.started_at + timezone.timedelta(minutes=70)


def test_a_start_waits_for_the_stages_results_being_made_final():
    world = ex.exam()
    user, entry = world["candidates"][0]
    # What results.services.finalize holds on the stage while it checks and records.
    _waits_while_held("SELECT 1 FROM competitions_stage WHERE id = %s FOR UPDATE", [entry.stage_id],
                      lambda: services.start(user, world["session"], device="d"))
    assert services.start(user, world["session"], device="d").status == "in_progress"


def test_a_void_waits_for_a_competition_step_or_a_finalization_in_flight_and_then_sees_it():
    """Regression: a void read the competition's status and whether the stage's results
    were final without a lock, so it could commit in the middle of the step to scoring or
    of the finalization: the score cleared and no new attempt possible."""
    from jingsai.competitions.models import Competition
    from jingsai.core.errors import UserError

    world = ex.exam_with_organizer(n_candidates=1)
    user, entry = world["candidates"][0]
    attempt = services.start(user, world["session"], device="d")
    # What competitions.services.transition and results.services.finalize hold.
    for held, params in (("SELECT 1 FROM competitions_competition WHERE id = %s FOR UPDATE", [entry.competition_id]),
                         ("SELECT 1 FROM competitions_stage WHERE id = %s FOR UPDATE", [entry.stage_id])):
        _waits_while_held(held, params, lambda: services.void_attempt(world["organizer"], attempt, reason="死机"))
    other = psycopg.connect(**ex.second_connection_params())
    try:  # the step to scoring, as transition() makes it
        other.execute("SELECT 1 FROM competitions_competition WHERE id = %s FOR UPDATE", [entry.competition_id])
        other.execute("UPDATE competitions_competition SET status = 'scoring' WHERE id = %s", [entry.competition_id])
        commit = threading.Timer(0.5, other.commit)
        commit.start()
        with pytest.raises(UserError) as refused:
            services.void_attempt(world["organizer"], attempt, reason="死机")
        assert refused.value.code == "closed"
        commit.join()
    finally:
        other.close()
    assert Competition.objects.get(pk=entry.competition_id).status == "scoring"
