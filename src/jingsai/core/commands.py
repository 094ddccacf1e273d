"""Base for the project's commands: the user's language, an audit channel, and errors
printed as clear messages with exit status 1, never as a traceback."""

import argparse
import errno
import getpass
import sys

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop, ngettext

from jingsai.accounts import permissions
from jingsai.accounts.models import User
from jingsai.accounts.services import system_user

from .context import channel
from .errors import Rejected, UserError

# argparse's own words (the usage line, its headings and its errors), said through the
# catalogues like ours: the msgids are argparse's, as Python 3.11 to 3.13 write them.
ARGPARSE_WORDS = (
    gettext_noop("usage: "),
    gettext_noop("positional arguments"),
    gettext_noop("options"),
    gettext_noop("show this help message and exit"),
    gettext_noop("%(prog)s: error: %(message)s\n"),
    gettext_noop("argument %(argument_name)s: %(message)s"),
    gettext_noop("the following arguments are required: %s"),
    gettext_noop("unrecognized arguments: %s"),
    gettext_noop("invalid choice: %(value)r (choose from %(choices)s)"),
    gettext_noop("invalid %(type)s value: %(value)r"),
    gettext_noop("expected one argument"),
    gettext_noop("expected at most one argument"),
    gettext_noop("expected at least one argument"),
    gettext_noop("ambiguous option: %(option)s could match %(matches)s"),
    gettext_noop("not allowed with argument %s"),
    gettext_noop("one of the arguments %s is required"),
    gettext_noop("ignored explicit argument %r"),
    gettext_noop("unexpected option string: %s"),
    gettext_noop("unknown parser %(parser_name)r (choices: %(choices)s)"),
    gettext_noop("can't open '%(filename)s': %(error)s"),
)


def os_error_message(error):
    """What went wrong with a file, in the user's language: the operating system's own
    wording of the reason is English (and in a C locale, always English)."""
    reasons = {
        errno.ENOENT: _("there is no such file or folder"),
        errno.EACCES: _("permission denied"),
        errno.EPERM: _("permission denied"),
        errno.EISDIR: _("it is a folder"),
        errno.ENOTDIR: _("a part of the path is not a folder"),
        errno.ENOSPC: _("the disk is full"),
        errno.EROFS: _("the file system is read-only"),
        errno.EEXIST: _("it already exists"),
        errno.ENAMETOOLONG: _("the name is too long"),
    }
    reason = reasons.get(error.errno) or error.strerror or str(error)
    if error.filename is None:
        return _("The system refused: %(reason)s.") % {"reason": reason}
    return _("Could not use the file %(file)s: %(reason)s.") % {"file": error.filename, "reason": reason}


def _argparse_gettext(message):
    return _(message) if isinstance(message, str) and message else message


def localize_argparse():
    """Make argparse, which looks its words up through module-level functions, use ours."""
    argparse._ = _argparse_gettext
    argparse.ngettext = ngettext


class JingsaiCommand(BaseCommand):
    """Subclasses implement `run(**options)`. With `--user NAME` the command acts as that
    user and every permission is checked as for that user; without it the command acts as
    the platform (shell access to the server is already full access) and the audit log
    records the operating-system account."""

    # Django's own options (verbosity, settings, traceback, colours…) still work but are not
    # listed: their help is Django's, in English, and an organizer has no use for them.
    suppressed_base_arguments = {"--version", "--verbosity", "--settings", "--pythonpath", "--traceback",
                                 "--no-color", "--force-color", "--skip-checks"}

    def add_arguments(self, parser):
        parser.add_argument("--user", dest="acting_user", help=_("act as this user, with their permissions"))
        self.add_command_arguments(parser)

    def add_command_arguments(self, parser):
        pass

    def create_parser(self, prog_name, subcommand, **kwargs):
        """`--user` is accepted after a sub-command too (`jingsai orgs import F --user X`).
        Usage and argument errors are in the user's language, as every other message."""
        localize_argparse()
        parser = super().create_parser(prog_name, subcommand, **kwargs)
        for action in parser._actions:
            if "--skip-checks" in action.option_strings:  # added apart from the base arguments
                action.help = argparse.SUPPRESS
        for action in parser._subparsers._group_actions if parser._subparsers else ():
            if action.choices and action.metavar is None:
                # Errors name the sub-command by its choices, as the usage line does, not
                # by its internal name ("action").
                action.metavar = "{" + ",".join(action.choices) + "}"
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
            except OSError as error:  # a file that cannot be read or written: said, not a traceback
                self.fail(os_error_message(error))

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
