"""Appeals: filed in writing within the window after the practical ends, decided once by the
arbitration group; an upheld appeal reopens the marks for re-marking under audit."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from jingsai.accounts.models import Role
from jingsai.core.errors import Rejected, UserError
from jingsai.core.models import AuditRecord
from jingsai.judging.models import Appeal, Mark, StageEnd
from jingsai.judging.services import appeals, marking, venue
from tests import factories
from tests.judging import factories as jf
from tests.judging.test_marking import mark_all

pytestmark = pytest.mark.django_db


@pytest.fixture
def signed(w):
    """Every station marked and signed off; a worker login for the first contestant."""
    for contestant in jf.contestants(w.stage):
        mark_all(w, contestant)
        marking.sign_off(w.chief.user, contestant)
    w.worker = factories.user("contestant", person=w.entries[0].person)
    w.arbitrator = factories.user("arb", role=Role.ARBITRATOR, competition=w.competition)
    return w


def test_appeals_open_when_the_practical_ends_and_close_after_the_window(signed):
    entry = signed.entries[0]
    with pytest.raises(UserError) as error:
        appeals.file_appeal(signed.worker, entry, text="评分有误")
    assert error.value.code == "late" and "结束后" in error.value.message
    end = venue.end_stage(signed.actor, signed.stage)
    appeal = appeals.file_appeal(signed.worker, entry, text="A3 评分偏低")
    assert appeal.status == "pending" and appeal.filed_by == signed.worker
    StageEnd.objects.filter(pk=end.pk).update(ended_at=timezone.now() - datetime.timedelta(minutes=121))
    with pytest.raises(UserError) as error:
        appeals.file_appeal(signed.worker, entry, text="又一次申诉")
    assert error.value.code == "late"
    assert "120 分钟" in error.value.message and "逾期申诉不予受理" in error.value.message
    assert AuditRecord.objects.filter(action="judging.appeal_refused").count() == 2
    assert Appeal.objects.count() == 1


def test_the_window_follows_the_spec(db):
    w = jf.world(appeal_window_minutes=30)
    end = venue.end_stage(w.actor, w.stage)
    assert appeals.deadline(w.stage) == end.ended_at + datetime.timedelta(minutes=30)


def test_a_rejected_appeal_needs_reasons_and_the_ruling_is_final(signed):
    venue.end_stage(signed.actor, signed.stage)
    appeal = appeals.file_appeal(signed.worker, signed.entries[0], text="评分有误")
    with pytest.raises(UserError):
        appeals.decide(signed.arbitrator, appeal, upheld=False, ruling=" ")
    appeals.decide(signed.arbitrator, appeal, upheld=False, ruling="经复核，评分无误。")
    with pytest.raises(UserError) as error:
        appeals.decide(signed.arbitrator, appeal, upheld=True, ruling="改判")
    assert error.value.code == "final"
    assert not Mark.objects.filter(locked=False).exists()


def test_an_upheld_appeal_reopens_the_marks_concerned_for_re_marking(signed):
    venue.end_stage(signed.actor, signed.stage)
    entry = signed.entries[0]
    a3 = jf.aspect(signed, "A3")
    appeal = appeals.file_appeal(signed.worker, entry, text="A3 评分偏低", aspects=[a3])
    appeals.decide(signed.arbitrator, appeal, upheld=True, ruling="A3 重新评分")
    unlocked = Mark.objects.filter(locked=False)
    assert {m.aspect.code for m in unlocked} == {"A3"} and unlocked.count() == 3
    assert {e.reason for m in unlocked for e in m.events.filter(action="unlocked")} == {
        f"第 {appeal.pk} 号申诉成立：A3 重新评分"}
    contestant = entry.contestant
    contestant.refresh_from_db()
    assert not contestant.signed_off
    assert {(m.aspect.code, m.rescore_requested) for m in Mark.objects.filter(contestant=contestant)} == {
        ("A1", False), ("A2", False), ("A3", True), ("B1a", False), ("B1b", False)}
    assert {e.reason for m in unlocked for e in m.events.filter(action="rescore")} == {
        f"第 {appeal.pk} 号申诉成立：A3 重新评分"}
    marking.record_mark(signed.judges[0].user, contestant, a3, "20")
    with pytest.raises(Rejected) as rejected:  # the other judges must mark A3 again first
        marking.sign_off(signed.chief.user, contestant)
    assert "A3：须重新评分，尚待 J2、J3 重新评分。" in [p.message for p in rejected.value.problems]
    marking.record_mark(signed.judges[1].user, contestant, a3, "25")  # the same mark, given again
    marking.record_mark(signed.judges[2].user, contestant, a3, "22")
    assert not Mark.objects.filter(rescore_requested=True).exists()
    assert sorted(Mark.objects.filter(contestant=contestant, aspect=a3).values_list("judge__code", "value")) == [
        ("J1", 20), ("J2", 25), ("J3", 22)]
    marking.sign_off(signed.chief.user, contestant)


def test_an_upheld_appeal_without_aspects_asks_for_every_mark_again_and_the_appellant_sees_it(client, signed):
    venue.end_stage(signed.actor, signed.stage)
    entry = signed.entries[0]
    appeal = appeals.file_appeal(signed.worker, entry, text="整体评分偏低")
    appeals.decide(signed.arbitrator, appeal, upheld=True, ruling="全部重新评分")
    contestant = entry.contestant
    assert Mark.objects.filter(contestant=contestant).count() == Mark.objects.filter(
        contestant=contestant, rescore_requested=True, locked=False).count() > 0
    assert not Mark.objects.exclude(contestant=contestant).filter(rescore_requested=True).exists()
    assert not marking.review(contestant).signable
    client.force_login(signed.judges[1].user)
    station = client.get(reverse("judging:station", args=[signed.stage.pk, contestant.station_number]))
    assert f"第 {appeal.pk} 号申诉成立，请对此项重新评分。" in station.content.decode()
    assert "裁判长要求" not in station.content.decode()
    api = client.get(f"/api/judging/stages/{signed.stage.pk}/stations/{contestant.station_number}").json()
    assert {a["rescore_appeal"] for a in api["aspects"]} == {appeal.pk}
    client.force_login(signed.worker)
    page = client.get(reverse("judging:appeal", args=[appeal.pk])).content.decode()
    assert "全部重新评分" in page and "仲裁组裁决（最终）" in page


def test_the_appellant_sees_the_ruling_and_arbitrators_decide_in_the_interface(client, signed):
    venue.end_stage(signed.actor, signed.stage)
    client.force_login(signed.worker)
    response = client.post(reverse("judging:appeal_new", args=[signed.entries[0].pk]), {"text": "我对评分有异议"})
    appeal = Appeal.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("judging:appeal", args=[appeal.pk])
    client.force_login(signed.arbitrator)
    client.post(reverse("judging:appeal", args=[appeal.pk]), {"decision": "rejected", "ruling": "评分符合标准。"})
    client.force_login(signed.worker)
    page = client.get(reverse("judging:appeal", args=[appeal.pk])).content.decode()
    assert "评分符合标准。" in page and "仲裁组裁决（最终）" in page
    other = factories.user("other-worker", person=signed.entries[1].person)
    client.force_login(other)
    assert client.get(reverse("judging:appeal", args=[appeal.pk])).status_code == 403
    assert client.get(reverse("judging:appeal_new", args=[signed.entries[0].pk])).status_code == 403


def test_a_late_appeal_is_refused_with_the_reason_on_the_page(client, signed):
    end = venue.end_stage(signed.actor, signed.stage)
    StageEnd.objects.filter(pk=end.pk).update(ended_at=timezone.now() - datetime.timedelta(hours=3))
    client.force_login(signed.worker)
    page = client.get(reverse("judging:appeal_new", args=[signed.entries[0].pk])).content.decode()
    assert "逾期申诉不予受理" in page
    response = client.post("/api/judging/appeals", {"entry": signed.entries[0].pk, "text": "迟到的申诉"},
                           content_type="application/json")
    assert response.status_code == 400 and "逾期申诉不予受理" in response.json()["detail"]


def test_workers_and_unit_contacts_find_the_appeals_still_open(client, signed):
    venue.end_stage(signed.actor, signed.stage)
    contact = factories.user("contact-a", role=Role.UNIT_CONTACT, org=signed.orgs["unit_a"])
    client.force_login(contact)
    appealable = client.get(reverse("judging:appeals")).context["appealable"]
    assert {entry.pk for entry, _deadline in appealable} == {e.pk for e in signed.entries}
    cards = {card.title: card for card in client.get(reverse("core:dashboard")).context["cards"]}
    assert cards["仍可申诉的选手"].count == 4
    client.force_login(signed.worker)
    appealable = client.get(reverse("judging:appeals")).context["appealable"]
    assert [entry.pk for entry, _deadline in appealable] == [signed.entries[0].pk]
    titles = [card.title for card in client.get(reverse("core:dashboard")).context["cards"]]
    assert f"{signed.competition.name} · {signed.stage.name}" in titles
