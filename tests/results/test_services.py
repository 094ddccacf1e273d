"""Computing, versions and what changed, publicity, finalization and what it grants."""

from decimal import Decimal

import pytest

from jingsai.competitions.models import Status
from jingsai.core.errors import UserError
from jingsai.core.models import AuditRecord
from jingsai.registration.models import Entry
from jingsai.results import queries, services
from jingsai.results.models import (
    FLAG_MISSING_SCORES,
    Computation,
    Finalization,
    Honour,
    Promotion,
    Result,
    ScoreStatus,
)
from tests import factories
from tests.results import factories as rf
from tests.results.helpers import end_publicity

pytestmark = pytest.mark.django_db


@pytest.fixture
def orgs():
    return factories.tree()


def _rows(computation):
    return list(computation.results.order_by("position"))


def test_compute_stores_every_result_with_its_explanation(orgs):
    competition = rf.competition(orgs["A"])
    entries = rf.scored(competition, [(90, 90), (80, 85), (70, 60), (50, 50)], unit=orgs["unit_a"])
    [computation] = services.compute(None, competition.stages.get())
    assert (computation.version, computation.n_entries, computation.n_ranked) == (1, 4, 4)
    rows = _rows(computation)
    assert [r.entry_id for r in rows] == [e.pk for e in entries]
    assert [r.rank for r in rows] == [1, 2, 3, 4]
    assert [r.total for r in rows] == [Decimal("90"), Decimal("83.5"), Decimal("63"), Decimal("50")]
    assert [r.award for r in rows] == ["一等奖", "二等奖", "三等奖", ""]
    assert rows[0].components == {"theory": "90.00", "practical": "90.00"}
    assert rows[0].promotion == {"from": 3, "to": 2}
    assert rows[0].titles == ["区技术能手"] and rows[0].recommendations == ["五一劳动奖章"]
    assert rows[3].passed_all is False and rows[3].award == ""
    assert rows[0].explain["rank"]["rank"] == 1
    record = AuditRecord.objects.get(action="results.compute")
    assert record.data["ranked"] == 4 and record.data["version"] == 1


def test_an_entry_missing_a_score_is_flagged_and_blocks_publicity(orgs):
    competition = rf.competition(orgs["A"])
    rf.scored(competition, [(90, 90), (80, None)], unit=orgs["unit_a"])
    stage = competition.stages.get()
    [computation] = services.compute(None, stage)
    assert computation.n_missing == 1
    missing = computation.results.get(status="absent")
    assert missing.flags == [FLAG_MISSING_SCORES]
    assert missing.components == {"theory": "80.00", "practical": None}
    with pytest.raises(UserError) as error:
        services.publish(None, stage)
    assert error.value.code == "missing_scores"
    # Marked absent (缺考), the entry is no longer a data gap.
    services.set_score_status(None, missing.entry, ScoreStatus.Status.ABSENT)
    [again] = services.compute(None, stage)
    assert again.n_missing == 0 and again.n_absent == 1
    assert again.results.get(status="absent").flags == []


def test_each_computation_is_a_new_version_and_the_change_is_shown(orgs):
    competition = rf.competition(orgs["A"])
    entries = rf.scored(competition, [(90, 90), (80, 85), (70, 60)], unit=orgs["unit_a"])
    stage = competition.stages.get()
    [first] = services.compute(None, stage)
    [same] = services.compute(None, stage)
    assert (same.version, same.n_changed) == (2, 0)
    services.set_component_score(None, entries[2], "practical", Decimal("99"))
    [third] = services.compute(None, stage, reason="practical corrected")
    assert third.version == 3 and third.n_changed == 3  # every rank moved
    assert Computation.objects.filter(stage=stage).count() == 3
    assert Result.objects.filter(computation=first).count() == 3  # earlier versions are kept
    changes = {c.number: c for c in queries.changes(queries.previous_computation(third), third)}
    moved = changes[entries[2].number]
    assert moved.fields["rank"] == (3, 1)
    assert moved.fields["total"] == ("63.00", "90.30")
    assert moved.fields["award"] == ("三等奖", "一等奖")
    assert moved.fields["promotion"] == (None, (3, 2))
    assert changes[entries[1].number].fields["rank"] == (2, 3)
    assert queries.stage_results(stage).computations == [third]


def test_scopes_are_ranked_separately(orgs):
    competition = rf.competition(orgs["union"], stages=[
        {"key": "qualifier", "name": "区级选拔赛", "scope": "district", "advance": {"top": 1}},
        {"key": "final", "name": "市级决赛"},
    ])
    qualifier = competition.stages.get(key="qualifier")
    a = rf.scored(competition, [(90, 90), (60, 60)], unit=orgs["unit_a"], stage=qualifier, scope=orgs["A"])
    b = rf.scored(competition, [(70, 70), (80, 80)], unit=orgs["unit_b"], stage=qualifier, scope=orgs["B"])
    made = services.compute(None, qualifier)
    assert {c.scope_id for c in made} == {orgs["A"].pk, orgs["B"].pk}
    ranks = {r.entry_id: r.rank for r in Result.objects.filter(computation__in=made)}
    assert ranks == {a[0].pk: 1, a[1].pk: 2, b[1].pk: 1, b[0].pk: 2}
    # A qualifier decides who advances; benefits are the last stage's.
    assert not Result.objects.filter(computation__in=made, promotion_to__isnull=False).exists()
    assert set(Result.objects.filter(computation__in=made, advanced=True).values_list("entry_id", flat=True)) == {
        a[0].pk, b[1].pk}
    # One scope alone gets a new version; the other keeps its own.
    [only_a] = services.compute(None, qualifier, scope=orgs["A"])
    assert only_a.version == 2
    current = {c.scope_id: c.version for c in queries.current_computations(qualifier)}
    assert current == {orgs["A"].pk: 2, orgs["B"].pk: 1}


def test_compute_needs_the_competition_in_progress_or_scoring(orgs):
    competition = rf.competition(orgs["A"], status=Status.REGISTRATION_OPEN)
    rf.scored(competition, [(90, 90)], unit=orgs["unit_a"])
    with pytest.raises(UserError) as error:
        services.compute(None, competition.stages.get())
    assert error.value.code == "status"


def _published(orgs, scores=((90, 90), (80, 85), (70, 60)), **spec):
    competition = rf.competition(orgs["A"], **spec)
    entries = rf.scored(competition, list(scores), unit=orgs["unit_a"])
    stage = competition.stages.get()
    services.compute(None, stage)
    services.publish(None, stage)
    return competition, stage, entries


def test_publish_moves_the_competition_to_publicity_for_the_configured_days(orgs):
    competition, stage, _entries = _published(orgs, publicity_days=7)
    competition.refresh_from_db()
    assert competition.status == Status.PUBLICITY
    state = queries.stage_results(stage)
    assert state.state == queries.PUBLICITY
    assert (state.publicity.ends_at - state.publicity.started_at).days == 7
    assert list(state.publicity.computations.all()) == state.computations


def test_publish_refuses_results_older_than_the_scores(orgs):
    competition = rf.competition(orgs["A"])
    entries = rf.scored(competition, [(90, 90), (80, 85)], unit=orgs["unit_a"])
    stage = competition.stages.get()
    services.compute(None, stage)
    services.set_component_score(None, entries[0], "theory", Decimal("10"))
    with pytest.raises(UserError) as error:
        services.publish(None, stage)
    assert error.value.code == "stale"


def test_no_recompute_during_publicity_and_withdrawal_needs_a_reason(orgs):
    competition, stage, _entries = _published(orgs)
    with pytest.raises(UserError) as error:
        services.compute(None, stage)
    assert error.value.code in ("status", "publicity")
    with pytest.raises(UserError):
        services.withdraw_publicity(None, stage, reason=" ")
    services.withdraw_publicity(None, stage, reason="异议成立：操作技能成绩录入有误")
    competition.refresh_from_db()
    assert competition.status == Status.SCORING
    assert queries.stage_results(stage).state == queries.OPEN
    services.compute(None, stage)


def test_the_lifecycle_refuses_bare_steps_that_skip_the_results_services(orgs):
    from jingsai.competitions import services as competition_services

    competition = rf.competition(orgs["A"])
    rf.scored(competition, [(90, 90)], unit=orgs["unit_a"])
    stage = competition.stages.get()
    services.compute(None, stage)
    with pytest.raises(UserError, match="成绩页面"):
        competition_services.transition(None, competition, Status.PUBLICITY)
    services.publish(None, stage)
    end_publicity(stage)
    with pytest.raises(UserError, match="成绩页面"):
        competition_services.transition(None, competition, Status.FINAL)
    with pytest.raises(UserError, match="撤回公示"):
        competition_services.transition(None, competition, Status.SCORING, reason="改分")


def test_finalize_waits_for_the_period_and_the_answers(orgs):
    competition, stage, _entries = _published(orgs)
    with pytest.raises(UserError, match="公示期"):
        services.finalize(None, stage)
    objection = services.submit_objection(competition, name="王五", contact="13800000000",
                                          text="第3名的操作技能成绩有误，请复核。")
    end_publicity(stage)
    with pytest.raises(UserError, match="异议尚未答复"):
        services.finalize(None, stage)
    services.answer_objection(None, objection, answer="经复核，成绩无误。", outcome="dismissed")
    finalization = services.finalize(None, stage, reason="公示期满")
    competition.refresh_from_db()
    assert competition.status == Status.FINAL
    assert queries.stage_results(stage).state == queries.FINAL
    assert list(finalization.computations.all()) == queries.stage_results(stage).computations


def test_finalize_grants_promotions_titles_and_recommendations_and_raises_levels(orgs):
    competition, stage, entries = _published(orgs)
    end_publicity(stage)
    services.finalize(None, stage)
    promotions = list(Promotion.objects.filter(competition=competition).order_by("result__position"))
    assert [(p.person_id, p.from_level, p.to_level, p.year) for p in promotions] == [
        (entries[0].person_id, 3, 2, 2026), (entries[1].person_id, 3, 2, 2026)]
    assert factories.refresh(entries[0].person).level == 2
    assert factories.refresh(entries[2].person).level == 3
    assert AuditRecord.objects.filter(action="people.update", object_id=str(entries[0].person_id)).exists()
    honours = set(Honour.objects.filter(competition=competition).values_list("kind", "name", "person_id"))
    assert honours == {("title", "区技术能手", entries[0].person_id),
                       ("recommendation", "五一劳动奖章", entries[0].person_id)}


def test_results_are_frozen_once_final(orgs):
    competition, stage, entries = _published(orgs)
    end_publicity(stage)
    services.finalize(None, stage)
    with pytest.raises(UserError) as error:
        services.set_component_score(None, entries[0], "theory", Decimal("1"))
    assert error.value.code == "final"
    with pytest.raises(UserError):
        services.set_score_status(None, entries[0], ScoreStatus.Status.DISQUALIFIED)
    competition.status = Status.SCORING  # even if the status were forced back, results stay final
    competition.save()
    with pytest.raises(UserError) as error:
        services.compute(None, stage)
    assert error.value.code == "final"
    with pytest.raises(UserError):
        services.finalize(None, stage)


def test_one_promotion_per_person_per_year_across_competitions(orgs):
    person = factories.person(employer=orgs["unit_a"], level=3)
    first = rf.competition(orgs["A"])
    second = rf.competition(orgs["B"])
    for competition in (first, second):
        entry = factories.entry(competition, person)
        services.set_component_score(None, entry, "theory", Decimal("95"))
        services.set_component_score(None, entry, "practical", Decimal("95"))
        rf.scored(competition, [(60, 60)], unit=orgs["unit_b"])
    for competition in (first, second):
        services.compute(None, competition.stages.get())
        services.publish(None, competition.stages.get())
    end_publicity(first.stages.get())
    services.finalize(None, first.stages.get())
    assert Promotion.objects.filter(person=person).count() == 1
    # The second competition was published before the first was final: finalizing it
    # computes a new version in which the promotion is withheld, and says so.
    end_publicity(second.stages.get())
    finalization = services.finalize(None, second.stages.get())
    [final] = finalization.computations.all()
    assert final.version == 2
    row = final.results.get(entry__person=person)
    assert row.promotion is None and row.flags == ["promotion_already_granted_this_year"]
    assert row.titles == ["区技术能手"]  # titles are not limited
    assert Promotion.objects.filter(person=person).count() == 1
    assert factories.refresh(person).level == 2
    change = queries.changes(queries.previous_computation(final), final)
    assert [(c.number, c.fields["promotion"]) for c in change] == [(row.number, ((3, 2), None))]


def test_promotions_granted_earlier_are_known_when_computing(orgs):
    person = factories.person(employer=orgs["unit_a"], level=4)
    earlier = rf.competition(orgs["B"])
    Promotion.objects.create(
        person=person, competition=earlier, year=2026, from_level=4, to_level=3,
        result=_a_result(earlier, orgs),
    )
    competition = rf.competition(orgs["A"])
    entry = factories.entry(competition, person)
    services.set_component_score(None, entry, "theory", Decimal("99"))
    services.set_component_score(None, entry, "practical", Decimal("99"))
    [computation] = services.compute(None, competition.stages.get())
    row = computation.results.get(entry=entry)
    assert row.flags == ["promotion_already_granted_this_year"] and row.promotion is None
    assert computation.earlier_promoted == [person.pk]


def _a_result(competition, orgs):
    rf.scored(competition, [(80, 80)], unit=orgs["unit_b"])
    [computation] = services.compute(None, competition.stages.get())
    return computation.results.first()


def test_finalizing_a_qualifier_advances_its_qualifiers(orgs):
    competition = rf.competition(orgs["union"], status=Status.IN_PROGRESS, stages=[
        {"key": "qualifier", "name": "区级选拔赛", "scope": "district", "advance": {"top": 1}},
        {"key": "final", "name": "市级决赛"},
    ])
    qualifier = competition.stages.get(key="qualifier")
    a = rf.scored(competition, [(90, 90), (60, 60)], unit=orgs["unit_a"], stage=qualifier, scope=orgs["A"])
    b = rf.scored(competition, [(70, 70), (80, 80)], unit=orgs["unit_b"], stage=qualifier, scope=orgs["B"])
    services.compute(None, qualifier)
    services.publish(None, qualifier)
    competition.refresh_from_db()
    assert competition.status == Status.IN_PROGRESS  # a qualifier's publicity is its own
    end_publicity(qualifier)
    services.finalize(None, qualifier)
    final_stage = competition.stages.get(key="final")
    advanced = Entry.objects.filter(stage=final_stage)
    assert set(advanced.values_list("previous_id", flat=True)) == {a[0].pk, b[1].pk}
    assert not Promotion.objects.exists()
    assert Finalization.objects.filter(stage=qualifier).exists()
    competition.refresh_from_db()
    assert competition.status == Status.IN_PROGRESS


def test_objections_are_checked_and_throttled(orgs):
    from jingsai.core.errors import Rejected

    competition, stage, _entries = _published(orgs)
    with pytest.raises(Rejected) as error:
        services.submit_objection(competition, name="", contact="abc", text="短", entry_number=999)
    assert {p.where for p in error.value.problems} == {"name", "contact", "text", "entry_number"}
    for _ in range(services.OBJECTIONS_PER_ADDRESS_PER_HOUR):
        services.submit_objection(competition, name="李四", contact="lisi@example.com", text="请复核第一名成绩。",
                                  ip="10.0.0.1")
    with pytest.raises(UserError) as error:
        services.submit_objection(competition, name="李四", contact="lisi@example.com", text="请复核第一名成绩。",
                                  ip="10.0.0.1")
    assert error.value.code == "throttled"
    end_publicity(stage)
    with pytest.raises(UserError) as error:
        services.submit_objection(competition, name="李四", contact="lisi@example.com", text="请复核第一名成绩。")
    assert error.value.code == "closed"


def test_scores_changed_after_publication_block_finalization(orgs):
    _competition, stage, entries = _published(orgs)
    services.set_component_score(None, entries[0], "theory", Decimal("12"), reason="复核")
    end_publicity(stage)
    with pytest.raises(UserError) as error:
        services.finalize(None, stage)
    assert error.value.code == "stale"
