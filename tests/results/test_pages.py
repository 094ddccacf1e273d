"""The pages: organizers review, compute, publish and finalize; the public sees masked
results in publicity and objects; contestants read their explanations."""

import re
from decimal import Decimal

import pytest
from django.urls import reverse

from jingsai.accounts.models import Role
from jingsai.results import services
from jingsai.results.models import Objection, Result, ScoreStatus
from tests import factories
from tests.results import factories as rf
from tests.results.helpers import end_publicity

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(client):
    orgs = factories.tree()
    competition = rf.competition(orgs["A"], organization_award={"best_n": 2},
                                 ranking={"tie_breakers": ["component:practical:desc"]})
    other_unit = factories.org("EA2", parent=orgs["street_a"], name="甲二企业")
    entries = rf.scored(competition, [(90, 90), (80, 85), (70, 60)], unit=orgs["unit_a"],
                        names=["张三", "欧阳修远", "李四"])
    entries += rf.scored(competition, [(85, 85), (60, 95)], unit=other_unit, names=["王五", "赵六"])
    organizer = factories.user("district", role=Role.ORGANIZER, org=orgs["A"])
    return {"orgs": orgs, "competition": competition, "entries": entries, "stage": competition.stages.get(),
            "organizer": organizer, "client": client}


def login(client, user):
    client.force_login(user)
    return client


def test_an_organizer_computes_reviews_and_publishes_from_the_pages(world):
    client = login(world["client"], world["organizer"])
    code = world["competition"].code
    page = client.get(reverse("results:competition", args=[code])).content.decode()
    assert "计算成绩" in page
    response = client.post(reverse("results:compute", args=[code]), {"stage": "final"}, follow=True)
    page = response.content.decode()
    assert "已计算" in page and "张三" in page and 'id="results-table"' in page
    assert '"series"' in page  # the distribution chart's data
    # sort by a component, filter by award
    page = client.get(reverse("results:stage", args=[code, "final"]), {"sort": "practical", "dir": "desc"})
    names = re.findall(r'data-entry="(\d+)"', page.content.decode())
    assert names[0] == str(world["entries"][4].number)  # 赵六: 95 in practical
    page = client.get(reverse("results:stage", args=[code, "final"]), {"award": "一等奖"}).content.decode()
    assert re.findall(r'data-entry="(\d+)"', page) == [str(world["entries"][0].number)]
    response = client.post(reverse("results:publish", args=[code]), {"stage": "final"}, follow=True)
    assert "成绩已发布公示" in response.content.decode()
    world["competition"].refresh_from_db()
    assert world["competition"].status == "publicity"


def test_the_change_page_shows_what_moved(world):
    client = login(world["client"], world["organizer"])
    code = world["competition"].code
    services.compute(None, world["stage"])
    services.set_component_score(None, world["entries"][2], "practical", Decimal("99"))
    [computation] = services.compute(None, world["stage"])
    page = client.get(reverse("results:changes", args=[code, "final"]),
                      {"computation": computation.pk}).content.decode()
    assert "李四" in page and "63.00" in page and "90.30" in page
    assert "张三" in page  # pushed down a rank


def test_organization_awards_sum_the_best_n_totals(world):
    client = login(world["client"], world["organizer"])
    services.compute(None, world["stage"])
    page = client.get(reverse("results:organizations", args=[world["competition"].code, "final"])).content.decode()
    rows = re.findall(r"<tr><td>(\d+)</td><td>([^<]+) <span[^>]*>[^<]*</span></td><td[^>]*>([\d.]+)</td>", page)
    # 甲企业: 90.00 + 83.50 (best two of three); 甲二企业: 85.00 + 84.50
    assert [(rank, name.strip(), Decimal(total)) for rank, name, total in rows] == [
        ("1", "甲企业", Decimal("173.5")), ("2", "甲二企业", Decimal("169.5"))]


def test_the_publicity_page_masks_names_and_numbers_and_takes_objections(world, client):
    services.compute(None, world["stage"])
    services.publish(None, world["stage"])
    url = reverse("results_public:results", args=[world["competition"].code])
    page = client.get(url).content.decode()
    assert "成绩公示" in page and "张*" in page and "欧阳**" in page
    for entry in world["entries"]:
        assert entry.person.name not in page
        assert entry.person.id_number not in page
        assert entry.person.id_number_masked in page
    assert "提交异议" in page
    response = client.post(reverse("results_public:objection", args=[world["competition"].code]), {
        "name": "路人甲", "contact": "13912345678", "entry_number": world["entries"][2].number,
        "text": "李四的操作技能成绩似乎偏低，请复核。"}, follow=True)
    page = response.content.decode()
    assert "您的异议已登记" in page and "李四的操作技能成绩似乎偏低" in page
    assert "13912345678" not in page and "路人甲" not in page
    objection = Objection.objects.get()
    assert objection.contact == "13912345678"
    organizer = login(client, world["organizer"])
    organizer.post(reverse("results:answer", args=[objection.pk]),
                   {"answer": "经复核，成绩录入无误。", "outcome": "dismissed"})
    client.logout()
    page = client.get(url).content.decode()
    assert "经复核，成绩录入无误。" in page and "不成立" in page


def test_unpublished_results_are_not_public(world, client):
    services.compute(None, world["stage"])
    response = client.get(reverse("results_public:results", args=[world["competition"].code]))
    assert response.status_code == 404 and "尚未公布" in response.content.decode()
    assert client.get(reverse("results_public:export", args=[world["competition"].code])).status_code == 404


def test_the_explanation_page_for_the_contestant(world, client):
    services.set_score_status(None, world["entries"][3], None)
    [computation] = services.compute(None, world["stage"])
    result = computation.results.get(entry=world["entries"][1])
    worker = factories.user(person=world["entries"][1].person)
    client.force_login(worker)
    url = reverse("results:explanation", args=[result.pk])
    assert client.get(url).status_code == 404  # not published yet
    services.publish(None, world["stage"])
    page = client.get(url).content.decode()
    assert "成绩说明" in page
    assert "0.3 × 80.00 × 100 / 100 + 0.7 × 85.00 × 100 / 100 = 83.5" in page
    assert "四舍五入保留 2 位小数，总成绩为 83.50" in page
    assert "于" in page and "手工录入" in page  # how the scores were obtained
    assert "三等奖" in page or "二等奖" in page
    assert "晋升为二级/技师" in page  # the promotion rule, explained
    # another worker may not read it
    stranger = factories.user(person=world["entries"][0].person)
    client.force_login(stranger)
    assert client.get(url).status_code == 403


def test_the_explanation_says_why_ties_broke(world, client):
    entry = world["entries"][4]  # 赵六 60/95 = 84.5 ; make 王五 85/85 = 85 tie with 张三? use a fresh tie
    services.set_component_score(None, entry, "theory", Decimal("70"))
    services.set_component_score(None, entry, "practical", Decimal("90.7143"))
    # 0.3 × 70 + 0.7 × 90.71 = 84.497 → 84.50; 欧阳修远 80/85 = 83.50; 王五 85/85 = 85.00
    services.set_component_score(None, world["entries"][3], "practical", Decimal("84.6429"))
    # 王五: 25.5 + 0.7 × 84.64 = 84.748 → 84.75 — no tie; give 欧阳修远 a tie with 赵六 instead
    services.set_component_score(None, world["entries"][1], "theory", Decimal("83.3333"))
    # 欧阳修远: 0.3 × 83.33 + 0.7 × 85 = 24.999 + 59.5 = 84.499 → 84.50, practical 85 < 90.71
    [computation] = services.compute(None, world["stage"])
    loser = computation.results.get(entry=world["entries"][1])
    winner = computation.results.get(entry=entry)
    assert loser.total == winner.total == Decimal("84.5") and loser.rank == winner.rank + 1
    client.force_login(world["organizer"])
    page = client.get(reverse("results:explanation", args=[loser.pk])).content.decode()
    assert f"报名号 {entry.number} 总成绩相同但排在前面：操作技能成绩较高者优先（对方 90.71，本人 85.00）" in page


def test_absent_entries_are_explained(world, client):
    services.set_score_status(None, world["entries"][0], ScoreStatus.Status.ABSENT)
    [computation] = services.compute(None, world["stage"])
    result = computation.results.get(entry=world["entries"][0])
    client.force_login(world["organizer"])
    page = client.get(reverse("results:explanation", args=[result.pk])).content.decode()
    assert "已登记为缺考" in page


def test_marks_import_page_lists_every_problem(world):
    from tests.results.test_marks_import import xlsx

    client = login(world["client"], world["organizer"])
    code = world["competition"].code
    good = world["entries"][0].person.id_number
    upload = xlsx(["身份证号", "theory"], [[good, 101], ["110105194912310021", 1]])
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = client.post(reverse("results:marks", args=[code]),
                           {"stage": "final", "file": SimpleUploadedFile("成绩.xlsx", upload)})
    page = response.content.decode()
    assert "发现 2 处问题" in page
    assert "下载带错误说明列的文件" in page
    upload = xlsx(["身份证号", "theory"], [[good, 77]])
    response = client.post(reverse("results:marks", args=[code]),
                           {"stage": "final", "file": SimpleUploadedFile("成绩.xlsx", upload)}, follow=True)
    assert "成绩已导入" in response.content.decode()


def test_the_worker_dashboard_links_results_and_certificates(world, client):
    services.compute(None, world["stage"])
    services.publish(None, world["stage"])
    end_publicity(world["stage"])
    services.finalize(None, world["stage"])
    services.issue_certificates(None, world["competition"], layout="classic")
    worker = factories.user(person=world["entries"][0].person)
    client.force_login(worker)
    page = client.get(reverse("core:dashboard")).content.decode()
    assert "我的成绩和证书" in page and "2 份证书可下载" in page.replace("2份", "2 份")
    page = client.get(reverse("results:mine")).content.decode()
    assert "获奖证书" in page and "成绩证明" in page
    assert Result.objects.filter(entry__person=worker.person).exists()
