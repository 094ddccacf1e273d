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
