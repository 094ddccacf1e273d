from pathlib import Path

from django.utils.translation import gettext as _

from jingsai.competitions.models import Competition
from jingsai.core import spreadsheets as sheets
from jingsai.core.commands import JingsaiCommand
from jingsai.core.errors import Rejected
from jingsai.core.files import write_file
from jingsai.results import imports, queries


class Command(JingsaiCommand):
    help = _("Import component scores or judges' marks from a spreadsheet.")

    def add_command_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        imp = sub.add_parser("import",
                             help=_("component scores (or judges' marks, with a 裁判编号 column), all or none"))
        imp.add_argument("code", help=_("competition code"))
        imp.add_argument("file")
        imp.add_argument("--stage", help=_("stage key (default: the last stage)"))
        imp.add_argument("--errors", help=_("write the file with an error column here when it is rejected"))

    def run(self, action, **options):
        getattr(self, f"do_{action}")(**options)

    def do_import(self, code, file, stage=None, errors=None, **options):
        competition = Competition.objects.select_related("host").filter(code=code).first()
        if competition is None:
            self.fail(_("No competition has the code “%(code)s”.") % {"code": code})
        self.require("results.import_marks", competition)
        path = Path(file)
        if not path.exists():
            self.fail(_("The file %(file)s does not exist.") % {"file": file})
        stage_ = queries.stage_by_key(competition, stage)
        table = sheets.read_table(path)
        try:
            summary = imports.import_marks(self.user, competition, stage_, table, filename=path.name)
        except Rejected as rejected:
            if errors and rejected.code != "unreadable":
                write_file(errors, sheets.problems_xlsx(table, sheets.problems_by_row(rejected.problems)))
                self.stderr.write(_("The file with an error column is %(file)s.") % {"file": errors})
            raise
        if summary["kind"] == "scores":
            self.stdout.write(_("Marks imported: %(rows)s rows, %(created)s scores added, %(updated)s changed, "
                                "%(unchanged)s unchanged.") % summary)
        else:
            self.stdout.write(_("Judges' marks imported: %(created)s added, %(changed)s changed, %(unchanged)s "
                                "unchanged.") % {"created": summary.get("created", 0),
                                                 "changed": summary.get("changed", 0),
                                                 "unchanged": summary.get("unchanged", 0)})
