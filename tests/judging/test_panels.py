"""Judges and panels: assignment with competition roles, panels for groups of aspects and
stations, warnings when conflicts leave a panel short, substitutes free of conflicts."""

import pytest

from jingsai.accounts.models import Role, RoleAssignment
from jingsai.accounts.permissions import has_perm
from jingsai.core.errors import UserError
from jingsai.judging.models import JudgeRole
from jingsai.judging.services import judges, marking, venue
from tests import factories
from tests.judging import factories as jf

pytestmark = pytest.mark.django_db


def _members(w, *judges_):
    return [w.competition.judge_assignments.get(judge=j) for j in judges_]


def test_assignment_grants_and_revokes_the_competition_role(w):
    judge = w.judges[0]
    assert RoleAssignment.objects.filter(user=judge.user, role=Role.JUDGE, competition=w.competition).exists()
    judges.assign(w.actor, w.competition, judge, JudgeRole.CHIEF)
    held = RoleAssignment.objects.filter(user=judge.user, competition=w.competition)
    roles = set(held.values_list("role", flat=True))
    assert roles == {Role.CHIEF_JUDGE}
    judges.unassign(w.actor, w.competition.judge_assignments.get(judge=judge))
    assert not RoleAssignment.objects.filter(user=judge.user, competition=w.competition).exists()


def test_a_judge_who_marked_stays_on_the_competition(w):
    marking.record_mark(w.judges[0].user, jf.contestants(w.stage)[0], jf.aspect(w, "A2"), "2")
    with pytest.raises(UserError):
        judges.unassign(w.actor, w.competition.judge_assignments.get(judge=w.judges[0]))


def test_panels_decide_which_aspects_a_judge_marks_and_where(w):
    a1, a2, a3 = (jf.aspect(w, c) for c in ("A1", "A2", "A3"))
    j1, j2, j3 = w.judges
    judges.save_panel(w.actor, w.stage, name="甲组", aspects=[a2, a3], members=_members(w, j1, j2, j3))
    judges.save_panel(w.actor, w.stage, name="乙组前", aspects=[a1], members=_members(w, j1), station_from=1,
                      station_to=2)
    judges.save_panel(w.actor, w.stage, name="乙组后", aspects=[a1], members=_members(w, j2), station_from=3)
    plan = marking.Plan(w.stage)
    first, last = jf.contestants(w.stage)[0], jf.contestants(w.stage)[-1]
    assert [a.code for a in plan.aspects_for(j1, first)] == ["A1", "A2", "A3"]
    assert [a.code for a in plan.aspects_for(j1, last)] == ["A2", "A3"]
    assert [a.code for a in plan.aspects_for(j2, last)] == ["A1", "A2", "A3"]
    with pytest.raises(UserError) as error:
        marking.record_mark(j2.user, first, a1, "10")
    assert error.value.code == "forbidden"
    with pytest.raises(UserError, match="已在其中部分赛位评判 A1"):
        judges.save_panel(w.actor, w.stage, name="重叠", aspects=[a1], members=_members(w, j3), station_from=2,
                          station_to=3)


def test_a_panel_short_of_judges_warns_and_proposes_substitutes_without_conflicts(w):
    host = w.host
    b1b = jf.aspect(w, "B1b")
    judges.update_judge(w.actor, w.judges[0], unit=w.orgs["unit_a"])  # now the contestants' own enterprise
    same_group = factories.org("EA-SUB", parent=w.orgs["unit_a"], name="甲企业分厂")
    conflicted = jf.judge("P1", same_group, owner=host)
    free = jf.judge("P2", factories.org("FREE", parent=w.orgs["street_b"], name="丙企业"), owner=host)
    panel, warnings = judges.save_panel(w.actor, w.stage, name="评价组", aspects=[b1b],
                                        members=_members(w, *w.judges))
    assert len(warnings) == 1
    warning = warnings[0]
    assert warning["needed"] == 3 and warning["available"] == 2 and len(warning["contestants"]) == 4
    codes = [j.code for j in warning["substitutes"]]
    assert "P2" in codes and "P1" not in codes and "C1" in codes
    assert codes.index("C1") < codes.index("P2"), "the competition's own judges come first"
    judges.assign(w.actor, w.competition, free)
    panel, warnings = judges.save_panel(w.actor, w.stage, panel=panel, name="评价组", aspects=[b1b],
                                        members=_members(w, *w.judges, free))
    assert warnings == []
    assert conflicted.pk


def test_a_judge_of_the_competition_gets_the_marking_permission_only_there(w):
    other = factories.competition(host=w.host, status="in_progress", marking_scheme=jf.SCHEME)
    factories.entry(other, unit=w.orgs["unit_b"])
    elsewhere = venue.contestants(other.stages.get()).get()
    assert has_perm(w.judges[0].user, "judging.mark", jf.contestants(w.stage)[0])
    assert not has_perm(w.judges[0].user, "judging.mark", elsewhere)


def _short_world(w):
    """Judge J1 now works for the contestants' enterprise; P1 (same group) is in conflict, P2 free."""
    judges.update_judge(w.actor, w.judges[0], unit=w.orgs["unit_a"])
    conflicted = jf.judge("P1", factories.org("EA-SUB", parent=w.orgs["unit_a"], name="甲企业分厂"), owner=w.host)
    free = jf.judge("P2", factories.org("FREE", parent=w.orgs["street_b"], name="丙企业"), owner=w.host)
    return conflicted, free


def test_without_panels_a_shortage_of_judges_still_warns_and_a_substitute_joins(client, w):
    from django.urls import reverse

    _conflicted, free = _short_world(w)
    warnings = judges.open_warnings(w.stage)
    assert len(warnings) == 1
    assert warnings[0]["needed"] == 3 and warnings[0]["available"] == 2 and len(warnings[0]["contestants"]) == 4
    codes = [j.code for j in warnings[0]["substitutes"]]
    assert "P2" in codes and "P1" not in codes and "C1" not in codes, "the chief judge is not a marker to add"
    organizer = factories.user("host-organizer", role=Role.ORGANIZER, org=w.host)
    client.force_login(organizer)
    url = reverse("judging:panels", args=[w.stage.pk])
    page = client.get(url)
    assert page.context["open_warnings"] == warnings and "open-warning" in page.content.decode()
    api = client.get(f"/api/judging/stages/{w.stage.pk}/panels/warnings").json()
    assert api == [{"panel": None, "contestants": 4, "needed": 3, "available": 2, "substitutes": codes}]
    response = client.post(url, {"action": "assign_substitute", "judge": w.chief.pk}, follow=True)
    assert w.competition.judge_assignments.get(judge=w.chief).role == JudgeRole.CHIEF
    assert "C1" in response.content.decode()
    client.post(url, {"action": "assign_substitute", "judge": free.pk})
    assert w.competition.judge_assignments.get(judge=free).role == JudgeRole.JUDGE
    assert judges.open_warnings(w.stage) == []
    judges.save_panel(w.actor, w.stage, name="评价组", aspects=[jf.aspect(w, "B1b")],
                      members=_members(w, *w.judges))
    assert judges.open_warnings(w.stage) == [], "with panels each panel warns for itself"
    api = client.get(f"/api/judging/stages/{w.stage.pk}/panels/warnings").json()
    assert [(item["panel"], item["available"]) for item in api] == [("评价组", 2)]


def test_the_api_changes_a_panel(client, w):
    from jingsai.core.models import AuditRecord

    organizer = factories.user("host-organizer", role=Role.ORGANIZER, org=w.host)
    client.force_login(organizer)
    base = f"/api/judging/stages/{w.stage.pk}/panels"
    created = client.post(base, {"name": "甲组", "aspects": ["A2", "A3"], "judges": ["J1", "J2"]},
                          content_type="application/json")
    assert created.status_code == 201, created.json()
    panel_id = created.json()["id"]
    assert created.json()["warnings"][0]["needed"] == 3
    response = client.put(f"{base}/{panel_id}", {"name": "甲组（前）", "aspects": ["A2", "A3"],
                                                 "judges": ["J1", "J2", "J3"], "station_from": 1, "station_to": 2,
                                                 "reason": "加一名裁判"}, content_type="application/json")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["name"] == "甲组（前）" and body["judges"] == ["J1", "J2", "J3"] and body["warnings"] == []
    assert (body["station_from"], body["station_to"]) == (1, 2)
    record = AuditRecord.objects.filter(action="judging.panel_save").latest("pk")
    assert record.reason == "加一名裁判" and "judges" in record.changes
    bad = client.put(f"{base}/{panel_id}", {"name": "甲组", "aspects": ["ZZ"], "judges": ["J1"]},
                     content_type="application/json")
    assert bad.status_code == 400 and "ZZ" in bad.json()["detail"]
    assert client.put(f"{base}/99999", {"name": "甲组", "aspects": ["A2"], "judges": ["J1"]},
                      content_type="application/json").status_code == 404
    client.force_login(w.judges[0].user)
    assert client.put(f"{base}/{panel_id}", {"name": "乙", "aspects": ["A2"], "judges": ["J1"]},
                      content_type="application/json").status_code == 403
