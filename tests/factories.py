"""Small builders for test data, going through the services like the application does."""

import datetime
import itertools
import json

from jingsai.accounts import services as account_services
from jingsai.accounts.models import User
from jingsai.core import idnumber
from jingsai.orgs import services as org_services
from jingsai.orgs.models import OrgType
from jingsai.people import services as people_services

_counter = itertools.count(1)


def _next():
    return next(_counter)


def actor():
    return account_services.system_user()


def org(code=None, *, parent=None, type=OrgType.ENTERPRISE, name=None, **fields):
    n = _next()
    return org_services.create_organization(
        actor(), parent=parent, code=code or f"T-{n:05d}", name=name or f"测试单位{n}", type=type,
        region_code=fields.pop("region_code", "310104"), **fields,
    )


def id_number(birth=datetime.date(1990, 5, 17), region="310104", sequence=None):
    return idnumber.make(region, birth, sequence if sequence is not None else _next() % 1000)


def person(*, employer=None, name=None, birth=datetime.date(1990, 5, 17), sequence=None, **fields):
    employer = employer or org()
    n = _next()
    sequence = sequence if sequence is not None else n % 1000
    number = fields.pop("id_number", None) or idnumber.make("310104", birth, sequence)
    while people_services.find_by_id_number(number):
        number = idnumber.make("310104", birth + datetime.timedelta(days=_next()), n % 1000)
    return people_services.create_person(
        actor(), name=name or f"张{n}", id_number=number, employer=employer, **fields
    )


def user(username=None, *, role=None, org=None, competition=None, person=None, password="pw-test-123", **fields):
    n = _next()
    account = User.objects.create_user(username=username or f"user{n}", password=password, person=person, **fields)
    if role:
        account_services.grant_role(actor(), account, role, organization=org, competition=competition, check=False)
    return account


def tree():
    """A small city: union at the top, two districts (A inside, B outside), a street and
    an enterprise under each. Returns a dict of organizations by short name."""
    union = org("U", type=OrgType.UNION, name="市总工会")
    district_a = org("DA", parent=union, type=OrgType.DISTRICT, name="甲区总工会")
    district_b = org("DB", parent=union, type=OrgType.DISTRICT, name="乙区总工会")
    street_a = org("SA", parent=district_a, type=OrgType.STREET, name="甲街道")
    street_b = org("SB", parent=district_b, type=OrgType.STREET, name="乙街道")
    unit_a = org("EA", parent=street_a, name="甲企业")
    unit_b = org("EB", parent=street_b, name="乙企业")
    return {"union": union, "A": district_a, "B": district_b, "street_a": street_a, "street_b": street_b,
            "unit_a": unit_a, "unit_b": unit_b}


def refresh(obj):
    return type(obj).objects.get(pk=obj.pk)



def spec(code, host, **overrides):
    """A valid competition spec (raw form, as YAML would give it): theory 30%, practical 70%."""
    raw = {
        "code": code, "name": f"{code} 焊工", "host": host.code, "occupation": "6-18-02-04",
        "series": {"code": "S-2026", "name": "2026年职工职业技能系列竞赛", "year": 2026},
        "level": "district", "class": "class2",
        "components": [
            {"key": "theory", "name": "理论知识", "max": 100, "weight": "0.3", "pass": 60},
            {"key": "practical", "name": "操作技能", "max": 100, "weight": "0.7", "pass": 60},
        ],
    }
    raw.update(overrides)
    return raw


def competition(code=None, *, host, status="registration_open", **overrides):
    """A competition with its stages, stored directly (tests of other apps need one; the
    competitions app's own tests go through its services)."""
    from jingsai.competitions.models import Competition, Series, Stage
    from jingsai.competitions.spec import load_spec, spec_as_json

    code = code or f"C-{_next():04d}"
    normalized = load_spec(spec(code, host, **overrides))
    series_spec = normalized["series"]
    series, _created = Series.objects.get_or_create(
        code=series_spec["code"], defaults={"name": series_spec["name"], "year": series_spec["year"], "host": host}
    )
    item = Competition.objects.create(
        code=code, name=normalized["name"], series=series, host=host, occupation=normalized["occupation"],
        level=normalized["level"], klass=normalized["class"], mode=normalized["mode"],
        team_size=normalized["team_size"], spec=spec_as_json(normalized), status=status,
    )
    for order, stage in enumerate(normalized["stages"]):
        Stage.objects.create(
            competition=item, key=stage["key"], name=stage["name"], order=order,
            scope_type=stage["scope"] or "",
            advance=json.loads(json.dumps(stage["advance"], default=str)) if stage["advance"] else None,
        )
    return item


def entry(competition, person=None, *, stage=None, status="approved", unit=None, number=None, **fields):
    from jingsai.registration.models import Entry

    stage = stage or competition.stages.order_by("order").first()
    if person is None:
        person = make_person(employer=unit)
    number = number or (stage.entries.count() + 1)
    return Entry.objects.create(
        competition=competition, stage=stage, person=person, unit=unit or person.employer, number=number,
        status=status, level=person.level, worker_status=person.worker_status, **fields,
    )


make_person = person
