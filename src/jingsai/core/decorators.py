from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied

from jingsai.accounts.permissions import has_perm


def permission_required(perm):
    """Anonymous visitors go to the login page; users without `perm` anywhere get 403.
    Object-level checks follow in the view, through accounts.permissions.require()."""

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not has_perm(request.user, perm):
                raise PermissionDenied(perm)
            return view(request, *args, **kwargs)

        wrapped.permission = perm
        return wrapped

    return decorator


def is_htmx(request):
    return request.headers.get("HX-Request") == "true"
