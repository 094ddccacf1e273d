"""Conflicts of interest (回避): a judge is never shown, and can never mark, a contestant of
their own enterprise subtree or one they declared a relationship with — in the pages, the
API, paper keying and imports alike."""

import pytest
from django.test import Client
from django.urls import reverse

from jingsai.accounts.models import Role
from jingsai.core import spreadsheets as sheets
from jingsai.core.errors import Rejected, UserError
from jingsai.judging import conflicts, imports
from jingsai.judging.models import Mark
from jingsai.judging.services import judges, marking
from jingsai.orgs.models import OrgType
from tests import factories
from tests.judging import factories as jf

pytestmark = pytest.mark.django_db


def test_same_enterprise_subtree_means_sharing_the_outermost_enterprise_or_college():
    orgs = factories.tree()
    group = factories.org("GRP", parent=orgs["street_a"], name="集团公司")
    subsidiary = factories.org("SUB", parent=group, name="子公司")
    workshop = factories.org("WS", parent=subsidiary, type=OrgType.TEAM, name="车间班组")
    other = orgs["unit_b"]
    college = factories.org("COL", parent=orgs["A"], type=OrgType.COLLEGE, name="技师学院")
    assert conflicts.affiliation(workshop) == group
    assert conflicts.affiliation(subsidiary) == group
    assert conflicts.affiliation(college) == college
    assert conflicts.affiliation(orgs["A"]) == orgs["A"]  # a district union stands for itself
    host = orgs["union"]
    competition = factories.competition(host=host, status="in_progress")
    entry = factories.entry(competition, unit=workshop)
    assert conflicts.in_conflict(jf.judge("G1", group, owner=host), entry)
    assert conflicts.in_conflict(jf.judge("G2", subsidiary, owner=host), entry)
    assert not conflicts.in_conflict(jf.judge("G3", other, owner=host), entry)
    assert not conflicts.in_conflict(jf.judge("G4", orgs["A"], owner=host), entry)
    assert not conflicts.in_conflict(jf.judge("G5", college, owner=host), entry)


def _conflicted_world():
    """World with judge J1 moved into the contestants' enterprise (before any mark)."""
    w = jf.world()
    judges.update_judge(w.actor, w.judges[0], unit=w.orgs["unit_a"])
    return w


def test_a_judge_of_the_contestants_own_unit_sees_no_station_and_cannot_load_one(client):
    w = _conflicted_world()
    client.force_login(w.judges[0].user)
    response = client.get(reverse("judging:stations", args=[w.stage.pk]))
    assert response.status_code == 200
    assert response.context["rows"] == []
    for number in (1, 2, 3, 4):
        assert client.get(reverse("judging:station", args=[w.stage.pk, number])).status_code == 403
        assert client.get(f"/api/judging/stages/{w.stage.pk}/stations/{number}").status_code == 403
    assert client.get(f"/api/judging/stages/{w.stage.pk}/stations").json() == []


def test_a_judge_can_never_post_a_mark_for_a_conflicted_contestant():
    w = _conflicted_world()
    client = Client()
    client.force_login(w.judges[0].user)
    response = client.post(f"/api/judging/stages/{w.stage.pk}/stations/1/marks",
                           {"aspect": "A2", "value": "3", "key": "k-1"}, content_type="application/json")
    assert response.status_code == 403
    assert response.json()["code"] == "forbidden" and "回避" in response.json()["detail"]
    csrf = Client(enforce_csrf_checks=True)  # the security check answers without a code: the page keeps its queue
    csrf.force_login(w.judges[1].user)
    response = csrf.post(f"/api/judging/stages/{w.stage.pk}/stations/1/marks",
                         {"aspect": "A2", "value": "3", "key": "k-2"}, content_type="application/json")
    assert response.status_code == 403 and "code" not in response.json() and "CSRF" in response.json()["detail"]
    contestant = jf.contestants(w.stage)[0]
    with pytest.raises(UserError) as error:
        marking.record_mark(w.judges[0].user, contestant, jf.aspect(w, "A2"), "3")
    assert error.value.code == "forbidden"
    assert not Mark.objects.exists()


def test_a_declared_relationship_keeps_the_judge_away_from_that_contestant_only(client):
    w = jf.world()
    judge = w.judges[1]
    first = jf.contestants(w.stage)[0]
    judges.declare_relationship(w.actor, judge, id_number=first.entry.person.id_number, relation="亲属")
    client.force_login(judge.user)
    shown = [row["station"] for row in client.get(reverse("judging:stations", args=[w.stage.pk])).context["rows"]]
    assert first.station_number not in shown and len(shown) == 3
    assert client.get(reverse("judging:station", args=[w.stage.pk, first.station_number])).status_code == 403
    other = jf.contestants(w.stage)[1]
    assert client.get(reverse("judging:station", args=[w.stage.pk, other.station_number])).status_code == 200


def test_a_judge_can_declare_a_relationship_themselves(client):
    w = jf.world()
    contestant = jf.contestants(w.stage)[2]
    client.force_login(w.judges[2].user)
    client.post(reverse("judging:declare"), {"id_number": contestant.entry.person.id_number, "relation": "师徒"})
    assert conflicts.in_conflict(w.judges[2], contestant.entry)


def test_imports_refuse_a_mark_from_a_conflicted_judge():
    w = _conflicted_world()
    contestant = jf.contestants(w.stage)[0]
    rows = [[str(contestant.contestant_number), "", "J1", "A2", "2"], [str(contestant.contestant_number), "", "J2",
                                                                        "A2", "2"]]
    columns = [c for c in imports.COLUMNS if c.key != "id_number"]
    table = sheets.read_table(sheets.xlsx_bytes(columns, rows), "marks.xlsx")
    with pytest.raises(Rejected) as rejected:
        imports.import_judge_marks(w.actor, w.competition, w.stage, table)
    assert [(p.row, p.column) for p in rejected.value.problems] == [(2, "裁判编号")]
    assert "回避" in rejected.value.problems[0].message
    assert not Mark.objects.exists()


def test_paper_keying_refuses_a_conflicted_judges_sheet():
    w = _conflicted_world()
    contestant = jf.contestants(w.stage)[0]
    with pytest.raises(UserError) as error:
        marking.key_paper(w.actor, contestant, w.judges[0], {"A2": "2"})
    assert error.value.code == "forbidden"


def test_a_conflicted_chief_judge_cannot_review_or_sign_off_the_station(client):
    w = jf.world()
    judges.update_judge(w.actor, w.chief, unit=w.orgs["unit_a"])
    client.force_login(w.chief.user)
    assert client.get(reverse("judging:review", args=[w.stage.pk])).context["reviews"] == []
    assert client.get(reverse("judging:review_station", args=[w.stage.pk, 1])).status_code == 403
    assert client.post(f"/api/judging/stages/{w.stage.pk}/stations/1/signoff").status_code == 403


def test_a_judging_role_without_a_pool_record_cannot_mark(client):
    w = jf.world()
    stranger = factories.user("stray-judge", role=Role.JUDGE, competition=w.competition)
    client.force_login(stranger)
    assert client.get(reverse("judging:station", args=[w.stage.pk, 1])).status_code == 403
    response = client.post(f"/api/judging/stages/{w.stage.pk}/stations/1/marks",
                           {"aspect": "A2", "value": "3"}, content_type="application/json")
    assert response.status_code == 403


def test_a_judges_unit_cannot_change_once_they_have_marked():
    w = jf.world()
    marking.record_mark(w.judges[0].user, jf.contestants(w.stage)[0], jf.aspect(w, "A2"), "2")
    with pytest.raises(UserError):
        judges.update_judge(w.actor, w.judges[0], unit=w.orgs["unit_a"])
