from jingsai.core import jobs
from jingsai.core.models import Job
from tests.access.spec import ADMIN, EVERYONE_LOGGED_IN, Route, fixed


def extend_world(world):
    job = Job.objects.create(kind="test", title="test job", func="x", created_by=world.users["organizer"],
                             status=Job.Status.SUCCEEDED)
    jobs.save_file(job, "result.txt", "done")
    world.job = job


ROUTES = {
    "core:dashboard": Route(allow=EVERYONE_LOGGED_IN),
    "core:job": Route(allow=ADMIN | {"organizer"}, kwargs=fixed(pk=lambda w: w.job.pk)),
    "core:job_download": Route(allow=ADMIN | {"organizer"}, kwargs=fixed(pk=lambda w: w.job.pk)),
    "core:audit": Route(allow=ADMIN),
    "GET /api/core/jobs/{job_id}": Route(allow=ADMIN | {"organizer"}, kwargs=fixed(job_id=lambda w: w.job.pk)),
    "GET /api/core/jobs/{job_id}/download": Route(allow=ADMIN | {"organizer"},
                                                  kwargs=fixed(job_id=lambda w: w.job.pk)),
    "admin:index": Route(allow=ADMIN),
    # A stashed download belongs to the session that made it: nobody else may fetch it.
    "core:stash": Route(allow=frozenset(), kwargs=fixed(token="not-yours")),
    "set_language": Route(public=True, method="post", data={"language": "en"}),
}
