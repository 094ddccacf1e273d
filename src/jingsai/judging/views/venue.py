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
from jingsai.core.http import file_response, xlsx_response

from .. import conflicts, imports, pdf
from ..models import CheckIn, Contestant, DrawKind
from ..services import marking, venue
from .common import can, show_error, stage_or_404


@permission_required("judging.checkin")
def checkin(request, pk):
    stage = stage_or_404(request, pk, "judging.checkin")
    rows = venue.contestants(stage).select_related("entry__person", "entry__unit")
    query = request.GET.get("q", "").strip()
    if query:
        match = Q(entry__person__name__contains=query) | Q(entry__unit__name__contains=query)
        if query.isdigit():
            match |= Q(contestant_number=int(query)) | Q(entry__number=int(query))
        rows = rows.filter(match)
    state = request.GET.get("state", "")
    if state in CheckIn.values:
        rows = rows.filter(checkin=state)
    rows = rows.order_by("contestant_number", "entry__number")
    page = Paginator(rows, 50).get_page(request.GET.get("page"))
    counts = {value: venue.contestants(stage).filter(checkin=value).count() for value in CheckIn.values}
    return render(request, "judging/checkin.html", {
        "stage": stage, "competition": stage.competition, "page_obj": page, "query": query, "state": state,
        "counts": counts, "states": CheckIn.choices,
    })


@permission_required("judging.checkin")
@require_POST
def checkin_action(request, pk, contestant_pk):
    stage = stage_or_404(request, pk, "judging.checkin")
    contestant = get_object_or_404(Contestant.objects.select_related("entry__person"), pk=contestant_pk, stage=stage)
    action = request.POST.get("action")
    try:
        if action == "present":
            venue.check_in(request.user, contestant, id_last4=request.POST.get("id_last4", ""))
            messages.success(request, _("%(name)s is checked in.") % {"name": contestant.entry.person.name})
        elif action == "absent":
            venue.mark_absent(request.user, contestant, reason=request.POST.get("reason", ""))
            messages.success(request, _("%(name)s is recorded absent.") % {"name": contestant.entry.person.name})
        else:
            raise Http404
    except UserError as error:
        show_error(request, error)
    back = request.POST.get("back", "")
    return redirect(reverse("judging:checkin", args=[stage.pk]) + (f"?{back}" if back else ""))


@permission_required("judging.draw")
@require_http_methods(["GET", "POST"])
def draw(request, pk):
    stage = stage_or_404(request, pk, "judging.draw")
    if request.method == "POST":
        if request.POST.get("kind") not in DrawKind.values:
            raise Http404
        try:
            record = venue.draw(request.user, stage, request.POST["kind"])
        except UserError as error:
            show_error(request, error)
        else:
            messages.success(request, _("%(draw)s is done: %(count)s numbers drawn.")
                             % {"draw": record.get_kind_display(), "count": len(record.mapping)})
        return redirect("judging:draw", pk=stage.pk)
    rows = venue.contestants(stage).select_related("entry__person", "entry__unit").order_by(
        "contestant_number", "entry__number")
    return render(request, "judging/draw.html", {
        "stage": stage, "competition": stage.competition, "rows": rows,
        "first": venue.draw_done(stage, DrawKind.CONTESTANT), "second": venue.draw_done(stage, DrawKind.STATION),
        "pending": rows.filter(checkin=CheckIn.PENDING).count(),
    })


@permission_required("judging.draw")
def draw_pdf(request, pk, kind):
    stage = stage_or_404(request, pk, "judging.draw")
    if kind not in DrawKind.values:
        raise Http404
    data = pdf.draw_record(stage, kind)
    if data is None:
        raise Http404
    return file_response(data, f"抽签-{stage.competition.code}-{stage.key}-{kind}.pdf", "application/pdf")


@permission_required("judging.draw")
def draw_xlsx(request, pk):
    stage = stage_or_404(request, pk, "judging.draw")
    rows = venue.contestants(stage).select_related("entry__person", "entry__unit").order_by(
        "contestant_number", "entry__number")
    columns = [sheets.Column("contestant_number", "参赛号"), sheets.Column("station_number", "赛位号"),
               sheets.Column("name", "姓名"), sheets.Column("id_number", "身份证号", text=True, width=20),
               sheets.Column("unit", "单位", width=30), sheets.Column("checkin", "检录")]
    data = sheets.xlsx_bytes(columns, [
        [c.contestant_number, c.station_number, c.entry.person.name, c.entry.person.id_number_masked,
         c.entry.unit.name, c.get_checkin_display()] for c in rows
    ], sheet_name="抽签结果")
    return xlsx_response(data, f"抽签-{stage.competition.code}-{stage.key}.xlsx")


@permission_required("judging.manage")
@require_POST
def end_stage(request, pk):
    stage = stage_or_404(request, pk, "judging.manage")
    try:
        venue.end_stage(request.user, stage)
    except UserError as error:
        show_error(request, error)
    else:
        messages.success(request, _("The practical has ended; the appeal window is open."))
    return redirect("judging:stage", pk=stage.pk)


def _timed(request, stage):
    """The contestants whose practical time the user may record, by station: a chief
    judge never sees (or times) a contestant they are in conflict with."""
    rows = venue.active_contestants(stage).select_related("entry__unit", "entry__competition__host")
    rows = list(rows.order_by("station_number", "contestant_number", "pk"))
    judge = conflicts.judge_for(request.user)
    if judge is not None and not can(request.user, "judging.manage", stage):
        blocked = marking.Plan(stage).blocked(judge)
        rows = [c for c in rows if c.pk not in blocked]
    return rows


@permission_required("judging.record_time")
@require_http_methods(["GET", "POST"])
def times(request, pk):
    """Practical times: one at a time by station, or a file (参赛号/赛位号/身份证号, 用时)."""
    stage = stage_or_404(request, pk, "judging.record_time")
    form = UploadForm(request.POST or None, request.FILES or None) if "file" in request.FILES else UploadForm()
    context = {"stage": stage, "competition": stage.competition, "form": form,
               "organizer": can(request.user, "judging.manage", stage)}
    if request.method == "POST" and "file" in request.FILES:
        if form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                table = sheets.read_table(upload, upload.name)
                result = imports.import_times(
                    request.user, stage, table, allowed=lambda c: can(request.user, "judging.record_time", c))
            except Rejected as rejected:
                context["problems"] = [p.as_dict() for p in rejected.problems]
                if rejected.code != "unreadable":
                    context["error_file"] = downloads.stash_error_file(request, upload.name, table,
                                                                       rejected.problems)
            except UserError as error:
                show_error(request, error)
            else:
                messages.success(request, _("Practical times recorded: %(recorded)s, unchanged: %(unchanged)s.")
                                 % result)
                return redirect("judging:times", pk=stage.pk)
    elif request.method == "POST":
        contestant = get_object_or_404(
            Contestant.objects.select_related("entry__unit", "entry__competition__host"),
            pk=request.POST.get("contestant"), stage=stage)
        permissions.require(request.user, "judging.record_time", contestant)
        try:
            venue.record_time(request.user, contestant, request.POST.get("time", ""),
                              reason=request.POST.get("reason", ""))
        except UserError as error:
            show_error(request, error)
        else:
            messages.success(request, _("The practical time was recorded."))
        return redirect("judging:times", pk=stage.pk)
    context["rows"] = [{"contestant": c, "time": venue.format_duration(c.time_seconds)} for c in _timed(request, stage)]
    return render(request, "judging/times.html", context)


@permission_required("judging.record_time")
def times_template(request, pk):
    stage = stage_or_404(request, pk, "judging.record_time")
    return xlsx_response(imports.times_template_xlsx(), f"用时导入模板-{stage.competition.code}.xlsx")
