"""The matrix itself is tested: a wrong entry and a missing route must both be caught."""

import dataclasses

import pytest

from tests.access import test_matrix
from tests.access.spec import ADMIN, Route

pytestmark = pytest.mark.django_db

world = test_matrix.world


def test_a_wrong_entry_is_reported(world):
    routes, _ = test_matrix.declared_routes()
    wrong = dict(routes)
    # The unit contact may not edit organizations; the organizer may not outside district A.
    wrong["orgs:edit"] = dataclasses.replace(routes["orgs:edit"], allow=ADMIN | {"organizer", "unit_contact"})
    wrong["orgs:detail"] = dataclasses.replace(
        routes["orgs:detail"], allow_out=ADMIN | {"organizer"}
    )
    wrong["core:audit"] = Route(allow=ADMIN | {"organizer"})
    failures = test_matrix.run_matrix(wrong, world, ["orgs:edit", "orgs:detail", "core:audit"])
    assert any(f.startswith("orgs:edit [in] as unit_contact: expected allowed, got denied") for f in failures)
    assert any(f.startswith("orgs:detail [out] as organizer: expected allowed, got denied") for f in failures)
    assert any(f.startswith("core:audit [in] as organizer: expected allowed, got denied") for f in failures)
    assert len(failures) == 3, failures
    assert test_matrix.run_matrix(routes, world, ["orgs:edit", "orgs:detail", "core:audit"]) == []


def test_the_matrix_walks_every_kind_of_route():
    keys = test_matrix.all_route_keys()
    assert {"orgs:detail", "people:reveal", "public:home", "set_language", "admin:index"} <= keys
    assert {"GET /api/orgs/{code}", "PATCH /api/orgs/{code}", "POST /api/people/{pk}/reveal"} <= keys
    assert not {k for k in keys if k.startswith("admin:") and k != "admin:index"}


def test_a_route_missing_from_the_matrix_fails(monkeypatch):
    routes, extenders = test_matrix.declared_routes()
    del routes["people:edit"]
    monkeypatch.setattr(test_matrix, "declared_routes", lambda: (routes, extenders))
    with pytest.raises(AssertionError, match="people:edit"):
        test_matrix.test_every_route_is_in_the_matrix()
