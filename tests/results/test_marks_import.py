"""The marks file (headless-interface.md, "Component marks"): every rule, all or nothing."""

import io
from decimal import Decimal

import pytest
import xlsxwriter
from django.core.management import call_command

from jingsai.core import spreadsheets as sheets
from jingsai.core.errors import Rejected, UserError
from jingsai.core.models import AuditRecord
from jingsai.results import imports, services
from jingsai.results.models import ComponentScore, ScoreStatus
from tests import factories
from tests.results import factories as rf
from tests.results.helpers import end_publicity

pytestmark = pytest.mark.django_db


def xlsx(headers, rows, numeric_ids=False):
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer)
    sheet = book.add_worksheet()
    sheet.write_row(0, 0, headers)
    for r, row in enumerate(rows, 1):
        for c, value in enumerate(row):
            if value is None:
                continue
            if isinstance(value, str):
                sheet.write_string(r, c, value)
            else:
                sheet.write_number(r, c, value)
    book.close()
    return buffer.getvalue()


@pytest.fixture
def world():
    orgs = factories.tree()
    competition = rf.competition(orgs["A"])
    entries = [factories.entry(competition, factories.person(employer=orgs["unit_a"], name=name))
               for name in ("张三", "李四", "王五")]
    return {"orgs": orgs, "competition": competition, "stage": competition.stages.get(), "entries": entries}


def run(world, headers, rows):
    table = sheets.read_table(xlsx(headers, rows), "成绩.xlsx")
    return imports.import_marks(None, world["competition"], world["stage"], table, filename="成绩.xlsx")


def problems(world, headers, rows):
    before = (scores(), list(ScoreStatus.objects.values_list("entry_id", "status")))
    with pytest.raises(Rejected) as caught:
        run(world, headers, rows)
    assert (scores(), list(ScoreStatus.objects.values_list("entry_id", "status"))) == before  # nothing stored
    return caught.value.problems


def ids(world):
    return [e.person.id_number for e in world["entries"]]


def scores():
    return {(s.entry.person.name, s.component): (s.value, s.time_seconds)
            for s in ComponentScore.objects.select_related("entry__person")}


def test_scores_by_identity_number_with_component_keys_or_names_and_times(world):
    a, b, c = ids(world)
    summary = run(world, ["身份证号", "theory", "操作技能", "practical_time", "状态"], [
        [a, 85.555, "90", 3120, ""],
        [b, 70, 60.5, None, None],
        [c, None, None, None, "缺考"],
    ])
    assert summary == {"kind": "scores", "rows": 3, "created": 4, "updated": 0, "unchanged": 0, "statuses": 1}
    assert scores() == {
        ("张三", "theory"): (Decimal("85.555"), None), ("张三", "practical"): (Decimal("90"), 3120),
        ("李四", "theory"): (Decimal("70"), None), ("李四", "practical"): (Decimal("60.5"), None),
    }
    assert ScoreStatus.objects.get().entry == world["entries"][2]
    record = AuditRecord.objects.get(action="results.scores")
    assert record.changes[f"{world['entries'][0].number} theory"] == [None, "85.555"]
    assert record.data["file"] == "成绩.xlsx"


def test_reimport_records_old_and_new_values_and_blank_cells_keep_scores(world):
    a, b, _c = ids(world)
    run(world, ["身份证号", "theory", "practical"], [[a, 80, 80], [b, 70, 70]])
    summary = run(world, ["身份证号", "theory", "practical"], [[a, 82, None], [b, 70, 70]])
    assert (summary["updated"], summary["unchanged"]) == (1, 2)
    assert scores()[("张三", "theory")] == (Decimal("82"), None)
    assert scores()[("张三", "practical")] == (Decimal("80"), None)
    record = AuditRecord.objects.filter(action="results.scores").first()
    assert record.changes == {f"{world['entries'][0].number} theory": ["80", "82"]}


def test_a_blank_status_clears_an_earlier_absence(world):
    a, _b, _c = ids(world)
    run(world, ["身份证号", "状态"], [[a, "缺考"]])
    assert ScoreStatus.objects.count() == 1
    run(world, ["身份证号", "theory", "状态"], [[a, 88, ""]])
    assert not ScoreStatus.objects.exists()
    run(world, ["身份证号", "状态"], [[a, "取消资格"]])
    assert ScoreStatus.objects.get().status == "disqualified"


def test_every_bad_row_is_listed_and_nothing_is_stored(world):
    a, b, c = ids(world)
    stranger = factories.person(employer=world["orgs"]["unit_b"]).id_number
    found = problems(world, ["身份证号", "姓名", "theory", "practical", "practical_time", "状态"], [
        [a, "张三", 101, 90, 10, ""],  # above the maximum
        [b, "李四四", "八十", 90, -5, ""],  # wrong name, not a number, negative time
        [c, "王五", 80, 90.1234567, 10, "病假"],  # too precise, unknown status
        [stranger, "", 80, 80, None, ""],  # not entered
        ["110105194912310021", "", 80, 80, None, ""],  # check digit
        [a, "张三", 80, 80, None, ""],  # duplicate
        [None, None, 80, 80, None, None],  # nobody named
    ])
    by_row = {}
    for p in found:
        by_row.setdefault(p.row, []).append(p.code)
    assert by_row == {
        2: ["out_of_range"],
        3: ["name_mismatch", "not_a_number", "time"],
        4: ["too_precise", "status"],
        5: ["not_entered"],
        6: ["id_number.check_digit"],
        7: ["duplicate"],
        8: ["no_identity"],
    }


def test_identity_numbers_stored_as_numbers_are_refused(world):
    found = problems(world, ["身份证号", "theory"], [[310104199005170011, 80]])
    assert found[0].code == "id_number"


def test_unknown_and_missing_columns(world):
    found = problems(world, ["姓名", "理论", "theory"], [["张三", 1, 2]])
    assert {p.code for p in found} == {"unknown_column", "missing_column"}
    found = problems(world, ["身份证号", "姓名"], [[ids(world)[0], "张三"]])
    assert [p.code for p in found] == ["missing_column"]


def test_only_approved_entries_get_scores(world):
    entry = world["entries"][0]
    entry.status = "submitted"
    entry.save()
    found = problems(world, ["身份证号", "theory"], [[entry.person.id_number, 80]])
    assert [p.code for p in found] == ["not_approved"]


def test_contestant_numbers_come_from_the_draw(world, monkeypatch):
    from jingsai.judging import services as judging_services

    numbers = {"7": world["entries"][1]}
    monkeypatch.setattr(judging_services, "entry_for_contestant_number", lambda stage, n: numbers.get(str(n)))
    run(world, ["参赛号", "theory"], [[7, 66]])
    assert scores() == {("李四", "theory"): (Decimal("66"), None)}
    found = problems(world, ["参赛号", "身份证号", "theory"], [[8, None, 1], [7, ids(world)[0], 1]])
    assert [p.code for p in found] == ["unknown_number", "number_mismatch"]


def test_a_judges_marks_file_goes_to_judging(world, monkeypatch):
    import jingsai.judging.imports as judging_imports

    calls = []
    monkeypatch.setattr(judging_imports, "import_judge_marks",
                        lambda actor, competition, stage, table: calls.append(table.headers) or {"created": 3})
    summary = run(world, ["参赛号", "裁判编号", "评分项", "分数"], [[1, "J01", "A1", 5]])
    assert summary == {"kind": "judges", "created": 3}
    assert calls == [["参赛号", "裁判编号", "评分项", "分数"]]


def test_scores_of_a_final_stage_cannot_be_imported(world):
    a, b, c = ids(world)
    run(world, ["身份证号", "theory", "practical"], [[a, 80, 80], [b, 70, 70], [c, 60, 60]])
    services.compute(None, world["stage"])
    services.publish(None, world["stage"])
    end_publicity(world["stage"])
    services.finalize(None, world["stage"])
    with pytest.raises(UserError) as error:
        run(world, ["身份证号", "theory"], [[a, 99]])
    assert error.value.code == "final"


def test_the_command_imports_and_lists_problems(world, tmp_path, capsys):
    a, b, _c = ids(world)
    good = tmp_path / "成绩.xlsx"
    good.write_bytes(xlsx(["身份证号", "theory", "practical"], [[a, 80, 80], [b, 70, 70]]))
    call_command("marks", "import", world["competition"].code, str(good))
    assert "4" in capsys.readouterr().out
    bad = tmp_path / "错误.xlsx"
    bad.write_bytes(xlsx(["身份证号", "theory"], [[a, 180]]))
    errors = tmp_path / "errors.xlsx"
    with pytest.raises(SystemExit) as exit_:
        call_command("marks", "import", world["competition"].code, str(bad), "--errors", str(errors))
    assert exit_.value.code == 1
    err = capsys.readouterr().err
    assert "第 2 行" in err or "row 2" in err
    assert "0 到 100" in err or "0 和 100" in err or "100" in err
    assert errors.exists()
    assert "Traceback" not in err


def test_the_template_lists_every_approved_entry(world):
    table = sheets.read_table(imports.template_xlsx(world["competition"], world["stage"]), "t.xlsx")
    assert table.headers[:4] == ["身份证号", "姓名", "理论知识", "theory_time"]
    assert [row[1] for row in table.rows] == ["张三", "李四", "王五"]
    assert [row[0] for row in table.rows] == ids(world)


@pytest.fixture
def judged(db):
    """A competition whose practical is marked by judges on a marking scheme, checked in and
    drawn, with three judges free of conflicts (tests/judging/factories.py)."""
    from tests.judging import factories as jf

    return jf.world(entries=2)


def test_a_judged_components_score_cannot_be_imported(judged):
    entry = judged.entries[0]
    world = {"competition": judged.competition, "stage": judged.stage}
    with pytest.raises(Rejected) as caught:
        run(world, ["身份证号", "theory", "practical"], [[entry.person.id_number, 80, 90]])
    found = [p for p in caught.value.problems if p.code == "judged_component"]
    assert len(found) == 1 and found[0].column == "practical"
    assert "裁判" in found[0].message and "裁判编号" in found[0].message
    assert not ComponentScore.objects.exists()


def test_the_command_imports_judges_marks_into_judging(judged, tmp_path, capsys):
    from jingsai.judging import imports as judging_imports
    from jingsai.judging.models import Mark
    from tests.judging import factories as jf

    first = jf.contestants(judged.stage)[0]
    rows = [[str(first.contestant_number), "", code, "A2", value] for code, value in (("J1", "2"), ("J2", "3"))]
    rows.append([str(first.contestant_number), "", "J1", "A1", "10"])
    path = tmp_path / "裁判评分.xlsx"
    path.write_bytes(sheets.xlsx_bytes([c for c in judging_imports.COLUMNS if c.key != "id_number"], rows))
    call_command("marks", "import", judged.competition.code, str(path))
    assert "3" in capsys.readouterr().out
    assert sorted(Mark.objects.filter(contestant=first).values_list("aspect__code", "judge__code", "value")) == [
        ("A1", "J1", 10), ("A2", "J1", 2), ("A2", "J2", 3)]
    assert {m.source for m in Mark.objects.all()} == {"import"}
    bad = tmp_path / "冲突.xlsx"
    bad.write_bytes(sheets.xlsx_bytes([c for c in judging_imports.COLUMNS if c.key != "id_number"],
                                      [[str(first.contestant_number), "", "J3", "A2", "9"]]))
    with pytest.raises(SystemExit) as exit_:
        call_command("marks", "import", judged.competition.code, str(bad))
    assert exit_.value.code == 1
    err = capsys.readouterr().err
    assert "第 2 行" in err and "Traceback" not in err
    assert Mark.objects.count() == 3


def test_a_score_in_a_cell_formatted_as_a_percentage_is_refused_as_it_shows(world):
    """Regression: a score cell formatted as a percentage (showing 85%) was read as the 0.85
    it holds and recorded as a score of 0.85, where "85%" typed into a CSV is refused."""
    a, b, _c = ids(world)
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer)
    sheet = book.add_worksheet()
    sheet.write_row(0, 0, ["身份证号", "theory", "practical"])
    percent = book.add_format({"num_format": "0%"})
    sheet.write_string(1, 0, a)
    sheet.write_number(1, 1, 0.85, percent)
    sheet.write_number(1, 2, 90)
    sheet.write_string(2, 0, b)
    sheet.write_number(2, 1, 70)
    sheet.write_number(2, 2, 60)
    book.close()
    table = sheets.read_table(buffer.getvalue(), "成绩.xlsx")
    with pytest.raises(Rejected) as caught:
        imports.import_marks(None, world["competition"], world["stage"], table, filename="成绩.xlsx")
    assert [(p.row, p.code, p.value) for p in caught.value.problems] == [(2, "not_a_number", "85%")]
    # Said as what it is, where "A score must be a number." beside "85%" left the person guessing.
    assert "85%" in caught.value.problems[0].message and "0.85" in caught.value.problems[0].message
    assert not ComponentScore.objects.exists()
    # The file sent back with the errors shows the cell as the person's sheet did.
    returned = sheets.read_table(sheets.problems_xlsx(table, sheets.problems_by_row(caught.value.problems)), "e.xlsx")
    assert returned.rows[0][1] == "85%"


def test_a_judged_score_equal_to_an_imported_one_is_recorded_as_the_judges_and_an_import_relabels_nothing(world):
    """Regression: set_component_score() records a score equal to the one recorded but from
    another source as that source's (a graded exam equalling a score typed by hand), but
    record_scores(), which the judges' unblinding writes through, counted it as unchanged:
    a practical score imported and then equalled by the judges' marks stayed "imported", and
    the results' explanation left out the judges' aspects. An import of the same values
    again (a sheet filled in from the results) still leaves each score whose it was."""
    from jingsai.results.models import ScoreSource

    a, b, _c = ids(world)
    first, second = world["entries"][:2]
    run(world, ["身份证号", "practical", "theory"], [[a, 80, 90], [b, 70, 60]])
    services.set_component_score(factories.actor(), second, "theory", Decimal("60"), source=ScoreSource.EXAM,
                                 reason="理论考试阅卷")
    counts = services.record_scores(factories.actor(), world["stage"], [
        services.ScoreChange(entry=first, scores={"practical": Decimal("80")}),
        services.ScoreChange(entry=second, scores={"practical": Decimal("71")})], source=ScoreSource.JUDGING)
    assert (counts["updated"], counts["unchanged"]) == (2, 0)
    sources = {(s.entry_id, s.component): s.source for s in ComponentScore.objects.all()}
    assert sources[(first.pk, "practical")] == sources[(second.pk, "practical")] == ScoreSource.JUDGING
    record = AuditRecord.objects.filter(action="results.scores").order_by("-pk").first()
    assert record.changes[f"{first.number} practical source"] == ["import", "judging"]
    assert f"{first.number} practical" not in record.changes  # the value did not change

    again = run(world, ["身份证号", "practical", "theory"], [[a, 80, 90], [b, 71, 60]])
    assert (again["updated"], again["unchanged"]) == (0, 4)
    assert {(s.entry_id, s.component): s.source for s in ComponentScore.objects.all()} == sources
