"""Practical times (judging.record_time: host organizers and the chief judge) and the venue's
files: times and check-in lists, on the page, through the API and the service."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from jingsai.accounts.models import Role
from jingsai.core import spreadsheets as sheets
from jingsai.core.errors import Rejected
from jingsai.judging import imports
from jingsai.judging.models import CheckIn, Contestant
from jingsai.judging.services import judges, venue
from jingsai.results.models import ScoreStatus
from tests import factories
from tests.judging import factories as jf

pytestmark = pytest.mark.django_db


@pytest.fixture
def organizer(w):
    return factories.user("host-organizer", role=Role.ORGANIZER, org=w.host)


def _time_url(w, number):
    return f"/api/judging/stages/{w.stage.pk}/stations/{number}/time"


def test_organizers_and_the_chief_judge_record_times_judges_do_not(client, w, organizer):
    first, second = jf.contestants(w.stage)[:2]
    client.force_login(organizer)
    page = client.get(reverse("judging:times", args=[w.stage.pk]))
    assert page.status_code == 200 and len(page.context["rows"]) == 4
    response = client.post(reverse("judging:times", args=[w.stage.pk]), {"contestant": first.pk, "time": "52:30"})
    assert response.status_code == 302
    first.refresh_from_db()
    assert first.time_seconds == 3150
    response = client.post(_time_url(w, second.station_number), {"time": "3000"}, content_type="application/json")
    assert response.status_code == 200 and response.json()["time_seconds"] == 3000
    client.force_login(w.chief.user)
    response = client.post(_time_url(w, second.station_number), {"time": "50:01"}, content_type="application/json")
    assert response.status_code == 200 and response.json()["time_seconds"] == 3001
    bad = client.post(_time_url(w, second.station_number), {"time": "50 分"}, content_type="application/json")
    assert bad.status_code == 400 and "分:秒" in bad.json()["detail"] and bad.json()["code"] == "time"
    client.force_login(w.judges[0].user)
    assert client.post(_time_url(w, second.station_number), {"time": "1"},
                       content_type="application/json").status_code == 403
    assert client.get(reverse("judging:times", args=[w.stage.pk])).status_code == 403


def test_a_chief_judge_in_conflict_neither_sees_nor_times_the_contestant(client, w):
    first = jf.contestants(w.stage)[0]
    judges.declare_relationship(w.actor, w.chief, id_number=first.entry.person.id_number, relation="亲属")
    client.force_login(w.chief.user)
    rows = client.get(reverse("judging:times", args=[w.stage.pk])).context["rows"]
    assert first.pk not in {r["contestant"].pk for r in rows} and len(rows) == 3
    assert client.post(_time_url(w, first.station_number), {"time": "3000"},
                       content_type="application/json").status_code == 403
    upload = SimpleUploadedFile("times.xlsx", sheets.xlsx_bytes(imports.TIME_COLUMNS, [
        ["", "", str(first.station_number), "3000", ""]]))
    response = client.post(f"/api/judging/stages/{w.stage.pk}/times/import", {"file": upload})
    assert response.status_code == 400 and "回避" in response.json()["problems"][0]["message"]
    first.refresh_from_db()
    assert first.time_seconds is None


def test_a_times_file_is_all_or_nothing(client, w, organizer):
    first, second, third = jf.contestants(w.stage)[:3]
    rows = [[str(first.contestant_number), "", "", "3150", ""], ["", "", str(second.station_number), "51:00", ""],
            ["", third.entry.person.id_number, "", "abc", ""], ["99", "", "", "3000", ""]]
    with pytest.raises(Rejected) as rejected:
        imports.import_times(w.actor, w.stage, sheets.read_table(sheets.xlsx_bytes(imports.TIME_COLUMNS, rows),
                                                                 "t.xlsx"))
    assert sorted(p.row for p in rejected.value.problems) == [4, 5]
    assert not Contestant.objects.filter(time_seconds__isnull=False).exists()
    client.force_login(organizer)
    upload = SimpleUploadedFile("times.xlsx", sheets.xlsx_bytes(imports.TIME_COLUMNS, rows[:2]))
    response = client.post(reverse("judging:times", args=[w.stage.pk]), {"file": upload})
    assert response.status_code == 302
    assert dict(Contestant.objects.values_list("pk", "time_seconds"))[second.pk] == 3060


def test_check_in_from_the_venues_list(db):
    w = jf.world(drawn=False, entries=4)
    venue.draw(w.actor, w.stage, "contestant")
    people = {c.contestant_number: c for c in venue.contestants(w.stage).select_related("entry__person")}
    rows = [["1", "", "", "", ""], ["", people[2].entry.person.id_number, "", "已检录", ""],
            ["3", "", people[3].entry.person.id_number[-4:], "", ""], ["4", "", "", "缺考", "病假"]]
    table = sheets.read_table(sheets.xlsx_bytes(imports.CHECKIN_COLUMNS, rows), "c.xlsx")
    assert imports.import_checkin(w.actor, w.stage, table) == {"present": 3, "absent": 1, "unchanged": 0}
    states = dict(Contestant.objects.values_list("contestant_number", "checkin"))
    assert states == {1: CheckIn.PRESENT, 2: CheckIn.PRESENT, 3: CheckIn.PRESENT, 4: CheckIn.ABSENT}
    assert ScoreStatus.objects.get(entry=people[4].entry).status == "absent"


def test_a_bad_check_in_list_changes_nothing(db):
    w = jf.world(drawn=False, entries=2)
    venue.draw(w.actor, w.stage, "contestant")
    real = venue.contestants(w.stage).get(contestant_number=2).entry.person.id_number[-4:]
    wrong = "0000" if real != "0000" else "1111"
    rows = [["1", "", "", "", ""], ["2", "", wrong, "", ""], ["1", "", "", "缺考", ""], ["7", "", "", "到了", ""]]
    table = sheets.read_table(sheets.xlsx_bytes(imports.CHECKIN_COLUMNS, rows), "c.xlsx")
    with pytest.raises(Rejected) as rejected:
        imports.import_checkin(w.actor, w.stage, table)
    assert sorted({p.row for p in rejected.value.problems}) == [3, 4, 5]
    assert not Contestant.objects.exclude(checkin=CheckIn.PENDING).exists()
