from jingsai.accounts import services
from jingsai.accounts.models import Role
from tests import factories
from tests.access.spec import ADMIN, EVERYONE_LOGGED_IN, Route, fixed


def extend_world(world):
    world.token, _raw = services.create_token(None, world.users["organizer"], "matrix")
    outside = factories.user("contact_b", role=Role.UNIT_CONTACT, org=world.orgs["unit_b"])
    inside = world.users["unit_contact"]
    world.put("account", inside, outside)
    world.put("role_assignment", inside.roles.get(), outside.roles.get())


def _role_kwargs(world, scope):
    assignment = world.obj("role_assignment", scope)
    return {"pk": assignment.user_id, "role_pk": assignment.pk}


def _account(world, scope):
    return {"pk": world.obj("account", scope).pk}


MANAGERS = ADMIN | {"organizer"}

ROUTES = {
    "accounts:login": Route(public=True),
    "accounts:logout": Route(public=True, method="post"),
    "accounts:signup": Route(public=True),
    "accounts:profile": Route(allow=EVERYONE_LOGGED_IN),
    # A token can be revoked by its owner only.
    "accounts:revoke_token": Route(allow={"organizer"}, method="post", kwargs=fixed(pk=lambda w: w.token.pk)),
    "accounts:users": Route(allow=MANAGERS),
    "accounts:user_create": Route(allow=MANAGERS),
    "accounts:user": Route(allow=MANAGERS, kwargs=_account),
    "accounts:revoke_role": Route(allow=MANAGERS, method="post", kwargs=_role_kwargs),
    "GET /api/accounts/me": Route(allow=EVERYONE_LOGGED_IN),
}
