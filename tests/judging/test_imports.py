"""Files and commands: judges' marks (the function results' `marks import` calls),
`jingsai judges import` and the organizer's `jingsai judging ...` commands."""

import pytest

from jingsai.core import spreadsheets as sheets
from jingsai.core.errors import Rejected
from jingsai.judging import imports
from jingsai.judging.models import CompetitionJudge, Draw, Judge, Mark, MarkEvent
from jingsai.judging.services import judges, marking
from tests.commands import run_command
from tests.judging import factories as jf

pytestmark = pytest.mark.django_db

MARK_COLUMNS = imports.COLUMNS


def _table(rows, columns=MARK_COLUMNS):
    return sheets.read_table(sheets.xlsx_bytes(columns, rows), "marks.xlsx")


def test_judges_marks_import_by_identity_number_contestant_number_or_station(w):
    first, second = jf.contestants(w.stage)[:2]
    rows = [
        [first.entry.person.id_number, "", "", "J1", "A2", 2],
        ["", str(first.contestant_number), "", "J2", "A2", "3"],
        ["", "", str(first.station_number), "J3", "A2", "2"],
        ["", str(second.contestant_number), "", "J1", "A1", 10.0],
        ["", "", "", "", "", ""],
        ["", "", str(second.station_number), "J2", "A3", "17.5"],
    ]
    result = imports.import_judge_marks(w.actor, w.competition, w.stage, _table(rows))
    assert result == {"created": 5, "changed": 0, "unchanged": 0}
    assert sorted(Mark.objects.filter(contestant=first).values_list("judge__code", "value")) == [
        ("J1", 2), ("J2", 3), ("J3", 2)]
    assert Mark.objects.get(contestant=second, aspect__code="A3").value == 17.5
    assert MarkEvent.objects.count() == 5 and {m.source for m in Mark.objects.all()} == {"import"}
    again = imports.import_judge_marks(w.actor, w.competition, w.stage, _table([
        ["", str(first.contestant_number), "", "J2", "A2", "2"], ["", "", str(first.station_number), "J3", "A2", "2"]]))
    assert again == {"created": 0, "changed": 1, "unchanged": 1}
    w.scheme.refresh_from_db()
    assert w.scheme.frozen


def test_a_bad_marks_file_lists_every_problem_and_stores_nothing(w):
    first = jf.contestants(w.stage)[0]
    outsider = jf.judge("X1", w.orgs["unit_b"], owner=w.host)
    number = str(first.contestant_number)
    rows = [
        ["", number, "", "J1", "A2", "4"],
        ["", number, "", "X1", "A2", "2"],
        ["", "99", "", "J1", "A2", "2"],
        ["", number, "", "J1", "Z9", "2"],
        ["", number, "", "J1", "A1", "7"],
        ["", number, "", "J2", "A3", "20"],
        ["", number, "", "J2", "A3", "21"],
        ["110105194912310021", "", "", "J3", "A3", "20"],
        ["", "", "", "J3", "A3", "20"],
    ]
    with pytest.raises(Rejected) as rejected:
        imports.import_judge_marks(w.actor, w.competition, w.stage, _table(rows))
    rows_with_problems = sorted({p.row for p in rejected.value.problems})
    assert rows_with_problems == [2, 3, 4, 5, 6, 8, 9, 10]
    assert "不在本竞赛的裁判组中" in next(p.message for p in rejected.value.problems if p.row == 3)
    assert not Mark.objects.exists() and outsider.pk


def test_a_locked_mark_cannot_be_overwritten_by_an_import(w):
    from tests.judging.test_marking import mark_all

    contestant = jf.contestants(w.stage)[0]
    mark_all(w, contestant)
    marking.sign_off(w.chief.user, contestant)
    with pytest.raises(Rejected) as rejected:
        imports.import_judge_marks(w.actor, w.competition, w.stage, _table(
            [["", str(contestant.contestant_number), "", "J1", "A3", "1"]]))
    assert "锁定" in rejected.value.problems[0].message


def test_jingsai_judges_import_assigns_the_file_and_exits_0_or_1(w, tmp_path):
    good = tmp_path / "judges.xlsx"
    good.write_bytes(sheets.xlsx_bytes(judges.COLUMNS[:4], [
        ["N1", "王建国", w.orgs["unit_b"].code, "裁判长"],
        ["J1", "裁判J1", w.orgs["street_b"].code, "裁判"],
        ["N2", "李敏", w.orgs["B"].code, ""],
    ]))
    code, out, err = run_command("judges", "import", w.competition.code, str(good))
    assert code == 0, err
    assert "新入库 2 人" in out
    assert CompetitionJudge.objects.get(competition=w.competition, judge__code="N1").role == "chief_judge"
    assert Judge.objects.get(code="J1").unit == w.orgs["street_b"]
    assert Judge.objects.get(code="N2").user.username == "judge-n2"
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(sheets.xlsx_bytes(judges.COLUMNS[:4], [
        ["N3", "张三", "NO-SUCH-UNIT", "裁判"],
        ["N1", "另一个人", w.orgs["unit_b"].code, "裁判"],
        ["N4", "赵六", w.orgs["unit_b"].code, "主任"],
        ["N4", "赵六", w.orgs["unit_b"].code, "裁判"],
    ]))
    code, out, err = run_command("judges", "import", w.competition.code, str(bad))
    assert code == 1
    for expected in ("NO-SUCH-UNIT", "王建国", "裁判长", "第 4 行"):
        assert expected in err
    assert "Traceback" not in err
    assert not Judge.objects.filter(code__in=["N3", "N4"]).exists()


def test_jingsai_judging_commands_run_the_stage(tmp_path):
    w = jf.world(drawn=False, entries=3)
    code, out, err = run_command("judging", "draw", w.competition.code, "--pdf", str(tmp_path / "draw.pdf"))
    assert code == 0, err
    assert Draw.objects.filter(kind="contestant").exists() and (tmp_path / "draw.pdf").read_bytes()[:4] == b"%PDF"
    code, out, err = run_command("judging", "draw", w.competition.code)
    assert code == 1 and "检录" in err
    code, out, err = run_command("judging", "status", w.competition.code, "--stage", "final")
    assert code == 0 and "已检录 0" in out
    code, out, err = run_command("judging", "unblind", w.competition.code)
    assert code == 1 and "裁判长" in err
    code, out, err = run_command("judging", "draw", w.competition.code, "--stage", "nope")
    assert code == 1 and "final" in err
    code, out, err = run_command("judging", "scheme", "export", w.competition.code, str(tmp_path / "s.xlsx"))
    assert code == 0 and (tmp_path / "s.xlsx").exists()
    code, out, err = run_command("judging", "history", w.competition.code, "--out", str(tmp_path / "h.xlsx"))
    assert code == 0


def test_judges_import_changes_a_judge_kept_elsewhere_only_with_the_right_to_keep_them(w, tmp_path):
    from jingsai.accounts.models import Role
    from tests import factories

    competition = factories.competition(host=w.orgs["B"], status="in_progress", marking_scheme=jf.SCHEME)
    factories.user("organizer-b", role=Role.ORGANIZER, org=w.orgs["B"])
    kept = Judge.objects.get(code="J1")  # kept by the union, above district B
    kept.qualifications = "国家级裁判"
    kept.save()
    moved = tmp_path / "moved.xlsx"
    moved.write_bytes(sheets.xlsx_bytes(judges.COLUMNS, [
        ["J1", kept.name, w.orgs["unit_b"].code, "裁判", "高级技师"]]))
    code, _out, err = run_command("judges", "import", competition.code, str(moved), "--user", "organizer-b")
    assert code == 1
    assert "第 2 行" in err and kept.unit.code in err and "市总工会" in err
    assert not CompetitionJudge.objects.filter(competition=competition).exists()
    same = tmp_path / "same.xlsx"
    same.write_bytes(sheets.xlsx_bytes(judges.COLUMNS, [["J1", kept.name, kept.unit.code, "裁判", "高级技师"]]))
    code, _out, err = run_command("judges", "import", competition.code, str(same), "--user", "organizer-b")
    assert code == 0, err
    kept.refresh_from_db()
    assert kept.qualifications == "国家级裁判", "only assigned: the record is the union's to change"
    assert CompetitionJudge.objects.filter(competition=competition, judge=kept).exists()
    code, _out, err = run_command("judges", "import", competition.code, str(moved))  # the platform itself may
    assert code == 0, err
    kept.refresh_from_db()
    assert kept.unit == w.orgs["unit_b"] and kept.qualifications == "高级技师"
