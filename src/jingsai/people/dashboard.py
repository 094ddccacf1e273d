from django.urls import reverse
from django.utils.translation import gettext as _

from jingsai.accounts import permissions
from jingsai.core.registry import Card

from .models import Person


def cards(user, request):
    out = []
    if user.person_id:
        person = user.person
        level = person.get_level_display() or _("no skill level held")
        out.append(Card(
            title=_("My record"), body=f"{person.name} · {person.employer.name} · {level}",
            url=reverse("people:detail", args=[person.pk]), action=_("View"), priority=10,
        ))
    if permissions.has_perm(user, "people.change"):
        visible = permissions.filter_queryset(user, "people.view", Person.objects.all())
        out.append(Card(
            title=_("Workers in your organizations"), count=visible.count(),
            url=reverse("people:list"), action=_("Manage workers"), priority=30,
        ))
    return out
