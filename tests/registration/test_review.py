"""Approval by the unit then the host (or the host only), rejection with reasons the unit
and the worker see, withdrawal before the deadline, teams approved whole, and the
worker's own registration."""

import datetime

import pytest
from django.utils import timezone

from jingsai.core.errors import Rejected, UserError
from jingsai.core.models import AuditRecord
from jingsai.registration import services
from jingsai.registration.models import Entry, EntrySource, EntryStatus
from tests.registration import factories as reg

pytestmark = pytest.mark.django_db


def self_registered(city):
    return services.register_self(city["worker"], city["competition"])


def test_a_worker_registers_themself_and_the_unit_then_the_host_approve(city):
    entry = self_registered(city)
    assert entry.status == EntryStatus.SUBMITTED and entry.source == EntrySource.SELF
    assert entry.person == city["worker_person"] and entry.unit == city["unit_a"]
    assert services.approve(city["contact"], [entry]) == {"approved": 0, "unit_approved": 1, "unchanged": 0}
    entry.refresh_from_db()
    assert entry.status == EntryStatus.UNIT_APPROVED and entry.unit_reviewed_by == city["contact"]
    with pytest.raises(Rejected) as caught:
        services.approve(city["contact"], [entry])  # the unit cannot take the host's step
    assert caught.value.code == "forbidden"
    services.approve(city["organizer"], [entry])
    entry.refresh_from_db()
    assert entry.status == EntryStatus.APPROVED and entry.reviewed_by == city["organizer"]
    actions = list(AuditRecord.objects.filter(object_type="registration.entry", object_id=str(entry.pk))
                   .order_by("at", "id").values_list("action", "data"))
    assert [a for a, _d in actions] == ["registration.register", "registration.approve", "registration.approve"]
    assert actions[-1][1]["status"] == ["unit_approved", "approved"]


def test_host_only_approval_skips_the_unit(city):
    competition = city["competition"]
    competition.spec["approval"] = "host_only"
    competition.save()
    entry = self_registered(city)
    with pytest.raises(Rejected):
        services.approve(city["contact"], [entry])
    assert services.approve(city["organizer"], [entry])["approved"] == 1


def test_awaiting_lists(city):
    entry = self_registered(city)
    assert list(services.awaiting_unit(city["contact"])) == [entry]
    assert list(services.awaiting_host(city["organizer"])) == []
    services.approve(city["contact"], [entry])
    assert list(services.awaiting_unit(city["contact"])) == []
    assert list(services.awaiting_host(city["organizer"])) == [entry]
    assert list(services.awaiting_host(city["contact"])) == []


def test_a_rejection_needs_a_reason_that_the_worker_and_unit_see(city, client):
    entry = self_registered(city)
    with pytest.raises(UserError):
        services.reject(city["contact"], [entry], reason=" ")
    services.reject(city["contact"], [entry], reason="工龄不足两年")
    entry.refresh_from_db()
    assert entry.status == EntryStatus.REJECTED and entry.rejection_reason == "工龄不足两年"
    client.force_login(city["worker"])
    assert "工龄不足两年" in client.get("/work/").content.decode()
    assert "工龄不足两年" in client.get(f"/work/registration/entries/{entry.pk}/").content.decode()
    client.force_login(city["contact"])
    assert "工龄不足两年" in client.get(f"/work/registration/c/{city['competition'].code}/").content.decode()
    # The worker may register again: the same entry is submitted anew.
    again = self_registered(city)
    assert again.pk == entry.pk and again.status == EntryStatus.SUBMITTED and again.rejection_reason == ""


def test_the_unit_rejects_only_before_the_host_decides(city):
    entry = self_registered(city)
    services.approve(city["organizer"], [entry])
    with pytest.raises(Rejected):
        services.reject(city["contact"], [entry], reason="改主意")
    services.reject(city["organizer"], [entry], reason="名额调整")
    assert Entry.objects.get().status == EntryStatus.REJECTED
    with pytest.raises(Rejected):  # the host's rejection is the host's to reconsider
        services.approve(city["contact"], [entry])
    assert services.approve(city["organizer"], [entry])["approved"] == 1


def test_the_unit_reconsiders_its_own_rejection(city):
    entry = self_registered(city)
    services.reject(city["contact"], [entry], reason="材料不全")
    assert services.approve(city["contact"], [entry])["unit_approved"] == 1
    entry.refresh_from_db()
    assert entry.rejection_reason == ""


def test_withdrawal_before_the_deadline_by_the_worker(city):
    entry = self_registered(city)
    services.withdraw(city["worker"], [entry])
    entry.refresh_from_db()
    assert entry.status == EntryStatus.WITHDRAWN and entry.withdrawn_at is not None
    with pytest.raises(Rejected):
        services.approve(city["organizer"], [entry])


def test_after_the_deadline_only_the_host_withdraws_with_a_reason(city):
    entry = self_registered(city)
    competition = city["competition"]
    competition.registration_closes = timezone.now() - datetime.timedelta(minutes=1)
    competition.status = "registration_closed"
    competition.save()
    with pytest.raises(Rejected) as caught:
        services.withdraw(city["worker"], [entry])
    assert caught.value.problems[0].code == "deadline"
    with pytest.raises(Rejected):
        services.withdraw(city["organizer"], [entry])
    services.withdraw(city["organizer"], [entry], reason="本人因病不能参赛")
    entry.refresh_from_db()
    assert entry.status == EntryStatus.WITHDRAWN and entry.withdrawal_reason == "本人因病不能参赛"


def test_reviews_stop_once_the_competition_is_under_way(city):
    entry = self_registered(city)
    competition = city["competition"]
    competition.status = "in_progress"
    competition.save()
    with pytest.raises(Rejected) as caught:
        services.approve(city["organizer"], [entry])
    assert caught.value.problems[0].code == "closed"


def test_other_units_and_districts_cannot_review(city, make):
    entry = self_registered(city)
    other_contact = make.user(role="unit_contact", org=city["unit_b"])
    other_organizer = make.user(role="organizer", org=city["B"])
    for user in (other_contact, other_organizer, city["worker"]):
        with pytest.raises(Rejected):
            services.approve(user, [entry])
        with pytest.raises(Rejected):
            services.reject(user, [entry], reason="x")


def test_bulk_approval_is_all_or_nothing(city, make):
    ok = self_registered(city)
    withdrawn = make.entry(city["competition"], unit=city["unit_a"], status=EntryStatus.WITHDRAWN)
    with pytest.raises(Rejected) as caught:
        services.approve(city["organizer"], [ok, withdrawn])
    assert len(caught.value.problems) == 1 and "参赛号" in str(caught.value.problems[0].where)
    ok.refresh_from_db()
    assert ok.status == EntryStatus.SUBMITTED


def test_teams_are_approved_only_when_complete(city, make):
    competition = reg.open_competition(city["A"], mode="team", team_size=2)
    stage = competition.stages.get()
    people = [make.person(employer=city["unit_a"]) for _ in range(2)]
    entries = services.register_people(city["contact"], competition, stage, people, team="一队")
    assert {e.status for e in entries} == {EntryStatus.UNIT_APPROVED}
    services.withdraw(city["contact"], entries[:1])
    with pytest.raises(Rejected) as caught:
        services.approve(city["organizer"], entries[1:])
    assert caught.value.problems[0].code == "team"
    substitute = make.person(employer=city["unit_a"])
    services.register_people(city["contact"], competition, stage, [substitute], team="一队")
    assert services.approve(city["organizer"], Entry.objects.filter(team__name="一队", status="unit_approved"))[
        "approved"] == 2


def test_workers_cannot_register_for_teams_or_without_a_record(city, make):
    competition = reg.open_competition(city["A"], mode="team", team_size=2)
    with pytest.raises(UserError):
        services.register_self(city["worker"], competition)
    with pytest.raises(UserError):
        services.register_self(make.user("staff"), city["competition"])


def test_a_worker_outside_the_host_cannot_register(city, make):
    outsider = make.user("outsider", person=make.person(employer=city["unit_b"], name="外人"))
    with pytest.raises(Rejected) as caught:
        services.register_self(outsider, city["competition"])
    assert caught.value.problems[0].code == "outside_host"
