"""The world the access matrix runs in: a user for every role and, for every kind of
object, one inside the scoped roles' reach ("in") and one outside it ("out").

District A holds everything "in": the organizer is at district A, the unit contact at
enterprise A, the worker works there, the competition-scoped roles hold competition A.
District B holds everything "out". Apps add their objects with `extend_world(world)` in
their routes_<app>.py module."""

from types import SimpleNamespace

from jingsai.accounts.models import Role
from tests import factories

ROLES = [
    "anonymous", "nobody", "worker", "unit_contact", "organizer", "judge", "chief_judge",
    "arbitrator", "invigilator", "grader", "admin",
]
COMPETITION_ROLES = {
    "judge": Role.JUDGE, "chief_judge": Role.CHIEF_JUDGE, "arbitrator": Role.ARBITRATOR,
    "invigilator": Role.INVIGILATOR, "grader": Role.GRADER,
}


class World(SimpleNamespace):
    """world.obj("person", "in") -> the object of that kind in that scope."""

    def obj(self, kind, scope):
        return self.objects[kind][scope]

    def put(self, kind, inside, outside):
        self.objects[kind] = {"in": inside, "out": outside}


def build_world(extenders):
    orgs = factories.tree()
    world = World(orgs=orgs, objects={}, users={})
    world.put("org", orgs["unit_a"], orgs["unit_b"])
    world.put("district", orgs["A"], orgs["B"])
    person_in = factories.person(employer=orgs["unit_a"], name="甲工人")
    person_out = factories.person(employer=orgs["unit_b"], name="乙工人")
    world.put("person", person_in, person_out)
    users = world.users
    users["nobody"] = factories.user("nobody")
    users["worker"] = factories.user("worker", person=person_in)
    users["unit_contact"] = factories.user("unit_contact", role=Role.UNIT_CONTACT, org=orgs["unit_a"])
    users["organizer"] = factories.user("organizer", role=Role.ORGANIZER, org=orgs["A"])
    users["admin"] = factories.user("admin", role=Role.ADMIN)
    # Competition-scoped users get their roles once an app has made the competitions.
    for name in COMPETITION_ROLES:
        users[name] = factories.user(name)
    for extend in extenders:
        extend(world)
    return world
