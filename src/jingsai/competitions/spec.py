"""The competition spec (YAML): parse, validate, normalize and write it back.

`load_spec(text_or_dict)` returns the normalized spec, a plain dict, or raises
`SpecError` listing every problem found (never only the first). `dump_spec(spec)`
writes the canonical YAML, and `spec_as_json(spec)` the JSON-safe form stored in
`Competition.spec`; both load back to an equal spec. `check_spec` returns the
partly normalized spec with its problems instead of raising, for callers that add
checks of their own. The format is the one of headless-interface.md; this docstring
states what it leaves open.

Nothing here needs the database or the app registry: the module runs without
Django settings (problem messages then stay in English), so the command line,
imports and tests can all validate a spec.

Problems
--------
Each `Problem` has ``path`` (``components[1].weight``; ``""`` for the whole
file), ``code``, ``params`` and ``message``. The message is built only when read,
from an English msgid translated with Django's ``gettext`` (Simplified Chinese in
``competitions/locale/zh_Hans``) when settings are configured.

Values
------
Decimals (``max``, ``weight``, ``pass``, fractions, ``min_total``) may be written
as YAML numbers, strings or ints: a YAML float becomes the decimal of its
shortest repr (0.3 is 0.3), so ``weight: 0.3`` means exactly 3/10. Whole-number
fields refuse decimals and booleans. Codes must be text: YAML reads ``0012`` as
the number 10, so an unquoted number where a code belongs is an error, not a
guess. Duplicate keys in the YAML are an error, as are unknown keys anywhere.

Keys, defaults and rules (normalized shape)
-------------------------------------------
Required: ``code``, ``name``, ``series``, ``host``, ``occupation``, ``level``,
``class``, ``components``.

==========================  ============================================  ==========
key                         normalized value                              default
==========================  ============================================  ==========
code                        str, 1–32 of letters, digits, ``-``, ``_``
name                        str, 1–100 characters
series                      {code: str, name: str, year: int 2000–2100}
host                        organization code (str)
organizer                   organization code (承办单位) or None          None
occupation                  str ``D-DD-DD-DD``
level                       city|district|industry|street|enterprise|team
class                       class1|class2|other
standard_level              int 1–5 or None                               None
mode                        individual|team                               individual
team_size                   int: 1 when individual, >= 2 for teams        1
team_score                  sum|mean (mean only in team mode)             sum
eligibility                 {min_age, max_age: int 16–100 or None,        all None,
                            worker_status_required: bool,                 false
                            min_level: int 1–5 or None}
rounding                    {places: int 0–6}                             {places: 2}
components                  [{key, name, max: Decimal > 0, weight:
                            Decimal 0–1, pass: Decimal 0–max or None}]
ranking                     {tie_breakers: [str]}                         []
scale                       none|worldskills                              none
awards                      {require: all_pass|none, bands: [band]}       none, []
benefits                    [benefit]                                     []
stages                      [{key, name, scope, advance}]                 one stage
marking_scheme              {component, criteria} or None                 None
schedule                    {registration_opens, registration_closes,     None
                            starts, ends}: date, datetime or None
approval                    unit_then_host|host_only                      unit_then_host
unit_quota                  int >= 1 or None (entries per unit)           None
publicity_days              int 1–60                                      5
appeal_window_minutes       int 1–10080                                   120
organization_award          {best_n: int >= 1} or None                    None
==========================  ============================================  ==========

* ``components``: at least one; keys unique, a letter then up to 31 letters,
  digits or ``_``; weights sum to exactly 1.
* ``ranking.tie_breakers``: ``component:<key>:desc|asc`` or
  ``time:<key>:asc|desc`` naming an existing component, each at most once.
* A band is ``{name, <kind>: value}`` with exactly one kind: ``rank_range: [a,
  b]`` (a >= 1, b >= a or null), ``top_fraction`` or ``quota_ratio`` in (0, 1],
  ``quota_count`` >= 1, ``scale_at_least`` (needs ``scale: worldskills``); a
  ``quota_ratio`` band may add ``min`` >= 1, no other band may. Band names are
  unique; rank ranges do not overlap one another.
* A benefit is ``{promote|title|recommend, rank_range, requires}``:
  ``promote: {to: 1–5, cap: 1–5}`` or ``{step: 1, cap}``, cap defaulting to 1 and
  ``to`` not above the cap (to >= cap); ``title``/``recommend``: ``{name}``;
  ``requires`` a list of distinct ``worker_status``, ``all_pass``, ``award``
  (default []).
* ``stages``: keys unique (like codes); ``scope`` None or an organization type
  (union, bureau, city, district, industry, street, enterprise, college, team);
  ``advance`` None or ``{top: int >= 1 or None, min_total: Decimal >= 0 or
  None}`` with at least one set; the last stage does not advance. Without
  ``stages`` there is one: ``{key: final, name: 决赛, scope: None, advance: None}``.
* ``marking_scheme``: ``component`` names a component; ``criteria`` is a list of
  ``{code, name, aspects}`` or ``{code, name, sub_criteria: [{code, name,
  aspects}]}``. An aspect is ``{code, type: M|J|S, name, max: Decimal > 0,
  binary: bool (M only, default false), description: str or None,
  descriptors: [4 str] or None (J only: what scores 0, 1, 2 and 3 look like)}``.
  Criterion, sub-criterion and aspect codes are unique in the scheme; the
  aspects' max values sum exactly to the component's max.
* ``schedule`` values are YAML dates/timestamps or ISO 8601 strings, in the order
  registration_opens <= registration_closes <= starts <= ends (those given). A
  date counts as its midnight; times without a zone as China time (UTC+8).
* ``eligibility`` ages start at 16, the legal minimum working age.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import pairwise

import yaml

from jingsai.core.numbers import NumberError, parse_decimal

__all__ = [
    "DEFAULT_STAGE",
    "Problem",
    "SpecError",
    "aspects_of",
    "check_spec",
    "dump_fragment",
    "dump_spec",
    "instant",
    "load_spec",
    "parse_yaml",
    "spec_as_json",
]

CODE_RE = re.compile(r"^[A-Za-z0-9_-]{1,32}$")
KEY_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,31}$")
OCCUPATION_RE = re.compile(r"^\d-\d{2}-\d{2}-\d{2}$", re.ASCII)
TIE_BREAKER_RE = re.compile(r"^(component|time):([^:]*):(asc|desc)$")

LEVELS = ("city", "district", "industry", "street", "enterprise", "team")
CLASSES = ("class1", "class2", "other")
MODES = ("individual", "team")
TEAM_SCORES = ("sum", "mean")
SCALES = ("none", "worldskills")
REQUIRE = ("all_pass", "none")
REQUIREMENTS = ("worker_status", "all_pass", "award")
ORG_TYPES = ("union", "bureau", "city", "district", "industry", "street", "enterprise",
             "college", "team")
ASPECT_TYPES = ("M", "J", "S")
APPROVALS = ("unit_then_host", "host_only")
BAND_KINDS = ("rank_range", "top_fraction", "quota_ratio", "quota_count", "scale_at_least")
BENEFIT_KINDS = ("promote", "title", "recommend")
SCHEDULE_KEYS = ("registration_opens", "registration_closes", "starts", "ends")
MIN_AGE, MAX_AGE = 16, 100
MAX_PLACES = 6
NAME_LENGTH = 100
CHINA_TIME = dt.timezone(dt.timedelta(hours=8))

DEFAULT_STAGE = {"key": "final", "name": "决赛", "scope": None, "advance": None}

# Top-level keys in the order of the published example, then the added options.
TOP_KEYS = (
    "code", "name", "series", "host", "organizer", "occupation", "level", "class",
    "standard_level", "mode", "team_size", "team_score", "eligibility", "rounding",
    "components", "ranking", "scale", "awards", "benefits", "stages", "marking_scheme",
    "schedule", "approval", "unit_quota", "publicity_days", "appeal_window_minutes",
    "organization_award",
)
REQUIRED_KEYS = ("code", "name", "series", "host", "occupation", "level", "class", "components")

def gettext_noop(message: str) -> str:
    """Marks a msgid for makemessages; Django's own needs settings at import time."""
    return message


# English msgids, translated when a message is read; params in %(name)s form.
MESSAGES = {
    "yaml_syntax": gettext_noop(
        "The file is not valid YAML (line %(line)s, column %(column)s): %(detail)s"),
    "duplicate_key": gettext_noop("The key “%(key)s” appears more than once (line %(line)s)."),
    "not_a_mapping": gettext_noop("Expected keys with values here."),
    "not_a_list": gettext_noop("Expected a list here."),
    "empty_list": gettext_noop("This list must not be empty."),
    "unknown_key": gettext_noop("Unknown key “%(key)s”; allowed here: %(allowed)s."),
    "required": gettext_noop("“%(key)s” is required."),
    "not_text": gettext_noop("Expected text here (put it in quotes if it looks like a number)."),
    "empty_text": gettext_noop("This text must not be empty."),
    "text_too_long": gettext_noop("At most %(max)s characters are allowed; this has %(length)s."),
    "invalid_code": gettext_noop(
        "“%(value)s” is not a valid code: use 1 to 32 letters, digits, “-” or “_”."),
    "invalid_key": gettext_noop(
        "“%(value)s” is not a valid key: a letter, then up to 31 letters, digits or “_”."),
    "invalid_occupation": gettext_noop(
        "“%(value)s” is not an occupation code of the form D-DD-DD-DD (e.g. 6-18-02-04)."),
    "not_a_choice": gettext_noop("“%(value)s” is not allowed here; choose one of: %(choices)s."),
    "not_an_integer": gettext_noop("Expected a whole number here, not “%(value)s”."),
    "not_a_number": gettext_noop("Expected a number here, not “%(value)s”."),
    "not_a_boolean": gettext_noop("Expected true or false here, not “%(value)s”."),
    "too_small": gettext_noop("Must be at least %(min)s; it is %(value)s."),
    "too_large": gettext_noop("Must be at most %(max)s; it is %(value)s."),
    "not_positive": gettext_noop("Must be greater than 0; it is %(value)s."),
    "not_a_fraction": gettext_noop("Must be greater than 0 and at most 1; it is %(value)s."),
    "weights_sum": gettext_noop("Weights must sum to exactly 1; they sum to %(sum)s."),
    "pass_above_max": gettext_noop("The pass mark %(pass)s is above the maximum %(max)s."),
    "duplicate_component": gettext_noop("The component key “%(key)s” is used more than once."),
    "invalid_tie_breaker": gettext_noop(
        "“%(value)s” is not a tie-breaker: write component:<key>:desc, component:<key>:asc, "
        "time:<key>:asc or time:<key>:desc."),
    "unknown_component": gettext_noop("There is no component “%(key)s”."),
    "duplicate_tie_breaker": gettext_noop("The tie-breaker “%(value)s” is listed twice."),
    "band_kind": gettext_noop(
        "An award band needs exactly one of rank_range, top_fraction, quota_ratio, "
        "quota_count or scale_at_least; this one has %(count)s."),
    "invalid_range": gettext_noop(
        "Write a rank range as [first, last]: whole numbers, or null for “no limit” as last."),
    "range_reversed": gettext_noop("The rank range [%(low)s, %(high)s] is reversed."),
    "ranges_overlap": gettext_noop("The rank ranges of “%(band)s” and “%(other)s” overlap."),
    "min_only_on_quota_ratio": gettext_noop("“min” is allowed only on a quota_ratio band."),
    "scale_band_without_scale": gettext_noop(
        "A scale_at_least band needs the WorldSkills scale (scale: worldskills)."),
    "duplicate_band_name": gettext_noop("Two award bands are named “%(name)s”."),
    "benefit_kind": gettext_noop(
        "A benefit needs exactly one of promote, title or recommend; this one has %(count)s."),
    "promote_kind": gettext_noop(
        "A promotion needs exactly one of “to” (a level 1 to 5) or “step: 1”."),
    "promote_above_cap": gettext_noop(
        "The target level %(to)s is above the cap %(cap)s (a smaller code is a higher level)."),
    "unknown_requirement": gettext_noop(
        "“%(value)s” is not a requirement; use worker_status, all_pass or award."),
    "duplicate_requirement": gettext_noop("The requirement “%(value)s” is listed twice."),
    "age_order": gettext_noop(
        "The minimum age %(min_age)s is above the maximum age %(max_age)s."),
    "duplicate_stage": gettext_noop("The stage key “%(key)s” is used more than once."),
    "advance_empty": gettext_noop("“advance” needs “top”, “min_total” or both."),
    "last_stage_advances": gettext_noop(
        "The last stage cannot advance anyone: there is no next stage."),
    "duplicate_code": gettext_noop(
        "The code “%(value)s” is used more than once in the marking scheme."),
    "criterion_content": gettext_noop(
        "A criterion needs either “aspects” or “sub_criteria”, not both."),
    "binary_only_on_m": gettext_noop("Only an M (measurement) aspect can be binary."),
    "descriptors_only_on_j": gettext_noop("Only a J (judgement) aspect has descriptors."),
    "descriptors_count": gettext_noop(
        "A J aspect needs exactly 4 descriptors, for scores 0 to 3; it has %(count)s."),
    "aspects_max_sum": gettext_noop(
        "The aspects' maximum marks sum to %(sum)s, but “%(component)s” has maximum %(max)s."),
    "team_size_individual": gettext_noop("An individual competition has team_size 1."),
    "team_size_team": gettext_noop("A team competition needs a team_size of at least 2."),
    "team_score_individual": gettext_noop(
        "team_score: mean applies only to team competitions (mode: team)."),
    "invalid_datetime": gettext_noop(
        "“%(value)s” is not a date or time; write e.g. 2026-05-01 or "
        "2026-05-01T09:00:00+08:00."),
    "schedule_order": gettext_noop("“%(later)s” (%(later_value)s) is before “%(earlier)s” "
                                   "(%(earlier_value)s)."),
}


def _translate(msgid: str) -> str:
    from django.conf import settings

    if not settings.configured:
        return msgid
    from django.utils.translation import gettext

    return gettext(msgid)


@dataclass(frozen=True)
class Problem:
    """One thing wrong in a spec, at ``path``."""

    path: str
    code: str
    params: dict = field(default_factory=dict)

    @property
    def message(self) -> str:
        """The problem in the active language (English without Django settings)."""
        values = {
            key: ", ".join(map(str, value)) if isinstance(value, list | tuple) else value
            for key, value in self.params.items()
        }
        return _translate(MESSAGES[self.code]) % values

    def as_dict(self) -> dict:
        return {"path": self.path, "code": self.code, "params": self.params,
                "message": self.message}

    def __str__(self) -> str:
        return f"{self.path or '(spec)'}: {self.message}"


class SpecError(ValueError):
    """A spec that cannot be used; ``problems`` lists everything wrong with it."""

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        super().__init__(f"{len(self.problems)} problem(s) in the competition spec")

    def __str__(self) -> str:
        return "\n".join(str(p) for p in self.problems)


# --------------------------------------------------------------------------
# YAML in
# --------------------------------------------------------------------------


class _Loader(yaml.SafeLoader):
    """A safe loader that records duplicate keys instead of keeping the last one."""

    def __init__(self, stream):
        super().__init__(stream)
        self.duplicates: list[tuple[str, int]] = []

    def construct_mapping(self, node, deep=False):
        seen = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            try:
                duplicate = key in seen
            except TypeError:
                continue
            if duplicate:
                self.duplicates.append((str(key), key_node.start_mark.line + 1))
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def _parse_yaml(text: str):
    loader = _Loader(text)
    try:
        data = loader.get_single_data()
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        raise SpecError([Problem("", "yaml_syntax", {
            "line": mark.line + 1 if mark else 1,
            "column": mark.column + 1 if mark else 1,
            "detail": getattr(error, "problem", None) or str(error),
        })]) from None
    finally:
        loader.dispose()
    duplicates = [Problem(key, "duplicate_key", {"key": key, "line": line})
                  for key, line in loader.duplicates]
    return data, duplicates


# --------------------------------------------------------------------------
# Checking and normalizing
# --------------------------------------------------------------------------

_MISSING = object()


def _join(path: str, key) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else str(key)


def _shown(value) -> str:
    if isinstance(value, Decimal):
        return f"{value:f}"
    return str(value)


class _Checker:
    """Collects problems while turning the raw spec into the normalized one."""

    def __init__(self):
        self.problems: list[Problem] = []

    def add(self, path, code, **params):
        self.problems.append(Problem(path, code, params))

    # Containers ---------------------------------------------------------

    def mapping(self, value, path, allowed, required=()) -> dict | None:
        if not isinstance(value, Mapping):
            self.add(path, "not_a_mapping")
            return None
        for key in value:
            if key not in allowed:
                self.add(_join(path, key), "unknown_key", key=str(key), allowed=list(allowed))
        for key in required:
            if value.get(key) is None:
                self.add(_join(path, key), "required", key=key)
        return dict(value)

    def items(self, value, path, *, empty_ok=True) -> list:
        if not isinstance(value, list | tuple):
            self.add(path, "not_a_list")
            return []
        if not value and not empty_ok:
            self.add(path, "empty_list")
        return list(value)

    # Scalars ------------------------------------------------------------

    def text(self, value, path, *, pattern=None, code=None, max_length=NAME_LENGTH):
        if not isinstance(value, str):
            self.add(path, "not_text")
            return None
        if not value.strip():
            self.add(path, "empty_text")
            return None
        if pattern is not None:
            if not pattern.match(value):
                self.add(path, code, value=value)
                return None
        elif len(value) > max_length:
            self.add(path, "text_too_long", max=max_length, length=len(value))
            return None
        return value

    def code(self, value, path):
        return self.text(value, path, pattern=CODE_RE, code="invalid_code")

    def choice(self, value, path, choices):
        if not isinstance(value, str) or value not in choices:
            self.add(path, "not_a_choice", value=_shown(value), choices=list(choices))
            return None
        return value

    def integer(self, value, path, *, minimum=None, maximum=None):
        if isinstance(value, bool) or not isinstance(value, int):
            self.add(path, "not_an_integer", value=_shown(value))
            return None
        if minimum is not None and value < minimum:
            self.add(path, "too_small", min=minimum, value=value)
            return None
        if maximum is not None and value > maximum:
            self.add(path, "too_large", max=maximum, value=value)
            return None
        return value

    def decimal(self, value, path) -> Decimal | None:
        try:
            return parse_decimal(value, allow_float=True)
        except NumberError:
            self.add(path, "not_a_number", value=_shown(value))
            return None

    def positive(self, value, path) -> Decimal | None:
        number = self.decimal(value, path)
        if number is not None and number <= 0:
            self.add(path, "not_positive", value=_shown(number))
            return None
        return number

    def fraction(self, value, path) -> Decimal | None:
        number = self.decimal(value, path)
        if number is not None and not 0 < number <= 1:
            self.add(path, "not_a_fraction", value=_shown(number))
            return None
        return number

    def boolean(self, value, path):
        if not isinstance(value, bool):
            self.add(path, "not_a_boolean", value=_shown(value))
            return None
        return value

    def when(self, value, path):
        """A date or datetime, from YAML or an ISO 8601 string."""
        if isinstance(value, dt.date):
            return value
        if isinstance(value, str):
            text = value.strip()
            try:
                if len(text) == 10:
                    return dt.date.fromisoformat(text)
                return dt.datetime.fromisoformat(text)
            except ValueError:
                pass
        self.add(path, "invalid_datetime", value=_shown(value))
        return None

    def rank_range(self, value, path):
        """``(low, high)`` or None; high None means no upper bound."""
        if (not isinstance(value, list | tuple) or len(value) != 2
                or any(isinstance(v, bool) for v in value)
                or not isinstance(value[0], int)
                or not (value[1] is None or isinstance(value[1], int))):
            self.add(path, "invalid_range")
            return None
        low, high = value
        if low < 1:
            self.add(f"{path}[0]", "too_small", min=1, value=low)
            return None
        if high is not None and high < low:
            self.add(path, "range_reversed", low=low, high=high)
            return None
        return [low, high]


def _optional(raw: dict, key: str, default):
    value = raw.get(key, _MISSING)
    return default if value is _MISSING or value is None else value


def _check_series(c: _Checker, raw) -> dict | None:
    series = c.mapping(raw, "series", ("code", "name", "year"), ("code", "name", "year"))
    if series is None:
        return None
    return {
        "code": c.code(series["code"], "series.code") if "code" in series else None,
        "name": c.text(series["name"], "series.name") if "name" in series else None,
        "year": (c.integer(series["year"], "series.year", minimum=2000, maximum=2100)
                 if series.get("year") is not None else None),
    }


def _check_eligibility(c: _Checker, raw) -> dict:
    keys = ("min_age", "max_age", "worker_status_required", "min_level")
    result = dict.fromkeys(keys)
    result["worker_status_required"] = False
    if raw is None:
        return result
    given = c.mapping(raw, "eligibility", keys)
    if given is None:
        return result
    for key in ("min_age", "max_age"):
        if given.get(key) is not None:
            result[key] = c.integer(given[key], f"eligibility.{key}", minimum=MIN_AGE,
                                    maximum=MAX_AGE)
    if given.get("worker_status_required") is not None:
        result["worker_status_required"] = c.boolean(
            given["worker_status_required"], "eligibility.worker_status_required")
    if given.get("min_level") is not None:
        result["min_level"] = c.integer(given["min_level"], "eligibility.min_level",
                                        minimum=1, maximum=5)
    if (result["min_age"] is not None and result["max_age"] is not None
            and result["min_age"] > result["max_age"]):
        c.add("eligibility.min_age", "age_order", min_age=result["min_age"],
              max_age=result["max_age"])
    return result


def _check_components(c: _Checker, raw) -> list[dict]:
    components = []
    keys = set()
    weights = []
    for i, item in enumerate(c.items(raw, "components", empty_ok=False)):
        path = f"components[{i}]"
        given = c.mapping(item, path, ("key", "name", "max", "weight", "pass"),
                          ("key", "name", "max", "weight"))
        if given is None:
            continue
        key = None
        if given.get("key") is not None:
            key = c.text(given["key"], f"{path}.key", pattern=KEY_RE, code="invalid_key")
            if key is not None and key in keys:
                c.add(f"{path}.key", "duplicate_component", key=key)
            keys.add(key)
        maximum = c.positive(given["max"], f"{path}.max") if given.get("max") is not None else None
        weight = None
        if given.get("weight") is not None:
            weight = c.decimal(given["weight"], f"{path}.weight")
            if weight is not None and weight < 0:
                c.add(f"{path}.weight", "too_small", min=0, value=_shown(weight))
                weight = None
            elif weight is not None and weight > 1:
                c.add(f"{path}.weight", "too_large", max=1, value=_shown(weight))
                weight = None
        weights.append(weight)
        pass_mark = None
        if given.get("pass") is not None:
            pass_mark = c.decimal(given["pass"], f"{path}.pass")
            if pass_mark is not None and pass_mark < 0:
                c.add(f"{path}.pass", "too_small", min=0, value=_shown(pass_mark))
            elif pass_mark is not None and maximum is not None and pass_mark > maximum:
                c.add(f"{path}.pass", "pass_above_max", **{"pass": _shown(pass_mark),
                                                            "max": _shown(maximum)})
        components.append({
            "key": key,
            "name": c.text(given["name"], f"{path}.name") if given.get("name") is not None
            else None,
            "max": maximum,
            "weight": weight,
            "pass": pass_mark,
        })
    if weights and all(w is not None for w in weights):
        total = sum(weights, Decimal(0))
        if total != 1:
            c.add("components", "weights_sum", sum=_shown(total))
    return components


def _check_tie_breakers(c: _Checker, raw, keys: set) -> list[str]:
    result = []
    for i, item in enumerate(c.items(raw, "ranking.tie_breakers")):
        path = f"ranking.tie_breakers[{i}]"
        match = TIE_BREAKER_RE.match(item) if isinstance(item, str) else None
        if match is None:
            c.add(path, "invalid_tie_breaker", value=_shown(item))
            continue
        if match.group(2) not in keys:
            c.add(path, "unknown_component", key=match.group(2))
            continue
        if item in result:
            c.add(path, "duplicate_tie_breaker", value=item)
            continue
        result.append(item)
    return result


def _check_bands(c: _Checker, raw, scale: str | None) -> list[dict]:
    bands = []
    names = set()
    ranges = []
    for i, item in enumerate(c.items(raw, "awards.bands")):
        path = f"awards.bands[{i}]"
        given = c.mapping(item, path, ("name", *BAND_KINDS, "min"), ("name",))
        if given is None:
            continue
        band = {}
        if given.get("name") is not None:
            band["name"] = c.text(given["name"], f"{path}.name")
            if band["name"] is not None and band["name"] in names:
                c.add(f"{path}.name", "duplicate_band_name", name=band["name"])
            names.add(band["name"])
        kinds = [kind for kind in BAND_KINDS if kind in given]
        if len(kinds) != 1:
            c.add(path, "band_kind", count=len(kinds))
            bands.append(band)
            continue
        kind = kinds[0]
        kind_path = f"{path}.{kind}"
        value = given[kind]
        if kind == "rank_range":
            band[kind] = c.rank_range(value, kind_path)
            if band[kind] is not None:
                ranges.append((band[kind], band.get("name")))
        elif kind == "quota_count":
            band[kind] = c.integer(value, kind_path, minimum=1)
        elif kind == "scale_at_least":
            band[kind] = c.decimal(value, kind_path)
            if scale != "worldskills":
                c.add(kind_path, "scale_band_without_scale")
        else:
            band[kind] = c.fraction(value, kind_path)
        if "min" in given:
            if kind != "quota_ratio":
                c.add(f"{path}.min", "min_only_on_quota_ratio")
            elif given["min"] is not None:
                band["min"] = c.integer(given["min"], f"{path}.min", minimum=1)
        bands.append(band)
    # Sorted by first rank, a range overlaps an earlier one exactly when it starts
    # within the one that reaches furthest so far.
    ranges.sort(key=lambda item: item[0][0])
    furthest = None
    for (low, high), name in ranges:
        if furthest is not None:
            (_, reach), reach_name = furthest
            if reach is None or low <= reach:
                c.add("awards.bands", "ranges_overlap", band=reach_name, other=name)
        if furthest is None or high is None or (furthest[0][1] is not None
                                                and high > furthest[0][1]):
            furthest = ((low, high), name)
    return bands


def _check_benefits(c: _Checker, raw) -> list[dict]:
    benefits = []
    for i, item in enumerate(c.items(raw, "benefits")):
        path = f"benefits[{i}]"
        given = c.mapping(item, path, (*BENEFIT_KINDS, "rank_range", "requires"),
                          ("rank_range",))
        if given is None:
            continue
        rule = {}
        kinds = [kind for kind in BENEFIT_KINDS if kind in given]
        if len(kinds) != 1:
            c.add(path, "benefit_kind", count=len(kinds))
        else:
            kind = kinds[0]
            kind_path = f"{path}.{kind}"
            if kind == "promote":
                rule[kind] = _check_promote(c, given[kind], kind_path)
            else:
                body = c.mapping(given[kind], kind_path, ("name",), ("name",))
                rule[kind] = {"name": c.text(body["name"], f"{kind_path}.name")
                              if body and body.get("name") is not None else None}
        if given.get("rank_range") is not None:
            rule["rank_range"] = c.rank_range(given["rank_range"], f"{path}.rank_range")
        requires = []
        for j, requirement in enumerate(c.items(_optional(given, "requires", []),
                                                f"{path}.requires")):
            if requirement not in REQUIREMENTS:
                c.add(f"{path}.requires[{j}]", "unknown_requirement", value=_shown(requirement))
            elif requirement in requires:
                c.add(f"{path}.requires[{j}]", "duplicate_requirement", value=requirement)
            else:
                requires.append(requirement)
        rule["requires"] = requires
        benefits.append(rule)
    return benefits


def _check_promote(c: _Checker, raw, path) -> dict | None:
    given = c.mapping(raw, path, ("to", "step", "cap"))
    if given is None:
        return None
    cap = 1
    if given.get("cap") is not None:
        cap = c.integer(given["cap"], f"{path}.cap", minimum=1, maximum=5)
    if ("to" in given) == ("step" in given):
        c.add(path, "promote_kind")
        return {"cap": cap}
    if "step" in given:
        c.integer(given["step"], f"{path}.step", minimum=1, maximum=1)
        return {"step": 1, "cap": cap}
    to = c.integer(given["to"], f"{path}.to", minimum=1, maximum=5)
    if to is not None and cap is not None and to < cap:
        c.add(f"{path}.to", "promote_above_cap", to=to, cap=cap)
    return {"to": to, "cap": cap}


def _check_stages(c: _Checker, raw) -> list[dict]:
    if raw is None:
        return [dict(DEFAULT_STAGE)]
    stages = []
    keys = set()
    items = c.items(raw, "stages", empty_ok=False)
    for i, item in enumerate(items):
        path = f"stages[{i}]"
        given = c.mapping(item, path, ("key", "name", "scope", "advance"), ("key", "name"))
        if given is None:
            continue
        key = c.code(given["key"], f"{path}.key") if given.get("key") is not None else None
        if key is not None and key in keys:
            c.add(f"{path}.key", "duplicate_stage", key=key)
        keys.add(key)
        stage = {
            "key": key,
            "name": c.text(given["name"], f"{path}.name") if given.get("name") is not None
            else None,
            "scope": None,
            "advance": None,
        }
        if given.get("scope") is not None:
            stage["scope"] = c.choice(given["scope"], f"{path}.scope", ORG_TYPES)
        if given.get("advance") is not None:
            stage["advance"] = _check_advance(c, given["advance"], f"{path}.advance")
            if i == len(items) - 1:
                c.add(f"{path}.advance", "last_stage_advances")
        stages.append(stage)
    return stages


def _check_advance(c: _Checker, raw, path) -> dict | None:
    given = c.mapping(raw, path, ("top", "min_total"))
    if given is None:
        return None
    advance = {"top": None, "min_total": None}
    if given.get("top") is not None:
        advance["top"] = c.integer(given["top"], f"{path}.top", minimum=1)
    if given.get("min_total") is not None:
        advance["min_total"] = c.decimal(given["min_total"], f"{path}.min_total")
        if advance["min_total"] is not None and advance["min_total"] < 0:
            c.add(f"{path}.min_total", "too_small", min=0, value=_shown(advance["min_total"]))
    if given.get("top") is None and given.get("min_total") is None:
        c.add(path, "advance_empty")
    return advance


ASPECT_KEYS = ("code", "type", "name", "max", "binary", "description", "descriptors")


def _check_aspects(c: _Checker, raw, path, codes: set) -> list[dict]:
    aspects = []
    for i, item in enumerate(c.items(raw, path, empty_ok=False)):
        aspect_path = f"{path}[{i}]"
        given = c.mapping(item, aspect_path, ASPECT_KEYS, ("code", "type", "name", "max"))
        if given is None:
            continue
        code = _scheme_code(c, given, aspect_path, codes)
        kind = (c.choice(given["type"], f"{aspect_path}.type", ASPECT_TYPES)
                if given.get("type") is not None else None)
        aspect = {
            "code": code,
            "type": kind,
            "name": c.text(given["name"], f"{aspect_path}.name")
            if given.get("name") is not None else None,
            "max": c.positive(given["max"], f"{aspect_path}.max")
            if given.get("max") is not None else None,
            "binary": False,
            "description": None,
            "descriptors": None,
        }
        if given.get("binary") is not None:
            aspect["binary"] = c.boolean(given["binary"], f"{aspect_path}.binary")
            if aspect["binary"] and kind is not None and kind != "M":
                c.add(f"{aspect_path}.binary", "binary_only_on_m")
        if given.get("description") is not None:
            aspect["description"] = c.text(given["description"], f"{aspect_path}.description",
                                           max_length=2000)
        if given.get("descriptors") is not None:
            aspect["descriptors"] = _check_descriptors(
                c, given["descriptors"], f"{aspect_path}.descriptors", kind)
        aspects.append(aspect)
    return aspects


def _check_descriptors(c: _Checker, raw, path, kind) -> list | None:
    if kind is not None and kind != "J":
        c.add(path, "descriptors_only_on_j")
        return None
    items = c.items(raw, path)
    if isinstance(raw, list | tuple) and len(items) != 4:
        c.add(path, "descriptors_count", count=len(items))
    return [c.text(text, f"{path}[{i}]", max_length=2000) for i, text in enumerate(items)]


def _scheme_code(c: _Checker, given: dict, path: str, codes: set):
    if given.get("code") is None:
        return None
    code = c.code(given["code"], f"{path}.code")
    if code is not None:
        if code in codes:
            c.add(f"{path}.code", "duplicate_code", value=code)
        codes.add(code)
    return code


def _check_marking_scheme(c: _Checker, raw, components: list[dict]) -> dict | None:
    if raw is None:
        return None
    given = c.mapping(raw, "marking_scheme", ("component", "criteria"),
                      ("component", "criteria"))
    if given is None:
        return None
    component = None
    if given.get("component") is not None:
        by_key = {item["key"]: item for item in components if item["key"]}
        key = given["component"]
        component = by_key.get(key) if isinstance(key, str) else None
        if component is None:
            c.add("marking_scheme.component", "unknown_component", key=_shown(key))
    codes: set = set()
    criteria = []
    all_aspects = []
    for i, item in enumerate(c.items(given.get("criteria") or [], "marking_scheme.criteria",
                                     empty_ok=False)):
        path = f"marking_scheme.criteria[{i}]"
        criterion_raw = c.mapping(item, path, ("code", "name", "aspects", "sub_criteria"),
                                  ("code", "name"))
        if criterion_raw is None:
            continue
        criterion = {
            "code": _scheme_code(c, criterion_raw, path, codes),
            "name": c.text(criterion_raw["name"], f"{path}.name")
            if criterion_raw.get("name") is not None else None,
        }
        has_aspects = criterion_raw.get("aspects") is not None
        has_subs = criterion_raw.get("sub_criteria") is not None
        if has_aspects == has_subs:
            c.add(path, "criterion_content")
        if has_aspects:
            criterion["aspects"] = _check_aspects(c, criterion_raw["aspects"], f"{path}.aspects",
                                                  codes)
            all_aspects += criterion["aspects"]
        elif has_subs:
            subs = []
            for j, sub in enumerate(c.items(criterion_raw["sub_criteria"],
                                            f"{path}.sub_criteria", empty_ok=False)):
                sub_path = f"{path}.sub_criteria[{j}]"
                sub_raw = c.mapping(sub, sub_path, ("code", "name", "aspects"),
                                    ("code", "name", "aspects"))
                if sub_raw is None:
                    continue
                sub_criterion = {
                    "code": _scheme_code(c, sub_raw, sub_path, codes),
                    "name": c.text(sub_raw["name"], f"{sub_path}.name")
                    if sub_raw.get("name") is not None else None,
                    "aspects": _check_aspects(c, sub_raw.get("aspects") or [],
                                              f"{sub_path}.aspects", codes),
                }
                all_aspects += sub_criterion["aspects"]
                subs.append(sub_criterion)
            criterion["sub_criteria"] = subs
        criteria.append(criterion)
    maxima = [a["max"] for a in all_aspects]
    if component is not None and component["max"] is not None and maxima and all(
        m is not None for m in maxima
    ):
        total = sum(maxima, Decimal(0))
        if total != component["max"]:
            c.add("marking_scheme.criteria", "aspects_max_sum", sum=_shown(total),
                  component=component["key"], max=_shown(component["max"]))
    return {"component": component["key"] if component else None, "criteria": criteria}


def instant(value):
    """A schedule value (date, datetime, ISO 8601 text or None) as an aware datetime:
    a date counts as its midnight, a time without a zone as China time."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        value = dt.date.fromisoformat(value) if len(value) == 10 else dt.datetime.fromisoformat(value)
    if not isinstance(value, dt.datetime):
        value = dt.datetime.combine(value, dt.time())
    if value.tzinfo is None:
        value = value.replace(tzinfo=CHINA_TIME)
    return value


def _check_schedule(c: _Checker, raw) -> dict | None:
    if raw is None:
        return None
    given = c.mapping(raw, "schedule", SCHEDULE_KEYS)
    if given is None:
        return None
    schedule = dict.fromkeys(SCHEDULE_KEYS)
    for key in SCHEDULE_KEYS:
        if given.get(key) is not None:
            schedule[key] = c.when(given[key], f"schedule.{key}")
    present = [(key, schedule[key]) for key in SCHEDULE_KEYS if schedule[key] is not None]
    for (earlier, earlier_value), (later, later_value) in pairwise(present):
        if instant(later_value) < instant(earlier_value):
            c.add(f"schedule.{later}", "schedule_order", later=later,
                  later_value=later_value.isoformat(), earlier=earlier,
                  earlier_value=earlier_value.isoformat())
    return schedule


def _normalize(c: _Checker, raw) -> dict | None:
    top = c.mapping(raw, "", TOP_KEYS, REQUIRED_KEYS)
    if top is None:
        return None
    spec: dict = {}

    def present(key):
        return top.get(key) is not None

    spec["code"] = c.code(top["code"], "code") if present("code") else None
    spec["name"] = c.text(top["name"], "name") if present("name") else None
    spec["series"] = _check_series(c, top["series"]) if present("series") else None
    spec["host"] = c.code(top["host"], "host") if present("host") else None
    spec["organizer"] = c.code(top["organizer"], "organizer") if present("organizer") else None
    spec["occupation"] = (c.text(top["occupation"], "occupation", pattern=OCCUPATION_RE,
                                 code="invalid_occupation") if present("occupation") else None)
    spec["level"] = c.choice(top["level"], "level", LEVELS) if present("level") else None
    spec["class"] = c.choice(top["class"], "class", CLASSES) if present("class") else None
    spec["standard_level"] = (c.integer(top["standard_level"], "standard_level", minimum=1,
                                        maximum=5) if present("standard_level") else None)
    mode = c.choice(top["mode"], "mode", MODES) if present("mode") else "individual"
    spec["mode"] = mode
    team_size = (c.integer(top["team_size"], "team_size", minimum=1)
                 if present("team_size") else (1 if mode != "team" else None))
    if mode == "individual" and team_size not in (None, 1):
        c.add("team_size", "team_size_individual")
    if mode == "team" and (not present("team_size") or (team_size is not None
                                                         and team_size < 2)):
        c.add("team_size", "team_size_team")
    spec["team_size"] = team_size
    team_score = (c.choice(top["team_score"], "team_score", TEAM_SCORES)
                  if present("team_score") else "sum")
    if mode == "individual" and team_score == "mean":
        c.add("team_score", "team_score_individual")
    spec["team_score"] = team_score
    spec["eligibility"] = _check_eligibility(c, top.get("eligibility"))

    places = 2
    if present("rounding"):
        rounding = c.mapping(top["rounding"], "rounding", ("places",))
        if rounding and rounding.get("places") is not None:
            places = c.integer(rounding["places"], "rounding.places", minimum=0,
                               maximum=MAX_PLACES)
    spec["rounding"] = {"places": places}

    components = _check_components(c, top["components"]) if present("components") else []
    spec["components"] = components
    keys = {item["key"] for item in components if item["key"]}

    tie_breakers = []
    if present("ranking"):
        ranking = c.mapping(top["ranking"], "ranking", ("tie_breakers",))
        if ranking and ranking.get("tie_breakers") is not None:
            tie_breakers = _check_tie_breakers(c, ranking["tie_breakers"], keys)
    spec["ranking"] = {"tie_breakers": tie_breakers}
    spec["scale"] = c.choice(top["scale"], "scale", SCALES) if present("scale") else "none"

    awards = {"require": "none", "bands": []}
    if present("awards"):
        given = c.mapping(top["awards"], "awards", ("require", "bands"))
        if given is not None:
            if given.get("require") is not None:
                awards["require"] = c.choice(given["require"], "awards.require", REQUIRE)
            if given.get("bands") is not None:
                awards["bands"] = _check_bands(c, given["bands"], spec["scale"])
    spec["awards"] = awards
    spec["benefits"] = _check_benefits(c, top["benefits"]) if present("benefits") else []
    spec["stages"] = _check_stages(c, top.get("stages"))
    spec["marking_scheme"] = _check_marking_scheme(c, top.get("marking_scheme"), components)

    spec["schedule"] = _check_schedule(c, top.get("schedule"))
    spec["approval"] = (c.choice(top["approval"], "approval", APPROVALS)
                        if present("approval") else "unit_then_host")
    spec["unit_quota"] = (c.integer(top["unit_quota"], "unit_quota", minimum=1)
                          if present("unit_quota") else None)
    spec["publicity_days"] = (c.integer(top["publicity_days"], "publicity_days", minimum=1,
                                        maximum=60) if present("publicity_days") else 5)
    spec["appeal_window_minutes"] = (
        c.integer(top["appeal_window_minutes"], "appeal_window_minutes", minimum=1,
                  maximum=7 * 24 * 60)
        if present("appeal_window_minutes") else 120
    )
    organization_award = None
    if present("organization_award"):
        given = c.mapping(top["organization_award"], "organization_award", ("best_n",),
                          ("best_n",))
        if given is not None and given.get("best_n") is not None:
            organization_award = {
                "best_n": c.integer(given["best_n"], "organization_award.best_n", minimum=1)
            }
    spec["organization_award"] = organization_award
    return spec


def parse_yaml(text) -> object:
    """The data of a YAML text (str or UTF-8 bytes), unchecked; raises `SpecError` for
    bad syntax or duplicate keys (paths relative to the text's top)."""
    if isinstance(text, bytes):
        text = text.decode("utf-8")
    data, duplicates = _parse_yaml(text)
    if duplicates:
        raise SpecError(duplicates)
    return data


def check_spec(source) -> tuple[dict | None, list[Problem]]:
    """The spec as far as it could be normalized, with every problem found.

    Values that could not be read are None in the returned spec, so a caller can run
    its own checks (against the database, say) on the rest and report everything at
    once. Raises `SpecError` only when the YAML itself cannot be read."""
    problems: list[Problem] = []
    if isinstance(source, bytes):
        source = source.decode("utf-8")
    if isinstance(source, str):
        source, problems = _parse_yaml(source)
    checker = _Checker()
    checker.problems.extend(problems)
    spec = _normalize(checker, source)
    return spec, checker.problems


def load_spec(source) -> dict:
    """The normalized spec from YAML text or a dict (raw, normalized or JSON form).

    Raises `SpecError` with every problem found.
    """
    spec, problems = check_spec(source)
    if problems:
        raise SpecError(problems)
    return spec


def aspects_of(marking_scheme: dict) -> list[dict]:
    """Every aspect of a normalized marking scheme, in order, sub-criteria flattened."""
    aspects = []
    for criterion in marking_scheme["criteria"]:
        if "aspects" in criterion:
            aspects += criterion["aspects"]
        for sub in criterion.get("sub_criteria", ()):
            aspects += sub["aspects"]
    return aspects


# --------------------------------------------------------------------------
# YAML and JSON out
# --------------------------------------------------------------------------

# Keys left out of the written spec when they hold their default, so the
# canonical file stays as short as the published example.
_OMIT_WHEN_NONE = {"organizer", "standard_level", "marking_scheme", "schedule", "unit_quota",
                   "organization_award", "pass", "scope", "advance", "top", "min_total",
                   "description", "descriptors", *SCHEDULE_KEYS}


def _written(value):
    if isinstance(value, dict):
        return {
            k: _written(v) for k, v in value.items()
            if not (v is None and k in _OMIT_WHEN_NONE) and not (k == "binary" and v is False)
        }
    if isinstance(value, list):
        return [_written(v) for v in value]
    return value


class _Dumper(yaml.SafeDumper):
    """Indents block lists under their key, as the published example does."""

    def increase_indent(self, flow=False, indentless=False):
        return super().increase_indent(flow, False)


def _represent_decimal(dumper: yaml.SafeDumper, value: Decimal):
    if value == value.to_integral_value():
        return dumper.represent_int(int(value))
    text = f"{value:f}"
    if Decimal(repr(float(value))) == value:
        return dumper.represent_scalar("tag:yaml.org,2002:float", text)
    # More digits than a binary float keeps: a string, read back exactly.
    return dumper.represent_str(text)


_Dumper.add_representer(Decimal, _represent_decimal)


def dump_spec(spec) -> str:
    """The canonical YAML of a spec: keys in the published order, defaults written
    out, optional empty keys left out, decimals as plain numbers (or strings when
    a binary float could not hold them). ``load_spec`` gives back an equal spec."""
    normalized = load_spec(spec)
    return yaml.dump(_written(normalized), Dumper=_Dumper, allow_unicode=True,
                     sort_keys=False, default_flow_style=None, width=100)


def dump_fragment(value) -> str:
    """A part of a normalized spec (the marking scheme, say) as YAML in the canonical
    style of `dump_spec`."""
    return yaml.dump(_written(value), Dumper=_Dumper, allow_unicode=True, sort_keys=False,
                     default_flow_style=None, width=100)


def _json_safe(value):
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_json_safe(v) for v in value]
    if isinstance(value, Decimal):
        return f"{value:f}"
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def spec_as_json(spec) -> dict:
    """The normalized spec with decimals as strings and dates as ISO 8601 strings,
    for a JSON field; ``load_spec`` of it gives back an equal spec, and the results
    engine takes it as it is."""
    return _json_safe(load_spec(spec))
