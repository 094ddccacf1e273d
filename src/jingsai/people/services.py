"""Every change to workers' records, each with its audit record.

Personal data never enters the audit log in full: changes to an identity number or a phone
are recorded with masked values."""

from django.db import transaction
from django.utils.translation import gettext as _

from jingsai.core import audit, crypto, idnumber
from jingsai.core import spreadsheets as sheets
from jingsai.core.errors import UserError, clean
from jingsai.core.masking import mask_id_number, mask_name, mask_phone

from .models import PHONE_RE, GroupTag, Person, WorkerStatus, id_digest, phone_digest

EDITABLE = ("name", "employer", "occupation", "level", "worker_status")


def parse_id_number(raw):
    try:
        return idnumber.parse(raw)
    except idnumber.InvalidIdNumber as error:
        raise UserError(error.message, code=f"id_number.{error.code}") from None


def normalize_phone(raw):
    phone = idnumber.normalize(raw or "").replace("-", "").removeprefix("+86")
    if phone and not PHONE_RE.match(phone):
        raise UserError(
            _("“%(value)s” is not a mainland mobile number (11 digits starting with 1).") % {"value": raw},
            code="phone",
        )
    return phone


def find_by_id_number(raw):
    value = idnumber.normalize(raw or "")
    return Person.objects.select_related("employer").filter(id_number_digest=id_digest(value)).first()


def _name_mismatch(person, name):
    return UserError(
        _(
            "This identity number is already registered under another name (%(masked)s). "
            "Check the name and the number."
        ) % {"masked": mask_name(person.name)},
        code="name_mismatch",
    )


@transaction.atomic
def create_person(
    actor, *, name, id_number, employer, phone="", occupation="", level=None,
    worker_status=WorkerStatus.WORKER, groups=(), reason="",
):
    parsed = id_number if isinstance(id_number, idnumber.IdNumber) else parse_id_number(id_number)
    name = (name or "").strip()
    if not name:
        raise UserError(_("The name is empty."), code="name")
    existing = Person.objects.filter(id_number_digest=id_digest(parsed.value)).first()
    if existing is not None:
        raise UserError(
            _("A worker with this identity number already exists (%(masked)s).")
            % {"masked": mask_id_number(parsed.value)},
            code="duplicate",
        )
    person = Person(
        name=name, employer=employer, occupation=occupation or "", level=level, worker_status=worker_status
    )
    person.set_id_number(parsed)
    person.set_phone(normalize_phone(phone))
    clean(person, exclude=["id_number_encrypted", "id_number_digest"])
    person.save()
    if groups:
        person.groups.set(groups)
    audit.record(
        actor, "people.create", person, reason=reason,
        data={"employer": employer.code, "id_number": person.id_number_masked},
    )
    return person


@transaction.atomic
def find_or_create_person(actor, *, name, id_number, employer, **fields):
    """The existing person with this identity number (whose name must match), or a new one.
    Returns (person, created)."""
    parsed = id_number if isinstance(id_number, idnumber.IdNumber) else parse_id_number(id_number)
    person = Person.objects.filter(id_number_digest=id_digest(parsed.value)).first()
    if person is not None:
        if person.name != (name or "").strip():
            raise _name_mismatch(person, name)
        return person, False
    return create_person(actor, name=name, id_number=parsed, employer=employer, **fields), True


@transaction.atomic
def update_person(actor, person, *, reason="", phone=None, groups=None, **fields):
    unknown = set(fields) - set(EDITABLE)
    if unknown:
        raise ValueError(f"not editable: {sorted(unknown)}")
    before = {name: getattr(person, name) for name in EDITABLE}
    before_groups = sorted(person.groups.values_list("name", flat=True))
    for name, value in fields.items():
        setattr(person, name, value)
    changes = audit.changes_between(before, person, [n for n in EDITABLE if n in fields])
    if "employer" in changes:
        changes["employer"] = [before["employer"].code, person.employer.code]
    if phone is not None:
        phone = normalize_phone(phone)
        if phone != person.phone:
            old = person.phone_masked
            person.set_phone(phone)
            changes["phone"] = [old, person.phone_masked]
    clean(person, exclude=["id_number_encrypted", "id_number_digest"])
    person.save()
    if groups is not None:
        person.groups.set(groups)
        after_groups = sorted(g.name for g in groups)
        if after_groups != before_groups:
            changes["groups"] = [before_groups, after_groups]
    if changes:
        audit.record(actor, "people.update", person, reason=reason, changes=changes)
    return changes


@transaction.atomic
def reveal(actor, person, what):
    """The full identity number or phone, for a role allowed to see it; the look is audited."""
    value = person.id_number if what == "id_number" else person.phone
    audit.record(actor, f"people.reveal_{what}", person)
    return value


# Level names as results-rules.md §1 writes them (and registration files accept).
LEVEL_NAMES = {5: "五级/初级工", 4: "四级/中级工", 3: "三级/高级工", 2: "二级/技师", 1: "一级/高级技师",
               0: "特级技师", -1: "首席技师"}
EXPORT_COLUMNS = [
    sheets.Column("name", "姓名", width=10),
    sheets.Column("id_number", "身份证号", text=True, width=20),
    sheets.Column("phone", "手机号", text=True, width=14),
    sheets.Column("unit_code", "单位编码", text=True, width=16),
    sheets.Column("unit_name", "单位名称", width=30),
    sheets.Column("occupation", "职业编码", text=True, width=12),
    sheets.Column("level", "职业技能等级", width=14),
    sheets.Column("status", "身份类别", width=10),
    sheets.Column("groups", "人员类别", width=20),
]


def export_rows(people, *, full=False):
    """One row per person in EXPORT_COLUMNS order; numbers masked unless `full`."""
    status_names = {WorkerStatus.WORKER: "职工", WorkerStatus.STUDENT: "学生"}
    for person in people:
        yield [
            person.name,
            person.id_number if full else person.id_number_masked,
            (person.phone if full else person.phone_masked) or "",
            person.employer.code, person.employer.name, person.occupation,
            LEVEL_NAMES.get(person.level, "无"), status_names.get(person.worker_status, ""),
            ",".join(g.name for g in person.groups.all()),
        ]


def export_xlsx(actor, people, *, full=False, filters=""):
    """The people as .xlsx. An export with full numbers is recorded in the audit log (who,
    how many, with which filters), as a reveal is."""
    people = list(people)
    data = sheets.xlsx_bytes(EXPORT_COLUMNS, export_rows(people, full=full), sheet_name="职工")
    if full:
        audit.record(actor, "people.export_pii", None, data={"count": len(people), "filters": filters},
                     repr_text=_("%(count)s workers") % {"count": len(people)})
    return data


def group_tags(names):
    """GroupTag objects for the given names, creating unknown ones is not allowed here."""
    names = [n.strip() for n in names if n and n.strip()]
    tags = {t.name: t for t in GroupTag.objects.filter(name__in=names)}
    missing = [n for n in names if n not in tags]
    if missing:
        raise UserError(
            _("Unknown group: %(names)s. Known groups: %(known)s.")
            % {"names": "、".join(missing), "known": "、".join(GroupTag.objects.values_list("name", flat=True))},
            code="groups",
        )
    return [tags[n] for n in names]


# ---- Bulk, for registration imports (one query per chunk, one audit record per call) ----

LOOKUP_CHUNK = 2000


def lookup_by_digests(digests):
    """Stored people by identity-number digest, in one query per chunk: {digest: values}
    with pk, name, employer_id, employer__path, level, worker_status and birth_date."""
    found = {}
    digests = list(digests)
    fields = ("pk", "id_number_digest", "name", "employer_id", "employer__path", "level", "worker_status",
              "birth_date")
    for start in range(0, len(digests), LOOKUP_CHUNK):
        chunk = digests[start : start + LOOKUP_CHUNK]
        for values in Person.objects.filter(id_number_digest__in=chunk).values(*fields):
            found[values["id_number_digest"]] = values
    return found


@transaction.atomic
def bulk_create_people(actor, records, *, reason="", batch_size=2000):
    """Create validated people in bulk; returns their primary keys in order.

    Each record is a dict: name, parsed (core.idnumber.IdNumber), digest (its id_digest,
    computed once by the caller), employer_id, phone (normalized or ""), level,
    worker_status, group_ids. One audit record says how many were made and why."""
    people = []
    encrypt = crypto.encrypt
    for record in records:
        parsed, phone = record["parsed"], record["phone"]
        people.append(Person(
            name=record["name"], employer_id=record["employer_id"], level=record["level"],
            worker_status=record["worker_status"],
            id_number_encrypted=encrypt(parsed.value), id_number_digest=record["digest"],
            id_number_masked=mask_id_number(parsed.value), birth_date=parsed.birth_date, sex=parsed.sex,
            phone_encrypted=encrypt(phone) if phone else "", phone_digest=phone_digest(phone),
            phone_masked=mask_phone(phone),
        ))
    Person.objects.bulk_create(people, batch_size=batch_size)
    if any(p.pk is None for p in people):  # a backend that does not return keys
        by_digest = dict(Person.objects.filter(id_number_digest__in=[p.id_number_digest for p in people])
                         .values_list("id_number_digest", "pk"))
        for person in people:
            person.pk = by_digest[person.id_number_digest]
    add_groups([(p.pk, g) for p, r in zip(people, records, strict=True) for g in r.get("group_ids", ())])
    if people:
        audit.record(actor, "people.bulk_create", None, reason=reason, data={"count": len(people)},
                     repr_text=reason)
    return [p.pk for p in people]


def add_groups(pairs, batch_size=5000):
    """Add (person_id, grouptag_id) memberships; existing ones are kept as they are."""
    through = Person.groups.through
    through.objects.bulk_create(
        [through(person_id=person_id, grouptag_id=tag_id) for person_id, tag_id in pairs],
        batch_size=batch_size, ignore_conflicts=True,
    )
