import pytest
from playwright.sync_api import expect

from jingsai.accounts.models import Role
from jingsai.competitions.models import Competition
from tests import factories
from tests.competitions.factories import competition
from tests.e2e.conftest import login

pytestmark = pytest.mark.django_db(transaction=True)


def test_an_organizer_edits_the_rules_and_opens_registration(page):
    orgs = factories.tree()
    item = competition("C-1", orgs["A"])
    factories.user("district", role=Role.ORGANIZER, org=orgs["A"], name="区组织员")

    login(page, "district")
    expect(page.locator(".card", has_text="待您推进的竞赛")).to_contain_text("C-1 焊工 · 完善规则并开放报名")
    page.click("nav >> text=赛事管理")
    page.click("[data-code=C-1]")
    expect(page.locator("#rules-summary")).to_contain_text("理论知识 30%、操作技能 70%，各60分及格")
    page.click("text=编辑规则")
    # The preview listens for edits once htmx has set the page up (deferred scripts):
    # an edit typed before that would not be previewed until the next one.
    page.wait_for_load_state()

    # A wrong weight shows in the summary box at once, without saving.
    page.fill("[name=components-1-weight]", "60")
    preview = page.locator("#rule-preview")
    expect(preview).to_contain_text("权重合计应为100%，现为90%。")

    # A third component, added without reloading the page.
    page.click("[data-add-row=components]")
    row = page.locator("#f-components .rule-row").nth(2)
    row.locator("[name$=-key]").fill("oral")
    row.locator("[name$=-name]").fill("答辩")
    row.locator("[name$=-max]").fill("100")
    row.locator("[name$=-weight]").fill("10")
    row.locator("[name$=-weight]").press("Tab")
    expect(preview).to_contain_text("理论知识 30%、操作技能 60%、答辩 10%")

    # An award band: its inputs follow its kind; removing it takes it out of the rules.
    page.click("[data-add-row=bands]")
    band = page.locator("#f-bands .rule-row").last
    band.locator("[name$=-name]").fill("优胜奖")
    expect(band.locator("[name$=-last]")).to_be_hidden()
    band.locator("select[name$=-kind]").select_option("rank_range")
    expect(band.locator("[name$=-last]")).to_be_visible()
    band.locator("[data-remove-row]").click()
    expect(page.locator("#f-bands .rule-row")).to_have_count(0)

    # Saving with a mistake lists it next to its field; nothing is saved.
    page.fill("[name=components-2-pass]", "120")
    page.click("#save-rules")
    expect(page.locator("#problems")).to_contain_text("及格分 120 高于满分 100")
    expect(page.locator("[data-problem-for=components-2-pass]")).to_be_visible()
    assert len(Competition.objects.get(pk=item.pk).spec["components"]) == 2

    page.fill("[name=components-2-pass]", "")
    page.click("#save-rules")
    expect(page.locator(".alert-success")).to_contain_text("规则已保存")
    expect(page.locator("#rules-summary")).to_contain_text("答辩 10%")

    page.locator("[data-to=registration_open] button").click()
    expect(page.locator("#competition-status")).to_have_text("报名中")
    expect(page.locator("#timeline")).to_contain_text("报名中")
    expect(page.locator("#rules-summary")).to_contain_text("规则已锁定")


def test_the_rule_editor_fits_a_phone(new_page):
    orgs = factories.tree()
    item = competition("C-1", orgs["A"])
    factories.user("district", role=Role.ORGANIZER, org=orgs["A"])
    page = new_page(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    login(page, "district")
    page.goto(f"/work/competitions/{item.pk}/rules/")
    expect(page.locator("#rule-form")).to_be_visible()
    overflow = page.evaluate("document.scrollingElement.scrollWidth - window.innerWidth")
    assert overflow <= 0
    expect(page.locator("#save-rules")).to_be_in_viewport()  # the save bar stays at hand
