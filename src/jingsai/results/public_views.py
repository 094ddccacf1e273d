"""What anyone may see: published results with masked names and identity numbers, the
publicity period and how to object, and certificate verification."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from jingsai.competitions.models import Competition, Status
from jingsai.core.errors import Rejected, UserError
from jingsai.core.http import file_response
from jingsai.core.masking import mask_name
from jingsai.core.middleware import client_ip

from . import exports, queries, services
from .forms import ObjectionForm, VerifyForm
from .models import Certificate, Objection, Result

PAGE_SIZE = 100


def _public_competition(code):
    return get_object_or_404(Competition.objects.select_related("host", "series").exclude(status=Status.DRAFT),
                             code=code)


def _published_stages(competition):
    """[(stage, StageResults)] of the stages whose results the public may see."""
    out = []
    for stage in queries.stages_of(competition):
        state = queries.stage_results(stage)
        if state.state != queries.OPEN:
            out.append((stage, state))
    return out


def public_rows(computation):
    rows = []
    for result in (Result.objects.filter(computation=computation).select_related("entry__person", "team", "unit")
                   .order_by("position")):
        person = result.entry.person if result.entry_id else None
        rows.append({
            "result": result,
            "name": mask_name(person.name) if person else (result.team.name if result.team_id else ""),
            "id_masked": person.id_number_masked if person else "",
            "unit": result.unit.name,
        })
    return rows


def results(request, code):
    competition = _public_competition(code)
    published = _published_stages(competition)
    if not published:
        return render(request, "results/public/none.html", {"competition": competition}, status=404)
    chosen = request.GET.get("stage")
    stage, state = next(((s, st) for s, st in published if s.key == chosen), published[-1])
    computations = state.published
    scope = request.GET.get("scope", "")
    computation = next((c for c in computations if str(c.scope_id) == scope), computations[0])
    rows = public_rows(computation)
    publicity = state.publicity
    open_for_objections = state.state == queries.PUBLICITY and not publicity.period_over
    objections = Objection.objects.filter(publicity=publicity).order_by("created_at") if publicity else []
    return render(request, "results/public/results.html", {
        "competition": competition, "stage": stage, "state": state, "stages": published,
        "computations": computations, "computation": computation,
        "page_obj": Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page")),
        "components": competition.spec.get("components", []), "publicity": publicity,
        "open_for_objections": open_for_objections, "objections": objections,
        "form": ObjectionForm() if open_for_objections else None, "formats": exports.FORMATS,
    })


@require_POST
def objection(request, code):
    competition = _public_competition(code)
    form = ObjectionForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.submit_objection(
                competition, name=data["name"], contact=data["contact"], text=data["text"],
                entry_number=data["entry_number"], ip=client_ip(request),
                actor=request.user if request.user.is_authenticated else None,
            )
        except Rejected as rejected:
            messages.error(request, "；".join(str(p.message) for p in rejected.problems))
        except UserError as error:
            messages.error(request, error.message)
        else:
            messages.success(request,
                             _("Your objection is recorded. The organizer's answer will be shown on this page."))
            return redirect("results_public:results", code=competition.code)
    else:
        messages.error(request, _("The objection was not recorded: fill in every required field."))
    return redirect("results_public:results", code=competition.code)


def export(request, code):
    competition = _public_competition(code)
    published = _published_stages(competition)
    stage = next((s for s, _st in published if s.key == request.GET.get("stage")), None) or (
        published[-1][0] if published else None)
    if stage is None:
        raise Http404
    try:
        body, name, content_type = exports.render(competition, stage, request.GET.get("format", "csv"), masked=True)
    except UserError:
        raise Http404 from None
    return file_response(body, name, content_type)


def normalize_code(raw):
    return "".join(str(raw or "").split()).upper()


def verify_form(request):
    form = VerifyForm(request.GET or None)
    if form.is_valid():
        return redirect("results_public:verify", code=normalize_code(form.cleaned_data["code"]))
    return render(request, "results/public/verify_form.html", {"form": form})


def verify(request, code):
    normalized = normalize_code(code)
    if normalized != code:
        return redirect("results_public:verify", code=normalized)
    certificate = (Certificate.objects.select_related("competition__host", "competition__series",
                                                      "result__computation__stage")
                   .filter(code=normalized).first())
    context = {"code": normalized, "certificate": certificate, "form": VerifyForm(initial={"code": normalized})}
    if certificate is None:
        return render(request, "results/public/verify.html", context, status=404)
    context["holder"] = mask_name(certificate.holder_name)
    return render(request, "results/public/verify.html", context)
