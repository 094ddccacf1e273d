from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Router, Schema, Status
from ninja.pagination import paginate

from jingsai.accounts import permissions
from jingsai.core.errors import UserError
from jingsai.core.pagination import Pages
from jingsai.orgs.models import Organization

from . import services
from .models import Level, Person, WorkerStatus
from .views import search

router = Router(tags=["people"])


class PersonOut(Schema):
    id: int
    name: str
    id_number: str
    phone: str
    sex: str
    birth_date: str
    employer_code: str
    occupation: str
    level: int | None
    worker_status: str
    groups: list[str]

    @staticmethod
    def resolve_id_number(obj):
        return obj.id_number_masked

    @staticmethod
    def resolve_phone(obj):
        return obj.phone_masked

    @staticmethod
    def resolve_birth_date(obj):
        return obj.birth_date.isoformat()

    @staticmethod
    def resolve_employer_code(obj):
        return obj.employer.code

    @staticmethod
    def resolve_groups(obj):
        return [g.name for g in obj.groups.all()]


class PersonIn(Schema):
    name: str
    id_number: str
    employer_code: str
    phone: str = ""
    occupation: str = ""
    level: Level | None = None
    worker_status: WorkerStatus = WorkerStatus.WORKER
    groups: list[str] = []


class PersonPatch(Schema):
    name: str | None = None
    employer_code: str | None = None
    phone: str | None = None
    occupation: str | None = None
    level: Level | None = None
    worker_status: WorkerStatus | None = None
    groups: list[str] | None = None
    reason: str = ""


class Revealed(Schema):
    id_number: str
    phone: str


def _employer(user, code):
    org = Organization.objects.filter(code=code).first()
    if org is None:
        raise UserError(_("No organization has the code “%(code)s”.") % {"code": code})
    permissions.require(user, "people.change", org)
    return org


def _get(user, pk, perm="people.view"):
    person = get_object_or_404(Person.objects.select_related("employer"), pk=pk)
    permissions.require(user, perm, person)
    return person


@router.get("/", response=list[PersonOut])
@paginate(Pages, page_size=100)
def list_people(request, q: str = "", org: str = ""):
    permissions.require(request.user, "people.view")
    people = permissions.filter_queryset(request.user, "people.view", Person.objects.all())
    if org:
        root = get_object_or_404(Organization, code=org)
        people = people.filter(employer__path__startswith=root.path)
    people = search(people, q)
    return people.select_related("employer").prefetch_related("groups").order_by("id")


@router.post("/", response={201: PersonOut})
def create_person(request, data: PersonIn):
    permissions.require(request.user, "people.change")
    employer = _employer(request.user, data.employer_code)
    person = services.create_person(
        request.user, name=data.name, id_number=data.id_number, employer=employer, phone=data.phone,
        occupation=data.occupation, level=data.level, worker_status=data.worker_status,
        groups=services.group_tags(data.groups),
    )
    return Status(201, person)


@router.get("/{int:pk}", response=PersonOut)
def get_person(request, pk: int):
    return _get(request.user, pk)


@router.post("/{int:pk}/reveal", response=Revealed)
def reveal_person(request, pk: int):
    """The full identity number and phone, for roles allowed to see them; audited."""
    person = _get(request.user, pk, "people.view_pii")
    return {
        "id_number": services.reveal(request.user, person, "id_number"),
        "phone": services.reveal(request.user, person, "phone") if person.phone_masked else "",
    }


@router.patch("/{int:pk}", response=PersonOut)
def update_person(request, pk: int, data: PersonPatch):
    person = _get(request.user, pk, "people.change")
    fields = {k: v for k, v in data.dict(exclude={"reason", "employer_code", "groups", "phone"}).items()
              if k in data.model_fields_set}
    if data.employer_code is not None:
        fields["employer"] = _employer(request.user, data.employer_code)
    groups = services.group_tags(data.groups) if data.groups is not None else None
    services.update_person(request.user, person, reason=data.reason, phone=data.phone, groups=groups, **fields)
    person.refresh_from_db()
    return person
