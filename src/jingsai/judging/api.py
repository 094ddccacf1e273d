"""The judging API: everything the pages do, for the command line, other systems and the
mark entry page itself (which posts each mark to `POST .../stations/{number}/marks`).

Judges address contestants by station number only; every endpoint about one contestant
asks the permission module, which refuses a judge in conflict of interest with them."""

import datetime

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Field, File, Router, Schema, Status
from ninja.files import UploadedFile

from jingsai.accounts import permissions
from jingsai.competitions.models import Competition
from jingsai.core import spreadsheets as sheets
from jingsai.core.errors import UserError
from jingsai.orgs.models import Organization
from jingsai.registration.models import Entry

from . import conflicts, imports
from .models import (
    Appeal,
    CompetitionJudge,
    Contestant,
    DrawKind,
    Judge,
    JudgeRole,
    Mark,
    MarkEvent,
    Panel,
)
from .services import appeals, judges, marking, schemes, stats, venue
from .services.progress import stage_summary
from .views.common import stage_or_404, station_or_404

router = Router(tags=["judging"])


# --------------------------------------------------------------------------
# Lookups
# --------------------------------------------------------------------------


def _competition(request, code, perm):
    competition = get_object_or_404(Competition.objects.select_related("host"), code=code)
    permissions.require(request.user, perm, competition)
    return competition


def _aspect(stage, code):
    scheme = schemes.scheme_of(stage.competition)
    aspect = scheme.aspects.filter(code=code).first() if scheme else None
    if aspect is None:
        raise UserError(_("The marking scheme has no aspect %(code)s.") % {"code": code}, code="unknown_aspect")
    return aspect


def _judge(request):
    judge = conflicts.judge_for(request.user)
    if judge is None:
        raise UserError(_("Your login is not linked to a judge of the pool; ask the organizer."), code="forbidden")
    return judge


# --------------------------------------------------------------------------
# Marking schemes
# --------------------------------------------------------------------------


class SchemeOut(Schema):
    competition: str
    component: str
    status: str
    problems: list[str]
    criteria: list[dict]


def _scheme_out(competition, scheme):
    out = schemes.definition(scheme)
    return {"competition": competition.code, "component": scheme.component, "status": scheme.status,
            "problems": [str(p) for p in schemes.problems(scheme)], "criteria": out["criteria"]}


def _scheme_for(request, code, perm):
    competition = _competition(request, code, perm)
    if permissions.has_perm(request.user, "judging.manage", competition):
        return competition, schemes.ensure_scheme(request.user, competition)
    scheme = schemes.scheme_of(competition)
    if scheme is None:
        raise Http404
    return competition, scheme


@router.get("/competitions/{code}/scheme", response=SchemeOut)
def get_scheme(request, code: str):
    competition, scheme = _scheme_for(request, code, "judging.view")
    return _scheme_out(competition, scheme)


@router.post("/competitions/{code}/scheme/import", response=SchemeOut)
def import_scheme(request, code: str, file: File[UploadedFile]):
    competition, scheme = _scheme_for(request, code, "judging.manage")
    schemes.import_table(request.user, scheme, sheets.read_table(file, file.name), filename=file.name)
    scheme.refresh_from_db()
    return _scheme_out(competition, scheme)


@router.post("/competitions/{code}/scheme/freeze", response=SchemeOut)
def freeze_scheme(request, code: str):
    competition, scheme = _scheme_for(request, code, "judging.manage")
    scheme = schemes.freeze(request.user, scheme)
    return _scheme_out(competition, scheme)


# --------------------------------------------------------------------------
# Judges
# --------------------------------------------------------------------------


class JudgeOut(Schema):
    code: str
    name: str
    unit_code: str
    qualifications: str
    username: str | None
    is_active: bool


def _judge_out(judge):
    return {"code": judge.code, "name": judge.name, "unit_code": judge.unit.code,
            "qualifications": judge.qualifications, "username": judge.user.username if judge.user else None,
            "is_active": judge.is_active}


class AssignedOut(JudgeOut):
    role: str


class JudgeIn(Schema):
    code: str
    name: str
    unit_code: str
    qualifications: str = ""


class AssignIn(Schema):
    judge: str
    role: JudgeRole = JudgeRole.JUDGE


class RelationshipIn(Schema):
    id_number: str
    relation: str


class ImportOut(Schema):
    created: int
    assigned: int
    updated: int
    unchanged: int


def _unit(code):
    unit = Organization.objects.filter(code=code).first()
    if unit is None:
        raise UserError(_("No organization has the code “%(code)s”.") % {"code": code})
    return unit


@router.get("/pool", response=list[JudgeOut])
def list_pool(request, q: str = ""):
    permissions.require(request.user, "judging.pool")
    found = permissions.filter_queryset(request.user, "judging.pool", Judge.objects.select_related("unit", "user"))
    if q:
        found = found.filter(name__contains=q) | found.filter(code__iexact=q)
    return [_judge_out(j) for j in found.order_by("code")[:500]]


@router.post("/pool", response={201: JudgeOut})
def create_pool_judge(request, data: JudgeIn):
    permissions.require(request.user, "judging.pool")
    judge = judges.create_judge(request.user, code=data.code, name=data.name, unit=_unit(data.unit_code),
                                owner=judges.owner_for(request.user),
                                qualifications=data.qualifications)
    return Status(201, _judge_out(judge))


@router.get("/competitions/{code}/judges", response=list[AssignedOut])
def list_judges(request, code: str):
    competition = _competition(request, code, "judging.manage")
    return [_judge_out(a.judge) | {"role": a.role}
            for a in competition.judge_assignments.select_related("judge__unit", "judge__user")]


@router.post("/competitions/{code}/judges", response={201: AssignedOut})
def assign_judge(request, code: str, data: AssignIn):
    competition = _competition(request, code, "judging.manage")
    judge = Judge.objects.select_related("unit").filter(code=data.judge).first()
    if judge is None:
        raise UserError(_("No judge of the pool has this code."))
    assignment, _changed = judges.assign(request.user, competition, judge, data.role)
    return Status(201, _judge_out(judge) | {"role": assignment.role})


@router.post("/competitions/{code}/judges/import", response=ImportOut)
def import_judges(request, code: str, file: File[UploadedFile]):
    competition = _competition(request, code, "judging.manage")
    return judges.import_judges(request.user, competition, sheets.read_table(file, file.name))


@router.delete("/competitions/{code}/judges/{judge}", response={204: None})
def unassign_judge(request, code: str, judge: str, reason: str = ""):
    competition = _competition(request, code, "judging.manage")
    assignment = get_object_or_404(CompetitionJudge, competition=competition, judge__code=judge)
    judges.unassign(request.user, assignment, reason=reason)
    return Status(204, None)


@router.post("/competitions/{code}/judges/{judge}/relationships", response={201: dict})
def declare_relationship(request, code: str, judge: str, data: RelationshipIn):
    competition = _competition(request, code, "judging.manage")
    assignment = get_object_or_404(CompetitionJudge.objects.select_related("judge"), competition=competition,
                                   judge__code=judge)
    declared = judges.declare_relationship(request.user, assignment.judge, id_number=data.id_number,
                                           relation=data.relation)
    return Status(201, {"judge": judge, "person": declared.person.id_number_masked, "relation": declared.relation})


# --------------------------------------------------------------------------
# Stages: panels, check-in, draws, end
# --------------------------------------------------------------------------


class StageOut(Schema):
    id: int
    competition: str
    key: str
    contestants: int
    present: int
    absent: int
    signed_off: int
    marks: int
    first_draw: bool
    second_draw: bool
    ended_at: datetime.datetime | None
    appeal_deadline: datetime.datetime | None
    unblinding: list[str]


@router.get("/stages/{stage_id}", response=StageOut)
def getstage_or_404(request, stage_id: int):
    stage = stage_or_404(request, stage_id, "judging.view")
    summary = stage_summary(stage)
    return {"id": stage.pk, "competition": stage.competition.code, "key": stage.key, "contestants": summary["total"],
            "present": summary["present"], "absent": summary["absent"], "signed_off": summary["signed"],
            "marks": summary["marks"], "first_draw": bool(summary["first_draw"]),
            "second_draw": bool(summary["second_draw"]),
            "ended_at": summary["ended"].ended_at if summary["ended"] else None,
            "appeal_deadline": summary["appeal_deadline"], "unblinding": sorted(summary["steps"])}


class PanelIn(Schema):
    name: str
    aspects: list[str]
    judges: list[str]
    station_from: int | None = None
    station_to: int | None = None
    reason: str = ""


class PanelOut(Schema):
    id: int
    name: str
    aspects: list[str]
    judges: list[str]
    station_from: int | None
    station_to: int | None
    warnings: list[dict]


def _warning_out(warning, panel=None):
    return {"panel": panel.name if panel is not None else None, "contestants": len(warning["contestants"]),
            "needed": warning["needed"], "available": warning["available"],
            "substitutes": [j.code for j in warning["substitutes"]]}


def _panel_out(panel, warnings=None):
    warnings = judges.panel_warnings(panel) if warnings is None else warnings
    return {"id": panel.pk, "name": panel.name, "aspects": [a.code for a in panel.aspects.all()],
            "judges": [m.judge.code for m in panel.members.select_related("judge")],
            "station_from": panel.station_from, "station_to": panel.station_to,
            "warnings": [{k: v for k, v in _warning_out(w).items() if k != "panel"} for w in warnings]}


def _panel_parts(stage, data):
    """The aspects and members a PanelIn names, or a 400 naming the unknown ones."""
    scheme = schemes.scheme_of(stage.competition)
    aspects = list(scheme.aspects.filter(code__in=data.aspects)) if scheme else []
    unknown = sorted(set(data.aspects) - {a.code for a in aspects})
    members = list(stage.competition.judge_assignments.filter(judge__code__in=data.judges).select_related("judge"))
    missing = sorted(set(data.judges) - {m.judge.code for m in members})
    if unknown:
        raise UserError(_("The marking scheme has no aspect %(code)s.") % {"code": "、".join(unknown)})
    if missing:
        raise UserError(_("Judge %(code)s is not on this competition's panel.") % {"code": "、".join(missing)})
    return aspects, members


@router.get("/stages/{stage_id}/panels", response=list[PanelOut])
def list_panels(request, stage_id: int):
    stage = stage_or_404(request, stage_id, "judging.manage")
    return [_panel_out(p) for p in stage.judging_panels.prefetch_related("aspects")]


@router.post("/stages/{stage_id}/panels", response={201: PanelOut})
def create_panel(request, stage_id: int, data: PanelIn):
    stage = stage_or_404(request, stage_id, "judging.manage")
    schemes.ensure_scheme(request.user, stage.competition)
    aspects, members = _panel_parts(stage, data)
    panel, warnings = judges.save_panel(request.user, stage, name=data.name, aspects=aspects, members=members,
                                        station_from=data.station_from, station_to=data.station_to,
                                        reason=data.reason)
    return Status(201, _panel_out(panel, warnings))


class WarningOut(Schema):
    panel: str | None
    contestants: int
    needed: int
    available: int
    substitutes: list[str]


@router.get("/stages/{stage_id}/panels/warnings", response=list[WarningOut])
def panel_warnings(request, stage_id: int):
    """Where conflicts of interest leave too few judges: per panel, or (without panels) for
    the competition's judges together (`panel` null), with substitutes free of conflicts."""
    stage = stage_or_404(request, stage_id, "judging.manage")
    panels = list(stage.judging_panels.prefetch_related("aspects"))
    if not panels:
        return [_warning_out(w) for w in judges.open_warnings(stage)]
    return [_warning_out(w, p) for p in panels for w in judges.panel_warnings(p)]


@router.put("/stages/{stage_id}/panels/{panel_id}", response=PanelOut)
def update_panel(request, stage_id: int, panel_id: int, data: PanelIn):
    """Change a panel: every field is given again (name, aspects, judges, stations)."""
    stage = stage_or_404(request, stage_id, "judging.manage")
    panel = get_object_or_404(Panel, pk=panel_id, stage=stage)
    aspects, members = _panel_parts(stage, data)
    panel, warnings = judges.save_panel(request.user, stage, panel=panel, name=data.name, aspects=aspects,
                                        members=members, station_from=data.station_from,
                                        station_to=data.station_to, reason=data.reason)
    return _panel_out(panel, warnings)


@router.delete("/stages/{stage_id}/panels/{panel_id}", response={204: None})
def delete_panel(request, stage_id: int, panel_id: int, reason: str = ""):
    stage = stage_or_404(request, stage_id, "judging.manage")
    judges.delete_panel(request.user, get_object_or_404(Panel, pk=panel_id, stage=stage), reason=reason)
    return Status(204, None)


class CheckInIn(Schema):
    contestant_number: int | None = None
    entry: int | None = None
    id_last4: str = ""
    absent: bool = False
    reason: str = ""


class CheckInOut(Schema):
    entry: int
    contestant_number: int | None
    checkin: str


@router.post("/stages/{stage_id}/checkin", response=CheckInOut)
def check_in(request, stage_id: int, data: CheckInIn):
    stage = stage_or_404(request, stage_id, "judging.checkin")
    found = venue.contestants(stage)
    if data.contestant_number is not None:
        found = found.filter(contestant_number=data.contestant_number)
    elif data.entry is not None:
        found = found.filter(entry__number=data.entry)
    else:
        raise UserError(_("Name the contestant by contestant number or entry number."))
    contestant = found.select_related("entry__person").first()
    if contestant is None:
        raise Http404
    if data.absent:
        contestant = venue.mark_absent(request.user, contestant, reason=data.reason)
    else:
        contestant = venue.check_in(request.user, contestant, id_last4=data.id_last4)
    return {"entry": contestant.entry.number, "contestant_number": contestant.contestant_number,
            "checkin": contestant.checkin}


class CheckInImportOut(Schema):
    present: int
    absent: int
    unchanged: int


@router.post("/stages/{stage_id}/checkin/import", response=CheckInImportOut)
def import_checkin(request, stage_id: int, file: File[UploadedFile]):
    """Check-in from the venue's list: 参赛号 or 身份证号, 检录 (已检录 or 缺考), 原因."""
    stage = stage_or_404(request, stage_id, "judging.checkin")
    return imports.import_checkin(request.user, stage, sheets.read_table(file, file.name))


class DrawIn(Schema):
    kind: DrawKind


class DrawOut(Schema):
    kind: str
    drawn_at: datetime.datetime
    drawn_by: str | None
    numbers: dict[str, int]


def _draw_out(record):
    entries = dict(Entry.objects.filter(pk__in=[int(k) for k in record.mapping]).values_list("pk", "number"))
    return {"kind": record.kind, "drawn_at": record.drawn_at, "drawn_by": str(record.drawn_by or ""),
            "numbers": {str(entries[int(k)]): v for k, v in record.mapping.items()}}


@router.post("/stages/{stage_id}/draws", response={201: DrawOut})
def make_draw(request, stage_id: int, data: DrawIn):
    stage = stage_or_404(request, stage_id, "judging.draw")
    return Status(201, _draw_out(venue.draw(request.user, stage, data.kind)))


@router.get("/stages/{stage_id}/draws", response=list[DrawOut])
def list_draws(request, stage_id: int):
    stage = stage_or_404(request, stage_id, "judging.draw")
    return [_draw_out(d) for d in stage.draws.select_related("drawn_by").order_by("drawn_at")]


@router.post("/stages/{stage_id}/end", response=StageOut)
def endstage_or_404(request, stage_id: int):
    stage = stage_or_404(request, stage_id, "judging.manage")
    venue.end_stage(request.user, stage)
    return getstage_or_404(request, stage_id)


# --------------------------------------------------------------------------
# Marking (judges, by station number)
# --------------------------------------------------------------------------


class StationSummary(Schema):
    station: int
    aspects: int
    marked: int
    rescore: bool
    signed_off: bool


class AspectMarkOut(Schema):
    code: str
    name: str
    type: str
    max: str
    binary: bool
    descriptors: list[str]
    value: str | None
    locked: bool
    rescore_requested: bool
    rescore_appeal: int | None = Field(None, description="the upheld appeal that asked for this mark again "
                                                         "(none: the chief judge asked)")


class StationOut(Schema):
    station: int
    signed_off: bool
    missing: int
    aspects: list[AspectMarkOut]


def _judge_view(judge, contestant, plan, marks=None):
    if marks is None:
        marks = plan.judge_marks(judge, [contestant])[contestant.pk]
    items = []
    aspects = plan.aspects_for(judge, contestant)
    appeals = marking.rescore_appeals([marks.get(aspect.pk) for aspect in aspects])
    for aspect in aspects:
        mark = marks.get(aspect.pk)
        items.append({"code": aspect.code, "name": aspect.name, "type": aspect.type, "max": marking.shown(aspect.max),
                      "binary": aspect.binary, "descriptors": list(aspect.descriptors or []),
                      "value": marking.shown(mark.value) if mark else None,
                      "locked": bool(mark and mark.locked) or contestant.signed_off,
                      "rescore_requested": bool(mark and mark.rescore_requested),
                      "rescore_appeal": appeals.get(mark.pk) if mark else None})
    return {"station": contestant.station_number, "signed_off": contestant.signed_off,
            "missing": sum(1 for i in items if i["value"] is None), "aspects": items}


@router.get("/stages/{stage_id}/stations", response=list[StationSummary])
def my_stations(request, stage_id: int):
    stage = stage_or_404(request, stage_id, "judging.mark")
    judge = _judge(request)
    plan = marking.Plan(stage)
    out = []
    mine = plan.stations_for(judge, list(venue.active_contestants(stage).order_by("station_number")))
    marks = plan.judge_marks(judge, mine)
    for contestant in mine:
        view = _judge_view(judge, contestant, plan, marks[contestant.pk])
        out.append({"station": view["station"], "aspects": len(view["aspects"]),
                    "marked": len(view["aspects"]) - view["missing"], "signed_off": view["signed_off"],
                    "rescore": any(a["rescore_requested"] for a in view["aspects"])})
    return out


@router.get("/stages/{stage_id}/stations/{number}", response=StationOut)
def mystation_or_404(request, stage_id: int, number: int):
    try:
        stage = stage_or_404(request, stage_id, "judging.mark")
        contestant = station_or_404(request, stage, number, "judging.mark")
    except PermissionDenied:  # answered with a code: the mark page drops this mark, not its queue
        raise UserError(_("You may not mark this station (not a judge of it, or a conflict of interest)."),
                        code="forbidden") from None
    judge = _judge(request)
    plan = marking.Plan(stage)
    if not plan.aspects_for(judge, contestant):
        raise UserError(_("You are not on a panel marking this station."), code="forbidden")
    return _judge_view(judge, contestant, plan)


class MarkIn(Schema):
    aspect: str
    value: str | int | float
    key: str | None = None
    entered_at: datetime.datetime | None = None
    reason: str = ""


class MarkOut(Schema):
    aspect: str
    value: str
    outcome: str
    locked: bool
    rescore_requested: bool
    missing: int


@router.post("/stages/{stage_id}/stations/{number}/marks", response=MarkOut, url_name="judging_mark")
def post_mark(request, stage_id: int, number: int, data: MarkIn):
    """Record one mark. Send a unique `key` per mark given (the page makes one per tap):
    a repeated key is answered with the stored mark and changes nothing, and a mark given
    (`entered_at`) before the stored one never replaces it."""
    try:
        stage = stage_or_404(request, stage_id, "judging.mark")
        contestant = station_or_404(request, stage, number, "judging.mark")
    except PermissionDenied:  # answered with a code: the mark page drops this mark, not its queue
        raise UserError(_("You may not mark this station (not a judge of it, or a conflict of interest)."),
                        code="forbidden") from None
    judge = _judge(request)
    plan = marking.Plan(stage)
    aspect = next((a for a in plan.aspects if a.code == data.aspect), None) or _aspect(stage, data.aspect)
    mark, outcome = marking.record_mark(request.user, contestant, aspect, data.value,
                                        judge=judge, key=data.key, entered_at=data.entered_at, plan=plan,
                                        source="tablet" if request.headers.get("X-Jingsai-Page") else "api",
                                        reason=data.reason)
    view = _judge_view(judge, contestant, plan)
    return {"aspect": mark.aspect.code, "value": marking.shown(mark.value), "outcome": outcome, "locked": mark.locked,
            "rescore_requested": mark.rescore_requested, "missing": view["missing"]}


# --------------------------------------------------------------------------
# Review, sign-off, unlocking, paper sheets, history (chief judge and organizers)
# --------------------------------------------------------------------------


class ReviewAspect(Schema):
    code: str
    type: str
    marks: dict[str, str]
    missing: list[str]
    problems: list[str]
    discrepancy: bool
    mark: str | None
    set_aside: dict[str, str]


class ReviewOut(Schema):
    station: int
    signed_off: bool
    time_seconds: int | None
    blockers: list[str]
    notes: list[str]
    aspects: list[ReviewAspect]


def _review_out(contestant):
    result = marking.review(contestant)
    return {
        "station": contestant.station_number, "signed_off": contestant.signed_off,
        "time_seconds": contestant.time_seconds, "blockers": [str(b) for b in result.blockers],
        "notes": [str(n) for n in result.notes],
        "aspects": [{"code": i.aspect.code, "type": i.aspect.type,
                     "marks": {m.judge.code: marking.shown(m.value) for m in i.marks},
                     "set_aside": {m.judge.code: marking.shown(m.value) for m in i.set_aside},
                     "missing": [j.code for j in i.missing], "problems": [str(p) for p in i.problems],
                     "discrepancy": i.discrepancy,
                     "mark": None if i.mark is None else str(round(float(i.mark), 4))} for i in result.aspects],
    }


@router.get("/stages/{stage_id}/stations/{number}/review", response=ReviewOut)
def reviewstation_or_404(request, stage_id: int, number: int):
    stage = stage_or_404(request, stage_id, "judging.review")
    return _review_out(station_or_404(request, stage, number, "judging.review"))


@router.post("/stages/{stage_id}/stations/{number}/signoff", response=ReviewOut)
def sign_off(request, stage_id: int, number: int):
    stage = stage_or_404(request, stage_id, "judging.review")
    contestant = marking.sign_off(request.user, station_or_404(request, stage, number, "judging.review"))
    return _review_out(contestant)


class UnlockIn(Schema):
    aspect: str
    judge: str | None = None
    reason: str


def _mark_to_unlock(contestant, aspect, judge_code):
    """The one mark the request names: an M aspect has one; a J or S aspect has one per
    judge, and the judge (裁判编号) must be named when several judges have marked it."""
    marks = list(Mark.objects.filter(contestant=contestant, aspect=aspect).select_related("judge")
                 .order_by("judge__code"))
    judge_code = (judge_code or "").strip()
    if judge_code:
        found = [m for m in marks if m.judge.code == judge_code]
        if not found:
            raise UserError(_("%(judge)s has no mark of %(aspect)s at this station.")
                            % {"judge": judge_code, "aspect": aspect.code}, code="unknown_mark")
        return found[0]
    if not marks:
        raise UserError(_("%(aspect)s has no marks yet.") % {"aspect": aspect.code}, code="unknown_mark")
    if len(marks) > 1:
        raise UserError(_("%(aspect)s is marked by several judges (%(judges)s): name the judge whose mark is to "
                          "be unlocked.") % {"aspect": aspect.code, "judges": "、".join(m.judge.code for m in marks)},
                        code="judge_required")
    return marks[0]


@router.post("/stages/{stage_id}/stations/{number}/unlock", response=ReviewOut)
def unlock(request, stage_id: int, number: int, data: UnlockIn):
    """Unlock one signed-off mark: name the aspect, and for a J or S aspect marked by several
    judges the judge (裁判编号) whose mark it is."""
    stage = stage_or_404(request, stage_id, "judging.review")
    contestant = station_or_404(request, stage, number, "judging.review")
    mark = _mark_to_unlock(contestant, _aspect(stage, data.aspect), data.judge)
    marking.unlock(request.user, mark, reason=data.reason)
    return _review_out(Contestant.objects.get(pk=contestant.pk))


class RescoreIn(Schema):
    aspect: str
    reason: str = ""


@router.post("/stages/{stage_id}/stations/{number}/rescore", response=ReviewOut)
def rescore(request, stage_id: int, number: int, data: RescoreIn):
    stage = stage_or_404(request, stage_id, "judging.review")
    contestant = station_or_404(request, stage, number, "judging.review")
    marking.request_rescore(request.user, contestant, _aspect(stage, data.aspect), reason=data.reason)
    return _review_out(contestant)


class TimeIn(Schema):
    time: str
    reason: str = ""


@router.post("/stages/{stage_id}/stations/{number}/time", response=ReviewOut)
def record_time(request, stage_id: int, number: int, data: TimeIn):
    stage = stage_or_404(request, stage_id, "judging.record_time")
    contestant = venue.record_time(request.user, station_or_404(request, stage, number, "judging.record_time"),
                                   data.time, reason=data.reason)
    return _review_out(contestant)


class TimesImportOut(Schema):
    recorded: int
    unchanged: int


@router.post("/stages/{stage_id}/times/import", response=TimesImportOut)
def import_times(request, stage_id: int, file: File[UploadedFile]):
    """Practical times from a file: 参赛号, 赛位号 or 身份证号, and 用时 (seconds or m:ss)."""
    stage = stage_or_404(request, stage_id, "judging.record_time")
    return imports.import_times(request.user, stage, sheets.read_table(file, file.name),
                                allowed=lambda c: permissions.has_perm(request.user, "judging.record_time", c))


class PaperIn(Schema):
    judge: str
    values: dict[str, str]


class PaperOut(Schema):
    status: str
    mismatches: list[dict]


@router.post("/stages/{stage_id}/stations/{number}/paper", response=PaperOut)
def key_paper(request, stage_id: int, number: int, data: PaperIn):
    stage = stage_or_404(request, stage_id, "judging.key_paper")
    contestant = station_or_404(request, stage, number, "judging.key_paper")
    judge = get_object_or_404(Judge, code=data.judge, assignments__competition=stage.competition)
    sheet, mismatches = marking.key_paper(request.user, contestant, judge, data.values)
    return {"status": sheet.status,
            "mismatches": [{"aspect": c, "first": a, "second": b} for c, a, b in mismatches]}


class EventOut(Schema):
    at: datetime.datetime
    aspect: str
    judge: str
    action: str
    old: str | None
    new: str | None
    by: str
    source: str
    reason: str


@router.get("/stages/{stage_id}/stations/{number}/history", response=list[EventOut])
def history(request, stage_id: int, number: int):
    stage = stage_or_404(request, stage_id, "judging.history")
    contestant = station_or_404(request, stage, number, "judging.history")
    events = (MarkEvent.objects.filter(mark__contestant=contestant)
              .select_related("mark__aspect", "mark__judge", "by").order_by("at", "pk"))
    return [{"at": e.at, "aspect": e.mark.aspect.code, "judge": e.mark.judge.code, "action": e.action,
             "old": marking.shown(e.old), "new": marking.shown(e.new), "by": str(e.by or ""), "source": e.source,
             "reason": e.reason} for e in events]


class MarksImportOut(Schema):
    created: int
    changed: int
    unchanged: int


@router.post("/stages/{stage_id}/marks/import", response=MarksImportOut)
def import_marks(request, stage_id: int, file: File[UploadedFile]):
    stage = stage_or_404(request, stage_id, "judging.manage")
    return imports.import_judge_marks(request.user, stage.competition, stage, sheets.read_table(file, file.name))


# --------------------------------------------------------------------------
# Unblinding and statistics
# --------------------------------------------------------------------------


class UnblindIn(Schema):
    note: str = ""


@router.post("/stages/{stage_id}/unblinding/confirm", response=StageOut)
def confirm_unblinding(request, stage_id: int, data: UnblindIn):
    stage = stage_or_404(request, stage_id, "judging.confirm_unblinding")
    marking.confirm_unblinding(request.user, stage, note=data.note)
    return getstage_or_404(request, stage_id)


@router.post("/stages/{stage_id}/unblinding/unblind", response=StageOut)
def unblind(request, stage_id: int, data: UnblindIn):
    stage = stage_or_404(request, stage_id, "judging.unblind")
    marking.unblind(request.user, stage, note=data.note)
    return getstage_or_404(request, stage_id)


@router.get("/stages/{stage_id}/stats", response=dict)
def judge_stats(request, stage_id: int):
    return stats.judge_stats(stage_or_404(request, stage_id, "judging.stats"))


# --------------------------------------------------------------------------
# Appeals
# --------------------------------------------------------------------------


class AppealIn(Schema):
    entry: int
    text: str
    aspects: list[str] = []


class AppealOut(Schema):
    id: int
    competition: str
    stage: str
    entry: int
    status: str
    text: str
    aspects: list[str]
    filed_at: datetime.datetime
    ruling: str
    decided_at: datetime.datetime | None


def _appeal_out(appeal):
    return {"id": appeal.pk, "competition": appeal.entry.competition.code, "stage": appeal.stage.key,
            "entry": appeal.entry.number, "status": appeal.status, "text": appeal.text,
            "aspects": [a.code for a in appeal.aspects.all()], "filed_at": appeal.filed_at, "ruling": appeal.ruling,
            "decided_at": appeal.decided_at}


@router.get("/appeals", response=list[AppealOut])
def list_appeals(request, status: str = ""):
    permissions.require(request.user, "judging.view_appeal")
    found = permissions.filter_queryset(request.user, "judging.view_appeal",
                                        Appeal.objects.select_related("entry__competition", "stage"))
    if status:
        found = found.filter(status=status)
    return [_appeal_out(a) for a in found.prefetch_related("aspects")[:500]]


@router.post("/appeals", response={201: AppealOut})
def file_appeal(request, data: AppealIn):
    entry = get_object_or_404(Entry.objects.select_related("competition__host", "stage", "unit"), pk=data.entry)
    permissions.require(request.user, "judging.appeal", entry)
    aspects = []
    if data.aspects:
        scheme = schemes.scheme_of(entry.competition)
        aspects = list(scheme.aspects.filter(code__in=data.aspects)) if scheme else []
        if len(aspects) != len(set(data.aspects)):
            raise UserError(_("The marking scheme has no aspect %(code)s.")
                            % {"code": "、".join(sorted(set(data.aspects) - {a.code for a in aspects}))})
    return Status(201, _appeal_out(appeals.file_appeal(request.user, entry, text=data.text, aspects=aspects)))


@router.get("/appeals/{appeal_id}", response=AppealOut)
def get_appeal(request, appeal_id: int):
    appeal = get_object_or_404(Appeal.objects.select_related("entry__competition__host", "entry__unit", "stage"),
                               pk=appeal_id)
    permissions.require(request.user, "judging.view_appeal", appeal)
    return _appeal_out(appeal)


class DecisionIn(Schema):
    upheld: bool
    ruling: str


@router.post("/appeals/{appeal_id}/decision", response=AppealOut)
def decide_appeal(request, appeal_id: int, data: DecisionIn):
    appeal = get_object_or_404(Appeal.objects.select_related("entry__competition__host", "entry__unit", "stage"),
                               pk=appeal_id)
    permissions.require(request.user, "judging.decide_appeal", appeal)
    return _appeal_out(appeals.decide(request.user, appeal, upheld=data.upheld, ruling=data.ruling))
