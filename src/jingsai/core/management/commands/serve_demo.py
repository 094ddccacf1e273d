import os
import signal
import subprocess
import sys

from django.conf import settings
from django.core.management import call_command
from django.utils.translation import gettext as _

from jingsai.core.commands import JingsaiCommand
from jingsai.core.demo import DEMO_PASSWORD


class Command(JingsaiCommand):
    help = _("Serve the site on 127.0.0.1:8000 with a background task worker, and print the demo logins.")

    def add_command_arguments(self, parser):
        parser.add_argument("--addr", default="127.0.0.1:8000")

    def run(self, addr, **options):
        logins = settings.VAR_DIR / "demo-logins.txt"
        if logins.exists():
            self.stdout.write(_("Demo logins (password for all: %(password)s):") % {"password": DEMO_PASSWORD})
            for line in logins.read_text().splitlines():
                role, username, note = (line.split("\t") + ["", ""])[:3]
                self.stdout.write(f"  {role:<28} {username}{'  (' + note + ')' if note else ''}")
        self.stdout.write(_("Open http://%(addr)s/ — stop with Ctrl+C.") % {"addr": addr})
        worker = subprocess.Popen(
            [sys.executable, "-m", "jingsai.cli", "worker"], env=os.environ.copy()
        )
        # Stopped with SIGTERM (not only Ctrl+C), still stop the worker on the way out.
        signal.signal(signal.SIGTERM, lambda *_args: sys.exit(0))
        try:
            call_command("runserver", addr, use_reloader=False)
        finally:
            worker.send_signal(signal.SIGTERM)
            worker.wait(timeout=10)
