"""The API: one NinjaAPI mounting each app's `router` (in <app>/api.py) at /api/<app>/.

Authentication is the browser session (with CSRF on unsafe methods) or a bearer token
(`Authorization: Bearer js_...`, created on the profile page). Every endpoint asks
jingsai.accounts.permissions, the same module the pages use. OpenAPI at /api/openapi.json,
interactive documentation at /api/docs.
"""

import functools
import inspect
import re
from importlib import import_module
from importlib.util import find_spec
from itertools import groupby

from django.core.exceptions import ImproperlyConfigured, PermissionDenied, ValidationError
from django.http import Http404, HttpResponseNotAllowed
from django.urls import URLPattern, include, path
from django.urls.resolvers import RoutePattern
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from ninja import NinjaAPI
from ninja.constants import NOT_SET
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as InputError
from ninja.parser import Parser
from ninja.security import APIKeyCookie, HttpBearer
from ninja.utils import replace_path_param_notation

from jingsai.accounts.services import user_for_token
from jingsai.core.errors import Problem, UserError
from jingsai.core.middleware import holds_nul

APPS = ["core", "accounts", "orgs", "people", "competitions", "registration", "judging", "exams", "results", "public"]


class TokenAuth(HttpBearer):
    def authenticate(self, request, token):
        user = user_for_token(token)
        if user is not None:
            request.user = user
        return user


class SessionAuth(APIKeyCookie):
    """The logged-in browser session; unsafe methods need the CSRF token."""

    param_name = "sessionid"

    def __init__(self):
        super().__init__(csrf=True)

    def authenticate(self, request, key):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            return user
        return None


class JsonParser(Parser):
    """Ninja's JSON body parser, refusing a NUL anywhere in the body (PostgreSQL cannot
    store one; the pages' forms are refused one by RefuseNulMiddleware)."""

    def parse_body(self, request):
        data = super().parse_body(request)
        if holds_nul(data):
            raise UserError(_("The request contains a NUL character, which is not allowed."), code="invalid")
        return data


api = NinjaAPI(
    title="jingsai API",
    parser=JsonParser(),
    version="1",
    description="职工劳动和技能竞赛平台 API",
    auth=[TokenAuth(), SessionAuth()],
    urls_namespace="api",
    docs_url="/docs",
)


@api.exception_handler(PermissionDenied)
def permission_denied(request, exc):
    return api.create_response(request, {"detail": _("You do not have permission to do this.")}, status=403)


@api.exception_handler(Http404)
def not_found(request, exc):
    return api.create_response(request, {"detail": _("Not found.")}, status=404)


@api.exception_handler(AuthenticationError)
def unauthorized(request, exc):
    return api.create_response(request, {"detail": _("Log in or send an API token.")}, status=401)


@api.exception_handler(HttpError)
def http_error(request, exc):
    """Ninja's own errors. One that a body the parser refused raised (JsonParser: a NUL) says
    what the parser said; one of a body that is not JSON at all says so in the person's
    language, not as ninja's English "Cannot parse request body"."""
    if isinstance(exc.__cause__, UserError):
        return user_error(request, exc.__cause__)
    if isinstance(exc.__cause__, ValueError) and exc.status_code == 400:
        return api.create_response(request, {"detail": _("The request body is not valid JSON."), "code": "invalid"},
                                   status=400)
    return api.create_response(request, {"detail": str(exc)}, status=exc.status_code)


@api.exception_handler(UserError)
def user_error(request, exc):
    body = {"detail": str(exc.message), "code": exc.code}
    if exc.problems:
        body["problems"] = [p.as_dict() for p in exc.problems]
    return api.create_response(request, body, status=403 if exc.code == "forbidden" else 400)


# Pydantic's messages are English; a person gets these instead, by kind of error.
INPUT_MESSAGES = {
    "missing": gettext_lazy("This field is required."),
    "enum": gettext_lazy("This is not one of the allowed values."),
    "literal_error": gettext_lazy("This is not one of the allowed values."),
    "int_parsing": gettext_lazy("A whole number is needed here."),
    "int_type": gettext_lazy("A whole number is needed here."),
    "int_from_float": gettext_lazy("A whole number is needed here."),
    "bool_parsing": gettext_lazy("Use true or false here."),
    "bool_type": gettext_lazy("Use true or false here."),
    "string_type": gettext_lazy("Text is needed here."),
    "list_type": gettext_lazy("A list is needed here."),
    "json_invalid": gettext_lazy("The request body is not valid JSON."),
    "less_than_equal": gettext_lazy("This number is too large."),
    "less_than": gettext_lazy("This number is too large."),
    "greater_than_equal": gettext_lazy("This number is too small."),
    "greater_than": gettext_lazy("This number is too small."),
}


def input_problems(errors):
    """Problems, in the person's language, for pydantic's errors (a list of dicts): the
    API's answer to input its schemas refuse, and the commands' that read the same JSON."""
    problems = []
    for error in errors:
        where = ".".join(str(part) for part in error.get("loc", ()) if part not in ("body", "data", "payload"))
        message = INPUT_MESSAGES.get(error.get("type"), gettext_lazy("This value is not valid."))
        problems.append(Problem(message, where=where or None, value=_short(error.get("input")), code="invalid"))
    return problems


@api.exception_handler(InputError)
def invalid_input(request, exc):
    """Input the schema refuses: still 422, with a message the person can read."""
    problems = input_problems(exc.errors)
    detail = "；".join(f"{p.where}: {p.message}" if p.where else str(p.message) for p in problems)
    body = {"detail": detail, "code": "invalid", "problems": [p.as_dict() for p in problems]}
    return api.create_response(request, body, status=422)


def _short(value):
    if value is None or isinstance(value, dict | list):
        return None
    return str(value)[:100]


@api.exception_handler(ValidationError)
def invalid(request, exc):
    messages = (
        [f"{field}: {m}" for field, ms in exc.message_dict.items() for m in ms]
        if hasattr(exc, "error_dict") else list(exc.messages)
    )
    return api.create_response(request, {"detail": "；".join(messages), "code": "invalid"}, status=400)


ROUTERS = {}
for label in APPS:
    if find_spec(f"jingsai.{label}.api"):
        ROUTERS[label] = import_module(f"jingsai.{label}.api").router
        api.add_router(f"/{label}/", ROUTERS[label])


def _direct_callback(label, router, path, path_view):
    """The plain view for a path whose one operation is marked direct() (jingsai.core.http),
    else None; ImproperlyConfigured when ninja's per-request work would decide something
    there: authentication, throttling, a response schema, or parameters other than int path
    parameters (which the URL's int converter parses, as ninja would)."""
    marked = [op for op in path_view.operations if getattr(op.view_func, "jingsai_direct", False)]
    if not marked:
        return None
    operation = marked[0]
    converters = {param: kind for kind, param in re.findall(r"{(?:(\w+):)?(\w+)}", path)}
    parameters = list(inspect.signature(operation.view_func).parameters.values())[1:]
    problems = [f"{p.name} is not an int path parameter" for p in parameters
                if converters.get(p.name) != "int" or p.annotation is not int]
    if len(path_view.operations) > 1:
        problems.append("its path has other operations")
    if operation.auth_param is not None:
        problems.append("it does not declare auth=None")
    if any(t is not NOT_SET for t in (operation.throttle_param, router.throttle, api.throttle)):
        problems.append("it is throttled")
    if operation.response_models != {200: NOT_SET}:
        problems.append("it declares a response schema")
    if problems:
        raise ImproperlyConfigured(f"direct() does not fit /{label}{path}: {'; '.join(problems)}")
    function, methods = operation.view_func, sorted(operation.methods)

    @functools.wraps(function, updated=())  # its name, and __wrapped__, for whoever resolves the URL
    def view(request, **kwargs):
        if request.method not in methods:
            return HttpResponseNotAllowed(methods, content=b"Method not allowed")
        try:
            result = function(request, **kwargs)
        except Exception as exc:
            return api.on_exception(request, exc)
        return api.create_response(request, result, status=200)

    view.csrf_exempt = True  # as ninja's views: these endpoints need no session
    return view


def _app_prefix(pattern):
    """The first path segment of a plain ninja route that has more after it, else None."""
    head, _slash, rest = str(pattern.pattern).partition("/")
    plain = isinstance(pattern, URLPattern) and isinstance(pattern.pattern, RoutePattern)
    return head if plain and rest and "<" not in head else None


def urls():
    """The API's URL patterns for path("api/", ...): ninja's flat list, each app's run of
    patterns nested under its first path segment ("exams/", "judging/", ...). Django tries
    patterns one after another, and with a flat list an answer save was matched against
    every judging and registration endpoint first (about a hundred patterns, 0.1 ms a
    request); nested, it passes a dozen prefixes and then its own app's. Names and reversing
    stay as ninja made them. Operations marked direct() come first, each with its plain
    view, so the busiest requests are matched at once (resolving a save through the nested
    list cost it about a tenth more under load, in one paired run)."""
    patterns, app_name, namespace = api.urls
    direct_views = {}
    for label, router in ROUTERS.items():
        for operation_path, path_view in router.path_operations.items():
            view = _direct_callback(label, router, operation_path, path_view)
            if view is not None:
                direct_views[replace_path_param_notation(f"{label}{operation_path}")] = view
    first, nested = [], []
    for head, run in groupby(patterns, key=_app_prefix):
        if head is None:
            nested += run
            continue
        inner = []
        for p in run:
            if str(p.pattern) in direct_views:
                first.append(path(str(p.pattern), direct_views.pop(str(p.pattern)), name=p.name))
            else:
                inner.append(URLPattern(RoutePattern(str(p.pattern)[len(head) + 1:], name=p.pattern.name,
                                                     is_endpoint=True), p.callback, p.default_args, p.name))
        nested.append(path(f"{head}/", include(inner)))
    if direct_views:
        raise ImproperlyConfigured(f"direct() operations without a URL pattern: {sorted(direct_views)}")
    nested[:0] = first
    return nested, app_name, namespace
