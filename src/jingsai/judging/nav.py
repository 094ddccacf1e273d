from django.urls import reverse
from django.utils.translation import gettext as _

from jingsai.accounts.permissions import has_perm
from jingsai.core.registry import NavItem


def items(user, request):
    if has_perm(user, "judging.view") or has_perm(user, "judging.pool"):
        return [NavItem(_("Judging"), reverse("judging:home"), order=40, active_prefix="/work/judging/")]
    return []
