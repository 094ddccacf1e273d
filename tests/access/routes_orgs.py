from django.core.files.uploadedfile import SimpleUploadedFile

from jingsai.core import spreadsheets as sheets
from jingsai.orgs.services import COLUMNS
from tests.access.spec import ADMIN, Route, on

VIEWERS = ADMIN | {"organizer", "unit_contact"}
MANAGERS = ADMIN | {"organizer"}


def _district_query(world, scope):
    return f"?root={world.obj('district', scope).pk}"


def _new_org(world, scope):
    return {"code": f"NEW-{scope}", "name": "新企业", "type": "enterprise",
            "parent_code": world.obj("district", scope).code}


def _upload(world, scope):
    data = sheets.xlsx_bytes(COLUMNS, [[f"UP-{scope}", "导入企业", "企业", world.obj("district", scope).code]])
    return {"file": SimpleUploadedFile("orgs.xlsx", data)}


ROUTES = {
    "orgs:tree": Route(allow=VIEWERS),
    "orgs:create": Route(allow=MANAGERS),
    "orgs:import": Route(allow=MANAGERS),
    "orgs:template": Route(allow=MANAGERS),
    "orgs:export": Route(allow=MANAGERS, query=_district_query),
    "orgs:detail": Route(allow=VIEWERS, kwargs=on("org")),
    "orgs:children": Route(allow=VIEWERS, kwargs=on("org")),
    "orgs:edit": Route(allow=MANAGERS, kwargs=on("org")),
    "GET /api/orgs/": Route(allow=VIEWERS),
    "POST /api/orgs/": Route(allow=MANAGERS, data=_new_org),
    "POST /api/orgs/import": Route(allow=MANAGERS, data=_upload, multipart=True),
    "GET /api/orgs/{code}": Route(allow=VIEWERS, kwargs=on("org", "code", "code")),
    "PATCH /api/orgs/{code}": Route(allow=MANAGERS, kwargs=on("org", "code", "code"), data={"name": "改名"}),
    "GET /api/orgs/{code}/children": Route(allow=VIEWERS, kwargs=on("org", "code", "code")),
}
