"""Login throttling against password guessing: too many failures for one account or from
one address within the window, and further attempts are refused before any password
check. Attempts are rows in the database so that every app process sees them."""

import hashlib
from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from .models import LoginAttempt


def account_key(login):
    return hashlib.sha256((login or "").strip().casefold().encode()).hexdigest()


def _window_start():
    return timezone.now() - timedelta(seconds=settings.LOGIN_THROTTLE["window_seconds"])


def is_locked(login, ip):
    limits = settings.LOGIN_THROTTLE
    recent = LoginAttempt.objects.filter(at__gte=_window_start(), success=False)
    if recent.filter(account=account_key(login)).count() >= limits["per_account"]:
        return True
    return bool(ip) and recent.filter(ip=ip).count() >= limits["per_address"]


def note(login, ip, user=None, success=False):
    LoginAttempt.objects.create(account=account_key(login), ip=ip, user=user, success=success)
    if success:
        # A successful login clears the account's failures so a returning user is not locked
        # out by their own earlier typos.
        LoginAttempt.objects.filter(account=account_key(login), success=False).delete()


def minutes_left():
    return settings.LOGIN_THROTTLE["window_seconds"] // 60
