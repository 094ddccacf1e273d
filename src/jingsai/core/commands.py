"""Base for the project's commands: the user's language, an audit channel, and errors
printed as clear messages with exit status 1, never as a traceback."""

import argparse
import getpass
import sys

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import translation
from django.utils.translation import gettext as _

from jingsai.accounts import permissions
from jingsai.accounts.models import User
from jingsai.accounts.services import system_user

from .context import channel
from .errors import Rejected, UserError


class JingsaiCommand(BaseCommand):
    """Subclasses implement `run(**options)`. With `--user NAME` the command acts as that
    user and every permission is checked as for that user; without it the command acts as
    the platform (shell access to the server is already full access) and the audit log
    records the operating-system account."""

    def add_arguments(self, parser):
        parser.add_argument("--user", dest="acting_user", help=_("act as this user, with their permissions"))
        self.add_command_arguments(parser)

    def add_command_arguments(self, parser):
        pass

    def create_parser(self, prog_name, subcommand, **kwargs):
        """`--user` is accepted after a sub-command too (`jingsai orgs import F --user X`)."""
        parser = super().create_parser(prog_name, subcommand, **kwargs)
        for action in parser._subparsers._group_actions if parser._subparsers else ():
            for sub in getattr(action, "choices", {}).values():
                sub.add_argument("--user", dest="acting_user", default=argparse.SUPPRESS,
                                 help=_("act as this user, with their permissions"))
        return parser

    def execute(self, *args, **options):
        translation.activate(settings.LANGUAGE_CODE)
        return super().execute(*args, **options)

    def handle(self, *args, **options):
        username = options.get("acting_user")
        try:
            os_user = getpass.getuser()
        except (KeyError, OSError):
            os_user = "?"
        with channel("cli", label=f"cli:{os_user}"):
            if username:
                self.user = User.objects.filter(username=username, is_active=True).first()
                if self.user is None:
                    self.fail(_("No active user is called “%(name)s”.") % {"name": username})
                self.checked = True
            else:
                self.user = system_user()
                self.checked = False
            try:
                self.run(*args, **options)
            except Rejected as rejected:
                self.report_problems(rejected)
                sys.exit(1)
            except UserError as error:
                self.fail(error.message)

    def require(self, perm, obj=None):
        if self.checked and not permissions.has_perm(self.user, perm, obj):
            self.fail(_("%(user)s is not allowed to do this (%(perm)s).") % {"user": self.user, "perm": perm})

    def fail(self, message):
        self.stderr.write(str(message))
        sys.exit(1)

    def report_problems(self, rejected):
        self.stderr.write(str(rejected.message))
        for p in rejected.problems:
            where = []
            if p.row is not None:
                where.append(_("row %(row)s") % {"row": p.row})
            if p.column:
                where.append(str(p.column))
            if p.where:
                where.append(str(p.where))
            value = f" “{p.value}”" if p.value not in (None, "") else ""
            self.stderr.write(f"  {'，'.join(where)}{value}: {p.message}")


__all__ = ["CommandError", "JingsaiCommand"]
