from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, render

from jingsai.accounts.permissions import has_perm, is_admin

from . import downloads, jobs
from .decorators import is_htmx, permission_required
from .models import AuditRecord, Job
from .registry import dashboard_cards


@permission_required("accounts.dashboard")
def dashboard(request):
    return render(request, "core/dashboard.html", {"cards": dashboard_cards(request.user, request)})


def job_for(request, pk):
    """The job, for the user who started it or an administrator (pages and API)."""
    job = get_object_or_404(Job, pk=pk)
    if job.created_by_id != request.user.pk and not is_admin(request.user):
        raise PermissionDenied
    return job


@permission_required("accounts.dashboard")
def job_detail(request, pk):
    job = job_for(request, pk)
    template = "core/job_progress.html" if is_htmx(request) else "core/job_detail.html"
    return render(request, template, {"job": job})


@permission_required("accounts.dashboard")
def job_download(request, pk):
    job = job_for(request, pk)
    path = jobs.result_path(job)
    if path is None or not path.exists():
        raise Http404
    return FileResponse(path.open("rb"), as_attachment=True, filename=job.result_filename)


@permission_required("accounts.dashboard")
def stash_download(request, token):
    path, filename = downloads.fetch(request, token)
    if path is None:
        raise Http404
    return FileResponse(path.open("rb"), as_attachment=True, filename=filename)


@permission_required("accounts.view_audit")
def audit_log(request):
    from django.core.paginator import Paginator

    records = AuditRecord.objects.select_related("actor")
    action = request.GET.get("action", "").strip()
    if action:
        records = records.filter(action__startswith=action)
    page = Paginator(records, 50).get_page(request.GET.get("page"))
    return render(request, "core/audit_log.html", {"page_obj": page, "action": action})


def can(user, perm, obj=None):
    return has_perm(user, perm, obj)
