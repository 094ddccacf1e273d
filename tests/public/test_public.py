import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_home_says_what_the_platform_is_and_links_onward(client):
    page = client.get(reverse("public:home")).content.decode()
    assert "职工劳动和技能竞赛" in page
    assert f'href="{reverse("public:competitions")}"' in page and f'href="{reverse("accounts:login")}"' in page


def test_english_on_request(client):
    client.post(reverse("set_language"), {"language": "en"})
    assert "Log in" in client.get(reverse("public:home")).content.decode()


def test_the_list_shows_published_competitions_only(client, make):
    union = make.org("PU", type="union", name="测试工会")
    make.competition("PUB-1", host=union, status="registration_open")
    make.competition("DRAFT-1", host=union, status="draft")
    page = client.get(reverse("public:competitions")).content.decode()
    assert "PUB-1" in page and "DRAFT-1" not in page
    assert client.get(reverse("public:competition", args=["DRAFT-1"])).status_code == 404
    assert client.get(reverse("public:competition", args=["PUB-1"])).status_code == 200


@pytest.mark.parametrize("query", ["?page=abc", "?page=999", "?status=nonsense", "?q=%25"])
def test_odd_query_strings(client, query):
    assert client.get(reverse("public:competitions") + query).status_code == 200


def test_public_pages_show_no_personal_data(client, make):
    person = make.person()
    for url in (reverse("public:home"), reverse("public:competitions")):
        page = client.get(url).content.decode()
        assert person.id_number not in page and person.name not in page


@pytest.mark.parametrize(("method", "url", "data"), [
    ("get", "/competitions/?q=%00", None),
    ("get", "/work/orgs/?q=a%00b", None),
    ("post", "/accounts/login/", {"username": "a\x00b", "password": "x"}),
])
def test_a_nul_character_is_refused_with_400_on_every_database(client, method, url, data):
    response = getattr(client, method)(url, data) if data else getattr(client, method)(url)
    assert response.status_code == 400 and "NUL" in response.content.decode()
