"""The competition spec: parsing, every validation rule, defaults, the round trip."""

import copy
import datetime as dt
import json
import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings

from jingsai.competitions.spec import (
    DEFAULT_STAGE,
    MESSAGES,
    Problem,
    SpecError,
    aspects_of,
    dump_spec,
    load_spec,
    spec_as_json,
)
from jingsai.results.engine import compute

# The example of headless-interface.md, verbatim.
PUBLISHED = """\
code: 2026-SH-WELDER            # unique
name: 焊工
series: {code: 2026-SH, name: 2026年职工职业技能系列竞赛, year: 2026}
host: SH-UNION                   # organization code of the host
occupation: 6-18-02-04           # 职业分类大典 code, D-DD-DD-DD
level: city                      # city | district | industry | street | enterprise | team
class: class2                    # class1 (一类) | class2 (二类) | other
standard_level: 3                # the skill level the tasks are set at
mode: individual                 # individual | team
team_size: 1
team_score: sum                  # team only: sum | mean
eligibility: {min_age: 16, max_age: 60, worker_status_required: false, min_level: null}
rounding: {places: 2}
components:
  - {key: theory, name: 理论知识, max: 100, weight: 0.3, pass: 60}
  - {key: practical, name: 操作技能, max: 100, weight: 0.7, pass: 60}
ranking:
  tie_breakers: [component:practical:desc, time:practical:asc, component:theory:desc]
scale: none                      # none | worldskills
awards:
  require: all_pass              # all_pass | none
  bands:
    - {name: 一等奖, quota_ratio: 0.10, min: 1}
    - {name: 二等奖, quota_ratio: 0.20}
    - {name: 三等奖, quota_ratio: 0.30}
benefits:
  - {promote: {to: 2, cap: 1}, rank_range: [1, 5], requires: [worker_status, all_pass]}
  - {promote: {to: 3, cap: 2}, rank_range: [6, 20], requires: [worker_status, all_pass]}
  - {title: {name: 市技术能手}, rank_range: [1, 5], requires: [worker_status, all_pass]}
  - {recommend: {name: 五一劳动奖章}, rank_range: [1, 3], requires: [worker_status]}
stages:
  - {key: qualifier, name: 区级选拔赛, scope: district, advance: {top: 3}}
  - {key: final, name: 市级决赛}
marking_scheme:                  # optional, for a component marked by judges
  component: practical
  criteria:
    - code: A
      name: 焊接质量
      aspects:
        - {code: A1, type: M, name: 焊缝尺寸, max: 10, binary: true}
        - {code: A2, type: J, name: 外观成形, max: 15}
        - {code: A3, type: S, name: 工艺规范, max: 25}
"""
# The same with aspects summing to the practical component's max (see the first test).
PUBLISHED_FIXED = PUBLISHED.replace("name: 工艺规范, max: 25", "name: 工艺规范, max: 75")

BASE = {
    "code": "2026-SH-WELDER",
    "name": "焊工",
    "series": {"code": "2026-SH", "name": "2026年职工职业技能系列竞赛", "year": 2026},
    "host": "SH-UNION",
    "occupation": "6-18-02-04",
    "level": "city",
    "class": "class2",
    "components": [
        {"key": "theory", "name": "理论知识", "max": 100, "weight": 0.3, "pass": 60},
        {"key": "practical", "name": "操作技能", "max": 100, "weight": 0.7, "pass": 60},
    ],
}

EXAMPLES = Path(__file__).resolve().parents[1] / "results" / "examples"


@pytest.fixture
def english():
    """Messages in English: the msgids themselves, whether or not Django is set up."""
    if settings.configured:
        from django.utils import translation

        with translation.override("en"):
            yield
    else:
        yield


def base(**changes):
    spec = copy.deepcopy(BASE)
    spec.update(changes)
    return spec


def problems(source):
    with pytest.raises(SpecError) as caught:
        load_spec(source)
    return [(p.path, p.code) for p in caught.value.problems]


def scheme(*aspects, component="practical"):
    return {"component": component,
            "criteria": [{"code": "A", "name": "焊接质量", "aspects": list(aspects)}]}


# --------------------------------------------------------------------- published example


def test_the_published_example_fails_only_on_its_marking_scheme_sum(english):
    # 10 + 15 + 25 = 50, but the practical component's max is 100 (results-rules §3).
    with pytest.raises(SpecError) as caught:
        load_spec(PUBLISHED)
    assert [p.as_dict() for p in caught.value.problems] == [{
        "path": "marking_scheme.criteria",
        "code": "aspects_max_sum",
        "params": {"sum": "50", "component": "practical", "max": "100"},
        "message": "The aspects' maximum marks sum to 50, but “practical” has maximum 100.",
    }]


def test_the_published_example_normalized():
    spec = load_spec(PUBLISHED_FIXED)
    assert spec["components"][0] == {"key": "theory", "name": "理论知识", "max": Decimal(100),
                                      "weight": Decimal("0.3"), "pass": Decimal(60)}
    assert spec["awards"]["bands"][0] == {"name": "一等奖", "quota_ratio": Decimal("0.1"),
                                          "min": 1}
    assert spec["benefits"][3] == {"recommend": {"name": "五一劳动奖章"}, "rank_range": [1, 3],
                                   "requires": ["worker_status"]}
    assert spec["stages"] == [
        {"key": "qualifier", "name": "区级选拔赛", "scope": "district",
         "advance": {"top": 3, "min_total": None}},
        {"key": "final", "name": "市级决赛", "scope": None, "advance": None},
    ]
    assert spec["eligibility"] == {"min_age": 16, "max_age": 60,
                                   "worker_status_required": False, "min_level": None}
    assert aspects_of(spec["marking_scheme"])[0] == {
        "code": "A1", "type": "M", "name": "焊缝尺寸", "max": Decimal(10), "binary": True,
        "description": None, "descriptors": None,
    }
    assert list(spec) == [
        "code", "name", "series", "host", "organizer", "occupation", "level", "class",
        "standard_level", "mode", "team_size", "team_score", "eligibility", "rounding",
        "components", "ranking", "scale", "awards", "benefits", "stages", "marking_scheme",
        "schedule", "approval", "unit_quota", "publicity_days", "appeal_window_minutes",
        "organization_award",
    ]


def test_defaults():
    spec = load_spec(BASE)
    assert spec["stages"] == [DEFAULT_STAGE] == [
        {"key": "final", "name": "决赛", "scope": None, "advance": None}
    ]
    assert spec["rounding"] == {"places": 2}
    assert spec["scale"] == "none"
    assert spec["awards"] == {"require": "none", "bands": []}
    assert spec["ranking"] == {"tie_breakers": []}
    assert spec["benefits"] == []
    assert (spec["mode"], spec["team_size"], spec["team_score"]) == ("individual", 1, "sum")
    assert spec["eligibility"] == {"min_age": None, "max_age": None,
                                   "worker_status_required": False, "min_level": None}
    assert spec["organizer"] is None and spec["standard_level"] is None
    assert spec["marking_scheme"] is None and spec["schedule"] is None
    assert spec["approval"] == "unit_then_host"
    assert spec["unit_quota"] is None
    assert spec["publicity_days"] == 5
    assert spec["appeal_window_minutes"] == 120
    assert spec["organization_award"] is None


# --------------------------------------------------------------------- round trip


def _round_trip(source):
    spec = load_spec(source)
    text = dump_spec(spec)
    assert load_spec(text) == spec
    assert dump_spec(text) == text
    assert load_spec(spec) == spec
    as_json = spec_as_json(spec)
    assert load_spec(json.loads(json.dumps(as_json))) == spec
    return text


def test_round_trip_of_the_published_example():
    text = _round_trip(PUBLISHED_FIXED)
    assert text.startswith("code: 2026-SH-WELDER\nname: 焊工\n")
    assert "- {key: theory, name: 理论知识, max: 100, weight: 0.3, pass: 60}" in text
    assert "- {name: 一等奖, quota_ratio: 0.1, min: 1}" in text
    assert "- {code: A1, type: M, name: 焊缝尺寸, max: 10, binary: true}" in text
    assert "- {code: A2, type: J, name: 外观成形, max: 15}" in text  # binary false left out


@pytest.mark.parametrize("name", sorted(p.name for p in EXAMPLES.glob("*.json")
                                        if "spec" in json.loads(p.read_text("utf-8"))))
def test_round_trip_of_each_example_spec(name):
    example = json.loads((EXAMPLES / name).read_text(encoding="utf-8"))
    source = {**{k: v for k, v in BASE.items() if k != "components"}, **example["spec"]}
    _round_trip(source)
    # The normalized spec and its JSON form compute the same results as the raw one.
    raw = compute(example["spec"], example["entries"])
    assert compute(load_spec(source), example["entries"]) == raw
    assert compute(spec_as_json(source), example["entries"]) == raw


def test_round_trip_of_every_option():
    source = base(
        organizer="SH-WELD-ASSN",
        standard_level=2,
        mode="team",
        team_size=3,
        team_score="mean",
        eligibility={"min_age": 18, "max_age": 55, "worker_status_required": True,
                     "min_level": 4},
        rounding={"places": 3},
        scale="worldskills",
        awards={"require": "none", "bands": [
            {"name": "金牌", "rank_range": [1, 1]},
            {"name": "优胜奖", "rank_range": [5, None]},
            {"name": "优秀奖", "scale_at_least": 700},
            {"name": "鼓励奖", "top_fraction": "0.125"},
            {"name": "参与奖", "quota_count": 3},
        ]},
        benefits=[{"promote": {"step": 1, "cap": 3}, "rank_range": [1, None]}],
        stages=[{"key": "round-1", "name": "初赛", "scope": "enterprise",
                 "advance": {"min_total": "60.5"}},
                {"key": "final", "name": "决赛"}],
        marking_scheme={"component": "practical", "criteria": [
            {"code": "A", "name": "焊接质量", "sub_criteria": [
                {"code": "A-1", "name": "外观", "aspects": [
                    {"code": "A1", "type": "J", "name": "外观成形", "max": 40,
                     "description": "焊缝表面", "descriptors": ["差", "可", "良", "优"]},
                ]},
                {"code": "A-2", "name": "尺寸", "aspects": [
                    {"code": "A2", "type": "M", "name": "焊缝尺寸", "max": "0.333333333333333333",
                     "binary": True},
                    {"code": "A3", "type": "S", "name": "工艺", "max": "59.666666666666666667"},
                ]},
            ]},
        ]},
        schedule={"registration_opens": "2026-03-01", "registration_closes": dt.date(2026, 3, 31),
                  "starts": "2026-04-10T09:00:00+08:00",
                  "ends": dt.datetime(2026, 4, 10, 17, 0)},
        approval="host_only",
        unit_quota=5,
        publicity_days=7,
        appeal_window_minutes=60,
        organization_award={"best_n": 3},
    )
    text = _round_trip(source)
    spec = load_spec(text)
    assert spec["schedule"] == {
        "registration_opens": dt.date(2026, 3, 1),
        "registration_closes": dt.date(2026, 3, 31),
        "starts": dt.datetime(2026, 4, 10, 9, tzinfo=dt.timezone(dt.timedelta(hours=8))),
        "ends": dt.datetime(2026, 4, 10, 17, 0),
    }
    # A decimal a binary float cannot hold is written as a string, and read back exactly.
    assert "max: '0.333333333333333333'" in text
    assert [a["code"] for a in aspects_of(spec["marking_scheme"])] == ["A1", "A2", "A3"]


# --------------------------------------------------------------------- all problems at once


def test_every_problem_is_reported_at_once():
    source = base(
        code="2026 SH",
        occupation="6-18-2-04",
        level="province",
        colour="red",
        components=[
            {"key": "theory", "name": "理论知识", "max": 0, "weight": 0.3, "pass": 60},
            {"key": "theory", "name": "操作技能", "max": 100, "weight": 0.6, "pass": 160,
             "extra": 1},
        ],
        ranking={"tie_breakers": ["component:oral:desc"]},
        awards={"require": "all_pass", "bands": [{"name": "一等奖"}]},
        stages=[{"key": "final", "name": "决赛", "advance": {"top": 0}}],
    )
    assert problems(source) == [
        ("colour", "unknown_key"),
        ("code", "invalid_code"),
        ("occupation", "invalid_occupation"),
        ("level", "not_a_choice"),
        ("components[0].max", "not_positive"),
        ("components[1].extra", "unknown_key"),
        ("components[1].key", "duplicate_component"),
        ("components[1].pass", "pass_above_max"),
        ("components", "weights_sum"),
        ("ranking.tie_breakers[0]", "unknown_component"),
        ("awards.bands[0]", "band_kind"),
        ("stages[0].advance.top", "too_small"),
        ("stages[0].advance", "last_stage_advances"),
    ]


# --------------------------------------------------------------------- structure


def test_unknown_keys_are_errors_everywhere():
    source = base(
        series={"code": "S", "name": "N", "year": 2026, "city": "沪"},
        eligibility={"min_age": 18, "gender": "any"},
        rounding={"places": 2, "mode": "half_up"},
        ranking={"tie_breakers": [], "method": "x"},
        awards={"require": "none", "bands": [{"name": "金", "rank_range": [1, 1], "colour": 1}],
                "medals": True},
        benefits=[{"promote": {"to": 3, "why": 1}, "rank_range": [1, 2], "note": "x"},
                  {"title": {"name": "能手", "level": "市"}, "rank_range": [1, 2]}],
        stages=[{"key": "s1", "name": "初赛", "advance": {"top": 3, "bottom": 1}, "venue": "x"},
                {"key": "s2", "name": "决赛"}],
        marking_scheme={"component": "practical", "judges": 5, "criteria": [
            {"code": "A", "name": "甲", "weight": 1, "sub_criteria": [
                {"code": "A-1", "name": "乙", "note": "x", "aspects": [
                    {"code": "A1", "type": "M", "name": "丙", "max": 100, "unit": "mm"}]}]}]},
        schedule={"starts": "2026-04-01", "lunch": "12:00"},
        organization_award={"best_n": 3, "name": "组织奖"},
    )
    assert sorted(problems(source)) == sorted([
        ("series.city", "unknown_key"),
        ("eligibility.gender", "unknown_key"),
        ("rounding.mode", "unknown_key"),
        ("ranking.method", "unknown_key"),
        ("awards.medals", "unknown_key"),
        ("awards.bands[0].colour", "unknown_key"),
        ("benefits[0].note", "unknown_key"),
        ("benefits[0].promote.why", "unknown_key"),
        ("benefits[1].title.level", "unknown_key"),
        ("stages[0].venue", "unknown_key"),
        ("stages[0].advance.bottom", "unknown_key"),
        ("marking_scheme.judges", "unknown_key"),
        ("marking_scheme.criteria[0].weight", "unknown_key"),
        ("marking_scheme.criteria[0].sub_criteria[0].note", "unknown_key"),
        ("marking_scheme.criteria[0].sub_criteria[0].aspects[0].unit", "unknown_key"),
        ("schedule.lunch", "unknown_key"),
        ("organization_award.name", "unknown_key"),
    ])


def test_unknown_key_lists_the_allowed_ones(english):
    with pytest.raises(SpecError) as caught:
        load_spec(base(rounding={"digits": 2}))
    problem = caught.value.problems[0]
    assert problem.params == {"key": "digits", "allowed": ["places"]}
    assert problem.message == "Unknown key “digits”; allowed here: places."


def test_required_keys():
    assert problems({}) == [(key, "required") for key in (
        "code", "name", "series", "host", "occupation", "level", "class", "components")]
    assert problems(base(series={"code": "S"})) == [("series.name", "required"),
                                                    ("series.year", "required")]
    assert problems(base(components=[{"key": "a"}])) == [
        ("components[0].name", "required"), ("components[0].max", "required"),
        ("components[0].weight", "required"),
    ]
    assert problems(base(components=[])) == [("components", "empty_list")]


def test_wrong_container_types():
    assert problems("- a\n- b\n") == [("", "not_a_mapping")]
    assert problems(base(components={"key": "a"})) == [("components", "not_a_list")]
    assert problems(base(series="2026-SH")) == [("series", "not_a_mapping")]


def test_yaml_syntax_error_and_duplicate_keys():
    with pytest.raises(SpecError) as caught:
        load_spec("code: [unclosed\nname: x\n")
    assert caught.value.problems[0].code == "yaml_syntax"
    assert caught.value.problems[0].params["line"] >= 1
    text = dump_spec(PUBLISHED_FIXED) + "name: 电工\n"
    assert problems(text) == [("name", "duplicate_key")]


def test_bytes_are_read_as_utf8():
    assert load_spec(PUBLISHED_FIXED.encode("utf-8"))["name"] == "焊工"


# --------------------------------------------------------------------- identity fields


@pytest.mark.parametrize("field", ["code", "host", "organizer"])
def test_codes(field):
    assert problems(base(**{field: "SH UNION"})) == [(field, "invalid_code")]
    assert problems(base(**{field: "x" * 33})) == [(field, "invalid_code")]
    assert problems(base(**{field: 2026})) == [(field, "not_text")]
    assert load_spec(base(**{field: "Ab_9-x"}))[field] == "Ab_9-x"


def test_series():
    assert problems(base(series={"code": "2026 SH", "name": "", "year": 1999})) == [
        ("series.code", "invalid_code"), ("series.name", "empty_text"),
        ("series.year", "too_small"),
    ]


def test_names_are_at_most_100_characters():
    assert problems(base(name="焊" * 101)) == [("name", "text_too_long")]
    assert load_spec(base(name="焊" * 100))["name"] == "焊" * 100


def test_occupation():
    for bad in ("61802", "6-18-02-4", "6-18-02-04-1", "X-18-02-04"):
        assert problems(base(occupation=bad)) == [("occupation", "invalid_occupation")]


@pytest.mark.parametrize(
    ("key", "good", "bad"),
    [("level", ["city", "district", "industry", "street", "enterprise", "team"], "province"),
     ("class", ["class1", "class2", "other"], "class3"),
     ("scale", ["none", "worldskills"], "ws"),
     ("approval", ["unit_then_host", "host_only"], "host_then_unit")],
)
def test_enumerations(key, good, bad):
    for value in good:
        assert load_spec(base(**{key: value}))[key] == value
    assert problems(base(**{key: bad})) == [(key, "not_a_choice")]


def test_standard_level():
    assert load_spec(base(standard_level=1))["standard_level"] == 1
    assert problems(base(standard_level=6)) == [("standard_level", "too_large")]
    assert problems(base(standard_level="三级")) == [("standard_level", "not_an_integer")]


# --------------------------------------------------------------------- mode


def test_mode_and_team_size():
    assert problems(base(mode="pair")) == [("mode", "not_a_choice")]
    assert problems(base(team_size=3)) == [("team_size", "team_size_individual")]
    assert problems(base(mode="team")) == [("team_size", "team_size_team")]
    assert problems(base(mode="team", team_size=1)) == [("team_size", "team_size_team")]
    assert problems(base(mode="team", team_size=0)) == [("team_size", "too_small")]
    spec = load_spec(base(mode="team", team_size=3, team_score="mean"))
    assert (spec["mode"], spec["team_size"], spec["team_score"]) == ("team", 3, "mean")


def test_team_score():
    assert problems(base(team_score="median")) == [("team_score", "not_a_choice")]
    assert problems(base(team_score="mean")) == [("team_score", "team_score_individual")]
    assert load_spec(base(team_score="sum"))["team_score"] == "sum"


# --------------------------------------------------------------------- eligibility


def test_eligibility():
    assert problems(base(eligibility={"min_age": 15, "max_age": 101})) == [
        ("eligibility.min_age", "too_small"), ("eligibility.max_age", "too_large")]
    assert problems(base(eligibility={"min_age": 50, "max_age": 40})) == [
        ("eligibility.min_age", "age_order")]
    assert problems(base(eligibility={"min_level": 0})) == [("eligibility.min_level",
                                                              "too_small")]
    assert problems(base(eligibility={"worker_status_required": "yes"})) == [
        ("eligibility.worker_status_required", "not_a_boolean")]
    assert load_spec(base(eligibility={"min_age": 40, "max_age": 40}))["eligibility"][
        "min_age"] == 40


# --------------------------------------------------------------------- components


def test_weights_from_yaml_floats_are_exact_decimals():
    text = dump_spec(BASE).replace(
        "- {key: theory, name: 理论知识, max: 100, weight: 0.3, pass: 60}\n"
        "  - {key: practical, name: 操作技能, max: 100, weight: 0.7, pass: 60}\n",
        "- {key: practical, name: 操作技能, max: 100, weight: 0.7}\n"
        "  - {key: oral, name: 答辩, max: 100, weight: 0.2}\n"
        "  - {key: theory, name: 理论知识, max: 100, weight: 0.1}\n",
    )
    # As binary floats 0.7 + 0.2 + 0.1 is 0.9999999999999999; as decimals it is 1.
    assert sum([0.7, 0.2, 0.1]) != 1
    spec = load_spec(text)
    assert [c["weight"] for c in spec["components"]] == [Decimal("0.7"), Decimal("0.2"),
                                                          Decimal("0.1")]


def test_weights_as_strings_and_their_sum(english):
    components = [{"key": "a", "name": "A", "max": 100, "weight": "0.333"},
                  {"key": "b", "name": "B", "max": 100, "weight": "0.667"}]
    assert load_spec(base(components=components))["components"][1]["weight"] == Decimal("0.667")
    components[1]["weight"] = "0.666"
    with pytest.raises(SpecError) as caught:
        load_spec(base(components=components))
    assert caught.value.problems[0].params == {"sum": "0.999"}
    assert caught.value.problems[0].message == "Weights must sum to exactly 1; they sum to 0.999."


def test_weight_values():
    components = [{"key": "a", "name": "A", "max": 100, "weight": "1.5"},
                  {"key": "b", "name": "B", "max": 100, "weight": "-0.5"},
                  {"key": "c", "name": "C", "max": 100, "weight": "abc"},
                  {"key": "d", "name": "D", "max": 100, "weight": True}]
    assert problems(base(components=components)) == [
        ("components[0].weight", "too_large"), ("components[1].weight", "too_small"),
        ("components[2].weight", "not_a_number"), ("components[3].weight", "not_a_number"),
    ]


def test_a_zero_weight_component_is_allowed():
    components = [{"key": "safety", "name": "安全", "max": 100, "weight": 0, "pass": 60},
                  {"key": "practical", "name": "操作技能", "max": 100, "weight": 1}]
    assert load_spec(base(components=components))["components"][0]["weight"] == 0


def test_max_and_pass():
    components = [{"key": "a", "name": "A", "max": -1, "weight": "0.5"},
                  {"key": "b", "name": "B", "max": 50, "weight": "0.25", "pass": 51},
                  {"key": "c", "name": "C", "max": 50, "weight": "0.25", "pass": -1}]
    assert problems(base(components=components)) == [
        ("components[0].max", "not_positive"), ("components[1].pass", "pass_above_max"),
        ("components[2].pass", "too_small"),
    ]
    components = [{"key": "a", "name": "A", "max": 50, "weight": 1, "pass": 50}]
    assert load_spec(base(components=components))["components"][0]["pass"] == 50


def test_component_keys():
    components = [{"key": "1st", "name": "A", "max": 100, "weight": "0.5"},
                  {"key": "a:b", "name": "B", "max": 100, "weight": "0.5"}]
    assert problems(base(components=components)) == [
        ("components[0].key", "invalid_key"), ("components[1].key", "invalid_key")]


# --------------------------------------------------------------------- ranking


def test_tie_breakers():
    assert load_spec(base(ranking={"tie_breakers": [
        "component:practical:desc", "component:theory:asc", "time:practical:asc",
        "time:theory:desc"]}))["ranking"]["tie_breakers"][3] == "time:theory:desc"
    assert problems(base(ranking={"tie_breakers": [
        "component:practical", "score:practical:desc", "time:practical:up",
        "component:oral:desc", "time:practical:asc", "time:practical:asc", 3]})) == [
        ("ranking.tie_breakers[0]", "invalid_tie_breaker"),
        ("ranking.tie_breakers[1]", "invalid_tie_breaker"),
        ("ranking.tie_breakers[2]", "invalid_tie_breaker"),
        ("ranking.tie_breakers[3]", "unknown_component"),
        ("ranking.tie_breakers[5]", "duplicate_tie_breaker"),
        ("ranking.tie_breakers[6]", "invalid_tie_breaker"),
    ]


# --------------------------------------------------------------------- awards


def bands(*items, require="none", **extra):
    return base(awards={"require": require, "bands": list(items)}, **extra)


def test_awards_require():
    assert problems(bands(require="pass")) == [("awards.require", "not_a_choice")]


def test_band_needs_exactly_one_kind():
    assert problems(bands({"name": "一等奖"},
                          {"name": "二等奖", "rank_range": [2, 3], "quota_count": 2})) == [
        ("awards.bands[0]", "band_kind"), ("awards.bands[1]", "band_kind")]
    assert problems(bands({"rank_range": [1, 1]})) == [("awards.bands[0].name", "required")]


def test_rank_range_bands():
    assert load_spec(bands({"name": "优胜奖", "rank_range": [4, None]}))["awards"]["bands"] == [
        {"name": "优胜奖", "rank_range": [4, None]}]
    assert problems(bands({"name": "a", "rank_range": [3, 2]},
                          {"name": "b", "rank_range": [0, 2]},
                          {"name": "c", "rank_range": [1]},
                          {"name": "d", "rank_range": [1.5, 2]},
                          {"name": "e", "rank_range": "1-2"})) == [
        ("awards.bands[0].rank_range", "range_reversed"),
        ("awards.bands[1].rank_range[0]", "too_small"),
        ("awards.bands[2].rank_range", "invalid_range"),
        ("awards.bands[3].rank_range", "invalid_range"),
        ("awards.bands[4].rank_range", "invalid_range"),
    ]


def test_rank_ranges_must_not_overlap():
    assert problems(bands({"name": "金", "rank_range": [1, 3]},
                          {"name": "银", "rank_range": [3, 4]})) == [
        ("awards.bands", "ranges_overlap")]
    with pytest.raises(SpecError) as caught:
        load_spec(bands({"name": "优胜", "rank_range": [5, None]},
                        {"name": "金", "rank_range": [1, 10]},
                        {"name": "银", "rank_range": [6, 6]}))
    # Each overlap is named against the band reaching furthest before it.
    assert [p.params for p in caught.value.problems] == [
        {"band": "金", "other": "优胜"}, {"band": "优胜", "other": "银"}]
    load_spec(bands({"name": "金", "rank_range": [1, 1]}, {"name": "银", "rank_range": [2, 3]},
                    {"name": "铜", "rank_range": [4, None]}))


@pytest.mark.parametrize("kind", ["top_fraction", "quota_ratio"])
def test_fractions_are_in_zero_to_one(kind):
    assert load_spec(bands({"name": "a", kind: 1}))["awards"]["bands"][0][kind] == 1
    assert load_spec(bands({"name": "a", kind: 0.15}))["awards"]["bands"][0][kind] == Decimal(
        "0.15")
    assert problems(bands({"name": "a", kind: 0}, {"name": "b", kind: "1.01"},
                          {"name": "c", kind: "10%"})) == [
        (f"awards.bands[0].{kind}", "not_a_fraction"),
        (f"awards.bands[1].{kind}", "not_a_fraction"),
        (f"awards.bands[2].{kind}", "not_a_number"),
    ]


def test_quota_count():
    assert problems(bands({"name": "a", "quota_count": 0}, {"name": "b", "quota_count": 1.5})) == [
        ("awards.bands[0].quota_count", "too_small"),
        ("awards.bands[1].quota_count", "not_an_integer"),
    ]


def test_min_only_on_quota_ratio():
    assert load_spec(bands({"name": "a", "quota_ratio": "0.1", "min": 2}))["awards"]["bands"][0][
        "min"] == 2
    assert problems(bands({"name": "a", "quota_count": 2, "min": 1},
                          {"name": "b", "quota_ratio": "0.1", "min": 0})) == [
        ("awards.bands[0].min", "min_only_on_quota_ratio"),
        ("awards.bands[1].min", "too_small"),
    ]


def test_scale_bands_need_the_scale():
    assert problems(bands({"name": "优秀奖", "scale_at_least": 700})) == [
        ("awards.bands[0].scale_at_least", "scale_band_without_scale")]
    assert load_spec(bands({"name": "优秀奖", "scale_at_least": 700}, scale="worldskills"))


def test_band_names_are_unique():
    assert problems(bands({"name": "一等奖", "quota_count": 1},
                          {"name": "一等奖", "quota_count": 2})) == [
        ("awards.bands[1].name", "duplicate_band_name")]


# --------------------------------------------------------------------- benefits


def benefit(**rule):
    return base(benefits=[{"rank_range": [1, 5], **rule}])


def test_benefit_needs_exactly_one_kind():
    assert problems(benefit()) == [("benefits[0]", "benefit_kind")]
    assert problems(benefit(title={"name": "能手"}, recommend={"name": "奖章"})) == [
        ("benefits[0]", "benefit_kind")]


def test_benefit_rank_range_and_requires():
    assert problems(base(benefits=[{"title": {"name": "能手"}}])) == [
        ("benefits[0].rank_range", "required")]
    assert problems(benefit(title={"name": "能手"}, rank_range=[5, 1])) == [
        ("benefits[0].rank_range", "range_reversed")]
    assert problems(benefit(title={"name": "能手"},
                            requires=["worker_status", "student", "worker_status"])) == [
        ("benefits[0].requires[1]", "unknown_requirement"),
        ("benefits[0].requires[2]", "duplicate_requirement"),
    ]
    spec = load_spec(benefit(title={"name": "能手"}, rank_range=[1, None],
                             requires=["award", "all_pass", "worker_status"]))
    assert spec["benefits"] == [{"title": {"name": "能手"}, "rank_range": [1, None],
                                 "requires": ["award", "all_pass", "worker_status"]}]
    assert load_spec(benefit(title={"name": "能手"}))["benefits"][0]["requires"] == []


def test_promote_forms():
    assert load_spec(benefit(promote={"to": 3}))["benefits"][0]["promote"] == {"to": 3, "cap": 1}
    assert load_spec(benefit(promote={"step": 1, "cap": 2}))["benefits"][0]["promote"] == {
        "step": 1, "cap": 2}
    assert problems(benefit(promote={"cap": 2})) == [("benefits[0].promote", "promote_kind")]
    assert problems(benefit(promote={"to": 3, "step": 1})) == [
        ("benefits[0].promote", "promote_kind")]
    assert problems(benefit(promote={"step": 2})) == [("benefits[0].promote.step", "too_large")]
    assert problems(benefit(promote={"to": 6})) == [("benefits[0].promote.to", "too_large")]
    assert problems(benefit(promote={"to": 0})) == [("benefits[0].promote.to", "too_small")]
    assert problems(benefit(promote={"step": 1, "cap": 0})) == [
        ("benefits[0].promote.cap", "too_small")]
    assert problems(benefit(promote={"to": 1, "cap": 2})) == [
        ("benefits[0].promote.to", "promote_above_cap")]


def test_title_and_recommend_need_a_name():
    assert problems(benefit(title={})) == [("benefits[0].title.name", "required")]
    assert problems(benefit(recommend={"name": ""})) == [
        ("benefits[0].recommend.name", "empty_text")]


# --------------------------------------------------------------------- stages


def stages(*items):
    return base(stages=list(items))


def test_stages():
    spec = load_spec(stages({"key": "q", "name": "选拔赛", "scope": "street",
                             "advance": {"top": 2, "min_total": 60}},
                            {"key": "final", "name": "决赛"}))
    assert spec["stages"][0]["advance"] == {"top": 2, "min_total": Decimal(60)}
    assert problems(base(stages=[])) == [("stages", "empty_list")]
    assert problems(stages({"key": "final", "name": "初赛", "advance": {"top": 3}},
                           {"key": "final", "name": "决赛"})) == [
        ("stages[1].key", "duplicate_stage")]
    assert problems(stages({"key": "final"})) == [("stages[0].name", "required")]


def test_stage_scope_is_an_organization_type():
    for scope in ("union", "bureau", "city", "district", "industry", "street", "enterprise",
                  "college", "team"):
        assert load_spec(stages({"key": "f", "name": "决赛", "scope": scope}))["stages"][0][
            "scope"] == scope
    assert problems(stages({"key": "f", "name": "决赛", "scope": "province"})) == [
        ("stages[0].scope", "not_a_choice")]


def test_advance():
    final = {"key": "final", "name": "决赛"}
    assert problems(stages({"key": "q", "name": "初赛", "advance": {}}, final)) == [
        ("stages[0].advance", "advance_empty")]
    assert problems(stages({"key": "q", "name": "初赛", "advance": {"top": 0}}, final)) == [
        ("stages[0].advance.top", "too_small")]
    assert problems(stages({"key": "q", "name": "初赛", "advance": {"min_total": -1}},
                           final)) == [("stages[0].advance.min_total", "too_small")]
    assert problems(stages(final | {"advance": {"top": 3}})) == [
        ("stages[0].advance", "last_stage_advances")]


# --------------------------------------------------------------------- marking scheme


M = {"code": "A1", "type": "M", "name": "焊缝尺寸", "max": 10, "binary": True}
J = {"code": "A2", "type": "J", "name": "外观成形", "max": 15}
S = {"code": "A3", "type": "S", "name": "工艺规范", "max": 75}


def test_marking_scheme_component_must_exist():
    assert problems(base(marking_scheme=scheme(M, J, S, component="oral"))) == [
        ("marking_scheme.component", "unknown_component")]


def test_aspect_max_sum_must_match_the_component():
    assert load_spec(base(marking_scheme=scheme(M, J, S)))
    assert problems(base(marking_scheme=scheme(M, J))) == [
        ("marking_scheme.criteria", "aspects_max_sum")]
    # Decimals add up exactly: 33.3 + 33.3 + 33.4 is 100.
    thirds = [{"code": f"X{i}", "type": "S", "name": "项", "max": m}
              for i, m in enumerate([33.3, 33.3, 33.4])]
    assert load_spec(base(marking_scheme=scheme(*thirds)))


def test_aspect_codes_are_unique_across_the_scheme():
    source = base(marking_scheme={"component": "practical", "criteria": [
        {"code": "A", "name": "甲", "aspects": [M, J]},
        {"code": "A", "name": "乙", "sub_criteria": [
            {"code": "A1", "name": "丙", "aspects": [S | {"code": "A2"}]}]},
    ]})
    assert problems(source) == [
        ("marking_scheme.criteria[1].code", "duplicate_code"),
        ("marking_scheme.criteria[1].sub_criteria[0].code", "duplicate_code"),
        ("marking_scheme.criteria[1].sub_criteria[0].aspects[0].code", "duplicate_code"),
    ]


def test_aspect_types_max_and_binary():
    assert problems(base(marking_scheme=scheme(
        M, J | {"type": "X"}, S | {"max": 0, "binary": True}, {**S, "code": "A4", "max": 75}))) == [
        ("marking_scheme.criteria[0].aspects[1].type", "not_a_choice"),
        ("marking_scheme.criteria[0].aspects[2].max", "not_positive"),
        ("marking_scheme.criteria[0].aspects[2].binary", "binary_only_on_m"),
    ]


def test_descriptors():
    described = J | {"description": "焊缝外观", "descriptors": ["差", "一般", "良好", "优秀"]}
    spec = load_spec(base(marking_scheme=scheme(M, described, S)))
    assert aspects_of(spec["marking_scheme"])[1]["descriptors"] == ["差", "一般", "良好", "优秀"]
    assert problems(base(marking_scheme=scheme(M, J | {"descriptors": ["差", "优"]}, S))) == [
        ("marking_scheme.criteria[0].aspects[1].descriptors", "descriptors_count")]
    assert problems(base(marking_scheme=scheme(M | {"descriptors": ["a", "b", "c", "d"]}, J,
                                               S))) == [
        ("marking_scheme.criteria[0].aspects[0].descriptors", "descriptors_only_on_j")]


def test_criterion_holds_aspects_or_sub_criteria():
    both = {"component": "practical", "criteria": [
        {"code": "A", "name": "甲", "aspects": [M, J, S],
         "sub_criteria": [{"code": "B", "name": "乙", "aspects": [S | {"code": "B1"}]}]}]}
    neither = {"component": "practical", "criteria": [{"code": "A", "name": "甲"}]}
    assert ("marking_scheme.criteria[0]", "criterion_content") in problems(base(
        marking_scheme=both))
    assert problems(base(marking_scheme=neither)) == [
        ("marking_scheme.criteria[0]", "criterion_content")]
    assert problems(base(marking_scheme={"component": "practical", "criteria": []})) == [
        ("marking_scheme.criteria", "empty_list")]


# --------------------------------------------------------------------- product options


def test_schedule_order():
    source = base(schedule={"registration_opens": "2026-03-10", "registration_closes":
                            "2026-03-01", "starts": "2026-04-01T09:00:00+08:00",
                            "ends": "2026-04-01T08:00:00"})
    assert problems(source) == [("schedule.registration_closes", "schedule_order"),
                                ("schedule.ends", "schedule_order")]
    # Naive times are China time: 09:00 in Shanghai is 01:00 UTC.
    assert load_spec(base(schedule={"starts": "2026-04-01T09:00:00",
                                    "ends": "2026-04-01T01:30:00+00:00"}))
    assert problems(base(schedule={"starts": "2026-04-01T09:00:00",
                                   "ends": "2026-04-01T00:30:00+00:00"})) == [
        ("schedule.ends", "schedule_order")]
    # A date alone counts from its midnight.
    assert load_spec(base(schedule={"registration_closes": "2026-04-01", "starts":
                                    "2026-04-01T00:00:00"}))


def test_schedule_values():
    assert problems(base(schedule={"starts": "next Monday", "ends": 20260401})) == [
        ("schedule.starts", "invalid_datetime"), ("schedule.ends", "invalid_datetime")]
    spec = load_spec("code: X\nname: X\nseries: {code: S, name: S, year: 2026}\nhost: H\n"
                     "occupation: 6-18-02-04\nlevel: city\nclass: other\n"
                     "components: [{key: a, name: A, max: 100, weight: 1}]\n"
                     "schedule: {starts: 2026-04-01, ends: 2026-04-02 17:00:00+08:00}\n")
    assert spec["schedule"]["starts"] == dt.date(2026, 4, 1)
    assert spec["schedule"]["ends"] == dt.datetime(2026, 4, 2, 9, tzinfo=dt.UTC)
    assert spec["schedule"]["registration_opens"] is None


def test_simple_options():
    spec = load_spec(base(organizer="SH-WELD", approval="host_only", unit_quota=3,
                          publicity_days=7, appeal_window_minutes=30,
                          organization_award={"best_n": 5}))
    assert (spec["organizer"], spec["approval"], spec["unit_quota"], spec["publicity_days"],
            spec["appeal_window_minutes"], spec["organization_award"]) == (
        "SH-WELD", "host_only", 3, 7, 30, {"best_n": 5})
    assert problems(base(unit_quota=0, publicity_days=0, appeal_window_minutes=0,
                         organization_award={"best_n": 0})) == [
        ("unit_quota", "too_small"), ("publicity_days", "too_small"),
        ("appeal_window_minutes", "too_small"), ("organization_award.best_n", "too_small")]
    assert problems(base(organization_award={})) == [("organization_award.best_n", "required")]


def test_rounding_places():
    assert load_spec(base(rounding={"places": 0}))["rounding"] == {"places": 0}
    assert problems(base(rounding={"places": 7})) == [("rounding.places", "too_large")]
    assert problems(base(rounding={"places": "2"})) == [("rounding.places", "not_an_integer")]


# --------------------------------------------------------------------- messages


def test_every_code_has_a_message_and_all_params_fill_it(english):
    problem = Problem("components", "weights_sum", {"sum": "0.9"})
    assert str(problem) == "components: Weights must sum to exactly 1; they sum to 0.9."
    for code, msgid in MESSAGES.items():
        params = dict.fromkeys(re.findall(r"%\((\w+)\)s", msgid), "x")
        assert Problem("", code, params).message


def test_spec_error_lists_every_message(english):
    with pytest.raises(SpecError) as caught:
        load_spec(base(level="province", scale="ws"))
    assert str(caught.value).splitlines() == [
        "level: “province” is not allowed here; choose one of: city, district, industry, "
        "street, enterprise, team.",
        "scale: “ws” is not allowed here; choose one of: none, worldskills.",
    ]
    assert isinstance(caught.value, ValueError)


CATALOGUE = (Path(__file__).resolve().parents[2] / "src" / "jingsai" / "competitions" / "locale"
             / "zh_Hans" / "LC_MESSAGES" / "django.po")


def test_the_chinese_catalogue_translates_every_message():
    pofile = pytest.importorskip("babel.messages.pofile")
    with CATALOGUE.open("rb") as handle:
        catalogue = pofile.read_po(handle, locale="zh_Hans")
    assert catalogue.locale.language == "zh"
    translations = {m.id: m.string for m in catalogue if m.id}
    for msgid in MESSAGES.values():
        translated = translations.get(msgid)
        assert translated, f"no translation for {msgid!r}"
        assert re.search(r"[\u4e00-\u9fff]", translated)
        assert sorted(re.findall(r"%\((\w+)\)s", translated)) == sorted(
            re.findall(r"%\((\w+)\)s", msgid)), msgid


@pytest.mark.skipif(not settings.configured,
                    reason="Django settings are not configured (run under pytest-django with "
                           "jingsai.settings to check the compiled catalogue)")
def test_messages_come_out_in_chinese_with_django_settings():
    from django.utils import translation

    if not CATALOGUE.with_suffix(".mo").exists():
        pytest.skip("the catalogue is not compiled yet (make messages)")
    with pytest.raises(SpecError) as caught:
        load_spec(base(components=[{"key": "a", "name": "A", "max": 100, "weight": 0.5}]))
    with translation.override("zh-hans"):
        assert caught.value.problems[0].message == "各成绩项权重之和必须恰好为 1，当前之和为 0.5。"
    with translation.override("en"):
        assert caught.value.problems[0].message == (
            "Weights must sum to exactly 1; they sum to 0.5.")
