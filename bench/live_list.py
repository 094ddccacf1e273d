"""Theory exam: what the invigilators' live list costs for a hall of thousands.

    .venv/bin/python bench/live_list.py [--hall 2000] [--room 50] [--rounds 10]

Builds, in a fresh PostgreSQL database, two exams of a 100-question paper: a room of
--room candidates and a hall of --hall. Everyone starts (jingsai.exams.services.start)
and saves an answer to every question, as at the end of an exam, when the list counts the
most answers. Then it asks for the list as an invigilator's browser does every five
seconds (the htmx refresh of /work/exams/sessions/N/monitor/, through Django's test
client, so the whole view and its template run), and the API's list, the room and the
hall in turn for --rounds rounds, so that other load on the machine weighs on both alike.

Prints, for each, the time per refresh (wall, the application's CPU and its PostgreSQL
backend's CPU) and the size of the answer, next to the room's in the same run, as a ratio:
how the list grows with the hall. The page shows 100 rows at a time and its counts are of
everyone, so the page's ratio should stay well below the hall's size over the room's; the
API's list is paged the same way since 2026-12-07 (its first page of 100 rows is measured;
bench/NOTES.md's earlier figures are of every row). Also the hall's page with every row on
it (MONITOR_PAGE raised), which is what each refresh cost before the list was paged.

DATABASE_URL (default postgres://postgres@127.0.0.1:5432/jingsai_bench_live) names the
database; it is dropped and created again at each run.
"""

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/jingsai_bench_live")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jingsai.settings")
os.environ["DEBUG"] = "0"  # DEBUG keeps every query in memory

from exam_load import fresh_database  # noqa: E402 - bench/ is this script's directory, on the path
from exam_start import candidates, competition, exam_session, gift, timed  # noqa: E402

QUESTIONS = 100


def build(sizes):
    """One competition, exam session and set of started candidates per size: [(size, session)]."""
    from django.db import transaction

    from jingsai.competitions.models import Series
    from jingsai.exams import services
    from jingsai.orgs.services import create_organization

    with transaction.atomic():
        union = create_organization(None, parent=None, code="L-UNION", name="基准市总工会", type="union")
        units = [create_organization(None, parent=union, code=f"L-UNIT{i}", name=f"基准企业{i}", type="enterprise")
                 for i in range(20)]
        series = Series.objects.create(code="L-2026", name="基准系列赛", year=2026, host=union)
        bank = services.create_bank(None, occupation="6-18-02-04", level=3, owner=union, name="基准题库")
        services.import_questions(None, bank, gift(500, "库"), filename="bank.gift", fmt="gift")
    worlds = []
    for size in sizes:
        with transaction.atomic():
            made, stage = competition(union, series, f"L-{size}", f"基准焊工{size}")
            paper = services.save_paper(None, competition=made, bank=bank, name="基准试卷", kind="blueprint",
                                        sections=[{"type": "single", "count": 40, "points": "1"},
                                                  {"type": "multiple", "count": 20, "points": "1"},
                                                  {"type": "judge", "count": 20, "points": "1"},
                                                  {"type": "fill", "count": 20, "points": "1"}])
            session = exam_session(made, paper, 180)
            users = candidates(made, stage, units, size)
        answer = json.dumps("A")
        for index, user in enumerate(users):
            device = f"bench-{size}-{index}"
            attempt = services.start(user, session, device=device)
            services.save_answers(attempt.pk, device, [(position, 1, answer) for position in range(QUESTIONS)])
        worlds.append((size, session))
    return worlds


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--hall", type=int, default=2000, help="candidates in the hall")
    parser.add_argument("--room", type=int, default=50, help="candidates in the room (the baseline)")
    parser.add_argument("--rounds", type=int, default=10, help="refreshes timed of each")
    args = parser.parse_args()
    fresh_database(os.environ["DATABASE_URL"])
    import django

    django.setup()
    from django.conf import settings
    from django.core.cache import cache
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    from jingsai.accounts.models import User
    from jingsai.exams import views

    call_command("migrate", verbosity=0)
    print(f"building a room of {args.room} and a hall of {args.hall} candidates, everyone started with "
          f"{QUESTIONS} answers saved, in {connection.settings_dict['NAME']}…", flush=True)
    began = time.perf_counter()
    worlds = dict(build([args.room, args.hall]))
    print(f"built in {time.perf_counter() - began:.0f} s", flush=True)
    with connection.cursor() as cursor:  # what autovacuum would have done by the end of an exam
        cursor.execute("ANALYZE")
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    invigilator = User.objects.create(username="bench-invigilator", is_superuser=True, is_staff=True)
    client = Client()
    client.force_login(invigilator)
    backend = Path(f"/proc/{connection.connection.info.backend_pid}/stat")
    paged = views.MONITOR_PAGE

    def page(session):
        cache.clear()  # computed for this refresh, as for the first invigilator in LIVE_LIST_SECONDS
        return shared(session)

    def shared(session):
        return client.get(f"/work/exams/sessions/{session.pk}/monitor/", HTTP_HX_REQUEST="true")

    def api(session):
        cache.clear()
        return client.get(f"/api/exams/sessions/{session.pk}/monitor")

    def whole(session):
        views.MONITOR_PAGE = 10**9
        try:
            return page(session)
        finally:
            views.MONITOR_PAGE = paged

    kinds = [("page", "room", page, args.room), ("page", "hall", page, args.hall),
             ("shared", "room", shared, args.room), ("shared", "hall", shared, args.hall),
             ("API", "room", api, args.room), ("API", "hall", api, args.hall),
             ("whole page", "hall", whole, args.hall)]
    measured = {(kind, where): {"wall": [], "cpu": [], "db": [], "bytes": 0} for kind, where, _f, _n in kinds}
    for _kind, _where, fetch, size in kinds:  # once each, not counted: templates, caches
        assert fetch(worlds[size]).status_code == 200
    for _round in range(args.rounds):
        for kind, where, fetch, size in kinds:
            record = measured[(kind, where)]
            response = timed(record, backend, fetch, worlds[size])
            record["bytes"] = len(response.content)
            assert response.status_code == 200, response.status_code
    print(f"{args.rounds} refreshes of each, in turn (application CPU: this process; database CPU: its PostgreSQL "
          f"backend's, to 10 ms a reading)")
    print(f"{'list':<11} {'candidates':>10} {'wall ms':>9} {'CPU ms':>8} {'db ms':>7} {'KB':>7} {'vs room':>8}")
    for kind, where, _fetch, size in kinds:
        record = measured[(kind, where)]
        cost = statistics.fmean(record["cpu"]) + statistics.fmean(record["db"])
        base = measured[(kind if kind != "whole page" else "page", "room")]
        base_cost = statistics.fmean(base["cpu"]) + statistics.fmean(base["db"])
        print(f"{kind:<11} {size:>10,} {statistics.median(record['wall']) * 1000:>9.0f} "
              f"{statistics.fmean(record['cpu']) * 1000:>8.0f} {statistics.fmean(record['db']) * 1000:>7.0f} "
              f"{record['bytes'] / 1024:>7.0f} {cost / base_cost:>7.1f}x")


if __name__ == "__main__":
    main()
