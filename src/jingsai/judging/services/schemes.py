"""Marking schemes: seeded from the competition spec, edited, imported and exported as xlsx,
validated, and frozen when marking starts."""

from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from jingsai.competitions.spec import CODE_RE
from jingsai.core import audit
from jingsai.core import spreadsheets as sheets
from jingsai.core.errors import Problem, Rejected, UserError

from ..models import Aspect, AspectType, Criterion, Mark, MarkingScheme, SchemeStatus

MAX_PLACES = 3
TYPE_ALIASES = {
    "m": AspectType.MEASUREMENT, "测量": AspectType.MEASUREMENT,
    "j": AspectType.JUDGEMENT, "评价": AspectType.JUDGEMENT,
    "s": AspectType.SCORED, "打分": AspectType.SCORED,
}
YES = {"是", "y", "yes", "true", "1", "二值"}
NO = {"否", "n", "no", "false", "0", ""}

COLUMNS = [
    sheets.Column("criterion_code", "模块编码", required=True, text=True, width=10),
    sheets.Column("criterion_name", "模块名称", required=True, width=18),
    sheets.Column("sub_code", "子模块编码", text=True, width=10),
    sheets.Column("sub_name", "子模块名称", width=18),
    sheets.Column("code", "评分项编码", required=True, text=True, width=10),
    sheets.Column("name", "评分项名称", required=True, width=24),
    sheets.Column("type", "类型", required=True, width=8, choices=("M", "J", "S")),
    sheets.Column("max", "分值", required=True, width=8),
    sheets.Column("binary", "二值", width=6, choices=("是", "否")),
    sheets.Column("description", "说明", width=30),
    sheets.Column("descriptor_0", "评价0分", width=24),
    sheets.Column("descriptor_1", "评价1分", width=24),
    sheets.Column("descriptor_2", "评价2分", width=24),
    sheets.Column("descriptor_3", "评价3分", width=24),
]


# --------------------------------------------------------------------------
# Reading
# --------------------------------------------------------------------------


def component_of(competition, key):
    for component in competition.spec.get("components", []):
        if component["key"] == key:
            return component
    return None


def default_component(competition):
    """The component a new scheme marks: the spec's choice, else one keyed "practical",
    else the last component (the theory exam usually comes first)."""
    spec_scheme = competition.spec.get("marking_scheme")
    if spec_scheme:
        return spec_scheme["component"]
    keys = [c["key"] for c in competition.spec.get("components", [])]
    if "practical" in keys:
        return "practical"
    return keys[-1] if keys else "practical"


def scheme_of(competition):
    return MarkingScheme.objects.filter(competition=competition).first()


def judged_component(competition):
    """The key of the component judges mark on the competition's marking scheme (its score
    comes from their signed-off marks at unblinding), or None when judges mark nothing."""
    scheme = scheme_of(competition)
    if scheme is not None and scheme.aspects.exists():
        return scheme.component
    spec_scheme = competition.spec.get("marking_scheme")
    return spec_scheme["component"] if spec_scheme else None


def judged_component_refusal(competition, component):
    """Why a file may not carry a score for the judged component `component`."""
    name = (component_of(competition, component) or {}).get("name", component)
    return _("%(name)s is marked by judges: its score comes from the judges' signed-off marks when the stage is "
             "unblinded and cannot be imported as a score. Import the judges' marks instead (columns 裁判编号, "
             "评分项, 分数).") % {"name": name}


def tree(scheme):
    """[(criterion, [aspects], [(sub-criterion, [aspects])])] in order, in two queries."""
    criteria = list(scheme.criteria.all())
    aspects = list(scheme.aspects.all())
    by_criterion = {}
    for aspect in aspects:
        by_criterion.setdefault(aspect.criterion_id, []).append(aspect)
    children = {}
    for criterion in criteria:
        if criterion.parent_id:
            children.setdefault(criterion.parent_id, []).append(criterion)
    return [
        (c, by_criterion.get(c.pk, []), [(s, by_criterion.get(s.pk, [])) for s in children.get(c.pk, [])])
        for c in criteria if not c.parent_id
    ]


def aspects(scheme):
    """Every aspect in scheme order (sub-criteria flattened)."""
    return [a for _c, direct, subs in tree(scheme) for a in direct + [a for _s, items in subs for a in items]]


def definition(scheme):
    """The scheme in the competition spec's shape (JSON-safe), for the API and exports."""

    def aspect_out(a):
        out = {"code": a.code, "type": a.type, "name": a.name, "max": f"{a.max.normalize():f}",
               "binary": a.binary, "description": a.description or None,
               "descriptors": list(a.descriptors) if a.type == AspectType.JUDGEMENT and a.descriptors else None}
        return out

    criteria = []
    for criterion, direct, subs in tree(scheme):
        item = {"code": criterion.code, "name": criterion.name}
        if subs:
            item["sub_criteria"] = [
                {"code": s.code, "name": s.name, "aspects": [aspect_out(a) for a in items]} for s, items in subs
            ]
        else:
            item["aspects"] = [aspect_out(a) for a in direct]
        criteria.append(item)
    return {"component": scheme.component, "criteria": criteria}


def problems(scheme):
    """What keeps the scheme from being used for marking (empty when it is ready)."""
    out = []
    component = component_of(scheme.competition, scheme.component)
    if component is None:
        out.append(_("The competition has no component “%(key)s” for this scheme to mark.") % {"key": scheme.component})
    items = aspects(scheme)
    if not items:
        out.append(_("The scheme has no aspects yet."))
    for criterion, direct, subs in tree(scheme):
        if not direct and not any(a for _s, a in subs):
            out.append(_("Criterion %(code)s has no aspects.") % {"code": criterion.code})
        for sub, sub_items in subs:
            if not sub_items:
                out.append(_("Sub-criterion %(code)s has no aspects.") % {"code": sub.code})
    total = sum((a.max for a in items), Decimal(0))
    if component is not None and items and total != Decimal(str(component["max"])):
        out.append(
            _("The aspects' maxima add up to %(sum)s, but the component %(name)s is out of %(max)s.")
            % {"sum": _shown(total), "name": component["name"], "max": _shown(Decimal(str(component["max"])))}
        )
    for aspect in items:
        if aspect.type == AspectType.JUDGEMENT and (
            len(aspect.descriptors or []) != 4 or not all(str(d).strip() for d in aspect.descriptors)
        ):
            out.append(
                _("Judgement aspect %(code)s needs a descriptor for each of the levels 0, 1, 2 and 3.")
                % {"code": aspect.code}
            )
    return out


def _shown(value):
    return f"{value.normalize():f}"


# --------------------------------------------------------------------------
# Writing
# --------------------------------------------------------------------------


def _require_draft(scheme):
    if scheme.status == SchemeStatus.FROZEN:
        raise UserError(
            _("The marking scheme is frozen: marking has started, so its aspects can no longer change."),
            code="frozen",
        )


@transaction.atomic
def ensure_scheme(actor, competition):
    """The competition's scheme, seeded from its spec the first time it is needed."""
    scheme = MarkingScheme.objects.select_for_update().filter(competition=competition).first()
    if scheme is not None:
        return scheme
    scheme = MarkingScheme.objects.create(competition=competition, component=default_component(competition))
    spec_scheme = competition.spec.get("marking_scheme")
    if spec_scheme:
        _write_definition(scheme, spec_scheme)
    audit.record(actor, "judging.scheme_seed", competition,
                 data={"component": scheme.component, "from_spec": bool(spec_scheme)})
    return scheme


def _write_definition(scheme, spec_scheme):
    order = 0
    for criterion_def in spec_scheme["criteria"]:
        order += 1
        criterion = Criterion.objects.create(scheme=scheme, code=criterion_def["code"],
                                             name=criterion_def["name"], order=order)
        groups = [(criterion, criterion_def.get("aspects") or [])]
        for sub_def in criterion_def.get("sub_criteria") or []:
            order += 1
            sub = Criterion.objects.create(scheme=scheme, parent=criterion, code=sub_def["code"],
                                           name=sub_def["name"], order=order)
            groups.append((sub, sub_def["aspects"]))
        for owner, aspect_defs in groups:
            for aspect_def in aspect_defs:
                order += 1
                Aspect.objects.create(
                    scheme=scheme, criterion=owner, code=aspect_def["code"], name=aspect_def["name"],
                    type=aspect_def["type"], max=Decimal(str(aspect_def["max"])),
                    binary=bool(aspect_def.get("binary")), description=aspect_def.get("description") or "",
                    descriptors=list(aspect_def.get("descriptors") or []), order=order,
                )


@transaction.atomic
def replace(actor, scheme, spec_scheme, *, reason=""):
    """Replace every criterion and aspect with `spec_scheme` (the spec's shape)."""
    scheme = MarkingScheme.objects.select_for_update().get(pk=scheme.pk)
    _require_draft(scheme)
    before = definition(scheme)
    scheme.criteria.filter(parent__isnull=False).delete()
    scheme.criteria.all().delete()
    scheme.component = spec_scheme.get("component") or scheme.component
    scheme.save(update_fields=["component", "updated_at"])
    _write_definition(scheme, spec_scheme)
    audit.record(actor, "judging.scheme_replace", scheme.competition, reason=reason,
                 data={"before": before, "after": definition(scheme)})
    return scheme


@transaction.atomic
def reseed(actor, scheme, *, reason=""):
    spec_scheme = scheme.competition.spec.get("marking_scheme")
    if not spec_scheme:
        raise UserError(_("The competition spec has no marking scheme to start from."))
    return replace(actor, scheme, spec_scheme, reason=reason or _("Started again from the competition spec"))


def _check_code(scheme, code, exclude=None):
    """A valid code not yet used by another criterion or aspect of the scheme (one namespace)."""
    code = (code or "").strip()
    if not CODE_RE.match(code):
        raise UserError(_("A code is 1 to 32 letters, digits, “-” or “_”; “%(value)s” is not.") % {"value": code})
    criteria, items = scheme.criteria.filter(code=code), scheme.aspects.filter(code=code)
    if isinstance(exclude, Criterion):
        criteria = criteria.exclude(pk=exclude.pk)
    if isinstance(exclude, Aspect):
        items = items.exclude(pk=exclude.pk)
    if criteria.exists() or items.exists():
        raise UserError(_("The code %(code)s is already used in this scheme.") % {"code": code})
    return code


def _check_name(name):
    name = (name or "").strip()
    if not 1 <= len(name) <= 100:
        raise UserError(_("A name is 1 to 100 characters."))
    return name


@transaction.atomic
def save_criterion(actor, scheme, *, criterion=None, code, name, parent=None):
    """Add a criterion (a sub-criterion under `parent`), or rename `criterion`."""
    _require_draft(scheme)
    code = _check_code(scheme, code, exclude=criterion)
    name = _check_name(name)
    if criterion is None and parent is not None:
        if parent.scheme_id != scheme.pk or parent.parent_id is not None:
            raise UserError(_("A sub-criterion belongs under a criterion of the same scheme."))
        if parent.aspects.exists():
            raise UserError(
                _("Criterion %(code)s has aspects of its own; a criterion holds either aspects or sub-criteria.")
                % {"code": parent.code}
            )
    if criterion is None:
        last = scheme.criteria.order_by("-order").values_list("order", flat=True).first() or 0
        criterion = Criterion.objects.create(scheme=scheme, parent=parent, code=code, name=name, order=last + 1)
        audit.record(actor, "judging.criterion_add", scheme.competition, data={"code": code, "name": name})
        return criterion
    changes = audit.changes_between(criterion, {"code": code, "name": name}, ("code", "name"))
    criterion.code, criterion.name = code, name
    criterion.save()
    if changes:
        audit.record(actor, "judging.criterion_change", scheme.competition, changes=changes,
                     data={"criterion": criterion.code})
    return criterion


@transaction.atomic
def delete_criterion(actor, criterion):
    scheme = criterion.scheme
    _require_draft(scheme)
    removed = [a.code for a in Aspect.objects.filter(criterion__in=[criterion, *criterion.children.all()])]
    audit.record(actor, "judging.criterion_delete", scheme.competition,
                 data={"code": criterion.code, "aspects": removed})
    criterion.children.all().delete()
    criterion.delete()


def parse_max(value):
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise UserError(_("“%(value)s” is not a number.") % {"value": value}) from None
    if not number.is_finite() or number <= 0:
        raise UserError(_("An aspect's maximum must be a number above 0."))
    if -number.normalize().as_tuple().exponent > MAX_PLACES:
        raise UserError(_("A maximum has at most 3 decimal places."))
    return number


def clean_aspect(*, type, max, binary, descriptors):
    """Type, maximum, binary flag and descriptors checked together (the rules of §3)."""
    if type not in AspectType.values:
        raise UserError(_("An aspect's type is M (measurement), J (judgement) or S (scored)."))
    maximum = parse_max(max)
    if binary and type != AspectType.MEASUREMENT:
        raise UserError(_("Only a measurement aspect can be all or nothing."))
    descriptors = [str(d or "").strip() for d in descriptors or []]
    if type != AspectType.JUDGEMENT:
        if any(descriptors):
            raise UserError(_("Level descriptors belong to judgement aspects only."))
        descriptors = []
    elif not any(descriptors):
        descriptors = []
    return maximum, bool(binary), descriptors


@transaction.atomic
def save_aspect(actor, scheme, *, aspect=None, criterion, code, name, type, max, binary=False,
                description="", descriptors=()):
    _require_draft(scheme)
    if criterion.scheme_id != scheme.pk:
        raise UserError(_("The criterion belongs to another scheme."))
    if criterion.children.exists():
        raise UserError(
            _("Criterion %(code)s has sub-criteria; add the aspect to one of them.") % {"code": criterion.code}
        )
    code = _check_code(scheme, code, exclude=aspect)
    name = _check_name(name)
    maximum, _binary, descriptors = clean_aspect(type=type, max=max, binary=binary, descriptors=descriptors)
    fields = {"criterion": criterion, "code": code, "name": name, "type": type, "max": maximum, "binary": binary,
              "description": (description or "").strip(), "descriptors": descriptors}
    if aspect is None:
        last = scheme.aspects.order_by("-order").values_list("order", flat=True).first() or 0
        aspect = Aspect.objects.create(scheme=scheme, order=last + 1, **fields)
        audit.record(actor, "judging.aspect_add", scheme.competition, data={"code": code, "type": type, "max": maximum})
        return aspect
    changes = audit.changes_between(aspect, fields, ("code", "name", "type", "max", "binary", "description",
                                                     "descriptors"))
    if aspect.criterion_id != criterion.pk:
        changes["criterion"] = [aspect.criterion.code, criterion.code]
    for field, value in fields.items():
        setattr(aspect, field, value)
    aspect.save()
    if changes:
        audit.record(actor, "judging.aspect_change", scheme.competition, changes=changes, data={"aspect": code})
    return aspect


@transaction.atomic
def delete_aspect(actor, aspect):
    scheme = aspect.scheme
    _require_draft(scheme)
    audit.record(actor, "judging.aspect_delete", scheme.competition,
                 data={"code": aspect.code, "type": aspect.type, "max": aspect.max})
    aspect.delete()


@transaction.atomic
def freeze(actor, scheme, *, reason=""):
    """Freeze the scheme once it is valid. Marking freezes it on its first mark."""
    scheme = MarkingScheme.objects.select_for_update().get(pk=scheme.pk)
    if scheme.status == SchemeStatus.FROZEN:
        return scheme
    found = problems(scheme)
    if found:
        raise Rejected(
            _("The marking scheme cannot be used yet: %(problems)s") % {"problems": "；".join(found)},
            [Problem(message, code="scheme") for message in found], code="scheme_invalid",
        )
    scheme.status, scheme.frozen_at, scheme.frozen_by = SchemeStatus.FROZEN, timezone.now(), actor
    scheme.save(update_fields=["status", "frozen_at", "frozen_by", "updated_at"])
    audit.record(actor, "judging.scheme_freeze", scheme.competition, reason=reason,
                 changes={"status": [SchemeStatus.DRAFT, SchemeStatus.FROZEN]}, data=definition(scheme))
    return scheme


@transaction.atomic
def unfreeze(actor, scheme, *, reason):
    """Back to draft, while no mark refers to the scheme (a frozen scheme was premature)."""
    scheme = MarkingScheme.objects.select_for_update().get(pk=scheme.pk)
    if scheme.status != SchemeStatus.FROZEN:
        return scheme
    if not (reason or "").strip():
        raise UserError(_("Say why the scheme is reopened."))
    if Mark.objects.filter(aspect__scheme=scheme).exists():
        raise UserError(_("Marks have been given on this scheme: it stays frozen."), code="frozen")
    scheme.status, scheme.frozen_at, scheme.frozen_by = SchemeStatus.DRAFT, None, None
    scheme.save(update_fields=["status", "frozen_at", "frozen_by", "updated_at"])
    audit.record(actor, "judging.scheme_unfreeze", scheme.competition, reason=reason,
                 changes={"status": [SchemeStatus.FROZEN, SchemeStatus.DRAFT]})
    return scheme


# --------------------------------------------------------------------------
# Spreadsheets
# --------------------------------------------------------------------------


def export_rows(scheme):
    rows = []
    for criterion, direct, subs in tree(scheme):
        groups = [(None, direct)] + list(subs) if direct or not subs else list(subs)
        for sub, items in groups:
            for a in items:
                descriptors = list(a.descriptors or []) + [""] * 4
                rows.append([
                    criterion.code, criterion.name, sub.code if sub else "", sub.name if sub else "",
                    a.code, a.name, a.type, a.max.normalize(), "是" if a.binary else "", a.description,
                    *descriptors[:4],
                ])
    return rows


def export_xlsx(scheme):
    return sheets.xlsx_bytes(
        COLUMNS, export_rows(scheme), sheet_name="评分标准",
        notes=[
            _("One row per aspect. Criteria and sub-criteria are named on every row of their aspects."),
            _("Types: M (measurement), J (judgement, 0–3 by each judge), S (scored by each judge)."),
            _("A judgement aspect needs a descriptor for each level 0–3."),
            _("The aspects' maxima add up to the component's maximum."),
        ],
    )


def _cell(cells, mapping, key):
    index = mapping.get(key)
    return sheets.text(cells[index]) if index is not None and index < len(cells) else ""


def parse_table(table):
    """The spec-shaped definition of an uploaded scheme sheet, or Rejected with every bad row."""
    mapping, found = sheets.match_columns(table, COLUMNS)
    if found:
        raise Rejected(_("The file's columns do not match the marking scheme template."), found)
    criteria, by_code, seen = [], {}, {}
    for row, cells in table.data_rows():
        def value(key, cells=cells):
            return _cell(cells, mapping, key)

        def problem(message, column, shown=None, row=row):
            found.append(Problem(message, row=row, column=column, value=shown))

        for key, label in (("criterion_code", "模块编码"), ("criterion_name", "模块名称"), ("code", "评分项编码"),
                           ("name", "评分项名称"), ("type", "类型"), ("max", "分值")):
            if not value(key):
                problem(_("This column is required."), label)
        for key, label in (("criterion_code", "模块编码"), ("sub_code", "子模块编码"), ("code", "评分项编码")):
            if value(key) and not CODE_RE.match(value(key)):
                problem(_("A code is 1 to 32 letters, digits, “-” or “_”; “%(value)s” is not.") % {"value": value(key)},
                        label, value(key))
        # Codes share one namespace in a scheme (competition spec rules); a criterion or
        # sub-criterion code repeats on each of its aspects' rows.
        owner = value("criterion_code")
        for code, claim, label in ((owner, ("criterion", owner), "模块编码"),
                                   (value("sub_code"), ("sub", owner), "子模块编码"),
                                   (value("code"), ("aspect", row), "评分项编码")):
            if not code:
                continue
            if seen.setdefault(code, claim) != claim:
                problem(_("The code %(code)s is already used in this scheme.") % {"code": code}, label, code)
        kind = TYPE_ALIASES.get(value("type").casefold())
        if value("type") and kind is None:
            problem(_("An aspect's type is M (measurement), J (judgement) or S (scored)."), "类型", value("type"))
        binary_text = value("binary").casefold()
        if binary_text not in YES and binary_text not in NO:
            problem(_("Write 是 or 否."), "二值", value("binary"))
        descriptors = [value(f"descriptor_{i}") for i in range(4)]
        maximum = None
        if kind is not None and value("max"):
            try:
                maximum, _binary, descriptors = clean_aspect(
                    type=kind, max=value("max"), binary=binary_text in YES, descriptors=descriptors)
            except UserError as error:
                problem(error.message, "分值", value("max"))
        if found and found[-1].row == row:
            continue
        criterion = by_code.get(value("criterion_code"))
        if criterion is None:
            criterion = {"code": value("criterion_code"), "name": value("criterion_name"), "aspects": [],
                         "sub_criteria": []}
            by_code[criterion["code"]] = criterion
            criteria.append(criterion)
        elif criterion["name"] != value("criterion_name"):
            problem(_("Criterion %(code)s is named differently on an earlier row.") % {"code": criterion["code"]},
                    "模块名称", value("criterion_name"))
        aspect = {"code": value("code"), "type": kind, "name": value("name"), "max": maximum,
                  "binary": binary_text in YES, "description": value("description") or None,
                  "descriptors": descriptors or None}
        if value("sub_code"):
            subs = {s["code"]: s for s in criterion["sub_criteria"]}
            sub = subs.get(value("sub_code"))
            if sub is None:
                sub = {"code": value("sub_code"), "name": value("sub_name") or value("sub_code"), "aspects": []}
                criterion["sub_criteria"].append(sub)
            sub["aspects"].append(aspect)
        else:
            criterion["aspects"].append(aspect)
    for criterion in criteria:
        if criterion["aspects"] and criterion["sub_criteria"]:
            found.append(Problem(
                _("Criterion %(code)s has aspects of its own; a criterion holds either aspects or sub-criteria.")
                % {"code": criterion["code"]}, column="子模块编码"))
        if not criterion["sub_criteria"]:
            del criterion["sub_criteria"]
        else:
            del criterion["aspects"]
    if not criteria and not found:
        found.append(Problem(_("The file has no aspects."), row=2))
    if found:
        raise Rejected(_("The marking scheme was not imported: every problem is listed."), found)
    return {"criteria": criteria}


@transaction.atomic
def import_table(actor, scheme, table, *, filename=""):
    """Replace the scheme with an uploaded sheet (all or nothing)."""
    _require_draft(scheme)
    parsed = parse_table(table)
    parsed["component"] = scheme.component
    return replace(actor, scheme, parsed, reason=_("Imported from %(file)s") % {"file": filename or "xlsx"})
