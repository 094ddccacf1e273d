"""Team competitions (results-rules.md §9): one result per team, benefits per member."""

from decimal import Decimal

import pytest
from django.urls import reverse

from jingsai.registration.models import Team
from jingsai.results import exports, services
from jingsai.results.models import Certificate, Promotion, Result
from tests import factories
from tests.results import factories as rf
from tests.results.helpers import end_publicity

pytestmark = pytest.mark.django_db


@pytest.fixture
def teams():
    orgs = factories.tree()
    competition = rf.competition(orgs["A"], mode="team", team_size=2, benefits=[
        {"promote": {"to": 2, "cap": 1}, "rank_range": [1, 1], "requires": ["worker_status"]}])
    stage = competition.stages.get()
    made = {}
    for name, unit, scores in (("红队", orgs["unit_a"], [(90, 90), (80, 80)]),
                               ("蓝队", orgs["unit_b"], [(70, 70), (95, 95)]),
                               ("绿队", orgs["unit_a"], [(60, 60), (60, None)])):
        team = Team.objects.create(competition=competition, stage=stage, name=name, unit=unit)
        members = []
        for theory, practical in scores:
            person = factories.person(employer=unit, level=3)
            entry = factories.entry(competition, person, team=team)
            services.set_component_score(None, entry, "theory", Decimal(theory))
            if practical is not None:
                services.set_component_score(None, entry, "practical", Decimal(practical))
            members.append(entry)
        made[name] = (team, members)
    return {"orgs": orgs, "competition": competition, "stage": stage, "teams": made}


def test_a_team_is_ranked_as_one_entry_on_its_members_totals(teams):
    [computation] = services.compute(None, teams["stage"])
    rows = {r.team.name: r for r in computation.results.select_related("team")}
    assert rows["红队"].total == Decimal("170") and rows["红队"].rank == 1
    assert rows["蓝队"].total == Decimal("165") and rows["蓝队"].rank == 2
    assert rows["绿队"].status == "absent" and rows["绿队"].flags == ["missing_scores"]
    red = rows["红队"]
    assert red.entry_id is None and red.unit == teams["orgs"]["unit_a"]
    assert [m["entry_id"] for m in red.members] == [e.pk for e in teams["teams"]["红队"][1]]
    assert [m["promotion"] for m in red.members] == [{"from": 3, "to": 2}, {"from": 3, "to": 2}]
    assert red.number == teams["teams"]["红队"][1][0].number


def test_finalized_teams_promote_and_certify_each_member(teams):
    services.set_score_status(None, teams["teams"]["绿队"][1][1], "absent")
    services.compute(None, teams["stage"])
    services.publish(None, teams["stage"])
    end_publicity(teams["stage"])
    services.finalize(None, teams["stage"])
    red = [e.person_id for e in teams["teams"]["红队"][1]]
    assert sorted(Promotion.objects.values_list("person_id", flat=True)) == sorted(red)
    issued = services.issue_certificates(None, teams["competition"], layout="classic")
    assert sorted(c.person_id for c in issued if c.result.team.name == "红队") == sorted(red + red)
    data = exports.export_data(teams["competition"], teams["stage"], masked=True)
    first = data["results"][0]
    assert first["name"] == "红队" and len(first["members"]) == 2
    assert first["members"][0]["name"].endswith("*")


def test_a_member_reads_the_team_s_explanation(teams, client):
    services.compute(None, teams["stage"])
    services.set_score_status(None, teams["teams"]["绿队"][1][1], "absent")
    services.compute(None, teams["stage"])
    services.publish(None, teams["stage"])
    red = Result.objects.filter(team__name="红队").order_by("-computation__version").first()
    member = teams["teams"]["红队"][1][1]
    client.force_login(factories.user(person=member.person))
    page = client.get(reverse("results:explanation", args=[red.pk])).content.decode()
    assert "团队总成绩为成员总成绩之和" in page and "170.00" in page
    assert Certificate.objects.count() == 0
