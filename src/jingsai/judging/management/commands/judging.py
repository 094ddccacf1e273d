from pathlib import Path

from django.utils import timezone
from django.utils.translation import gettext as _

from jingsai.accounts import permissions
from jingsai.core import spreadsheets as sheets
from jingsai.core.commands import JingsaiCommand
from jingsai.core.errors import Rejected, UserError
from jingsai.core.files import write_file
from jingsai.judging import imports, pdf
from jingsai.judging.models import DrawKind
from jingsai.judging.services import appeals, history, marking, progress, schemes, venue

from ._common import competition_and_stage


class Command(JingsaiCommand):
    help = _("Organizer work for judging: marking schemes, draws, end of the practical, unblinding, records.")

    def add_command_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)

        def staged(name, text):
            command = sub.add_parser(name, help=text)
            command.add_argument("code")
            command.add_argument("--stage", dest="stage_key")
            return command

        staged("status", _("show where a stage stands"))
        draw = staged("draw", _("make the next draw: contestant numbers, then station numbers after check-in"))
        draw.add_argument("--kind", choices=DrawKind.values)
        draw.add_argument("--pdf", dest="pdf_out", help=_("also write the draw record for the supervisors to this PDF"))
        checkin = staged("checkin", _("check contestants in (or record them absent) from the venue's list "
                                      "(参赛号 or 身份证号, 检录, 原因; all or nothing)"))
        checkin.add_argument("file")
        times = staged("times", _("record practical times from a file (参赛号, 赛位号 or 身份证号, 用时; "
                                  "all or nothing)"))
        times.add_argument("file")
        signoff = staged("signoff", _("sign off a station (its marks are locked), or every complete station"))
        which = signoff.add_mutually_exclusive_group(required=True)
        which.add_argument("--station", type=int, help=_("the station number"))
        which.add_argument("--all", dest="every", action="store_true",
                           help=_("every station whose marks are complete"))
        staged("end", _("record that the practical has ended (the appeal window opens)"))
        staged("confirm", _("unblinding, first layer: confirm every mark of the stage is signed off"))
        staged("unblind", _("unblinding, second layer: unblind and hand the practical scores to the results"))
        history = staged("history", _("write every mark's history to an xlsx file"))
        history.add_argument("--out", required=True)
        paper = staged("sheets", _("write the marking sheets for paper marking to a PDF"))
        paper.add_argument("--out", required=True)
        paper.add_argument("--judge", help=_("only this judge's sheets"))
        scheme = sub.add_parser("scheme", help=_("export, import or freeze a marking scheme"))
        scheme.add_argument("scheme_action", choices=["export", "import", "freeze"])
        scheme.add_argument("code")
        scheme.add_argument("file", nargs="?")

    def run(self, action, **options):
        getattr(self, f"do_{action}")(**options)

    def _stage(self, code, stage_key, perm):
        _competition, stage = competition_and_stage(self, code, stage_key)
        self.require(perm, stage)
        return stage

    def do_status(self, code, stage_key=None, **options):
        stage = self._stage(code, stage_key, "judging.view")
        s = progress.stage_summary(stage)
        self.stdout.write(f"{stage.competition.name} · {stage.name}")
        self.stdout.write(_("Contestants: %(total)s (checked in %(present)s, absent %(absent)s)") % s)
        self.stdout.write(_("Draws: contestant numbers %(first)s, station numbers %(second)s") % {
            "first": _("done") if s["first_draw"] else _("not yet"),
            "second": _("done") if s["second_draw"] else _("not yet")})
        self.stdout.write(_("Marks: %(marks)s; stations signed off: %(signed)s of %(active)s") % s)
        for blocker in marking.unblinding_blockers(stage):
            self.stdout.write(f"  - {blocker}")
        steps = ", ".join(str(step.get_step_display()) for step in s["steps"].values()) or _("not yet")
        self.stdout.write(_("Unblinding: %(steps)s") % {"steps": steps})

    def do_draw(self, code, stage_key=None, kind=None, pdf_out=None, **options):
        stage = self._stage(code, stage_key, "judging.draw")
        if kind is None:
            kind = DrawKind.STATION if venue.draw_done(stage, DrawKind.CONTESTANT) else DrawKind.CONTESTANT
        record = venue.draw(self.user, stage, kind)
        self.stdout.write(_("%(draw)s is done: %(count)s numbers drawn.")
                          % {"draw": record.get_kind_display(), "count": len(record.mapping)})
        if pdf_out:
            write_file(pdf_out, pdf.draw_record(stage, kind))
            self.stdout.write(_("Wrote the draw record to %(file)s.") % {"file": pdf_out})

    def _table(self, file):
        path = Path(file)
        if not path.exists():
            self.fail(_("The file %(file)s does not exist.") % {"file": file})
        return sheets.read_table(path)

    def _allowed(self, perm):
        """Per contestant: may the acting user do `perm` (a chief judge in conflict may not)."""
        if not self.checked:
            return None
        return lambda contestant: permissions.has_perm(self.user, perm, contestant)

    def do_checkin(self, code, file, stage_key=None, **options):
        stage = self._stage(code, stage_key, "judging.checkin")
        counts = imports.import_checkin(self.user, stage, self._table(file))
        self.stdout.write(_("Check-in imported: %(present)s checked in, %(absent)s absent, %(unchanged)s unchanged.")
                          % counts)

    def do_times(self, code, file, stage_key=None, **options):
        stage = self._stage(code, stage_key, "judging.record_time")
        counts = imports.import_times(self.user, stage, self._table(file),
                                      allowed=self._allowed("judging.record_time"))
        self.stdout.write(_("Practical times imported: %(recorded)s recorded, %(unchanged)s unchanged.") % counts)

    def do_signoff(self, code, stage_key=None, station=None, every=False, **options):
        stage = self._stage(code, stage_key, "judging.review")
        allowed = self._allowed("judging.review") or (lambda contestant: True)
        plan = marking.Plan(stage)
        if not every:
            contestant = venue.active_contestants(stage).filter(station_number=station).first()
            if contestant is None:
                self.fail(_("No contestant of this stage has station number %(number)s.") % {"number": station})
            self.require("judging.review", contestant)
            marking.sign_off(self.user, contestant, plan=plan)
            self.stdout.write(_("Station %(station)s is signed off; its marks are locked.") % {"station": station})
            return
        signed, waiting = 0, []
        for result in marking.stage_reviews(stage, plan):
            contestant = result.contestant
            if contestant.signed_off or contestant.station_number is None or not allowed(contestant):
                continue
            if not result.signable:
                waiting.append(result)
                continue
            try:
                marking.sign_off(self.user, contestant, plan=plan)
            except (Rejected, UserError) as error:
                self.stderr.write(_("Station %(station)s: %(why)s")
                                  % {"station": contestant.station_number, "why": error.message})
                continue
            signed += 1
        self.stdout.write(_("Signed off %(signed)s stations; %(waiting)s are not complete yet.")
                          % {"signed": signed, "waiting": len(waiting)})
        for result in waiting:
            self.stdout.write(_("  Station %(station)s: %(why)s")
                              % {"station": result.contestant.station_number, "why": "；".join(result.blockers)})

    def do_end(self, code, stage_key=None, **options):
        stage = self._stage(code, stage_key, "judging.manage")
        record = venue.end_stage(self.user, stage)
        self.stdout.write(_("The practical ended at %(when)s; appeals until %(deadline)s.") % {
            "when": timezone.localtime(record.ended_at).strftime("%Y-%m-%d %H:%M"),
            "deadline": timezone.localtime(appeals.deadline(stage)).strftime("%Y-%m-%d %H:%M")})

    def do_confirm(self, code, stage_key=None, **options):
        stage = self._stage(code, stage_key, "judging.confirm_unblinding")
        marking.confirm_unblinding(self.user, stage)
        self.stdout.write(_("Confirmed: every mark of the stage is signed off."))

    def do_unblind(self, code, stage_key=None, **options):
        stage = self._stage(code, stage_key, "judging.unblind")
        count = marking.unblind(self.user, stage)
        self.stdout.write(_("The stage is unblinded: %(count)s practical scores were handed to the results.")
                          % {"count": count})

    def do_history(self, code, out, stage_key=None, **options):
        stage = self._stage(code, stage_key, "judging.history")
        data, count = history.xlsx(history.events(stage))
        write_file(out, data)
        self.stdout.write(_("Wrote %(count)s history records to %(file)s.") % {"count": count, "file": out})

    def do_sheets(self, code, out, stage_key=None, judge=None, **options):
        stage = self._stage(code, stage_key, "judging.key_paper")
        data = pdf.marking_sheets(marking.Plan(stage), judge_code=judge)
        if data is None:
            self.fail(_("There is nothing to print yet: the second draw (station numbers) comes first."))
        write_file(out, data)
        self.stdout.write(_("Wrote the marking sheets to %(file)s.") % {"file": out})

    def do_scheme(self, scheme_action, code, file=None, **options):
        competition, _stage = competition_and_stage(self, code, need_stage=False)
        self.require("judging.manage", competition)
        scheme = schemes.ensure_scheme(self.user, competition)
        if scheme_action == "export":
            if not file:
                self.fail(_("Name the file to write."))
            write_file(file, schemes.export_xlsx(scheme))
            self.stdout.write(_("Wrote the marking scheme to %(file)s.") % {"file": file})
        elif scheme_action == "import":
            if not file or not Path(file).exists():
                self.fail(_("The file %(file)s does not exist.") % {"file": file or ""})
            schemes.import_table(self.user, scheme, sheets.read_table(Path(file)), filename=Path(file).name)
            self.stdout.write(_("The marking scheme was imported."))
        else:
            schemes.freeze(self.user, scheme)
            self.stdout.write(_("The marking scheme is frozen."))
