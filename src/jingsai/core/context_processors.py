from django.conf import settings

from .registry import nav_items


def site(request):
    user = getattr(request, "user", None)
    return {
        "site_name": settings.SITE_NAME,
        "nav_items": nav_items(user, request) if user is not None and user.is_authenticated else [],
    }
