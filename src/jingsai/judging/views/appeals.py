from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from jingsai.accounts import permissions
from jingsai.core.decorators import permission_required
from jingsai.core.errors import UserError
from jingsai.registration.models import Entry, EntryStatus

from ..forms import AppealForm, DecisionForm
from ..models import Appeal, AppealStatus
from ..services import appeals, schemes
from .common import can


@permission_required("judging.view_appeal")
def appeal_list(request):
    found = permissions.filter_queryset(
        request.user, "judging.view_appeal",
        Appeal.objects.select_related("entry__person", "entry__unit", "entry__competition", "stage"))
    status = request.GET.get("status", "")
    if status in AppealStatus.values:
        found = found.filter(status=status)
    page = Paginator(found.order_by("status", "-filed_at"), 50).get_page(request.GET.get("page"))
    appealable = []
    if permissions.has_perm(request.user, "judging.appeal"):
        entries = permissions.filter_queryset(request.user, "judging.appeal",
                                              Entry.objects.filter(status=EntryStatus.APPROVED))
        appealable = appeals.open_entries(entries)
    return render(request, "judging/appeals.html", {"page_obj": page, "status": status,
                                                    "statuses": AppealStatus.choices, "appealable": appealable})


@permission_required("judging.appeal")
@require_http_methods(["GET", "POST"])
def appeal_new(request, entry_pk):
    entry = get_object_or_404(Entry.objects.select_related("competition__host", "stage", "person", "unit"),
                              pk=entry_pk)
    permissions.require(request.user, "judging.appeal", entry)
    scheme = schemes.scheme_of(entry.competition)
    form = AppealForm(request.POST or None, scheme=scheme)
    refusal = appeals.refusal(entry.stage)
    if request.method == "POST" and form.is_valid():
        try:
            appeal = appeals.file_appeal(request.user, entry, text=form.cleaned_data["text"],
                                         aspects=list(form.cleaned_data["aspects"]))
        except UserError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("Your appeal was filed. The arbitration group's ruling will appear here."))
            return redirect("judging:appeal", pk=appeal.pk)
    return render(request, "judging/appeal_form.html", {
        "entry": entry, "form": form, "refusal": refusal, "deadline": appeals.deadline(entry.stage),
    })


@permission_required("judging.view_appeal")
@require_http_methods(["GET", "POST"])
def appeal(request, pk):
    item = get_object_or_404(Appeal.objects.select_related("entry__person", "entry__unit", "entry__competition__host",
                                                           "stage", "filed_by", "decided_by"), pk=pk)
    permissions.require(request.user, "judging.view_appeal", item)
    can_decide = can(request.user, "judging.decide_appeal", item) and item.status == AppealStatus.PENDING
    form = DecisionForm(request.POST or None) if can_decide else None
    if request.method == "POST":
        permissions.require(request.user, "judging.decide_appeal", item)
        if form is not None and form.is_valid():
            try:
                appeals.decide(request.user, item, upheld=form.cleaned_data["decision"] == "upheld",
                               ruling=form.cleaned_data["ruling"])
            except UserError as error:
                form.add_error(None, error.message)
            else:
                messages.success(request, _("The ruling was recorded. It is final and shown to the appellant."))
                return redirect("judging:appeal", pk=item.pk)
        elif form is None:
            messages.error(request, _("This appeal has been ruled on; the ruling is final."))
            return redirect("judging:appeal", pk=item.pk)
    contestant = getattr(item.entry, "contestant", None)
    return render(request, "judging/appeal.html", {
        "appeal": item, "form": form, "contestant": contestant,
        "can_history": contestant is not None and contestant.station_number is not None
        and can(request.user, "judging.history", contestant),
    })
