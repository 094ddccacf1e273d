from django.contrib import messages
from django.core.exceptions import PermissionDenied
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
from jingsai.results.models import ComponentScore

from .. import conflicts, imports
from ..forms import RelationshipForm
from ..models import Judge, Mark, PaperSheet
from ..services import history as history_service
from ..services import marking, schemes, stats, venue
from .common import can, show_error, stage_or_404, station_or_404


def _judge(request):
    judge = conflicts.judge_for(request.user)
    if judge is None:
        raise PermissionDenied(_("Your login is not linked to a judge of the pool; ask the organizer."))
    return judge


def _texts():
    """What the mark entry script says, in the user's language."""
    return {
        "saved": _("Saved"),
        "queued": _("Waiting for the connection: kept on this device"),
        "stale": _("A later mark was already stored; it stays"),
        "error": _("Not saved"),
        "refused": _("The server refused this mark."),
        "locked": _("Signed off and locked: ask the chief judge to unlock it."),
        "online": _("Online"),
        "offline": _("Offline"),
        "number": _("Enter a number with at most 3 decimal places."),
        "range": _("The mark is at most %(max)s."),
    }


@permission_required("judging.mark")
def stations(request, pk):
    """A judge's stations in a stage: what is still to mark at each, by station number only."""
    stage = stage_or_404(request, pk, "judging.mark")
    judge = _judge(request)
    plan = marking.Plan(stage)
    mine = plan.stations_for(judge, list(venue.active_contestants(stage).order_by("station_number")))
    marks = plan.judge_marks(judge, mine)
    rows = []
    for contestant in mine:
        aspects = plan.aspects_for(judge, contestant)
        given = [marks[contestant.pk].get(a.pk) for a in aspects]
        rows.append({
            "station": contestant.station_number, "total": len(aspects),
            "done": sum(1 for m in given if m is not None),
            "rescore": any(m is not None and m.rescore_requested for m in given),
            "signed": contestant.signed_off,
        })
    return render(request, "judging/stations.html", {
        "stage": stage, "competition": stage.competition, "judge": judge, "rows": rows,
        "missing": sum(r["total"] - r["done"] for r in rows), "relationship_form": RelationshipForm(),
        "texts": _texts(),
    })


@permission_required("judging.mark")
def station(request, pk, number):
    """The mark entry page: made for a tablet or phone, saving each mark as it is given
    and queueing it in the page while the connection is lost (static judging/marking.js)."""
    stage = stage_or_404(request, pk, "judging.mark")
    contestant = station_or_404(request, stage, number, "judging.mark")
    judge = _judge(request)
    plan = marking.Plan(stage)
    aspects = plan.aspects_for(judge, contestant)
    if not aspects:
        raise PermissionDenied(_("You are not on a panel marking this station."))
    marks = plan.judge_marks(judge, [contestant])[contestant.pk]
    appeals = marking.rescore_appeals(marks.values())
    items = []
    for aspect in aspects:
        mark = marks.get(aspect.pk)
        items.append({"aspect": aspect, "mark": mark, "value": marking.shown(mark.value) if mark else "",
                      "levels": list(enumerate(aspect.descriptors or ["", "", "", ""])),
                      "appeal": appeals.get(mark.pk) if mark else None})
    mine = [c.station_number for c in plan.stations_for(judge, list(
        venue.active_contestants(stage).order_by("station_number")))]
    position = mine.index(contestant.station_number) if contestant.station_number in mine else -1
    return render(request, "judging/station.html", {
        "stage": stage, "competition": stage.competition, "contestant": contestant, "judge": judge, "items": items,
        "previous": mine[position - 1] if position > 0 else None,
        "next": mine[position + 1] if 0 <= position < len(mine) - 1 else None,
        "api_url": reverse("api:judging_mark", kwargs={"stage_id": stage.pk, "number": contestant.station_number}),
        "texts": _texts(),
    })


@permission_required("judging.review")
def review(request, pk):
    stage = stage_or_404(request, pk, "judging.review")
    plan = marking.Plan(stage)
    reviews = marking.stage_reviews(stage, plan)
    judge = conflicts.judge_for(request.user)
    if judge is not None:  # the stations the chief judge is in conflict with are never shown
        blocked = plan.blocked(judge)
        reviews = [r for r in reviews if r.contestant.pk not in blocked]
    return render(request, "judging/review.html", {
        "stage": stage, "competition": stage.competition, "reviews": reviews,
        "discrepancies": [(r, item) for r in reviews for item in r.discrepancies],
        "signable": sum(1 for r in reviews if r.signable),
        "signed": sum(1 for r in reviews if r.contestant.signed_off),
    })


@permission_required("judging.review")
def review_station(request, pk, number):
    stage = stage_or_404(request, pk, "judging.review")
    contestant = station_or_404(request, stage, number, "judging.review")
    result = marking.review(contestant)
    return render(request, "judging/review_station.html", {
        "stage": stage, "competition": stage.competition, "contestant": contestant, "result": result,
        "time": venue.format_duration(contestant.time_seconds),
    })


@permission_required("judging.review")
@require_POST
def review_action(request, pk, number):
    stage = stage_or_404(request, pk, "judging.review")
    contestant = station_or_404(request, stage, number, "judging.review")
    action = request.POST.get("action")
    reason = request.POST.get("reason", "")
    try:
        if action == "sign_off":
            marking.sign_off(request.user, contestant)
            messages.success(request, _("Station %(station)s is signed off; its marks are locked.")
                             % {"station": number})
        elif action == "unlock":
            mark = get_object_or_404(Mark, pk=request.POST.get("mark"), contestant=contestant)
            marking.unlock(request.user, mark, reason=reason)
            messages.success(request, _("The mark is unlocked; the station must be signed off again."))
        elif action == "rescore":
            aspect = get_object_or_404(schemes.scheme_of(stage.competition).aspects,
                                       pk=request.POST.get("aspect"))
            marking.request_rescore(request.user, contestant, aspect, reason=reason)
            messages.success(request, _("The judges are asked to mark %(aspect)s again.") % {"aspect": aspect.code})
        elif action == "time":
            permissions.require(request.user, "judging.record_time", contestant)
            venue.record_time(request.user, contestant, request.POST.get("time", ""), reason=reason)
            messages.success(request, _("The practical time was recorded."))
        else:
            raise Http404
    except UserError as error:
        show_error(request, error)
    return redirect(next_url(request, reverse("judging:review_station", args=[stage.pk, number])))


@permission_required("judging.history")
def history(request, pk, number):
    stage = stage_or_404(request, pk, "judging.history")
    contestant = station_or_404(request, stage, number, "judging.history")
    events = history_service.events(stage).filter(mark__contestant=contestant)
    return render(request, "judging/history.html", {
        "stage": stage, "competition": stage.competition, "contestant": contestant, "events": events,
        "can_review": can(request.user, "judging.review", contestant),
    })


@permission_required("judging.history")
def history_xlsx(request, pk):
    stage = stage_or_404(request, pk, "judging.history")
    events = history_service.events(stage)
    judge = conflicts.judge_for(request.user)
    if judge is not None and not can(request.user, "judging.manage", stage):
        events = events.exclude(mark__contestant__in=marking.Plan(stage).blocked(judge))
    data, _count = history_service.xlsx(events)
    return xlsx_response(data, f"评分记录-{stage.competition.code}-{stage.key}.xlsx")


@permission_required("judging.key_paper")
@require_http_methods(["GET", "POST"])
def paper(request, pk):
    """Key in paper marking sheets: one person enters, a different person confirms."""
    stage = stage_or_404(request, pk, "judging.key_paper")
    plan = marking.Plan(stage)
    judges = sorted({a.judge.pk: a.judge for a in plan.assignments}.values(), key=lambda j: j.code)
    number = request.POST.get("station") or request.GET.get("station")
    judge_code = request.POST.get("judge") or request.GET.get("judge")
    context = {"stage": stage, "competition": stage.competition, "judges": judges, "station": number,
               "judge_code": judge_code}
    if number and judge_code:
        if not str(number).isdigit():
            raise Http404
        contestant = station_or_404(request, stage, int(number), "judging.key_paper")
        judge = get_object_or_404(Judge, code=judge_code, assignments__competition=stage.competition)
        aspects = plan.aspects_for(judge, contestant)
        if request.method == "POST":
            values = {a.code: request.POST.get(f"aspect_{a.code}", "") for a in aspects}
            try:
                sheet, mismatches = marking.key_paper(request.user, contestant, judge, values)
            except UserError as error:
                show_error(request, error)
            else:
                if sheet.status == "confirmed":
                    messages.success(request, _("Both keyings agree: the marks are recorded."))
                elif mismatches:
                    messages.warning(request, _("The two keyings differ; check the sheet and key it again."))
                else:
                    messages.info(request, _("Keyed in. A different person must now key the same sheet to confirm."))
                return redirect(f"{reverse('judging:paper', args=[stage.pk])}?station={number}&judge={judge.code}")
        sheet = PaperSheet.objects.filter(contestant=contestant, judge=judge).select_related(
            "first_by", "second_by").first()
        context.update(contestant=contestant, judge=judge, sheet=sheet, rows=[
            {"aspect": a, "first": (sheet.first_values or {}).get(a.code) if sheet else None,
             "second": (sheet.second_values or {}).get(a.code) if sheet else None} for a in aspects
        ], conflict=not aspects and contestant.pk in plan.blocked(judge))
    return render(request, "judging/paper.html", context)


@permission_required("judging.manage")
@require_http_methods(["GET", "POST"])
def import_marks(request, pk):
    stage = stage_or_404(request, pk, "judging.manage")
    form = UploadForm(request.POST or None, request.FILES or None)
    context = {"stage": stage, "competition": stage.competition, "form": form}
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            table = sheets.read_table(upload, upload.name)
            result = imports.import_judge_marks(request.user, stage.competition, stage, table)
        except Rejected as rejected:
            context["problems"] = [p.as_dict() for p in rejected.problems]
            if rejected.code != "unreadable":
                context["error_file"] = downloads.stash_error_file(request, upload.name, table, rejected.problems)
        except UserError as error:
            show_error(request, error)
        else:
            messages.success(request, _("Marks imported: %(created)s new, %(changed)s changed, %(unchanged)s "
                                        "unchanged.") % result)
            return redirect("judging:stage", pk=stage.pk)
    return render(request, "judging/import_marks.html", context)


@permission_required("judging.manage")
def import_template(request, pk):
    stage = stage_or_404(request, pk, "judging.manage")
    return xlsx_response(imports.template_xlsx(), f"裁判评分导入模板-{stage.competition.code}.xlsx")


@permission_required("judging.view")
@require_http_methods(["GET", "POST"])
def unblinding(request, pk):
    stage = stage_or_404(request, pk, "judging.view")
    user = request.user
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "confirm":
                permissions.require(user, "judging.confirm_unblinding", stage)
                marking.confirm_unblinding(user, stage, note=request.POST.get("note", ""))
                messages.success(request, _("Confirmed: every mark of the stage is signed off."))
            elif action == "unblind":
                permissions.require(user, "judging.unblind", stage)
                count = marking.unblind(user, stage, note=request.POST.get("note", ""))
                messages.success(request, _("The stage is unblinded: %(count)s practical scores were handed to the "
                                            "results.") % {"count": count})
            else:
                raise Http404
        except UserError as error:
            show_error(request, error)
        return redirect("judging:unblinding", pk=stage.pk)
    steps = marking.unblinding_steps(stage)
    unblinded = "organizer" in steps
    rows = []
    if unblinded:
        component = schemes.scheme_of(stage.competition).component
        scores = {s.entry_id: s for s in ComponentScore.objects.filter(entry__stage=stage, component=component)}
        for contestant in venue.contestants(stage).select_related("entry__person", "entry__unit").order_by(
                "station_number", "contestant_number"):
            rows.append({"contestant": contestant, "score": scores.get(contestant.entry_id)})
    return render(request, "judging/unblinding.html", {
        "stage": stage, "competition": stage.competition, "steps": steps, "unblinded": unblinded,
        "blockers": marking.unblinding_blockers(stage), "rows": rows,
        "can_confirm": can(user, "judging.confirm_unblinding", stage),
        "can_unblind": can(user, "judging.unblind", stage),
    })


@permission_required("judging.stats")
def judge_stats(request, pk):
    stage = stage_or_404(request, pk, "judging.stats")
    data = stats.judge_stats(stage)
    return render(request, "judging/stats.html", {
        "stage": stage, "competition": stage.competition, "data": data,
    })
