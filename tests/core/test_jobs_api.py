"""Following a background job through the API, and a failed job's problems beyond the
first 1,000 counted, on the page and in the API."""

import pytest
from django.urls import reverse

from jingsai.core import jobs
from jingsai.core.errors import Problem, Rejected
from jingsai.core.models import Job

pytestmark = pytest.mark.django_db


def job_many_problems(job, progress):
    raise Rejected("文件有误", [Problem(f"第{n}行不对", row=n) for n in range(2, 1502)])


def test_the_owner_follows_a_job_and_downloads_its_file(client, make, run_jobs):
    owner, other = make.user(), make.user()
    with run_jobs():
        job = jobs.start(kind="test", title="导入", func="tests.core.test_masking_crypto_audit.job_ok",
                         actor=owner, params={"n": 3})
    client.force_login(owner)
    data = client.get(f"/api/core/jobs/{job.pk}").json()
    assert data["status"] == "succeeded" and data["percent"] == 100 and data["result"] == {"n": 3}
    assert data["download"] == f"/api/core/jobs/{job.pk}/download"
    response = client.get(data["download"])
    assert response.status_code == 200 and b"".join(response.streaming_content) == b"hello"
    client.force_login(other)
    assert client.get(f"/api/core/jobs/{job.pk}").status_code == 403
    assert client.get(f"/api/core/jobs/{job.pk}/download").status_code == 403


def test_a_queued_job_has_no_download_yet(client, make):
    owner = make.user()
    job = Job.objects.create(kind="test", title="排队", func="x", created_by=owner, total=10)
    client.force_login(owner)
    data = client.get(f"/api/core/jobs/{job.pk}").json()
    assert data["status"] == "queued" and data["percent"] == 0 and data["download"] is None
    assert client.get(f"/api/core/jobs/{job.pk}/download").status_code == 404


def test_a_failed_job_says_how_many_problems_there_were_beyond_those_kept(client, make, run_jobs):
    owner = make.user()
    with run_jobs():
        job = jobs.start(kind="test", title="导入", func="tests.core.test_jobs_api.job_many_problems", actor=owner)
    client.force_login(owner)
    data = client.get(f"/api/core/jobs/{job.pk}").json()
    assert data["status"] == "failed" and data["error"] == "文件有误"
    assert data["problems_total"] == 1500 and len(data["result"]["problems"]) == jobs.MAX_PROBLEMS
    page = client.get(reverse("core:job", args=[job.pk]), headers={"HX-Request": "true"})
    assert "1500" in page.content.decode() and 'id="problems-total"' in page.content.decode()
