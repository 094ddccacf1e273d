from django.urls import reverse
from django.utils.translation import gettext as _

from jingsai.accounts import permissions
from jingsai.core.registry import Card

from .models import Organization


def cards(user, request):
    if not permissions.has_perm(user, "orgs.view"):
        return []
    if permissions.is_admin(user):
        return [Card(
            title=_("Organizations on the platform"), count=Organization.objects.count(),
            url=reverse("orgs:tree"), action=_("Browse the tree"), priority=60,
        )]
    out = []
    roles = user.roles.filter(organization__isnull=False).select_related("organization")
    for assignment in roles:
        org = assignment.organization
        size = Organization.objects.subtree(org, include_self=False).count()
        out.append(Card(
            title=f"{assignment.get_role_display()} · {org.name}",
            body=_("%(count)s organizations below it.") % {"count": size} if size else "",
            url=reverse("orgs:detail", args=[org.pk]), action=_("Open"), priority=20,
        ))
    return out
