from django.urls import reverse
from django.utils.translation import gettext as _

from jingsai.core.registry import NavItem

from .permissions import has_perm, is_admin


def items(user, request):
    out = []
    if has_perm(user, "accounts.manage_roles"):
        out.append(NavItem(_("Accounts"), reverse("accounts:users"), order=80, active_prefix="/accounts/users/"))
    if is_admin(user):
        out.append(NavItem(_("Audit log"), reverse("core:audit"), order=90, active_prefix="/work/audit/"))
    return out
