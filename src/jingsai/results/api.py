"""The results API: compute, review, publish, object, finalize, export, certificates and
their public verification. Endpoints parse, ask accounts.permissions and call services."""

from dataclasses import asdict

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404
from ninja import File, Form, Router, Schema, Status
from ninja.files import UploadedFile

from jingsai.accounts import permissions
from jingsai.competitions.models import Competition
from jingsai.core import spreadsheets as sheets
from jingsai.core.http import file_response
from jingsai.core.masking import mask_name
from jingsai.core.middleware import client_ip
from jingsai.orgs.models import Organization

from . import certificates, exports, imports, queries, services
from .explain import explain_member, explain_result, explain_sources
from .models import Certificate, Computation, Objection, Result

router = Router(tags=["results"])


class StageIn(Schema):
    stage: str | None = None
    reason: str = ""


class ComputeIn(StageIn):
    scope: str | None = None


class ComputationOut(Schema):
    id: int
    stage: str
    scope: str | None
    version: int
    created_at: str
    entries: int
    ranked: int
    absent: int
    disqualified: int
    missing_scores: int
    changed: int | None

    @staticmethod
    def resolve_stage(obj):
        return obj.stage.key

    @staticmethod
    def resolve_scope(obj):
        return obj.scope.code if obj.scope_id else None

    @staticmethod
    def resolve_created_at(obj):
        return obj.created_at.isoformat()

    @staticmethod
    def resolve_entries(obj):
        return obj.n_entries

    @staticmethod
    def resolve_ranked(obj):
        return obj.n_ranked

    @staticmethod
    def resolve_absent(obj):
        return obj.n_absent

    @staticmethod
    def resolve_disqualified(obj):
        return obj.n_disqualified

    @staticmethod
    def resolve_missing_scores(obj):
        return obj.n_missing

    @staticmethod
    def resolve_changed(obj):
        return obj.n_changed


class ResultOut(Schema):
    id: int
    computation: int
    entry: int
    name: str
    id_number: str
    unit_code: str
    components: dict
    times: dict
    total: str | None
    status: str
    rank: int | None
    passed_all: bool | None
    award: str | None
    scale_score: int | None
    promotion: dict | None
    titles: list
    recommendations: list
    advanced: bool
    flags: list
    members: list | None

    @staticmethod
    def resolve_computation(obj):
        return obj.computation_id

    @staticmethod
    def resolve_entry(obj):
        return obj.number

    @staticmethod
    def resolve_name(obj):
        if obj.entry_id:
            return obj.entry.person.name
        return obj.team.name if obj.team_id else ""

    @staticmethod
    def resolve_id_number(obj):
        return obj.entry.person.id_number_masked if obj.entry_id else ""

    @staticmethod
    def resolve_unit_code(obj):
        return obj.unit.code

    @staticmethod
    def resolve_total(obj):
        return None if obj.total is None else f"{obj.total:.{obj.computation.places}f}"

    @staticmethod
    def resolve_award(obj):
        return obj.award or None

    @staticmethod
    def resolve_members(obj):
        if obj.members is None:
            return None
        return [{key: m[key] for key in ("components", "times", "total", "status", "passed_all", "promotion",
                                         "titles", "recommendations", "flags")} for m in obj.members]


class ChangeOut(Schema):
    entry: int
    kind: str
    fields: dict


class ExplanationOut(Schema):
    result: ResultOut
    status: str
    components: list
    total: list
    rank: list
    scale: list
    awards: list
    benefits: list
    advance: list
    members: list


class PublicityOut(Schema):
    id: int
    stage: str
    started_at: str
    ends_at: str
    withdrawn_at: str | None

    @staticmethod
    def resolve_stage(obj):
        return obj.stage.key

    @staticmethod
    def resolve_started_at(obj):
        return obj.started_at.isoformat()

    @staticmethod
    def resolve_ends_at(obj):
        return obj.ends_at.isoformat()

    @staticmethod
    def resolve_withdrawn_at(obj):
        return obj.withdrawn_at.isoformat() if obj.withdrawn_at else None


class FinalizationOut(Schema):
    id: int
    stage: str
    finalized_at: str
    computations: list[int]

    @staticmethod
    def resolve_stage(obj):
        return obj.stage.key

    @staticmethod
    def resolve_finalized_at(obj):
        return obj.finalized_at.isoformat()

    @staticmethod
    def resolve_computations(obj):
        return list(obj.computations.values_list("pk", flat=True))


class ObjectionIn(Schema):
    name: str
    contact: str
    text: str
    entry_number: int | None = None


class ObjectionOut(Schema):
    id: int
    stage: str
    entry_number: int | None
    name: str
    text: str
    created_at: str
    answer: str
    outcome: str
    answered_at: str | None

    @staticmethod
    def resolve_stage(obj):
        return obj.publicity.stage.key

    @staticmethod
    def resolve_created_at(obj):
        return obj.created_at.isoformat()

    @staticmethod
    def resolve_answered_at(obj):
        return obj.answered_at.isoformat() if obj.answered_at else None


class OrganizerObjectionOut(ObjectionOut):
    contact: str


class AnswerIn(Schema):
    answer: str
    outcome: Objection.Outcome


class CertificateOut(Schema):
    id: int
    code: str
    kind: str
    holder: str
    award: str
    rank: int | None
    layout: str
    issued_at: str
    revoked_at: str | None
    revoke_reason: str

    @staticmethod
    def resolve_holder(obj):
        return obj.holder_name

    @staticmethod
    def resolve_issued_at(obj):
        return obj.issued_at.isoformat()

    @staticmethod
    def resolve_revoked_at(obj):
        return obj.revoked_at.isoformat() if obj.revoked_at else None


class CertificatesIn(Schema):
    layout: str = certificates.DEFAULT_LAYOUT


class JobOut(Schema):
    id: str
    status: str
    url: str


class RevokeIn(Schema):
    reason: str


class VerificationOut(Schema):
    code: str
    verdict: str  # valid | revoked
    kind: str
    holder: str
    competition: str
    stage: str
    award: str
    rank: int | None
    issued_by: str
    issued_at: str
    revoked_at: str | None
    revoke_reason: str


class ImportOut(Schema):
    kind: str
    rows: int | None = None
    created: int | None = None
    updated: int | None = None
    unchanged: int | None = None
    statuses: int | None = None
    changed: int | None = None


def _competition(request, code, perm):
    competition = get_object_or_404(Competition.objects.select_related("host", "series"), code=code)
    permissions.require(request.user, perm, competition)
    return competition


def _scope(code):
    if not code:
        return None
    return get_object_or_404(Organization, code=code)


def _results(computations):
    return (Result.objects.filter(computation__in=computations)
            .select_related("entry__person", "team", "unit", "computation")
            .order_by("computation__scope_key", "position"))


# Literal paths first: "/competitions/{code}/..." never captures "/results/...".


@router.get("/verify/{code}", response=VerificationOut, auth=None)
def verify(request, code: str):
    """Public: whether a certificate number is valid, revoked or unknown (404)."""
    certificate = (Certificate.objects.select_related("competition__host", "result__computation__stage")
                   .filter(code="".join(code.split()).upper()).first())
    if certificate is None:
        raise Http404
    return {
        "code": certificate.code, "verdict": "revoked" if certificate.revoked else "valid",
        "kind": certificate.kind, "holder": mask_name(certificate.holder_name),
        "competition": certificate.competition.name, "stage": certificate.result.computation.stage.name,
        "award": certificate.award, "rank": certificate.rank, "issued_by": certificate.competition.host.name,
        "issued_at": certificate.issued_at.isoformat(),
        "revoked_at": certificate.revoked_at.isoformat() if certificate.revoked_at else None,
        "revoke_reason": certificate.revoke_reason,
    }


@router.get("/mine", response=list[ResultOut])
def mine(request):
    """The logged-in worker's published results."""
    permissions.require(request.user, "results.mine")
    found = Result.objects.filter(entry__person_id=request.user.person_id).select_related(
        "entry__person", "team", "unit", "computation")
    return [r for r in found.order_by("-computation__created_at") if queries.is_published(r)]


@router.get("/results/{pk}", response=ResultOut)
def result_detail(request, pk: int):
    result = get_object_or_404(Result.objects.select_related(
        "entry__person", "team", "unit", "computation__competition__host"), pk=pk)
    _require_result(request, result)
    return result


def _require_result(request, result):
    if not queries.can_see_result(request.user, result):
        raise PermissionDenied
    organizer = permissions.has_perm(request.user, "results.view", result.computation.competition)
    if not organizer and not queries.is_published(result):
        raise Http404


@router.get("/results/{pk}/explanation", response=ExplanationOut)
def result_explanation(request, pk: int):
    """The explanation of a result in the reader's language (Accept-Language)."""
    result = get_object_or_404(Result.objects.select_related(
        "entry__person", "team", "unit", "computation__competition__host"), pk=pk)
    _require_result(request, result)
    spec = result.computation.spec
    explained = explain_result(result, spec)
    explain_sources(result.entry, explained.components)
    return {**asdict(explained), "result": result,
            "members": [asdict(explain_member(m, spec)) for m in result.members or ()]}


@router.post("/objections/{pk}/answer", response=OrganizerObjectionOut)
def answer_objection(request, pk: int, data: AnswerIn):
    objection = get_object_or_404(Objection.objects.select_related("competition__host", "publicity__stage"), pk=pk)
    permissions.require(request.user, "results.publish", objection.competition)
    return services.answer_objection(request.user, objection, answer=data.answer, outcome=data.outcome)


@router.get("/certificates/{pk}/pdf")
def certificate_pdf(request, pk: int):
    certificate = get_object_or_404(Certificate.objects.select_related(
        "competition__host", "competition__series", "person", "result__unit", "result__computation__stage"), pk=pk)
    permissions.require(request.user, "results.download_certificate", certificate)
    return file_response(certificates.render(certificate, certificates.site_url(request)),
                         certificates.filename(certificate), "application/pdf")


@router.post("/certificates/{pk}/revoke", response=CertificateOut)
def revoke_certificate(request, pk: int, data: RevokeIn):
    certificate = get_object_or_404(Certificate.objects.select_related("competition__host"), pk=pk)
    permissions.require(request.user, "results.certificates", certificate.competition)
    return services.revoke_certificate(request.user, certificate, reason=data.reason)


@router.get("/competitions/{code}/computations", response=list[ComputationOut])
def computations(request, code: str, stage: str | None = None):
    """Every version computed for the stage, newest first."""
    competition = _competition(request, code, "results.view")
    stage_ = queries.stage_by_key(competition, stage)
    return Computation.objects.filter(stage=stage_).select_related("stage", "scope").order_by("scope_key", "-version")


@router.post("/competitions/{code}/compute", response={201: list[ComputationOut]})
def compute(request, code: str, data: ComputeIn):
    competition = _competition(request, code, "results.compute")
    stage = queries.stage_by_key(competition, data.stage)
    made = services.compute(request.user, stage, scope=_scope(data.scope), reason=data.reason)
    return Status(201, made)


@router.get("/competitions/{code}/results", response=list[ResultOut])
def results(request, code: str, stage: str | None = None, scope: str | None = None, computation: int | None = None):
    """The current results of the stage (or of one computation), in rank order."""
    competition = _competition(request, code, "results.view")
    stage_ = queries.stage_by_key(competition, stage)
    if computation is not None:
        chosen = [get_object_or_404(Computation, pk=computation, stage=stage_)]
    else:
        chosen = exports.computations_for(stage_, public=False, scope=_scope(scope))
    return _results(chosen)


@router.get("/competitions/{code}/changes", response=list[ChangeOut])
def changes(request, code: str, computation: int):
    """What changed between a computation and the version before it."""
    competition = _competition(request, code, "results.view")
    chosen = get_object_or_404(Computation, pk=computation, competition=competition)
    return [{"entry": c.number, "kind": c.kind, "fields": {k: list(v) for k, v in c.fields.items()}}
            for c in queries.changes(queries.previous_computation(chosen), chosen)]


@router.post("/competitions/{code}/publish", response={201: PublicityOut})
def publish(request, code: str, data: StageIn):
    competition = _competition(request, code, "results.publish")
    return Status(201, services.publish(request.user, queries.stage_by_key(competition, data.stage),
                                       reason=data.reason))


@router.post("/competitions/{code}/withdraw", response=PublicityOut)
def withdraw(request, code: str, data: StageIn):
    competition = _competition(request, code, "results.publish")
    return services.withdraw_publicity(request.user, queries.stage_by_key(competition, data.stage),
                                       reason=data.reason)


@router.post("/competitions/{code}/finalize", response={201: FinalizationOut})
def finalize(request, code: str, data: StageIn):
    competition = _competition(request, code, "results.publish")
    return Status(201, services.finalize(request.user, queries.stage_by_key(competition, data.stage),
                                        reason=data.reason))


@router.get("/competitions/{code}/objections", response=list[OrganizerObjectionOut])
def objections(request, code: str):
    competition = _competition(request, code, "results.view")
    return Objection.objects.filter(competition=competition).select_related("publicity__stage")


@router.post("/competitions/{code}/objections", response={201: ObjectionOut}, auth=None)
def object_to(request, code: str, data: ObjectionIn):
    """Public: object to results in publicity."""
    competition = get_object_or_404(Competition, code=code)
    user = request.user if request.user.is_authenticated else None
    objection = services.submit_objection(competition, name=data.name, contact=data.contact, text=data.text,
                                          entry_number=data.entry_number, ip=client_ip(request), actor=user)
    return Status(201, objection)


@router.get("/competitions/{code}/export")
def export(request, code: str, format: str = "json", stage: str | None = None, scope: str | None = None):
    """The results export with full identity numbers (organizers)."""
    competition = _competition(request, code, "results.export")
    body, name, content_type = exports.render(competition, queries.stage_by_key(competition, stage), format,
                                              masked=False, scope=_scope(scope))
    return file_response(body, name, content_type)


@router.get("/competitions/{code}/lists/{kind}")
def office_list(request, code: str, kind: str):
    """Promotions (for the skill appraisal centre), titles or recommendations, as xlsx."""
    from .views import LISTS

    competition = _competition(request, code, "results.export")
    if kind not in LISTS:
        raise Http404
    build, label = LISTS[kind]
    return file_response(build(competition), f"{competition.code}-{label}.xlsx", exports.CONTENT_TYPES["xlsx"])


@router.post("/competitions/{code}/marks", response=ImportOut)
def import_marks(request, code: str, file: File[UploadedFile], stage: Form[str] = ""):
    """A marks file: component scores, or judges' marks (裁判编号 column). All or nothing."""
    competition = _competition(request, code, "results.import_marks")
    stage_ = queries.stage_by_key(competition, stage or None)
    table = sheets.read_table(file, file.name)
    return imports.import_marks(request.user, competition, stage_, table, filename=file.name)


@router.get("/competitions/{code}/organizations")
def organization_awards(request, code: str, stage: str | None = None, best_n: int | None = None):
    """Units ranked by the sum of their contestants' best N totals."""
    competition = _competition(request, code, "results.view")
    state = queries.stage_results(queries.stage_by_key(competition, stage))
    n = best_n or (competition.spec.get("organization_award") or {}).get("best_n") or 3
    return [{"rank": s.rank, "unit_code": s.unit.code, "unit": s.unit.name, "total": str(s.total),
             "counted": [str(t) for t in s.counted], "contestants": s.contestants}
            for s in queries.organization_standings(state.computations, n)]


@router.get("/competitions/{code}/certificates", response=list[CertificateOut])
def certificate_list(request, code: str):
    competition = _competition(request, code, "results.certificates")
    return Certificate.objects.filter(competition=competition)


@router.post("/competitions/{code}/certificates", response={202: JobOut})
def make_certificates(request, code: str, data: CertificatesIn):
    """Issue and render every certificate of the competition as a ZIP, in the background."""
    from django.urls import reverse

    competition = _competition(request, code, "results.certificates")
    job = certificates.start_bulk(request.user, competition, layout=data.layout,
                                  base_url=certificates.site_url(request))
    return Status(202, {"id": str(job.pk), "status": job.status, "url": reverse("core:job", args=[job.pk])})
