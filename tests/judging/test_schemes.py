"""Marking schemes: seeded from the spec, edited, validated, imported/exported, frozen."""

from decimal import Decimal

import pytest

from jingsai.core import spreadsheets as sheets
from jingsai.core.errors import Rejected, UserError
from jingsai.judging.models import SchemeStatus
from jingsai.judging.services import marking, schemes
from tests.judging import factories as jf

pytestmark = pytest.mark.django_db


def test_the_scheme_is_seeded_from_the_competition_spec(w):
    tree = schemes.tree(w.scheme)
    assert [c.code for c, _direct, _subs in tree] == ["A", "B"]
    assert [a.code for a in schemes.aspects(w.scheme)] == ["A1", "A2", "A3", "B1a", "B1b"]
    b1b = w.scheme.aspects.get(code="B1b")
    assert b1b.criterion.code == "B1" and b1b.criterion.parent.code == "B"
    assert b1b.descriptors == jf.DESCRIPTORS
    assert w.scheme.aspects.get(code="A1").binary
    assert schemes.problems(w.scheme) == []
    assert schemes.definition(w.scheme)["criteria"][1]["sub_criteria"][0]["aspects"][1]["max"] == "30"


def test_validation_names_a_wrong_sum_and_missing_descriptors(w):
    a3 = w.scheme.aspects.get(code="A3")
    schemes.save_aspect(w.actor, w.scheme, aspect=a3, criterion=a3.criterion, code="A3", name=a3.name, type="S",
                        max="20")
    schemes.save_aspect(w.actor, w.scheme, criterion=a3.criterion, code="A4", name="新评价", type="J", max="3")
    found = schemes.problems(w.scheme)
    assert found == ["各评分项分值合计 98 分，但操作技能满分为 100 分。",
                     "评价项 A4 须为 0、1、2、3 各等级写明描述。"]
    with pytest.raises(Rejected) as rejected:
        schemes.freeze(w.actor, w.scheme)
    assert len(rejected.value.problems) == 1 + 1
    assert schemes.scheme_of(w.competition).status == SchemeStatus.DRAFT


def test_aspect_rules_are_checked_when_editing(w):
    criterion = w.scheme.criteria.get(code="A")
    with pytest.raises(UserError, match="只有测量项"):
        schemes.save_aspect(w.actor, w.scheme, criterion=criterion, code="X", name="x", type="S", max=5, binary=True)
    with pytest.raises(UserError, match="只有评价项"):
        schemes.save_aspect(w.actor, w.scheme, criterion=criterion, code="X", name="x", type="M", max=5,
                            descriptors=["a", "", "", ""])
    with pytest.raises(UserError, match="已被使用"):
        schemes.save_aspect(w.actor, w.scheme, criterion=criterion, code="B1", name="x", type="M", max=5)
    with pytest.raises(UserError, match="有子模块"):
        schemes.save_aspect(w.actor, w.scheme, criterion=w.scheme.criteria.get(code="B"), code="X", name="x",
                            type="M", max=5)
    with pytest.raises(UserError, match="大于 0"):
        schemes.save_aspect(w.actor, w.scheme, criterion=criterion, code="X", name="x", type="M", max=0)


def test_a_frozen_scheme_cannot_change_and_marking_freezes_it(w):
    assert not w.scheme.frozen
    contestant = jf.contestants(w.stage)[0]
    marking.record_mark(w.judges[0].user, contestant, jf.aspect(w, "A2"), "2")
    w.scheme.refresh_from_db()
    assert w.scheme.frozen and w.scheme.frozen_by == w.judges[0].user
    with pytest.raises(UserError, match="已冻结"):
        schemes.delete_aspect(w.actor, jf.aspect(w, "A3"))
    with pytest.raises(UserError, match="已冻结"):
        schemes.save_criterion(w.actor, w.scheme, code="C", name="新模块")
    with pytest.raises(UserError, match="保持冻结"):
        schemes.unfreeze(w.actor, w.scheme, reason="改错")


def test_an_invalid_scheme_refuses_the_first_mark(w):
    schemes.delete_aspect(w.actor, jf.aspect(w, "A3"))
    contestant = jf.contestants(w.stage)[0]
    with pytest.raises(UserError, match="合计 75 分"):
        marking.record_mark(w.judges[0].user, contestant, jf.aspect(w, "A2"), "2")
    assert not contestant.marks.exists()


def test_xlsx_export_imports_back_to_the_same_scheme(w):
    before = schemes.definition(w.scheme)
    data = schemes.export_xlsx(w.scheme)
    schemes.reseed(w.actor, w.scheme)
    w.scheme.criteria.all().delete()
    schemes.import_table(w.actor, w.scheme, sheets.read_table(data, "scheme.xlsx"), filename="scheme.xlsx")
    assert schemes.definition(w.scheme) == before


def test_a_bad_scheme_sheet_is_rejected_with_every_problem_and_changes_nothing(w):
    before = schemes.definition(w.scheme)
    rows = [
        ["A", "焊接质量", "", "", "A1", "焊缝", "Q", "10", "", "", "", "", "", ""],
        ["A", "焊接质量", "", "", "A1", "外观", "J", "15", "", "", "差", "中", "良", "优"],
        ["B", "安全", "", "", "B1", "防护", "S", "-3", "", "", "", "", "", ""],
        ["C", "文明", "", "", "", "整洁", "M", "5", "也许", "", "", "", "", ""],
    ]
    table = sheets.read_table(sheets.xlsx_bytes(schemes.COLUMNS, rows), "bad.xlsx")
    with pytest.raises(Rejected) as rejected:
        schemes.import_table(w.actor, w.scheme, table)
    found = {(p.row, p.column) for p in rejected.value.problems}
    assert (2, "类型") in found
    assert (3, "评分项编码") in found
    assert (4, "分值") in found
    assert (5, "评分项编码") in found and (5, "二值") in found
    assert schemes.definition(w.scheme) == before


def test_the_engine_reads_the_scheme_as_the_spec_says(w):
    rules = [a.as_rule() for a in schemes.aspects(w.scheme)]
    assert sum(r["max"] for r in rules) == Decimal(100)
