"""Judged aspects (results-rules.md §3): marks, validation, discrepancy."""

from fractions import Fraction

import pytest

from jingsai.results.engine import (
    EngineInputError,
    aspect_mark,
    j_discrepancy,
    practical_component,
    validate_aspect_scores,
)

M = {"code": "A1", "type": "M", "max": 10}
BINARY = {"code": "A2", "type": "M", "max": 10, "binary": True}
J = {"code": "B1", "type": "J", "max": 15}
S = {"code": "C1", "type": "S", "max": 25}


def codes(aspect, scores):
    return [p["code"] for p in validate_aspect_scores(aspect, scores)]


def test_measurement_is_the_single_mark():
    assert aspect_mark(M, ["7.5"]) == Fraction(15, 2)
    assert aspect_mark(BINARY, [10]) == 10
    assert aspect_mark(BINARY, ["0"]) == 0


def test_judgement_is_the_mean_over_three_times_max():
    assert aspect_mark(J, [2, 3, 2]) == Fraction(35, 3)
    assert aspect_mark(J, [3, 3, 3, 3]) == 15


def test_scored_drops_one_highest_and_one_lowest_from_five_judges():
    assert aspect_mark(S, ["20", "22", "21.5", "18", "24"]) == Fraction(127, 6)
    assert aspect_mark(S, ["10", "20", "20", "20", "25", "25"]) == Fraction(85, 4)


def test_scored_keeps_every_score_below_five_judges():
    assert aspect_mark(S, ["10", "20", "24", "25"]) == Fraction(79, 4)
    assert aspect_mark(S, ["7"]) == 7


def test_component_is_the_rounded_exact_sum():
    # Aspect marks are not rounded; only their sum is, half up.
    aspects = [{"code": "J1", "type": "J", "max": "0.01"},
               {"code": "M1", "type": "M", "max": "99.99"}]
    # J1: mean 1.5 / 3 × 0.01 = 0.005; M1: 50 → 50.005 -> 50.01 (exactly half: up)
    result = practical_component(aspects, {"J1": [1, 2, 1, 2], "M1": ["50"]})
    assert f"{result.score:f}" == "50.01"
    assert result.aspect_marks["J1"] == Fraction(1, 200)


def test_thirds_are_summed_exactly():
    aspects = [{"code": "J1", "type": "J", "max": "1"}, {"code": "J2", "type": "J", "max": "1"},
               {"code": "M1", "type": "M", "max": "10"}]
    # 4/9 + 5/9 = 1 exactly; with 28-digit decimals it could come out 0.99999...
    result = practical_component(aspects, {"J1": [1, 1, 2], "J2": [1, 2, 2], "M1": ["0.005"]},
                                 places=2)
    assert f"{result.score:f}" == "1.01"


def test_places_for_the_component():
    aspects = [J]
    assert f"{practical_component(aspects, {'B1': [2, 3, 2]}, places=0).score:f}" == "12"
    assert f"{practical_component(aspects, {'B1': [2, 3, 2]}, places=3).score:f}" == "11.667"


def test_discrepancy():
    assert j_discrepancy([1, 3, 2]) is True
    assert j_discrepancy([2, 3, 2]) is False
    assert j_discrepancy([0, 0, 0]) is False
    result = practical_component([J], {"B1": [0, 2, 1]})
    assert result.discrepancies == ("B1",)


def test_judgement_validation():
    assert codes(J, [1, 2]) == ["too_few_judges"]
    assert codes(J, ["1.5", 2, 2]) == ["j_score_not_integer"]
    assert codes(J, [4, 2, -1]) == ["j_score_out_of_range", "j_score_out_of_range"]
    assert codes(J, [2.0, 2, 2]) == ["float_not_allowed"]
    assert codes(J, ["2", "2.0", 3]) == []
    assert validate_aspect_scores(J, [1, 2]) == [
        {"aspect": "B1", "code": "too_few_judges", "params": {"count": 2, "min": 3}}
    ]


def test_measurement_validation():
    assert codes(M, ["1", "2"]) == ["m_needs_one_mark"]
    assert codes(M, ["10.01"]) == ["score_out_of_range"]
    assert codes(BINARY, ["5"]) == ["m_binary_invalid"]
    assert codes(BINARY, ["10.0"]) == []
    assert codes(M, []) == ["no_scores"]


def test_scored_validation():
    assert codes(S, ["26", "-1", "25"]) == ["score_out_of_range", "score_out_of_range"]
    assert codes(S, ["abc"]) == ["not_a_number"]
    assert codes({"code": "X", "type": "Q", "max": 1}, [1]) == ["unknown_aspect_type"]


def test_practical_component_reports_every_problem():
    with pytest.raises(EngineInputError) as caught:
        practical_component([M, J, S], {"A1": ["11"], "B1": [1, 2], "Z9": [1]})
    assert [(p["aspect"], p["code"]) for p in caught.value.problems] == [
        ("Z9", "unknown_aspect"),
        ("A1", "score_out_of_range"),
        ("B1", "too_few_judges"),
        ("C1", "missing_marks"),
    ]


def test_aspect_mark_refuses_bad_scores():
    with pytest.raises(EngineInputError):
        aspect_mark(J, [1, 2])
