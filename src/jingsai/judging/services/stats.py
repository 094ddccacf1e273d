"""Judge statistics: how far each judge stands from the rest of their panel, overall and by
aspect, so the chief judge can spot a judge out of line.

For every contestant and every J or S aspect marked by two judges or more, a judge's
deviation is their score minus the mean of the other judges' scores, as a percentage of
the aspect's range (3 for J, the maximum for S), so aspects of any size compare. The mean
signed deviation shows leniency (+) or severity (−); the mean absolute deviation how far
the judge strays either way. M aspects have one mark each and do not count."""

from collections import defaultdict
from fractions import Fraction

from jingsai.results.engine import J_MAX_SCORE

from ..models import AspectType, Mark


def _percent(value):
    return round(float(value) * 100, 1)


def judge_stats(stage):
    marks = (Mark.objects.filter(contestant__stage=stage, aspect__type__in=(AspectType.JUDGEMENT, AspectType.SCORED))
             .select_related("judge", "aspect").order_by("aspect__order", "judge__code"))
    groups = defaultdict(list)
    aspects, judges = {}, {}
    for mark in marks:
        groups[(mark.contestant_id, mark.aspect_id)].append(mark)
        aspects[mark.aspect_id] = mark.aspect
        judges[mark.judge_id] = mark.judge
    signed = defaultdict(list)
    by_aspect = defaultdict(list)
    for (_contestant, aspect_id), group in groups.items():
        if len(group) < 2:
            continue
        aspect = aspects[aspect_id]
        scale = Fraction(J_MAX_SCORE) if aspect.type == AspectType.JUDGEMENT else Fraction(aspect.max)
        total = sum(Fraction(m.value) for m in group)
        for mark in group:
            others = (total - Fraction(mark.value)) / (len(group) - 1)
            deviation = (Fraction(mark.value) - others) / scale
            signed[mark.judge_id].append(deviation)
            by_aspect[(mark.judge_id, aspect_id)].append(deviation)
    ordered_aspects = sorted(aspects.values(), key=lambda a: a.order)
    rows = []
    for judge_id, values in signed.items():
        judge = judges[judge_id]
        rows.append({
            "code": judge.code,
            "name": judge.name,
            "count": len(values),
            "bias": _percent(sum(values) / len(values)),
            "spread": _percent(sum(abs(v) for v in values) / len(values)),
            "by_aspect": {
                a.code: _percent(sum(by_aspect[(judge_id, a.pk)]) / len(by_aspect[(judge_id, a.pk)]))
                for a in ordered_aspects if by_aspect.get((judge_id, a.pk))
            },
        })
    rows.sort(key=lambda r: -r["spread"])
    return {"aspects": [{"code": a.code, "name": a.name, "type": a.type} for a in ordered_aspects], "judges": rows}
