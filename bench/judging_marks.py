"""Judges' marks: the time to save one mark from the mark entry page, and to import a file
of marks, each next to a baseline measured in the same run, into a fresh SQLite file.

1. One mark through `POST /api/judging/stages/{id}/stations/{n}/marks` (permission with the
   conflict-of-interest check, row lock, idempotency key, rules, history and audit record).
   Baseline: the cheapest authenticated API call, `GET /api/accounts/me`.
2. A judges' marks file imported (`judging.imports.import_judge_marks`: every row checked,
   then written in bulk). Baseline: the same marks saved one at a time with
   `marking.record_mark`, on SUBSET of them, extrapolated linearly.

    .venv/bin/python bench/judging_marks.py
"""

import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STATIONS = 40
IMPORT_STATIONS = 200
SUBSET = 200


def setup(var_dir):
    os.environ["JINGSAI_VAR_DIR"] = var_dir
    os.environ.pop("DATABASE_URL", None)
    os.environ["DJANGO_SETTINGS_MODULE"] = "jingsai.settings"
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.ALLOWED_HOSTS = ["testserver"]
    call_command("migrate", verbosity=0)


def per_request(client, requests):
    started = time.perf_counter()
    for method, url, body in requests:
        response = getattr(client, method)(url, body, content_type="application/json") if body else client.get(url)
        assert response.status_code == 200, response.content
    return (time.perf_counter() - started) / len(requests)


def api_marks():
    from django.test import Client

    from tests.judging import factories

    w = factories.world(entries=STATIONS)
    client = Client()
    client.force_login(w.judges[0].user)
    base = f"/api/judging/stages/{w.stage.pk}/stations"
    values = {"A1": "10", "A2": "2", "A3": "20", "B1a": "15", "B1b": "3"}
    marks = [("post", f"{base}/{n}/marks", {"aspect": code, "value": value, "key": f"k-{n}-{code}"})
             for n in range(1, STATIONS + 1) for code, value in values.items()]
    baseline = per_request(client, [("get", "/api/accounts/me", None)] * len(marks))
    measured = per_request(client, marks)
    return measured, baseline, w


def import_marks(w):
    from jingsai.core import spreadsheets as sheets
    from jingsai.judging import imports
    from jingsai.judging.models import Mark
    from jingsai.judging.services import judges, marking
    from tests import factories
    from tests.judging import factories as judging_factories

    competition = factories.competition(host=w.host, status="in_progress", marking_scheme=judging_factories.SCHEME)
    stage = competition.stages.get()
    for judge in w.judges:
        judges.assign(w.actor, competition, judge)
    for _ in range(IMPORT_STATIONS):
        factories.entry(competition, unit=w.orgs["unit_a"])
    judging_factories.ready_venue(stage)
    rows = []
    for contestant in judging_factories.contestants(stage):
        rows += [[str(contestant.contestant_number), "", "J1", "A1", "10"],
                 [str(contestant.contestant_number), "", "J1", "B1a", "15"]]
        for judge in ("J1", "J2", "J3"):
            rows += [[str(contestant.contestant_number), "", judge, code, value]
                     for code, value in (("A2", "2"), ("A3", "20"), ("B1b", "3"))]
    columns = [c for c in imports.COLUMNS if c.key != "id_number"]
    table = sheets.read_table(sheets.xlsx_bytes(columns, rows), "marks.xlsx")
    started = time.perf_counter()
    imports.import_judge_marks(w.actor, competition, stage, table)
    measured = time.perf_counter() - started
    Mark.objects.filter(contestant__stage=stage).delete()
    by_code = {a.code: a for a in marking.Plan(stage).aspects}
    judge_of = {j.code: j for j in w.judges}
    numbers = {c.contestant_number: c for c in judging_factories.contestants(stage)}
    started = time.perf_counter()
    for number, _s, judge, code, value in rows[:SUBSET]:
        marking.record_mark(w.actor, numbers[int(number)], by_code[code], value, judge=judge_of[judge],
                            source="import")
    baseline = (time.perf_counter() - started) / SUBSET * len(rows)
    return measured, baseline, len(rows)


def main():
    with tempfile.TemporaryDirectory() as var_dir:
        setup(var_dir)
        from django.utils import translation

        translation.activate("zh-hans")
        measured, baseline, w = api_marks()
        print(f"one mark through the API: {measured * 1000:.1f} ms; baseline GET /api/accounts/me "
              f"{baseline * 1000:.1f} ms; ratio {measured / baseline:.1f}")
        measured, baseline, count = import_marks(w)
        print(f"import of {count} judges' marks: {measured:.2f} s; baseline one record_mark at a time "
              f"{baseline:.2f} s (extrapolated from {SUBSET}); ratio {measured / baseline:.2f}")


if __name__ == "__main__":
    main()
