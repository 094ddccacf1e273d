from django.urls import reverse
from django.utils.translation import gettext as _

from jingsai.accounts import permissions
from jingsai.core.registry import Card

from . import services
from .models import Entry


def cards(user, request):
    out = []
    if user.person_id:
        mine = list(Entry.objects.filter(person_id=user.person_id).select_related("competition", "stage")
                    .order_by("-created_at")[:6])
        if mine:
            out.append(Card(
                title=_("My registrations"), url=reverse("registration:index"), action=_("All my registrations"),
                priority=12, items=[{"label": _entry_line(e), "url": reverse("registration:entry", args=[e.pk])}
                                    for e in mine],
            ))
        open_now = services.open_competitions(user.person)
        if open_now:
            out.append(Card(
                title=_("Competitions open for registration"), count=len(open_now), priority=14,
                items=[{"label": c.name, "url": reverse("registration_public:register", args=[c.code])}
                       for c in open_now[:5]],
                url=reverse("registration:index"), action=_("Register"),
            ))
    if permissions.has_perm(user, "registration.register"):
        unit_step = services.awaiting_unit(user).count()
        host_step = services.awaiting_host(user).count()
        if unit_step:
            out.append(Card(title=_("Entries awaiting your unit's approval"), count=unit_step, tone="warning",
                            url=reverse("registration:todo") + "?step=unit", action=_("Review"), priority=15))
        if host_step:
            out.append(Card(title=_("Entries awaiting the host's approval"), count=host_step, tone="warning",
                            url=reverse("registration:todo") + "?step=host", action=_("Review"), priority=15))
        back = services.returned(user).count()
        if back:
            out.append(Card(title=_("Rejected entries to fix"), count=back, tone="danger",
                            url=reverse("registration:todo") + "?step=returned", action=_("See the reasons"),
                            priority=16))
        out.append(Card(title=_("Registration"), body=_("Register workers, upload files, follow approvals."),
                        url=reverse("registration:index"), action=_("Open"), priority=35))
    return out


def _entry_line(entry):
    line = f"{entry.competition.name} · {entry.stage.name} · {entry.get_status_display()}"
    if entry.rejection_reason:
        line += f"（{entry.rejection_reason}）"
    return line
