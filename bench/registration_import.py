"""Registration import: a 100,000-row file into PostgreSQL, three ways, in one run.

    .venv/bin/python bench/registration_import.py [--rows N] [--baseline-rows N]

1. ours      jingsai.registration.importing: every rule checked (identity numbers, names
             against stored people, units, 赛区, ages, duplicates in the file and in
             the competition), then people, entries and one audit record written in bulk.
2. baseline  the same file through django-import-export, as a typical Django project
             would write it: a ModelResource for Entry whose before_import_row validates
             the row with the same rules and finds or creates the Person through the
             people service, one row at a time, in one transaction (use_transactions),
             errors collected rather than raised. Read with tablib's xlsx loader, as the
             admin's import form does. Only the real import is timed, not the admin's
             preview pass over the same file.
3. floor     read the file with python-calamine and bulk-insert the rows into the same
             tables with no checks at all: what any import must at least spend.

Prints rows/s for each, ours against the baseline (target >= 10x) and the floor
against ours (target within 3x). The baseline is slow; --baseline-rows times it on a
file of the first N rows of the same file, read and imported (rows/s is per row; it does
not grow with the file), 0 for the whole file.

DATABASE_URL (default postgres://postgres@127.0.0.1:5432/jingsai_bench) names the
database; it is created if missing and migrated; the run removes only its own rows.
"""

import argparse
import datetime
import io
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/jingsai_bench")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jingsai.settings")
os.environ["DEBUG"] = "0"  # DEBUG keeps every query in memory

DISTRICTS = 16
UNITS_PER_DISTRICT = 30


def ensure_database(url):
    import psycopg
    from psycopg import sql

    name = url.rsplit("/", 1)[1]
    admin_url = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin_url, autocommit=True) as connection:
        exists = connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def setup():
    ensure_database(os.environ["DATABASE_URL"])
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def build_world():
    """A city union with districts and units, and a competition whose first stage is
    split by district; reused when it already exists."""
    from jingsai.accounts.services import system_user
    from jingsai.competitions.models import Competition, Series, Stage
    from jingsai.competitions.spec import load_spec, spec_as_json
    from jingsai.orgs import services as orgs
    from jingsai.orgs.models import Organization, OrgType

    actor = system_user()
    existing = {o.code: o for o in Organization.objects.filter(code__startswith="B-")}

    def ensure(code, parent, name, org_type, **fields):
        if code not in existing:
            existing[code] = orgs.create_organization(actor, parent=parent, code=code, name=name, type=org_type,
                                                      **fields)
        return existing[code]

    union = ensure("B-UNION", None, "基准市总工会", OrgType.UNION)
    for d in range(1, DISTRICTS + 1):
        district = ensure(f"B-D{d:02d}", union, f"基准{d}区总工会", OrgType.DISTRICT, region_code=f"3101{d:02d}")
        for u in range(1, UNITS_PER_DISTRICT + 1):
            ensure(f"B-D{d:02d}-E{u:02d}", district, f"基准{d}区企业{u}", OrgType.ENTERPRISE)
    competition = Competition.objects.filter(code="B-WELDER").first()
    if competition is None:
        spec = load_spec({
            "code": "B-WELDER", "name": "基准焊工竞赛", "host": "B-UNION", "occupation": "6-18-02-04",
            "series": {"code": "B-2026", "name": "基准系列赛", "year": 2026}, "level": "city", "class": "class2",
            "eligibility": {"min_age": 18, "max_age": 60},
            "components": [{"key": "theory", "name": "理论", "max": 100, "weight": "0.3"},
                           {"key": "practical", "name": "实操", "max": 100, "weight": "0.7"}],
            "stages": [{"key": "qualifier", "name": "区级选拔赛", "scope": "district", "advance": {"top": 3}},
                       {"key": "final", "name": "市级决赛"}],
        })
        series, _made = Series.objects.get_or_create(code="B-2026", defaults={
            "name": "基准系列赛", "year": 2026, "host": union})
        now = datetime.datetime.now(datetime.UTC)
        competition = Competition.objects.create(
            code="B-WELDER", name=spec["name"], series=series, host=union, occupation=spec["occupation"],
            level="city", klass="class2", spec=spec_as_json(spec), status="registration_open",
            registration_opens=now - datetime.timedelta(days=1), registration_closes=now + datetime.timedelta(days=30),
            starts_at=now + datetime.timedelta(days=60))
        for order, stage in enumerate(spec["stages"]):
            Stage.objects.create(competition=competition, key=stage["key"], name=stage["name"], order=order,
                                 scope_type=stage["scope"] or "")
    return actor, competition


def build_file(rows):
    """The registration file: valid, unique identity numbers (as text), phones, units
    across every district, levels, statuses and some groups."""
    from jingsai.core import idnumber
    from jingsai.core import spreadsheets as sheets
    from jingsai.registration import columns as cols

    units = [f"B-D{d:02d}-E{u:02d}" for d in range(1, DISTRICTS + 1) for u in range(1, UNITS_PER_DISTRICT + 1)]
    levels = ["", "无", "五级/初级工", "四级/中级工", "三级/高级工", "二级/技师"]
    start = datetime.date(1970, 1, 1)

    def body():
        for i in range(rows):
            birth = start + datetime.timedelta(days=(i // 900) % 11000)
            number = idnumber.make("310104", birth, i % 900)
            yield [f"职工{i:06d}", number, f"139{i:08d}", units[i % len(units)], levels[i % len(levels)],
                   "职工", "农民工" if i % 7 == 0 else ""]

    return sheets.xlsx_bytes(cols.BASE_COLUMNS, body(), sheet_name="报名")


def clear(competition):
    """Remove this benchmark's people and entries (and nothing else: the database may be
    shared with other benchmarks)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM registration_entry WHERE competition_id = %s", [competition.pk])
        cursor.execute("DELETE FROM registration_importbatch WHERE competition_id = %s", [competition.pk])
        mine = ("SELECT p.id FROM people_person p JOIN orgs_organization o ON o.id = p.employer_id "
                "WHERE o.code LIKE 'B-D%%'")
        cursor.execute(f"DELETE FROM people_person_groups WHERE person_id IN ({mine})")
        cursor.execute(f"DELETE FROM people_person WHERE id IN ({mine})")
    connection.close()


def run_ours(actor, competition, data):
    from jingsai.core import spreadsheets as sheets
    from jingsai.registration import importing
    from jingsai.registration.models import Entry

    began = time.perf_counter()
    table = sheets.read_table(data, "bench.xlsx")
    stage = competition.stages.order_by("order").first()
    summary = importing.import_table(actor, competition, stage, table, filename="bench.xlsx")
    elapsed = time.perf_counter() - began
    assert summary["entries_created"] == Entry.objects.filter(competition=competition).count()
    return elapsed, summary["entries_created"]


def run_floor(competition, data):
    """Read with calamine, then bulk-insert people and entries straight from the cells."""
    import python_calamine

    from jingsai.orgs.models import Organization
    from jingsai.people.models import Person
    from jingsai.registration.models import Entry

    began = time.perf_counter()
    rows = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data)).get_sheet_by_index(0).to_python()[1:]
    units = dict(Organization.objects.values_list("code", "pk"))
    stage = competition.stages.order_by("order").first()
    people = [Person(name=r[0], id_number_encrypted=r[1], id_number_digest=r[1], id_number_masked=r[1][:18],
                     birth_date=datetime.date(1990, 1, 1), sex="M", employer_id=units[r[3]]) for r in rows]
    Person.objects.bulk_create(people, batch_size=2000)
    Entry.objects.bulk_create([Entry(competition=competition, stage=stage, number=n, person_id=p.pk,
                                     unit_id=p.employer_id) for n, p in enumerate(people, start=1)], batch_size=2000)
    return time.perf_counter() - began, len(rows)


def baseline_resource(actor, competition):
    """The django-import-export way: a Resource for Entry, validating and creating the
    Person row by row."""
    from django.core.exceptions import ValidationError
    from django.db.models import Max
    from import_export import fields, resources

    from jingsai.core import idnumber
    from jingsai.core.errors import UserError
    from jingsai.orgs.models import Organization
    from jingsai.people import services as people
    from jingsai.people.models import LEVEL_ALIASES, GroupTag
    from jingsai.registration.models import Entry
    from jingsai.registration.rules import Rules

    rules = Rules.of(competition)
    stage = competition.stages.order_by("order").first()

    class EntryResource(resources.ModelResource):
        name = fields.Field(column_name="姓名")
        id_number = fields.Field(column_name="身份证号")
        phone = fields.Field(column_name="手机号")
        unit_code = fields.Field(column_name="单位编码")
        level_name = fields.Field(column_name="职业技能等级")
        status_name = fields.Field(column_name="身份类别")
        groups = fields.Field(column_name="人员类别")

        class Meta:
            model = Entry
            fields = ("name", "id_number", "phone", "unit_code", "level_name", "status_name", "groups")
            import_id_fields = ()
            use_transactions = True

        def get_instance(self, instance_loader, row):
            return None

        def before_import_row(self, row, **kwargs):
            errors = {}
            try:
                parsed = idnumber.parse(str(row["身份证号"] or ""))
            except idnumber.InvalidIdNumber as error:
                raise ValidationError({"id_number": error.message}) from None
            unit = Organization.objects.filter(code=row["单位编码"]).first()
            if unit is None or not unit.path.startswith(competition.host.path):
                errors["unit_code"] = "unknown unit"
            level_name = row["职业技能等级"] or ""
            level = LEVEL_ALIASES.get(level_name) if level_name not in ("", "无") else None
            problem = rules.age_problem(parsed.birth_date) or rules.level_problem(level)
            if problem:
                errors["id_number"] = problem
            if errors:
                raise ValidationError(errors)
            try:
                person, _created = people.find_or_create_person(
                    actor, name=row["姓名"], id_number=parsed, employer=unit, phone=str(row["手机号"] or ""),
                    level=level, groups=GroupTag.objects.filter(name__in=[g for g in [row["人员类别"]] if g]))
            except UserError as error:
                raise ValidationError({"id_number": error.message}) from None
            if Entry.objects.filter(competition=competition, person=person).exists():
                raise ValidationError({"id_number": "already registered"})
            row["_person"], row["_unit"] = person, unit
            row["_scope"] = unit.nearest_of_type(stage.scope_type)

        def import_instance(self, instance, row, **kwargs):
            instance.competition, instance.stage = competition, stage
            instance.person, instance.unit, instance.scope = row["_person"], row["_unit"], row["_scope"]
            instance.number = (Entry.objects.filter(stage=stage).aggregate(n=Max("number"))["n"] or 0) + 1
            instance.level, instance.worker_status = instance.person.level, instance.person.worker_status

    return EntryResource()


def run_baseline(actor, competition, data):
    import tablib

    began = time.perf_counter()
    dataset = tablib.Dataset().load(io.BytesIO(data), format="xlsx")
    result = baseline_resource(actor, competition).import_data(dataset, dry_run=False, raise_errors=False)
    elapsed = time.perf_counter() - began
    if result.has_errors() or result.has_validation_errors():
        invalid = result.invalid_rows[:3]
        raise SystemExit(f"baseline rejected the file: {[r.error_dict for r in invalid]} {result.base_errors[:1]}")
    return elapsed, len(dataset)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--baseline-rows", type=int, default=5_000)
    args = parser.parse_args()
    setup()
    from django.db import connection

    actor, competition = build_world()
    print(f"database: {connection.vendor} {connection.settings_dict['NAME']}; building a {args.rows:,}-row file…")
    data = build_file(args.rows)
    print(f"file: {len(data) / 1e6:.1f} MB")
    # The baseline reads a file of its own rows only (the first rows of the same file), so
    # that reading is charged per row to it as to the others.
    partial = args.baseline_rows and args.baseline_rows < args.rows
    baseline_data = build_file(args.baseline_rows) if partial else data
    clear(competition)
    results = {}
    for label, run in (
        ("floor", lambda: run_floor(competition, data)),
        ("ours", lambda: run_ours(actor, competition, data)),
        ("baseline", lambda: run_baseline(actor, competition, baseline_data)),
    ):
        try:
            seconds, rows = run()
        finally:
            clear(competition)
        results[label] = rows / seconds
        print(f"{label:9s} {rows:>8,} rows in {seconds:8.2f} s = {rows / seconds:>9,.0f} rows/s", flush=True)
    speedup = results["ours"] / results["baseline"]
    to_floor = results["floor"] / results["ours"]
    print(f"ours / baseline = {speedup:.1f}x   (target >= 10x: {'met' if speedup >= 10 else 'NOT met'})")
    print(f"floor / ours    = {to_floor:.2f}x  (target <= 3x: {'met' if to_floor <= 3 else 'NOT met'})")


if __name__ == "__main__":
    main()
