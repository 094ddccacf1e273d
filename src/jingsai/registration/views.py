from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from jingsai.accounts import permissions
from jingsai.competitions.models import Competition, Status
from jingsai.core import audit, downloads
from jingsai.core.decorators import is_htmx, permission_required
from jingsai.core.errors import Problem, Rejected, UserError
from jingsai.core.http import file_response, next_url, xlsx_response
from jingsai.core.models import Job
from jingsai.orgs.models import Organization
from jingsai.people.models import GroupTag, Person

from . import importing, planning, services
from .forms import STATUS_FILTERS, ImportForm, ReasonForm, TeamForm, WorkerForm
from .models import ACTIVE_STATUSES, Entry, EntrySource, EntryStatus, ImportBatch
from .rules import REVIEW_STATUSES, Rules, deadline, registration_open

LISTED_STATUSES = [s for s in Status.values if s != Status.DRAFT]


def _competition(request, code):
    """The competition, if the user may see its registrations at work."""
    competition = get_object_or_404(Competition.objects.select_related("host", "series"), code=code)
    if not permissions.has_perm(request.user, "competitions.view", competition):
        raise PermissionDenied
    return competition


def _stage(competition, request):
    try:
        return services.stage_for(competition, request.GET.get("stage") or request.POST.get("stage"))
    except UserError:
        return services.first_stage(competition)


def _reach(user, competition):
    """Q on an organization `path` for the part of the host's tree whose workers the
    user may register in the competition."""
    if permissions.is_admin(user) or planning.may(user, "registration.review", competition):
        roots = [competition.host.path]
    else:
        roots = [p for p in permissions.role_paths(user, permissions.ORGANIZER, permissions.UNIT_CONTACT)
                 if p.startswith(competition.host.path)]
    query = Q(pk__in=[])
    for root in roots:
        query |= Q(path__startswith=root)
    return query


def _units_for(user, competition):
    """Units (for a choice list, at most 500) whose workers the user may register."""
    return list(Organization.objects.filter(_reach(user, competition), is_active=True).order_by("path")[:500])


@permission_required("registration.view")
def index(request):
    """Competitions whose registrations the user works on, or, for a worker, their own
    entries and the competitions open to them."""
    user = request.user
    context = {"can_work": permissions.has_perm(user, "registration.register")}
    if context["can_work"]:
        competitions = Competition.objects.filter(status__in=LISTED_STATUSES).select_related("host", "series")
        competitions = permissions.filter_queryset(user, "competitions.view", competitions)
        visible = services.visible_entries(user)
        counts = {}
        for row in visible.filter(competition__in=competitions).values("competition_id", "status").annotate(
                n=Count("pk")):
            counts.setdefault(row["competition_id"], {})[row["status"]] = row["n"]
        rows = []
        for competition in competitions.order_by("-registration_closes", "code")[:200]:
            by_status = counts.get(competition.pk, {})
            rows.append({"competition": competition, "total": sum(by_status.values()),
                         "approved": by_status.get(EntryStatus.APPROVED, 0),
                         "waiting": by_status.get(EntryStatus.SUBMITTED, 0)
                         + by_status.get(EntryStatus.UNIT_APPROVED, 0)})
        context["rows"] = rows
        context["awaiting_unit"] = services.awaiting_unit(user).count()
        context["awaiting_host"] = services.awaiting_host(user).count()
    if user.person_id:
        context["mine"] = (Entry.objects.filter(person_id=user.person_id)
                           .select_related("competition", "stage", "unit").order_by("-created_at"))
        context["open"] = services.open_competitions(user.person)
    return render(request, "registration/index.html", context)


@permission_required("registration.register")
def todo(request):
    """Entries waiting for the user's decision, the unit's step first."""
    lists = {"unit": services.awaiting_unit, "host": services.awaiting_host, "returned": services.returned}
    step = request.GET.get("step") if request.GET.get("step") in lists else "unit"
    entries = lists[step](request.user)
    entries = entries.select_related("competition", "stage", "unit", "person", "team").order_by(
        "competition__code", "number")
    page = Paginator(entries, 100).get_page(request.GET.get("page"))
    return render(request, "registration/todo.html", {
        "page_obj": page, "step": step, "reason_form": ReasonForm(),
        "awaiting_unit": services.awaiting_unit(request.user).count(),
        "awaiting_host": services.awaiting_host(request.user).count(),
        "returned": services.returned(request.user).count(),
    })


FILTER_KEYS = ("scope", "unit", "status", "group", "q")


def _filters(request):
    return {key: request.GET.get(key, "").strip() for key in FILTER_KEYS}


def _filtered_entries(request, competition, stage, perm="registration.view"):
    """The entries of the stage the user may see (or export) that match the list's
    filters: the same for the table and its export."""
    user = request.user
    entries = services.visible_entries(user, perm).filter(competition=competition)
    entries = services.filter_entries(entries, stage=stage, **_filters(request))
    if request.GET.get("todo") == "unit":
        entries = entries.filter(pk__in=services.awaiting_unit(user).values("pk"))
    elif request.GET.get("todo") == "host":
        entries = entries.filter(pk__in=services.awaiting_host(user).values("pk"))
    return entries


def _used_filters(request, stage):
    """The filters in use, stage first: the export link's query and the export's audit."""
    used = {"stage": stage.key}
    used.update({key: value for key, value in _filters(request).items() if value})
    if request.GET.get("todo") in ("unit", "host"):
        used["todo"] = request.GET["todo"]
    return used


def _entry_list_context(request, competition, stage):
    user = request.user
    entries = _filtered_entries(request, competition, stage)
    entries = entries.select_related("person", "unit", "scope", "team", "stage").order_by("number")
    page = Paginator(entries, 100).get_page(request.GET.get("page"))
    return {
        "competition": competition, "stage": stage, "page_obj": page, "filters": _filters(request),
        "todo": request.GET.get("todo", ""), "reason_form": ReasonForm(),
        "can_review": planning.may(user, "registration.review_unit") or planning.may(user, "registration.review"),
        "can_export": permissions.has_perm(user, "registration.export"),
        "export_query": urlencode(_used_filters(request, stage)),
        # htmx answers also replace the export link, so that it exports what the table shows
        "oob": is_htmx(request),
    }


@permission_required("registration.view")
def competition(request, code):
    competition = _competition(request, code)
    stage = _stage(competition, request)
    context = _entry_list_context(request, competition, stage)
    if is_htmx(request):
        return render(request, "registration/_entries.html", context)
    user = request.user
    rules = Rules.of(competition)
    visible = services.visible_entries(user).filter(stage=stage)
    context.update({
        "stages": list(competition.stages.order_by("order")),
        "rules": rules, "rule_lines": services.eligibility_lines(competition, rules),
        "closed_reason": registration_open(competition), "deadline": deadline(competition),
        "status_counts": _status_counts(visible),
        "scopes": Organization.objects.filter(pk__in=visible.exclude(scope=None).values("scope")).order_by("code"),
        "groups": GroupTag.objects.all(), "statuses": STATUS_FILTERS,
        "can_register": permissions.has_perm(user, "registration.register") and _may_add(user, competition, stage),
        "imports": ImportBatch.objects.filter(competition=competition, created_by=user)[:5],
    })
    return render(request, "registration/competition.html", context)


def _status_counts(entries):
    counts = dict(entries.values_list("status").annotate(n=Count("pk")))
    return [(value, label, counts.get(value, 0)) for value, label in EntryStatus.choices]


def _may_add(user, competition, stage):
    try:
        planning.check_window(user, competition, stage, self_service=False)
    except UserError:
        return False
    return True


def _problems_context(rejected):
    return {"problems": [p.as_dict() for p in rejected.problems] or [Problem(rejected.message).as_dict()]}


@permission_required("registration.register")
@require_http_methods(["GET", "POST"])
def register(request, code):
    """The unit contact's form: pick people of their units, or enter one by hand (a
    whole team at once in team competitions)."""
    competition = _competition(request, code)
    stage = _stage(competition, request)
    user = request.user
    units = _units_for(user, competition)
    if not units:
        raise PermissionDenied
    rules = Rules.of(competition)
    action = request.POST.get("action", "")
    worker_form = WorkerForm(request.POST if action == "new" else None, units=units, split=bool(stage.scope_type))
    team_form = TeamForm(request.POST if action == "team" else None, units=units, size=rules.team_size)
    context = {"competition": competition, "stage": stage, "rules": rules, "worker_form": worker_form,
               "team_form": team_form, "rule_lines": services.eligibility_lines(competition, rules)}
    if request.method == "POST":
        try:
            entries = _register_from_post(request, competition, stage, action, worker_form, team_form)
        except Rejected as rejected:
            context.update(_problems_context(rejected))
        except UserError as error:
            messages.error(request, error.message)
        else:
            if entries is not None:
                messages.success(request, _("%(count)s registered.") % {"count": len(entries)})
                return redirect(f"{reverse('registration:competition', args=[competition.code])}?stage={stage.key}")
    query = request.GET.get("q", "").strip()
    entered = Entry.objects.filter(competition=competition, status__in=ACTIVE_STATUSES).values("person_id")
    people = permissions.filter_queryset(user, "people.view", Person.objects.all()).filter(
        employer__in=Organization.objects.filter(_reach(user, competition))).exclude(pk__in=entered)
    if query:
        people = people.filter(Q(name__contains=query) | Q(employer__name__contains=query))
    context["people"] = Paginator(people.select_related("employer").order_by("employer__path", "name"),
                                  50).get_page(request.GET.get("page"))
    context["query"] = query
    return render(request, "registration/register.html", context)


def _register_from_post(request, competition, stage, action, worker_form, team_form):
    user = request.user
    if action == "pick":
        ids = [int(i) for i in request.POST.getlist("person") if i.isdigit()]
        people = list(permissions.filter_queryset(user, "people.view", Person.objects.filter(pk__in=ids)))
        return services.register_people(user, competition, stage, people, team=request.POST.get("team", "").strip(),
                                        scope_code=request.POST.get("scope", "").strip())
    if action == "new":
        if not worker_form.is_valid():
            return None
        data = worker_form.cleaned_data
        candidate = services.candidate_from_input(
            name=data["name"], id_number=data["id_number"], unit_code=data["unit"], phone=data["phone"],
            groups=[g.name for g in data["groups"]], scope_code=data.get("scope", ""), **worker_form.declared())
        return services.register(user, competition, stage, [candidate], source=EntrySource.FORM)
    if action == "team":
        if not team_form.is_valid():
            return None
        candidates = []
        problems = []
        for i, name, number in team_form.members():
            try:
                candidates.append(services.candidate_from_input(
                    name=name, id_number=number, unit_code=team_form.cleaned_data["unit"],
                    team=team_form.cleaned_data["team"], row=i))
            except Rejected as rejected:
                problems += rejected.problems
        if problems:
            raise Rejected(_("Nothing was registered: %(count)s problems were found.") % {"count": len(problems)},
                           problems)
        return services.register(user, competition, stage, candidates, source=EntrySource.FORM)
    raise UserError(_("Choose what to register."))


@permission_required("registration.register")
@require_http_methods(["GET", "POST"])
def import_view(request, code):
    competition = _competition(request, code)
    stage = _stage(competition, request)
    form = ImportForm(request.POST or None, request.FILES or None)
    context = {"competition": competition, "stage": stage, "form": form,
               "stages": list(competition.stages.order_by("order"))}
    job_id = request.GET.get("job")
    if job_id:
        context["job"] = Job.objects.filter(pk=job_id, created_by=request.user, kind="registration.import").first()
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        data = upload.read()
        try:
            outcome, value = importing.start_import(request.user, competition, stage, data, upload.name,
                                                    dry_run=form.cleaned_data["dry_run"])
        except Rejected as rejected:
            context.update(_problems_context(rejected))
            table = getattr(rejected, "table", None)
            if table is not None and rejected.code != "unreadable":
                context["error_file"] = downloads.stash_error_file(request, upload.name, table, rejected.problems,
                                                                   with_column=True)
        except UserError as error:
            messages.error(request, error.message)
        else:
            if outcome == "job":
                return redirect(f"{reverse('registration:import', args=[competition.code])}?stage={stage.key}"
                                f"&job={value.pk}")
            messages.success(request, value["summary"])
            if not value["dry_run"]:
                return redirect(f"{reverse('registration:competition', args=[competition.code])}?stage={stage.key}")
    return render(request, "registration/import.html", context)


@permission_required("registration.register")
def template(request, code):
    competition = _competition(request, code)
    stage = _stage(competition, request)
    return xlsx_response(services.template_xlsx(competition, stage), f"报名模板-{competition.code}.xlsx")


@permission_required("registration.export")
def export(request, code):
    competition = _competition(request, code)
    stage = _stage(competition, request)
    entries = _filtered_entries(request, competition, stage, "registration.export")
    fmt = "json" if request.GET.get("format") == "json" else "xlsx"
    data = services.export(request.user, competition, stage, entries, fmt=fmt,
                           filters=_used_filters(request, stage))
    if fmt == "json":
        return file_response(data, f"报名-{competition.code}-{stage.key}.json", "application/json")
    return xlsx_response(data, f"报名-{competition.code}-{stage.key}.xlsx")


def _run_action(request, action, entries):
    reason = request.POST.get("reason", "")
    if action == "approve":
        result = services.approve(request.user, entries, reason=reason)
        return _("Approved: %(approved)s; approved by the unit: %(unit_approved)s; unchanged: %(unchanged)s.") % result
    if action == "reject":
        result = services.reject(request.user, entries, reason=reason)
        return _("Rejected: %(rejected)s; unchanged: %(unchanged)s.") % result
    if action == "withdraw":
        result = services.withdraw(request.user, entries, reason=reason)
        return _("Withdrawn: %(withdrawn)s; unchanged: %(unchanged)s.") % result
    raise UserError(_("Choose what to do with the entries."))


@permission_required("registration.view")
@require_POST
def bulk(request, code):
    """Approve, reject or withdraw the ticked entries; answers htmx with the list."""
    competition = _competition(request, code)
    stage = _stage(competition, request)
    ids = [int(i) for i in request.POST.getlist("entry") if i.isdigit()]
    entries = list(services.visible_entries(request.user).filter(competition=competition, pk__in=ids))
    outcome = {}
    if not entries:
        outcome["error"] = _("Tick at least one entry.")
    else:
        try:
            outcome["message"] = _run_action(request, request.POST.get("action", ""), entries)
        except Rejected as rejected:
            outcome.update(_problems_context(rejected))
        except UserError as error:
            outcome["error"] = error.message
    if is_htmx(request):
        context = _entry_list_context(request, competition, stage)
        context.update(outcome)
        return render(request, "registration/_entries.html", context)
    _flash(request, outcome)
    return redirect(next_url(request, reverse("registration:competition", args=[competition.code])))


def _flash(request, outcome):
    if outcome.get("message"):
        messages.success(request, outcome["message"])
    if outcome.get("error"):
        messages.error(request, outcome["error"])
    for problem in outcome.get("problems", []):
        messages.error(request, f"{problem['where'] or ''} {problem['message']}".strip())


@permission_required("registration.view")
def entry(request, pk):
    entry = get_object_or_404(Entry.objects.select_related(
        "competition__host", "stage", "person", "unit", "scope", "team", "previous__stage", "batch", "created_by",
        "unit_reviewed_by", "reviewed_by"), pk=pk)
    permissions.require(request.user, "registration.view", entry)
    user = request.user
    history = list(audit.history(entry)[:50])
    if entry.batch_id:
        history += list(audit.history(entry.batch)[:1])
    history.sort(key=lambda r: r.at, reverse=True)
    return render(request, "registration/entry.html", {
        "entry": entry, "history": history, "reason_form": ReasonForm(),
        "next_entries": entry.next_entries.select_related("stage"),
        "can_review": entry.competition.status in REVIEW_STATUSES and (
            planning.may(user, "registration.review", entry) or planning.may(user, "registration.review_unit", entry)),
        "can_withdraw": entry.is_active and planning.may(user, "registration.withdraw", entry),
        "deadline": deadline(entry.competition),
    })


@permission_required("registration.view")
@require_POST
def entry_action(request, pk, action):
    entry = get_object_or_404(Entry, pk=pk)
    permissions.require(request.user, "registration.view", entry)
    outcome = {}
    try:
        outcome["message"] = _run_action(request, action, [entry])
    except Rejected as rejected:
        outcome.update(_problems_context(rejected))
    except UserError as error:
        outcome["error"] = error.message
    _flash(request, outcome)
    return redirect("registration:entry", pk=entry.pk)


@require_http_methods(["GET", "POST"])
def register_self(request, code):
    """A worker registers themself, from the public competition page or the dashboard."""
    competition = get_object_or_404(Competition.objects.select_related("host").exclude(status=Status.DRAFT),
                                    code=code)
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    user = request.user
    context = {"competition": competition, "rule_lines": services.eligibility_lines(competition),
               "closed_reason": registration_open(competition), "deadline": deadline(competition)}
    if user.person_id is None:
        context["no_person"] = True
        return render(request, "registration/register_self.html", context)
    context["existing"] = (Entry.objects.filter(competition=competition, person_id=user.person_id)
                           .select_related("stage").order_by("-stage__order").first())
    if request.method == "POST":
        try:
            created = services.register_self(user, competition, scope_code=request.POST.get("scope", "").strip())
        except Rejected as rejected:
            context.update(_problems_context(rejected))
        except UserError as error:
            context["problems"] = [Problem(error.message).as_dict()]
        else:
            messages.success(request, _("You are registered (entry %(number)s). Your unit and the host will review "
                                        "it; follow its status on your dashboard.") % {"number": created.number})
            return redirect("registration:entry", pk=created.pk)
    return render(request, "registration/register_self.html", context)
