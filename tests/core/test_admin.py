"""Django admin: platform administrators only; models read-only or audited; no way around
the site's own login page (and its throttling)."""

import pytest
from django.urls import reverse

from jingsai.accounts.models import Role
from jingsai.core.admin_site import admin_site
from jingsai.core.models import AuditRecord

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, make):
    client.force_login(make.user("root", role=Role.ADMIN))
    return client


def changelists():
    return [reverse(f"admin:{m._meta.app_label}_{m._meta.model_name}_changelist") for m in admin_site._registry]


def test_every_registered_model_page_opens_for_an_administrator(admin_client, make):
    make.person()
    for url in changelists():
        assert admin_client.get(url).status_code == 200, url
    assert admin_client.get(reverse("admin:index")).status_code == 200


def test_others_are_refused_and_anonymous_sent_to_the_site_login(client, make):
    org = make.org()
    for url in [reverse("admin:index"), *changelists()]:
        assert client.get(url)["Location"].startswith(reverse("accounts:login")), url
    client.force_login(make.user("organizer", role=Role.ORGANIZER, org=org))
    for url in [reverse("admin:index"), *changelists()]:
        assert client.get(url).status_code == 403, url
    assert client.get(reverse("admin:login"))["Location"].startswith(reverse("accounts:login"))


def test_records_are_read_only(admin_client, make):
    person = make.person()
    org = person.employer
    page = admin_client.get(reverse("admin:people_person_change", args=[person.pk])).content.decode()
    assert person.id_number_masked in page and person.id_number not in page
    assert "v1:" not in page  # no ciphertext either
    response = admin_client.post(reverse("admin:orgs_organization_change", args=[org.pk]), {"name": "改"})
    assert response.status_code == 403
    assert admin_client.get(reverse("admin:orgs_organization_add")).status_code == 403
    assert admin_client.get(reverse("admin:core_auditrecord_delete", args=[AuditRecord.objects.first().pk])) \
        .status_code == 403


def test_reference_data_changes_are_audited(admin_client):
    from jingsai.people.models import Occupation

    response = admin_client.post(reverse("admin:people_occupation_add"), {"code": "9-99-99-99", "name": "测试工种"})
    assert response.status_code == 302
    occupation = Occupation.objects.get(code="9-99-99-99")
    record = AuditRecord.objects.get(action="admin.add")
    assert record.object_id == str(occupation.pk) and record.actor.username == "root"
    admin_client.post(reverse("admin:people_occupation_change", args=[occupation.pk]),
                      {"code": "9-99-99-99", "name": "改名工种"})
    assert AuditRecord.objects.get(action="admin.change").changes == {"name": ["测试工种", "改名工种"]}
    admin_client.post(reverse("admin:people_occupation_delete", args=[occupation.pk]), {"post": "yes"})
    assert AuditRecord.objects.filter(action="admin.delete").count() == 1


def test_deactivating_a_user_is_audited(admin_client, make):
    user = make.user("leaver", name="离职者")
    response = admin_client.post(reverse("admin:accounts_user_change", args=[user.pk]),
                                 {"name": "离职者", "email": "", "is_active": ""})
    assert response.status_code == 302
    user.refresh_from_db()
    assert not user.is_active
    assert AuditRecord.objects.get(action="admin.change").changes == {"is_active": [True, False]}
