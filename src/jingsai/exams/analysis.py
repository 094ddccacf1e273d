"""Item analysis of a sitting (试题分析): for each question drawn, how hard it was and how
well it told strong candidates from weak ones, and for choice questions which options
were chosen. The figures exam setters use to find a question that is ambiguous, too hard
or too easy, or whose key is wrong:

- difficulty (难度, P): the mean score on the question as a share of its points; 1 is a
  question everyone got right.
- discrimination (区分度, D): P among the best 27% of the attempts (by their paper's
  score) less P among the weakest 27%, each among those who drew the question. 0.4 and
  above is very good, 0.3 to 0.39 good, 0.2 to 0.29 fair, below 0.2 weak (Ebel's
  guide); below 0 the weak did better than the strong, which most often means a wrong
  key. Left out with fewer than MIN_ATTEMPTS graded attempts, or when either group has
  nobody who drew the question.

Flagged for a look: D below 0, nobody right (both most often a wrong key), and D below
0.2 unless everyone was right.

Only graded attempts count (a voided one or one still being graded does not), and each
version of a question separately: an attempt keeps the version it saw.

By knowledge point (知识点), the same figures over every question of the point: where the
candidates were weak, for the training that comes next (培训 → 练兵)."""

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, F, FilteredRelation, Q, Sum
from django.utils.translation import gettext as _

from jingsai.core.db import read_snapshot

from . import scoring, services
from .models import AttemptItem, AttemptStatus, QuestionType, QuestionVersion
from .scoring import cents

GROUP_SHARE = Decimal("0.27")
MIN_ATTEMPTS = 10
WEAK = Decimal("0.2")
STEM_CHARS = 60
CHOICE_TYPES = (QuestionType.SINGLE, QuestionType.MULTIPLE, QuestionType.JUDGE)


@dataclass
class ItemRow:
    version_id: int
    question_number: int
    version_number: int
    type: str
    type_label: str
    knowledge_point: str
    stem: str
    points: Decimal
    drawn: int
    mean_score: Decimal
    difficulty: Decimal
    discrimination: Decimal | None
    flag: str  # "" | "weak" | "negative" | "none_right"
    options: list = field(default_factory=list)  # choice questions: [{key, text, chosen, correct}]
    unanswered: int = 0
    other: int = 0  # choice questions: answers naming none of the options (only an API client can send them)
    # the sums behind P and D, for the knowledge points' figures: (scored, possible) over
    # everyone, the best group and the weakest (None below MIN_ATTEMPTS)
    sums: tuple = ()
    top: tuple | None = None
    bottom: tuple | None = None

    @property
    def flag_text(self):
        return {"weak": _("Weak discrimination: check the question"),
                "negative": _("Negative discrimination: check the key"),
                "none_right": _("Nobody got it right: check the key")}.get(self.flag, "")

    @property
    def option_text(self):
        """The options chosen, the right ones ticked, as A 6；✓B 6；C 0；D 0 (a true-or-false
        question's options by their words)."""
        if not self.options:
            return ""
        shown = [f"{'✓' if o['correct'] else ''}{o['text'] if isinstance(o['key'], bool) else o['key']} {o['chosen']}"
                 for o in self.options]
        if self.unanswered:
            shown.append(_("no answer %(n)s") % {"n": self.unanswered})
        if self.other:
            shown.append(_("none of these %(n)s") % {"n": self.other})
        return "；".join(shown)


@dataclass
class KnowledgePointRow:
    name: str  # "" for questions of no knowledge point
    questions: int  # question versions drawn
    drawn: int  # items drawn, over all of them
    difficulty: Decimal  # P over every point they carried
    discrimination: Decimal | None
    flagged: int  # questions flagged among them

    @property
    def label(self):
        return self.name or _("(no knowledge point)")


def item_statistics(session):
    """(graded attempts counted, size of each of the two groups or 0, [ItemRow]) for the
    sitting, in the order of the questions' numbers. The sums and counts are the
    database's: a sitting of 2,000 candidates answers 200,000 items. Attempts past their
    time and grace are handed in first, as for the sheet of scores. Every figure is of the
    same moment: the queries share one snapshot, so grading that goes on meanwhile shows in
    the next analysis, not in half of this one."""
    services.sweep(session=session)
    with read_snapshot():
        return _statistics(session)


def _statistics(session):
    graded = session.attempts.filter(status=AttemptStatus.GRADED)
    count = graded.count()
    group = 0
    top = bottom = None
    if count >= MIN_ATTEMPTS:
        group = max(1, int((count * GROUP_SHARE).to_integral_value(rounding=ROUND_HALF_UP)))
        # Ranked by score, then by id: the best group runs down to the group-th attempt,
        # the weakest up from the group-th from the end, ties split by id.
        ranked = graded.order_by("-score", "pk").values_list("score", "pk")
        score, pk = ranked[group - 1]
        top = Q(attempt__score__gt=score) | Q(attempt__score=score, attempt_id__lte=pk)
        score, pk = ranked[count - group]
        bottom = Q(attempt__score__lt=score) | Q(attempt__score=score, attempt_id__gte=pk)
    items = AttemptItem.objects.filter(attempt__session=session, attempt__status=AttemptStatus.GRADED,
                                       score__isnull=False, points__gt=0).order_by()
    sums = {"drawn": Count("pk"), "scored": Sum("score"), "possible": Sum("points")}
    if top is not None:
        sums.update(top_scored=Sum("score", filter=top), top_possible=Sum("points", filter=top),
                    bottom_scored=Sum("score", filter=bottom), bottom_possible=Sum("points", filter=bottom))
    by_version = {row.pop("version_id"): row for row in items.values("version_id").annotate(**sums)}
    versions = {v.pk: v for v in QuestionVersion.objects.filter(pk__in=list(by_version))
                .select_related("question", "knowledge_point")}
    choice = [pk for pk, v in versions.items() if v.type in CHOICE_TYPES]
    responses = defaultdict(list)  # version id: [(response, how many gave it)]
    if choice:
        # each item joined to its answer, if any (none: a question left blank)
        its_answer = FilteredRelation("attempt__answers", condition=Q(attempt__answers__position=F("position")))
        given = (items.filter(version_id__in=choice).alias(given=its_answer)
                 .values("version_id", "given__response").annotate(n=Count("pk")).order_by())
        for row in given:
            responses[row["version_id"]].append((row["given__response"], row["n"]))
    rows = []
    for version_id, sum_of in by_version.items():
        version = versions[version_id]
        drawn, scored, possible = sum_of["drawn"], cents(sum_of["scored"]), cents(sum_of["possible"])
        difficulty = cents(scored / possible)
        best = worst = None
        if top is not None:
            best = (cents(sum_of["top_scored"] or 0), cents(sum_of["top_possible"] or 0))
            worst = (cents(sum_of["bottom_scored"] or 0), cents(sum_of["bottom_possible"] or 0))
        discrimination = _discrimination(best, worst)
        flag = _flag(scored / possible, discrimination)  # P exact: 0.996 is not everyone right
        row = ItemRow(
            version_id=version_id, question_number=version.question.number, version_number=version.number,
            type=version.type, type_label=QuestionType(version.type).label,
            knowledge_point=version.knowledge_point.name if version.knowledge_point else "",
            stem=_excerpt(version.stem), points=cents(possible / drawn), drawn=drawn,
            mean_score=cents(scored / drawn), difficulty=difficulty,
            discrimination=discrimination, flag=flag, sums=(scored, possible), top=best, bottom=worst)
        if version.type in CHOICE_TYPES:
            row.options, row.unanswered, row.other = _options(version, responses[version_id])
        rows.append(row)
    rows.sort(key=lambda r: (r.question_number, r.version_number))
    return count, group, rows


def _discrimination(best, worst):
    """D from the best group's and the weakest group's (scored, possible), or None when
    either group has nobody who drew the question."""
    if best is None or not best[1] or not worst[1]:
        return None
    discrimination = cents(best[0] / best[1] - worst[0] / worst[1])
    return discrimination.copy_abs() if discrimination.is_zero() else discrimination  # not "-0.00"


def by_knowledge_point(rows):
    """The item rows summed by knowledge point, the hardest first (then by name): P over
    every point their questions carried, D from the best and weakest groups' sums over
    them, and how many of their questions are flagged."""
    points = defaultdict(list)
    for row in rows:
        points[row.knowledge_point].append(row)
    summary = []
    for name, members in points.items():
        scored = sum(r.sums[0] for r in members)
        possible = sum(r.sums[1] for r in members)
        best = worst = None
        if all(r.top is not None for r in members):
            best = tuple(sum(r.top[i] for r in members) for i in (0, 1))
            worst = tuple(sum(r.bottom[i] for r in members) for i in (0, 1))
        summary.append(KnowledgePointRow(
            name=name, questions=len(members), drawn=sum(r.drawn for r in members),
            difficulty=cents(scored / possible), discrimination=_discrimination(best, worst),
            flagged=sum(1 for r in members if r.flag)))
    summary.sort(key=lambda k: (k.difficulty, k.name))
    return summary


def _flag(difficulty, discrimination):
    """What the row asks the setters to look at, once there are enough attempts for D: a
    negative D; nobody right (most often a wrong key); a weak D, except where everyone was
    right, which leaves nothing to tell apart and is no fault of the question's. `difficulty`
    is P unrounded: one rounded to 1.00 or 0.00 may not be everyone or nobody."""
    if discrimination is None:
        return ""
    if discrimination < 0:
        return "negative"
    if difficulty == 0:
        return "none_right"
    if discrimination < WEAK and difficulty < 1:
        return "weak"
    return ""


def _excerpt(stem):
    text = " ".join(str(stem).split())
    return text if len(text) <= STEM_CHARS else text[:STEM_CHARS - 1] + "…"


def _options(version, responses):
    """From [(response, how many gave it)]: how many chose each option (a multiple-choice
    answer counts for each option in it, and an option named twice in one answer once), how
    many gave no answer, and how many gave one that names none of the options (a
    true-or-false answer as text, say: only an API client sends such answers, and they are
    graded wrong)."""
    right = scoring.correct_response(version.type, version.answer)
    if version.type == QuestionType.JUDGE:
        listed = [{"key": True, "text": _("True")}, {"key": False, "text": _("False")}]
        right = [right]
    else:
        listed = [{"key": o["key"], "text": o.get("text", "")} for o in version.options]
    chosen = dict.fromkeys([o["key"] for o in listed], 0)
    unanswered = other = 0
    for response, n in responses:
        if response in (None, "", []):
            unanswered += n
            continue
        named = [key for key in _named(version.type, response) if key in chosen]
        for key in named:
            chosen[key] += n
        if not named:
            other += n
    return ([{"key": o["key"], "text": o["text"], "chosen": chosen[o["key"]], "correct": o["key"] in right}
             for o in listed], unanswered, other)


def _named(qtype, response):
    """The options an answer names, read as grading reads it (scoring.score): one key for a
    single choice, a list of keys for a multiple choice (each once), true or false for a
    true-or-false question; anything else names none."""
    if qtype == QuestionType.MULTIPLE:
        return {key for key in response if isinstance(key, str)} if isinstance(response, list) else set()
    if qtype == QuestionType.JUDGE:
        return {response} if isinstance(response, bool) else set()
    return {response} if isinstance(response, str) else set()


COLUMNS = ["题号", "版本", "题型", "知识点", "题干", "分值", "抽到人次", "平均得分", "难度(P)", "区分度(D)", "提示",
           "选项分布"]


KNOWLEDGE_POINT_COLUMNS = ["知识点", "题数", "抽到人次", "难度(P)", "区分度(D)", "需查看的题"]


def tables(session):
    """The item analysis as sheets [(name, columns, rows)]: by question, then by knowledge
    point (the page's download and the command)."""
    _count, _group, rows = item_statistics(session)
    by_question = [[r.question_number, r.version_number, r.type_label, r.knowledge_point, r.stem, r.points, r.drawn,
                    r.mean_score, r.difficulty, r.discrimination, r.flag_text, r.option_text] for r in rows]
    by_point = [[k.label, k.questions, k.drawn, k.difficulty, k.discrimination, k.flagged]
                for k in by_knowledge_point(rows)]
    return [("试题分析", COLUMNS, by_question), ("按知识点", KNOWLEDGE_POINT_COLUMNS, by_point)]
