"""Demo judging for the demo competitions past their practical (scoring, publicity, final):
a judge pool with real conflicts of interest, a panel per stage, both draws, marks that
look like a panel's (a J discrepancy re-scored), sign-offs, unblinding into the results
and appeals.

  welder (scoring)        qualifiers done and unblinded; the city final being marked:
                          most stations signed off, some still missing judge1's marks,
                          one J discrepancy awaiting re-scoring; an appeal about the
                          last qualifier awaits the arbitrator
  robot (publicity),
  auto, courier (final)   every stage marked, signed off and unblinded; auto has an
                          appeal the arbitration group rejected with its reasons

The judges are the demo staff (judge1..3, chief-judge) and pool judges of the city union;
judge1 works at an enterprise with contestants, so the conflicts of interest are real, and
J04 marks generously, for the chief judge to spot in the judge statistics.
Everything is computed in memory and written in bulk; the practical scores reach the
results through results.services.record_scores, as unblinding always hands them over."""

import datetime as dt
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from jingsai.competitions.models import Status
from jingsai.core import audit
from jingsai.orgs.models import OrgType
from jingsai.registration.models import EntryStatus
from jingsai.results import engine
from jingsai.results import services as results_services
from jingsai.results.models import ScoreSource, ScoreStatus

from . import conflicts
from .models import (
    Appeal,
    AppealStatus,
    AspectType,
    CheckIn,
    Contestant,
    Draw,
    DrawKind,
    JudgeRole,
    Mark,
    MarkAction,
    MarkEvent,
    MarkSource,
    StageEnd,
    Unblinding,
    UnblindStep,
)
from .services import judges, schemes

JUDGED = {"welder", "robot", "auto", "courier"}
STAFF = (("judge1", "J01", JudgeRole.JUDGE), ("judge2", "J02", JudgeRole.JUDGE), ("judge3", "J03", JudgeRole.JUDGE),
         ("chief-judge", "CJ01", JudgeRole.CHIEF))
POOL = (("J04", "周建华", "高级技师"), ("J05", "吴丽萍", "技师"), ("J06", "郑国强", "国家级裁判"),
        ("J07", "孙晓东", "高级技师"))
# judge1 marks welder, where their own enterprise has contestants: J04 sits on its panel
# so that three judges free of conflicts mark everyone; elsewhere three judges suffice.
PANELS = {"welder": ("judge1", "judge2", "judge3", "J04")}
PANEL = ("judge2", "judge3", "J04")
DESCRIPTORS = {
    "成品外观": ["外观粗糙，明显缺陷", "基本平整，有少量缺陷", "平整美观，偶有瑕疵", "精致美观，无瑕疵"],
    "现场整洁": ["工位杂乱，工具散落", "基本整洁，收尾不全", "整洁有序", "整洁有序，工具复位，废料分类"],
}
# A scheme for competitions whose spec has none: shares of the component's maximum.
GENERIC = [
    ("A", "操作规范", [("A1", "M", "安全防护到位", "0.10", True), ("A2", "S", "操作流程规范", "0.30", False)]),
    ("B", "作业质量", [("B1", "M", "尺寸精度", "0.20", False), ("B2", "J", "成品外观", "0.25", False),
                       ("B3", "J", "现场整洁", "0.15", False)]),
]
TIME_RANGE = (40 * 60, 60 * 60)
LENIENT = "J04"  # marks S aspects generously: the judge statistics show it
ABSENT_SHARE = 0.03


def _generic_scheme(component):
    top = Decimal(str(component["max"]))
    return {"component": component["key"], "criteria": [
        {"code": code, "name": name, "aspects": [
            {"code": a, "type": kind, "name": title, "max": (top * Decimal(share)).normalize(), "binary": binary,
             "description": None, "descriptors": DESCRIPTORS.get(title) if kind == "J" else None}
            for a, kind, title, share, binary in items]}
        for code, name, items in GENERIC]}


def _halves(value):
    return Decimal(round(value * 2)) / 2


class _Marker:
    """Marks that look like a panel's: each contestant has a level of skill; judges agree
    within one J level, and within a few points on S aspects."""

    def __init__(self, rng):
        self.rng = rng

    def skill(self):
        return min(0.98, max(0.35, self.rng.gauss(0.72, 0.13)))

    def measured(self, aspect, skill):
        if aspect.binary:
            return aspect.max if self.rng.random() < skill + 0.15 else Decimal(0)
        return _halves(float(aspect.max) * min(1.0, max(0.0, skill + self.rng.uniform(-0.08, 0.05))))

    def judged(self, count, skill):
        base = min(3, max(0, round(skill * 3 + self.rng.uniform(-0.4, 0.4))))
        low = min(2, max(0, base - self.rng.choice((0, 1))))
        return [Decimal(self.rng.choice((low, low + 1))) for _ in range(count)]

    def lenient(self, aspect, value):
        return min(aspect.max, value + _halves(float(aspect.max) * 0.08))

    def scored(self, aspect, count, skill):
        top = float(aspect.max)
        return [_halves(min(top, max(0.0, self.rng.gauss(top * skill, top * 0.05)))) for _ in range(count)]


class _Stage:
    """One stage judged from start to finish in memory, then written in a few bulk inserts."""

    def __init__(self, ctx, stage, scheme, panel, people):
        self.ctx, self.stage, self.scheme = ctx, stage, scheme
        self.panel, self.people = panel, people
        self.aspects = schemes.aspects(scheme)
        self.marker = _Marker(ctx.rng)
        self.marks, self.events = [], []

    def run(self, day, *, in_progress):
        rng, chief, organizer = self.ctx.rng, self.people["chief"], self.people["organizer"]
        entries = list(self.stage.entries.filter(status=EntryStatus.APPROVED).select_related("unit")
                       .order_by("pk"))
        if not entries:
            return None
        blocked = {judge.pk: conflicts.conflicted_entry_ids(judge, self.stage.entries.all()) for judge in self.panel}
        checked = day - dt.timedelta(hours=1)
        contestants = [Contestant(stage=self.stage, entry=e, checkin=CheckIn.PRESENT, checked_in_at=checked,
                                  checked_in_by=organizer) for e in entries]
        for contestant in contestants:
            if rng.random() < ABSENT_SHARE:
                contestant.checkin, contestant.absence_reason = CheckIn.ABSENT, _("Did not check in")
        present = [c for c in contestants if c.checkin == CheckIn.PRESENT]
        mappings = {}
        for kind, pool, field in ((DrawKind.CONTESTANT, contestants, "contestant_number"),
                                  (DrawKind.STATION, present, "station_number")):
            numbers = list(range(1, len(pool) + 1))
            rng.shuffle(numbers)
            for contestant, number in zip(pool, numbers, strict=True):
                setattr(contestant, field, number)
            mappings[kind] = {str(c.entry_id): getattr(c, field) for c in pool}
        present.sort(key=lambda c: c.station_number)
        open_at = present[min(2, len(present) - 1)] if present else None
        # In the final being marked, the last stations still miss judge1's marks and the
        # first 60% are signed off, bar the one whose discrepancy awaits re-scoring.
        missing_from = int(len(present) * 0.85) if in_progress else len(present)
        signed_upto = int(len(present) * 0.6) if in_progress else len(present)
        given = []
        for index, contestant in enumerate(present):
            signed = index < signed_upto and not (in_progress and contestant is open_at)
            if signed:
                contestant.signed_off_at, contestant.signed_off_by = day + dt.timedelta(hours=3), chief
                contestant.time_seconds = rng.randint(*TIME_RANGE)
            markers = [j for j in self.panel if contestant.entry_id not in blocked[j.pk]]
            if index >= missing_from:
                markers = [j for j in markers if j.pk != self.people["judge1"].pk]
            given.append((contestant, self._mark(contestant, markers, day + dt.timedelta(minutes=index % 90),
                                                 signed, discrepancy=contestant is open_at, resolved=not in_progress)))
        Contestant.objects.bulk_create(contestants, batch_size=2000)
        Draw.objects.bulk_create([Draw(stage=self.stage, kind=kind, drawn_by=organizer, drawn_at=checked,
                                       mapping=mapping) for kind, mapping in mappings.items()])
        Mark.objects.bulk_create(self.marks, batch_size=2000)
        MarkEvent.objects.bulk_create(self.events, batch_size=5000)
        changes = [results_services.ScoreChange(entry=c.entry, status=ScoreStatus.Status.ABSENT)
                   for c in contestants if c.checkin == CheckIn.ABSENT]
        if not in_progress:
            Unblinding.objects.bulk_create([
                Unblinding(stage=self.stage, step=UnblindStep.CHIEF, by=chief, at=day + dt.timedelta(hours=4)),
                Unblinding(stage=self.stage, step=UnblindStep.ORGANIZER, by=organizer,
                           at=day + dt.timedelta(hours=4, minutes=20))])
            changes += self._scores(given)
        if changes:
            results_services.record_scores(self.ctx.actor, self.stage, changes, source=ScoreSource.JUDGING,
                                           reason=_("Unblinded: the practical score from the judges' signed-off marks"))
        return present

    def _mark(self, contestant, markers, at, signed, *, discrepancy, resolved):
        """The contestant's marks ({aspect code: [values]}), with their history events."""
        skill = self.marker.skill()
        chief = self.people["chief"]
        given = {}
        first_j = True
        for aspect in self.aspects:
            if not markers:
                continue
            if aspect.type == AspectType.MEASUREMENT:
                pairs = [(markers[contestant.station_number % len(markers)], self.marker.measured(aspect, skill))]
            elif aspect.type == AspectType.JUDGEMENT:
                values = self.marker.judged(len(markers), skill)
                split = discrepancy and first_j
                first_j = False
                if split:
                    values = [Decimal(3)] * len(markers)
                    values[0] = Decimal(1)
                pairs = list(zip(markers, values, strict=True))
            else:
                pairs = [(judge, self.marker.lenient(aspect, value) if judge.code == LENIENT else value)
                         for judge, value in zip(markers, self.marker.scored(aspect, len(markers), skill),
                                                 strict=True)]
            for index, (judge, value) in enumerate(pairs):
                mark = Mark(contestant=contestant, aspect=aspect, judge=judge, value=value, entered_at=at,
                            recorded_at=at, entered_by=judge.user, source=MarkSource.TABLET, locked=signed)
                self.marks.append(mark)
                self.events.append(MarkEvent(mark=mark, action=MarkAction.ENTERED, new=value, by=judge.user, at=at,
                                             source=MarkSource.TABLET))
                if aspect.type == AspectType.JUDGEMENT and split:
                    self._rescore(mark, chief, at + dt.timedelta(hours=1), outlier=index == 0 and resolved)
                if signed:
                    self.events.append(MarkEvent(mark=mark, action=MarkAction.LOCKED, old=mark.value, new=mark.value,
                                                 by=chief, at=contestant.signed_off_at))
                given.setdefault(aspect.code, []).append(mark.value)
        return given

    def _rescore(self, mark, chief, at, *, outlier):
        """The chief judge asks for re-scoring; once done, the outlier's 1 became a 2."""
        self.events.append(MarkEvent(mark=mark, action=MarkAction.RESCORE, old=mark.value, by=chief, at=at,
                                     reason=str(_("The judges' scores differ by more than 1"))))
        if not outlier:
            mark.rescore_requested = not mark.locked and mark.contestant.signed_off_at is None
            return
        self.events.append(MarkEvent(mark=mark, action=MarkAction.CHANGED, old=mark.value, new=Decimal(2),
                                     by=mark.judge.user, at=at + dt.timedelta(minutes=5),
                                     reason=str(_("Re-scored")), source=MarkSource.TABLET))
        mark.value, mark.entered_at = Decimal(2), at + dt.timedelta(minutes=5)

    def _scores(self, given):
        """Every signed-off contestant's practical score, by the results engine."""
        rules = [a.as_rule() for a in self.aspects]
        places = self.stage.competition.spec.get("rounding", {}).get("places", 2)
        key = self.scheme.component
        return [
            results_services.ScoreChange(
                entry=contestant.entry, scores={key: engine.practical_component(rules, marks, places).score},
                times={key: contestant.time_seconds}, status=results_services.UNCHANGED)
            for contestant, marks in given
        ]


def _pool(ctx, host):
    """The staff judges and four more of the city union's pool. judge1 works at an
    enterprise with welder contestants (real conflicts of interest); the others where no
    contestant comes from, so every panel keeps three judges free of conflicts for everyone."""
    rng = ctx.rng
    staff = ctx.data["staff"]
    units = {u.pk: u for u in ctx.data["units"] + ctx.data.get("teams", [])}
    entered = {e.unit_id for entries in ctx.data.get("entries", {}).values() for e in entries}
    busy = {int(part, 36) for pk in entered if pk in units for part in units[pk].path.strip("/").split("/")}
    enterprises = [u for u in ctx.data["units"] if u.type == OrgType.ENTERPRISE]
    welders = {e.unit_id for e in ctx.data.get("entries", {}).get("welder", [])}
    with_contestants = [u for u in enterprises if u.pk in welders] or enterprises
    # Judges without contestants of their own: enterprises that sent nobody, else the
    # industry unions and street offices (a union's staff conflict with no enterprise).
    free = [u for u in enterprises if u.pk not in busy]
    free += [o for o in ctx.orgs.values() if o.type in (OrgType.INDUSTRY, OrgType.STREET) and o.pk not in entered]
    chosen = [rng.choice(with_contestants), *rng.sample(free, 6)]
    out = {}
    for (username, code, role), unit in zip(STAFF, [*chosen[:3], ctx.orgs.get("SH-HRSS", host)], strict=True):
        out[username] = (judges.create_judge(ctx.actor, code=code, name=staff[username].name, unit=unit, owner=host,
                                             user=staff[username], qualifications="国家级裁判"), role)
    for (code, name, qualification), unit in zip(POOL, chosen[3:], strict=True):
        out[code] = (judges.create_judge(ctx.actor, code=code, name=name, unit=unit, owner=host,
                                         qualifications=qualification), JudgeRole.JUDGE)
    return out


def _scheme(ctx, competition):
    """The competition's marking scheme, frozen; a generic one where the spec has none."""
    scheme = schemes.ensure_scheme(ctx.actor, competition)
    if schemes.problems(scheme):
        component = schemes.component_of(competition, scheme.component)
        if component is None:
            return None
        schemes.replace(ctx.actor, scheme, _generic_scheme(component), reason=_("demo data"))
    return schemes.freeze(ctx.actor, scheme, reason=_("demo data"))


@transaction.atomic
def load(ctx):
    competitions = {s: c for s, c in (ctx.data.get("competitions") or {}).items() if s in JUDGED}
    if not competitions or "staff" not in ctx.data:
        return
    host = next(iter(competitions.values())).host
    pool = _pool(ctx, host)
    people = {"chief": ctx.data["staff"]["chief-judge"], "organizer": ctx.data.get("city_organizer") or ctx.actor,
              "judge1": pool["judge1"][0]}
    now = timezone.now()
    ended = []
    for short, competition in competitions.items():
        for judge, role in pool.values():
            judges.assign(ctx.actor, competition, judge, role)
        scheme = _scheme(ctx, competition)
        if scheme is None:
            continue
        members = list(competition.judge_assignments.filter(
            judge__in=[pool[n][0] for n in PANELS.get(short, PANEL)]))
        panel = [m.judge for m in members]
        stages = list(competition.stages.order_by("order"))
        end = competition.ends_at or now - dt.timedelta(days=3)
        for index, stage in enumerate(stages):
            in_progress = competition.status == Status.SCORING and index == len(stages) - 1
            day = now - dt.timedelta(hours=5) if in_progress else end - dt.timedelta(days=7 * (len(stages) - index))
            present = _Stage(ctx, stage, scheme, panel, people).run(day, in_progress=in_progress)
            judges.save_panel(ctx.actor, stage, name=_("Panel A"), aspects=schemes.aspects(scheme), members=members)
            if present and not in_progress:
                close = now - dt.timedelta(hours=1) if competition.status == Status.SCORING else day
                ended.append((short, StageEnd(stage=stage, ended_at=close, ended_by=people["organizer"]), present))
        audit.record(ctx.actor, "judging.demo", competition, reason=_("demo data"),
                     data={"stages": [s.key for s in stages]})
    StageEnd.objects.bulk_create([end for _short, end, _present in ended])
    _appeals(ctx, ended)
    ctx.say(f"  judging: {len(pool)} judges, {Mark.objects.count()} marks")


def _appeals(ctx, ended):
    """A pending appeal about welder's last qualifier, and one in auto rejected with its
    reasons; the demo worker files them when they took part."""
    worker = ctx.data.get("demo_worker")
    arbitrator = ctx.data["staff"]["arbitrator"]
    made = []
    for short, text, ruling in (
        ("welder", "外观成形评分明显偏低，请求复核。", None),
        ("auto", "实操用时记录有误，请求核对。", "经调阅现场记录和计时数据，用时记录无误，维持原成绩。"),
    ):
        found = [(end, present) for s, end, present in ended if s == short]
        if not found:
            continue
        end, present = found[-1]
        own = [c for c in present if worker is not None and c.entry.person_id == worker.person_id]
        contestant = own[0] if own else present[len(present) // 2]
        appeal = Appeal(entry=contestant.entry, stage=end.stage, text=text, filed_by=worker if own else ctx.actor,
                        filed_at=end.ended_at + dt.timedelta(minutes=30))
        if ruling:
            appeal.status, appeal.ruling = AppealStatus.REJECTED, ruling
            appeal.decided_by, appeal.decided_at = arbitrator, end.ended_at + dt.timedelta(hours=20)
        made.append(appeal)
    Appeal.objects.bulk_create(made)
    for appeal in made:
        audit.record(ctx.actor, "judging.appeal", appeal.entry, reason=_("demo data"), data={"appeal": appeal.pk})
