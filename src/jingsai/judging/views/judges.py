from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from jingsai.accounts import permissions
from jingsai.core import downloads
from jingsai.core import spreadsheets as sheets
from jingsai.core.decorators import permission_required
from jingsai.core.errors import Rejected, UserError
from jingsai.core.forms import UploadForm
from jingsai.core.http import next_url, xlsx_response
from jingsai.people import services as people_services

from .. import conflicts
from ..forms import AssignForm, JudgeForm, PanelForm, RelationshipForm
from ..models import CompetitionJudge, Judge, JudgeRole, Panel, Relationship
from ..services import judges as judge_services
from ..services import schemes, venue
from .common import competition_or_404, show_error, stage_or_404


def _pool(user):
    return permissions.filter_queryset(user, "judging.pool", Judge.objects.select_related("unit", "owner", "user"))


@permission_required("judging.pool")
def pool(request):
    judges = _pool(request.user)
    query = request.GET.get("q", "").strip()
    if query:
        judges = judges.filter(Q(name__contains=query) | Q(code__iexact=query) | Q(unit__name__contains=query))
    page = Paginator(judges.order_by("code"), 50).get_page(request.GET.get("page"))
    return render(request, "judging/pool.html", {"page_obj": page, "query": query})


@permission_required("judging.pool")
@require_http_methods(["GET", "POST"])
def pool_edit(request, pk=None):
    judge = None
    initial = {"is_active": True}
    if pk is not None:
        judge = get_object_or_404(Judge.objects.select_related("unit", "user", "person"), pk=pk)
        permissions.require(request.user, "judging.pool", judge)
        initial = {"code": judge.code, "name": judge.name, "unit_code": judge.unit.code,
                   "qualifications": judge.qualifications, "username": judge.user.username if judge.user else "",
                   "is_active": judge.is_active}
    form = JudgeForm(request.POST or None, initial=initial)
    if judge is not None:
        form.fields["code"].disabled = True
        form.fields["username"].disabled = True
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            person = None
            if data["id_number"]:
                person = people_services.find_by_id_number(data["id_number"])
                if person is None:
                    raise UserError(_("No worker has this identity number."))
            if judge is None:
                owner = judge_services.owner_for(request.user)
                judge = judge_services.create_judge(
                    request.user, code=data["code"], name=data["name"], unit=data["unit_code"], owner=owner,
                    qualifications=data["qualifications"], user=data["username"], person=person)
            else:
                fields = {"name": data["name"], "unit": data["unit_code"], "qualifications": data["qualifications"],
                          "is_active": data["is_active"]}
                if person is not None:
                    fields["person"] = person
                judge_services.update_judge(request.user, judge, **fields)
        except UserError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("The judge %(judge)s was saved.") % {"judge": judge})
            return redirect("judging:pool")
    return render(request, "judging/pool_form.html", {"form": form, "judge": judge})


@permission_required("judging.manage")
@require_http_methods(["GET", "POST"])
def competition_judges(request, pk):
    competition = competition_or_404(request, pk, "judging.manage")
    form = AssignForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        judge = Judge.objects.filter(code=form.cleaned_data["judge_code"].strip()).first()
        if judge is None:
            form.add_error("judge_code", _("No judge of the pool has this code."))
        else:
            try:
                judge_services.assign(request.user, competition, judge, form.cleaned_data["role"])
            except UserError as error:
                form.add_error(None, error.message)
            else:
                messages.success(request, _("%(judge)s is on the competition.") % {"judge": judge})
                return redirect("judging:judges", pk=competition.pk)
    assignments = list(competition.judge_assignments.select_related("judge__unit", "judge__user"))
    stage_contestants = venue.contestants(competition.stages.order_by("order").last())
    for assignment in assignments:
        assignment.conflict_count = len(conflicts.conflicted_contestant_ids(assignment.judge, stage_contestants))
    return render(request, "judging/judges.html", {"competition": competition, "assignments": assignments,
                                                   "form": form})


@permission_required("judging.manage")
@require_http_methods(["GET", "POST"])
def judges_import(request, pk):
    competition = competition_or_404(request, pk, "judging.manage")
    form = UploadForm(request.POST or None, request.FILES or None)
    context = {"competition": competition, "form": form}
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            table = sheets.read_table(upload, upload.name)
            result = judge_services.import_judges(request.user, competition, table)
        except Rejected as rejected:
            context["problems"] = [p.as_dict() for p in rejected.problems]
            if rejected.code != "unreadable":
                context["error_file"] = downloads.stash_error_file(request, upload.name, table, rejected.problems)
        else:
            messages.success(request, _("Judges imported: %(created)s new in the pool, %(assigned)s assigned or "
                                        "changed, %(unchanged)s already assigned.") % result)
            return redirect("judging:judges", pk=competition.pk)
    return render(request, "judging/judges_import.html", context)


@permission_required("judging.manage")
def judges_template(request, pk):
    competition_or_404(request, pk, "judging.manage")
    return xlsx_response(judge_services.template_xlsx(), "裁判导入模板.xlsx")


@permission_required("judging.manage")
@require_http_methods(["GET", "POST"])
def judge_detail(request, pk, judge_pk):
    competition = competition_or_404(request, pk, "judging.manage")
    assignment = get_object_or_404(CompetitionJudge.objects.select_related("judge__unit", "judge__user"),
                                   competition=competition, judge_id=judge_pk)
    judge = assignment.judge
    relationship_form = RelationshipForm()
    password = None
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "role":
                judge_services.assign(request.user, competition, judge, JudgeRole(request.POST.get("role")),
                                      reason=request.POST.get("reason", ""))
                messages.success(request, _("The role was changed."))
            elif action == "remove":
                judge_services.unassign(request.user, assignment, reason=request.POST.get("reason", ""))
                messages.success(request, _("%(judge)s was taken off the competition.") % {"judge": judge})
                return redirect("judging:judges", pk=competition.pk)
            elif action == "declare":
                relationship_form = RelationshipForm(request.POST)
                if relationship_form.is_valid():
                    judge_services.declare_relationship(request.user, judge, **relationship_form.cleaned_data)
                    messages.success(request, _("The relationship was recorded: the judge will not mark this worker."))
                    relationship_form = RelationshipForm()
            elif action == "withdraw":
                declared = get_object_or_404(Relationship, pk=request.POST.get("id"), judge=judge)
                judge_services.withdraw_relationship(request.user, declared, reason=request.POST.get("reason", ""))
                messages.success(request, _("The declaration was withdrawn."))
            elif action == "password":
                password = judge_services.reset_password(request.user, judge)
            else:
                raise Http404
        except UserError as error:
            show_error(request, error)
        judge.refresh_from_db()
    return render(request, "judging/judge_detail.html", {
        "competition": competition, "assignment": assignment, "judge": judge, "password": password,
        "relationships": judge.relationships.select_related("person"), "relationship_form": relationship_form,
        "roles": JudgeRole.choices,
    })


@permission_required("judging.mark")
@require_POST
def declare(request):
    """A judge declares a relationship with a worker themselves (回避申报)."""
    judge = conflicts.judge_for(request.user)
    if judge is None:
        raise Http404
    form = RelationshipForm(request.POST)
    if form.is_valid():
        try:
            judge_services.declare_relationship(request.user, judge, **form.cleaned_data)
        except UserError as error:
            show_error(request, error)
        else:
            messages.success(request, _("The relationship was recorded: you will not mark this worker."))
    else:
        messages.error(request, "；".join(str(e) for errors in form.errors.values() for e in errors))
    return redirect(next_url(request, reverse("judging:home")))


@permission_required("judging.manage")
@require_http_methods(["GET", "POST"])
def panels(request, pk):
    stage = stage_or_404(request, pk, "judging.manage")
    competition = stage.competition
    scheme = schemes.ensure_scheme(request.user, competition)
    panel = None
    if request.GET.get("panel") or request.POST.get("panel"):
        panel = get_object_or_404(Panel, pk=request.GET.get("panel") or request.POST.get("panel"), stage=stage)
    initial = {}
    if panel is not None:
        initial = {"name": panel.name, "aspects": panel.aspects.all(), "members": panel.members.all(),
                   "station_from": panel.station_from, "station_to": panel.station_to}
    form = PanelForm(request.POST or None, scheme=scheme, competition=competition, initial=initial)
    if request.method == "POST" and request.POST.get("action") == "add_member":
        return _add_substitute(request, stage, panel)
    if request.method == "POST" and request.POST.get("action") == "assign_substitute":
        return _assign_substitute(request, stage)
    if request.method == "POST" and request.POST.get("action") == "delete":
        try:
            judge_services.delete_panel(request.user, panel, reason=request.POST.get("reason", ""))
        except UserError as error:
            show_error(request, error)
        else:
            messages.success(request, _("The panel was deleted."))
        return redirect("judging:panels", pk=stage.pk)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            saved, warnings = judge_services.save_panel(
                request.user, stage, panel=panel, name=data["name"], aspects=data["aspects"],
                members=data["members"], station_from=data["station_from"], station_to=data["station_to"])
        except UserError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("The panel %(name)s was saved.") % {"name": saved.name})
            if warnings:
                messages.warning(request, _("The panel is short of judges for some contestants; see below."))
            return redirect("judging:panels", pk=stage.pk)
    items = list(stage.judging_panels.prefetch_related("aspects", "members__judge"))
    return render(request, "judging/panels.html", {
        "stage": stage, "competition": competition, "form": form, "panel": panel,
        "panels": [(p, judge_services.panel_warnings(p)) for p in items],
        "open_warnings": [] if items else judge_services.open_warnings(stage),
        "unassigned": scheme.aspects.filter(panels__isnull=True).order_by("order") if items else [],
    })


def _assign_substitute(request, stage):
    """Without panels: a substitute joins the competition's judges (role 裁判)."""
    judge = get_object_or_404(Judge, pk=request.POST.get("judge"))
    offered = {j.pk for w in judge_services.open_warnings(stage) for j in w["substitutes"]}
    if judge.pk not in offered:
        messages.error(request, _("%(judge)s is not one of the substitutes offered.") % {"judge": judge})
        return redirect("judging:panels", pk=stage.pk)
    try:
        judge_services.assign(request.user, stage.competition, judge, JudgeRole.JUDGE,
                              reason=_("Substitute: judges short for conflicts of interest"))
    except UserError as error:
        show_error(request, error)
    else:
        messages.success(request, _("%(judge)s joined the competition's judges.") % {"judge": judge})
    return redirect("judging:panels", pk=stage.pk)


def _add_substitute(request, stage, panel):
    if panel is None:
        raise Http404
    judge = get_object_or_404(Judge, pk=request.POST.get("judge"))
    try:
        assignment = CompetitionJudge.objects.filter(competition=stage.competition, judge=judge).first()
        if assignment is None:
            assignment, _changed = judge_services.assign(
                request.user, stage.competition, judge, reason=_("Substitute on panel %(name)s") % {"name": panel.name})
        judge_services.save_panel(
            request.user, stage, panel=panel, name=panel.name, aspects=panel.aspects.all(),
            members=[*panel.members.all(), assignment], station_from=panel.station_from, station_to=panel.station_to,
            reason=_("Substitute added"))
    except UserError as error:
        show_error(request, error)
    else:
        messages.success(request, _("%(judge)s joined panel %(name)s.") % {"judge": judge, "name": panel.name})
    return redirect("judging:panels", pk=stage.pk)
