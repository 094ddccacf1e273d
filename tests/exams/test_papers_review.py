"""Papers and the draw: fixed papers and blueprints, their totals, the per-candidate draw
and the paper pages, API and command. Tests named "Regression" failed before the fix their
docstring describes (a review of 2026-12-07)."""

import json

import pytest

from jingsai.core.errors import Rejected
from jingsai.exams.models import Paper
from tests.exams import factories as ex

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    data = ex.exam_with_organizer(n_candidates=1)
    data["client"] = ex.logged_in(data["organizer"])
    data["client"].raise_request_exception = False
    return data


@pytest.mark.parametrize("points", ["0.125", "2.675", "0.001"])
def test_points_per_question_with_more_than_two_decimals_are_refused_not_rounded(world, points):
    """Regression: points per question were rounded (half to even) to two decimals without a
    word: 0.125 became 0.12, so three such questions made a total of 0.36, not the 0.375
    the organizer typed, and 0.001 was refused as if it were not above 0."""
    with pytest.raises(Rejected) as rejected:
        ex.paper(world["competition"], world["bank"], sections=[{"type": "single", "count": 3, "points": points}])
    assert [p.message for p in rejected.value.problems] == ["每题分值最多保留两位小数。"]
    body = {"competition": world["competition"].code, "bank": world["bank"].pk, "name": "三位小数",
            "sections": [{"type": "single", "count": 3, "points": points}]}
    answer = world["client"].post("/api/exams/papers", json.dumps(body), content_type="application/json")
    assert answer.status_code == 400, answer.content
    assert not Paper.objects.filter(name="三位小数").exists()
