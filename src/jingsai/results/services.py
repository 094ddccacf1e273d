"""Component scores and absences: how exams, judging and imports hand scores to results.

Every change is audited with the old and the new value; a score is never overwritten
silently."""

from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext as _

from jingsai.core import audit
from jingsai.core.errors import UserError
from jingsai.core.numbers import NumberError, parse_decimal

from .models import ComponentScore, ScoreSource, ScoreStatus

MAX_PLACES = 6


def component_of(competition, key):
    for component in competition.spec.get("components", []):
        if component["key"] == key:
            return component
    raise UserError(
        _("The competition has no component “%(key)s”.") % {"key": key}, code="unknown_component"
    )


def check_score(competition, key, value):
    """The score as a Decimal, or UserError: within 0..max, at most 6 decimal places."""
    component = component_of(competition, key)
    if value is None:
        return None
    try:
        number = parse_decimal(value)
    except NumberError:
        raise UserError(_("“%(value)s” is not a number.") % {"value": value}, code="not_a_number") from None
    maximum = Decimal(str(component["max"]))
    if not Decimal(0) <= number <= maximum:
        raise UserError(
            _("A %(name)s score must be between 0 and %(max)s; %(value)s is not.")
            % {"name": component["name"], "max": maximum, "value": number},
            code="out_of_range",
        )
    if -number.as_tuple().exponent > MAX_PLACES:
        raise UserError(_("A score has at most 6 decimal places."), code="too_precise")
    return number


@transaction.atomic
def set_component_score(actor, entry, component, value, *, time_seconds=None, source=ScoreSource.MANUAL, reason=""):
    """Record one component score (None clears it). Returns the ComponentScore."""
    number = check_score(entry.competition, component, value)
    score = ComponentScore.objects.select_for_update().filter(entry=entry, component=component).first()
    if score is None:
        score = ComponentScore.objects.create(
            entry=entry, component=component, value=number, time_seconds=time_seconds, source=source,
            recorded_by=actor,
        )
        audit.record(actor, "results.score", entry, reason=reason,
                     changes={component: [None, number], "time": [None, time_seconds]}, data={"source": source})
        return score
    changes = {}
    if score.value != number:
        changes[component] = [score.value, number]
    if score.time_seconds != time_seconds:
        changes["time"] = [score.time_seconds, time_seconds]
    if changes:
        score.value, score.time_seconds, score.source, score.recorded_by = number, time_seconds, source, actor
        score.save()
        audit.record(actor, "results.score", entry, reason=reason, changes=changes, data={"source": source})
    return score


@transaction.atomic
def set_score_status(actor, entry, status, *, reason=""):
    """Mark an entry absent or disqualified (status None clears the mark)."""
    current = ScoreStatus.objects.filter(entry=entry).first()
    old = current.status if current else None
    if old == status:
        return current
    if status is None:
        current.delete()
        result = None
    elif current is None:
        result = ScoreStatus.objects.create(entry=entry, status=status, reason=reason, recorded_by=actor)
    else:
        current.status, current.reason, current.recorded_by = status, reason, actor
        current.save()
        result = current
    audit.record(actor, "results.status", entry, reason=reason, changes={"status": [old, status]})
    return result
