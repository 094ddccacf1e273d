"""The rule editor's form: a competition spec as the fields and rows an organizer fills in,
and back.

The form has no validation of its own. Its values go, as typed, into a raw spec that
services.load_competition checks (spec rules first, then the database), so the editor,
a YAML file, the API and the command line refuse exactly the same things. What the
form adds is the organizer's way of writing: weights and ratios in percent, dates from
a date picker, a promotion as "to level 2, at most level 1". Every problem comes back
with the spec path it concerns; `field_for(path)` names the form field to show it at.

State: {"fields": {name: text}, "<section>": [{column: text}], ...}, all strings (the
requires of a benefit: a list), as the page renders and posts them. Sections are lists
of rows; an empty row is dropped, so row i of the state is item i of the spec's list.
"""

import datetime as dt
import re
from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .spec import BAND_KINDS, SCHEDULE_KEYS, SpecError, dump_fragment, load_spec, parse_yaml
from .spec import Problem as SpecProblem

FIELDS = (
    "code", "name", "series_code", "series_name", "series_year", "host", "organizer", "occupation", "level",
    "class", "standard_level", "mode", "team_size", "team_score", "min_age", "max_age",
    "worker_status_required", "min_level", "rounding_places", "scale", "awards_require", "approval",
    "unit_quota", "publicity_days", "appeal_window_minutes", "organization_award_best_n",
    *SCHEDULE_KEYS, "marking_scheme",
)
SECTIONS = {
    "components": ("key", "name", "max", "weight", "pass"),
    "tie_breakers": ("kind", "component", "direction"),
    "bands": ("name", "kind", "value", "last", "min"),
    "benefits": ("kind", "level", "cap", "name", "first", "last", "requires"),
    "stages": ("key", "name", "scope", "top", "min_total"),
}
# The columns that, all empty, make a row empty (selects always hold a value).
MEANINGFUL = {
    "components": ("key", "name", "max", "weight", "pass"),
    "tie_breakers": ("component",),
    "bands": ("name", "value", "last", "min"),
    "benefits": ("level", "name", "first", "last"),
    "stages": ("key", "name", "top", "min_total"),
}
PERCENT_KINDS = ("top_fraction", "quota_ratio")
BENEFIT_KINDS = ("promote_to", "promote_step", "title", "recommend")
REQUIREMENTS = ("worker_status", "all_pass", "award")
SECTION_LABELS = {
    "components": gettext_lazy("Components"),
    "tie_breakers": gettext_lazy("Tie-breakers"),
    "bands": gettext_lazy("Award bands"),
    "benefits": gettext_lazy("Promotions and honours"),
    "stages": gettext_lazy("Rounds"),
}


# ---- From a spec to the form -------------------------------------------------------

def _text(value):
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return f"{value.normalize():f}"
    return str(value)


def _percent(value):
    return "" if value is None else _text(Decimal(value) * 100)


def _local(value):
    """A schedule value for <input type=datetime-local>, in China time."""
    if value is None:
        return ""
    if not isinstance(value, dt.datetime):
        return f"{value.isoformat()}T00:00"
    if value.tzinfo is not None:
        value = value.astimezone(dt.timezone(dt.timedelta(hours=8)))
    return value.strftime("%Y-%m-%dT%H:%M")


def _band_row(band):
    row = {"name": band.get("name") or "", "kind": "quota_ratio", "value": "", "last": "", "min": ""}
    for kind in BAND_KINDS:
        if kind in band:
            row["kind"] = kind
            value = band[kind]
            if kind == "rank_range":
                row["value"], row["last"] = _text(value[0]), _text(value[1])
            elif kind in PERCENT_KINDS:
                row["value"] = _percent(value)
            else:
                row["value"] = _text(value)
    row["min"] = _text(band.get("min"))
    return row


def _benefit_row(rule):
    row = {"kind": "title", "level": "", "cap": "1", "name": "", "first": _text(rule["rank_range"][0]),
           "last": _text(rule["rank_range"][1]), "requires": list(rule["requires"])}
    if "promote" in rule:
        promote = rule["promote"]
        row["kind"] = "promote_step" if promote.get("step") else "promote_to"
        row["level"], row["cap"] = _text(promote.get("to")), _text(promote["cap"])
    else:
        row["kind"] = "title" if "title" in rule else "recommend"
        row["name"] = rule[row["kind"]]["name"]
    return row


def state_from_spec(spec):
    """The form's state for a spec (any form load_spec takes)."""
    spec = load_spec(spec)
    eligibility = spec["eligibility"]
    schedule = spec["schedule"] or {}
    fields = {
        "code": spec["code"], "name": spec["name"], "series_code": spec["series"]["code"],
        "series_name": spec["series"]["name"], "series_year": _text(spec["series"]["year"]),
        "host": spec["host"], "organizer": _text(spec["organizer"]), "occupation": spec["occupation"],
        "level": spec["level"], "class": spec["class"], "standard_level": _text(spec["standard_level"]),
        "mode": spec["mode"], "team_size": _text(spec["team_size"]), "team_score": spec["team_score"],
        "min_age": _text(eligibility["min_age"]), "max_age": _text(eligibility["max_age"]),
        "worker_status_required": "on" if eligibility["worker_status_required"] else "",
        "min_level": _text(eligibility["min_level"]), "rounding_places": _text(spec["rounding"]["places"]),
        "scale": spec["scale"], "awards_require": "on" if spec["awards"]["require"] == "all_pass" else "",
        "approval": spec["approval"], "unit_quota": _text(spec["unit_quota"]),
        "publicity_days": _text(spec["publicity_days"]),
        "appeal_window_minutes": _text(spec["appeal_window_minutes"]),
        "organization_award_best_n": _text((spec["organization_award"] or {}).get("best_n")),
        **{key: _local(schedule.get(key)) for key in SCHEDULE_KEYS},
        "marking_scheme": dump_fragment(spec["marking_scheme"]) if spec["marking_scheme"] else "",
    }
    return {
        "fields": fields,
        "components": [{"key": c["key"], "name": c["name"], "max": _text(c["max"]),
                        "weight": _percent(c["weight"]), "pass": _text(c["pass"])} for c in spec["components"]],
        "tie_breakers": [dict(zip(("kind", "component", "direction"), rule.split(":"), strict=True))
                         for rule in spec["ranking"]["tie_breakers"]],
        "bands": [_band_row(band) for band in spec["awards"]["bands"]],
        "benefits": [_benefit_row(rule) for rule in spec["benefits"]],
        "stages": [{"key": s["key"], "name": s["name"], "scope": s["scope"] or "",
                    "top": _text((s["advance"] or {}).get("top")),
                    "min_total": _text((s["advance"] or {}).get("min_total"))} for s in spec["stages"]],
    }


def blank_row(section):
    row = dict.fromkeys(SECTIONS[section], "")
    row.update({
        "tie_breakers": {"kind": "component", "direction": "desc"},
        "bands": {"kind": "quota_ratio"},
        "benefits": {"kind": "promote_to", "cap": "1", "requires": ["worker_status", "all_pass"]},
    }.get(section, {}))
    return row


# ---- From the posted form to a raw spec ----------------------------------------------

ROW_NAME = re.compile(r"^(?P<section>[a-z_]+)-(?P<index>\d+)-(?P<column>[a-z_]+)$")


def state_from_post(post):
    """The form's state from request.POST, rows in the order of their indices, empty
    rows dropped (removing a row in the page just leaves a gap in the indices)."""
    fields = {name: post.get(name, "").strip() for name in FIELDS}
    fields["marking_scheme"] = post.get("marking_scheme", "").strip("\n")
    rows = {section: {} for section in SECTIONS}
    for name in post:
        match = ROW_NAME.match(name)
        if not match or match["section"] not in SECTIONS or match["column"] not in SECTIONS[match["section"]]:
            continue
        section, column = match["section"], match["column"]
        fresh = blank_row(section) | ({"requires": []} if section == "benefits" else {})
        row = rows[section].setdefault(int(match["index"]), fresh)
        row[column] = post.getlist(name) if column == "requires" else post.get(name, "").strip()
    state = {"fields": fields}
    for section, by_index in rows.items():
        state[section] = [row for _i, row in sorted(by_index.items())
                          if any(row.get(column) for column in MEANINGFUL[section])]
    return state


def _int(text):
    """Whole numbers become ints; anything else stays text for the spec to refuse."""
    if text is None or text == "":
        return None
    return int(text) if re.fullmatch(r"[+-]?\d+", text) else text


def _dec(text):
    return None if text == "" else text


def _from_percent(text):
    if text == "":
        return None
    try:
        return f"{(Decimal(text) / 100).normalize():f}"
    except InvalidOperation:
        return text


def _schedule_value(text):
    """A datetime-local value as the spec writes it: a midnight as the date alone."""
    if text.endswith("T00:00"):
        return text[:10]
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}", text):
        return f"{text}:00+08:00"
    return text


def _put(target, key, value):
    if value is not None and value != "" and value != []:
        target[key] = value


def _band(row):
    band = {"name": row["name"] or None}
    kind = row["kind"] if row["kind"] in BAND_KINDS else "quota_ratio"
    if kind == "rank_range":
        band[kind] = [_int(row["value"]), _int(row["last"])]
    elif kind in PERCENT_KINDS:
        band[kind] = _from_percent(row["value"])
    elif kind == "quota_count":
        band[kind] = _int(row["value"])
    else:
        band[kind] = _dec(row["value"])
    if row.get("min"):
        band["min"] = _int(row["min"])
    return band


def _benefit(row):
    rule = {}
    kind = row["kind"] if row["kind"] in BENEFIT_KINDS else "title"
    if kind == "promote_to":
        rule["promote"] = {"to": _int(row["level"]), "cap": _int(row["cap"]) or 1}
    elif kind == "promote_step":
        rule["promote"] = {"step": 1, "cap": _int(row["cap"]) or 1}
    else:
        rule[kind] = {"name": row["name"] or None}
    rule["rank_range"] = [_int(row["first"]), _int(row["last"])]
    rule["requires"] = [r for r in REQUIREMENTS if r in (row.get("requires") or [])]
    return rule


def _stage(row):
    stage = {"key": row["key"] or None, "name": row["name"] or None}
    _put(stage, "scope", row["scope"])
    if row["top"] or row["min_total"]:
        stage["advance"] = {}
        _put(stage["advance"], "top", _int(row["top"]))
        _put(stage["advance"], "min_total", _dec(row["min_total"]))
    return stage


def spec_from_state(state):
    """(raw spec, problems of its own): the marking scheme's YAML may not parse."""
    f = state["fields"]
    raw = {}
    for key in ("code", "name", "host", "organizer", "occupation", "level", "class", "mode", "team_score",
                "scale", "approval"):
        _put(raw, key, f[key])
    raw["series"] = {"code": f["series_code"] or None, "name": f["series_name"] or None,
                     "year": _int(f["series_year"])}
    for key in ("standard_level", "unit_quota", "publicity_days", "appeal_window_minutes"):
        _put(raw, key, _int(f[key]))
    if f["team_size"] and not (f["mode"] == "individual" and f["team_size"] == "1"):
        raw["team_size"] = _int(f["team_size"])
    eligibility = {"worker_status_required": bool(f["worker_status_required"])}
    for key in ("min_age", "max_age", "min_level"):
        _put(eligibility, key, _int(f[key]))
    raw["eligibility"] = eligibility
    if f["rounding_places"]:
        raw["rounding"] = {"places": _int(f["rounding_places"])}
    raw["components"] = [
        {"key": r["key"] or None, "name": r["name"] or None, "max": _dec(r["max"]),
         "weight": _from_percent(r["weight"]), **({"pass": r["pass"]} if r["pass"] else {})}
        for r in state["components"]
    ]
    raw["ranking"] = {"tie_breakers": [f"{r['kind']}:{r['component']}:{r['direction']}"
                                       for r in state["tie_breakers"]]}
    raw["awards"] = {"require": "all_pass" if f["awards_require"] else "none",
                     "bands": [_band(r) for r in state["bands"]]}
    raw["benefits"] = [_benefit(r) for r in state["benefits"]]
    if state["stages"]:
        raw["stages"] = [_stage(r) for r in state["stages"]]
    schedule = {key: _schedule_value(f[key]) for key in SCHEDULE_KEYS if f[key]}
    if schedule:
        raw["schedule"] = schedule
    if f["organization_award_best_n"]:
        raw["organization_award"] = {"best_n": _int(f["organization_award_best_n"])}
    problems = []
    if f["marking_scheme"].strip():
        try:
            raw["marking_scheme"] = parse_yaml(f["marking_scheme"])
        except SpecError as error:
            problems = [SpecProblem(f"marking_scheme.{p.path}".rstrip("."), p.code, p.params)
                        for p in error.problems]
    return raw, problems


# ---- Problems next to their fields --------------------------------------------------

_ROUTES = [
    (r"components\[(\d+)\]\.(key|name|max|weight|pass)", "components-{0}-{1}"),
    (r"components\[(\d+)\].*", "components-{0}"),
    (r"components", "components"),
    (r"ranking\.tie_breakers\[(\d+)\]", "tie_breakers-{0}-component"),
    (r"ranking.*", "tie_breakers"),
    (r"awards\.bands\[(\d+)\]\.name", "bands-{0}-name"),
    (r"awards\.bands\[(\d+)\]\.rank_range\[1\]", "bands-{0}-last"),
    (r"awards\.bands\[(\d+)\]\.min", "bands-{0}-min"),
    (r"awards\.bands\[(\d+)\]\.[a-z_]+(\[0\])?", "bands-{0}-value"),
    (r"awards\.bands\[(\d+)\]", "bands-{0}"),
    (r"awards\.require", "awards_require"),
    (r"awards.*", "bands"),
    (r"benefits\[(\d+)\]\.promote\.to", "benefits-{0}-level"),
    (r"benefits\[(\d+)\]\.promote\.cap", "benefits-{0}-cap"),
    (r"benefits\[(\d+)\]\.promote.*", "benefits-{0}-kind"),
    (r"benefits\[(\d+)\]\.(title|recommend).*", "benefits-{0}-name"),
    (r"benefits\[(\d+)\]\.rank_range\[1\]", "benefits-{0}-last"),
    (r"benefits\[(\d+)\]\.rank_range.*", "benefits-{0}-first"),
    (r"benefits\[(\d+)\]\.requires.*", "benefits-{0}-requires"),
    (r"benefits\[(\d+)\].*", "benefits-{0}"),
    (r"benefits.*", "benefits"),
    (r"stages\[(\d+)\]\.(key|name|scope)", "stages-{0}-{1}"),
    (r"stages\[(\d+)\]\.advance\.min_total", "stages-{0}-min_total"),
    (r"stages\[(\d+)\]\.advance.*", "stages-{0}-top"),
    (r"stages\[(\d+)\].*", "stages-{0}"),
    (r"stages.*", "stages"),
    (r"series\.(code|name|year)", "series_{0}"),
    (r"series.*", "series_code"),
    (r"eligibility\.(min_age|max_age|worker_status_required|min_level)", "{0}"),
    (r"rounding.*", "rounding_places"),
    (r"schedule\.(registration_opens|registration_closes|starts|ends)", "{0}"),
    (r"organization_award.*", "organization_award_best_n"),
    (r"marking_scheme.*", "marking_scheme"),
    (r"(code|name|host|organizer|occupation|level|class|standard_level|mode|team_size|team_score|scale|"
     r"approval|unit_quota|publicity_days|appeal_window_minutes|reason)", "{0}"),
]
_ROUTES = [(re.compile(f"^{pattern}$"), target) for pattern, target in _ROUTES]


def field_for(path):
    """The form field (or row, or section) where the problem at spec `path` shows, or
    None for the spec as a whole."""
    for pattern, target in _ROUTES:
        match = pattern.match(path or "")
        if match:
            return target.format(*match.groups())
    return None


def _weights_sum(state):
    total = Decimal(0)
    for row in state["components"]:
        try:
            total += Decimal(row["weight"] or 0)
        except InvalidOperation:
            return None
    return total


def place_problems(problems, state):
    """(problems by field, problems for the list at the top). Each problem is a dict
    with "where" (a readable location), "message" and "field" (the input's name or
    None). Messages about weights and ratios speak in percent, as the form does."""
    by_field, listed = {}, []
    for problem in problems:
        where = problem.where or ""
        message = str(problem.message)
        if problem.code == "weights_sum":
            total = _weights_sum(state)
            if total is not None:
                message = _("The weights must add up to 100%%; they add up to %(sum)s%%.") % {
                    "sum": f"{total.normalize():f}"}
        elif problem.code == "not_a_fraction" and where.startswith("awards.bands"):
            message = _("Enter a percentage above 0 and at most 100.")
        field = field_for(where)
        item = {"where": location(field) if field else "", "message": message, "field": field}
        listed.append(item)
        if field:
            by_field.setdefault(field, []).append(message)
    return by_field, listed


FIELD_LABELS = {
    "code": gettext_lazy("Code"), "name": gettext_lazy("Competition name"), "series_code": gettext_lazy("Series code"),
    "series_name": gettext_lazy("Series name"), "series_year": gettext_lazy("Year"),
    "host": gettext_lazy("Host"), "organizer": gettext_lazy("Organizing unit"),
    "occupation": gettext_lazy("Trade (occupation)"), "level": gettext_lazy("Competition level"),
    "class": gettext_lazy("Competition class"),
    "standard_level": gettext_lazy("Tasks set at"), "mode": gettext_lazy("Individual or team"),
    "team_size": gettext_lazy("Team size"), "team_score": gettext_lazy("Team score"),
    "min_age": gettext_lazy("Minimum age"), "max_age": gettext_lazy("Maximum age"),
    "worker_status_required": gettext_lazy("Workers only"), "min_level": gettext_lazy("Minimum skill level"),
    "rounding_places": gettext_lazy("Decimal places"), "scale": gettext_lazy("Scale"),
    "awards_require": gettext_lazy("Awards need every component passed"),
    "approval": gettext_lazy("Approval mode"), "unit_quota": gettext_lazy("Entries per unit"),
    "publicity_days": gettext_lazy("Publicity days"),
    "appeal_window_minutes": gettext_lazy("Appeal window (minutes)"),
    "organization_award_best_n": gettext_lazy("Organization award: best results counted"),
    "registration_opens": gettext_lazy("Registration opens"),
    "registration_closes": gettext_lazy("Registration closes"), "starts": gettext_lazy("Starts"),
    "ends": gettext_lazy("Ends"), "marking_scheme": gettext_lazy("Marking scheme"),
    "reason": gettext_lazy("Reason for the change"),
}
COLUMN_LABELS = {
    "key": gettext_lazy("Key"), "name": gettext_lazy("Item name"), "max": gettext_lazy("Full marks"),
    "weight": gettext_lazy("Weight"), "pass": gettext_lazy("Pass mark"), "kind": gettext_lazy("Kind"),
    "component": gettext_lazy("Component"), "direction": gettext_lazy("Order"),
    "value": gettext_lazy("Value"), "last": gettext_lazy("To rank"), "min": gettext_lazy("At least"),
    "level": gettext_lazy("To level"), "cap": gettext_lazy("Highest level"),
    "first": gettext_lazy("From rank"), "requires": gettext_lazy("Requires"),
    "scope": gettext_lazy("Held in each"), "top": gettext_lazy("Top N go on"),
    "min_total": gettext_lazy("Minimum total to go on"),
}


def location(field):
    """A readable name for a form field: "Components, row 2: Weight"."""
    parts = field.split("-")
    if parts[0] in SECTIONS:
        section = SECTION_LABELS[parts[0]]
        if len(parts) == 1:
            return str(section)
        row = _("%(section)s, row %(row)s") % {"section": section, "row": int(parts[1]) + 1}
        return f"{row}: {COLUMN_LABELS[parts[2]]}" if len(parts) == 3 else row
    return str(FIELD_LABELS.get(field, field))

