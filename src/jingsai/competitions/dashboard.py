"""Dashboard cards: for organizers, the competitions waiting for their next step; for
everyone else who works on competitions, those open for registration."""

import datetime as dt

from django.db.models import Max, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from jingsai.accounts import permissions
from jingsai.core.registry import Card

from . import services
from .models import Status

SHOWN = 8


def _next_step(competition, now):
    """What the organizer should do next, or None while the competition just runs."""
    status = competition.status
    if status == Status.DRAFT:
        return _("finish the rules and open registration")
    if status == Status.REGISTRATION_OPEN:
        closes = competition.registration_closes
        return _("the deadline has passed: close registration") if closes and closes <= now else None
    if status == Status.REGISTRATION_CLOSED:
        return _("approve the entries and start the competition")
    if status == Status.IN_PROGRESS:
        ends = competition.ends_at
        return _("start scoring") if ends is None or ends <= now else None
    if status == Status.SCORING:
        return _("check the marks and publish the results")
    if status == Status.PUBLICITY:
        since = competition.publicity_since
        days = (competition.spec or {}).get("publicity_days") or 5
        if since is None or since + dt.timedelta(days=days) <= now:
            return _("publicity is over: make the results final")
    return None


def cards(user, request):
    if not permissions.has_perm(user, "competitions.view"):
        return []
    now = timezone.now()
    out = []
    if permissions.has_perm(user, "competitions.manage"):
        managed = services.managed_competitions(user).exclude(status__in=(Status.FINAL, Status.ARCHIVED)).annotate(
            publicity_since=Max("status_changes__at", filter=Q(status_changes__to_status=Status.PUBLICITY)))
        waiting = []
        for competition in managed.order_by("registration_closes", "code")[:500]:
            step = _next_step(competition, now)
            if step:
                waiting.append({"label": f"{competition.name} · {step}",
                                "url": reverse("competitions:detail", args=[competition.pk])})
        out.append(Card(
            title=_("Competitions waiting for your next step"), count=len(waiting), items=waiting[:SHOWN],
            body=_("Nothing is waiting for you.") if not waiting else "",
            url=reverse("competitions:list") + "?mine=1", action=_("All your competitions"),
            priority=15, tone="warning" if waiting else "primary",
        ))
    else:
        open_now = services.visible_competitions(user).filter(status=Status.REGISTRATION_OPEN).filter(
            Q(registration_closes__isnull=True) | Q(registration_closes__gt=now)).order_by("registration_closes")
        items = [{"label": _("%(name)s · closes %(when)s") % {
                    "name": c.name, "when": timezone.localtime(c.registration_closes).strftime("%m-%d %H:%M")}
                  if c.registration_closes else c.name,
                  "url": reverse("competitions:detail", args=[c.pk])} for c in open_now[:SHOWN]]
        if items:
            out.append(Card(title=_("Competitions open for registration"), count=open_now.count(), items=items,
                            url=reverse("competitions:list") + "?status=registration_open",
                            action=_("See them all"), priority=25))
    return out
