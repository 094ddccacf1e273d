"""Reading results: the state of a stage's results, the current computations, what
changed between two computations, organization awards. Nothing here writes."""

import hashlib
import json
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils.translation import gettext as _

from jingsai.competitions.models import Stage
from jingsai.orgs.models import Organization

from .models import Computation, Finalization, Publicity, Result, ResultStatus

OPEN, PUBLICITY, FINAL = "open", "publicity", "final"


def stages_of(competition):
    return list(Stage.objects.filter(competition=competition).order_by("order", "pk"))


def is_last_stage(stage):
    return not Stage.objects.filter(competition_id=stage.competition_id, order__gt=stage.order).exists()


def stage_by_key(competition, key=None):
    """The stage named `key`, or the last stage (where benefits are decided) when none is named."""
    from jingsai.core.errors import UserError

    stages = stages_of(competition)
    if not stages:
        raise UserError(_("The competition has no stages."), code="no_stage")
    if key is None:
        return stages[-1]
    for stage in stages:
        if stage.key == key:
            return stage
    raise UserError(
        _("The competition has no stage “%(key)s”; its stages are: %(keys)s.")
        % {"key": key, "keys": "、".join(s.key for s in stages)},
        code="unknown_stage",
    )


def current_computations(stage):
    """The latest computation of each scope of `stage` that has entries, by scope key
    (the scope's id, 0 when the stage is not split), ordered by scope name."""
    latest = {}
    for computation in (Computation.objects.filter(stage=stage).select_related("scope", "created_by")
                        .order_by("scope_key", "-version")):
        latest.setdefault(computation.scope_key, computation)
    current = [c for c in latest.values() if c.n_entries]
    current.sort(key=lambda c: (c.scope.name if c.scope_id else "", c.scope_key))
    return current


def active_publicity(stage):
    """The stage's publicity under way or ended by finalization; None when there is none."""
    return Publicity.objects.filter(stage=stage, withdrawn_at__isnull=True).order_by("-started_at", "-pk").first()


def finalization_of(stage):
    return Finalization.objects.filter(stage=stage).first()


@dataclass
class StageResults:
    """Where a stage's results stand."""

    stage: Stage
    last: bool
    state: str
    computations: list = field(default_factory=list)
    publicity: Publicity | None = None
    finalization: Finalization | None = None

    @property
    def published(self):
        """The computations the public sees: those in publicity, or the final ones."""
        if self.finalization is not None:
            return list(self.finalization.computations.select_related("scope").order_by("scope_key"))
        if self.publicity is not None:
            return list(self.publicity.computations.select_related("scope").order_by("scope_key"))
        return []

    @property
    def complete(self):
        return bool(self.computations) and all(c.complete for c in self.computations)


def stage_results(stage):
    finalization = finalization_of(stage)
    publicity = finalization.publicity if finalization else active_publicity(stage)
    state = FINAL if finalization else PUBLICITY if publicity else OPEN
    return StageResults(
        stage=stage, last=is_last_stage(stage), state=state, computations=current_computations(stage),
        publicity=publicity, finalization=finalization,
    )


def previous_computation(computation):
    return (Computation.objects.filter(stage_id=computation.stage_id, scope_key=computation.scope_key,
                                       version__lt=computation.version)
            .order_by("-version").first())


# --------------------------------------------------------------------------
# What changed between two computations
# --------------------------------------------------------------------------

COMPARED = ("status", "components", "total", "rank", "award", "scale_score", "promotion", "titles",
            "recommendations", "advanced", "flags")


def signature(row):
    """The compared values of a result, from a Result or from the dict `result_fields` makes."""
    get = row.get if isinstance(row, dict) else lambda name: getattr(row, name)
    promotion = (get("promotion_from"), get("promotion_to")) if get("promotion_to") is not None else None
    total = get("total")
    return {
        "status": get("status"),
        "components": get("components"),
        "total": None if total is None else Decimal(total),
        "rank": get("rank"),
        "award": get("award") or "",
        "scale_score": get("scale_score"),
        "promotion": promotion,
        "titles": list(get("titles")),
        "recommendations": list(get("recommendations")),
        "advanced": get("advanced"),
        "flags": list(get("flags")),
    }


SIGNATURE_FIELDS = ("number", "status", "components", "total", "rank", "award", "scale_score", "promotion_from",
                    "promotion_to", "titles", "recommendations", "advanced", "flags")


def signatures(computation):
    """{entry number: signature} of a stored computation, in one query."""
    if computation is None:
        return {}
    rows = Result.objects.filter(computation=computation).values(*SIGNATURE_FIELDS)
    return {row["number"]: signature(row) for row in rows}


@dataclass
class Change:
    number: int
    kind: str  # added | removed | changed
    fields: dict  # name -> (old, new)
    result: Result | None = None


def changes(old, new):
    """What differs between computation `old` (may be None) and `new`, entry by entry, in
    the new computation's order (removed entries last)."""
    before = signatures(old)
    out = []
    seen = set()
    for result in Result.objects.filter(computation=new).select_related("entry__person", "team", "unit"):
        seen.add(result.number)
        now = signature(result)
        then = before.get(result.number)
        if then is None:
            out.append(Change(result.number, "added", {}, result))
            continue
        differ = {name: (then[name], now[name]) for name in COMPARED if then[name] != now[name]}
        if "total" in differ:
            differ["total"] = tuple(None if v is None else f"{v:.{new.places}f}" for v in differ["total"])
        if differ:
            out.append(Change(result.number, "changed", differ, result))
    for number in sorted(set(before) - seen):
        out.append(Change(number, "removed", {}))
    return out


def fingerprint(row):
    """A short digest of a result's compared values (a dict of Result fields), stored with
    it so that versions can be compared by reading one column."""
    values = signature(row)
    values["total"] = None if values["total"] is None else f"{values['total'].normalize():f}"
    text = json.dumps(values, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.blake2b(text.encode(), digest_size=8).hexdigest()


def fingerprints(computation):
    return dict(Result.objects.filter(computation=computation).values_list("number", "fingerprint"))


def count_changes(before, rows):
    """How many entries differ between the fingerprints `before` and the new `rows` (dicts
    of Result fields), counting those added and removed."""
    now = {row["number"]: row["fingerprint"] for row in rows}
    return sum(1 for number, value in now.items() if before.get(number) != value) + len(set(before) - set(now))


# --------------------------------------------------------------------------
# Organization awards
# --------------------------------------------------------------------------


@dataclass
class UnitStanding:
    unit: Organization
    rank: int
    total: Decimal
    counted: list  # the best totals counted, highest first
    contestants: int


def organization_standings(computations, best_n):
    """Units ranked by the sum of their contestants' best `best_n` totals (组织奖).

    Units with fewer ranked contestants count what they have. Equal sums share a rank
    (1, 2, 2, 4); among equals, units are listed by code."""
    totals = defaultdict(list)
    for unit_id, total in (Result.objects.filter(computation__in=computations, status=ResultStatus.RANKED)
                           .values_list("unit_id", "total")):
        totals[unit_id].append(total)
    units = Organization.objects.in_bulk(list(totals))
    rows = []
    for unit_id, values in totals.items():
        values.sort(reverse=True)
        counted = values[:best_n]
        rows.append((sum(counted, Decimal(0)), units[unit_id], counted, len(values)))
    rows.sort(key=lambda r: (-r[0], r[1].code))
    standings = []
    for position, (total, unit, counted, size) in enumerate(rows, 1):
        rank = standings[-1].rank if standings and standings[-1].total == total else position
        standings.append(UnitStanding(unit, rank, total, counted, size))
    return standings


# --------------------------------------------------------------------------
# Who may read a result
# --------------------------------------------------------------------------


def is_published(result):
    """Whether the result is one the public (and so its contestant) may see: in a
    publicity under way or final."""
    computation = result.computation
    return computation.publicities.filter(withdrawn_at__isnull=True).exists() or computation.finalizations.exists()


def can_see_result(user, result):
    from jingsai.accounts import permissions

    if permissions.has_perm(user, "results.explain", result):
        return True
    # A team member reads the team's explanation too.
    return bool(result.members and user.person_id and any(m["person"] == user.person_id for m in result.members))
