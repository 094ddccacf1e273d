"""How a route is declared in the access matrix."""

from collections.abc import Callable
from dataclasses import dataclass, field

# Roles that administer everything; add to allow sets with ADMIN | {...}.
ADMIN = frozenset({"admin"})
EVERYONE_LOGGED_IN = frozenset({"*"})

# Routes outside the matrix: the API's own documentation. Django admin is in the matrix as
# admin:index, which stands for every admin page (they share one guard).
IGNORED = {"api:openapi-json", "api:openapi-view", "api:api-root"}


@dataclass
class Route:
    """allow      roles that may use the route on the "in" object (or at all, if unscoped)
    allow_out  roles that may use it on the "out" object (default: administrators only)
    kwargs     f(world, scope) -> URL arguments; scoped routes are tried with both objects
    public     anyone, anonymous included, may use it
    method     for Django views: "get" or "post" (API keys carry their method)
    data       the POST body (or f(world, scope) -> body); empty by default: an allowed user
               then gets the form back with errors (200) or a 400, a denied one 403/404.
               API bodies must be valid: a 422 counts as a failure, since it would hide
               the permission check behind input validation.
    query      a query string (or f(world, scope) -> query string), with its "?"
    multipart  send the API body as a multipart form (file uploads)

    A route is tried on both the "in" and the "out" object when any of kwargs, query or
    data depends on the scope (builders made with fixed() do not).
    """

    allow: frozenset = ADMIN
    allow_out: frozenset | None = None
    kwargs: Callable | None = None
    public: bool = False
    method: str = "get"
    data: object = None
    query: object = ""
    multipart: bool = False
    scoped: bool = field(init=False)

    def __post_init__(self):
        self.allow = frozenset(self.allow)
        builders = [b for b in (self.kwargs, self.query, self.data) if callable(b)]
        self.scoped = any(getattr(b, "scoped", True) for b in builders)
        self.allow_out = ADMIN if self.allow_out is None else frozenset(self.allow_out)


def on(kind, field_name="pk", arg="pk"):
    """kwargs builder: the "in"/"out" object of `kind`, passed as URL argument `arg`."""

    def build(world, scope):
        return {arg: getattr(world.obj(kind, scope), field_name)}

    return build


def fixed(**values):
    """kwargs builder for routes whose argument does not depend on the scope."""

    def build(world, scope):
        return {name: value(world) if callable(value) else value for name, value in values.items()}

    build.scoped = False
    return build
