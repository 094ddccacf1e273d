"""The results export: JSON, CSV and XLSX hold the same content, cell by cell; the
organizer's carries full identity numbers, the public one masks them and the names."""

import csv
import io
import json
from decimal import Decimal

import pytest
from django.core.management import call_command

from jingsai.core import spreadsheets as sheets
from jingsai.core.masking import mask_id_number, mask_name
from jingsai.results import exports, services
from jingsai.results.models import Honour, ScoreStatus
from tests import factories
from tests.results import factories as rf
from tests.results.helpers import end_publicity

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    orgs = factories.tree()
    competition = rf.competition(orgs["A"], ranking={"tie_breakers": ["component:practical:desc",
                                                                       "time:practical:asc"]})
    entries = rf.scored(competition, [(90, 90), (80, 85), (85, 82.857), (80, 85), (50, None), (70, 70)],
                        unit=orgs["unit_a"], names=["张三", "欧阳修远", "李四", "王五", "赵六", "钱七"])
    services.set_component_score(None, entries[1], "practical", Decimal("85"), time_seconds=3000)
    services.set_component_score(None, entries[3], "practical", Decimal("85"), time_seconds=3100)
    services.set_score_status(None, entries[4], ScoreStatus.Status.ABSENT)
    services.set_score_status(None, entries[5], ScoreStatus.Status.DISQUALIFIED)
    stage = competition.stages.get()
    services.compute(None, stage)
    return {"competition": competition, "stage": stage, "entries": entries}


def test_the_json_export_follows_the_contract(world):
    data = exports.export_data(world["competition"], world["stage"], masked=False)
    assert data["competition"] == world["competition"].code and data["stage"] == "final"
    assert data["scope"] is None and data["n_ranked"] == 4
    rows = data["results"]
    first = rows[0]
    assert list(first) == ["entry", "id_number", "name", "unit_code", "components", "times", "total", "status",
                           "rank", "passed_all", "award", "scale_score", "promotion", "titles",
                           "recommendations", "advanced", "flags"]
    assert first["id_number"] == world["entries"][0].person.id_number and first["name"] == "张三"
    assert first["total"] == "90.00" and first["promotion"] == {"from": 3, "to": 2}
    # 83.50 three times: the higher practical score first, then the shorter practical time;
    # unranked last, by entry number
    assert [(r["name"], r["total"], r["rank"], r["status"]) for r in rows] == [
        ("张三", "90.00", 1, "ranked"), ("欧阳修远", "83.50", 2, "ranked"), ("王五", "83.50", 3, "ranked"),
        ("李四", "83.50", 4, "ranked"), ("赵六", None, None, "absent"), ("钱七", None, None, "disqualified")]
    assert rows[1]["times"] == {"practical": 3000}
    assert rows[4]["components"] == {"theory": "50.00", "practical": None}
    assert rows[5]["award"] is None and rows[5]["titles"] == []


def test_json_csv_and_xlsx_agree_cell_by_cell(world):
    competition, stage = world["competition"], world["stage"]
    data = json.loads(exports.render(competition, stage, "json", masked=False)[0])
    expected = list(exports.flat_rows(competition, data))
    headers = [label for _key, label in exports.columns(competition, data)]
    keys = [key for key, _label in exports.columns(competition, data)]

    text = exports.render(competition, stage, "csv", masked=False)[0].decode("utf-8-sig")
    csv_rows = list(csv.reader(io.StringIO(text)))
    assert csv_rows[0] == headers
    assert len(csv_rows) - 1 == len(expected) == 6

    table = sheets.read_table(exports.render(competition, stage, "xlsx", masked=False)[0], "r.xlsx")
    assert table.headers == headers
    assert len(table.rows) == len(expected)

    def same(key, want, got_csv, got_xlsx):
        if want is None or want == "":
            return got_csv == "" and got_xlsx in ("", None)
        if isinstance(want, bool):
            return got_csv == ("true" if want else "false") and got_xlsx is want
        if key.startswith("components.") or key == "total":
            return got_csv == want and Decimal(repr(got_xlsx)).quantize(Decimal("0.01")) == Decimal(want)
        return got_csv == str(want) and sheets.text(got_xlsx) == str(want)

    for want_row, csv_row, xlsx_row in zip(expected, csv_rows[1:], table.rows, strict=True):
        for key, want, got_csv, got_xlsx in zip(keys, want_row, csv_row, xlsx_row, strict=True):
            assert same(key, want, got_csv, got_xlsx), (key, want, got_csv, got_xlsx)


def test_the_xlsx_keeps_identity_numbers_as_text_and_scores_as_numbers(world):
    table = sheets.read_table(exports.render(world["competition"], world["stage"], "xlsx", masked=False)[0],
                              "r.xlsx")
    assert table.rows[0][1] == world["entries"][0].person.id_number
    assert isinstance(table.rows[0][table.headers.index("总成绩")], float)


def test_the_public_export_masks_names_and_identity_numbers(world):
    stage = world["stage"]
    services.publish(None, stage)
    data = exports.export_data(world["competition"], stage, masked=True)
    names = [r["name"] for r in data["results"]]
    assert names == ["张*", "欧阳**", "王*", "李*", "赵*", "钱*"]
    person = world["entries"][0].person
    assert data["results"][0]["id_number"] == mask_id_number(person.id_number) == person.id_number_masked
    assert "*" * 8 in data["results"][0]["id_number"]
    body = exports.render(world["competition"], stage, "csv", masked=True)[0].decode("utf-8-sig")
    for entry in world["entries"]:
        assert entry.person.id_number not in body
        assert mask_name(entry.person.name) in body


def test_the_public_export_needs_published_results(world):
    from jingsai.core.errors import UserError

    with pytest.raises(UserError):
        exports.export_data(world["competition"], world["stage"], masked=True)


def test_the_command_writes_every_format(world, tmp_path, capsys):
    code = world["competition"].code
    call_command("results", "export", code, "--format", "json")
    data = json.loads(capsys.readouterr().out)
    assert data["n_ranked"] == 4
    call_command("results", "export", code, "--format", "csv")
    assert capsys.readouterr().out.startswith("参赛号,身份证号")
    out = tmp_path / "r.xlsx"
    call_command("results", "export", code, "--format", "xlsx", "--out", str(out))
    assert sheets.read_table(out).headers[0] == "参赛号"
    with pytest.raises(SystemExit):
        call_command("results", "export", code, "--format", "xlsx")


def test_lists_for_the_appraisal_centre(world):
    competition, stage = world["competition"], world["stage"]
    services.publish(None, stage)
    end_publicity(stage)
    services.finalize(None, stage)
    table = sheets.read_table(exports.promotions_xlsx(competition), "p.xlsx")
    assert table.headers == ["姓名", "身份证号", "职业代码", "原等级", "晋升等级", "竞赛", "名次", "单位", "年度"]
    assert [row[:5] + [row[6]] for row in table.rows] == [
        ["张三", world["entries"][0].person.id_number, "6-18-02-04", "三级/高级工", "二级/技师", 1],
        ["欧阳修远", world["entries"][1].person.id_number, "6-18-02-04", "三级/高级工", "二级/技师", 2],
    ]
    titles = sheets.read_table(exports.honours_xlsx(competition, Honour.Kind.TITLE), "t.xlsx")
    assert [row[0] for row in titles.rows] == ["张三"] and titles.rows[0][3] == "区技术能手"
    recommendations = sheets.read_table(exports.honours_xlsx(competition, Honour.Kind.RECOMMENDATION), "r.xlsx")
    assert recommendations.rows[0][3] == "五一劳动奖章"
