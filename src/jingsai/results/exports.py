"""Results as files: the results export of headless-interface.md in JSON, CSV and XLSX
(one content, three formats), and the lists the next offices need (promotions for the
skill appraisal centre, titles, recommendations).

The organizer's export carries full identity numbers; the public one masks identity
numbers (110105********002X) and names (张*, 欧阳**)."""

import csv
import io
import json
from decimal import Decimal

import xlsxwriter
from django.utils.translation import gettext as _

from jingsai.core.errors import UserError
from jingsai.core.masking import mask_id_number, mask_name

from . import queries
from .models import Honour, Promotion, Result

LEVEL_NAMES = {5: "五级/初级工", 4: "四级/中级工", 3: "三级/高级工", 2: "二级/技师", 1: "一级/高级技师",
               0: "特级技师", -1: "首席技师", None: "无"}
FORMATS = ("json", "csv", "xlsx")
CONTENT_TYPES = {
    "json": "application/json",
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
LIST_SEPARATOR = "、"


def computations_for(stage, *, public, scope=None):
    """The computations an export or a page shows: for the public, what is in publicity or
    final; for organizers, the current ones."""
    state = queries.stage_results(stage)
    computations = state.published if public else state.computations
    if not computations:
        if public:
            raise UserError(_("The results of “%(stage)s” are not published.") % {"stage": stage.name},
                            code="not_published")
        raise UserError(_("The results of “%(stage)s” have not been computed.") % {"stage": stage.name},
                        code="not_computed")
    if scope is not None:
        computations = [c for c in computations if c.scope_id == scope.pk]
        if not computations:
            raise UserError(_("“%(scope)s” has no results in “%(stage)s”.") % {"scope": scope.name,
                                                                               "stage": stage.name},
                            code="unknown_scope")
    return computations


def _person_fields(person, masked):
    if person is None:
        return None, None
    if masked:
        return person.id_number_masked or mask_id_number(person.id_number), mask_name(person.name)
    return person.id_number, person.name


def result_rows(computation, *, masked):
    """The export rows of one computation, in rank order (unranked last)."""
    results = (Result.objects.filter(computation=computation).select_related("entry__person", "unit", "team")
               .order_by("position"))
    members = _members(results) if computation.competition.spec.get("mode") == "team" else {}
    rows = []
    for result in results:
        person = result.entry.person if result.entry_id else None
        id_number, name = _person_fields(person, masked)
        row = {
            "entry": result.number,
            "id_number": id_number,
            "name": name if person else (result.team.name if result.team_id else None),
            "unit_code": result.unit.code,
            "components": result.components,
            "times": result.times,
            "total": None if result.total is None else f"{result.total:.{computation.places}f}",
            "status": result.status,
            "rank": result.rank,
            "passed_all": result.passed_all,
            "award": result.award or None,
            "scale_score": result.scale_score,
            "promotion": result.promotion,
            "titles": result.titles,
            "recommendations": result.recommendations,
            "advanced": result.advanced,
            "flags": result.flags,
        }
        if result.members is not None:
            row["members"] = [_member_row(m, members, masked) for m in result.members]
        rows.append(row)
    return rows


def _members(results):
    from jingsai.registration.models import Entry

    ids = [m["entry_id"] for r in results if r.members for m in r.members]
    return {e.pk: e for e in Entry.objects.filter(pk__in=ids).select_related("person")}


def _member_row(member, entries, masked):
    entry = entries.get(member["entry_id"])
    id_number, name = _person_fields(entry.person if entry else None, masked)
    return {
        "entry": entry.number if entry else None,
        "id_number": id_number,
        "name": name,
        "components": member["components"],
        "times": member["times"],
        "total": member["total"],
        "status": member["status"],
        "passed_all": member["passed_all"],
        "promotion": member["promotion"],
        "titles": member["titles"],
        "recommendations": member["recommendations"],
        "flags": member["flags"],
    }


def export_data(competition, stage, *, masked, scope=None):
    """The results export: one object per computation (scope) of the stage — a single
    object when the stage is not split, else a list of them."""
    documents = []
    for computation in computations_for(stage, public=masked, scope=scope):
        documents.append({
            "competition": competition.code,
            "stage": stage.key,
            "scope": computation.scope.code if computation.scope_id else None,
            "n_ranked": computation.n_ranked,
            "results": result_rows(computation, masked=masked),
        })
    return documents[0] if len(documents) == 1 and not stage.scope_type else documents


def _documents(data):
    return data if isinstance(data, list) else [data]


# --------------------------------------------------------------------------
# The flat table of CSV and XLSX
# --------------------------------------------------------------------------


def columns(competition, data):
    """(key, header) of the flat table: the JSON keys spread out, a column per component
    and per component's time, the promotion as its two levels."""
    components = competition.spec.get("components", [])
    out = [("entry", "参赛号"), ("id_number", "身份证号"), ("name", "姓名"), ("unit_code", "单位编码")]
    if any(d["scope"] for d in _documents(data)):
        out.insert(0, ("scope", "赛区"))
    out += [(f"components.{c['key']}", c["name"]) for c in components]
    out += [(f"times.{c['key']}", f"{c['key']}_time") for c in components]
    out += [("total", "总成绩"), ("status", "状态"), ("rank", "名次"), ("passed_all", "各项及格"), ("award", "奖项"),
            ("scale_score", "标准分"), ("promotion.from", "原等级"), ("promotion.to", "晋升等级"),
            ("titles", "称号"), ("recommendations", "推荐"), ("advanced", "晋级下一阶段"), ("flags", "标记")]
    if competition.spec.get("mode") == "team":
        out.append(("members", "成员"))
    return out


def flat_value(document, row, key):
    """The value of one flat-table cell, from a JSON document and one of its rows."""
    if key == "scope":
        return document["scope"]
    if "." in key:
        head, tail = key.split(".", 1)
        inner = row.get(head) or {}
        return inner.get(tail)
    value = row.get(key)
    if key in ("titles", "recommendations", "flags"):
        return LIST_SEPARATOR.join(value)
    if key == "members":
        return LIST_SEPARATOR.join(m["name"] or "" for m in value)
    return value


def flat_rows(competition, data):
    keys = [key for key, _label in columns(competition, data)]
    for document in _documents(data):
        for row in document["results"]:
            yield [flat_value(document, row, key) for key in keys]


def to_json(data):
    return json.dumps(data, ensure_ascii=False, indent=1)


def _csv_text(value):
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def to_csv(competition, data):
    """UTF-8 with a byte-order mark, so Excel opens the Chinese correctly."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([label for _key, label in columns(competition, data)])
    for row in flat_rows(competition, data):
        writer.writerow([_csv_text(v) for v in row])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


NUMERIC = ("total",)


def to_xlsx(competition, data, places=2):
    """Scores and totals as numbers shown with the rules' decimal places; identity numbers
    and codes as text, so a spreadsheet keeps them intact."""
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"constant_memory": True, "strings_to_numbers": False,
                                        "strings_to_formulas": False})
    sheet = book.add_worksheet("成绩")
    bold = book.add_format({"bold": True, "bg_color": "#E8EEF7", "border": 1})
    number = book.add_format({"num_format": "0" + ("." + "0" * places if places else "")})
    keys = columns(competition, data)
    for col, (key, _label) in enumerate(keys):
        sheet.set_column(col, col, 22 if key == "id_number" else 12)
    sheet.write_row(0, 0, [label for _key, label in keys], bold)
    sheet.freeze_panes(1, 0)
    decimal_keys = {k for k, _label in keys if k.startswith("components.") or k in NUMERIC}
    for r, row in enumerate(flat_rows(competition, data), start=1):
        for c, value in enumerate(row):
            key = keys[c][0]
            if value is None or value == "":
                continue
            if key in decimal_keys:
                sheet.write_number(r, c, float(Decimal(value)), number)
            elif isinstance(value, bool):
                sheet.write_boolean(r, c, value)
            elif isinstance(value, int):
                sheet.write_number(r, c, value)
            else:
                sheet.write_string(r, c, str(value))
    book.close()
    return buffer.getvalue()


def render(competition, stage, fmt, *, masked, scope=None):
    """(bytes, filename, content type) of the results export in `fmt`."""
    if fmt not in FORMATS:
        raise UserError(_("The format is json, csv or xlsx."), code="format")
    data = export_data(competition, stage, masked=masked, scope=scope)
    places = (competition.spec.get("rounding") or {}).get("places", 2)
    name = f"{competition.code}-{stage.key}{'-' + scope.code if scope else ''}-成绩{'-公示' if masked else ''}.{fmt}"
    if fmt == "json":
        body = to_json(data).encode("utf-8")
    elif fmt == "csv":
        body = to_csv(competition, data)
    else:
        body = to_xlsx(competition, data, places)
    return body, name, CONTENT_TYPES[fmt]


# --------------------------------------------------------------------------
# Lists for the next offices
# --------------------------------------------------------------------------


def _xlsx(headers, rows, sheet):
    from jingsai.core import spreadsheets as sheets

    columns_ = [sheets.Column(key=h, label=h, text=h == "身份证号", width=22 if h == "身份证号" else 14)
                for h in headers]
    return sheets.xlsx_bytes(columns_, rows, sheet_name=sheet)


def promotions_xlsx(competition):
    """Promotions for the skill appraisal centre (职业技能鉴定中心)."""
    rows = []
    for p in (Promotion.objects.filter(competition=competition).select_related("person", "result__unit")
              .order_by("result__computation__scope_key", "result__position")):
        rows.append([p.person.name, p.person.id_number, competition.occupation, LEVEL_NAMES.get(p.from_level),
                     LEVEL_NAMES.get(p.to_level), competition.name, p.result.rank, p.result.unit.name, p.year])
    headers = ["姓名", "身份证号", "职业代码", "原等级", "晋升等级", "竞赛", "名次", "单位", "年度"]
    return _xlsx(headers, rows, "晋升职业技能等级")


def honours_xlsx(competition, kind):
    rows = []
    for h in (Honour.objects.filter(competition=competition, kind=kind).select_related("person", "result__unit")
              .order_by("name", "result__computation__scope_key", "result__position")):
        rows.append([h.person.name, h.person.id_number, h.result.unit.name, h.name, competition.name, h.result.rank,
                     h.result.award])
    label = "称号" if kind == Honour.Kind.TITLE else "推荐"
    headers = ["姓名", "身份证号", "单位", label, "竞赛", "名次", "奖项"]
    return _xlsx(headers, rows, label)
