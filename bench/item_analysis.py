"""Theory exam: what a sitting's item analysis (试题分析) costs for a hall of thousands.

    .venv/bin/python bench/item_analysis.py [--hall 2000] [--rounds 5]

Builds, in a fresh PostgreSQL database, one exam of a 100-question paper drawn per
candidate from a 500-question bank (single choice, multiple choice, true/false and
fill-in, so every attempt is graded when handed in), and a hall of --hall candidates who
start, answer every question and hand in, each right more or less often as their ability
(drawn at random) has it.

Then, --rounds times in turn so that other load on the machine weighs on both alike:
1. floor  read what the analysis summarizes into the application: every graded item of
          the sitting (attempt, position, version, score, points) and every answer: what
          computing it in Python would spend before any arithmetic.
2. ours   jingsai.exams.analysis.item_statistics: the sums, the best and weakest 27%
          and the options chosen counted by the database, then the rows.

Prints each (wall time, the application's CPU, its PostgreSQL backend's CPU) and ours
against the floor, as a ratio: below 1, it costs less than only reading the rows would.

DATABASE_URL (default postgres://postgres@127.0.0.1:5432/jingsai_bench_items) names the
database; it is dropped and created again at each run.
"""

import argparse
import json
import os
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/jingsai_bench_items")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jingsai.settings")
os.environ["DEBUG"] = "0"  # DEBUG keeps every query in memory

from exam_load import fresh_database  # noqa: E402 - bench/ is this script's directory, on the path
from exam_start import candidates, competition, exam_session, gift, timed  # noqa: E402

QUESTIONS = 100
TYPES = ("single", "multiple", "judge", "fill")


def objective_gift(size):
    """A GIFT bank of `size` questions of the four automatically graded types: the
    start bench's bank without its short answers (each question is four lines)."""
    lines = gift(size * 5 // 4 + 5, "库").decode().split("\n")
    kept = [lines[i:i + 4] for i in range(0, len(lines), 4) if "{}" not in lines[i + 2]]
    return "\n".join(line for chunk in kept[:size] for line in chunk).encode()


def build(size, rng):
    """The sitting, every candidate handed in: the session."""
    from django.db import transaction

    from jingsai.competitions.models import Series
    from jingsai.exams import scoring, services
    from jingsai.exams.models import AttemptItem, QuestionType
    from jingsai.orgs.services import create_organization

    with transaction.atomic():
        union = create_organization(None, parent=None, code="I-UNION", name="基准市总工会", type="union")
        units = [create_organization(None, parent=union, code=f"I-UNIT{i}", name=f"基准企业{i}", type="enterprise")
                 for i in range(20)]
        series = Series.objects.create(code="I-2026", name="基准系列赛", year=2026, host=union)
        bank = services.create_bank(None, occupation="6-18-02-04", level=3, owner=union, name="基准题库")
        services.import_questions(None, bank, objective_gift(500), filename="bank.gift", fmt="gift")
        made, stage = competition(union, series, "I-HALL", "基准焊工")
        paper = services.save_paper(None, competition=made, bank=bank, name="基准试卷", kind="blueprint",
                                    sections=[{"type": kind, "count": QUESTIONS // len(TYPES), "points": "1"}
                                              for kind in TYPES])
        session = exam_session(made, paper, 180)
        users = candidates(made, stage, units, size)
    for index, user in enumerate(users):
        device = f"bench-{index}"
        ability = rng.uniform(0.2, 0.95)
        attempt = services.start(user, session, device=device)
        answers = []
        for item in AttemptItem.objects.filter(attempt=attempt).select_related("version"):
            version = item.version
            right = scoring.correct_response(version.type, version.answer)
            keys = [o["key"] for o in version.options]
            if version.type == QuestionType.JUDGE:
                response = right if rng.random() < ability else not right
            elif version.type == QuestionType.SINGLE:
                response = right[0] if rng.random() < ability else rng.choice(keys)
            elif version.type == QuestionType.MULTIPLE:
                response = right if rng.random() < ability else rng.sample(keys, rng.randint(1, len(keys)))
            else:
                response = [blank[0] for blank in right] if rng.random() < ability else ["不知道"]
            answers.append((item.position, 1, json.dumps(response, ensure_ascii=False)))
        services.save_answers(attempt.pk, device, answers)
        services.submit(user, attempt, device=device)
        if (index + 1) % 500 == 0:
            print(f"  {index + 1:,} handed in", flush=True)
    return session


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--hall", type=int, default=2000, help="candidates")
    parser.add_argument("--rounds", type=int, default=5, help="times each is measured")
    args = parser.parse_args()
    fresh_database(os.environ["DATABASE_URL"])
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from jingsai.exams import analysis
    from jingsai.exams.models import Answer, AttemptItem, AttemptStatus

    call_command("migrate", verbosity=0)
    print(f"building a sitting of {args.hall:,} candidates × {QUESTIONS} questions, all handed in, in "
          f"{connection.settings_dict['NAME']}…", flush=True)
    began = time.perf_counter()
    session = build(args.hall, random.Random(7))
    print(f"built in {time.perf_counter() - began:.0f} s", flush=True)
    with connection.cursor() as cursor:  # what autovacuum would have done by then
        cursor.execute("ANALYZE")
    backend = Path(f"/proc/{connection.connection.info.backend_pid}/stat")

    def floor():
        graded = {"attempt__session": session, "attempt__status": AttemptStatus.GRADED}
        items = list(AttemptItem.objects.filter(**graded).order_by()
                     .values_list("attempt_id", "position", "version_id", "score", "points"))
        answers = list(Answer.objects.filter(**graded).order_by().values_list("attempt_id", "position", "response"))
        return len(items) + len(answers)

    def ours():
        count, group, rows = analysis.item_statistics(session)
        assert count == args.hall and group and rows, (count, group, len(rows))
        return len(rows)

    kinds = [("floor", floor), ("ours", ours)]
    measured = {name: {"wall": [], "cpu": [], "db": []} for name, _f in kinds}
    for _name, run in kinds:  # once each, not counted
        run()
    for _round in range(args.rounds):
        for name, run in kinds:
            timed(measured[name], backend, run)
    _count, group, rows = analysis.item_statistics(session)
    flagged = sum(1 for row in rows if row.flag)
    print(f"{len(rows)} question versions, groups of {group}, {flagged} flagged; {args.rounds} rounds "
          f"(application CPU: this process; database CPU: its PostgreSQL backend's, to 10 ms a reading)")
    print(f"{'':<6} {'wall ms':>9} {'CPU ms':>8} {'db ms':>7} {'vs floor':>9}")
    cost = {name: statistics.fmean(r["cpu"]) + statistics.fmean(r["db"]) for name, r in measured.items()}
    for name, _run in kinds:
        record = measured[name]
        wall, cpu = statistics.median(record["wall"]), statistics.fmean(record["cpu"])
        db = statistics.fmean(record["db"])
        print(f"{name:<6} {wall * 1000:>9.0f} {cpu * 1000:>8.0f} {db * 1000:>7.0f} {cost[name] / cost['floor']:>8.2f}x")


if __name__ == "__main__":
    main()
