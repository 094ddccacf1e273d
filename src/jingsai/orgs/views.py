from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from jingsai.accounts import permissions
from jingsai.core import audit, downloads
from jingsai.core import spreadsheets as sheets
from jingsai.core.decorators import permission_required
from jingsai.core.errors import Rejected, UserError
from jingsai.core.forms import UploadForm
from jingsai.core.http import xlsx_response
from jingsai.people.models import Person

from . import services
from .forms import OrganizationForm
from .models import Organization

EDITABLE = ("name", "type", "region_code", "ownership", "employee_count", "is_active")


def _visible(user):
    return permissions.filter_queryset(user, "orgs.view", Organization.objects.all())


def _roots(user):
    """The top nodes of what the user may see: every root for administrators, else the
    organizations where they hold a role (minus those inside another one)."""
    if permissions.is_admin(user):
        return Organization.objects.filter(parent__isnull=True)
    paths = sorted(set(permissions.role_paths(user, permissions.ORGANIZER, permissions.UNIT_CONTACT)))
    tops = [p for p in paths if not any(p != q and p.startswith(q) for q in paths)]
    return Organization.objects.filter(path__in=tops)


def _int(value):
    """A primary key from a query string; anything else finds nothing (404), never a 500."""
    return int(value) if str(value).isdigit() else 0


def _with_child_counts(queryset):
    return queryset.annotate(child_count=Count("children"))


@permission_required("orgs.view")
def tree(request):
    query = request.GET.get("q", "").strip()
    context = {"query": query, "can_import": permissions.has_perm(request.user, "orgs.import")}
    if query:
        found = _visible(request.user).filter(Q(name__icontains=query) | Q(code__iexact=query))
        context["results"] = _with_child_counts(found.select_related("parent"))[:200]
    else:
        context["roots"] = _with_child_counts(_roots(request.user))
    return render(request, "orgs/tree.html", context)


@permission_required("orgs.view")
def children(request, pk):
    org = get_object_or_404(Organization, pk=pk)
    permissions.require(request.user, "orgs.view", org)
    nodes = _with_child_counts(org.children.all()).order_by("type", "code")
    return render(request, "orgs/_nodes.html", {"nodes": nodes})


@permission_required("orgs.view")
def detail(request, pk):
    org = get_object_or_404(Organization.objects.select_related("parent"), pk=pk)
    permissions.require(request.user, "orgs.view", org)
    subtree = Organization.objects.subtree(org)
    context = {
        "org": org,
        "ancestors": [a for a in org.ancestors() if permissions.has_perm(request.user, "orgs.view", a)],
        "children": _with_child_counts(org.children.all()).order_by("type", "code")[:500],
        "subtree_count": subtree.count() - 1,
        "people_count": Person.objects.filter(employer__path__startswith=org.path).count(),
        "can_change": permissions.has_perm(request.user, "orgs.change", org),
        "history": audit.history(org)[:20],
    }
    return render(request, "orgs/detail.html", context)


def _form_context(form, org=None, parent=None):
    return {"form": form, "org": org, "parent": parent}


@permission_required("orgs.change")
@require_http_methods(["GET", "POST"])
def create(request):
    parent = None
    if request.GET.get("parent"):
        parent = get_object_or_404(Organization, pk=_int(request.GET["parent"]))
        permissions.require(request.user, "orgs.change", parent)
    initial = {"parent_code": parent.code if parent else "", "region_code": parent.region_code if parent else ""}
    form = OrganizationForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        new_parent = data["parent_code"]
        if new_parent is None and not permissions.is_admin(request.user):
            form.add_error("parent_code", _("Only a platform administrator can create a top-level organization."))
        elif new_parent is not None and not permissions.has_perm(request.user, "orgs.change", new_parent):
            form.add_error("parent_code", _("You can only add organizations under those you manage."))
        else:
            try:
                org = services.create_organization(
                    request.user, parent=new_parent, reason=data.get("reason", ""),
                    code=data["code"], **{k: data[k] for k in EDITABLE},
                )
            except UserError as error:
                form.add_error(None, error.message)
            else:
                messages.success(request, _("“%(name)s” was created.") % {"name": org.name})
                return redirect("orgs:detail", pk=org.pk)
    return render(request, "orgs/form.html", _form_context(form, parent=parent))


@permission_required("orgs.change")
@require_http_methods(["GET", "POST"])
def edit(request, pk):
    org = get_object_or_404(Organization.objects.select_related("parent"), pk=pk)
    permissions.require(request.user, "orgs.change", org)
    form = OrganizationForm(request.POST or None, instance=org)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        new_parent = data["parent_code"]
        moving = (new_parent.pk if new_parent else None) != org.parent_id
        if moving and new_parent is None and not permissions.is_admin(request.user):
            form.add_error("parent_code", _("Only a platform administrator can make an organization top-level."))
        elif moving and new_parent is not None and not permissions.has_perm(request.user, "orgs.change", new_parent):
            form.add_error("parent_code", _("You can only move organizations under those you manage."))
        else:
            try:
                changes = services.update_organization(
                    request.user, org, parent=new_parent, reason=data.get("reason", ""),
                    **{k: data[k] for k in EDITABLE},
                )
            except UserError as error:
                form.add_error(None, error.message)
            else:
                if changes:
                    messages.success(request, _("The changes were saved."))
                else:
                    messages.info(request, _("Nothing was changed."))
                return redirect("orgs:detail", pk=org.pk)
    return render(request, "orgs/form.html", _form_context(form, org=org))


@permission_required("orgs.import")
@require_http_methods(["GET", "POST"])
def import_view(request):
    form = UploadForm(request.POST or None, request.FILES or None)
    context = {"form": form}
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        table = None
        try:
            table = sheets.read_table(upload, upload.name)
            result = services.import_table(
                request.user, table, filename=upload.name, scope=services.import_scope(request.user)
            )
        except Rejected as rejected:
            context["problems"] = [p.as_dict() for p in rejected.problems]
            if table is not None:
                context["error_file"] = downloads.stash_error_file(request, upload.name, table, rejected.problems)
        else:
            messages.success(
                request,
                _("Imported: %(created)s created, %(updated)s updated, %(unchanged)s unchanged.") % result,
            )
            return redirect("orgs:tree")
    return render(request, "orgs/import.html", context)


@permission_required("orgs.import")
def template(request):
    data = sheets.xlsx_bytes(
        services.COLUMNS,
        [["SH-D01-E001", "示例机械有限公司", "企业", "SH-D01", "310101", "非公", 320]],
        sheet_name="组织机构",
        notes=[
            _("One organization per row. Parents may come before or after their children; the whole file is one tree."),
            _("Types: 工会, 人社, 市, 区, 产业, 街道, 企业, 院校, 班组. Ownership: 国有, 集体, 非公, 外资, 其他."),
            _("A row whose code is already stored updates that organization. Delete the example row before importing."),
        ],
    )
    return xlsx_response(data, "组织机构导入模板.xlsx")


@permission_required("orgs.view")
def export(request):
    root_pk = request.GET.get("root")
    if root_pk:
        root = get_object_or_404(Organization, pk=_int(root_pk))
        permissions.require(request.user, "orgs.view", root)
        queryset = Organization.objects.subtree(root)
        name = f"组织机构-{root.code}.xlsx"
    else:
        if not permissions.is_admin(request.user):
            raise PermissionDenied
        queryset, name = Organization.objects.all(), "组织机构.xlsx"
    return xlsx_response(services.export_xlsx(queryset), name)
