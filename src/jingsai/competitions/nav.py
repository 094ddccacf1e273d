from django.urls import reverse
from django.utils.translation import gettext as _

from jingsai.accounts.permissions import has_perm
from jingsai.core.registry import NavItem


def items(user, request):
    if not has_perm(user, "competitions.view"):
        return []
    label = _("Manage competitions") if has_perm(user, "competitions.manage") else _("My competitions")
    return [NavItem(label, reverse("competitions:list"), order=20, active_prefix="/work/competitions/")]
