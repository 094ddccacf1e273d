from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, render

from jingsai.competitions.models import Competition, Status
from jingsai.competitions.summary import describe

PUBLIC_STATUSES = [s for s in Status.values if s != Status.DRAFT]


def public_competitions():
    return Competition.objects.filter(status__in=PUBLIC_STATUSES).select_related("host", "series")


def home(request):
    latest = public_competitions().order_by("-created_at")[:6]
    return render(request, "public/home.html", {"latest": latest})


def competition_list(request):
    competitions = public_competitions().order_by("-series__year", "series__code", "code")
    status = request.GET.get("status", "")
    if status in PUBLIC_STATUSES:
        competitions = competitions.filter(status=status)
    query = request.GET.get("q", "").strip()
    if query:
        competitions = competitions.filter(name__contains=query)
    page = Paginator(competitions, 30).get_page(request.GET.get("page"))
    statuses = [(s.value, s.label) for s in Status if s.value in PUBLIC_STATUSES]
    return render(request, "public/competition_list.html", {"page_obj": page, "statuses": statuses, "query": query})


def competition_detail(request, code):
    competition = get_object_or_404(public_competitions(), code=code)
    return render(request, "public/competition_detail.html", {
        "competition": competition, "summary": describe(competition.spec),
        "stages": competition.stages.order_by("order"),
    })
