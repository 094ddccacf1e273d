from pathlib import Path

from django.utils.translation import gettext as _

from jingsai.accounts import permissions
from jingsai.core import spreadsheets as sheets
from jingsai.core.commands import JingsaiCommand
from jingsai.core.files import write_file
from jingsai.orgs import services
from jingsai.orgs.models import Organization


class Command(JingsaiCommand):
    help = _("Import or export the organization tree (xlsx).")

    def add_command_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        imp = sub.add_parser("import", help=_("create or update organizations from a spreadsheet"))
        imp.add_argument("file")
        exp = sub.add_parser("export", help=_("write the organizations to an xlsx file"))
        exp.add_argument("--root", help=_("only this organization's subtree (by code)"))
        exp.add_argument("--out", required=True)

    def run(self, action, **options):
        getattr(self, f"do_{action}")(**options)

    def do_import(self, file, **options):
        self.require("orgs.import")
        path = Path(file)
        if not path.is_file():
            self.fail(_("The file %(file)s does not exist.") % {"file": file})
        scope = services.import_scope(self.user) if self.checked else None
        table = sheets.read_table(path)
        result = services.import_table(self.user, table, filename=path.name, scope=scope)
        self.stdout.write(
            _("Imported: %(created)s created, %(updated)s updated, %(unchanged)s unchanged.") % result
        )

    def do_export(self, out, root=None, **options):
        queryset = Organization.objects.all()
        if root:
            org = Organization.objects.filter(code=root).first()
            if org is None:
                self.fail(_("No organization has the code “%(code)s”.") % {"code": root})
            self.require("orgs.view", org)
            queryset = Organization.objects.subtree(org)
        elif self.checked and not permissions.is_admin(self.user):
            self.fail(_("Only a platform administrator can export the whole tree; name a --root."))
        write_file(out, services.export_xlsx(queryset))
        self.stdout.write(_("Wrote %(count)s organizations to %(file)s.") % {"count": queryset.count(), "file": out})
