import random
import time
from importlib import import_module

from django.core.management import call_command
from django.db import connection
from django.utils.translation import gettext as _

from jingsai.accounts.services import system_user
from jingsai.core.commands import JingsaiCommand
from jingsai.core.demo import APP_ORDER, DEMO_PASSWORD, SIZES, DemoContext
from jingsai.orgs.models import Organization


def print_logins(out, logins):
    out.write(_("Demo logins (password for all: %(password)s):") % {"password": DEMO_PASSWORD})
    for role, username, note in logins:
        out.write(f"  {role:<28} {username}{'  (' + note + ')' if note else ''}")


class Command(JingsaiCommand):
    help = _("Load a deterministic demo: a city's organizations, workers, accounts and competitions.")

    def add_command_arguments(self, parser):
        parser.add_argument("--size", choices=sorted(SIZES), default="small")
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--keep-existing", action="store_true",
                            help=_("do nothing if the demo is already loaded"))
        parser.add_argument("--reset", action="store_true", help=_("empty the database first"))

    def run(self, size, seed, keep_existing=False, reset=False, **options):
        if reset:
            call_command("flush", interactive=False, verbosity=0)
        elif Organization.objects.filter(code="SH-UNION").exists():
            if keep_existing:
                self.stdout.write(_("The demo is already loaded; nothing to do."))
                return
            self.fail(_("The database already holds data. Use --reset to replace it with the demo."))
        started = time.monotonic()
        rng = random.Random(seed)  # noqa: S311 - reproducible demo data, not secrets
        ctx = DemoContext(size=size, seed=seed, rng=rng, actor=system_user(), out=self.stdout)
        for label in APP_ORDER:
            try:
                module = import_module(f"jingsai.{label}.demo")
            except ModuleNotFoundError as error:
                if error.name != f"jingsai.{label}.demo":
                    raise
                continue
            module.load(ctx)
        if connection.vendor == "sqlite":
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
        self.stdout.write(_("Demo loaded in %(seconds).1f s.") % {"seconds": time.monotonic() - started})
        print_logins(self.stdout, ctx.logins)
        (self._var_dir() / "demo-logins.txt").write_text(
            "\n".join(f"{role}\t{username}\t{note}" for role, username, note in ctx.logins)
        )

    def _var_dir(self):
        from django.conf import settings

        return settings.VAR_DIR
