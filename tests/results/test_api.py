"""The results API: compute, review, publish, object, answer, finalize, export."""

import json
from decimal import Decimal

import pytest

from jingsai.accounts.models import Role
from jingsai.results import services
from jingsai.results.models import Objection
from tests import factories
from tests.results import factories as rf
from tests.results.helpers import end_publicity

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(client):
    orgs = factories.tree()
    competition = rf.competition(orgs["A"])
    entries = rf.scored(competition, [(90, 90), (80, 85), (70, None)], unit=orgs["unit_a"],
                        names=["张三", "李四", "王五"])
    organizer = factories.user(role=Role.ORGANIZER, org=orgs["A"])
    client.force_login(organizer)
    return {"client": client, "competition": competition, "entries": entries, "code": competition.code,
            "stage": competition.stages.get()}


def post(client, url, data):
    return client.post(url, json.dumps(data), content_type="application/json")


def test_compute_review_publish_object_answer_and_finalize(world, client):
    base = f"/api/results/competitions/{world['code']}"
    response = post(client, f"{base}/compute", {"reason": "首次计算"})
    assert response.status_code == 201
    [computation] = response.json()
    assert computation["version"] == 1 and computation["missing_scores"] == 1
    # missing scores refuse publicity, with the reason
    response = post(client, f"{base}/publish", {})
    assert response.status_code == 400 and "缺考" in response.json()["detail"]
    services.set_component_score(None, world["entries"][2], "practical", Decimal("66"))
    post(client, f"{base}/compute", {})
    results = client.get(f"{base}/results").json()
    assert [r["name"] for r in results] == ["张三", "李四", "王五"]
    assert results[0]["id_number"] == world["entries"][0].person.id_number_masked
    assert results[0]["total"] == "90.00" and results[0]["award"] == "一等奖"
    changes = client.get(f"{base}/changes", {"computation": results[0]["computation"]}).json()
    assert [c["entry"] for c in changes] == [world["entries"][2].number]
    assert changes[0]["fields"]["status"] == ["absent", "ranked"]
    explanation = client.get(f"/api/results/results/{results[1]['id']}/explanation").json()
    assert explanation["result"]["rank"] == 2 and explanation["total"]
    assert explanation["components"][0]["name"] == "理论知识"

    assert post(client, f"{base}/publish", {}).status_code == 201
    client.logout()
    response = post(client, f"{base}/objections", {"name": "路人", "contact": "13900000000",
                                                   "text": "请复核第三名的成绩。"})
    assert response.status_code == 201 and "contact" not in response.json()
    objection = Objection.objects.get()
    client.force_login(factories.user(role=Role.ORGANIZER, org=world["competition"].host))
    assert client.get(f"{base}/objections").json()[0]["contact"] == "13900000000"
    end_publicity(world["stage"])
    response = post(client, f"{base}/finalize", {})
    assert response.status_code == 400 and "异议" in response.json()["detail"]
    answer = post(client, f"/api/results/objections/{objection.pk}/answer",
                  {"answer": "成绩无误。", "outcome": "dismissed"})
    assert answer.status_code == 200 and answer.json()["outcome"] == "dismissed"
    response = post(client, f"{base}/finalize", {"reason": "公示期满"})
    assert response.status_code == 201
    world["competition"].refresh_from_db()
    assert world["competition"].status == "final"
    exported = client.get(f"{base}/export", {"format": "json"})
    assert exported["Content-Type"] == "application/json"
    data = json.loads(exported.content)
    assert data["results"][0]["id_number"] == world["entries"][0].person.id_number
    response = client.get(f"{base}/lists/promotions")
    assert response.status_code == 200 and response.content.startswith(b"PK")
    job = client.post(f"{base}/certificates", json.dumps({"layout": "modern"}), content_type="application/json")
    assert job.status_code == 202 and job.json()["url"].startswith("/work/jobs/")


def test_unknown_stage_and_format_are_clear_errors(world, client):
    base = f"/api/results/competitions/{world['code']}"
    response = post(client, f"{base}/compute", {"stage": "nope"})
    assert response.status_code == 400 and "nope" in response.json()["detail"]
    post(client, f"{base}/compute", {})
    response = client.get(f"{base}/export", {"format": "pdf"})
    assert response.status_code == 400
