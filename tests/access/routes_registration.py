from django.core.files.uploadedfile import SimpleUploadedFile

from jingsai.registration.models import EntryStatus
from tests import factories
from tests.access.spec import ADMIN, EVERYONE_LOGGED_IN, Route, on
from tests.registration import factories as reg

VIEWERS = ADMIN | {"organizer", "unit_contact", "worker"}
REGISTRARS = ADMIN | {"organizer", "unit_contact"}


def extend_world(world):
    """An entry of the worker (district A's competition) and one of district B's worker."""
    if "competition" not in world.objects:
        world.put("competition", reg.open_competition(world.orgs["A"], "COMP-A"),
                  reg.open_competition(world.orgs["B"], "COMP-B"))
    entries = [factories.entry(world.obj("competition", scope), world.obj("person", scope),
                               status=EntryStatus.SUBMITTED) for scope in ("in", "out")]
    world.put("entry", *entries)


def _code(world, scope):
    return {"code": world.obj("competition", scope).code}


def _action(world, scope):
    return {"pk": world.obj("entry", scope).pk, "action": "withdraw"}


def _competition_query(world, scope):
    return f"?competition={world.obj('competition', scope).code}"


def _new_entry(world, scope):
    return {"competition": world.obj("competition", scope).code, "name": "新报名", "id_number": reg.new_id(),
            "unit_code": world.obj("org", scope).code}


def _self(world, scope):
    return {"competition": world.obj("competition", scope).code}


def _ids(world, scope):
    return {"ids": [world.obj("entry", scope).pk], "reason": "核对"}


def _upload(world, scope):
    rows = [reg.row(world.obj("org", scope))]
    return {"file": SimpleUploadedFile("报名.xlsx", reg.xlsx(rows)),
            "competition": world.obj("competition", scope).code}


ROUTES = {
    "registration:index": Route(allow=VIEWERS),
    "registration:todo": Route(allow=REGISTRARS),
    "registration:entry": Route(allow=VIEWERS, kwargs=on("entry")),
    "registration:entry_action": Route(allow=VIEWERS, method="post", kwargs=_action),
    "registration:competition": Route(allow=REGISTRARS, kwargs=_code),
    "registration:register": Route(allow=REGISTRARS, kwargs=_code),
    "registration:import": Route(allow=REGISTRARS, kwargs=_code),
    "registration:template": Route(allow=REGISTRARS, kwargs=_code),
    "registration:export": Route(allow=REGISTRARS, kwargs=_code),
    "registration:bulk": Route(allow=REGISTRARS, method="post", kwargs=_code),
    # Anyone logged in sees a competition's registration page; the worker's own rules decide on submitting.
    "registration_public:register": Route(allow=EVERYONE_LOGGED_IN, allow_out=EVERYONE_LOGGED_IN, kwargs=_code),
    "GET /api/registration/entries": Route(allow=VIEWERS),
    "POST /api/registration/entries": Route(allow=REGISTRARS, data=_new_entry),
    "POST /api/registration/entries/self": Route(allow={"worker"}, allow_out={"worker"}, data=_self),
    "POST /api/registration/entries/approve": Route(allow=REGISTRARS, data=_ids),
    "POST /api/registration/entries/reject": Route(allow=REGISTRARS, data=_ids),
    "POST /api/registration/entries/withdraw": Route(allow=VIEWERS, data=_ids),
    "GET /api/registration/entries/{pk}": Route(allow=VIEWERS, kwargs=on("entry")),
    "POST /api/registration/entries/{pk}/approve": Route(allow=REGISTRARS, kwargs=on("entry")),
    "POST /api/registration/entries/{pk}/reject": Route(allow=REGISTRARS, kwargs=on("entry"), data={"reason": "x"}),
    "POST /api/registration/entries/{pk}/withdraw": Route(allow=VIEWERS, kwargs=on("entry")),
    "POST /api/registration/import": Route(allow=REGISTRARS, data=_upload, multipart=True),
    "GET /api/registration/export": Route(allow=REGISTRARS, query=_competition_query),
    "GET /api/registration/template": Route(allow=REGISTRARS, query=_competition_query),
}
