from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import File, Form, Router, Schema, Status
from ninja.files import UploadedFile
from ninja.pagination import paginate

from jingsai.accounts import permissions
from jingsai.competitions.models import Competition
from jingsai.core.errors import UserError
from jingsai.core.http import XLSX, file_response
from jingsai.core.pagination import Pages
from jingsai.people.models import Level, WorkerStatus

from . import importing, planning, services
from .models import Entry, EntrySource, EntryStatus

router = Router(tags=["registration"])


class EntryOut(Schema):
    id: int
    competition: str
    stage: str
    number: int
    name: str
    id_number: str
    unit_code: str
    scope_code: str | None
    team: str | None
    status: EntryStatus
    level: int | None
    worker_status: str
    rejection_reason: str
    withdrawal_reason: str
    source: str
    previous: int | None
    created_at: str

    @staticmethod
    def resolve_competition(obj):
        return obj.competition.code

    @staticmethod
    def resolve_stage(obj):
        return obj.stage.key

    @staticmethod
    def resolve_name(obj):
        return obj.person.name

    @staticmethod
    def resolve_id_number(obj):
        return obj.person.id_number_masked

    @staticmethod
    def resolve_unit_code(obj):
        return obj.unit.code

    @staticmethod
    def resolve_scope_code(obj):
        return obj.scope.code if obj.scope_id else None

    @staticmethod
    def resolve_team(obj):
        return obj.team.name if obj.team_id else None

    @staticmethod
    def resolve_previous(obj):
        return obj.previous_id

    @staticmethod
    def resolve_created_at(obj):
        return obj.created_at.isoformat()


class EntryIn(Schema):
    competition: str
    stage: str = ""
    name: str
    id_number: str
    unit_code: str
    phone: str = ""
    level: Level | None = None
    worker_status: WorkerStatus | None = None
    groups: list[str] = []
    team: str = ""
    scope: str = ""


class SelfIn(Schema):
    competition: str
    scope: str = ""


class ReasonIn(Schema):
    reason: str = ""


class BulkIn(Schema):
    ids: list[int]
    reason: str = ""


class ReviewOut(Schema):
    changed: int
    unchanged: int
    detail: str


class ImportOut(Schema):
    rows: int
    people_created: int
    people_found: int
    entries_created: int
    entries_reactivated: int
    teams_created: int
    dry_run: bool
    summary: str
    job: str | None = None


def _entries():
    return Entry.objects.select_related("competition", "stage", "person", "unit", "scope", "team")


def _competition(user, code):
    competition = get_object_or_404(Competition.objects.select_related("host"), code=code)
    if not permissions.has_perm(user, "competitions.view", competition):
        raise PermissionDenied
    return competition


def _entry(user, pk):
    entry = get_object_or_404(_entries(), pk=pk)
    permissions.require(user, "registration.view", entry)
    return entry


@router.get("/entries", response=list[EntryOut])
@paginate(Pages, page_size=100)
def list_entries(request, competition: str = "", stage: str = "", scope: str = "", unit: str = "",
                 status: EntryStatus | None = None, group: str = "", q: str = "", todo: str = ""):
    """Entries the caller may see; `todo=unit` or `todo=host` for those awaiting their decision."""
    permissions.require(request.user, "registration.view")
    entries = services.visible_entries(request.user)
    stage_obj = None
    if competition:
        found = get_object_or_404(Competition, code=competition)
        entries = entries.filter(competition=found)
        stage_obj = services.stage_for(found, stage) if stage else None
    if todo == "unit":
        entries = entries.filter(pk__in=services.awaiting_unit(request.user).values("pk"))
    elif todo == "host":
        entries = entries.filter(pk__in=services.awaiting_host(request.user).values("pk"))
    entries = services.filter_entries(entries, stage=stage_obj, scope=scope, unit=unit, status=status or "",
                                      group=group, q=q)
    return entries.select_related("competition", "stage", "person", "unit", "scope", "team").order_by(
        "competition_id", "stage__order", "number")


@router.post("/entries", response={201: EntryOut})
def create_entry(request, data: EntryIn):
    """Register one worker (found by identity number, or added)."""
    permissions.require(request.user, "registration.register")
    competition = _competition(request.user, data.competition)
    stage = services.stage_for(competition, data.stage)
    candidate = services.candidate_from_input(
        name=data.name, id_number=data.id_number, unit_code=data.unit_code, phone=data.phone,
        level=data.level if "level" in data.model_fields_set else planning.MISSING,
        worker_status=data.worker_status or planning.MISSING, groups=data.groups, team=data.team,
        scope_code=data.scope)
    made = services.register(request.user, competition, stage, [candidate], source=EntrySource.FORM)
    return Status(201, _entries().get(pk=made[0].pk))


@router.post("/entries/self", response={201: EntryOut})
def register_self(request, data: SelfIn):
    """The calling worker registers themself."""
    permissions.require(request.user, "registration.register_self")
    competition = get_object_or_404(Competition.objects.select_related("host"), code=data.competition)
    made = services.register_self(request.user, competition, scope_code=data.scope)
    return Status(201, _entries().get(pk=made.pk))


def _bulk(request, ids, action, reason):
    entries = list(services.visible_entries(request.user).filter(pk__in=ids))
    if not entries or set(ids) - {e.pk for e in entries}:
        raise Http404
    if action == "approve":
        result = services.approve(request.user, entries, reason=reason)
        changed = result["approved"] + result["unit_approved"]
        detail = _("Approved: %(approved)s; approved by the unit: %(unit_approved)s; unchanged: %(unchanged)s.")
    elif action == "reject":
        result = services.reject(request.user, entries, reason=reason)
        changed, detail = result["rejected"], _("Rejected: %(rejected)s; unchanged: %(unchanged)s.")
    else:
        result = services.withdraw(request.user, entries, reason=reason)
        changed, detail = result["withdrawn"], _("Withdrawn: %(withdrawn)s; unchanged: %(unchanged)s.")
    return {"changed": changed, "unchanged": result["unchanged"], "detail": detail % result}


@router.post("/entries/approve", response=ReviewOut)
def approve_many(request, data: BulkIn):
    permissions.require(request.user, "registration.view")
    return _bulk(request, data.ids, "approve", data.reason)


@router.post("/entries/reject", response=ReviewOut)
def reject_many(request, data: BulkIn):
    permissions.require(request.user, "registration.view")
    return _bulk(request, data.ids, "reject", data.reason)


@router.post("/entries/withdraw", response=ReviewOut)
def withdraw_many(request, data: BulkIn):
    permissions.require(request.user, "registration.view")
    return _bulk(request, data.ids, "withdraw", data.reason)


@router.get("/entries/{int:pk}", response=EntryOut)
def get_entry(request, pk: int):
    return _entry(request.user, pk)


@router.post("/entries/{int:pk}/approve", response=EntryOut)
def approve(request, pk: int, data: ReasonIn):
    entry = _entry(request.user, pk)
    services.approve(request.user, [entry], reason=data.reason)
    return _entries().get(pk=pk)


@router.post("/entries/{int:pk}/reject", response=EntryOut)
def reject(request, pk: int, data: ReasonIn):
    entry = _entry(request.user, pk)
    services.reject(request.user, [entry], reason=data.reason)
    return _entries().get(pk=pk)


@router.post("/entries/{int:pk}/withdraw", response=EntryOut)
def withdraw(request, pk: int, data: ReasonIn):
    entry = _entry(request.user, pk)
    services.withdraw(request.user, [entry], reason=data.reason)
    return _entries().get(pk=pk)


@router.post("/import", response={200: ImportOut, 202: ImportOut})
def import_file(request, file: File[UploadedFile], competition: Form[str], stage: Form[str] = "",
                dry_run: Form[bool] = False):
    """Register every row of a file, or nobody (400 with every problem). Files of more
    than 2,000 rows are imported in the background: 202 with the job's id, whose page
    (/work/jobs/<id>/) shows progress and the result."""
    permissions.require(request.user, "registration.register")
    found = _competition(request.user, competition)
    stage_obj = services.stage_for(found, stage)
    outcome, value = importing.start_import(request.user, found, stage_obj, file.read(), file.name, dry_run=dry_run)
    if outcome == "job":
        return Status(202, {"rows": value.total or 0, "people_created": 0, "people_found": 0, "entries_created": 0,
                            "entries_reactivated": 0, "teams_created": 0, "dry_run": dry_run,
                            "summary": str(value.title), "job": str(value.pk)})
    return value


@router.get("/export")
def export(request, competition: str, stage: str = "", format: str = "json"):
    """The entries as JSON ([{entry, stage, id_number, name, unit_code, status}]) or xlsx; full
    identity numbers only where the caller may see them (people.view_pii)."""
    permissions.require(request.user, "registration.export")
    found = _competition(request.user, competition)
    stage_obj = services.stage_for(found, stage) if stage else None
    entries = services.visible_entries(request.user, "registration.export").filter(competition=found)
    if stage_obj is not None:
        entries = entries.filter(stage=stage_obj)
    if format not in ("json", "xlsx"):
        raise UserError(_("The format must be json or xlsx."), code="format")
    data = services.export(request.user, found, stage_obj, entries, fmt=format)
    if format == "json":
        return HttpResponse(data, content_type="application/json")
    return file_response(data, f"报名-{found.code}.xlsx", XLSX)


@router.get("/template")
def template(request, competition: str, stage: str = ""):
    permissions.require(request.user, "registration.register")
    found = _competition(request.user, competition)
    data = services.template_xlsx(found, services.stage_for(found, stage))
    return file_response(data, f"报名模板-{found.code}.xlsx", XLSX)
