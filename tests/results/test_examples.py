"""The worked examples of results-rules.md §10, each a test of the engine."""

import json
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import pytest

from jingsai.results.engine import compute, practical_component

# A verbatim copy of the examples beside results-rules.md, so the suite stands alone;
# test_examples_match_the_shared_specs checks the copy when the specs are at hand.
EXAMPLES = Path(__file__).resolve().parent / "examples"
SHARED = Path(__file__).resolve().parents[3] / "shared" / "specs" / "examples"


def _load(name):
    return json.loads((EXAMPLES / name).read_text(encoding="utf-8"))


def _ranking_examples():
    return sorted(p.name for p in EXAMPLES.glob("*.json") if "entries" in _load(p.name))


def test_all_examples_are_here():
    assert len(list(EXAMPLES.glob("*.json"))) == 8


@pytest.mark.skipif(not SHARED.is_dir(), reason="the shared specs are not beside the repository")
def test_examples_match_the_shared_specs():
    shared = {p.name: p.read_bytes() for p in SHARED.glob("*.json")}
    ours = {p.name: p.read_bytes() for p in EXAMPLES.glob("*.json")}
    assert ours == shared


@pytest.mark.parametrize("name", _ranking_examples())
def test_example(name):
    example = _load(name)
    results = compute(
        example["spec"],
        example["entries"],
        promoted_earlier_this_year=frozenset(example.get("promoted_earlier_this_year", ())),
    )
    assert [r["entry"] for r in results] == [e["entry"] for e in example["expected"]]
    for result, expected in zip(results, example["expected"], strict=True):
        assert {k: result[k] for k in expected} == expected
    json.dumps(results)  # explain included, everything serializable


@pytest.mark.parametrize("name", _ranking_examples())
def test_example_does_not_depend_on_input_order(name):
    example = _load(name)
    earlier = frozenset(example.get("promoted_earlier_this_year", ()))
    forward = compute(example["spec"], example["entries"], promoted_earlier_this_year=earlier)
    backward = compute(
        example["spec"], example["entries"][::-1], promoted_earlier_this_year=earlier
    )
    assert forward == backward


def test_example_08_judged_aspects():
    example = _load("08-judged-aspects.json")
    for case in example["cases"]:
        score = practical_component(example["aspects"], case["marks"], 2)
        assert f"{score.score:f}" == case["component_score"], case["id_number"]
        for code, shown in case["aspect_marks"].items():
            # The example prints marks at 28 digits; ours are exact fractions.
            assert abs(score.aspect_marks[code] - Fraction(Decimal(shown))) < Fraction(1, 10**24)
        assert score.discrepancies == ()
