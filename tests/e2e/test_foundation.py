import pytest
from playwright.sync_api import expect

from jingsai.accounts.models import Role
from tests import factories
from tests.e2e.conftest import login

pytestmark = pytest.mark.django_db(transaction=True)


def test_organizer_browses_the_tree_and_switches_language(page):
    orgs = factories.tree()
    factories.org("EA2", parent=orgs["street_a"], name="甲二企业")
    factories.user("district", role=Role.ORGANIZER, org=orgs["A"], name="区组织员")

    login(page, "district")
    expect(page.locator("h1")).to_contain_text("您好")
    page.click("nav >> text=组织机构")
    tree = page.locator("#org-tree")
    expect(tree).to_contain_text("甲区总工会")
    expect(tree).not_to_contain_text("乙区总工会")  # outside the organizer's subtree

    district = tree.locator("li[data-code=DA] > details > summary")
    district.locator(".badge").click()
    street = tree.locator("li[data-code=SA] > details > summary")
    expect(street).to_be_visible()
    street.locator(".badge").click()
    expect(tree.locator("li[data-code=EA2]")).to_contain_text("甲二企业")

    tree.locator("li[data-code=EA2] a").click()
    expect(page.locator("h1")).to_contain_text("甲二企业")
    expect(page.locator(".breadcrumb")).to_contain_text("甲街道")

    page.click("#language-switch button[value=en]")
    expect(page.locator("nav.site-nav")).to_contain_text("Organizations")
    expect(page.locator("dl")).to_contain_text("Parent organization")
    page.click("#language-switch button[value=zh-hans]")
    expect(page.locator("nav.site-nav")).to_contain_text("组织机构")


def test_a_worker_on_a_phone_logs_in_by_identity_number_and_reveals_it(new_page):
    from jingsai.core.models import AuditRecord
    from jingsai.people import services as people_services

    unit = factories.org("PH-1", name="手机测试企业")
    person = people_services.create_person(None, name="王小二", id_number="11010519491231002X", employer=unit,
                                           phone="13812345678")
    factories.user("w-phone", person=person)

    page = new_page(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    login(page, "11010519491231002x")
    expect(page.locator("body")).to_contain_text("我的档案")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # no sideways scrolling
    page.click("text=查看")
    expect(page.locator("#id-number")).to_have_text("110105********002X")
    page.click("#id-number + button")
    expect(page.locator("#id-number")).to_have_text("11010519491231002X")
    assert AuditRecord.objects.filter(action="people.reveal_id_number", actor__username="w-phone").count() == 1
