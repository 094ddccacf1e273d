"""Odd input on the exam pages: a message or the default, never a server error, and
never a redirect to another site."""

import pytest
from django.test import RequestFactory

from jingsai.core.http import next_url
from jingsai.exams import services
from jingsai.exams.models import Paper
from tests.exams import factories as ex

pytestmark = pytest.mark.django_db


_client = ex.logged_in


@pytest.fixture
def world():
    return ex.exam_with_organizer(n_candidates=1)


def test_an_invigilators_form_does_not_send_them_to_another_site(world):
    user, _entry = world["candidates"][0]
    attempt = services.start(user, world["session"], device="d")
    client = _client(world["invigilator"])
    monitor = f"/work/exams/sessions/{world['session'].pk}/monitor/"
    extended = client.post(f"/work/exams/attempts/{attempt.pk}/extend/",
                           {"minutes": 5, "reason": "停电", "next": "https://evil.example/phish"})
    assert extended.status_code == 302 and extended["Location"] == monitor
    back = f"/work/exams/attempts/{attempt.pk}/"
    ended = client.post(f"/work/exams/attempts/{attempt.pk}/end/", {"reason": "作弊", "next": back})
    assert ended["Location"] == back
    refused = client.post(f"/work/exams/attempts/{attempt.pk}/end/", {"reason": "x", "next": "//evil.example/"})
    assert refused["Location"] == monitor


@pytest.mark.parametrize("target, expected", [
    ("/work/exams/", "/work/exams/"),
    ("https://evil.example/", "/home/"),
    ("//evil.example/", "/home/"),
    ("javascript:alert(1)", "/home/"),
    ("", "/home/"),
])
def test_next_url_keeps_to_this_site(target, expected):
    request = RequestFactory().post("/x/", {"next": target}, HTTP_HOST="testserver")
    assert next_url(request, "/home/") == expected


def test_filters_with_odd_numbers_show_the_page(world):
    client = _client(world["organizer"])
    bank = world["bank"]
    for query in ("kp=²", "kp=abc", "kp=-1", "kp=0"):
        page = client.get(f"/work/exams/banks/{bank.pk}/?{query}")
        assert page.status_code == 200, query
    for query in ("days=²", "days=x", "bank=²", "bank=x", "days=99999"):
        assert client.get(f"/work/exams/practice/activity/?{query}").status_code == 200, query
        assert client.get(f"/work/exams/practice/activity.xlsx?{query}").status_code == 200, query


def test_a_paper_form_with_odd_choices_says_what_is_wrong_and_stores_nothing(world):
    client = _client(world["organizer"])
    base = {"competition": world["competition"].code, "name": "决赛理论", "bank": world["bank"].pk,
            "kind": "blueprint", "section-0-type": "single", "section-0-count": "2", "section-0-points": "1"}
    before = Paper.objects.count()
    page = client.post("/work/exams/papers/new/", {**base, "bank": "abc"})
    assert page.status_code == 200 and "请选择题库" in page.content.decode()
    page = client.post("/work/exams/papers/new/", {**base, "kind": "bogus-kind"})
    assert page.status_code == 200 and "固定试卷还是按组卷规则抽题" in page.content.decode()
    page = client.post("/work/exams/papers/new/", {**base, "multiple_scoring": "whatever"})
    assert page.status_code == 200 and "多选题如何计分" in page.content.decode()
    assert Paper.objects.count() == before
