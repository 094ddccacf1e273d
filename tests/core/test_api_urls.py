"""The API's URL patterns (jingsai.api.urls): ninja's flat list, nested by app so that a
request is not matched against every other app's endpoints first. Nesting must change
nothing else: each endpoint resolves to the same view, route and name as before."""

import re

from django.urls import URLResolver, get_resolver, resolve, reverse

from jingsai import api


def _sample(route):
    return re.sub(r"<[^>]+>", "7", route)  # 7 passes both the int and the str converters


def test_every_endpoint_resolves_as_ninja_listed_it():
    flat, _app, namespace = api.api.urls
    assert namespace == "api" and len(flat) > 100
    first = {}
    for pattern in flat:  # ninja lists a path once per method, all with the same view
        first.setdefault(str(pattern.pattern), pattern)
    for route, pattern in first.items():
        match = resolve("/api/" + _sample(route))
        assert match.route == "api/" + route, route
        assert match.view_name == f"api:{pattern.name}", route
    assert reverse("api:ping") == "/api/exams/ping"
    assert reverse("api:save_answers", kwargs={"attempt_id": 7}) == "/api/exams/attempts/7/answers"


def test_the_api_is_nested_by_app_and_comes_first():
    root = get_resolver().url_patterns[0]
    assert isinstance(root, URLResolver) and str(root.pattern) == "api/" and root.namespace == "api"
    heads = [str(p.pattern) for p in root.url_patterns if isinstance(p, URLResolver)]
    assert {"exams/", "judging/", "results/", "registration/"} <= set(heads)
    assert len(heads) == len(set(heads))  # one group per app
    assert len(root.url_patterns) < 20  # a save passes a dozen prefixes, not 130 patterns
