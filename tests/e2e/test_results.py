import re

import pytest
from playwright.sync_api import expect

from jingsai.accounts.models import Role
from jingsai.results import certificates
from jingsai.results.models import Certificate
from tests import factories
from tests.e2e.conftest import login
from tests.results import factories as rf
from tests.results.helpers import end_publicity

pytestmark = pytest.mark.django_db(transaction=True)


def test_an_organizer_computes_publishes_and_finalizes_and_the_public_verifies(page, new_page, live_server):
    orgs = factories.tree()
    competition = rf.competition(orgs["A"], name="区焊工技能竞赛")
    rf.scored(competition, [(90, 90), (80, 85), (70, 60), (65, 58)], unit=orgs["unit_a"],
              names=["张三丰", "欧阳修远", "李四光", "王五"])
    factories.user("district", role=Role.ORGANIZER, org=orgs["A"], name="区组织员")

    login(page, "district")
    page.goto(f"/work/results/{competition.code}/")
    page.locator("#stage-final button[name=compute]").click()
    table = page.locator("#results-table")
    expect(table).to_contain_text("张三丰")
    expect(table.locator("tbody tr").first).to_contain_text("一等奖")
    # sort by the practical score, highest first, on a click of its heading
    page.locator("#results-table thead a", has_text="操作技能").click()
    expect(table.locator("tbody tr").first).to_contain_text("张三丰")

    page.goto(f"/work/results/{competition.code}/")
    page.locator("#stage-final button[name=publish]").click()
    expect(page.locator(".alert-success")).to_contain_text("成绩已发布公示")
    expect(page.locator("#stage-final")).to_contain_text("公示中")

    visitor = new_page()
    visitor.goto(f"/competitions/{competition.code}/")
    visitor.locator("#results-link a").click()
    expect(visitor.locator("#publicity-notice")).to_contain_text("公示期为")
    results = visitor.locator("#public-results")
    expect(results).to_contain_text("张**")
    expect(results).to_contain_text("欧阳**")
    expect(results).not_to_contain_text("张三丰")
    expect(results).to_contain_text(re.compile(r"310104\*{8}\d{3}[\dX]"))
    visitor.fill("#id_name", "路人甲")
    visitor.fill("#id_contact", "13912345678")
    visitor.fill("#id_text", "第二名的操作技能成绩请复核。")
    visitor.locator("#objections button").click()
    expect(visitor.locator(".alert-success")).to_contain_text("您的异议已登记")
    expect(visitor.locator("#objections")).to_contain_text("第二名的操作技能成绩请复核。")
    expect(visitor.locator("#objections")).not_to_contain_text("13912345678")

    page.reload()
    page.locator("#objections textarea[name=answer]").fill("经复核，成绩无误。")
    page.locator("#objections button").click()
    end_publicity(competition.stages.get())
    page.goto(f"/work/results/{competition.code}/")
    page.locator("#stage-final button[name=finalize]").click()
    expect(page.locator(".alert-success")).to_contain_text("成绩已确定")
    expect(page.locator("#stage-final")).to_contain_text("成绩已确定")

    page.goto(f"/work/results/{competition.code}/certificates/")
    page.locator("#layout-modern").check()
    page.get_by_role("button", name="生成证书").click()
    expect(page.locator(".job-progress")).to_have_attribute("data-status", "succeeded")
    expect(page.locator(".job-progress a")).to_contain_text(".zip")

    certificate = Certificate.objects.get(kind="award", rank=1)
    visitor.goto(certificates.verification_url(live_server.url, certificate.code))
    verdict = visitor.locator("#verification")
    expect(verdict).to_have_attribute("data-verdict", "valid")
    expect(verdict).to_contain_text("证书有效")
    expect(verdict.locator("#holder")).to_have_text("张**")
    expect(verdict).to_contain_text("区焊工技能竞赛")
    expect(verdict).to_contain_text("一等奖")
    visitor.goto(certificates.verification_url(live_server.url, "NOSUCHCODE22"))
    expect(visitor.locator("#verification")).to_contain_text("查无此证")
