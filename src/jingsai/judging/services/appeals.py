"""Appeals (申诉): filed in writing within the window after the practical ends, decided once
and for all by the arbitration group; an upheld appeal reopens the marks for re-marking."""

import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from jingsai.core import audit
from jingsai.core.errors import UserError

from ..models import Appeal, AppealStatus
from .marking import reopen_for_remarking
from .venue import stage_end

DEFAULT_WINDOW_MINUTES = 120
MAX_TEXT = 5000


def window_minutes(competition):
    return int(competition.spec.get("appeal_window_minutes") or DEFAULT_WINDOW_MINUTES)


def deadline(stage):
    """When appeals about the stage close, or None while its practical has not ended."""
    end = stage_end(stage)
    if end is None:
        return None
    return end.ended_at + datetime.timedelta(minutes=window_minutes(stage.competition))


def open_entries(entries, now=None):
    """Those of `entries` (a queryset) whose stage still takes appeals, with their deadline:
    [(entry, deadline)] in deadline order."""
    now = now or timezone.now()
    found = []
    for entry in entries.filter(stage__judging_end__isnull=False).select_related(
            "stage__judging_end", "stage__competition", "person", "unit")[:1000]:
        closes = entry.stage.judging_end.ended_at + datetime.timedelta(
            minutes=window_minutes(entry.stage.competition))
        if now <= closes:
            found.append((entry, closes))
    return sorted(found, key=lambda pair: (pair[1], pair[0].pk))


def refusal(stage, now=None):
    """Why an appeal about the stage cannot be filed now (None when it can)."""
    now = now or timezone.now()
    closes = deadline(stage)
    if closes is None:
        return _("Appeals can be filed once the practical of this stage has ended.")
    if now > closes:
        return _(
            "Appeals closed at %(deadline)s, %(minutes)s minutes after the practical ended; "
            "an appeal filed later cannot be accepted."
        ) % {"deadline": timezone.localtime(closes).strftime("%Y-%m-%d %H:%M"),
             "minutes": window_minutes(stage.competition)}
    return None


def file_appeal(actor, entry, *, text, aspects=()):
    """File a written appeal about an entry's marks. A late appeal is refused with the
    reason, and the refused attempt is kept in the audit log."""
    text = (text or "").strip()
    if not text:
        raise UserError(_("Write what the appeal is about."), code="text")
    if len(text) > MAX_TEXT:
        raise UserError(_("An appeal is at most 5000 characters."), code="text")
    why = refusal(entry.stage)
    if why:
        audit.record(actor, "judging.appeal_refused", entry, reason=why)
        raise UserError(why, code="late")
    return _create(actor, entry, text, aspects)


@transaction.atomic
def _create(actor, entry, text, aspects):
    appeal = Appeal.objects.create(entry=entry, stage=entry.stage, text=text, filed_by=actor)
    if aspects:
        appeal.aspects.set(aspects)
    audit.record(actor, "judging.appeal", entry, data={"appeal": appeal.pk, "aspects": [a.code for a in aspects]})
    return appeal


@transaction.atomic
def decide(actor, appeal, *, upheld, ruling):
    """The arbitration group's ruling, final once given. Upheld: the contestant's marks (of
    the aspects concerned, or all) are unlocked and their judges asked to mark them again
    (re-scoring requested); the station is signed off again only once they have."""
    appeal = Appeal.objects.select_for_update().select_related("entry", "stage").get(pk=appeal.pk)
    if appeal.status != AppealStatus.PENDING:
        raise UserError(_("This appeal has been ruled on; the ruling is final."), code="final")
    ruling = (ruling or "").strip()
    if not ruling:
        raise UserError(_("Give the reasons for the ruling."), code="ruling")
    appeal.status = AppealStatus.UPHELD if upheld else AppealStatus.REJECTED
    appeal.ruling, appeal.decided_at, appeal.decided_by = ruling, timezone.now(), actor
    appeal.save(update_fields=["status", "ruling", "decided_at", "decided_by"])
    reopened = []
    contestant = getattr(appeal.entry, "contestant", None)
    if upheld and contestant is not None:
        reopened = reopen_for_remarking(
            actor, contestant, aspects=list(appeal.aspects.all()) or None, appeal=appeal,
            reason=_("Appeal %(number)s upheld: %(ruling)s") % {"number": appeal.pk, "ruling": ruling},
        )
    audit.record(actor, "judging.appeal_decide", appeal.entry, reason=ruling,
                 changes={"status": [AppealStatus.PENDING, appeal.status]},
                 data={"appeal": appeal.pk, "reopened": len(reopened)})
    return appeal

