"""The results engine: results-rules.md as pure functions over plain values.

No Django, no ORM, no settings, no I/O: stdlib and `jingsai.core.numbers` only.
Every number is an exact `Decimal` (or a `Fraction` for judges' means); a float
anywhere in the input is an input error. `compute` is deterministic: the same
input in any order gives the same output, byte for byte.

Public API
----------
``compute(spec, entries, *, advance=None, promoted_earlier_this_year=frozenset())``
    One scope of one stage (the caller splits entries by scope). Returns the
    result dicts of the results export (headless-interface.md) plus ``explain``.
``aspect_mark(aspect, scores)``, ``practical_component(aspects, marks_by_aspect,
places=2)``, ``j_discrepancy(scores)``, ``validate_aspect_scores(aspect, scores)``
    Judged aspects (results-rules.md §3).
``scale_scores(totals)``
    The WorldSkills scale (§6) over a list of totals.
``EngineInputError``
    Raised for bad input, with ``.problems``: a list of dicts
    ``{"entry", "component", "code", "params"}`` (team members add ``"member"``,
    the member's index; aspect problems carry ``"aspect"`` instead of
    ``"component"``), all problems found, never just the first.

Input
-----
``spec`` is the normalized spec of `jingsai.competitions.spec.load_spec` or the
raw dict of the worked examples (strings or ints for decimals). The engine reads
``components``, ``rounding.places`` (2), ``scale`` (none), ``ranking.tie_breakers``
([]), ``awards.require`` (none) and ``awards.bands`` ([]), ``benefits`` ([]),
``mode`` (individual), ``team_size`` (1) and ``team_score`` (sum); the defaults
are in brackets.

An entry is ``{"entry": int, "id_number", "components": {key: str|int|Decimal|None},
"times": {key: int seconds}, "status": None|"absent"|"disqualified",
"worker_status": bool (default true), "level": int|None, "person": hashable}``;
``person`` identifies the person for the once-per-year rule and defaults to
``id_number``. A component key missing from ``components`` counts as not recorded.
Levels are the codes of §1 (5..1), and 0 (特级技师) and -1 (首席技师) as
`people.models.Level` stores them: compared, never granted.

Errors (``code``: params): ``invalid_entry_number``, ``duplicate_entry``,
``unknown_component`` (key), ``float_not_allowed`` / ``bool_not_allowed`` /
``not_a_number`` / ``not_finite`` (value), ``score_out_of_range`` (value, max),
``unknown_time_component``, ``invalid_time`` (value), ``invalid_status`` (value),
``invalid_worker_status`` (value), ``invalid_level`` (value),
``invalid_members``, ``team_size_mismatch`` (count, team_size), ``invalid_spec``
(path, reason).

Output
------
Ranked entries in rank order, then entry number; then every unranked entry
(absent and disqualified alike) by entry number ascending. Decimal values are
strings with exactly ``places`` decimals. An absent or disqualified entry still
shows its recorded component scores (rounded), and nothing else that depends
on a total.

Decisions where the rules leave room
------------------------------------
* "The first matching promote rule applies" (§7): a promote rule *matches* when
  the rank is in its ``rank_range`` and every ``requires`` holds. That rule
  decides the promotion, even when its outcome is none (level already at or
  above the target, or the cap reached); later promote rules are not tried
  (explain code ``earlier_promote_rule_applied``).
* The ``promotion_already_granted_this_year`` flag is set only when the rules
  would otherwise have granted a promotion; someone promoted earlier this year
  who would get nothing here anyway carries no flag.
* ``promote: {to: t}`` with t above the cap (t < c) is refused by the spec
  validator; given anyway, the engine grants nothing (``cap_reached``): a
  promotion never goes above the cap, nor above level 1.
* ``advanced`` is a bool: false for every entry when the stage does not
  advance, and for every unranked entry. ``advance`` may hold ``top``,
  ``min_total`` or both; both conditions must hold.
* A J aspect in discrepancy still gets a mark from `practical_component`
  (it reports the discrepancy): blocking sign-off is the judging app's job.

Teams (§9, ``mode: team``)
--------------------------
Each entry has ``members``: a list of member dicts shaped like an individual
entry (``person``, ``id_number``, optional ``name``, ``components``, ``times``,
``status``, ``worker_status``, ``level``); the team may carry its own
``status``, ``name`` and ``times``. When the spec's ``team_size`` is more than
1, every team must have exactly that many members.

* A team is **disqualified** when the team or any member is disqualified, else
  **absent** when the team is marked absent or any member is absent (marked so,
  or missing a component). A team competes as one entry of a fixed size: a
  missing member's marks cannot be replaced by nothing (which would rank an
  incomplete team below complete ones only by accident of arithmetic), and one
  member's disqualification voids the team's performance. Organizers who allow
  a substitute register the substitute as the member.
* Member scores are computed as individual results (each member's components
  rounded, each member's total rounded). Team total = sum of the member totals
  (``team_score: sum``) or their mean, rounded (``mean``).
* A team's component value (shown in ``components`` and used by
  ``component:`` tie-breakers) is the sum of its members' rounded component
  scores, or their mean rounded to ``places``. Time tie-breakers use the team's
  own ``times`` when given, else the sum of the members' times on that
  component when every member has one (teams all have ``team_size`` members,
  so the sum orders teams as the mean would).
* ``passed_all`` of a team is true when every member passed all; awards with
  ``require: all_pass`` use it.
* Benefits go to each member separately: the member's own ``worker_status``,
  ``passed_all`` and level count, with the team's rank and award. The team row
  has ``promotion: null``, empty ``titles``/``recommendations``/``flags``, and
  ``members``: one dict per member, in the order given, with ``person``,
  ``id_number``, ``name``, ``components``, ``times``, ``total``, ``status``,
  ``passed_all``, ``promotion``, ``titles``, ``recommendations``, ``flags`` and
  ``explain``.

Explain
-------
``explain`` is JSON-serializable, codes and params only (no prose):

* ``status``: ``{"code": "ranked"|"missing_components"|"marked_absent"|
  "marked_disqualified"|"member_absent"|"member_disqualified", "params"}``.
* ``components``: per component ``{"key", "recorded", "rounded", "max",
  "weight", "pass", "passed", "contribution", "contribution_exact"}``;
  contribution = weight × rounded × 100 / max, exact, or rounded to ``places``
  + 6 decimals with ``contribution_exact: false`` when it does not terminate.
  Teams: ``{"key", "value", "aggregate": "sum"|"mean", "members": [rounded...]}``.
* ``total``: ``{"code": "weighted_sum"|"team_sum"|"team_mean", "params"}``.
* ``rank``: ``{"rank", "n_ranked", "tied_on_total": {"count", "entries"},
  "shares_rank_with": {"count", "entries"}, "separated": [{"entry",
  "position": "above"|"below", "key", "own", "other"}]}``. ``separated`` names
  the nearest entry ranked above and below within the same total, with the
  first tie-breaker that told them apart. Entry lists hold at most
  `EXPLAIN_LIST_LIMIT` entries, the nearest in rank order; ``count`` is exact.
* ``scale``: ``{"median", "mad", "score"}`` or null.
* ``awards``: per band considered, ``{"band", "code", "params"}`` with code
  ``given``, ``already_awarded``, ``not_eligible_failed_pass``,
  ``rank_outside_range``, ``quota_exhausted`` or ``scale_below``.
* ``benefits``: per rule, ``{"rule", "kind", "code", "params"}`` with code
  ``given``, ``rank_outside_range``, ``requires_worker_status``,
  ``requires_all_pass``, ``requires_award``, ``level_already_at_or_above``,
  ``cap_reached``, ``earlier_promote_rule_applied`` or
  ``promotion_already_granted_this_year``.
* ``advance``: ``{"code": "advanced"|"rank_outside_top"|"total_below_min",
  "params"}`` or null when the stage does not advance or the entry is unranked.
"""

from __future__ import annotations

import gc
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, localcontext
from fractions import Fraction
from math import lcm

from jingsai.core.numbers import (
    NumberError,
    floor_decimal,
    fraction_to_decimal,
    parse_decimal,
    quantum,
    round_fraction_half_up,
)

__all__ = [
    "EXPLAIN_LIST_LIMIT",
    "FLAG_PROMOTION_ALREADY_GRANTED",
    "EngineInputError",
    "PracticalScore",
    "aspect_mark",
    "compute",
    "j_discrepancy",
    "practical_component",
    "scale_scores",
    "validate_aspect_scores",
]

STATUS_RANKED = "ranked"
STATUS_ABSENT = "absent"
STATUS_DISQUALIFIED = "disqualified"
FLAG_PROMOTION_ALREADY_GRANTED = "promotion_already_granted_this_year"
EXPLAIN_LIST_LIMIT = 20
WORLDSKILLS_MAD_FACTOR = Decimal("1.4826")
WORLDSKILLS_MEAN = Decimal(700)
WORLDSKILLS_SPREAD = Decimal(30)
J_MIN_JUDGES = 3
J_MAX_SCORE = 3
S_TRIM_FROM = 5
LOWEST_LEVEL = 5
HIGHEST_GRANTABLE_LEVEL = 1
HIGHEST_LEVEL = -1  # 首席技师; 0 is 特级技师 (people.models.Level)

# Enough digits that every division here is either exact or off by far less
# than any rounding boundary it is later rounded at.
_PRECISION = 60
_ONE = Decimal(1)


class EngineInputError(ValueError):
    """The input cannot be computed; ``problems`` lists every reason found."""

    def __init__(self, problems: list[dict]):
        self.problems = problems
        summary = ", ".join(sorted({p["code"] for p in problems}))
        super().__init__(f"{len(problems)} input problem(s): {summary}")


def _problem(entry, component, code, **params) -> dict:
    return {"entry": entry, "component": component, "code": code, "params": params}


# --------------------------------------------------------------------------
# The rules, prepared once per call
# --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Component:
    key: str
    max: Decimal
    weight: Decimal
    pass_mark: Decimal | None
    coef: Decimal  # weight * 100 / max * denominator, an integer
    factor: Fraction  # weight * 100 / max
    factor_decimal: Decimal | None  # the same, when its decimal expansion terminates
    texts: tuple  # max, weight and pass as written in explanations


@dataclass(frozen=True, slots=True)
class _TieBreaker:
    label: str
    kind: str  # "component" | "time"
    index: int
    key: str
    descending: bool


@dataclass(frozen=True, slots=True)
class _Band:
    name: str
    kind: str
    low: int = 0
    high: int | None = None
    value: Decimal | None = None
    min_count: int = 0


@dataclass(frozen=True, slots=True)
class _Benefit:
    kind: str  # promote | title | recommend
    low: int
    high: int | None
    requires: tuple[str, ...]
    name: str | None = None
    to: int | None = None
    step: bool = False
    cap: int = HIGHEST_GRANTABLE_LEVEL


@dataclass(frozen=True, slots=True)
class _Rules:
    components: tuple[_Component, ...]
    index: dict
    denominator: Decimal
    denominator_terminates: bool
    places: int
    quantum: Decimal
    tie_breakers: tuple[_TieBreaker, ...]
    scale: bool
    require_all_pass: bool
    bands: tuple[_Band, ...]
    benefits: tuple[_Benefit, ...]
    team: bool
    team_mean: bool
    team_size: int


def _spec_decimal(value, path, problems) -> Decimal | None:
    try:
        return parse_decimal(value, allow_float=True)
    except NumberError as error:
        problems.append(_problem(None, None, "invalid_spec", path=path, reason=error.code))
        return None


def _spec_int(value, path, problems, *, minimum=None, maximum=None) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int):
        problems.append(_problem(None, None, "invalid_spec", path=path, reason="not_an_integer"))
        return None
    if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
        problems.append(_problem(None, None, "invalid_spec", path=path, reason="out_of_range"))
        return None
    return value


def _rank_range(value, path, problems):
    if not isinstance(value, Sequence) or isinstance(value, str) or len(value) != 2:
        problems.append(_problem(None, None, "invalid_spec", path=path, reason="not_a_range"))
        return 1, None
    low = _spec_int(value[0], f"{path}[0]", problems, minimum=1)
    high = None if value[1] is None else _spec_int(value[1], f"{path}[1]", problems, minimum=1)
    if low is not None and high is not None and high < low:
        problems.append(_problem(None, None, "invalid_spec", path=path, reason="reversed"))
    return low or 1, high


_BAND_KINDS = ("rank_range", "top_fraction", "quota_ratio", "quota_count", "scale_at_least")


def _prepare_bands(raw_bands, problems) -> tuple[_Band, ...]:
    bands = []
    for i, band in enumerate(raw_bands or ()):
        path = f"awards.bands[{i}]"
        kinds = [kind for kind in _BAND_KINDS if kind in band]
        if len(kinds) != 1:
            problems.append(_problem(None, None, "invalid_spec", path=path, reason="band_kind"))
            continue
        kind = kinds[0]
        name = band.get("name")
        value = band[kind]
        if kind == "rank_range":
            low, high = _rank_range(value, f"{path}.rank_range", problems)
            bands.append(_Band(name, kind, low=low, high=high))
        elif kind == "quota_count":
            count = _spec_int(value, f"{path}.quota_count", problems, minimum=1)
            bands.append(_Band(name, kind, min_count=count or 0))
        else:
            number = _spec_decimal(value, f"{path}.{kind}", problems)
            minimum = band.get("min")
            min_count = 0
            if minimum is not None:
                min_count = _spec_int(minimum, f"{path}.min", problems, minimum=0) or 0
            bands.append(_Band(name, kind, value=number, min_count=min_count))
    return tuple(bands)


_REQUIREMENTS = ("worker_status", "all_pass", "award")


def _prepare_benefits(raw_benefits, problems) -> tuple[_Benefit, ...]:
    benefits = []
    for i, rule in enumerate(raw_benefits or ()):
        path = f"benefits[{i}]"
        kinds = [kind for kind in ("promote", "title", "recommend") if kind in rule]
        if len(kinds) != 1:
            problems.append(_problem(None, None, "invalid_spec", path=path, reason="benefit_kind"))
            continue
        kind = kinds[0]
        low, high = _rank_range(rule.get("rank_range"), f"{path}.rank_range", problems)
        requires = tuple(rule.get("requires") or ())
        for requirement in requires:
            if requirement not in _REQUIREMENTS:
                problems.append(
                    _problem(None, None, "invalid_spec", path=f"{path}.requires",
                             reason="unknown_requirement")
                )
        body = rule[kind] or {}
        if kind == "promote":
            cap = body.get("cap")
            cap = HIGHEST_GRANTABLE_LEVEL if cap is None else _spec_int(
                cap, f"{path}.promote.cap", problems, minimum=1, maximum=LOWEST_LEVEL
            )
            if "step" in body:
                _spec_int(body["step"], f"{path}.promote.step", problems, minimum=1, maximum=1)
                benefits.append(_Benefit(kind, low, high, requires, step=True, cap=cap or 1))
            else:
                to = _spec_int(body.get("to"), f"{path}.promote.to", problems,
                               minimum=1, maximum=LOWEST_LEVEL)
                benefits.append(_Benefit(kind, low, high, requires, to=to, cap=cap or 1))
        else:
            benefits.append(_Benefit(kind, low, high, requires, name=body.get("name")))
    return tuple(benefits)


def _prepare(spec: Mapping) -> _Rules:
    problems: list[dict] = []
    components = []
    index = {}
    factors = []
    raw_components = spec.get("components") or []
    if not raw_components:
        problems.append(_problem(None, None, "invalid_spec", path="components", reason="empty"))
    weight_sum = Decimal(0)
    for i, component in enumerate(raw_components):
        key = component.get("key")
        maximum = _spec_decimal(component.get("max"), f"components[{i}].max", problems)
        weight = _spec_decimal(component.get("weight"), f"components[{i}].weight", problems)
        pass_mark = component.get("pass")
        if pass_mark is not None:
            pass_mark = _spec_decimal(pass_mark, f"components[{i}].pass", problems)
        if key in index or not isinstance(key, str):
            problems.append(
                _problem(None, None, "invalid_spec", path=f"components[{i}].key", reason="key")
            )
            continue
        if maximum is None or weight is None or maximum <= 0:
            if maximum is not None and maximum <= 0:
                problems.append(_problem(None, None, "invalid_spec",
                                         path=f"components[{i}].max", reason="not_positive"))
            continue
        weight_sum += weight
        index[key] = len(factors)
        factor = Fraction(weight) * 100 / Fraction(maximum)
        factors.append((key, maximum, weight, pass_mark, factor))
    if raw_components and not problems and weight_sum != 1:
        problems.append(
            _problem(None, None, "invalid_spec", path="components", reason="weights_sum")
        )
    denominator = 1
    for *_, factor in factors:
        denominator = lcm(denominator, factor.denominator)
    for key, maximum, weight, pass_mark, factor in factors:
        coef = Decimal((factor * denominator).numerator)
        factor_decimal, exact = fraction_to_decimal(factor)
        texts = (f"{maximum:f}", f"{weight:f}", None if pass_mark is None else f"{pass_mark:f}")
        components.append(_Component(key, maximum, weight, pass_mark, coef, factor,
                                     factor_decimal if exact else None, texts))

    rounding = spec.get("rounding") or {}
    places = rounding.get("places", 2)
    places = _spec_int(places, "rounding.places", problems, minimum=0, maximum=12)
    places = 2 if places is None else places

    tie_breakers = []
    for i, label in enumerate((spec.get("ranking") or {}).get("tie_breakers") or ()):
        parts = label.split(":") if isinstance(label, str) else ()
        if (
            len(parts) != 3
            or parts[0] not in ("component", "time")
            or parts[1] not in index
            or parts[2] not in ("asc", "desc")
        ):
            problems.append(_problem(None, None, "invalid_spec",
                                     path=f"ranking.tie_breakers[{i}]", reason="tie_breaker"))
            continue
        tie_breakers.append(
            _TieBreaker(label, parts[0], index[parts[1]], parts[1], parts[2] == "desc")
        )

    scale = spec.get("scale") or "none"
    if scale not in ("none", "worldskills"):
        problems.append(_problem(None, None, "invalid_spec", path="scale", reason="scale"))
    awards = spec.get("awards") or {}
    require = awards.get("require") or "none"
    if require not in ("none", "all_pass"):
        problems.append(_problem(None, None, "invalid_spec", path="awards.require",
                                 reason="require"))
    bands = _prepare_bands(awards.get("bands"), problems)
    benefits = _prepare_benefits(spec.get("benefits"), problems)
    mode = spec.get("mode") or "individual"
    team_score = spec.get("team_score") or "sum"
    team_size = spec.get("team_size", 1)
    if mode not in ("individual", "team"):
        problems.append(_problem(None, None, "invalid_spec", path="mode", reason="mode"))
    if team_score not in ("sum", "mean"):
        problems.append(_problem(None, None, "invalid_spec", path="team_score",
                                 reason="team_score"))
    team_size = _spec_int(team_size if team_size is not None else 1, "team_size", problems,
                          minimum=1) or 1
    if problems:
        raise EngineInputError(problems)
    return _Rules(
        components=tuple(components),
        index=index,
        denominator=Decimal(denominator),
        denominator_terminates=fraction_to_decimal(Fraction(1, denominator))[1],
        places=places,
        quantum=quantum(places),
        tie_breakers=tuple(tie_breakers),
        scale=scale == "worldskills",
        require_all_pass=require == "all_pass",
        bands=bands,
        benefits=benefits,
        team=mode == "team",
        team_mean=team_score == "mean",
        team_size=team_size,
    )


# --------------------------------------------------------------------------
# Scoring one person
# --------------------------------------------------------------------------


class _Scored:
    """One person's marks, or one team's, as the engine works on them."""

    __slots__ = (
        "advance_explain", "advanced", "award", "award_explain", "benefit_explain", "entry",
        "flags", "id_number", "key", "level", "members", "name", "passed_all", "person",
        "promotion", "rank", "rank_explain", "recommendations", "recorded", "scale_score",
        "status", "status_explain", "sum_exact", "team_values", "times", "titles", "total",
        "values", "worker_status",
    )

    def __init__(self):
        self.award = None
        self.award_explain = []
        self.benefit_explain = []
        self.flags = []
        self.promotion = None
        self.titles = []
        self.recommendations = []
        self.rank = None
        self.rank_explain = None
        self.scale_score = None
        self.advanced = False
        self.advance_explain = None
        self.members = None
        self.name = None
        self.total = None
        self.sum_exact = None
        self.passed_all = None
        self.team_values = None


_STATUSES = (None, STATUS_ABSENT, STATUS_DISQUALIFIED)


def _fail(problems, entry, member, component, code, **params) -> None:
    problem = _problem(entry, component, code, **params)
    if member is not None:
        problem["member"] = member
    problems.append(problem)


def _read_score(value, component: _Component, problems, entry, member) -> Decimal | None:
    """The recorded score as a Decimal, or None after reporting why it is unusable."""
    if type(value) is str:
        try:
            number = Decimal(value)
        except ArithmeticError:
            _fail(problems, entry, member, component.key, "not_a_number", value=repr(value))
            return None
    elif type(value) is Decimal:
        number = value
    else:
        try:
            number = parse_decimal(value)
        except NumberError as error:
            _fail(problems, entry, member, component.key, error.code, value=repr(value))
            return None
    if not number.is_finite():
        _fail(problems, entry, member, component.key, "not_finite", value=repr(value))
        return None
    if number < 0 or number > component.max:
        _fail(problems, entry, member, component.key, "score_out_of_range",
              value=f"{number:f}", max=f"{component.max:f}")
        return None
    return number


def _score_person(raw: Mapping, rules: _Rules, problems: list, entry, member=None) -> _Scored:
    """Validate and score one individual (an entry, or a team's member)."""
    scored = _Scored()
    scored.entry = entry
    scored.id_number = raw.get("id_number")
    scored.person = raw.get("person", scored.id_number)
    scored.name = raw.get("name")
    worker_status = raw.get("worker_status", True)
    if type(worker_status) is not bool:
        _fail(problems, entry, member, None, "invalid_worker_status", value=repr(worker_status))
    scored.worker_status = worker_status is True
    level = raw.get("level")
    if level is not None and (type(level) is not int
                              or not HIGHEST_LEVEL <= level <= LOWEST_LEVEL):
        _fail(problems, entry, member, None, "invalid_level", value=repr(level))
        level = None
    scored.level = level
    status = raw.get("status")
    if status not in _STATUSES:
        _fail(problems, entry, member, None, "invalid_status", value=repr(status))
        status = None

    given = raw.get("components") or {}
    if not isinstance(given, Mapping):
        _fail(problems, entry, member, None, "invalid_components")
        given = {}
    index = rules.index
    for key in given:
        if key not in index:
            _fail(problems, entry, member, key, "unknown_component", key=str(key))
    recorded = []
    rounded = []
    missing = []
    exponent = rules.quantum
    for component in rules.components:
        value = given.get(component.key)
        number = None
        if value is None:
            missing.append(component.key)
        else:
            number = _read_score(value, component, problems, entry, member)
            if number is None:  # reported; the call will raise
                missing.append(component.key)
        recorded.append(number)
        rounded.append(None if number is None
                       else number.quantize(exponent, rounding=ROUND_HALF_UP))
    scored.recorded = recorded
    scored.values = rounded
    times = raw.get("times")
    scored.times = _validate_times(times, rules, problems, entry, member) if times else {}

    if status == STATUS_DISQUALIFIED:
        scored.status = STATUS_DISQUALIFIED
        scored.status_explain = {"code": "marked_disqualified", "params": {}}
    elif status == STATUS_ABSENT:
        scored.status = STATUS_ABSENT
        scored.status_explain = {"code": "marked_absent", "params": {}}
    elif missing:
        scored.status = STATUS_ABSENT
        scored.status_explain = {"code": "missing_components", "params": {"components": missing}}
    else:
        scored.status = STATUS_RANKED
        scored.status_explain = {"code": "ranked", "params": {}}
        _total(scored, rules)
    return scored


def _validate_times(times, rules: _Rules, problems, entry, member) -> dict:
    if not isinstance(times, Mapping):
        _fail(problems, entry, member, None, "invalid_time", value=repr(times))
        return {}
    clean = {}
    for key, seconds in times.items():
        if key not in rules.index:
            _fail(problems, entry, member, key, "unknown_time_component", key=str(key))
        elif type(seconds) is not int or seconds < 0:
            _fail(problems, entry, member, key, "invalid_time", value=repr(seconds))
        else:
            clean[key] = seconds
    if len(clean) < 2:
        return clean
    return {c.key: clean[c.key] for c in rules.components if c.key in clean}


def _total(scored: _Scored, rules: _Rules) -> None:
    numerator = Decimal(0)
    passed = True
    for component, value in zip(rules.components, scored.values, strict=True):
        numerator += value * component.coef
        if component.pass_mark is not None and value < component.pass_mark:
            passed = False
    scored.sum_exact = (numerator, rules.denominator)
    exact = numerator if rules.denominator == _ONE else numerator / rules.denominator
    scored.total = exact.quantize(rules.quantum, rounding=ROUND_HALF_UP)
    scored.passed_all = passed


def _score_team(raw: Mapping, rules: _Rules, problems: list, entry) -> _Scored:
    members_raw = raw.get("members")
    team = _Scored()
    team.entry = entry
    team.id_number = raw.get("id_number")
    team.person = None
    team.name = raw.get("name")
    team.worker_status = True
    team.level = None
    if not isinstance(members_raw, Sequence) or isinstance(members_raw, str) or not members_raw:
        problems.append(_problem(entry, None, "invalid_members"))
        members_raw = []
    elif rules.team_size > 1 and len(members_raw) != rules.team_size:
        problems.append(_problem(entry, None, "team_size_mismatch", count=len(members_raw),
                                 team_size=rules.team_size))
    members = [_score_person(m, rules, problems, entry, member=i)
               for i, m in enumerate(members_raw)]
    team.members = members
    status = raw.get("status")
    if status not in _STATUSES:
        problems.append(_problem(entry, None, "invalid_status", value=repr(status)))
        status = None
    own_times = raw.get("times")
    team.recorded = None

    size = Decimal(len(members) or 1)
    values = []
    for i in range(len(rules.components)):
        member_values = [m.values[i] for m in members]
        if not members or any(v is None for v in member_values):
            values.append(None)
            continue
        value = sum(member_values, Decimal(0))
        if rules.team_mean:
            value = (value / size).quantize(rules.quantum, rounding=ROUND_HALF_UP)
        values.append(value)
    team.values = values

    if own_times is not None:
        team.times = _validate_times(own_times, rules, problems, entry, None)
    else:
        team.times = {}
        for component in rules.components:
            seconds = [m.times.get(component.key) for m in members]
            if members and all(s is not None for s in seconds):
                team.times[component.key] = sum(seconds)

    disqualified = [i for i, m in enumerate(members) if m.status == STATUS_DISQUALIFIED]
    absent = [i for i, m in enumerate(members) if m.status == STATUS_ABSENT]
    if status == STATUS_DISQUALIFIED:
        team.status = STATUS_DISQUALIFIED
        team.status_explain = {"code": "marked_disqualified", "params": {}}
    elif disqualified:
        team.status = STATUS_DISQUALIFIED
        team.status_explain = {"code": "member_disqualified", "params": {"members": disqualified}}
    elif status == STATUS_ABSENT:
        team.status = STATUS_ABSENT
        team.status_explain = {"code": "marked_absent", "params": {}}
    elif absent or not members:
        team.status = STATUS_ABSENT
        team.status_explain = {"code": "member_absent", "params": {"members": absent}}
    else:
        team.status = STATUS_RANKED
        team.status_explain = {"code": "ranked", "params": {}}
        total = sum((m.total for m in members), Decimal(0))
        if rules.team_mean:
            team.sum_exact = (total, size)
            total = (total / size).quantize(rules.quantum, rounding=ROUND_HALF_UP)
        team.total = total
        team.passed_all = all(m.passed_all for m in members)
    return team


# --------------------------------------------------------------------------
# Ranking
# --------------------------------------------------------------------------

_NO_TIME = (1, 0)


def _sort_key(scored: _Scored, rules: _Rules) -> tuple:
    key = [-scored.total]
    for breaker in rules.tie_breakers:
        if breaker.kind == "component":
            value = scored.values[breaker.index]
            key.append(-value if breaker.descending else value)
        else:
            seconds = scored.times.get(breaker.key)
            if seconds is None:
                key.append(_NO_TIME)
            else:
                key.append((0, -seconds if breaker.descending else seconds))
    return tuple(key)


def _breaker_value(scored: _Scored, breaker: _TieBreaker):
    if breaker.kind == "component":
        return f"{scored.values[breaker.index]:f}"
    return scored.times.get(breaker.key)


def _nearest(block: list, position: int) -> list:
    """Up to EXPLAIN_LIST_LIMIT entries of `block` nearest to `position`, in order."""
    if len(block) <= EXPLAIN_LIST_LIMIT + 1:
        return [s.entry for i, s in enumerate(block) if i != position]
    start = max(0, min(position - EXPLAIN_LIST_LIMIT // 2, len(block) - EXPLAIN_LIST_LIMIT - 1))
    window = block[start:start + EXPLAIN_LIST_LIMIT + 1]
    return [s.entry for i, s in enumerate(window, start) if i != position]


def _separation(own: _Scored, other: _Scored, position: str, rules: _Rules) -> dict:
    for i, breaker in enumerate(rules.tie_breakers, 1):
        if own.key[i] != other.key[i]:
            return {
                "entry": other.entry,
                "position": position,
                "key": breaker.label,
                "own": _breaker_value(own, breaker),
                "other": _breaker_value(other, breaker),
            }
    raise AssertionError("entries of different ranks must differ on a tie-breaker")


def _rank(ranked: list[_Scored], rules: _Rules, explain: bool) -> None:
    """Assign ranks (1, 2, 2, 4) over the sorted list and explain ties, in one pass
    over each block of equal totals."""
    n = len(ranked)
    start = 0
    while start < n:
        total = ranked[start].total
        end = start + 1
        while end < n and ranked[end].total == total:
            end += 1
        group = ranked[start:end]
        # Rank blocks: runs of equal keys inside the group of equal totals.
        blocks = []
        block_start = 0
        for i in range(1, len(group) + 1):
            if i == len(group) or group[i].key != group[block_start].key:
                blocks.append((block_start, i))
                block_start = i
        for b, (lo, hi) in enumerate(blocks):
            rank = start + lo + 1
            for i in range(lo, hi):
                group[i].rank = rank
            if not explain:
                continue
            above = group[lo - 1] if b > 0 else None
            below = group[hi] if hi < len(group) else None
            block = group[lo:hi]
            for i in range(lo, hi):
                scored = group[i]
                separated = []
                if above is not None:
                    separated.append(_separation(scored, above, "above", rules))
                if below is not None:
                    separated.append(_separation(scored, below, "below", rules))
                scored.rank_explain = {
                    "rank": rank,
                    "n_ranked": n,
                    "tied_on_total": {"count": len(group) - 1, "entries": _nearest(group, i)},
                    "shares_rank_with": {"count": hi - lo - 1,
                                         "entries": _nearest(block, i - lo)},
                    "separated": separated,
                }
        start = end


# --------------------------------------------------------------------------
# Scale (§6)
# --------------------------------------------------------------------------


def _median(sorted_values: Sequence[Decimal]) -> Decimal:
    n = len(sorted_values)
    middle = n // 2
    if n % 2:
        return sorted_values[middle]
    return (sorted_values[middle - 1] + sorted_values[middle]) / 2


def _scale(totals: Sequence[Decimal]) -> tuple[list[int], Decimal, Decimal]:
    ordered = sorted(totals)
    median = _median(ordered)
    mad = _median(sorted(abs(x - median) for x in totals))
    if not mad:
        return [700] * len(totals), median, mad
    denominator = WORLDSKILLS_MAD_FACTOR * mad
    scores = [
        int((WORLDSKILLS_MEAN + WORLDSKILLS_SPREAD * (x - median) / denominator)
            .to_integral_value(rounding=ROUND_HALF_UP))
        for x in totals
    ]
    return scores, median, mad


def scale_scores(totals: Iterable) -> list[int]:
    """The WorldSkills scale score of each total, in the order given (§6)."""
    values = [parse_decimal(x) for x in totals]
    if not values:
        return []
    with localcontext() as context:
        context.prec = _PRECISION
        return _scale(values)[0]


# --------------------------------------------------------------------------
# Awards (§5)
# --------------------------------------------------------------------------


def _awards(ranked: list[_Scored], rules: _Rules, explain: bool) -> None:
    n = len(ranked)
    require = rules.require_all_pass
    for band in rules.bands:
        name = band.name
        if band.kind == "rank_range":
            low, high = band.low, band.high
            limit = None
        elif band.kind == "top_fraction":
            limit = floor_decimal(n * band.value)
        elif band.kind == "quota_ratio":
            quota = max(floor_decimal(n * band.value), band.min_count)
        elif band.kind == "quota_count":
            quota = band.min_count
        taken = 0
        last_rank = None
        for scored in ranked:
            if scored.award is not None:
                if explain:
                    scored.award_explain.append(
                        {"band": name, "code": "already_awarded",
                         "params": {"award": scored.award}})
                continue
            if require and not scored.passed_all:
                if explain:
                    scored.award_explain.append(
                        {"band": name, "code": "not_eligible_failed_pass", "params": {}})
                continue
            params = None
            if band.kind == "rank_range":
                given = low <= scored.rank and (high is None or scored.rank <= high)
                if not given:
                    code, params = "rank_outside_range", {"rank": scored.rank,
                                                          "range": [low, high]}
            elif band.kind == "top_fraction":
                given = scored.rank <= limit
                if not given:
                    code, params = "rank_outside_range", {"rank": scored.rank,
                                                          "range": [1, limit]}
            elif band.kind == "scale_at_least":
                given = scored.scale_score is not None and scored.scale_score >= band.value
                if not given:
                    code, params = "scale_below", {"scale_score": scored.scale_score,
                                                   "min": f"{band.value:f}"}
            elif taken < quota:
                given = True
                taken += 1
                last_rank = scored.rank
                params = {"quota": quota, "position": taken}
            elif scored.rank == last_rank:
                given = True
                taken += 1
                params = {"quota": quota, "position": taken, "tie_beyond_quota": True}
            else:
                given = False
                code, params = "quota_exhausted", {"quota": quota, "taken": taken}
            if given:
                scored.award = name
                if explain:
                    scored.award_explain.append(
                        {"band": name, "code": "given", "params": params or {}})
            elif explain:
                scored.award_explain.append({"band": name, "code": code, "params": params})


# --------------------------------------------------------------------------
# Benefits (§7)
# --------------------------------------------------------------------------


def _promotion_outcome(level, rule: _Benefit):
    """(new level or None, reason code when None)."""
    cap = max(rule.cap, HIGHEST_GRANTABLE_LEVEL)
    if rule.step:
        new = LOWEST_LEVEL if level is None else level - 1
        if new < cap:
            return None, "cap_reached"
        return new, None
    target = rule.to
    if level is None or level > target:
        return (target, None) if target >= cap else (None, "cap_reached")
    if level == target:
        return (target - 1, None) if target - 1 >= cap else (None, "cap_reached")
    return None, "level_already_at_or_above"


def _benefits(person: _Scored, rank: int, award, rules: _Rules, earlier: frozenset,
              explain: bool) -> None:
    promote_decided = False
    notes = person.benefit_explain
    for index, rule in enumerate(rules.benefits):
        kind = rule.kind
        if rank < rule.low or (rule.high is not None and rank > rule.high):
            if explain:
                notes.append({"rule": index, "kind": kind, "code": "rank_outside_range",
                              "params": {"rank": rank, "range": [rule.low, rule.high]}})
            continue
        missing = [
            r for r in rule.requires
            if (r == "worker_status" and not person.worker_status)
            or (r == "all_pass" and not person.passed_all)
            or (r == "award" and award is None)
        ]
        if missing:
            if explain:
                first = next(r for r in _REQUIREMENTS if r in missing)
                notes.append({"rule": index, "kind": kind, "code": f"requires_{first}",
                              "params": {"missing": missing}})
            continue
        if kind == "promote":
            if promote_decided:
                code, params = "earlier_promote_rule_applied", {}
            else:
                promote_decided = True
                new_level, code = _promotion_outcome(person.level, rule)
                params = {"level": person.level, "cap": rule.cap}
                if rule.step:
                    params["step"] = 1
                else:
                    params["to"] = rule.to
                if new_level is not None:
                    if person.person is not None and person.person in earlier:
                        code = FLAG_PROMOTION_ALREADY_GRANTED
                        person.flags.append(FLAG_PROMOTION_ALREADY_GRANTED)
                    else:
                        code = "given"
                        person.promotion = {"from": person.level, "to": new_level}
                        params["new_level"] = new_level
        else:
            code, params = "given", {"name": rule.name}
            names = person.titles if kind == "title" else person.recommendations
            if rule.name not in names:
                names.append(rule.name)
        if explain:
            notes.append({"rule": index, "kind": kind, "code": code, "params": params})


# --------------------------------------------------------------------------
# Output
# --------------------------------------------------------------------------


def _fmt(value: Decimal | None) -> str | None:
    return None if value is None else f"{value:f}"


def _texts(values) -> list:
    return [None if v is None else f"{v:f}" for v in values]


def _exact_str(quotient: tuple[Decimal, Decimal], places: int) -> tuple[str, bool]:
    """`numerator / divisor` written exactly when it terminates, else rounded
    half up to places + 6 decimals (with false)."""
    numerator, divisor = quotient
    if divisor == _ONE:
        return f"{numerator:f}", True
    value, exact = fraction_to_decimal(Fraction(numerator) / Fraction(divisor), places + 6)
    return f"{value:f}", exact


def _component_explain(scored: _Scored, rules: _Rules, texts: list) -> list[dict]:
    items = []
    ranked = scored.status == STATUS_RANKED
    for component, recorded, value, text in zip(
        rules.components, scored.recorded, scored.values, texts, strict=True
    ):
        contribution = exact = passed = None
        if value is not None:
            if component.pass_mark is not None:
                passed = value >= component.pass_mark
            if ranked:
                if component.factor_decimal is not None:
                    contribution, exact = f"{value * component.factor_decimal:f}", True
                else:
                    contribution, exact = fraction_to_decimal(
                        component.factor * Fraction(value), rules.places + 6
                    )
                    contribution = f"{contribution:f}"
        max_text, weight_text, pass_text = component.texts
        items.append({
            "key": component.key,
            "recorded": None if recorded is None else f"{recorded:f}",
            "rounded": text,
            "max": max_text,
            "weight": weight_text,
            "pass": pass_text,
            "passed": passed,
            "contribution": contribution,
            "contribution_exact": exact,
        })
    return items


def _total_explain(scored: _Scored, rules: _Rules, total_text: str | None) -> dict | None:
    if total_text is None:
        return None
    if scored.members is None:
        code = "weighted_sum"
        numerator, divisor = scored.sum_exact
        if rules.denominator_terminates:
            exact, is_exact = f"{numerator / divisor:f}", True
        else:
            exact, is_exact = _exact_str(scored.sum_exact, rules.places)
        params = {"sum": exact, "sum_exact": is_exact}
    else:
        code = "team_mean" if rules.team_mean else "team_sum"
        params = {"member_totals": [_fmt(m.total) for m in scored.members]}
        if rules.team_mean:
            exact, is_exact = _exact_str(scored.sum_exact, rules.places)
            params.update({"mean": exact, "mean_exact": is_exact})
    params["places"] = rules.places
    params["total"] = total_text
    return {"code": code, "params": params}


def _member_out(member: _Scored, rules: _Rules, explain: bool, keys) -> dict:
    texts = _texts(member.values)
    total_text = _fmt(member.total)
    return {
        "person": member.person,
        "id_number": member.id_number,
        "name": member.name,
        "components": dict(zip(keys, texts, strict=True)),
        "times": dict(member.times),
        "total": total_text,
        "status": member.status,
        "passed_all": member.passed_all,
        "promotion": member.promotion,
        "titles": member.titles,
        "recommendations": member.recommendations,
        "flags": member.flags,
        "explain": {
            "status": member.status_explain,
            "components": _component_explain(member, rules, texts),
            "total": _total_explain(member, rules, total_text),
            "benefits": member.benefit_explain,
        } if explain else None,
    }


def _output(scored: _Scored, rules: _Rules, explain: bool, keys, scale_info) -> dict:
    texts = _texts(scored.values)
    total_text = None if scored.total is None else f"{scored.total:f}"
    out = {
        "entry": scored.entry,
        "id_number": scored.id_number,
        "components": dict(zip(keys, texts, strict=True)),
        "times": dict(scored.times),
        "total": total_text,
        "status": scored.status,
        "rank": scored.rank,
        "passed_all": scored.passed_all,
        "award": scored.award,
        "scale_score": scored.scale_score,
        "promotion": scored.promotion,
        "titles": scored.titles,
        "recommendations": scored.recommendations,
        "advanced": scored.advanced,
        "flags": scored.flags,
    }
    if scored.members is not None:
        if scored.name is not None:
            out["name"] = scored.name
        out["members"] = [_member_out(m, rules, explain, keys) for m in scored.members]
    if not explain:
        out["explain"] = None
        return out
    if scored.members is None:
        components = _component_explain(scored, rules, texts)
    else:
        aggregate = "mean" if rules.team_mean else "sum"
        components = [
            {"key": c.key, "value": texts[i], "aggregate": aggregate,
             "members": [_fmt(m.values[i]) for m in scored.members]}
            for i, c in enumerate(rules.components)
        ]
    scale = None
    if scale_info is not None and scored.scale_score is not None:
        scale = {"median": scale_info[0], "mad": scale_info[1], "score": scored.scale_score}
    out["explain"] = {
        "status": scored.status_explain,
        "components": components,
        "total": _total_explain(scored, rules, total_text),
        "rank": scored.rank_explain,
        "scale": scale,
        "awards": scored.award_explain,
        "benefits": scored.benefit_explain,
        "advance": scored.advance_explain,
    }
    return out


def _advance(ranked: list[_Scored], advance: Mapping | None, explain: bool) -> None:
    if not advance:
        return
    top = advance.get("top")
    min_total = advance.get("min_total")
    problems = []
    if top is not None:
        top = _spec_int(top, "advance.top", problems, minimum=1)
    if min_total is not None:
        min_total = _spec_decimal(min_total, "advance.min_total", problems)
    if problems:
        raise EngineInputError(problems)
    for scored in ranked:
        if top is not None and scored.rank > top:
            code, params = "rank_outside_top", {"rank": scored.rank, "top": top}
        elif min_total is not None and scored.total < min_total:
            code, params = "total_below_min", {"total": _fmt(scored.total),
                                               "min_total": _fmt(min_total)}
        else:
            code, params = "advanced", {}
        scored.advanced = code == "advanced"
        if explain:
            scored.advance_explain = {"code": code, "params": params}


# --------------------------------------------------------------------------
# compute
# --------------------------------------------------------------------------


@contextmanager
def _cycle_collector_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while results are built.

    A call allocates tens of small dicts and lists per entry; every few hundred
    allocations the collector would walk all live objects, the caller's whole
    input included, which doubled the time of a large computation. The engine
    creates no reference cycles, so reference counting frees everything anyway.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def compute(
    spec: Mapping,
    entries: Iterable[Mapping],
    *,
    advance: Mapping | None = None,
    promoted_earlier_this_year: Iterable = frozenset(),
    explain: bool = True,
) -> list[dict]:
    """The results of one scope of one stage; see the module docstring.

    ``explain=False`` leaves ``explain`` null in every result (for bulk
    recomputation where nobody reads them); everything else is identical.
    """
    earlier = frozenset(promoted_earlier_this_year)
    with _cycle_collector_paused(), localcontext() as context:
        context.prec = _PRECISION
        rules = _prepare(spec)
        problems: list[dict] = []
        scored_all: list[_Scored] = []
        seen = set()
        for raw in entries:
            number = raw.get("entry")
            if isinstance(number, bool) or not isinstance(number, int):
                problems.append(_problem(None, None, "invalid_entry_number", value=repr(number)))
                continue
            if number in seen:
                problems.append(_problem(number, None, "duplicate_entry"))
                continue
            seen.add(number)
            if rules.team:
                scored_all.append(_score_team(raw, rules, problems, number))
            else:
                scored_all.append(_score_person(raw, rules, problems, number))
        if problems:
            raise EngineInputError(problems)

        ranked = [s for s in scored_all if s.status == STATUS_RANKED]
        unranked = sorted((s for s in scored_all if s.status != STATUS_RANKED),
                          key=lambda s: s.entry)
        for scored in ranked:
            scored.key = _sort_key(scored, rules)
        ranked.sort(key=lambda s: (s.key, s.entry))
        _rank(ranked, rules, explain)

        scale_info = None
        if rules.scale and ranked:
            scores, median, mad = _scale([s.total for s in ranked])
            for scored, score in zip(ranked, scores, strict=True):
                scored.scale_score = score
            scale_info = (f"{median:f}", f"{mad:f}")

        _awards(ranked, rules, explain)
        if rules.benefits:
            for scored in ranked:
                people = scored.members if scored.members is not None else (scored,)
                for person in people:
                    _benefits(person, scored.rank, scored.award, rules, earlier, explain)
        _advance(ranked, advance, explain)

        keys = tuple(c.key for c in rules.components)
        return [_output(s, rules, explain, keys, scale_info) for s in ranked + unranked]


# --------------------------------------------------------------------------
# Judged aspects (§3)
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class PracticalScore:
    """A component score computed from a marking scheme.

    ``score`` is rounded half up to ``places``; ``aspect_marks`` are exact
    (`Fraction`); ``discrepancies`` lists the J aspects whose judges differ by
    more than 1 and must be re-scored before sign-off.
    """

    score: Decimal
    aspect_marks: dict
    discrepancies: tuple[str, ...]


def _aspect_problem(aspect, code, **params) -> dict:
    return {"aspect": aspect, "code": code, "params": params}


def _scores_as_fractions(code, scores, problems) -> list[Fraction]:
    values = []
    for score in scores:
        try:
            values.append(Fraction(parse_decimal(score)))
        except NumberError as error:
            problems.append(_aspect_problem(code, error.code, value=repr(score)))
    return values


def validate_aspect_scores(aspect: Mapping, scores: Sequence) -> list[dict]:
    """Every problem with the judges' scores for one aspect (empty when fine).

    Each problem is ``{"aspect", "code", "params"}`` with code ``no_scores``,
    ``m_needs_one_mark`` (count), ``m_binary_invalid`` (value, max),
    ``score_out_of_range`` (value, max), ``j_score_not_integer`` (value),
    ``j_score_out_of_range`` (value), ``too_few_judges`` (count, min),
    ``unknown_aspect_type`` (type), or a number code (``float_not_allowed``...).
    """
    code = aspect.get("code")
    problems: list[dict] = []
    kind = aspect.get("type")
    if kind not in ("M", "J", "S"):
        return [_aspect_problem(code, "unknown_aspect_type", type=repr(kind))]
    if isinstance(scores, (str, bytes)) or not isinstance(scores, Sequence):
        return [_aspect_problem(code, "no_scores")]
    try:
        maximum = parse_decimal(aspect.get("max"), allow_float=True)
    except NumberError as error:
        return [_aspect_problem(code, error.code, value=repr(aspect.get("max")))]
    if not scores:
        return [_aspect_problem(code, "no_scores")]
    values = _scores_as_fractions(code, scores, problems)
    if kind == "J":
        if len(scores) < J_MIN_JUDGES:
            problems.append(_aspect_problem(code, "too_few_judges", count=len(scores),
                                            min=J_MIN_JUDGES))
        for value in values:
            if value.denominator != 1:
                problems.append(_aspect_problem(code, "j_score_not_integer", value=str(value)))
            elif not 0 <= value <= J_MAX_SCORE:
                problems.append(_aspect_problem(code, "j_score_out_of_range", value=str(value)))
        return problems
    top = Fraction(maximum)
    if kind == "M" and len(scores) != 1:
        problems.append(_aspect_problem(code, "m_needs_one_mark", count=len(scores)))
    for value in values:
        if not 0 <= value <= top:
            problems.append(_aspect_problem(code, "score_out_of_range",
                                            value=_fraction_str(value), max=_fmt(maximum)))
        elif kind == "M" and aspect.get("binary") and value not in (0, top):
            problems.append(_aspect_problem(code, "m_binary_invalid",
                                            value=_fraction_str(value), max=_fmt(maximum)))
    return problems


def _fraction_str(value: Fraction) -> str:
    decimal, _ = fraction_to_decimal(value)
    return f"{decimal:f}"


def j_discrepancy(scores: Sequence) -> bool:
    """True when the judges' J scores differ by more than 1 (max − min > 1)."""
    values = [parse_decimal(s) for s in scores]
    return bool(values) and max(values) - min(values) > 1


def aspect_mark(aspect: Mapping, scores: Sequence) -> Fraction:
    """The exact mark of one aspect from its scores (§3); unrounded.

    M: the single mark. J: mean(scores) / 3 × max. S: the mean, after dropping
    one highest and one lowest score when there are 5 or more judges.
    Raises `EngineInputError` when `validate_aspect_scores` finds problems.
    """
    problems = validate_aspect_scores(aspect, scores)
    if problems:
        raise EngineInputError(problems)
    values = [Fraction(parse_decimal(s)) for s in scores]
    kind = aspect["type"]
    if kind == "M":
        return values[0]
    if kind == "J":
        maximum = Fraction(parse_decimal(aspect["max"], allow_float=True))
        return Fraction(sum(values), len(values)) / J_MAX_SCORE * maximum
    if len(values) >= S_TRIM_FROM:
        values = sorted(values)[1:-1]
    return Fraction(sum(values), len(values))


def practical_component(
    aspects: Sequence[Mapping], marks_by_aspect: Mapping[str, Sequence], places: int = 2
) -> PracticalScore:
    """The component score from judges' marks: round(Σ aspect marks).

    ``aspects`` are dicts ``{"code", "type", "max", "binary"?}`` (a marking
    scheme flattened); ``marks_by_aspect`` maps each aspect code to its list of
    scores. Every aspect needs marks; every problem found is raised at once.
    """
    problems: list[dict] = []
    known = {a.get("code") for a in aspects}
    for code in marks_by_aspect:
        if code not in known:
            problems.append(_aspect_problem(code, "unknown_aspect"))
    for aspect in aspects:
        scores = marks_by_aspect.get(aspect.get("code"))
        if scores is None:
            problems.append(_aspect_problem(aspect.get("code"), "missing_marks"))
        else:
            problems.extend(validate_aspect_scores(aspect, scores))
    if problems:
        raise EngineInputError(problems)
    marks = {}
    discrepancies = []
    for aspect in aspects:
        scores = marks_by_aspect[aspect["code"]]
        marks[aspect["code"]] = aspect_mark(aspect, scores)
        if aspect["type"] == "J" and j_discrepancy(scores):
            discrepancies.append(aspect["code"])
    score = round_fraction_half_up(sum(marks.values(), Fraction(0)), places)
    return PracticalScore(score=score, aspect_marks=marks, discrepancies=tuple(discrepancies))
