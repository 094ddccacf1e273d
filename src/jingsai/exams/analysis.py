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
version of a question separately: an attempt keeps the version it saw."""

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, OuterRef, Q, Subquery, Sum
from django.utils.translation import gettext as _

from . import scoring, services
from .models import Answer, AttemptItem, AttemptStatus, QuestionType, QuestionVersion
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
        return "；".join(shown)


def item_statistics(session):
    """(graded attempts counted, size of each of the two groups or 0, [ItemRow]) for the
    sitting, in the order of the questions' numbers. The sums and counts are the
    database's: a sitting of 2,000 candidates answers 200,000 items. Attempts past their
    time and grace are handed in first, as for the sheet of scores."""
    services.sweep(session=session)
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
        answer = Answer.objects.filter(attempt_id=OuterRef("attempt_id"), position=OuterRef("position"))
        given = (items.filter(version_id__in=choice).annotate(response=Subquery(answer.values("response")[:1]))
                 .values("version_id", "response").annotate(n=Count("pk")).order_by())
        for row in given:
            responses[row["version_id"]].append((row["response"], row["n"]))
    rows = []
    for version_id, sum_of in by_version.items():
        version = versions[version_id]
        drawn, scored, possible = sum_of["drawn"], cents(sum_of["scored"]), cents(sum_of["possible"])
        difficulty = cents(scored / possible)
        discrimination = None
        if top is not None and sum_of["top_possible"] and sum_of["bottom_possible"]:
            discrimination = cents(cents(sum_of["top_scored"]) / cents(sum_of["top_possible"])
                                  - cents(sum_of["bottom_scored"]) / cents(sum_of["bottom_possible"]))
            if discrimination.is_zero():
                discrimination = discrimination.copy_abs()  # not "-0.00" from a small negative
        flag = _flag(difficulty, discrimination)
        row = ItemRow(
            version_id=version_id, question_number=version.question.number, version_number=version.number,
            type=version.type, type_label=QuestionType(version.type).label,
            knowledge_point=version.knowledge_point.name if version.knowledge_point else "",
            stem=_excerpt(version.stem), points=cents(possible / drawn), drawn=drawn,
            mean_score=cents(scored / drawn), difficulty=difficulty,
            discrimination=discrimination, flag=flag)
        if version.type in CHOICE_TYPES:
            row.options, row.unanswered = _options(version, responses[version_id])
        rows.append(row)
    rows.sort(key=lambda r: (r.question_number, r.version_number))
    return count, group, rows


def _flag(difficulty, discrimination):
    """What the row asks the setters to look at, once there are enough attempts for D: a
    negative D; nobody right (most often a wrong key); a weak D, except where everyone was
    right, which leaves nothing to tell apart and is no fault of the question's."""
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
    answer counts for each option in it), and how many gave no answer."""
    right = scoring.correct_response(version.type, version.answer)
    if version.type == QuestionType.JUDGE:
        listed = [{"key": True, "text": _("True")}, {"key": False, "text": _("False")}]
        right = [right]
    else:
        listed = [{"key": o["key"], "text": o.get("text", "")} for o in version.options]
    chosen = dict.fromkeys([o["key"] for o in listed], 0)
    unanswered = 0
    for response, n in responses:
        picked = response if isinstance(response, list) else [] if response in (None, "") else [response]
        if not picked:
            unanswered += n
        for key in picked:
            if key in chosen:
                chosen[key] += n
    return ([{"key": o["key"], "text": o["text"], "chosen": chosen[o["key"]], "correct": o["key"] in right}
             for o in listed], unanswered)


COLUMNS = ["题号", "版本", "题型", "知识点", "题干", "分值", "抽到人次", "平均得分", "难度(P)", "区分度(D)", "提示",
           "选项分布"]


def table(session):
    """The item analysis as (columns, rows) for a sheet (page and command)."""
    _count, _group, rows = item_statistics(session)
    return COLUMNS, [[r.question_number, r.version_number, r.type_label, r.knowledge_point, r.stem, r.points, r.drawn,
                      r.mean_score, r.difficulty, r.discrimination, r.flag_text, r.option_text] for r in rows]
