"""Builders for results tests: a competition with scored entries, through the services."""

from decimal import Decimal

from jingsai.results import services
from tests import factories

BENEFITS = [
    {"promote": {"to": 2, "cap": 1}, "rank_range": [1, 2], "requires": ["worker_status", "all_pass"]},
    {"title": {"name": "区技术能手"}, "rank_range": [1, 1], "requires": ["worker_status"]},
    {"recommend": {"name": "五一劳动奖章"}, "rank_range": [1, 1]},
]
BANDS = {"require": "all_pass", "bands": [
    {"name": "一等奖", "quota_count": 1}, {"name": "二等奖", "quota_count": 1}, {"name": "三等奖", "quota_count": 1}]}


def competition(host, *, status="scoring", **overrides):
    overrides.setdefault("awards", BANDS)
    overrides.setdefault("benefits", BENEFITS)
    overrides.setdefault("ranking", {"tie_breakers": ["component:practical:desc"]})
    return factories.competition(host=host, status=status, **overrides)


def scored(competition, scores, *, unit, stage=None, level=3, names=None, scope=None):
    """Entries with the given scores: a list of (theory, practical) or None for absent-by-missing."""
    out = []
    for i, pair in enumerate(scores):
        person = factories.person(employer=unit, level=level, name=(names[i] if names else None))
        entry = factories.entry(competition, person, stage=stage, scope=scope)
        if pair is not None:
            theory, practical = pair
            if theory is not None:
                services.set_component_score(None, entry, "theory", Decimal(str(theory)))
            if practical is not None:
                services.set_component_score(None, entry, "practical", Decimal(str(practical)))
        out.append(entry)
    return out
