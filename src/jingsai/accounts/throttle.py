"""Login throttling against password guessing: too many failures for one account or from
one address within the window, and further attempts are refused before any password
check. Attempts are rows in the database so that every app process sees them.

An account is counted as the user a login name designates, so spelling one worker's
identity number in full-width digits, with a lower-case x, or using their phone instead,
does not buy a guesser more attempts."""

import hashlib
import math
from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from jingsai.core import idnumber

from .backends import find_user
from .models import LoginAttempt


def account_key(login):
    user = find_user(login)
    basis = f"user:{user.pk}" if user is not None else "login:" + idnumber.normalize(login or "").casefold()
    return hashlib.sha256(basis.encode()).hexdigest()


def _window():
    return timedelta(seconds=settings.LOGIN_THROTTLE["window_seconds"])


def _recent_failures():
    return LoginAttempt.objects.filter(at__gte=timezone.now() - _window(), success=False)


def locked_until(key, ip):
    """When logging in opens again for this account key and address, or None if it is open."""
    limits = settings.LOGIN_THROTTLE
    ends = []
    for field, value, limit in (("account", key, limits["per_account"]), ("ip", ip, limits["per_address"])):
        if not value:
            continue
        failures = _recent_failures().filter(**{field: value})
        if failures.count() >= limit:
            # Open again once enough of the failures have aged out of the window.
            oldest_needed = failures.order_by("-at").values_list("at", flat=True)[limit - 1]
            ends.append(oldest_needed + _window())
    return max(ends) if ends else None


def minutes_until(moment):
    return max(1, math.ceil((moment - timezone.now()).total_seconds() / 60))


def note(key, ip, user=None, success=False):
    LoginAttempt.objects.create(account=key, ip=ip, user=user, success=success)
    if success:
        # A successful login clears the account's failures so a returning user is not locked
        # out by their own earlier typos.
        LoginAttempt.objects.filter(account=key, success=False).delete()

