"""`jingsai competition load|export|status|list`: competitions from the command line."""

import sys
from pathlib import Path

from django.utils import timezone
from django.utils.translation import gettext as _

from jingsai.accounts import permissions
from jingsai.competitions import services
from jingsai.competitions.models import Competition, Status
from jingsai.core.commands import JingsaiCommand
from jingsai.core.errors import UserError
from jingsai.core.files import write_file


def _status(text):
    """A status by its value (registration_open) or its name (报名中)."""
    for status in Status:
        if text in (status.value, str(status.label)):
            return status
    return None


class Command(JingsaiCommand):
    help = _("Load, export, list and move competitions through their lifecycle.")

    def add_command_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        load = sub.add_parser("load", help=_("create or update a competition from a YAML spec; prints its code"))
        load.add_argument("file")
        load.add_argument("--reason", default="", help=_("why the rules change (needed once registration opened)"))
        export = sub.add_parser("export", help=_("write a competition's rules as a YAML spec"))
        export.add_argument("code")
        export.add_argument("--out", help=_("the file to write (default: standard output)"))
        status = sub.add_parser("status", help=_("move a competition to another status"))
        status.add_argument("code")
        status.add_argument("new_status", help=_("draft, registration_open, registration_closed, in_progress, "
                                                 "scoring, publicity, final or archived"))
        status.add_argument("--reason", default="")
        listing = sub.add_parser("list", help=_("list competitions"))
        listing.add_argument("--series", help=_("only this series (by code)"))
        listing.add_argument("--status", dest="only_status", help=_("only competitions in this status"))

    def run(self, action, **options):
        getattr(self, f"do_{action}")(**options)

    def _competition(self, code, perm="competitions.view"):
        competition = Competition.objects.select_related("host", "series").filter(code=code).first()
        if competition is None:
            self.fail(_("No competition has the code “%(code)s”.") % {"code": code})
        self.require(perm, competition)
        return competition

    def do_load(self, file, reason="", **options):
        self.require("competitions.manage")
        path = Path(file)
        if not path.is_file():
            self.fail(_("The file %(file)s does not exist.") % {"file": file})
        try:
            text = path.read_text(encoding="utf-8-sig")
        except UnicodeDecodeError:
            self.fail(_("The file %(file)s is not UTF-8 text.") % {"file": file})
        competition = services.load_competition(self.user, text, reason=reason, check=self.checked)
        self.stderr.write({
            "created": _("Created “%(name)s”."),
            "updated": _("Updated the rules of “%(name)s”."),
            "unchanged": _("“%(name)s” already has these rules; nothing was changed."),
        }[competition.outcome] % {"name": competition.name})
        self.stdout.write(competition.code)

    def do_export(self, code, out=None, **options):
        text = services.export_yaml(self._competition(code))
        if out:
            write_file(out, text)
            self.stderr.write(_("Wrote %(file)s.") % {"file": out})
        else:
            self.stdout.write(text, ending="")

    def do_status(self, code, new_status, reason="", **options):
        competition = self._competition(code, "competitions.transition")
        status = _status(new_status)
        if status is None:
            self.fail(_("“%(value)s” is not a competition status; use one of: %(choices)s.") % {
                "value": new_status, "choices": ", ".join(Status.values)})
        try:
            services.transition(self.user, competition, status, reason=reason)
        except UserError as error:
            if not error.problems:
                raise
            self.stderr.write(_("“%(name)s” cannot become “%(status)s” yet:") % {
                "name": competition.name, "status": status.label})
            for problem in error.problems:
                self.stderr.write(f"  - {problem.message}")
            sys.exit(1)
        self.stdout.write(_("“%(name)s” is now “%(status)s”.") % {"name": competition.name, "status": status.label})

    def do_list(self, series=None, only_status=None, **options):
        competitions = Competition.objects.select_related("host", "series")
        if self.checked:
            competitions = services.visible_competitions(self.user, competitions)
        if series:
            competitions = competitions.filter(series__code=series)
        if only_status:
            status = _status(only_status)
            if status is None:
                self.fail(_("“%(value)s” is not a competition status; use one of: %(choices)s.") % {
                    "value": only_status, "choices": ", ".join(Status.values)})
            competitions = competitions.filter(status=status)
        rows = [(c.code, c.get_status_display(), c.host.code, c.starts_at, c.name)
                for c in competitions.order_by("series__code", "code")]
        for code, status, host, starts, name in rows:
            when = timezone.localtime(starts).strftime("%Y-%m-%d") if starts else "—"
            self.stdout.write(f"{code:<24} {status:<8}\t{host:<12} {when:<10} {name}")
        if not rows:
            self.stderr.write(_("No competitions."))
        elif self.checked and not permissions.is_admin(self.user):
            self.stderr.write(_("Only the competitions %(user)s may see are listed.") % {"user": self.user})
