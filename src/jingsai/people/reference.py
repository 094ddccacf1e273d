"""Reference data every installation needs: the target groups and the occupations of the
national classification that the platform ships with. Used by a data migration (with the
historical models) and by the demo after it empties the database."""

import csv
from pathlib import Path

GROUPS = [
    ("migrant", "农民工"),
    ("flexible", "灵活就业"),
    ("new_forms", "新就业形态"),
    ("youth", "青年职工"),
]
OCCUPATIONS_CSV = Path(__file__).resolve().parent / "data" / "occupations.csv"


def load(group_model, occupation_model):
    for code, name in GROUPS:
        group_model.objects.get_or_create(code=code, defaults={"name": name})
    with OCCUPATIONS_CSV.open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            occupation_model.objects.get_or_create(code=row["code"], defaults={"name": row["name"]})
