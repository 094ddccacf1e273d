"""Demo exams: a question bank per demo trade (单选, 多选, 判断, 填空, 简答 from
demo_questions), a theory paper and session for each competition past registration,
as its state implies:

  registration_closed   the session is scheduled for the contest day
  in_progress (turner)  the session is open now: candidates answering (one with a lost
                        connection, one who changed devices), some handed in with short
                        answers waiting for the demo grader
  scoring and later     every approved entry sat it: attempts drawn, answered, graded, and
                        the theory score recorded through results.services

plus practice (岗位练兵) over the last month for a share of the workers, the demo worker
included, with a wrong-answer book. Attempts of past exams are written in bulk."""

import datetime as dt
import json
import secrets
from collections import Counter
from decimal import Decimal

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from jingsai.competitions.models import Status
from jingsai.registration.models import Entry, EntryStatus

from . import draw, scoring, services
from .content import QuestionData
from .demo_questions import NO_COPULA, SHARED, SHARED_MULTIPLE, TRADES
from .models import (
    Answer,
    Attempt,
    AttemptItem,
    AttemptStatus,
    EndedBy,
    Grading,
    PracticeItem,
    PracticeSet,
    Question,
    QuestionVersion,
    WrongAnswer,
)

PAPER = [
    {"title": "一、单项选择题", "type": "single", "count": 10, "points": "2"},
    {"title": "二、多项选择题", "type": "multiple", "count": 3, "points": "5"},
    {"title": "三、判断题", "type": "judge", "count": 10, "points": "2"},
    {"title": "四、填空题", "type": "fill", "count": 5, "points": "5"},
    {"title": "五、简答题", "type": "short", "count": 1, "points": "20"},
]
PAST = (Status.SCORING, Status.PUBLICITY, Status.FINAL, Status.ARCHIVED)


def _is(subject):
    return "" if subject.endswith(NO_COPULA) else "是"


def questions_for(code, rng):
    """QuestionData for one trade: four questions per fact, and the trade's multiple
    choices and short answers."""
    trade = TRADES[code]
    out = []
    for difficulty, (kp, subject, right, wrong) in enumerate(trade["facts"] + SHARED):
        level = 1 + (difficulty * 7 + len(subject)) % 5
        options = [right, *wrong]
        rng.shuffle(options)
        out.append(QuestionData(type="single", stem=f"{subject}{_is(subject)}（　　）。", options=options,
                                answer=chr(ord("A") + options.index(right)), knowledge_point=kp, difficulty=level,
                                explanation=f"正确答案：{right}。"))
        out.append(QuestionData(type="judge", stem=f"{subject}{_is(subject)}{right}。", answer=True,
                                knowledge_point=kp, difficulty=max(1, level - 1)))
        out.append(QuestionData(type="judge", stem=f"{subject}{_is(subject)}{wrong[0]}。", answer=False,
                                knowledge_point=kp, difficulty=max(1, level - 1),
                                explanation=f"应为：{right}。"))
        out.append(QuestionData(type="fill", stem=f"{subject}{_is(subject)}____。", answer=[[right]],
                                knowledge_point=kp, difficulty=min(5, level + 1)))
    for kp, stem, right, wrong in trade["multiple"] + SHARED_MULTIPLE:
        options = right + wrong
        rng.shuffle(options)
        out.append(QuestionData(type="multiple", stem=stem, options=options, knowledge_point=kp, difficulty=3,
                                answer="".join(chr(ord("A") + options.index(r)) for r in right)))
    for kp, stem, reference in trade["short"]:
        out.append(QuestionData(type="short", stem=stem, answer=reference, knowledge_point=kp, difficulty=4))
    return out


def _banks(ctx):
    owner = ctx.orgs["SH-UNION"]
    banks = {}
    for code in TRADES:
        bank = services.create_bank(ctx.actor, occupation=code, level=3, owner=owner)
        questions = questions_for(code, ctx.rng)
        problems = services.check_questions(questions)
        assert not problems, problems
        services.add_questions(ctx.actor, bank, questions, fmt="demo", reason=_("demo data"))
        banks[code] = bank
    return banks


def _response(version, right, rng):
    answer = version.answer
    if version.type == "single":
        keys = [o["key"] for o in version.options]
        best = next(k for k, f in answer.items() if Decimal(f) == 1)
        return best if right else rng.choice([k for k in keys if k != best])
    if version.type == "multiple":
        if right:
            return sorted(answer)
        keys = [o["key"] for o in version.options]
        return sorted(rng.sample(keys, 2))
    if version.type == "judge":
        return answer if right else not answer
    if version.type == "fill":
        return [blank[0]["text"] if right else "不清楚" for blank in answer]
    return version.answer[: max(8, int(len(version.answer) * (0.5 + 0.5 * right)))]


def _sit_in_bulk(ctx, session, entries, grader):
    """Every entry sits the session, in bulk: the draw, answers, objective scores, a
    grader's mark for each short answer, and the theory score through results."""
    from jingsai.results.models import ScoreSource
    from jingsai.results.services import ScoreChange, record_scores

    rng = ctx.rng
    paper = session.paper
    sections = list(paper.sections.all())
    specs = [draw.SectionSpec(s.type, s.knowledge_point_id, s.difficulty, s.count) for s in sections]
    pool = services.question_pool(paper.bank)
    current = dict(Question.objects.filter(bank=paper.bank_id).values_list("pk", "current_id"))
    versions = {v.pk: v for v in QuestionVersion.objects.filter(question__bank=paper.bank_id)}
    used = Counter()
    attempts, plans = [], []
    max_score = services.paper_total(paper)
    for entry in entries:
        started = session.opens_at + dt.timedelta(minutes=rng.randint(0, 10))
        deadline = started + dt.timedelta(minutes=session.duration_minutes)
        minutes = rng.randint(40, session.duration_minutes + 1)
        timeout = minutes > session.duration_minutes
        chosen = draw.draw(specs, [draw.PoolRow(r.id, r.type, r.knowledge_point, r.difficulty,
                                                r.times_drawn + used[r.id]) for r in pool], rng)
        picked = [(section, pk) for index, section in enumerate(sections) for pk in chosen[index]]
        used.update(pk for _s, pk in picked)
        ability = min(0.97, max(0.35, rng.gauss(0.74, 0.12)))
        attempts.append(Attempt(
            session=session, entry=entry, person_id=entry.person_id, status=AttemptStatus.GRADED,
            started_at=started, deadline=deadline, accept_until=deadline + dt.timedelta(seconds=session.grace_seconds),
            submitted_at=deadline if timeout else started + dt.timedelta(minutes=minutes),
            ended_by=EndedBy.TIMEOUT if timeout else EndedBy.CANDIDATE, device=secrets.token_hex(16),
            last_seen_at=started + dt.timedelta(minutes=min(minutes, session.duration_minutes)),
            item_count=len(picked), max_score=max_score, blind_code=secrets.token_hex(6).upper(),
        ))
        plans.append((picked, ability))
    Attempt.objects.bulk_create(attempts, batch_size=500)
    items, answers, gradings, changes = [], [], [], []
    for attempt, (picked, ability) in zip(attempts, plans, strict=True):
        total = Decimal(0)
        for position, (section, pk) in enumerate(picked):
            version = versions[current[pk]]
            keys = [o["key"] for o in version.options]
            rng.shuffle(keys)
            right = rng.random() < ability
            response = _response(version, right, rng)
            if version.type == "short":
                score = (section.points * Decimal(str(round(min(1.0, max(0.2, rng.gauss(ability, 0.1))), 2))))
                score = score.quantize(Decimal("0.5"))
            else:
                score = scoring.score(version.type, version.answer, response, section.points)
            total += score
            items.append(AttemptItem(attempt=attempt, position=position, section=section, version=version,
                                     points=section.points, option_order=keys, score=score))
            answers.append(Answer(attempt=attempt, position=position, seq=1 + rng.randint(0, 2),
                                  response=response, saved_at=attempt.started_at + dt.timedelta(minutes=position + 1)))
        attempt.objective_score = total - sum((i.score for i in items[-len(picked):] if i.version.type == "short"),
                                              Decimal(0))
        attempt.score = total
        changes.append(ScoreChange(entry=attempt.entry, scores={session.component: services.theory_score(attempt)}))
    AttemptItem.objects.bulk_create(items, batch_size=2000)
    Answer.objects.bulk_create(answers, batch_size=2000)
    Attempt.objects.bulk_update(attempts, ["objective_score", "score"], batch_size=500)
    gradings = [Grading(item=item, grader=grader, score=item.score, created_at=item.attempt.submitted_at)
                for item in items if item.version.type == "short"]
    Grading.objects.bulk_create(gradings, batch_size=2000)
    for pk, n in used.items():
        Question.objects.filter(pk=pk).update(times_drawn=F("times_drawn") + n)
    if changes:
        record_scores(ctx.actor, session.stage, changes, source=ScoreSource.EXAM,
                      reason=_("Theory exam “%(session)s” graded.") % {"session": session.name})
    return len(attempts)


def _sit_live(ctx, session, entries):
    """A session open now: some answering, one gone quiet, one on a second device, some
    handed in with their short answer waiting for the grader."""
    rng = ctx.rng
    now = timezone.now()
    for index, entry in enumerate(entries[:14]):
        user = entry.person.user if hasattr(entry.person, "user") else None
        if user is None:
            from jingsai.accounts.models import User

            user = User.objects.create(username=f"w{entry.person_id}", name=entry.person.name, person=entry.person,
                                       password="!")  # noqa: S106 - an unusable password
        started = now - dt.timedelta(minutes=rng.randint(5, 35))
        attempt = services.start(user, session, device=f"demo-{index}", access_code=session.access_code, now=started)
        items = list(attempt.items.select_related("version"))
        answered = items[: rng.randint(len(items) // 3, len(items))]
        services.save_answers(attempt.pk, attempt.device, [
            (item.position, 1, json.dumps(_response(item.version, rng.random() < 0.75, rng), ensure_ascii=False))
            for item in answered
        ], now=started + dt.timedelta(minutes=3))
        if index == 1:
            services.resume(user, attempt, device="demo-phone-2", ip="10.8.3.21", access_code=session.access_code,
                            user_agent="Mozilla/5.0 (iPhone)", now=started + dt.timedelta(minutes=4))
        quiet = index == 2
        Attempt.objects.filter(pk=attempt.pk).update(
            last_seen_at=now - dt.timedelta(minutes=4) if quiet else now - dt.timedelta(seconds=rng.randint(3, 25)))
        if index >= 10:
            services.save_answers(attempt.pk, attempt.device, [
                (item.position, 2, json.dumps(item.version.answer[:40], ensure_ascii=False))
                for item in items if item.version.type == "short"
            ], now=started + dt.timedelta(minutes=5))
            services.submit(user, Attempt.objects.get(pk=attempt.pk))
    return min(14, len(entries))


def _session(ctx, competition, stage, paper, status):
    today = timezone.now()
    if status == Status.REGISTRATION_CLOSED:
        day = (competition.starts_at or today + dt.timedelta(days=5)).astimezone(timezone.get_current_timezone())
        opens = day.replace(hour=9, minute=0, second=0, microsecond=0)
    elif status == Status.IN_PROGRESS:
        opens = today - dt.timedelta(minutes=40)
    else:
        day = (competition.starts_at or today - dt.timedelta(days=30)).astimezone(timezone.get_current_timezone())
        opens = day.replace(hour=9, minute=0, second=0, microsecond=0)
    name = f"{stage.name}理论知识考试" if stage and competition.stages.count() > 1 else "理论知识考试"
    return services.create_session(
        ctx.actor, competition, paper=paper, stage=stage, name=name, opens_at=opens,
        closes_at=opens + dt.timedelta(hours=3), duration_minutes=90,
        access_code="2026" if status == Status.IN_PROGRESS else "",
        graders_per_answer=1 if status == Status.IN_PROGRESS or status in PAST else 2,
        reason=_("demo data"),
    )


def _exams(ctx, banks):
    competitions = ctx.data.get("competitions", {})
    grader = ctx.data["staff"]["grader"]
    sat = 0
    for competition in competitions.values():
        status = competition.status
        if status not in (Status.REGISTRATION_CLOSED, Status.IN_PROGRESS, *PAST):
            continue
        if not any(c["key"] == "theory" for c in competition.spec.get("components", [])):
            continue
        bank = banks.get(competition.occupation)
        if bank is None:
            continue
        paper = services.save_paper(ctx.actor, competition=competition, bank=bank,
                                    name=f"{competition.name}理论知识试卷", kind="blueprint", sections=PAPER,
                                    reason=_("demo data"))
        for stage in competition.stages.order_by("order"):
            entries = list(Entry.objects.filter(stage=stage, status=EntryStatus.APPROVED)
                           .select_related("person__user").order_by("number"))
            if not entries and status != Status.REGISTRATION_CLOSED:
                continue
            session = _session(ctx, competition, stage, paper, status)
            if status == Status.IN_PROGRESS:
                sat += _sit_live(ctx, session, entries)
            elif status in PAST:
                sat += _sit_in_bulk(ctx, session, entries, grader)
    return sat


def _practice(ctx, banks):
    """A month of practice for a share of the workers; the demo worker practised too."""
    rng = ctx.rng
    now = timezone.now()
    people = [p for p in ctx.data["people"] if p.occupation in banks]
    sample = rng.sample(people, max(1, len(people) // 10))
    worker = ctx.data.get("demo_worker")
    if worker is not None and worker.person_id and worker.person not in sample:
        sample.append(worker.person)
    versions = {}
    for code, bank in banks.items():
        versions[code] = list(QuestionVersion.objects.filter(question__bank=bank, question__current_id=F("pk"))
                              .exclude(type="short"))
    sets, plans = [], []
    for person in sample:
        code = person.occupation if person.occupation in banks else next(iter(banks))
        ability = min(0.95, max(0.4, rng.gauss(0.7, 0.12)))
        for _round in range(rng.randint(1, 4)):
            when = now - dt.timedelta(days=rng.randint(0, 29), hours=rng.randint(0, 12), minutes=rng.randint(0, 59))
            chosen = rng.sample(versions[code], 10)
            sets.append(PracticeSet(person=person, unit_id=person.employer_id, bank=banks[code], created_at=when,
                                    total=10))
            plans.append((chosen, ability, when))
    PracticeSet.objects.bulk_create(sets, batch_size=1000)
    items, wrong = [], {}
    for practice, (chosen, ability, when) in zip(sets, plans, strict=True):
        for position, version in enumerate(chosen):
            right = rng.random() < ability
            keys = [o["key"] for o in version.options]
            rng.shuffle(keys)
            answered = when + dt.timedelta(seconds=30 * (position + 1))
            items.append(PracticeItem(practice=practice, position=position, version=version, option_order=keys,
                                      response=_response(version, right, rng), correct=right, answered_at=answered))
            practice.answered += 1
            practice.correct += right
            if not right:
                key = (practice.person_id, version.question_id)
                previous = wrong.get(key)
                wrong[key] = WrongAnswer(person_id=key[0], question_id=key[1], last_wrong_at=answered,
                                         times_wrong=(previous.times_wrong + 1) if previous else 1)
    PracticeItem.objects.bulk_create(items, batch_size=5000)
    PracticeSet.objects.bulk_update(sets, ["answered", "correct"], batch_size=1000)
    WrongAnswer.objects.bulk_create(wrong.values(), batch_size=5000)
    return len(sample), len(items)


@transaction.atomic
def load(ctx):
    banks = _banks(ctx)
    sat = _exams(ctx, banks)
    people, answers = _practice(ctx, banks)
    ctx.data["banks"] = banks
    ctx.say(f"  exams: {Question.objects.count()} questions in {len(banks)} banks, {sat} attempts; "
            f"practice: {people} workers, {answers} answers")
