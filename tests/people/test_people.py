import datetime

import pytest
from django.db import connection
from django.urls import reverse

from jingsai.accounts.models import Role
from jingsai.core import idnumber
from jingsai.core.errors import UserError
from jingsai.core.models import AuditRecord
from jingsai.people import services
from jingsai.people.models import Person

pytestmark = pytest.mark.django_db

ID = "11010519491231002X"
PHONE = "13812345678"


@pytest.fixture
def city(make):
    return make.tree()


@pytest.fixture
def worker(city):
    return services.create_person(None, name="张三", id_number=ID.lower(), employer=city["unit_a"], phone=PHONE)


def state():
    return Person.objects.count(), AuditRecord.objects.count()


def test_identity_numbers_and_phones_are_not_stored_in_plain_text(worker):
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM people_person")
        rows = cursor.fetchall()
        cursor.execute("SELECT changes, data FROM core_auditrecord")
        audit_rows = cursor.fetchall()
    dump = repr(rows) + repr(audit_rows)
    for secret in (ID, ID.lower(), PHONE, "19491231002X", "12345678"):
        assert secret not in dump
    assert "110105********002X" in dump and "138****5678" in dump  # the masked copies
    assert worker.id_number == ID and worker.phone == PHONE
    assert (worker.birth_date, worker.sex) == (datetime.date(1949, 12, 31), "F")


def test_one_person_per_identity_number_however_typed(worker, city):
    before = state()
    with pytest.raises(UserError) as caught:
        services.create_person(None, name="张三", id_number="１１０１０５１９４９１２３１００２ｘ",
                               employer=city["unit_b"])
    assert caught.value.code == "duplicate" and "110105********002X" in caught.value.message
    assert state() == before
    person, created = services.find_or_create_person(None, name=" 张三 ", id_number=ID.lower(), employer=city["unit_b"])
    assert (person, created) == (worker, False)
    with pytest.raises(UserError) as caught:
        services.find_or_create_person(None, name="李四", id_number=ID, employer=city["unit_b"])
    assert caught.value.code == "name_mismatch" and "张*" in caught.value.message and "张三" not in caught.value.message
    assert state() == before


@pytest.mark.parametrize(("fields", "code", "words"), [
    ({"id_number": "11010519491231002"}, "id_number.lost_x", "X"),
    ({"id_number": "110105199902300011"}, "id_number.birth_date", "19990230"),
    ({"id_number": "110105491231002"}, "id_number.old_15", "15"),
    ({"id_number": "110105194912310021"}, "id_number.check_digit", "校验"),
    ({"name": "  "}, "name", "姓名"),
    ({"phone": "12345"}, "phone", "手机"),
    ({"phone": "23812345678"}, "phone", "手机"),
    ({"phone": "13" + "".join(chr(0x0660 + int(d)) for d in "812345678")}, "phone", "手机"),  # Arabic-Indic digits
    ({"id_number": "11" + "".join(chr(0x0660 + int(d)) for d in "010519491231002") + "X"}, "id_number.characters",
     "X"),
])
def test_bad_input_is_refused_in_chinese(city, fields, code, words):
    before = state()
    kwargs = {"name": "王五", "id_number": idnumber.make("310104", datetime.date(1990, 1, 1), 11),
              "employer": city["unit_a"], **fields}
    with pytest.raises(UserError) as caught:
        services.create_person(None, **kwargs)
    assert caught.value.code == code and words in caught.value.message, caught.value.message
    assert state() == before


def test_phone_forms_accepted(city):
    person = services.create_person(None, name="王五", id_number=idnumber.make("310104", datetime.date(1990, 1, 1), 11),
                                    employer=city["unit_a"], phone="+86 138-1234-5678")
    assert person.phone == PHONE


def test_update_audits_masked_values_only(worker):
    changes = services.update_person(None, worker, phone="13900001111", occupation="6-18-02-04", reason="更正")
    assert changes["phone"] == ["138****5678", "139****1111"]
    record = AuditRecord.objects.filter(action="people.update").latest("id")
    assert "13900001111" not in repr(record.changes) and record.reason == "更正"


class TestPages:
    @pytest.fixture
    def organizer(self, make, city):
        return make.user("org", role=Role.ORGANIZER, org=city["A"])

    def test_pages_show_masked_values_and_reveal_is_audited(self, client, organizer, worker):
        client.force_login(organizer)
        for url in (reverse("people:list"), reverse("people:detail", args=[worker.pk]),
                    reverse("people:edit", args=[worker.pk])):
            page = client.get(url).content.decode()
            assert ID not in page and PHONE not in page, url
        assert "110105********002X" in client.get(reverse("people:list")).content.decode()
        response = client.post(reverse("people:reveal", args=[worker.pk, "id"]))
        assert response.content.decode().strip() == ID
        record = AuditRecord.objects.get(action="people.reveal_id_number")
        assert record.actor == organizer and record.object_id == str(worker.pk)
        assert client.post(reverse("people:reveal", args=[worker.pk, "other"])).status_code == 404

    def test_search_by_full_number_or_phone(self, client, organizer, worker):
        client.force_login(organizer)
        for query in (ID.lower(), PHONE, "张三"):
            assert "张三" in client.get(reverse("people:list"), {"q": query}).content.decode()
        assert "张三" not in client.get(reverse("people:list"), {"q": "13800000000"}).content.decode()

    @pytest.mark.parametrize("query", ["?level=abc", "?org=abc", "?level=9", "?page=zz", "?group=nope"])
    def test_bad_filters_never_crash(self, client, organizer, worker, query):
        client.force_login(organizer)
        assert client.get(reverse("people:list") + query).status_code in (200, 404)

    def test_form_errors_in_chinese_and_nothing_saved(self, client, organizer, worker, city):
        client.force_login(organizer)
        before = state()
        response = client.post(reverse("people:create"), {
            "name": "王五", "id_number": "11010519491231002", "phone": "123", "employer_code": "EB",
            "occupation": "6-18-2-4", "worker_status": "worker",
        })
        errors = response.context["form"].errors
        assert "X" in errors["id_number"][0] and "手机" in errors["phone"][0]
        assert "D-DD-DD-DD" in errors["occupation"][0]
        duplicate = client.post(reverse("people:create"), {
            "name": "张三", "id_number": ID, "employer_code": "EA", "worker_status": "worker",
        })
        assert "已存在" in duplicate.context["form"].errors["id_number"][0]
        outside = client.post(reverse("people:create"), {
            "name": "王五", "id_number": idnumber.make("310104", datetime.date(1990, 1, 1), 11),
            "employer_code": "EB", "worker_status": "worker",
        })
        assert "只能" in outside.context["form"].errors["employer_code"][0]
        assert state() == before


class TestApi:
    @pytest.fixture
    def api(self, client, make, city):
        client.force_login(make.user("uc", role=Role.UNIT_CONTACT, org=city["unit_a"]))
        return client

    def post(self, api, **body):
        return api.post("/api/people/", body, content_type="application/json")

    def test_masked_in_lists_full_only_by_audited_reveal(self, api, worker):
        listed = api.get("/api/people/").json()["items"][0]
        assert listed["id_number"] == "110105********002X" and listed["phone"] == "138****5678"
        revealed = api.post(f"/api/people/{worker.pk}/reveal").json()
        assert revealed == {"id_number": ID, "phone": PHONE}
        assert AuditRecord.objects.filter(action__startswith="people.reveal").count() == 2

    @pytest.mark.parametrize(("body", "status", "words"), [
        ({"name": "张三", "id_number": ID}, 400, "已存在"),
        ({"name": "王五", "id_number": "110105199902300011"}, 400, "19990230"),
        ({"name": "王五", "phone": "555"}, 400, "手机"),
        ({"name": "王五", "occupation": "618"}, 400, "D-DD-DD-DD"),
        ({"name": "王五", "employer_code": "EB"}, 403, "权限"),
        ({"name": "王五", "employer_code": "NOPE"}, 400, "NOPE"),
        ({"name": "王五", "groups": ["外星人"]}, 400, "外星人"),
        ({"name": "王五", "level": 9}, 422, "允许的取值"),
    ])
    def test_bad_input(self, api, worker, body, status, words):
        body = {"id_number": idnumber.make("310104", datetime.date(1990, 1, 1), 11), "employer_code": "EA", **body}
        before = state()
        response = self.post(api, **body)
        assert response.status_code == status, response.content
        assert words in response.json()["detail"]
        assert state() == before

    def test_create_and_patch(self, api):
        created = self.post(api, name="王五", id_number=idnumber.make("310104", datetime.date(1990, 1, 1), 11),
                            employer_code="EA", groups=["农民工"], level=4)
        assert created.status_code == 201 and created.json()["groups"] == ["农民工"]
        pk = created.json()["id"]
        patched = api.patch(f"/api/people/{pk}", {"level": None, "phone": "13700001111"},
                            content_type="application/json")
        assert patched.json()["level"] is None and patched.json()["phone"] == "137****1111"
        assert api.patch(f"/api/people/{pk}", {"employer_code": "EB"}, content_type="application/json").status_code \
            == 403


def test_the_edit_page_saves(client, make, city, worker):
    """The form validates with the fields the edit page really has (no identity number)."""
    client.force_login(make.user("org2", role=Role.ORGANIZER, org=city["A"]))
    response = client.post(reverse("people:edit", args=[worker.pk]), {
        "name": "张三", "phone": "", "employer_code": "EA", "occupation": "6-18-02-04", "level": "3",
        "worker_status": "worker", "reason": "补录工种",
    })
    assert response.status_code == 302, response.context["form"].errors
    worker.refresh_from_db()
    assert (worker.occupation, worker.level, worker.phone) == ("6-18-02-04", 3, PHONE)


class TestExport:
    def rows(self, response):
        from jingsai.core import spreadsheets as sheets

        table = sheets.read_table(response.content, "x.xlsx")
        return table.headers, [[sheets.text(c) for c in row] for row in table.rows]

    def test_masked_by_default_full_on_request_and_audited(self, client, make, city, worker):
        make.person(employer=city["unit_b"], name="外区人")
        organizer = make.user("org3", role=Role.ORGANIZER, org=city["A"])
        client.force_login(organizer)
        headers, rows = self.rows(client.get(reverse("people:export")))
        assert headers[:3] == ["姓名", "身份证号", "手机号"]
        assert rows == [["张三", "110105********002X", "138****5678", "EA", "甲企业", "", "无", "职工", ""]]
        assert not AuditRecord.objects.filter(action="people.export_pii").exists()
        _headers, rows = self.rows(client.get(reverse("people:export"), {"full": "1", "q": "张三"}))
        assert rows[0][1:3] == [ID, PHONE]
        record = AuditRecord.objects.get(action="people.export_pii")
        assert record.actor == organizer and record.data["count"] == 1 and "q=" in record.data["filters"]

    def test_a_worker_exports_only_their_own_record(self, client, make, city, worker):
        make.person(employer=city["unit_a"], name="同事")
        client.force_login(make.user("self", person=worker))
        _headers, rows = self.rows(client.get(reverse("people:export"), {"full": "1"}))
        assert [r[0] for r in rows] == ["张三"]

    def test_export_is_a_fixed_number_of_queries(self, client, make, city, django_assert_max_num_queries):
        for _ in range(30):
            make.person(employer=city["unit_a"], groups=services.group_tags(["农民工"]))
        client.force_login(make.user("org4", role=Role.ORGANIZER, org=city["A"]))
        with django_assert_max_num_queries(12):
            _headers, rows = self.rows(client.get(reverse("people:export"), {"full": "1"}))
        assert len(rows) == 30 and all(r[8] == "农民工" for r in rows)
