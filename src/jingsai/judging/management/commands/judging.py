from pathlib import Path

from django.utils import timezone
from django.utils.translation import gettext as _

from jingsai.core import spreadsheets as sheets
from jingsai.core.commands import JingsaiCommand
from jingsai.judging import pdf
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
            Path(pdf_out).write_bytes(pdf.draw_record(stage, kind))
            self.stdout.write(_("Wrote the draw record to %(file)s.") % {"file": pdf_out})

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
        Path(out).write_bytes(data)
        self.stdout.write(_("Wrote %(count)s history records to %(file)s.") % {"count": count, "file": out})

    def do_sheets(self, code, out, stage_key=None, judge=None, **options):
        stage = self._stage(code, stage_key, "judging.key_paper")
        data = pdf.marking_sheets(marking.Plan(stage), judge_code=judge)
        if data is None:
            self.fail(_("There is nothing to print yet: the second draw (station numbers) comes first."))
        Path(out).write_bytes(data)
        self.stdout.write(_("Wrote the marking sheets to %(file)s.") % {"file": out})

    def do_scheme(self, scheme_action, code, file=None, **options):
        competition, _stage = competition_and_stage(self, code, need_stage=False)
        self.require("judging.manage", competition)
        scheme = schemes.ensure_scheme(self.user, competition)
        if scheme_action == "export":
            if not file:
                self.fail(_("Name the file to write."))
            Path(file).write_bytes(schemes.export_xlsx(scheme))
            self.stdout.write(_("Wrote the marking scheme to %(file)s.") % {"file": file})
        elif scheme_action == "import":
            if not file or not Path(file).exists():
                self.fail(_("The file %(file)s does not exist.") % {"file": file or ""})
            schemes.import_table(self.user, scheme, sheets.read_table(Path(file)), filename=Path(file).name)
            self.stdout.write(_("The marking scheme was imported."))
        else:
            schemes.freeze(self.user, scheme)
            self.stdout.write(_("The marking scheme is frozen."))
