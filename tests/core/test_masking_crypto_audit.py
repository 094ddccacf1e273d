import pytest
from django.db import transaction
from django.test import override_settings

from jingsai.core import audit, crypto, jobs
from jingsai.core.context import channel
from jingsai.core.masking import mask_id_number, mask_name, mask_phone
from jingsai.core.models import AuditRecord, Job


@pytest.mark.parametrize(("name", "masked"), [
    ("张三", "张*"), ("王小明", "王**"), ("欧阳修远", "欧阳**"), ("欧阳", "欧*"), ("诸葛亮", "诸葛*"),
    ("吴铭华", "吴**"), ("买买提·艾力", "买*****"), ("", ""),
])
def test_names(name, masked):
    assert mask_name(name) == masked


def test_numbers():
    assert mask_id_number("11010519491231002X") == "110105********002X"
    assert mask_phone("13812345678") == "138****5678"
    assert mask_id_number("12345") == "*****"
    assert mask_phone("") == ""


def test_encryption_round_trip_is_randomized_and_keyed():
    a, b = crypto.encrypt("11010519491231002X"), crypto.encrypt("11010519491231002X")
    assert a != b and "11010519491231002X" not in a
    assert crypto.decrypt(a) == "11010519491231002X"
    assert crypto.encrypt("") == "" and crypto.decrypt("") == ""
    with override_settings(DATA_KEY="another key entirely, for this test only"):
        with pytest.raises(Exception):  # noqa: B017 - any failure to authenticate the ciphertext
            crypto.decrypt(a)
        other = crypto.digest("13812345678", "phone")
    assert crypto.digest("13812345678", "phone") != other
    assert crypto.digest("13812345678", "phone") != crypto.digest("13812345678", "id_number")
    assert crypto.digest("", "phone") is None


@pytest.mark.django_db
def test_audit_records_who_how_what_and_are_append_only(make):
    org = make.org("AUD-1")
    user = make.user("auditor")
    with channel("api", ip="10.0.0.1"):
        record = audit.record(user, "orgs.test", org, reason="因为", changes={"name": ["旧", "新"]})
    assert (record.actor, record.via, record.ip, record.object_id) == (user, "api", "10.0.0.1", str(org.pk))
    assert record.actor_label == "auditor"
    assert audit.history(org).filter(action="orgs.test").count() == 1
    with pytest.raises(RuntimeError):
        record.save()
    with pytest.raises(RuntimeError):
        record.delete()


@pytest.mark.django_db
def test_an_audit_record_rolls_back_with_its_change(make):
    org = make.org("AUD-2")
    before = AuditRecord.objects.count()
    with pytest.raises(ValueError), transaction.atomic():
        audit.record(None, "orgs.test", org)
        raise ValueError
    assert AuditRecord.objects.count() == before


def test_changes_between():
    assert audit.changes_between({"a": 1, "b": 2}, {"a": 1, "b": 3}, ["a", "b"]) == {"b": [2, 3]}


def job_ok(job, progress, n):
    progress(n, n, "done", force=True)
    jobs.save_file(job, "out.txt", "hello")
    return {"n": n}


def job_rejected(job, progress):
    from jingsai.core.errors import Problem, Rejected

    raise Rejected("坏文件", [Problem("第2行不对", row=2)])


def job_crash(job, progress):
    raise ZeroDivisionError


@pytest.mark.django_db
@pytest.mark.parametrize(("func", "status"), [
    ("tests.core.test_masking_crypto_audit.job_ok", Job.Status.SUCCEEDED),
    ("tests.core.test_masking_crypto_audit.job_rejected", Job.Status.FAILED),
    ("tests.core.test_masking_crypto_audit.job_crash", Job.Status.FAILED),
])
def test_jobs_run_after_commit_and_record_the_outcome(make, run_jobs, func, status):
    user = make.user()
    params = {"n": 3} if func.endswith("ok") else {}
    with run_jobs():
        job = jobs.start(kind="test", title="测试", func=func, actor=user, params=params)
        assert Job.objects.get(pk=job.pk).status == Job.Status.QUEUED
    job.refresh_from_db()
    assert job.status == status
    if status == Job.Status.SUCCEEDED:
        assert job.result == {"n": 3} and job.percent == 100
        assert jobs.result_path(job).read_text() == "hello"
    elif func.endswith("rejected"):
        assert job.error == "坏文件" and job.result["problems"][0]["row"] == 2
    else:
        assert "意外" in job.error or job.error


def test_styled_forms_validate_after_their_set_up():
    from django import forms as django_forms

    from jingsai.core.forms import StyledForm

    class Picky(StyledForm, django_forms.Form):
        choice = django_forms.ChoiceField(choices=[])
        dropped = django_forms.CharField()

        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.fields["choice"].choices = [("a", "A")]
            del self.fields["dropped"]

    form = Picky({"choice": "a"})
    assert form.is_valid(), form.errors
    bad = Picky({"choice": "b"})
    assert not bad.is_valid() and "is-invalid" in bad.fields["choice"].widget.attrs["class"]
