"""The pages and the API, end to end through HTTP: what an organizer, a judge and a chief
judge do, and what each of them may see."""

import io

import pytest
from django.urls import reverse
from pypdf import PdfReader

from jingsai.accounts.models import Role
from jingsai.core import spreadsheets as sheets
from jingsai.judging.models import Aspect, Mark, MarkEvent, Panel
from jingsai.judging.services import judges, marking, schemes, stats
from tests import factories
from tests.judging import factories as jf
from tests.judging.test_marking import PERFECT, mark_all

pytestmark = pytest.mark.django_db


@pytest.fixture
def organizer(w):
    return factories.user("host-organizer", role=Role.ORGANIZER, org=w.host)


def _post_mark(client, w, station, aspect, value, key):
    return client.post(f"/api/judging/stages/{w.stage.pk}/stations/{station}/marks",
                       {"aspect": aspect, "value": value, "key": key}, content_type="application/json")


def test_the_api_records_a_mark_once_per_key(client, w):
    client.force_login(w.judges[0].user)
    first = _post_mark(client, w, 1, "A3", "20", "key-1")
    again = _post_mark(client, w, 1, "A3", "20", "key-1")
    assert first.status_code == again.status_code == 200
    assert first.json()["outcome"] == "created" and again.json()["outcome"] == "duplicate"
    assert Mark.objects.count() == 1 and MarkEvent.objects.count() == 1
    bad = _post_mark(client, w, 1, "A2", "7", "key-2")
    assert bad.status_code == 400 and "0、1、2 或 3" in bad.json()["detail"]
    station = client.get(f"/api/judging/stages/{w.stage.pk}/stations/1").json()
    assert station["missing"] == 4 and {a["code"]: a["value"] for a in station["aspects"]}["A3"] == "20"


def test_the_judges_pages_show_station_numbers_only(client, w):
    client.force_login(w.judges[0].user)
    contestant = jf.contestants(w.stage)[0]
    for url in (reverse("judging:stations", args=[w.stage.pk]),
                reverse("judging:station", args=[w.stage.pk, contestant.station_number]),
                f"/api/judging/stages/{w.stage.pk}/stations/1", reverse("judging:stage", args=[w.stage.pk])):
        text = client.get(url).content.decode()
        assert contestant.entry.person.name not in text
        assert contestant.entry.unit.name not in text
    assert client.get(reverse("judging:draw", args=[w.stage.pk])).status_code == 403
    assert client.get(reverse("judging:checkin", args=[w.stage.pk])).status_code == 403


def test_an_organizer_builds_a_scheme_in_the_interface(client, w, organizer):
    client.force_login(organizer)
    url = reverse("judging:scheme", args=[w.competition.pk])
    assert "A1" in client.get(url).content.decode()
    client.post(reverse("judging:criterion_save", args=[w.competition.pk]), {"code": "C", "name": "职业素养"})
    criterion = w.scheme.criteria.get(code="C")
    client.post(reverse("judging:criterion_save", args=[w.competition.pk]),
                {"id": criterion.pk, "code": "C", "name": "职业素养与协作"})
    criterion.refresh_from_db()
    assert criterion.name == "职业素养与协作"
    response = client.post(reverse("judging:aspect_edit", args=[w.competition.pk]), {
        "criterion": criterion.pk, "code": "C1", "name": "团队协作", "type": "J", "max": "5",
        "descriptor_0": "无", "descriptor_1": "少", "descriptor_2": "好", "descriptor_3": "优"})
    assert response.status_code == 302
    assert Aspect.objects.get(code="C1").descriptors == ["无", "少", "好", "优"]
    page = client.get(url).content.decode()
    assert "各评分项分值合计 105 分" in page
    client.post(reverse("judging:scheme_action", args=[w.competition.pk]), {"action": "freeze"})
    w.scheme.refresh_from_db()
    assert not w.scheme.frozen
    c1 = Aspect.objects.get(code="C1")
    client.post(reverse("judging:scheme_action", args=[w.competition.pk]), {"action": "delete_aspect", "id": c1.pk})
    assert "模块 C 没有评分项" in client.get(url).content.decode()
    client.post(reverse("judging:scheme_action", args=[w.competition.pk]),
                {"action": "delete_criterion", "id": criterion.pk})
    client.post(reverse("judging:scheme_action", args=[w.competition.pk]), {"action": "freeze"})
    w.scheme.refresh_from_db()
    assert w.scheme.frozen
    exported = client.get(reverse("judging:scheme_export", args=[w.competition.pk]))
    table = sheets.read_table(exported.content, "scheme.xlsx")
    assert [r[4] for r in table.rows] == ["A1", "A2", "A3", "B1a", "B1b"]


def test_an_organizer_checks_in_draws_and_sets_up_panels(client):
    w = jf.world(drawn=False, entries=2)
    client.force_login(factories.user("host-organizer", role=Role.ORGANIZER, org=w.host))
    client.post(reverse("judging:draw", args=[w.stage.pk]), {"kind": "contestant"})
    contestants = list(w.stage.contestants.select_related("entry__person"))
    assert all(c.contestant_number for c in contestants)
    checkin = reverse("judging:checkin_action", args=[w.stage.pk, contestants[0].pk])
    client.post(checkin, {"action": "present", "id_last4": "XXXX"})
    contestants[0].refresh_from_db()
    assert contestants[0].checkin == "pending"
    client.post(checkin, {"action": "present", "id_last4": contestants[0].entry.person.id_number[-4:]})
    client.post(reverse("judging:checkin_action", args=[w.stage.pk, contestants[1].pk]), {"action": "absent"})
    page = client.get(reverse("judging:checkin", args=[w.stage.pk])).content.decode()
    assert contestants[0].entry.person.id_number_masked in page
    assert contestants[0].entry.person.id_number not in page
    client.post(reverse("judging:draw", args=[w.stage.pk]), {"kind": "station"})
    assert w.stage.contestants.filter(station_number=1).exists()
    members = [str(a.pk) for a in w.competition.judge_assignments.filter(role="judge")]
    response = client.post(reverse("judging:panels", args=[w.stage.pk]), {
        "name": "全体", "aspects": [str(a.pk) for a in w.scheme.aspects.all()], "members": members})
    assert response.status_code == 302 and Panel.objects.get().members.count() == 3
    sheet = client.get(reverse("judging:sheets_pdf", args=[w.stage.pk]))
    assert sheet["Content-Type"] == "application/pdf"
    assert len(PdfReader(io.BytesIO(sheet.content)).pages) == 3


def test_marking_sheets_leave_out_a_conflicted_judge(w):
    contestant = jf.contestants(w.stage)[0]
    judges.declare_relationship(w.actor, w.judges[0], id_number=contestant.entry.person.id_number, relation="亲属")
    from jingsai.judging import pdf

    data = pdf.marking_sheets(marking.Plan(w.stage), judge_code="J1")
    pages = PdfReader(io.BytesIO(data)).pages
    assert len(pages) == 3
    texts = [page.extract_text() for page in pages]
    assert not any(f"{contestant.station_number} 号赛位" in t for t in texts)
    assert "A2" in texts[0] and "优秀" in texts[0]


def test_the_chief_judge_signs_off_and_the_organizer_unblinds(client, w, organizer):
    for contestant in jf.contestants(w.stage):
        mark_all(w, contestant)
    client.force_login(w.chief.user)
    page = client.get(reverse("judging:review", args=[w.stage.pk]))
    assert page.context["signable"] == 4
    for number in (1, 2, 3, 4):
        client.post(reverse("judging:review_action", args=[w.stage.pk, number]), {"action": "sign_off"})
    assert not Mark.objects.filter(locked=False).exists()
    client.post(reverse("judging:unblinding", args=[w.stage.pk]), {"action": "confirm"})
    assert client.post(reverse("judging:unblinding", args=[w.stage.pk]), {"action": "unblind"}).status_code == 403
    client.force_login(organizer)
    client.post(reverse("judging:unblinding", args=[w.stage.pk]), {"action": "unblind"})
    page = client.get(reverse("judging:unblinding", args=[w.stage.pk])).content.decode()
    assert w.entries[0].person.name in page and "100" in page
    history = client.get(reverse("judging:history_xlsx", args=[w.stage.pk]))
    table = sheets.read_table(history.content, "history.xlsx")
    assert {row[4] for row in table.rows} == {"录入", "签字确认并锁定"}
    assert len(table.rows) == 2 * Mark.objects.count()


def test_the_chief_judge_sees_a_discrepancy_and_asks_for_re_scoring(client, w):
    contestant = jf.contestants(w.stage)[0]
    mark_all(w, contestant, PERFECT | {"A2": ["0", "2", "3"]})
    client.force_login(w.chief.user)
    page = client.get(reverse("judging:review", args=[w.stage.pk]))
    assert [(r.contestant.pk, item.aspect.code) for r, item in page.context["discrepancies"]] == [
        (contestant.pk, "A2")]
    a2 = jf.aspect(w, "A2")
    client.post(reverse("judging:review_action", args=[w.stage.pk, contestant.station_number]),
                {"action": "rescore", "aspect": a2.pk})
    client.force_login(w.judges[0].user)
    station = client.get(reverse("judging:station", args=[w.stage.pk, contestant.station_number])).content.decode()
    assert "裁判长要求您对此项重新评分" in station and "申诉成立" not in station
    api = client.get(f"/api/judging/stages/{w.stage.pk}/stations/{contestant.station_number}").json()
    assert [(a["code"], a["rescore_requested"], a["rescore_appeal"]) for a in api["aspects"]
            if a["rescore_requested"]] == [("A2", True, None)]


def test_judge_statistics_show_a_lenient_judge(client, w, organizer):
    for contestant in jf.contestants(w.stage):
        mark_all(w, contestant, PERFECT | {"A2": ["3", "1", "1"], "A3": ["25", "15", "15"]})
    data = stats.judge_stats(w.stage)
    by_code = {row["code"]: row for row in data["judges"]}
    assert by_code["J1"]["bias"] > 0 > by_code["J2"]["bias"]
    assert by_code["J1"]["by_aspect"] == {"A2": 66.7, "A3": 40.0, "B1b": 0.0}
    assert data["judges"][0]["code"] == "J1"
    client.force_login(organizer)
    assert client.get(reverse("judging:stats", args=[w.stage.pk])).context["data"] == data


def test_the_scheme_api_and_freeze(client, w, organizer):
    client.force_login(organizer)
    body = client.get(f"/api/judging/competitions/{w.competition.code}/scheme").json()
    assert body["status"] == "draft" and body["problems"] == []
    assert body["criteria"][0]["aspects"][1]["descriptors"] == jf.DESCRIPTORS
    assert client.post(f"/api/judging/competitions/{w.competition.code}/scheme/freeze").json()["status"] == "frozen"
    assert schemes.scheme_of(w.competition).frozen
