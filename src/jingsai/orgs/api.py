from typing import Annotated

from django.db.models import Q
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Field, File, Router, Schema, Status
from ninja.files import UploadedFile
from ninja.pagination import paginate

from jingsai.accounts import permissions
from jingsai.core import spreadsheets as sheets
from jingsai.core.errors import UserError
from jingsai.core.pagination import Pages

from . import services
from .models import MAX_EMPLOYEES, Organization, OrgType, Ownership

router = Router(tags=["organizations"])


class OrgOut(Schema):
    id: int
    code: str
    name: str
    type: str
    parent_code: str | None
    region_code: str
    ownership: str
    employee_count: int | None
    is_active: bool
    depth: int

    @staticmethod
    def resolve_parent_code(obj):
        return obj.parent.code if obj.parent_id else None


class OrgIn(Schema):
    code: str
    name: str
    type: OrgType
    parent_code: str | None = None
    region_code: str = ""
    ownership: Ownership | str = ""
    employee_count: Annotated[int, Field(ge=0, le=MAX_EMPLOYEES)] | None = None
    is_active: bool = True
    reason: str = ""


class OrgPatch(Schema):
    name: str | None = None
    type: OrgType | None = None
    parent_code: str | None = None
    region_code: str | None = None
    ownership: Ownership | str | None = None
    employee_count: Annotated[int, Field(ge=0, le=MAX_EMPLOYEES)] | None = None
    is_active: bool | None = None
    reason: str = ""


class ImportResult(Schema):
    created: int
    updated: int
    unchanged: int


def _get(user, code, perm="orgs.view"):
    org = get_object_or_404(Organization.objects.select_related("parent"), code=code)
    permissions.require(user, perm, org)
    return org


def _parent(user, code):
    if not code:
        if not permissions.is_admin(user):
            raise UserError(_("Only a platform administrator can create a top-level organization."))
        return None
    parent = Organization.objects.filter(code=code).first()
    if parent is None:
        raise UserError(_("No organization has the code “%(code)s”.") % {"code": code})
    permissions.require(user, "orgs.change", parent)
    return parent


@router.get("/", response=list[OrgOut])
@paginate(Pages, page_size=100)
def list_orgs(request, q: str = "", type: OrgType | None = None, parent: str = ""):
    permissions.require(request.user, "orgs.view")
    orgs = permissions.filter_queryset(request.user, "orgs.view", Organization.objects.select_related("parent"))
    if q:
        orgs = orgs.filter(Q(name__contains=q) | Q(code__iexact=q))
    if type:
        orgs = orgs.filter(type=type)
    if parent:
        orgs = orgs.filter(parent__code=parent)
    return orgs.order_by("path")


@router.post("/", response={201: OrgOut})
def create_org(request, data: OrgIn):
    permissions.require(request.user, "orgs.change")
    parent = _parent(request.user, data.parent_code)
    if Organization.objects.filter(code=data.code).exists():
        raise UserError(_("The code “%(code)s” is already used.") % {"code": data.code})
    fields = data.dict(exclude={"parent_code", "reason"})
    org = services.create_organization(request.user, parent=parent, reason=data.reason, **fields)
    return Status(201, org)


@router.post("/import", response=ImportResult)
def import_orgs(request, file: File[UploadedFile]):
    permissions.require(request.user, "orgs.import")
    table = sheets.read_table(file, file.name)
    return services.import_table(request.user, table, filename=file.name, scope=services.import_scope(request.user))


# Literal paths come before "/{code}", which would otherwise take them.
@router.get("/{code}", response=OrgOut)
def get_org(request, code: str):
    return _get(request.user, code)


@router.get("/{code}/children", response=list[OrgOut])
def org_children(request, code: str):
    org = _get(request.user, code)
    return org.children.select_related("parent").order_by("type", "code")


@router.patch("/{code}", response=OrgOut)
def update_org(request, code: str, data: OrgPatch):
    org = _get(request.user, code, "orgs.change")
    fields = data.dict(exclude={"reason", "parent_code"}, exclude_unset=True)
    kwargs = {}
    if "parent_code" in data.model_fields_set:
        kwargs["parent"] = _parent(request.user, data.parent_code)
    services.update_organization(request.user, org, reason=data.reason, **fields, **kwargs)
    org.refresh_from_db()
    return org
