from pathlib import Path

from django.utils.translation import gettext as _

from jingsai.core import spreadsheets as sheets
from jingsai.core.commands import JingsaiCommand
from jingsai.core.files import write_file
from jingsai.judging.services import judges

from ._common import competition_and_stage


class Command(JingsaiCommand):
    help = _("Assign judges to a competition from a spreadsheet (裁判编号, 姓名, 单位编码, 角色), or export them.")

    def add_command_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        imp = sub.add_parser("import", help=_("assign the file's judges to the competition (all or nothing)"))
        imp.add_argument("code")
        imp.add_argument("file")
        exp = sub.add_parser("export", help=_("write the competition's judges in the import format"))
        exp.add_argument("code")
        exp.add_argument("--out", required=True)

    def run(self, action, **options):
        getattr(self, f"do_{action}")(**options)

    def do_import(self, code, file, **options):
        competition, _stage = competition_and_stage(self, code, need_stage=False)
        self.require("judging.manage", competition)
        path = Path(file)
        if not path.exists():
            self.fail(_("The file %(file)s does not exist.") % {"file": file})
        result = judges.import_judges(self.user, competition, sheets.read_table(path))
        self.stdout.write(_("Judges imported: %(created)s new in the pool, %(assigned)s assigned or changed, "
                            "%(unchanged)s already assigned.") % result)

    def do_export(self, code, out, **options):
        competition, _stage = competition_and_stage(self, code, need_stage=False)
        self.require("judging.manage", competition)
        rows = [[a.judge.code, a.judge.name, a.judge.unit.code, "裁判长" if a.role == "chief_judge" else "裁判",
                 a.judge.qualifications]
                for a in competition.judge_assignments.select_related("judge__unit")]
        write_file(out, sheets.xlsx_bytes(judges.COLUMNS, rows, sheet_name="裁判"))
        self.stdout.write(_("Wrote %(count)s judges to %(file)s.") % {"count": len(rows), "file": out})
