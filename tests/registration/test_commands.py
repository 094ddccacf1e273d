"""`jingsai registrations import|export|approve|reject|withdraw`: exit 0 when all is done,
1 with every problem listed and nothing changed."""

import json

import pytest
from django.core.management import call_command

from jingsai.core import spreadsheets as sheets
from jingsai.registration.models import Entry, EntryStatus
from tests.registration import factories as reg

pytestmark = pytest.mark.django_db


def jingsai(*args):
    """(exit status, stdout, stderr) of a command, as the console script runs it."""
    import io

    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("registrations", *args, stdout=out, stderr=err)
        status = 0
    except SystemExit as exit_:
        status = exit_.code
    return status, out.getvalue(), err.getvalue()


def write(tmp_path, rows, name="报名.xlsx"):
    path = tmp_path / name
    path.write_bytes(reg.xlsx(rows))
    return str(path)


def test_import_then_export_json(city, tmp_path, capsys):
    unit = city["unit_a"]
    number = reg.new_id()
    path = write(tmp_path, [reg.row(unit, name="李明", id_number=number), reg.row(unit)])
    code, out, _err = jingsai("import", city["competition"].code, path)
    assert code == 0 and "2" in out
    assert Entry.objects.filter(status=EntryStatus.APPROVED).count() == 2  # the platform approves its own imports
    code, _out, _err = jingsai("export", city["competition"].code, "--format", "json")
    data = json.loads(capsys.readouterr().out)
    assert code == 0 and data[0] == {"entry": 1, "stage": "final", "id_number": number, "name": "李明",
                                     "unit_code": "EA", "status": "approved"}


def test_a_rejected_file_exits_1_lists_every_row_and_writes_the_error_file(city, tmp_path):
    unit = city["unit_a"]
    errors = tmp_path / "错误.xlsx"
    path = write(tmp_path, [reg.row(unit), reg.row(unit, name=""), reg.row(unit, phone="123")])
    code, _out, err = jingsai("import", city["competition"].code, path, "--errors", str(errors))
    assert code == 1
    assert "第 3 行" in err and "第 4 行" in err and "Traceback" not in err
    assert Entry.objects.count() == 0
    table = sheets.read_table(errors)
    assert table.headers[-1] == "错误说明" and table.rows[1][-1]


def test_dry_run_and_stage(city, tmp_path):
    path = write(tmp_path, [reg.row(city["unit_a"])])
    code, out, _err = jingsai("import", city["competition"].code, path, "--dry-run", "--stage", "final")
    assert code == 0 and "未写入" in out and Entry.objects.count() == 0
    code, _out, err = jingsai("import", city["competition"].code, path, "--stage", "nope")
    assert code == 1 and "final" in err


def test_unknown_competition_and_missing_file(city, tmp_path):
    assert jingsai("import", "NOPE", str(tmp_path / "x.xlsx"))[0] == 1
    code, _out, err = jingsai("import", city["competition"].code, str(tmp_path / "missing.xlsx"))
    assert code == 1 and "missing.xlsx" in err


def test_export_xlsx_and_permissions_with_user(city, tmp_path, make):
    make.entry(city["competition"], unit=city["unit_a"])
    out = tmp_path / "名单.xlsx"
    assert jingsai("export", city["competition"].code, "--format", "xlsx", "--out", str(out))[0] == 0
    table = sheets.read_table(out)
    assert table.headers[:4] == ["参赛号", "阶段", "姓名", "身份证号"] and len(table.rows) == 1
    make.user("nobody")
    assert jingsai("export", city["competition"].code, "--format", "json", "--user", "nobody")[0] == 1


def test_approve_reject_withdraw_by_number(city, make):
    competition = city["competition"]
    first = make.entry(competition, unit=city["unit_a"], status=EntryStatus.SUBMITTED, number=1)
    second = make.entry(competition, unit=city["unit_a"], status=EntryStatus.SUBMITTED, number=2)
    assert jingsai("approve", competition.code, "1", "--user", "host")[0] == 0
    first.refresh_from_db()
    assert first.status == EntryStatus.APPROVED
    code, _out, err = jingsai("reject", competition.code, "2")
    assert code == 1 and "理由" in err
    assert jingsai("reject", competition.code, "2", "--reason", "材料不全")[0] == 0
    second.refresh_from_db()
    assert second.status == EntryStatus.REJECTED and second.rejection_reason == "材料不全"
    assert jingsai("withdraw", competition.code, "1")[0] == 0
    assert jingsai("approve", competition.code, "7")[0] == 1
    make.entry(competition, unit=city["unit_a"], status=EntryStatus.UNIT_APPROVED, number=3)
    assert jingsai("approve", competition.code, "--all-awaiting")[0] == 0
    assert Entry.objects.get(number=3).status == EntryStatus.APPROVED


def test_export_json_of_every_stage_says_each_row_s_stage(city, make, capsys):
    competition = reg.open_competition(city["A"], stages=[{"key": "qualifier", "name": "初赛", "advance": {"top": 1}},
                                                          {"key": "final", "name": "决赛"}])
    first = make.entry(competition, unit=city["unit_a"], number=1)
    make.entry(competition, unit=city["unit_a"], number=2)
    make.entry(competition, stage=competition.stages.get(key="final"), person=first.person, number=1)
    code, _out, _err = jingsai("export", competition.code, "--format", "json")
    rows = json.loads(capsys.readouterr().out)
    assert code == 0
    assert [(r["stage"], r["entry"]) for r in rows] == [("qualifier", 1), ("qualifier", 2), ("final", 1)]
    assert all(set(r) == {"entry", "stage", "id_number", "name", "unit_code", "status"} for r in rows)
    code, _out, _err = jingsai("export", competition.code, "--stage", "final", "--format", "json")
    assert [(r["stage"], r["entry"]) for r in json.loads(capsys.readouterr().out)] == [("final", 1)]


def test_export_xlsx_without_out_writes_the_file_to_standard_output(city, make, capsysbinary):
    entry = make.entry(city["competition"], unit=city["unit_a"])
    code, _out, err = jingsai("export", city["competition"].code, "--format", "xlsx")
    assert code == 0, err
    data = capsysbinary.readouterr().out
    assert data[:2] == b"PK"  # a zip: an xlsx workbook
    table = sheets.read_table(data, "x.xlsx")
    assert table.headers[:2] == ["参赛号", "阶段"] and table.rows[0][:3] == [entry.number, "final", entry.person.name]
