"""What a results step in flight makes others wait for, on PostgreSQL: not another
competition of the same host, nor anything that refers to the host organization; still
another step of the same stage. Tests named "Regression" failed before the fix their
docstring describes."""

import pytest
from django.db import OperationalError, connection

from jingsai.accounts.models import Role
from jingsai.competitions.services import transition
from jingsai.results import services
from tests import factories
from tests.locks import InFlight, without_waiting
from tests.results import factories as rf

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks are PostgreSQL's"),
]


@pytest.fixture
def computing():
    """Two competitions of one host in progress, scored; the first one's results being
    computed."""
    orgs = factories.tree()
    first, second = (rf.competition(orgs["A"], status="in_progress") for _ in range(2))
    for competition in (first, second):
        rf.scored(competition, [(90, 90), (80, 85)], unit=orgs["unit_a"])
    in_flight = InFlight(lambda: services.compute(None, first.stages.get()))
    yield orgs, first, second
    in_flight.release()


def test_another_competition_of_the_host_computes_its_results_meanwhile(computing):
    """Regression: a results step locked the host organization's row FOR UPDATE
    (select_for_update() through select_related()), so every competition of a host waited
    for any other's compute, publish or finalize."""
    _orgs, _first, second = computing
    done = without_waiting(lambda: services.compute(None, second.stages.get()))
    assert not isinstance(done, OperationalError), done
    moved = without_waiting(lambda: transition(factories.actor(), second, "scoring"))
    assert not isinstance(moved, OperationalError), moved


def test_the_host_can_be_referred_to_meanwhile(computing):
    """Regression: with the host's row locked FOR UPDATE, giving a role there, adding an
    organization under it or hosting a new competition there waited for the results step
    (each one's foreign key takes a key-share lock on the host's row)."""
    orgs, _first, _second = computing
    host = orgs["A"]
    for call in (lambda: factories.user(role=Role.ORGANIZER, org=host),
                 lambda: factories.org("NEWUNIT", parent=host),
                 lambda: rf.competition(host)):
        result = without_waiting(call)
        assert not isinstance(result, OperationalError), result


def test_another_step_of_the_same_stage_waits(computing):
    _orgs, first, _second = computing
    assert isinstance(without_waiting(lambda: services.compute(None, first.stages.get())), OperationalError)
    assert isinstance(without_waiting(lambda: transition(factories.actor(), first, "scoring")), OperationalError)
