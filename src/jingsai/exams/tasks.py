"""Background work of the exams app: submitting attempts when their time is up.

A deferred task is queued for each attempt's end when the task backend can defer
(the database and Redis backends can); `jingsai exams sweep` and every page that reads
attempts finalize overdue ones too, so an exam ends on time with or without a worker."""

from django_tasks import task

from .models import EndedBy


@task()
def finalize_task(attempt_id):
    from . import services

    services.finalize(attempt_id, EndedBy.TIMEOUT)
