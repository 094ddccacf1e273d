"""Results: recompute 200,000 entries over 100 competitions in PostgreSQL, and render
2,000 certificates, in one run.

    .venv/bin/python bench/results_compute.py [--competitions N] [--entries N] [--certificates N]

1. floor  for every competition, read its inputs (approved entries, component scores,
          absences) and bulk-insert as many result rows into the same table, with the
          scores copied and nothing computed: what any recomputation must at least spend.
2. ours   jingsai.results.services.compute for every competition's stage: inputs read,
          the engine run with its explanations, every result row stored as a new version
          beside the previous one, what changed counted, one audit record per version.
          The previous version exists (an untimed first computation), as when organizers
          recompute after correcting scores.
3. certificates  jingsai.results.certificates as the bulk job does it: issue, render each
          PDF (embedded CJK font, QR code), write them into one ZIP.

Prints ours against the floor (target within 3x) and certificates per second.

DATABASE_URL (default postgres://postgres@127.0.0.1:5432/jingsai_bench) names the
database; it is created if missing and migrated. The competitions, people and scores
(codes RB-…) are built once with bulk inserts and reused; the results a run computes
are deleted at its end.
"""

import argparse
import datetime
import io
import os
import random
import sys
import time
import zipfile
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/jingsai_bench")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jingsai.settings")
os.environ["DEBUG"] = "0"  # DEBUG keeps every query in memory

PREFIX = "RB"
UNITS = 40
BATCH = 5000
SPEC = {
    "series": {"code": f"{PREFIX}-2026", "name": "2026年基准系列赛", "year": 2026},
    "host": f"{PREFIX}-UNION", "occupation": "6-18-02-04", "level": "city", "class": "class2",
    "components": [
        {"key": "theory", "name": "理论知识", "max": 100, "weight": "0.3", "pass": 60},
        {"key": "practical", "name": "操作技能", "max": 100, "weight": "0.7", "pass": 60},
    ],
    "ranking": {"tie_breakers": ["component:practical:desc", "time:practical:asc", "component:theory:desc"]},
    "awards": {"require": "all_pass", "bands": [
        {"name": "一等奖", "quota_ratio": "0.1", "min": 1}, {"name": "二等奖", "quota_ratio": "0.2"},
        {"name": "三等奖", "quota_ratio": "0.3"}]},
    "benefits": [
        {"promote": {"to": 2, "cap": 1}, "rank_range": [1, 5], "requires": ["worker_status", "all_pass"]},
        {"promote": {"to": 3, "cap": 2}, "rank_range": [6, 20], "requires": ["worker_status", "all_pass"]},
        {"title": {"name": "市技术能手"}, "rank_range": [1, 5], "requires": ["worker_status", "all_pass"]},
        {"recommend": {"name": "五一劳动奖章"}, "rank_range": [1, 3], "requires": ["worker_status"]},
    ],
}


def ensure_database(url):
    import psycopg
    from psycopg import sql

    name = url.rsplit("/", 1)[1]
    admin_url = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin_url, autocommit=True) as connection:
        if not connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def setup():
    ensure_database(os.environ["DATABASE_URL"])
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def build_world(competitions, entries_per, rng):
    """The competitions (in scoring, one stage each), their people, entries and scores;
    reused when a previous run built them with the same size."""
    from django.db import transaction

    from jingsai.accounts.services import system_user
    from jingsai.competitions.models import Competition, Series, Stage
    from jingsai.competitions.spec import load_spec, spec_as_json
    from jingsai.core import crypto, idnumber
    from jingsai.core.masking import mask_id_number
    from jingsai.orgs import services as orgs
    from jingsai.orgs.models import Organization, OrgType
    from jingsai.people.models import Person, id_digest
    from jingsai.registration.models import Entry
    from jingsai.results.models import Certificate, ComponentScore, Honour, Promotion, ScoreStatus

    actor = system_user()
    # The last one is for certificates: made final once, so never recomputed.
    codes = [f"{PREFIX}-{i:03d}" for i in range(competitions)] + [f"{PREFIX}-CERT"]
    existing = Competition.objects.filter(code__in=codes)
    if existing.count() == len(codes) and all(
            Entry.objects.filter(competition=c).count() == entries_per for c in existing):
        found = list(existing.order_by("code"))  # RB-000 … RB-099, then RB-CERT
        return actor, found[:-1], found[-1]
    built = Competition.objects.filter(code__startswith=f"{PREFIX}-")
    for model in (Certificate, Honour, Promotion):
        model.objects.filter(competition__in=built).delete()
    clear(built)
    built.delete()
    union = Organization.objects.filter(code=f"{PREFIX}-UNION").first()
    if union is None:
        union = orgs.create_organization(actor, parent=None, code=f"{PREFIX}-UNION", name="基准成绩市总工会",
                                         type=OrgType.UNION)
        for u in range(UNITS):
            orgs.create_organization(actor, parent=union, code=f"{PREFIX}-U{u:02d}", name=f"基准成绩企业{u}",
                                     type=OrgType.ENTERPRISE)
    units = list(Organization.objects.filter(code__startswith=f"{PREFIX}-U").values_list("pk", flat=True))
    total = competitions * entries_per
    people = list(Person.objects.filter(employer__code__startswith=f"{PREFIX}-U").order_by("pk")
                  .values_list("pk", flat=True))
    if len(people) < total:
        print(f"building {total - len(people):,} people…", flush=True)
        start = datetime.date(1966, 1, 1)
        made, i = [], len(people) + 1_000_000
        while len(people) + len(made) < total:
            i += 1
            birth = start + datetime.timedelta(days=i // 1000 % 14000)
            number = idnumber.make("310115", birth, i % 1000)
            person = Person(name=f"基准{i}", employer_id=units[i % UNITS], birth_date=birth, sex="M",
                            level=rng.choice((None, 5, 4, 4, 3, 3, 3, 2)), worker_status="worker")
            person.id_number_encrypted = crypto.encrypt(number)
            person.id_number_digest = id_digest(number)
            person.id_number_masked = mask_id_number(number)
            made.append(person)
        Person.objects.bulk_create(made, batch_size=BATCH, ignore_conflicts=True)
        people = list(Person.objects.filter(employer__code__startswith=f"{PREFIX}-U").order_by("pk")
                      .values_list("pk", flat=True))[:total]
    levels = dict(Person.objects.filter(pk__in=people).values_list("pk", "level"))
    print(f"building {competitions} competitions of {entries_per:,} entries…", flush=True)
    series, _ = Series.objects.get_or_create(code=SPEC["series"]["code"], defaults={
        "name": SPEC["series"]["name"], "year": 2026, "host": union})
    made = []
    for index, code in enumerate(codes):
        spec = spec_as_json(load_spec({**SPEC, "code": code, "name": f"基准竞赛{index}"}))
        with transaction.atomic():
            competition = Competition.objects.create(
                code=code, name=spec["name"], series=series, host=union, occupation=spec["occupation"],
                level="city", klass="class2", spec=spec, status="scoring")
            stage = Stage.objects.create(competition=competition, key="final", name="决赛", order=0)
            slot = index if index < competitions else 0
            chosen = people[slot * entries_per:(slot + 1) * entries_per]
            Entry.objects.bulk_create([
                Entry(competition=competition, stage=stage, number=n, person_id=pk, unit_id=units[pk % UNITS],
                      status="approved", level=levels[pk], worker_status="student" if n % 17 == 0 else "worker")
                for n, pk in enumerate(chosen, 1)], batch_size=BATCH)
            ids = list(Entry.objects.filter(stage=stage).order_by("number").values_list("pk", flat=True))
            scores, marks = [], []
            for entry_id in ids:
                roll = rng.random()
                if roll < 0.01:
                    marks.append(ScoreStatus(entry_id=entry_id, status="absent"))
                    continue
                if roll < 0.015:
                    marks.append(ScoreStatus(entry_id=entry_id, status="disqualified"))
                theory = Decimal(rng.randint(3000, 10000)) / 100
                practical = Decimal(rng.randint(2000, 10000)) / 100
                scores.append(ComponentScore(entry_id=entry_id, component="theory", value=theory, source="import"))
                scores.append(ComponentScore(entry_id=entry_id, component="practical", value=practical,
                                             time_seconds=rng.randint(1800, 5400), source="import"))
            ComponentScore.objects.bulk_create(scores, batch_size=BATCH)
            ScoreStatus.objects.bulk_create(marks, batch_size=BATCH)
        made.append(competition)
    return actor, made[:-1], made[-1]


def clear(competitions):
    from jingsai.results.models import Computation, Result

    Result.objects.filter(computation__competition__in=competitions).delete()
    Computation.objects.filter(competition__in=competitions).delete()


def floor_one(competition):
    """Read one competition's inputs and write one result row per entry, in bulk, with
    nothing computed. Returns the rows written."""
    from django.db import transaction

    from jingsai.registration.models import Entry
    from jingsai.results.models import ComponentScore, Computation, Result, ScoreStatus

    with transaction.atomic():
        stage = competition.stages.get()
        entries = list(Entry.objects.filter(stage=stage, status="approved")
                       .values_list("pk", "number", "unit_id", "person_id", "level", "worker_status"))
        scores, times = {}, {}
        for entry_id, key, value, seconds in (ComponentScore.objects.filter(entry__stage=stage)
                                              .values_list("entry_id", "component", "value", "time_seconds")):
            scores.setdefault(entry_id, {})[key] = str(value)
            if seconds is not None:
                times.setdefault(entry_id, {})[key] = seconds
        absent = dict(ScoreStatus.objects.filter(entry__stage=stage).values_list("entry_id", "status"))
        computation = Computation.objects.create(competition=competition, stage=stage, version=0, spec={},
                                                 digest="", n_entries=len(entries))
        Result.objects.bulk_create(
            (Result(computation=computation, entry_id=pk, unit_id=unit, number=number, position=number,
                    status=absent.get(pk, "ranked"), components=scores.get(pk, {}), times=times.get(pk, {}))
             for pk, number, unit, *_rest in entries), batch_size=2000)
    return len(entries)


def ours_one(actor, competition):
    from jingsai.results import services

    return sum(c.n_entries for c in services.compute(actor, competition.stages.get(), reason="bench"))


def timed(function, *args):
    began = time.perf_counter()
    value = function(*args)
    return time.perf_counter() - began, value


def run_certificates(actor, competition, count):
    """Finalize the certificates' competition (untimed, once), then issue and render
    `count` certificates into a ZIP as the bulk job does."""
    from django.utils import timezone

    from jingsai.results import certificates, services
    from jingsai.results.models import Certificate, Publicity

    stage = competition.stages.get()
    if not Certificate.objects.filter(competition=competition).exists():
        services.compute(actor, stage, reason="bench")
        services.publish(actor, stage)
        past = timezone.now() - datetime.timedelta(days=30)
        Publicity.objects.filter(stage=stage).update(started_at=past, ends_at=past + datetime.timedelta(days=5))
        competition.status_changes.filter(to_status="publicity").update(at=past)
        services.finalize(actor, stage)
    began = time.perf_counter()
    issued = services.issue_certificates(actor, competition, layout="classic")[:count]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for certificate in issued:
            pdf = certificates.render(certificate, "https://example.org/")
            archive.writestr(certificates.filename(certificate), pdf)
    return time.perf_counter() - began, len(issued), len(buffer.getvalue())


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--competitions", type=int, default=100)
    parser.add_argument("--entries", type=int, default=2000, help="entries per competition")
    parser.add_argument("--certificates", type=int, default=2000)
    args = parser.parse_args()
    setup()
    from django.db import connection

    from jingsai.core.pdf import cjk_font

    rng = random.Random(2026)
    actor, measured, cert_source = build_world(args.competitions, args.entries, rng)
    print(f"database: {connection.vendor} {connection.settings_dict['NAME']}; "
          f"{len(measured)} competitions, {len(measured) * args.entries:,} entries", flush=True)
    clear(measured)
    try:
        for competition in measured:  # the previous version a recomputation compares with
            ours_one(actor, competition)
        # Floor and ours competition by competition, so that whatever else the machine
        # does weighs on both alike.
        floor = ours = 0.0
        floor_rows = rows = 0
        for competition in measured:
            seconds, count = timed(floor_one, competition)
            floor, floor_rows = floor + seconds, floor_rows + count
            seconds, count = timed(ours_one, actor, competition)
            ours, rows = ours + seconds, rows + count
        assert rows == floor_rows, (rows, floor_rows)
        print(f"floor  {floor_rows:>9,} results in {floor:7.2f} s = {floor_rows / floor:>9,.0f} rows/s", flush=True)
        print(f"ours   {rows:>9,} results in {ours:7.2f} s = {rows / ours:>9,.0f} rows/s", flush=True)
        ratio = ours / floor
        print(f"ours / floor = {ratio:.2f}x  (target <= 3x: {'met' if ratio <= 3 else 'NOT met'})", flush=True)
        cjk_font()  # the font is loaded once per process, not per certificate
        seconds, count, size = run_certificates(actor, cert_source, args.certificates)
        print(f"certificates {count:,} in {seconds:.2f} s = {count / seconds:,.0f} per second "
              f"(ZIP {size / 1e6:.1f} MB)", flush=True)
    finally:
        clear(measured)


if __name__ == "__main__":
    main()
