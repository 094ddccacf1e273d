import time

from django.utils.translation import gettext as _

from jingsai.core.commands import JingsaiCommand
from jingsai.exams import services


class Command(JingsaiCommand):
    help = _("Theory exam housekeeping: hand in every attempt whose time and grace period are over.")

    def add_command_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        sweep = sub.add_parser("sweep", help=_("hand in attempts whose time is up"))
        sweep.add_argument("--every", type=int, default=0,
                           help=_("keep running, sweeping every N seconds (for a service or a container)"))

    def run(self, action, every=0, **options):
        while True:
            done = services.sweep()
            if done or not every:
                self.stdout.write(_("Handed in %(n)s attempts whose time was up.") % {"n": done})
            if not every:
                return
            time.sleep(every)
