"""The API: the same services and permissions as the pages."""

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from jingsai.registration import importing
from jingsai.registration.models import Entry, EntryStatus
from tests.registration import factories as reg

pytestmark = pytest.mark.django_db


def post(client, url, data):
    return client.post(url, json.dumps(data), content_type="application/json")


def test_create_list_get_and_review(city, client):
    client.force_login(city["contact"])
    number = reg.new_id()
    response = post(client, "/api/registration/entries", {
        "competition": city["competition"].code, "name": "李明", "id_number": number, "unit_code": "EA",
        "level": 3, "groups": ["农民工"]})
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "unit_approved" and body["number"] == 1 and body["level"] == 3
    assert body["id_number"] == number[:6] + "********" + number[-4:]
    listed = client.get(f"/api/registration/entries?competition={city['competition'].code}").json()
    assert listed["count"] == 1 and listed["items"][0]["name"] == "李明"
    assert client.get(f"/api/registration/entries/{body['id']}").json()["unit_code"] == "EA"
    assert client.get("/api/registration/entries?todo=unit").json()["count"] == 0
    client.force_login(city["organizer"])
    assert client.get("/api/registration/entries?todo=host").json()["count"] == 1
    response = post(client, f"/api/registration/entries/{body['id']}/reject", {"reason": ""})
    assert response.status_code == 400 and "理由" in response.json()["detail"]
    response = post(client, f"/api/registration/entries/{body['id']}/approve", {})
    assert response.status_code == 200 and response.json()["status"] == "approved"


def test_bad_input_lists_every_problem(city, client):
    client.force_login(city["contact"])
    response = post(client, "/api/registration/entries", {
        "competition": city["competition"].code, "name": "", "id_number": "123", "unit_code": "EA",
        "phone": "1"})
    assert response.status_code == 400
    assert {p["column"] for p in response.json()["problems"]} == {"姓名", "身份证号", "手机号"}


def test_a_worker_registers_themself_and_withdraws(city, client):
    client.force_login(city["worker"])
    response = post(client, "/api/registration/entries/self", {"competition": city["competition"].code})
    assert response.status_code == 201 and response.json()["status"] == "submitted"
    entry_id = response.json()["id"]
    assert post(client, f"/api/registration/entries/{entry_id}/approve", {}).status_code == 403
    response = post(client, "/api/registration/entries/withdraw", {"ids": [entry_id]})
    assert response.status_code == 200 and response.json()["changed"] == 1
    assert Entry.objects.get().status == EntryStatus.WITHDRAWN


def test_bulk_review_of_invisible_entries_is_not_found(city, client, make):
    hidden = make.entry(city["competition"], unit=city["unit_a"], status=EntryStatus.SUBMITTED)
    client.force_login(make.user("other", role="unit_contact", org=city["unit_b"]))
    assert post(client, "/api/registration/entries/approve", {"ids": [hidden.pk]}).status_code == 404


def test_import_small_and_large_and_rejected(city, client, monkeypatch, run_jobs):
    client.force_login(city["organizer"])
    code = city["competition"].code
    good = reg.xlsx([reg.row(city["unit_a"]), reg.row(city["unit_a"])])
    response = client.post("/api/registration/import", {"file": SimpleUploadedFile("a.xlsx", good),
                                                        "competition": code, "dry_run": "true"})
    assert response.status_code == 200 and response.json()["dry_run"] and Entry.objects.count() == 0
    bad = reg.xlsx([reg.row(city["unit_a"], phone="1")])
    response = client.post("/api/registration/import", {"file": SimpleUploadedFile("b.xlsx", bad), "competition": code})
    assert response.status_code == 400 and response.json()["problems"][0]["row"] == 2
    monkeypatch.setattr(importing, "BACKGROUND_ROWS", 1)
    with run_jobs():
        response = client.post("/api/registration/import", {"file": SimpleUploadedFile("c.xlsx", good),
                                                            "competition": code})
    assert response.status_code == 202 and response.json()["job"]
    assert Entry.objects.count() == 2


def test_export_json_masks_what_the_caller_may_not_see(city, client, make):
    competition = reg.open_competition(city["union"])
    inside = make.entry(competition, unit=city["unit_a"])
    make.entry(competition, unit=city["unit_b"])
    bureau_organizer = make.user("bureau", role="organizer", org=city["union"])
    client.force_login(bureau_organizer)
    rows = client.get(f"/api/registration/export?competition={competition.code}").json()
    assert {r["id_number"] for r in rows} == {e.person.id_number for e in Entry.objects.select_related("person")}
    client.force_login(city["contact"])
    rows = client.get(f"/api/registration/export?competition={competition.code}").json()
    assert [r["id_number"] for r in rows] == [inside.person.id_number_masked]  # their unit's, masked
    client.force_login(make.user("district_b", role="organizer", org=city["B"]))
    rows = client.get(f"/api/registration/export?competition={competition.code}").json()
    assert len(rows) == 1 and "*" not in rows[0]["id_number"]
    assert client.get(f"/api/registration/export?competition={competition.code}&format=csv").status_code == 400
