import pytest

from jingsai.accounts.models import Role
from tests import factories
from tests.registration import factories as reg


def ensure_groups():
    """The target groups every installation has (a data migration makes them; a browser
    test's flush removes them for the tests after it)."""
    from jingsai.people.models import GroupTag
    from jingsai.people.reference import GROUPS

    for code, name in GROUPS:
        GroupTag.objects.get_or_create(code=code, defaults={"name": name})


@pytest.fixture
def city(db):
    """The test city, an open competition hosted by district A, and its people: an
    organizer of district A (the host), a unit contact of enterprise A, a worker there."""
    ensure_groups()
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
