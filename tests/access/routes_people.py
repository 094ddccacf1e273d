from tests import factories
from tests.access.spec import ADMIN, Route, on

VIEWERS = ADMIN | {"organizer", "unit_contact", "worker"}
EDITORS = ADMIN | {"organizer", "unit_contact"}


def _new_person(world, scope):
    return {"name": "新工人", "id_number": factories.id_number(), "employer_code": world.obj("org", scope).code}


def _reveal(world, scope):
    return {"pk": world.obj("person", scope).pk, "what": "id"}


ROUTES = {
    "people:list": Route(allow=VIEWERS),
    "people:create": Route(allow=EDITORS),
    "people:export": Route(allow=VIEWERS, query="?full=1"),
    "people:detail": Route(allow=VIEWERS, kwargs=on("person")),
    "people:edit": Route(allow=EDITORS, kwargs=on("person")),
    "people:reveal": Route(allow=VIEWERS, method="post", kwargs=_reveal),
    "GET /api/people/": Route(allow=VIEWERS),
    "POST /api/people/": Route(allow=EDITORS, data=_new_person),
    "GET /api/people/{pk}": Route(allow=VIEWERS, kwargs=on("person")),
    "PATCH /api/people/{pk}": Route(allow=EDITORS, kwargs=on("person"), data={"occupation": "6-18-02-04"}),
    "POST /api/people/{pk}/reveal": Route(allow=VIEWERS, kwargs=on("person")),
}
