"""The exams' commands: the worker runs deferred time-out hand-ins, `exams sweep` hands in
what is overdue, `questions import` changes nothing when the file is rejected, and the
organizer's `exams sessions` / `exams results`."""

import datetime
from pathlib import Path

import pytest
from django.core.management import call_command
from django.utils import timezone

from jingsai.exams import services
from jingsai.exams.models import Attempt, AttemptStatus, Bank, EndedBy
from tests.commands import run_command
from tests.exams import factories as ex

pytestmark = pytest.mark.django_db
DATA = Path(__file__).parent / "data"


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
    code, out, _err = run_command("exams", "sweep")
    assert code == 0 and "1" in out
    overdue.refresh_from_db()
    running.refresh_from_db()
    assert overdue.status != AttemptStatus.IN_PROGRESS and overdue.ended_by == EndedBy.TIMEOUT
    assert running.status == AttemptStatus.IN_PROGRESS
    assert run_command("exams", "sweep")[0] == 0
    assert Attempt.objects.filter(status=AttemptStatus.IN_PROGRESS).count() == 1


def test_a_rejected_import_leaves_no_new_bank_behind(make):
    make.org("TOP", type="union")
    before = Bank.objects.count()
    code, _out, err = run_command("questions", "import", str(DATA / "gift_bad.gift"), "--occupation", "6-18-02-04",
                           "--level", "4")
    assert code == 1 and err
    assert Bank.objects.count() == before
    assert not Bank.objects.filter(occupation="6-18-02-04", level=4).exists()
    code, out, _err = run_command("questions", "import", str(DATA / "gift_sample.gift"), "--occupation", "6-18-02-04",
                           "--level", "4")
    assert code == 0 and "“" in out and Bank.objects.filter(occupation="6-18-02-04", level=4).count() == 1


def test_exams_sessions_lists_and_results_writes_the_scores(tmp_path):
    from jingsai.core import spreadsheets as sheets

    world = ex.exam(n_candidates=2)
    session = world["session"]
    user, _entry = world["candidates"][0]
    attempt = services.submit(user, services.start(user, session))
    code, out, _err = run_command("exams", "sessions", session.competition.code)
    assert code == 0 and str(session.pk) in out and session.name in out
    handed_in = "待阅卷 1，已评分 0" if attempt.status == "submitted" else "待阅卷 0，已评分 1"
    assert "答题中 0" in out and handed_in in out, out
    target = tmp_path / "results.xlsx"
    code, out, _err = run_command("exams", "results", str(session.pk), "--out", str(target))
    assert code == 0 and "1" in out
    table = sheets.read_table(target)
    rows = list(table.data_rows())
    assert table.headers[:3] == ["参赛号", "赛段", "姓名"] and len(rows) == 1
    csv_file = tmp_path / "results.csv"
    assert run_command("exams", "results", str(session.pk), "--out", str(csv_file))[0] == 0
    assert csv_file.read_text(encoding="utf-8-sig").splitlines()[0].startswith("参赛号,赛段,姓名")
    code, _out, err = run_command("exams", "results", "999999", "--out", str(target))
    assert code == 1 and "999999" in err
    code, _out, err = run_command("exams", "results", str(session.pk), "--out", str(tmp_path / "x.pdf"))
    assert code == 1 and "csv" in err


def test_exams_results_on_a_full_disk_says_so_and_leaves_the_earlier_file(tmp_path, monkeypatch):
    from jingsai.core import files

    world = ex.exam(n_candidates=1)
    session = world["session"]
    csv_file = tmp_path / "results.csv"
    csv_file.write_text("the earlier results\n", encoding="utf-8")

    def full(_fd):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(files.os, "fsync", full)
    code, _out, err = run_command("exams", "results", str(session.pk), "--out", str(csv_file))
    assert (code, err.strip()) == (1, f"无法读写文件 {csv_file}：磁盘已满。")
    assert csv_file.read_text(encoding="utf-8") == "the earlier results\n"
    assert [p.name for p in tmp_path.iterdir()] == ["results.csv"]


def test_papers_and_sessions_are_made_from_json_files_as_the_api_takes_them(tmp_path):
    import json

    from jingsai.exams.models import ExamSession, Paper
    from tests import factories

    orgs = factories.tree()
    competition = factories.competition(host=orgs["union"], status="in_progress")
    bank = ex.bank(owner=orgs["union"], occupation="6-18-02-04", level=3)
    ex.fill_bank(bank)
    paper_file = tmp_path / "paper.json"
    paper_file.write_text(json.dumps({
        # a space around the occupation, as a copy from a spreadsheet leaves it, is no other occupation
        "competition": competition.code, "occupation": " 6-18-02-04 ", "level": 3, "name": "命令行试卷",
        "sections": [{"type": "single", "count": 4, "points": "5"}, {"type": "judge", "count": 4, "points": "2.5"}],
    }, ensure_ascii=False), encoding="utf-8")
    code, out, err = run_command("exams", "create-paper", str(paper_file))
    assert code == 0, err
    paper = Paper.objects.get(competition=competition, name="命令行试卷")
    assert f"{paper.pk}" in out and "8" in out and "30" in out
    assert paper.bank == bank and [s.count for s in paper.sections.all()] == [4, 4]
    code, out, _err = run_command("exams", "papers", competition.code)
    assert code == 0 and "命令行试卷" in out

    session_file = tmp_path / "session.json"
    session_file.write_text(json.dumps({
        "competition": competition.code, "paper": paper.pk, "name": "命令行场次",
        "opens_at": "2026-12-10T09:00:00", "closes_at": "2026-12-10T11:00:00", "duration_minutes": 90,
        "grace_seconds": 60,
    }, ensure_ascii=False), encoding="utf-8")
    code, out, err = run_command("exams", "create-session", str(session_file))
    assert code == 0, err
    session = ExamSession.objects.get(competition=competition, name="命令行场次")
    assert timezone.localtime(session.opens_at).strftime("%Y-%m-%d %H:%M") == "2026-12-10 09:00"
    assert session.duration_minutes == 90 and session.grace_seconds == 60 and session.paper == paper
    assert "2026-12-10 09:00" in out


def test_a_bad_paper_or_session_file_is_explained_and_makes_nothing(tmp_path):
    import json

    from jingsai.exams.models import ExamSession, Paper

    world = ex.exam()
    competition = world["competition"]
    papers, sessions = Paper.objects.count(), ExamSession.objects.count()
    bad = tmp_path / "bad.json"
    bad.write_text("{not json", encoding="utf-8")
    code, _out, err = run_command("exams", "create-paper", str(bad))
    assert code == 1 and "JSON" in err
    bad.write_text(json.dumps({"competition": competition.code, "bank": world["bank"].pk, "name": "坏试卷",
                               "sections": [{"type": "essay", "count": "many", "points": "5"}]}), encoding="utf-8")
    code, _out, err = run_command("exams", "create-paper", str(bad))
    assert code == 1 and "sections.0.type" in err and "sections.0.count" in err
    assert "不是" in err or "整数" in err  # the person's language, not pydantic's English
    bad.write_text(json.dumps({"competition": competition.code, "bank": world["bank"].pk, "name": "坏试卷",
                               "sections": [{"type": "single", "count": 999, "points": "5"}]}), encoding="utf-8")
    code, _out, err = run_command("exams", "create-paper", str(bad))
    assert code == 1 and err
    bad.write_text(json.dumps({"competition": competition.code, "paper": world["paper"].pk, "name": "坏场次",
                               "opens_at": "2026-12-10T11:00:00", "closes_at": "2026-12-10T09:00:00",
                               "duration_minutes": 90}), encoding="utf-8")
    code, _out, err = run_command("exams", "create-session", str(bad))
    assert code == 1 and err
    bad.write_text(json.dumps({"competition": competition.code, "occupation": "6-18-02-04", "level": "三级",
                               "name": "坏试卷", "sections": [{"type": "single", "count": 1, "points": "5"}]},
                              ensure_ascii=False), encoding="utf-8")
    code, _out, err = run_command("exams", "create-paper", str(bad))
    assert code == 1 and "6-18-02-04" in err
    code, _out, err = run_command("exams", "create-session", str(tmp_path / "missing.json"))
    assert code == 1 and "missing.json" in err
    assert (Paper.objects.count(), ExamSession.objects.count()) == (papers, sessions)


def test_a_session_is_changed_and_a_candidate_given_extra_time_from_the_command_line(tmp_path):
    import json

    from jingsai.core.models import AuditRecord
    from jingsai.exams import services
    from jingsai.exams.models import Allowance

    world = ex.exam(n_candidates=1)
    session = world["session"]
    user, entry = world["candidates"][0]
    change = tmp_path / "change.json"
    change.write_text(json.dumps({"duration_minutes": 75, "access_code": "A7", "reason": "考场调整"}), encoding="utf-8")
    code, out, err = run_command("exams", "update-session", str(session.pk), str(change))
    assert code == 0, err
    session.refresh_from_db()
    assert session.duration_minutes == 75 and session.access_code == "A7" and "duration_minutes" in out
    assert AuditRecord.objects.filter(action="exams.update_session", reason="考场调整").exists()
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"name": ""}), encoding="utf-8")
    code, _out, err = run_command("exams", "update-session", str(session.pk), str(bad))
    assert code == 1 and "考试名称" in err
    attempt = services.start(user, session, device="d", access_code="A7")
    code, out, err = run_command("exams", "allowance", str(session.pk), "--entry", str(entry.number),
                                 "--minutes", "15", "--reason", "听障考生")
    assert code == 0, err
    assert Allowance.objects.get(session=session, entry=entry).extra_minutes == 15 and "15" in out
    attempt.refresh_from_db()
    assert attempt.deadline == attempt.started_at + timezone.timedelta(minutes=90)
    code, _out, err = run_command("exams", "allowance", str(session.pk), "--entry", "999", "--minutes", "5",
                                  "--reason", "x")
    assert code == 1 and "999" in err
