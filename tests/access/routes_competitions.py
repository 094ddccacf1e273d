from jingsai.accounts.models import Role
from jingsai.accounts.services import grant_role
from tests import factories
from tests.access.spec import ADMIN, Route, fixed, on
from tests.access.world import COMPETITION_ROLES
from tests.competitions.factories import competition, spec

MANAGERS = ADMIN | {"organizer"}
VIEWERS = MANAGERS | {"unit_contact"} | set(COMPETITION_ROLES)


def extend_world(world):
    """COMP-A (district A) and COMP-B (district B), open for registration, each in a series
    of its own district; the competition roles hold COMP-A."""
    inside = competition("COMP-A", world.orgs["A"], status="registration_open")
    outside = competition("COMP-B", world.orgs["B"], status="registration_open")
    world.put("competition", inside, outside)
    world.put("series", inside.series, outside.series)
    for name, role in COMPETITION_ROLES.items():
        grant_role(factories.actor(), world.users[name], Role(role), competition=inside, check=False)


def _upload_query(world, scope):
    return f"?competition={world.obj('competition', scope).pk}"


def _new_spec(world, scope):
    return {"spec": spec(f"API-{scope}", world.obj("district", scope))}


ROUTES = {
    "competitions:list": Route(allow=VIEWERS),
    "competitions:create": Route(allow=MANAGERS),
    "competitions:upload": Route(allow=MANAGERS, query=_upload_query),
    "competitions:preview": Route(allow=MANAGERS, method="post"),
    "competitions:row": Route(allow=MANAGERS, kwargs=fixed(section="components")),
    "competitions:series_list": Route(allow=VIEWERS),
    "competitions:series_detail": Route(allow=VIEWERS, kwargs=on("series")),
    "competitions:series_edit": Route(allow=MANAGERS, kwargs=on("series")),
    "competitions:detail": Route(allow=VIEWERS, kwargs=on("competition")),
    "competitions:rules": Route(allow=MANAGERS, kwargs=on("competition")),
    "competitions:spec_yaml": Route(allow=VIEWERS, kwargs=on("competition")),
    "competitions:transition": Route(allow=MANAGERS, kwargs=on("competition"), method="post"),
    "GET /api/competitions/": Route(allow=VIEWERS),
    "POST /api/competitions/load": Route(allow=MANAGERS, data=_new_spec),
    "GET /api/competitions/series": Route(allow=VIEWERS),
    "GET /api/competitions/series/{code}": Route(allow=VIEWERS, kwargs=on("series", "code", "code")),
    "GET /api/competitions/{code}": Route(allow=VIEWERS, kwargs=on("competition", "code", "code")),
    "GET /api/competitions/{code}/spec": Route(allow=VIEWERS, kwargs=on("competition", "code", "code")),
    "GET /api/competitions/{code}/spec.yaml": Route(allow=VIEWERS, kwargs=on("competition", "code", "code")),
    "POST /api/competitions/{code}/transition": Route(
        allow=MANAGERS, kwargs=on("competition", "code", "code"), data={"to": "registration_closed"}),
}
