"""The judging part of the demo: every judged stage consistent with the rules, the welder
final still being marked, appeals, and the practical scores with the results."""

import random

import pytest

from jingsai.accounts import demo as accounts_demo
from jingsai.accounts.services import system_user
from jingsai.competitions import demo as competitions_demo
from jingsai.core.demo import DemoContext
from jingsai.judging import conflicts, demo
from jingsai.judging.models import Appeal, Judge, Mark
from jingsai.judging.services import marking, stats
from jingsai.orgs import demo as orgs_demo
from jingsai.people import demo as people_demo
from jingsai.registration import demo as registration_demo
from jingsai.results.models import ComponentScore

pytestmark = pytest.mark.django_db


@pytest.fixture
def ctx():
    context = DemoContext(size="small", seed=5, rng=random.Random(5), actor=system_user())
    for module in (orgs_demo, people_demo, accounts_demo, competitions_demo, registration_demo, demo):
        module.load(context)
    return context


def test_the_demo_judges_every_stage_past_its_practical(ctx):
    competitions = ctx.data["competitions"]
    for short in ("robot", "auto", "courier"):
        for stage in competitions[short].stages.all():
            reviews = marking.stage_reviews(stage)
            assert reviews and all(r.contestant.signed_off and not r.blockers for r in reviews), short
            assert marking.is_unblinded(stage)
            scores = ComponentScore.objects.filter(entry__stage=stage, source="judging")
            assert scores.count() == len(reviews)
            assert all(s.time_seconds for s in scores)
    final = competitions["welder"].stages.order_by("order").last()
    reviews = marking.stage_reviews(final)
    assert not marking.is_unblinded(final) and marking.unblinding_blockers(final)
    assert any(r.contestant.signed_off for r in reviews) and any(r.signable for r in reviews)
    assert sum(len(r.discrepancies) for r in reviews) == 1
    assert Mark.objects.filter(contestant__stage=final, rescore_requested=True).exists()
    judge1 = Judge.objects.get(user__username="judge1")
    assert any(judge1 in item.missing for r in reviews for item in r.aspects)
    assert conflicts.conflicted_contestant_ids(judge1, final.contestants.all()) or conflicts.conflicted_entry_ids(
        judge1, competitions["welder"].entries.all())
    assert list(Appeal.objects.order_by("status").values_list("status", flat=True)) == ["pending", "rejected"]


def test_the_generous_judge_stands_out(ctx):
    auto = ctx.data["competitions"]["auto"].stages.get()
    rows = {row["code"]: row for row in stats.judge_stats(auto)["judges"]}
    assert rows[demo.LENIENT]["bias"] == max(row["bias"] for row in rows.values())
