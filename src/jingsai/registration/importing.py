"""Registration files: reading the rows into candidates, the template, the error file,
and imports too large for a request, run as background jobs."""

import hashlib
import re

from django.db import transaction
from django.utils.translation import gettext as _

from jingsai.core import idnumber, jobs
from jingsai.core import spreadsheets as sheets
from jingsai.core.errors import Problem, Rejected
from jingsai.people.models import PHONE_RE, GroupTag, id_digest

from . import columns as cols
from . import planning
from .models import EntrySource

# Files with more data rows than this are imported by the task worker, with a progress bar.
BACKGROUND_ROWS = 2000
GROUP_SEPARATORS = re.compile(r"[,，、;；\s]+")


def parse_table(table, competition, stage, progress=None):
    """Candidates for every row whose identity number can be read, and the problems of
    every cell that cannot be used (all of them, not the first). Reading is the first
    half of an import's progress."""
    mapping, problems = sheets.match_columns(table, cols.columns_for(competition, stage, reading=True))
    if problems:
        return [], problems
    tags = {}
    for tag in GroupTag.objects.all():
        tags[tag.name] = tags[tag.code] = tag.pk
    index = {key: mapping.get(key) for key in ("name", "id_number", "phone", "unit_code", "level", "status",
                                                "groups", "team", "scope")}
    text, id_text, parse_id, normalize, digest = (sheets.text, sheets.id_text, idnumber.parse, idnumber.normalize,
                                                  id_digest)
    level_values, status_values = cols.LEVEL_VALUES, cols.STATUS_VALUES
    candidates = []

    def bad(row, column, value, message, code="invalid"):
        problems.append(Problem(message, row=row, column=column.label, value=value, code=code))

    def cell(cells, key):
        position = index[key]
        return text(cells[position]) if position is not None else ""

    report = progress or (lambda *args, **kwargs: None)
    for row, cells in table.data_rows():
        if row % 5000 == 0:
            report(row // 2)
        name = cell(cells, "name")
        if not name:
            bad(row, cols.NAME, "", _("The name is empty."))
        elif len(name) > 50:
            bad(row, cols.NAME, name, _("A name is at most 50 characters."))
        parsed = None
        raw_id = cells[index["id_number"]]
        try:
            parsed = parse_id(id_text(raw_id))
        except sheets.NumberIdCell as error:
            bad(row, cols.ID_NUMBER, error.shown, error.message, code=f"id_number.{error.code}")
        except idnumber.InvalidIdNumber as error:
            bad(row, cols.ID_NUMBER, text(raw_id), error.message, code=f"id_number.{error.code}")
        phone = cell(cells, "phone")
        if phone:
            phone = normalize(phone).replace("-", "").removeprefix("+86")
            if not PHONE_RE.match(phone):
                bad(row, cols.PHONE, cell(cells, "phone"),
                    _("“%(value)s” is not a mainland mobile number (11 digits starting with 1).")
                    % {"value": cell(cells, "phone")})
        level = planning.MISSING
        raw_level = cell(cells, "level")
        if raw_level:
            level = level_values.get(raw_level.replace(" ", ""), level_values.get(raw_level.casefold(), False))
            if level is False:
                bad(row, cols.LEVEL, raw_level, _(
                    "Unknown skill level; write 1 to 5, a level name such as 三级/高级工, or 无."))
        status = planning.MISSING
        raw_status = cell(cells, "status")
        if raw_status:
            status = status_values.get(raw_status.casefold())
            if status is None:
                bad(row, cols.STATUS, raw_status, _("The status must be 职工 or 学生."))
        group_ids = ()
        raw_groups = cell(cells, "groups")
        if raw_groups:
            names = [n for n in GROUP_SEPARATORS.split(raw_groups) if n]
            unknown = [n for n in names if n not in tags]
            if unknown:
                bad(row, cols.GROUPS, raw_groups, _("Unknown group: %(names)s. Known groups: %(known)s.") % {
                    "names": "、".join(unknown),
                    "known": "、".join(GroupTag.objects.values_list("name", flat=True))})
            group_ids = tuple(dict.fromkeys(tags[n] for n in names if n in tags))
        if parsed is None:
            continue
        candidates.append(planning.Candidate(
            row=row, name=name, parsed=parsed, digest=digest(parsed.value), phone=phone,
            unit_code=cell(cells, "unit_code"), level=level, worker_status=status, group_ids=group_ids,
            team=cell(cells, "team"), scope_code=cell(cells, "scope"),
        ))
    return candidates, problems


def check_table(actor, competition, stage, table, progress=None):
    """The plan for a whole table, with the problems of its cells and of its rows."""
    candidates, problems = parse_table(table, competition, stage, progress=progress)
    if not candidates and not problems:
        problems.append(Problem(_("The file has a header row but no data rows."), row=2, code="empty"))
    if problems and not candidates:
        raise Rejected(_("Nothing was registered: %(count)s problems were found.") % {"count": len(problems)},
                       problems)
    result = planning.plan(actor, competition, stage, candidates, source=EntrySource.IMPORT)
    result.problems = sorted(problems + result.problems, key=lambda p: (p.row or 0))
    return result


def import_table(actor, competition, stage, table, *, filename, sha256="", dry_run=False, progress=None):
    """Register every row of the table, or none (every problem is raised at once, in a
    Rejected). With dry_run, checks the same and writes nothing. Returns the summary."""
    report = progress or (lambda *args, **kwargs: None)
    report(0, None, _("Checking the file"), force=True)
    # Checked outside the writing transaction, so that the job's progress is seen while
    # it checks; apply() catches what changed in between (the same person registered).
    result = check_table(actor, competition, stage, table, progress=report)
    planning.reject_if_problems(result)
    summary = result.summary()
    if not dry_run:
        report(len(result.candidates) // 2, None, _("Writing %(count)s entries") % {"count": len(result.candidates)},
               force=True)
        planning.apply(result, batch={"filename": filename, "sha256": sha256})
        summary["batch"] = result.batch.pk
    summary["dry_run"] = dry_run
    summary["summary"] = describe(summary)
    return summary


def describe(summary):
    text = (_("Checked %(rows)s rows; nothing was written.") if summary.get("dry_run")
            else _("Registered %(rows)s rows.")) % {"rows": summary["rows"]}
    return text + " " + _(
        "New workers: %(people_created)s; workers already on the platform: %(people_found)s; new entries: "
        "%(entries_created)s; entries submitted again: %(entries_reactivated)s; new teams: %(teams_created)s."
    ) % summary


def error_xlsx(table, problems):
    """The uploaded table with an error column (problems of the header row on top)."""
    return sheets.problems_xlsx(table, sheets.problems_by_row(problems, with_column=True))


def sha256(data):
    return hashlib.sha256(data).hexdigest()


def start_import(actor, competition, stage, data, filename, *, dry_run=False):
    """Import an upload: in the request when small (returns ("done", summary)), else as
    a background job (returns ("job", job)). A Rejected carries `table` for the error file."""
    table = sheets.read_table(data, filename)
    rows = sum(1 for _row in table.data_rows())
    if rows <= BACKGROUND_ROWS:
        try:
            return "done", import_table(actor, competition, stage, table, filename=filename, sha256=sha256(data),
                                        dry_run=dry_run)
        except Rejected as rejected:
            rejected.table = table
            raise
    planning.check_window(actor, competition, stage, self_service=False)
    title = (_("Checking %(file)s for %(competition)s") if dry_run
             else _("Importing %(file)s into %(competition)s")) % {"file": filename, "competition": competition.name}
    # The upload is in place before the job is queued, which happens on commit.
    with transaction.atomic():
        job = jobs.start(kind="registration.import", title=title, func="jingsai.registration.importing.run_job",
                         actor=actor, total=rows, params={
                             "competition": competition.pk, "stage": stage.pk, "filename": filename,
                             "dry_run": dry_run, "sha256": sha256(data)})
        (jobs.job_dir(job) / "upload").write_bytes(data)
    return "job", job


def run_job(job, progress, *, competition, stage, filename, dry_run, sha256):
    from jingsai.competitions.models import Competition, Stage

    competition = Competition.objects.select_related("host").get(pk=competition)
    stage = Stage.objects.get(pk=stage)
    data = (jobs.job_dir(job) / "upload").read_bytes()
    table = sheets.read_table(data, filename)
    try:
        return import_table(job.created_by, competition, stage, table, filename=filename, sha256=sha256,
                            dry_run=dry_run, progress=progress)
    except Rejected as rejected:
        if rejected.code != "unreadable":
            jobs.save_file(job, sheets.error_filename(filename), error_xlsx(table, rejected.problems))
        raise
