import csv
import time
from pathlib import Path

from django.utils import timezone
from django.utils.translation import gettext as _

from jingsai.core import spreadsheets as sheets
from jingsai.core.commands import JingsaiCommand
from jingsai.exams import services
from jingsai.exams.models import AttemptStatus, ExamSession
from jingsai.judging.management.commands._common import competition_and_stage


def _local(value):
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else ""


class Command(JingsaiCommand):
    help = _("Theory exams: list a competition's exam sessions, write a session's results, and hand in every "
             "attempt whose time and grace period are over.")

    def add_command_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        sweep = sub.add_parser("sweep", help=_("hand in attempts whose time is up"))
        sweep.add_argument("--every", type=int, default=0,
                           help=_("keep running, sweeping every N seconds (for a service or a container)"))
        listing = sub.add_parser("sessions", help=_("list a competition's exam sessions with their attempts"))
        listing.add_argument("code")
        results = sub.add_parser("results", help=_("write a session's attempts and scores to an xlsx or csv file"))
        results.add_argument("session", type=int)
        results.add_argument("--out", required=True, help=_("the file to write (.xlsx or .csv)"))

    def run(self, action, **options):
        getattr(self, f"do_{action}")(**options)

    def do_sweep(self, every=0, **options):
        while True:
            done = services.sweep()
            if done or not every:
                self.stdout.write(_("Handed in %(n)s attempts whose time was up.") % {"n": done})
            if not every:
                return
            time.sleep(every)

    def do_sessions(self, code, **options):
        competition, _stage = competition_and_stage(self, code, need_stage=False)
        self.require("exams.invigilate", competition)
        sessions = ExamSession.objects.filter(competition=competition).select_related("paper").order_by("opens_at")
        if not sessions:
            self.stdout.write(_("The competition has no exam sessions."))
            return
        for session in sessions:
            counts = dict.fromkeys(AttemptStatus.values, 0)
            for status in session.attempts.values_list("status", flat=True):
                counts[status] += 1
            self.stdout.write(_("%(id)s  %(name)s  %(opens)s – %(closes)s, %(minutes)s min, paper %(paper)s: "
                                "%(running)s in progress, %(submitted)s to grade, %(graded)s graded") % {
                "id": session.pk, "name": session.name, "opens": _local(session.opens_at),
                "closes": _local(session.closes_at), "minutes": session.duration_minutes, "paper": session.paper,
                "running": counts[AttemptStatus.IN_PROGRESS], "submitted": counts[AttemptStatus.SUBMITTED],
                "graded": counts[AttemptStatus.GRADED]})

    def do_results(self, session, out, **options):
        item = ExamSession.objects.select_related("competition__host", "paper", "stage").filter(pk=session).first()
        if item is None:
            self.fail(_("No exam session has the number %(id)s.") % {"id": session})
        self.require("exams.invigilate", item)
        columns, rows = services.session_results(item)
        path = Path(out)
        try:
            if path.suffix.lower() == ".csv":
                with path.open("w", newline="", encoding="utf-8-sig") as handle:
                    writer = csv.writer(handle)
                    writer.writerow(columns)
                    writer.writerows([[_local(v) if hasattr(v, "tzinfo") else ("" if v is None else v) for v in row]
                                      for row in rows])
            elif path.suffix.lower() == ".xlsx":
                path.write_bytes(sheets.xlsx_bytes(columns, rows, sheet_name="理论考试成绩"))
            else:
                self.fail(_("Name an .xlsx or .csv file to write."))
        except OSError as error:
            self.fail(_("Could not write %(file)s: %(error)s") % {"file": out, "error": error.strerror or error})
        self.stdout.write(_("Wrote %(count)s attempts to %(file)s.") % {"count": len(rows), "file": out})
