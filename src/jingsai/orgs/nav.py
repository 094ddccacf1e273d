from django.urls import reverse
from django.utils.translation import gettext as _

from jingsai.accounts.permissions import has_perm
from jingsai.core.registry import NavItem


def items(user, request):
    if has_perm(user, "orgs.view"):
        return [NavItem(_("Organizations"), reverse("orgs:tree"), order=10, active_prefix="/work/orgs/")]
    return []
