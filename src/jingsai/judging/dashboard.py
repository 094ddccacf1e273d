"""Dashboard cards: marks still to give, stations to sign off, appeals to rule on, and for
contestants the appeal window of their stage."""

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from jingsai.accounts import permissions
from jingsai.competitions.models import Stage
from jingsai.core.registry import Card
from jingsai.registration.models import Entry, EntryStatus

from . import conflicts
from .models import Appeal, AppealStatus, Draw, DrawKind, Unblinding, UnblindStep
from .services import appeals, marking, venue


def _open_stages(competition_ids):
    """Stages of these competitions with stations drawn and not yet unblinded."""
    drawn = Draw.objects.filter(kind=DrawKind.STATION, stage__competition_id__in=competition_ids,
                                stage__competition__status__in=marking.MARKING_STATUSES).values("stage_id")
    done = Unblinding.objects.filter(step=UnblindStep.ORGANIZER).values("stage_id")
    return Stage.objects.filter(pk__in=drawn).exclude(pk__in=done).select_related("competition")


def _judge_cards(user):
    judge = conflicts.judge_for(user)
    ids = permissions.competition_ids(user, permissions.JUDGE, permissions.CHIEF_JUDGE)
    if judge is None or not ids:
        return []
    out = []
    for stage in _open_stages(ids):
        plan = marking.Plan(stage)
        mine = plan.stations_for(judge, list(venue.active_contestants(stage)))
        if not mine:
            continue
        missing = sum(item.missing.count(judge) for c in mine for item in marking.review(c, plan).aspects)
        out.append(Card(
            title=f"{stage.competition.name} · {stage.name}", count=missing,
            body=_("marks still to give at %(count)s stations") % {"count": len(mine)},
            url=reverse("judging:stations", args=[stage.pk]), action=_("Enter marks"), priority=5,
            tone="danger" if missing else "success",
        ))
    return out


def _chief_cards(user):
    ids = permissions.competition_ids(user, permissions.CHIEF_JUDGE)
    judge = conflicts.judge_for(user)
    if not ids or judge is None:
        return []
    out = []
    for stage in _open_stages(ids):
        plan = marking.Plan(stage)
        reviews = marking.stage_reviews(stage, plan)
        blocked = plan.blocked(judge)
        reviews = [r for r in reviews if r.contestant.pk not in blocked]
        ready = sum(1 for r in reviews if r.signable)
        split = sum(len(r.discrepancies) for r in reviews)
        out.append(Card(
            title=_("Review · %(stage)s") % {"stage": f"{stage.competition.name} · {stage.name}"}, count=ready,
            body=_("stations ready to sign off; %(count)s discrepancies to resolve") % {"count": split},
            url=reverse("judging:review", args=[stage.pk]), action=_("Review"), priority=6,
            tone="danger" if split else "primary",
        ))
    return out


def _arbitrator_cards(user):
    ids = permissions.competition_ids(user, permissions.ARBITRATOR)
    if not ids:
        return []
    pending = Appeal.objects.filter(entry__competition_id__in=ids, status=AppealStatus.PENDING).count()
    return [Card(title=_("Appeals awaiting a ruling"), count=pending, action=_("Open"), priority=4,
                 url=reverse("judging:appeals") + "?status=pending", tone="danger" if pending else "secondary")]


def _appellant_cards(user):
    """Workers see each of their stages still taking appeals; unit contacts, how many of
    their unit's contestants still may appeal. Both see the appeals they follow."""
    out = []
    if permissions.has_perm(user, "judging.appeal"):
        entries = permissions.filter_queryset(user, "judging.appeal",
                                              Entry.objects.filter(status=EntryStatus.APPROVED))
        open_ = appeals.open_entries(entries)
        own = [(e, closes) for e, closes in open_ if e.person_id == user.person_id]
        for entry, closes in own:
            out.append(Card(
                title=f"{entry.stage.competition.name} · {entry.stage.name}",
                body=_("You may file a written appeal about your marks until %(deadline)s.")
                % {"deadline": timezone.localtime(closes).strftime("%Y-%m-%d %H:%M")},
                url=reverse("judging:appeal_new", args=[entry.pk]), action=_("File an appeal"), priority=30,
            ))
        if len(open_) > len(own):
            out.append(Card(title=_("Contestants who may still appeal"), count=len(open_) - len(own),
                            url=reverse("judging:appeals"), action=_("Open"), priority=35))
    followed = permissions.filter_queryset(user, "judging.view_appeal", Appeal.objects.all()) if (
        user.person_id or permissions.role_paths(user, permissions.UNIT_CONTACT)) else Appeal.objects.none()
    count = followed.count()
    if count:
        out.append(Card(title=_("My appeals"), count=count, url=reverse("judging:appeals"), action=_("Open"),
                        priority=30))
    return out


def cards(user, request):
    if not user.is_authenticated:
        return []
    return _judge_cards(user) + _chief_cards(user) + _arbitrator_cards(user) + _appellant_cards(user)
