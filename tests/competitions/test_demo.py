"""The competitions part of the demo: every state, realistic rules, district qualifiers
feeding a final, a marking scheme, a team event, a district's own competition, staff
roles, and the recorded steps."""

import random

import pytest

from jingsai.accounts.models import RoleAssignment
from jingsai.accounts.services import system_user
from jingsai.competitions import demo, lifecycle, services
from jingsai.competitions.models import Status
from jingsai.competitions.spec import aspects_of, load_spec
from jingsai.core.demo import DemoContext
from jingsai.orgs import demo as orgs_demo
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def ctx():
    context = DemoContext(size="small", seed=1, rng=random.Random(1), actor=system_user())
    orgs_demo.load(context)
    context.data["staff"] = {name: factories.user(name) for name in (
        "judge1", "judge2", "judge3", "chief-judge", "arbitrator", "invigilator", "grader")}
    demo.load(context)
    return context


def test_every_state_of_the_lifecycle_is_there(ctx):
    competitions = ctx.data["competitions"]
    assert set(competitions) == {"eldercare", "electrician", "rider", "fitter", "turner", "welder", "robot",
                                 "auto", "courier", "cook", "xuhui"}
    assert {c.status for c in competitions.values()} == set(Status.values)
    for short, item in competitions.items():
        item.refresh_from_db()
        steps = list(item.status_changes.values_list("to_status", flat=True))
        assert steps == [s.value for s in demo._path_to(Status(item.status))], short
        assert item.spec == services.spec_as_json(load_spec(services.export_yaml(item))), short


def test_the_series_and_its_shapes(ctx):
    c = ctx.data["competitions"]
    assert {item.series.code for short, item in c.items() if short != "xuhui"} == {"2026-SH"}
    assert all(item.host.code == "SH-UNION" for short, item in c.items() if short != "xuhui")
    welder = c["welder"]
    assert [(s.key, s.scope_type, s.advance) for s in welder.stages.all()] == [
        ("qualifier", "district", {"top": 3, "min_total": None}), ("final", "", None)]
    aspects = aspects_of(load_spec(welder.spec)["marking_scheme"])
    assert {a["type"] for a in aspects} == {"M", "J", "S"}
    assert sum(a["max"] for a in aspects) == 100
    assert all(len(a["descriptors"]) == 4 for a in aspects if a["type"] == "J")
    assert c["robot"].mode == "team" and c["robot"].team_size == 3
    assert c["xuhui"].host.code == "SH-D02" and c["xuhui"].level == "district"
    assert c["xuhui"].stages.first().scope_type == "street"
    assert {c["welder"].klass, c["auto"].klass} == {"class1", "class2"}


def test_dates_fit_the_states(ctx):
    c = ctx.data["competitions"]
    for short in ("electrician", "rider", "xuhui"):
        assert lifecycle.deadline_ahead(c[short]) is None, short
    assert lifecycle.publicity_served(c["robot"]) is not None  # publicity still running
    assert lifecycle.publicity_ends(c["auto"]) < c["auto"].status_since(Status.FINAL)


def test_staff_roles_and_logins(ctx):
    c = ctx.data["competitions"]
    judge = ctx.data["staff"]["judge1"]
    assert set(RoleAssignment.objects.filter(user=judge).values_list("competition__code", flat=True)) == {
        c["welder"].code, c["robot"].code}
    grader = ctx.data["staff"]["grader"]
    assert set(RoleAssignment.objects.filter(user=grader).values_list("competition__code", flat=True)) == {
        c["turner"].code, c["welder"].code}
    assert {username for _role, username, _note in ctx.logins} >= {"judge1", "chief-judge", "arbitrator",
                                                                   "invigilator", "grader"}
