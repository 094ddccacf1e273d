"""Worked examples by hand for each rule of results-rules.md."""

import json
from decimal import Decimal

import pytest

from jingsai.results.engine import (
    FLAG_PROMOTION_ALREADY_GRANTED,
    EngineInputError,
    compute,
    scale_scores,
)


def spec(components=None, *, places=2, bands=(), require="none", benefits=(), tie_breakers=(),
         scale="none", **extra):
    return {
        "components": components
        or [{"key": "practical", "name": "操作技能", "max": 100, "weight": "1"}],
        "rounding": {"places": places},
        "scale": scale,
        "ranking": {"tie_breakers": list(tie_breakers)},
        "awards": {"require": require, "bands": list(bands)},
        "benefits": list(benefits),
        **extra,
    }


TWO = [
    {"key": "theory", "name": "理论知识", "max": 100, "weight": "0.3", "pass": 60},
    {"key": "practical", "name": "操作技能", "max": 100, "weight": "0.7", "pass": 60},
]


def entry(number, practical=None, *, status=None, level=None, worker_status=True, times=None,
          **components):
    if practical is not None:
        components["practical"] = practical
    return {
        "entry": number,
        "id_number": f"P{number:02d}",
        "components": components,
        "times": times or {},
        "status": status,
        "worker_status": worker_status,
        "level": level,
    }


def by_entry(results):
    return {r["entry"]: r for r in results}


# --------------------------------------------------------------------- rounding


def test_component_scores_round_half_up_before_weighting():
    results = compute(spec(TWO), [entry(1, "90.004", theory="85.555")])
    assert results[0]["components"] == {"theory": "85.56", "practical": "90.00"}
    assert results[0]["total"] == "88.67"  # 0.3 × 85.56 + 0.7 × 90.00 = 88.668


def test_two_point_six_seven_five_given_as_a_string_rounds_up():
    # As a binary float 2.675 is 2.67499999...; as the decimal it is, it rounds up.
    results = compute(spec(), [entry(1, "2.675")])
    assert results[0]["components"]["practical"] == "2.68"
    assert results[0]["total"] == "2.68"


@pytest.mark.parametrize(
    ("places", "component", "total"),
    [(0, "86", "86"), (1, "85.6", "85.6"), (3, "85.556", "85.556")],
)
def test_rounding_places(places, component, total):
    results = compute(spec(places=places), [entry(1, "85.5555")])
    assert results[0]["components"]["practical"] == component
    assert results[0]["total"] == total


def test_places_zero_rounds_half_up_at_the_unit():
    results = compute(spec(places=0), [entry(1, "84.5"), entry(2, "84.49")])
    assert by_entry(results)[1]["total"] == "85"
    assert by_entry(results)[2]["total"] == "84"


def test_total_rounds_the_exact_weighted_sum():
    # 0.3 × 59.99 + 0.7 × 99.50 = 17.997 + 69.65 = 87.647 -> 87.65
    results = compute(spec(TWO), [entry(1, "99.5", theory="59.994")])
    assert results[0]["total"] == "87.65"
    assert results[0]["explain"]["total"]["params"]["sum"] == "87.647"


def test_total_is_exact_when_a_maximum_does_not_divide_100():
    # 0.5 × 10/30 × 100 + 0.5 × 20/60 × 100 = 33.333... total rounds to 33.33
    # and a half-way total comes out exactly: 0.5 × 1/30 × 100 + 0.5 × 0.1 = 1.71666..
    components = [
        {"key": "a", "name": "A", "max": 30, "weight": "0.5"},
        {"key": "b", "name": "B", "max": 60, "weight": "0.5"},
    ]
    results = compute(spec(components), [
        {"entry": 1, "components": {"a": "10", "b": "20"}},
        {"entry": 2, "components": {"a": "0.09", "b": "0"}},  # 0.15 exactly
        {"entry": 3, "components": {"a": "0.03", "b": "0.03"}},  # 0.05 + 0.025 = 0.075
    ])
    totals = {r["entry"]: r["total"] for r in results}
    assert totals == {1: "33.33", 2: "0.15", 3: "0.08"}
    explain = by_entry(results)[1]["explain"]
    assert explain["total"]["params"]["sum_exact"] is False
    assert explain["components"][0]["contribution_exact"] is False
    assert by_entry(results)[3]["explain"]["total"]["params"]["sum"] == "0.075"


# --------------------------------------------------------------------- statuses and order


def test_absent_and_disqualified_are_listed_last_by_entry_number():
    results = compute(spec(TWO), [
        entry(7, "50", theory="50", status="disqualified"),
        entry(3, None, theory="90"),
        entry(5, "80", theory="80"),
        entry(2, "80", theory="80", status="absent"),
        entry(4, "70", theory="70"),
    ])
    assert [(r["entry"], r["status"]) for r in results] == [
        (5, "ranked"), (4, "ranked"), (2, "absent"), (3, "absent"), (7, "disqualified")
    ]
    for result in results[2:]:
        assert result["rank"] is None
        assert result["total"] is None
        assert result["passed_all"] is None
        assert result["award"] is None
        assert result["advanced"] is False
    assert by_entry(results)[3]["components"] == {"theory": "90.00", "practical": None}
    assert by_entry(results)[3]["explain"]["status"] == {
        "code": "missing_components", "params": {"components": ["practical"]}
    }
    assert by_entry(results)[7]["explain"]["status"]["code"] == "marked_disqualified"
    assert by_entry(results)[2]["explain"]["status"]["code"] == "marked_absent"


def test_a_component_missing_from_the_dict_counts_as_not_recorded():
    results = compute(spec(TWO), [{"entry": 1, "components": {"theory": "80"}}])
    assert results[0]["status"] == "absent"
    assert results[0]["components"] == {"theory": "80.00", "practical": None}


def test_passed_all_needs_every_pass_mark():
    results = compute(spec(TWO), [
        entry(1, "60", theory="60"), entry(2, "59.994", theory="100"), entry(3, "100",
                                                                            theory="59.995"),
    ])
    assert {r["entry"]: r["passed_all"] for r in results} == {1: True, 2: False, 3: True}


# --------------------------------------------------------------------- ranking


def test_shared_ranks_skip():
    results = compute(spec(), [entry(1, "90"), entry(2, "80"), entry(3, "80"), entry(4, "70")])
    assert [(r["entry"], r["rank"]) for r in results] == [(1, 1), (2, 2), (3, 2), (4, 4)]


def test_component_asc_and_time_desc_tie_breakers():
    results = compute(
        spec(TWO, tie_breakers=["component:theory:asc", "time:practical:desc"]),
        [
            entry(1, "70", theory="80", times={"practical": 100}),  # total 73
            entry(2, "75", theory="68.333", times={"practical": 100}),  # 68.33 → 73.00
            entry(3, "70", theory="80", times={"practical": 200}),
            entry(4, "70", theory="80"),
        ],
    )
    assert [(r["entry"], r["rank"]) for r in results] == [(2, 1), (3, 2), (1, 3), (4, 4)]
    explain = by_entry(results)[1]["explain"]["rank"]
    assert explain["tied_on_total"] == {"count": 3, "entries": [2, 3, 4]}
    assert explain["shares_rank_with"] == {"count": 0, "entries": []}
    assert explain["separated"] == [
        {"entry": 3, "position": "above", "key": "time:practical:desc", "own": 100,
         "other": 200},
        {"entry": 4, "position": "below", "key": "time:practical:desc", "own": 100,
         "other": None},
    ]
    assert by_entry(results)[3]["explain"]["rank"]["separated"][0] == {
        "entry": 2, "position": "above", "key": "component:theory:asc", "own": "80.00",
        "other": "68.33",
    }


def test_rank_explain_lists_at_most_twenty_entries_but_counts_all():
    results = compute(spec(), [entry(n, "50") for n in range(1, 31)])
    explain = results[14]["explain"]["rank"]
    assert explain["shares_rank_with"]["count"] == 29
    assert len(explain["shares_rank_with"]["entries"]) == 20
    assert 15 not in explain["shares_rank_with"]["entries"]
    assert explain["separated"] == []


# --------------------------------------------------------------------- awards


def test_rank_range_band_without_upper_bound():
    bands = [{"name": "一等奖", "rank_range": [1, 1]}, {"name": "优胜奖", "rank_range": [3, None]}]
    results = compute(spec(bands=bands), [entry(n, str(100 - n)) for n in range(1, 6)])
    assert [r["award"] for r in results] == ["一等奖", None, "优胜奖", "优胜奖", "优胜奖"]
    assert results[1]["explain"]["awards"] == [
        {"band": "一等奖", "code": "rank_outside_range", "params": {"rank": 2, "range": [1, 1]}},
        {"band": "优胜奖", "code": "rank_outside_range",
         "params": {"rank": 2, "range": [3, None]}},
    ]
    assert results[0]["explain"]["awards"][1] == {
        "band": "优胜奖", "code": "already_awarded", "params": {"award": "一等奖"}
    }


def test_top_fraction_floors():
    # N = 7, f = 0.3: floor(2.1) = 2
    bands = [{"name": "优胜奖", "top_fraction": "0.3"}]
    results = compute(spec(bands=bands), [entry(n, str(100 - n)) for n in range(1, 8)])
    assert [r["award"] for r in results] == ["优胜奖", "优胜奖", None, None, None, None, None]
    assert results[2]["explain"]["awards"][0]["params"] == {"rank": 3, "range": [1, 2]}


def test_top_fraction_includes_ties_within_the_limit():
    bands = [{"name": "优胜奖", "top_fraction": "0.5"}]
    results = compute(spec(bands=bands), [entry(1, "90"), entry(2, "80"), entry(3, "80"),
                                          entry(4, "70")])
    assert [r["award"] for r in results] == ["优胜奖", "优胜奖", "优胜奖", None]


def test_quota_ratio_minimum():
    # N = 5: floor(5 × 0.1) = 0, raised to min 1; floor(5 × 0.2) = 1
    bands = [{"name": "一等奖", "quota_ratio": "0.1", "min": 1},
             {"name": "二等奖", "quota_ratio": "0.2"},
             {"name": "三等奖", "quota_ratio": "0.1"}]
    results = compute(spec(bands=bands), [entry(n, str(100 - n)) for n in range(1, 6)])
    assert [r["award"] for r in results] == ["一等奖", "二等奖", None, None, None]
    assert results[0]["explain"]["awards"][0] == {
        "band": "一等奖", "code": "given", "params": {"quota": 1, "position": 1}
    }
    assert results[2]["explain"]["awards"] == [
        {"band": "一等奖", "code": "quota_exhausted", "params": {"quota": 1, "taken": 1}},
        {"band": "二等奖", "code": "quota_exhausted", "params": {"quota": 1, "taken": 1}},
        {"band": "三等奖", "code": "quota_exhausted", "params": {"quota": 0, "taken": 0}},
    ]


def test_quota_count_is_exceeded_by_ties_with_the_last_taken():
    bands = [{"name": "一等奖", "quota_count": 2}, {"name": "二等奖", "quota_count": 1}]
    results = compute(spec(bands=bands), [
        entry(1, "95"), entry(2, "90"), entry(3, "90"), entry(4, "90"), entry(5, "80"),
        entry(6, "70"),
    ])
    assert [r["award"] for r in results] == ["一等奖"] * 4 + ["二等奖", None]
    assert by_entry(results)[4]["explain"]["awards"][0]["params"] == {
        "quota": 2, "position": 4, "tie_beyond_quota": True
    }


def test_failing_entries_take_no_quota_under_all_pass():
    bands = [{"name": "一等奖", "quota_count": 2}]
    results = compute(spec(TWO, bands=bands, require="all_pass"), [
        entry(1, "99", theory="50"), entry(2, "90", theory="90"), entry(3, "80", theory="80"),
        entry(4, "70", theory="70"),
    ])
    assert {r["entry"]: r["award"] for r in results} == {1: None, 2: "一等奖", 3: "一等奖",
                                                          4: None}
    assert by_entry(results)[1]["explain"]["awards"] == [
        {"band": "一等奖", "code": "not_eligible_failed_pass", "params": {}}
    ]


def test_a_tie_straddling_an_ineligible_entry_still_shares_the_band():
    bands = [{"name": "一等奖", "quota_count": 1}]
    results = compute(spec(TWO, bands=bands, require="all_pass"), [
        entry(1, "89", theory="59"),  # 80.00 like entries 2-4, but failed theory
        entry(2, "80", theory="80"),
        entry(3, "80", theory="80"),
        entry(4, "80", theory="80"),
        entry(5, "50", theory="100"),
    ])
    assert [(r["entry"], r["rank"], r["award"]) for r in results] == [
        (1, 1, None), (2, 1, "一等奖"), (3, 1, "一等奖"), (4, 1, "一等奖"), (5, 5, None)
    ]


def test_scale_band_and_scale_scores():
    bands = [{"name": "优秀奖", "scale_at_least": 700}]
    results = compute(spec(bands=bands, scale="worldskills"),
                      [entry(1, "90"), entry(2, "80"), entry(3, "70"), entry(4, "60")])
    # m = 75, MAD = median(15, 5, 5, 15) = 10: 700 + 30 × 15 / 14.826 = 730.35 -> 730
    assert [r["scale_score"] for r in results] == [730, 710, 690, 670]
    assert [r["award"] for r in results] == ["优秀奖", "优秀奖", None, None]
    assert results[2]["explain"]["awards"][0] == {
        "band": "优秀奖", "code": "scale_below", "params": {"scale_score": 690, "min": "700"}
    }
    assert results[0]["explain"]["scale"] == {"median": "75.00", "mad": "10.00", "score": 730}


def test_scale_with_no_spread_is_700_for_everyone():
    results = compute(spec(scale="worldskills"), [entry(1, "50"), entry(2, "50")])
    assert [r["scale_score"] for r in results] == [700, 700]
    assert scale_scores(["1", "1", "1"]) == [700, 700, 700]
    assert scale_scores([]) == []


def test_scale_rounds_half_up_to_an_integer():
    # m = 2, MAD = median(2, 1, 0, 0.02471, 2) = 1; 30 × 0.02471 / 1.4826 = 0.5 exactly,
    # so 2.02471 scores 700.5 -> 701 (a float or banker's rounding would say 700).
    assert scale_scores(["0", "1", "2", "2.02471", "4"]) == [660, 680, 700, 701, 740]
    results = compute(spec(places=5, scale="worldskills"),
                      [entry(n, x) for n, x in enumerate(["0", "1", "2", "2.02471", "4"], 1)])
    assert [r["scale_score"] for r in results] == [740, 701, 700, 680, 660]


# --------------------------------------------------------------------- benefits


def promote_spec(rule, requires=()):
    return spec(benefits=[{"promote": rule, "rank_range": [1, 10], "requires": list(requires)}])


@pytest.mark.parametrize(
    ("rule", "level", "promotion", "code"),
    [
        ({"to": 3, "cap": 2}, None, {"from": None, "to": 3}, "given"),
        ({"to": 3, "cap": 2}, 5, {"from": 5, "to": 3}, "given"),
        ({"to": 3, "cap": 2}, 4, {"from": 4, "to": 3}, "given"),
        ({"to": 3, "cap": 2}, 3, {"from": 3, "to": 2}, "given"),  # k == t within the cap
        ({"to": 2, "cap": 2}, 2, None, "cap_reached"),  # k == t at the cap
        ({"to": 2}, 2, {"from": 2, "to": 1}, "given"),  # default cap 1
        ({"to": 1}, 1, None, "cap_reached"),  # never into 特级/首席
        ({"to": 3, "cap": 2}, 2, None, "level_already_at_or_above"),  # k < t
        ({"to": 3, "cap": 2}, 0, None, "level_already_at_or_above"),  # 特级技师
        ({"step": 1}, -1, None, "cap_reached"),  # 首席技师
        ({"step": 1, "cap": 3}, None, {"from": None, "to": 5}, "given"),
        ({"step": 1, "cap": 3}, 5, {"from": 5, "to": 4}, "given"),
        ({"step": 1, "cap": 3}, 4, {"from": 4, "to": 3}, "given"),
        ({"step": 1, "cap": 3}, 3, None, "cap_reached"),  # step at the cap
        ({"step": 1, "cap": 3}, 2, None, "cap_reached"),  # above the cap already
        ({"step": 1}, 1, None, "cap_reached"),
        ({"to": 1, "cap": 2}, 4, None, "cap_reached"),  # invalid spec: never above the cap
    ],
)
def test_promotion_branches(rule, level, promotion, code):
    result = compute(promote_spec(rule), [entry(1, "90", level=level)])[0]
    assert result["promotion"] == promotion
    assert result["explain"]["benefits"][0]["code"] == code


def test_only_the_first_matching_promote_rule_decides():
    benefits = [
        {"promote": {"to": 2, "cap": 1}, "rank_range": [1, 1], "requires": []},
        {"promote": {"to": 3, "cap": 2}, "rank_range": [1, 2], "requires": []},
    ]
    results = compute(spec(benefits=benefits), [entry(1, "90", level=1), entry(2, "80", level=5)])
    # entry 1 matches the first rule, which gives nothing (level 1 is above 2); the
    # second rule, which would give nothing either, is not even tried.
    assert results[0]["promotion"] is None
    assert [b["code"] for b in results[0]["explain"]["benefits"]] == [
        "level_already_at_or_above", "earlier_promote_rule_applied"
    ]
    assert results[1]["promotion"] == {"from": 5, "to": 3}
    assert [b["code"] for b in results[1]["explain"]["benefits"]] == [
        "rank_outside_range", "given"
    ]


def test_a_rule_whose_requirements_fail_does_not_block_later_promote_rules():
    benefits = [
        {"promote": {"to": 2, "cap": 1}, "rank_range": [1, 3], "requires": ["all_pass"]},
        {"promote": {"step": 1, "cap": 3}, "rank_range": [1, 3], "requires": []},
    ]
    result = compute(spec(TWO, benefits=benefits), [entry(1, "99", theory="50", level=5)])[0]
    assert result["promotion"] == {"from": 5, "to": 4}
    assert result["explain"]["benefits"][0] == {
        "rule": 0, "kind": "promote", "code": "requires_all_pass",
        "params": {"missing": ["all_pass"]},
    }


def test_requirements_of_titles_and_recommendations():
    benefits = [
        {"title": {"name": "市技术能手"}, "rank_range": [1, 3], "requires": ["worker_status"]},
        {"recommend": {"name": "五一劳动奖章"}, "rank_range": [1, 3], "requires": ["award"]},
        {"title": {"name": "优秀选手"}, "rank_range": [1, None], "requires": ["all_pass"]},
    ]
    bands = [{"name": "一等奖", "rank_range": [1, 1]}]
    results = compute(spec(TWO, benefits=benefits, bands=bands), [
        entry(1, "95", theory="95"),
        entry(2, "90", theory="90", worker_status=False),
        entry(3, "85", theory="50"),
        entry(4, "60", theory="60"),
    ])
    got = {r["entry"]: (r["titles"], r["recommendations"]) for r in results}
    assert got == {
        1: (["市技术能手", "优秀选手"], ["五一劳动奖章"]),
        2: (["优秀选手"], []),
        3: (["市技术能手"], []),
        4: (["优秀选手"], []),
    }
    codes = [b["code"] for b in by_entry(results)[2]["explain"]["benefits"]]
    assert codes == ["requires_worker_status", "requires_award", "given"]
    codes = [b["code"] for b in by_entry(results)[3]["explain"]["benefits"]]
    assert codes == ["given", "requires_award", "requires_all_pass"]
    assert by_entry(results)[4]["explain"]["benefits"][0]["code"] == "rank_outside_range"


def test_once_per_year_suppresses_promotion_but_not_titles():
    benefits = [
        {"promote": {"to": 3, "cap": 2}, "rank_range": [1, 3]},
        {"title": {"name": "区技术能手"}, "rank_range": [1, 3]},
    ]
    entries = [entry(1, "90", level=4), entry(2, "80", level=2), entry(3, "70", level=5)]
    entries[2]["person"] = "worker-3"
    results = compute(spec(benefits=benefits), entries,
                      promoted_earlier_this_year={"P01", "P02", "worker-3"})
    assert [r["promotion"] for r in results] == [None, None, None]
    assert [r["titles"] for r in results] == [["区技术能手"]] * 3
    # Entry 2 would get nothing anyway (level 2 is above the target 3): no flag.
    assert [r["flags"] for r in results] == [[FLAG_PROMOTION_ALREADY_GRANTED], [],
                                             [FLAG_PROMOTION_ALREADY_GRANTED]]
    assert results[0]["explain"]["benefits"][0]["code"] == "promotion_already_granted_this_year"


def test_unranked_entries_get_no_benefits():
    benefits = [{"title": {"name": "市技术能手"}, "rank_range": [1, None]}]
    results = compute(spec(benefits=benefits), [entry(1, None), entry(2, "0", status="absent")])
    assert all(r["titles"] == [] and r["explain"]["benefits"] == [] for r in results)


# --------------------------------------------------------------------- advancement


def test_advance_top_n_takes_ties_at_the_cut_off():
    results = compute(spec(), [entry(1, "90"), entry(2, "80"), entry(3, "80"), entry(4, "70"),
                               entry(5, None)],
                      advance={"top": 2})
    assert {r["entry"]: r["advanced"] for r in results} == {1: True, 2: True, 3: True,
                                                             4: False, 5: False}
    assert by_entry(results)[4]["explain"]["advance"] == {
        "code": "rank_outside_top", "params": {"rank": 4, "top": 2}
    }
    assert by_entry(results)[5]["explain"]["advance"] is None


def test_advance_min_total_adds_a_condition():
    results = compute(spec(), [entry(1, "90"), entry(2, "80"), entry(3, "59.99")],
                      advance={"top": 3, "min_total": "60"})
    assert [r["advanced"] for r in results] == [True, True, False]
    assert results[2]["explain"]["advance"] == {
        "code": "total_below_min", "params": {"total": "59.99", "min_total": "60"}
    }
    only_min = compute(spec(), [entry(1, "90"), entry(2, "80")], advance={"min_total": 85})
    assert [r["advanced"] for r in only_min] == [True, False]


def test_no_advance_means_nobody_advances():
    results = compute(spec(), [entry(1, "90")])
    assert results[0]["advanced"] is False
    assert results[0]["explain"]["advance"] is None


# --------------------------------------------------------------------- teams


def member(person, practical, theory="80", *, status=None, level=None, worker_status=True,
           times=None):
    components = {"theory": theory, "practical": practical}
    return {"person": person, "id_number": f"ID-{person}", "name": f"选手{person}",
            "components": components, "times": times or {}, "status": status,
            "worker_status": worker_status, "level": level}


def team_spec(team_score="sum", **kwargs):
    return spec(TWO, mode="team", team_size=2, team_score=team_score, **kwargs)


def test_team_total_is_the_sum_of_member_totals():
    results = compute(team_spec(), [
        {"entry": 1, "name": "一队", "members": [member("a", "90"), member("b", "70")]},
        {"entry": 2, "name": "二队", "members": [member("c", "85"), member("d", "85")]},
    ])
    # a: 24 + 63 = 87; b: 24 + 49 = 73; team 1: 160.00; team 2: 2 × 83.5 = 167.00
    assert [(r["entry"], r["total"], r["rank"]) for r in results] == [
        (2, "167.00", 1), (1, "160.00", 2)
    ]
    team = by_entry(results)[1]
    assert team["components"] == {"theory": "160.00", "practical": "160.00"}
    assert team["name"] == "一队"
    assert [m["total"] for m in team["members"]] == ["87.00", "73.00"]
    assert team["explain"]["total"] == {
        "code": "team_sum",
        "params": {"member_totals": ["87.00", "73.00"], "places": 2, "total": "160.00"},
    }
    json.dumps(results)


def test_team_mean_is_rounded():
    results = compute(team_spec("mean"), [
        {"entry": 1, "members": [member("a", "90.01"), member("b", "70")]},
    ])
    # a: 24 + 63.007 = 87.007 -> 87.01; b: 73.00; mean 80.005 -> 80.01
    assert results[0]["total"] == "80.01"
    assert results[0]["components"]["practical"] == "80.01"  # mean of 90.01 and 70.00
    assert results[0]["explain"]["total"]["params"]["mean"] == "80.005"


def test_team_tie_breakers_use_member_sums():
    results = compute(team_spec(tie_breakers=["component:practical:desc", "time:practical:asc"]), [
        # Both teams total 160.00; team 2 has the higher practical sum.
        {"entry": 1, "members": [member("a", "90", "80"), member("b", "70", "80")]},
        {"entry": 2, "members": [member("c", "100", "60"), member("d", "80", "53.33")]},
        # Same total and practical sum as team 2, but slower.
        {"entry": 3, "members": [member("e", "100", "60", times={"practical": 10}),
                                 member("f", "80", "53.33", times={"practical": 10})]},
        {"entry": 4, "members": [member("g", "100", "60", times={"practical": 5}),
                                 member("h", "80", "53.33", times={"practical": 4})]},
    ])
    # team 2: c 18 + 70 = 88; d 16.00 (15.999) + 56 = 72.00 -> 160.00, practical 180
    assert [r["total"] for r in results] == ["160.00"] * 4
    assert [(r["entry"], r["rank"]) for r in results] == [(4, 1), (3, 2), (2, 3), (1, 4)]
    assert by_entry(results)[4]["times"] == {"practical": 9}
    assert by_entry(results)[2]["times"] == {}
    assert by_entry(results)[1]["explain"]["rank"]["separated"][0] == {
        "entry": 2, "position": "above", "key": "component:practical:desc", "own": "160.00",
        "other": "180.00",
    }


def test_team_own_times_override_members_times():
    results = compute(team_spec(tie_breakers=["time:practical:asc"]), [
        {"entry": 1, "times": {"practical": 50},
         "members": [member("a", "90", times={"practical": 1}), member("b", "90")]},
        {"entry": 2, "times": {"practical": 40}, "members": [member("c", "90"), member("d", "90")]},
    ])
    assert [(r["entry"], r["rank"], r["times"]) for r in results] == [
        (2, 1, {"practical": 40}), (1, 2, {"practical": 50})
    ]


def test_a_team_with_an_absent_member_is_absent_and_a_disqualified_member_disqualifies():
    results = compute(team_spec(), [
        {"entry": 1, "members": [member("a", "90"), member("b", None)]},
        {"entry": 2, "members": [member("c", "90", status="disqualified"),
                                 member("d", None)]},
        {"entry": 3, "members": [member("e", "90"), member("f", "90", status="absent")]},
        {"entry": 4, "status": "disqualified", "members": [member("g", "90"),
                                                          member("h", "90")]},
        {"entry": 5, "members": [member("i", "50"), member("j", "50")]},
    ])
    got = {r["entry"]: (r["status"], r["rank"], r["explain"]["status"]) for r in results}
    assert got == {
        5: ("ranked", 1, {"code": "ranked", "params": {}}),
        1: ("absent", None, {"code": "member_absent", "params": {"members": [1]}}),
        2: ("disqualified", None, {"code": "member_disqualified", "params": {"members": [0]}}),
        3: ("absent", None, {"code": "member_absent", "params": {"members": [1]}}),
        4: ("disqualified", None, {"code": "marked_disqualified", "params": {}}),
    }
    assert by_entry(results)[1]["components"] == {"theory": "160.00", "practical": None}
    assert [r["entry"] for r in results] == [5, 1, 2, 3, 4]


def test_team_benefits_go_to_each_member_who_meets_the_requirements():
    benefits = [
        {"promote": {"to": 3, "cap": 2}, "rank_range": [1, 1],
         "requires": ["worker_status", "all_pass"]},
        {"title": {"name": "技术能手"}, "rank_range": [1, 1], "requires": ["award"]},
    ]
    bands = [{"name": "一等奖", "rank_range": [1, 1]}]
    results = compute(team_spec(benefits=benefits, bands=bands), [
        {"entry": 1, "members": [member("a", "95", level=4),
                                 member("b", "95", "50", level=4)]},
        {"entry": 2, "members": [member("c", "60", level=4),
                                 member("d", "60", level=5, worker_status=False)]},
    ], promoted_earlier_this_year={"x"})
    first = by_entry(results)[1]
    assert first["award"] == "一等奖"
    assert first["passed_all"] is False  # member b failed theory
    assert first["promotion"] is None and first["titles"] == [] and first["flags"] == []
    a, b = first["members"]
    assert (a["promotion"], a["titles"]) == ({"from": 4, "to": 3}, ["技术能手"])
    assert (b["promotion"], b["titles"]) == (None, ["技术能手"])
    assert b["explain"]["benefits"][0]["code"] == "requires_all_pass"
    assert a["person"] == "a" and a["name"] == "选手a" and a["id_number"] == "ID-a"
    assert all(m["promotion"] is None for m in by_entry(results)[2]["members"])


def test_team_awards_under_all_pass_use_every_member():
    bands = [{"name": "一等奖", "quota_count": 1}]
    results = compute(team_spec(bands=bands, require="all_pass"), [
        {"entry": 1, "members": [member("a", "99"), member("b", "99", "59")]},
        {"entry": 2, "members": [member("c", "90"), member("d", "90")]},
    ])
    assert {r["entry"]: r["award"] for r in results} == {1: None, 2: "一等奖"}


def test_team_size_is_enforced():
    with pytest.raises(EngineInputError) as caught:
        compute(team_spec(), [{"entry": 1, "members": [member("a", "90")]},
                              {"entry": 2, "members": []}])
    assert [(p["entry"], p["code"]) for p in caught.value.problems] == [
        (1, "team_size_mismatch"), (2, "invalid_members")
    ]


# --------------------------------------------------------------------- input errors


def test_every_input_problem_is_reported_at_once():
    with pytest.raises(EngineInputError) as caught:
        compute(spec(TWO), [
            entry(1, "100.01", theory="-1"),
            entry(2, 90.5, theory="80"),
            {"entry": 3, "components": {"theory": "80", "practical": "80", "defence": "1"}},
            entry(4, "nan", theory="abc"),
            entry(5, "80", theory="80", times={"practical": -1, "oral": 3}),
            entry(1, "80", theory="80"),
            {"entry": 6, "components": {}, "status": "late", "level": 6, "worker_status": "yes"},
            {"entry": 7, "components": {}, "level": -2},
            {"entry": True, "components": {}},
        ])
    problems = [(p["entry"], p["component"], p["code"]) for p in caught.value.problems]
    assert problems == [
        (1, "theory", "score_out_of_range"),
        (1, "practical", "score_out_of_range"),
        (2, "practical", "float_not_allowed"),
        (3, "defence", "unknown_component"),
        (4, "theory", "not_a_number"),
        (4, "practical", "not_finite"),
        (5, "practical", "invalid_time"),
        (5, "oral", "unknown_time_component"),
        (1, None, "duplicate_entry"),
        (6, None, "invalid_worker_status"),
        (6, None, "invalid_level"),
        (6, None, "invalid_status"),
        (7, None, "invalid_level"),
        (None, None, "invalid_entry_number"),
    ]
    assert caught.value.problems[0]["params"] == {"value": "-1", "max": "100"}
    assert isinstance(caught.value, ValueError)


def test_scores_may_be_decimals_ints_or_strings_but_not_floats():
    results = compute(spec(), [entry(1, Decimal("85.5")), entry(2, 85), entry(3, " 85.50 ")])
    assert {r["total"] for r in results} == {"85.50", "85.00"}
    with pytest.raises(EngineInputError):
        compute(spec(), [entry(1, 85.5)])


def test_a_broken_spec_is_an_input_error():
    with pytest.raises(EngineInputError) as caught:
        compute(spec([{"key": "a", "name": "A", "max": 100, "weight": "1"}],
                     tie_breakers=["component:b:desc"]), [])
    assert {p["params"]["reason"] for p in caught.value.problems} == {"tie_breaker"}
    with pytest.raises(EngineInputError) as caught:
        compute(spec([{"key": "a", "name": "A", "max": 100, "weight": "0.5"}]), [])
    assert caught.value.problems[0]["params"]["reason"] == "weights_sum"


def test_normalized_spec_values_are_accepted():
    normalized = spec([{"key": "practical", "name": "操作技能", "max": Decimal(100),
                        "weight": Decimal(1), "pass": Decimal(60)}])
    assert compute(normalized, [entry(1, "70")])[0]["passed_all"] is True


def test_explain_false_leaves_everything_else_identical():
    entries = [entry(1, "90"), entry(2, "80")]
    with_explain = compute(spec(), entries)
    without = compute(spec(), entries, explain=False)
    assert [{**r, "explain": None} for r in with_explain] == without
