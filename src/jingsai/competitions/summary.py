"""A competition's rules in plain words, the way an organizer says them:
"理论知识 30%、操作技能 70%，各60分及格；一等奖前10%（至少1名）…；前5名晋升二级/技师…；
区级选拔赛按区分赛区，每区前3名晋级市级决赛".

`describe(spec)` takes a spec in any form load_spec accepts and returns
[(topic, sentence)] in the active language, for the competition pages, the rule editor
and the API.
"""

from decimal import Decimal

from django.utils.text import capfirst
from django.utils.translation import get_language, ngettext, pgettext
from django.utils.translation import gettext as _

from jingsai.orgs.models import OrgType
from jingsai.people.models import Level

from .models import CompetitionClass, CompetitionLevel, Mode
from .spec import aspects_of, load_spec


def _number(value):
    return f"{Decimal(value).normalize():f}"


def _percent(fraction):
    return f"{_number(Decimal(fraction) * 100)}%"


def _join(items):
    return pgettext("list separator", ", ").join(str(i) for i in items)


def _clauses(items):
    return capfirst(pgettext("clause separator", "; ").join(str(i) for i in items))


def _sentences(*items):
    """Sentences one after another: Chinese puts no space between them."""
    separator = "" if (get_language() or "").startswith("zh") else " "
    return separator.join(str(i) for i in items if i)


def _level(code):
    return Level(code).label


def _ranks(rank_range):
    first, last = rank_range
    if last is None:
        return _("rank %(first)s and below") % {"first": first}
    if first == last:
        return _("rank %(first)s") % {"first": first}
    if first == 1:
        return _("the top %(last)s") % {"last": last}
    return _("ranks %(first)s to %(last)s") % {"first": first, "last": last}


def _components(spec):
    components = spec["components"]
    parts = []
    for c in components:
        if c["max"] == 100:
            parts.append(f"{c['name']} {_percent(c['weight'])}")
        else:
            parts.append(_("%(name)s %(weight)s (out of %(max)s)") % {
                "name": c["name"], "weight": _percent(c["weight"]), "max": _number(c["max"])})
    marks = [c["pass"] for c in components]
    if all(m is not None for m in marks) and len(set(marks)) == 1:
        passing = (_("each passes at %(pass)s") if len(components) > 1 else _("passes at %(pass)s")) % {
            "pass": _number(marks[0])}
    else:
        passing = _join(_("%(name)s passes at %(pass)s") % {"name": c["name"], "pass": _number(c["pass"])}
                        for c in components if c["pass"] is not None)
    text = _("%(parts)s, %(passing)s") % {"parts": _join(parts), "passing": passing} if passing else _join(parts)
    places = spec["rounding"]["places"]
    total = ngettext(
        "The total is the weighted sum on a scale of 100, rounded to %(places)s decimal place.",
        "The total is the weighted sum on a scale of 100, rounded to %(places)s decimal places.",
        places,
    ) % {"places": places} if places else _("The total is the weighted sum on a scale of 100, rounded to "
                                             "a whole number.")
    return _sentences(text + pgettext("sentence end", "."), total)


def _tie_breakers(spec):
    names = {c["key"]: c["name"] for c in spec["components"]}
    items = []
    for rule in spec["ranking"]["tie_breakers"]:
        kind, key, direction = rule.split(":")
        name = names.get(key, key)
        text = {
            ("component", "desc"): _("higher %(name)s first"),
            ("component", "asc"): _("lower %(name)s first"),
            ("time", "asc"): _("less time on %(name)s first"),
            ("time", "desc"): _("more time on %(name)s first"),
        }[(kind, direction)]
        items.append(text % {"name": name})
    if not items:
        return _("Equal totals share a rank.")
    return _("Equal totals are separated by: %(rules)s; entries equal on all of them share a rank.") % {
        "rules": _join(items)}


def _band(band, first):
    name = band["name"]
    if "rank_range" in band:
        return _("%(name)s: %(ranks)s") % {"name": name, "ranks": _ranks(band["rank_range"])}
    if "top_fraction" in band:
        return _("%(name)s: ranks within the top %(percent)s") % {
            "name": name, "percent": _percent(band["top_fraction"])}
    if "quota_ratio" in band:
        values = {"name": name, "percent": _percent(band["quota_ratio"]), "min": band.get("min")}
        if band.get("min"):
            text = (_("%(name)s: the top %(percent)s (at least %(min)s)") if first
                    else _("%(name)s: the next %(percent)s (at least %(min)s)"))
        else:
            text = _("%(name)s: the top %(percent)s") if first else _("%(name)s: the next %(percent)s")
        return text % values
    if "quota_count" in band:
        text = _("%(name)s: the top %(count)s") if first else _("%(name)s: the next %(count)s")
        return text % {"name": name, "count": band["quota_count"]}
    return _("%(name)s: a scale score of %(score)s or more") % {
        "name": name, "score": _number(band["scale_at_least"])}


def _awards(spec):
    bands = spec["awards"]["bands"]
    if not bands:
        text = _("No awards are set.")
    else:
        text = _clauses(_band(band, i == 0) for i, band in enumerate(bands)) + pgettext("sentence end", ".")
        if spec["awards"]["require"] == "all_pass":
            text = _sentences(text, _("Only contestants who pass every component can win an award."))
    if spec["scale"] == "worldskills":
        text = _sentences(text, _("Totals are also put on the WorldSkills scale (the median scores 700)."))
    return text


REQUIREMENT_NAMES = {
    "worker_status": lambda: _("worker status"),
    "all_pass": lambda: _("passing every component"),
    "award": lambda: _("an award"),
}


def _benefit(rule):
    ranks = _ranks(rule["rank_range"])
    if "promote" in rule:
        promote = rule["promote"]
        cap = promote["cap"]
        if promote.get("step"):
            text = _("%(ranks)s go up one skill level (at most to %(cap)s)") % {"ranks": ranks, "cap": _level(cap)}
        else:
            to = promote["to"]
            text = _("%(ranks)s are promoted to %(level)s") % {"ranks": ranks, "level": _level(to)}
            if to - 1 >= cap:
                text += _(" (those who already hold it, to %(level)s)") % {"level": _level(to - 1)}
            else:
                text += _(" (not those who already hold it)")
    elif "title" in rule:
        text = _("%(ranks)s receive the title “%(name)s”") % {"ranks": ranks, "name": rule["title"]["name"]}
    else:
        text = _("%(ranks)s are recommended for the %(name)s") % {"ranks": ranks, "name": rule["recommend"]["name"]}
    if rule["requires"]:
        text += _(" (requires %(conditions)s)") % {
            "conditions": _join(REQUIREMENT_NAMES[r]() for r in rule["requires"])}
    return text


def _benefits(spec):
    rules = spec["benefits"]
    text = _clauses(_benefit(rule) for rule in rules) + pgettext("sentence end", ".")
    if any("promote" in rule for rule in rules):
        text = _sentences(text, _("A person is promoted at most once a year."))
    return text


def _scope_name(scope):
    return str(OrgType(scope).label).lower()


def _stages(spec):
    stages = spec["stages"]
    parts = []
    for i, stage in enumerate(stages):
        advance = stage["advance"]
        following = stages[i + 1]["name"] if i + 1 < len(stages) else None
        scope = _scope_name(stage["scope"]) if stage["scope"] else None
        values = {"stage": stage["name"], "scope": scope, "next": following}
        if advance:
            values.update(top=advance["top"], min=_number(advance["min_total"]) if advance["min_total"] else None)
            if advance["top"] and advance["min_total"] is not None:
                who = (_("the top %(top)s of each %(scope)s with a total of at least %(min)s") if scope
                       else _("the top %(top)s with a total of at least %(min)s")) % values
            elif advance["top"]:
                who = (_("the top %(top)s of each %(scope)s") if scope else _("the top %(top)s")) % values
            else:
                who = _("those with a total of at least %(min)s") % values
            values["who"] = who
            text = (_("%(stage)s, held in each %(scope)s: %(who)s go on to %(next)s") if scope
                    else _("%(stage)s: %(who)s go on to %(next)s")) % values
        elif scope:
            text = _("%(stage)s, held in each %(scope)s") % values
        elif i and stages[i - 1]["advance"]:
            continue  # named already as where the previous round leads
        else:
            text = stage["name"]
        parts.append(text)
    text = _clauses(parts) + pgettext("sentence end", ".")
    if any(s["scope"] for s in stages):
        text = _sentences(text, _("Ranks, awards and benefits are decided within each division."))
    return text


def _eligibility(spec):
    rules = spec["eligibility"]
    items = []
    low, high = rules["min_age"], rules["max_age"]
    if low is not None and high is not None:
        items.append(_("aged %(min)s to %(max)s on the competition date") % {"min": low, "max": high})
    elif low is not None:
        items.append(_("at least %(min)s years old on the competition date") % {"min": low})
    elif high is not None:
        items.append(_("at most %(max)s years old on the competition date") % {"max": high})
    if rules["worker_status_required"]:
        items.append(_("workers only, not students"))
    if rules["min_level"] is not None:
        items.append(_("holding %(level)s or higher") % {"level": _level(rules["min_level"])})
    if not items:
        return _("No conditions of age, status or skill level.")
    return capfirst(_join(items)) + pgettext("sentence end", ".")


def _duration(minutes):
    if minutes % (24 * 60) == 0:
        days = minutes // (24 * 60)
        return ngettext("%(count)s day", "%(count)s days", days) % {"count": days}
    if minutes % 60 == 0:
        hours = minutes // 60
        return ngettext("%(count)s hour", "%(count)s hours", hours) % {"count": hours}
    return ngettext("%(count)s minute", "%(count)s minutes", minutes) % {"count": minutes}


def _registration(spec):
    items = [_("Entries are approved by the unit, then by the host.") if spec["approval"] == "unit_then_host"
             else _("Entries are approved by the host.")]
    if spec["unit_quota"]:
        items.append(ngettext("At most %(count)s entry per unit.", "At most %(count)s entries per unit.",
                              spec["unit_quota"]) % {"count": spec["unit_quota"]})
    items.append(ngettext(
        "Results are shown publicly for %(days)s day before they are final.",
        "Results are shown publicly for %(days)s days before they are final.",
        spec["publicity_days"],
    ) % {"days": spec["publicity_days"]})
    items.append(_("Appeals are accepted for %(window)s after the results are shown.") % {
        "window": _duration(spec["appeal_window_minutes"])})
    if spec["organization_award"]:
        best = spec["organization_award"]["best_n"]
        items.append(ngettext("The organization award counts each unit's best result.",
                              "The organization award counts each unit's best %(count)s results.", best)
                     % {"count": best})
    return _sentences(*items)


def _format(spec):
    parts = [CompetitionLevel(spec["level"]).label, CompetitionClass(spec["class"]).label]
    if spec["mode"] == "team":
        team = (ngettext("teams of %(count)s, scored by the sum of the members' totals",
                         "teams of %(count)s, scored by the sum of the members' totals", spec["team_size"])
                if spec["team_score"] == "sum" else
                ngettext("teams of %(count)s, scored by the mean of the members' totals",
                         "teams of %(count)s, scored by the mean of the members' totals", spec["team_size"]))
        teams = team % {"count": spec["team_size"]}
        parts.append(_("%(mode)s (%(teams)s)") % {"mode": Mode.TEAM.label, "teams": teams})
    else:
        parts.append(Mode.INDIVIDUAL.label)
    if spec["standard_level"] is not None:
        parts.append(_("tasks set at %(level)s") % {"level": _level(spec["standard_level"])})
    return _join(parts) + pgettext("sentence end", ".")


def _marking(spec):
    scheme = spec["marking_scheme"]
    names = {c["key"]: c["name"] for c in spec["components"]}
    aspects = aspects_of(scheme)
    count = {kind: sum(1 for a in aspects if a["type"] == kind) for kind in ("M", "J", "S")}
    return _("%(component)s is marked on a scheme of %(criteria)s criteria and %(aspects)s aspects "
             "(%(m)s measured, %(j)s judged, %(s)s scored).") % {
        "component": names.get(scheme["component"], scheme["component"]),
        "criteria": len(scheme["criteria"]), "aspects": len(aspects),
        "m": count["M"], "j": count["J"], "s": count["S"]}


def describe(spec):
    """[(topic, sentence)] describing the rules, in the active language."""
    spec = load_spec(spec)
    lines = [
        (_("Competition format"), _format(spec)),
        (_("Total score"), _components(spec)),
        (_("Ties"), _tie_breakers(spec)),
        (_("Awards given"), _awards(spec)),
    ]
    if spec["benefits"]:
        lines.append((_("Promotions and honours"), _benefits(spec)))
    if len(spec["stages"]) > 1 or spec["stages"][0]["scope"]:
        lines.append((_("Rounds"), _stages(spec)))
    lines.append((_("Who may enter"), _eligibility(spec)))
    lines.append((_("Registration and results"), _registration(spec)))
    if spec["marking_scheme"]:
        lines.append((_("Marking"), _marking(spec)))
    return lines
