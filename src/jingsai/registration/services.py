"""Every change to registrations, each audited: registering (a worker, a unit's people,
a team), approving, rejecting, withdrawing, advancing to the next stage; and the
queries and files the pages, the API and the command line share."""

import json

from django.db import transaction
from django.db.models import Count, Max, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from jingsai.accounts import permissions
from jingsai.accounts.scopes import Scope
from jingsai.competitions.models import Stage
from jingsai.core import audit, crypto, idnumber
from jingsai.core import spreadsheets as sheets
from jingsai.core.errors import Problem, Rejected, UserError
from jingsai.orgs.models import Organization
from jingsai.people import services as people_services
from jingsai.people.models import GroupTag, Person, id_digest

from . import columns as cols
from . import planning
from .models import ACTIVE_STATUSES, Entry, EntrySource, EntryStatus
from .rules import REVIEW_STATUSES, Rules, registration_open

PERSON_FIELDS = ("pk", "name", "employer_id", "employer__path", "level", "worker_status", "birth_date")


# ---- Stages ----

def first_stage(competition):
    stage = competition.stages.order_by("order").first()
    if stage is None:
        raise UserError(_("“%(name)s” has no stages yet.") % {"name": competition.name}, code="no_stage")
    return stage


def stage_for(competition, key=None):
    """The stage with this key, or the first (where registration goes) when none is given."""
    if not key:
        return first_stage(competition)
    stage = competition.stages.filter(key=key).first()
    if stage is None:
        keys = "、".join(competition.stages.order_by("order").values_list("key", flat=True))
        raise UserError(_("“%(name)s” has no stage “%(key)s”; its stages are: %(keys)s.")
                        % {"name": competition.name, "key": key, "keys": keys}, code="stage")
    return stage


# ---- Registering ----

def _person_values(people):
    ids = [p.pk for p in people]
    values = {v["pk"]: v for v in Person.objects.filter(pk__in=ids).values(*PERSON_FIELDS)}
    return [values[pk] for pk in ids]


def register(actor, competition, stage, candidates, *, source, self_service=False, reason=""):
    """Register the candidates, all or none: Rejected lists every problem."""
    with transaction.atomic():
        result = planning.plan(actor, competition, stage, candidates, source=source, self_service=self_service)
        return planning.apply(result, reason=reason)


def register_self(actor, competition, *, scope_code=""):
    """A worker registers themself in the competition's first stage."""
    if actor.person_id is None:
        raise UserError(_("Only a worker with a record on the platform can register themself."), code="forbidden")
    if competition.mode == "team":
        raise UserError(_("Teams are registered by their unit contact, not by each member."), code="team")
    person = _person_values([actor.person])[0]
    candidate = planning.Candidate(person=person, unit=Organization.objects.get(pk=person["employer_id"]),
                                   scope_code=scope_code)
    return register(actor, competition, first_stage(competition), [candidate], source=EntrySource.SELF,
                    self_service=True)[0]


def register_people(actor, competition, stage, people, *, team="", scope_code=""):
    """A unit contact or organizer registers people already on the platform, each for
    their own employer (or all as one team)."""
    if not people:
        raise UserError(_("Choose at least one worker."), code="empty")
    employers = {o.pk: o for o in Organization.objects.filter(pk__in={p.employer_id for p in people})}
    candidates = [planning.Candidate(row=None, person=values, unit=employers[values["employer_id"]], team=team,
                                     scope_code=scope_code)
                  for values in _person_values(people)]
    return register(actor, competition, stage, candidates, source=EntrySource.FORM)


def candidate_from_input(*, name, id_number, unit_code, phone="", level=planning.MISSING,
                         worker_status=planning.MISSING, groups=(), team="", scope_code="", row=None):
    """A candidate from a form or the API; bad values are raised as Rejected problems,
    worded as for the file's columns."""
    problems = []
    name = (name or "").strip()
    if not name or len(name) > 50:
        problems.append(Problem(_("A name is 1 to 50 characters."), row=row, column=cols.NAME.label, value=name))
    parsed = None
    try:
        parsed = idnumber.parse(id_number)
    except idnumber.InvalidIdNumber as error:
        problems.append(Problem(error.message, row=row, column=cols.ID_NUMBER.label, value=id_number,
                                code=f"id_number.{error.code}"))
    try:
        phone = people_services.normalize_phone(phone)
    except UserError as error:
        problems.append(Problem(error.message, row=row, column=cols.PHONE.label, value=phone))
    group_ids = ()
    if groups:
        try:
            group_ids = tuple(t.pk for t in people_services.group_tags(list(groups)))
        except UserError as error:
            problems.append(Problem(error.message, row=row, column=cols.GROUPS.label, value="、".join(groups)))
    if problems:
        raise Rejected(_("Nothing was registered: %(count)s problems were found.") % {"count": len(problems)},
                       problems)
    return planning.Candidate(row=row, name=name, parsed=parsed, digest=id_digest(parsed.value), phone=phone,
                              unit_code=unit_code, level=level, worker_status=worker_status, group_ids=group_ids,
                              team=team or "", scope_code=scope_code or "")


# ---- Reviewing ----

def _locked(entries):
    ids = [e.pk for e in entries]
    return list(Entry.objects.select_for_update(of=("self",)).filter(pk__in=ids)
                .select_related("competition__host", "unit", "person", "team").order_by("stage_id", "number"))


def _where(entry):
    return _("entry %(number)s (%(name)s)") % {"number": entry.number, "name": entry.person.name}


def _check_reviewable(entry, problems):
    if entry.competition.status not in REVIEW_STATUSES:
        problems.append(Problem(_("Registrations of “%(name)s” can no longer be reviewed (the competition is "
                                  "“%(status)s”).") % {"name": entry.competition.name,
                                                        "status": entry.competition.get_status_display()},
                                where=_where(entry), code="closed"))
        return False
    return True


def _reject_problems(problems):
    if problems:
        code = "forbidden" if all(p.code == "forbidden" for p in problems) else "rejected"
        raise Rejected(_("Nothing was changed: %(count)s of the chosen entries cannot be changed so.")
                       % {"count": len(problems)}, problems, code=code)


def _incomplete_teams(entries, becoming_approved):
    """Teams (by id) that would be approved without exactly team_size active members."""
    team_ids = {e.team_id for e in becoming_approved if e.team_id}
    if not team_ids:
        return set()
    counts = dict(Entry.objects.filter(team_id__in=team_ids, status__in=ACTIVE_STATUSES)
                  .values_list("team_id").annotate(n=Count("pk")))
    sizes = {e.team_id: Rules.of(e.competition).team_size for e in becoming_approved if e.team_id}
    return {team_id for team_id in team_ids if counts.get(team_id, 0) != sizes[team_id]}


@transaction.atomic
def approve(actor, entries, *, reason=""):
    """Take each entry as far along the approval as the actor may: the unit's step
    (unit_then_host), then the host's. Entries already approved are left as they are.
    Returns {"approved": n, "unit_approved": n, "unchanged": n}."""
    entries = _locked(entries)
    problems, changed, unchanged = [], [], 0
    now = timezone.now()
    plans = []
    for entry in entries:
        if not _check_reviewable(entry, problems):
            continue
        if entry.status == EntryStatus.APPROVED:
            unchanged += 1
            continue
        if entry.status == EntryStatus.WITHDRAWN:
            problems.append(Problem(_("A withdrawn entry cannot be approved."), where=_where(entry), code="state"))
            continue
        host_only = Rules.of(entry.competition).host_only
        can_host = planning.may(actor, "registration.review", entry)
        can_unit = not host_only and planning.may(actor, "registration.review_unit", entry)
        if entry.status == EntryStatus.REJECTED and entry.reviewed_at is not None and not can_host:
            problems.append(Problem(_("Rejected by the host: only the host can reconsider it."),
                                    where=_where(entry), code="forbidden"))
            continue
        status = EntryStatus.SUBMITTED if entry.status == EntryStatus.REJECTED else entry.status
        if can_host:
            target = EntryStatus.APPROVED
        elif can_unit and status == EntryStatus.SUBMITTED:
            target = EntryStatus.UNIT_APPROVED
        elif can_unit and status == EntryStatus.UNIT_APPROVED:
            problems.append(Problem(_("Approved by the unit; it now awaits the host's approval."),
                                    where=_where(entry), code="forbidden"))
            continue
        else:
            problems.append(Problem(_("You cannot approve this entry."), where=_where(entry), code="forbidden"))
            continue
        plans.append((entry, target, can_unit))
    incomplete = _incomplete_teams(entries, [e for e, target, _u in plans if target == EntryStatus.APPROVED])
    for entry, _target, _can_unit in plans:
        if entry.team_id in incomplete:
            problems.append(Problem(_("Team “%(team)s” is not complete; a team is approved when it has all its "
                                      "members.") % {"team": entry.team.name}, where=_where(entry), code="team"))
    _reject_problems(problems)
    counts = {EntryStatus.APPROVED: 0, EntryStatus.UNIT_APPROVED: 0}
    for entry, target, can_unit in plans:
        old = entry.status
        entry.status = target
        entry.rejection_reason = ""
        if can_unit and old in (EntryStatus.SUBMITTED, EntryStatus.REJECTED):
            entry.unit_reviewed_at, entry.unit_reviewed_by = now, actor
        if target == EntryStatus.APPROVED:
            entry.reviewed_at, entry.reviewed_by = now, actor
        counts[target] += 1
        changed.append((entry, old))
    _save_reviews(actor, "registration.approve", changed, reason)
    return {"approved": counts[EntryStatus.APPROVED], "unit_approved": counts[EntryStatus.UNIT_APPROVED],
            "unchanged": unchanged}


def _save_reviews(actor, action, changed, reason):
    if not changed:
        return
    fields = ["status", "rejection_reason", "withdrawal_reason", "withdrawn_at", "unit_reviewed_at",
              "unit_reviewed_by", "reviewed_at", "reviewed_by", "updated_at"]
    now = timezone.now()
    for entry, _old in changed:
        entry.updated_at = now
    Entry.objects.bulk_update([e for e, _old in changed], fields, batch_size=1000)
    old_status = {e.pk: old for e, old in changed}
    audit.record_many(actor, action, [e for e, _old in changed], reason=reason,
                      data_for=lambda e: {"status": [old_status[e.pk], e.status]})


@transaction.atomic
def reject(actor, entries, *, reason):
    """Reject entries with a reason the unit and the worker see. The unit's reviewers
    reject what awaits the unit (or what they approved, until the host decides); the
    host rejects anything not withdrawn."""
    reason = (reason or "").strip()
    if not reason:
        raise UserError(_("Give the reason for the rejection; the unit and the worker will see it."), code="reason")
    entries = _locked(entries)
    problems, changed, unchanged = [], [], 0
    now = timezone.now()
    for entry in entries:
        if not _check_reviewable(entry, problems):
            continue
        if entry.status == EntryStatus.REJECTED:
            unchanged += 1
            continue
        if entry.status == EntryStatus.WITHDRAWN:
            problems.append(Problem(_("A withdrawn entry cannot be rejected."), where=_where(entry), code="state"))
            continue
        can_host = planning.may(actor, "registration.review", entry)
        can_unit = (not Rules.of(entry.competition).host_only
                    and planning.may(actor, "registration.review_unit", entry)
                    and entry.status in (EntryStatus.SUBMITTED, EntryStatus.UNIT_APPROVED))
        if not (can_host or can_unit):
            problems.append(Problem(_("You cannot reject this entry."), where=_where(entry), code="forbidden"))
            continue
        old = entry.status
        entry.status, entry.rejection_reason = EntryStatus.REJECTED, reason
        if can_host:
            entry.reviewed_at, entry.reviewed_by = now, actor
        else:
            entry.unit_reviewed_at, entry.unit_reviewed_by = now, actor
        changed.append((entry, old))
    _reject_problems(problems)
    _save_reviews(actor, "registration.reject", changed, reason)
    return {"rejected": len(changed), "unchanged": unchanged}


@transaction.atomic
def withdraw(actor, entries, *, reason=""):
    """Withdraw entries: the worker, their unit or the organizers, until registration
    closes; after that only the host's organizers, with a reason."""
    reason = (reason or "").strip()
    entries = _locked(entries)
    problems, changed, unchanged = [], [], 0
    now = timezone.now()
    for entry in entries:
        if entry.status == EntryStatus.WITHDRAWN:
            unchanged += 1
            continue
        if entry.status == EntryStatus.REJECTED:
            problems.append(Problem(_("A rejected entry cannot be withdrawn."), where=_where(entry), code="state"))
            continue
        if not planning.may(actor, "registration.withdraw", entry):
            problems.append(Problem(_("You cannot withdraw this entry."), where=_where(entry), code="forbidden"))
            continue
        competition = entry.competition
        if registration_open(competition) is not None:
            host = planning.may(actor, "registration.review", entry)
            if not (host and competition.status in REVIEW_STATUSES):
                problems.append(Problem(_("Registration has closed: only the host's organizers can withdraw an entry "
                                          "now."), where=_where(entry), code="deadline"))
                continue
            if not reason:
                problems.append(Problem(_("Registration has closed: give the reason for withdrawing this entry."),
                                        where=_where(entry), code="reason"))
                continue
        old = entry.status
        entry.status, entry.withdrawn_at, entry.withdrawal_reason = EntryStatus.WITHDRAWN, now, reason
        changed.append((entry, old))
    _reject_problems(problems)
    _save_reviews(actor, "registration.withdraw", changed, reason)
    return {"withdrawn": len(changed), "unchanged": unchanged}


# ---- Advancing (called by results when a stage is finalized) ----

def nearest_scopes(units, scope_type, host):
    """{unit pk: its nearest organization of `scope_type` (itself or an ancestor)}, in
    one query; units with none are left out."""
    ids = {int(part, 36) for unit in units for part in unit.path.strip("/").split("/")}
    of_type = {o.pk: o for o in Organization.objects.filter(pk__in=ids, type=scope_type,
                                                            path__startswith=host.path)}
    found = {}
    for unit in units:
        for part in reversed(unit.path.strip("/").split("/")):
            if int(part, 36) in of_type:
                found[unit.pk] = of_type[int(part, 36)]
                break
    return found


@transaction.atomic
def advance_entries(actor, stage, entries):
    """Make entries of the next stage for `entries` of `stage` (the results engine
    decided who advances). Each new entry is approved, points to the one it came from
    (`previous`), keeps its unit, level and status at registration, and takes its team's
    name; its 赛区 is its unit's in the next stage's split, if any. Calling again makes
    nothing new. Returns the entries made."""
    from .models import Team

    following = stage.next_stage()
    if following is None:
        raise UserError(_("“%(stage)s” is the last stage: there is no stage to advance to.") % {"stage": stage.name},
                        code="last_stage")
    entries = list(Entry.objects.filter(pk__in=[e.pk for e in entries]).select_related("unit", "team")
                   .order_by("number"))
    strays = [e for e in entries if e.stage_id != stage.pk]
    if strays:
        raise UserError(_("Entries %(numbers)s are not of the stage “%(stage)s”.")
                        % {"numbers": "、".join(str(e.number) for e in strays), "stage": stage.name}, code="stage")
    competition = stage.competition
    Stage.objects.select_for_update().filter(pk=following.pk).first()
    there = set(Entry.objects.filter(stage=following, person_id__in=[e.person_id for e in entries])
                .values_list("person_id", flat=True))
    moving = [e for e in entries if e.person_id not in there]
    if not moving:
        return []
    scopes = {}
    if following.scope_type:
        scopes = nearest_scopes({e.unit_id: e.unit for e in moving}.values(), following.scope_type, competition.host)
    team_names = {e.team.name: e.team.unit_id for e in moving if e.team_id}
    teams = {t.name: t for t in Team.objects.filter(stage=following, name__in=list(team_names))}
    missing = [Team(competition=competition, stage=following, name=name, unit_id=unit_id)
               for name, unit_id in team_names.items() if name not in teams]
    if missing:
        Team.objects.bulk_create(missing)
        teams = {t.name: t for t in Team.objects.filter(stage=following, name__in=list(team_names))}
    number = Entry.objects.filter(stage=following).aggregate(n=Max("number"))["n"] or 0
    now = timezone.now()
    made = []
    for entry in moving:
        number += 1
        scope = scopes.get(entry.unit_id) if following.scope_type else None
        if following.scope_type and scope is None and entry.scope_id and following.scope_type == stage.scope_type:
            scope = entry.scope
        made.append(Entry(
            competition=competition, stage=following, number=number, person_id=entry.person_id, unit_id=entry.unit_id,
            scope=scope, team=teams[entry.team.name] if entry.team_id else None, status=EntryStatus.APPROVED,
            level=entry.level, worker_status=entry.worker_status, previous=entry, source=EntrySource.ADVANCE,
            reviewed_at=now, reviewed_by=actor, created_by=actor,
        ))
    Entry.objects.bulk_create(made, batch_size=2000)
    audit.record(actor, "registration.advance", following, data={
        "from_stage": stage.key, "to_stage": following.key, "count": len(made),
        "pairs": [[e.previous_id, e.pk] for e in made],
    }, repr_text=f"{competition.code} {stage.key} → {following.key}")
    return made


# ---- Lists ----

def visible_entries(user, perm="registration.view"):
    return permissions.filter_queryset(user, perm, Entry.objects.all())


def awaiting_unit(user):
    """Entries waiting for the unit's step that this user may take."""
    entries = visible_entries(user, "registration.review_unit").filter(status=EntryStatus.SUBMITTED)
    return entries.exclude(competition__spec__approval="host_only").filter(competition__status__in=REVIEW_STATUSES)


def awaiting_host(user):
    """Entries waiting for the host's decision that this user may take."""
    entries = visible_entries(user, "registration.review").filter(competition__status__in=REVIEW_STATUSES)
    return entries.filter(Q(status=EntryStatus.UNIT_APPROVED)
                          | Q(status=EntryStatus.SUBMITTED, competition__spec__approval="host_only"))


def returned(user):
    """Rejected entries of the user's units in competitions still open for registration:
    the unit reads the reason, fixes what is wrong and registers the person again."""
    from jingsai.competitions.models import Status

    return visible_entries(user, "registration.register").filter(
        status=EntryStatus.REJECTED, competition__status=Status.REGISTRATION_OPEN)


def open_competitions(person):
    """Competitions open for registration now, hosted above the person's employer, that
    the person has not entered."""
    from jingsai.competitions.models import Competition, Status

    entered = Entry.objects.filter(person=person, status__in=ACTIVE_STATUSES).values("competition_id")
    candidates = (Competition.objects.filter(status=Status.REGISTRATION_OPEN).exclude(pk__in=entered)
                  .select_related("host").order_by("registration_closes", "code"))
    path = person.employer.path
    return [c for c in candidates if path.startswith(c.host.path) and registration_open(c) is None][:50]


def filter_entries(entries, *, stage=None, scope="", unit="", status="", group="", q=""):
    if stage is not None:
        entries = entries.filter(stage=stage)
    if scope:
        entries = entries.filter(scope__code=scope)
    if unit:
        root = Organization.objects.filter(code=unit).first()
        entries = entries.filter(unit__path__startswith=root.path) if root else entries.none()
    if status:
        entries = entries.filter(status=status)
    if group:
        entries = entries.filter(person__groups__code=group)
    q = (q or "").strip()
    if q:
        normalized = idnumber.normalize(q)
        if idnumber.is_valid(normalized):
            entries = entries.filter(person__id_number_digest=id_digest(normalized))
        elif q.isdigit():
            entries = entries.filter(number=int(q))
        else:
            entries = entries.filter(Q(person__name__contains=q) | Q(unit__name__contains=q) | Q(team__name=q))
    return entries


# ---- Files ----

def template_xlsx(competition, stage):
    """The registration template for a competition: its columns (团队 and 赛区 only when
    needed), an example row, drop-downs for level and status, and an instructions sheet
    with the competition's own rules."""
    columns = cols.columns_for(competition, stage)
    example = {"name": "张三", "id_number": cols.EXAMPLE_ID, "phone": "13800138000", "unit_code": "SH-E0001",
               "level": "四级/中级工", "status": "职工", "groups": "农民工", "team": "一队", "scope": ""}
    rules = Rules.of(competition)
    notes = [
        _("Registration for %(name)s (%(code)s), stage “%(stage)s”.") % {
            "name": competition.name, "code": competition.code, "stage": stage.name},
        _("One worker per row. Keep the header row; delete the example row before uploading (it is refused)."),
        _("身份证号 must be kept as text: a number cell loses the final X and the last digits, and such rows are "
          "refused rather than guessed."),
        _("A worker already on the platform is found by identity number; the name must match their record."),
        _("职业技能等级: 1 to 5, or 无, 五级/初级工, 四级/中级工, 三级/高级工, 二级/技师, 一级/高级技师."),
        _("身份类别: 职工 (default) or 学生. 人员类别: %(groups)s, separated by commas.") % {
            "groups": "、".join(GroupTag.objects.values_list("name", flat=True))},
        _("The whole file is checked first: if any row is wrong nothing is registered, and every problem is listed "
          "with its row and column."),
    ]
    notes += eligibility_lines(competition, rules)
    if rules.team_mode:
        notes.append(_("团队: one row per member; a team has exactly %(size)s members, all of one unit.")
                     % {"size": rules.team_size})
    if stage.scope_type:
        kind = dict(Organization._meta.get_field("type").choices)[stage.scope_type]
        notes.append(_("赛区: leave empty to use the unit's own %(type)s; otherwise write the code of a %(type)s "
                       "organization.") % {"type": kind})
    return sheets.xlsx_bytes(columns, [[example[c.key] for c in columns]], sheet_name="报名", notes=notes)


def eligibility_lines(competition, rules=None):
    """The competition's registration rules, one sentence each, for pages and templates."""
    rules = rules or Rules.of(competition)
    lines = []
    if rules.min_age is not None or rules.max_age is not None:
        lines.append(_("Age on %(date)s: %(min)s to %(max)s.") % {
            "date": rules.on_date.isoformat(), "min": rules.min_age if rules.min_age is not None else "—",
            "max": rules.max_age if rules.max_age is not None else "—"})
    if rules.worker_status_required:
        lines.append(_("Workers only: students cannot enter."))
    if rules.min_level is not None:
        lines.append(_("Skill level %(level)s or higher.") % {"level": cols.LEVEL_NAMES[rules.min_level]})
    if rules.unit_quota:
        lines.append((_("At most %(quota)s teams per unit.") if rules.team_mode
                      else _("At most %(quota)s entries per unit.")) % {"quota": rules.unit_quota})
    lines.append(_("One entry per person in this competition."))
    lines.append(_("Approval: by the host only.") if rules.host_only
                 else _("Approval: by the unit, then by the host."))
    return lines


EXPORT_HEADERS = ["参赛号", "阶段", "姓名", "身份证号", "手机号", "单位编码", "单位名称", "职业技能等级", "身份类别",
                  "人员类别", "团队", "赛区", "状态", "驳回原因", "报名方式", "报名时间"]


def export_entries(actor, entries):
    """Rows for an export: the full identity number where the actor is an organizer of
    the entry (registration.export_pii) who may see that worker's personal data
    (people.view_pii); masked for everyone else, unit contacts included. The system
    user (the shell) sees all. Returns (rows as dicts, count of full numbers)."""
    status_names = dict(EntryStatus.choices)
    source_names = dict(EntrySource.choices)
    groups = {}
    entry_values = list(entries.order_by("stage__order", "number").values(
        "pk", "number", "stage__key", "person_id", "person__name", "person__id_number_encrypted",
        "person__id_number_masked", "person__phone_masked", "person__employer__path", "unit__code", "unit__name",
        "unit__path", "competition__host__path",
        "level", "worker_status", "team__name", "scope__code", "status", "rejection_reason", "source", "created_at"))
    person_ids = [v["person_id"] for v in entry_values]
    for start in range(0, len(person_ids), 5000):
        through = Person.groups.through.objects.filter(person_id__in=person_ids[start : start + 5000])
        for person_id, name in through.values_list("person_id", "grouptag__name"):
            groups.setdefault(person_id, []).append(name)
    rows, full = [], 0
    for v in entry_values:
        allowed = planning.may(actor, "registration.export_pii", Scope(
            org_path=v["unit__path"], host_path=v["competition__host__path"])) and planning.may(
            actor, "people.view_pii", Scope(org_path=v["person__employer__path"], person_id=v["person_id"]))
        if allowed:
            id_number = crypto.decrypt(v["person__id_number_encrypted"])
            full += 1
        else:
            id_number = v["person__id_number_masked"]
        rows.append({
            "entry": v["number"], "stage": v["stage__key"], "id_number": id_number, "name": v["person__name"],
            "phone": v["person__phone_masked"], "unit_code": v["unit__code"], "unit_name": v["unit__name"],
            "level": cols.LEVEL_NAMES.get(v["level"], ""), "worker_status": cols.STATUS_NAMES.get(v["worker_status"]),
            "groups": "、".join(groups.get(v["person_id"], [])), "team": v["team__name"] or "",
            "scope": v["scope__code"] or "", "status": v["status"], "status_name": str(status_names[v["status"]]),
            "rejection_reason": v["rejection_reason"], "source": str(source_names.get(v["source"], v["source"])),
            "created_at": timezone.localtime(v["created_at"]).strftime("%Y-%m-%d %H:%M"),
        })
    return rows, full


def export(actor, competition, stage, entries, *, fmt, filters=None):
    """The entries as JSON (headless-interface.md) or xlsx bytes; the export is audited
    with how many full identity numbers it carried and the filters that chose the rows."""
    rows, full = export_entries(actor, entries)
    used = {key: value for key, value in (filters or {}).items() if value and key != "stage"}
    audit.record(actor, "registration.export", competition, data={
        "stage": stage.key if stage else None, "rows": len(rows), "full_id_numbers": full, "format": fmt,
        "filters": used})
    if fmt == "json":
        # The spec's keys, and the stage: entry numbers start again in every stage.
        data = [{"entry": r["entry"], "stage": r["stage"], "id_number": r["id_number"], "name": r["name"],
                 "unit_code": r["unit_code"], "status": r["status"]} for r in rows]
        return json.dumps(data, ensure_ascii=False, indent=1).encode()
    notes = [
        _("Entries of %(name)s (%(code)s), exported %(when)s.") % {
            "name": competition.name, "code": competition.code,
            "when": timezone.localtime().strftime("%Y-%m-%d %H:%M")},
        _("Full identity numbers: %(full)s of %(rows)s rows (organizers see those of workers in their organizations; "
          "everyone else sees them masked). This export was recorded in the audit log.") % {"full": full,
                                                                                             "rows": len(rows)},
    ]
    body = ([r["entry"], r["stage"], r["name"], r["id_number"], r["phone"], r["unit_code"], r["unit_name"],
             r["level"], r["worker_status"], r["groups"], r["team"], r["scope"], r["status_name"],
             r["rejection_reason"], r["source"], r["created_at"]] for r in rows)
    as_text = ("身份证号", "手机号", "单位编码", "赛区")
    columns = [sheets.Column(h, h, text=h in as_text, width=20 if h == "身份证号" else 12) for h in EXPORT_HEADERS]
    return sheets.xlsx_bytes(columns, body, sheet_name="报名", notes=notes)
