"""Every change to the organization tree, each with its audit record."""

from django.db import transaction
from django.db.models import F, Value
from django.db.models.functions import Concat, Length, Substr
from django.utils.translation import gettext as _

from jingsai.accounts import permissions
from jingsai.core import audit
from jingsai.core import spreadsheets as sheets
from jingsai.core.errors import Problem, Rejected, UserError, clean

from .models import (
    CODE_RE,
    MAX_EMPLOYEES,
    ORG_TYPE_ALIASES,
    OWNERSHIP_ALIASES,
    REGION_RE,
    Organization,
    OrgType,
    Ownership,
    encode_pk,
)

FIELDS = ("code", "name", "type", "region_code", "ownership", "employee_count", "is_active")

COLUMNS = [
    sheets.Column("code", "编码", required=True, text=True, width=16),
    sheets.Column("name", "名称", required=True, width=30),
    sheets.Column(
        "type", "类型", required=True, width=10,
        choices=("工会", "人社", "市", "区", "产业", "街道", "企业", "院校", "班组"),
    ),
    sheets.Column("parent_code", "上级编码", text=True, width=16),
    sheets.Column("region_code", "行政区划代码", text=True, width=14),
    sheets.Column("ownership", "所有制", width=10, choices=("国有", "集体", "非公", "外资", "其他")),
    sheets.Column("employee_count", "职工人数", width=10),
]
TYPE_TO_ALIAS = {v: k for k, v in ORG_TYPE_ALIASES.items()}
TYPE_VALUES = {**ORG_TYPE_ALIASES, **{t.value: t for t in OrgType}}
OWNERSHIP_VALUES = {**OWNERSHIP_ALIASES, **{o.value: o for o in Ownership}}
OWNERSHIP_TO_ALIAS = {v: k for k, v in OWNERSHIP_ALIASES.items()}


def _set_path(org):
    parent_path = org.parent.path if org.parent_id else "/"
    org.path = f"{parent_path}{encode_pk(org.pk)}/"
    org.depth = org.parent.depth + 1 if org.parent_id else 0


@transaction.atomic
def create_organization(actor, *, parent, reason="", **fields):
    org = Organization(parent=parent, **fields)
    org.path = "/pending/"
    clean(org, exclude=["path", "depth"])
    org.save()
    _set_path(org)
    org.save(update_fields=["path", "depth"])
    audit.record(actor, "orgs.create", org, reason=reason, data={"parent": parent.code if parent else None})
    return org


def _move_subtree(org, new_parent):
    """Re-root org's subtree under new_parent: one SELECT of the current paths (objects in
    memory may hold stale ones after earlier moves), one UPDATE of every descendant's path
    and depth, one UPDATE of org's parent."""
    ids = [org.pk] + ([new_parent.pk] if new_parent is not None else [])
    current = {pk: (path, depth) for pk, path, depth in
               Organization.objects.filter(pk__in=ids).values_list("pk", "path", "depth")}
    old_path, old_depth = current[org.pk]
    if new_parent is not None:
        new_parent.path, new_parent.depth = current[new_parent.pk]
        if new_parent.path.startswith(old_path):
            raise UserError(
                _("“%(parent)s” lies inside “%(org)s”: an organization cannot be placed under itself.")
                % {"parent": new_parent.name, "org": org.name},
                code="cycle",
            )
    org.parent = new_parent
    _set_path(org)
    Organization.objects.filter(path__startswith=old_path).update(
        path=Concat(Value(org.path), Substr("path", Length(Value(old_path)) + 1)),
        depth=F("depth") + (org.depth - old_depth),
    )
    Organization.objects.filter(pk=org.pk).update(parent=new_parent)


@transaction.atomic
def update_organization(actor, org, *, reason="", parent=..., **fields):
    """Change an organization's fields and, when `parent` is given, move its subtree.
    Returns the changes as {field: [old, new]} (empty when nothing changed)."""
    unknown = set(fields) - set(FIELDS)
    if unknown:
        raise ValueError(f"not editable: {sorted(unknown)}")
    before = {name: getattr(org, name) for name in FIELDS}
    for name, value in fields.items():
        setattr(org, name, value)
    clean(org, exclude=["path", "depth", "parent"])
    changes = audit.changes_between(before, org, FIELDS)
    moving = parent is not ... and (parent.pk if parent is not None else None) != org.parent_id
    if changes:
        # Never save path or depth from memory: they are only ever written by _move_subtree.
        org.save(update_fields=[*changes, "updated_at"])
    if moving:
        old_parent_code = (
            Organization.objects.filter(pk=org.parent_id).values_list("code", flat=True).first()
            if org.parent_id else None
        )
        _move_subtree(org, parent)
        changes["parent"] = [old_parent_code, parent.code if parent is not None else None]
    if changes:
        audit.record(actor, "orgs.update", org, reason=reason, changes=changes)
    return changes


# ---- Import and export (headless-interface.md, "Organizations") ----

def export_rows(queryset=None):
    queryset = (queryset if queryset is not None else Organization.objects.all()).select_related("parent")
    for org in queryset.order_by("path"):
        yield [
            org.code, org.name, TYPE_TO_ALIAS[org.type], org.parent.code if org.parent_id else "",
            org.region_code, OWNERSHIP_TO_ALIAS.get(org.ownership, ""),
            org.employee_count if org.employee_count is not None else "",
        ]


def export_xlsx(queryset=None):
    return sheets.xlsx_bytes(COLUMNS, export_rows(queryset), sheet_name="组织机构")


def _parse_row(number, cells, mapping, problems):
    def cell(key):
        index = mapping.get(key)
        return sheets.text(cells[index]) if index is not None else ""

    def bad(column, value, message):
        problems.append(Problem(message, row=number, column=column, value=value))

    row = {"row": number}
    code = cell("code")
    if not CODE_RE.match(code):
        bad("编码", code, _("A code is 1 to 32 letters, digits, “-” or “_”.") if code else _("The code is empty."))
    row["code"] = code
    name = cell("name")
    if not 1 <= len(name) <= 100:
        bad("名称", name, _("A name is 1 to 100 characters."))
    row["name"] = name
    raw_type = cell("type")
    org_type = TYPE_VALUES.get(raw_type) or TYPE_VALUES.get(raw_type.lower())
    if org_type is None:
        bad("类型", raw_type, _("The type must be one of 工会, 人社, 市, 区, 产业, 街道, 企业, 院校, 班组."))
    row["type"] = org_type
    # None when the file has no parent column: stored organizations then keep their parent.
    row["parent_code"] = cell("parent_code") if "parent_code" in mapping else None
    region = cell("region_code")
    if region and not REGION_RE.match(region):
        bad("行政区划代码", region, _("A region code is 6 digits (GB/T 2260)."))
    row["region_code"] = region
    raw_ownership = cell("ownership")
    ownership = OWNERSHIP_VALUES.get(raw_ownership) or OWNERSHIP_VALUES.get(raw_ownership.lower(), "")
    if raw_ownership and not ownership:
        bad("所有制", raw_ownership, _("Ownership must be one of 国有, 集体, 非公, 外资, 其他."))
    row["ownership"] = ownership
    count = None
    raw_count = cells[mapping["employee_count"]] if "employee_count" in mapping else None
    if not sheets.is_blank(raw_count):
        try:
            count = sheets.integer(raw_count)
            if not 0 <= count <= MAX_EMPLOYEES:
                raise ValueError(count)
        except ValueError as error:
            message = _("The number of employees is a whole number from 0 to %(max)s.") % {"max": f"{MAX_EMPLOYEES:,}"}
            bad("职工人数", sheets.text(raw_count), sheets.number_message(error, message))
    row["employee_count"] = count
    return row


def _parse_rows(table):
    mapping, problems = sheets.match_columns(table, COLUMNS)
    if problems:
        return [], problems
    rows = [_parse_row(number, cells, mapping, problems) for number, cells in table.data_rows()]
    if not rows:
        problems.append(Problem(
            _("The file has a header row but no organizations below it."), row=2, code="empty",
        ))
    return rows, problems


def plan_import(table, actor=None, scope=None):
    """Check a whole organizations table against itself and the stored tree. Returns
    (rows, stored orgs by code, problems); nothing is written."""
    rows, problems = _parse_rows(table)
    if problems and not rows:
        return rows, {}, problems
    by_code = {}
    for row in rows:
        if row["code"] in by_code:
            problems.append(Problem(
                _("The code “%(code)s” appears twice in the file (rows %(first)s and %(second)s).")
                % {"code": row["code"], "first": by_code[row["code"]]["row"], "second": row["row"]},
                row=row["row"], column="编码", value=row["code"], code="duplicate",
            ))
        else:
            by_code[row["code"]] = row
    codes = set(by_code) | {r["parent_code"] for r in rows if r["parent_code"]}
    stored = {o.code: o for o in Organization.objects.filter(code__in=codes).select_related("parent")}
    for row in rows:
        parent_code = row["parent_code"]
        if parent_code and parent_code not in by_code and parent_code not in stored:
            problems.append(Problem(
                _("The parent “%(code)s” is neither in the file nor stored.") % {"code": parent_code},
                row=row["row"], column="上级编码", value=parent_code, code="parent",
            ))
        if parent_code == row["code"]:
            problems.append(Problem(
                _("An organization cannot be its own parent."),
                row=row["row"], column="上级编码", value=parent_code, code="cycle",
            ))
    problems.extend(_cycles(by_code, stored))
    if scope is not None:
        problems.extend(_outside_scope(rows, by_code, stored, scope))
    return rows, stored, problems


def _cycles(by_code, stored):
    """Every row whose parent chain loops back, following the file's parent links where
    the file has the organization and the stored tree elsewhere."""
    ids = {pk for org in stored.values() for pk in [*org.ancestor_ids, org.pk]}
    by_pk = {org.pk: org for org in Organization.objects.filter(pk__in=ids)}
    stored_by_code = {org.code: org for org in by_pk.values()}

    def parent_of(code):
        if code in by_code and by_code[code]["parent_code"] is not None:
            return by_code[code]["parent_code"] or None
        org = stored_by_code.get(code)
        if org is None or org.parent_id is None:
            return None
        return by_pk[org.parent_id].code

    problems = []
    for code, row in by_code.items():
        seen = {code}
        current = parent_of(code)
        while current is not None:
            if current in seen:
                problems.append(Problem(
                    _("The parents of “%(code)s” form a loop.") % {"code": code},
                    row=row["row"], column="上级编码", value=row["parent_code"], code="cycle",
                ))
                break
            seen.add(current)
            current = parent_of(current)
    return problems


def _outside_scope(rows, by_code, stored, scope_orgs):
    """An organizer imports only within their own subtrees: every stored organization the
    file names must lie inside them, and every organization the file creates or moves must
    end up below one of their nodes. A parent named in the file is judged on its own row."""
    paths = [o.path for o in scope_orgs]

    def inside(org):
        return any(org.path.startswith(p) for p in paths)

    problems = []
    for row in rows:
        target = stored.get(row["code"])
        if target is not None and not inside(target):
            problems.append(Problem(
                _("“%(code)s” is outside the organizations you manage.") % {"code": row["code"]},
                row=row["row"], column="编码", value=row["code"], code="scope",
            ))
            continue
        parent_code = row["parent_code"]
        if target is not None and (parent_code is None or parent_code == (target.parent.code if target.parent else "")):
            continue  # stays where it is
        if parent_code and parent_code in by_code:
            continue
        parent = stored.get(parent_code) if parent_code else None
        if parent is None or not inside(parent):
            problems.append(Problem(
                _("“%(code)s” would be placed outside the organizations you manage.") % {"code": row["code"]},
                row=row["row"], column="上级编码", value=parent_code, code="scope",
            ))
    return problems


def import_scope(user):
    """Where `user` may import: None (anywhere) for administrators, else the organizations
    at which they are organizers. The same for the page, the API and the command."""
    if permissions.is_admin(user):
        return None
    return list(Organization.objects.filter(path__in=permissions.role_paths(user, permissions.ORGANIZER)))


@transaction.atomic
def import_table(actor, table, *, filename="", scope=None):
    """Create or update every organization in the table, or nothing at all.

    Returns {"created": n, "updated": n, "unchanged": n}. Raises Rejected listing every
    problem when any row is bad."""
    rows, stored, problems = plan_import(table, actor=actor, scope=scope)
    if problems:
        # Rows reaching outside the actor's organizations make it a permission matter.
        code = "forbidden" if any(p.code == "scope" for p in problems) else "rejected"
        raise Rejected(_("The file was rejected; nothing was imported."), problems, code=code)
    by_code = {row["code"]: row for row in rows}
    created = updated = unchanged = 0
    resolved = dict(stored)
    pending = list(rows)
    # Parents before children: repeat over what is left until every row is placed.
    while pending:
        next_round = []
        for row in pending:
            parent_code = row["parent_code"]
            if parent_code and parent_code in by_code and parent_code not in resolved:
                next_round.append(row)
                continue
            parent = resolved.get(parent_code) if parent_code else None
            fields = {k: row[k] for k in ("name", "type", "region_code", "ownership", "employee_count")}
            org = stored.get(row["code"])
            if org is None:
                org = create_organization(actor, parent=parent, code=row["code"], reason=filename, **fields)
                created += 1
            else:
                placement = {} if parent_code is None else {"parent": parent}
                changes = update_organization(actor, org, reason=filename, **placement, **fields)
                updated += bool(changes)
                unchanged += not changes
            resolved[row["code"]] = org
        if len(next_round) == len(pending):  # cannot happen after the cycle check
            raise UserError(_("The file's parent links could not be resolved."))
        pending = next_round
    audit.record(
        actor, "orgs.import", None, reason=filename,
        data={"created": created, "updated": updated, "unchanged": unchanged}, repr_text=filename,
    )
    return {"created": created, "updated": updated, "unchanged": unchanged}
