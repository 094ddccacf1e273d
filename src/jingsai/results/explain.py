"""The engine's explanation codes in words, in the reader's language.

The engine explains with codes and parameters only (results/engine.py, "Explain"); this
module turns them into sentences for the explanation page, and turns its input problems
into messages for people importing or computing."""

from dataclasses import dataclass, field

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from jingsai.core.numbers import fraction_to_decimal
from jingsai.people.models import Level

# --------------------------------------------------------------------------
# Input problems
# --------------------------------------------------------------------------

PROBLEMS = {
    "invalid_entry_number": gettext_lazy("An entry number is missing or not a whole number."),
    "duplicate_entry": gettext_lazy("Entry %(entry)s appears twice."),
    "unknown_component": gettext_lazy("Entry %(entry)s has a score for “%(key)s”, which is not a component."),
    "float_not_allowed": gettext_lazy("Entry %(entry)s: the score %(value)s is not an exact decimal."),
    "bool_not_allowed": gettext_lazy("Entry %(entry)s: %(value)s is not a score."),
    "not_a_number": gettext_lazy("Entry %(entry)s: %(value)s is not a number."),
    "not_finite": gettext_lazy("Entry %(entry)s: %(value)s is not a number."),
    "score_out_of_range": gettext_lazy("Entry %(entry)s: the score %(value)s is not between 0 and %(max)s."),
    "unknown_time_component": gettext_lazy("Entry %(entry)s has a time for “%(key)s”, which is not a component."),
    "invalid_time": gettext_lazy("Entry %(entry)s: the time %(value)s is not a whole number of seconds."),
    "invalid_status": gettext_lazy("Entry %(entry)s: the status %(value)s is unknown."),
    "invalid_worker_status": gettext_lazy("Entry %(entry)s: the worker status %(value)s is unknown."),
    "invalid_level": gettext_lazy("Entry %(entry)s: the skill level %(value)s is unknown."),
    "invalid_members": gettext_lazy("Team %(entry)s has no members."),
    "team_size_mismatch": gettext_lazy("Team %(entry)s has %(count)s members; the rules ask for %(team_size)s."),
    "invalid_spec": gettext_lazy("The rules are invalid at %(path)s (%(reason)s)."),
}


def engine_problem_message(problem):
    template = PROBLEMS.get(problem["code"], gettext_lazy("Entry %(entry)s: invalid input (%(code)s)."))
    params = {"entry": problem.get("entry"), "code": problem["code"], "key": problem.get("component"),
              **problem.get("params", {})}
    return str(template) % params


# --------------------------------------------------------------------------
# Words for rules and values
# --------------------------------------------------------------------------


def level_name(code):
    if code is None:
        return _("no skill level")
    try:
        return Level(code).label
    except ValueError:
        return str(code)


def component_names(spec):
    return {c["key"]: c["name"] for c in spec.get("components", [])}


def tie_breaker_name(label, spec):
    kind, key, direction = label.split(":")
    name = component_names(spec).get(key, key)
    if kind == "component":
        if direction == "desc":
            return _("the higher %(component)s score") % {"component": name}
        return _("the lower %(component)s score") % {"component": name}
    if direction == "asc":
        return _("the shorter time on %(component)s") % {"component": name}
    return _("the longer time on %(component)s") % {"component": name}


def range_text(low, high):
    if high is None:
        return _("rank %(low)s or below") % {"low": low}
    if low == high:
        return _("rank %(low)s") % {"low": low}
    return _("ranks %(low)s to %(high)s") % {"low": low, "high": high}


def benefit_name(rule):
    if "promote" in rule:
        body = rule["promote"]
        if "step" in body:
            return _("promotion by one skill level")
        return _("promotion to %(level)s") % {"level": level_name(body["to"])}
    if "title" in rule:
        return _("the title “%(name)s”") % {"name": rule["title"]["name"]}
    return _("a recommendation for “%(name)s”") % {"name": rule["recommend"]["name"]}


REQUIREMENT_NAMES = {
    "worker_status": gettext_lazy("worker status (students are not eligible)"),
    "all_pass": gettext_lazy("a pass in every component that has a pass mark"),
    "award": gettext_lazy("an award"),
}


def seconds_text(seconds):
    if seconds is None:
        return _("no time recorded")
    minutes, rest = divmod(int(seconds), 60)
    return _("%(minutes)s min %(seconds)s s") % {"minutes": minutes, "seconds": rest}


# --------------------------------------------------------------------------
# The explanation of one result
# --------------------------------------------------------------------------


@dataclass
class ComponentLine:
    key: str
    name: str
    recorded: str | None
    rounded: str | None
    max: str
    weight: str
    pass_mark: str | None
    passed: bool | None
    contribution: str | None
    exact: bool = True
    source: str = ""
    how: list = field(default_factory=list)  # sentences on how the score was obtained
    aspects: list = field(default_factory=list)  # a judged component's aspects
    link: str = ""  # the exam paper a theory score came from


@dataclass
class Explanation:
    status: str
    components: list
    total: list
    rank: list
    scale: list
    awards: list
    benefits: list
    advance: list


def _status_sentence(status, names):
    code, params = status["code"], status.get("params", {})
    if code == "ranked":
        return _("Every component has a score, so the entry is ranked.")
    if code == "missing_components":
        missing = "、".join(names.get(k, k) for k in params.get("components", []))
        return _("No score is recorded for %(components)s, so the entry counts as absent (缺考): it has no total, "
                 "no rank and nothing that depends on them.") % {"components": missing}
    if code == "marked_absent":
        return _("The entry is marked absent (缺考): it has no total, no rank and nothing that depends on them.")
    if code == "marked_disqualified":
        return _("The entry is disqualified (取消资格): it has no total, no rank and nothing that depends on them.")
    if code == "member_absent":
        return _("A member of the team is absent or has a score missing, so the team counts as absent.")
    return _("A member of the team is disqualified, so the team is disqualified.")


def _component_lines(explain_components, spec):
    names = component_names(spec)
    lines = []
    for item in explain_components:
        if "aggregate" in item:  # a team: sum or mean of the members' scores
            lines.append(ComponentLine(
                key=item["key"], name=names.get(item["key"], item["key"]), recorded=None, rounded=item["value"],
                max="", weight="", pass_mark=None, passed=None, contribution=None,
                how=[(_("Sum of the members' scores: %(scores)s") if item["aggregate"] == "sum"
                      else _("Mean of the members' scores: %(scores)s"))
                     % {"scores": "、".join(v or "—" for v in item["members"])}],
            ))
            continue
        lines.append(ComponentLine(
            key=item["key"], name=names.get(item["key"], item["key"]), recorded=item["recorded"],
            rounded=item["rounded"], max=item["max"], weight=item["weight"], pass_mark=item["pass"],
            passed=item["passed"], contribution=item["contribution"], exact=item["contribution_exact"],
        ))
    return lines


def _total_sentences(total, lines):
    if total is None:
        return []
    params = total["params"]
    if total["code"] == "weighted_sum":
        parts = " + ".join(f"{line.weight} × {line.rounded} × 100 / {line.max}" for line in lines)
        exact = params["sum"] if params["sum_exact"] else params["sum"] + "…"
        return [
            _("Total = Σ weight × score × 100 / maximum, with each component score rounded first:"),
            f"{parts} = {exact}",
            _("Rounded half up to %(places)s decimal places, the total is %(total)s.") % params,
        ]
    members = " + ".join(params["member_totals"])
    if total["code"] == "team_sum":
        return [_("The team's total is the sum of its members' totals: %(sum)s = %(total)s.")
                % {"sum": members, "total": params["total"]}]
    return [_("The team's total is the mean of its members' totals (%(totals)s), rounded half up to %(places)s "
              "decimal places: %(total)s.") % {"totals": members, "places": params["places"], "total": params["total"]}]


def _rank_sentences(rank, spec, numbers):
    if rank is None:
        return []
    out = [_("Rank %(rank)s of %(n)s ranked entries.") % {"rank": rank["rank"], "n": rank["n_ranked"]}]
    tied = rank["tied_on_total"]
    if tied["count"]:
        out.append(_("%(count)s other entries have the same total; the tie-breakers of the rules decide between "
                     "them, in order: %(breakers)s.") % {
            "count": tied["count"],
            "breakers": "；".join(tie_breaker_name(b, spec) for b in spec.get("ranking", {}).get("tie_breakers", []))
            or _("none (equal totals share a rank)"),
        })
    for item in rank["separated"]:
        values = {"entry": numbers(item["entry"]), "breaker": tie_breaker_name(item["key"], spec),
                  "own": _value_text(item["key"], item["own"]), "other": _value_text(item["key"], item["other"])}
        if item["position"] == "above":
            out.append(_("Entry %(entry)s ranks above with the same total: %(breaker)s comes first (theirs "
                         "%(other)s, yours %(own)s).") % values)
        else:
            out.append(_("Entry %(entry)s ranks below with the same total: %(breaker)s comes first (yours %(own)s, "
                         "theirs %(other)s).") % values)
    shares = rank["shares_rank_with"]
    if shares["count"]:
        out.append(_("Equal on the total and on every tie-breaker, %(count)s other entries share this rank (%(entries)s"
                     "); the next rank is skipped.") % {
            "count": shares["count"], "entries": "、".join(str(numbers(e)) for e in shares["entries"])})
    return out


def _value_text(label, value):
    if label.startswith("time:"):
        return seconds_text(value)
    return value


def _scale_sentences(scale):
    if not scale:
        return []
    return [_("WorldSkills scale: median %(median)s, median absolute deviation %(mad)s; the scale score is "
              "700 + 30 × (total − median) / (1.4826 × MAD), rounded: %(score)s.") % scale]


def _award_sentences(awards, award):
    out = []
    for item in awards:
        band, code, params = item["band"], item["code"], item.get("params") or {}
        values = {"band": band, **params}
        if code == "given":
            if params.get("tie_beyond_quota"):
                out.append(_("%(band)s: given. The quota of %(quota)s was full, but this entry shares the rank of the "
                             "last one taken, so it is taken too.") % values)
            elif "quota" in params:
                out.append(_("%(band)s: given, place %(position)s of a quota of %(quota)s.") % values)
            else:
                out.append(_("%(band)s: given.") % values)
        elif code == "already_awarded":
            out.append(_("%(band)s: not considered, the entry already received %(award)s.") % values)
        elif code == "not_eligible_failed_pass":
            out.append(_("%(band)s: not eligible, the rules require a pass in every component.") % values)
        elif code == "rank_outside_range":
            low, high = params["range"]
            out.append(_("%(band)s: goes to %(range)s; this entry is rank %(rank)s.")
                       % {"band": band, "range": range_text(low, high), "rank": params["rank"]})
        elif code == "quota_exhausted":
            out.append(_("%(band)s: its quota of %(quota)s was used up by entries ranked higher.") % values)
        elif code == "scale_below":
            out.append(_("%(band)s: needs a scale score of at least %(min)s; this entry has %(scale_score)s.") % values)
    if not awards:
        out.append(_("The rules give no awards."))
    elif not award:
        out.append(_("No award was given."))
    return out


def _benefit_sentences(benefits, spec):
    rules = spec.get("benefits") or []
    out = []
    for item in benefits:
        rule = rules[item["rule"]] if item["rule"] < len(rules) else {}
        name = benefit_name(rule) if rule else str(item["rule"])
        params = item.get("params") or {}
        code = item["code"]
        values = {"benefit": name}
        if code == "given":
            if item["kind"] == "promote":
                out.append(_("%(benefit)s: granted, from %(old)s to %(new)s.") % {
                    **values, "old": level_name(params.get("level")), "new": level_name(params.get("new_level"))})
            else:
                out.append(_("%(benefit)s: granted.") % values)
        elif code == "rank_outside_range":
            low, high = params["range"]
            out.append(_("%(benefit)s: for %(range)s; this entry is rank %(rank)s.")
                       % {**values, "range": range_text(low, high), "rank": params["rank"]})
        elif code.startswith("requires_"):
            missing = "、".join(str(REQUIREMENT_NAMES[r]) for r in params.get("missing", []))
            out.append(_("%(benefit)s: requires %(missing)s.") % {**values, "missing": missing})
        elif code == "level_already_at_or_above":
            out.append(_("%(benefit)s: not granted, the level at registration (%(level)s) is already at or above "
                         "it.") % {**values, "level": level_name(params.get("level"))})
        elif code == "cap_reached":
            out.append(_("%(benefit)s: not granted, it would go above %(cap)s, the highest level this competition "
                         "can grant (level at registration: %(level)s).")
                       % {**values, "cap": level_name(params.get("cap")), "level": level_name(params.get("level"))})
        elif code == "earlier_promote_rule_applied":
            out.append(_("%(benefit)s: not considered, an earlier promotion rule already applied.") % values)
        elif code == "promotion_already_granted_this_year":
            out.append(_("%(benefit)s: not granted, the person was already promoted this year by a competition "
                         "finalized earlier (one promotion per person per year).") % values)
    return out


def _advance_sentences(advance):
    if not advance:
        return []
    params = advance.get("params") or {}
    if advance["code"] == "advanced":
        return [_("Advances to the next stage.")]
    if advance["code"] == "rank_outside_top":
        return [_("Does not advance: the first %(top)s of the scope advance; this entry is rank %(rank)s.") % params]
    return [_("Does not advance: a total of at least %(min_total)s is needed; this entry has %(total)s.") % params]


def explain_result(result, spec, *, numbers=lambda n: n):
    """The explanation of one Result, as sentences. `numbers` maps an engine entry number
    to how it is shown (entry numbers are not secret; a public page may mask more)."""
    explain = result.explain or {}
    names = component_names(spec)
    lines = _component_lines(explain.get("components") or [], spec)
    return Explanation(
        status=_status_sentence(explain["status"], names) if explain.get("status") else "",
        components=lines,
        total=_total_sentences(explain.get("total"), lines),
        rank=_rank_sentences(explain.get("rank"), spec, numbers),
        scale=_scale_sentences(explain.get("scale")),
        awards=_award_sentences(explain.get("awards") or [], result.award) if explain.get("rank") else [],
        benefits=_benefit_sentences(explain.get("benefits") or [], spec),
        advance=_advance_sentences(explain.get("advance")),
    )


def explain_member(member, spec):
    """The explanation of one team member's own scores and benefits."""
    explain = member.get("explain") or {}
    names = component_names(spec)
    lines = _component_lines(explain.get("components") or [], spec)
    return Explanation(
        status=_status_sentence(explain["status"], names) if explain.get("status") else "",
        components=lines, total=_total_sentences(explain.get("total"), lines), rank=[], scale=[], awards=[],
        benefits=_benefit_sentences(explain.get("benefits") or [], spec), advance=[],
    )


# --------------------------------------------------------------------------
# How each component score was obtained
# --------------------------------------------------------------------------

SOURCE_TEXTS = {
    "import": gettext_lazy("Imported from a marks file on %(date)s."),
    "exam": gettext_lazy("The score of the theory exam, graded on %(date)s."),
    "judging": gettext_lazy("Computed from the judges' marks on the marking scheme after unblinding (measured "
                            "aspects as marked; judged aspects: mean of the judges' 0–3 scores × maximum / 3; "
                            "scored aspects: mean, dropping the highest and the lowest with five judges or more), "
                            "on %(date)s."),
    "manual": gettext_lazy("Entered by hand on %(date)s."),
}


def explain_sources(entry, lines):
    """Fill in how each component score of `entry` was obtained: its source, its time and,
    for a judged component of an unblinded stage, every aspect's marks and value."""
    if entry is None:
        return
    from .models import ScoreSource

    scores = {s.component: s for s in entry.component_scores.all()}
    for line in lines:
        score = scores.get(line.key)
        if score is None:
            continue
        line.source = score.get_source_display()
        line.how.append(str(SOURCE_TEXTS[score.source]) % {"date": score.recorded_at.strftime("%Y-%m-%d")})
        if score.time_seconds is not None:
            line.how.append(_("Time used: %(time)s.") % {"time": seconds_text(score.time_seconds)})
        if score.source == ScoreSource.JUDGING:
            line.aspects = judged_aspects(entry)
        elif score.source == ScoreSource.EXAM:
            line.link = exam_link(entry, line.key)


def exam_link(entry, component):
    """The exam attempt a theory score was graded from (its page shows the paper)."""
    from django.urls import reverse

    attempt = (entry.exam_attempts.filter(session__component=component).exclude(status="voided")
               .order_by("-pk").first())
    return reverse("exams:attempt", args=[attempt.pk]) if attempt else ""


def judged_aspects(entry):
    """[{code, name, type, max, values, mark}] of the entry's judged component, once the
    stage is unblinded (before that, marks are the judges' and the chief judge's alone)."""
    from jingsai.judging.models import Contestant
    from jingsai.judging.services import marking

    contestant = Contestant.objects.filter(entry=entry).select_related("stage__competition").first()
    if contestant is None or not marking.is_unblinded(contestant.stage):
        return []
    reviewed = marking.review(contestant)
    out = []
    for item in reviewed.aspects:
        aspect = item.aspect
        mark = None
        if item.mark is not None:
            value, exact = fraction_to_decimal(item.mark, 4)
            mark = f"{value:f}" + ("" if exact else "…")
        out.append({"code": aspect.code, "name": aspect.name, "type": aspect.get_type_display(),
                    "max": f"{aspect.max.normalize():f}", "values": [marking.shown(v) for v in item.values],
                    "mark": mark})
    return out
