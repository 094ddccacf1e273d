"""The results part of the demo: each competition's results as its state implies."""

import random

import pytest
from django.test import Client
from django.urls import reverse

from jingsai.accounts import demo as accounts_demo
from jingsai.accounts.services import system_user
from jingsai.competitions import demo as competitions_demo
from jingsai.core.demo import DEMO_PASSWORD, DemoContext
from jingsai.exams import demo as exams_demo
from jingsai.judging import demo as judging_demo
from jingsai.orgs import demo as orgs_demo
from jingsai.people import demo as people_demo
from jingsai.registration import demo as registration_demo
from jingsai.results import demo, queries
from jingsai.results.models import Certificate, Objection, Promotion

pytestmark = pytest.mark.django_db


@pytest.fixture
def ctx():
    context = DemoContext(size="small", seed=3, rng=random.Random(3), actor=system_user())
    for module in (orgs_demo, people_demo, accounts_demo, competitions_demo, registration_demo, judging_demo,
                   exams_demo, demo):
        module.load(context)
    return context


def state(competition):
    return [queries.stage_results(stage) for stage in queries.stages_of(competition)]


def test_results_follow_each_competition_s_state(ctx):
    competitions = ctx.data["competitions"]
    qualifier, final = state(competitions["welder"])
    assert qualifier.state == queries.FINAL and len(qualifier.computations) > 1  # one per district
    assert final.state == queries.OPEN and final.computations
    [robot] = state(competitions["robot"])
    assert robot.state == queries.PUBLICITY and robot.complete
    assert robot.publicity.started_at == competitions["robot"].status_since("publicity")
    assert not robot.publicity.period_over
    assert Objection.objects.filter(competition=competitions["robot"], answered_at__isnull=True).count() == 1
    for short in ("auto", "courier", "cook"):
        [last] = state(competitions[short])
        assert last.state == queries.FINAL and last.complete, short
        assert last.finalization.finalized_at == competitions[short].status_since("final")
        assert Certificate.objects.filter(competition=competitions[short]).exists()
    assert Promotion.objects.exists()
    # once per person per year, across the demo's final competitions
    people = list(Promotion.objects.values_list("person_id", "year"))
    assert len(people) == len(set(people))


def test_the_winner_s_login_downloads_a_certificate(ctx):
    _role, username, _note = ctx.logins[-1]
    client = Client()
    assert client.login(username=username, password=DEMO_PASSWORD)
    page = client.get(reverse("results:mine")).content.decode()
    # Other parts of the demo give workers accounts too: look for this login's own certificate.
    certificate = Certificate.objects.get(person__user__pk=client.session["_auth_user_id"], kind="award")
    assert certificate.code in page
    assert client.get(reverse("results:certificate_pdf", args=[certificate.pk])).status_code == 200


def test_explanations_link_the_exam_and_show_the_judges_marks(ctx):
    from jingsai.results.models import Result

    competition = ctx.data["competitions"]["auto"]
    [last] = state(competition)
    result = Result.objects.filter(computation=last.computations[0], status="ranked").first()
    client = Client()
    client.force_login(ctx.data["city_organizer"])
    page = client.get(reverse("results:explanation", args=[result.pk])).content.decode()
    assert "/work/exams/attempts/" in page and "查看答卷" in page  # the theory exam's paper
    assert "裁判评分" in page and "A1" in page  # the practical's aspects, unblinded
