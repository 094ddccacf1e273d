"""Demo entries for the demo competitions, as each one's state implies.

  draft                          none
  registration open              a mix: submitted, approved by the unit, approved, a few
                                 rejected (with the reason) and withdrawn; the demo
                                 unit's contact has entries to approve, the demo worker
                                 has registrations to follow and a competition to enter
  registration closed            nearly all approved, a few still awaiting the host
  later states                   approved (a few withdrawn or rejected on the way); a
                                 split first stage holds entries by 赛区, and when the
                                 competition is past its qualifiers the three best of
                                 each 赛区 are advanced to the final

Every entry keeps the competition's rules: the host's tree, ages on the competition
date, worker status, minimum level, the unit quota, one entry per person, whole teams.
Written in bulk. Leaves ctx.data["entries"] (competition short name -> every entry) and
ctx.data["entries_by_stage"] (short name -> stage key -> entries) for later apps.
"""

from collections import defaultdict

from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from jingsai.competitions.models import Status
from jingsai.core import audit

from . import services
from .models import Entry, EntrySource, EntryStatus, Team
from .rules import Rules

SIZES = {"small": 150, "city": 1200}
OPEN_MIX = [(EntryStatus.SUBMITTED, 35), (EntryStatus.UNIT_APPROVED, 20), (EntryStatus.APPROVED, 35),
            (EntryStatus.REJECTED, 6), (EntryStatus.WITHDRAWN, 4)]
CLOSED_MIX = [(EntryStatus.APPROVED, 88), (EntryStatus.UNIT_APPROVED, 4), (EntryStatus.REJECTED, 4),
              (EntryStatus.WITHDRAWN, 4)]
LATER_MIX = [(EntryStatus.APPROVED, 93), (EntryStatus.REJECTED, 3), (EntryStatus.WITHDRAWN, 4)]
REJECTIONS = [
    "技能等级证书信息与档案不符，请核对后重新报名",
    "本单位名额已满，请调整人选",
    "未提供单位推荐意见",
    "身份证复印件不清晰，请重新提交",
]
WITHDRAWALS = ["本人工作安排冲突", "身体原因", "单位调整参赛人选"]
PAST_QUALIFIERS = (Status.IN_PROGRESS, Status.SCORING, Status.PUBLICITY, Status.FINAL, Status.ARCHIVED)


@transaction.atomic
def load(ctx):
    competitions = ctx.data.get("competitions") or {}
    people = ctx.data.get("people") or []
    employers = {o.pk: o for o in ctx.data.get("units", []) + ctx.data.get("teams", [])}
    target = SIZES.get(ctx.size, SIZES["small"])
    demo_worker = ctx.data.get("demo_worker")
    demo_unit = ctx.data.get("demo_unit")
    entries, by_stage = {}, {}
    for short, competition in competitions.items():
        if competition.status == Status.DRAFT:
            entries[short], by_stage[short] = [], {}
            continue
        made = _Filler(ctx, competition, people, employers, demo_unit, demo_worker).fill(
            target if competition.level == "city" else target // 3)
        entries[short] = made
        grouped = defaultdict(list)
        for entry in made:
            grouped[entry.stage.key].append(entry)
        by_stage[short] = dict(grouped)
    ctx.data["entries"] = entries
    ctx.data["entries_by_stage"] = by_stage
    ctx.say(f"  entries: {sum(len(v) for v in entries.values())}")


class _Filler:
    def __init__(self, ctx, competition, people, employers, demo_unit, demo_worker):
        self.ctx, self.rng, self.competition = ctx, ctx.rng, competition
        self.rules = Rules.of(competition)
        self.stages = list(competition.stages.order_by("order"))
        self.people, self.employers = people, employers
        self.demo_unit = demo_unit
        self.demo_person = demo_worker.person if demo_worker is not None else None

    def eligible(self):
        rules, host_path = self.rules, self.competition.host.path
        out = []
        for person in self.people:
            unit = self.employers.get(person.employer_id)
            if unit is None or not unit.path.startswith(host_path):
                continue
            if (rules.age_problem(person.birth_date) or rules.status_problem(person.worker_status)
                    or rules.level_problem(person.level)):
                continue
            out.append(person)
        return out

    def scopes(self, stage, units):
        """{unit pk: 赛区} for a split stage: the nearest of its type, else by region."""
        found = services.nearest_scopes(units, stage.scope_type, self.competition.host)
        by_region = defaultdict(list)
        for org in self.ctx.orgs.values():
            if org.type == stage.scope_type and org.path.startswith(self.competition.host.path) and org.region_code:
                by_region[org.region_code].append(org)
        for unit in units:
            if unit.pk not in found and len(by_region.get(unit.region_code, ())) == 1:
                found[unit.pk] = by_region[unit.region_code][0]
        return found

    def fill(self, target):
        status = self.competition.status
        mix = OPEN_MIX if status == Status.REGISTRATION_OPEN else (
            CLOSED_MIX if status == Status.REGISTRATION_CLOSED else LATER_MIX)
        if self.rules.host_only:
            mix = [(EntryStatus.SUBMITTED if s == EntryStatus.UNIT_APPROVED else s, w) for s, w in mix]
        first = self.stages[0]
        pool = self.eligible()
        self.rng.shuffle(pool)
        if self.demo_person is not None:
            # The demo worker waits to register in their own district's competition.
            pool = [p for p in pool if p.pk != self.demo_person.pk]
            if status == Status.REGISTRATION_OPEN and self.competition.level == "city":
                pool.insert(0, self.demo_person)
        if self.demo_unit is not None and status == Status.REGISTRATION_OPEN:
            mine = [p for p in pool if p.employer_id == self.demo_unit.pk][:3]
            pool = mine + [p for p in pool if p not in mine]
        chosen = self.choose(pool, target, first)
        scopes = self.scopes(first, {self.employers[p.employer_id] for p in chosen}) if first.scope_type else {}
        if first.scope_type:
            chosen = [p for p in chosen if p.employer_id in scopes]
        teams = self.make_teams(first, chosen)
        statuses = self.statuses(chosen, mix, teams)
        made = self.write(first, chosen, statuses, scopes, teams)
        if len(self.stages) > 1 and first.scope_type and status in PAST_QUALIFIERS:
            made += self.advance(first, made)
        return made

    def choose(self, pool, target, stage):
        """Up to `target` people, within the unit quota (teams count as one), in whole
        teams of one unit in team competitions."""
        rules = self.rules
        if rules.team_mode:
            by_unit = defaultdict(list)
            for person in pool:
                by_unit[person.employer_id].append(person)
            chosen = []
            for members in by_unit.values():
                # At most three teams of a unit, fewer if the quota says so.
                teams = min(len(members) // rules.team_size, rules.unit_quota or 3, 3)
                chosen += members[: teams * rules.team_size]
                if len(chosen) >= target:
                    break
            return chosen
        per_unit = defaultdict(int)
        chosen = []
        for person in pool:
            if rules.unit_quota and per_unit[person.employer_id] >= rules.unit_quota:
                continue
            per_unit[person.employer_id] += 1
            chosen.append(person)
            if len(chosen) >= target:
                break
        return chosen

    def make_teams(self, stage, chosen):
        """{person pk: Team} in team competitions: consecutive members of one unit."""
        if not self.rules.team_mode:
            return {}
        size = self.rules.team_size
        by_unit = defaultdict(list)
        for person in chosen:
            by_unit[person.employer_id].append(person)
        teams, members = [], []
        for unit_id, unit_people in by_unit.items():
            unit = self.employers[unit_id]
            for k in range(len(unit_people) // size):
                teams.append(Team(competition=self.competition, stage=stage, unit=unit,
                                  name=f"{unit.name[:90]}{k + 1}队"))
                members.append(unit_people[k * size : (k + 1) * size])
        Team.objects.bulk_create(teams)
        return {person.pk: team for team, group in zip(teams, members, strict=True) for person in group}

    def statuses(self, chosen, mix, teams):
        """A status per person; a team's members share theirs."""
        values, weights = [s for s, _w in mix], [w for _s, w in mix]
        by_team = {}
        out = {}
        for person in chosen:
            team = teams.get(person.pk)
            if team is not None and team.pk in by_team:
                out[person.pk] = by_team[team.pk]
                continue
            status = self.rng.choices(values, weights)[0]
            if self.demo_unit is not None and person.employer_id == self.demo_unit.pk and mix is OPEN_MIX:
                status = EntryStatus.SUBMITTED  # the demo unit contact has these to approve
            out[person.pk] = status
            if team is not None:
                by_team[team.pk] = status
        return out

    def write(self, stage, chosen, statuses, scopes, teams):
        actor, now = self.ctx.actor, timezone.now()
        opened = self.competition.registration_opens or now
        closes = self.competition.registration_closes or now
        span = max(1, int((min(closes, now) - opened).total_seconds()))
        number = Entry.objects.filter(stage=stage).aggregate(n=Max("number"))["n"] or 0
        made = []
        for person in chosen:
            number += 1
            status = statuses[person.pk]
            when = opened + timezone.timedelta(seconds=self.rng.randrange(span))
            entry = Entry(
                competition=self.competition, stage=stage, number=number, person=person,
                unit=self.employers[person.employer_id], scope=scopes.get(person.employer_id),
                team=teams.get(person.pk), status=status, level=person.level, worker_status=person.worker_status,
                source=EntrySource.SELF if person is self.demo_person else self.rng.choice(
                    [EntrySource.IMPORT, EntrySource.FORM, EntrySource.SELF]),
                created_by=actor,
            )
            if status in (EntryStatus.UNIT_APPROVED, EntryStatus.APPROVED) and not self.rules.host_only:
                entry.unit_reviewed_at = when
            if status == EntryStatus.APPROVED:
                entry.reviewed_at = when
            if status == EntryStatus.REJECTED:
                entry.rejection_reason = self.rng.choice(REJECTIONS)
                entry.reviewed_at = when
            if status == EntryStatus.WITHDRAWN:
                entry.withdrawal_reason = self.rng.choice(WITHDRAWALS)
                entry.withdrawn_at = when
            made.append(entry)
        Entry.objects.bulk_create(made, batch_size=2000)
        audit.record(actor, "registration.register", self.competition, reason=_("demo data"),
                     data={"stage": stage.key, "count": len(made)})
        return made

    def advance(self, stage, made):
        """The qualifier is over: three approved entries of each 赛区 go to the final."""
        by_scope = defaultdict(list)
        for entry in made:
            if entry.status == EntryStatus.APPROVED and entry.scope_id:
                by_scope[entry.scope_id].append(entry)
        chosen = [e for group in by_scope.values() for e in group[:3]]
        return services.advance_entries(self.ctx.actor, stage, chosen)
