"""A unit contact downloads the registration template, fills it in, uploads it with a
mistake, sees every problem in the page, fixes the file and registers everyone."""

import io

import openpyxl
import pytest
from playwright.sync_api import expect

from jingsai.accounts.models import Role
from jingsai.registration.models import Entry, EntryStatus
from tests import factories
from tests.e2e.conftest import login
from tests.registration import factories as reg

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_unit_contact_imports_a_file_after_fixing_it(page, tmp_path):
    orgs = factories.tree()
    competition = reg.open_competition(orgs["A"], name="焊工技能竞赛")
    factories.user("contact", role=Role.UNIT_CONTACT, org=orgs["unit_a"], name="甲企业联络员")

    login(page, "contact")
    page.click("nav >> text=报名")
    page.click(f"#competitions >> text={competition.name}")
    page.click("#import-link")
    expect(page.locator("h1")).to_contain_text("上传报名表")

    with page.expect_download() as download_info:
        page.click("#template-link")
    template = download_info.value
    assert template.suggested_filename.endswith(".xlsx")
    saved = tmp_path / template.suggested_filename
    template.save_as(saved)
    book = openpyxl.load_workbook(saved)
    sheet = book.worksheets[0]
    assert [c.value for c in sheet[1]][:4] == ["姓名", "身份证号", "手机号", "单位编码"]
    sheet.delete_rows(2)  # the example row
    good, typo = reg.new_id(), reg.new_id()
    wrong = typo[:17] + ("0" if typo[17] != "0" else "1")
    sheet.append(["李明", good, "13812345678", "EA", "三级/高级工", "职工", ""])
    sheet.append(["王芳", wrong, "", "EA", "四级/中级工", "职工", ""])
    sheet.append(["赵强", reg.new_id(), "", "EA", "九级", "", ""])
    path = tmp_path / "报名.xlsx"
    book.save(path)

    page.set_input_files("#import-form input[type=file]", str(path))
    page.click("#import-form button")
    problems = page.locator("#problems")
    expect(problems).to_contain_text("2 处问题")
    expect(problems).to_contain_text("校验码")
    expect(problems).to_contain_text("九级")
    with page.expect_download() as error_info:
        page.click("#error-file")
    errors = openpyxl.load_workbook(io.BytesIO(error_info.value.path().read_bytes())).worksheets[0]
    assert errors.cell(1, errors.max_column).value == "错误说明"
    assert Entry.objects.count() == 0

    sheet.cell(3, 2).value = typo
    sheet.cell(4, 5).value = "二级/技师"
    book.save(path)
    page.set_input_files("#import-form input[type=file]", str(path))
    page.click("#import-form button")
    expect(page.locator(".alert-success")).to_contain_text("已报名 3 行")
    table = page.locator("#entry-table")
    expect(table).to_contain_text("李明")
    expect(table).to_contain_text("赵强")
    expect(table).to_contain_text("单位已审核")
    assert Entry.objects.filter(status=EntryStatus.UNIT_APPROVED).count() == 3
