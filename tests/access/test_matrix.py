"""The access matrix: every URL and API route, with every role (and anonymous), on objects
inside and outside the role's scope, answers as the matrix says.

Each app declares its routes in tests/access/routes_<app>.py as ROUTES = {key: Route(...)}
where the key is the URL name ("orgs:detail") or, for the API, "METHOD /api/path"
("GET /api/orgs/{code}"). A route of the project that no module declares fails the test,
so the matrix grows with the routes."""

import importlib
import pkgutil
from pathlib import Path

import pytest
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from jingsai.api import api
from tests.access import world as world_module
from tests.access.spec import IGNORED, Route

pytestmark = pytest.mark.django_db


def route_modules():
    folder = Path(__file__).parent
    for info in pkgutil.iter_modules([str(folder)]):
        if info.name.startswith("routes_"):
            yield importlib.import_module(f"tests.access.{info.name}")


def declared_routes():
    routes, extenders = {}, []
    for module in route_modules():
        for key, route in module.ROUTES.items():
            assert key not in routes, f"{key} is declared twice"
            routes[key] = route
        if hasattr(module, "extend_world"):
            extenders.append(module.extend_world)
    return routes, extenders


def django_route_names(patterns=None, namespace=""):
    patterns = get_resolver().url_patterns if patterns is None else patterns
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            ns = pattern.namespace
            if ns == "api":
                continue  # walked through the API's own routers, with their methods
            if ns == "admin":
                # Every admin page goes through admin_site.admin_view, the one guard that
                # admin:index stands for (tests/core/test_admin.py walks the model pages).
                yield "admin:index"
                continue
            yield from django_route_names(pattern.url_patterns, f"{namespace}{ns}:" if ns else namespace)
        elif isinstance(pattern, URLPattern):
            yield f"{namespace}{pattern.name}"


def api_route_keys():
    for prefix, router in api._routers:
        for path, path_view in router.path_operations.items():
            for operation in path_view.operations:
                for method in operation.methods:
                    full = f"/api{prefix.rstrip('/')}{path}".replace("{int:", "{")
                    yield f"{method} {full}"


def all_route_keys():
    keys = set(django_route_names()) | set(api_route_keys())
    return {k for k in keys if k not in IGNORED}


def test_every_route_is_in_the_matrix():
    routes, _ = declared_routes()
    missing = sorted(all_route_keys() - set(routes))
    stale = sorted(set(routes) - all_route_keys())
    assert not missing, "Routes without an entry in the access matrix:\n  " + "\n  ".join(missing)
    assert not stale, "Matrix entries for routes that do not exist:\n  " + "\n  ".join(stale)


def _url(key, kwargs):
    if " " in key:
        _method, path = key.split(" ", 1)
        for name, value in kwargs.items():
            path = path.replace("{" + name + "}", str(value))
        return path
    return reverse(key, kwargs=kwargs)


def _login_redirect(response):
    return response.status_code == 302 and "/accounts/login/" in response.get("Location", "")


def _verdict(response, api_route):
    """allowed | denied | login, or the raw status when it is none of them."""
    status = response.status_code
    if api_route:
        if status == 401:
            return "login"
        if status in (403, 404):
            return "denied"
        if status < 500 and status not in (405, 422):
            return "allowed"
        return f"status {status}"
    if _login_redirect(response):
        return "login"
    if status in (403, 404):
        return "denied"
    if status < 400 or status == 400:
        return "allowed"
    return f"status {status}"


def _expected(route, role, scope):
    if role == "anonymous":
        return "allowed" if route.public else "login"
    if route.public:
        return "allowed"
    allowed = route.allow if scope == "in" else route.allow_out
    return "allowed" if role in allowed or "*" in allowed else "denied"


@pytest.fixture
def world():
    _routes, extenders = declared_routes()
    return world_module.build_world(extenders)


def test_access_matrix(world):
    routes, _extenders = declared_routes()
    failures = run_matrix(routes, world, sorted(all_route_keys() & set(routes)))
    assert not failures, f"{len(failures)} access-matrix failures:\n" + "\n".join(failures)


def run_matrix(routes, world, keys):
    """Every role on every key's route, in and out of scope; returns the failures."""
    failures = []
    clients = {}
    for role in world_module.ROLES:
        client = Client()
        if role != "anonymous":
            client.force_login(world.users[role])
        clients[role] = client
    for key in keys:
        route: Route = routes[key]
        api_route = " " in key
        method = key.split(" ", 1)[0].lower() if api_route else route.method
        scopes = ["in", "out"] if route.scoped else ["in"]
        for scope in scopes:
            kwargs = route.kwargs(world, scope) if route.kwargs else {}
            query = route.query(world, scope) if callable(route.query) else route.query
            url = _url(key, kwargs) + (query or "")
            for role in world_module.ROLES:
                body = route.data(world, scope) if callable(route.data) else route.data
                client = clients[role]
                cookies = client.cookies
                client.cookies = type(cookies)(cookies)
                with transaction.atomic():
                    send = getattr(client, method)
                    if api_route and method in ("post", "put", "patch") and not route.multipart:
                        response = send(url, body or {}, content_type="application/json")
                    elif method == "get":
                        response = send(url)
                    else:
                        response = send(url, body or {})
                    transaction.set_rollback(True)
                client.cookies = cookies  # a logout or login inside the request is undone too
                got = _verdict(response, api_route)
                want = _expected(route, role, scope)
                if got != want:
                    failures.append(
                        f"{key} [{scope}] as {role}: expected {want}, got {got} ({response.status_code} {url})"
                    )
    return failures
