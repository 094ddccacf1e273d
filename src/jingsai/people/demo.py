"""Demo workers: realistic names and valid identity numbers (born in Shanghai or, for
migrant workers, in the provinces most of them come from), phones, levels and groups."""

import datetime

from django.db import transaction

from jingsai.core import crypto, idnumber
from jingsai.core.demo import person_name
from jingsai.core.masking import mask_id_number, mask_phone
from jingsai.orgs.models import OrgType

from . import reference
from .models import GroupTag, Occupation, Person, id_digest, phone_digest

ORIGINS = ["340104", "410102", "510104", "320602", "360102", "420102", "370102", "330302", "430102", "500101"]
LEVEL_WEIGHTS = [(None, 30), (5, 15), (4, 25), (3, 19), (2, 8), (1, 2.6), (0, 0.3), (-1, 0.1)]
TRADE_WEIGHTS = {
    "6-18-02-04": 10, "6-18-01-01": 8, "6-20-01-01": 7, "6-31-01-03": 12, "4-12-01-01": 6,
    "4-02-07-02": 8, "4-03-02-01": 6, "4-10-01-05": 5, "4-02-07-10": 5, "6-31-07-01": 4,
}
PHONE_PREFIXES = ["138", "139", "136", "137", "150", "151", "158", "186", "187", "135", "177", "199"]


@transaction.atomic
def load(ctx):
    rng = ctx.rng
    reference.load(GroupTag, Occupation)
    tags = {t.code: t for t in GroupTag.objects.all()}
    trades = list(TRADE_WEIGHTS)
    ctx.data["occupations"] = {o.code: o for o in Occupation.objects.filter(code__in=trades)}
    units = ctx.data["units"] + ctx.data["teams"]
    weights = [u.employee_count or 20 for u in units]
    today = datetime.date(2026, 6, 1)
    seen_ids, seen_phones = set(), set()
    people, memberships = [], []
    for _ in range(ctx.params["workers"]):
        unit = rng.choices(units, weights)[0]
        student = unit.type == OrgType.COLLEGE and rng.random() < 0.7
        migrant = not student and rng.random() < 0.25
        sex = "M" if rng.random() < 0.68 else "F"
        birth = (
            datetime.date(rng.randint(2004, 2008), rng.randint(1, 12), rng.randint(1, 28))
            if student else datetime.date(rng.randint(1966, 2004), rng.randint(1, 12), rng.randint(1, 28))
        )
        region = rng.choice(ORIGINS) if migrant else unit.region_code if unit.region_code != "310000" else "310115"
        while True:
            sequence = rng.randrange(0, 1000)
            if (sequence % 2 == 1) != (sex == "M"):
                sequence = (sequence + 1) % 1000
            number = idnumber.make(region, birth, sequence)
            if number not in seen_ids:
                seen_ids.add(number)
                break
        while True:
            phone = rng.choice(PHONE_PREFIXES) + f"{rng.randrange(10**8):08d}"
            if phone not in seen_phones:
                seen_phones.add(phone)
                break
        level = rng.choices([lv for lv, _w in LEVEL_WEIGHTS], [w for _lv, w in LEVEL_WEIGHTS])[0]
        if student:
            level = rng.choice([None, None, 5, 4])
        person = Person(
            name=person_name(rng, sex), employer=unit, level=level,
            occupation=rng.choices(trades, TRADE_WEIGHTS.values())[0],
            worker_status="student" if student else "worker",
            id_number_encrypted=crypto.encrypt(number), id_number_digest=id_digest(number),
            id_number_masked=mask_id_number(number), birth_date=birth, sex=sex,
            phone_encrypted=crypto.encrypt(phone), phone_digest=phone_digest(phone), phone_masked=mask_phone(phone),
        )
        groups = []
        if migrant:
            groups.append("migrant")
        if not student and rng.random() < 0.05:
            groups.append("flexible")
        if not student and ("快递" in unit.name or "物流" in unit.name or rng.random() < 0.04):
            groups.append("new_forms")
        if not student and (today.year - birth.year) <= 35:
            groups.append("youth")
        people.append(person)
        memberships.append(groups)
    Person.objects.bulk_create(people, batch_size=2000)
    through = Person.groups.through
    through.objects.bulk_create(
        [through(person_id=p.pk, grouptag_id=tags[code].pk) for p, codes in zip(people, memberships, strict=True)
         for code in codes],
        batch_size=5000,
    )
    ctx.data["people"] = people
    ctx.say(f"  workers: {len(people)}")
