import sys
from pathlib import Path

from django.utils.translation import gettext as _

from jingsai.competitions.models import Competition
from jingsai.core import spreadsheets as sheets
from jingsai.core.commands import JingsaiCommand
from jingsai.core.errors import Rejected
from jingsai.core.files import write_file
from jingsai.registration import importing, services
from jingsai.registration.models import Entry, EntryStatus


class Command(JingsaiCommand):
    help = _("Import, export and approve a competition's registrations.")

    def add_command_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        imp = sub.add_parser("import", help=_("register the workers of a spreadsheet, all or none"))
        imp.add_argument("code", help=_("competition code"))
        imp.add_argument("file")
        imp.add_argument("--stage", help=_("stage key (default: the first stage)"))
        imp.add_argument("--dry-run", action="store_true", help=_("check the file and register nobody"))
        imp.add_argument("--errors", help=_("write the file with an error column here when it is rejected"))
        exp = sub.add_parser("export", help=_("write the entries as JSON or xlsx"))
        exp.add_argument("code", help=_("competition code"))
        exp.add_argument("--stage", help=_("stage key (default: every stage)"))
        exp.add_argument("--format", choices=("json", "xlsx"), required=True)
        exp.add_argument("--out", help=_("file to write (without it, standard output)"))
        for verb, text in (("approve", _("approve entries")), ("reject", _("reject entries, with a reason")),
                           ("withdraw", _("withdraw entries"))):
            action = sub.add_parser(verb, help=text)
            action.add_argument("code", help=_("competition code"))
            action.add_argument("numbers", nargs="*", type=int, help=_("entry numbers"))
            action.add_argument("--stage", help=_("stage key (default: the first stage)"))
            action.add_argument("--reason", default="")
            if verb == "approve":
                action.add_argument("--all-awaiting", action="store_true",
                                    help=_("every entry of the stage that awaits approval"))

    def run(self, action, **options):
        competition = Competition.objects.select_related("host").filter(code=options["code"]).first()
        if competition is None:
            self.fail(_("No competition has the code “%(code)s”.") % {"code": options["code"]})
        self.require("competitions.view", competition)
        getattr(self, f"do_{action}")(competition, **options)

    def do_import(self, competition, file, stage=None, dry_run=False, errors=None, **options):
        self.require("registration.register")
        path = Path(file)
        if not path.exists():
            self.fail(_("The file %(file)s does not exist.") % {"file": file})
        stage = services.stage_for(competition, stage)
        table = sheets.read_table(path)
        try:
            summary = importing.import_table(self.user, competition, stage, table, filename=path.name,
                                             sha256=importing.sha256(path.read_bytes()), dry_run=dry_run)
        except Rejected as rejected:
            if errors and rejected.code != "unreadable":
                write_file(errors, importing.error_xlsx(table, rejected.problems))
                self.stderr.write(_("The file with an error column is %(file)s.") % {"file": errors})
            raise
        self.stdout.write(summary["summary"])

    def do_export(self, competition, stage=None, format="json", out=None, **options):
        self.require("registration.export", competition)
        stage_obj = services.stage_for(competition, stage) if stage else None
        entries = Entry.objects.filter(competition=competition)
        if self.checked:
            entries = services.visible_entries(self.user, "registration.export").filter(competition=competition)
        if stage_obj is not None:
            entries = entries.filter(stage=stage_obj)
        if format == "xlsx" and not out and sys.stdout.isatty():
            self.fail(_("Name the xlsx file to write with --out, or send standard output to a file."))
        data = services.export(self.user, competition, stage_obj, entries, fmt=format)
        if out:
            write_file(out, data)
            self.stderr.write(_("Wrote %(count)s entries to %(file)s.") % {"count": entries.count(), "file": out})
        elif format == "xlsx":
            sys.stdout.flush()
            sys.stdout.buffer.write(data)
            sys.stdout.buffer.flush()
        else:
            sys.stdout.write(data.decode() + "\n")

    def _entries(self, competition, stage, numbers, all_awaiting=False):
        stage = services.stage_for(competition, stage)
        entries = Entry.objects.filter(stage=stage)
        if all_awaiting:
            return list(entries.filter(status__in=(EntryStatus.SUBMITTED, EntryStatus.UNIT_APPROVED)))
        if not numbers:
            self.fail(_("Name the entry numbers, or use --all-awaiting."))
        found = list(entries.filter(number__in=numbers))
        unknown = sorted(set(numbers) - {e.number for e in found})
        if unknown:
            self.fail(_("Stage “%(stage)s” has no entry %(numbers)s.") % {
                "stage": stage.key, "numbers": "、".join(map(str, unknown))})
        return found

    def do_approve(self, competition, numbers=(), stage=None, reason="", all_awaiting=False, **options):
        result = services.approve(self.user, self._entries(competition, stage, numbers, all_awaiting), reason=reason)
        self.stdout.write(_("Approved: %(approved)s; approved by the unit: %(unit_approved)s; unchanged: "
                            "%(unchanged)s.") % result)

    def do_reject(self, competition, numbers=(), stage=None, reason="", **options):
        result = services.reject(self.user, self._entries(competition, stage, numbers), reason=reason)
        self.stdout.write(_("Rejected: %(rejected)s; unchanged: %(unchanged)s.") % result)

    def do_withdraw(self, competition, numbers=(), stage=None, reason="", **options):
        result = services.withdraw(self.user, self._entries(competition, stage, numbers), reason=reason)
        self.stdout.write(_("Withdrawn: %(withdrawn)s; unchanged: %(unchanged)s.") % result)
