"""Theory exam: what a candidate's start costs as the question bank grows.

    .venv/bin/python bench/exam_start.py [--sizes 400,2400,5000] [--candidates N]

Builds, in a fresh PostgreSQL database, one bank per size (GIFT import: four objective
types and short answers over eight knowledge points) and one paper per bank drawn by
knowledge point, as cities write them: for each knowledge point 3 single-choice,
2 multiple-choice, 2 true/false and 1 fill-in question, then 10 single-choice from
anywhere and 2 short answers (34 sections, 76 questions). Then starts N candidates on
each, one bank after the other in turn so that whatever else the machine does weighs
on every size alike, each start as the exam page makes it: jingsai.exams.services.start
(read the bank's pool, draw, store the attempt and its items, audit) and the first view
(attempt_state).

Prints the application's CPU per start for each bank size next to the smallest bank's
in the same run, as a ratio: how a start grows with the bank. The draw reads every
question of the bank, so some growth is expected; it should be far from proportional.

DATABASE_URL (default postgres://postgres@127.0.0.1:5432/jingsai_bench_start) names the
database; it is dropped and created again at each run.
"""

import argparse
import datetime
import gc
import itertools
import os
import secrets
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/jingsai_bench_start")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jingsai.settings")
os.environ["DEBUG"] = "0"  # DEBUG keeps every query in memory

from exam_load import fresh_database  # noqa: E402 - bench/ is this script's directory, on the path

KNOWLEDGE_POINTS = 8
TYPES = ("single", "multiple", "judge", "fill", "short")


def gift(size, tag):
    lines = []
    for i in range(size):
        kind = TYPES[i % len(TYPES)]
        lines += [f"$CATEGORY: $course$/top/知识点{(i // len(TYPES)) % KNOWLEDGE_POINTS}", ""]
        stem = f"{tag}第{i}题"
        if kind == "single":
            lines.append(f"{stem}：下列哪一项正确？{{=甲{i} ~乙{i} ~丙{i} ~丁{i}}}")
        elif kind == "multiple":
            lines.append(f"{stem}：哪些做法正确？{{~%50%甲{i} ~%50%乙{i} ~%-100%丙{i} ~%-100%丁{i}}}")
        elif kind == "judge":
            lines.append(f"{stem}：焊前必须检查设备。{{TRUE}}")
        elif kind == "fill":
            lines.append(f"{stem}：保护气体通常是____。{{=氩气{i} =Ar{i}}}")
        else:
            lines.append(f"{stem}：简述焊接安全要点。{{}}")
        lines.append("")
    return "\n".join(lines).encode()


_serial = itertools.count(1)  # each worker's own birth date and identity number


def competition(union, series, code, name):
    """A city competition in progress (theory and practical) with one final stage:
    (competition, stage)."""
    from jingsai.competitions.models import Competition, Stage
    from jingsai.competitions.spec import load_spec, spec_as_json

    spec = load_spec({"code": code, "name": name, "host": union.code, "occupation": "6-18-02-04",
                      "series": {"code": series.code, "name": series.name, "year": series.year},
                      "level": "city", "class": "class2",
                      "components": [{"key": "theory", "name": "理论知识", "max": 100, "weight": "0.3", "pass": 60},
                                     {"key": "practical", "name": "操作技能", "max": 100, "weight": "0.7",
                                      "pass": 60}]})
    made = Competition.objects.create(
        code=code, name=spec["name"], host=union, series=series, occupation=spec["occupation"], level=spec["level"],
        klass=spec["class"], mode=spec["mode"], team_size=spec["team_size"], spec=spec_as_json(spec),
        status="in_progress")
    return made, Stage.objects.create(competition=made, key="final", name="决赛", order=0)


def candidates(competition, stage, units, count):
    """`count` approved entries of workers of `units` (in turn), each worker with a login:
    their users, in entry-number order."""
    from django.contrib.auth.hashers import make_password

    from jingsai.accounts.models import User
    from jingsai.core import crypto, idnumber
    from jingsai.core.masking import mask_id_number
    from jingsai.people.models import Person, id_digest
    from jingsai.registration.models import Entry

    people = []
    for i in range(count):
        serial = next(_serial)
        number = idnumber.make("310104", datetime.date(1970, 1, 1) + datetime.timedelta(days=serial), serial % 1000)
        people.append(Person(name=f"考生{serial}", employer=units[i % len(units)],
                             id_number_encrypted=crypto.encrypt(number), id_number_digest=id_digest(number),
                             id_number_masked=mask_id_number(number), birth_date=datetime.date(1980, 1, 1), sex="M"))
    Person.objects.bulk_create(people)
    Entry.objects.bulk_create([Entry(competition=competition, stage=stage, person=p, unit=p.employer, number=i + 1,
                                     status="approved") for i, p in enumerate(people)])
    return User.objects.bulk_create([User(username=f"b{p.pk}", person=p, password=make_password(None))
                                     for p in people])


def exam_session(competition, paper, duration_minutes):
    """An exam session of `paper`, open now and for four hours."""
    from django.utils import timezone

    from jingsai.exams import services

    now = timezone.now()
    return services.create_session(None, competition, paper=paper, name=f"基准理论考试{competition.code}",
                                   opens_at=now - datetime.timedelta(minutes=1),
                                   closes_at=now + datetime.timedelta(hours=4), duration_minutes=duration_minutes)


def build(sizes, count):
    from django.db import transaction

    from jingsai.competitions.models import Series
    from jingsai.exams import services
    from jingsai.orgs.services import create_organization

    worlds = []
    with transaction.atomic():
        union = create_organization(None, parent=None, code="S-UNION", name="基准市总工会", type="union")
        unit = create_organization(None, parent=union, code="S-UNIT", name="基准企业", type="enterprise")
        series = Series.objects.create(code="S-2026", name="基准系列赛", year=2026, host=union)
        for index, size in enumerate(sizes):  # one bank per occupation and level: levels 1 to 5
            made, stage = competition(union, series, f"S-{size}", f"基准焊工{size}")
            bank = services.create_bank(None, occupation="6-18-02-04", level=index + 1, owner=union,
                                        name=f"基准题库{size}")
            services.import_questions(None, bank, gift(size, f"库{size}"), filename="bank.gift", fmt="gift")
            sections = []
            for kp in range(KNOWLEDGE_POINTS):
                for kind, n in (("single", 3), ("multiple", 2), ("judge", 2), ("fill", 1)):
                    sections.append({"type": kind, "knowledge_point": f"知识点{kp}", "count": n, "points": "1"})
            sections += [{"type": "single", "count": 10, "points": "1"}, {"type": "short", "count": 2, "points": "5"}]
            paper = services.save_paper(None, competition=made, bank=bank, name="基准试卷", kind="blueprint",
                                        sections=sections)
            session = exam_session(made, paper, 120)
            worlds.append({"size": size, "session": session, "users": candidates(made, stage, [unit], count),
                           "items": sum(s["count"] for s in sections), "sections": len(sections)})
    return worlds


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="400,2400,5000", help="bank sizes (questions), smallest first")
    parser.add_argument("--candidates", type=int, default=100, help="candidates started on each bank")
    args = parser.parse_args()
    sizes = sorted(int(size) for size in args.sizes.split(","))
    if not 1 <= len(sizes) <= 5:
        sys.exit("--sizes: one to five bank sizes (one bank per skill level)")
    fresh_database(os.environ["DATABASE_URL"])
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from jingsai.exams import services

    call_command("migrate", verbosity=0)
    print(f"building {len(sizes)} banks ({', '.join(map(str, sizes))} questions) with {args.candidates} candidates "
          f"each in {connection.settings_dict['NAME']}…", flush=True)
    worlds = build(sizes, args.candidates)
    gc.collect()
    gc.freeze()  # as gunicorn's master does before forking a worker (jingsai.gunicorn_conf)
    spent = {world["size"]: [] for world in worlds}
    database = {world["size"]: 0.0 for world in worlds}
    backend = Path(f"/proc/{connection.connection.info.backend_pid}/stat")
    warm = 5  # the first starts on each bank fill caches; they are not counted
    for index in range(args.candidates):
        for world in worlds:
            db_began = backend_seconds(backend)  # read outside the timed part: it is not the application's
            began = time.process_time()
            attempt = services.start(world["users"][index], world["session"], device=secrets.token_hex(8))
            services.attempt_state(attempt)
            ended = time.process_time()
            if index >= warm:
                spent[world["size"]].append(ended - began)
                database[world["size"]] += backend_seconds(backend) - db_began
    counted = args.candidates - warm
    base = statistics.fmean(spent[sizes[0]])
    print(f"paper: {worlds[0]['sections']} sections by knowledge point, {worlds[0]['items']} questions; "
          f"{counted} starts counted per bank (application CPU: start and first view; database CPU: "
          f"its PostgreSQL backend's, to {1000 / CLOCK:g} ms)")
    print(f"{'bank':>12} {'CPU/start ms':>13} {'p50 ms':>8} {'vs smallest':>12} {'database ms':>12}")
    for world in worlds:
        times = spent[world["size"]]
        mean = statistics.fmean(times)
        print(f"{world['size']:>12,} {mean * 1000:>13.2f} {statistics.median(times) * 1000:>8.2f} "
              f"{mean / base:>11.2f}x {database[world['size']] / counted * 1000:>12.2f}")


CLOCK = os.sysconf("SC_CLK_TCK")


def backend_seconds(stat):
    """CPU time a process has used so far (user and system), from /proc/PID/stat."""
    text = stat.read_text()
    fields = text[text.rindex(")") + 2:].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK


def timed(record, backend, run, *args):
    """run(*args), its wall time, this process's CPU and the PostgreSQL backend's CPU appended
    to record["wall"], ["cpu"] and ["db"]; returns what run returned."""
    db_began, cpu_began, wall_began = backend_seconds(backend), time.process_time(), time.perf_counter()
    result = run(*args)
    record["wall"].append(time.perf_counter() - wall_began)
    record["cpu"].append(time.process_time() - cpu_began)
    record["db"].append(backend_seconds(backend) - db_began)
    return result


if __name__ == "__main__":
    main()
