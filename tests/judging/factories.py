"""Builders for judging tests: a competition with a marking scheme, judges from their own
enterprises, approved entries, and the venue made ready (draws, check-in)."""

from types import SimpleNamespace

from jingsai.accounts.services import system_user
from jingsai.judging.models import DrawKind, JudgeRole
from jingsai.judging.services import judges as judge_services
from jingsai.judging.services import schemes, venue
from jingsai.orgs.models import OrgType
from tests import factories

DESCRIPTORS = ["不合格", "基本合格", "良好", "优秀"]
SCHEME = {
    "component": "practical",
    "criteria": [
        {"code": "A", "name": "焊接质量", "aspects": [
            {"code": "A1", "type": "M", "name": "焊缝尺寸", "max": 10, "binary": True},
            {"code": "A2", "type": "J", "name": "外观成形", "max": 15, "descriptors": DESCRIPTORS},
            {"code": "A3", "type": "S", "name": "工艺规范", "max": 25},
        ]},
        {"code": "B", "name": "安全文明", "sub_criteria": [
            {"code": "B1", "name": "安全操作", "aspects": [
                {"code": "B1a", "type": "M", "name": "防护用品", "max": 20},
                {"code": "B1b", "type": "J", "name": "现场整洁", "max": 30, "descriptors": DESCRIPTORS},
            ]},
        ]},
    ],
}


def judge(code, unit, *, owner, user=None, role=None, competition=None, name=None):
    item = judge_services.create_judge(system_user(), code=code, name=name or f"裁判{code}", unit=unit, owner=owner,
                                       user=user)
    if competition is not None:
        judge_services.assign(system_user(), competition, item, role or JudgeRole.JUDGE)
    return item


def world(*, status="in_progress", judges=3, entries=4, drawn=True, scheme=SCHEME, **overrides):
    """A competition hosted by the union with `judges` judges (each from an enterprise of
    their own under district B), a chief judge, and `entries` approved entries from
    enterprise A (district A). With drawn=True everyone is checked in and both draws made."""
    orgs = factories.tree()
    host = orgs["union"]
    competition = factories.competition(host=host, status=status, marking_scheme=scheme, **overrides)
    stage = competition.stages.get()
    actor = system_user()
    panel = []
    for i in range(judges):
        unit = factories.org(f"JU{i}", parent=orgs["street_b"], type=OrgType.ENTERPRISE, name=f"裁判单位{i}")
        panel.append(judge(f"J{i + 1}", unit, owner=host, competition=competition))
    chief_unit = factories.org("JCU", parent=orgs["street_b"], name="裁判长单位")
    chief = judge("C1", chief_unit, owner=host, competition=competition, role=JudgeRole.CHIEF, name="裁判长甲")
    made = [factories.entry(competition, unit=orgs["unit_a"]) for _ in range(entries)]
    scheme_obj = schemes.ensure_scheme(actor, competition)
    if drawn:
        ready_venue(stage, status)
    return SimpleNamespace(orgs=orgs, host=host, competition=competition, stage=stage, judges=panel, chief=chief,
                           entries=made, scheme=scheme_obj, actor=actor)


def ready_venue(stage, status="in_progress"):
    """Check everyone in and make both draws (the competition briefly in progress)."""
    competition = stage.competition
    if competition.status != "in_progress":
        competition.status = "in_progress"
        competition.save(update_fields=["status"])
    actor = system_user()
    venue.draw(actor, stage, DrawKind.CONTESTANT)
    for contestant in venue.contestants(stage).select_related("entry__person"):
        venue.check_in(actor, contestant, id_last4=contestant.entry.person.id_number[-4:])
    venue.draw(actor, stage, DrawKind.STATION)
    if competition.status != status:
        competition.status = status
        competition.save(update_fields=["status"])


def contestants(stage):
    return list(venue.active_contestants(stage).order_by("station_number"))


def aspect(w, code):
    return w.scheme.aspects.get(code=code)
