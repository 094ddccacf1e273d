"""Background jobs through the API: follow a job started by a page or an endpoint (an
import of 100,000 rows, bulk certificates) and download what it produced. A job is seen
by the user who started it and by platform administrators."""

from datetime import datetime
from uuid import UUID

from django.http import FileResponse, Http404
from ninja import Router, Schema

from . import jobs
from .views import job_for as _job_for

router = Router(tags=["jobs"])


class JobOut(Schema):
    id: UUID
    kind: str
    title: str
    status: str
    done: int
    total: int | None
    percent: int
    message: str
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    error: str
    result: dict
    problems_total: int
    download: str | None


@router.get("/jobs/{job_id}", response=JobOut)
def job(request, job_id: UUID):
    """A job's state and progress; when it failed, its problems (the first 1,000, with
    problems_total saying how many there were); when it made a file, where to download it."""
    item = _job_for(request, job_id)
    result = dict(item.result or {})
    problems_total = result.pop("problems_total", len(result.get("problems", [])))
    has_file = item.finished and bool(item.result_file)
    return {
        "id": item.pk, "kind": item.kind, "title": item.title, "status": item.status, "done": item.done,
        "total": item.total, "percent": item.percent, "message": item.message, "created_at": item.created_at,
        "started_at": item.started_at, "finished_at": item.finished_at, "error": item.error, "result": result,
        "problems_total": problems_total,
        "download": f"/api/core/jobs/{item.pk}/download" if has_file else None,
    }


@router.get("/jobs/{job_id}/download")
def download(request, job_id: UUID):
    """The file the job produced (an import's result, a ZIP of certificates...)."""
    item = _job_for(request, job_id)
    path = jobs.result_path(item)
    if not item.finished or path is None or not path.exists():
        raise Http404
    return FileResponse(path.open("rb"), as_attachment=True, filename=item.result_filename)
