from jingsai.competitions.models import Competition, Status
from tests.access.spec import Route, on


def extend_world(world):
    def competition(code, host):
        return Competition.objects.create(
            code=code, name=f"{code} 焊工", host=host, occupation="6-18-02-04", level="district",
            klass="class2", status=Status.REGISTRATION_OPEN,
        )

    world.put("competition", competition("COMP-A", world.orgs["A"]), competition("COMP-B", world.orgs["B"]))


ROUTES = {
    "public:home": Route(public=True),
    "public:competitions": Route(public=True),
    "public:competition": Route(public=True, kwargs=on("competition", "code", "code")),
}
