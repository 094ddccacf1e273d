"""What a mark in flight makes others wait for, on PostgreSQL (SQLite runs one writer at a
time): not another judge's mark of another contestant, nor a worker or an entry being added
to the contestant's unit; still a mark of the same contestant, a step of the competition and
the stage's results being worked on, so no mark lands after marking has closed. Tests named
"Regression" failed before the fix their docstring describes."""

import threading

import pytest
from django.db import OperationalError, connection

from jingsai.competitions.models import Competition
from jingsai.competitions.services import transition
from jingsai.core.errors import UserError
from jingsai.judging.services import marking, venue
from tests import factories
from tests.judging import factories as jf
from tests.locks import InFlight, without_waiting

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks are PostgreSQL's"),
]


@pytest.fixture
def marking_one(w):
    """Judge 1's mark of the first contestant, in flight."""
    first, second = jf.contestants(w.stage)[:2]
    aspect = jf.aspect(w, "A1")
    in_flight = InFlight(lambda: marking.record_mark(w.judges[0].user, first, aspect, "10"))
    yield w, first, second, aspect
    in_flight.release()


def test_two_judges_mark_two_contestants_at_once(marking_one):
    """Regression: each mark locked the competition's row FOR UPDATE (select_for_update()
    through select_related()), so every mark of a competition waited for the one before."""
    w, _first, second, aspect = marking_one
    result = without_waiting(lambda: marking.record_mark(w.judges[1].user, second, aspect, "10"))
    assert not isinstance(result, OperationalError), result
    assert result[1] == "created"


def test_a_worker_and_an_entry_of_the_contestants_unit_can_be_added_while_it_is_marked(marking_one):
    """Regression: a mark locked the unit's row FOR UPDATE too, and adding a worker or an
    entry of that unit (whose foreign key takes a key-share lock on it) waited for it."""
    w, first, _second, _aspect = marking_one
    unit = first.entry.unit
    worker = without_waiting(lambda: factories.person(employer=unit))
    assert not isinstance(worker, OperationalError), worker
    added = without_waiting(lambda: factories.entry(w.competition, worker, unit=unit, status="submitted"))
    assert not isinstance(added, OperationalError), added


def test_a_mark_of_the_same_contestant_waits(marking_one):
    w, first, _second, aspect = marking_one
    assert isinstance(without_waiting(lambda: marking.record_mark(w.judges[1].user, first, aspect, "10")),
                      OperationalError)


def test_a_step_of_the_competition_waits_for_a_mark_in_flight(marking_one):
    """A mark checks that marking is open; the step to publicity must not slip in between
    that check and the mark's commit."""
    w, _first, _second, _aspect = marking_one
    assert isinstance(without_waiting(lambda: transition(w.actor, w.competition, "scoring")), OperationalError)


def test_a_mark_waits_for_a_step_of_the_competition_in_flight_and_then_sees_it(w):
    first = jf.contestants(w.stage)[0]
    aspect = jf.aspect(w, "A1")
    # What transition() holds until it commits: the competition's row, changed.
    in_flight = InFlight(lambda: Competition.objects.filter(pk=w.competition.pk).update(status="final"))
    try:
        assert isinstance(without_waiting(lambda: marking.record_mark(w.judges[0].user, first, aspect, "10")),
                          OperationalError)
        threading.Timer(0.5, in_flight.release).start()
        with pytest.raises(UserError) as refused:
            marking.record_mark(w.judges[0].user, first, aspect, "10")
        assert refused.value.code == "status"
    finally:
        in_flight.release()


def test_check_in_uses_the_same_lock(w):
    """venue's changes of a contestant lock as marks do: a check-in of one contestant does
    not wait for a mark of another."""
    contestants = jf.contestants(w.stage)
    aspect = jf.aspect(w, "A1")
    in_flight = InFlight(lambda: marking.record_mark(w.judges[0].user, contestants[0], aspect, "10"))
    try:
        locked = without_waiting(lambda: venue.lock_contestant(contestants[1].pk))
        assert not isinstance(locked, OperationalError), locked
        assert isinstance(without_waiting(lambda: venue.lock_contestant(contestants[0].pk)), OperationalError)
    finally:
        in_flight.release()


def test_a_mark_waiting_for_a_draw_holds_no_contestant_the_draw_needs(w):
    """Regression: a mark locked its contestant first and then waited for the stage, while a
    draw (or a re-marking) holds the stage and then locks contestants: each waited for the
    other until PostgreSQL broke the deadlock by failing one of them."""
    import psycopg

    from tests.exams.factories import second_connection_params

    first = jf.contestants(w.stage)[0]
    aspect = jf.aspect(w, "A1")
    other = psycopg.connect(**second_connection_params())
    try:
        other.execute("SELECT 1 FROM competitions_stage WHERE id = %s FOR UPDATE", [w.stage.pk])  # the draw begins
        outcome = {}

        def mark():
            try:
                outcome["mark"] = marking.record_mark(w.judges[0].user, first, aspect, "10")[1]
            except Exception as error:  # handed to the test
                outcome["mark"] = error
            finally:
                connection.close()

        thread = threading.Thread(target=mark)
        thread.start()
        thread.join(0.5)  # the mark is waiting for the stage by now
        other.execute("SET lock_timeout = '3s'")
        other.execute("SELECT 1 FROM judging_contestant WHERE id = %s FOR UPDATE", [first.pk])  # the draw goes on
        other.commit()
        thread.join(20)
    finally:
        other.close()
    assert outcome["mark"] == "created", outcome
