from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from jingsai.core import downloads
from jingsai.core import spreadsheets as sheets
from jingsai.core.decorators import permission_required
from jingsai.core.errors import Rejected, UserError
from jingsai.core.forms import UploadForm
from jingsai.core.http import file_response, xlsx_response

from .. import pdf
from ..forms import AspectForm, CriterionForm
from ..models import Aspect, Criterion
from ..services import marking, schemes
from .common import can, competition_or_404, show_error, stage_or_404


def _scheme(request, pk, perm="judging.manage"):
    competition = competition_or_404(request, pk, perm)
    if can(request.user, "judging.manage", competition):
        return competition, schemes.ensure_scheme(request.user, competition)
    scheme = schemes.scheme_of(competition)
    if scheme is None:
        raise Http404
    return competition, scheme


@permission_required("judging.view")
def scheme(request, pk):
    competition, item = _scheme(request, pk, "judging.view")
    component = schemes.component_of(competition, item.component)
    return render(request, "judging/scheme.html", {
        "competition": competition, "scheme": item, "tree": schemes.tree(item), "component": component,
        "problems": schemes.problems(item), "can_manage": can(request.user, "judging.manage", competition),
        "criterion_form": CriterionForm(scheme=item),
        "has_spec_scheme": bool(competition.spec.get("marking_scheme")),
        "components": competition.spec.get("components", []),
    })


@permission_required("judging.manage")
@require_POST
def criterion_save(request, pk):
    competition, item = _scheme(request, pk)
    existing = None
    if request.POST.get("id"):
        existing = get_object_or_404(Criterion, pk=request.POST["id"], scheme=item)
    form = CriterionForm(request.POST, scheme=item)
    if not form.is_valid():
        messages.error(request, "；".join(str(e) for errors in form.errors.values() for e in errors))
        return redirect("judging:scheme", pk=competition.pk)
    try:
        schemes.save_criterion(request.user, item, criterion=existing, code=form.cleaned_data["code"],
                               name=form.cleaned_data["name"], parent=form.cleaned_data["parent"])
    except UserError as error:
        show_error(request, error)
    else:
        messages.success(request, _("The criterion was saved."))
    return redirect("judging:scheme", pk=competition.pk)


@permission_required("judging.manage")
@require_http_methods(["GET", "POST"])
def aspect_edit(request, pk):
    competition, item = _scheme(request, pk)
    aspect = None
    initial = {}
    if request.GET.get("aspect"):
        aspect = get_object_or_404(Aspect, pk=request.GET["aspect"], scheme=item)
        initial = {"criterion": aspect.criterion, "code": aspect.code, "name": aspect.name, "type": aspect.type,
                   "max": aspect.max, "binary": aspect.binary, "description": aspect.description}
        initial |= {f"descriptor_{i}": text for i, text in enumerate(aspect.descriptors or [])}
    elif request.GET.get("criterion"):
        initial["criterion"] = request.GET["criterion"]
    form = AspectForm(request.POST or None, scheme=item, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            schemes.save_aspect(request.user, item, aspect=aspect, criterion=data["criterion"], code=data["code"],
                                name=data["name"], type=data["type"], max=data["max"], binary=data["binary"],
                                description=data["description"], descriptors=form.descriptors)
        except UserError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("The aspect was saved."))
            return redirect("judging:scheme", pk=competition.pk)
    return render(request, "judging/aspect_form.html", {"competition": competition, "scheme": item, "form": form,
                                                        "aspect": aspect})


@permission_required("judging.manage")
@require_POST
def scheme_action(request, pk):
    """Freeze, reopen, start again from the spec, delete a criterion or an aspect."""
    competition, item = _scheme(request, pk)
    action = request.POST.get("action")
    reason = request.POST.get("reason", "")
    try:
        if action == "freeze":
            schemes.freeze(request.user, item, reason=reason)
            messages.success(request, _("The marking scheme is frozen."))
        elif action == "unfreeze":
            schemes.unfreeze(request.user, item, reason=reason)
            messages.success(request, _("The marking scheme can be edited again."))
        elif action == "reseed":
            schemes.reseed(request.user, item, reason=reason)
            messages.success(request, _("The marking scheme was rebuilt from the competition spec."))
        elif action == "delete_criterion":
            schemes.delete_criterion(request.user, get_object_or_404(Criterion, pk=request.POST.get("id"),
                                                                     scheme=item))
            messages.success(request, _("The criterion was deleted."))
        elif action == "delete_aspect":
            schemes.delete_aspect(request.user, get_object_or_404(Aspect, pk=request.POST.get("id"), scheme=item))
            messages.success(request, _("The aspect was deleted."))
        else:
            raise Http404
    except UserError as error:
        show_error(request, error)
    return redirect("judging:scheme", pk=competition.pk)


@permission_required("judging.manage")
@require_http_methods(["GET", "POST"])
def scheme_import(request, pk):
    competition, item = _scheme(request, pk)
    form = UploadForm(request.POST or None, request.FILES or None)
    context = {"competition": competition, "scheme": item, "form": form}
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            table = sheets.read_table(upload, upload.name)
            schemes.import_table(request.user, item, table, filename=upload.name)
        except Rejected as rejected:
            context["problems"] = [p.as_dict() for p in rejected.problems]
            if rejected.code != "unreadable" and any(p.row for p in rejected.problems):
                context["error_file"] = downloads.stash_error_file(request, upload.name, table, rejected.problems)
        except UserError as error:
            show_error(request, error)
        else:
            messages.success(request, _("The marking scheme was imported."))
            return redirect("judging:scheme", pk=competition.pk)
    return render(request, "judging/scheme_import.html", context)


@permission_required("judging.view")
def scheme_export(request, pk):
    competition, item = _scheme(request, pk, "judging.view")
    return xlsx_response(schemes.export_xlsx(item), f"评分标准-{competition.code}.xlsx")


@permission_required("judging.key_paper")
def sheets_pdf(request, pk):
    """Marking sheets for paper marking: one page per judge and station, only the aspects
    that judge marks there (a judge in conflict gets no sheet for that station)."""
    stage = stage_or_404(request, pk, "judging.key_paper")
    plan = marking.Plan(stage)
    judge_code = request.GET.get("judge", "")
    data = pdf.marking_sheets(plan, judge_code=judge_code or None)
    if data is None:
        messages.error(request, _("There is nothing to print yet: the second draw (station numbers) comes first."))
        return redirect("judging:stage", pk=stage.pk)
    return file_response(data, f"评分表-{stage.competition.code}-{stage.key}.pdf", "application/pdf")
