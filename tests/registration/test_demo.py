"""The registration part of the demo: entries as each competition's state implies, within
the rules, with history for the advanced ones."""

import random
from collections import Counter

import pytest

from jingsai.accounts import demo as accounts_demo
from jingsai.accounts.services import system_user
from jingsai.competitions import demo as competitions_demo
from jingsai.core.demo import DemoContext
from jingsai.orgs import demo as orgs_demo
from jingsai.people import demo as people_demo
from jingsai.registration import demo, services
from jingsai.registration.models import ACTIVE_STATUSES, Entry, EntryStatus
from jingsai.registration.rules import Rules

pytestmark = pytest.mark.django_db


@pytest.fixture
def ctx():
    context = DemoContext(size="small", seed=3, rng=random.Random(3), actor=system_user())
    for module in (orgs_demo, people_demo, accounts_demo, competitions_demo):
        module.load(context)
    demo.load(context)
    return context


def test_entries_follow_each_state(ctx):
    competitions, entries = ctx.data["competitions"], ctx.data["entries"]
    assert entries["eldercare"] == []
    open_mix = Counter(e.status for e in entries["electrician"])
    assert {EntryStatus.SUBMITTED, EntryStatus.UNIT_APPROVED, EntryStatus.APPROVED, EntryStatus.REJECTED} <= set(
        open_mix)
    assert all(e.rejection_reason for e in entries["electrician"] if e.status == EntryStatus.REJECTED)
    assert EntryStatus.UNIT_APPROVED not in {e.status for e in entries["rider"]}  # host-only approval
    for short in ("turner", "auto", "courier", "cook"):
        statuses = Counter(e.status for e in entries[short])
        assert statuses[EntryStatus.APPROVED] > 0.8 * len(entries[short]), short
        assert EntryStatus.SUBMITTED not in statuses, short
    robot = [e for e in entries["robot"] if e.status in ACTIVE_STATUSES]
    sizes = Counter(e.team_id for e in robot)
    assert robot and set(sizes.values()) == {competitions["robot"].team_size}


def test_rules_hold_for_every_entry(ctx):
    for short, competition in ctx.data["competitions"].items():
        rules = Rules.of(competition)
        stored = Entry.objects.filter(competition=competition).select_related("person", "unit", "stage")
        people = Counter(e.person_id for e in stored if e.stage.order == 0)
        assert not people or max(people.values()) == 1, short
        for entry in stored:
            assert entry.unit.path.startswith(competition.host.path), short
            assert not rules.age_problem(entry.person.birth_date), short
            assert not rules.status_problem(entry.worker_status), short
            assert not rules.level_problem(entry.level), short
        if rules.unit_quota and not rules.team_mode:
            per_unit = Counter(e.unit_id for e in stored if e.status in ACTIVE_STATUSES and e.stage.order == 0)
            assert max(per_unit.values()) <= rules.unit_quota, short


def test_qualifiers_by_district_and_the_advanced_in_the_final(ctx):
    stages = ctx.data["entries_by_stage"]["welder"]
    qualifier, final = stages["qualifier"], stages["final"]
    assert all(e.scope and e.scope.type == "district" for e in qualifier)
    assert final and all(e.previous and e.previous.stage.key == "qualifier" for e in final)
    assert max(Counter(e.previous.scope_id for e in final).values()) <= 3
    assert services.advance_entries(ctx.actor, qualifier[0].stage, [e.previous for e in final]) == []
    xuhui = ctx.data["entries_by_stage"]["xuhui"]["street"]
    assert xuhui and all(e.scope.type == "street" for e in xuhui)


def test_the_demo_people_have_something_to_do(ctx):
    contact = ctx.data["unit_contact"]
    assert services.awaiting_unit(contact).exists()
    worker = ctx.data["demo_worker"]
    assert Entry.objects.filter(person=worker.person).exists()
    assert ctx.data["competitions"]["xuhui"] in services.open_competitions(worker.person)
