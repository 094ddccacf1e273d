from django.db.models import Count, Q
from django.urls import reverse
from django.utils.translation import gettext as _

from jingsai.accounts import permissions
from jingsai.competitions.models import Competition, Status
from jingsai.core.registry import Card

from .models import Certificate, Result


def cards(user, request):
    out = []
    if permissions.has_perm(user, "results.view"):
        busy = (permissions.filter_queryset(user, "results.view", Competition.objects.filter(
            status__in=(Status.SCORING, Status.PUBLICITY)))
            .annotate(open_objections=Count("objections", filter=Q(objections__answered_at__isnull=True)))
            .order_by("status", "code")[:8])
        if busy:
            items = []
            for competition in busy:
                label = f"{competition.name} · {competition.get_status_display()}"
                if competition.open_objections:
                    label += " · " + _("%(count)s objections to answer") % {"count": competition.open_objections}
                items.append({"label": label, "url": reverse("results:competition", args=[competition.code])})
            out.append(Card(title=_("Results to compute, publish or finalize"), items=items,
                            url=reverse("results:index"), action=_("All results"), priority=25, tone="warning"))
    if user.is_authenticated and user.person_id:
        certificates = Certificate.objects.filter(person_id=user.person_id, revoked_at__isnull=True).count()
        if certificates or Result.objects.filter(entry__person_id=user.person_id).exists():
            out.append(Card(
                title=_("My results and certificates"),
                body=_("%(count)s certificates to download.") % {"count": certificates} if certificates else "",
                url=reverse("results:mine"), action=_("Open"), priority=15,
            ))
    return out
