import pytest

from tests.judging import factories as judging_factories


@pytest.fixture
def w(db):
    """A judged competition ready for marking: 3 judges and a chief judge (each from an
    enterprise of their own), 4 contestants from enterprise A, both draws made."""
    return judging_factories.world()
