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
