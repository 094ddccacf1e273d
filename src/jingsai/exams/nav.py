from django.urls import reverse
from django.utils.translation import gettext as _

from jingsai.accounts.permissions import has_perm
from jingsai.core.registry import NavItem


def items(user, request):
    out = []
    if has_perm(user, "exams.view_bank"):
        out.append(NavItem(_("Question banks"), reverse("exams:banks"), order=40, active_prefix="/work/exams/banks/"))
    if has_perm(user, "exams.invigilate") or has_perm(user, "exams.grade"):
        out.append(NavItem(_("Theory exams"), reverse("exams:sessions"), order=41,
                           active_prefix="/work/exams/sessions/"))
    if has_perm(user, "exams.take"):
        out.append(NavItem(_("My exams"), reverse("exams:mine"), order=42, active_prefix="/work/exams/take/"))
    if has_perm(user, "exams.practice"):
        out.append(NavItem(_("Practice"), reverse("exams:practice"), order=43, active_prefix="/work/exams/practice/"))
    elif has_perm(user, "exams.view_practice_stats"):
        out.append(NavItem(_("Practice activity"), reverse("exams:practice_stats"), order=43,
                           active_prefix="/work/exams/practice/"))
    return out
