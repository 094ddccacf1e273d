"""Registration files: every cell rule, every row rule, all problems at once, nothing
stored unless the whole file is good, duplicates, and large files as jobs."""

import datetime

import pytest
from django.apps import apps

from jingsai.core import spreadsheets as sheets
from jingsai.core.errors import Rejected, UserError
from jingsai.core.models import AuditRecord, Job
from jingsai.people.models import Person
from jingsai.registration import importing, services
from jingsai.registration.models import Entry, EntryStatus, ImportBatch
from tests import factories
from tests.registration import factories as reg

pytestmark = pytest.mark.django_db


def run(city, rows, headers=reg.HEADERS, actor=None, **kwargs):
    table = sheets.read_table(reg.xlsx(rows, headers), "报名.xlsx")
    return importing.import_table(actor or city["organizer"], city["competition"], city["stage"], table,
                                  filename="报名.xlsx", **kwargs)


def problems_of(city, rows, **kwargs):
    with pytest.raises(Rejected) as caught:
        run(city, rows, **kwargs)
    return caught.value.problems


def table_counts():
    return {model._meta.label: model.objects.count() for model in apps.get_models()}


def test_a_good_file_registers_everyone_with_numbers_in_order(city):
    unit = city["unit_a"]
    rows = [reg.row(unit, name="李明", level="三级/高级工", groups="农民工, 青年职工", phone="138 1234 5678"),
            reg.row(unit, name="王芳", level="4", status="学生"),
            reg.row(unit, name="赵强", level="无")]
    summary = run(city, rows)
    assert summary["entries_created"] == 3 and summary["people_created"] == 3
    entries = list(Entry.objects.order_by("number").select_related("person"))
    assert [e.number for e in entries] == [1, 2, 3]
    assert [e.person.name for e in entries] == ["李明", "王芳", "赵强"]
    assert [e.level for e in entries] == [3, 4, None]
    assert entries[1].worker_status == "student" and entries[0].worker_status == "worker"
    assert sorted(entries[0].person.groups.values_list("name", flat=True)) == ["农民工", "青年职工"]
    assert entries[0].person.phone == "13812345678"
    # Registered by the host's organizer: approved at once, with the import as its origin.
    assert {e.status for e in entries} == {EntryStatus.APPROVED}
    batch = ImportBatch.objects.get()
    assert {e.batch_id for e in entries} == {batch.pk} and batch.entries_created == 3
    record = AuditRecord.objects.get(action="registration.import")
    assert record.object_id == str(batch.pk) and record.data["entries_created"] == 3
    assert record.data["numbers"] == [1, 3]


def test_numbers_continue_after_the_stage_s_last_entry(city):
    factories.entry(city["competition"], unit=city["unit_a"], number=7)
    run(city, [reg.row(city["unit_a"]), reg.row(city["unit_a"])])
    assert list(Entry.objects.order_by("number").values_list("number", flat=True)) == [7, 8, 9]


def test_a_unit_contact_s_file_is_approved_by_the_unit_and_awaits_the_host(city):
    run(city, [reg.row(city["unit_a"])], actor=city["contact"])
    assert Entry.objects.get().status == EntryStatus.UNIT_APPROVED


@pytest.mark.parametrize(("cells", "column", "message"), [
    ({0: ""}, "姓名", "姓名为空"),
    ({0: "名" * 51}, "姓名", "50"),
    ({1: "310104199005170010"}, "身份证号", "校验码"),
    ({1: "31010419900517001"}, "身份证号", "17"),
    ({1: "3101041990051700"}, "身份证号", "18"),
    ({1: "310104199013170013"}, "身份证号", "出生日期"),
    ({2: "12345"}, "手机号", "手机号"),
    ({3: "NOPE"}, "单位编码", "NOPE"),
    ({3: ""}, "单位编码", "单位编码为空"),
    ({4: "大师"}, "职业技能等级", "技能等级"),
    ({5: "干部"}, "身份类别", "职工"),
    ({6: "外星人"}, "人员类别", "外星人"),
])
def test_every_cell_rule_is_reported_with_row_column_and_value(city, cells, column, message):
    row = reg.row(city["unit_a"])
    for index, value in cells.items():
        row[index] = value
    problems = problems_of(city, [reg.row(city["unit_a"]), row])
    assert len(problems) == 1, problems
    problem = problems[0]
    assert problem.row == 3 and problem.column == column
    assert message in str(problem.message)


def test_every_bad_row_is_reported_at_once_and_nothing_changes(city):
    unit = city["unit_a"]
    before = table_counts()
    rows = [reg.row(unit), reg.row(unit, name=""), reg.row(unit, phone="1"), reg.row(unit, level="九级"),
            reg.row(unit), ["某人", "310104199005170010", "", "EA", "", "", ""]]
    problems = problems_of(city, rows)
    assert [(p.row, p.column) for p in problems] == [(3, "姓名"), (4, "手机号"), (5, "职业技能等级"), (7, "身份证号")]
    assert table_counts() == before


def test_dry_run_checks_and_writes_nothing(city):
    before = table_counts()
    summary = run(city, [reg.row(city["unit_a"]) for _ in range(3)], dry_run=True)
    assert summary["entries_created"] == 3 and summary["dry_run"]
    assert "未写入任何数据" in summary["summary"]
    assert table_counts() == before


def test_duplicates_in_the_file_name_the_first_row(city):
    number = reg.new_id()
    problems = problems_of(city, [reg.row(city["unit_a"], name="李明", id_number=number),
                                  reg.row(city["unit_a"], name="李明", id_number=number.lower())])
    assert len(problems) == 1 and problems[0].row == 3 and "第 2 行" in str(problems[0].message)


def test_duplicates_against_entries_of_any_stage_of_the_competition(city, make):
    two_stages = reg.open_competition(city["A"], stages=[
        {"key": "qualifier", "name": "初赛", "advance": {"top": 3}}, {"key": "final", "name": "决赛"}])
    person = make.person(employer=city["unit_a"], name="老李")
    final = two_stages.stages.get(key="final")
    make.entry(two_stages, person, stage=final)
    table = sheets.read_table(reg.xlsx([reg.row(city["unit_a"], name="老李", id_number=person.id_number)]), "x.xlsx")
    with pytest.raises(Rejected) as caught:
        importing.import_table(city["organizer"], two_stages, two_stages.stages.get(key="qualifier"), table,
                               filename="x.xlsx")
    assert "已报名" in str(caught.value.problems[0].message)


def test_a_known_identity_number_finds_the_person_and_a_different_name_is_an_error(city, make):
    person = make.person(employer=city["unit_a"], name="张伟")
    run(city, [reg.row(city["unit_a"], name="张伟", id_number=person.id_number)])
    assert Person.objects.filter(name="张伟").count() == 1
    assert Entry.objects.get().person == person
    other = make.person(employer=city["unit_a"], name="刘洋")
    problems = problems_of(city, [reg.row(city["unit_a"], name="刘阳", id_number=other.id_number)])
    assert problems[0].code == "name_mismatch" and "刘*" in str(problems[0].message)


def test_a_worker_of_another_branch_is_not_registered_by_this_unit(city, make):
    person = make.person(employer=city["unit_b"], name="乙某")
    competition = reg.open_competition(city["union"])
    user = make.user(role="organizer", org=city["union"])
    table = sheets.read_table(reg.xlsx([reg.row(city["unit_a"], name="乙某", id_number=person.id_number)]), "x.xlsx")
    with pytest.raises(Rejected) as caught:
        importing.import_table(user, competition, competition.stages.get(), table, filename="x.xlsx")
    assert caught.value.problems[0].code == "employer"


def test_units_outside_the_host_or_the_importer_s_reach(city, make):
    problems = problems_of(city, [reg.row(city["unit_b"])])
    assert problems[0].code == "outside_host"
    other_unit = make.org("EA2", parent=city["street_a"])
    with pytest.raises(Rejected) as caught:
        run(city, [reg.row(other_unit)], actor=city["contact"])
    assert caught.value.code == "forbidden" and caught.value.problems[0].code == "scope"


def test_a_withdrawn_entry_is_submitted_again_by_a_new_file(city, make):
    person = make.person(employer=city["unit_a"], name="回头")
    entry = make.entry(city["competition"], person, status=EntryStatus.WITHDRAWN)
    summary = run(city, [reg.row(city["unit_a"], name="回头", id_number=person.id_number)])
    assert summary["entries_reactivated"] == 1 and summary["entries_created"] == 0
    entry.refresh_from_db()
    assert entry.status == EntryStatus.APPROVED and entry.number == 1 and entry.withdrawn_at is None


def test_the_template_example_row_is_refused(city):
    problems = problems_of(city, [reg.row(city["unit_a"], name="张三", id_number=reg.EXAMPLE_ID)])
    assert problems[0].code == "example"


def test_header_problems(city):
    unit = city["unit_a"]
    problems = problems_of(city, [["李明", reg.new_id(), unit.code]], headers=["姓名", "身份证", "单位编码"])
    assert {p.code for p in problems} == {"unknown_column", "missing_column"}
    problems = problems_of(city, [], headers=reg.HEADERS)
    assert problems[0].code == "empty"


def test_headers_match_english_keys_and_ignore_case_and_spaces(city):
    headers = [" NAME ", "Id_Number", "phone", "unit_code", "level", "status", "groups"]
    assert run(city, [reg.row(city["unit_a"])], headers=headers)["entries_created"] == 1


def test_registration_must_be_open(city):
    competition = city["competition"]
    competition.status = "draft"
    competition.save()
    with pytest.raises(UserError):
        run(city, [reg.row(city["unit_a"])], actor=city["contact"])


def test_the_host_may_add_late_entries_while_registration_is_closed(city):
    competition = city["competition"]
    competition.status = "registration_closed"
    competition.registration_closes = competition.registration_opens
    competition.save()
    with pytest.raises(UserError):
        run(city, [reg.row(city["unit_a"])], actor=city["contact"])
    assert run(city, [reg.row(city["unit_a"])])["entries_created"] == 1


def test_the_error_file_has_every_row_and_an_error_column(city):
    rows = [reg.row(city["unit_a"], name="好人"), reg.row(city["unit_a"], name="")]
    table = sheets.read_table(reg.xlsx(rows), "x.xlsx")
    with pytest.raises(Rejected) as caught:
        importing.import_table(city["organizer"], city["competition"], city["stage"], table, filename="x.xlsx")
    out = sheets.read_table(importing.error_xlsx(table, caught.value.problems), "e.xlsx")
    assert out.headers[-1] == "错误说明"
    assert out.rows[0][0] == "好人" and out.rows[0][-1] == ""
    assert "姓名" in out.rows[1][-1]


def test_large_files_run_as_a_job_with_progress_and_keep_their_result(city, run_jobs, monkeypatch):
    monkeypatch.setattr(importing, "BACKGROUND_ROWS", 3)
    data = reg.xlsx([reg.row(city["unit_a"]) for _ in range(5)])
    with run_jobs():
        outcome, job = importing.start_import(city["organizer"], city["competition"], city["stage"], data, "大.xlsx")
    assert outcome == "job"
    job.refresh_from_db()
    assert job.status == Job.Status.SUCCEEDED and job.done == job.total == 5
    assert job.result["entries_created"] == 5 and "5" in job.result["summary"]
    assert Entry.objects.count() == 5


def test_a_rejected_large_file_keeps_its_error_file_and_changes_nothing(city, run_jobs, monkeypatch):
    monkeypatch.setattr(importing, "BACKGROUND_ROWS", 3)
    data = reg.xlsx([reg.row(city["unit_a"]) for _ in range(4)] + [reg.row(city["unit_a"], name="")])
    before = table_counts()
    with run_jobs():
        _outcome, job = importing.start_import(city["organizer"], city["competition"], city["stage"], data, "大.xlsx")
    job.refresh_from_db()
    after = table_counts()
    # The job itself and its audit-free failure are all that is new.
    assert {k: v for k, v in after.items() if k != "core.Job"} == {k: v for k, v in before.items() if k != "core.Job"}
    assert job.status == Job.Status.FAILED and job.result["problems"][0]["row"] == 6
    assert job.result_filename == "错误-大.xlsx"


def test_ages_use_the_birth_date_in_the_identity_number(city):
    competition = city["competition"]
    competition.spec["eligibility"]["max_age"] = 30
    competition.save()
    start = competition.starts_at.date()
    young = reg.new_id(birth=start.replace(year=start.year - 25))
    old = reg.new_id(birth=start.replace(year=start.year - 40) - datetime.timedelta(days=1))
    problems = problems_of(city, [reg.row(city["unit_a"], id_number=young), reg.row(city["unit_a"], id_number=old)])
    assert len(problems) == 1 and problems[0].row == 3 and problems[0].code == "age"


def test_stage_for_names_the_stages(city):
    with pytest.raises(UserError) as caught:
        services.stage_for(city["competition"], "semi")
    assert "final" in str(caught.value.message)
