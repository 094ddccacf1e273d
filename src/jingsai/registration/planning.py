"""Registering people, all or nothing, the same way whatever the door.

A file, the unit contact's form, the API and a worker registering themself all turn
their input into `Candidate`s. `plan()` checks them together against each other, the
stored people and entries, and the competition's rules, collecting every problem;
`apply()` writes a clean plan in one transaction with bulk inserts. Lookups go by
chunk (one query per 2,000 identity digests), never by row, so a 100,000-row file costs
about a hundred queries.
"""

from collections import Counter, defaultdict
from dataclasses import dataclass, field

from django.db import IntegrityError, transaction
from django.db.models import Count, Max
from django.utils import timezone
from django.utils.translation import gettext as _

from jingsai.accounts import permissions
from jingsai.accounts.scopes import Scope
from jingsai.accounts.services import SYSTEM_USERNAME
from jingsai.competitions.models import Stage, Status
from jingsai.core import audit
from jingsai.core.errors import Problem, Rejected, UserError
from jingsai.core.masking import mask_name
from jingsai.orgs.models import Organization
from jingsai.people import services as people_services
from jingsai.people.models import Person, WorkerStatus

from . import columns as cols
from .models import ACTIVE_STATUSES, Entry, EntryStatus, ImportBatch, Team
from .rules import REVIEW_STATUSES, Rules, registration_open

MISSING = object()
CHUNK = 2000


class Candidate:
    """One person to register. From a file or form: name and identity (`parsed`,
    `digest`); for someone already chosen (a worker, people picked from a list): `person`
    (the values people_services.lookup_by_digests gives). `level` and `worker_status`
    are MISSING when the input did not say; a stored person's own always count."""

    __slots__ = ("digest", "entry_status", "group_ids", "level", "name", "parsed", "person", "phone", "reactivate",
                 "row", "scope", "scope_code", "team", "unit", "unit_code", "worker_status")

    def __init__(self, *, row=None, name="", parsed=None, digest=None, person=None, phone="", unit_code="",
                 unit=None, level=MISSING, worker_status=MISSING, group_ids=(), team="", scope_code=""):
        self.row = row
        self.name = name
        self.parsed = parsed
        self.digest = digest
        self.person = person
        self.phone = phone
        self.unit_code = unit_code
        self.unit = unit
        self.level = level
        self.worker_status = worker_status
        self.group_ids = group_ids
        self.team = team
        self.scope_code = scope_code
        self.scope = None
        self.entry_status = None
        self.reactivate = None

    @property
    def key(self):
        return self.digest if self.digest is not None else ("person", self.person["pk"])

    @property
    def birth_date(self):
        return self.parsed.birth_date if self.parsed is not None else self.person["birth_date"]

    def declared(self, name):
        """The level or status that counts: a stored person's own (a different value in the
        input is a problem, see _check_declared), else what the input says."""
        if self.person is not None:
            return self.person[name]
        value = getattr(self, name)
        if value is MISSING:
            return None if name == "level" else WorkerStatus.WORKER
        return value


@dataclass
class Plan:
    competition: object
    stage: object
    rules: Rules
    actor: object
    source: str
    candidates: list
    problems: list = field(default_factory=list)
    new_teams: dict = field(default_factory=dict)  # name -> unit
    teams: dict = field(default_factory=dict)  # name -> stored Team
    batch: object = None  # the ImportBatch, once a file's plan is applied

    def summary(self):
        created = sum(1 for c in self.candidates if c.reactivate is None)
        return {
            "rows": len(self.candidates),
            "people_created": sum(1 for c in self.candidates if c.person is None),
            "people_found": sum(1 for c in self.candidates if c.person is not None),
            "entries_created": created,
            "entries_reactivated": len(self.candidates) - created,
            "teams_created": len(self.new_teams),
            "by_status": dict(Counter(c.entry_status for c in self.candidates)),
        }


def may(actor, perm, obj=None):
    """has_perm, except that the system user (the command line without --user, the
    platform's own work) may do anything: it cannot log in, and shell access to the server
    is already full access."""
    if actor.username == SYSTEM_USERNAME and not actor.is_active:
        return True
    return permissions.has_perm(actor, perm, obj)


def entry_scope(competition, unit, person_id=None):
    """Where an entry of `unit` sits, for permission checks before the entry exists."""
    return Scope(org_path=unit.path, host_path=competition.host.path, competition_id=competition.pk,
                 person_id=person_id)


def _problem(problems, candidate, column, value, message, code="invalid"):
    problems.append(Problem(message, row=candidate.row, column=column, value=value, code=code))


def check_window(actor, competition, stage, *, self_service):
    """Raise UserError unless entries may be added to `stage` now by `actor`. Outside
    the registration window only the host's organizers may add: late entries while
    registration is closed, and entries of a later stage while the competition runs."""
    if not self_service and may(actor, "registration.review", competition):
        allowed = list(REVIEW_STATUSES)
        if stage.order > competition.stages.order_by("order").values_list("order", flat=True).first():
            allowed.append(Status.IN_PROGRESS)
        if competition.status in allowed:
            return
    reason = registration_open(competition)
    if reason:
        raise UserError(reason, code="closed")


def plan(actor, competition, stage, candidates, *, source, self_service=False):
    """Check every candidate; returns a Plan whose `problems` list everything wrong."""
    check_window(actor, competition, stage, self_service=self_service)
    rules = Rules.of(competition)
    result = Plan(competition=competition, stage=stage, rules=rules, actor=actor, source=source,
                  candidates=candidates)
    problems = result.problems
    _check_duplicates(candidates, problems)
    _resolve_units(result, self_service)
    _find_people(candidates, problems)
    _find_entries(result)
    for candidate in candidates:
        _check_eligibility(rules, candidate, problems)
    if stage.scope_type:
        _resolve_scopes(result)
    else:
        for candidate in candidates:
            if candidate.scope_code:
                _problem(problems, candidate, cols.SCOPE.label, candidate.scope_code,
                         _("This stage is not split into 赛区; leave the column empty."))
    if rules.team_mode:
        _check_teams(result)
    else:
        for candidate in candidates:
            if candidate.team:
                _problem(problems, candidate, cols.TEAM.label, candidate.team,
                         _("This is not a team competition; leave the column empty."))
    if rules.unit_quota:
        _check_quota(result)
    _decide_statuses(result, self_service)
    problems.sort(key=lambda p: (p.row is None, p.row or 0))
    return result


def _check_duplicates(candidates, problems):
    first = {}
    for candidate in candidates:
        key = candidate.key
        if key in first:
            earlier = first[key]
            message = (_("The same identity number is already on row %(row)s of this file.") % {"row": earlier.row}
                       if earlier.row is not None else _("The same person is listed twice."))
            _problem(problems, candidate, cols.ID_NUMBER.label,
                     candidate.parsed.value if candidate.parsed else candidate.name, message, code="duplicate")
        else:
            first[key] = candidate
        if candidate.parsed is not None and candidate.parsed.value == cols.EXAMPLE_ID:
            _problem(problems, candidate, cols.ID_NUMBER.label, cols.EXAMPLE_ID,
                     _("This is the template's example row; delete it."), code="example")


def _resolve_units(result, self_service):
    competition, problems, actor = result.competition, result.problems, result.actor
    codes = {c.unit_code for c in result.candidates if c.unit is None and c.unit_code}
    units = {o.code: o for o in Organization.objects.filter(code__in=codes)} if codes else {}
    host_path = competition.host.path
    allowed = {}
    for candidate in result.candidates:
        if candidate.unit is None:
            if not candidate.unit_code:
                _problem(problems, candidate, cols.UNIT.label, "", _("The unit code is empty."))
                continue
            candidate.unit = units.get(candidate.unit_code)
            if candidate.unit is None:
                _problem(problems, candidate, cols.UNIT.label, candidate.unit_code,
                         _("No organization has the code “%(code)s”.") % {"code": candidate.unit_code})
                continue
        unit = candidate.unit
        if not unit.path.startswith(host_path):
            _problem(problems, candidate, cols.UNIT.label, unit.code,
                     _("“%(unit)s” is outside %(host)s, which hosts this competition.")
                     % {"unit": unit.name, "host": competition.host.name}, code="outside_host")
            candidate.unit = None
            continue
        if self_service:
            continue
        if unit.pk not in allowed:
            allowed[unit.pk] = may(actor, "registration.register", entry_scope(competition, unit))
        if not allowed[unit.pk]:
            _problem(problems, candidate, cols.UNIT.label, unit.code,
                     _("You cannot register workers of “%(unit)s”.") % {"unit": unit.name}, code="scope")
            candidate.unit = None


def _find_people(candidates, problems):
    """Attach the stored person of every identity number already known; a different name
    or an employer on another branch of the tree is a problem, never a silent change."""
    digests = [c.digest for c in candidates if c.person is None and c.digest is not None]
    found = people_services.lookup_by_digests(digests) if digests else {}
    for candidate in candidates:
        if candidate.person is None:
            candidate.person = found.get(candidate.digest)
            if candidate.person is None:
                continue
            if candidate.person["name"] != candidate.name:
                _problem(problems, candidate, cols.NAME.label, candidate.name, _(
                    "This identity number is already registered under another name (%(masked)s). "
                    "Check the name and the number.") % {"masked": mask_name(candidate.person["name"])},
                    code="name_mismatch")
            _check_declared(candidate, problems)
        unit = candidate.unit
        employer_path = candidate.person["employer__path"]
        if unit is not None and not (employer_path.startswith(unit.path) or unit.path.startswith(employer_path)):
            _problem(problems, candidate, cols.UNIT.label, unit.code, _(
                "This worker's record names another employer; their own unit registers them, or "
                "their record is updated first."), code="employer")


def _check_declared(candidate, problems):
    """A level or status the input states for a stored person must be the one on record:
    a registration never changes the record (eligibility and the entry go by it)."""
    person = candidate.person
    for name, column, names in (("level", cols.LEVEL, cols.LEVEL_NAMES), ("worker_status", cols.STATUS,
                                                                          cols.STATUS_NAMES)):
        stated = getattr(candidate, name)
        if stated is MISSING or stated == person[name]:
            continue
        shown = names.get(stated, stated)
        if candidate.row is not None:
            message = _("The file gives %(column)s “%(stated)s”, but the worker's record says “%(stored)s”. A "
                        "registration does not change the record: correct the file, or have the worker's record "
                        "updated first.")
        else:
            message = _("%(column)s “%(stated)s” differs from the worker's record (“%(stored)s”). A registration "
                        "does not change the record: leave it empty, or have the worker's record updated first.")
        _problem(problems, candidate, column.label, shown, message % {
            "column": column.label, "stated": shown, "stored": names.get(person[name], person[name])},
            code=f"{name}_mismatch")


def _find_entries(result):
    """Stored entries of the same people in this competition: an active one anywhere is a
    duplicate (one entry per person per competition); a withdrawn or rejected one in this
    stage is submitted again."""
    by_person = defaultdict(list)
    person_ids = [c.person["pk"] for c in result.candidates if c.person is not None]
    for start in range(0, len(person_ids), CHUNK):
        rows = Entry.objects.filter(competition=result.competition, person_id__in=person_ids[start : start + CHUNK])
        for values in rows.values("pk", "person_id", "stage_id", "status", "number"):
            by_person[values["person_id"]].append(values)
    labels = dict(EntryStatus.choices)
    for candidate in result.candidates:
        if candidate.person is None:
            continue
        for entry in by_person.get(candidate.person["pk"], ()):
            if entry["status"] in ACTIVE_STATUSES:
                _problem(result.problems, candidate, cols.ID_NUMBER.label, _masked(candidate),
                         _("Already registered in this competition (entry %(number)s, %(status)s).")
                         % {"number": entry["number"], "status": labels[entry["status"]]}, code="registered")
            elif entry["stage_id"] == result.stage.pk:
                candidate.reactivate = entry


def _masked(candidate):
    if candidate.parsed is not None:
        return candidate.parsed.value
    return candidate.name


def _check_eligibility(rules, candidate, problems):
    birth = candidate.birth_date
    if birth is not None:
        message = rules.age_problem(birth)
        if message:
            _problem(problems, candidate, cols.ID_NUMBER.label, _masked(candidate), message, code="age")
    status = candidate.declared("worker_status")
    message = rules.status_problem(status)
    if message:
        _problem(problems, candidate, cols.STATUS.label, cols.STATUS_NAMES.get(status, status), message,
                 code="worker_status")
    level = candidate.declared("level")
    message = rules.level_problem(level)
    if message:
        _problem(problems, candidate, cols.LEVEL.label, cols.LEVEL_NAMES.get(level, level), message, code="level")


def _resolve_scopes(result):
    """Each entry's 赛区: the organization named in the 赛区 column (of the stage's type,
    inside the host), else the unit's nearest organization of that type (itself or an
    ancestor), else the one organization of that type in the host whose region code is
    the unit's own (an enterprise filed under an industry union still has its district)."""
    competition, stage, problems = result.competition, result.stage, result.problems
    scope_type = stage.scope_type
    host_path = competition.host.path
    named = {c.scope_code for c in result.candidates if c.scope_code}
    stored = {o.code: o for o in Organization.objects.filter(code__in=named)} if named else {}
    ancestor_ids = {int(part, 36) for c in result.candidates if c.unit is not None
                    for part in c.unit.path.strip("/").split("/")}
    of_type = {}
    for ids in _chunks(sorted(ancestor_ids)):
        of_type.update({o.pk: o for o in Organization.objects.filter(pk__in=ids, type=scope_type)})
    by_region = defaultdict(list)
    for org in Organization.objects.filter(type=scope_type, path__startswith=host_path).exclude(region_code=""):
        by_region[org.region_code].append(org)
    label = dict(Organization._meta.get_field("type").choices).get(scope_type, scope_type)
    for candidate in result.candidates:
        if candidate.scope_code:
            scope = stored.get(candidate.scope_code)
            if scope is None:
                _problem(problems, candidate, cols.SCOPE.label, candidate.scope_code,
                         _("No organization has the code “%(code)s”.") % {"code": candidate.scope_code})
            elif scope.type != scope_type or not scope.path.startswith(host_path):
                _problem(problems, candidate, cols.SCOPE.label, candidate.scope_code,
                         _("“%(name)s” is not a 赛区 of this stage: it must be a %(type)s organization within "
                           "%(host)s.") % {"name": scope.name, "type": label, "host": competition.host.name})
            else:
                candidate.scope = scope
            continue
        unit = candidate.unit
        if unit is None:
            continue
        for part in reversed(unit.path.strip("/").split("/")):
            scope = of_type.get(int(part, 36))
            if scope is not None:
                candidate.scope = scope
                break
        else:
            matches = by_region.get(unit.region_code, ())
            if len(matches) == 1:
                candidate.scope = matches[0]
            else:
                _problem(problems, candidate, cols.SCOPE.label, "", _(
                    "“%(unit)s” does not belong to any %(type)s organization; name its 赛区 in the 赛区 column.")
                    % {"unit": unit.name, "type": label}, code="scope_missing")


def _chunks(items):
    for start in range(0, len(items), CHUNK):
        yield items[start : start + CHUNK]


def _check_teams(result):
    """Team competitions: every team named is complete after this registration (exactly
    team_size active members), of one unit, and its name is not another unit's team."""
    stage, rules, problems = result.stage, result.rules, result.problems
    members = defaultdict(list)
    for candidate in result.candidates:
        name = candidate.team.strip()
        if not name:
            _problem(problems, candidate, cols.TEAM.label, "", _("Name the team in the 团队 column."), code="team")
        elif len(name) > 100:
            _problem(problems, candidate, cols.TEAM.label, name, _("A team name is at most 100 characters."),
                     code="team")
        else:
            members[name].append(candidate)
    if not members:
        return
    result.teams = {t.name: t for t in Team.objects.filter(stage=stage, name__in=list(members)).select_related("unit")}
    counts = dict(Entry.objects.filter(stage=stage, team__name__in=list(members), status__in=ACTIVE_STATUSES)
                  .values_list("team__name").annotate(n=Count("pk")))
    for name, group in members.items():
        units = {c.unit.pk: c.unit for c in group if c.unit is not None}
        stored = result.teams.get(name)
        if stored is not None:
            units.setdefault(stored.unit_id, stored.unit)
        if len(units) > 1:
            for candidate in group:
                _problem(problems, candidate, cols.TEAM.label, name, _(
                    "The members of team “%(team)s” come from different units (%(units)s); a team is of one "
                    "unit.") % {"team": name, "units": "、".join(u.name for u in units.values())}, code="team")
            continue
        have = counts.get(name, 0) + len(group)
        if have != rules.team_size:
            for candidate in group:
                _problem(problems, candidate, cols.TEAM.label, name, _(
                    "Team “%(team)s” would have %(count)s members; a team has exactly %(size)s.")
                    % {"team": name, "count": have, "size": rules.team_size}, code="team_size")
        if stored is None and units:
            result.new_teams[name] = next(iter(units.values()))


def _check_quota(result):
    """At most unit_quota entries per unit in the stage (teams, in team competitions)."""
    stage, rules, problems = result.stage, result.rules, result.problems
    unit_ids = {c.unit.pk for c in result.candidates if c.unit is not None}
    active = Entry.objects.filter(stage=stage, unit_id__in=unit_ids, status__in=ACTIVE_STATUSES)
    if rules.team_mode:
        stored = dict(active.exclude(team=None).values_list("unit_id").annotate(n=Count("team_id", distinct=True)))
        adding = defaultdict(set)
        for name, unit in result.new_teams.items():
            adding[unit.pk].add(name)
        for unit_id, names in adding.items():
            if stored.get(unit_id, 0) + len(names) > rules.unit_quota:
                for candidate in result.candidates:
                    if candidate.unit is not None and candidate.unit.pk == unit_id and candidate.team in names:
                        _problem(problems, candidate, cols.TEAM.label, candidate.team, _(
                            "“%(unit)s” may enter %(quota)s teams; with this file it would have %(count)s.")
                            % {"unit": candidate.unit.name, "quota": rules.unit_quota,
                               "count": stored.get(unit_id, 0) + len(names)}, code="quota")
        return
    stored = dict(active.values_list("unit_id").annotate(n=Count("pk")))
    taken = Counter()
    for candidate in result.candidates:
        if candidate.unit is None:
            continue
        taken[candidate.unit.pk] += 1
        count = stored.get(candidate.unit.pk, 0) + taken[candidate.unit.pk]
        if count > rules.unit_quota:
            _problem(problems, candidate, cols.UNIT.label, candidate.unit.code, _(
                "“%(unit)s” may enter %(quota)s people and already has %(stored)s; this row is number %(count)s.")
                % {"unit": candidate.unit.name, "quota": rules.unit_quota, "stored": stored.get(candidate.unit.pk, 0),
                   "count": count}, code="quota")


def initial_status(actor, competition, unit, rules, *, self_service):
    """An entry starts as far along the approval as its registrant may take it: the host's
    organizers register approved entries, the unit's own reviewers unit-approved ones."""
    if self_service:
        return EntryStatus.SUBMITTED
    scope = entry_scope(competition, unit)
    if may(actor, "registration.review", scope):
        return EntryStatus.APPROVED
    if not rules.host_only and may(actor, "registration.review_unit", scope):
        return EntryStatus.UNIT_APPROVED
    return EntryStatus.SUBMITTED


def _decide_statuses(result, self_service):
    by_unit = {}
    for candidate in result.candidates:
        unit = candidate.unit
        if unit is None:
            continue
        if unit.pk not in by_unit:
            by_unit[unit.pk] = initial_status(result.actor, result.competition, unit, result.rules,
                                              self_service=self_service)
        candidate.entry_status = by_unit[unit.pk]


def reject_if_problems(result):
    if result.problems:
        code = "forbidden" if any(p.code == "scope" for p in result.problems) else "rejected"
        raise Rejected(_("Nothing was registered: %(count)s problems were found.") % {"count": len(result.problems)},
                       result.problems, code=code)


ENTRY_FIELDS = ("unit", "scope", "team", "status", "level", "worker_status", "rejection_reason", "withdrawal_reason",
                "withdrawn_at", "unit_reviewed_at", "unit_reviewed_by", "reviewed_at", "reviewed_by")


def apply(result, *, batch=None, reason=""):
    """Write a plan without problems, in one transaction: new people, teams, entries
    (numbered on from the stage's last number), and the audit. `batch` ({filename,
    sha256}) marks a file import: its entries point to one ImportBatch, which gets the one
    audit record. Returns the entries made or submitted again."""
    reject_if_problems(result)
    try:
        with transaction.atomic():
            return _write(result, batch, reason)
    except IntegrityError:
        raise UserError(_("Someone registered some of the same people while this was being checked. Nothing was "
                          "registered; try again."), code="conflict") from None


def _write(result, batch, reason):
    actor, competition, stage, candidates = result.actor, result.competition, result.stage, result.candidates
    summary = result.summary()
    # Serializes numbering in the stage; the stage row itself is not changed.
    Stage.objects.select_for_update().filter(pk=stage.pk).first()
    if batch is not None:
        batch = ImportBatch.objects.create(
            competition=competition, stage=stage, filename=batch["filename"][:200], sha256=batch.get("sha256", ""),
            rows=len(candidates), created_by=actor, **{k: summary[k] for k in (
                "people_created", "entries_created", "entries_reactivated", "teams_created")})
    people_services.add_groups([(c.person["pk"], g) for c in candidates if c.person is not None for g in c.group_ids])
    new = [c for c in candidates if c.person is None]
    if new:
        pks = people_services.bulk_create_people(actor, [
            {"name": c.name, "parsed": c.parsed, "digest": c.digest, "employer_id": c.unit.pk, "phone": c.phone,
             "level": c.declared("level"), "worker_status": c.declared("worker_status"), "group_ids": c.group_ids}
            for c in new
        ], reason=batch.filename if batch else reason)
        for candidate, pk in zip(new, pks, strict=True):
            candidate.person = {"pk": pk, "name": candidate.name, "level": candidate.declared("level"),
                                "worker_status": candidate.declared("worker_status")}
    teams = dict(result.teams)
    if result.new_teams:
        Team.objects.bulk_create([Team(competition=competition, stage=stage, name=name, unit=unit)
                                  for name, unit in result.new_teams.items()])
        teams.update({t.name: t for t in Team.objects.filter(stage=stage, name__in=list(result.new_teams))})
    now = timezone.now()
    number = Entry.objects.filter(stage=stage).aggregate(n=Max("number"))["n"] or 0
    entries, again = [], []
    for candidate in candidates:
        fields = _entry_fields(result, candidate, teams, now)
        if candidate.reactivate is not None:
            again.append(Entry(pk=candidate.reactivate["pk"], number=candidate.reactivate["number"],
                               person_id=candidate.person["pk"], updated_at=now, **fields))
            continue
        number += 1
        entries.append(Entry(competition=competition, stage=stage, number=number, person_id=candidate.person["pk"],
                             source=result.source, batch=batch, created_by=actor, **fields))
    Entry.objects.bulk_create(entries, batch_size=CHUNK)
    if again:
        Entry.objects.bulk_update(again, [*ENTRY_FIELDS, "updated_at"], batch_size=CHUNK)
    if batch is not None:
        audit.record(actor, "registration.import", batch, reason=reason or batch.filename, data={
            **summary, "stage": stage.key, "competition": competition.code, "sha256": batch.sha256,
            "numbers": [entries[0].number, entries[-1].number] if entries else [],
        })
    else:
        names = {c.person["pk"]: c.person["name"] for c in candidates}
        for entry in entries + again:  # the audit's description names the person, without a query each
            entry.person = Person(pk=entry.person_id, name=names[entry.person_id])
        audit.record_many(actor, "registration.register", entries + again, reason=reason,
                          data_for=lambda e: {"status": e.status, "stage": stage.key, "source": result.source})
    result.batch = batch
    return entries + again


def _entry_fields(result, candidate, teams, now):
    status = candidate.entry_status
    actor = result.actor
    fields = {
        "unit": candidate.unit, "scope": candidate.scope, "team": teams.get(candidate.team) if candidate.team else None,
        "status": status, "level": candidate.declared("level"), "worker_status": candidate.declared("worker_status"),
        "rejection_reason": "", "withdrawal_reason": "", "withdrawn_at": None,
        "unit_reviewed_at": None, "unit_reviewed_by": None, "reviewed_at": None, "reviewed_by": None,
    }
    if status in (EntryStatus.UNIT_APPROVED, EntryStatus.APPROVED) and not result.rules.host_only:
        fields.update(unit_reviewed_at=now, unit_reviewed_by=actor)
    if status == EntryStatus.APPROVED:
        fields.update(reviewed_at=now, reviewed_by=actor)
    return fields
