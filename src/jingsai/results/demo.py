"""Demo results for the demo competitions past their contest, as each one's state implies.

  scoring (welder)        the district qualifiers final: computed, published, finalized,
                          their best advanced to the city final; the city final computed
                          while judges still mark (its practical scores missing, flagged)
  publicity (robot)       computed and in publicity since the recorded step, with an
                          answered objection and one awaiting the organizer
  final, archived         computed, published and finalized at their recorded dates:
  (auto, courier, cook)   promotions (once per person per year across them), titles,
                          recommendations, certificates; the first prize of auto gets a
                          login to download theirs

Scores come from judging (the practical, where it has a marking scheme) and exams; this
fills what they left: a theory score (and a practical one where nobody judged) for each
approved entry, drawn around the contestant's ability, a few absences (缺考). Scores are
written through results.services.record_scores, results through the results services,
in bulk.
"""

import datetime as dt
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from jingsai.accounts import services as account_services
from jingsai.competitions.models import Status
from jingsai.core.demo import DEMO_PASSWORD
from jingsai.registration.models import Entry, EntryStatus

from . import queries, services
from .models import Certificate, ComponentScore, Computation, Objection, ScoreSource, ScoreStatus

PAST_CONTEST = (Status.SCORING, Status.PUBLICITY, Status.FINAL, Status.ARCHIVED)
LAYOUTS = {"auto": "classic", "courier": "modern", "cook": "classic"}
OBJECTIONS = [
    ("陈女士", "13917654321", "第二名的操作技能用时记录是否有误？现场看到其超时完成。",
     "经调阅计时记录，该选手用时 58 分 40 秒，未超时，成绩无误。", "dismissed"),
    ("刘先生", "liu.sh@example.com", "请公布理论知识考试的评分标准。", None, None),
]


def _judged_components(competition):
    """Components whose scores come from judges' marks: judging hands them over."""
    scheme = competition.spec.get("marking_scheme")
    return {scheme["component"]} if scheme else set()


def _fill_scores(ctx, competition, stage):
    """A score for every component nobody recorded, for the stage's approved entries."""
    rng = ctx.rng
    entries = list(Entry.objects.filter(stage=stage, status=EntryStatus.APPROVED).order_by("number"))
    if not entries:
        return
    recorded = {}
    for entry_id, key, value in (ComponentScore.objects.filter(entry__in=entries)
                                 .values_list("entry_id", "component", "value")):
        recorded[(entry_id, key)] = value
    marked = set(ScoreStatus.objects.filter(entry__in=entries).values_list("entry_id", flat=True))
    judged = _judged_components(competition)
    components = competition.spec["components"]
    changes = []
    absent_rate = 0.0 if judged else 0.02
    for entry in entries:
        if entry.pk in marked:
            continue
        if rng.random() < absent_rate:
            changes.append(services.ScoreChange(entry=entry, status=ScoreStatus.Status.ABSENT))
            continue
        ability = min(0.98, max(0.35, rng.gauss(0.74, 0.11)))
        change = services.ScoreChange(entry=entry)
        for component in components:
            key = component["key"]
            if (entry.pk, key) in recorded or key in judged:
                continue
            top = Decimal(str(component["max"]))
            share = min(1.0, max(0.2, rng.gauss(ability, 0.06)))
            change.scores[key] = (top * Decimal(str(round(share, 3)))).quantize(Decimal("0.5"))
            if key != "theory":
                change.times[key] = rng.randint(40, 90) * 60
        if change.scores:
            changes.append(change)
    services.record_scores(ctx.actor, stage, changes, source=ScoreSource.IMPORT, reason=_("demo data"))


def _publish_and_finalize(ctx, stage, *, published_at, final_at):
    """Results computed, in publicity from `published_at`, final at `final_at` (None:
    still in publicity), as the competition's recorded steps say."""
    computations = [c for c in services.store_computations(ctx.actor, stage, reason=_("demo data")) if c.n_entries]
    for computation in computations:
        computation.created_at = published_at - dt.timedelta(hours=2)
    Computation.objects.bulk_update(computations, ["created_at"])
    publicity = services.record_publicity(ctx.actor, stage, computations, started_at=published_at)
    if final_at is None:
        return publicity, None
    finalization = services.record_finalization(ctx.actor, stage, publicity, computations,
                                                last=queries.is_last_stage(stage), reason=_("demo data"), at=final_at)
    return publicity, finalization


def _objections(ctx, competition, publicity):
    organizer = ctx.data.get("city_organizer") or ctx.actor
    for index, (name, contact, text, answer, outcome) in enumerate(OBJECTIONS):
        objection = services.submit_objection(competition, name=name, contact=contact, text=text)
        Objection.objects.filter(pk=objection.pk).update(
            created_at=publicity.started_at + dt.timedelta(hours=5 + 20 * index))
        if answer:
            services.answer_objection(organizer, objection, answer=answer, outcome=outcome)


def _winner_login(ctx, competition):
    """A login for the first prize of `competition`, to download their certificates."""
    certificate = (Certificate.objects.filter(competition=competition, kind=Certificate.Kind.AWARD, rank=1)
                   .select_related("person").first())
    if certificate is None or hasattr(certificate.person, "user"):
        return
    person = certificate.person
    account_services.create_user(ctx.actor, username=f"w{person.pk}", password=DEMO_PASSWORD, name=person.name,
                                 person=person)
    ctx.login(_("Worker with results and certificates"), person.id_number, f"{person.name} · {competition.name}")


@transaction.atomic
def load(ctx):
    competitions = [(short, c) for short, c in (ctx.data.get("competitions") or {}).items()
                    if c.status in PAST_CONTEST]
    # Once-per-year promotions depend on which competition was final first.
    competitions.sort(key=lambda item: item[1].status_since(Status.FINAL) or timezone.now())
    results = 0
    for short, competition in competitions:
        stages = queries.stages_of(competition)
        end = competition.ends_at or timezone.now()
        for index, stage in enumerate(stages[:-1]):
            _fill_scores(ctx, competition, stage)
            # The day after the stage's contest, as judging's demo holds it.
            published = end - dt.timedelta(days=7 * (len(stages) - index) - 1)
            _publish_and_finalize(ctx, stage, published_at=published,
                                  final_at=published + dt.timedelta(days=services.publicity_days(competition), hours=1))
        last = stages[-1]
        _fill_scores(ctx, competition, last)
        if competition.status == Status.SCORING:
            services.store_computations(ctx.actor, last, reason=_("demo data"))
        else:
            final_at = None if competition.status == Status.PUBLICITY else competition.status_since(Status.FINAL)
            publicity, finalization = _publish_and_finalize(
                ctx, last, published_at=competition.status_since(Status.PUBLICITY) or end, final_at=final_at)
            if finalization is None:
                _objections(ctx, competition, publicity)
            else:
                services.issue_certificates(ctx.actor, competition, layout=LAYOUTS.get(short, "classic"))
        results += sum(c.n_entries for s in stages for c in queries.current_computations(s))
    auto = dict(competitions).get("auto")
    if auto is not None:
        _winner_login(ctx, auto)
    ctx.say(f"  results: {results} computed, {Certificate.objects.count()} certificates")
