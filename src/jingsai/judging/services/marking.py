"""Judges' marks: who marks what, entering a mark (idempotent, never overwriting a newer
one), the rules checked on entry, review, sign-off and locking, unlocking with a reason,
re-scoring, paper sheets keyed twice, unblinding and the practical score it yields.

The arithmetic is the results engine's (results-rules.md §3): `validate_aspect_scores`,
`j_discrepancy`, `aspect_mark`, `practical_component`."""

import datetime
import hashlib
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from jingsai.competitions.models import Status
from jingsai.core import audit
from jingsai.core.errors import Problem, Rejected, UserError
from jingsai.core.numbers import NumberError, parse_decimal
from jingsai.results import engine
from jingsai.results import services as results_services
from jingsai.results.models import ScoreSource

from .. import conflicts
from ..models import (
    AspectType,
    CheckIn,
    Contestant,
    JudgeRole,
    Mark,
    MarkAction,
    MarkEvent,
    MarkSource,
    PaperSheet,
    PaperStatus,
    Unblinding,
    UnblindStep,
)
from . import schemes
from .venue import active_contestants, lock_contestant, require_status

MARKING_STATUSES = (Status.IN_PROGRESS, Status.SCORING, Status.PUBLICITY)
MARK_PLACES = 3
# A device whose clock runs ahead must not make its marks unbeatable.
CLOCK_TOLERANCE = datetime.timedelta(minutes=2)


# --------------------------------------------------------------------------
# Who marks what
# --------------------------------------------------------------------------


class Plan:
    """Which judges mark which aspects at which stations of a stage.

    With panels, a judge marks the aspects of the panels they sit on, at the stations those
    panels cover. Without panels the competition's judges (role 裁判) form one panel that
    marks every aspect everywhere. Nobody ever marks a contestant they are in conflict with."""

    def __init__(self, stage):
        self.stage = stage
        self.competition = stage.competition
        self.scheme = schemes.scheme_of(self.competition)
        self.aspects = schemes.aspects(self.scheme) if self.scheme else []
        self.panels = list(stage.judging_panels.prefetch_related("aspects", "members__judge__unit"))
        self.assignments = list(self.competition.judge_assignments.select_related("judge__unit"))
        self._panel_aspects = {p.pk: {a.pk for a in p.aspects.all()} for p in self.panels}
        self._blocked = {}

    @property
    def open(self):
        return not self.panels

    def blocked(self, judge):
        """The ids of the stage's contestants the judge is in conflict with."""
        if judge.pk not in self._blocked:
            self._blocked[judge.pk] = conflicts.conflicted_contestant_ids(
                judge, Contestant.objects.filter(stage=self.stage))
        return self._blocked[judge.pk]

    def panel_judges(self, aspect, station_number):
        if self.open:
            return [a.judge for a in self.assignments if a.role == JudgeRole.JUDGE]
        seen, out = set(), []
        for panel in self.panels:
            if aspect.pk in self._panel_aspects[panel.pk] and panel.covers_station(station_number):
                for member in panel.members.all():
                    if member.judge_id not in seen:
                        seen.add(member.judge_id)
                        out.append(member.judge)
        return out

    def markers(self, aspect, contestant):
        """The judges expected to mark this aspect of this contestant."""
        return [j for j in self.panel_judges(aspect, contestant.station_number)
                if contestant.pk not in self.blocked(j)]

    def aspects_for(self, judge, contestant):
        """The aspects `judge` marks at this contestant's station (none when in conflict)."""
        if judge is None or contestant.pk in self.blocked(judge):
            return []
        if self.open:
            ok = any(a.judge_id == judge.pk and a.role == JudgeRole.JUDGE for a in self.assignments)
            return list(self.aspects) if ok else []
        ids = set()
        for panel in self.panels:
            if panel.covers_station(contestant.station_number) and any(
                m.judge_id == judge.pk for m in panel.members.all()
            ):
                ids |= self._panel_aspects[panel.pk]
        return [a for a in self.aspects if a.pk in ids]

    def stations_for(self, judge, contestants):
        """The contestants (with a station number) at which the judge has aspects to mark."""
        return [c for c in contestants if c.station_number is not None and self.aspects_for(judge, c)]

    def judge_marks(self, judge, contestants):
        """{contestant id: {aspect id: Mark}} as the judge sees them on the mark entry page:
        their own marks, and each M aspect's one mark whoever of the panel entered it."""
        measured = {a.pk for a in self.aspects if a.type == AspectType.MEASUREMENT}
        found = defaultdict(dict)
        for mark in Mark.objects.filter(contestant__in=contestants):
            if mark.judge_id == judge.pk or mark.aspect_id in measured:
                found[mark.contestant_id][mark.aspect_id] = mark
        return found


# --------------------------------------------------------------------------
# Values and the rules checked on entry
# --------------------------------------------------------------------------


def describe(problem, aspect=None):
    """An engine problem (results.engine.validate_aspect_scores) as a sentence."""
    code, params = problem["code"], problem.get("params", {})
    label = aspect.code if aspect is not None else problem.get("aspect")
    messages = {
        "no_scores": _("%(aspect)s has no marks yet."),
        "m_needs_one_mark": _("%(aspect)s is measured once per contestant, but has %(count)s marks."),
        "m_binary_invalid": _("%(aspect)s is all or nothing: the mark is 0 or %(max)s, not %(value)s."),
        "score_out_of_range": _("%(aspect)s is marked from 0 to %(max)s; %(value)s is outside."),
        "j_score_not_integer": _("%(aspect)s is a judgement: each judge gives a whole number 0, 1, 2 or 3, "
                                 "not %(value)s."),
        "j_score_out_of_range": _("%(aspect)s is a judgement: each judge gives 0, 1, 2 or 3, not %(value)s."),
        "too_few_judges": _("%(aspect)s is a judgement and needs at least %(min)s judges; it has %(count)s."),
        "missing_marks": _("%(aspect)s has no marks yet."),
    }
    template = messages.get(code, _("%(aspect)s: “%(value)s” is not a valid mark."))
    return template % {"aspect": label, "value": params.get("value", ""), "max": params.get("max", ""),
                       "count": params.get("count", ""), "min": params.get("min", "")}


def parse_value(aspect, value):
    """The mark as a Decimal, checked against the aspect's rules, or UserError saying why."""
    try:
        number = parse_decimal(value, allow_float=True)
    except NumberError:
        raise UserError(_("“%(value)s” is not a number.") % {"value": value}, code="not_a_number") from None
    if -number.normalize().as_tuple().exponent > MARK_PLACES:
        raise UserError(_("A mark has at most 3 decimal places."), code="too_precise")
    found = [p for p in engine.validate_aspect_scores(aspect.as_rule(), [number]) if p["code"] != "too_few_judges"]
    if found:
        raise UserError(describe(found[0], aspect), code=found[0]["code"])
    return number


def shown(value):
    """A mark as people write it: 2, 7.5 (never 2.000)."""
    return None if value is None else f"{Decimal(value).normalize():f}"


# --------------------------------------------------------------------------
# Review: what is missing, what breaks the rules, what each aspect is worth
# --------------------------------------------------------------------------


@dataclass
class AspectReview:
    aspect: object
    marks: list
    expected: list
    missing: list
    problems: list = field(default_factory=list)
    discrepancy: bool = False
    mark: Fraction | None = None
    rescore: bool = False
    set_aside: list = field(default_factory=list)

    @property
    def values(self):
        return [m.value for m in self.marks]


@dataclass
class StationReview:
    contestant: object
    aspects: list

    @property
    def blockers(self):
        out = []
        for item in self.aspects:
            if item.missing and item.aspect.type == AspectType.MEASUREMENT:
                out.append(_("%(aspect)s: not yet measured.") % {"aspect": item.aspect.code})
            elif item.missing:
                out.append(_("%(aspect)s: not yet marked by %(judges)s.")
                           % {"aspect": item.aspect.code, "judges": "、".join(j.code for j in item.missing)})
            out.extend(item.problems)
            waiting = [m for m in item.marks if m.rescore_requested]
            if waiting:
                out.append(_("%(aspect)s: it is to be marked again; not yet re-marked by %(judges)s.")
                           % {"aspect": item.aspect.code, "judges": "、".join(m.judge.code for m in waiting)})
            if item.discrepancy:
                out.append(_("%(aspect)s: the judges' scores differ by more than 1; it must be re-scored.")
                           % {"aspect": item.aspect.code})
        return out

    @property
    def notes(self):
        """What the chief judge must know but does not block sign-off: marks set aside
        because their judge is now in conflict of interest with the contestant."""
        return [_("%(aspect)s: the mark %(value)s by %(judge)s does not count: a conflict of interest (回避) "
                  "with this contestant was declared after it was given.")
                % {"aspect": item.aspect.code, "value": shown(m.value), "judge": m.judge.code}
                for item in self.aspects for m in item.set_aside]

    @property
    def missing_count(self):
        return sum(len(item.missing) for item in self.aspects)

    @property
    def discrepancies(self):
        return [item for item in self.aspects if item.discrepancy]

    @property
    def signable(self):
        return not self.contestant.signed_off and not self.blockers


def review(contestant, plan=None, marks=None):
    """Every aspect of a contestant's marks checked against the rules of §3.

    A mark whose judge is (now) in conflict of interest with the contestant — a
    relationship declared after the mark was given — does not count: it is listed as set
    aside, and the aspect needs marks from judges free of conflict instead."""
    plan = plan or Plan(contestant.stage)
    if marks is None:
        marks = list(contestant.marks.select_related("judge", "aspect"))
    by_aspect, aside = {}, {}
    for mark in marks:
        target = aside if contestant.pk in plan.blocked(mark.judge) else by_aspect
        target.setdefault(mark.aspect_id, []).append(mark)
    items = []
    for aspect in plan.aspects:
        given = sorted(by_aspect.get(aspect.pk, []), key=lambda m: m.judge.code)
        expected = plan.markers(aspect, contestant)
        if aspect.type == AspectType.MEASUREMENT:
            missing = expected[:1] if not given and expected else []
        else:
            marked = {m.judge_id for m in given}
            missing = [j for j in expected if j.pk not in marked]
        item = AspectReview(aspect=aspect, marks=given, expected=expected, missing=missing,
                            rescore=any(m.rescore_requested for m in given),
                            set_aside=sorted(aside.get(aspect.pk, []), key=lambda m: m.judge.code))
        if not given and not expected:
            item.problems.append(_("%(aspect)s: no judge without a conflict of interest can mark it here.")
                                 % {"aspect": aspect.code})
        elif given and not missing:
            item.problems = [describe(p, aspect) for p in engine.validate_aspect_scores(aspect.as_rule(), item.values)]
            if aspect.type == AspectType.JUDGEMENT and len(given) > 1:
                item.discrepancy = engine.j_discrepancy(item.values)
            if not item.problems:
                item.mark = engine.aspect_mark(aspect.as_rule(), item.values)
        elif aspect.type == AspectType.JUDGEMENT and len(given) > 1:
            item.discrepancy = engine.j_discrepancy(item.values)
        items.append(item)
    return StationReview(contestant=contestant, aspects=items)


def stage_reviews(stage, plan=None):
    """The review of every active contestant of the stage, in a fixed number of queries."""
    plan = plan or Plan(stage)
    contestants = list(active_contestants(stage)
                       .select_related("stage__competition", "entry__competition", "entry__stage", "entry__person")
                       .order_by("station_number", "contestant_number", "pk"))
    marks = {}
    for mark in Mark.objects.filter(contestant__stage=stage).select_related("judge", "aspect"):
        marks.setdefault(mark.contestant_id, []).append(mark)
    return [review(c, plan, marks.get(c.pk, [])) for c in contestants]


# --------------------------------------------------------------------------
# Entering marks
# --------------------------------------------------------------------------


def _lock(contestant):
    lock_contestant(contestant.pk)
    return Contestant.objects.select_related("stage__competition", "entry__unit").get(pk=contestant.pk)


def ensure_frozen(actor, scheme):
    if not scheme.frozen:
        try:
            schemes.freeze(actor, scheme, reason=_("Marking started"))
        except Rejected as rejected:
            raise UserError(rejected.message, code="scheme_invalid") from None
        scheme.refresh_from_db()


def signed_off_error(contestant, aspect):
    """The refusal of a mark (new or changed) for a station the chief judge has signed off."""
    return UserError(
        _("Station %(station)s is signed off and its marks are locked: no mark of %(aspect)s can be given or "
          "changed until the chief judge unlocks it.") % {"station": contestant.station_number, "aspect": aspect.code},
        code="locked",
    )


def require_open(contestant, aspect):
    """Refuse any mark, even a first one, for a signed-off station (every path: page, API,
    import, paper keying); the chief judge unlocks a mark first, which reopens the station."""
    if contestant.signed_off:
        raise signed_off_error(contestant, aspect)


def _check_free(judge, contestant, who=None):
    if conflicts.in_conflict(judge, contestant.entry):
        raise UserError(
            _("%(judge)s has a conflict of interest with this contestant and may not mark them.")
            % {"judge": who or judge}, code="forbidden",
        )


def rescore_appeals(marks):
    """{mark id: the number of the upheld appeal that asked for it again, or None when the
    chief judge did}, for the marks among `marks` (None for missing ones) awaiting a re-mark."""
    waiting = [mark.pk for mark in marks if mark is not None and mark.rescore_requested]
    causes = {}
    if waiting:
        for mark_id, appeal_id in (MarkEvent.objects.filter(mark_id__in=waiting, action=MarkAction.RESCORE)
                                   .order_by("at", "pk").values_list("mark_id", "appeal_id")):
            causes[mark_id] = appeal_id  # the latest request is the one pending
    return causes


def _event(mark, action, by, *, old=None, new=None, reason="", source="", key=None, at=None, appeal=None):
    return MarkEvent(mark=mark, action=action, old=old, new=new, by=by, at=at or timezone.now(),
                     reason=(reason or "")[:500], source=source, key=key, appeal=appeal)


def scoped_key(judge, key):
    """The stored form of a device's idempotency key: scoped by the judge whose mark it is,
    so one judge's key never answers for another's (at most 64 characters)."""
    if not key:
        return None
    prefix = f"j{judge.pk}:"
    scoped = prefix + key
    if len(scoped) > 64:
        scoped = prefix + hashlib.sha256(key.encode()).hexdigest()[:64 - len(prefix)]
    return scoped


@transaction.atomic
def record_mark(actor, contestant, aspect, value, *, judge=None, key=None, entered_at=None,
                source=MarkSource.TABLET, reason="", entered_by=None, confirmed_by=None, plan=None):
    """Record one judge's mark. Returns (mark, outcome), outcome one of created, changed,
    unchanged, duplicate (this judge recorded this key before) or stale (a newer value is
    stored). A key is the judge's own: the same key sent for another judge is another mark."""
    contestant = _lock(contestant)
    judge = judge or conflicts.judge_for(actor)
    if judge is None:
        raise UserError(_("Only judges of the pool can give marks."), code="forbidden")
    raw_key = str(key)[:64] if key else None
    key = scoped_key(judge, raw_key)
    if key:
        event = MarkEvent.objects.filter(key=key).select_related("mark").first()
        if event is None:  # stored before keys were scoped by judge: the same actor's own
            event = MarkEvent.objects.filter(key=raw_key, by=actor).select_related("mark").first()
        if event is not None:
            return event.mark, "duplicate"
    competition = contestant.stage.competition
    require_status(competition, MARKING_STATUSES, _("Marking"))
    if aspect.scheme.competition_id != competition.pk:
        raise UserError(_("The aspect belongs to another competition."), code="forbidden")
    if contestant.checkin == CheckIn.ABSENT:
        raise UserError(_("This contestant is recorded absent and has no marks."))
    require_open(contestant, aspect)
    ensure_frozen(actor, aspect.scheme)
    _check_free(judge, contestant)
    plan = plan or Plan(contestant.stage)
    if aspect.pk not in {a.pk for a in plan.aspects_for(judge, contestant)}:
        raise UserError(_("%(judge)s is not on a panel marking %(aspect)s at this station.")
                        % {"judge": judge, "aspect": aspect.code}, code="forbidden")
    number = parse_value(aspect, value)
    now = timezone.now()
    entered_at = min(entered_at or now, now + CLOCK_TOLERANCE)
    marks = Mark.objects.filter(contestant=contestant, aspect=aspect)
    existing = (marks if aspect.type == AspectType.MEASUREMENT else marks.filter(judge=judge)).first()
    writer = entered_by or actor
    label = f"{aspect.code}/{judge.code}"
    where = {"stage": contestant.stage.key, "station": contestant.station_number, "source": source}
    if existing is None:
        mark = Mark.objects.create(contestant=contestant, aspect=aspect, judge=judge, value=number,
                                   entered_at=entered_at, recorded_at=now, entered_by=writer,
                                   confirmed_by=confirmed_by, source=source)
        _event(mark, MarkAction.ENTERED, actor, new=number, reason=reason, source=source, key=key, at=now).save()
        audit.record(actor, "judging.mark", contestant.entry, reason=reason, changes={label: [None, number]},
                     data=where, repr_text=str(contestant))
        return mark, "created"
    if existing.locked:
        raise UserError(
            _("The marks of this station are signed off and locked; the chief judge must unlock %(aspect)s first.")
            % {"aspect": aspect.code}, code="locked",
        )
    if entered_at < existing.entered_at:
        _event(existing, MarkAction.STALE, actor, old=existing.value, new=number, source=source, key=key,
               reason=_("Given at %(time)s, before the stored value") % {"time": timezone.localtime(entered_at)
                                                                         .strftime("%H:%M:%S")}).save()
        return existing, "stale"
    if existing.value == number and existing.judge_id == judge.pk and not existing.rescore_requested:
        return existing, "unchanged"
    old = existing.value
    existing.value, existing.judge, existing.entered_at, existing.recorded_at = number, judge, entered_at, now
    existing.entered_by, existing.confirmed_by, existing.source = writer, confirmed_by, source
    reason = reason or (_("Re-scored") if existing.rescore_requested else "")
    existing.rescore_requested = False
    existing.save()
    _event(existing, MarkAction.CHANGED, actor, old=old, new=number, reason=reason, source=source, key=key,
           at=now).save()
    audit.record(actor, "judging.mark", contestant.entry, reason=reason, changes={label: [old, number]},
                 data=where, repr_text=str(contestant))
    return existing, "changed"


def write_marks(actor, items, *, source, reason):
    """Store prevalidated marks in bulk: items are (contestant, aspect, judge, Decimal).
    Returns counts. The caller holds the transaction and has checked every rule."""
    now = timezone.now()
    keys = {(c.pk, a.pk, None if a.type == AspectType.MEASUREMENT else j.pk) for c, a, j, _v in items}
    existing = {}
    stored = Mark.objects.filter(contestant_id__in={k[0] for k in keys}, aspect_id__in={k[1] for k in keys})
    for mark in stored.select_related("aspect"):
        existing[(mark.contestant_id, mark.aspect_id, None if mark.aspect.type == AspectType.MEASUREMENT
                  else mark.judge_id)] = mark
    created, changed, events = [], [], []
    counts = {"created": 0, "changed": 0, "unchanged": 0}
    for contestant, aspect, judge, value in items:
        slot = (contestant.pk, aspect.pk, None if aspect.type == AspectType.MEASUREMENT else judge.pk)
        mark = existing.get(slot)
        if contestant.signed_off and (mark is None or mark.value != value):
            raise signed_off_error(contestant, aspect)
        if mark is None:
            mark = Mark(contestant=contestant, aspect=aspect, judge=judge, value=value, entered_at=now,
                        recorded_at=now, entered_by=actor, source=source)
            created.append(mark)
            existing[slot] = mark
            counts["created"] += 1
        elif mark.value == value:
            counts["unchanged"] += 1
        else:
            events.append(_event(mark, MarkAction.CHANGED, actor, old=mark.value, new=value, reason=reason,
                                 source=source, at=now))
            mark.value, mark.judge, mark.entered_at, mark.recorded_at = value, judge, now, now
            mark.entered_by, mark.source, mark.rescore_requested = actor, source, False
            changed.append(mark)
            counts["changed"] += 1
    Mark.objects.bulk_create(created, batch_size=2000)
    Mark.objects.bulk_update(changed, ["value", "judge", "entered_at", "recorded_at", "entered_by", "source",
                                       "rescore_requested"], batch_size=2000)
    events += [_event(m, MarkAction.ENTERED, actor, new=m.value, reason=reason, source=source, at=now)
               for m in created]
    MarkEvent.objects.bulk_create(events, batch_size=2000)
    return counts


# --------------------------------------------------------------------------
# Sign-off, locking, unlocking, re-scoring
# --------------------------------------------------------------------------


def _require_free_actor(actor, contestant):
    judge = conflicts.judge_for(actor)
    if judge is not None:
        _check_free(judge, contestant, who=actor)


@transaction.atomic
def sign_off(actor, contestant, *, plan=None):
    """The chief judge signs off a station: its marks are locked."""
    contestant = _lock(contestant)
    require_status(contestant.stage.competition, MARKING_STATUSES, _("Signing off"))
    _require_free_actor(actor, contestant)
    if contestant.signed_off:
        raise UserError(_("This station is already signed off."), code="signed")
    if contestant.checkin == CheckIn.ABSENT:
        raise UserError(_("This contestant is recorded absent and has no marks."))
    result = review(contestant, plan)
    if result.blockers:
        raise Rejected(_("Station %(station)s cannot be signed off yet.") % {"station": contestant.station_number},
                       [Problem(message, code="sign_off") for message in result.blockers], code="not_ready")
    marks = list(contestant.marks.select_related("aspect", "judge"))
    now = timezone.now()
    Mark.objects.filter(pk__in=[m.pk for m in marks]).update(locked=True)
    MarkEvent.objects.bulk_create([_event(m, MarkAction.LOCKED, actor, old=m.value, new=m.value, at=now)
                                   for m in marks])
    contestant.signed_off_at, contestant.signed_off_by = now, actor
    contestant.save(update_fields=["signed_off_at", "signed_off_by"])
    audit.record(actor, "judging.sign_off", contestant.entry, repr_text=str(contestant),
                 data={"stage": contestant.stage.key, "station": contestant.station_number,
                       "marks": {f"{m.aspect.code}/{m.judge.code}": m.value for m in marks}})
    recompute_if_unblinded(actor, contestant, reason=_("Re-marked and signed off again"))
    return contestant


def _unlock(actor, contestant, marks, reason):
    now = timezone.now()
    Mark.objects.filter(pk__in=[m.pk for m in marks]).update(locked=False)
    MarkEvent.objects.bulk_create([_event(m, MarkAction.UNLOCKED, actor, old=m.value, new=m.value, reason=reason,
                                          at=now) for m in marks])
    if contestant.signed_off:
        contestant.signed_off_at, contestant.signed_off_by = None, None
        contestant.save(update_fields=["signed_off_at", "signed_off_by"])
    audit.record(actor, "judging.unlock", contestant.entry, reason=reason, repr_text=str(contestant),
                 data={"stage": contestant.stage.key, "station": contestant.station_number,
                       "marks": [f"{m.aspect.code}/{m.judge.code}" for m in marks]})


def _require_reason(reason):
    reason = (reason or "").strip()
    if not reason:
        raise UserError(_("Say why the mark is unlocked: the reason stays in its history."), code="reason")
    return reason


@transaction.atomic
def unlock(actor, mark, *, reason):
    """Unlock one signed-off mark so it can be changed; the station needs signing off again."""
    reason = _require_reason(reason)
    contestant = _lock(mark.contestant)
    require_status(contestant.stage.competition, MARKING_STATUSES, _("Unlocking marks"))
    _require_free_actor(actor, contestant)
    mark = Mark.objects.select_related("aspect", "judge").get(pk=mark.pk)
    if not mark.locked:
        raise UserError(_("This mark is not locked."), code="unlocked")
    _unlock(actor, contestant, [mark], reason)
    return mark


@transaction.atomic
def unlock_station(actor, contestant, *, reason, aspects=None):
    """Unlock every locked mark of a station (or of some aspects), e.g. for an upheld appeal."""
    reason = _require_reason(reason)
    contestant = _lock(contestant)
    marks = contestant.marks.filter(locked=True).select_related("aspect", "judge")
    if aspects:
        marks = marks.filter(aspect__in=aspects)
    marks = list(marks)
    if marks:
        _unlock(actor, contestant, marks, reason)
    return marks


@transaction.atomic
def reopen_for_remarking(actor, contestant, *, reason, aspects=None, appeal=None):
    """Reopen a station for re-marking (an upheld appeal): the marks of the aspects concerned
    (or all) are unlocked and their judges asked to mark them again; the station cannot be
    signed off until each of those marks has been given again. Returns the marks concerned."""
    reason = _require_reason(reason)
    unlock_station(actor, contestant, reason=reason, aspects=aspects)
    contestant = _lock(contestant)
    marks = contestant.marks.select_related("aspect", "judge")
    if aspects:
        marks = marks.filter(aspect__in=aspects)
    marks = list(marks)
    if marks:
        Mark.objects.filter(pk__in=[m.pk for m in marks]).update(rescore_requested=True)
        MarkEvent.objects.bulk_create([_event(m, MarkAction.RESCORE, actor, old=m.value, reason=reason,
                                              appeal=appeal) for m in marks])
        audit.record(actor, "judging.rescore", contestant.entry, reason=reason, repr_text=str(contestant),
                     data={"aspects": sorted({m.aspect.code for m in marks}), "station": contestant.station_number,
                           "marks": [f"{m.aspect.code}/{m.judge.code}" for m in marks]})
    return marks


@transaction.atomic
def conflict_changed(actor, judge, person, *, relation, declared):
    """A relationship between `judge` and the worker `person` was declared (or withdrawn)
    after the judge may have marked them. Their marks of that worker's contestants stop
    counting (review sets them aside) or count again: each mark's history and the audit
    log say so, and a signed-off station in marking is reopened for the chief judge to
    review (the marks needed have changed). Nothing is deleted."""
    marks = list(Mark.objects.filter(judge=judge, contestant__entry__person=person)
                 .select_related("aspect", "judge", "contestant__stage__competition", "contestant__entry__unit"))
    if not declared:  # still in conflict otherwise (the same enterprise): nothing counts again
        marks = [m for m in marks if not conflicts.in_conflict(judge, m.contestant.entry)]
    if not marks:
        return []
    if declared:
        action = MarkAction.SET_ASIDE
        reason = _("Conflict of interest declared after marking (%(relation)s): the mark does not count") % {
            "relation": relation}
    else:
        action = MarkAction.RESTORED
        reason = _("The declared relationship (%(relation)s) was withdrawn: the mark counts again") % {
            "relation": relation}
    now = timezone.now()
    MarkEvent.objects.bulk_create([_event(m, action, actor, old=m.value, new=m.value, reason=reason, at=now)
                                   for m in marks])
    by_contestant = defaultdict(list)
    for mark in marks:
        by_contestant[mark.contestant_id].append(mark)
    for group in by_contestant.values():
        contestant = _lock(group[0].contestant)
        reopened = contestant.signed_off and contestant.stage.competition.status in MARKING_STATUSES
        audit.record(actor, "judging.marks_set_aside" if declared else "judging.marks_restored", contestant.entry,
                     reason=reason, repr_text=str(contestant),
                     data={"stage": contestant.stage.key, "station": contestant.station_number, "judge": judge.code,
                           "marks": {m.aspect.code: m.value for m in group}, "reopened": reopened})
        if reopened:
            _unlock(actor, contestant, [m for m in group if m.locked], reason)
    return marks


@transaction.atomic
def request_rescore(actor, contestant, aspect, *, reason=""):
    """Ask the judges of an aspect to mark it again (a J discrepancy, usually)."""
    contestant = _lock(contestant)
    _require_free_actor(actor, contestant)
    marks = list(contestant.marks.filter(aspect=aspect).select_related("judge"))
    if not marks:
        raise UserError(_("%(aspect)s has no marks yet.") % {"aspect": aspect.code})
    if any(m.locked for m in marks):
        raise UserError(_("The marks of this station are signed off and locked; unlock them first."), code="locked")
    reason = (reason or "").strip() or _("The judges' scores differ by more than 1")
    Mark.objects.filter(pk__in=[m.pk for m in marks]).update(rescore_requested=True)
    MarkEvent.objects.bulk_create([_event(m, MarkAction.RESCORE, actor, old=m.value, reason=reason) for m in marks])
    audit.record(actor, "judging.rescore", contestant.entry, reason=reason, repr_text=str(contestant),
                 data={"aspect": aspect.code, "station": contestant.station_number})
    return marks


# --------------------------------------------------------------------------
# Paper sheets keyed in twice
# --------------------------------------------------------------------------


def _normalized_values(plan, judge, contestant, values):
    allowed = {a.code: a for a in plan.aspects_for(judge, contestant)}
    cleaned, found = {}, []
    for code, raw in values.items():
        if raw is None or str(raw).strip() == "":
            continue
        aspect = allowed.get(code)
        if aspect is None:
            found.append(Problem(_("%(judge)s does not mark %(aspect)s at this station.")
                                 % {"judge": judge, "aspect": code}, where=code))
            continue
        try:
            cleaned[code] = shown(parse_value(aspect, raw))
        except UserError as error:
            found.append(Problem(error.message, where=code, value=raw))
    if not cleaned and not found:
        found.append(Problem(_("The sheet has no marks.")))
    if found:
        raise Rejected(_("The sheet was not keyed in: every problem is listed."), found)
    return cleaned


@transaction.atomic
def key_paper(actor, contestant, judge, values):
    """Key in a judge's paper sheet. The marks are recorded when a second person keys the
    same values; otherwise both keyings are kept and shown side by side.
    Returns (sheet, mismatches) with mismatches [(code, first value, second value)]."""
    contestant = _lock(contestant)
    require_status(contestant.stage.competition, MARKING_STATUSES, _("Keying in paper sheets"))
    if contestant.signed_off:
        raise UserError(_("Station %(station)s is signed off and its marks are locked: no paper sheet can be keyed "
                          "in until the chief judge unlocks it.") % {"station": contestant.station_number},
                        code="locked")
    _check_free(judge, contestant)
    _require_free_actor(actor, contestant)
    plan = Plan(contestant.stage)
    cleaned = _normalized_values(plan, judge, contestant, values)
    sheet = PaperSheet.objects.select_for_update().filter(contestant=contestant, judge=judge).first()
    now = timezone.now()
    if sheet is None or sheet.status == PaperStatus.CONFIRMED or sheet.first_by_id == actor.pk:
        if sheet is None:
            sheet = PaperSheet(contestant=contestant, judge=judge)
        sheet.first_values, sheet.first_by, sheet.first_at = cleaned, actor, now
        sheet.second_values, sheet.second_by, sheet.second_at = None, None, None
        sheet.status = PaperStatus.AWAITING
        sheet.save()
        audit.record(actor, "judging.paper_key", contestant.entry, repr_text=str(contestant),
                     data={"judge": judge.code, "values": cleaned, "keying": "first"})
        return sheet, []
    sheet.second_values, sheet.second_by, sheet.second_at = cleaned, actor, now
    codes = sorted(set(sheet.first_values) | set(cleaned))
    mismatches = [(c, sheet.first_values.get(c), cleaned.get(c)) for c in codes
                  if sheet.first_values.get(c) != cleaned.get(c)]
    if mismatches:
        sheet.status = PaperStatus.MISMATCH
        sheet.save()
        audit.record(actor, "judging.paper_key", contestant.entry, repr_text=str(contestant),
                     data={"judge": judge.code, "values": cleaned, "keying": "second", "mismatches": mismatches})
        return sheet, mismatches
    by_code = {a.code: a for a in plan.aspects}
    for code, value in cleaned.items():
        record_mark(actor, contestant, by_code[code], value, judge=judge, source=MarkSource.PAPER,
                    entered_by=sheet.first_by, confirmed_by=actor, plan=plan,
                    reason=_("Paper sheet keyed by %(first)s, confirmed by %(second)s")
                    % {"first": sheet.first_by, "second": actor})
    sheet.status = PaperStatus.CONFIRMED
    sheet.save()
    return sheet, []


# --------------------------------------------------------------------------
# Unblinding and the practical score
# --------------------------------------------------------------------------


def unblinding_steps(stage):
    return {u.step: u for u in Unblinding.objects.filter(stage=stage).select_related("by")}


def is_unblinded(stage):
    return Unblinding.objects.filter(stage=stage, step=UnblindStep.ORGANIZER).exists()


def unblinding_blockers(stage):
    """Why the stage cannot be unblinded yet (empty when it can)."""
    active = active_contestants(stage)
    out = []
    if not active.exists():
        out.append(_("The stage has no contestants."))
    unsigned = active.filter(signed_off_at__isnull=True).count()
    if unsigned:
        out.append(_("%(count)s stations are not signed off yet.") % {"count": unsigned})
    unlocked = Mark.objects.filter(contestant__stage=stage, locked=False).count()
    if unlocked:
        out.append(_("%(count)s marks are not locked by a sign-off.") % {"count": unlocked})
    return out


@transaction.atomic
def confirm_unblinding(actor, stage, *, note=""):
    """First layer: the chief judge confirms every mark of the stage is signed off."""
    steps = unblinding_steps(stage)
    if UnblindStep.CHIEF in steps:
        raise UserError(_("The chief judge has already confirmed this stage."), code="done")
    found = unblinding_blockers(stage)
    if found:
        raise UserError(_("The stage cannot be unblinded: %(why)s") % {"why": "；".join(found)}, code="unsigned")
    Unblinding.objects.create(stage=stage, step=UnblindStep.CHIEF, by=actor, note=(note or "")[:200])
    audit.record(actor, "judging.unblind_confirm", stage.competition, reason=note, data={"stage": stage.key})


@transaction.atomic
def unblind(actor, stage, *, note=""):
    """Second layer: the organizer unblinds the stage; every contestant's practical score is
    computed from the signed-off marks and handed to results."""
    steps = unblinding_steps(stage)
    if UnblindStep.ORGANIZER in steps:
        raise UserError(_("This stage is already unblinded."), code="done")
    if UnblindStep.CHIEF not in steps:
        raise UserError(_("The chief judge must first confirm that every mark is signed off."), code="order")
    found = unblinding_blockers(stage)
    if found:
        raise UserError(_("The stage cannot be unblinded: %(why)s") % {"why": "；".join(found)}, code="unsigned")
    Unblinding.objects.create(stage=stage, step=UnblindStep.ORGANIZER, by=actor, note=(note or "")[:200])
    plan = Plan(stage)
    changes = [score_change(result, plan) for result in stage_reviews(stage, plan)]
    results_services.record_scores(actor, stage, changes, source=ScoreSource.JUDGING,
                                   reason=_("Unblinded: the practical score from the judges' signed-off marks"))
    audit.record(actor, "judging.unblind", stage.competition, reason=note,
                 data={"stage": stage.key, "scores": len(changes)})
    return len(changes)


def practical_score(result, plan):
    """The results engine's practical component for one reviewed station."""
    marks = {item.aspect.code: item.values for item in result.aspects}
    places = plan.competition.spec.get("rounding", {}).get("places", 2)
    return engine.practical_component([a.as_rule() for a in plan.aspects], marks, places)


def score_change(result, plan):
    """One reviewed station's practical score and time, as results.record_scores takes them."""
    component = plan.scheme.component
    contestant = result.contestant
    return results_services.ScoreChange(
        entry=contestant.entry, scores={component: practical_score(result, plan).score},
        times={component: contestant.time_seconds}, status=results_services.UNCHANGED,
    )


def write_score(actor, result, plan, *, reason):
    score = practical_score(result, plan)
    contestant = result.contestant
    results_services.set_component_score(
        actor, contestant.entry, plan.scheme.component, score.score, time_seconds=contestant.time_seconds,
        source=ScoreSource.JUDGING, reason=reason,
    )
    return score


def recompute_if_unblinded(actor, contestant, *, reason):
    """After the stage is unblinded, a station signed off again (or a time corrected) updates
    the contestant's practical score at once."""
    if not contestant.signed_off or not is_unblinded(contestant.stage):
        return None
    plan = Plan(contestant.stage)
    return write_score(actor, review(contestant, plan), plan, reason=reason)
