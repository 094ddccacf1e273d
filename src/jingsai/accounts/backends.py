"""Log in with a username, or (workers) an identity number or a mobile phone number."""

from django.contrib.auth.backends import ModelBackend

from jingsai.core import idnumber
from jingsai.people.models import PHONE_RE, id_digest, phone_digest

from .models import User


def find_user(login):
    """The user a login name designates, or None."""
    login = (login or "").strip()
    if not login:
        return None
    user = User.objects.filter(username__iexact=login).first()
    if user:
        return user
    normalized = idnumber.normalize(login)
    if len(normalized) == 18 and idnumber.is_valid(normalized):
        return User.objects.filter(person__id_number_digest=id_digest(normalized)).first()
    if PHONE_RE.match(normalized):
        return User.objects.filter(person__phone_digest=phone_digest(normalized)).first()
    return None


class JingsaiBackend(ModelBackend):
    def authenticate(self, request, username=None, password=None, **kwargs):
        if username is None or password is None:
            return None
        user = find_user(username)
        if user is None:
            User().set_password(password)  # same work as a real check: no timing oracle
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None
