from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from jingsai.accounts import permissions
from jingsai.core import audit, idnumber
from jingsai.core.decorators import permission_required
from jingsai.core.errors import UserError
from jingsai.core.http import xlsx_response
from jingsai.orgs.models import Organization

from . import services
from .forms import PersonForm
from .models import PHONE_RE, GroupTag, Level, Person, WorkerStatus, id_digest, phone_digest

REVEALABLE = {"id": "id_number", "phone": "phone"}


def _int(value):
    """A primary key from a query string; anything else finds nothing (404), never a 500."""
    return int(value) if str(value).isdigit() else 0


def search(queryset, query):
    """A name fragment, or a whole identity number or phone (matched by digest)."""
    query = query.strip()
    if not query:
        return queryset
    normalized = idnumber.normalize(query)
    if len(normalized) == 18 and idnumber.is_valid(normalized):
        return queryset.filter(id_number_digest=id_digest(normalized))
    if PHONE_RE.match(normalized):
        return queryset.filter(phone_digest=phone_digest(normalized))
    return queryset.filter(Q(name__contains=query) | Q(employer__name__contains=query))


def _filtered(request):
    """The people the list shows for this request's filters, and the organization chosen."""
    people = permissions.filter_queryset(request.user, "people.view", Person.objects.all())
    org = None
    if request.GET.get("org"):
        org = get_object_or_404(Organization, pk=_int(request.GET["org"]))
        permissions.require(request.user, "orgs.view", org)
        people = people.filter(employer__path__startswith=org.path)
    people = search(people, request.GET.get("q", ""))
    if request.GET.get("group"):
        people = people.filter(groups__code=request.GET["group"])
    if request.GET.get("level") in {str(value) for value in Level.values}:
        people = people.filter(level=request.GET["level"])
    if request.GET.get("status"):
        people = people.filter(worker_status=request.GET["status"])
    return people.select_related("employer").prefetch_related("groups").order_by("employer__path", "id"), org


@permission_required("people.view")
def person_list(request):
    people, org = _filtered(request)
    page = Paginator(people, 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "people/list.html", {
        "page_obj": page, "org": org, "groups": GroupTag.objects.all(), "levels": Level.choices,
        "statuses": WorkerStatus.choices, "can_create": permissions.has_perm(request.user, "people.change"),
        "can_export_full": permissions.has_perm(request.user, "people.view_pii"), "filters": query.urlencode(),
    })


@permission_required("people.view")
def export(request):
    """The filtered list as .xlsx: masked numbers, or with `full=1` (for roles holding
    people.view_pii, on the people they hold it for) full ones, the export audited."""
    people, _org = _filtered(request)
    full = request.GET.get("full") == "1"
    if full:
        permissions.require(request.user, "people.view_pii")
        people = permissions.filter_queryset(request.user, "people.view_pii", people)
    data = services.export_xlsx(request.user, people, full=full, filters=request.GET.urlencode())
    return xlsx_response(data, "职工名单（完整证件号）.xlsx" if full else "职工名单.xlsx")


@permission_required("people.view")
def detail(request, pk):
    person = get_object_or_404(Person.objects.select_related("employer"), pk=pk)
    permissions.require(request.user, "people.view", person)
    return render(request, "people/detail.html", {
        "person": person,
        "can_change": permissions.has_perm(request.user, "people.change", person),
        "can_reveal": permissions.has_perm(request.user, "people.view_pii", person),
        "history": audit.history(person)[:20],
    })


@permission_required("people.view_pii")
@require_POST
def reveal(request, pk, what):
    if what not in REVEALABLE:
        raise Http404
    person = get_object_or_404(Person.objects.select_related("employer"), pk=pk)
    permissions.require(request.user, "people.view_pii", person)
    value = services.reveal(request.user, person, REVEALABLE[what])
    return render(request, "people/_revealed.html", {"value": value})


def _save_kwargs(data):
    return {
        "name": data["name"], "employer": data["employer_code"], "occupation": data.get("occupation", ""),
        "level": data.get("level"), "worker_status": data["worker_status"],
    }


@permission_required("people.change")
@require_http_methods(["GET", "POST"])
def create(request):
    form = PersonForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if not permissions.has_perm(request.user, "people.change", data["employer_code"]):
            form.add_error("employer_code", _("You can only add workers of organizations you manage."))
        else:
            try:
                person = services.create_person(
                    request.user, id_number=data["id_number"], phone=data["phone"],
                    groups=list(data["groups"]), **_save_kwargs(data),
                )
            except UserError as error:
                form.add_error("id_number" if error.code == "duplicate" else None, error.message)
            else:
                messages.success(request, _("%(name)s was added.") % {"name": person.name})
                return redirect("people:detail", pk=person.pk)
    return render(request, "people/form.html", {"form": form})


@permission_required("people.change")
@require_http_methods(["GET", "POST"])
def edit(request, pk):
    person = get_object_or_404(Person.objects.select_related("employer"), pk=pk)
    permissions.require(request.user, "people.change", person)
    form = PersonForm(request.POST or None, instance=person)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if not permissions.has_perm(request.user, "people.change", data["employer_code"]):
            form.add_error("employer_code", _("You can only move workers to organizations you manage."))
        else:
            changes = services.update_person(
                request.user, person, reason=data.get("reason", ""), phone=data["phone"] or None,
                groups=list(data["groups"]), **_save_kwargs(data),
            )
            messages.success(request, _("The changes were saved.") if changes else _("Nothing was changed."))
            return redirect("people:detail", pk=person.pk)
    return render(request, "people/form.html", {"form": form, "person": person})
