"""Judges' marks from a spreadsheet (headless-interface.md, "Judges' marks"): the results
app's `jingsai marks import` hands files whose headers include 裁判编号 to
`import_judge_marks`; the judging pages use it too.

Columns: 身份证号 or 参赛号 (or 赛位号, the station number) naming the contestant, 裁判编号,
评分项 (aspect code) and 分数. An M aspect has one row per contestant, a J or S aspect one
row per judge. All or nothing: every bad row is listed and nothing is stored."""

from django.db import transaction
from django.utils.translation import gettext as _

from jingsai.core import audit, idnumber
from jingsai.core import spreadsheets as sheets
from jingsai.core.errors import Problem, Rejected, UserError
from jingsai.people.models import Person, id_digest

from .models import AspectType, CheckIn, Mark, MarkSource
from .services import marking, schemes, venue

COLUMNS = [
    sheets.Column("id_number", "身份证号", text=True, width=20),
    sheets.Column("contestant_number", "参赛号", text=True, width=8),
    sheets.Column("station_number", "赛位号", text=True, width=8, aliases=("工位号",)),
    sheets.Column("judge", "裁判编号", required=True, text=True, width=10),
    sheets.Column("aspect", "评分项", required=True, text=True, width=10),
    sheets.Column("score", "分数", required=True, width=8),
]
WHO = ("id_number", "contestant_number", "station_number")


def template_xlsx():
    return sheets.xlsx_bytes(
        [c for c in COLUMNS if c.key != "id_number"],
        [["1", "", "J001", "A1", "10"], ["1", "", "J001", "A2", "2"], ["1", "", "J002", "A2", "3"]],
        sheet_name="裁判评分",
        notes=[
            _("Name each contestant by 参赛号 (contestant number), 赛位号 (station number) or 身份证号."),
            _("An M aspect has one row per contestant; a J or S aspect one row per judge."),
            _("A judge not on the panel, or in conflict of interest with the contestant, rejects the file."),
        ],
    )


def _people_by_id(table, mapping):
    index = mapping.get("id_number")
    if index is None:
        return {}
    digests = {}
    for _row, cells in table.data_rows():
        try:
            raw = sheets.id_text(cells[index])
        except sheets.NumberIdCell:
            continue
        if raw:
            digests[id_digest(idnumber.normalize(raw))] = raw
    found = Person.objects.filter(id_number_digest__in=digests).values_list("id_number_digest", "pk")
    return {digests[d]: pk for d, pk in found}


def import_judge_marks(actor, competition, stage, table):
    """Store the file's marks for `stage`. Returns {"created", "changed", "unchanged"};
    raises Rejected listing every bad row (nothing stored)."""
    if stage.competition_id != competition.pk:
        raise UserError(_("The stage belongs to another competition."))
    with transaction.atomic():
        return _import(actor, competition, stage, table)


def _import(actor, competition, stage, table):
    mapping, found = sheets.match_columns(table, COLUMNS)
    if not any(key in mapping for key in WHO):
        found.append(Problem(_("Name the contestants with a 身份证号, 参赛号 or 赛位号 column."), row=1,
                             code="missing_column"))
    if found:
        raise Rejected(_("The file's columns do not match the judges' marks template."), found)
    venue.require_status(competition, marking.MARKING_STATUSES, _("Importing marks"))
    scheme = schemes.ensure_scheme(actor, competition)
    plan = marking.Plan(stage)
    aspects = {a.code: a for a in plan.aspects}
    judges = {a.judge.code: a.judge for a in plan.assignments}
    contestants = list(venue.contestants(stage).select_related("entry__unit"))
    by_person = {c.entry.person_id: c for c in contestants}
    by_number = {c.contestant_number: c for c in contestants if c.contestant_number is not None}
    by_station = {c.station_number: c for c in contestants if c.station_number is not None}
    people = _people_by_id(table, mapping)
    stored = {}
    for mark in Mark.objects.filter(contestant__stage=stage).select_related("aspect"):
        judge_slot = None if mark.aspect.type == AspectType.MEASUREMENT else mark.judge_id
        stored[(mark.contestant_id, mark.aspect_id, judge_slot)] = mark
    items, seen = [], {}
    for row, cells in table.data_rows():
        def cell(key, cells=cells):
            index = mapping.get(key)
            return cells[index] if index is not None else ""

        def problem(message, column, value=None, row=row):
            found.append(Problem(message, row=row, column=column, value=value))

        before = len(found)
        contestant = _contestant(cell, people, by_person, by_number, by_station, problem)
        judge_code = sheets.text(cell("judge"))
        judge = judges.get(judge_code)
        if judge is None:
            problem(_("Judge %(code)s is not on this competition's panel.") % {"code": judge_code}, "裁判编号",
                    judge_code)
        aspect_code = sheets.text(cell("aspect"))
        aspect = aspects.get(aspect_code)
        if aspect is None:
            problem(_("The marking scheme has no aspect %(code)s.") % {"code": aspect_code}, "评分项", aspect_code)
        raw = cell("score")
        value = None
        if aspect is not None:
            try:
                value = marking.parse_value(aspect, sheets.decimal(raw) if not sheets.is_blank(raw) else "")
            except (UserError, ValueError) as error:
                message = error.message if isinstance(error, UserError) else sheets.number_message(
                    error, _("“%(value)s” is not a number.") % {"value": sheets.text(raw)})
                problem(message, "分数", sheets.text(raw))
        if contestant is not None and judge is not None:
            if contestant.pk in plan.blocked(judge):
                problem(_("%(judge)s has a conflict of interest with this contestant (回避) and may not mark them.")
                        % {"judge": judge}, "裁判编号", judge_code)
            elif aspect is not None and aspect not in plan.aspects_for(judge, contestant):
                problem(_("%(judge)s is not on a panel marking %(aspect)s at this station.")
                        % {"judge": judge, "aspect": aspect.code}, "裁判编号", judge_code)
        if len(found) > before:
            continue
        slot = (contestant.pk, aspect.pk, None if aspect.type == AspectType.MEASUREMENT else judge.pk)
        if slot in seen:
            problem(_("This mark is already on row %(row)s.") % {"row": seen[slot]}, "评分项", aspect_code)
            continue
        seen[slot] = row
        mark = stored.get(slot)
        if mark is None and contestant.signed_off:
            problem(_("Station %(station)s is signed off and its marks are locked: no mark of %(aspect)s can be "
                      "given or changed until the chief judge unlocks it.")
                    % {"station": contestant.station_number, "aspect": aspect.code}, "评分项", aspect_code)
            continue
        if mark is not None and mark.locked and mark.value != value:
            problem(_("The marks of this station are signed off and locked; the chief judge must unlock "
                      "%(aspect)s first.") % {"aspect": aspect.code}, "分数", sheets.text(raw))
            continue
        items.append((contestant, aspect, judge, value))
    if not items and not found:
        found.append(Problem(_("The file has no marks."), row=2))
    if found:
        raise Rejected(_("No mark was imported: every problem is listed."), found)
    marking.ensure_frozen(actor, scheme)
    reason = _("Imported judges' marks")
    counts = marking.write_marks(actor, items, source=MarkSource.IMPORT, reason=reason)
    audit.record(actor, "judging.marks_import", competition, reason=reason, data={"stage": stage.key, **counts})
    return counts


def _contestant(cell, people, by_person, by_number, by_station, problem, *, allow_absent=False):
    """The row's contestant from whichever column names it (they must agree)."""
    candidates = []
    raw_id = cell("id_number")
    if not sheets.is_blank(raw_id):
        try:
            text = sheets.id_text(raw_id)
        except sheets.NumberIdCell as error:
            problem(error.message, "身份证号", sheets.text(raw_id))
            return None
        person = people.get(text)
        found = by_person.get(person) if person else None
        if found is None:
            problem(_("No approved entry of this stage has this identity number."), "身份证号", text)
            return None
        candidates.append(found)
    for key, column, index, label in (("contestant_number", "参赛号", by_number, _("contestant number")),
                                      ("station_number", "赛位号", by_station, _("station number"))):
        raw = cell(key)
        if sheets.is_blank(raw):
            continue
        try:
            number = sheets.integer(raw)
        except ValueError as error:
            problem(sheets.number_message(error, _("“%(value)s” is not a whole number.") % {"value": sheets.text(raw)}),
                    column, sheets.text(raw))
            return None
        found = index.get(number)
        if found is None:
            problem(_("No contestant of this stage has %(what)s %(number)s.") % {"what": label, "number": number},
                    column, number)
            return None
        candidates.append(found)
    if not candidates:
        problem(_("Name the contestant by 身份证号, 参赛号 or 赛位号."), "参赛号")
        return None
    if any(c.pk != candidates[0].pk for c in candidates):
        problem(_("The identity number and the numbers on this row name different contestants."), "参赛号")
        return None
    contestant = candidates[0]
    if contestant.checkin == CheckIn.ABSENT and not allow_absent:
        problem(_("This contestant is recorded absent and has no marks."), "参赛号")
        return None
    return contestant


# --------------------------------------------------------------------------
# The venue's files: check-in lists and practical times
# --------------------------------------------------------------------------

CHECKIN_COLUMNS = [
    sheets.Column("contestant_number", "参赛号", text=True, width=8),
    sheets.Column("id_number", "身份证号", text=True, width=20),
    sheets.Column("id_last4", "身份证后四位", text=True, width=12),
    sheets.Column("checkin", "检录", width=10, aliases=("状态",), choices=("已检录", "缺考")),
    sheets.Column("reason", "原因", width=24, aliases=("缺考原因",)),
]
PRESENT_WORDS = {"", "已检录", "检录", "到场", "present"}
ABSENT_WORDS = {"缺考", "absent"}
TIME_COLUMNS = [
    sheets.Column("contestant_number", "参赛号", text=True, width=8),
    sheets.Column("id_number", "身份证号", text=True, width=20),
    sheets.Column("station_number", "赛位号", text=True, width=8, aliases=("工位号",)),
    sheets.Column("time", "用时", required=True, width=10, aliases=("用时(秒)", "用时（秒）", "seconds", "time")),
    sheets.Column("reason", "原因", width=24),
]


def _venue_rows(stage, table, columns):
    """Match the columns, then yield (row, cell, problem, contestant) for every data row; the
    contestant is None when the row names none (the problem is reported)."""
    mapping, found = sheets.match_columns(table, columns)
    if not any(key in mapping for key in WHO):
        found.append(Problem(_("Name the contestants with a 身份证号 or 参赛号 column."), row=1, code="missing_column"))
    if found:
        raise Rejected(_("The file's columns do not match the template."), found)
    contestants = list(venue.contestants(stage).select_related("entry__unit", "entry__person"))
    by_person = {c.entry.person_id: c for c in contestants}
    by_number = {c.contestant_number: c for c in contestants if c.contestant_number is not None}
    by_station = {c.station_number: c for c in contestants if c.station_number is not None}
    people = _people_by_id(table, mapping)
    seen = {}
    rows = []
    for row, cells in table.data_rows():
        def cell(key, cells=cells):
            index = mapping.get(key)
            return cells[index] if index is not None else ""

        def problem(message, column, value=None, row=row):
            found.append(Problem(message, row=row, column=column, value=value))

        contestant = _contestant(cell, people, by_person, by_number, by_station, problem, allow_absent=True)
        if contestant is not None and contestant.pk in seen:
            problem(_("This contestant is already on row %(row)s.") % {"row": seen[contestant.pk]}, "参赛号")
            contestant = None
        if contestant is not None:
            seen[contestant.pk] = row
        rows.append((row, cell, problem, contestant))
    if not rows:
        found.append(Problem(_("The file has no data rows."), row=2))
    return rows, found


def import_checkin(actor, stage, table):
    """Check-in from the venue's list: each row names a contestant (参赛号 or 身份证号) and
    says 已检录 (the default) or 缺考 with a reason. A full identity number confirms the
    identity; a 身份证后四位 column, when there, must match. All or nothing.
    Returns {"present", "absent", "unchanged"}."""
    with transaction.atomic():
        rows, found = _venue_rows(stage, table, CHECKIN_COLUMNS)
        counts = {"present": 0, "absent": 0, "unchanged": 0}
        for _row, cell, problem, contestant in rows:
            state = sheets.text(cell("checkin")).casefold()
            if state not in PRESENT_WORDS | ABSENT_WORDS:
                problem(_("Check-in is 已检录 or 缺考."), "检录", sheets.text(cell("checkin")))
                continue
            if contestant is None:
                continue
            last4 = sheets.text(cell("id_last4")).upper()
            try:
                before = contestant.checkin
                if state in ABSENT_WORDS:
                    after = venue.mark_absent(actor, contestant, reason=sheets.text(cell("reason"))).checkin
                elif last4:
                    after = venue.check_in(actor, contestant, id_last4=last4).checkin
                else:
                    how = "id_number" if not sheets.is_blank(cell("id_number")) else "list"
                    after = venue.check_in_listed(actor, contestant, how=how).checkin
            except UserError as error:
                problem(error.message, "检录")
                continue
            counts["unchanged" if after == before else ("absent" if state in ABSENT_WORDS else "present")] += 1
        if found:
            raise Rejected(_("Nobody was checked in: every problem is listed."), found)
        audit.record(actor, "judging.checkin_import", stage.competition, data={"stage": stage.key, **counts})
        return counts


def import_times(actor, stage, table, *, allowed=None):
    """Practical times from a file: each row names a contestant (参赛号, 身份证号 or 赛位号)
    and gives 用时 in seconds (or minutes:seconds); a changed time of a signed-off station
    needs a 原因. `allowed(contestant)` says whether the actor may record this contestant's
    time (a chief judge in conflict of interest may not). All or nothing.
    Returns {"recorded", "unchanged"}."""
    with transaction.atomic():
        rows, found = _venue_rows(stage, table, TIME_COLUMNS)
        counts = {"recorded": 0, "unchanged": 0}
        for _row, cell, problem, contestant in rows:
            raw = sheets.text(cell("time"))
            try:
                seconds = venue.parse_duration(raw)
            except UserError as error:
                problem(error.message, "用时", raw)
                continue
            if contestant is None:
                continue
            if allowed is not None and not allowed(contestant):
                problem(_("You may not record this contestant's time (conflict of interest or no right to)."),
                        "参赛号")
                continue
            before = contestant.time_seconds
            try:
                venue.record_time(actor, contestant, seconds, reason=sheets.text(cell("reason")))
            except UserError as error:
                problem(error.message, "用时", raw)
                continue
            counts["unchanged" if before == seconds else "recorded"] += 1
        if found:
            raise Rejected(_("No time was recorded: every problem is listed."), found)
        audit.record(actor, "judging.times_import", stage.competition, data={"stage": stage.key, **counts})
        return counts


def checkin_template_xlsx():
    return sheets.xlsx_bytes(CHECKIN_COLUMNS, [["1", "", "", "已检录", ""], ["2", "", "", "缺考", "病假"]],
                             sheet_name="检录", notes=[
                                 _("Name each contestant by 参赛号 or 身份证号; 检录 is 已检录 (the default) or 缺考."),
                                 _("A 身份证后四位 column, when filled in, must match the identity number on record."),
                             ])


def times_template_xlsx():
    return sheets.xlsx_bytes(TIME_COLUMNS, [["1", "", "", "3150", ""], ["", "", "2", "52:30", ""]],
                             sheet_name="用时", notes=[
                                 _("Name each contestant by 参赛号, 赛位号 or 身份证号; 用时 in seconds or "
                                   "minutes:seconds."),
                                 _("Changing the time of a signed-off station needs a 原因 (reason)."),
                             ])

