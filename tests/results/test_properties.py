"""Invariants of the results engine over generated competitions (hypothesis)."""

import random
from decimal import Decimal
from math import floor

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jingsai.core.numbers import format_decimal, round_half_up
from jingsai.results.engine import FLAG_PROMOTION_ALREADY_GRANTED, compute

SETTINGS = settings(max_examples=200, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])

MAXES = [10, 30, 50, 100]


@st.composite
def components(draw):
    count = draw(st.integers(1, 3))
    cuts = sorted(draw(st.lists(st.integers(1, 99), min_size=count - 1, max_size=count - 1,
                                unique=True)))
    bounds = [0, *cuts, 100]
    result = []
    for i in range(count):
        maximum = draw(st.sampled_from(MAXES))
        component = {"key": f"c{i}", "name": f"C{i}", "max": maximum,
                     "weight": str(Decimal(bounds[i + 1] - bounds[i]) / 100)}
        if draw(st.booleans()):
            component["pass"] = maximum * 6 // 10
        result.append(component)
    return result


def band(draw, index):
    kind = draw(st.sampled_from(["rank_range", "top_fraction", "quota_ratio", "quota_count",
                                 "scale_at_least"]))
    name = f"band{index}"
    if kind == "rank_range":
        low = draw(st.integers(1, 10))
        high = draw(st.one_of(st.none(), st.integers(low, 15)))
        return {"name": name, "rank_range": [low, high]}
    if kind == "top_fraction":
        return {"name": name, "top_fraction": str(draw(st.sampled_from(["0.1", "0.25", "0.5",
                                                                       "1"])))}
    if kind == "quota_ratio":
        item = {"name": name, "quota_ratio": draw(st.sampled_from(["0.1", "0.2", "0.3", "1"]))}
        if draw(st.booleans()):
            item["min"] = draw(st.integers(1, 3))
        return item
    if kind == "quota_count":
        return {"name": name, "quota_count": draw(st.integers(1, 5))}
    return {"name": name, "scale_at_least": draw(st.sampled_from([650, 700, 720]))}


def benefit(draw):
    kind = draw(st.sampled_from(["promote_to", "promote_step", "title", "recommend"]))
    low = draw(st.integers(1, 6))
    rule = {"rank_range": [low, draw(st.one_of(st.none(), st.integers(low, 12)))],
            "requires": draw(st.lists(st.sampled_from(["worker_status", "all_pass", "award"]),
                                      unique=True, max_size=3))}
    cap = draw(st.integers(1, 5))
    if kind == "promote_to":
        rule["promote"] = {"to": draw(st.integers(cap, 5)), "cap": cap}
    elif kind == "promote_step":
        rule["promote"] = {"step": 1, "cap": cap}
    elif kind == "title":
        rule["title"] = {"name": draw(st.sampled_from(["市技术能手", "区技术能手"]))}
    else:
        rule["recommend"] = {"name": "五一劳动奖章"}
    return rule


@st.composite
def competitions(draw):
    parts = draw(components())
    keys = [c["key"] for c in parts]
    breakers = draw(st.lists(
        st.builds(lambda kind, key, direction: f"{kind}:{key}:{direction}",
                  st.sampled_from(["component", "time"]), st.sampled_from(keys),
                  st.sampled_from(["asc", "desc"])),
        max_size=3, unique=True,
    ))
    spec = {
        "components": parts,
        "rounding": {"places": draw(st.integers(0, 3))},
        "scale": draw(st.sampled_from(["none", "worldskills"])),
        "ranking": {"tie_breakers": breakers},
        "awards": {"require": draw(st.sampled_from(["none", "all_pass"])),
                   "bands": [band(draw, i) for i in range(draw(st.integers(0, 4)))]},
        "benefits": [benefit(draw) for _ in range(draw(st.integers(0, 4)))],
    }
    if spec["scale"] == "none":
        spec["awards"]["bands"] = [b for b in spec["awards"]["bands"]
                                   if "scale_at_least" not in b]
    entries = []
    numbers = draw(st.lists(st.integers(1, 200), unique=True, max_size=30))
    for number in numbers:
        marks = {}
        for part in parts:
            # Few distinct values, so that ties are common.
            step = Decimal(part["max"]) / 8
            missing = draw(st.integers(0, 19)) == 0
            marks[part["key"]] = None if missing else str(draw(st.integers(0, 8)) * step)
        times = {key: draw(st.integers(1, 3)) for key in keys if draw(st.booleans())}
        entries.append({
            "entry": number,
            "id_number": f"P{number}",
            "components": marks,
            "times": times,
            "status": draw(st.sampled_from([None] * 8 + ["absent", "disqualified"])),
            "worker_status": draw(st.booleans()),
            "level": draw(st.sampled_from([None, 1, 2, 3, 4, 5])),
        })
    earlier = frozenset(draw(st.lists(st.sampled_from([e["id_number"] for e in entries]),
                                      unique=True)) if entries else ())
    return spec, entries, earlier


def sort_key(result, spec):
    key = [-Decimal(result["total"])]
    for breaker in spec["ranking"]["tie_breakers"]:
        kind, name, direction = breaker.split(":")
        if kind == "component":
            value = Decimal(result["components"][name])
            key.append(-value if direction == "desc" else value)
        else:
            seconds = result["times"].get(name)
            key.append((1, 0) if seconds is None
                       else (0, -seconds if direction == "desc" else seconds))
    return tuple(key)


@SETTINGS
@given(competitions())
def test_ranks_follow_the_sort_key_and_skip_after_ties(case):
    spec, entries, earlier = case
    results = compute(spec, entries, promoted_earlier_this_year=earlier)
    ranked = [r for r in results if r["status"] == "ranked"]
    keys = [sort_key(r, spec) for r in ranked]
    for i, (result, key) in enumerate(zip(ranked, keys, strict=True)):
        assert result["rank"] == 1 + sum(1 for other in keys if other < key)
        if i:
            assert keys[i - 1] <= key
            if keys[i - 1] == key:
                assert ranked[i - 1]["entry"] < result["entry"]
    assert [r["status"] for r in results] == ["ranked"] * len(ranked) + [
        r["status"] for r in results[len(ranked):]
    ]
    unranked = results[len(ranked):]
    assert all(r["status"] != "ranked" for r in unranked)
    assert [r["entry"] for r in unranked] == sorted(r["entry"] for r in unranked)


@SETTINGS
@given(competitions())
def test_awards_respect_quotas_eligibility_and_one_award_each(case):
    spec, entries, earlier = case
    results = compute(spec, entries, promoted_earlier_this_year=earlier)
    ranked = [r for r in results if r["status"] == "ranked"]
    n = len(ranked)
    for result in results:
        given_bands = [a for a in (result["explain"]["awards"] or []) if a["code"] == "given"]
        assert len(given_bands) == (result["award"] is not None)
        if spec["awards"]["require"] == "all_pass" and result["passed_all"] is False:
            assert result["award"] is None
    for band in spec["awards"]["bands"]:
        if "quota_count" in band:
            quota = band["quota_count"]
        elif "quota_ratio" in band:
            quota = max(floor(n * Decimal(band["quota_ratio"])), band.get("min", 0))
        else:
            continue
        taken = [r for r in ranked if r["award"] == band["name"]]
        if len(taken) > quota:
            assert quota >= 1
            assert {r["rank"] for r in taken[quota - 1:]} == {taken[quota - 1]["rank"]}


@SETTINGS
@given(competitions())
def test_unranked_entries_get_nothing(case):
    spec, entries, earlier = case
    for result in compute(spec, entries, promoted_earlier_this_year=earlier):
        if result["status"] != "ranked":
            assert result["rank"] is None and result["total"] is None
            assert result["award"] is None and result["scale_score"] is None
            assert result["promotion"] is None
            assert result["titles"] == [] and result["recommendations"] == []
            assert result["flags"] == [] and result["advanced"] is False


@SETTINGS
@given(competitions(), st.randoms(use_true_random=False))
def test_recompute_is_identical_and_order_independent(case, rng: random.Random):
    spec, entries, earlier = case
    first = compute(spec, entries, promoted_earlier_this_year=earlier, advance={"top": 3})
    assert compute(spec, entries, promoted_earlier_this_year=earlier,
                   advance={"top": 3}) == first
    shuffled = list(entries)
    rng.shuffle(shuffled)
    assert compute(spec, shuffled, promoted_earlier_this_year=earlier,
                   advance={"top": 3}) == first


@SETTINGS
@given(competitions())
def test_scale_scores_are_integers(case):
    spec, entries, earlier = case
    for result in compute(spec, entries, promoted_earlier_this_year=earlier):
        if spec["scale"] == "worldskills" and result["status"] == "ranked":
            assert type(result["scale_score"]) is int
        else:
            assert result["scale_score"] is None


@SETTINGS
@given(competitions())
def test_promotions_stay_within_the_cap_and_once_per_year(case):
    spec, entries, earlier = case
    promote_caps = [b["promote"]["cap"] for b in spec["benefits"] if "promote" in b]
    results = compute(spec, entries, promoted_earlier_this_year=earlier)
    plain = {r["entry"]: r for r in compute(spec, entries)}
    for result in results:
        promotion = result["promotion"]
        if promotion is not None:
            assert promotion["to"] >= max(1, min(promote_caps))
            assert promotion["from"] is None or promotion["to"] < promotion["from"]
            assert result["id_number"] not in earlier
        if result["id_number"] in earlier:
            assert result["promotion"] is None
            would_have = plain[result["entry"]]["promotion"] is not None
            assert (FLAG_PROMOTION_ALREADY_GRANTED in result["flags"]) == would_have
        # Titles and recommendations do not depend on earlier promotions.
        assert result["titles"] == plain[result["entry"]]["titles"]
        assert result["recommendations"] == plain[result["entry"]]["recommendations"]


@st.composite
def team_competitions(draw):
    spec, entries, earlier = draw(competitions())
    size = draw(st.integers(2, 3))
    spec.update(mode="team", team_size=size,
                team_score=draw(st.sampled_from(["sum", "mean"])))
    spec["scale"] = "none"
    spec["awards"]["bands"] = [b for b in spec["awards"]["bands"] if "scale_at_least" not in b]
    people = iter(entries)
    teams = []
    for number in range(1, len(entries) // size + 1):
        members = []
        for _ in range(size):
            person = next(people)
            members.append({**{k: v for k, v in person.items() if k != "entry"},
                            "person": person["id_number"]})
        teams.append({"entry": number, "members": members,
                      "status": draw(st.sampled_from([None] * 9 + ["disqualified"]))})
    return spec, teams, earlier


@SETTINGS
@given(team_competitions(), st.randoms(use_true_random=False))
def test_teams_rank_once_and_benefit_each_member(case, rng: random.Random):
    spec, teams, earlier = case
    results = compute(spec, teams, promoted_earlier_this_year=earlier)
    shuffled = list(teams)
    rng.shuffle(shuffled)
    assert compute(spec, shuffled, promoted_earlier_this_year=earlier) == results
    caps = [b["promote"]["cap"] for b in spec["benefits"] if "promote" in b]
    for team in results:
        assert team["promotion"] is None and team["titles"] == [] and team["flags"] == []
        statuses = {m["status"] for m in team["members"]}
        if team["status"] == "ranked":
            assert statuses == {"ranked"}
            totals = [Decimal(m["total"]) for m in team["members"]]
            expected = sum(totals)
            if spec["team_score"] == "mean":
                expected = round_half_up(expected / len(totals), spec["rounding"]["places"])
            assert team["total"] == format_decimal(expected, spec["rounding"]["places"])
        else:
            assert team["rank"] is None and team["award"] is None
            assert (team["status"] == "disqualified") == (
                "disqualified" in statuses
                or next(t for t in teams if t["entry"] == team["entry"])["status"]
                == "disqualified")
        for member in team["members"]:
            if member["promotion"] is not None:
                assert team["status"] == "ranked"
                assert member["promotion"]["to"] >= max(1, min(caps))
                assert member["person"] not in earlier
            if team["status"] != "ranked":
                assert member["titles"] == [] and member["recommendations"] == []
