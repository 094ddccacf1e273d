from django.urls import reverse
from django.utils.translation import gettext as _

from jingsai.accounts.permissions import has_perm, is_admin
from jingsai.core.registry import NavItem


def items(user, request):
    # A worker sees their own record from the dashboard, not a list of one.
    if is_admin(user) or (has_perm(user, "people.change")):
        return [NavItem(_("Workers"), reverse("people:list"), order=20, active_prefix="/work/people/")]
    return []
