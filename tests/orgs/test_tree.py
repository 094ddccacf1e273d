"""Subtree queries are one SQL query at any depth, moves included."""

import pytest

from jingsai.accounts import permissions
from jingsai.accounts.models import Role
from jingsai.orgs import services
from jingsai.orgs.models import Organization, OrgType
from jingsai.people.models import Person

pytestmark = pytest.mark.django_db


@pytest.fixture
def chain(make):
    """Nine levels: a root and a chain of eight below it, with a worker at the bottom and a
    side branch at level 2."""
    nodes = [make.org("L0", type=OrgType.UNION)]
    for level in range(1, 9):
        nodes.append(make.org(f"L{level}", parent=nodes[-1], type=OrgType.TEAM))
    make.org("SIDE", parent=nodes[2])
    make.person(employer=nodes[-1])
    return nodes


def test_a_subtree_is_one_query_at_any_depth(chain, django_assert_num_queries):
    with django_assert_num_queries(1):
        codes = [o.code for o in Organization.objects.subtree(chain[1])]
    assert codes[0] == "L1" and set(codes) == {f"L{i}" for i in range(1, 9)} | {"SIDE"}
    with django_assert_num_queries(1):
        assert Person.objects.filter(employer__path__startswith=chain[0].path).count() == 1
    with django_assert_num_queries(1):
        assert [a.code for a in chain[8].ancestors()] == [f"L{i}" for i in range(8)]
    with django_assert_num_queries(0):
        assert chain[8].is_within(chain[3]) and not chain[3].is_within(chain[8])


def test_moving_a_deep_subtree_updates_every_descendant_in_one_statement(make, chain, django_assert_num_queries):
    other = make.org("OTHER", type=OrgType.UNION)
    mover = Organization.objects.get(code="L2")
    with django_assert_num_queries(8) as captured:
        services.update_organization(None, mover, parent=other)
    updates = [q["sql"] for q in captured.captured_queries if q["sql"].startswith("UPDATE")]
    assert len(updates) == 2  # every path and depth below, then the mover's parent
    assert "LIKE" in updates[0] and "path" in updates[0]
    for org in Organization.objects.all():
        parent_path = org.parent.path if org.parent_id else "/"
        assert org.path.startswith(parent_path) and org.depth == (org.parent.depth + 1 if org.parent_id else 0)
    assert Organization.objects.get(code="L8").path.startswith(other.path)
    assert Organization.objects.get(code="L8").depth == 7
    assert Organization.objects.subtree(chain[0]).count() == 2


def test_moving_under_its_own_descendant_is_refused(chain):
    from jingsai.core.errors import UserError

    before = list(Organization.objects.values_list("path", flat=True))
    with pytest.raises(UserError) as caught:
        services.update_organization(None, Organization.objects.get(code="L2"), parent=chain[6])
    assert caught.value.code == "cycle"
    assert list(Organization.objects.values_list("path", flat=True)) == before


def test_permission_filtered_lists_are_one_query(make, chain, django_assert_num_queries):
    organizer = make.user("org-l3", role=Role.ORGANIZER, org=chain[3])
    permissions.is_admin(organizer)  # the roles load once per user object; then each list is one query
    with django_assert_num_queries(1):
        codes = set(permissions.filter_queryset(organizer, "orgs.view", Organization.objects.all())
                    .values_list("code", flat=True))
    assert codes == {f"L{i}" for i in range(3, 9)}
    with django_assert_num_queries(1):
        assert permissions.filter_queryset(organizer, "people.view", Person.objects.all()).count() == 1


def test_paths_stay_correct_beyond_base_36_digits(make):
    root = make.org("B36", type=OrgType.UNION)
    for _ in range(40):
        node = make.org(parent=root)
    assert node.path.startswith(root.path) and node.path.count("/") == 3
    assert node.ancestor_ids == [root.pk]
