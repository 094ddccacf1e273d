"""Pages for organizers (compute, review, publish, finalize, certificates) and for
contestants (their explanations and certificates). Views parse, ask permission and call
services; nothing here changes state by itself."""

import uuid
from decimal import Decimal

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from jingsai.accounts import permissions
from jingsai.competitions.models import Competition, Status
from jingsai.core import downloads
from jingsai.core import spreadsheets as sheets
from jingsai.core.decorators import permission_required
from jingsai.core.errors import Rejected, UserError
from jingsai.core.forms import UploadForm
from jingsai.core.http import file_response, xlsx_response
from jingsai.core.models import Job
from jingsai.orgs.models import Organization

from . import certificates, exports, imports, queries, services
from .explain import explain_member, explain_result, explain_sources, level_name
from .models import FLAG_MISSING_SCORES, Certificate, Computation, Honour, Objection, Result

RESULT_STATUSES = (Status.IN_PROGRESS, Status.SCORING, Status.PUBLICITY, Status.FINAL, Status.ARCHIVED)
PAGE_SIZE = 200


def _int(value):
    return int(value) if str(value or "").isdigit() else None


def _competition(request, code, perm):
    competition = get_object_or_404(Competition.objects.select_related("host", "series"), code=code)
    permissions.require(request.user, perm, competition)
    return competition


def _stage(competition, key):
    try:
        return queries.stage_by_key(competition, key)
    except UserError:
        raise Http404 from None


def _run(request, action, success):
    """Call a service; show its error as a message instead of a page."""
    try:
        result = action()
    except Rejected as rejected:
        messages.error(request, "；".join([str(rejected.message)] + [str(p.message) for p in rejected.problems[:20]]))
        return None
    except UserError as error:
        messages.error(request, error.message)
        return None
    messages.success(request, success(result) if callable(success) else success)
    return result


# --------------------------------------------------------------------------
# Overview
# --------------------------------------------------------------------------


@permission_required("results.view")
def index(request):
    competitions = permissions.filter_queryset(
        request.user, "results.view",
        Competition.objects.filter(status__in=RESULT_STATUSES).select_related("host", "series"),
    ).order_by("-updated_at")
    page = Paginator(competitions, 50).get_page(request.GET.get("page"))
    return render(request, "results/index.html", {"page_obj": page})


@permission_required("results.view")
def competition(request, code):
    item = _competition(request, code, "results.view")
    stages = [queries.stage_results(stage) for stage in queries.stages_of(item)]
    in_publicity = [s for s in stages if s.state == queries.PUBLICITY]
    objections = (Objection.objects.filter(competition=item).select_related("publicity__stage", "answered_by")
                  .order_by("-created_at"))
    return render(request, "results/competition.html", {
        "competition": item,
        "stages": stages,
        "blockers": {s.stage.pk: services.finalize_blockers(s.stage, s.publicity) for s in in_publicity},
        "open_publicities": {s.publicity.pk for s in in_publicity},
        "objections": objections,
        "final": bool(stages) and stages[-1].state == queries.FINAL,
        "can_compute": permissions.has_perm(request.user, "results.compute", item),
        "can_publish": permissions.has_perm(request.user, "results.publish", item),
        "can_export": permissions.has_perm(request.user, "results.export", item),
        "can_import": permissions.has_perm(request.user, "results.import_marks", item),
        "can_certify": permissions.has_perm(request.user, "results.certificates", item),
        "computable": item.status in services.COMPUTE_STATUSES,
        "outcomes": Objection.Outcome.choices,
        "formats": exports.FORMATS,
    })


@permission_required("results.compute")
@require_POST
def compute(request, code):
    item = _competition(request, code, "results.compute")
    stage = _stage(item, request.POST.get("stage"))
    scope = None
    if _int(request.POST.get("scope")):
        scope = get_object_or_404(Organization, pk=_int(request.POST["scope"]))
    result = _run(request, lambda: services.compute(request.user, stage, scope=scope,
                                                    reason=request.POST.get("reason", "")),
                  lambda made: _("Computed %(count)s scope(s) of “%(stage)s”.") % {"count": len(made),
                                                                                 "stage": stage.name})
    if result and len(result) == 1:
        return redirect(reverse("results:stage", args=[item.code, stage.key]) + f"?computation={result[0].pk}")
    return redirect("results:stage", code=item.code, key=stage.key)


@permission_required("results.publish")
@require_POST
def publish(request, code):
    item = _competition(request, code, "results.publish")
    stage = _stage(item, request.POST.get("stage"))
    _run(request, lambda: services.publish(request.user, stage, reason=request.POST.get("reason", "")),
         _("The results are published for publicity."))
    return redirect("results:competition", code=item.code)


@permission_required("results.publish")
@require_POST
def withdraw(request, code):
    item = _competition(request, code, "results.publish")
    stage = _stage(item, request.POST.get("stage"))
    _run(request, lambda: services.withdraw_publicity(request.user, stage, reason=request.POST.get("reason", "")),
         _("The publicity is withdrawn; the results can be computed again."))
    return redirect("results:competition", code=item.code)


@permission_required("results.publish")
@require_POST
def finalize(request, code):
    item = _competition(request, code, "results.publish")
    stage = _stage(item, request.POST.get("stage"))
    _run(request, lambda: services.finalize(request.user, stage, reason=request.POST.get("reason", "")),
         _("The results are final."))
    return redirect("results:competition", code=item.code)


@permission_required("results.publish")
@require_POST
def answer(request, pk):
    objection = get_object_or_404(Objection.objects.select_related("competition__host"), pk=pk)
    permissions.require(request.user, "results.publish", objection.competition)
    _run(request, lambda: services.answer_objection(request.user, objection, answer=request.POST.get("answer", ""),
                                                    outcome=request.POST.get("outcome", "")),
         _("The answer is saved and shown on the publicity page."))
    return redirect(reverse("results:competition", args=[objection.competition.code]) + "#objections")


# --------------------------------------------------------------------------
# The results table
# --------------------------------------------------------------------------


def _chosen_computation(request, stage, state):
    pk = _int(request.GET.get("computation"))
    if pk:
        return get_object_or_404(Computation.objects.select_related("scope", "created_by"), pk=pk, stage=stage)
    scope = _int(request.GET.get("scope"))
    for computation in state.computations:
        if scope is None or computation.scope_id == scope:
            return computation
    return None


SORTS = {
    "rank": lambda r: r["result"].rank,
    "number": lambda r: r["result"].number,
    "name": lambda r: r["name"] or None,
    "unit": lambda r: r["unit"],
    "total": lambda r: r["result"].total,
}


def table_rows(computation):
    """Rows of the results table: each result with its person's or team's names."""
    results = list(Result.objects.filter(computation=computation)
                   .select_related("entry__person", "team", "unit").order_by("position"))
    member_entries = {}
    if any(r.members for r in results):
        from jingsai.registration.models import Entry

        ids = [m["entry_id"] for r in results if r.members for m in r.members]
        member_entries = {e.pk: e for e in Entry.objects.filter(pk__in=ids).select_related("person")}
    rows = []
    for result in results:
        person = result.entry.person if result.entry_id else None
        rows.append({
            "result": result,
            "name": person.name if person else (result.team.name if result.team_id else ""),
            "id_masked": person.id_number_masked if person else "",
            "unit": result.unit.name,
            "members": [member_entries[m["entry_id"]].person.name for m in result.members or ()
                        if m["entry_id"] in member_entries],
        })
    return rows


def _filter_rows(rows, request):
    status = request.GET.get("status", "")
    award = request.GET.get("award", "")
    flag = request.GET.get("flag", "")
    query = request.GET.get("q", "").strip()
    if status:
        rows = [r for r in rows if r["result"].status == status]
    if award == "-":
        rows = [r for r in rows if not r["result"].award]
    elif award:
        rows = [r for r in rows if r["result"].award == award]
    if flag == "any":
        rows = [r for r in rows if r["result"].flags]
    elif flag == "promotion":
        rows = [r for r in rows if r["result"].promotion_to is not None]
    elif flag == "advanced":
        rows = [r for r in rows if r["result"].advanced]
    elif flag:
        rows = [r for r in rows if flag in r["result"].flags]
    if query:
        rows = [r for r in rows if query in r["name"] or query in r["unit"] or query == str(r["result"].number)
                or any(query in m for m in r["members"])]
    return rows


def _sort_rows(rows, request, component_keys):
    """Sorted by the chosen column; rows without a value (unranked, no score) stay last.
    Ties keep the order of the results (rank, then entry number)."""
    sort = request.GET.get("sort", "rank")
    if sort in SORTS:
        value = SORTS[sort]
    elif sort in component_keys:
        def value(r):
            score = r["result"].components.get(sort)
            return None if score is None else Decimal(score)
    else:
        value = SORTS["rank"]
    present = [r for r in rows if value(r) is not None]
    missing = [r for r in rows if value(r) is None]
    present.sort(key=value, reverse=request.GET.get("dir") == "desc")
    return present + missing


def _histogram(rows, bands):
    """Totals in bands of five points, split by award (in the rules' order, no award
    last), for the score distribution chart."""
    totals = [(r["result"].total, r["result"].award) for r in rows if r["result"].total is not None]
    if not totals:
        return None
    low = int(min(t for t, _a in totals) // 5 * 5)
    high = int(max(t for t, _a in totals) // 5 * 5)
    bins = list(range(low, high + 5, 5))
    given = {award for _t, award in totals}
    awards = [b for b in bands if b in given] + ([""] if "" in given else [])
    series = {award: [0] * len(bins) for award in awards}
    for total, award in totals:
        series[award][(int(total) // 5 * 5 - low) // 5] += 1
    return {"labels": [f"{b}–{b + 5}" for b in bins],
            "series": [{"name": a or _("No award"), "data": series[a], "award": bool(a)} for a in awards]}


@permission_required("results.view")
def stage(request, code, key):
    item = _competition(request, code, "results.view")
    stage_ = _stage(item, key)
    state = queries.stage_results(stage_)
    computation = _chosen_computation(request, stage_, state)
    components = item.spec.get("components", [])
    context = {"competition": item, "stage": stage_, "state": state, "computation": computation,
               "components": components, "can_compute": permissions.has_perm(request.user, "results.compute", item),
               "computable": item.status in services.COMPUTE_STATUSES and state.state == queries.OPEN}
    if computation is not None:
        rows = table_rows(computation)
        bands = [b["name"] for b in (item.spec.get("awards") or {}).get("bands", [])]
        context["histogram"] = _histogram(rows, bands)
        given = {r["result"].award for r in rows}
        context["awards"] = [b for b in bands if b in given]
        rows = _sort_rows(_filter_rows(rows, request), request, {c["key"] for c in components})
        context["page_obj"] = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
        context["previous"] = queries.previous_computation(computation)
        context["versions"] = Computation.objects.filter(stage=stage_, scope_key=computation.scope_key).order_by(
            "-version")[:20]
        context["is_current"] = computation in state.computations
        context["team"] = item.spec.get("mode") == "team"
        context["scale"] = item.spec.get("scale") == "worldskills"
        context["advances"] = bool(stage_.advance)
        context["flag_missing"] = FLAG_MISSING_SCORES
    return render(request, "results/stage.html", context)


@permission_required("results.view")
def changes(request, code, key):
    item = _competition(request, code, "results.view")
    stage_ = _stage(item, key)
    computation = _chosen_computation(request, stage_, queries.stage_results(stage_))
    if computation is None:
        raise Http404
    previous = queries.previous_computation(computation)
    found = queries.changes(previous, computation)
    names = {c["key"]: c["name"] for c in item.spec.get("components", [])}
    return render(request, "results/changes.html", {
        "competition": item, "stage": stage_, "computation": computation, "previous": previous,
        "changes": found, "component_names": names,
    })


@permission_required("results.view")
def organizations(request, code, key):
    item = _competition(request, code, "results.view")
    stage_ = _stage(item, key)
    state = queries.stage_results(stage_)
    configured = (item.spec.get("organization_award") or {}).get("best_n")
    best_n = _int(request.GET.get("best_n")) or configured or 3
    scope = _int(request.GET.get("scope"))
    computations = [c for c in state.computations if scope is None or c.scope_id == scope]
    return render(request, "results/organizations.html", {
        "competition": item, "stage": stage_, "state": state, "best_n": best_n, "configured": configured,
        "scope": scope, "standings": queries.organization_standings(computations, best_n) if computations else [],
    })


# --------------------------------------------------------------------------
# The explanation of one result
# --------------------------------------------------------------------------


@permission_required("accounts.dashboard")
def explanation(request, pk):
    result = get_object_or_404(
        Result.objects.select_related("computation__competition__host", "computation__stage", "computation__scope",
                                      "entry__person", "team", "unit"), pk=pk)
    if not queries.can_see_result(request.user, result):
        raise PermissionDenied
    organizer = permissions.has_perm(request.user, "results.view", result.computation.competition)
    if not organizer and not queries.is_published(result):
        raise Http404
    computation = result.computation
    spec = computation.spec
    explained = explain_result(result, spec)
    explain_sources(result.entry, explained.components)
    members = []
    if result.members:
        from jingsai.registration.models import Entry

        entries = Entry.objects.in_bulk([m["entry_id"] for m in result.members])
        for member in result.members:
            entry = entries.get(member["entry_id"])
            detail = explain_member(member, spec)
            explain_sources(entry, detail.components)
            members.append({"name": entry.person.name if entry else "", "member": member, "explanation": detail,
                            "promotion": member["promotion"]})
    certificates_ = Certificate.objects.filter(result=result)
    if not organizer:
        certificates_ = certificates_.filter(person_id=request.user.person_id)
    return render(request, "results/explanation.html", {
        "result": result, "computation": computation, "competition": computation.competition,
        "explanation": explained, "members": members, "organizer": organizer,
        "promotion": result.promotion and {"from": level_name(result.promotion_from),
                                           "to": level_name(result.promotion_to)},
        "certificates": certificates_,
    })


@permission_required("results.mine")
def mine(request):
    """A worker's own published results and certificates."""
    person_id = request.user.person_id
    results = (Result.objects.filter(entry__person_id=person_id)
               .select_related("computation__competition", "computation__stage", "unit")
               .order_by("-computation__created_at"))
    shown, seen = [], set()
    for result in results:
        key = (result.computation.stage_id, result.computation.scope_key)
        if key in seen or not queries.is_published(result):
            continue
        seen.add(key)
        shown.append(result)
    teams = (Result.objects.filter(members__isnull=False, team__members__person_id=person_id)
             .select_related("computation__competition", "computation__stage").distinct())
    team_results = [r for r in teams if queries.is_published(r)]
    return render(request, "results/mine.html", {
        "results": shown + team_results,
        "certificates": Certificate.objects.filter(person_id=person_id).select_related("competition"),
        "honours": Honour.objects.filter(person_id=person_id).select_related("competition"),
        "promotions": request.user.person.promotions.select_related("competition") if person_id else [],
    })


# --------------------------------------------------------------------------
# Files: exports, lists, marks
# --------------------------------------------------------------------------


@permission_required("results.export")
def export(request, code):
    item = _competition(request, code, "results.export")
    stage_ = _stage(item, request.GET.get("stage") or None)
    scope = None
    if _int(request.GET.get("scope")):
        scope = get_object_or_404(Organization, pk=_int(request.GET["scope"]))
    try:
        body, name, content_type = exports.render(item, stage_, request.GET.get("format", "xlsx"), masked=False,
                                                  scope=scope)
    except UserError as error:
        messages.error(request, error.message)
        return redirect("results:competition", code=item.code)
    return file_response(body, name, content_type)


LISTS = {
    "promotions": (exports.promotions_xlsx, "晋升职业技能等级名单"),
    "titles": (lambda c: exports.honours_xlsx(c, Honour.Kind.TITLE), "称号名单"),
    "recommendations": (lambda c: exports.honours_xlsx(c, Honour.Kind.RECOMMENDATION), "推荐名单"),
}


@permission_required("results.export")
def office_list(request, code, kind):
    item = _competition(request, code, "results.export")
    if kind not in LISTS:
        raise Http404
    build, label = LISTS[kind]
    return xlsx_response(build(item), f"{item.code}-{label}.xlsx")


@permission_required("results.import_marks")
@require_http_methods(["GET", "POST"])
def marks(request, code):
    item = _competition(request, code, "results.import_marks")
    stages = queries.stages_of(item)
    form = UploadForm(request.POST or None, request.FILES or None)
    context = {"competition": item, "form": form, "stages": stages,
               "chosen": request.POST.get("stage") or request.GET.get("stage") or (stages[-1].key if stages else "")}
    if request.method == "POST" and form.is_valid():
        stage_ = _stage(item, request.POST.get("stage") or None)
        upload = form.cleaned_data["file"]
        table = None
        try:
            table = sheets.read_table(upload, upload.name)
            summary = imports.import_marks(request.user, item, stage_, table, filename=upload.name)
        except Rejected as rejected:
            context["problems"] = [p.as_dict() for p in rejected.problems]
            if table is not None and rejected.code != "unreadable":
                context["error_file"] = downloads.stash_error_file(request, upload.name, table, rejected.problems)
        except UserError as error:
            messages.error(request, error.message)
        else:
            if summary.get("kind") == "scores":
                messages.success(request, _("Marks imported: %(rows)s rows, %(created)s scores added, %(updated)s "
                                            "changed, %(unchanged)s unchanged.") % summary)
            else:
                messages.success(request, _("The judges' marks were imported."))
            return redirect("results:competition", code=item.code)
    return render(request, "results/marks.html", context)


@permission_required("results.import_marks")
def marks_template(request, code):
    item = _competition(request, code, "results.import_marks")
    stage_ = _stage(item, request.GET.get("stage") or None)
    return xlsx_response(imports.template_xlsx(item, stage_), f"{item.code}-{stage_.key}-成绩导入模板.xlsx")


# --------------------------------------------------------------------------
# Certificates
# --------------------------------------------------------------------------


@permission_required("results.certificates")
@require_http_methods(["GET", "POST"])
def certificate_list(request, code):
    item = _competition(request, code, "results.certificates")
    if request.method == "POST":
        layout = request.POST.get("layout", "")
        job = _run(request, lambda: certificates.start_bulk(request.user, item, layout=layout,
                                                            base_url=certificates.site_url(request)),
                   _("The certificates are being made; the ZIP will be ready below."))
        if job is not None:
            return redirect(reverse("results:certificates", args=[item.code]) + f"?job={job.pk}")
        return redirect("results:certificates", code=item.code)
    found = Certificate.objects.filter(competition=item).select_related("person", "result__computation__stage")
    query = request.GET.get("q", "").strip()
    if query:
        found = found.filter(holder_name__contains=query) | found.filter(code=query.upper())
    job = None
    try:
        job_id = uuid.UUID(request.GET.get("job", ""))
    except ValueError:
        job_id = None
    if job_id is not None:
        job = Job.objects.filter(pk=job_id, created_by=request.user).first()
    return render(request, "results/certificates.html", {
        "competition": item, "page_obj": Paginator(found, 100).get_page(request.GET.get("page")),
        "layouts": certificates.LAYOUTS.values(), "job": job,
        "final": Computation.objects.filter(competition=item, finalizations__isnull=False).exists(),
    })


@permission_required("results.certificates")
def certificate_preview(request, code):
    """A sample of a layout, drawn for the first final result (nothing is issued)."""
    item = _competition(request, code, "results.certificates")
    layout = request.GET.get("layout", certificates.DEFAULT_LAYOUT)
    if layout not in certificates.LAYOUTS:
        raise Http404
    result = services.final_results(item).filter(status="ranked").first()
    if result is None:
        messages.error(request, _("Certificates are issued from final results; no stage of this competition is "
                                  "final yet."))
        return redirect("results:certificates", code=item.code)
    person = result.entry.person if result.entry_id else None
    sample = Certificate(code="PREVIEW00000", kind=Certificate.Kind.AWARD if result.award else Certificate.Kind.SCORE,
                         competition=item, result=result, person=person, holder_name=person.name if person else "",
                         unit_name=result.unit.name, award=result.award, rank=result.rank,
                         total=f"{result.total:.{result.computation.places}f}", layout=layout)
    return HttpResponse(certificates.render(sample, certificates.site_url(request)), content_type="application/pdf")


@permission_required("results.download_certificate")
def certificate_pdf(request, pk):
    certificate = get_object_or_404(
        Certificate.objects.select_related("competition__host", "competition__series", "person", "result__unit",
                                           "result__computation__stage"), pk=pk)
    permissions.require(request.user, "results.download_certificate", certificate)
    body = certificates.render(certificate, certificates.site_url(request))
    return file_response(body, certificates.filename(certificate), "application/pdf")


@permission_required("results.certificates")
@require_POST
def certificate_revoke(request, pk):
    certificate = get_object_or_404(Certificate.objects.select_related("competition__host"), pk=pk)
    permissions.require(request.user, "results.certificates", certificate.competition)
    _run(request, lambda: services.revoke_certificate(request.user, certificate, reason=request.POST.get("reason")),
         _("The certificate is revoked."))
    return redirect("results:certificates", code=certificate.competition.code)
