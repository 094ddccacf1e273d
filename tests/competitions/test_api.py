"""/api/competitions/: read, rules as JSON and YAML, load, transition, series; the same
permissions and messages as the pages."""

import pytest

from jingsai.accounts.models import Role
from jingsai.competitions.models import Competition, Status
from jingsai.competitions.spec import dump_spec, load_spec
from tests import factories
from tests.competitions.factories import competition, spec

pytestmark = pytest.mark.django_db


@pytest.fixture
def orgs():
    return factories.tree()


@pytest.fixture
def organizer(orgs, client):
    user = factories.user(role=Role.ORGANIZER, org=orgs["A"])
    client.force_login(user)
    return user


def post(client, url, body):
    return client.post(url, body, content_type="application/json")


def test_list_and_get(orgs, organizer, client):
    competition("C-A", orgs["A"], status="registration_open")
    competition("C-B", orgs["B"], status="registration_open")
    listing = client.get("/api/competitions/").json()
    assert [c["code"] for c in listing["items"]] == ["C-A"]
    assert client.get("/api/competitions/?status=draft").json()["items"] == []
    detail = client.get("/api/competitions/C-A").json()
    assert detail["status"] == "registration_open" and detail["host"] == "DA"
    assert detail["competition_class"] == "class2" and detail["stages"][0]["key"] == "final"
    assert detail["summary"][1] == {"topic": "总成绩", "text": detail["summary"][1]["text"]}
    assert detail["summary"][1]["text"].startswith("理论知识 30%、操作技能 70%，各60分及格")
    assert {s["to"] for s in detail["next_steps"]} == {"registration_closed", "draft"}
    assert next(s for s in detail["next_steps"] if s["to"] == "draft")["needs_reason"] is True
    assert detail["timeline"][0]["to_status"] == "registration_open"
    assert client.get("/api/competitions/C-B").status_code == 403
    assert client.get("/api/competitions/NONE").status_code == 404


def test_the_rules_as_json_and_yaml(orgs, organizer, client):
    item = competition("C-A", orgs["A"])
    as_json = client.get("/api/competitions/C-A/spec").json()
    assert as_json == item.spec and as_json["components"][0]["weight"] == "0.3"
    response = client.get("/api/competitions/C-A/spec.yaml")
    assert response["Content-Type"].startswith("application/yaml")
    assert load_spec(response.content.decode()) == load_spec(item.spec)


def test_load_creates_then_updates(orgs, organizer, client):
    created = post(client, "/api/competitions/load", {"spec": spec("C-N", orgs["A"])})
    assert created.status_code == 201 and created.json()["outcome"] == "created"
    raw = spec("C-N", orgs["A"], schedule=Competition.objects.get(code="C-N").spec["schedule"])
    raw["unit_quota"] = 4
    updated = post(client, "/api/competitions/load", {"yaml": dump_spec(raw)})
    assert updated.status_code == 200 and updated.json()["outcome"] == "updated"
    assert Competition.objects.get(code="C-N").spec["unit_quota"] == 4
    same = post(client, "/api/competitions/load", {"yaml": dump_spec(raw)})
    assert same.status_code == 200 and same.json()["outcome"] == "unchanged"


def test_load_refuses_a_bad_spec_with_every_problem(orgs, organizer, client):
    raw = spec("C-N", orgs["A"], level="city", unit_quota=0)
    response = post(client, "/api/competitions/load", {"spec": raw})
    assert response.status_code == 400
    body = response.json()
    assert body["detail"] == "规则有2处问题，未作保存。"
    assert {p["where"] for p in body["problems"]} == {"level", "unit_quota"}
    assert not Competition.objects.filter(code="C-N").exists()
    assert post(client, "/api/competitions/load", {}).json()["detail"].startswith("请以")


def test_load_refuses_a_host_outside_the_users_reach(orgs, organizer, client):
    response = post(client, "/api/competitions/load", {"spec": spec("C-N", orgs["B"])})
    assert response.status_code == 403 and "乙区总工会" in response.json()["detail"]


def test_transition(orgs, organizer, client):
    competition("C-A", orgs["A"])
    response = post(client, "/api/competitions/C-A/transition", {"to": "registration_open", "reason": "开始报名"})
    assert response.status_code == 200 and response.json()["status"] == "registration_open"
    response = post(client, "/api/competitions/C-A/transition", {"to": "draft"})
    assert response.status_code == 400 and response.json()["code"] == "reason_required"
    response = post(client, "/api/competitions/C-A/transition", {"to": "registration_closed"})
    response = post(client, "/api/competitions/C-A/transition", {"to": "in_progress"})
    assert response.status_code == 400 and response.json()["code"] == "guard"
    assert "尚无审核通过的报名" in response.json()["problems"][0]["message"]
    assert Competition.objects.get(code="C-A").status == Status.REGISTRATION_CLOSED
    assert post(client, "/api/competitions/C-A/transition", {"to": "nonsense"}).status_code == 422


def test_series(orgs, organizer, client):
    competition("C-A", orgs["A"])
    series = client.get("/api/competitions/series").json()
    assert [s["code"] for s in series] == ["S-DA"]
    detail = client.get("/api/competitions/series/S-DA").json()
    assert detail["host"] == "DA" and [c["code"] for c in detail["competitions"]] == ["C-A"]
    competition("C-B", orgs["B"])
    assert client.get("/api/competitions/series/S-DB").status_code == 404


def test_a_token_sees_what_its_user_sees(orgs, client):
    from jingsai.accounts.services import create_token

    competition("C-A", orgs["A"], status="registration_open")
    contact = factories.user(role=Role.UNIT_CONTACT, org=orgs["unit_a"])
    _token, raw = create_token(factories.actor(), contact, "脚本")
    response = client.get("/api/competitions/C-A", HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert response.status_code == 200 and response.json()["next_steps"] == []
    refused = client.post("/api/competitions/load", {"spec": spec("C-X", orgs["A"])}, content_type="application/json",
                          HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert refused.status_code == 403
