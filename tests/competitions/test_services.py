"""Loading specs into competitions: what the database checks add to the spec's own
rules, frozen rules, series and stages, the YAML round trip."""

import pytest

from jingsai.accounts.models import Role
from jingsai.competitions import services
from jingsai.competitions.models import Competition, Series, Stage, Status
from jingsai.competitions.spec import dump_spec, load_spec
from jingsai.core.errors import Rejected, UserError
from jingsai.core.models import AuditRecord
from jingsai.orgs.models import OrgType
from tests import factories
from tests.competitions.factories import competition, schedule, spec
from tests.competitions.test_spec import PUBLISHED_FIXED

pytestmark = pytest.mark.django_db


@pytest.fixture
def orgs():
    return factories.tree()


def problems_of(error):
    return {p.where: str(p.message) for p in error.value.problems}


def snapshot():
    return (Competition.objects.count(), Series.objects.count(), Stage.objects.count(),
            AuditRecord.objects.count(), list(Competition.objects.values_list("spec", flat=True)))


# ---- Creating and updating -------------------------------------------------------------

def test_a_spec_makes_the_competition_its_series_and_stages(orgs):
    raw = spec("C-1", orgs["A"], stages=[
        {"key": "qualifier", "name": "街道初赛", "scope": "street", "advance": {"top": 3}},
        {"key": "final", "name": "区级决赛"}])
    item = services.load_competition(factories.actor(), raw, check=False)
    assert item.outcome == "created"
    item = Competition.objects.get(code="C-1")
    assert (item.name, item.host, item.level, item.klass, item.status) == (
        "C-1 焊工", orgs["A"], "district", "class2", Status.DRAFT)
    assert item.series.code == "S-DA" and item.series.host == orgs["A"]
    assert [(s.key, s.order, s.scope_type, s.advance) for s in item.stages.all()] == [
        ("qualifier", 0, "street", {"top": 3, "min_total": None}), ("final", 1, "", None)]
    assert item.registration_closes.isoformat().startswith(raw["schedule"]["registration_closes"][:10])
    assert item.spec == services.spec_as_json(load_spec(raw))
    record = AuditRecord.objects.get(action="competitions.create")
    assert record.object_id == str(item.pk) and record.data["spec"]["code"] == "C-1"


def test_loading_the_same_rules_again_changes_nothing(orgs):
    item = competition("C-1", orgs["A"])
    before = snapshot()
    again = services.load_competition(factories.actor(), spec("C-1", orgs["A"], schedule=item.spec["schedule"]),
                                      check=False)
    assert again.outcome == "unchanged" and snapshot() == before


def test_a_draft_changes_freely_and_the_audit_keeps_every_difference(orgs):
    item = competition("C-1", orgs["A"])
    raw = spec("C-1", orgs["A"], schedule=item.spec["schedule"])
    raw["components"][0]["weight"], raw["components"][1]["weight"] = "0.4", "0.6"
    updated = services.load_competition(factories.actor(), raw, check=False)
    assert updated.outcome == "updated"
    assert Competition.objects.get(pk=item.pk).spec["components"][0]["weight"] == "0.4"
    record = AuditRecord.objects.get(action="competitions.update_rules")
    assert record.changes == {"components[0].weight": ["0.3", "0.4"], "components[1].weight": ["0.7", "0.6"]}


def test_rules_are_compared_by_meaning_not_by_spelling(orgs):
    raw = spec("C-1", orgs["A"], schedule={"registration_opens": "2026-05-01", "registration_closes": "2026-05-31"})
    same = spec("C-1", orgs["A"], schedule={"registration_opens": "2026-05-01T00:00:00+08:00",
                                            "registration_closes": "2026-05-31"})
    same["components"][0]["weight"] = "0.30"
    assert services.rules_diff(raw, same) == {}
    other = dict(same, schedule={"registration_opens": "2026-05-01T09:00:00+08:00"})
    assert set(services.rules_diff(raw, other)) == {"schedule.registration_opens", "schedule.registration_closes"}


# ---- Every problem at once, nothing written ----------------------------------------------

def test_spec_problems_and_database_problems_are_listed_together(orgs):
    before = snapshot()
    raw = spec("C-1", orgs["A"], organizer="GONE", stages=[
        {"key": "q", "name": "初赛", "advance": {"top": 3}}, {"key": "q", "name": "决赛"}])
    raw["host"] = "NOPE"
    raw["components"][0]["weight"] = "0.2"
    with pytest.raises(Rejected) as error:
        services.load_competition(factories.actor(), raw, check=False)
    found = problems_of(error)
    assert found["host"] == "没有编码为“NOPE”的单位。"
    assert found["organizer"] == "没有编码为“GONE”的单位。"
    assert found["components"] == "各成绩项权重之和必须恰好为 1，当前之和为 0.9。"
    assert "stages[1].key" in found
    assert error.value.message == "规则有4处问题，未作保存。"
    assert snapshot() == before


def test_a_yaml_syntax_error_is_one_problem_with_its_line():
    with pytest.raises(Rejected) as error:
        services.load_competition(factories.actor(), "code: [unclosed\n", check=False)
    assert "第" in error.value.problems[0].message and "YAML" in error.value.problems[0].message


# ---- 层层办赛: levels, hosts and permissions -------------------------------------------

@pytest.mark.parametrize(("host", "level", "allowed"), [
    ("union", "city", True), ("union", "district", True), ("A", "district", True), ("A", "street", True),
    ("A", "enterprise", True), ("A", "team", True), ("A", "city", False), ("A", "industry", False),
    ("street_a", "street", True), ("street_a", "district", False), ("unit_a", "enterprise", True),
    ("unit_a", "team", True), ("unit_a", "street", False),
])
def test_the_level_fits_the_host(orgs, host, level, allowed):
    raw = spec("C-1", orgs[host], level=level)
    if allowed:
        assert services.load_competition(factories.actor(), raw, check=False).level == level
        return
    with pytest.raises(Rejected) as error:
        services.load_competition(factories.actor(), raw, check=False)
    assert list(problems_of(error)) == ["level"]
    assert f"{orgs[host].name}（" in problems_of(error)["level"] and "可举办" in problems_of(error)["level"]


def test_an_industry_union_holds_industry_enterprise_and_team_competitions(orgs):
    industry = factories.org("IND", parent=orgs["union"], type=OrgType.INDUSTRY, name="机电工会")
    for level in ("industry", "enterprise", "team"):
        services.load_competition(factories.actor(), spec(f"I-{level}", industry, level=level), check=False)
    with pytest.raises(Rejected):
        services.load_competition(factories.actor(), spec("I-street", industry, level="street"), check=False)


def test_an_organizer_hosts_in_their_own_subtree_only(orgs):
    organizer = factories.user(role=Role.ORGANIZER, org=orgs["A"])
    assert services.load_competition(organizer, spec("C-A", orgs["A"])).host == orgs["A"]
    assert services.load_competition(organizer, spec("C-SA", orgs["street_a"], level="street")).host == orgs["street_a"]
    with pytest.raises(UserError) as error:
        services.load_competition(organizer, spec("C-B", orgs["B"]))
    assert error.value.code == "forbidden" and "乙区总工会" in error.value.message
    with pytest.raises(UserError):
        services.load_competition(organizer, spec("C-U", orgs["union"], level="city"))
    city = factories.user(role=Role.ORGANIZER, org=orgs["union"])
    assert services.load_competition(city, spec("C-B", orgs["B"])).host == orgs["B"]


def test_no_one_but_its_managers_changes_a_competition(orgs):
    competition("C-B", orgs["B"])
    organizer = factories.user(role=Role.ORGANIZER, org=orgs["A"])
    contact = factories.user(role=Role.UNIT_CONTACT, org=orgs["unit_b"])
    for user in (organizer, contact):
        with pytest.raises(UserError) as error:
            services.load_competition(user, spec("C-B", orgs["B"], name="改名"))
        assert error.value.code == "forbidden"
    assert Competition.objects.get(code="C-B").name == "C-B 焊工"


def test_a_competition_may_move_to_a_host_its_manager_holds(orgs):
    item = competition("C-1", orgs["A"])
    organizer = factories.user(role=Role.ORGANIZER, org=orgs["A"])
    raw = spec("C-1", orgs["street_a"], level="street", series=item.spec["series"], schedule=item.spec["schedule"])
    assert services.load_competition(organizer, raw).host == orgs["street_a"]


# ---- Series ------------------------------------------------------------------------------

def test_a_series_must_agree_with_the_one_stored(orgs):
    competition("C-1", orgs["A"])
    raw = spec("C-2", orgs["A"], series={"code": "S-DA", "name": "别的名字", "year": 2027})
    with pytest.raises(Rejected) as error:
        services.load_competition(factories.actor(), raw, check=False)
    found = problems_of(error)
    assert "甲区总工会系列赛" in found["series.name"] and "2026" in found["series.year"]


def test_a_series_holds_competitions_of_its_host_and_below(orgs):
    competition("C-1", orgs["A"])
    series = {"code": "S-DA", "name": "甲区总工会系列赛", "year": 2026}
    services.load_competition(factories.actor(), spec("C-2", orgs["street_a"], level="street", series=series),
                              check=False)
    with pytest.raises(Rejected) as error:
        services.load_competition(factories.actor(), spec("C-3", orgs["B"], series=series), check=False)
    assert "series.code" in problems_of(error)


def test_renaming_a_series_rewrites_its_competitions_rules(orgs):
    item = competition("C-1", orgs["A"])
    services.update_series(factories.actor(), item.series, name="甲区2026年职工技能竞赛", year=2026, reason="更正")
    item.refresh_from_db()
    assert item.series.name == item.spec["series"]["name"] == "甲区2026年职工技能竞赛"
    assert load_spec(services.export_yaml(item))["series"]["name"] == "甲区2026年职工技能竞赛"
    with pytest.raises(Rejected):
        services.update_series(factories.actor(), item.series, name="", year=1999)


# ---- Stages and scopes ------------------------------------------------------------------

def test_a_stage_split_by_a_type_needs_organizations_of_that_type_inside_the_host(orgs):
    raw = spec("C-1", orgs["A"], stages=[
        {"key": "q", "name": "初赛", "scope": "district", "advance": {"top": 3}}, {"key": "f", "name": "决赛"}])
    with pytest.raises(Rejected) as error:
        services.load_competition(factories.actor(), raw, check=False)
    assert "甲区总工会下没有类型为“区”的组织" in problems_of(error)["stages[0].scope"]
    city = spec("C-2", orgs["union"], level="city", stages=raw["stages"])
    assert services.load_competition(factories.actor(), city, check=False).stages.count() == 2


def test_a_stage_with_entries_stays(orgs):
    raw = spec("C-1", orgs["A"], stages=[
        {"key": "q", "name": "初赛", "scope": "street", "advance": {"top": 3}}, {"key": "final", "name": "决赛"}])
    item = services.load_competition(factories.actor(), raw, check=False)
    factories.entry(item, stage=item.stages.get(key="q"), unit=orgs["unit_a"])
    shorter = dict(raw, stages=[{"key": "final", "name": "决赛"}])
    with pytest.raises(Rejected) as error:
        services.load_competition(factories.actor(), shorter, check=False)
    assert problems_of(error)["stages"] == "赛段“初赛”（q）已有报名，不能删除。"
    renamed = dict(raw, stages=[raw["stages"][0], {"key": "final", "name": "区级决赛"}])
    services.load_competition(factories.actor(), renamed, check=False)
    assert list(item.stages.values_list("key", "name")) == [("q", "初赛"), ("final", "区级决赛")]


def test_a_stage_without_entries_may_go(orgs):
    raw = spec("C-1", orgs["A"], stages=[
        {"key": "q", "name": "初赛", "scope": "street", "advance": {"top": 3}}, {"key": "final", "name": "决赛"}])
    item = services.load_competition(factories.actor(), raw, check=False)
    services.load_competition(factories.actor(), dict(raw, stages=[{"key": "final", "name": "决赛"}]), check=False)
    assert list(item.stages.values_list("key", flat=True)) == ["final"]


def test_individual_or_team_is_fixed_once_there_are_entries(orgs):
    item = competition("C-1", orgs["A"])
    factories.entry(item, unit=orgs["unit_a"])
    raw = spec("C-1", orgs["A"], mode="team", team_size=3, schedule=item.spec["schedule"])
    with pytest.raises(Rejected) as error:
        services.load_competition(factories.actor(), raw, check=False)
    assert "mode" in problems_of(error)


# ---- Frozen rules -------------------------------------------------------------------------

def test_rules_frozen_by_registration_change_only_with_a_reason(orgs):
    item = competition("C-1", orgs["A"], status="registration_open")
    raw = spec("C-1", orgs["A"], schedule=item.spec["schedule"], unit_quota=5)
    before = snapshot()
    with pytest.raises(Rejected) as error:
        services.load_competition(factories.actor(), raw, check=False)
    assert problems_of(error) == {"reason": "报名已开放，规则已锁定：请填写修改原因，原因将随修改一并记录。"}
    assert snapshot() == before
    with pytest.raises(Rejected):
        services.load_competition(factories.actor(), raw, reason="   ", check=False)
    organizer = factories.user(role=Role.ORGANIZER, org=orgs["A"])
    services.load_competition(organizer, raw, reason="应各单位要求限报5人")
    record = AuditRecord.objects.get(action="competitions.update_rules")
    assert record.reason == "应各单位要求限报5人" and record.actor == organizer
    assert record.changes == {"unit_quota": [None, 5]} and record.data["frozen"] is True
    assert Competition.objects.get(pk=item.pk).spec["unit_quota"] == 5


def test_a_frozen_spec_with_problems_asks_for_the_reason_too(orgs):
    item = competition("C-1", orgs["A"], status="registration_open")
    raw = spec("C-1", orgs["A"], schedule=item.spec["schedule"], unit_quota=0)
    with pytest.raises(Rejected) as error:
        services.load_competition(factories.actor(), raw, check=False)
    assert set(problems_of(error)) == {"unit_quota", "reason"}


def test_final_rules_never_change(orgs):
    item = competition("C-1", orgs["A"])
    Competition.objects.filter(pk=item.pk).update(status=Status.FINAL)
    raw = spec("C-1", orgs["A"], schedule=item.spec["schedule"], unit_quota=5)
    with pytest.raises(Rejected) as error:
        services.load_competition(factories.actor(), raw, reason="补充", check=False)
    assert problems_of(error) == {"reason": "竞赛已“已定稿”，规则不能再修改。"}


def test_the_editor_keeps_the_code_and_the_new_page_refuses_a_taken_one(orgs):
    item = competition("C-1", orgs["A"])
    with pytest.raises(Rejected) as error:
        services.load_competition(factories.actor(), spec("C-2", orgs["A"]), competition=item, check=False)
    assert "C-1" in problems_of(error)["code"]
    with pytest.raises(Rejected) as error:
        services.load_competition(factories.actor(), spec("C-1", orgs["A"]), create=True, check=False)
    assert problems_of(error)["code"] == "编码“C-1”已被“C-1 焊工”使用。"


# ---- YAML in, YAML out -------------------------------------------------------------------

@pytest.fixture
def city():
    """SH-UNION with two districts, for the published example (split by district)."""
    union = factories.org("SH-UNION", type=OrgType.UNION, name="上海市总工会")
    for code in ("SH-D01", "SH-D02"):
        factories.org(code, parent=union, type=OrgType.DISTRICT)
    return union


def test_load_export_load_gives_the_same_rules_and_export_is_stable(city):
    first = services.load_competition(factories.actor(), PUBLISHED_FIXED, check=False)
    exported = services.export_yaml(first)
    assert load_spec(exported) == load_spec(PUBLISHED_FIXED)
    again = services.load_competition(factories.actor(), exported, check=False)
    assert again.outcome == "unchanged"
    assert services.export_yaml(Competition.objects.get(pk=first.pk)) == exported
    assert exported == dump_spec(PUBLISHED_FIXED)


def test_every_spec_of_the_demo_survives_the_round_trip(city):
    from jingsai.competitions.demo import DISTRICT_QUALIFIERS, WELDER_SCHEME, _city_spec

    raw = _city_spec("2026-SH-WELDER", "焊工", "6-18-02-04", schedule(),
                     {"stages": DISTRICT_QUALIFIERS, "marking_scheme": WELDER_SCHEME, "class": "class1"})
    raw["organizer"] = None
    item = services.load_competition(factories.actor(), raw, check=False)
    text = services.export_yaml(item)
    assert services.load_competition(factories.actor(), text, check=False).outcome == "unchanged"
    assert services.export_yaml(Competition.objects.get(pk=item.pk)) == text
