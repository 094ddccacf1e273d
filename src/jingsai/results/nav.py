from django.urls import reverse
from django.utils.translation import gettext as _

from jingsai.accounts.permissions import has_perm
from jingsai.core.registry import NavItem


def items(user, request):
    out = []
    if has_perm(user, "results.view"):
        out.append(NavItem(_("Results"), reverse("results:index"), order=60, active_prefix="/work/results/"))
    elif has_perm(user, "results.mine"):
        out.append(NavItem(_("My results"), reverse("results:mine"), order=60, active_prefix="/work/results/"))
    return out
