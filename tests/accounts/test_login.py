import datetime

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from jingsai.accounts.models import LoginAttempt
from jingsai.people import services as people_services

pytestmark = pytest.mark.django_db

ID = "11010519491231002X"
PHONE = "13812345678"
PASSWORD = "pw-test-123"


@pytest.fixture
def worker(make):
    unit = make.org("U1")
    person = people_services.create_person(None, name="张三", id_number=ID, employer=unit, phone=PHONE)
    return make.user("w-zhang", person=person)


def login(client, username, password=PASSWORD, **extra):
    return client.post(reverse("accounts:login"), {"username": username, "password": password}, **extra)


@pytest.mark.parametrize("name", [
    "w-zhang", "W-ZHANG", ID, ID.lower(), "１１０１０５１９４９１２３１００２ｘ", PHONE, "138 1234 5678",
])
def test_login_by_username_identity_number_or_phone(client, worker, name):
    response = login(client, name)
    assert response.status_code == 302 and response["Location"] == reverse("core:dashboard")
    assert client.session["_auth_user_id"] == str(worker.pk)


def test_a_phone_shared_by_two_workers_logs_in_whoever_has_the_password(client, worker, make):
    other_person = people_services.create_person(
        None, name="张四", id_number=make.id_number(), employer=worker.person.employer, phone=PHONE
    )
    other = make.user("w-zhang4", person=other_person, password="another-pass-9")
    assert login(client, PHONE, "another-pass-9").status_code == 302
    assert client.session["_auth_user_id"] == str(other.pk)
    client.logout()
    assert login(client, PHONE).status_code == 302
    assert client.session["_auth_user_id"] == str(worker.pk)


def test_wrong_password_message(client, worker):
    response = login(client, ID, "wrong")
    assert response.status_code == 200
    assert "账号或密码错误" in response.content.decode()


def test_an_inactive_user_cannot_log_in(client, worker):
    worker.is_active = False
    worker.save()
    assert login(client, "w-zhang").status_code == 200


class TestThrottling:
    def fail(self, client, name, times, **extra):
        for _ in range(times):
            login(client, name, "wrong", **extra)

    def test_per_account_whatever_the_spelling(self, client, worker):
        self.fail(client, ID, 2)
        self.fail(client, ID.lower(), 1)
        self.fail(client, PHONE, 1)
        self.fail(client, "w-zhang", 1)
        response = login(client, "１１０１０５１９４９１２３１００２Ｘ")  # the right password, too late
        page = response.content.decode()
        assert response.status_code == 200 and "失败次数过多" in page and "15 分钟" in page
        assert "_auth_user_id" not in client.session
        # Once the failures have aged out of the window, the account opens again.
        LoginAttempt.objects.update(at=timezone.now() - datetime.timedelta(minutes=16))
        assert login(client, ID).status_code == 302

    def test_minutes_left_count_down(self, client, worker):
        self.fail(client, ID, 5)
        LoginAttempt.objects.update(at=timezone.now() - datetime.timedelta(minutes=10))
        assert "5 分钟" in login(client, ID).content.decode()

    def test_per_address(self, client, make):
        limit = settings.LOGIN_THROTTLE["per_address"]
        for n in range(limit):
            login(client, f"nobody-{n}", "wrong", REMOTE_ADDR="10.1.1.1")
        make.user("fresh")
        assert "失败次数过多" in login(client, "fresh", REMOTE_ADDR="10.1.1.1").content.decode()
        assert login(Client(), "fresh", REMOTE_ADDR="10.1.1.2").status_code == 302

    def test_success_clears_own_failures(self, client, worker):
        self.fail(client, ID, 4)
        assert login(client, ID).status_code == 302
        client.logout()
        self.fail(client, ID, 4)
        assert login(client, ID).status_code == 302


def test_argon2_is_the_real_first_hasher():
    from django.contrib.auth.hashers import Argon2PasswordHasher

    import jingsai.settings as real

    assert real.PASSWORD_HASHERS[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"
    hasher = Argon2PasswordHasher()
    encoded = hasher.encode("secret", hasher.salt())
    assert encoded.startswith("argon2$argon2id$") and hasher.verify("secret", encoded)


def test_sessions_expire(client, worker):
    assert settings.SESSION_COOKIE_AGE == 8 * 3600
    login(client, "w-zhang")
    assert client.cookies["sessionid"]["max-age"] == 8 * 3600
    session = Session.objects.get()
    assert session.expire_date <= timezone.now() + datetime.timedelta(hours=8, minutes=1)
    assert client.get(reverse("core:dashboard")).status_code == 200
    Session.objects.update(expire_date=timezone.now() - datetime.timedelta(seconds=1))
    response = client.get(reverse("core:dashboard"))
    assert response.status_code == 302 and reverse("accounts:login") in response["Location"]


def test_logout_needs_post(client, worker):
    login(client, "w-zhang")
    assert client.get(reverse("accounts:logout")).status_code == 405
    client.post(reverse("accounts:logout"))
    assert "_auth_user_id" not in client.session


def test_next_is_followed_only_within_the_site(client, worker):
    response = client.post(reverse("accounts:login") + "?next=https://evil.example/",
                           {"username": "w-zhang", "password": PASSWORD})
    assert response["Location"] == reverse("core:dashboard")
    client.logout()
    response = client.post(reverse("accounts:login") + "?next=/work/orgs/",
                           {"username": "w-zhang", "password": PASSWORD})
    assert response["Location"] == "/work/orgs/"
