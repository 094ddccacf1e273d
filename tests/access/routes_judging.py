"""Judging routes. The competition "in" is hosted by district A, where the competition-scoped
roles hold their roles and the worker is a contestant; "out" is district B's.

The judge and the chief judge are judges of the pool from the union itself, so no conflict
of interest keeps them from A's contestant; conflicts are tested in tests/judging."""

from django.core.files.uploadedfile import SimpleUploadedFile

from jingsai.accounts.models import Role
from jingsai.accounts.services import grant_role, system_user
from jingsai.core import spreadsheets as sheets
from jingsai.judging import imports
from jingsai.judging.models import JudgeRole
from jingsai.judging.services import appeals, judges, marking, schemes, venue
from tests import factories
from tests.access.spec import ADMIN, Route
from tests.judging import factories as judging_factories

VIEW = ADMIN | {"organizer", "judge", "chief_judge", "arbitrator", "invigilator"}
MANAGE = ADMIN | {"organizer"}
CHECKIN = ADMIN | {"organizer", "invigilator"}
KEY_PAPER = ADMIN | {"organizer", "chief_judge"}
HISTORY = ADMIN | {"organizer", "chief_judge", "arbitrator"}
STATS = ADMIN | {"organizer", "chief_judge"}
APPEAL_VIEW = ADMIN | {"organizer", "arbitrator", "worker", "unit_contact"}
JUDGES = {"judge", "chief_judge"}
TIME = ADMIN | {"organizer", "chief_judge"}


def _competition(world, host, person, staff):
    """A competition in progress with a drawn stage, the person as its only contestant, a
    panel of one judge marking every aspect, a mark, an ended practical and an appeal."""
    actor = system_user()
    competition = factories.competition(host=host, status="in_progress", marking_scheme=judging_factories.SCHEME)
    stage = competition.stages.get()
    scheme = schemes.ensure_scheme(actor, competition)
    entry = factories.entry(competition, person)
    pool = {}
    for name, role in (("judge", JudgeRole.JUDGE), ("chief_judge", JudgeRole.CHIEF)):
        judge = judges.create_judge(actor, code=f"{competition.code}-{name}", name=name, unit=world.orgs["union"],
                                    owner=host, user=staff.get(name))
        judges.assign(actor, competition, judge, role)
        pool[name] = judge
    for name in ("arbitrator", "invigilator", "grader"):
        if name in staff:
            grant_role(actor, staff[name], getattr(Role, name.upper()), competition=competition, check=False)
    judging_factories.ready_venue(stage)
    member = competition.judge_assignments.get(judge=pool["judge"])
    panel, _warnings = judges.save_panel(actor, stage, name="A", aspects=scheme.aspects.all(), members=[member])
    contestant = venue.active_contestants(stage).get()
    marking.record_mark(pool["judge"].user, contestant, scheme.aspects.get(code="A2"), "2")
    venue.end_stage(actor, stage)
    appeal = appeals.file_appeal(actor, entry, text="评分有误")
    return {"competition": competition, "stage": stage, "entry": entry, "judge": pool["judge"], "panel": panel,
            "appeal": appeal}


def extend_world(world):
    staff = {name: world.users[name] for name in ("judge", "chief_judge", "arbitrator", "invigilator", "grader")}
    inside = _competition(world, world.orgs["A"], world.obj("person", "in"), staff)
    outside = _competition(world, world.orgs["B"], world.obj("person", "out"), {})
    for kind in inside:
        world.put(f"j_{kind}", inside[kind], outside[kind])
    world.put("j_pool", inside["judge"], judges.create_judge(
        system_user(), code="POOL-B", name="乙裁判", unit=world.orgs["unit_b"], owner=world.orgs["B"]))


def _pk(kind, arg="pk"):
    return lambda world, scope: {arg: world.obj(kind, scope).pk}


def _code(world, scope):
    return {"code": world.obj("j_competition", scope).code}


def _stage(world, scope):
    return {"pk": world.obj("j_stage", scope).pk}


def _station(world, scope):
    return {"pk": world.obj("j_stage", scope).pk, "number": 1}


def _api_stage(world, scope):
    return {"stage_id": world.obj("j_stage", scope).pk}


def _api_station(world, scope):
    return {"stage_id": world.obj("j_stage", scope).pk, "number": 1}


def _judge_detail(world, scope):
    return {"pk": world.obj("j_competition", scope).pk, "judge_pk": world.obj("j_judge", scope).pk}


def _judge_code(world, scope):
    return _code(world, scope) | {"judge": world.obj("j_judge", scope).code}


def _checkin(world, scope):
    stage = world.obj("j_stage", scope)
    return {"pk": stage.pk, "contestant_pk": stage.contestants.get().pk}


def _panel(world, scope):
    return _api_stage(world, scope) | {"panel_id": world.obj("j_panel", scope).pk}


def _appeal(world, scope):
    return {"appeal_id": world.obj("j_appeal", scope).pk}


def _upload(rows, columns, name):
    return {"file": SimpleUploadedFile(name, sheets.xlsx_bytes(columns, rows))}


def _judges_upload(world, scope):
    return _upload([["NEW-J", "新裁判", world.orgs["union"].code, "裁判"]], judges.COLUMNS[:4], "judges.xlsx")


def _marks_upload(world, scope):
    return _upload([["1", "", world.obj("j_judge", scope).code, "A3", "20"]],
                   [c for c in imports.COLUMNS if c.key != "id_number"], "marks.xlsx")


def _times_upload(world, scope):
    return _upload([["", "", "1", "50:00", ""]], imports.TIME_COLUMNS, "times.xlsx")


def _checkin_upload(world, scope):
    return _upload([["1", "", "", "已检录", ""]], imports.CHECKIN_COLUMNS, "checkin.xlsx")


def _scheme_upload(world, scope):
    scheme = schemes.scheme_of(world.obj("j_competition", scope))
    return {"file": SimpleUploadedFile("scheme.xlsx", schemes.export_xlsx(scheme))}


def _paper(world, scope):
    return {"judge": world.obj("j_judge", scope).code, "values": {"A3": "20"}}


def _appeal_body(world, scope):
    return {"entry": world.obj("j_entry", scope).pk, "text": "对评分有异议"}


def _entry(world, scope):
    return {"entry_pk": world.obj("j_entry", scope).pk}


ROUTES = {
    "judging:home": Route(allow=VIEW),
    "judging:pool": Route(allow=MANAGE),
    "judging:pool_create": Route(allow=MANAGE),
    "judging:pool_edit": Route(allow=MANAGE, kwargs=_pk("j_pool")),
    "judging:declare": Route(allow=JUDGES, method="post"),
    "judging:appeals": Route(allow=APPEAL_VIEW),
    # A contestant (or their unit's contact) files an appeal about their own entry.
    "judging:appeal_new": Route(allow={"worker", "unit_contact"}, allow_out=frozenset(), kwargs=_entry),
    "judging:appeal": Route(allow=APPEAL_VIEW, kwargs=_pk("j_appeal")),
    "judging:competition": Route(allow=VIEW, kwargs=_pk("j_competition")),
    "judging:scheme": Route(allow=VIEW, kwargs=_pk("j_competition")),
    "judging:criterion_save": Route(allow=MANAGE, method="post", kwargs=_pk("j_competition")),
    "judging:aspect_edit": Route(allow=MANAGE, kwargs=_pk("j_competition")),
    "judging:scheme_action": Route(allow=MANAGE, method="post", kwargs=_pk("j_competition"),
                                   data={"action": "freeze"}),
    "judging:scheme_import": Route(allow=MANAGE, kwargs=_pk("j_competition")),
    "judging:scheme_export": Route(allow=VIEW, kwargs=_pk("j_competition")),
    "judging:judges": Route(allow=MANAGE, kwargs=_pk("j_competition")),
    "judging:judges_import": Route(allow=MANAGE, kwargs=_pk("j_competition")),
    "judging:judges_template": Route(allow=MANAGE, kwargs=_pk("j_competition")),
    "judging:judge": Route(allow=MANAGE, kwargs=_judge_detail),
    "judging:stage": Route(allow=VIEW, kwargs=_stage),
    "judging:panels": Route(allow=MANAGE, kwargs=_stage),
    "judging:checkin": Route(allow=CHECKIN, kwargs=_stage),
    "judging:checkin_action": Route(allow=CHECKIN, method="post", kwargs=_checkin,
                                    data={"action": "present", "id_last4": "0000"}),
    "judging:draw": Route(allow=MANAGE, kwargs=_stage),
    "judging:draw_pdf": Route(allow=MANAGE, kwargs=lambda w, s: _stage(w, s) | {"kind": "contestant"}),
    "judging:draw_xlsx": Route(allow=MANAGE, kwargs=_stage),
    "judging:end_stage": Route(allow=MANAGE, method="post", kwargs=_stage),
    "judging:times": Route(allow=TIME, kwargs=_stage),
    "judging:times_template": Route(allow=TIME, kwargs=_stage),
    "judging:sheets_pdf": Route(allow=KEY_PAPER, kwargs=_stage),
    # The judge marks station 1; the chief judge sits on no panel, so has nothing to mark there.
    "judging:stations": Route(allow=JUDGES, kwargs=_stage),
    "judging:station": Route(allow={"judge"}, kwargs=_station),
    "judging:review": Route(allow={"chief_judge"}, kwargs=_stage),
    "judging:review_station": Route(allow={"chief_judge"}, kwargs=_station),
    "judging:review_action": Route(allow={"chief_judge"}, method="post", kwargs=_station,
                                   data={"action": "time", "time": "50:00"}),
    "judging:history": Route(allow=HISTORY, kwargs=_station),
    "judging:history_xlsx": Route(allow=HISTORY, kwargs=_stage),
    "judging:paper": Route(allow=KEY_PAPER, kwargs=_stage),
    "judging:import_marks": Route(allow=MANAGE, kwargs=_stage),
    "judging:import_template": Route(allow=MANAGE, kwargs=_stage),
    "judging:unblinding": Route(allow=VIEW, kwargs=_stage),
    "judging:stats": Route(allow=STATS, kwargs=_stage),
    "GET /api/judging/competitions/{code}/scheme": Route(allow=VIEW, kwargs=_code),
    "POST /api/judging/competitions/{code}/scheme/import": Route(allow=MANAGE, kwargs=_code, data=_scheme_upload,
                                                                 multipart=True),
    "POST /api/judging/competitions/{code}/scheme/freeze": Route(allow=MANAGE, kwargs=_code),
    "GET /api/judging/pool": Route(allow=MANAGE),
    "POST /api/judging/pool": Route(allow=MANAGE, data={"code": "API-J", "name": "新裁判", "unit_code": "U"}),
    "GET /api/judging/competitions/{code}/judges": Route(allow=MANAGE, kwargs=_code),
    "POST /api/judging/competitions/{code}/judges": Route(allow=MANAGE, kwargs=_code,
                                                          data={"judge": "POOL-B", "role": "judge"}),
    "POST /api/judging/competitions/{code}/judges/import": Route(allow=MANAGE, kwargs=_code, data=_judges_upload,
                                                                 multipart=True),
    "DELETE /api/judging/competitions/{code}/judges/{judge}": Route(allow=MANAGE, kwargs=_judge_code),
    "POST /api/judging/competitions/{code}/judges/{judge}/relationships": Route(
        allow=MANAGE, kwargs=_judge_code, data=lambda w, s: {"id_number": factories.id_number(), "relation": "亲属"}),
    "GET /api/judging/stages/{stage_id}": Route(allow=VIEW, kwargs=_api_stage),
    "GET /api/judging/stages/{stage_id}/panels": Route(allow=MANAGE, kwargs=_api_stage),
    "POST /api/judging/stages/{stage_id}/panels": Route(allow=MANAGE, kwargs=_api_stage,
                                                        data={"name": "B", "aspects": ["A1"], "judges": []}),
    "DELETE /api/judging/stages/{stage_id}/panels/{panel_id}": Route(allow=MANAGE, kwargs=_panel),
    "PUT /api/judging/stages/{stage_id}/panels/{panel_id}": Route(
        allow=MANAGE, kwargs=_panel, data={"name": "A", "aspects": ["A2"], "judges": [], "reason": "调整"}),
    "GET /api/judging/stages/{stage_id}/panels/warnings": Route(allow=MANAGE, kwargs=_api_stage),
    "POST /api/judging/stages/{stage_id}/checkin": Route(allow=CHECKIN, kwargs=_api_stage,
                                                         data={"contestant_number": 1, "id_last4": "0000"}),
    "POST /api/judging/stages/{stage_id}/draws": Route(allow=MANAGE, kwargs=_api_stage, data={"kind": "contestant"}),
    "GET /api/judging/stages/{stage_id}/draws": Route(allow=MANAGE, kwargs=_api_stage),
    "POST /api/judging/stages/{stage_id}/end": Route(allow=MANAGE, kwargs=_api_stage),
    "GET /api/judging/stages/{stage_id}/stations": Route(allow=JUDGES, kwargs=_api_stage),
    "GET /api/judging/stages/{stage_id}/stations/{number}": Route(allow={"judge"}, kwargs=_api_station),
    "POST /api/judging/stages/{stage_id}/stations/{number}/marks": Route(
        allow={"judge"}, kwargs=_api_station, data={"aspect": "A3", "value": "20", "key": "matrix"}),
    "GET /api/judging/stages/{stage_id}/stations/{number}/review": Route(allow={"chief_judge"}, kwargs=_api_station),
    "POST /api/judging/stages/{stage_id}/stations/{number}/signoff": Route(allow={"chief_judge"},
                                                                           kwargs=_api_station),
    "POST /api/judging/stages/{stage_id}/stations/{number}/unlock": Route(
        allow={"chief_judge"}, kwargs=_api_station, data={"aspect": "A2", "reason": "复核"}),
    "POST /api/judging/stages/{stage_id}/stations/{number}/rescore": Route(allow={"chief_judge"},
                                                                           kwargs=_api_station, data={"aspect": "A2"}),
    "POST /api/judging/stages/{stage_id}/stations/{number}/time": Route(allow=TIME, kwargs=_api_station,
                                                                        data={"time": "50:00"}),
    "POST /api/judging/stages/{stage_id}/times/import": Route(allow=TIME, kwargs=_api_stage, data=_times_upload,
                                                              multipart=True),
    "POST /api/judging/stages/{stage_id}/checkin/import": Route(allow=CHECKIN, kwargs=_api_stage,
                                                                data=_checkin_upload, multipart=True),
    "POST /api/judging/stages/{stage_id}/stations/{number}/paper": Route(allow=KEY_PAPER, kwargs=_api_station,
                                                                         data=_paper),
    "GET /api/judging/stages/{stage_id}/stations/{number}/history": Route(allow=HISTORY, kwargs=_api_station),
    "POST /api/judging/stages/{stage_id}/marks/import": Route(allow=MANAGE, kwargs=_api_stage, data=_marks_upload,
                                                              multipart=True),
    "POST /api/judging/stages/{stage_id}/unblinding/confirm": Route(allow={"chief_judge"}, kwargs=_api_stage),
    "POST /api/judging/stages/{stage_id}/unblinding/unblind": Route(allow=MANAGE, kwargs=_api_stage),
    "GET /api/judging/stages/{stage_id}/stats": Route(allow=STATS, kwargs=_api_stage),
    "GET /api/judging/appeals": Route(allow=APPEAL_VIEW),
    "POST /api/judging/appeals": Route(allow={"worker", "unit_contact"}, allow_out=frozenset(), data=_appeal_body),
    "GET /api/judging/appeals/{appeal_id}": Route(allow=APPEAL_VIEW, kwargs=_appeal),
    "POST /api/judging/appeals/{appeal_id}/decision": Route(allow={"arbitrator"}, kwargs=_appeal,
                                                            data={"upheld": False, "ruling": "评分无误"}),
}

# Marking, reviewing and ruling belong to the roles that hold them, administrators included:
# what they may not do on the "in" competition, they may not do on the "out" one either.
for _route in ROUTES.values():
    if "admin" not in _route.allow:
        _route.allow_out = frozenset()
