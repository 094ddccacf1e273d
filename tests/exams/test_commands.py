"""The exams' commands: the worker runs deferred time-out hand-ins, `exams sweep` hands in
what is overdue, `questions import` changes nothing when the file is rejected, and the
organizer's `exams sessions` / `exams results`."""

import datetime
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.utils import timezone

from jingsai.exams import services
from jingsai.exams.models import Attempt, AttemptStatus, Bank, EndedBy
from tests.exams import factories as ex

pytestmark = pytest.mark.django_db
DATA = Path(__file__).parent / "data"


def _run(*args):
    out, err = StringIO(), StringIO()
    try:
        call_command(*args, stdout=out, stderr=err)
    except SystemExit as exit_:
        code = exit_.code
    else:
        code = 0
    assert "Traceback" not in err.getvalue()
    return code, out.getvalue(), err.getvalue()


def test_the_rq_worker_runs_with_the_scheduler(monkeypatch, settings):
    """Without RQ's scheduler a task queued with run_after (the time-out hand-in) never runs."""
    from django_rq.management.commands.rqworker import Command as RqWorker

    from jingsai.core.management.commands import worker

    calls = []
    monkeypatch.setattr(worker, "call_command", lambda *args, **kwargs: calls.append((args, kwargs)))
    settings.REDIS_URL = "redis://127.0.0.1:6379/0"
    call_command("worker", "--burst")
    (args, kwargs), = calls
    assert args == ("rqworker", "default")
    assert kwargs["with_scheduler"] is True and kwargs["job_class"] == "django_tasks_rq.Job" and kwargs["burst"]
    dests = {action.dest for action in RqWorker().create_parser("jingsai", "rqworker")._actions}
    assert {"with_scheduler", "job_class", "burst"} <= set(kwargs) <= dests


def test_exams_sweep_hands_in_attempts_whose_time_and_grace_are_over():
    now = timezone.now()
    world = ex.exam(n_candidates=2, opens=now - datetime.timedelta(hours=2), minutes=60)
    (late_user, _e1), (on_time_user, _e2) = world["candidates"]
    overdue = services.start(late_user, world["session"], now=now - datetime.timedelta(minutes=90))
    running = services.start(on_time_user, world["session"], now=now - datetime.timedelta(minutes=10))
    assert overdue.accept_until < now < running.deadline
    code, out, _err = _run("exams", "sweep")
    assert code == 0 and "1" in out
    overdue.refresh_from_db()
    running.refresh_from_db()
    assert overdue.status != AttemptStatus.IN_PROGRESS and overdue.ended_by == EndedBy.TIMEOUT
    assert running.status == AttemptStatus.IN_PROGRESS
    assert _run("exams", "sweep")[0] == 0
    assert Attempt.objects.filter(status=AttemptStatus.IN_PROGRESS).count() == 1


def test_a_rejected_import_leaves_no_new_bank_behind(make):
    make.org("TOP", type="union")
    before = Bank.objects.count()
    code, _out, err = _run("questions", "import", str(DATA / "gift_bad.gift"), "--occupation", "6-18-02-04",
                           "--level", "4")
    assert code == 1 and err
    assert Bank.objects.count() == before
    assert not Bank.objects.filter(occupation="6-18-02-04", level=4).exists()
    code, out, _err = _run("questions", "import", str(DATA / "gift_sample.gift"), "--occupation", "6-18-02-04",
                           "--level", "4")
    assert code == 0 and "“" in out and Bank.objects.filter(occupation="6-18-02-04", level=4).count() == 1


def test_exams_sessions_lists_and_results_writes_the_scores(tmp_path):
    from jingsai.core import spreadsheets as sheets

    world = ex.exam(n_candidates=2)
    session = world["session"]
    user, _entry = world["candidates"][0]
    attempt = services.start(user, session)
    services.submit(user, attempt)
    code, out, _err = _run("exams", "sessions", session.competition.code)
    assert code == 0 and str(session.pk) in out and session.name in out
    target = tmp_path / "results.xlsx"
    code, out, _err = _run("exams", "results", str(session.pk), "--out", str(target))
    assert code == 0 and "1" in out
    table = sheets.read_table(target)
    rows = list(table.data_rows())
    assert table.headers[:2] == ["参赛号", "姓名"] and len(rows) == 1
    csv_file = tmp_path / "results.csv"
    assert _run("exams", "results", str(session.pk), "--out", str(csv_file))[0] == 0
    assert csv_file.read_text(encoding="utf-8-sig").splitlines()[0].startswith("参赛号,姓名")
    code, _out, err = _run("exams", "results", "999999", "--out", str(target))
    assert code == 1 and "999999" in err
    code, _out, err = _run("exams", "results", str(session.pk), "--out", str(tmp_path / "x.pdf"))
    assert code == 1 and "csv" in err
