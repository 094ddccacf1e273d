from django.urls import reverse
from django.utils.translation import gettext as _

from jingsai.accounts.permissions import has_perm
from jingsai.core.registry import NavItem


def items(user, request):
    if has_perm(user, "registration.view"):
        return [NavItem(_("Registration"), reverse("registration:index"), order=40,
                        active_prefix="/work/registration/")]
    return []
