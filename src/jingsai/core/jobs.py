"""Long work as background jobs: a Job row the page polls, run by the task worker.

A service calls start(); the job function runs in the worker as
`func(job, progress, **params)` and returns a JSON-able result. Files it produces go to
MEDIA_ROOT/jobs/<id>/ through save_file(). With no worker running the job stays queued;
`make demo` starts one, and tests run jobs immediately.
"""

import logging
import time
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _
from django_tasks import task

from .context import channel
from .errors import UserError
from .models import Job

log = logging.getLogger(__name__)


# A failed job keeps this many problems for its page and API; problems_total says how many there were.
MAX_PROBLEMS = 1000


def start(*, kind, title, func, actor, params=None, total=None):
    """Create a job and enqueue it once the current transaction commits."""
    job = Job.objects.create(
        kind=kind, title=str(title)[:200], func=func, params=params or {}, created_by=actor, total=total
    )
    transaction.on_commit(lambda: run_job.enqueue(str(job.pk)))
    return job


class Progress:
    """Progress reporter handed to job functions; writes at most twice a second."""

    def __init__(self, job):
        self.job = job
        self._last = 0.0

    def __call__(self, done, total=None, message=None, *, force=False):
        now = time.monotonic()
        if not force and now - self._last < 0.5:
            return
        self._last = now
        fields = {"done": done, "heartbeat_at": timezone.now()}
        if total is not None:
            fields["total"] = total
        if message is not None:
            fields["message"] = str(message)[:300]
        Job.objects.filter(pk=self.job.pk).update(**fields)


def job_dir(job):
    path = Path(settings.MEDIA_ROOT) / "jobs" / str(job.pk)
    path.mkdir(parents=True, exist_ok=True)
    return path


def save_file(job, filename, data):
    """Store a produced file for the job; it is offered for download on the job page."""
    path = job_dir(job) / filename
    path.write_bytes(data) if isinstance(data, bytes) else path.write_text(data)
    Job.objects.filter(pk=job.pk).update(
        result_file=str(path.relative_to(settings.MEDIA_ROOT)), result_filename=filename
    )
    job.result_file = str(path.relative_to(settings.MEDIA_ROOT))
    job.result_filename = filename
    return path


def result_path(job):
    return Path(settings.MEDIA_ROOT) / job.result_file if job.result_file else None


@task()
def run_job(job_id):
    claimed = Job.objects.filter(pk=job_id, status=Job.Status.QUEUED).update(
        status=Job.Status.RUNNING, started_at=timezone.now(), heartbeat_at=timezone.now()
    )
    if not claimed:
        return
    job = Job.objects.get(pk=job_id)
    progress = Progress(job)
    try:
        with channel("task", label=f"job {job.pk}"):
            result = import_string(job.func)(job, progress, **job.params)
    except UserError as error:
        Job.objects.filter(pk=job.pk).update(
            status=Job.Status.FAILED, finished_at=timezone.now(), error=str(error),
            result={"problems": [p.as_dict() for p in error.problems[:MAX_PROBLEMS]],
                    "problems_total": len(error.problems)},
        )
        return
    except Exception:
        log.exception("job %s failed", job.pk)
        Job.objects.filter(pk=job.pk).update(
            status=Job.Status.FAILED, finished_at=timezone.now(),
            error=_("The job failed unexpectedly. Nothing was changed; the error was logged for the administrators."),
        )
        return
    job.refresh_from_db(fields=["total", "done"])
    Job.objects.filter(pk=job.pk).update(
        status=Job.Status.SUCCEEDED, finished_at=timezone.now(), result=result or {},
        done=job.total if job.total is not None else job.done,
    )
