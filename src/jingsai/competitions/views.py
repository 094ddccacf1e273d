"""Organizers' pages: competitions and series, the rule editor, YAML in and out, and the
lifecycle. Every change goes through services; these views parse, ask permissions and
show what came back."""

from importlib import import_module

from django.apps import apps
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from jingsai.accounts import permissions
from jingsai.core import audit
from jingsai.core.decorators import permission_required
from jingsai.core.errors import Rejected, UserError
from jingsai.core.http import file_response
from jingsai.orgs.models import Organization, OrgType
from jingsai.people.models import Level, Occupation

from . import editor, lifecycle, services
from .forms import SeriesForm, UploadSpecForm
from .models import Competition, CompetitionClass, CompetitionLevel, Mode, Series, Status
from .spec import BAND_KINDS, SpecError, check_spec
from .summary import describe

# The main path of the lifecycle, for the progress bar on the competition page.
MAIN_PATH = [Status.DRAFT, Status.REGISTRATION_OPEN, Status.REGISTRATION_CLOSED, Status.IN_PROGRESS,
             Status.SCORING, Status.PUBLICITY, Status.FINAL, Status.ARCHIVED]


def _int(value):
    return int(value) if str(value).isdigit() else None


def _competition(request, pk, perm="competitions.view"):
    competition = get_object_or_404(Competition.objects.select_related("host", "series", "organizer"), pk=pk)
    permissions.require(request.user, perm, competition)
    return competition


# ---- Lists ------------------------------------------------------------------------------

@permission_required("competitions.view")
def competition_list(request):
    competitions = services.visible_competitions(request.user).select_related("host", "series")
    query = request.GET.get("q", "").strip()
    if query:
        competitions = competitions.filter(Q(name__contains=query) | Q(code__icontains=query))
    series_pk = _int(request.GET.get("series", ""))
    if series_pk:
        competitions = competitions.filter(series_id=series_pk)
    status = request.GET.get("status", "")
    if status in Status.values:
        competitions = competitions.filter(status=status)
    level = request.GET.get("level", "")
    if level in CompetitionLevel.values:
        competitions = competitions.filter(level=level)
    if request.GET.get("mine") and not permissions.is_admin(request.user):
        competitions = services.managed_competitions(request.user, competitions)
    competitions = competitions.order_by("-series__year", "series__code", "code")
    page = Paginator(competitions, 50).get_page(request.GET.get("page"))
    managed = set(services.managed_competitions(request.user, Competition.objects.filter(
        pk__in=[c.pk for c in page])).values_list("pk", flat=True))
    for item in page:
        item.managed = item.pk in managed
    return render(request, "competitions/list.html", {
        "page_obj": page, "query": query,
        "series_choices": services.visible_series(request.user).order_by("-year", "code"),
        "statuses": Status.choices, "levels": CompetitionLevel.choices,
        "can_create": permissions.has_perm(request.user, "competitions.manage"),
    })


@permission_required("competitions.view")
def series_list(request):
    series = services.visible_series(request.user).select_related("host").annotate(
        competition_count=Count("competitions"))
    return render(request, "competitions/series_list.html", {"series_list": series.order_by("-year", "code")})


@permission_required("competitions.view")
def series_detail(request, pk):
    series = get_object_or_404(Series.objects.select_related("host"), pk=pk)
    competitions = services.visible_competitions(request.user, series.competitions.select_related("host"))
    if not permissions.has_perm(request.user, "competitions.view", series) and not competitions.exists():
        raise PermissionDenied
    competitions = list(competitions.order_by("code"))
    counts = {}
    for item in competitions:
        counts[item.status] = counts.get(item.status, 0) + 1
    return render(request, "competitions/series_detail.html", {
        "series": series, "competitions": competitions,
        "status_counts": [(label, counts[value]) for value, label in Status.choices if value in counts],
        "can_change": permissions.has_perm(request.user, "competitions.manage", series),
        "history": audit.history(series)[:20],
    })


@permission_required("competitions.manage")
@require_http_methods(["GET", "POST"])
def series_edit(request, pk):
    series = get_object_or_404(Series.objects.select_related("host"), pk=pk)
    permissions.require(request.user, "competitions.manage", series)
    form = SeriesForm(request.POST or None, initial={"name": series.name, "year": series.year})
    if request.method == "POST" and form.is_valid():
        try:
            services.update_series(request.user, series, **form.cleaned_data)
        except Rejected as rejected:
            for problem in rejected.problems:
                form.add_error(problem.where if problem.where in form.fields else None, str(problem.message))
        else:
            messages.success(request, _("The series was saved."))
            return redirect("competitions:series_detail", pk=series.pk)
    return render(request, "competitions/series_form.html", {"series": series, "form": form})


# ---- One competition -----------------------------------------------------------------

def competition_links(user, competition):
    """Links other apps put on the competition page: `competition_links(user, competition)
    -> [NavItem]` in their nav.py, when they define it."""
    links = []
    for config in apps.get_app_configs():
        if not config.name.startswith("jingsai.") or config.label == "competitions":
            continue
        try:
            module = import_module(f"{config.name}.nav")
        except ModuleNotFoundError as error:
            if error.name != f"{config.name}.nav":
                raise
            continue
        if hasattr(module, "competition_links"):
            links.extend(module.competition_links(user, competition))
    return sorted(links, key=lambda link: link.order)


ACTIONS = {
    (Status.DRAFT, Status.REGISTRATION_OPEN): gettext_lazy("Open registration"),
    (Status.REGISTRATION_OPEN, Status.REGISTRATION_CLOSED): gettext_lazy("Close registration"),
    (Status.REGISTRATION_OPEN, Status.DRAFT): gettext_lazy("Return to draft"),
    (Status.REGISTRATION_CLOSED, Status.IN_PROGRESS): gettext_lazy("Start the competition"),
    (Status.REGISTRATION_CLOSED, Status.REGISTRATION_OPEN): gettext_lazy("Reopen registration"),
    (Status.IN_PROGRESS, Status.SCORING): gettext_lazy("Start scoring"),
    (Status.SCORING, Status.PUBLICITY): gettext_lazy("Publish the results for publicity"),
    (Status.PUBLICITY, Status.FINAL): gettext_lazy("Make the results final"),
    (Status.PUBLICITY, Status.SCORING): gettext_lazy("Return to scoring"),
    (Status.FINAL, Status.ARCHIVED): gettext_lazy("Archive"),
}


def action_label(from_status, to_status):
    return ACTIONS[(Status(from_status), Status(to_status))]


def _timeline(competition):
    """The competition's history, oldest first: its creation, every lifecycle step and
    every change of its rules (with the reason and what changed)."""
    events = [{"at": c.at, "kind": "status", "title": Status(c.to_status).label, "by": c.actor_label,
               "reason": c.reason, "back": lifecycle.needs_reason(c.from_status, c.to_status)}
              for c in competition.status_changes.all()]
    records = audit.history(competition).filter(action__in=("competitions.create", "competitions.update_rules"))
    for record in records:
        created = record.action == "competitions.create"
        events.append({"at": record.at, "kind": "created" if created else "rules",
                       "title": _("Competition created") if created else _("Rules changed"), "by": record.actor_label,
                       "reason": record.reason, "changes": [] if created else list(record.changes.items())[:40],
                       "more": max(0, len(record.changes) - 40)})
    return sorted(events, key=lambda e: e["at"])


@permission_required("competitions.view")
def detail(request, pk):
    competition = _competition(request, pk)
    can_manage = permissions.has_perm(request.user, "competitions.manage", competition)
    can_move = permissions.has_perm(request.user, "competitions.transition", competition)
    steps = []
    if can_move:
        steps = [{"to": to, "label": action_label(competition.status, to), "blockers": blockers,
                  "needs_reason": lifecycle.needs_reason(competition.status, to)}
                 for to, blockers in lifecycle.steps(competition)]
    stages = competition.stages.annotate(entry_count=Count("entries"))
    position = MAIN_PATH.index(Status(competition.status))
    return render(request, "competitions/detail.html", {
        "competition": competition, "summary": describe(competition.spec), "stages": stages,
        "path": [{"status": s, "done": i < position, "current": i == position} for i, s in enumerate(MAIN_PATH)],
        "steps": steps, "timeline": _timeline(competition), "can_manage": can_manage,
        "frozen": competition.status not in lifecycle.EDITABLE_STATUSES,
        "closed": competition.status in lifecycle.CLOSED_STATUSES,
        "occupation": Occupation.objects.filter(code=competition.occupation).first(),
        "publicity_ends": lifecycle.publicity_ends(competition) if competition.status == Status.PUBLICITY else None,
        "links": competition_links(request.user, competition),
    })


@permission_required("competitions.transition")
@require_POST
def transition(request, pk):
    competition = _competition(request, pk, "competitions.transition")
    to_status = request.POST.get("to", "")
    try:
        services.transition(request.user, competition, to_status, reason=request.POST.get("reason", ""))
    except UserError as error:
        for problem in error.problems or [error]:
            messages.error(request, str(problem.message))
    else:
        messages.success(request, _("The competition is now “%(status)s”.") % {"status": Status(to_status).label})
    return redirect("competitions:detail", pk=competition.pk)


@permission_required("competitions.view")
def spec_yaml(request, pk):
    competition = _competition(request, pk)
    return file_response(services.export_yaml(competition).encode(), f"{competition.code}.yaml",
                         "application/yaml; charset=utf-8")


# ---- The rule editor ------------------------------------------------------------------

def _choices():
    def options(choices):
        return [(str(value), label) for value, label in choices]

    skill_levels = [(str(v), label) for v, label in Level.choices if 1 <= v <= 5]

    return {
        "levels": options(CompetitionLevel.choices), "classes": options(CompetitionClass.choices),
        "modes": options(Mode.choices),
        "team_scores": [("sum", _("Sum of the members' totals")), ("mean", _("Mean of the members' totals"))],
        "skill_levels": skill_levels,
        "promote_levels": [("", "—"), *skill_levels],
        "standard_levels": [("", _("Not given")), *skill_levels],
        "min_levels": [("", _("Any, or none")), *skill_levels],
        "scopes": [("", _("Not divided"))] + options(OrgType.choices),
        "scales": [("none", _("No scale")), ("worldskills", _("WorldSkills scale (700 at the median)"))],
        "approvals": [("unit_then_host", _("The unit, then the host")), ("host_only", _("The host only"))],
        "band_kinds": [(kind, label) for kind, label in (
            ("quota_ratio", _("Share of the ranked (%)")), ("quota_count", _("Number of places")),
            ("rank_range", _("Ranks from … to …")), ("top_fraction", _("Ranks within the top %")),
            ("scale_at_least", _("Scale score at least")),
        ) if kind in BAND_KINDS],
        "benefit_kinds": [("promote_to", _("Promotion to a level")), ("promote_step", _("Promotion by one level")),
                          ("title", _("Title")), ("recommend", _("Recommendation"))],
        "requirements": [("worker_status", _("Worker status")), ("all_pass", _("Every component passed")),
                         ("award", _("An award"))],
        "tie_kinds": [("component", _("Score on")), ("time", _("Time on"))],
        "directions": [("desc", _("higher / more first")), ("asc", _("lower / less first"))],
    }


def _host_options(user):
    """Organizations the user may hold competitions at (for the host field's list)."""
    hosts = Organization.objects.exclude(type__in=(OrgType.TEAM,)).order_by("path")
    if not permissions.is_admin(user):
        paths = permissions.role_paths(user, permissions.ORGANIZER)
        hosts = hosts.filter(Q(path__in=paths) | Q(parent__path__in=paths))
    return hosts.only("code", "name")[:300]


def _preview(raw, extra_problems=()):
    """(summary lines, problems) of a raw spec, checked by the spec rules alone."""
    try:
        spec, problems = check_spec(raw)
    except SpecError as error:
        spec, problems = None, error.problems
    problems = [*extra_problems, *problems]
    if problems or spec is None:
        return None, problems
    return describe(spec), []


def _editor(request, *, competition=None, initial=None):
    """The rule editor for `competition`, or for a new one starting from the state
    `initial`."""
    if request.method == "POST":
        state = editor.state_from_post(request.POST)
    else:
        state = initial if initial is not None else editor.state_from_spec(competition.spec)
    reason = request.POST.get("reason", "").strip()
    context = {"competition": competition, "state": state, "errors": {}, "problems": [], "reason": reason,
               "frozen": competition is not None and competition.status not in lifecycle.EDITABLE_STATUSES}
    if request.method == "POST":
        raw, own = editor.spec_from_state(state)
        # A marking scheme that is not even YAML is a problem of its own: the rest is
        # still checked, so that every problem shows at once, and nothing is saved.
        problems = [services.problem_from_spec(p) for p in own]
        try:
            saved = services.load_competition(request.user, raw, reason=reason, competition=competition,
                                              create=competition is None, dry_run=bool(problems))
        except Rejected as rejected:
            problems += rejected.problems
        except UserError as error:
            context["problems"] = [{"where": "", "message": str(error.message), "field": None}]
        else:
            if not problems:
                if saved.outcome == "unchanged":
                    messages.info(request, _("Nothing was changed."))
                else:
                    messages.success(request, _("The rules of “%(name)s” were saved.") % {"name": saved.name})
                return redirect("competitions:detail", pk=saved.pk)
        if problems:
            context["errors"], context["problems"] = editor.place_problems(problems, state)
    summary, _problems = _preview(*editor.spec_from_state(state))
    context.update(summary=summary, choices=_choices(), hosts=_host_options(request.user),
                   occupations=Occupation.objects.all())
    return render(request, "competitions/editor.html", context)


# What a new competition starts from: the usual rules of a city skills competition.
NEW_RULES = {
    "code": "NEW", "name": "NEW", "series": {"code": "NEW", "name": "NEW", "year": 2026}, "host": "NEW",
    "occupation": "0-00-00-00", "level": "city", "class": "class2",
    "components": [
        {"key": "theory", "name": "理论知识", "max": 100, "weight": "0.3", "pass": 60},
        {"key": "practical", "name": "操作技能", "max": 100, "weight": "0.7", "pass": 60},
    ],
    "ranking": {"tie_breakers": ["component:practical:desc", "component:theory:desc"]},
    "awards": {"require": "all_pass", "bands": [
        {"name": "一等奖", "quota_ratio": "0.1", "min": 1}, {"name": "二等奖", "quota_ratio": "0.2"},
        {"name": "三等奖", "quota_ratio": "0.3"}]},
    "eligibility": {"min_age": 16},
}


def _new_state(user, copy_from=None):
    """The editor's state for a new competition: the usual rules, or a copy of another
    competition's, with what must be new left empty."""
    state = editor.state_from_spec(copy_from.spec if copy_from is not None else NEW_RULES)
    blank = ("code", "name") if copy_from is not None else (
        "code", "name", "series_code", "series_name", "host", "occupation")
    for name in blank:
        state["fields"][name] = ""
    if copy_from is None:
        year = timezone.localdate().year
        state["fields"]["series_year"] = str(year)
        host = Organization.objects.filter(path__in=permissions.role_paths(user, permissions.ORGANIZER)).order_by(
            "depth").first()
        state["fields"]["host"] = host.code if host else ""
    return state


@permission_required("competitions.manage")
@require_http_methods(["GET", "POST"])
def create(request):
    copy_from = None
    if request.method == "GET" and _int(request.GET.get("copy", "")):
        copy_from = get_object_or_404(Competition, pk=_int(request.GET["copy"]))
        permissions.require(request.user, "competitions.view", copy_from)
    initial = _new_state(request.user, copy_from) if request.method == "GET" else None
    return _editor(request, initial=initial)


@permission_required("competitions.manage")
@require_http_methods(["GET", "POST"])
def rules(request, pk):
    competition = _competition(request, pk, "competitions.manage")
    return _editor(request, competition=competition)


@permission_required("competitions.manage")
@require_POST
def preview(request):
    state = editor.state_from_post(request.POST)
    summary, problems = _preview(*editor.spec_from_state(state))
    _errors, listed = editor.place_problems([services.problem_from_spec(p) for p in problems], state)
    return render(request, "competitions/editor/preview.html", {"summary": summary, "problems": listed})


@permission_required("competitions.manage")
def row(request, section):
    if section not in editor.SECTIONS:
        raise Http404
    index = _int(request.GET.get("i", "")) or 0
    return render(request, f"competitions/editor/row_{section}.html", {
        "row": editor.blank_row(section), "i": index, "errors": {}, "choices": _choices(),
    })


@permission_required("competitions.manage")
@require_http_methods(["GET", "POST"])
def upload(request):
    competition = None
    if request.GET.get("competition"):
        competition = _competition(request, _int(request.GET["competition"]) or 0, "competitions.manage")
    form = UploadSpecForm(request.POST or None, request.FILES or None, frozen=competition is not None and (
        competition.status not in lifecycle.EDITABLE_STATUSES))
    context = {"form": form, "competition": competition}
    if request.method == "POST" and form.is_valid():
        try:
            saved = services.load_competition(request.user, form.cleaned_data["text"],
                                              reason=form.cleaned_data["reason"], competition=competition)
        except Rejected as rejected:
            context["problems"] = [p.as_dict() for p in rejected.problems]
        except UserError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, {
                "created": _("The competition “%(name)s” was created."),
                "updated": _("The rules of “%(name)s” were saved."),
                "unchanged": _("The file holds the rules of “%(name)s” as they are; nothing was changed."),
            }[saved.outcome] % {"name": saved.name})
            return redirect("competitions:detail", pk=saved.pk)
    return render(request, "competitions/upload.html", context)
