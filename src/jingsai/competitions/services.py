"""Every change to series and competitions, each with its audit record, and the querysets
other code reads them through.

A competition is made and changed only by loading a spec (`load_competition`), from a
YAML file, the API or the rule editor alike, so the same validation guards them all:
the spec's own rules (competitions.spec), then what only the database knows: the host
and organizer exist, the actor may host there, the level fits the host (层层办赛), the
series agrees, a stage that has entries stays, and rules frozen by the lifecycle change
only with a reason.
"""

import datetime as dt
from decimal import Decimal

from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from jingsai.accounts import permissions
from jingsai.accounts.scopes import Scope
from jingsai.core import audit
from jingsai.core.errors import Problem, Rejected, UserError
from jingsai.orgs.models import Organization, OrgType

from . import lifecycle
from .models import Competition, CompetitionLevel, Series, Stage, Status, StatusChange
from .spec import SpecError, check_spec, dump_spec, instant, load_spec, spec_as_json

# The levels each type of host may hold a competition at: its own tier and those below
# it (a district union runs district, street, enterprise and work-team competitions),
# never a tier above it.
L = CompetitionLevel
HOST_LEVELS = {
    OrgType.UNION: tuple(L),
    OrgType.BUREAU: tuple(L),
    OrgType.CITY: tuple(L),
    OrgType.DISTRICT: (L.DISTRICT, L.STREET, L.ENTERPRISE, L.TEAM),
    OrgType.INDUSTRY: (L.INDUSTRY, L.ENTERPRISE, L.TEAM),
    OrgType.STREET: (L.STREET, L.ENTERPRISE, L.TEAM),
    OrgType.ENTERPRISE: (L.ENTERPRISE, L.TEAM),
    OrgType.COLLEGE: (L.ENTERPRISE, L.TEAM),
    OrgType.TEAM: (L.TEAM,),
}
SCHEDULE_COLUMNS = {
    "registration_opens": "registration_opens", "registration_closes": "registration_closes",
    "starts": "starts_at", "ends": "ends_at",
}


# ---- Reading --------------------------------------------------------------------------

def visible_competitions(user, queryset=None):
    """The competitions `user` may see at work: a draft only to those who manage it (the
    per-object check of "competitions.view" says the same; a query cannot run it)."""
    queryset = Competition.objects.all() if queryset is None else queryset
    visible = permissions.filter_queryset(user, "competitions.view", queryset)
    if permissions.is_admin(user):
        return visible
    drafts = managed_competitions(user, Competition.objects.filter(status=Status.DRAFT))
    return visible.filter(~Q(status=Status.DRAFT) | Q(pk__in=drafts.values("pk")))


def managed_competitions(user, queryset=None):
    queryset = Competition.objects.all() if queryset is None else queryset
    return permissions.filter_queryset(user, "competitions.manage", queryset)


def visible_series(user):
    series = permissions.filter_queryset(user, "competitions.view", Series.objects.all())
    competitions = visible_competitions(user).filter(series__isnull=False).values("series_id")
    # A unit contact sees a series through the competitions in it that they may see.
    return Series.objects.filter(Q(pk__in=series.values("pk")) | Q(pk__in=competitions))


def may_host(user, host):
    """Whether `user` may hold competitions at organization `host` (its organizers and
    those above it, and administrators)."""
    return permissions.has_perm(user, "competitions.manage", Scope(org_path=host.path, host_path=host.path))


def levels_for(host):
    return HOST_LEVELS.get(host.type, ())


def export_yaml(competition):
    """The competition's rules as the canonical YAML spec; loading it gives them back."""
    return dump_spec(competition.spec)


def rules_diff(old, new):
    """{path: [old, new]} for every rule that differs between two specs (any form that
    load_spec takes), compared by meaning: 0.30 equals 0.3, a date equals its midnight."""
    return {path: [_plain(a), _plain(b)] for path, (a, b) in _diff(load_spec(old), load_spec(new), "").items()}


def _diff(old, new, path):
    if isinstance(old, dict) and isinstance(new, dict):
        out = {}
        for key in dict.fromkeys([*old, *new]):
            out.update(_diff(old.get(key), new.get(key), f"{path}.{key}" if path else key))
        return out
    if isinstance(old, list) and isinstance(new, list):
        out = {}
        for i in range(max(len(old), len(new))):
            out.update(_diff(old[i] if i < len(old) else None, new[i] if i < len(new) else None, f"{path}[{i}]"))
        return out
    if path.startswith("schedule."):
        return {} if instant(old) == instant(new) else {path: (old, new)}
    return {} if old == new else {path: (old, new)}


def _plain(value):
    if isinstance(value, Decimal):
        return f"{value:f}"
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


# ---- Loading a spec -------------------------------------------------------------------

def problem_from_spec(problem):
    """A spec problem as the project's Problem (its path in `where`)."""
    return Problem(problem.message, where=problem.path or None, value=problem.params.get("value"),
                   code=problem.code)


def rejected(problems):
    """The Rejected error for a spec's problems."""
    return Rejected(
        ngettext("The rules have %(count)s problem; nothing was saved.",
                 "The rules have %(count)s problems; nothing was saved.", len(problems))
        % {"count": len(problems)},
        problems,
    )


def _organization(code, where, problems):
    if code is None:
        return None
    org = Organization.objects.filter(code=code).first()
    if org is None:
        problems.append(Problem(_("No organization has the code “%(code)s”.") % {"code": code},
                                where=where, value=code, code="unknown_org"))
    return org


def _check_level(spec, host, problems):
    level = spec["level"]
    if host is None or level is None or level in levels_for(host):
        return
    allowed = "、".join(str(CompetitionLevel(v).label) for v in levels_for(host))
    problems.append(Problem(
        _("%(host)s (%(type)s) cannot hold a %(level)s; it may hold: %(allowed)s.") % {
            "host": host.name, "type": host.get_type_display(),
            "level": CompetitionLevel(level).label, "allowed": allowed},
        where="level", value=level, code="level_above_host",
    ))


def _check_series(actor, spec, host, check, problems):
    given = spec["series"]
    if not given or given["code"] is None:
        return None
    series = Series.objects.select_related("host").filter(code=given["code"]).first()
    if series is None:
        return None
    if host is not None and not host.path.startswith(series.host.path):
        problems.append(Problem(
            _("The series “%(series)s” belongs to %(host)s: its competitions are held there or below.")
            % {"series": series.name, "host": series.host.name},
            where="series.code", value=series.code, code="series_host",
        ))
    elif check and not permissions.has_perm(actor, "competitions.manage", series):
        problems.append(Problem(
            _("You cannot add competitions to the series “%(series)s”.") % {"series": series.name},
            where="series.code", value=series.code, code="series_forbidden",
        ))
    if given["name"] is not None and given["name"] != series.name:
        problems.append(Problem(
            _("The series %(code)s is named “%(name)s”: use that name, or rename the series on its page.")
            % {"code": series.code, "name": series.name},
            where="series.name", value=given["name"], code="series_name",
        ))
    if given["year"] is not None and given["year"] != series.year:
        problems.append(Problem(
            _("The series %(code)s is of the year %(year)s.") % {"code": series.code, "year": series.year},
            where="series.year", value=given["year"], code="series_year",
        ))
    return series


def _check_scopes(spec, host, problems):
    """A stage split by an organization type needs organizations of that type inside the
    host, or no entry would have a scope to be ranked in."""
    if host is None:
        return
    wanted = {s["scope"] for s in spec["stages"] if s.get("scope")}
    if not wanted:
        return
    present = set(
        Organization.objects.filter(path__startswith=host.path, type__in=wanted).exclude(pk=host.pk)
        .values_list("type", flat=True).distinct()
    )
    for i, stage in enumerate(spec["stages"]):
        scope = stage.get("scope")
        if scope and scope not in present:
            problems.append(Problem(
                _("No organization of the type “%(type)s” lies under %(host)s, so “%(stage)s” cannot be "
                  "split by it.") % {"type": OrgType(scope).label, "host": host.name,
                                     "stage": stage["name"] or stage["key"]},
                where=f"stages[{i}].scope", value=scope, code="scope_without_orgs",
            ))


def _check_existing(existing, spec, stored, reason, problems):
    """What the state of a stored competition forbids: removing a stage with entries,
    switching individual/team with entries, changing frozen rules without a reason."""
    keys = {s["key"] for s in spec["stages"]}
    removed = [s for s in existing.stages.all() if s.key not in keys]
    for stage in removed:
        if stage.entries.exists():
            problems.append(Problem(
                _("The stage “%(name)s” (%(key)s) has entries and cannot be removed.")
                % {"name": stage.name, "key": stage.key},
                where="stages", value=stage.key, code="stage_has_entries",
            ))
    _check_components_in_use(existing, spec, problems)
    if spec["mode"] is not None and spec["mode"] != existing.mode and existing.entries.exists():
        problems.append(Problem(
            _("The competition has entries: it cannot switch between individual and team."),
            where="mode", value=spec["mode"], code="mode_has_entries",
        ))
    # A spec with problems of its own cannot equal the stored (valid) one: it is a change.
    changed = rules_diff(existing.spec, stored) if stored is not None else {"": [None, None]}
    if not changed or existing.status in lifecycle.EDITABLE_STATUSES:
        return changed
    if existing.status in lifecycle.CLOSED_STATUSES:
        problems.append(Problem(
            _("The competition is “%(status)s”: its rules can no longer change.")
            % {"status": existing.get_status_display()},
            where="reason", code="rules_closed",
        ))
    elif not (reason or "").strip():
        problems.append(Problem(
            _("Registration has opened, so the rules are frozen: give a reason for this change; "
              "it is recorded with the change."),
            where="reason", code="reason_required",
        ))
    return changed


def _check_components_in_use(existing, spec, problems):
    """A component that holds scores, or that a theory exam or the judges' marking records
    into (lifecycle.component_user), stays: its scores would be orphaned, and hand-ins or
    marks could no longer record theirs."""
    kept = {component["key"] for component in spec.get("components") or []}
    removed = [c["key"] for c in (existing.spec or {}).get("components", []) if c["key"] not in kept]
    for key in sorted(lifecycle.components_in_use(existing, removed)):
        problems.append(Problem(
            _("The component “%(key)s” has scores, or a theory exam or marking scheme recording into it, and "
              "cannot be removed.")
            % {"key": key}, where="components", value=key, code="component_in_use",
        ))
    # A theory exam's score is the paper's points scaled to the component's maximum: on a
    # new maximum the stored scores would be read on another scale (over it, or short of it).
    before = {c["key"]: c.get("max") for c in (existing.spec or {}).get("components", [])}
    rescaled = [c["key"] for c in spec.get("components") or []
                if c["key"] in before and _number(before[c["key"]]) != _number(c.get("max"))]
    for key in sorted(lifecycle.components_on_scale(existing, rescaled)):
        problems.append(Problem(
            _("The component “%(key)s” holds theory exam scores worked out on its maximum of %(max)s: its maximum "
              "cannot change now.") % {"key": key, "max": before[key]},
            where="components", value=key, code="component_rescaled",
        ))


def _number(value):
    try:
        return Decimal(str(value))
    except ArithmeticError:
        return value


def _sync_stages(competition, stages):
    """Make the Stage rows match the spec's stages (JSON form), keyed by stage key."""
    current = {s.key: s for s in competition.stages.all()}
    for order, item in enumerate(stages):
        values = {"name": item["name"], "order": order, "scope_type": item["scope"] or "",
                  "advance": item["advance"]}
        stage = current.get(item["key"])
        if stage is None:
            Stage.objects.create(competition=competition, key=item["key"], **values)
            continue
        if any(getattr(stage, name) != value for name, value in values.items()):
            for name, value in values.items():
                setattr(stage, name, value)
            stage.save(update_fields=list(values))
    competition.stages.exclude(key__in=[s["key"] for s in stages]).delete()


def _columns(spec, stored, series, host, organizer):
    schedule = spec["schedule"] or {}
    return {
        "name": spec["name"], "series": series, "host": host, "organizer": organizer,
        "occupation": spec["occupation"], "level": spec["level"], "klass": spec["class"],
        "standard_level": spec["standard_level"], "mode": spec["mode"], "team_size": spec["team_size"],
        "spec": stored,
        **{column: instant(schedule.get(key)) for key, column in SCHEDULE_COLUMNS.items()},
    }


@transaction.atomic
def load_competition(actor, source, *, reason="", check=True, competition=None, create=False, dry_run=False):
    """Create or update the competition a spec (YAML text, bytes or a dict) describes.

    The spec's code picks the competition; with `competition` given the spec must keep
    its code (the rule editor), with `create=True` the code must be new (the "new
    competition" page). `check=False` skips the actor's permission checks, for trusted
    callers (the command line without --user, demo data); every other rule still holds.
    `dry_run=True` checks everything and writes nothing (returns None when all is well).

    Raises Rejected listing every problem (nothing is written), or UserError with code
    "forbidden" when the actor may not touch the competition or host there. Returns the
    competition with `outcome` set to "created", "updated" or "unchanged"."""
    try:
        spec, spec_problems = check_spec(source)
    except SpecError as error:
        raise rejected([problem_from_spec(p) for p in error.problems]) from None
    problems = [problem_from_spec(p) for p in spec_problems]
    if spec is None:
        raise rejected(problems)

    code = spec["code"]
    if competition is not None:
        existing = Competition.objects.select_for_update(of=("self",)).select_related("host").get(pk=competition.pk)
        if code is not None and code != existing.code:
            problems.append(Problem(_("The code of a competition cannot change; it is “%(code)s”.")
                                    % {"code": existing.code}, where="code", value=code, code="code_changed"))
    else:
        existing = (Competition.objects.select_for_update(of=("self",)).select_related("host").filter(code=code).first()
                    if code is not None else None)
        if existing is not None and create:
            problems.append(Problem(_("The code “%(code)s” is already used by “%(name)s”.")
                                    % {"code": code, "name": existing.name}, where="code", value=code,
                                    code="code_taken"))
            existing = None
    if existing is not None and check and not permissions.has_perm(actor, "competitions.manage", existing):
        raise UserError(_("You cannot change the competition “%(name)s”.") % {"name": existing.name},
                        code="forbidden")
    host = _organization(spec["host"], "host", problems)
    if host is not None and check and not may_host(actor, host):
        raise UserError(
            _("You cannot hold competitions at %(host)s: only its organizers and those above it can.")
            % {"host": host.name}, code="forbidden",
        )
    organizer = _organization(spec["organizer"], "organizer", problems)
    _check_level(spec, host, problems)
    series = _check_series(actor, spec, host, check, problems)
    _check_scopes(spec, host, problems)
    stored = spec_as_json(spec) if not problems else None
    changes = _check_existing(existing, spec, stored, reason, problems) if existing is not None else {}
    if problems:
        raise rejected(problems)
    if dry_run:
        return None

    if series is None:
        series = Series.objects.create(code=spec["series"]["code"], name=spec["series"]["name"],
                                       year=spec["series"]["year"], host=host)
        audit.record(actor, "competitions.create_series", series, reason=reason,
                     data={"code": series.code, "host": host.code})
    columns = _columns(spec, stored, series, host, organizer)
    if existing is None:
        competition = Competition.objects.create(
            code=code, created_by=actor if actor is not None and actor.pk else None, **columns)
        _sync_stages(competition, stored["stages"])
        audit.record(actor, "competitions.create", competition, reason=reason, data={"spec": stored})
        competition.outcome = "created"
        return competition
    competition = existing
    if not changes and competition.series_id == series.pk:
        competition.outcome = "unchanged"
        return competition
    for name, value in columns.items():
        setattr(competition, name, value)
    competition.save()
    _sync_stages(competition, stored["stages"])
    audit.record(actor, "competitions.update_rules", competition, reason=reason, changes=changes,
                 data={"status": competition.status, "frozen": competition.status not in lifecycle.EDITABLE_STATUSES})
    competition.outcome = "updated"
    return competition


# ---- Series -----------------------------------------------------------------------------

@transaction.atomic
def update_series(actor, series, *, name, year, reason=""):
    """Rename a series or change its year; the copy of both in each of its competitions'
    rules follows, so that every spec exported still loads."""
    name = (name or "").strip()
    problems = []
    if not 1 <= len(name) <= 100:
        problems.append(Problem(_("A name is 1 to 100 characters."), where="name", value=name))
    if not isinstance(year, int) or not 2000 <= year <= 2100:
        problems.append(Problem(_("The year must be between 2000 and 2100."), where="year", value=year))
    if problems:
        raise rejected(problems)
    series = Series.objects.select_for_update().get(pk=series.pk)
    changes = audit.changes_between({"name": series.name, "year": series.year}, {"name": name, "year": year},
                                    ("name", "year"))
    if not changes:
        return series
    series.name, series.year = name, year
    series.save(update_fields=["name", "year"])
    competitions = list(series.competitions.select_for_update())
    for item in competitions:
        item.spec = {**item.spec, "series": {"code": series.code, "name": name, "year": year}}
    Competition.objects.bulk_update(competitions, ["spec"])
    audit.record(actor, "competitions.update_series", series, reason=reason, changes=changes,
                 data={"competitions": [c.code for c in competitions]})
    return series


# ---- The lifecycle --------------------------------------------------------------------

@transaction.atomic
def transition(actor, competition, to_status, *, reason=""):
    """Move a competition to `to_status` if the lifecycle allows it and every guard agrees;
    the step is kept as a StatusChange (the timeline) and an audit record."""
    competition = Competition.objects.select_for_update(of=("self",)).select_related("host").get(pk=competition.pk)
    try:
        to_status = Status(to_status)
    except ValueError:
        raise UserError(_("“%(value)s” is not a competition status.") % {"value": to_status},
                        code="transition") from None
    if to_status not in lifecycle.allowed_next(competition):
        raise UserError(
            _("A competition cannot go from “%(old)s” to “%(new)s”.")
            % {"old": competition.get_status_display(), "new": to_status.label},
            code="transition",
        )
    reason = (reason or "").strip()
    if lifecycle.needs_reason(competition.status, to_status) and not reason:
        raise UserError(
            _("Going back from “%(old)s” to “%(new)s” needs a reason.")
            % {"old": competition.get_status_display(), "new": to_status.label},
            code="reason_required",
        )
    blockers = lifecycle.blockers(competition, to_status)
    if blockers:
        raise UserError("；".join(str(m) for m in blockers), code="guard",
                        problems=[Problem(m, code="guard") for m in blockers])
    old = competition.status
    competition.status = to_status
    competition.save(update_fields=["status", "updated_at"])
    record = audit.record(actor, "competitions.transition", competition, reason=reason,
                          changes={"status": [old, to_status.value]})
    StatusChange.objects.create(
        competition=competition, from_status=old, to_status=to_status, at=record.at,
        actor=actor if actor is not None and actor.pk else None, actor_label=record.actor_label, reason=reason,
    )
    return competition
