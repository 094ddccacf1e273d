"""The judge pool, judges' assignment to competitions (with their competition roles) and to
panels, and declared relationships."""

import copy
import secrets

from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from jingsai.accounts import permissions
from jingsai.accounts import services as account_services
from jingsai.accounts.models import Role, RoleAssignment, User
from jingsai.competitions.spec import CODE_RE
from jingsai.core import audit
from jingsai.core import spreadsheets as sheets
from jingsai.core.errors import Problem, Rejected, UserError
from jingsai.orgs.models import Organization
from jingsai.people import services as people_services

from .. import conflicts
from ..models import CompetitionJudge, Judge, JudgeRole, Mark, Panel, Relationship

ROLE_OF = {JudgeRole.JUDGE: Role.JUDGE, JudgeRole.CHIEF: Role.CHIEF_JUDGE}
ROLE_ALIASES = {"裁判": JudgeRole.JUDGE, "评委": JudgeRole.JUDGE, "judge": JudgeRole.JUDGE, "": JudgeRole.JUDGE,
                "裁判长": JudgeRole.CHIEF, "chief_judge": JudgeRole.CHIEF, "chief judge": JudgeRole.CHIEF,
                "chief": JudgeRole.CHIEF}
COLUMNS = [
    sheets.Column("code", "裁判编号", required=True, text=True, width=12),
    sheets.Column("name", "姓名", required=True, width=10),
    sheets.Column("unit_code", "单位编码", required=True, text=True, width=16),
    sheets.Column("role", "角色", width=8, choices=("裁判", "裁判长")),
    sheets.Column("qualifications", "资格", width=24, help="如：国家级裁判、高级技师"),
]
J_MIN = 3


def owner_for(user):
    """The organization whose organizers keep the judges `user` adds to the pool: the
    highest one where they organize (the root, for platform administrators)."""
    if permissions.is_admin(user):
        return Organization.objects.filter(parent__isnull=True).order_by("pk").first()
    paths = permissions.role_paths(user, permissions.ORGANIZER)
    return Organization.objects.filter(path__in=paths).order_by("depth").first()


def may(actor, perm, obj=None):
    """has_perm, except that the system user (the command line without --user, the
    platform's own work) may do anything: shell access to the server is full access."""
    if actor.get_username() == account_services.SYSTEM_USERNAME and not actor.is_active:
        return True
    return permissions.has_perm(actor, perm, obj)


def login_name(code):
    return f"judge-{code}".lower()


def _check_code(code):
    code = (code or "").strip()
    if not CODE_RE.match(code):
        raise UserError(_("A judge code is 1 to 32 letters, digits, “-” or “_”; “%(value)s” is not.") % {"value": code})
    return code


def _check_name(name):
    name = (name or "").strip()
    if not 1 <= len(name) <= 50:
        raise UserError(_("A name is 1 to 50 characters."))
    return name


def _login_for(actor, judge):
    """The judge's login, made when missing (the organizer sets its password)."""
    if judge.user_id:
        return judge.user
    username = login_name(judge.code)
    user = User.objects.filter(username__iexact=username).first()
    if user is not None and hasattr(user, "judge"):
        raise UserError(_("The login %(username)s belongs to another judge.") % {"username": username})
    if user is None:
        user = account_services.create_user(actor, username=username, name=judge.name,
                                            reason=_("Login for judge %(code)s") % {"code": judge.code})
    judge.user = user
    judge.save(update_fields=["user"])
    return user


@transaction.atomic
def create_judge(actor, *, code, name, unit, owner, qualifications="", user=None, person=None):
    code = _check_code(code)
    if Judge.objects.filter(code=code).exists():
        raise UserError(_("The judge code %(code)s is already used.") % {"code": code})
    if user is not None and Judge.objects.filter(user=user).exists():
        raise UserError(_("The login %(username)s belongs to another judge.") % {"username": user.username})
    judge = Judge.objects.create(code=code, name=_check_name(name), unit=unit, owner=owner,
                                 qualifications=(qualifications or "").strip()[:200], user=user, person=person)
    _login_for(actor, judge)
    audit.record(actor, "judging.judge_create", judge,
                 data={"unit": unit.code, "owner": owner.code, "user": judge.user.username})
    return judge


@transaction.atomic
def update_judge(actor, judge, *, reason="", **fields):
    """Change name, unit, qualifications, person or active flag. A unit change decides
    conflicts of interest, so it is refused once the judge has marked anyone."""
    allowed = ("name", "unit", "qualifications", "person", "is_active")
    fields = {k: v for k, v in fields.items() if k in allowed}
    if "name" in fields:
        fields["name"] = _check_name(fields["name"])
    if "unit" in fields and fields["unit"].pk != judge.unit_id and Mark.objects.filter(judge=judge).exists():
        raise UserError(
            _("%(judge)s has already given marks; their unit, which decides conflicts of interest, cannot change.")
            % {"judge": judge}
        )
    changes = audit.changes_between(judge, fields, fields)
    for key, value in fields.items():
        setattr(judge, key, value)
    judge.save()
    conflicts.forget(judge)
    if changes:
        audit.record(actor, "judging.judge_change", judge, reason=reason, changes=changes)
    return changes


@transaction.atomic
def reset_password(actor, judge):
    """A new random password for the judge's login, returned once (for the login slip)."""
    user = _login_for(actor, judge)
    password = "-".join(secrets.token_hex(2) for _ in range(3))
    account_services.set_password(actor, user, password,
                                  reason=_("Login slip for judge %(code)s") % {"code": judge.code})
    return password


def _grant(actor, assignment):
    user = _login_for(actor, assignment.judge)
    account_services.grant_role(actor, user, ROLE_OF[assignment.role], competition=assignment.competition,
                                reason=_("Judge %(code)s") % {"code": assignment.judge.code}, check=False)


def _revoker(actor):
    """Who revokes a role judging granted. The platform itself (command line, demo data)
    granted it with grant_role(check=False), but accounts.revoke_role has no such trusted
    mode; so the system account acts, for this call and in memory only, as a superuser.
    The audit record still names the system account."""
    if actor.get_username() != account_services.SYSTEM_USERNAME:
        return actor
    platform = copy.copy(actor)
    platform.is_active, platform.is_superuser = True, True
    return platform


def _revoke(actor, assignment, role, reason):
    if not assignment.judge.user_id:
        return
    granted = RoleAssignment.objects.filter(user=assignment.judge.user, role=ROLE_OF[role],
                                            competition=assignment.competition).first()
    if granted is not None:
        account_services.revoke_role(_revoker(actor), granted, reason=reason)


@transaction.atomic
def assign(actor, competition, judge, role=JudgeRole.JUDGE, *, reason=""):
    """Put a judge on the competition (or change their role), granting the role's login rights."""
    if not judge.is_active:
        raise UserError(_("%(judge)s is no longer active in the pool.") % {"judge": judge})
    role = JudgeRole(role)
    assignment = CompetitionJudge.objects.filter(competition=competition, judge=judge).first()
    if assignment is None:
        assignment = CompetitionJudge.objects.create(competition=competition, judge=judge, role=role,
                                                     assigned_by=actor)
        _grant(actor, assignment)
        audit.record(actor, "judging.assign", competition, reason=reason,
                     data={"judge": judge.code, "role": role})
        return assignment, True
    if assignment.role != role:
        old = assignment.role
        _revoke(actor, assignment, old, reason or _("Role changed"))
        assignment.role = role
        assignment.save(update_fields=["role"])
        _grant(actor, assignment)
        audit.record(actor, "judging.assign", competition, reason=reason,
                     changes={"role": [old, role]}, data={"judge": judge.code})
        return assignment, True
    _grant(actor, assignment)
    return assignment, False


@transaction.atomic
def unassign(actor, assignment, *, reason=""):
    if Mark.objects.filter(judge=assignment.judge, contestant__entry__competition=assignment.competition).exists():
        raise UserError(
            _("%(judge)s has given marks in this competition and stays on it; their marks keep their history.")
            % {"judge": assignment.judge}
        )
    _revoke(actor, assignment, assignment.role, reason or _("Removed from the competition"))
    audit.record(actor, "judging.unassign", assignment.competition, reason=reason,
                 data={"judge": assignment.judge.code, "role": assignment.role})
    assignment.delete()


@transaction.atomic
def declare_relationship(actor, judge, *, id_number, relation):
    """Record that the judge knows a worker (relative, apprentice…): they never meet in marking."""
    person = people_services.find_by_id_number(id_number)
    if person is None:
        raise UserError(_("No worker has this identity number."))
    relation = (relation or "").strip()
    if not relation:
        raise UserError(_("Say what the relationship is (relative, mentor, colleague…)."))
    declared, created = Relationship.objects.get_or_create(
        judge=judge, person=person, defaults={"relation": relation[:100], "declared_by": actor})
    conflicts.forget(judge)
    if created:
        audit.record(actor, "judging.relationship", judge, data={"person": person.id_number_masked,
                                                                 "relation": declared.relation})
        from .marking import conflict_changed

        conflict_changed(actor, judge, person, relation=declared.relation, declared=True)
    return declared


@transaction.atomic
def withdraw_relationship(actor, declared, *, reason):
    if not (reason or "").strip():
        raise UserError(_("Say why the declaration is withdrawn."))
    audit.record(actor, "judging.relationship_withdraw", declared.judge, reason=reason,
                 data={"person": declared.person.id_number_masked, "relation": declared.relation})
    declared.delete()
    judge = declared.judge
    conflicts.forget(judge)
    from .marking import conflict_changed

    conflict_changed(actor, judge, declared.person, relation=declared.relation, declared=False)


# --------------------------------------------------------------------------
# Import (jingsai judges import CODE FILE.xlsx)
# --------------------------------------------------------------------------


def template_xlsx():
    return sheets.xlsx_bytes(
        COLUMNS,
        [["J001", "王建国", "SH-D01-E001", "裁判长", "国家级裁判"], ["J002", "李敏", "SH-D02-E010", "裁判", ""]],
        sheet_name="裁判",
        notes=[
            _("One judge per row. A judge code already in the pool must come with the same name."),
            _("Role: 裁判 (judge, the default) or 裁判长 (chief judge)."),
            _("The unit decides conflicts of interest: a judge never marks a contestant of the same enterprise."),
        ],
    )


@transaction.atomic
def import_judges(actor, competition, table):
    """Assign the file's judges to the competition, adding new ones to the pool. All or nothing.

    A judge already in the pool has their unit and qualifications updated from the file only
    when the actor may keep their record (judging.pool on the judge); otherwise the judge is
    only assigned, and a row giving another unit than the pool's is refused."""
    mapping, found = sheets.match_columns(table, COLUMNS)
    if found:
        raise Rejected(_("The file's columns do not match the judges template."), found)
    rows, seen = [], {}
    unit_codes = {sheets.text(cells[mapping["unit_code"]]) for _r, cells in table.data_rows()}
    units = {o.code: o for o in Organization.objects.filter(code__in=unit_codes)}
    codes = {sheets.text(cells[mapping["code"]]) for _r, cells in table.data_rows()}
    existing = {j.code: j for j in Judge.objects.select_related("unit", "owner").filter(code__in=codes)}
    marked = set(Mark.objects.filter(judge__code__in=codes).values_list("judge__code", flat=True).distinct())
    for row, cells in table.data_rows():
        def cell(key, cells=cells):
            index = mapping.get(key)
            return sheets.text(cells[index]) if index is not None else ""

        before = len(found)
        code, name, unit_code = cell("code"), cell("name"), cell("unit_code")
        role = ROLE_ALIASES.get(cell("role").casefold())
        try:
            _check_code(code)
        except UserError as error:
            found.append(Problem(error.message, row=row, column="裁判编号", value=code))
        try:
            _check_name(name)
        except UserError as error:
            found.append(Problem(error.message, row=row, column="姓名", value=name))
        unit = units.get(unit_code)
        if unit is None:
            found.append(Problem(_("No organization has the code “%(code)s”.") % {"code": unit_code},
                                 row=row, column="单位编码", value=unit_code))
        if role is None:
            found.append(Problem(_("The role is 裁判 or 裁判长."), row=row, column="角色", value=cell("role")))
        if code in seen:
            found.append(Problem(_("Judge %(code)s is already on row %(row)s.") % {"code": code, "row": seen[code]},
                                 row=row, column="裁判编号", value=code))
        seen.setdefault(code, row)
        judge = existing.get(code)
        if judge is not None and name and judge.name != name:
            found.append(Problem(
                _("Judge %(code)s in the pool is called %(name)s; check the code or the name.")
                % {"code": code, "name": judge.name}, row=row, column="姓名", value=name))
        if judge is not None and unit is not None and judge.unit_id != unit.pk and code in marked:
            found.append(Problem(
                _("%(judge)s has already given marks; their unit, which decides conflicts of interest, cannot change.")
                % {"judge": judge}, row=row, column="单位编码", value=unit_code))
        if judge is not None and not judge.is_active:
            found.append(Problem(_("%(judge)s is no longer active in the pool.") % {"judge": judge},
                                 row=row, column="裁判编号", value=code))
        editable = judge is None or may(actor, "judging.pool", judge)
        if judge is not None and not editable and unit is not None and judge.unit_id != unit.pk:
            found.append(Problem(
                _("%(judge)s is kept in the pool by %(owner)s and you may not change their record: the pool has "
                  "the unit %(unit)s. Put that unit in the file (the judge is then only assigned) or ask "
                  "%(owner)s to change it.")
                % {"judge": judge, "owner": judge.owner.name, "unit": judge.unit.code},
                row=row, column="单位编码", value=unit_code))
        if len(found) == before:
            rows.append((code, name, unit, role, cell("qualifications"), editable))
    if not rows and not found:
        found.append(Problem(_("The file has no judges."), row=2))
    if found:
        raise Rejected(_("No judge was imported: every problem is listed."), found)
    counts = {"created": 0, "assigned": 0, "updated": 0, "unchanged": 0}
    for code, name, unit, role, qualifications, editable in rows:
        judge = existing.get(code)
        if judge is None:
            judge = create_judge(actor, code=code, name=name, unit=unit, owner=competition.host,
                                 qualifications=qualifications)
            counts["created"] += 1
        elif editable:
            fields = {"unit": unit}
            if qualifications:
                fields["qualifications"] = qualifications
            if update_judge(actor, judge, reason=_("Judges import"), **fields):
                counts["updated"] += 1
        _assignment, changed = assign(actor, competition, judge, role, reason=_("Judges import"))
        counts["assigned" if changed else "unchanged"] += 1
    audit.record(actor, "judging.judges_import", competition, data=counts)
    return counts


# --------------------------------------------------------------------------
# Panels
# --------------------------------------------------------------------------


def _check_range(station_from, station_to):
    if station_from is not None and station_to is not None and station_from > station_to:
        raise UserError(_("The first station comes before the last one."))


def _ranges_overlap(a_from, a_to, b_from, b_to):
    low_a, high_a = a_from or 0, a_to if a_to is not None else 10**9
    low_b, high_b = b_from or 0, b_to if b_to is not None else 10**9
    return low_a <= high_b and low_b <= high_a


@transaction.atomic
def save_panel(actor, stage, *, panel=None, name, aspects, members, station_from=None, station_to=None, reason=""):
    """Create or change a panel. Returns (panel, warnings about judges too few to mark)."""
    from .schemes import ensure_scheme

    competition = stage.competition
    scheme = ensure_scheme(actor, competition)
    name = (name or "").strip()
    if not 1 <= len(name) <= 100:
        raise UserError(_("A name is 1 to 100 characters."))
    aspects, members = list(aspects), list(members)
    if not aspects:
        raise UserError(_("Choose the aspects the panel marks."))
    if not members:
        raise UserError(_("Choose the panel's judges."))
    if any(a.scheme_id != scheme.pk for a in aspects):
        raise UserError(_("An aspect belongs to another competition's scheme."))
    if any(m.competition_id != competition.pk for m in members):
        raise UserError(_("A judge is not assigned to this competition."))
    _check_range(station_from, station_to)
    others = stage.judging_panels.prefetch_related("aspects").exclude(pk=getattr(panel, "pk", None))
    chosen = {a.pk for a in aspects}
    for other in others:
        shared = sorted(a.code for a in other.aspects.all() if a.pk in chosen)
        if shared and _ranges_overlap(station_from, station_to, other.station_from, other.station_to):
            raise UserError(
                _("Panel %(panel)s already marks %(aspects)s at some of these stations.")
                % {"panel": other.name, "aspects": "、".join(shared)}
            )
    if panel is not None and Mark.objects.filter(contestant__stage=stage, aspect__panels=panel).exclude(
        aspect__in=aspects
    ).exists():
        raise UserError(_("Marks were given for an aspect you removed from the panel; it stays."))
    created = panel is None
    before = None if created else {"name": panel.name, "aspects": sorted(a.code for a in panel.aspects.all()),
                                   "judges": sorted(m.judge.code for m in panel.members.select_related("judge")),
                                   "stations": [panel.station_from, panel.station_to]}
    if created:
        panel = Panel.objects.create(stage=stage, name=name, station_from=station_from, station_to=station_to)
    else:
        panel.name, panel.station_from, panel.station_to = name, station_from, station_to
        panel.save()
    panel.aspects.set(aspects)
    panel.members.set(members)
    after = {"name": name, "aspects": sorted(a.code for a in aspects), "judges": sorted(m.judge.code for m in members),
             "stations": [station_from, station_to]}
    audit.record(actor, "judging.panel_save", stage.competition, reason=reason,
                 changes={} if created else audit.changes_between(before, after, after),
                 data={"panel": panel.pk, **({"created": after} if created else {})})
    return panel, panel_warnings(panel)


@transaction.atomic
def delete_panel(actor, panel, *, reason=""):
    if Mark.objects.filter(contestant__stage=panel.stage, aspect__in=panel.aspects.all(),
                           judge__assignments__in=panel.members.all()).exists():
        raise UserError(_("The panel's judges have given marks; the panel stays."))
    audit.record(actor, "judging.panel_delete", panel.stage.competition, reason=reason,
                 data={"panel": panel.name, "aspects": [a.code for a in panel.aspects.all()]})
    panel.delete()


def panel_warnings(panel):
    """Contestants this panel cannot mark properly because of conflicts of interest, each
    with substitutes from the pool who have no conflict with any of them.

    Returns [{"contestants": [Contestant], "aspect_type", "available": n, "needed": n,
    "substitutes": [Judge]}] — one item per shortfall kind; empty when the panel suffices."""
    members = list(panel.members.select_related("judge__unit"))
    types = set(panel.aspects.values_list("type", flat=True))
    return _shortfall(panel.stage, members, types, panel.covers_station,
                      exclude={m.judge_id for m in members})


def open_warnings(stage):
    """The same warning for a stage without panels, where the competition's judges (role
    裁判) together mark every aspect at every station: the contestants too few of them can
    mark for conflicts of interest, with substitutes from the pool not yet assigned to the
    competition. Empty when the stage has panels (each panel reports its own)."""
    from .schemes import scheme_of

    if stage.judging_panels.exists():
        return []
    competition = stage.competition
    scheme = scheme_of(competition)
    types = set(scheme.aspects.values_list("type", flat=True)) if scheme else set()
    if not types:
        return []
    members = list(competition.judge_assignments.filter(role=JudgeRole.JUDGE).select_related("judge__unit"))
    assigned = set(competition.judge_assignments.values_list("judge_id", flat=True))
    return _shortfall(stage, members, types, lambda number: True, exclude=assigned)


def _shortfall(stage, members, types, covers, *, exclude):
    from .venue import active_contestants

    needed = J_MIN if "J" in types else 1
    contestants = [c for c in active_contestants(stage) if covers(c.station_number)]
    if not contestants:
        return []
    ids = [c.pk for c in contestants]
    blocked = {m.pk: conflicts.conflicted_contestant_ids(m.judge, stage.contestants.filter(pk__in=ids))
               for m in members}
    short = [c for c in contestants if sum(1 for m in members if c.pk not in blocked[m.pk]) < needed]
    if len(members) < needed:
        short = contestants
    if not short:
        return []
    return [{
        "contestants": short,
        "needed": needed,
        "available": min(sum(1 for m in members if c.pk not in blocked[m.pk]) for c in short),
        "substitutes": _substitutes(stage, exclude, short),
    }]


def substitutes(panel, short, limit=8):
    """Judges free of conflicts with every contestant in `short`: the competition's own
    judges first, then the pool kept by the competition's host or above it."""
    return _substitutes(panel.stage, set(panel.members.values_list("judge_id", flat=True)), short, limit)


def _substitutes(stage, exclude, short, limit=8):
    competition = stage.competition
    short_ids = [c.pk for c in short]
    assigned = set(competition.judge_assignments.values_list("judge_id", flat=True))
    candidates = (
        Judge.objects.filter(is_active=True)
        .filter(Q(pk__in=assigned) | Q(owner__path__in=permissions.ancestor_paths(competition.host.path)))
        .exclude(pk__in=exclude).select_related("unit")
    )
    out = []
    for judge in sorted(candidates, key=lambda j: (j.pk not in assigned, j.code)):
        if not conflicts.conflicted_contestant_ids(judge, stage.contestants.filter(pk__in=short_ids)):
            out.append(judge)
        if len(out) >= limit:
            break
    return out
