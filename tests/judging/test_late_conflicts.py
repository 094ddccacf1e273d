"""A conflict of interest declared after a judge marked a contestant: the judge's marks of
that contestant stop counting (never deleted: their history and the audit log say why), the
chief judge sees them set aside, and sign-off needs marks from judges free of conflict."""

import pytest
from django.urls import reverse

from jingsai.core.errors import Rejected
from jingsai.core.models import AuditRecord
from jingsai.judging.models import Mark, MarkAction
from jingsai.judging.services import judges, marking
from jingsai.results import engine
from tests.judging import factories as jf
from tests.judging.test_marking import PERFECT, mark_all

pytestmark = pytest.mark.django_db

GIVEN = PERFECT | {"A2": ["2", "3", "3", "3"]}


@pytest.fixture
def four():
    """Four judges (without panels every one marks everything); station 1 fully marked,
    J1 entering the measured aspects and giving A2 a 2."""
    w = jf.world(judges=4)
    w.station = jf.contestants(w.stage)[0]
    mark_all(w, w.station, GIVEN)
    return w


def _declare(w, judge=None):
    return judges.declare_relationship(w.actor, judge or w.judges[0], id_number=w.station.entry.person.id_number,
                                       relation="亲属")


def test_the_marks_are_set_aside_and_sign_off_waits_for_a_free_judge(four):
    _declare(four)
    result = marking.review(four.station)
    a2 = next(i for i in result.aspects if i.aspect.code == "A2")
    assert [m.judge.code for m in a2.marks] == ["J2", "J3", "J4"]
    assert [m.judge.code for m in a2.set_aside] == ["J1"]
    assert any("J1" in note and "回避" in note for note in result.notes)
    assert "A1：尚未测量。" in result.blockers  # J1 measured it; the measurement does not count
    with pytest.raises(Rejected):
        marking.sign_off(four.chief.user, four.station)
    for code in ("A1", "B1a"):
        marking.record_mark(four.judges[1].user, four.station, jf.aspect(four, code), PERFECT[code])
    result = marking.review(four.station)
    assert result.signable
    plan = marking.Plan(four.stage)
    expected = engine.aspect_mark(jf.aspect(four, "A2").as_rule(), [3, 3, 3])
    assert next(i for i in result.aspects if i.aspect.code == "A2").mark == expected
    marking.sign_off(four.chief.user, four.station)
    assert marking.practical_score(marking.review(four.station, plan), plan).score == 100
    mark = Mark.objects.get(contestant=four.station, aspect__code="A2", judge=four.judges[0])
    event = mark.events.get(action=MarkAction.SET_ASIDE)
    assert "亲属" in event.reason and event.new == 2
    assert AuditRecord.objects.filter(action="judging.marks_set_aside").count() == 1


def test_with_three_judges_the_aspect_lacks_judges_until_a_substitute_marks(db):
    w = jf.world()
    w.station = jf.contestants(w.stage)[0]
    mark_all(w, w.station)
    _declare(w)
    blockers = marking.review(w.station).blockers
    assert any(b.startswith("A2") and "3" in b for b in blockers)


def test_a_signed_off_station_is_reopened_and_the_chief_judge_sees_why(client, four):
    marking.sign_off(four.chief.user, four.station)
    _declare(four)
    four.station.refresh_from_db()
    assert not four.station.signed_off
    assert not Mark.objects.filter(contestant=four.station, judge=four.judges[0], locked=True).exists()
    assert Mark.objects.filter(contestant=four.station, judge=four.judges[1], locked=True).exists()
    client.force_login(four.chief.user)
    number = four.station.station_number
    body = client.get(f"/api/judging/stages/{four.stage.pk}/stations/{number}/review").json()
    assert body["notes"] and not body["signed_off"]
    assert next(a for a in body["aspects"] if a["code"] == "A2")["set_aside"] == {"J1": "2"}
    page = client.get(reverse("judging:review_station", args=[four.stage.pk, number])).content.decode()
    assert "不计入：回避" in page and "评分后申报了与该选手的回避关系" in page


def test_withdrawing_the_declaration_counts_the_marks_again(four):
    declared = _declare(four)
    judges.withdraw_relationship(four.actor, declared, reason="申报有误")
    result = marking.review(four.station)
    assert not result.notes and result.signable
    mark = Mark.objects.get(contestant=four.station, aspect__code="A2", judge=four.judges[0])
    assert list(mark.events.values_list("action", flat=True)) == ["entered", "voided", "restored"]


def test_a_declaration_about_a_contestant_not_marked_changes_no_mark(four):
    other = jf.contestants(four.stage)[1]
    judges.declare_relationship(four.actor, four.judges[0], id_number=other.entry.person.id_number, relation="师徒")
    assert not AuditRecord.objects.filter(action="judging.marks_set_aside").exists()
    assert marking.review(four.station).signable
