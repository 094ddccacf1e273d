"""Log in with a username, or (workers) an identity number or a mobile phone number."""

from django.contrib.auth.backends import ModelBackend

from jingsai.core import idnumber
from jingsai.people.models import PHONE_RE, id_digest, phone_digest

from .models import User

# Family members sometimes share one phone; each keeps their own password.
MAX_SHARED_PHONE = 5


def candidates(login):
    """The users a login name may designate: one for a username or an identity number,
    those registered with the phone for a mobile number."""
    login = (login or "").strip()
    if not login:
        return []
    user = User.objects.filter(username__iexact=login).first()
    if user:
        return [user]
    normalized = idnumber.normalize(login)
    if len(normalized) == 18 and idnumber.is_valid(normalized):
        return list(User.objects.filter(person__id_number_digest=id_digest(normalized))[:1])
    if PHONE_RE.match(normalized):
        sharing = User.objects.filter(person__phone_digest=phone_digest(normalized)).order_by("pk")
        return list(sharing[:MAX_SHARED_PHONE])
    return []


def find_user(login):
    """The user a login name designates (the first, for a shared phone), or None."""
    found = candidates(login)
    return found[0] if found else None


class JingsaiBackend(ModelBackend):
    def authenticate(self, request, username=None, password=None, **kwargs):
        if username is None or password is None:
            return None
        users = candidates(username)
        if not users:
            User().set_password(password)  # same work as a real check: no timing oracle
            return None
        for user in users:
            if user.check_password(password) and self.user_can_authenticate(user):
                return user
        return None
