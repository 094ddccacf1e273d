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
