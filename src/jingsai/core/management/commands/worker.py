from django.conf import settings
from django.core.management import call_command
from django.utils.translation import gettext as _

from jingsai.core.commands import JingsaiCommand


class Command(JingsaiCommand):
    help = _(
        "Run the background task worker that suits the configuration: the database queue, or RQ "
        "when REDIS_URL is set."
    )

    def add_command_arguments(self, parser):
        parser.add_argument("--burst", action="store_true", help=_("run what is queued, then stop"))

    def run(self, burst=False, **options):
        if settings.REDIS_URL:
            # django-tasks-rq only runs tasks through its own job class. The scheduler moves tasks
            # enqueued with run_after (an exam attempt's time-out hand-in) to the queue when due;
            # without it they would wait in RQ's scheduled registry for ever.
            call_command("rqworker", "default", job_class="django_tasks_rq.Job", burst=burst, with_scheduler=True)
        else:
            call_command("db_worker", batch=burst)
