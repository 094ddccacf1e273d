"""The competition's rules at registration: ages, worker status, minimum level, one
entry per person per competition, per-unit quotas, team sizes, and 赛区."""

import datetime

import pytest

from jingsai.core import spreadsheets as sheets
from jingsai.core.errors import Rejected
from jingsai.orgs.models import OrgType
from jingsai.registration import importing, services
from jingsai.registration.models import Entry, EntryStatus, Team
from jingsai.registration.rules import Rules, competition_date
from tests.registration import factories as reg

pytestmark = pytest.mark.django_db


def load(actor, competition, rows, headers=reg.HEADERS, stage=None):
    table = sheets.read_table(reg.xlsx(rows, headers), "x.xlsx")
    return importing.import_table(actor, competition, stage or competition.stages.order_by("order").first(), table,
                                  filename="x.xlsx")


def codes(actor, competition, rows, **kwargs):
    with pytest.raises(Rejected) as caught:
        load(actor, competition, rows, **kwargs)
    return [(p.row, p.code) for p in caught.value.problems]


def test_ages_are_counted_on_the_start_date_else_the_close_of_registration(city):
    competition = city["competition"]
    competition.spec["eligibility"].update(min_age=18, max_age=60)
    competition.starts_at = datetime.datetime(2026, 9, 1, tzinfo=datetime.UTC)
    competition.save()
    assert competition_date(competition) == datetime.date(2026, 9, 1)
    rules = Rules.of(competition)
    assert rules.age_problem(datetime.date(2008, 9, 1)) is None  # 18 that very day
    assert "18" in rules.age_problem(datetime.date(2008, 9, 2))
    assert rules.age_problem(datetime.date(1966, 9, 1)) is None  # 60 that day
    assert rules.age_problem(datetime.date(1965, 9, 2)) is None  # 61 the next day: still 60
    assert "60" in rules.age_problem(datetime.date(1965, 9, 1))
    competition.starts_at = competition.registration_closes = None
    competition.spec["schedule"] = {"registration_closes": "2026-07-01"}
    competition.save()
    assert competition_date(competition) == datetime.date(2026, 7, 1)


def test_too_young_and_too_old_rows_are_refused(city):
    competition = city["competition"]
    competition.spec["eligibility"].update(min_age=18, max_age=60)
    competition.save()
    day = competition_date(competition)
    young = reg.new_id(birth=day.replace(year=day.year - 17))
    old = reg.new_id(birth=day.replace(year=day.year - 62))
    ok = reg.new_id(birth=day.replace(year=day.year - 30))
    unit = city["unit_a"]
    assert codes(city["organizer"], competition, [reg.row(unit, id_number=young), reg.row(unit, id_number=ok),
                                                  reg.row(unit, id_number=old)]) == [(2, "age"), (4, "age")]


def test_students_are_refused_when_worker_status_is_required(city, make):
    competition = city["competition"]
    competition.spec["eligibility"]["worker_status_required"] = True
    competition.save()
    student = make.person(employer=city["unit_a"], name="学生甲", worker_status="student")
    unit = city["unit_a"]
    rows = [reg.row(unit, status="学生"), reg.row(unit, status="职工"),
            reg.row(unit, name="学生甲", id_number=student.id_number)]
    assert codes(city["organizer"], competition, rows) == [(2, "worker_status"), (4, "worker_status")]


def test_minimum_level(city, make):
    competition = city["competition"]
    competition.spec["eligibility"]["min_level"] = 3
    competition.save()
    unit = city["unit_a"]
    held = make.person(employer=unit, name="技师甲", level=2)
    rows = [reg.row(unit, level="三级/高级工"), reg.row(unit, level="四级"), reg.row(unit, level="无"),
            reg.row(unit, level=""), reg.row(unit, level="特级技师"),
            reg.row(unit, name="技师甲", id_number=held.id_number)]
    assert codes(city["organizer"], competition, rows) == [(3, "level"), (4, "level"), (5, "level")]


def test_one_entry_per_person_per_competition(city, make):
    person = make.person(employer=city["unit_a"], name="再来")
    load(city["organizer"], city["competition"], [reg.row(city["unit_a"], name="再来", id_number=person.id_number)])
    assert codes(city["organizer"], city["competition"],
                 [reg.row(city["unit_a"], name="再来", id_number=person.id_number)]) == [(2, "registered")]
    with pytest.raises(Rejected):
        services.register_people(city["organizer"], city["competition"], city["stage"], [person])


def test_per_unit_quota_counts_stored_entries(city, make):
    competition = city["competition"]
    competition.spec["unit_quota"] = 3
    competition.save()
    unit = city["unit_a"]
    make.entry(competition, unit=unit)
    make.entry(competition, unit=unit, status=EntryStatus.WITHDRAWN)  # does not count
    rows = [reg.row(unit), reg.row(unit), reg.row(unit), reg.row(unit)]
    assert codes(city["organizer"], competition, rows) == [(4, "quota"), (5, "quota")]
    load(city["organizer"], competition, rows[:2])
    assert Entry.objects.filter(unit=unit, status=EntryStatus.APPROVED).count() == 3


def team_competition(city, **overrides):
    return reg.open_competition(city["A"], mode="team", team_size=3, **overrides)


TEAM_HEADERS = [*reg.HEADERS, "团队"]


def team_row(unit, team, **kwargs):
    return [*reg.row(unit, **kwargs), team]


def test_team_competitions_register_whole_teams_of_one_unit(city, make):
    competition = team_competition(city)
    a, other = city["unit_a"], make.org("EA9", parent=city["street_a"])
    rows = [team_row(a, "焊接一队"), team_row(a, "焊接一队"), team_row(a, "焊接一队"),
            team_row(a, "二队"), team_row(a, "二队"), team_row(a, "")]
    assert codes(city["organizer"], competition, rows, headers=TEAM_HEADERS) == [
        (5, "team_size"), (6, "team_size"), (7, "team")]
    mixed = [team_row(a, "混合"), team_row(a, "混合"), team_row(other, "混合")]
    assert {c for _r, c in codes(city["organizer"], competition, mixed, headers=TEAM_HEADERS)} == {"team"}
    load(city["organizer"], competition, rows[:3], headers=TEAM_HEADERS)
    team = Team.objects.get(name="焊接一队")
    assert team.unit == a and team.members.count() == 3


def test_a_team_name_of_another_unit_and_a_full_team_are_refused(city, make):
    competition = team_competition(city)
    a, other = city["unit_a"], make.org("EA8", parent=city["street_a"])
    load(city["organizer"], competition, [team_row(a, "一队") for _ in range(3)], headers=TEAM_HEADERS)
    assert codes(city["organizer"], competition, [team_row(other, "一队")], headers=TEAM_HEADERS)[0][1] == "team"
    assert codes(city["organizer"], competition, [team_row(a, "一队")], headers=TEAM_HEADERS) == [(2, "team_size")]


def test_the_team_column_is_required_in_team_mode_and_refused_otherwise(city):
    competition = team_competition(city)
    assert codes(city["organizer"], competition, [reg.row(city["unit_a"])]) == [(1, "missing_column")]
    assert codes(city["organizer"], city["competition"], [team_row(city["unit_a"], "一队")],
                 headers=TEAM_HEADERS) == [(2, "invalid")]


def test_team_quota_counts_teams(city):
    competition = team_competition(city, unit_quota=1)
    a = city["unit_a"]
    rows = [team_row(a, "一队") for _ in range(3)] + [team_row(a, "二队") for _ in range(3)]
    assert {c for _r, c in codes(city["organizer"], competition, rows, headers=TEAM_HEADERS)} == {"quota"}


def split_competition(city):
    return reg.open_competition(city["union"], stages=[
        {"key": "qualifier", "name": "区级选拔赛", "scope": "district", "advance": {"top": 2}},
        {"key": "final", "name": "市级决赛"}])


def test_scope_is_the_unit_s_nearest_organization_of_the_stage_s_type(city, make):
    competition = split_competition(city)
    user = make.user(role="organizer", org=city["union"])
    load(user, competition, [reg.row(city["unit_a"]), reg.row(city["unit_b"])])
    scopes = {e.unit.code: e.scope.code for e in Entry.objects.select_related("unit", "scope")}
    assert scopes == {"EA": "DA", "EB": "DB"}


def test_the_scope_column_names_another_and_is_validated(city, make):
    competition = split_competition(city)
    user = make.user(role="organizer", org=city["union"])
    headers = [*reg.HEADERS, "赛区"]
    rows = [[*reg.row(city["unit_a"]), "DB"], [*reg.row(city["unit_a"]), "SA"], [*reg.row(city["unit_a"]), "XX"]]
    assert codes(user, competition, rows, headers=headers) == [(3, "invalid"), (4, "invalid")]
    load(user, competition, rows[:1], headers=headers)
    assert Entry.objects.get().scope.code == "DB"
    # A stage that is not split refuses the column's values.
    assert codes(city["organizer"], city["competition"], [[*reg.row(city["unit_a"]), "DA"]],
                 headers=headers) == [(2, "invalid")]


def test_a_unit_outside_every_district_takes_the_district_of_its_region_or_must_be_named(city, make):
    competition = split_competition(city)
    user = make.user(role="organizer", org=city["union"])
    industry = make.org("IND", parent=city["union"], type=OrgType.INDUSTRY, region_code="310000")
    city["A"].region_code = "310104"
    city["A"].save()
    city["B"].region_code = "310105"
    city["B"].save()
    placed = make.org("E-IND-1", parent=industry, region_code="310105")
    nowhere = make.org("E-IND-2", parent=industry, region_code="310109")
    assert codes(user, competition, [reg.row(placed), reg.row(nowhere)]) == [(3, "scope_missing")]
    load(user, competition, [reg.row(placed)])
    assert Entry.objects.get().scope.code == "DB"


def test_registration_windows(city):
    competition = city["competition"]
    competition.registration_opens = competition.registration_closes
    competition.save()
    from jingsai.registration.rules import registration_open

    assert "开始报名" in registration_open(competition)
    competition.registration_opens = None
    competition.registration_closes = competition.created_at
    competition.save()
    assert "截止" in registration_open(competition)
    competition.status = "draft"
    assert "不接受报名" in registration_open(competition)


def test_a_level_or_status_other_than_the_record_is_a_row_problem(city, make):
    """The file cannot raise a stored worker's level past the minimum, nor make a student
    a worker: the record decides, and a different value in the file is reported."""
    competition = city["competition"]
    competition.spec["eligibility"].update(min_level=3, worker_status_required=True)
    competition.save()
    unit = city["unit_a"]
    low = make.person(employer=unit, name="初级甲", level=5)
    student = make.person(employer=unit, name="学生乙", worker_status="student")
    held = make.person(employer=unit, name="技师丙", level=2)
    rows = [reg.row(unit, name="初级甲", id_number=low.id_number, level="二级/技师"),
            reg.row(unit, name="学生乙", id_number=student.id_number, level="3", status="职工"),
            reg.row(unit, name="技师丙", id_number=held.id_number, level="2", status="职工"),  # as on record
            reg.row(unit, name="新人丁", level="1", status="职工")]  # new: the file gives the record
    with pytest.raises(Rejected) as caught:
        load(city["organizer"], competition, rows)
    found = {(p.row, p.code): p for p in caught.value.problems}
    assert set(found) == {(2, "level_mismatch"), (2, "level"), (3, "level_mismatch"), (3, "level"),
                          (3, "worker_status_mismatch"), (3, "worker_status")}
    problem = found[(2, "level_mismatch")]
    assert problem.column == "职业技能等级" and problem.value == "二级/技师"
    assert "二级/技师" in problem.message and "五级/初级工" in problem.message and "档案" in problem.message
    problem = found[(3, "worker_status_mismatch")]
    assert problem.column == "身份类别" and "职工" in problem.message and "学生" in problem.message
    assert Entry.objects.count() == 0
    assert type(low).objects.get(pk=low.pk).level == 5
    # Without the columns, the record's values go into the entry.
    load(city["organizer"], competition, [rows[2], rows[3]])
    assert dict(Entry.objects.values_list("person__name", "level")) == {"技师丙": 2, "新人丁": 1}


def test_the_form_cannot_change_a_stored_worker_s_level_either(city, make):
    person = make.person(employer=city["unit_a"], name="记录甲", level=4)
    candidate = services.candidate_from_input(name="记录甲", id_number=person.id_number, unit_code="EA", level=1)
    with pytest.raises(Rejected) as caught:
        services.register(city["organizer"], city["competition"], city["stage"], [candidate], source="form")
    (problem,) = caught.value.problems
    assert problem.code == "level_mismatch" and "一级/高级技师" in problem.message and "四级/中级工" in problem.message
    assert not Entry.objects.exists()
