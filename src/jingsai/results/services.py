"""Every change results make: component scores and absences (the contract exams, judging
and imports write through), computations, publicity, objections, finalization and what
it grants, certificates.

A score is never overwritten silently: every change is audited with the old and the new
value. A computation is never overwritten either: each one is a new version of the
stage's (and scope's) results, so the page can show what changed. Once a stage is final
its scores and results are frozen."""

import hashlib
import json
import secrets
import zlib
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from jingsai.competitions import services as competition_services
from jingsai.competitions.models import Competition, Stage, Status
from jingsai.core import audit
from jingsai.core.errors import Problem, Rejected, UserError
from jingsai.core.masking import mask_name
from jingsai.core.numbers import NumberError, parse_decimal
from jingsai.orgs.models import Organization
from jingsai.people import services as people_services
from jingsai.people.models import Person, WorkerStatus
from jingsai.registration.models import Entry, EntryStatus, Team

from . import engine, queries
from .explain import engine_problem_message
from .models import (
    FLAG_MISSING_SCORES,
    Certificate,
    ComponentScore,
    Computation,
    Finalization,
    Honour,
    Objection,
    Promotion,
    Publicity,
    Result,
    ScoreSource,
    ScoreStatus,
)

MAX_PLACES = 6
COMPUTE_STATUSES = (Status.IN_PROGRESS, Status.SCORING)
DEFAULT_PUBLICITY_DAYS = 5
BATCH = 2000


# --------------------------------------------------------------------------
# Component scores and absences
# --------------------------------------------------------------------------


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


def scores_final(stage_id):
    """Whether the stage's results are final, and with them its scores."""
    return Finalization.objects.filter(stage_id=stage_id).exists()


def require_scores_open(stage):
    """Scores of a final stage are frozen: its results were granted on them."""
    if scores_final(stage.pk):
        raise UserError(
            _("The results of “%(stage)s” are final; its scores can no longer change.") % {"stage": stage.name},
            code="final",
        )


# Sources that work a score out (rather than take it as given): a score they equal is theirs.
COMPUTED_SOURCES = (ScoreSource.EXAM, ScoreSource.JUDGING)


@transaction.atomic
def set_component_score(actor, entry, component, value, *, time_seconds=None, source=ScoreSource.MANUAL, reason=""):
    """Record one component score (None clears it). Returns the ComponentScore."""
    number = check_score(entry.competition, component, value)
    require_scores_open(entry.stage)
    score = ComponentScore.objects.select_for_update().filter(entry=entry, component=component).first()
    if score is None:
        score = ComponentScore.objects.create(
            entry=entry, component=component, value=number, time_seconds=time_seconds, source=source,
            recorded_by=actor,
        )
        audit.record(actor, "results.score", entry, reason=reason,
                     changes={component: [None, _shown(number)], "time": [None, time_seconds]},
                     data={"source": source})
        return score
    changes = {}
    if score.value != number:
        changes[component] = [_shown(score.value), _shown(number)]
    if score.time_seconds != time_seconds:
        changes["time"] = [score.time_seconds, time_seconds]
    if score.source != source and (changes or source in COMPUTED_SOURCES):
        # The same value worked out by an exam or the judges' marks (a graded exam equalling
        # a score typed by hand) is theirs: the explanation says where the score came from.
        # The same value given again by hand or by an import leaves it whose it was.
        changes["source"] = [score.source, source]
    if changes:
        score.value, score.time_seconds, score.source, score.recorded_by = number, time_seconds, source, actor
        score.recorded_at = timezone.now()
        score.save()
        audit.record(actor, "results.score", entry, reason=reason, changes=changes, data={"source": source})
    return score


@transaction.atomic
def clear_absence_if_complete(actor, entry, *, reason):
    """Clear the entry's 缺考 mark once every component of its competition has a score: a
    make-up exam graded for someone marked absent. A mark that still explains a missing
    component (absent from the practical) stays, as does a disqualification. Returns
    whether the mark was cleared."""
    mark = ScoreStatus.objects.select_for_update().filter(entry=entry, status=ScoreStatus.Status.ABSENT).first()
    if mark is None:
        return False
    keys = {component["key"] for component in entry.competition.spec.get("components", [])}
    scored = set(ComponentScore.objects.filter(entry=entry, component__in=keys, value__isnull=False)
                 .values_list("component", flat=True))
    if scored != keys:
        return False
    set_score_status(actor, entry, None, reason=reason)
    return True


@transaction.atomic
def set_score_status(actor, entry, status, *, reason=""):
    """Mark an entry absent or disqualified (status None clears the mark)."""
    require_scores_open(entry.stage)
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
        current.recorded_at = timezone.now()
        current.save()
        result = current
    audit.record(actor, "results.status", entry, reason=reason, changes={"status": [old, status]})
    return result


UNCHANGED = object()


@dataclass
class ScoreChange:
    """One entry's new scores for `record_scores`. `scores` maps a component key to its
    value (None clears it); `times` a component key to seconds (None clears it); `status`
    is absent, disqualified, None (clears a mark) or, by default, `UNCHANGED`."""

    entry: Entry
    scores: dict = field(default_factory=dict)
    times: dict = field(default_factory=dict)
    status: object = UNCHANGED


def _shown(value):
    """A score as the audit log shows it: 80.000000 and 80.0 are both 80."""
    return None if value is None else f"{value.normalize():f}"


@transaction.atomic
def record_scores(actor, stage, changes, *, source=ScoreSource.IMPORT, reason="", data=None):
    """Record many entries' scores, times and absences at once (imports, exams, demo data).

    The values must already be checked (`check_score`). Writes in bulk and leaves one audit
    record on the stage holding every old and new value ("17 theory": [old, new]).
    Returns {"created", "updated", "unchanged", "statuses"} counts."""
    require_scores_open(stage)
    entry_ids = [c.entry.pk for c in changes]
    existing = {}
    for start in range(0, len(entry_ids), BATCH):
        chunk = entry_ids[start:start + BATCH]
        for score in ComponentScore.objects.select_for_update().filter(entry_id__in=chunk):
            existing[(score.entry_id, score.component)] = score
    marks = {}
    for start in range(0, len(entry_ids), BATCH):
        for mark in ScoreStatus.objects.filter(entry_id__in=entry_ids[start:start + BATCH]):
            marks[mark.entry_id] = mark
    now = timezone.now()
    create, update, audit_changes = [], [], {}
    unchanged = 0
    new_marks, changed_marks, cleared_marks = [], [], []
    for change in changes:
        entry = change.entry
        for key in sorted(set(change.scores) | set(change.times)):
            score = existing.get((entry.pk, key))
            value = change.scores.get(key, score.value if score else None)
            seconds = change.times.get(key, score.time_seconds if score else None)
            label = f"{entry.number} {key}"
            if score is None:
                if value is None and seconds is None:
                    continue
                create.append(ComponentScore(entry=entry, component=key, value=value, time_seconds=seconds,
                                             source=source, recorded_by=actor, recorded_at=now))
                audit_changes[label] = [None, _shown(value)]
                if seconds is not None:
                    audit_changes[f"{label} time"] = [None, seconds]
                continue
            # The same value worked out by the judges' marks or an exam is theirs (as in
            # set_component_score); the same value imported again leaves it whose it was.
            relabelled = score.source != source and source in COMPUTED_SOURCES
            if score.value == value and score.time_seconds == seconds and not relabelled:
                unchanged += 1
                continue
            if score.value != value:
                audit_changes[label] = [_shown(score.value), _shown(value)]
            if score.time_seconds != seconds:
                audit_changes[f"{label} time"] = [score.time_seconds, seconds]
            if score.source != source:
                audit_changes[f"{label} source"] = [score.source, source]
            score.value, score.time_seconds = value, seconds
            score.source, score.recorded_by, score.recorded_at = source, actor, now
            update.append(score)
        if change.status is UNCHANGED:
            continue
        mark = marks.get(entry.pk)
        old = mark.status if mark else None
        if old == change.status:
            continue
        audit_changes[f"{entry.number} status"] = [old, change.status]
        if change.status is None:
            cleared_marks.append(mark.pk)
        elif mark is None:
            new_marks.append(ScoreStatus(entry=entry, status=change.status, reason=reason, recorded_by=actor,
                                         recorded_at=now))
        else:
            mark.status, mark.reason, mark.recorded_by, mark.recorded_at = change.status, reason, actor, now
            changed_marks.append(mark)
    ComponentScore.objects.bulk_create(create, batch_size=BATCH)
    ComponentScore.objects.bulk_update(update, ["value", "time_seconds", "source", "recorded_by", "recorded_at"],
                                       batch_size=BATCH)
    ScoreStatus.objects.bulk_create(new_marks, batch_size=BATCH)
    ScoreStatus.objects.bulk_update(changed_marks, ["status", "reason", "recorded_by", "recorded_at"],
                                    batch_size=BATCH)
    ScoreStatus.objects.filter(pk__in=cleared_marks).delete()
    counts = {"created": len(create), "updated": len(update), "unchanged": unchanged,
              "statuses": len(new_marks) + len(changed_marks) + len(cleared_marks)}
    if audit_changes:
        audit.record(actor, "results.scores", stage, reason=reason, changes=audit_changes,
                     data={"source": source, **counts, **(data or {})})
    return counts


# --------------------------------------------------------------------------
# Inputs of a computation
# --------------------------------------------------------------------------


@dataclass
class ScopeInputs:
    """What the engine needs for one scope of a stage, and how to map its answers back."""

    scope_id: int | None
    entries: list = field(default_factory=list)  # engine input dicts
    entry_ids: dict = field(default_factory=dict)  # engine entry number -> Entry id (individual)
    teams: dict = field(default_factory=dict)  # engine entry number -> (team id, [member entry ids])
    units: dict = field(default_factory=dict)  # engine entry number -> unit id
    marked: set = field(default_factory=set)  # entry ids with a 缺考/取消资格 mark
    persons: set = field(default_factory=set)
    digest: str = ""

    @property
    def key(self):
        return self.scope_id or 0


def rules_for(stage, last):
    """The spec the engine computes a stage with. Benefits (promotions, titles,
    recommendations) are decided by the competition's last stage only: an earlier stage
    selects who advances, and its awards are its own."""
    spec = dict(stage.competition.spec)
    if not last:
        spec["benefits"] = []
    return spec


def _value(number):
    # Stored with six decimal places; the engine and its explanations see the value as
    # it was recorded (85.500000 is 85.5).
    return None if number is None else number.normalize()


def load_inputs(stage, *, last, scope_id=None):
    """Every scope's inputs of `stage` (or only scope `scope_id`), by scope key, each
    with a digest of everything that decides its results but the promotions granted
    elsewhere."""
    competition = stage.competition
    team_mode = competition.spec.get("mode") == "team"
    entries = Entry.objects.filter(stage=stage, status=EntryStatus.APPROVED)
    if scope_id is not None:
        entries = entries.filter(scope_id=scope_id)
    rows = list(entries.values_list("pk", "number", "person_id", "unit_id", "scope_id", "team_id", "level",
                                    "worker_status"))
    ids = [row[0] for row in rows]
    scores = defaultdict(dict)
    times = defaultdict(dict)
    statuses = {}
    for start in range(0, len(ids), BATCH * 5):
        chunk = ids[start:start + BATCH * 5]
        for entry_id, key, value, seconds in (ComponentScore.objects.filter(entry_id__in=chunk)
                                              .values_list("entry_id", "component", "value", "time_seconds")):
            if value is not None:
                scores[entry_id][key] = _value(value)
            if seconds is not None:
                times[entry_id][key] = seconds
        statuses.update(ScoreStatus.objects.filter(entry_id__in=chunk).values_list("entry_id", "status"))
    by_scope = {}
    people = {}
    for pk, number, person_id, unit_id, scope, team_id, level, worker_status in rows:
        inputs = by_scope.get(scope or 0)
        if inputs is None:
            inputs = by_scope[scope or 0] = ScopeInputs(scope_id=scope)
        item = {
            "entry": number,
            "person": person_id,
            "components": scores.get(pk, {}),
            "times": times.get(pk, {}),
            "status": statuses.get(pk),
            "worker_status": worker_status == WorkerStatus.WORKER,
            "level": level,
        }
        if pk in statuses:
            inputs.marked.add(pk)
        inputs.persons.add(person_id)
        if team_mode:
            people.setdefault((scope or 0, team_id), []).append((number, pk, unit_id, item))
            continue
        inputs.entries.append(item)
        inputs.entry_ids[number] = pk
        inputs.units[number] = unit_id
    if team_mode:
        _gather_teams(by_scope, people)
    spec = rules_for(stage, last)
    for inputs in by_scope.values():
        inputs.entries.sort(key=lambda e: e["entry"])
        text = json.dumps([spec, stage.advance, inputs.entries], sort_keys=True, default=str, ensure_ascii=False)
        inputs.digest = hashlib.sha256(text.encode()).hexdigest()
    return by_scope


def _gather_teams(by_scope, people):
    """Team mode: one engine entry per team, numbered by its first member's entry number."""
    team_ids = {team_id for _, team_id in people if team_id}
    teams = Team.objects.in_bulk(team_ids)
    problems = []
    for (scope_key, team_id), members in people.items():
        members.sort(key=lambda m: m[0])
        if team_id is None:
            for number, *_rest in members:
                problems.append(Problem(_("Entry %(number)s belongs to no team.") % {"number": number},
                                        where=str(number), code="no_team"))
            continue
        team = teams[team_id]
        number = members[0][0]
        inputs = by_scope[scope_key]
        inputs.entries.append({"entry": number, "name": team.name, "members": [m[3] for m in members]})
        inputs.teams[number] = (team_id, [m[1] for m in members])
        inputs.units[number] = team.unit_id
    if problems:
        raise Rejected(_("Team results cannot be computed: every entry must belong to a team."), problems)


def _earlier_promotions(competition, persons):
    """People promoted this year by another competition (finalized earlier: promotions
    exist only once a competition is final)."""
    year = competition_year(competition)
    found = set()
    persons = sorted(persons)
    for start in range(0, len(persons), BATCH * 5):
        found.update(Promotion.objects.filter(year=year, person_id__in=persons[start:start + BATCH * 5])
                     .exclude(competition=competition).values_list("person_id", flat=True))
    return found


def competition_year(competition):
    return competition.year or timezone.localdate().year


def _has_promotions(spec):
    return any("promote" in rule for rule in spec.get("benefits") or ())


# --------------------------------------------------------------------------
# Computing
# --------------------------------------------------------------------------


def _require_computable(stage):
    competition = stage.competition
    if competition.status not in COMPUTE_STATUSES:
        raise UserError(
            _("Results cannot be computed while the competition is “%(status)s”; it must be in progress or "
              "in scoring.") % {"status": competition.get_status_display()},
            code="status",
        )
    state = queries.stage_results(stage).state
    if state == queries.FINAL:
        raise UserError(_("The results of “%(stage)s” are final and can no longer be recomputed.")
                        % {"stage": stage.name}, code="final")
    if state == queries.PUBLICITY:
        raise UserError(
            _("The results of “%(stage)s” are in publicity. Withdraw the publicity (giving a reason) before "
              "computing them again.") % {"stage": stage.name},
            code="publicity",
        )


def _run_engine(spec, inputs, advance, earlier):
    try:
        return engine.compute(spec, inputs.entries, advance=advance, promoted_earlier_this_year=earlier)
    except engine.EngineInputError as error:
        problems = [Problem(engine_problem_message(p), where=str(p.get("entry") or ""), code=p["code"])
                    for p in error.problems]
        raise Rejected(_("The results cannot be computed from these scores:"), problems) from None


def pack_explanation(explain):
    return zlib.compress(json.dumps(explain, ensure_ascii=False, separators=(",", ":")).encode(), 1)


def result_fields(output, inputs):
    """A Result's field values from one engine result."""
    number = output["entry"]
    flags = list(output["flags"])
    entry_id = inputs.entry_ids.get(number)
    members = None
    team_id = None
    if "members" in output:
        team_id, member_ids = inputs.teams[number]
        members = [{**member, "entry_id": member_id, "id_number": None}
                   for member_id, member in zip(member_ids, output["members"], strict=True)]
        concerned = member_ids
    else:
        concerned = [entry_id]
    # Absent only because a score was never recorded: nobody concerned is marked 缺考.
    if output["status"] == "absent" and not inputs.marked.intersection(concerned):
        flags.append(FLAG_MISSING_SCORES)
    promotion = output["promotion"]
    fields = {
        "number": number,
        "entry_id": entry_id,
        "team_id": team_id,
        "unit_id": inputs.units[number],
        "status": output["status"],
        "rank": output["rank"],
        "total": output["total"],
        "passed_all": output["passed_all"],
        "award": output["award"] or "",
        "scale_score": output["scale_score"],
        "components": output["components"],
        "times": output["times"],
        "promotion_from": promotion["from"] if promotion else None,
        "promotion_to": promotion["to"] if promotion else None,
        "titles": output["titles"],
        "recommendations": output["recommendations"],
        "advanced": output["advanced"],
        "flags": flags,
        "members": members,
        "explanation": pack_explanation(output["explain"]),
    }
    fields["fingerprint"] = queries.fingerprint(fields)
    return fields


def _store(actor, stage, inputs, spec, earlier, *, reason):
    """Compute one scope and store it as its next version. Returns the Computation."""
    competition = stage.competition
    previous = (Computation.objects.filter(stage=stage, scope_key=inputs.key).order_by("-version").first())
    outputs = _run_engine(spec, inputs, stage.advance, earlier) if inputs.entries else []
    rows = [result_fields(output, inputs) for output in outputs]
    counts = defaultdict(int)
    for row in rows:
        counts[row["status"]] += 1
        if FLAG_MISSING_SCORES in row["flags"]:
            counts["missing"] += 1
    computation = Computation.objects.create(
        competition=competition, stage=stage, scope_id=inputs.scope_id, scope_key=inputs.key,
        version=previous.version + 1 if previous else 1, created_by=actor, reason=reason, spec=spec,
        digest=inputs.digest, earlier_promoted=sorted(earlier),
        places=(spec.get("rounding") or {}).get("places", 2),
        n_entries=len(rows), n_ranked=counts["ranked"], n_absent=counts["absent"],
        n_disqualified=counts["disqualified"], n_missing=counts["missing"],
        n_changed=queries.count_changes(queries.fingerprints(previous), rows) if previous else None,
    )
    Result.objects.bulk_create(
        (Result(computation=computation, position=position, **row) for position, row in enumerate(rows, 1)),
        batch_size=BATCH,
    )
    audit.record(actor, "results.compute", computation, reason=reason, data={
        "stage": stage.key, "scope": inputs.scope_id, "version": computation.version,
        "entries": computation.n_entries, "ranked": computation.n_ranked, "absent": computation.n_absent,
        "disqualified": computation.n_disqualified, "missing_scores": computation.n_missing,
        "changed": computation.n_changed, "digest": computation.digest,
    })
    return computation


def _lock_stage(stage):
    """The stage, with its competition and host, for a results step: the stage's and the
    competition's rows locked FOR UPDATE, not the host organization's that select_related()
    joins too. Locked as well, every competition of the host waited for any other's results
    step, and so did giving a role at the host, adding an organization under it or hosting
    a new competition there (their foreign keys take a key-share lock on its row)."""
    return (Stage.objects.select_for_update(of=("self", "competition")).select_related("competition__host")
            .get(pk=stage.pk))


@transaction.atomic
def compute(actor, stage, *, scope=None, reason=""):
    """Compute the results of `stage`, every scope separately (or only `scope`), each as a
    new version. Returns the new computations."""
    stage = _lock_stage(stage)
    _require_computable(stage)
    return store_computations(actor, stage, scope=scope, reason=reason)


def store_computations(actor, stage, *, scope=None, reason=""):
    """The work of `compute` once it has checked that the stage may be computed: also used
    by the demo data for competitions whose results came before their recorded steps."""
    last = queries.is_last_stage(stage)
    spec = rules_for(stage, last)
    by_scope = load_inputs(stage, last=last, scope_id=scope.pk if scope else None)
    if scope is not None and not by_scope:
        raise UserError(_("“%(scope)s” has no approved entries in this stage.") % {"scope": scope.name},
                        code="empty")
    if scope is None:
        if not by_scope:
            raise UserError(_("“%(stage)s” has no approved entries to compute.") % {"stage": stage.name},
                            code="empty")
        # A scope that had results but no longer has entries gets an empty version, so
        # that its old results stop being current.
        for key in set(Computation.objects.filter(stage=stage).values_list("scope_key", flat=True)) - set(by_scope):
            by_scope[key] = ScopeInputs(scope_id=key or None, digest="")
    promoting = last and _has_promotions(spec)
    everyone = set().union(*(inputs.persons for inputs in by_scope.values()))
    earlier = _earlier_promotions(stage.competition, everyone) if promoting else set()
    return [
        _store(actor, stage, inputs, spec, earlier & inputs.persons, reason=reason)
        for inputs in sorted(by_scope.values(), key=lambda i: i.key)
    ]


def stale_scopes(stage, computations, *, last):
    """Problems with the stage's current computations compared with the scores now
    stored: scopes never computed, changed since, or computed before promotions granted
    elsewhere. An empty list means the computations are up to date."""
    spec = rules_for(stage, last)
    by_scope = load_inputs(stage, last=last)
    current = {c.scope_key: c for c in computations}
    promoting = last and _has_promotions(spec)
    everyone = set().union(*(i.persons for i in by_scope.values())) if by_scope else set()
    earlier = _earlier_promotions(stage.competition, everyone) if promoting else set()
    names = dict(Organization.objects.filter(pk__in=[k for k in by_scope if k]).values_list("pk", "name"))
    problems = []
    for key, inputs in sorted(by_scope.items()):
        computation = current.get(key)
        name = names.get(key, stage.name)
        if computation is None:
            problems.append(_("“%(scope)s” has not been computed.") % {"scope": name})
        elif computation.digest != inputs.digest:
            problems.append(_("Scores or entries of “%(scope)s” changed after it was computed.") % {"scope": name})
        elif sorted(earlier & inputs.persons) != computation.earlier_promoted:
            problems.append(_("Another competition granted promotions to people of “%(scope)s” after it was "
                              "computed.") % {"scope": name})
    return problems


# --------------------------------------------------------------------------
# Publicity
# --------------------------------------------------------------------------


def publicity_days(competition):
    return competition.spec.get("publicity_days") or DEFAULT_PUBLICITY_DAYS


@transaction.atomic
def publish(actor, stage, *, reason=""):
    """Publish the stage's current results for publicity (公示). For the last stage the
    competition moves to publicity (through scoring when it is still in progress)."""
    stage = _lock_stage(stage)
    competition = Competition.objects.select_for_update().get(pk=stage.competition_id)
    state = queries.stage_results(stage)
    if state.state == queries.FINAL:
        raise UserError(_("The results of “%(stage)s” are already final.") % {"stage": stage.name}, code="final")
    if state.state == queries.PUBLICITY:
        raise UserError(_("The results of “%(stage)s” are already in publicity.") % {"stage": stage.name},
                        code="publicity")
    if competition.status not in COMPUTE_STATUSES:
        raise UserError(
            _("Results cannot be published while the competition is “%(status)s”.")
            % {"status": competition.get_status_display()}, code="status")
    if not state.computations:
        raise UserError(_("Compute the results of “%(stage)s” first.") % {"stage": stage.name},
                        code="not_computed")
    problems = stale_scopes(stage, state.computations, last=state.last)
    if problems:
        raise UserError(_("Compute the results again before publishing: %(problems)s")
                        % {"problems": "；".join(problems)}, code="stale")
    missing = sum(c.n_missing for c in state.computations)
    if missing:
        raise UserError(
            _("%(count)s entries have no score for some component and are not marked absent (缺考) or "
              "disqualified. Record their scores or mark them before publishing.") % {"count": missing},
            code="missing_scores",
        )
    publicity = record_publicity(actor, stage, state.computations, reason=reason)
    if state.last:
        if competition.status == Status.IN_PROGRESS:
            competition_services.transition(actor, competition, Status.SCORING, reason=reason)
        competition_services.transition(actor, competition, Status.PUBLICITY, reason=reason)
    return publicity


def record_publicity(actor, stage, computations, *, reason="", started_at=None):
    """The Publicity of `computations`, for the period the rules set from `started_at`
    (now): the work of `publish` once it has checked, and of the demo data."""
    started_at = started_at or timezone.now()
    publicity = Publicity.objects.create(
        competition=stage.competition, stage=stage, started_at=started_at, started_by=actor,
        ends_at=started_at + timedelta(days=publicity_days(stage.competition)),
    )
    publicity.computations.set(computations)
    audit.record(actor, "results.publish", publicity, reason=reason, data={
        "stage": stage.key, "computations": [c.pk for c in computations], "ends_at": publicity.ends_at.isoformat(),
    })
    return publicity


@transaction.atomic
def withdraw_publicity(actor, stage, *, reason):
    """Take the stage's results out of publicity (an objection upheld, a score to correct),
    so they can be computed again. The competition goes back to scoring."""
    if not (reason or "").strip():
        raise UserError(_("Say why the publicity is withdrawn."), code="reason")
    state = queries.stage_results(stage)
    if state.state != queries.PUBLICITY:
        raise UserError(_("The results of “%(stage)s” are not in publicity.") % {"stage": stage.name},
                        code="not_in_publicity")
    publicity = Publicity.objects.select_for_update().get(pk=state.publicity.pk)
    publicity.withdrawn_at, publicity.withdrawn_by, publicity.withdraw_reason = timezone.now(), actor, reason
    publicity.save(update_fields=["withdrawn_at", "withdrawn_by", "withdraw_reason"])
    audit.record(actor, "results.withdraw_publicity", publicity, reason=reason)
    competition = stage.competition
    competition.refresh_from_db(fields=["status"])
    if state.last and competition.status == Status.PUBLICITY:
        competition_services.transition(actor, competition, Status.SCORING, reason=reason)
    return publicity


def publicity_in_progress(competition):
    """The competition's publicity now open to objections (the latest, when several stages
    are in publicity at once), or None."""
    for publicity in (Publicity.objects.filter(competition=competition, withdrawn_at__isnull=True)
                      .select_related("stage").order_by("-started_at", "-pk")):
        if not Finalization.objects.filter(stage_id=publicity.stage_id).exists():
            return publicity
    return None


# --------------------------------------------------------------------------
# Objections
# --------------------------------------------------------------------------

OBJECTIONS_PER_ADDRESS_PER_HOUR = 5
OBJECTION_TEXT_MAX = 2000


@transaction.atomic
def submit_objection(competition, *, name, contact, text, entry_number=None, ip=None, actor=None):
    """Anyone may object to results in publicity; the objection is recorded for the
    organizer to answer."""
    publicity = publicity_in_progress(competition)
    if publicity is None:
        raise UserError(_("The results of this competition are not in publicity; objections are closed."),
                        code="closed")
    if publicity.period_over:
        raise UserError(_("The publicity period ended on %(date)s; objections are closed.")
                        % {"date": timezone.localtime(publicity.ends_at).strftime("%Y-%m-%d %H:%M")},
                        code="closed")
    name, contact, text = (name or "").strip(), (contact or "").strip(), (text or "").strip()
    problems = []
    if not 1 <= len(name) <= 50:
        problems.append(Problem(_("Give your name (at most 50 characters)."), where="name", code="name"))
    if not 5 <= len(contact) <= 100 or not any(ch.isdigit() or ch == "@" for ch in contact):
        problems.append(Problem(_("Give a phone number or an e-mail address where the organizer can reply."),
                                where="contact", code="contact"))
    if not 5 <= len(text) <= OBJECTION_TEXT_MAX:
        problems.append(Problem(_("Describe the objection in 5 to %(max)s characters.")
                                % {"max": OBJECTION_TEXT_MAX}, where="text", code="text"))
    if entry_number is not None and not Result.objects.filter(
            computation__in=publicity.computations.all(), number=entry_number).exists():
        problems.append(Problem(_("No published result has the entry number %(number)s.")
                                % {"number": entry_number}, where="entry_number", code="entry_number"))
    if problems:
        raise Rejected(_("The objection was not recorded:"), problems)
    if ip and Objection.objects.filter(
            ip=ip, created_at__gte=timezone.now() - timedelta(hours=1)).count() >= OBJECTIONS_PER_ADDRESS_PER_HOUR:
        raise UserError(_("Too many objections were sent from this address in the last hour; try again later."),
                        code="throttled")
    objection = Objection.objects.create(
        competition=competition, publicity=publicity, entry_number=entry_number, name=name, contact=contact,
        text=text, ip=ip,
    )
    audit.record(actor, "results.objection", objection, repr_text=f"{competition} #{objection.pk}",
                 data={"name": mask_name(name), "entry_number": entry_number})
    return objection


@transaction.atomic
def answer_objection(actor, objection, *, answer, outcome):
    """The organizer's answer to an objection, shown on the publicity page."""
    answer = (answer or "").strip()
    if not answer:
        raise UserError(_("Write the answer."), code="answer")
    if outcome not in Objection.Outcome.values:
        raise UserError(_("Say whether the objection is upheld."), code="outcome")
    objection = Objection.objects.select_for_update().get(pk=objection.pk)
    if Finalization.objects.filter(publicity_id=objection.publicity_id).exists():
        raise UserError(_("The results are final; the answer can no longer change."), code="final")
    changes = audit.changes_between(objection, {"answer": answer, "outcome": outcome}, ["answer", "outcome"])
    if not changes:
        return objection
    objection.answer, objection.outcome = answer, outcome
    objection.answered_at, objection.answered_by = timezone.now(), actor
    objection.save(update_fields=["answer", "outcome", "answered_at", "answered_by"])
    audit.record(actor, "results.answer_objection", objection, changes=changes)
    return objection


# --------------------------------------------------------------------------
# Finalization
# --------------------------------------------------------------------------


def finalize_blockers(stage, publicity):
    """What must happen before the stage's results in `publicity` can become final."""
    problems = []
    if publicity is None:
        return [_("The results of “%(stage)s” must first be published for publicity.") % {"stage": stage.name}]
    if not publicity.period_over:
        problems.append(_("The publicity period runs until %(date)s.")
                        % {"date": timezone.localtime(publicity.ends_at).strftime("%Y-%m-%d %H:%M")})
    open_count = publicity.objections.filter(answered_at__isnull=True).count()
    if open_count:
        problems.append(_("%(count)s objections are not answered yet.") % {"count": open_count})
    from jingsai.exams.models import Attempt, AttemptStatus

    unfinished = (Attempt.objects.filter(entry__stage=stage)
                  .exclude(status__in=[AttemptStatus.GRADED, AttemptStatus.VOIDED]).count())
    if unfinished:
        problems.append(_("%(count)s theory exam attempts are still being answered or graded.")
                        % {"count": unfinished})
    return problems


@transaction.atomic
def finalize(actor, stage, *, reason=""):
    """Make the stage's results final: publicity ends, the last stage grants promotions,
    titles and recommendations (the competition becomes final), qualifiers advance, and
    nothing is computed again."""
    stage = _lock_stage(stage)
    state = queries.stage_results(stage)
    if state.state == queries.FINAL:
        raise UserError(_("The results of “%(stage)s” are already final.") % {"stage": stage.name}, code="final")
    competition = Competition.objects.select_for_update().get(pk=stage.competition_id)
    if state.last and competition.status != Status.PUBLICITY:
        raise UserError(_("The competition is not in publicity (it is “%(status)s”).")
                        % {"status": competition.get_status_display()}, code="status")
    problems = finalize_blockers(stage, state.publicity)
    if problems:
        raise UserError("；".join(str(p) for p in problems), code="blocked")
    published = list(state.publicity.computations.select_related("scope"))
    final = _final_computations(actor, stage, state, published)
    finalization = record_finalization(actor, stage, state.publicity, final, last=state.last, reason=reason)
    if state.last:
        competition_services.transition(actor, competition, Status.FINAL, reason=reason)
    return finalization


def record_finalization(actor, stage, publicity, computations, *, last, reason="", at=None):
    """What makes results final: the Finalization, the benefits of the last stage granted,
    the qualifiers advanced. The work of `finalize` once it has checked, and of the demo."""
    competition = stage.competition
    finalization = Finalization.objects.create(competition=competition, stage=stage, publicity=publicity,
                                               finalized_by=actor, reason=reason, finalized_at=at or timezone.now())
    finalization.computations.set(computations)
    granted = _grant(actor, competition, computations, at=finalization.finalized_at) if last else {}
    advanced = _advance(actor, stage, computations)
    audit.record(actor, "results.finalize", finalization, reason=reason, data={
        "stage": stage.key, "computations": [c.pk for c in computations], "advanced": advanced, **granted,
    })
    return finalization


def _final_computations(actor, stage, state, published):
    """The published computations, or new versions where promotions granted by another
    competition since publicity take a promotion away (results-rules.md §7). Scores must
    not have changed since publicity."""
    spec = rules_for(stage, state.last)
    by_scope = load_inputs(stage, last=state.last)
    if set(by_scope) != {c.scope_key for c in published}:
        raise UserError(_("Entries changed after the results were published; withdraw the publicity and compute "
                          "again."), code="stale")
    promoting = state.last and _has_promotions(spec)
    final = []
    for computation in published:
        inputs = by_scope[computation.scope_key]
        if inputs.digest != computation.digest:
            raise UserError(
                _("Scores changed after the results were published; withdraw the publicity and compute again."),
                code="stale")
        earlier = _earlier_promotions(stage.competition, inputs.persons) if promoting else set()
        if sorted(earlier) == computation.earlier_promoted:
            final.append(computation)
        else:
            final.append(_store(actor, stage, inputs, spec, earlier, reason=_(
                "Promotions granted by another competition since publicity (one promotion per person per year).")))
    return final


def _person_benefits(result):
    """(person id, promotion dict or None, titles, recommendations) for each person
    a result benefits: the entry's person, or each member of a team."""
    if result.members is None:
        yield result.entry.person_id, result.promotion, result.titles, result.recommendations
        return
    for member in result.members:
        yield member["person"], member["promotion"], member["titles"], member["recommendations"]


def _grant(actor, competition, computations, *, at):
    """Promotion and Honour records for the final results; each promoted person's level
    rises (never falls) through the people services, with its audit record."""
    year = competition_year(competition)
    now = at
    promotions, honours = [], []
    for result in Result.objects.filter(computation__in=computations).select_related("entry"):
        for person_id, promotion, titles, recommendations in _person_benefits(result):
            if promotion:
                promotions.append(Promotion(
                    person_id=person_id, competition=competition, result=result, year=year,
                    from_level=promotion["from"], to_level=promotion["to"], granted_at=now, granted_by=actor))
            honours += [Honour(kind=Honour.Kind.TITLE, name=name, person_id=person_id, competition=competition,
                               result=result, granted_at=now, granted_by=actor) for name in titles]
            honours += [Honour(kind=Honour.Kind.RECOMMENDATION, name=name, person_id=person_id,
                               competition=competition, result=result, granted_at=now, granted_by=actor)
                        for name in recommendations]
    try:
        with transaction.atomic():
            Promotion.objects.bulk_create(promotions, batch_size=BATCH)
    except IntegrityError:
        raise UserError(_("Another competition granted a promotion to one of these people a moment ago; "
                          "finalize again."), code="race") from None
    Honour.objects.bulk_create(honours, batch_size=BATCH)
    people = Person.objects.in_bulk([p.person_id for p in promotions])
    raised = 0
    for promotion in promotions:
        person = people[promotion.person_id]
        if person.level is None or person.level > promotion.to_level:
            people_services.update_person(
                actor, person, level=promotion.to_level,
                reason=_("Promoted by the final results of %(competition)s (rank %(rank)s).")
                % {"competition": competition.name, "rank": promotion.result.rank},
            )
            raised += 1
    return {"promotions": len(promotions), "levels_raised": raised, "honours": len(honours)}


def _advance(actor, stage, computations):
    """Hand the entries that advance to registration, which enters them in the next stage."""
    if not stage.advance or stage.next_stage() is None:
        return 0
    from jingsai.registration.services import advance_entries

    ids = []
    advancing = Result.objects.filter(computation__in=computations, advanced=True).order_by("computation", "position")
    for result in advancing:
        ids += [m["entry_id"] for m in result.members] if result.members is not None else [result.entry_id]
    entries = list(Entry.objects.filter(pk__in=ids).select_related("person", "unit").order_by("number"))
    if entries:
        advance_entries(actor, stage, entries)
    return len(entries)


# --------------------------------------------------------------------------
# Certificates
# --------------------------------------------------------------------------

CODE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no 0/O, 1/I: codes are typed from paper
CODE_LENGTH = 12


def new_certificate_code():
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def final_results(competition):
    """Results of every finalized stage of the competition (the last stage last)."""
    return (Result.objects.filter(computation__finalizations__competition=competition)
            .select_related("computation__stage", "entry__person", "team", "unit")
            .order_by("computation__stage__order", "computation__scope_key", "position"))


@transaction.atomic
def issue_certificates(actor, competition, *, layout):
    """Certificates for the final results: an award certificate (获奖证书) for every award,
    a certificate of results (成绩证明) for every ranked contestant. Certificates already
    issued keep their code and take the chosen layout. Returns the certificates."""
    from .certificates import LAYOUTS

    if layout not in LAYOUTS:
        raise UserError(_("Unknown certificate layout “%(layout)s”.") % {"layout": layout}, code="layout")
    results = [r for r in final_results(competition) if r.status == "ranked"]
    if not results:
        raise UserError(_("Certificates are issued from final results; no stage of this competition is final yet."),
                        code="not_final")
    existing = {(c.result_id, c.person_id, c.kind): c for c in Certificate.objects.filter(competition=competition)}
    people = Person.objects.in_bulk({m["person"] for r in results if r.members for m in r.members})
    wanted = []
    for result in results:
        holders = [result.entry.person] if result.members is None else [people[m["person"]] for m in result.members]
        kinds = [Certificate.Kind.SCORE] + ([Certificate.Kind.AWARD] if result.award else [])
        for person in holders:
            wanted += [(result, person, kind) for kind in kinds]
    now = timezone.now()
    create, relayout = [], []
    codes = set()
    for result, person, kind in wanted:
        certificate = existing.get((result.pk, person.pk, kind))
        if certificate is None:
            code = new_certificate_code()
            while code in codes:
                code = new_certificate_code()
            codes.add(code)
            create.append(Certificate(
                code=code, kind=kind, competition=competition, result=result, person=person,
                holder_name=person.name, unit_name=result.unit.name, award=result.award, rank=result.rank,
                total=f"{result.total:.{result.computation.places}f}", layout=layout, issued_at=now,
                issued_by=actor,
            ))
        elif certificate.layout != layout and not certificate.revoked:
            certificate.layout = layout
            relayout.append(certificate)
    Certificate.objects.bulk_create(create, batch_size=BATCH)
    Certificate.objects.bulk_update(relayout, ["layout"], batch_size=BATCH)
    if create or relayout:
        audit.record(actor, "results.issue_certificates", competition,
                     data={"issued": len(create), "layout": layout, "relayout": len(relayout)})
    return list(Certificate.objects.filter(competition=competition, revoked_at__isnull=True)
                .select_related("competition__series", "competition__host", "result__computation__stage",
                                "person"))


@transaction.atomic
def revoke_certificate(actor, certificate, *, reason):
    """Revoke a certificate; its verification page says so, with the reason."""
    reason = (reason or "").strip()
    if not reason:
        raise UserError(_("Say why the certificate is revoked; the reason is shown when it is verified."),
                        code="reason")
    certificate = Certificate.objects.select_for_update().get(pk=certificate.pk)
    if certificate.revoked:
        raise UserError(_("This certificate is already revoked."), code="revoked")
    certificate.revoked_at, certificate.revoked_by, certificate.revoke_reason = timezone.now(), actor, reason
    certificate.save(update_fields=["revoked_at", "revoked_by", "revoke_reason"])
    audit.record(actor, "results.revoke_certificate", certificate, reason=reason)
    return certificate
