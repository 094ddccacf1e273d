"""Component marks from a spreadsheet (headless-interface.md, "Component marks").

`身份证号` (or `参赛号`, the contestant number of the draw), then one column per component
key or name, optional `<key>_time` (seconds), optional `状态` (缺考 / 取消资格). The whole
file is checked first and every bad row listed; nothing is written unless every row is
right. A file whose headers include `裁判编号` holds judges' aspect marks and goes to the
judging app.

Cells: a blank score or time leaves what is stored as it is. When the file has a 状态
column, its value is the entry's status: 缺考 or 取消资格 marks the entry, a blank (or 正常)
clears an earlier mark, so a corrected file can undo a mistaken 缺考.
"""

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from jingsai.core import idnumber
from jingsai.core import spreadsheets as sheets
from jingsai.core.errors import Problem, Rejected, UserError
from jingsai.people.models import Person, id_digest
from jingsai.registration.models import Entry, EntryStatus

from . import services
from .models import ScoreSource, ScoreStatus

ID_NUMBER = sheets.Column("id_number", "身份证号", text=True, width=22,
                          help=gettext_lazy("18 characters, formatted as text."))
NUMBER = sheets.Column("contestant_number", "参赛号", width=10,
                       help=gettext_lazy("The contestant number drawn at the venue, instead of the identity number."))
NAME = sheets.Column("name", "姓名", width=12, help=gettext_lazy("Optional: checked against the entry."))
STATUS = sheets.Column("status", "状态", width=10, choices=("缺考", "取消资格"),
                       help=gettext_lazy("Optional: 缺考 (absent) or 取消资格 (disqualified); blank for neither."))
JUDGE_HEADERS = {"裁判编号", "judge_code"}
STATUS_VALUES = {
    "缺考": ScoreStatus.Status.ABSENT, "absent": ScoreStatus.Status.ABSENT,
    "取消资格": ScoreStatus.Status.DISQUALIFIED, "disqualified": ScoreStatus.Status.DISQUALIFIED,
    "": None, "正常": None,
}


def columns(competition):
    """The columns a marks file may have for this competition."""
    out = [ID_NUMBER, NUMBER, NAME]
    for component in competition.spec.get("components", []):
        key, name = component["key"], component["name"]
        out.append(sheets.Column(f"score:{key}", name, aliases=(key,), width=12,
                                 help=_("0 to %(max)s") % {"max": component["max"]}))
        out.append(sheets.Column(f"time:{key}", f"{key}_time", aliases=(f"{name}_time", f"{name}用时"), width=12,
                                 help=_("Optional: time used on %(name)s, in seconds.") % {"name": name}))
    out.append(STATUS)
    return out


def is_judges_marks(table):
    return any(str(h or "").strip().casefold() in JUDGE_HEADERS for h in table.headers)


def template_xlsx(competition, stage):
    """A marks file to fill in: one row per approved entry of the stage with its identity
    number and name (only organizers, who hold them anyway, may download it), then a
    column per component."""
    cols = [c for c in columns(competition) if c.key != "contestant_number"]
    entries = (Entry.objects.filter(stage=stage, status=EntryStatus.APPROVED).select_related("person")
               .order_by("number"))
    rows = [[entry.person.id_number, entry.person.name] + [""] * (len(cols) - 2) for entry in entries]
    notes = [
        _("One row per contestant: the identity number (or a 参赛号 column instead), then a score per component."),
        _("A blank score or time leaves the stored one as it is. 状态: 缺考 or 取消资格; a blank clears an "
          "earlier mark."),
        _("Times are whole seconds. The whole file is checked first: if any row is wrong, nothing is stored."),
    ]
    return sheets.xlsx_bytes(cols, rows, sheet_name="成绩", notes=notes)


def parse(competition, stage, table):
    """The ScoreChanges of a marks file, or Rejected with every problem found."""
    mapping, problems = sheets.match_columns(table, columns(competition))
    if "id_number" not in mapping and "contestant_number" not in mapping:
        problems.append(Problem(_("The file needs a 身份证号 or a 参赛号 column."), row=1, code="missing_column"))
    valued = [k for k in mapping if k.startswith(("score:", "time:")) or k == "status"]
    if not valued and not problems:
        problems.append(Problem(_("The file has no column of scores, times or 状态."), row=1,
                                code="missing_column"))
    from jingsai.judging.services import judged_component, judged_component_refusal

    judged = judged_component(competition)
    if judged and f"score:{judged}" in mapping:
        problems.append(Problem(judged_component_refusal(competition, judged), row=1,
                                column=table.headers[mapping[f"score:{judged}"]], code="judged_component"))
    if problems:
        raise Rejected(_("The marks file was not imported:"), problems)
    components = {c["key"]: c for c in competition.spec.get("components", [])}
    rows = list(table.data_rows())
    if not rows:
        raise Rejected(_("The marks file was not imported:"), [Problem(_("The file has no data rows."), row=2)])

    def cell(cells, key):
        index = mapping.get(key)
        return None if index is None else cells[index]

    # Identity numbers: one query for every person of the file, then their entries.
    digests = {}
    for row, cells in rows:
        raw = cell(cells, "id_number")
        if sheets.is_blank(raw):
            continue
        try:
            parsed = idnumber.parse(sheets.id_text(raw))
        except sheets.NumberIdCell as error:
            problems.append(Problem(error.message, row=row, column=ID_NUMBER.label, value=sheets.text(raw),
                                    code="id_number"))
        except idnumber.InvalidIdNumber as error:
            problems.append(Problem(error.message, row=row, column=ID_NUMBER.label, value=sheets.text(raw),
                                    code=f"id_number.{error.code}"))
        else:
            digests[row] = id_digest(parsed.value)
    people = {}
    values = sorted(set(digests.values()))
    for start in range(0, len(values), 2000):
        people.update(Person.objects.filter(id_number_digest__in=values[start:start + 2000])
                      .values_list("id_number_digest", "pk"))
    entries = {e.person_id: e for e in Entry.objects.filter(stage=stage, person_id__in=people.values())
               .select_related("person")}
    by_number = None
    if "contestant_number" in mapping:
        from jingsai.judging.services import entry_for_contestant_number

        def by_number(number):
            return entry_for_contestant_number(stage, number)

    changes, seen = [], {}
    for row, cells in rows:
        entry = _row_entry(row, cells, cell, digests, people, entries, by_number, stage, problems)
        if entry is None:
            continue
        if entry.pk in seen:
            problems.append(Problem(_("This contestant is already on row %(row)s.") % {"row": seen[entry.pk]},
                                    row=row, code="duplicate"))
            continue
        seen[entry.pk] = row
        name = cell(cells, "name")
        if not sheets.is_blank(name) and sheets.text(name) != entry.person.name:
            problems.append(Problem(_("The name does not match the entry of this identity number."), row=row,
                                    column=NAME.label, value=sheets.text(name), code="name_mismatch"))
        change = services.ScoreChange(entry=entry)
        for key, component in components.items():
            _read_score(competition, change, key, component, cell(cells, f"score:{key}"), row, problems)
            _read_time(change, key, component, cell(cells, f"time:{key}"), row, problems)
        if "status" in mapping:
            raw = sheets.text(cell(cells, "status"))
            if raw.casefold() not in STATUS_VALUES:
                problems.append(Problem(_("The status is 缺考, 取消资格 or blank."), row=row, column=STATUS.label,
                                        value=raw, code="status"))
            else:
                change.status = STATUS_VALUES[raw.casefold()]
        changes.append(change)
    if problems:
        raise Rejected(_("The marks file was not imported:"), problems)
    return changes


def _row_entry(row, cells, cell, digests, people, entries, by_number, stage, problems):
    """The entry a row is about, or None after reporting why there is none."""
    entry = None
    raw_id = cell(cells, "id_number")
    raw_number = cell(cells, "contestant_number")
    if sheets.is_blank(raw_id) and sheets.is_blank(raw_number):
        problems.append(Problem(_("The row has neither an identity number nor a 参赛号."), row=row,
                                code="no_identity"))
        return None
    if not sheets.is_blank(raw_id):
        if row not in digests:
            return None  # the identity number was reported as invalid
        person_id = people.get(digests[row])
        entry = entries.get(person_id) if person_id else None
        if entry is None:
            problems.append(Problem(_("Nobody with this identity number is entered in “%(stage)s”.")
                                    % {"stage": stage.name}, row=row, column=ID_NUMBER.label,
                                    value=sheets.text(raw_id), code="not_entered"))
            return None
    if not sheets.is_blank(raw_number):
        found = by_number(sheets.text(raw_number))
        if found is None:
            problems.append(Problem(_("No contestant of “%(stage)s” has this 参赛号.") % {"stage": stage.name},
                                    row=row, column=NUMBER.label, value=sheets.text(raw_number),
                                    code="unknown_number"))
            return None
        if entry is not None and entry.pk != found.pk:
            problems.append(Problem(_("The 参赛号 belongs to another contestant than the identity number."),
                                    row=row, column=NUMBER.label, value=sheets.text(raw_number),
                                    code="number_mismatch"))
            return None
        entry = entry or Entry.objects.select_related("person").get(pk=found.pk)
    if entry.status != EntryStatus.APPROVED:
        problems.append(Problem(_("This entry is “%(status)s”; only approved entries get scores.")
                                % {"status": entry.get_status_display()}, row=row, code="not_approved"))
        return None
    return entry


def _read_score(competition, change, key, component, raw, row, problems):
    if raw is None or sheets.is_blank(raw):
        return
    try:
        value = sheets.decimal(raw)
        change.scores[key] = services.check_score(competition, key, value)
    except ValueError as error:
        problems.append(Problem(sheets.number_message(error, _("A score must be a number.")), row=row,
                                column=component["name"],
                                value=sheets.text(raw), code="not_a_number"))
    except UserError as error:
        problems.append(Problem(error.message, row=row, column=component["name"], value=sheets.text(raw),
                                code=error.code))


def _read_time(change, key, component, raw, row, problems):
    if raw is None or sheets.is_blank(raw):
        return
    try:
        seconds = sheets.integer(raw)
        if seconds < 0:
            raise ValueError(seconds)
    except ValueError as error:
        problems.append(Problem(sheets.number_message(error, _("A time is a whole number of seconds, 0 or more.")),
                                row=row,
                                column=f"{key}_time", value=sheets.text(raw), code="time"))
        return
    change.times[key] = seconds


def import_marks(actor, competition, stage, table, *, filename=""):
    """Import a marks file: component scores, or judges' aspect marks (裁判编号 column).
    Returns a summary dict."""
    if is_judges_marks(table):
        from jingsai.judging.imports import import_judge_marks

        return {"kind": "judges", **(import_judge_marks(actor, competition, stage, table) or {})}
    services.require_scores_open(stage)
    changes = parse(competition, stage, table)
    counts = services.record_scores(actor, stage, changes, source=ScoreSource.IMPORT,
                                    reason=_("Imported from %(file)s") % {"file": filename} if filename else "",
                                    data={"file": filename, "rows": len(changes)})
    return {"kind": "scores", "rows": len(changes), **counts}
