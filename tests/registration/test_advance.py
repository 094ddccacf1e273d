"""Advancing entries to the next stage: history kept through `previous`, 赛区 of the next
split, teams carried, idempotent, audited."""

import pytest

from jingsai.core.errors import UserError
from jingsai.core.models import AuditRecord
from jingsai.orgs.models import OrgType
from jingsai.registration import services
from jingsai.registration.models import Entry, EntrySource, EntryStatus, Team
from tests.registration import factories as reg

pytestmark = pytest.mark.django_db


def staged(city, **overrides):
    return reg.open_competition(city["union"], stages=[
        {"key": "qualifier", "name": "区级选拔赛", "scope": "district", "advance": {"top": 1}},
        {"key": "semi", "name": "复赛", "scope": "district", "advance": {"top": 1}},
        {"key": "final", "name": "市级决赛"}], **overrides)


def test_advancing_makes_linked_approved_entries_once(city, make):
    competition = staged(city)
    qualifier, semi = competition.stages.get(key="qualifier"), competition.stages.get(key="semi")
    a = make.entry(competition, unit=city["unit_a"], stage=qualifier, scope=city["A"], number=5)
    b = make.entry(competition, unit=city["unit_b"], stage=qualifier, scope=city["B"], number=9)
    a.level = 4
    a.save()
    made = services.advance_entries(make.actor(), qualifier, [a, b])
    assert len(made) == 2
    for new, old in zip(Entry.objects.filter(stage=semi).order_by("number"), [a, b], strict=True):
        assert new.previous == old and new.person_id == old.person_id and new.unit_id == old.unit_id
        assert new.status == EntryStatus.APPROVED and new.source == EntrySource.ADVANCE
        assert new.scope == old.scope
    assert list(Entry.objects.filter(stage=semi).order_by("number").values_list("number", "level")) == [
        (1, 4), (2, None)]
    record = AuditRecord.objects.get(action="registration.advance")
    assert record.data["count"] == 2 and record.data["pairs"][0][0] == a.pk
    assert services.advance_entries(make.actor(), qualifier, [a, b]) == []
    assert Entry.objects.filter(stage=semi).count() == 2
    assert AuditRecord.objects.filter(action="registration.advance").count() == 1
    # And on again: the final's entries point back through the semi to the qualifier.
    services.advance_entries(make.actor(), semi, list(Entry.objects.filter(stage=semi)))
    final_a = Entry.objects.get(stage__key="final", person=a.person)
    assert final_a.previous.previous == a and final_a.scope is None


def test_only_entries_of_the_stage_and_never_past_the_last(city, make):
    competition = staged(city)
    qualifier, final = competition.stages.get(key="qualifier"), competition.stages.get(key="final")
    stray = make.entry(competition, unit=city["unit_a"], stage=final)
    with pytest.raises(UserError):
        services.advance_entries(make.actor(), qualifier, [stray])
    with pytest.raises(UserError):
        services.advance_entries(make.actor(), final, [stray])


def test_the_next_split_takes_the_unit_s_own_scope(city, make):
    competition = reg.open_competition(city["union"], stages=[
        {"key": "street", "name": "街道赛", "scope": "street", "advance": {"top": 1}},
        {"key": "district", "name": "区赛", "scope": "district", "advance": {"top": 1}},
        {"key": "final", "name": "决赛"}])
    street = competition.stages.get(key="street")
    entry = make.entry(competition, unit=city["unit_a"], stage=street, scope=city["street_a"])
    made = services.advance_entries(make.actor(), street, [entry])
    assert made[0].scope == city["A"]
    assert city["A"].type == OrgType.DISTRICT


def test_teams_advance_under_their_name(city, make):
    competition = reg.open_competition(city["A"], mode="team", team_size=2, stages=[
        {"key": "qualifier", "name": "初赛", "advance": {"top": 1}}, {"key": "final", "name": "决赛"}])
    qualifier = competition.stages.get(key="qualifier")
    people = [make.person(employer=city["unit_a"]) for _ in range(2)]
    members = services.register_people(make.actor(), competition, qualifier, people, team="先锋队")
    services.advance_entries(make.actor(), qualifier, members)
    team = Team.objects.get(stage__key="final")
    assert team.name == "先锋队" and team.members.count() == 2 and team.unit == city["unit_a"]
