from django.shortcuts import render

from jingsai.accounts import permissions
from jingsai.competitions.models import Competition
from jingsai.core.decorators import permission_required

from ..services import schemes
from ..services.progress import stage_summary
from .common import can, competition_or_404, stage_or_404


def _competitions(user):
    found = permissions.filter_queryset(user, "judging.view", Competition.objects.select_related("host"))
    return found.exclude(status__in=("draft", "archived")).order_by("-created_at")[:200]


@permission_required("judging.view")
def home(request):
    return render(request, "judging/home.html", {
        "competitions": _competitions(request.user),
        "can_pool": can(request.user, "judging.pool"),
    })


@permission_required("judging.view")
def competition(request, pk):
    item = competition_or_404(request, pk, "judging.view")
    can_manage = can(request.user, "judging.manage", item)
    scheme = schemes.ensure_scheme(request.user, item) if can_manage else schemes.scheme_of(item)
    stages = list(item.stages.order_by("order"))
    return render(request, "judging/competition.html", {
        "competition": item,
        "scheme": scheme,
        "scheme_problems": schemes.problems(scheme) if scheme else [],
        "aspect_count": scheme.aspects.count() if scheme else 0,
        "assignments": item.judge_assignments.select_related("judge__unit"),
        "stages": [(s, stage_summary(s)) for s in stages],
        "can_manage": can_manage,
    })


@permission_required("judging.view")
def stage(request, pk):
    item = stage_or_404(request, pk, "judging.view")
    user = request.user
    return render(request, "judging/stage.html", {
        "stage": item,
        "competition": item.competition,
        "summary": stage_summary(item),
        "panels": item.judging_panels.prefetch_related("aspects", "members__judge"),
        "can": {perm: can(user, f"judging.{perm}", item) for perm in (
            "manage", "checkin", "draw", "review", "record_time", "key_paper", "history", "stats",
            "confirm_unblinding", "unblind")} | {
            "mark": can(user, "judging.mark") and item.competition.pk in permissions.competition_ids(
                user, permissions.JUDGE, permissions.CHIEF_JUDGE)},
    })
