"""Importing organizations (headless-interface.md): every rule, and nothing changes when
anything is wrong."""

import pytest
from django.utils import translation

from jingsai.core import spreadsheets as sheets
from jingsai.core.errors import Rejected
from jingsai.orgs import services
from jingsai.orgs.models import Organization, OrgType, Ownership
from tests.orgs.helpers import xlsx

pytestmark = pytest.mark.django_db


@pytest.fixture
def city(make):
    return make.tree()


def run(data, actor=None, scope=None, name="orgs.xlsx"):
    from jingsai.accounts.services import system_user

    table = sheets.read_table(data, name)
    return services.import_table(actor or system_user(), table, filename=name, scope=scope)


def rejected(data, **kwargs):
    """Import that must fail: returns the problems, having checked nothing changed."""
    from tests.orgs.helpers import snapshot

    before = snapshot()
    with pytest.raises(Rejected) as caught:
        run(data, **kwargs)
    assert snapshot() == before, "a rejected import changed something"
    return caught.value


def messages(error):
    return [str(p.message) for p in error.problems]


def test_creates_parents_after_children_with_aliases_and_numbers(city):
    data = xlsx([
        ["N-TEAM", "焊接班组", "班组", "N-ENT", 310104, "", 12],
        ["N-ENT", "新企业", "企业", "N-STREET", "310104", "外资", 320.0],
        ["N-STREET", "新街道", "街道", "DA", "310104", "", None],
        ["N-COL", "新学院", "college", "DA", "", "State", ""],
    ])
    assert run(data) == {"created": 4, "updated": 0, "unchanged": 0}
    team = Organization.objects.get(code="N-TEAM")
    assert team.type == OrgType.TEAM and team.region_code == "310104" and team.employee_count == 12
    assert [a.code for a in team.ancestors()] == ["U", "DA", "N-STREET", "N-ENT"]
    assert team.path.startswith(city["A"].path) and team.depth == 4
    assert Organization.objects.get(code="N-ENT").ownership == Ownership.FOREIGN
    assert Organization.objects.get(code="N-COL").type == OrgType.COLLEGE


def test_updates_and_moves_stored_organizations_with_their_subtrees(city):
    child = Organization.objects.create  # noqa: F841 - readability below
    data = xlsx([
        ["SA", "甲街道（改名）", "街道", "DB", "310105", "", ""],
        ["EA", "甲企业", "企业", "SA", "310104", "", 50],
    ])
    result = run(data)
    assert result == {"created": 0, "updated": 2, "unchanged": 0}
    street = Organization.objects.get(code="SA")
    unit = Organization.objects.get(code="EA")
    assert street.name == "甲街道（改名）" and street.path.startswith(city["B"].path)
    assert unit.path.startswith(street.path) and unit.depth == street.depth + 1
    assert unit.employee_count == 50


def test_moves_within_one_file_keep_every_path_right(make, city):
    """A stored child processed after its stored parent moved must not write back a stale
    path (the objects were loaded before the move)."""
    deep = make.org("EA-1", parent=city["unit_a"], type=OrgType.TEAM)
    data = xlsx([
        ["SA", "甲街道", "街道", "DB", "", "", ""],          # moves SA (and EA, EA-1) under DB
        ["EA", "甲企业", "企业", "SA", "", "", 99],          # same parent: fields only
        ["EA-1", "班组", "班组", "EA", "", "", 5],
    ])
    run(data)
    for org in Organization.objects.all():
        expected = (org.parent.path if org.parent else "/") + org.path.rstrip("/").rsplit("/", 1)[-1] + "/"
        assert org.path == expected, org.code
        assert org.depth == (org.parent.depth + 1 if org.parent else 0)
    deep.refresh_from_db()
    assert deep.path.startswith(city["B"].path)


def test_export_then_import_changes_nothing(city):
    from tests.orgs.helpers import snapshot

    before = snapshot()
    assert run(services.export_xlsx()) == {"created": 0, "updated": 0, "unchanged": 7}
    orgs_after, audits_after = snapshot()
    assert orgs_after == before[0]
    assert audits_after == before[1] + 1  # the import's own record only


def test_without_a_parent_column_stored_organizations_stay_where_they_are(city):
    data = xlsx([["SA", "甲街道", "街道", "310104", "", 7]],
                headers=["编码", "名称", "类型", "行政区划代码", "所有制", "职工人数"])
    assert run(data)["updated"] == 1
    street = Organization.objects.get(code="SA")
    assert street.parent_id == city["A"].pk and street.employee_count == 7


@pytest.mark.parametrize(("row", "column", "words"), [
    (["", "名", "企业", "DA"], "编码", "编码为空"),
    (["bad code!", "名", "企业", "DA"], "编码", "1至32"),
    (["X" * 33, "名", "企业", "DA"], "编码", "1至32"),
    (["N-1", "", "企业", "DA"], "名称", "1至100"),
    (["N-1", "名" * 101, "企业", "DA"], "名称", "1至100"),
    (["N-1", "名", "公司", "DA"], "类型", "班组"),
    (["N-1", "名", "企业", "NOPE"], "上级编码", "NOPE"),
    (["N-1", "名", "企业", "DA", "31010"], "行政区划代码", "6位"),
    (["N-1", "名", "企业", "DA", "31010A"], "行政区划代码", "6位"),
    (["N-1", "名", "企业", "DA", "", "私营"], "所有制", "国有"),
    (["N-1", "名", "企业", "DA", "", "", -1], "职工人数", "整数"),
    (["N-1", "名", "企业", "DA", "", "", 12.5], "职工人数", "整数"),
    (["N-1", "名", "企业", "DA", "", "", "很多"], "职工人数", "整数"),
    (["N-1", "名", "企业", "DA", "", "", 10**12], "职工人数", "整数"),
    (["N-1", "名", "企业", "N-1"], "上级编码", "上级"),
])
def test_each_bad_cell_is_named_in_chinese(city, row, column, words):
    error = rejected(xlsx([row + [""] * (7 - len(row))]))
    assert error.message == "文件未通过检查，未导入任何数据。"
    problem = error.problems[0]
    assert (problem.row, problem.column) == (2, column)
    assert words in str(problem.message), problem.message


def test_every_problem_is_listed_not_only_the_first(city):
    error = rejected(xlsx([
        ["N-1", "", "企业", "DA"],
        ["N-2", "名", "公司", "DA"],
        ["N-3", "名", "企业", "DA", "1234567"],
        ["N-4", "名", "企业", "DA"],
    ]))
    assert sorted(p.row for p in error.problems) == [2, 3, 4]


def test_duplicate_codes_in_the_file(city):
    error = rejected(xlsx([["N-1", "甲", "企业", "DA"], ["N-1", "乙", "企业", "DA"]]))
    assert "第 2 行和第 3 行" in messages(error)[0] or ("2" in messages(error)[0] and "3" in messages(error)[0])
    assert error.problems[0].code == "duplicate"


def test_a_cycle_within_the_file(city):
    error = rejected(xlsx([["N-1", "甲", "企业", "N-2"], ["N-2", "乙", "企业", "N-3"], ["N-3", "丙", "企业", "N-1"]]))
    assert {p.code for p in error.problems} == {"cycle"}
    assert len(error.problems) == 3


def test_a_cycle_through_the_stored_tree(city):
    # DA is stored with SA below it; the file hangs DA under SA.
    error = rejected(xlsx([["DA", "甲区总工会", "区", "SA"]]))
    assert error.problems[0].code == "cycle"
    assert "DA" in messages(error)[0]


def test_the_file_may_rehang_a_stored_branch_as_long_as_no_loop_forms(city):
    run(xlsx([["SA", "甲街道", "街道", "DB"], ["DA", "甲区总工会", "区", "SA"]]))
    assert Organization.objects.get(code="DA").parent.code == "SA"


@pytest.mark.parametrize(("headers", "code"), [
    (["编码", "名称", "类型", "颜色"], "unknown_column"),
    (["编码", "名称"], "missing_column"),
    (["编码", "名称", "类型", "code"], "duplicate_column"),
])
def test_column_problems(city, headers, code):
    error = rejected(xlsx([["N-1", "名", "企业", "x"][: len(headers)]], headers=headers))
    assert code in {p.code for p in error.problems}
    assert all(p.row == 1 for p in error.problems)


def test_headers_in_english_keys_any_case(city):
    data = xlsx([["N-1", "名", "ENTERPRISE", "DA"]], headers=[" Code", "NAME", "type ", "Parent_Code"])
    assert run(data)["created"] == 1


def test_an_empty_file_and_a_header_only_file(city):
    error = rejected(b"", name="orgs.xlsx")
    assert messages(error) == ["文件为空。"]
    error = rejected(xlsx([]))
    assert "表头" in messages(error)[0]


def test_a_file_of_the_wrong_type(city):
    error = rejected(b"%PDF-1.7", name="orgs.pdf")
    assert ".pdf" in messages(error)[0]


@pytest.mark.parametrize("encoding", ["utf-8-sig", "gbk"])
def test_csv_in_utf8_with_bom_and_in_gbk(city, encoding):
    text = "编码,名称,类型,上级编码,行政区划代码,所有制,职工人数\nN-CSV,新企业,企业,DA,310104,国有,3\n"
    assert run(text.encode(encoding), name="orgs.csv")["created"] == 1
    assert Organization.objects.get(code="N-CSV").name == "新企业"


def test_xls_from_an_old_excel():
    import io

    import xlwt

    book = xlwt.Workbook()
    sheet = book.add_sheet("组织机构")
    for c, value in enumerate(["编码", "名称", "类型", "上级编码", "行政区划代码", "所有制", "职工人数"]):
        sheet.write(0, c, value)
    for c, value in enumerate(["X-ROOT", "老表格工会", "工会", "", 310000, "", 5]):
        sheet.write(1, c, value)
    out = io.BytesIO()
    book.save(out)
    assert run(out.getvalue(), name="orgs.xls")["created"] == 1
    assert Organization.objects.get(code="X-ROOT").region_code == "310000"


class TestScope:
    """A district organizer imports into district A only."""

    @pytest.fixture
    def organizer(self, make, city):
        from jingsai.accounts.models import Role

        return make.user("da-org", role=Role.ORGANIZER, org=city["A"])

    def scoped(self, organizer):
        return services.import_scope(organizer)

    def test_inside_the_district(self, organizer, city):
        data = xlsx([["N-1", "新企业", "企业", "SA"], ["EA", "甲企业", "企业", "SA", "", "", 8]])
        assert run(data, actor=organizer, scope=self.scoped(organizer)) == {"created": 1, "updated": 1, "unchanged": 0}

    def test_own_export_round_trips(self, organizer, city):
        data = services.export_xlsx(Organization.objects.subtree(city["A"]))
        result = run(data, actor=organizer, scope=self.scoped(organizer))
        assert result == {"created": 0, "updated": 0, "unchanged": 3}

    @pytest.mark.parametrize(("row", "column"), [
        (["EB", "乙企业", "企业", "SB"], "编码"),          # stored outside
        (["N-1", "新企业", "企业", "SB"], "上级编码"),      # created outside
        (["N-1", "新企业", "企业", ""], "上级编码"),        # created at the top
        (["EA", "甲企业", "企业", "SB"], "上级编码"),       # moved out of the district
        (["DA", "甲区总工会", "区", ""], "上级编码"),       # own district moved to the top
    ])
    def test_outside_the_district_is_refused(self, organizer, city, row, column):
        error = rejected(xlsx([row]), actor=organizer, scope=self.scoped(organizer))
        assert error.code == "forbidden"
        assert error.problems[0].column == column
        assert "管理" in messages(error)[0]

    def test_unit_contact_roles_do_not_widen_the_scope(self, organizer, city):
        from jingsai.accounts import services as account_services
        from jingsai.accounts.models import Role

        account_services.grant_role(None, organizer, Role.UNIT_CONTACT, organization=city["unit_b"], check=False)
        assert [o.code for o in services.import_scope(organizer)] == ["DA"]


def test_messages_render_in_english_too(city):
    with translation.override("en"):
        error = rejected(xlsx([["N-1", "名", "公司", "DA"]]))
    assert "nothing was imported" in error.message
