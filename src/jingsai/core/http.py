from django.http import HttpResponse
from django.utils.http import content_disposition_header, url_has_allowed_host_and_scheme

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def file_response(data, filename, content_type):
    response = HttpResponse(data, content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(True, filename)
    return response


def xlsx_response(data, filename):
    return file_response(data, filename, XLSX)


def next_url(request, default):
    """Where to go back to after a form: the `next` the form or the link carries, if it is
    an address on this site, else `default`. A `next` pointing elsewhere is ignored, so a
    link to this site cannot send someone on to another one after they act."""
    target = request.POST.get("next") or request.GET.get("next")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                                  require_https=request.is_secure()):
        return target
    return default


def direct(view_func):
    """Mark an API operation to be served without ninja's per-request work (finding the
    operation among the path's methods, validating parameters into a model, a provisional
    response). Ninja still declares and documents it; its URL pattern (jingsai.api.urls)
    calls the function itself, renders the result and the errors with the API's renderer
    and exception handlers, and refuses other methods as ninja does. Only for operations
    where that work decides nothing: auth=None, no throttling, no response schema, only
    int path parameters ({int:name}); urls() refuses any other. The exam page's answer
    saves are such requests: under load, ninja's part of a save was a tenth of its cost."""
    view_func.jingsai_direct = True
    return view_func
