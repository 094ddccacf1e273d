"""`jingsai demo-data`: loads, is the same for the same seed, and every printed login works."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from jingsai.accounts.models import User
from jingsai.core.demo import DEMO_PASSWORD
from jingsai.orgs.models import Organization, OrgType
from jingsai.people.models import GroupTag, Person

pytestmark = pytest.mark.django_db(transaction=True)


def load(seed, reset=False):
    out = StringIO()
    call_command("demo_data", size="small", seed=seed, reset=reset, stdout=out)
    return out.getvalue()


def fingerprint():
    return (
        list(Organization.objects.order_by("code").values_list("code", "name", "type", "parent__code")),
        list(Person.objects.order_by("id").values_list("name", "id_number_digest", "phone_digest", "level",
                                                       "employer__code", "birth_date")),
        sorted(User.objects.values_list("username", flat=True)),
    )


def test_the_demo_is_a_city_and_deterministic_for_a_seed(settings, tmp_path):
    settings.VAR_DIR = tmp_path
    output = load(1)
    first = fingerprint()
    orgs, people, _users = first
    assert len(people) == 2000
    types = {t for _c, _n, t, _p in orgs}
    assert {OrgType.UNION, OrgType.BUREAU, OrgType.DISTRICT, OrgType.INDUSTRY, OrgType.STREET,
            OrgType.ENTERPRISE, OrgType.COLLEGE} <= types
    assert sum(1 for _c, _n, t, _p in orgs if t == OrgType.DISTRICT) == 16
    used_groups = {g.name for g in GroupTag.objects.filter(people__isnull=False)}
    assert used_groups == {"农民工", "灵活就业", "新就业形态", "青年职工"}
    assert all(p.id_number_masked[:2] in {"31", "34", "41", "51", "32", "36", "42", "37", "33", "43", "50"}
               for p in Person.objects.all()[:200])

    logins = [line.split("\t")[1] for line in (tmp_path / "demo-logins.txt").read_text().splitlines()]
    assert "admin" in logins and any(len(name) == 18 for name in logins)
    assert DEMO_PASSWORD in output
    for username in logins:
        assert f" {username}" in output, f"{username} is not printed"
        response = Client().post(reverse("accounts:login"), {"username": username, "password": DEMO_PASSWORD})
        assert response.status_code == 302, f"the printed login {username} does not work"

    load(1, reset=True)
    assert fingerprint()[:2] == first[:2]
    load(2, reset=True)
    assert fingerprint()[1] != first[1]


def test_a_second_load_without_reset_is_refused_and_keep_existing_is_quiet(settings, tmp_path):
    settings.VAR_DIR = tmp_path
    load(1)
    err = StringIO()
    with pytest.raises(SystemExit) as exit_:
        call_command("demo_data", size="small", seed=1, stdout=StringIO(), stderr=err)
    assert exit_.value.code == 1 and "--reset" in err.getvalue()
    out = StringIO()
    call_command("demo_data", size="small", seed=1, keep_existing=True, stdout=out)
    assert "已" in out.getvalue()
