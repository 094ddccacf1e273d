"""The venue: contestants of a stage, check-in with identity confirmed, the two draws (blind
numbering), the end of the practical and each contestant's practical time."""

import re
import secrets

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from jingsai.competitions.models import Competition, Stage, Status
from jingsai.core import audit
from jingsai.core.errors import UserError
from jingsai.registration.models import EntryStatus
from jingsai.results import services as results_services
from jingsai.results.models import ScoreStatus

from ..models import CheckIn, Contestant, Draw, DrawKind, Mark, StageEnd

VENUE_STATUSES = (Status.REGISTRATION_CLOSED, Status.IN_PROGRESS)
DURATION_RE = re.compile(r"^(?:(\d+):)?(\d{1,3}):(\d{1,2})$")
MAX_SECONDS = 7 * 24 * 3600


def require_status(competition, allowed, doing):
    if competition.status not in allowed:
        raise UserError(
            _("%(doing)s is not possible while the competition is “%(status)s”.")
            % {"doing": doing, "status": competition.get_status_display()},
            code="status",
        )


def sync_contestants(stage):
    """Make sure every approved entry of the stage has its row at the venue."""
    missing = stage.entries.filter(status=EntryStatus.APPROVED, contestant__isnull=True).values_list("pk", flat=True)
    Contestant.objects.bulk_create([Contestant(stage=stage, entry_id=pk) for pk in missing], batch_size=2000,
                                   ignore_conflicts=True)


def contestants(stage):
    """The stage's contestants (approved entries), absent ones included."""
    sync_contestants(stage)
    return Contestant.objects.filter(stage=stage, entry__status=EntryStatus.APPROVED).select_related("entry")


def active_contestants(stage):
    """The contestants who are not absent: those who are (or will be) marked."""
    return contestants(stage).exclude(checkin=CheckIn.ABSENT)


def entry_for_contestant_number(stage, number):
    """The entry holding contestant number `number` (参赛号, the first draw) in `stage`, or None."""
    try:
        number = int(str(number).strip())
    except (TypeError, ValueError):
        return None
    found = Contestant.objects.filter(stage=stage, contestant_number=number).select_related("entry").first()
    return found.entry if found else None


def lock_contestant(contestant_id):
    """Lock a contestant's row for a change (a mark, a check-in, ...), and its stage's and
    competition's rows FOR SHARE, until the transaction ends.

    The shared locks keep the change apart from a step of the competition (transition()) and
    from the stage's results being worked on (results.services), which lock those rows for
    update, so a change that read "marking open" commits before the step or sees it. Changes
    of different contestants share them and do not wait for each other. A select_for_update()
    through select_related() would lock every joined row FOR UPDATE: the competition's (so
    every mark of a competition waited for the one before it) and the unit's (so a worker or
    an entry of that unit being added waited for the mark)."""
    if connection.vendor != "postgresql":  # SQLite: one writer at a time
        return
    with connection.cursor() as cursor:
        # One statement. PostgreSQL locks its rows in the order of the locking clauses (and
        # of the tables each names): stage, competition, contestant, the order in which the
        # results' services (stage, then competition) and a draw or a re-marking (stage, then
        # contestants) lock. A change that waits for the stage then holds no contestant
        # another is waiting for. Keep FOR SHARE first: the other way round, a mark and a
        # draw deadlocked (tests/judging/test_row_locks.py, on PostgreSQL).
        cursor.execute(
            f"SELECT 1 FROM {Stage._meta.db_table} s "  # noqa: S608 - table names, no input
            f"JOIN {Competition._meta.db_table} c ON c.id = s.competition_id "
            f"JOIN {Contestant._meta.db_table} t ON t.stage_id = s.id "
            "WHERE t.id = %s FOR SHARE OF s, c FOR UPDATE OF t", [contestant_id])


def _locked(contestant):
    lock_contestant(contestant.pk)
    return Contestant.objects.select_related("entry__person", "stage__competition").get(pk=contestant.pk)


@transaction.atomic
def check_in(actor, contestant, *, id_last4):
    """Check a contestant in once the last four characters of the identity card match."""
    contestant = _locked(contestant)
    require_status(contestant.stage.competition, VENUE_STATUSES, _("Check-in"))
    given = (id_last4 or "").strip().upper()
    if len(given) != 4:
        raise UserError(_("Enter the last four characters of the identity card."), code="id_last4")
    if contestant.entry.person.id_number[-4:].upper() != given:
        raise UserError(
            _("The last four characters do not match the identity number on record. Check the card again."),
            code="mismatch",
        )
    return _present(actor, contestant, how="id_last4")


@transaction.atomic
def check_in_listed(actor, contestant, *, how):
    """Check a contestant in whose identity was confirmed otherwise: by the full identity
    number (`how="id_number"`) or on the venue's signed check-in list keyed in from a file
    (`how="list"`). The audit record says which."""
    contestant = _locked(contestant)
    require_status(contestant.stage.competition, VENUE_STATUSES, _("Check-in"))
    return _present(actor, contestant, how=how)


def _present(actor, contestant, *, how):
    old = contestant.checkin
    if old == CheckIn.PRESENT:
        return contestant
    contestant.checkin, contestant.checked_in_at, contestant.checked_in_by = CheckIn.PRESENT, timezone.now(), actor
    contestant.absence_reason = ""
    contestant.save(update_fields=["checkin", "checked_in_at", "checked_in_by", "absence_reason"])
    if old == CheckIn.ABSENT:
        results_services.set_score_status(actor, contestant.entry, None, reason=_("Checked in after all"))
    audit.record(actor, "judging.check_in", contestant.entry, changes={"checkin": [old, CheckIn.PRESENT]},
                 data={"stage": contestant.stage.key, "confirmed_by": how})
    return contestant


@transaction.atomic
def mark_absent(actor, contestant, *, reason=""):
    """Record an absentee (缺考): the entry is absent in the results as well."""
    contestant = _locked(contestant)
    require_status(contestant.stage.competition, VENUE_STATUSES, _("Check-in"))
    if contestant.checkin == CheckIn.ABSENT:
        return contestant
    if Mark.objects.filter(contestant=contestant).exists():
        raise UserError(_("This contestant has marks already and cannot be recorded absent."))
    if contestant.station_number is not None:
        raise UserError(_("This contestant has drawn a station already and cannot be recorded absent."))
    old = contestant.checkin
    reason = (reason or "").strip() or _("Did not check in")
    contestant.checkin, contestant.checked_in_at, contestant.checked_in_by = CheckIn.ABSENT, timezone.now(), actor
    contestant.absence_reason = reason[:200]
    contestant.save(update_fields=["checkin", "checked_in_at", "checked_in_by", "absence_reason"])
    results_services.set_score_status(actor, contestant.entry, ScoreStatus.Status.ABSENT, reason=reason)
    audit.record(actor, "judging.absent", contestant.entry, reason=reason,
                 changes={"checkin": [old, CheckIn.ABSENT]}, data={"stage": contestant.stage.key})
    return contestant


def draw_done(stage, kind):
    return Draw.objects.filter(stage=stage, kind=kind).first()


@transaction.atomic
def draw(actor, stage, kind):
    """Draw contestant numbers (first draw) or station numbers (second draw) with the
    operating system's secure random source; the draw and its mapping are recorded."""
    stage = Stage.objects.select_for_update().select_related("competition").get(pk=stage.pk)
    require_status(stage.competition, VENUE_STATUSES, _("A draw"))
    kind = DrawKind(kind)
    if draw_done(stage, kind):
        raise UserError(_("%(draw)s was already made for this stage; it is never repeated.")
                        % {"draw": kind.label}, code="drawn")
    pool = list(active_contestants(stage).order_by("pk"))
    if kind == DrawKind.STATION:
        if not draw_done(stage, DrawKind.CONTESTANT):
            raise UserError(_("Make the first draw (contestant numbers) first."), code="order")
        pending = [c for c in pool if c.checkin == CheckIn.PENDING]
        if pending:
            raise UserError(
                _("%(count)s contestants are neither checked in nor recorded absent; finish check-in first.")
                % {"count": len(pending)}, code="checkin",
            )
    if not pool:
        raise UserError(_("The stage has no contestants to draw for."), code="empty")
    numbers = list(range(1, len(pool) + 1))
    secrets.SystemRandom().shuffle(numbers)
    field = "contestant_number" if kind == DrawKind.CONTESTANT else "station_number"
    for contestant, number in zip(pool, numbers, strict=True):
        setattr(contestant, field, number)
    Contestant.objects.bulk_update(pool, [field], batch_size=2000)
    record = Draw.objects.create(stage=stage, kind=kind, drawn_by=actor,
                                 mapping={str(c.entry_id): getattr(c, field) for c in pool})
    audit.record(actor, "judging.draw", stage.competition, data={"stage": stage.key, "kind": kind, "count": len(pool)})
    return record


def stage_end(stage):
    return StageEnd.objects.filter(stage=stage).first()


@transaction.atomic
def end_stage(actor, stage):
    """Record that the practical of the stage is over: the appeal window starts now."""
    if stage_end(stage):
        raise UserError(_("The practical of this stage has already ended."), code="ended")
    require_status(stage.competition, (Status.IN_PROGRESS, Status.SCORING), _("Ending the practical"))
    record = StageEnd.objects.create(stage=stage, ended_by=actor)
    audit.record(actor, "judging.end_stage", stage.competition, data={"stage": stage.key})
    return record


def parse_duration(text):
    """Seconds from "1:02:03", "62:03" or "3723"."""
    raw = str(text or "").strip()
    if raw.isdigit():
        seconds = int(raw)
    else:
        match = DURATION_RE.match(raw)
        if not match or int(match.group(3)) >= 60:
            raise UserError(_("Write the time as minutes:seconds (e.g. 52:30) or as seconds."), code="time")
        hours, minutes, secs = int(match.group(1) or 0), int(match.group(2)), int(match.group(3))
        if match.group(1) and minutes >= 60:
            raise UserError(_("Write the time as minutes:seconds (e.g. 52:30) or as seconds."), code="time")
        seconds = hours * 3600 + minutes * 60 + secs
    if not 0 < seconds <= MAX_SECONDS:
        raise UserError(_("A practical time is more than 0 seconds and at most a week."), code="time")
    return seconds


@transaction.atomic
def record_time(actor, contestant, seconds, *, reason=""):
    """The time a contestant used for the practical (feeds time tie-breakers)."""
    from .marking import recompute_if_unblinded

    contestant = _locked(contestant)
    if contestant.checkin == CheckIn.ABSENT:
        raise UserError(_("An absent contestant has no practical time."))
    seconds = parse_duration(seconds) if not isinstance(seconds, int) else seconds
    if not 0 < seconds <= MAX_SECONDS:
        raise UserError(_("A practical time is more than 0 seconds and at most a week."), code="time")
    old = contestant.time_seconds
    if old == seconds:
        return contestant
    if old is not None and not (reason or "").strip() and contestant.signed_off:
        raise UserError(_("Say why a signed-off contestant's time changes."), code="reason")
    contestant.time_seconds = seconds
    contestant.save(update_fields=["time_seconds"])
    audit.record(actor, "judging.time", contestant.entry, reason=reason, changes={"time": [old, seconds]},
                 data={"stage": contestant.stage.key, "station": contestant.station_number})
    recompute_if_unblinded(actor, contestant, reason=reason or _("Practical time recorded"))
    return contestant


def format_duration(seconds):
    if seconds is None:
        return ""
    hours, rest = divmod(int(seconds), 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"
