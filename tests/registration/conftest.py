import pytest

from jingsai.accounts.models import Role
from tests import factories
from tests.registration import factories as reg


@pytest.fixture
def city(db):
    """The test city, an open competition hosted by district A, and its people: an
    organizer of district A (the host), a unit contact of enterprise A, a worker there."""
    orgs = factories.tree()
    competition = reg.open_competition(orgs["A"])
    worker_person = factories.person(employer=orgs["unit_a"], name="甲工人")
    return {
        **orgs,
        "competition": competition,
        "stage": competition.stages.get(),
        "organizer": factories.user("host", role=Role.ORGANIZER, org=orgs["A"]),
        "contact": factories.user("contact", role=Role.UNIT_CONTACT, org=orgs["unit_a"]),
        "worker": factories.user("worker", person=worker_person),
        "worker_person": worker_person,
    }
