"""The API's paged lists: a page number too far to skip to is refused, not a server error."""

import pytest
from django.test import Client

from jingsai.accounts.models import Role
from jingsai.core.pagination import MAX_PAGE
from tests import factories as make
from tests.exams import factories as ex

pytestmark = pytest.mark.django_db

LISTS = ["/api/orgs/", "/api/people/", "/api/competitions/", "/api/registration/entries",
         "/api/exams/banks/{bank}/questions"]


@pytest.mark.parametrize("path", LISTS)
def test_a_page_past_the_last_possible_one_is_refused_not_a_server_error(path):
    """Regression: ninja's pages had no highest number, and a page of 10**23 made an offset
    past PostgreSQL's bigint (and SQLite's integer): a server error on every paged list."""
    bank = ex.exam(n_candidates=1)["bank"]  # a bank with questions, a competition, a worker, an entry
    client = Client(raise_request_exception=False)
    client.force_login(make.user("root", role=Role.ADMIN))
    url = path.format(bank=bank.pk)
    for page in (10**23, MAX_PAGE + 1):
        answer = client.get(url, {"page": page})
        assert answer.status_code == 422, (page, answer.status_code, answer.content[:200])
        assert answer.json()["problems"][0]["where"].endswith("page")
        assert "这个数太大了" in answer.json()["detail"]  # not only "this value is not valid"
    last = client.get(url, {"page": MAX_PAGE})
    assert last.status_code == 200 and last.json()["items"] == []
    assert client.get(url).json()["count"] >= 1
