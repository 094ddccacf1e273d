import csv
import json
import time
from pathlib import Path

import pydantic
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _

from jingsai.api import input_problems
from jingsai.competitions.models import Stage
from jingsai.core import spreadsheets as sheets
from jingsai.core.commands import JingsaiCommand
from jingsai.core.errors import Rejected
from jingsai.core.files import replacing, write_file
from jingsai.core.middleware import holds_nul
from jingsai.exams import analysis, services
from jingsai.exams.api import PaperIn, SessionIn, SessionPatch
from jingsai.exams.models import AttemptStatus, Bank, EndedBy, ExamSession, Paper
from jingsai.judging.management.commands._common import competition_and_stage


def _local(value):
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else ""


def _size(paper):
    points = services.paper_total(paper)
    return {"count": sum(s.count for s in paper.sections.all()),
            "points": format(points.normalize(), "f") if points else "0"}


class Command(JingsaiCommand):
    help = _("Theory exams: make papers and exam sessions from JSON files and change sessions, give a candidate "
             "extra time, void an attempt so the candidate sits again, list a competition's papers and sessions, "
             "write a session's results and its item analysis, report practice activity, and hand in every "
             "attempt whose time and grace period are over.")

    def add_command_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        sweep = sub.add_parser("sweep", help=_("hand in attempts whose time is up"))
        sweep.add_argument("--every", type=int, default=0,
                           help=_("keep running, sweeping every N seconds (for a service or a container)"))
        paper = sub.add_parser("create-paper", help=_("make a paper from a JSON file (the body of POST "
                                                      "/api/exams/papers; the bank may be named by occupation and "
                                                      "level instead of its number)"))
        paper.add_argument("file")
        session = sub.add_parser("create-session", help=_("make an exam session from a JSON file (the body of POST "
                                                          "/api/exams/sessions; times without a zone are local)"))
        session.add_argument("file")
        change = sub.add_parser("update-session", help=_("change an exam session from a JSON file (the body of PATCH "
                                                         "/api/exams/sessions/ID; times without a zone are local)"))
        change.add_argument("session", type=int)
        change.add_argument("file")
        extra = _for_candidate(sub, "allowance", _("give one candidate extra time (an attempt already running gets "
                                                   "the difference)"))
        extra.add_argument("--minutes", type=int, required=True, help=_("extra minutes in all, 0 to 600"))
        given = sub.add_parser("allowances", help=_("list the extra time that counts in a session: given there, or "
                                                    "in another sitting of the exam"))
        given.add_argument("session", type=int)
        stretch = _for_candidate(sub, "extend", _("give a candidate's running attempt more time (or, with negative "
                                                  "minutes, take back a mistake), as the live list does"))
        stretch.add_argument("--minutes", type=int, required=True, help=_("-120 to 300, not 0"))
        _for_candidate(sub, "end", _("end a candidate's running attempt now (handed in and graded), as the live "
                                     "list does"))
        _for_candidate(sub, "void", _("void a candidate's attempt so they sit the exam again (their computer "
                                      "failed, the power went); it stays on record and no longer counts"))
        items = sub.add_parser("items", help=_("item analysis of a session: each question's difficulty and "
                                               "discrimination, and the options chosen"))
        items.add_argument("session", type=int)
        items.add_argument("--by", choices=["question", "knowledge-point"], default="question",
                           help=_("one row per question (the default) or per knowledge point; an .xlsx file "
                                  "holds both"))
        items.add_argument("--out", help=_("write to this .xlsx or .csv file instead of printing"))
        papers = sub.add_parser("papers", help=_("list a competition's papers"))
        papers.add_argument("code")
        listing = sub.add_parser("sessions", help=_("list a competition's exam sessions with their attempts"))
        listing.add_argument("code")
        results = sub.add_parser("results", help=_("write a session's attempts and scores to an xlsx or csv file"))
        results.add_argument("session", type=int)
        results.add_argument("--out", required=True, help=_("the file to write (.xlsx or .csv)"))
        practice = sub.add_parser("practice-stats", help=_("practice activity (岗位练兵) by unit or by group: people, "
                                                           "rounds, answers, right answers, accuracy"))
        practice.add_argument("--by", choices=["unit", "group"], default="unit")
        practice.add_argument("--days", type=int, default=30, help=_("answers given in the last N days (1 to 366)"))
        practice.add_argument("--bank", type=int, help=_("one question bank (its number) instead of every bank"))
        practice.add_argument("--out", help=_("write to this .xlsx or .csv file instead of printing"))

    def run(self, action, **options):
        getattr(self, f"do_{action.replace('-', '_')}")(**options)

    def do_sweep(self, every=0, **options):
        while True:
            done = services.sweep()
            if done or not every:
                self.stdout.write(_("Handed in %(n)s attempts whose time was up.") % {"n": done})
            if not every:
                return
            time.sleep(every)

    def _read_json(self, file):
        path = Path(file)
        if not path.is_file():
            self.fail(_("The file %(file)s does not exist.") % {"file": file})
        try:
            data = json.loads(path.read_bytes().decode("utf-8-sig"))
        except (UnicodeDecodeError, ValueError) as error:
            self.fail(_("%(file)s is not valid JSON: %(error)s") % {"file": file, "error": error})
        if not isinstance(data, dict):
            self.fail(_("%(file)s must hold one JSON object.") % {"file": file})
        if holds_nul(data):
            self.fail(_("%(file)s holds a NUL character (\\u0000), which cannot be stored.") % {"file": file})
        return data

    def _validate(self, schema, data, file):
        try:
            return schema.model_validate(data)
        except pydantic.ValidationError as error:
            raise Rejected(_("%(file)s does not describe a valid item; nothing was made.") % {"file": file},
                           input_problems(error.errors())) from None

    def do_create_paper(self, file, **options):
        data = self._read_json(file)
        if "bank" not in data and {"occupation", "level"} <= set(data):
            level = str(data["level"]).strip()
            occupation = str(data["occupation"]).strip()  # as the questions command and the page read it
            bank = (Bank.objects.filter(occupation=occupation, level=int(level)).first()
                    if level.isascii() and level.isdecimal() and len(level) < 4 else None)
            if bank is None:
                self.fail(_("There is no question bank for %(occupation)s at level %(level)s.")
                          % {"occupation": data["occupation"], "level": data["level"]})
            data = {**data, "bank": bank.pk}
        spec = self._validate(PaperIn, data, file)
        competition, _stage = competition_and_stage(self, spec.competition, need_stage=False)
        bank = Bank.objects.select_related("owner").filter(pk=spec.bank).first()
        if bank is None:
            self.fail(_("No question bank has the number %(id)s.") % {"id": spec.bank})
        self.require("exams.manage", competition)
        self.require("exams.view_bank", bank)
        paper = services.save_paper(self.user, competition=competition, bank=bank, **spec.paper_fields())
        self.stdout.write(_("Made paper %(id)s “%(name)s”: %(count)s questions, %(points)s points.") % {
            "id": paper.pk, "name": paper.name, **_size(paper)})

    def do_create_session(self, file, **options):
        data = self._validate(SessionIn, self._read_json(file), file)
        competition, _stage = competition_and_stage(self, data.competition, need_stage=False)
        self.require("exams.manage", competition)
        paper = Paper.objects.filter(pk=data.paper, competition=competition).first()
        if paper is None:
            self.fail(_("The competition has no paper number %(id)s.") % {"id": data.paper})
        stage = None
        if data.stage:
            stage = Stage.objects.filter(competition=competition, key=data.stage).first()
            if stage is None:
                self.fail(_("The competition has no stage “%(key)s”.") % {"key": data.stage})
        fields = data.dict(exclude={"competition", "paper", "stage"})
        for name in ("opens_at", "closes_at"):
            if timezone.is_naive(fields[name]):
                fields[name] = timezone.make_aware(fields[name])
        session = services.create_session(self.user, competition, paper=paper, stage=stage, **fields)
        self.stdout.write(_("Made exam session %(id)s “%(name)s”: %(opens)s – %(closes)s, %(minutes)s min.") % {
            "id": session.pk, "name": session.name, "opens": _local(session.opens_at),
            "closes": _local(session.closes_at), "minutes": session.duration_minutes})

    def _session(self, number, perm):
        session = ExamSession.objects.select_related("competition__host", "paper", "stage").filter(pk=number).first()
        if session is None:
            self.fail(_("No exam session has the number %(id)s.") % {"id": number})
        self.require(perm, session)
        return session

    def do_update_session(self, session, file, **options):
        item = self._session(session, "exams.manage")
        data = self._validate(SessionPatch, self._read_json(file), file)
        changes = services.update_session(self.user, item, reason=data.reason, **data.changes())
        self.stdout.write(_("Changed: %(fields)s.") % {"fields": ", ".join(changes)} if changes
                          else _("Nothing changed."))

    def do_allowance(self, session, entry, minutes, reason, stage=None, **options):
        item = self._session(session, "exams.invigilate")
        candidate = services.candidate_by_number(item, entry, stage)
        services.set_allowance(self.user, item, candidate, minutes, reason=reason)
        self.stdout.write(_("%(name)s (entry %(n)s) has %(minutes)s extra minutes in “%(session)s”.") % {
            "name": candidate.person.name, "n": entry, "minutes": minutes, "session": item.name})
        if services.handed_in(item, candidate):
            self.stdout.write(_("They have already handed in: the extra time counts only if they sit the exam "
                                "again."))

    def _attempt(self, item, entry, stage, missing):
        """(candidate, their attempt in the session) by entry number, or the message `missing`."""
        # Someone who started and whose entry was withdrawn since is on the live list too.
        candidate = services.candidate_by_number(item, entry, stage, or_started=True)
        attempt = services.current_attempt(item, candidate)
        if attempt is None:
            self.fail(missing % {"name": candidate.person.name, "n": entry, "session": item.name})
        return candidate, attempt

    def do_extend(self, session, entry, minutes, reason, stage=None, **options):
        item = self._session(session, "exams.invigilate")
        candidate, attempt = self._attempt(item, entry, stage, _("%(name)s (entry %(n)s) has not started "
                                                                 "“%(session)s”."))
        attempt = services.extend(self.user, attempt, minutes, reason=reason)
        self.stdout.write(_("%(name)s (entry %(n)s) now has until %(time)s in “%(session)s”.") % {
            "name": candidate.person.name, "n": entry, "session": item.name,
            "time": timezone.localtime(attempt.deadline).strftime("%H:%M:%S")})

    def do_end(self, session, entry, reason, stage=None, **options):
        item = self._session(session, "exams.invigilate")
        candidate, attempt = self._attempt(item, entry, stage, _("%(name)s (entry %(n)s) has not started "
                                                                 "“%(session)s”."))
        ended = services.end_attempt(self.user, attempt, reason=reason)
        if ended.ended_by == EndedBy.TIMEOUT:  # in the grace period: recorded as the time-out it was
            self.stdout.write(_("The time of %(name)s (entry %(n)s) in “%(session)s” was already up: the attempt was "
                                "handed in as a time-out.") % {"name": candidate.person.name, "n": entry,
                                                               "session": item.name})
            return
        self.stdout.write(_("Ended the attempt of %(name)s (entry %(n)s) in “%(session)s”.") % {
            "name": candidate.person.name, "n": entry, "session": item.name})

    def do_void(self, session, entry, reason, stage=None, **options):
        item = self._session(session, "exams.manage")
        candidate, attempt = self._attempt(item, entry, stage, _("%(name)s (entry %(n)s) has no attempt in "
                                                                 "“%(session)s” to void."))
        services.void_attempt(self.user, attempt, reason=reason)
        self.stdout.write(_("Voided the attempt of %(name)s (entry %(n)s) in “%(session)s”: they can start the exam "
                            "again.") % {"name": candidate.person.name, "n": entry, "session": item.name})

    def do_items(self, session, by="question", out=None, **options):
        item = self._session(session, "exams.manage")
        by_question, by_point = analysis.tables(item)
        asked, other = (by_point, by_question) if by == "knowledge-point" else (by_question, by_point)
        name, columns, rows = asked
        if out:  # an .xlsx file holds both sheets, the one asked for first
            self._write_table(out, columns, rows, name, more_sheets=[other])
            self.stdout.write(_("Wrote the analysis of %(n)s questions to %(file)s.") % {
                "n": len(by_question[2]), "file": out})
            return
        if not rows:
            self.stdout.write(_("No graded attempt yet."))
            return
        self.stdout.write("  ".join(columns))
        for row in rows:
            self.stdout.write("  ".join("—" if value is None else str(value) for value in row).rstrip())

    def do_papers(self, code, **options):
        competition, _stage = competition_and_stage(self, code, need_stage=False)
        self.require("exams.manage", competition)
        papers = (Paper.objects.filter(competition=competition).select_related("bank").prefetch_related("sections")
                  .order_by("pk"))
        if not papers:
            self.stdout.write(_("The competition has no papers."))
            return
        for paper in papers:
            self.stdout.write(_("%(id)s  %(name)s  (%(kind)s, bank “%(bank)s”): %(count)s questions, %(points)s "
                                "points") % {
                "id": paper.pk, "name": paper.name, "kind": paper.get_kind_display(), "bank": paper.bank.name,
                **_size(paper)})

    def do_allowances(self, session, **options):
        item = self._session(session, "exams.invigilate")
        rows = services.session_allowances(item)
        if not rows:
            self.stdout.write(_("Nobody has extra time in “%(session)s”.") % {"session": item.name})
        for allowance in rows:
            entry = allowance.shown_entry
            line = _("%(n)s  %(name)s  +%(minutes)s min  %(reason)s") % {
                "n": entry.number if item.stage_id else f"{entry.stage.key} {entry.number}",
                "name": entry.person.name, "minutes": allowance.extra_minutes, "reason": allowance.reason}
            if allowance.carried:
                line += " " + _("(given in “%(sitting)s”)") % {"sitting": allowance.session.name}
            self.stdout.write(line)

    def do_sessions(self, code, **options):
        competition, _stage = competition_and_stage(self, code, need_stage=False)
        self.require("exams.invigilate", competition)
        sessions = ExamSession.objects.filter(competition=competition).select_related("paper").order_by("opens_at")
        if not sessions:
            self.stdout.write(_("The competition has no exam sessions."))
            return
        for session in sessions:
            # Attempts whose time and grace are over are handed in first, as the session's
            # page and the live list do: counted as they are, they would still be "in progress".
            services.sweep(session=session)
            counts = dict.fromkeys(AttemptStatus.values, 0)
            counts |= dict(session.attempts.order_by().values_list("status").annotate(n=Count("pk")))
            self.stdout.write(_("%(id)s  %(name)s  %(opens)s – %(closes)s (%(window)s), %(minutes)s min, paper "
                                "%(paper)s: %(running)s in progress, %(submitted)s to grade, %(graded)s graded, "
                                "%(voided)s voided") % {
                "id": session.pk, "name": session.name, "opens": _local(session.opens_at),
                "window": session.window().label,
                "closes": _local(session.closes_at), "minutes": session.duration_minutes, "paper": session.paper,
                "running": counts[AttemptStatus.IN_PROGRESS], "submitted": counts[AttemptStatus.SUBMITTED],
                "graded": counts[AttemptStatus.GRADED], "voided": counts[AttemptStatus.VOIDED]})

    def _write_table(self, out, columns, rows, sheet_name, more_sheets=()):
        """`rows` to an .xlsx or .csv file; an .xlsx file also holds `more_sheets`."""
        path = Path(out)
        if path.suffix.lower() == ".csv":
            with replacing(path, "w", newline="", encoding="utf-8-sig") as handle:
                writer = csv.writer(handle)
                writer.writerow(columns)
                writer.writerows([[_local(v) if hasattr(v, "tzinfo") else ("" if v is None else v) for v in row]
                                  for row in rows])
        elif path.suffix.lower() == ".xlsx":
            write_file(path, sheets.xlsx_bytes(columns, rows, sheet_name=sheet_name, more_sheets=more_sheets))
        else:
            self.fail(_("Name an .xlsx or .csv file to write."))

    def do_results(self, session, out, **options):
        item = self._session(session, "exams.invigilate")
        columns, rows = services.session_results(item)
        self._write_table(out, columns, rows, "理论考试成绩")
        self.stdout.write(_("Wrote %(count)s attempts to %(file)s.") % {"count": len(rows), "file": out})

    def do_practice_stats(self, by="unit", days=30, bank=None, out=None, **options):
        self.require("exams.view_practice_stats")
        if not 1 <= days <= 366:
            self.fail(_("Give the number of days as 1 to 366."))
        if bank is not None and not (0 < bank < 2**63 and Bank.objects.filter(pk=bank).exists()):
            self.fail(_("No question bank has the number %(id)s.") % {"id": bank})
        items, days = services.practice_items(self.user if self.checked else None, days=days, bank=bank)
        columns, rows = services.practice_table(services.practice_activity(items, by=by), by)
        if out:
            self._write_table(out, columns, rows, "岗位练兵")
            self.stdout.write(_("Wrote %(count)s rows to %(file)s.") % {"count": len(rows), "file": out})
            return
        if not rows:
            self.stdout.write(_("No practice in the last %(days)s days.") % {"days": days})
            return
        self.stdout.write("\t".join(columns))
        for row in rows:
            self.stdout.write("\t".join("" if v is None else str(v) for v in row))


def _for_candidate(sub, name, help_text):
    """A subcommand that acts on one candidate of a session, named by entry number, with a
    reason for the audit record (allowance, extend, end, void)."""
    parser = sub.add_parser(name, help=help_text)
    parser.add_argument("session", type=int)
    parser.add_argument("--entry", type=int, required=True, help=_("the candidate's entry number"))
    parser.add_argument("--stage", help=_("the candidate's stage (its key), where a session open to every stage "
                                          "has candidates of several stages with this number"))
    parser.add_argument("--reason", required=True, help=_("why (kept in the audit record)"))
    return parser
