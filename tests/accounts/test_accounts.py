import datetime

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from jingsai.accounts import services
from jingsai.accounts.models import ApiToken, Role, RoleAssignment, User
from jingsai.core.errors import UserError
from jingsai.core.models import AuditRecord
from jingsai.people import services as people_services
from jingsai.people.models import Person

pytestmark = pytest.mark.django_db

ID = "11010519491231002X"


@pytest.fixture
def city(make):
    return make.tree()


@pytest.fixture
def organizer(make, city):
    return make.user("da-org", role=Role.ORGANIZER, org=city["A"])


class TestCsrf:
    def test_forms_refuse_a_post_without_the_token(self, make):
        make.user("csrf-user")
        client = Client(enforce_csrf_checks=True)
        data = {"username": "csrf-user", "password": "pw-test-123"}
        assert client.post(reverse("accounts:login"), data).status_code == 403
        client.get(reverse("accounts:login"))
        token = client.cookies["csrftoken"].value
        assert client.post(reverse("accounts:login"), {**data, "csrfmiddlewaretoken": token}).status_code == 302
        assert client.post(reverse("accounts:logout")).status_code == 403

    def test_the_api_with_a_session_needs_the_token_and_with_a_bearer_token_not(self, organizer, city):
        client = Client(enforce_csrf_checks=True)
        client.force_login(organizer)
        body = {"code": "CSRF-1", "name": "新", "type": "enterprise", "parent_code": "SA"}
        assert client.post("/api/orgs/", body, content_type="application/json").status_code == 403
        client.get(reverse("accounts:profile"))
        token = client.cookies["csrftoken"].value
        response = client.post("/api/orgs/", body, content_type="application/json", HTTP_X_CSRFTOKEN=token)
        assert response.status_code == 201
        _token, raw = services.create_token(organizer, organizer, "ci")
        bearer = Client(enforce_csrf_checks=True)
        response = bearer.post("/api/orgs/", {**body, "code": "CSRF-2"}, content_type="application/json",
                               HTTP_AUTHORIZATION=f"Bearer {raw}")
        assert response.status_code == 201


class TestTokens:
    def test_made_on_the_profile_page_shown_once_and_used(self, client, organizer):
        client.force_login(organizer)
        response = client.post(reverse("accounts:profile"), {"create_token": "1", "name": "脚本", "days": "30"})
        raw = response.context["new_token"]
        assert raw.startswith("js_") and raw in response.content.decode()
        token = ApiToken.objects.get()
        assert token.digest != raw and raw not in repr(list(ApiToken.objects.values()))
        assert token.expires_at.date() == (timezone.now() + datetime.timedelta(days=30)).date()
        assert raw not in client.get(reverse("accounts:profile")).content.decode()
        api = Client()
        assert api.get("/api/accounts/me", HTTP_AUTHORIZATION=f"Bearer {raw}").json()["username"] == "da-org"
        token.refresh_from_db()
        assert token.last_used_at is not None

    @pytest.mark.parametrize("state", ["revoked", "expired", "garbage", "inactive"])
    def test_unusable_tokens_get_401(self, organizer, state):
        token, raw = services.create_token(organizer, organizer, "t")
        if state == "revoked":
            services.revoke_token(organizer, token)
        elif state == "expired":
            ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - datetime.timedelta(seconds=1))
        elif state == "garbage":
            raw = "js_nonsense"
        else:
            User.objects.filter(pk=organizer.pk).update(is_active=False)
        response = Client().get("/api/accounts/me", HTTP_AUTHORIZATION=f"Bearer {raw}")
        assert response.status_code == 401 and "令牌" in response.json()["detail"]

    def test_revoking_is_audited_and_only_by_the_owner(self, client, organizer, make):
        token, _raw = services.create_token(organizer, organizer, "t")
        client.force_login(make.user("other"))
        assert client.post(reverse("accounts:revoke_token", args=[token.pk])).status_code == 404
        client.force_login(organizer)
        client.post(reverse("accounts:revoke_token", args=[token.pk]))
        token.refresh_from_db()
        assert token.revoked_at is not None
        assert AuditRecord.objects.filter(action="accounts.revoke_token").count() == 1


class TestSignup:
    def post(self, client, **fields):
        data = {"name": "张三", "id_number": ID, "phone": "", "employer_code": "EA",
                "password1": "a-long-pass-7", "password2": "a-long-pass-7", **fields}
        return client.post(reverse("accounts:signup"), data)

    def state(self):
        return Person.objects.count(), User.objects.count(), AuditRecord.objects.count()

    def test_a_new_worker(self, client, city):
        response = self.post(client, id_number=ID.lower(), phone="13812345678")
        assert response.status_code == 302
        user = User.objects.get(person__isnull=False)
        assert user.person.id_number == ID and user.person.employer == city["unit_a"]
        client.logout()
        assert client.post(reverse("accounts:login"), {"username": "13812345678",
                                                       "password": "a-long-pass-7"}).status_code == 302

    def test_links_the_record_the_unit_made(self, client, city):
        person = people_services.create_person(None, name="张三", id_number=ID, employer=city["unit_a"],
                                               phone="13812345678")
        assert self.post(client, phone="138 1234 5678", employer_code="EB").status_code == 302
        assert User.objects.get(person=person).name == "张三"
        assert Person.objects.count() == 1
        person.refresh_from_db()
        assert person.employer == city["unit_a"]  # the unit's record is kept as it was

    @pytest.mark.parametrize(("fields", "words"), [
        ({"name": "李四"}, "张*"),
        ({"phone": "13900000000"}, "138****5678"),
        ({"phone": ""}, "138****5678"),
    ])
    def test_someone_else_cannot_claim_a_record(self, client, city, fields, words):
        people_services.create_person(None, name="张三", id_number=ID, employer=city["unit_a"], phone="13812345678")
        before = self.state()
        response = self.post(client, **fields)
        assert response.status_code == 200
        assert words in response.content.decode()
        assert self.state() == before

    def test_a_second_login_for_one_worker_is_refused(self, client, city, make):
        person = people_services.create_person(None, name="张三", id_number=ID, employer=city["unit_a"])
        make.user("existing", person=person)
        before = self.state()
        assert "该职工已有账号" in self.post(client).content.decode()
        assert self.state() == before

    @pytest.mark.parametrize(("fields", "field"), [
        ({"id_number": "110105199902300011"}, "id_number"),
        ({"employer_code": "NOPE"}, "employer_code"),
        ({"password2": "different-pass-8"}, "password2"),
        ({"password1": "123", "password2": "123"}, "password1"),
        ({"phone": "12"}, "phone"),
    ])
    def test_bad_input(self, client, city, fields, field):
        before = self.state()
        response = self.post(client, **fields)
        assert field in response.context["form"].errors
        assert self.state() == before


class TestRoles:
    def test_an_organizer_grants_only_within_the_district(self, organizer, city, make):
        target = make.user("target")
        services.grant_role(organizer, target, Role.UNIT_CONTACT, organization=city["unit_a"])
        for role, org in ((Role.UNIT_CONTACT, city["unit_b"]), (Role.ORGANIZER, city["union"])):
            with pytest.raises(UserError, match="只能"):
                services.grant_role(organizer, target, role, organization=org)
        with pytest.raises(UserError):
            services.grant_role(organizer, target, Role.ADMIN)
        assert list(target.roles.values_list("organization__code", flat=True)) == ["EA"]

    def test_revoking_follows_the_same_scope(self, organizer, city, make):
        from jingsai.competitions.models import Competition

        target = make.user("target", role=Role.UNIT_CONTACT, org=city["unit_b"])
        with pytest.raises(UserError):
            services.revoke_role(organizer, target.roles.get())
        competition = make.competition("C-OUT", host=city["B"])
        judge_role = services.grant_role(None, target, Role.JUDGE, competition=competition, check=False)
        with pytest.raises(UserError, match="竞赛"):
            services.revoke_role(organizer, judge_role)
        assert RoleAssignment.objects.filter(user=target).count() == 2
        assert Competition.objects.count() == 1

    def test_pages(self, client, organizer, city, make):
        client.force_login(organizer)
        response = client.post(reverse("accounts:user_create"), {
            "username": "new-contact", "name": "新联络员", "password": "a-long-pass-7", "role": "unit_contact",
            "organization_code": "EB",
        })
        assert "只能" in response.content.decode()
        assert not User.objects.filter(username="new-contact").exists()
        response = client.post(reverse("accounts:user_create"), {
            "username": "new-contact", "name": "新联络员", "password": "a-long-pass-7", "role": "unit_contact",
            "organization_code": "EA",
        })
        assert response.status_code == 302
        outsider = make.user("outsider", role=Role.UNIT_CONTACT, org=city["unit_b"])
        assert client.get(reverse("accounts:user", args=[outsider.pk])).status_code == 404
        listed = client.get(reverse("accounts:users")).content.decode()
        assert "new-contact" in listed and "outsider" not in listed


class TestDashboards:
    def cards(self, client, user):
        client.force_login(user)
        return [str(c.title) for c in client.get(reverse("core:dashboard")).context["cards"]]

    def test_each_role_sees_what_to_do_next(self, client, organizer, city, make):
        cards = self.cards(client, organizer)
        assert "组织者 · 甲区总工会" in cards and "您管理单位的职工" in cards
        person = make.person(employer=city["unit_a"], name="赵六")
        assert "我的档案" in self.cards(client, make.user("w", person=person))
        contact = make.user("uc", role=Role.UNIT_CONTACT, org=city["unit_a"])
        assert "单位联络员 · 甲企业" in self.cards(client, contact)
        client.force_login(make.user("nobody"))
        assert "目前没有需要您处理的事项" in client.get(reverse("core:dashboard")).content.decode()
