"""Marks: the rules checked on entry, idempotent and order-safe saving, each judge's marks
kept apart, J discrepancies and re-scoring, sign-off and locking, unlocking with a reason,
the full history of every mark, and unblinding into the results."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from jingsai.core.errors import Rejected, UserError
from jingsai.judging.models import Mark, MarkAction, MarkEvent
from jingsai.judging.services import marking, venue
from jingsai.results import engine
from jingsai.results.models import ComponentScore
from tests.judging import factories as jf

pytestmark = pytest.mark.django_db

PERFECT = {"A1": "10", "A2": "3", "A3": "25", "B1a": "20", "B1b": "3"}


def mark_all(w, contestant, values=None, judges=None):
    """Every judge marks every aspect of a contestant (M aspects once, by the first judge)."""
    values = values or PERFECT
    for index, judge in enumerate(judges or w.judges):
        for code, value in values.items():
            aspect = jf.aspect(w, code)
            if aspect.type == "M" and index:
                continue
            given = value[index] if isinstance(value, list) else value
            marking.record_mark(judge.user, contestant, aspect, given)


@pytest.mark.parametrize("code, value, problem", [
    ("A2", "4", "j_score_out_of_range"),
    ("A2", "1.5", "j_score_not_integer"),
    ("A1", "5", "m_binary_invalid"),
    ("A3", "26", "score_out_of_range"),
    ("A3", "-1", "score_out_of_range"),
    ("A3", "abc", "not_a_number"),
    ("A3", "7.1234", "too_precise"),
])
def test_rules_are_checked_on_entry(w, code, value, problem):
    contestant = jf.contestants(w.stage)[0]
    with pytest.raises(UserError) as error:
        marking.record_mark(w.judges[0].user, contestant, jf.aspect(w, code), value)
    assert error.value.code == problem
    assert not Mark.objects.exists()


def test_each_judge_keeps_their_own_mark_and_m_aspects_have_one(w):
    contestant = jf.contestants(w.stage)[0]
    a2, a1 = jf.aspect(w, "A2"), jf.aspect(w, "A1")
    for judge, value in zip(w.judges, ["1", "2", "2"], strict=True):
        marking.record_mark(judge.user, contestant, a2, value)
    assert sorted(Mark.objects.filter(aspect=a2).values_list("judge__code", "value")) == [
        ("J1", Decimal(1)), ("J2", Decimal(2)), ("J3", Decimal(2))]
    marking.record_mark(w.judges[0].user, contestant, a1, "10")
    mark, outcome = marking.record_mark(w.judges[1].user, contestant, a1, "0")
    assert outcome == "changed" and mark.judge == w.judges[1]
    assert Mark.objects.filter(aspect=a1).count() == 1


def test_the_same_key_is_recorded_once(w):
    contestant = jf.contestants(w.stage)[0]
    aspect = jf.aspect(w, "A3")
    first, outcome = marking.record_mark(w.judges[0].user, contestant, aspect, "20", key="device-key-1")
    assert outcome == "created"
    again, outcome = marking.record_mark(w.judges[0].user, contestant, aspect, "20", key="device-key-1")
    assert outcome == "duplicate" and again.pk == first.pk
    assert MarkEvent.objects.filter(key=marking.scoped_key(w.judges[0], "device-key-1")).count() == 1
    assert MarkEvent.objects.count() == 1


def test_a_key_is_the_judges_own_another_judge_reusing_it_gets_their_own_mark(w):
    contestant = jf.contestants(w.stage)[0]
    a3, a1 = jf.aspect(w, "A3"), jf.aspect(w, "A1")
    first, _outcome = marking.record_mark(w.judges[0].user, contestant, a3, "20", key="same-key")
    mark, outcome = marking.record_mark(w.judges[1].user, contestant, a3, "15", key="same-key")
    assert outcome == "created" and mark.pk != first.pk and mark.judge == w.judges[1] and mark.value == 15
    assert marking.record_mark(w.judges[1].user, contestant, a3, "15", key="same-key")[1] == "duplicate"
    again, outcome = marking.record_mark(w.judges[0].user, contestant, a3, "20", key="same-key")
    assert outcome == "duplicate" and again.pk == first.pk and again.judge == w.judges[0]
    marking.record_mark(w.judges[0].user, contestant, a1, "10", key="m-key")  # one mark per M aspect
    mark, outcome = marking.record_mark(w.judges[1].user, contestant, a1, "0", key="m-key")
    assert outcome == "changed" and mark.value == 0 and mark.judge == w.judges[1]
    long_key = "k" * 64
    marking.record_mark(w.judges[2].user, contestant, a3, "25", key=long_key)
    assert marking.record_mark(w.judges[2].user, contestant, a3, "25", key=long_key)[1] == "duplicate"
    assert all(len(k) <= 64 for k in MarkEvent.objects.exclude(key=None).values_list("key", flat=True))


def test_a_key_stored_before_keys_were_scoped_still_counts_for_its_own_judge(w):
    contestant = jf.contestants(w.stage)[0]
    a3 = jf.aspect(w, "A3")
    first, _outcome = marking.record_mark(w.judges[0].user, contestant, a3, "20", key="old-key")
    MarkEvent.objects.filter(mark=first).update(key="old-key")
    assert marking.record_mark(w.judges[0].user, contestant, a3, "20", key="old-key")[1] == "duplicate"
    assert marking.record_mark(w.judges[1].user, contestant, a3, "12", key="old-key")[1] == "created"


def test_a_late_stale_write_never_overwrites_a_newer_mark(w):
    contestant = jf.contestants(w.stage)[0]
    aspect = jf.aspect(w, "A3")
    now = timezone.now()
    marking.record_mark(w.judges[0].user, contestant, aspect, "18", key="k1", entered_at=now - datetime.timedelta(
        minutes=5))
    marking.record_mark(w.judges[0].user, contestant, aspect, "22", key="k3", entered_at=now)
    mark, outcome = marking.record_mark(w.judges[0].user, contestant, aspect, "19", key="k2",
                                        entered_at=now - datetime.timedelta(minutes=2))
    assert outcome == "stale" and mark.value == 22
    assert list(mark.events.values_list("action", "new")) == [
        (MarkAction.ENTERED, Decimal(18)), (MarkAction.CHANGED, Decimal(22)), (MarkAction.STALE, Decimal(19))]
    assert marking.record_mark(w.judges[0].user, contestant, aspect, "19", key="k2")[1] == "duplicate"


def test_a_device_clock_ahead_cannot_make_a_mark_unbeatable(w):
    contestant = jf.contestants(w.stage)[0]
    aspect = jf.aspect(w, "A3")
    marking.record_mark(w.judges[0].user, contestant, aspect, "18",
                        entered_at=timezone.now() + datetime.timedelta(days=1))
    mark, outcome = marking.record_mark(w.judges[0].user, contestant, aspect, "20",
                                        entered_at=timezone.now() + marking.CLOCK_TOLERANCE * 2)
    assert outcome == "changed" and mark.value == 20


def test_a_j_discrepancy_blocks_sign_off_until_re_scored(w):
    contestant = jf.contestants(w.stage)[0]
    mark_all(w, contestant, PERFECT | {"A2": ["1", "3", "3"]})
    result = marking.review(contestant)
    assert [item.aspect.code for item in result.discrepancies] == ["A2"]
    with pytest.raises(Rejected) as rejected:
        marking.sign_off(w.chief.user, contestant)
    assert "A2：裁判评价分相差超过 1 分，须重新评分。" in [p.message for p in rejected.value.problems]
    marking.request_rescore(w.chief.user, contestant, jf.aspect(w, "A2"))
    assert Mark.objects.filter(aspect__code="A2", rescore_requested=True).count() == 3
    marking.record_mark(w.judges[0].user, contestant, jf.aspect(w, "A2"), "2")
    marking.record_mark(w.judges[1].user, contestant, jf.aspect(w, "A2"), "3")
    marking.record_mark(w.judges[2].user, contestant, jf.aspect(w, "A2"), "3")
    assert not Mark.objects.filter(rescore_requested=True).exists()
    assert marking.review(contestant).signable
    marking.sign_off(w.chief.user, contestant)


def test_sign_off_needs_every_expected_mark(w):
    contestant = jf.contestants(w.stage)[0]
    mark_all(w, contestant, judges=w.judges[:2])
    blockers = marking.review(contestant).blockers
    assert "A2：J3 尚未评分。" in blockers and "B1b：J3 尚未评分。" in blockers
    with pytest.raises(Rejected):
        marking.sign_off(w.chief.user, contestant)


def test_signed_marks_are_locked_and_change_only_after_an_unlock_with_a_reason(w):
    contestant = jf.contestants(w.stage)[0]
    mark_all(w, contestant)
    marking.sign_off(w.chief.user, contestant)
    assert not Mark.objects.filter(contestant=contestant, locked=False).exists()
    a3 = jf.aspect(w, "A3")
    with pytest.raises(UserError) as error:
        marking.record_mark(w.judges[0].user, contestant, a3, "20")
    assert error.value.code == "locked"
    mark = Mark.objects.get(contestant=contestant, aspect=a3, judge=w.judges[0])
    with pytest.raises(UserError) as error:
        marking.unlock(w.chief.user, mark, reason="  ")
    assert error.value.code == "reason"
    marking.unlock(w.chief.user, mark, reason="裁判誊写错误")
    contestant.refresh_from_db()
    assert not contestant.signed_off
    marking.record_mark(w.judges[0].user, contestant, a3, "20", reason="更正")
    history = list(mark.events.order_by("pk").values_list("action", "old", "new", "by__username", "reason"))
    assert history == [
        ("entered", None, Decimal(25), w.judges[0].user.username, ""),
        ("locked", Decimal(25), Decimal(25), w.chief.user.username, ""),
        ("unlocked", Decimal(25), Decimal(25), w.chief.user.username, "裁判誊写错误"),
        ("changed", Decimal(25), Decimal(20), w.judges[0].user.username, "更正"),
    ]
    marking.sign_off(w.chief.user, contestant)


def test_unblinding_is_refused_while_any_mark_is_unsigned(w):
    stations = jf.contestants(w.stage)
    for contestant in stations:
        mark_all(w, contestant)
    for contestant in stations[:-1]:
        marking.sign_off(w.chief.user, contestant)
    with pytest.raises(UserError) as error:
        marking.confirm_unblinding(w.chief.user, w.stage)
    assert error.value.code == "unsigned"
    with pytest.raises(UserError) as error:
        marking.unblind(w.actor, w.stage)
    assert error.value.code == "order"
    marking.sign_off(w.chief.user, stations[-1])
    marking.confirm_unblinding(w.chief.user, w.stage)
    mark = Mark.objects.filter(contestant=stations[0]).first()
    marking.unlock(w.chief.user, mark, reason="复核")
    with pytest.raises(UserError) as error:
        marking.unblind(w.actor, w.stage)
    assert error.value.code == "unsigned"
    assert not ComponentScore.objects.exists()


def test_unblinding_hands_the_engines_practical_score_and_time_to_the_results(w):
    stations = jf.contestants(w.stage)
    judged = PERFECT | {"A2": ["2", "3", "3"], "A3": ["20", "22", "21"], "B1b": ["1", "2", "1"], "B1a": "17.5"}
    for contestant in stations:
        mark_all(w, contestant, judged)
        venue.record_time(w.chief.user, contestant, "52:30")
        marking.sign_off(w.chief.user, contestant)
    marking.confirm_unblinding(w.chief.user, w.stage)
    assert marking.unblind(w.actor, w.stage) == 4
    expected = engine.practical_component(
        [a.as_rule() for a in w.scheme.aspects.all()],
        {"A1": ["10"], "A2": ["2", "3", "3"], "A3": ["20", "22", "21"], "B1a": ["17.5"], "B1b": ["1", "2", "1"]},
    ).score
    assert expected == Decimal("75.17")  # 10 + 8/9·15 + 21 + 17.5 + 4/9·30
    scores = ComponentScore.objects.filter(component="practical")
    assert {s.value for s in scores} == {expected} and scores.count() == 4
    assert {s.time_seconds for s in scores} == {3150} and {s.source for s in scores} == {"judging"}


def test_a_re_marked_station_updates_the_score_after_unblinding(w):
    stations = jf.contestants(w.stage)
    for contestant in stations:
        mark_all(w, contestant)
        marking.sign_off(w.chief.user, contestant)
    marking.confirm_unblinding(w.chief.user, w.stage)
    marking.unblind(w.actor, w.stage)
    contestant = stations[0]
    mark = Mark.objects.get(contestant=contestant, aspect__code="A3", judge=w.judges[0])
    marking.unlock(w.chief.user, mark, reason="申诉成立")
    marking.record_mark(w.judges[0].user, contestant, jf.aspect(w, "A3"), "19")
    marking.sign_off(w.chief.user, contestant)
    assert ComponentScore.objects.get(entry=contestant.entry).value == Decimal(98)


def test_paper_sheets_need_two_different_people_who_agree(w):
    from tests import factories

    contestant = jf.contestants(w.stage)[0]
    clerk_a, clerk_b = factories.user("clerk-a"), factories.user("clerk-b")
    sheet, mismatches = marking.key_paper(clerk_a, contestant, w.judges[0], {"A2": "2", "A3": "20"})
    assert sheet.status == "awaiting" and not Mark.objects.exists()
    sheet, mismatches = marking.key_paper(clerk_a, contestant, w.judges[0], {"A2": "2", "A3": "21"})
    assert sheet.status == "awaiting", "the same person keying again only corrects their own keying"
    sheet, mismatches = marking.key_paper(clerk_b, contestant, w.judges[0], {"A2": "2", "A3": "12"})
    assert sheet.status == "mismatch" and mismatches == [("A3", "21", "12")]
    assert not Mark.objects.exists()
    sheet, mismatches = marking.key_paper(clerk_b, contestant, w.judges[0], {"A2": "2", "A3": "21"})
    assert sheet.status == "confirmed"
    marks = {m.aspect.code: m for m in Mark.objects.select_related("aspect")}
    assert marks["A3"].value == 21 and marks["A3"].entered_by == clerk_a and marks["A3"].confirmed_by == clerk_b
    assert marks["A3"].source == "paper" and marks["A3"].judge == w.judges[0]


def test_marking_is_refused_before_the_competition_is_in_progress(w):
    w.competition.status = "registration_closed"
    w.competition.save()
    with pytest.raises(UserError) as error:
        marking.record_mark(w.judges[0].user, jf.contestants(w.stage)[0], jf.aspect(w, "A2"), "2")
    assert error.value.code == "status"
