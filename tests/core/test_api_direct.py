"""Operations marked direct() (jingsai.core.http): served by a plain view that calls the
operation's function, without ninja's per-request work. They must answer exactly as
ninja would, stay documented, and be refused where ninja's work would decide something."""

import json

import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.test import Client, RequestFactory
from django.urls import get_resolver, resolve
from django.utils import translation
from ninja import Router, Schema

from jingsai import api
from jingsai.core.http import direct
from jingsai.exams import services
from tests.exams import factories as ex

SAVE = "/attempts/{int:attempt_id}/answers"


def _ninja_view():
    """The view ninja itself would serve the save with (its own, flat list of patterns)."""
    flat, _app, _namespace = api.api.urls
    return next(p.callback for p in flat if str(p.pattern) == "exams/attempts/<int:attempt_id>/answers")


def test_the_save_is_served_directly_first_in_the_api_and_still_documented():
    match = resolve("/api/exams/attempts/7/answers")
    assert match.func.__wrapped__ is api.ROUTERS["exams"].path_operations[SAVE].operations[0].view_func
    assert match.view_name == "api:save_answers" and match.kwargs == {"attempt_id": 7}
    root = get_resolver().url_patterns[0]
    assert str(root.url_patterns[0].pattern) == "exams/attempts/<int:attempt_id>/answers"
    assert resolve("/api/exams/ping").func.__name__ == "sync_view_wrapper"  # the rest stays with ninja
    operation = api.api.get_openapi_schema()["paths"]["/api/exams/attempts/{attempt_id}/answers"]["post"]
    assert operation["parameters"][0]["name"] == "attempt_id"
    assert operation["parameters"][0]["schema"]["type"] == "integer"


@pytest.mark.django_db
def test_the_direct_view_answers_as_ninja_would():
    world = ex.exam(n_candidates=1)
    user, _entry = world["candidates"][0]
    attempt = services.start(user, world["session"], device="dev-a")
    token = services.attempt_token(attempt)
    other = services.attempt_token(type(attempt)(pk=attempt.pk + 1, device="dev-a"))
    factory, direct_view, ninja_view = RequestFactory(), resolve("/api/exams/attempts/1/answers").func, _ninja_view()
    cases = [
        ("post", {"answers": [{"q": 0, "seq": 1, "r": "A"}]}, token),  # saved
        ("post", {"answers": [{"q": 0, "seq": 1, "r": "B"}]}, token),  # a resend: no change, still 200
        ("post", {"answers": [{"q": 1, "seq": 1, "r": "A"}]}, token + "x"),  # forged token: 403
        ("post", {"answers": [{"q": 1, "seq": 1, "r": "A"}]}, other),  # another attempt's token: 403
        ("post", {"answers": []}, token),  # nothing to save: 400
        ("post", "{not json", token),  # 400
        ("post", {"answers": [{"q": 999, "seq": 1, "r": "A"}]}, token),  # no such question: 400
        ("get", None, token),  # 405
    ]
    for method, body, sent_token in cases:
        answers = []
        for view in (direct_view, ninja_view):
            data = body if isinstance(body, str | None) else json.dumps(body)
            request = factory.generic(method.upper(), f"/api/exams/attempts/{attempt.pk}/answers", data or "",
                                      content_type="application/json", HTTP_X_ATTEMPT_TOKEN=sent_token)
            response = view(request, attempt_id=attempt.pk)
            answers.append((response.status_code, response.get("Content-Type"), response.get("Allow"),
                            response.content))
        assert answers[0] == answers[1], (method, body)
    assert [a.response for a in attempt.answers.all()] == ["A"]


@pytest.mark.django_db
def test_through_the_whole_stack_errors_are_in_the_persons_language():
    world = ex.exam(n_candidates=1)
    user, _entry = world["candidates"][0]
    attempt = services.start(user, world["session"], device="dev-a")
    response = Client().post(f"/api/exams/attempts/{attempt.pk}/answers", {"answers": []},
                             content_type="application/json", HTTP_X_ATTEMPT_TOKEN=services.attempt_token(attempt))
    assert response.status_code == 400 and "1" in response.json()["detail"]
    with translation.override(settings.LANGUAGE_CODE):
        assert response.json()["detail"] == translation.gettext("Send the answers as a list of 1 to 200 items.")
    assert response.json()["detail"] != "Send the answers as a list of 1 to 200 items."  # translated
    assert Client().post("/api/exams/attempts/x/answers", {}, content_type="application/json").status_code == 404


class _Out(Schema):
    ok: bool


def _router_with(path, **kwargs):
    router = Router()

    def view(request, thing_id: int):
        return {"ok": True}

    router.add_api_operation(path, ["POST"], direct(view), **kwargs)
    return router


@pytest.mark.parametrize(("path", "kwargs", "problem"), [
    ("/things/{int:thing_id}", {}, "auth=None"),
    ("/things/{thing_id}", {"auth": None}, "thing_id is not an int path parameter"),
    ("/things/{int:thing_id}", {"auth": None, "response": _Out}, "response schema"),
    ("/things/{int:thing_id}", {"auth": None, "throttle": []}, "throttled"),
])
def test_direct_refuses_an_operation_where_ninja_decides_something(path, kwargs, problem):
    router = _router_with(path, **kwargs)
    with pytest.raises(ImproperlyConfigured, match=problem):
        api._direct_callback("test", router, path, router.path_operations[path])


def test_direct_refuses_a_path_with_other_methods():
    router = _router_with("/things/{int:thing_id}", auth=None)
    router.add_api_operation("/things/{int:thing_id}", ["GET"], lambda request, thing_id: {}, auth=None)
    with pytest.raises(ImproperlyConfigured, match="other operations"):
        api._direct_callback("test", router, "/things/{int:thing_id}",
                             router.path_operations["/things/{int:thing_id}"])
