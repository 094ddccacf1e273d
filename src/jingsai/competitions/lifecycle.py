"""The competition lifecycle: which status may follow which, and what must hold first.

draft → registration_open → registration_closed → in_progress → scoring → publicity →
final → archived, with a step back where organizers need one (reopening registration,
returning from publicity to scoring when an objection is upheld). A step back needs a
reason, recorded with it.

Other apps add their conditions with @guard(from_status, to_status) in their own
`lifecycle.py`, imported by their AppConfig.ready(): a guard takes the competition and
returns None when the step may happen, or a message saying what must happen first.

This module's own guards need only the competition, its rules and its recorded steps
(and, read-only, how many entries registration holds):

  draft → registration_open        the rules name the registration window and the start
                                   date, and the deadline is still ahead
  registration_open → draft        no entry has been made yet
  registration_closed → reg. open  the deadline is still ahead
  registration_closed → in_progress  the first stage has approved entries and none
                                   still awaits approval
  publicity → final                the publicity period of the rules has run its course
                                   (counted from the recorded step into publicity)

Who may move a competition is a permission ("competitions.transition"), asked by the
pages, the API and the command line before they call services.transition().
"""

import datetime as dt
from collections import defaultdict

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from .models import Status

TRANSITIONS = {
    Status.DRAFT: (Status.REGISTRATION_OPEN,),
    Status.REGISTRATION_OPEN: (Status.REGISTRATION_CLOSED, Status.DRAFT),
    Status.REGISTRATION_CLOSED: (Status.IN_PROGRESS, Status.REGISTRATION_OPEN),
    Status.IN_PROGRESS: (Status.SCORING,),
    Status.SCORING: (Status.PUBLICITY,),
    Status.PUBLICITY: (Status.FINAL, Status.SCORING),
    Status.FINAL: (Status.ARCHIVED,),
    Status.ARCHIVED: (),
}

# Steps back: they undo what others relied on, so each needs a recorded reason.
BACKWARD = {
    (Status.REGISTRATION_OPEN, Status.DRAFT),
    (Status.REGISTRATION_CLOSED, Status.REGISTRATION_OPEN),
    (Status.PUBLICITY, Status.SCORING),
}

# Once registration opens the rules are frozen: changing them needs a reason. Once the
# results are final they no longer change at all.
EDITABLE_STATUSES = (Status.DRAFT,)
CLOSED_STATUSES = (Status.FINAL, Status.ARCHIVED)

_guards = defaultdict(list)


def guard(from_status, to_status):
    def register(function):
        _guards[(from_status, to_status)].append(function)
        return function

    return register


_component_users = []


def component_user(function):
    """Register function(competition, keys) -> those of the component keys that the app
    holds scores for or records into (results, exams, judging register theirs). The rules
    cannot drop such a component (services.load_competition)."""
    _component_users.append(function)
    return function


def components_in_use(competition, keys):
    return set().union(*(function(competition, keys) for function in _component_users)) if keys else set()


_scale_users = []


def scale_user(function):
    """Register function(competition, keys) -> those of the component keys holding scores
    the app worked out on the component's maximum (exams: a paper's points scaled to it).
    The rules cannot change such a component's maximum (services.load_competition): the
    scores would be read on another scale."""
    _scale_users.append(function)
    return function


def components_on_scale(competition, keys):
    return set().union(*(function(competition, keys) for function in _scale_users)) if keys else set()


def allowed_next(competition):
    return TRANSITIONS[Status(competition.status)]


def needs_reason(from_status, to_status):
    return (Status(from_status), Status(to_status)) in BACKWARD


def blockers(competition, to_status):
    """Messages saying what must happen before `competition` may move to `to_status`."""
    return [m for m in (g(competition) for g in _guards[(competition.status, to_status)]) if m]


def steps(competition):
    """[(to_status, blockers)] for every status the competition may move to next."""
    return [(to, blockers(competition, to)) for to in allowed_next(competition)]


def _when(value):
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")


def _entries(competition):
    # Registration owns entries; this reads them and never writes.
    from jingsai.registration.models import Entry

    return Entry.objects.filter(competition=competition)


@guard(Status.DRAFT, Status.REGISTRATION_OPEN)
def registration_window_set(competition):
    if competition.registration_opens is None or competition.registration_closes is None:
        return _("Set when registration opens and closes (the schedule in the rules) first.")
    return None


@guard(Status.DRAFT, Status.REGISTRATION_OPEN)
@guard(Status.REGISTRATION_CLOSED, Status.REGISTRATION_OPEN)
def deadline_ahead(competition):
    closes = competition.registration_closes
    if closes is not None and closes <= timezone.now():
        return _("The registration deadline (%(when)s) has passed: set a later one in the rules first.") % {
            "when": _when(closes)}
    return None


@guard(Status.DRAFT, Status.REGISTRATION_OPEN)
def start_date_set(competition):
    if competition.starts_at is None:
        return _("Set the date the competition starts (the schedule in the rules) first: "
                 "ages are counted on it.")
    return None


@guard(Status.REGISTRATION_OPEN, Status.DRAFT)
def no_entries_yet(competition):
    count = _entries(competition).count()
    if count:
        return ngettext(
            "%(count)s entry has been made: close registration instead of returning to draft.",
            "%(count)s entries have been made: close registration instead of returning to draft.",
            count,
        ) % {"count": count}
    return None


def _first_stage_entries(competition):
    first = competition.stages.order_by("order").values_list("pk", flat=True).first()
    return _entries(competition).filter(stage_id=first)


@guard(Status.REGISTRATION_CLOSED, Status.IN_PROGRESS)
def entries_approved(competition):
    from jingsai.registration.models import EntryStatus

    if not _first_stage_entries(competition).filter(status=EntryStatus.APPROVED).exists():
        return _("No entry is approved yet: approve the entries before the competition starts.")
    return None


@guard(Status.REGISTRATION_CLOSED, Status.IN_PROGRESS)
def nothing_awaiting_approval(competition):
    from jingsai.registration.models import EntryStatus

    count = _first_stage_entries(competition).filter(
        status__in=(EntryStatus.SUBMITTED, EntryStatus.UNIT_APPROVED)).count()
    if count:
        return ngettext(
            "%(count)s entry still awaits approval: approve or reject it first.",
            "%(count)s entries still await approval: approve or reject them first.",
            count,
        ) % {"count": count}
    return None


def publicity_ends(competition):
    """When the publicity period ends, or None if the step into publicity was not
    recorded (a competition whose state was set outside the lifecycle)."""
    since = competition.status_since(Status.PUBLICITY)
    if since is None:
        return None
    return since + dt.timedelta(days=(competition.spec or {}).get("publicity_days") or 5)


@guard(Status.PUBLICITY, Status.FINAL)
def publicity_served(competition):
    ends = publicity_ends(competition)
    if ends is not None and timezone.now() < ends:
        days = (competition.spec or {}).get("publicity_days") or 5
        return ngettext(
            "Publicity lasts %(days)s day, until %(when)s: the results cannot be final before then.",
            "Publicity lasts %(days)s days, until %(when)s: the results cannot be final before then.",
            days,
        ) % {"days": days, "when": _when(ends)}
    return None
