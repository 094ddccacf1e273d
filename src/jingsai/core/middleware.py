from django.http import HttpResponseBadRequest
from django.utils.translation import gettext as _

from .context import channel


def client_ip(request):
    return request.META.get("REMOTE_ADDR")


class RequestContextMiddleware:
    """Marks everything a request does as coming from the web or the API, for the audit log."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        via = "api" if request.path.startswith("/api/") else "web"
        with channel(via, ip=client_ip(request)):
            return self.get_response(request)


class RefuseNulMiddleware:
    """A NUL character in a query string or form field is never text a person typed, and
    PostgreSQL refuses it inside any string; answer 400 before it reaches a query."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if _has_nul(request.GET) or (request.method == "POST" and _has_nul(request.POST)):
            return HttpResponseBadRequest(_("The request contains a NUL character, which is not allowed."),
                                          content_type="text/plain; charset=utf-8")
        return self.get_response(request)


def _has_nul(query):
    return any("\x00" in key or any("\x00" in value for value in values) for key, values in query.lists())
