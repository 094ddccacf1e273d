"""The lifecycle: every step the competitions app guards, allowed and refused with its
message; steps back need a reason; each step is recorded (timeline and audit); who may
move a competition. Other apps' guards are tested in their apps; here they are set aside
where a test reaches a step they guard, so that these tests say what this app decides."""

import datetime as dt
from collections import defaultdict

import pytest
from django.utils import timezone

from jingsai.accounts import permissions
from jingsai.accounts.models import Role
from jingsai.competitions import lifecycle, services
from jingsai.competitions.models import Competition, Status, StatusChange
from jingsai.core.errors import UserError
from jingsai.core.models import AuditRecord
from tests import factories
from tests.competitions.factories import competition, schedule, when

pytestmark = pytest.mark.django_db


@pytest.fixture
def own_guards_only(monkeypatch):
    """Only the competitions app's guards (other apps' need their own data)."""
    mine = defaultdict(list)
    for key, functions in lifecycle._guards.items():
        mine[key] = [f for f in functions if f.__module__ == lifecycle.__name__]
    monkeypatch.setattr(lifecycle, "_guards", mine)


@pytest.fixture
def orgs():
    return factories.tree()


def move(item, to, reason=""):
    return services.transition(factories.actor(), item, to, reason=reason)


def refused(item, to, reason=""):
    with pytest.raises(UserError) as error:
        move(item, to, reason)
    assert Competition.objects.get(pk=item.pk).status == item.status
    return error.value


def set_status(item, status):
    Competition.objects.filter(pk=item.pk).update(status=status)
    item.status = status
    return item


# ---- draft → registration open --------------------------------------------------------

def test_registration_opens_when_the_rules_name_the_window_and_the_start(orgs):
    item = competition("C-1", orgs["A"])
    moved = move(item, Status.REGISTRATION_OPEN, reason="规则已审定")
    assert moved.status == Status.REGISTRATION_OPEN
    change = StatusChange.objects.get(competition=item)
    assert (change.from_status, change.to_status, change.reason) == ("draft", "registration_open", "规则已审定")
    assert change.actor_label.startswith("system")
    record = AuditRecord.objects.get(action="competitions.transition")
    assert record.changes == {"status": ["draft", "registration_open"]} and record.reason == "规则已审定"
    assert record.at == change.at
    assert Competition.objects.get(pk=item.pk).status_since() == change.at


def test_registration_needs_its_window(orgs):
    item = competition("C-1", orgs["A"], schedule={"starts": when(20)})
    error = refused(item, Status.REGISTRATION_OPEN)
    assert error.code == "guard"
    assert [p.message for p in error.problems] == ["请先在规则的日程中设置报名开始和截止时间。"]


def test_registration_needs_a_deadline_ahead(orgs):
    item = competition("C-1", orgs["A"], schedule=schedule(opens=-10, closes=-1, starts=5, ends=6))
    error = refused(item, Status.REGISTRATION_OPEN)
    assert len(error.problems) == 1 and "报名截止时间（" in error.message and "已过" in error.message


def test_registration_needs_the_start_date(orgs):
    item = competition("C-1", orgs["A"], schedule={"registration_opens": when(-1), "registration_closes": when(5)})
    error = refused(item, Status.REGISTRATION_OPEN)
    assert error.message == "请先在规则的日程中设置比赛开始时间：年龄按该日计算。"


def test_every_blocker_is_listed_at_once(orgs):
    item = competition("C-1", orgs["A"], schedule=None)
    assert len(refused(item, Status.REGISTRATION_OPEN).problems) == 2


# ---- back to draft --------------------------------------------------------------------

def test_back_to_draft_needs_a_reason_and_no_entries(orgs):
    item = competition("C-1", orgs["A"], status="registration_open")
    assert refused(item, Status.DRAFT).code == "reason_required"
    entry = factories.entry(item, unit=orgs["unit_a"], status="withdrawn")
    assert refused(item, Status.DRAFT, "规则有误").message == "已有1条报名：请截止报名，不能退回草稿。"
    entry.delete()
    assert move(item, Status.DRAFT, "规则有误").status == Status.DRAFT
    assert StatusChange.objects.filter(competition=item).latest("at").reason == "规则有误"


# ---- closing and reopening registration -------------------------------------------------

def test_registration_closes_any_time(orgs):
    item = competition("C-1", orgs["A"], status="registration_open")
    assert move(item, Status.REGISTRATION_CLOSED).status == Status.REGISTRATION_CLOSED


def test_reopening_needs_a_reason_and_a_deadline_ahead(orgs):
    item = competition("C-1", orgs["A"], status="registration_open")
    move(item, Status.REGISTRATION_CLOSED)
    item.refresh_from_db()
    assert refused(item, Status.REGISTRATION_OPEN).code == "reason_required"
    Competition.objects.filter(pk=item.pk).update(registration_closes=timezone.now() - dt.timedelta(hours=1))
    item.refresh_from_db()
    assert "已过" in refused(item, Status.REGISTRATION_OPEN, "延长报名").message
    Competition.objects.filter(pk=item.pk).update(registration_closes=timezone.now() + dt.timedelta(days=3))
    item.refresh_from_db()
    assert move(item, Status.REGISTRATION_OPEN, "延长报名").status == Status.REGISTRATION_OPEN


# ---- the competition starts ---------------------------------------------------------------

def test_the_competition_starts_with_approved_entries_and_none_waiting(orgs, own_guards_only):
    item = set_status(competition("C-1", orgs["A"]), Status.REGISTRATION_CLOSED)
    assert refused(item, Status.IN_PROGRESS).message == "尚无审核通过的报名：请在比赛开始前完成审核。"
    factories.entry(item, unit=orgs["unit_a"], status="approved")
    waiting = [factories.entry(item, unit=orgs["unit_a"], status=s) for s in ("submitted", "unit_approved")]
    factories.entry(item, unit=orgs["unit_a"], status="rejected")
    assert refused(item, Status.IN_PROGRESS).message == "还有2条报名待审核：请先通过或退回。"
    for entry in waiting:
        entry.status = "withdrawn"
        entry.save()
    assert move(item, Status.IN_PROGRESS).status == Status.IN_PROGRESS


def test_only_entries_of_the_first_stage_count(orgs):
    raw_stages = [{"key": "q", "name": "初赛", "scope": "street", "advance": {"top": 3}}, {"key": "f", "name": "决赛"}]
    item = set_status(competition("C-1", orgs["A"], stages=raw_stages), Status.REGISTRATION_CLOSED)
    factories.entry(item, stage=item.stages.get(key="f"), unit=orgs["unit_a"], status="approved")
    assert "尚无审核通过的报名" in refused(item, Status.IN_PROGRESS).message


# ---- scoring, publicity, final, archived ----------------------------------------------------

def test_the_later_steps_follow_in_order(orgs, own_guards_only):
    item = set_status(competition("C-1", orgs["A"]), Status.IN_PROGRESS)
    for to in (Status.SCORING, Status.PUBLICITY):
        item = move(item, to)
    assert refused(item, Status.ARCHIVED).code == "transition"
    assert lifecycle.publicity_ends(item) == item.status_since() + dt.timedelta(days=5)


def test_publicity_runs_its_days_before_the_results_are_final(orgs, own_guards_only):
    item = set_status(competition("C-1", orgs["A"], publicity_days=7), Status.SCORING)
    item = move(item, Status.PUBLICITY)
    error = refused(item, Status.FINAL)
    assert error.message.startswith("公示期为7天，至") and "期满前成绩不能定稿" in error.message
    StatusChange.objects.filter(competition=item, to_status=Status.PUBLICITY).update(
        at=timezone.now() - dt.timedelta(days=7, minutes=1))
    item = move(item, Status.FINAL)
    assert move(item, Status.ARCHIVED).status == Status.ARCHIVED


def test_a_publicity_whose_start_was_not_recorded_is_not_held_back(orgs):
    item = set_status(competition("C-1", orgs["A"]), Status.PUBLICITY)
    assert lifecycle.publicity_served(item) is None and lifecycle.publicity_ends(item) is None


def test_back_from_publicity_to_scoring_needs_a_reason(orgs, own_guards_only):
    item = set_status(competition("C-1", orgs["A"]), Status.PUBLICITY)
    assert refused(item, Status.SCORING).message == "从“公示中”退回“评分中”须填写原因。"
    assert move(item, Status.SCORING, "申诉成立，重新评分").status == Status.SCORING


# ---- what any step refuses ---------------------------------------------------------------

def test_steps_outside_the_lifecycle_are_refused(orgs):
    item = competition("C-1", orgs["A"])
    error = refused(item, Status.FINAL)
    assert error.code == "transition" and error.message == "竞赛不能从“草稿”变更为“已定稿”。"
    assert refused(item, "finished").message == "“finished”不是竞赛状态。"
    archived = set_status(competition("C-2", orgs["A"]), Status.ARCHIVED)
    assert lifecycle.allowed_next(archived) == ()


def test_other_apps_guards_are_asked_too(orgs, monkeypatch):
    monkeypatch.setattr(lifecycle, "_guards", defaultdict(list, {
        key: list(functions) for key, functions in lifecycle._guards.items()}))

    @lifecycle.guard(Status.REGISTRATION_OPEN, Status.REGISTRATION_CLOSED)
    def still_importing(competition):
        return "还有导入任务未完成。"

    item = competition("C-1", orgs["A"], status="registration_open")
    assert refused(item, Status.REGISTRATION_CLOSED).message == "还有导入任务未完成。"
    assert lifecycle.steps(item)[0] == (Status.REGISTRATION_CLOSED, ["还有导入任务未完成。"])


def test_who_may_move_a_competition(orgs):
    item = competition("C-1", orgs["A"])
    organizer = Role.ORGANIZER
    allowed = [factories.user(role=organizer, org=orgs["A"]), factories.user(role=organizer, org=orgs["union"]),
               factories.user(role=Role.ADMIN)]
    denied = [factories.user(role=organizer, org=orgs["B"]), factories.user(role=organizer, org=orgs["street_a"]),
              factories.user(role=Role.UNIT_CONTACT, org=orgs["unit_a"]),
              factories.user(role=Role.JUDGE, competition=item), factories.user()]
    assert all(permissions.has_perm(u, "competitions.transition", item) for u in allowed)
    assert not any(permissions.has_perm(u, "competitions.transition", item) for u in denied)
