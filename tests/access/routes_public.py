from tests.access.spec import Route, on

# The competitions "COMP-A" and "COMP-B" come from routes_competitions.extend_world.
ROUTES = {
    "public:home": Route(public=True),
    "public:competitions": Route(public=True),
    "public:competition": Route(public=True, kwargs=on("competition", "code", "code")),
}
