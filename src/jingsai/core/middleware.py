import functools
import ipaddress

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpResponseBadRequest
from django.utils.translation import gettext as _

from .context import channel


@functools.lru_cache(maxsize=8)
def _networks(proxies):
    networks = []
    for item in proxies:
        try:
            networks.append(ipaddress.ip_network(item.strip(), strict=False))
        except ValueError:
            raise ImproperlyConfigured(f"JINGSAI_TRUSTED_PROXIES: {item!r} is not an address or network.") from None
    return tuple(networks)


def _trusted(address, networks):
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in networks)


def client_ip(request):
    """The address the request came from. Behind a trusted reverse proxy
    (settings.TRUSTED_PROXIES) it is the last address in X-Forwarded-For that is not itself
    a trusted proxy; a client cannot choose it by sending its own header, since only the
    addresses the trusted proxies appended are read."""
    address = request.META.get("REMOTE_ADDR")
    networks = _networks(tuple(getattr(settings, "TRUSTED_PROXIES", ())))
    if not networks or not _trusted(address, networks):
        return address
    hops = [hop.strip() for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop.strip()]
    for hop in reversed(hops):
        if not _trusted(hop, networks):
            try:
                return str(ipaddress.ip_address(hop))
            except ValueError:
                return address
        address = hop
    return address


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


def holds_nul(value):
    """Whether a string, or any string inside a parsed JSON value (keys included), holds a
    NUL: what the API's and the command line's JSON bodies are checked with."""
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(holds_nul(k) or holds_nul(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return any(holds_nul(v) for v in value)
    return False


def _has_nul(query):
    return any("\x00" in key or any("\x00" in value for value in values) for key, values in query.lists())
