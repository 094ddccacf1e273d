"""A signed-off station takes no mark at all — not even a first one — on any path (service,
API, mark entry page, import, paper keying) until the chief judge unlocks it."""

import pytest
from django.urls import reverse

from jingsai.core import spreadsheets as sheets
from jingsai.core.errors import Rejected, UserError
from jingsai.judging import imports
from jingsai.judging.models import Mark
from jingsai.judging.services import marking
from jingsai.orgs.models import OrgType
from tests import factories
from tests.judging import factories as jf
from tests.judging.test_marking import mark_all

pytestmark = pytest.mark.django_db


@pytest.fixture
def late(w):
    """Station 1 signed off; then a fourth judge joins the competition (without panels every
    judge marks everything), so station 1 lacks the new judge's marks."""
    contestant = jf.contestants(w.stage)[0]
    mark_all(w, contestant)
    marking.sign_off(w.chief.user, contestant)
    unit = factories.org("JU9", parent=w.orgs["street_b"], type=OrgType.ENTERPRISE, name="裁判单位9")
    w.late_judge = jf.judge("J9", unit, owner=w.host, competition=w.competition)
    w.station = contestant
    w.count = Mark.objects.count()
    return w


def test_no_new_mark_for_a_signed_off_station(late):
    with pytest.raises(UserError) as error:
        marking.record_mark(late.late_judge.user, late.station, jf.aspect(late, "A2"), "2")
    assert error.value.code == "locked"
    assert "已签字确认" in error.value.message and "解锁" in error.value.message
    assert Mark.objects.count() == late.count


def test_the_api_and_the_page_refuse_and_show_the_station_locked(client, late):
    client.force_login(late.late_judge.user)
    number = late.station.station_number
    response = client.post(f"/api/judging/stages/{late.stage.pk}/stations/{number}/marks",
                           {"aspect": "A2", "value": "2", "key": "late-1"}, content_type="application/json")
    assert response.status_code == 400 and response.json()["code"] == "locked"
    assert "解锁" in response.json()["detail"]
    view = client.get(f"/api/judging/stages/{late.stage.pk}/stations/{number}").json()
    assert all(a["locked"] for a in view["aspects"])
    page = client.get(reverse("judging:station", args=[late.stage.pk, number])).content.decode()
    assert 'data-locked="0"' not in page
    assert Mark.objects.count() == late.count


def test_an_import_cannot_add_a_mark_to_a_signed_off_station(late):
    columns = [c for c in imports.COLUMNS if c.key != "id_number"]
    number = str(late.station.contestant_number)
    table = sheets.read_table(sheets.xlsx_bytes(columns, [[number, "", "J9", "A2", "2"],
                                                          [number, "", "J1", "A3", "25"]]), "marks.xlsx")
    with pytest.raises(Rejected) as rejected:
        imports.import_judge_marks(late.actor, late.competition, late.stage, table)
    assert [(p.row, p.column) for p in rejected.value.problems] == [(2, "评分项")]
    assert "已签字确认" in rejected.value.problems[0].message
    assert Mark.objects.count() == late.count


def test_paper_keying_is_refused_for_a_signed_off_station(late):
    clerk = factories.user("clerk")
    with pytest.raises(UserError) as error:
        marking.key_paper(clerk, late.station, late.late_judge, {"A2": "2"})
    assert error.value.code == "locked"
    assert not late.station.paper_sheets.exists()


def test_an_unlock_reopens_the_station_for_the_missing_marks(late):
    mark = Mark.objects.filter(contestant=late.station, aspect__code="A2").first()
    marking.unlock(late.chief.user, mark, reason="补评：新增裁判")
    _mark, outcome = marking.record_mark(late.late_judge.user, late.station, jf.aspect(late, "A2"), "3")
    assert outcome == "created"


def test_the_api_unlocks_the_mark_of_the_judge_named(client, w):
    contestant = jf.contestants(w.stage)[0]
    mark_all(w, contestant, {"A1": "10", "A2": ["1", "2", "2"], "A3": ["20", "21", "22"], "B1a": "20",
                             "B1b": "3"})
    marking.sign_off(w.chief.user, contestant)
    client.force_login(w.chief.user)
    url = f"/api/judging/stages/{w.stage.pk}/stations/{contestant.station_number}/unlock"

    def post(**data):
        return client.post(url, {"reason": "复核", **data}, content_type="application/json")

    response = post(aspect="A3")
    assert response.status_code == 400 and response.json()["code"] == "judge_required"
    assert "J1、J2、J3" in response.json()["detail"]
    response = post(aspect="A3", judge="J7")
    assert response.status_code == 400 and "J7" in response.json()["detail"]
    assert post(aspect="ZZ").status_code == 400
    assert not Mark.objects.filter(locked=False).exists()
    response = post(aspect="A3", judge="J2")
    assert response.status_code == 200, response.json()
    assert list(Mark.objects.filter(locked=False).values_list("aspect__code", "judge__code", "value")) == [
        ("A3", "J2", 21)]
    response = post(aspect="A1")  # measured once: no judge to name
    assert response.status_code == 200
    assert set(Mark.objects.filter(locked=False).values_list("aspect__code", "judge__code")) == {
        ("A3", "J2"), ("A1", "J1")}
