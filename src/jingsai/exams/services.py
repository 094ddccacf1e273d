"""Every change to question banks, papers, exam sessions, attempts, grading and practice.

The exam's hot path is save_answers(): one conditional UPSERT per request, authorised by
the attempt token (attempt id + device, signed) and the attempt row itself, with no
session, no user lookup and no other write. Everything else is ordinary service code, in
transactions, with audit records."""

import functools
import hashlib
import ipaddress
import json
import logging
import random
import re
import secrets
import unicodedata
import weakref
from collections import Counter, defaultdict
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal
from types import SimpleNamespace

import psycopg
from django.core import signing
from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, IntegrityError, connection, connections, transaction
from django.db.models import Case, Count, Exists, F, Max, OuterRef, Q, Subquery, When
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from jingsai.core import audit
from jingsai.core.errors import Problem, Rejected, UserError, clean
from jingsai.core.numbers import NumberError, parse_decimal
from jingsai.registration.models import ACTIVE_STATUSES, Entry, EntryStatus

from . import content, draw, images, scoring
from .formats import FORMATS, parse, write
from .models import (
    Allowance,
    Answer,
    Attempt,
    AttemptEvent,
    AttemptItem,
    AttemptStatus,
    Bank,
    Difficulty,
    EndedBy,
    ExamSession,
    ExplanationImage,
    Grading,
    KnowledgePoint,
    Paper,
    PaperSection,
    PracticeItem,
    PracticeSet,
    Question,
    QuestionImage,
    QuestionType,
    QuestionVersion,
    QuestionVersionImage,
    WrongAnswer,
    picture_links,
)

log = logging.getLogger(__name__)
CENT = Decimal("0.01")
TOKEN_SALT = "jingsai.exams.attempt"  # noqa: S105 - a signing salt, not a secret
MAX_RESPONSE_CHARS = 20000
MAX_BATCH = 200
MAX_PAPER_POINTS = Decimal("999999.99")  # Attempt.max_score and score: 8 digits, 2 after the point
MAX_PAPER_QUESTIONS = 1000  # a save names its question by position, 0 to 999
SESSION_YEARS = (2000, 2099)  # a sitting's window: year 1 overflows SQLite, and PostgreSQL cannot read it back


# ---------------------------------------------------------------- question banks


BANK_LEVELS = (1, 2, 3, 4, 5)


@transaction.atomic
def create_bank(actor, *, occupation, level, owner, name="", practice_open=True, reason=""):
    from jingsai.people.models import Occupation

    # As the page and the command offer: 特级技师 and 首席技师 (0, -1) are no exam's level.
    if level not in BANK_LEVELS:
        raise UserError(_("A question bank is for a skill level from 1 to 5."), code="level")
    if Bank.objects.filter(occupation=occupation, level=level).exists():
        raise UserError(_("A question bank for this occupation and level already exists."), code="duplicate")
    if not name:
        occupation_name = Occupation.objects.filter(code=occupation).values_list("name", flat=True).first()
        name = _("%(occupation)s, level %(level)s") % {"occupation": occupation_name or occupation, "level": level}
    bank = Bank(occupation=occupation, level=level, owner=owner, name=name, practice_open=practice_open,
                created_by=actor)
    clean(bank)
    bank.save()
    audit.record(actor, "exams.create_bank", bank, reason=reason,
                 data={"occupation": occupation, "level": level, "owner": owner.code})
    return bank


BANK_FIELDS = ("name", "practice_open")


@transaction.atomic
def update_bank(actor, bank, *, reason="", **fields):
    """Rename a bank, or open or close it for practice (a bank an exam draws from is often
    closed, so that its questions are not seen before the exam)."""
    unknown = set(fields) - set(BANK_FIELDS)
    if unknown:
        raise UserError(_("A question bank's name and practice setting can change; nothing else."), code="field")
    if "name" in fields:
        fields["name"] = (fields["name"] or "").strip()
        if not fields["name"]:
            raise UserError(_("Give the question bank a name."), code="name")
    if "practice_open" in fields and not isinstance(fields["practice_open"], bool):
        raise UserError(_("Say whether the bank is open for practice: yes or no."), code="practice_open")
    Bank.objects.select_for_update().filter(pk=bank.pk).exists()
    bank.refresh_from_db()  # as it is now, under the lock
    before = {name: getattr(bank, name) for name in fields}
    for name, value in fields.items():
        setattr(bank, name, value)
    clean(bank)
    bank.save()
    changes = audit.changes_between(before, bank, list(fields))
    if changes:
        audit.record(actor, "exams.update_bank", bank, reason=reason, changes=changes)
    return bank, changes


def knowledge_points(bank, names):
    """{name: KnowledgePoint} for the given names, creating those not yet in the bank."""
    names = {n for n in names if n}
    found = {kp.name: kp for kp in KnowledgePoint.objects.filter(bank=bank, name__in=names)}
    missing = [KnowledgePoint(bank=bank, name=n) for n in sorted(names - set(found))]
    if missing:
        KnowledgePoint.objects.bulk_create(missing)
        found.update({kp.name: kp for kp in KnowledgePoint.objects.filter(bank=bank, name__in=names)})
    return found


def check_questions(questions):
    from .formats.xlsx import COLUMN_OF

    problems = []
    for q in questions:
        for message in content.check(q):
            if isinstance(q.where, int):  # a spreadsheet row: the cell's column and what it holds
                problems.append(Problem(message, row=q.where, column=COLUMN_OF.get(message.field),
                                        value=message.value))
            else:
                problems.append(Problem(message, where=q.where or None))
    return problems


def _next_number(bank):
    Bank.objects.select_for_update().filter(pk=bank.pk).first()
    return (Question.objects.filter(bank=bank).aggregate(n=Max("number"))["n"] or 0) + 1


def _version(question, number, q, kp, actor, fingerprint=None):
    return QuestionVersion(
        question=question, number=number, type=q.type, knowledge_point=kp, difficulty=q.difficulty,
        title=q.title, stem=q.stem, options=q.options, answer=q.answer, explanation=q.explanation,
        fingerprint=fingerprint or content.fingerprint(q), created_by=actor,
    )


def _picture_pks(bank, pictures):
    """The pks of pictures (a question's or its explanation's) in the author's order, storing
    the new ones; a picture given twice is kept where it first comes. A pk must be a picture
    of the bank."""
    given = {image for image in pictures if isinstance(image, int)}
    if given:
        known = set(QuestionImage.objects.filter(bank=bank, pk__in=given).values_list("pk", flat=True))
        if given - known:
            raise UserError(_("The question bank holds no picture %(id)s.") % {"id": min(given - known)})
    return list(dict.fromkeys(image if isinstance(image, int) else images.store(bank, image).pk
                              for image in pictures))


def _links(version_id, image_pks, model=QuestionVersionImage):
    """Rows of a version's ordered pictures (model: QuestionVersionImage for the question's,
    ExplanationImage for the explanation's)."""
    return [model(version_id=version_id, image_id=pk, position=position) for position, pk in enumerate(image_pks)]


def _set_pictures(version, image_pks, model=QuestionVersionImage):
    """A version's pictures, in this order (they replace any it had)."""
    model.objects.filter(version=version).delete()
    model.objects.bulk_create(_links(version.pk, image_pks, model))


def explanation_images(version_ids):
    """{version id: [explanation picture ids in their order]}, in one query."""
    found = {}
    for version_id, image_id in (ExplanationImage.objects.filter(version_id__in=list(version_ids))
                                 .order_by("version_id", "position").values_list("version_id", "image_id")):
        found.setdefault(version_id, []).append(image_id)
    return found


@transaction.atomic
def add_question(actor, bank, q, *, reason=""):
    """Add one question (content.QuestionData) to `bank`; Rejected lists what is wrong."""
    problems = check_questions([q])
    if problems:
        raise Rejected(_("The question was not saved."), problems)
    number, digest = _next_number(bank), content.fingerprint(q)  # the bank locked: a second click waits here
    # As an import does: the same content is not added twice (a double click on Save made
    # two questions, which one blueprint could then draw into the same paper).
    twin = (Question.objects.filter(bank=bank, current__fingerprint=digest).order_by("number")
            .values_list("number", flat=True).first())
    if twin is not None:
        raise UserError(_("The bank already holds this question: question %(n)s.") % {"n": twin}, code="duplicate")
    kp = knowledge_points(bank, [q.knowledge_point]).get(q.knowledge_point)
    question = Question.objects.create(bank=bank, number=number, type=q.type, knowledge_point=kp,
                                       difficulty=q.difficulty)
    version = _version(question, 1, q, kp, actor, digest)
    version.save()
    _set_pictures(version, _picture_pks(bank, q.images))
    _set_pictures(version, _picture_pks(bank, q.explanation_images), ExplanationImage)
    question.current = version
    question.save(update_fields=["current"])
    audit.record(actor, "exams.add_question", question, reason=reason, data={"bank": bank.pk, "type": q.type})
    return question


def version_used(version):
    return (
        AttemptItem.objects.filter(version=version).exists()
        or PracticeItem.objects.filter(version=version).exists()
    )


def question_data(version, *, with_image_data=False):
    """The content.QuestionData of a stored version (image pks, or ImageData for export), its
    pictures and its explanation's in the author's order."""
    stored = version.pictures()
    explained = version.explanation_pictures()
    if with_image_data:
        pictures = [content.ImageData(name=i.name, data=images.path_of(i).read_bytes()) for i in stored]
        explanation_pictures = [content.ImageData(name=i.name, data=images.path_of(i).read_bytes())
                                for i in explained]
    else:
        pictures = [i.pk for i in stored]
        explanation_pictures = [i.pk for i in explained]
    return content.QuestionData(
        type=version.type, stem=version.stem, options=[dict(o) for o in version.options],
        answer=json.loads(json.dumps(version.answer)), explanation=version.explanation,
        knowledge_point=version.knowledge_point.name if version.knowledge_point_id else "",
        difficulty=version.difficulty, title=version.title, images=pictures,
        explanation_images=explanation_pictures,
    )


def _keep_feedback(q, current):
    """Options given as plain texts (the web editor, the API) have no field for Moodle's
    per-option feedback: an option whose key and text are unchanged keeps it; one rewritten
    drops what was said about the old text."""
    said = {o["key"]: o for o in current.options if o.get("feedback")}
    if said:
        keys = list(content.KEYS) + [None] * max(0, len(q.options) - len(content.KEYS))
        q.options = [{"text": option, "feedback": said[key]["feedback"]}
                     if isinstance(option, str) and key in said and said[key]["text"] == option.strip() else option
                     for key, option in zip(keys, q.options, strict=False)]


def question_digest(version):
    """A digest of what a version says: the edit page carries the one it was opened on, so
    that a save over someone else's later change is refused rather than undoing it. The
    pictures count in their order: putting them in another order is a change."""
    said = vars(question_data(version)) | {"where": ""}
    if not said["explanation_images"]:  # left out, so that a version without them keeps the digest it had
        del said["explanation_images"]
    return hashlib.sha256(json.dumps(said, sort_keys=True, ensure_ascii=False).encode()).hexdigest()[:32]


@transaction.atomic
def edit_question(actor, question, q, *, reason="", base=None):
    """Change a question. If its current version has been shown to anyone, the change
    becomes a new version and what was shown stays as it was. Returns the version.
    `base`, when given, is the question_digest() of the content the change was made on (or
    a list of digests, any of which will do: an API's If-Match header may name several)."""
    question = Question.objects.select_for_update(of=("self",)).select_related("bank").get(pk=question.pk)
    _keep_feedback(q, question.current)
    problems = check_questions([q])
    if problems:
        raise Rejected(_("The question was not saved."), problems)
    # Locked before asking whether anyone has seen it: a start storing this version for an
    # attempt holds a key-share lock on it until it commits, so this waits for that start
    # and then finds its items (a plain update would not wait, and would change in place a
    # version an attempt has just drawn).
    bank, current = question.bank, QuestionVersion.objects.select_for_update().get(pk=question.current_id)
    if base is not None and question_digest(current) not in ([base] if isinstance(base, str) else base):
        raise UserError(_("Someone changed this question after you opened it, and nothing was saved: open it again "
                          "to see their change, then make yours."), code="stale")
    kp = knowledge_points(bank, [q.knowledge_point]).get(q.knowledge_point)
    before = question_data(current)
    image_pks = _picture_pks(bank, q.images)
    explanation_pks = _picture_pks(bank, q.explanation_images)
    fields = ("type", "stem", "options", "answer", "explanation", "knowledge_point", "difficulty", "title")
    changes = audit.changes_between(vars(before), vars(q), fields)
    if before.images != image_pks:  # in another order too: they are shown in this one
        changes["images"] = [before.images, image_pks]
    if before.explanation_images != explanation_pks:  # their order is what the explanation shows
        changes["explanation_images"] = [before.explanation_images, explanation_pks]
    if not changes:  # saved as it was: no new version (its statistics would split in two), nothing to record
        return current
    if version_used(current):
        version = _version(question, current.number + 1, q, kp, actor)
        version.save()
        action = "exams.new_version"
    else:
        version = _version(question, current.number, q, kp, actor)
        version.pk, version.created_at = current.pk, current.created_at
        version.save()
        action = "exams.edit_question"
    _set_pictures(version, image_pks)
    _set_pictures(version, explanation_pks, ExplanationImage)
    question.current, question.type, question.knowledge_point, question.difficulty = version, q.type, kp, q.difficulty
    question.save(update_fields=["current", "type", "knowledge_point", "difficulty"])
    audit.record(actor, action, question, reason=reason, changes=changes, data={"version": version.number})
    return version


@transaction.atomic
def set_question_active(actor, question, active, *, reason=""):
    """Retire a question or put it back in use; asking for the state it is in changes nothing."""
    question.is_active = Question.objects.select_for_update().values_list("is_active", flat=True).get(pk=question.pk)
    if question.is_active == active:
        return
    Question.objects.filter(pk=question.pk).update(is_active=active)
    question.is_active = active
    audit.record(actor, "exams.restore_question" if active else "exams.retire_question", question,
                 reason=reason, changes={"is_active": [not active, active]})


def import_questions(actor, bank, data, *, filename="", fmt=None, reason=""):
    """Add the questions of a file (xlsx, Moodle XML or GIFT) to `bank`: all or nothing.

    Returns {"format", "added": {type: n}, "duplicates": n, "skipped": n}. A question whose
    content is already in the bank (or earlier in the file) is not added twice."""
    parsed = parse(fmt, data, filename)
    # In the file's order (reading and checking find them in two passes), those without a row last.
    problems = sorted(list(parsed.problems) + check_questions(parsed.questions),
                      key=lambda p: (p.row is None, p.row or 0))
    if problems:
        raise Rejected(
            _("%(count)s problems found in the file; no question was imported.") % {"count": len(problems)}, problems
        )
    if not parsed.questions:
        raise Rejected(_("The file holds no questions."), [Problem(_("The file holds no questions."))])
    return add_questions(actor, bank, parsed.questions, fmt=parsed.format, filename=filename, skipped=parsed.skipped,
                         reason=reason)


@transaction.atomic
def import_questions_into_new_bank(actor, *, occupation, level, owner, data, filename="", fmt=None, reason=""):
    """Create the bank of an occupation and level and import a file into it, in one
    transaction: a rejected file leaves no bank behind. Returns (bank, result)."""
    bank = create_bank(actor, occupation=occupation, level=level, owner=owner, reason=reason)
    return bank, import_questions(actor, bank, data, filename=filename, fmt=fmt, reason=reason)


@transaction.atomic
def add_questions(actor, bank, questions, *, fmt="", filename="", skipped=0, reason=""):
    """Store checked questions (content.QuestionData) in bulk, leaving out those whose
    content the bank already holds; one audit record for the lot."""
    known = set(
        QuestionVersion.objects.filter(question__bank=bank, question__current_id=F("pk"))
        .values_list("fingerprint", flat=True)
    )
    fresh, digests, duplicates = [], [], 0
    for q in questions:
        digest = content.fingerprint(q)
        if digest in known:
            duplicates += 1
            continue
        known.add(digest)
        fresh.append(q)
        digests.append(digest)
    kps = knowledge_points(bank, [q.knowledge_point for q in fresh])
    number = _next_number(bank)
    questions = Question.objects.bulk_create([
        Question(bank=bank, number=number + i, type=q.type, knowledge_point=kps.get(q.knowledge_point),
                 difficulty=q.difficulty)
        for i, q in enumerate(fresh)
    ])
    if connection.vendor != "postgresql" or (questions and questions[0].pk is None):
        by_number = dict(Question.objects.filter(bank=bank, number__gte=number).values_list("number", "pk"))
        for question in questions:
            question.pk = by_number[question.number]
    versions = QuestionVersion.objects.bulk_create([
        _version(question, 1, q, kps.get(q.knowledge_point), actor, digest)
        for question, q, digest in zip(questions, fresh, digests, strict=True)
    ])
    if versions and versions[0].pk is None:
        by_question = dict(QuestionVersion.objects.filter(question__in=questions).values_list("question_id", "pk"))
        for version in versions:
            version.pk = by_question[version.question_id]
    links = []
    for version, q in zip(versions, fresh, strict=True):
        links += _links(version.pk, _picture_pks(bank, q.images))
    QuestionVersionImage.objects.bulk_create(links)
    ExplanationImage.objects.bulk_create([link for version, q in zip(versions, fresh, strict=True)
                                          for link in _links(version.pk, _picture_pks(bank, q.explanation_images),
                                                             ExplanationImage)])
    for question, version in zip(questions, versions, strict=True):
        question.current_id = version.pk
    Question.objects.bulk_update(questions, ["current"], batch_size=1000)
    added = Counter(q.type for q in fresh)
    result = {"format": fmt, "added": {t.value: added.get(t.value, 0) for t in QuestionType},
              "duplicates": duplicates, "skipped": skipped}
    audit.record(actor, "exams.import_questions", bank, reason=reason,
                 data={"file": filename, **result, "total": len(fresh)})
    return result


def export_questions(bank, fmt, *, include_retired=False):
    if fmt not in FORMATS:
        raise UserError(_("Unknown format “%(format)s”: use xlsx, moodle-xml or gift.") % {"format": fmt})
    questions = Question.objects.filter(bank=bank)
    if not include_retired:
        questions = questions.filter(is_active=True)
    versions = (
        QuestionVersion.objects.filter(pk__in=questions.values("current_id"))
        .select_related("knowledge_point").prefetch_related(picture_links(), picture_links(kind="explanation"))
        .order_by(F("knowledge_point__name").asc(nulls_first=True), "question__number")
    )
    return write(fmt, [question_data(v, with_image_data=True) for v in versions])


# ---------------------------------------------------------------- papers


def _section_label(section, index):
    parts = [QuestionType(section["type"]).label]
    if section.get("knowledge_point"):
        parts.append(section["knowledge_point"].name)
    if section.get("difficulty"):
        parts.append(Difficulty(section["difficulty"]).label)
    return _("section %(n)s (%(what)s)") % {"n": index + 1, "what": "、".join(str(p) for p in parts)}


def question_pool(bank):
    """Every question a blueprint may draw from the bank, as draw.PoolRow. Read at each
    start, so the rows come straight from the cursor: the query set's own iteration cost
    three times as much CPU per row (0.59 against 0.17 ms for a 400-question bank)."""
    query = _drawable(bank_id=getattr(bank, "pk", bank)).values_list(*POOL_FIELDS)
    sql, params = query.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return list(map(draw.PoolRow._make, cursor.fetchall()))


def question_pools(bank_ids):
    """question_pool() of each of these banks ({bank id: [PoolRow]}), in one query: for a
    list of papers, however many there are."""
    pools = {bank_id: [] for bank_id in bank_ids}
    if pools:
        for bank_id, *row in _drawable(bank_id__in=list(pools)).values_list("bank_id", *POOL_FIELDS):
            pools[bank_id].append(draw.PoolRow._make(row))
    return pools


POOL_FIELDS = ("pk", "type", "knowledge_point_id", "difficulty", "times_drawn")  # draw.PoolRow's


def _drawable(**where):
    """The questions a blueprint may draw: in use, with a version."""
    return Question.objects.filter(is_active=True, current__isnull=False, **where)


def _clean_sections(bank, kind, sections):
    """Check section dicts ({type, knowledge_point: name, difficulty, count, points,
    title, questions: [numbers]}); return them with KnowledgePoint objects and Question
    primary keys, or raise Rejected listing every problem."""
    problems, cleaned = [], []
    kps = {kp.name: kp for kp in bank.knowledge_points.all()}
    numbers = dict(Question.objects.filter(bank=bank, is_active=True).values_list("number", "pk"))
    # A fixed paper's section names its type, and may name a knowledge point and a
    # difficulty: each listed question must be what the section says it holds.
    kinds = {pk: (qtype, kp, level) for pk, qtype, kp, level in
             Question.objects.filter(bank=bank).values_list("pk", "type", "knowledge_point_id", "difficulty")}
    used = set()
    if not sections:
        raise Rejected(_("A paper needs at least one section."), [Problem(_("A paper needs at least one section."))])
    for index, raw in enumerate(sections):
        where = _("section %(n)s") % {"n": index + 1}
        section = {"title": str(raw.get("title") or "")[:100], "type": raw.get("type"), "knowledge_point": None,
                   "difficulty": raw.get("difficulty"), "questions": []}
        if section["difficulty"] == "":  # a page's "any" (0 was taken for "any" too, and drew every difficulty)
            section["difficulty"] = None
        if section["type"] not in QuestionType.values:
            problems.append(Problem(_("Choose a question type."), where=where))
            continue
        if section["difficulty"] is not None:  # a fixed paper's sections keep it too: checked for both
            try:
                section["difficulty"] = int(section["difficulty"])
                Difficulty(section["difficulty"])
            except (TypeError, ValueError):
                problems.append(Problem(_("The difficulty must be 1 (easy) to 5 (hard)."), where=where,
                                        value=raw.get("difficulty")))
                continue
        name = (raw.get("knowledge_point") or "").strip()
        if name:
            if name not in kps:
                problems.append(Problem(_("The bank has no knowledge point “%(name)s”.") % {"name": name}, where=where))
            section["knowledge_point"] = kps.get(name)
        try:
            points = Decimal(str(raw.get("points")))
            if not 0 < points <= 1000:
                raise ValueError
        except (ArithmeticError, ValueError):
            problems.append(Problem(_("Points per question must be a number above 0, at most 1000."), where=where,
                                    value=raw.get("points")))
            continue
        if points != points.quantize(CENT):  # 0.125 was stored as 0.12, and the total came out short
            problems.append(Problem(_("Points per question have at most two decimal places."), where=where,
                                    value=raw.get("points")))
            continue
        section["points"] = points.quantize(CENT)
        if kind == Paper.Kind.FIXED:
            for number in raw.get("questions") or []:
                pk = numbers.get(int(number)) if str(number).isdecimal() and str(number).isascii() else None
                if pk is None:
                    problems.append(Problem(_("Question %(n)s is not in the bank or is retired.") % {"n": number},
                                            where=where))
                elif kinds[pk][0] != section["type"]:
                    problems.append(Problem(_("Question %(n)s is not of this section's type.") % {"n": number},
                                            where=where))
                elif section["knowledge_point"] and kinds[pk][1] != section["knowledge_point"].pk:
                    problems.append(Problem(_("Question %(n)s is not on this section's knowledge point "
                                              "“%(name)s”.") % {"n": number, "name": section["knowledge_point"].name},
                                            where=where))
                elif section["difficulty"] is not None and kinds[pk][2] != section["difficulty"]:
                    problems.append(Problem(_("Question %(n)s is not of this section's difficulty "
                                              "(%(difficulty)s).") % {"n": number, "difficulty":
                                                                      Difficulty(section["difficulty"]).label},
                                            where=where))
                elif pk in used:
                    problems.append(Problem(_("Question %(n)s appears twice in the paper.") % {"n": number},
                                            where=where))
                else:
                    used.add(pk)
                    section["questions"].append(pk)
            section["count"] = len(section["questions"])
            if not section["count"]:
                problems.append(Problem(_("List the questions of this section by number."), where=where))
        else:
            try:
                section["count"] = int(raw.get("count"))
                if not 1 <= section["count"] <= 500:
                    raise ValueError
            except (TypeError, ValueError):
                problems.append(Problem(_("The number of questions must be 1 to 500."), where=where,
                                        value=raw.get("count")))
                continue
        cleaned.append(section)
    total = sum(section["count"] for section in cleaned)
    if total > MAX_PAPER_QUESTIONS:
        problems.append(Problem(_("A paper has at most %(max)s questions; this one would have %(n)s.")
                                % {"max": MAX_PAPER_QUESTIONS, "n": total}, code="too_many"))
    points = sum((section["count"] * section["points"] for section in cleaned), Decimal(0))
    if points > MAX_PAPER_POINTS:  # an attempt's maximum holds 8 digits: every start was a server error (PostgreSQL)
        problems.append(Problem(_("A paper's total is at most %(max)s points; this one would have %(total)s.")
                                % {"max": MAX_PAPER_POINTS, "total": points}, code="too_many_points"))
    if problems:
        raise Rejected(_("The paper was not saved."), problems)
    if kind == Paper.Kind.BLUEPRINT:
        _refuse_shortages(bank, cleaned)
    return cleaned


def _specs(sections):
    return [
        draw.SectionSpec(type=s["type"], knowledge_point=s["knowledge_point"].pk if s["knowledge_point"] else None,
                         difficulty=s["difficulty"], count=s["count"])
        for s in sections
    ]


def _refuse_shortages(bank, sections, pool=None):
    short = draw.shortages(_specs(sections), question_pool(bank) if pool is None else pool)
    if short:
        problems = [
            Problem(_("%(section)s needs %(wanted)s questions; the bank can give it only %(available)s.")
                    % {"section": _section_label(sections[i], i), "wanted": wanted, "available": available},
                    where=_("section %(n)s") % {"n": i + 1}, code="shortage")
            for i, wanted, available in short
        ]
        raise Rejected(_("The bank cannot fill this paper."), problems, code="shortage")


def _section_dicts(sections):
    return [
        {"type": s.type, "knowledge_point": s.knowledge_point, "difficulty": s.difficulty, "count": s.count,
         "points": s.points, "questions": s.questions, "title": s.title}
        for s in sections
    ]


def _listed_questions(sections):
    """{pk: (number, type, is_active)} of the questions fixed sections list, in one query."""
    listed = {pk for section in sections for pk in section.questions}
    if not listed:
        return {}
    return {pk: (number, qtype, active) for pk, number, qtype, active in
            Question.objects.filter(pk__in=listed).values_list("pk", "number", "type", "is_active")}


def _with_numbers(sections, found):
    for section in sections:
        section.numbers = [found[pk][0] for pk in section.questions if pk in found]
    return sections


def paper_sections(paper):
    """The paper's sections, each with `numbers`: a fixed section's questions by their
    numbers in the bank, in the order given (PaperSection.questions holds their ids), looked
    up at once for every section; [] for a blueprint's. For the paper's page and the API."""
    sections = list(paper.sections.select_related("knowledge_point"))
    return _with_numbers(sections, _listed_questions(sections))


def describe_papers(papers):
    """The papers (a list), each with what its page and the API show: `described_sections`
    (paper_sections), `described_total` (paper_total) and `described_shortages`
    (paper_shortages), read for every paper at once: the queries do not grow with the number
    of papers or of their banks (the API's list of a competition's papers read each
    paper's sections three times and its bank's whole question pool once, per paper)."""
    papers = list(papers)
    by_paper = defaultdict(list)
    for section in PaperSection.objects.filter(paper__in=papers).select_related("knowledge_point"):
        by_paper[section.paper_id].append(section)
    found = _listed_questions([s for sections in by_paper.values() for s in sections])
    pools = question_pools({paper.bank_id for paper in papers if paper.kind != Paper.Kind.FIXED})
    for paper in papers:
        sections = _with_numbers(by_paper[paper.pk], found)
        paper.described_sections = sections
        paper.described_total = paper_total(paper, sections)
        paper.described_shortages = paper_shortages(paper, sections=sections, found=found,
                                                    pool=pools.get(paper.bank_id))
    return papers


def paper_shortages(paper, *, sections=None, found=None, pool=None):
    """Messages for what the bank no longer offers the paper since it was made: a
    blueprint's sections it can no longer fill, a fixed paper's questions retired since
    (every candidate would still be shown them: retiring is often for a wrong answer).
    `sections` (with their knowledge points), `found` (_listed_questions) and `pool`
    (question_pool) when they have been read already (describe_papers)."""
    if sections is None:
        sections = list(paper.sections.select_related("knowledge_point"))
    if paper.kind == Paper.Kind.FIXED:
        found = _listed_questions(sections) if found is None else found
        # `found` may hold other papers' questions too (describe_papers): this paper's only.
        found = {pk: found[pk] for section in sections for pk in section.questions if pk in found}
        retired = sorted(number for number, _type, active in found.values() if not active)
        # An edit may change a question's type: the paper would show it in a section of another.
        changed = [_("Question %(n)s is a %(type)s question since it was edited, and the paper still shows it "
                     "among the %(section)s questions: make a new paper.")
                   % {"n": found[pk][0], "type": QuestionType(found[pk][1]).label,
                      "section": QuestionType(section.type).label}
                   for section in sections for pk in section.questions if pk in found and found[pk][1] != section.type]
        if retired:
            changed.append(ngettext(
                "Question %(numbers)s has been retired since the paper was made, and the paper still shows it: "
                "make a new paper without it, or bring the question back.",
                "Questions %(numbers)s have been retired since the paper was made, and the paper still shows them: "
                "make a new paper without them, or bring the questions back.", len(retired))
                % {"numbers": "、".join(map(str, retired))})
        return changed
    try:
        _refuse_shortages(paper.bank_id, _section_dicts(sections), pool)
    except Rejected as rejected:
        return [p.message for p in rejected.problems]
    return []


@transaction.atomic
def save_paper(actor, *, competition, bank, name, kind, sections, paper=None, shuffle_questions=True,
               shuffle_options=True, multiple_scoring=Paper.MultipleScoring.ALL_OR_NOTHING, reason=""):
    """Create a paper, or replace an unused paper's settings and sections."""
    if not (name or "").strip():
        raise UserError(_("Give the paper a name."))
    if kind not in Paper.Kind.values:
        raise UserError(_("Choose whether the paper is fixed or drawn from a blueprint."), code="kind")
    if multiple_scoring not in Paper.MultipleScoring.values:
        raise UserError(_("Choose how multiple-choice questions are scored."), code="multiple_scoring")
    if paper is not None and Attempt.objects.filter(session__paper=paper).exists():
        raise UserError(_("Candidates have already sat this paper; make a new paper instead."), code="used")
    cleaned = _clean_sections(bank, kind, sections)
    fields = {"name": name.strip()[:100], "kind": kind, "bank": bank, "shuffle_questions": shuffle_questions,
              "shuffle_options": shuffle_options, "multiple_scoring": multiple_scoring}
    if paper is None:
        paper = Paper.objects.create(competition=competition, created_by=actor, **fields)
        action = "exams.create_paper"
    else:
        for key, value in fields.items():
            setattr(paper, key, value)
        paper.save()
        paper.sections.all().delete()
        action = "exams.update_paper"
    PaperSection.objects.bulk_create([
        PaperSection(paper=paper, order=i, title=s["title"], type=s["type"], knowledge_point=s["knowledge_point"],
                     difficulty=s["difficulty"], count=s["count"], points=s["points"], questions=s["questions"])
        for i, s in enumerate(cleaned)
    ])
    audit.record(actor, action, paper, reason=reason, data={
        "kind": kind, "bank": bank.pk,
        "sections": [{**s, "knowledge_point": s["knowledge_point"].name if s["knowledge_point"] else None}
                     for s in cleaned],
    })
    return paper


def paper_total(paper, sections=None):
    """The paper's points; `sections` when they have been read already."""
    return sum((s.points * s.count for s in (paper.sections.all() if sections is None else sections)), Decimal(0))


def draw_paper(paper, rng):
    """[(section, question id)] for one candidate, in the order they are shown."""
    sections = list(paper.sections.select_related("knowledge_point"))
    if paper.kind == Paper.Kind.FIXED:
        chosen = {i: list(s.questions) for i, s in enumerate(sections)}
    else:
        dicts = [{"type": s.type, "knowledge_point": s.knowledge_point, "difficulty": s.difficulty,
                  "count": s.count} for s in sections]
        try:
            chosen = draw.draw(_specs(dicts), question_pool(paper.bank_id), rng)
        except draw.Shortage as shortage:
            index, wanted, available = shortage.shortages[0]
            raise UserError(
                _("The exam cannot start: %(section)s needs %(wanted)s questions and the bank has %(available)s. "
                  "Tell the invigilator.")
                % {"section": _section_label(dicts[index], index), "wanted": wanted, "available": available},
                code="shortage",
            ) from None
    out = []
    for index, section in enumerate(sections):
        ids = chosen[index]
        if paper.shuffle_questions:
            rng.shuffle(ids)
        out += [(section, pk) for pk in ids]
    return out


# ---------------------------------------------------------------- exam sessions


def parse_ip_ranges(text):
    networks, bad = [], []
    for part in (text or "").replace("，", ",").replace("\n", ",").split(","):
        part = part.strip()
        if not part:
            continue
        try:
            networks.append(ipaddress.ip_network(part, strict=False))
        except ValueError:
            bad.append(part)
    if bad:
        raise UserError(_("Not an IP address or range: %(values)s.") % {"values": "、".join(bad)}, code="ip_ranges")
    return networks


def _normalized(fields):
    """The session's fields with the name's and access code's spaces trimmed, and its times
    with a zone: one given without (from the API, a file) is read in the server's time zone,
    as the forms and the command line read it."""
    if isinstance(fields.get("name"), str):
        fields["name"] = fields["name"].strip()
    if isinstance(fields.get("access_code"), str):  # stored as it is compared (a stray space would let nobody in)
        fields["access_code"] = _code(fields["access_code"])
    for name in ("opens_at", "closes_at"):
        if fields.get(name) is not None and timezone.is_naive(fields[name]):
            fields[name] = timezone.make_aware(fields[name])
    return fields


def _check_session_fields(competition, fields):
    from jingsai.results.services import component_of

    name = (fields.get("name") or "").strip()
    if not name or len(name) > 100:
        raise UserError(_("Give the exam a name of at most 100 characters."), code="name")
    if len(fields.get("access_code") or "") > 32:
        raise UserError(_("The access code is at most 32 characters."), code="access_code")
    component_of(competition, fields.get("component", "theory"))  # "" is no component, not the theory
    if not all(SESSION_YEARS[0] <= fields[name].year <= SESSION_YEARS[1] for name in ("opens_at", "closes_at")):
        raise UserError(_("The exam must open and close between the years %(first)s and %(last)s.")
                        % {"first": SESSION_YEARS[0], "last": SESSION_YEARS[1]}, code="window")
    if fields["closes_at"] <= fields["opens_at"]:
        raise UserError(_("The exam must close after it opens."), code="window")
    if not 1 <= int(fields["duration_minutes"]) <= 1440:
        raise UserError(_("The duration must be 1 to 1440 minutes."), code="duration")
    if not 0 <= _whole(fields.get("grace_seconds", 30)) <= 600:
        raise UserError(_("The grace period must be 0 to 600 seconds."), code="grace")
    if not 0 <= _whole(fields.get("disagreement_percent", 20)) <= 100:
        raise UserError(_("The disagreement threshold must be 0 to 100 percent."), code="disagreement")
    if fields.get("graders_per_answer", 2) not in (1, 2):
        raise UserError(_("Each short answer is graded by one or two graders."), code="graders")
    parse_ip_ranges(fields.get("ip_ranges", ""))
    if fields.get("stage") is not None and fields["stage"].competition_id != competition.pk:
        raise UserError(_("The stage belongs to another competition."))


def _whole(value):
    """An integer field's value, or -1 (out of every range) when it is not a whole number."""
    try:
        return int(value)
    except (TypeError, ValueError):
        return -1


SESSION_FIELDS = ("name", "stage", "paper", "component", "opens_at", "closes_at", "duration_minutes",
                  "grace_seconds", "ip_ranges", "access_code", "graders_per_answer", "disagreement_percent",
                  "show_score")


@transaction.atomic
def create_session(actor, competition, *, reason="", **fields):
    if fields["paper"].competition_id != competition.pk:
        raise UserError(_("The paper belongs to another competition."))
    _check_session_fields(competition, _normalized(fields))
    session = ExamSession.objects.create(competition=competition, created_by=actor, **fields)
    audit.record(actor, "exams.create_session", session, reason=reason,
                 data={k: v for k, v in fields.items() if k != "access_code"})
    return session


@transaction.atomic
def update_session(actor, session, *, reason="", **fields):
    session = ExamSession.objects.select_for_update().get(pk=session.pk)
    fields = _normalized(fields)
    started = session.attempts.exists()
    if started and ("paper" in fields and fields["paper"].pk != session.paper_id):
        raise UserError(_("Candidates have started: the paper can no longer change."), code="started")
    # The stage decides who the candidates are: those answering would stop being candidates
    # (unable to come back, and gone from the invigilator's list).
    if started and "stage" in fields and getattr(fields["stage"], "pk", None) != session.stage_id:
        raise UserError(_("Candidates have started: the stage can no longer change."), code="started")
    # Handed-in short answers already carry how many graders they need, and marks already
    # given were read under these rules: changing them now would drop or misread a mark.
    grading = ("graders_per_answer", "disagreement_percent")
    if started and any(name in fields and _whole(fields[name]) != getattr(session, name) for name in grading):
        raise UserError(_("Candidates have started: the number of graders and the disagreement threshold can no "
                          "longer change."), code="started")
    merged = {name: fields.get(name, getattr(session, name)) for name in SESSION_FIELDS}
    if merged["paper"].competition_id != session.competition_id:
        raise UserError(_("The paper belongs to another competition."))
    _check_session_fields(session.competition, merged)
    retimed = _retimed(session, merged) if started else []
    if retimed and not (reason or "").strip():
        # It moves the time of people answering, as an extension does, and each attempt's
        # record and the audit keep why.
        raise UserError(ngettext(
            "Give a reason for the change: it moves the time of %(n)s candidate answering now.",
            "Give a reason for the change: it moves the time of %(n)s candidates answering now.",
            len(retimed)) % {"n": len(retimed)}, code="reason")
    before = {name: getattr(session, name) for name in fields}
    for name, value in fields.items():
        setattr(session, name, value)
    session.save()
    changes = audit.changes_between(before, session, list(fields))
    if "access_code" in changes:
        changes["access_code"] = ["***", "***"]
    data = {}
    if retimed:
        data["attempts_retimed"] = _retime(actor, session, retimed, reason)
    if "grace_seconds" in changes and started:
        data["attempts_regraced"] = _regrace(session, raised=changes["grace_seconds"][1] > changes["grace_seconds"][0])
    if changes:
        audit.record(actor, "exams.update_session", session, reason=reason, changes=changes, data=data)
    return changes


def _retimed(session, merged):
    """[(attempt id, its deadline now, its new deadline)] for the attempts still answering
    when the session's close or duration changes (the start was delayed, the hall must be
    cleared earlier). Each attempt's end is min(its start + the duration, the close), plus
    its extra time and extensions: it moves by as much as that min moves, so the extra time
    and extensions stay. UserError when the change would leave one of them no time at all:
    ending attempts is the invigilator's act, with its reason."""
    now = timezone.now()
    duration, closes = timedelta(minutes=int(merged["duration_minutes"])), merged["closes_at"]
    old_duration = timedelta(minutes=session.duration_minutes)
    if (duration, closes) == (old_duration, session.closes_at):
        return []
    running = (Attempt.objects.select_for_update(no_key=True).filter(
        session=session, status=AttemptStatus.IN_PROGRESS, accept_until__gt=now)
        .values_list("pk", "started_at", "deadline"))
    moved = []
    for pk, started, deadline in running:
        shift = min(started + duration, closes) - min(started + old_duration, session.closes_at)
        if shift:
            moved.append((pk, deadline, deadline + shift))
    cut = sum(1 for _pk, _old, new in moved if new <= now)
    if cut:
        raise UserError(ngettext(
            "%(n)s candidate answering now would have no time left. Give the exam a later close or a longer "
            "duration, or end their attempts on the live list.",
            "%(n)s candidates answering now would have no time left. Give the exam a later close or a longer "
            "duration, or end their attempts on the live list.", cut) % {"n": cut}, code="no_time_left")
    return moved


def _retime(actor, session, moved, reason):
    """Move the running attempts' deadlines as _retimed() worked out; each attempt's record
    shows it, and the page learns its new time at its next heartbeat."""
    grace = timedelta(seconds=session.grace_seconds)
    attempts = [Attempt(pk=pk, session=session, deadline=new, accept_until=new + grace) for pk, _old, new in moved]
    # A hall of 2,000 is a few statements, not an UPDATE and an INSERT per candidate.
    Attempt.objects.bulk_update(attempts, ["deadline", "accept_until"], batch_size=500)
    events = []
    for attempt, (_pk, old, new) in zip(attempts, moved, strict=True):
        seconds = int((new - old).total_seconds())
        detail = {"reason": reason, "seconds": seconds, **({"minutes": seconds // 60} if seconds % 60 == 0 else {})}
        events.append(AttemptEvent(attempt=attempt, kind=AttemptEvent.Kind.EXTEND, actor=actor, detail=detail))
    AttemptEvent.objects.bulk_create(events, batch_size=500)
    _live_changed(session.pk)
    transaction.on_commit(lambda: _schedule_timeouts(attempts))
    return len(attempts)


def _regrace(session, *, raised):
    """A new grace period reaches the attempts still accepting answers (one whose time and
    grace are over is handed in by the sweep as it was). With more grace, each gets a new
    time-out task: the one queued for the old end would find it not yet due."""
    grace = timedelta(seconds=session.grace_seconds)
    still = Attempt.objects.filter(session=session, status=AttemptStatus.IN_PROGRESS, accept_until__gt=timezone.now())
    moved = [Attempt(pk=pk, accept_until=deadline + grace) for pk, deadline in still.values_list("pk", "deadline")]
    Attempt.objects.filter(pk__in=[a.pk for a in moved], status=AttemptStatus.IN_PROGRESS).update(
        accept_until=F("deadline") + grace)
    if raised:
        transaction.on_commit(lambda: _schedule_timeouts(moved))
    return len(moved)


def _schedule_timeouts(attempts):
    for attempt in attempts:
        _schedule_timeout(attempt)


def candidates(session):
    """The approved entries that sit the exam: the session's stage's, or, for a session
    open to every stage, each person's entry in the latest stage they have reached (an
    advanced worker keeps an approved entry in each earlier stage, and sits once). Once a
    person has started, the entry they started with stays theirs for this session: someone
    who advances while answering stays the same candidate (number, stage, extra time, the
    live list's row, the score's entry), and does not become a second one."""
    entries = Entry.objects.filter(competition_id=session.competition_id, status=EntryStatus.APPROVED)
    if session.stage_id:
        return entries.filter(stage_id=session.stage_id)
    later = Entry.objects.filter(competition_id=session.competition_id, status=EntryStatus.APPROVED,
                                 person_id=OuterRef("person_id"), stage__order__gt=OuterRef("stage__order"))
    sat_with = Attempt.objects.filter(session=session, entry_id=OuterRef("pk"))
    started = Attempt.objects.filter(session=session, person_id=OuterRef("person_id"))
    return entries.filter(Exists(sat_with) | (~Exists(later) & ~Exists(started)))


def candidate_by_number(session, number, stage_key=None, *, or_started=False):
    """The candidate with this entry number, or UserError. Entry numbers are unique within
    a stage: in a session open to every stage, a number that candidates of several stages
    share needs the stage's key too. With `or_started`, also someone who started here and
    is no longer a candidate (their entry withdrawn or disqualified since): the live list
    keeps them, and their attempt may still be extended, ended or voided."""
    found = candidates(session)
    if or_started:
        started = Attempt.objects.filter(session=session).exclude(status=AttemptStatus.VOIDED).values("entry_id")
        found = Entry.objects.filter(Q(pk__in=found.values("pk")) | Q(pk__in=started))
    found = found.select_related("person", "stage").filter(number=number)
    if stage_key:
        found = found.filter(stage__key=stage_key)
    found = list(found.order_by("stage__order")[:20])
    if not found:
        raise UserError(_("No candidate has the entry number %(n)s.") % {"n": number}, code="entry")
    if len(found) > 1:
        raise UserError(_("Candidates of several stages have the entry number %(n)s (%(stages)s): choose the stage "
                          "too.") % {"n": number, "stages": "、".join(e.stage.name for e in found)}, code="ambiguous")
    return found[0]


def candidate_entry(session, person_id):
    return candidates(session).select_related("person").filter(person_id=person_id).first()


@transaction.atomic
def set_allowance(actor, session, entry, minutes, *, reason):
    """Extra time for one candidate; an attempt already running gets the difference (here, or
    in another sitting of the exam whose extra time this one gives: allowance_for)."""
    if not reason.strip():
        raise UserError(_("Give a reason for the extra time."), code="reason")
    if not candidates(session).filter(pk=entry.pk).exists():
        raise UserError(_("This entry is not a candidate of the exam."))
    minutes = _whole(minutes)
    if not 0 <= minutes <= 600:
        raise UserError(_("Extra time must be 0 to 600 minutes."))
    # One change at a time per person: the running attempt gets the difference from the
    # allowance as it stands, which a concurrent change would otherwise read stale. Extra
    # time follows the person (allowance_for), so a change through another of their entries
    # (an advanced candidate's) counts too: every entry of theirs, in order, so that two
    # changes never deadlock. NO KEY UPDATE: a hand-in that records the entry's first score
    # takes KEY SHARE on it while holding the attempt, and must not deadlock with this.
    list(Entry.objects.select_for_update(no_key=True).filter(person_id=entry.person_id).order_by("pk")
         .values_list("pk", flat=True))
    allowance = Allowance.objects.filter(session=session, entry=entry).first()
    old = _allowance_minutes(session, entry)  # what the candidate has now, maybe given by an earlier entry
    # Extra time follows the person to the exam's other sittings (allowance_for): an attempt
    # running in one of them (a make-up with none of its own) gets the difference too.
    running = [(attempt, _allowance_minutes(attempt.session, attempt.entry)) for attempt in
               Attempt.objects.filter(entry__person_id=entry.person_id, status=AttemptStatus.IN_PROGRESS,
                                      session__competition_id=session.competition_id,
                                      session__component=session.component)
               .select_related("session", "entry").order_by("pk")]
    if allowance is None:
        allowance = Allowance(session=session, entry=entry)
    allowance.extra_minutes, allowance.reason = minutes, reason
    allowance.set_by, allowance.set_at = actor, timezone.now()
    allowance.save()
    for attempt, before in running:
        after = _allowance_minutes(attempt.session, attempt.entry)
        if after == before:
            continue
        attempt = finalize_if_due(attempt)  # time already up: handed in, not reopened by the extra time
        if attempt.status == AttemptStatus.IN_PROGRESS:
            _move_deadline(actor, attempt, after - before, reason)
    audit.record(actor, "exams.allowance", session, reason=reason,
                 changes={"extra_minutes": [old, minutes]}, data={"entry": entry.pk})
    return allowance


def handed_in(session, entry):
    """Whether the candidate has handed in (or been graded) in the session: extra time set
    now counts only if their attempt is voided and they sit again."""
    attempt = current_attempt(session, entry)
    return attempt is not None and attempt.status in (AttemptStatus.SUBMITTED, AttemptStatus.GRADED)


def _sittings_allowances(session):
    """Allowances given in any sitting of the session's exam: the competition's sessions
    for the same component (a make-up sitting is another one)."""
    return Allowance.objects.filter(session__competition_id=session.competition_id,
                                    session__component=session.component)


def allowance_for(session, entry):
    """The Allowance the candidate has in the session, or None. Extra time is for the person
    (a disability, a reading aid), so it follows them:
    - given in this sitting for their entry;
    - or for an earlier entry of theirs (the entry a candidate goes by moves to their latest
      stage until they start);
    - or, with none in this sitting, the latest given in another sitting of the same exam:
      someone with extra time who misses the exam has it in the make-up too. Set here (0
      included), it overrides what another sitting gave.
    The start applies it, and a change moves a running attempt by the difference from it.
    An allowance is not for an incident in one attempt: extend() gives that attempt time."""
    return (_sittings_allowances(session).filter(entry__person_id=entry.person_id).select_related("session")
            .order_by(Case(When(session_id=session.pk, entry_id=entry.pk, then=0),
                           When(session_id=session.pk, then=1), default=2), "-set_at", "-pk")
            .first())


def _allowance_minutes(session, entry):
    allowance = allowance_for(session, entry)
    return allowance.extra_minutes if allowance else 0


def session_allowances(session):
    """Every allowance that counts in the session, in entry-number order: those given here,
    then, for people with none here, the latest from another sitting of the exam (its
    `session` says which). Each is shown with the candidate's entry in this sitting where
    they have one (`shown_entry`)."""
    here = list(session.allowances.select_related("entry__person", "entry__stage", "session"))
    covered = {allowance.entry.person_id for allowance in here}
    carried = {}
    for allowance in (_sittings_allowances(session).exclude(session=session)
                      .exclude(entry__person_id__in=covered)
                      .select_related("entry__person", "entry__stage", "session").order_by("set_at", "pk")):
        carried[allowance.entry.person_id] = allowance  # the latest per person
    if carried:
        current = {entry.person_id: entry for entry in
                   candidates(session).filter(person_id__in=carried).select_related("person", "stage")}
        carried = {person: allowance for person, allowance in carried.items() if person in current}
    else:
        current = {}
    rows = []
    for allowance in [*here, *carried.values()]:
        allowance.shown_entry = current.get(allowance.entry.person_id, allowance.entry)
        allowance.carried = allowance.session_id != session.pk
        rows.append(allowance)
    rows.sort(key=lambda a: (a.shown_entry.stage.order, a.shown_entry.number, a.carried))
    return rows


def _client_allowed(session, ip):
    networks = parse_ip_ranges(session.ip_ranges)
    if not networks:
        return True
    try:
        address = ipaddress.ip_address(ip or "")
    except ValueError:
        return False
    # A server listening on both IPv4 and IPv6 ([::]) sees IPv4 clients as ::ffff:a.b.c.d,
    # one listening on IPv4 (or a proxy) as a.b.c.d: either form of the address may match
    # the range as it was written.
    if address.version == 4:
        forms = [address, ipaddress.IPv6Address(f"::ffff:{address}")]
    else:
        forms = [address] + [mapped for mapped in [address.ipv4_mapped] if mapped]
    return any(form in network for form in forms for network in networks if form.version == network.version)


def _check_door(session, ip, access_code):
    if not _client_allowed(session, ip):
        raise UserError(_("This exam can only be taken from the exam room's network."), code="forbidden")
    if session.access_code and _code(access_code) != _code(session.access_code):
        raise UserError(_("The access code is wrong. Ask the invigilator for it."), code="access_code")


def _code(text):
    """An access code as compared: full-width digits and letters (a Chinese input method's)
    read as their ASCII forms, spaces around it dropped."""
    return unicodedata.normalize("NFKC", text or "").strip()


def new_device():
    return secrets.token_hex(16)


def attempt_token(attempt):
    return signing.Signer(salt=TOKEN_SALT).sign(f"{attempt.pk}.{attempt.device}")


def read_token(token):
    """(attempt id, device) from an attempt token, or None (for anything else, a number
    sent as the token included)."""
    if not isinstance(token, str):
        return None
    try:
        value = signing.Signer(salt=TOKEN_SALT).unsign(token)
        attempt_id, device = value.split(".", 1)
        return int(attempt_id), device
    except (signing.BadSignature, ValueError):
        return None


def _event(attempt, kind, *, actor=None, ip=None, **detail):
    AttemptEvent.objects.create(attempt=attempt, kind=kind, actor=actor, ip=ip, detail=detail)


def start(user, session, *, device=None, ip=None, access_code="", user_agent="", now=None):
    """Start the user's attempt, or resume it. Returns the attempt (maybe finished)."""
    now = now or timezone.now()
    device = (device or "")[:32] or new_device()
    if not user.person_id:
        raise UserError(_("Only workers with a worker record can take exams."), code="forbidden")
    entry = candidate_entry(session, user.person_id)
    if entry is None:
        raise UserError(_("You are not a candidate of this exam."), code="forbidden")
    attempt = current_attempt(session, entry)
    if attempt is None:
        try:
            attempt = _begin(user, session, entry, device=device, ip=ip, access_code=access_code,
                             user_agent=user_agent, now=now)
        except IntegrityError:
            attempt = current_attempt(session, entry)  # a second click won the race
            if attempt is None:
                raise
        else:
            return attempt
    return resume(user, attempt, device=device, ip=ip, access_code=access_code, user_agent=user_agent, now=now)


@transaction.atomic
def _begin(user, session, entry, *, device, ip, access_code, user_agent, now):
    _read_times(session)
    if now < session.opens_at:
        raise UserError(_("The exam has not opened yet; it opens at %(time)s.")
                        % {"time": timezone.localtime(session.opens_at).strftime("%Y-%m-%d %H:%M")}, code="not_open")
    if now >= session.closes_at:
        raise UserError(_("The exam has closed."), code="closed")
    _check_door(session, ip, access_code)
    from jingsai.competitions.models import Status
    from jingsai.results.services import scores_final

    competition = session.competition
    if competition.status in (Status.SCORING, Status.PUBLICITY, Status.FINAL, Status.ARCHIVED):
        raise UserError(_("“%(competition)s” has moved on to %(status)s: its theory exam can no longer be started.")
                        % {"competition": competition.name, "status": competition.get_status_display()},
                        code="closed")
    # One change at a time per candidate: extra time being set now (set_allowance holds the
    # entry) is read once it is in, not missed; and two starts of the same candidate in two
    # sittings wait for each other, so the check below sees the first.
    Entry.objects.select_for_update(no_key=True).filter(pk=entry.pk).exists()
    elsewhere = (Attempt.objects.filter(entry=entry, session__competition_id=session.competition_id,
                                        session__component=session.component)
                 .exclude(session=session).exclude(status=AttemptStatus.VOIDED).select_related("session").first())
    if elsewhere is not None:
        raise UserError(_("You have already sat this exam in “%(session)s”: a candidate sits it once.")
                        % {"session": elsewhere.session.name}, code="sat_elsewhere")
    _share_stage(entry.stage_id)
    if scores_final(entry.stage_id):
        raise UserError(_("The results of “%(stage)s” are final: its theory exam can no longer be taken.")
                        % {"stage": entry.stage.name}, code="final")
    paper = session.paper
    rng = random.Random(secrets.randbits(64))  # noqa: S311 - a fair draw, not a secret
    drawn, current = _draw_current(paper, rng)
    allowance = _allowance_minutes(session, entry)
    deadline = min(now + timedelta(minutes=session.duration_minutes), session.closes_at)
    deadline += timedelta(minutes=allowance)
    max_score = sum((section.points for section, _pk in drawn), Decimal(0))
    attempt = Attempt.objects.create(
        session=session, entry=entry, person_id=entry.person_id, started_at=now, deadline=deadline,
        accept_until=deadline + timedelta(seconds=session.grace_seconds),
        device=device, ip=ip, last_seen_at=now, item_count=len(drawn), max_score=max_score,
        blind_code=secrets.token_hex(6).upper(),
    )
    items = []
    for position, (section, pk) in enumerate(drawn):
        version_id, qtype, stem, options, answer = current[pk]
        keys = [o["key"] for o in options]
        if paper.shuffle_options and keys:
            rng.shuffle(keys)
        items.append(_shown_item(position, section, version_id, keys, section.points, qtype, stem, options, answer))
    _insert_items(attempt, items)
    _live_changed(session.pk)
    attempt.drawn_items = items  # what shown_items() would read back, for attempt_state()'s first view only
    _event(attempt, AttemptEvent.Kind.START, actor=user, ip=ip, device=device[:8], user_agent=user_agent[:200])
    audit.record(user, "exams.start", attempt, data={"session": session.pk, "items": len(items)})
    question_ids = sorted(current)
    transaction.on_commit(lambda: _count_draws(question_ids))
    transaction.on_commit(lambda: _schedule_timeout(attempt))
    return attempt


def _draw_current(paper, rng, tries=3):
    """The candidate's draw and its questions' current versions, locked. The draw reads the
    questions' types, knowledge points and difficulties from the bank before the versions
    are locked: an edit committed in between that changes one would place the question in a
    section that does not hold it. A blueprint's draw is then made again, from the bank as
    it now is. A fixed paper keeps its questions (its page warns of such an edit)."""
    for _try in range(tries):
        drawn = draw_paper(paper, rng)
        current = _current_versions([pk for _s, pk in drawn])
        if paper.kind == Paper.Kind.FIXED or _drawn_still_fit(drawn, current):
            return drawn, current
        log.info("exams: paper %s changed while a start drew it; drawing again", paper.pk)
    raise UserError(_("The paper's questions are being edited; start again in a moment."), code="busy")


def _drawn_still_fit(drawn, current):
    """Whether each drawn question is still what its section asks for, read after its
    version is locked (an edit changes the question's knowledge point and difficulty in the
    transaction that changes its version, which the lock has waited for)."""
    if not all(current[pk][1] == section.type for section, pk in drawn):
        return False
    narrowed = [(s, pk) for s, pk in drawn if s.knowledge_point_id or s.difficulty is not None]
    if not narrowed:
        return True
    now = {pk: (kp, level) for pk, kp, level in Question.objects.filter(pk__in=[pk for _s, pk in narrowed])
           .values_list("pk", "knowledge_point_id", "difficulty")}
    return all((not s.knowledge_point_id or now[pk][0] == s.knowledge_point_id)
               and (s.difficulty is None or now[pk][1] == s.difficulty) for s, pk in narrowed)


SESSION_TIMES = ("opens_at", "closes_at", "duration_minutes", "grace_seconds")


def _read_times(session):
    """Read the session's window, duration and grace period again, as a start works out its
    deadline from them. On PostgreSQL FOR KEY SHARE, the lock the attempt's foreign key takes
    anyway, taken before the read: a change of the session in progress (update_session locks
    it FOR UPDATE, then moves the attempts it sees running) is waited for and its new times
    read; one that comes later waits for the start to commit, and moves its attempt. Starts
    do not wait for each other."""
    db = connections[DEFAULT_DB_ALIAS]
    if db.vendor == "postgresql":
        with db.cursor() as cursor:
            cursor.execute("SELECT opens_at, closes_at, duration_minutes, grace_seconds FROM exams_examsession "
                           "WHERE id = %s FOR KEY SHARE", [session.pk])
            values = cursor.fetchone()
    else:
        values = ExamSession.objects.filter(pk=session.pk).values_list(*SESSION_TIMES).first()
    for name, value in zip(SESSION_TIMES, values, strict=True):
        setattr(session, name, value)


def _share_stage(stage_id, *, with_competition=False):
    """On PostgreSQL, a KEY SHARE lock on the candidate's stage until the start commits.
    Making the stage's results final locks it FOR UPDATE (results.services.finalize) and
    then counts the exam attempts still open: so either this start waits and then finds
    the results final, or the finalization waits and then counts this attempt. Starts do
    not wait for each other."""
    db = connections[DEFAULT_DB_ALIAS]
    if db.vendor == "postgresql":
        with db.cursor() as cursor:
            if with_competition:  # and its competition's, in one statement, in the order results steps lock them
                cursor.execute("SELECT 1 FROM competitions_stage s JOIN competitions_competition c "
                               "ON c.id = s.competition_id WHERE s.id = %s FOR KEY SHARE OF s, c", [stage_id])
            else:
                cursor.execute("SELECT 1 FROM competitions_stage WHERE id = %s FOR KEY SHARE", [stage_id])


def _current_versions(question_ids):
    """{question id: (version id, type, stem, options, answer)} of the questions' current
    versions, as a start shows them.

    On PostgreSQL the versions are locked FOR KEY SHARE as they are read: the lock that the
    attempt items' foreign keys take on them anyway, taken at the read instead of at the
    INSERT. An edit in progress (edit_question locks the version FOR UPDATE first) is then
    waited for and its new text read, where before the start would have shown the text it
    read before the edit and stored a reference to the edited version. An edit that comes
    later waits for the start to commit, finds its items and makes a new version."""
    db = connections[DEFAULT_DB_ALIAS]
    if db.vendor != "postgresql":
        return {row[0]: row[1:] for row in Question.objects.filter(pk__in=question_ids).values_list(
            "pk", "current_id", "current__type", "current__stem", "current__options", "current__answer")}
    with db.cursor() as cursor:
        cursor.execute(
            "SELECT q.id, v.id, v.type, v.stem, v.options, v.answer FROM exams_question q "
            "JOIN exams_questionversion v ON v.id = q.current_id WHERE q.id = ANY(%s) FOR KEY SHARE OF v",
            [list(question_ids)],
        )
        return {pk: (version_id, qtype, stem, json.loads(options), None if answer is None else json.loads(answer))
                for pk, version_id, qtype, stem, options, answer in cursor.fetchall()}


def _insert_items(attempt, items):
    """Store the drawn items. On PostgreSQL one INSERT of arrays that the database unnests:
    bulk_create prepares every field of every item in Python first, and for a
    hundred-question paper that was a fifth of a start's CPU."""
    db = connections[DEFAULT_DB_ALIAS]
    if db.vendor != "postgresql":
        AttemptItem.objects.bulk_create([
            AttemptItem(attempt=attempt, position=item.position, section_id=item.section_id,
                        version_id=item.version_id, points=item.points, option_order=item.option_order)
            for item in items
        ])
        return
    with db.cursor() as cursor:
        cursor.execute(
            "INSERT INTO exams_attemptitem (attempt_id, position, section_id, version_id, points, option_order, "
            "needs_grading, gradings_needed) SELECT %s, u.*, false, 0 "
            "FROM unnest(%s::smallint[], %s::bigint[], %s::bigint[], %s::numeric[], %s::jsonb[]) AS u",
            [attempt.pk, [item.position for item in items], [item.section_id for item in items],
             [item.version_id for item in items], [item.points for item in items],
             [json.dumps(item.option_order) for item in items]],
        )


def _count_draws(question_ids):
    """Bump the draw counters the least-used preference reads; best effort, outside the
    start's transaction so that concurrent starts do not queue on shared rows."""
    try:
        Question.objects.filter(pk__in=question_ids).update(times_drawn=F("times_drawn") + 1)
    except Exception:  # a deadlock or lock timeout costs a counter, never an exam
        log.warning("could not count draws", exc_info=True)


def _schedule_timeout(attempt):
    from django_tasks import default_task_backend

    from .tasks import finalize_task

    if default_task_backend.supports_defer:
        try:
            finalize_task.using(run_after=attempt.accept_until + timedelta(seconds=1)).enqueue(attempt.pk)
        except Exception:
            # The queue (Redis) is down. This runs after the start or the extra time has been
            # committed: failing here would tell the candidate or the invigilator that it had
            # not, and a retry would start on another device or add the time twice. The
            # attempt is handed in on time anyway by the sweep and by every page that reads it.
            log.warning("exams: the time-out of attempt %s could not be queued", attempt.pk, exc_info=True)


@transaction.atomic
def resume(user, attempt, *, device, ip=None, access_code="", user_agent="", now=None):
    now = now or timezone.now()
    attempt = finalize_if_due(attempt, now=now)
    if attempt.status != AttemptStatus.IN_PROGRESS:
        return attempt
    session = attempt.session
    _check_door(session, ip, access_code if device != attempt.device else session.access_code)
    if device != attempt.device:
        # Only while it runs: handed in (or voided) since it was read, it stays as it is, and no
        # device change is counted against the candidate.
        moved = Attempt.objects.filter(pk=attempt.pk, status=AttemptStatus.IN_PROGRESS).update(
            device=device, device_switches=F("device_switches") + 1, last_seen_at=now)
        attempt.refresh_from_db()
        if not moved:
            return attempt
        _live_changed(attempt.session_id)
        _event(attempt, AttemptEvent.Kind.DEVICE, actor=user, ip=ip, device=device[:8], user_agent=user_agent[:200])
        audit.record(user, "exams.device_switch", attempt, data={"ip": ip, "switches": attempt.device_switches})
    else:
        _event(attempt, AttemptEvent.Kind.RESUME, actor=user, ip=ip)
    return attempt


def remaining_seconds(attempt, now=None):
    now = now or timezone.now()
    return max(0, int((attempt.deadline - now).total_seconds()))


def attempt_state(attempt, *, now=None, image_url=None):
    """What a client needs to show the attempt: the questions as drawn (options in the
    order shown), every saved answer with its sequence number, and the true time left."""
    now = now or timezone.now()
    # An attempt just begun carries the items it drew (set by _begin, used once) and has no
    # answers yet: its token, which every save needs, is in this view. Later views read both.
    drawn = attempt.__dict__.pop("drawn_items", None)
    items = drawn if drawn is not None else shown_items(attempt)
    saved = {} if drawn is not None else {
        a.position: {"response": a.response, "seq": a.seq}
        for a in Answer.objects.filter(attempt=attempt).only("position", "response", "seq")}
    return {
        "attempt": attempt.pk,
        "status": attempt.status,
        "deadline": attempt.deadline.isoformat(),
        "remaining_seconds": remaining_seconds(attempt, now),
        "grace_seconds": attempt.session.grace_seconds,
        "server_time": now.isoformat(),
        "items": item_views(items, image_url),
        "answers": {str(position): value for position, value in saved.items()},
    }


def shown_items(attempt):
    """The attempt's items, in order, as plain values that item_view() reads: the fields
    shown and the section. Each start and each reload reads them, and as model instances
    (an item, its version and its section per question) they were two thirds of the CPU
    of showing a hundred-question paper."""
    rows = list(AttemptItem.objects.filter(attempt_id=attempt.pk).order_by("position").values_list(
        "position", "section_id", "version_id", "option_order", "points",
        "version__type", "version__stem", "version__options", "version__answer"))
    sections = PaperSection.objects.in_bulk({row[1] for row in rows if row[1] is not None})
    return [_shown_item(position, sections.get(section_id), *rest) for position, section_id, *rest in rows]


def _shown_item(position, section, version_id, option_order, points, qtype, stem, options, answer):
    """One item as shown_items() gives it: what item_view() reads, as plain values."""
    return SimpleNamespace(position=position, section_id=section.pk if section is not None else None,
                           section=section, version_id=version_id, option_order=option_order, points=points,
                           version=SimpleNamespace(type=qtype, stem=stem, options=options, answer=answer))


def item_views(items, image_url=None):
    """item_view() of many items: their pictures in one query, and each section's title
    worked out once (a choice label is translated afresh on every get_FOO_display())."""
    images = version_images({item.version_id for item in items})
    titles, views = {}, []
    for item in items:
        if item.section_id not in titles:
            titles[item.section_id] = section_title(item.section)
        views.append(item_view(item, image_url, images=images.get(item.version_id, ()),
                               section=titles[item.section_id]))
    return views


def version_images(version_ids):
    """{version id: [picture ids in the author's order]}, in one query."""
    found = {}
    for version_id, image_id in (QuestionVersionImage.objects.filter(version_id__in=version_ids)
                                 .order_by("version_id", "position").values_list("version_id", "image_id")):
        found.setdefault(version_id, []).append(image_id)
    return found


def section_title(section):
    return (section.title or section.get_type_display()) if section is not None else ""


def item_view(item, image_url=None, *, images=None, section=None):
    """One question as the candidate sees it. `images` (picture ids) and `section` (its
    title) may be given by a caller that worked them out for many items at once."""
    version = item.version
    if images is None:
        images = [link.image_id for link in version.image_links.all()]
    by_key = {o["key"]: o["text"] for o in version.options}
    return {
        "position": item.position,
        "section": section_title(item.section) if section is None else section,
        "type": version.type,
        "stem": version.stem,
        "options": [{"key": key, "text": by_key[key], "label": chr(ord("A") + index)}
                    for index, key in enumerate(item.option_order)],
        "blanks": len(version.answer) if version.type == QuestionType.FILL else 0,
        "points": format(item.points.normalize(), "f"),
        "images": [image_url(pk) if image_url else pk for pk in images],
    }


class _Shown:
    """A practice item seen as an attempt item (no section, one point) by item_view."""

    def __init__(self, item):
        self.position, self.version, self.option_order = item.position, item.version, item.option_order
        self.version_id, self.section, self.section_id, self.points = item.version_id, None, None, Decimal(1)


def practice_item_view(item, image_url=None):
    return item_view(_Shown(item), image_url)


def practice_item_views(items, image_url=None):
    return item_views([_Shown(item) for item in items], image_url)


def version_views(versions, image_url=None):
    """item_view() of question versions on their own (the wrong-answer book): options in
    their written order, pictures in one query."""
    return practice_item_views([SimpleNamespace(position=0, version=v, version_id=v.pk,
                                                option_order=[o["key"] for o in v.options]) for v in versions],
                               image_url)


def answer_keys(versions, image_url=None):
    """{version pk: {"answer", "explanation", "explanation_images"}}: each version's right
    answer (scoring.correct_response), its explanation and the explanation's pictures (their
    addresses through `image_url`, else their pks), the pictures in one query for them all.
    What a review, an answered practice item and the wrong-answer book show once answers
    may be shown."""
    versions = {version.pk: version for version in versions}
    explained = explanation_images(list(versions))
    return {pk: {"answer": scoring.correct_response(version.type, version.answer),
                 "explanation": version.explanation,
                 "explanation_images": [image_url(i) if image_url else i for i in explained.get(pk, [])]}
            for pk, version in versions.items()}


def wrong_entry_views(entries, image_url=None):
    """Each wrong-answer book entry's question as practice shows it once answered:
    version_views() of its current version with its answer_keys() added. The page and the
    API both show the book through this; its pictures take one query for the whole book and
    its explanations' pictures one more."""
    versions = [entry.question.current for entry in entries]
    keys = answer_keys(versions, image_url)
    views = version_views(versions, image_url)
    for version, view in zip(versions, views, strict=True):
        view.update(keys[version.pk])
    return views


def _valid_response(value):
    if value is None or isinstance(value, bool):
        return True
    if isinstance(value, str):
        return len(value) <= MAX_RESPONSE_CHARS
    if isinstance(value, list):
        return len(value) <= 20 and all(isinstance(v, str) and len(v) <= 2000 for v in value)
    return False


def _storable(response):
    """The response with what no database can store taken out of its text: a NUL (which
    PostgreSQL's jsonb refuses) is dropped, and a lone surrogate (half of a character, which
    cannot be encoded; a text cut in the middle of an emoji) becomes U+FFFD. Refusing the
    save instead would stop the exam page from saving anything more."""
    if isinstance(response, str):
        return _UNSTORABLE.sub(_stored_as, response) if _UNSTORABLE.search(response) else response
    if isinstance(response, list):
        return [_storable(v) for v in response]
    return response


def _stored_as(match):
    return "" if match.group() == "\x00" else "\ufffd"


_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def is_answered(response):
    """Whether a stored response answers its question: not empty, not only blanks (the
    exam page's own count agrees)."""
    if isinstance(response, bool):
        return True
    if isinstance(response, str):
        return bool(response.strip())
    if isinstance(response, list):
        return any(isinstance(v, str) and v.strip() for v in response)
    return False


def parse_answers(payload):
    """[(position, seq, response JSON)] from a save request's body, the highest seq per
    position; UserError for anything malformed."""
    items = payload.get("answers") if isinstance(payload, dict) else None
    if not isinstance(items, list) or not 1 <= len(items) <= MAX_BATCH:
        raise UserError(_("Send the answers as a list of 1 to 200 items."))
    best = {}
    for item in items:
        try:
            position, seq, response = int(item["q"]), int(item["seq"]), item.get("r")
        except (KeyError, TypeError, ValueError, OverflowError):  # OverflowError: Infinity
            raise UserError(_("Each answer needs q (the question's position), seq and r.")) from None
        if not (0 <= position < MAX_PAPER_QUESTIONS and 0 < seq < 2**31 and _valid_response(response)):
            raise UserError(_("An answer is out of range or too long."))
        if position not in best or best[position][0] < seq:
            best[position] = (seq, _storable(response))
    # a cleared answer (no option ticked, every blank empty) is stored as null, which the
    # invigilator's count of answered questions leaves out
    return [(position, seq, json.dumps(response if is_answered(response) else None, ensure_ascii=False))
            for position, (seq, response) in best.items()]


@functools.cache
def _upsert_sql(count):
    """The save statement for `count` answers. The attempt row is both the authorisation
    (the right device, still open) and, on PostgreSQL, a key-share lock that finalize()'s
    SELECT ... FOR UPDATE waits for, so no answer lands after the attempt is graded."""
    postgres = connection.vendor == "postgresql"
    upsert = (" ON CONFLICT (attempt_id, position) DO UPDATE SET response = excluded.response, seq = excluded.seq, "
              "saved_at = excluded.saved_at WHERE exams_answer.seq < excluded.seq")
    open_attempt = "id = %s AND device = %s AND status = 'in_progress' AND accept_until >= %s"
    if count == 1:
        cast = "::integer" if postgres else ""
        return (
            "INSERT INTO exams_answer (attempt_id, position, response, seq, saved_at) "  # noqa: S608 - no input
            f"SELECT id, %s{cast}, %s{'::jsonb' if postgres else ''}, %s{cast}, %s FROM exams_attempt "
            f"WHERE {open_attempt} AND %s < item_count{' FOR KEY SHARE' if postgres else ''}{upsert}"
        )
    row = "SELECT %s::integer AS position, %s::jsonb AS response, %s::integer AS seq" if postgres else (
        "SELECT %s AS position, %s AS response, %s AS seq")
    rows = " UNION ALL ".join([row] * count)
    return (
        "INSERT INTO exams_answer (attempt_id, position, response, seq, saved_at) "  # noqa: S608 - no input
        f"SELECT a.id, v.position, v.response, v.seq, %s FROM ({rows}) v, "
        f"(SELECT id, item_count FROM exams_attempt WHERE {open_attempt}{' FOR KEY SHARE' if postgres else ''}) a "
        f"WHERE v.position < a.item_count{upsert}"
    )


def _execute(db, sql, params):
    """Run the save statement on the connection `db`; the number of rows it wrote.

    On PostgreSQL the statement is prepared once per connection and then only executed
    (about 30% less work for the server than parsing and planning it each time; it needs
    session-level pooling, where prepared statements last). Outside a transaction, which is
    every save the exam page sends, it goes straight to libpq (psycopg.pq) with its
    parameters as text: 0.055 ms of CPU in one process against 0.074 ms through a psycopg
    cursor (adapting each parameter, building a result), a few percent of a save. Inside a
    transaction (a test, the demo data) it goes through a psycopg cursor, which begins the
    transaction first as psycopg does.
    Django's per-request health check (a SELECT 1 before the first query) is skipped: a
    connection found dead is replaced and the statement sent once more, which is what the
    check would have done."""
    if db.vendor != "postgresql":
        with db.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.rowcount
    for last_try in (False, True):
        db.health_check_done = True
        db.ensure_connection()
        raw = db.connection
        try:
            return _execute_prepared(raw, sql, params) if raw.autocommit else _execute_on_cursor(raw, sql, params)
        except psycopg.OperationalError:
            if last_try or db.in_atomic_block:
                raise
            db.close()
    raise AssertionError("unreachable")


def _execute_prepared(raw, sql, params):
    names = _prepared.setdefault(raw, {})
    pgconn = raw.pgconn
    name = names.get(sql)
    if name is None:
        name = f"jingsai_save_{len(names)}".encode()
        _check(raw, pgconn.prepare(name, _numbered(sql).encode()))
        names[sql] = name
    values = [(v.isoformat() if hasattr(v, "isoformat") else str(v)).encode() for v in params]
    result = pgconn.exec_prepared(name, values)
    _check(raw, result)
    return int(result.command_tuples or 0)


def _check(raw, result):
    if result.status == psycopg.pq.ExecStatus.COMMAND_OK:
        return
    if raw.pgconn.status != psycopg.pq.ConnStatus.OK:
        raise psycopg.OperationalError(raw.pgconn.get_error_message() or "the connection was lost")
    raise psycopg.errors.error_from_result(result, encoding=raw.info.encoding)


@functools.cache
def _numbered(sql):
    """A statement with %s placeholders, numbered as libpq wants them: $1, $2, ..."""
    parts = sql.split("%s")
    return "".join(f"{part}${number}" for number, part in enumerate(parts[:-1], 1)) + parts[-1]


def _execute_on_cursor(raw, sql, params):
    cursor = _cursors.get(raw)
    if cursor is None or cursor.closed:
        cursor = _cursors[raw] = psycopg.Cursor(raw)  # kept: its adapters are set up once
        if raw.prepare_threshold is None:
            # Django sets None, which turns preparing off even when asked for; a threshold
            # never reached lets prepare=True prepare this statement and nothing else
            # (Django's own cursors bind on the client and never do).
            raw.prepare_threshold = 2**31 - 1
    cursor.execute(sql, params, prepare=True)
    return cursor.rowcount


_cursors = weakref.WeakKeyDictionary()
_prepared = weakref.WeakKeyDictionary()  # connection -> {statement: prepared name}


class SaveRefused(UserError):
    pass


def save_answers(attempt_id, device, answers, *, now=None):
    """Store answers [(position, seq, response JSON)] for an attempt held by `device`.

    One statement; a save whose seq is not above the stored one changes nothing and
    still counts as saved (it is a resend, or a late save older than the stored one).
    Raises SaveRefused when the attempt is closed, past its grace period, or held by
    another device."""
    now = now or timezone.now()
    db = connections[DEFAULT_DB_ALIAS]  # once: each use of django.db.connection looks it up again
    stamp = db.ops.adapt_datetimefield_value(now)
    if len(answers) == 1:
        (position, seq, response), = answers
        params = [position, response, seq, stamp, attempt_id, device, stamp, position]
    else:
        params = [stamp]
        for position, seq, response in answers:
            params += [position, response, seq]
        params += [attempt_id, device, stamp]
    stored = _execute(db, _upsert_sql(len(answers)), params)
    if stored != len(answers):
        _explain_unsaved(attempt_id, device, answers)
    return stored


def _explain_unsaved(attempt_id, device, answers):
    stored = dict(Answer.objects.filter(attempt_id=attempt_id, position__in=[a[0] for a in answers])
                  .values_list("position", "seq"))
    if all(stored.get(position, 0) >= seq for position, seq, _r in answers):
        return  # each was stored already (a resend) or a newer answer was
    attempt = Attempt.objects.filter(pk=attempt_id).only("device", "status", "item_count").first()
    if attempt is None:
        raise SaveRefused(_("This exam attempt does not exist."), code="not_found")
    if attempt.status == AttemptStatus.VOIDED:
        raise SaveRefused(_("This attempt has been voided: reload the page to start the exam again."), code="voided")
    if attempt.device != device:
        raise SaveRefused(_("This exam has been opened on another device; answers from this one are not accepted. "
                            "Reload the page to continue here."), code="other_device")
    if any(position >= attempt.item_count for position, _s, _r in answers):
        raise SaveRefused(_("The paper has no such question."), code="invalid")
    raise SaveRefused(_("The exam has ended; this answer arrived too late to be saved."), code="closed")


def heartbeat(attempt_id, device, *, now=None):
    """Mark the device as connected; returns the attempt's status and true time left."""
    now = now or timezone.now()
    Attempt.objects.filter(pk=attempt_id, device=device, status=AttemptStatus.IN_PROGRESS).update(last_seen_at=now)
    attempt = Attempt.objects.select_related("session").filter(pk=attempt_id).first()
    if attempt is None:
        raise SaveRefused(_("This exam attempt does not exist."), code="not_found")
    attempt = finalize_if_due(attempt, now=now)
    return {
        "status": attempt.status,
        "remaining_seconds": remaining_seconds(attempt, now),
        "deadline": attempt.deadline.isoformat(),
        "this_device": attempt.device == device,
        "server_time": int(now.timestamp() * 1000),  # ms: the exam page sets its clock by it
    }


# ---------------------------------------------------------------- ending and grading


def due(attempt, now=None):
    return (now or timezone.now()) > attempt.accept_until


def finalize_if_due(attempt, *, now=None):
    """On-access finalization: an attempt past its deadline and grace is submitted now."""
    if attempt.status == AttemptStatus.IN_PROGRESS and due(attempt, now):
        return finalize(attempt.pk, EndedBy.TIMEOUT, now=now)
    return attempt


def sweep(*, now=None, session=None, limit=500):
    """Submit every attempt past its deadline and grace (the background sweep). Safe to
    run anywhere at any time: finalize() locks and re-checks each attempt."""
    now = now or timezone.now()
    overdue = Attempt.objects.filter(status=AttemptStatus.IN_PROGRESS, accept_until__lt=now)
    if session is not None:
        overdue = overdue.filter(session=session)
    done = 0
    for pk in overdue.order_by("accept_until").values_list("pk", flat=True)[:limit]:
        try:
            finalize(pk, EndedBy.TIMEOUT, now=now)
        except Exception:  # one attempt that cannot be handed in must not hold up the others
            log.exception("exams: attempt %s is overdue and could not be handed in", pk)
            continue
        done += 1
    return done


@transaction.atomic
def finalize(attempt_id, how, *, actor=None, reason="", now=None):
    """Submit an attempt: score every objective answer, leave short answers to graders.
    Idempotent: an attempt already submitted is returned as it is."""
    now = now or timezone.now()
    attempt = (Attempt.objects.select_for_update(of=("self",)).select_related("session", "session__paper")
               .get(pk=attempt_id))
    if attempt.status != AttemptStatus.IN_PROGRESS:
        return attempt
    if how == EndedBy.TIMEOUT and not due(attempt, now):
        return attempt
    if how == EndedBy.CANDIDATE and now >= attempt.deadline:
        # The time was up when the hand-in came (the page hands in at time-up, within the
        # grace period for answers in flight; or the time and grace were over): the exam
        # ended by time-out, with the answers saved until then, whatever the click says.
        how, actor, reason = EndedBy.TIMEOUT, None, ""
    elif how == EndedBy.INVIGILATOR and now >= attempt.deadline:
        # Ended in the grace period: the candidate's time had run out, and nobody cut it
        # short. Recorded as the time-out it was; the invigilator who closed it and their
        # reason stay on its event and audit record.
        how = EndedBy.TIMEOUT
    session = attempt.session
    partial = session.paper.multiple_scoring == Paper.MultipleScoring.PARTIAL
    responses = dict(Answer.objects.filter(attempt=attempt).values_list("position", "response"))
    items = list(attempt.items.select_related("version"))
    objective = Decimal(0)
    for item in items:
        version = item.version
        response = responses.get(item.position)
        if version.type == QuestionType.SHORT and not (isinstance(response, str) and response.strip()):
            item.score = Decimal("0.00")
        else:
            item.score = scoring.score(version.type, version.answer, response, item.points, partial=partial)
        item.needs_grading = item.score is None
        item.gradings_needed = session.graders_per_answer if item.needs_grading else 0
        objective += item.score or 0
    AttemptItem.objects.bulk_update(items, ["score", "needs_grading", "gradings_needed"])
    attempt.objective_score = objective
    attempt.submitted_at = now
    attempt.ended_by = how
    pending = any(item.needs_grading for item in items)
    attempt.status = AttemptStatus.SUBMITTED if pending else AttemptStatus.GRADED
    if not pending:
        attempt.score = objective
    attempt.save(update_fields=["objective_score", "submitted_at", "ended_by", "status", "score"])
    _live_changed(attempt.session_id)
    kind = {EndedBy.CANDIDATE: AttemptEvent.Kind.SUBMIT, EndedBy.TIMEOUT: AttemptEvent.Kind.TIMEOUT,
            EndedBy.INVIGILATOR: AttemptEvent.Kind.END}[how]
    answered = sum(map(is_answered, responses.values()))
    _event(attempt, kind, actor=actor, reason=reason, answered=answered)
    audit.record(actor, f"exams.{kind}", attempt, reason=reason,
                 changes={"status": [AttemptStatus.IN_PROGRESS, attempt.status]},
                 data={"objective_score": objective, "answered": answered})
    if not pending:
        _push_score(attempt, actor)
    attempt.handed_in_now = True  # by this call, not found handed in already (end_attempt)
    return attempt


def submit(user, attempt, *, device=None, now=None):
    """The candidate hands in. A device that lost the attempt to another may not. After the
    time and grace are over it is recorded as the time-out it was."""
    now = now or timezone.now()
    attempt = finalize_if_due(attempt, now=now)
    if attempt.status != AttemptStatus.IN_PROGRESS:
        return attempt
    if device is not None and device != attempt.device:
        raise UserError(_("This exam has been opened on another device; hand it in there."), code="other_device")
    return finalize(attempt.pk, EndedBy.CANDIDATE, actor=user, now=now)


def end_attempt(actor, attempt, *, reason, now=None):
    if not (reason or "").strip():
        raise UserError(_("Give a reason for ending the attempt."), code="reason")
    attempt = finalize_if_due(attempt, now=now)
    if attempt.status != AttemptStatus.IN_PROGRESS:
        raise UserError(_("This attempt has already ended."), code="ended")
    ended = finalize(attempt.pk, EndedBy.INVIGILATOR, actor=actor, reason=reason, now=now)
    if not getattr(ended, "handed_in_now", False):  # handed in, timed out or ended by someone else a moment before
        raise UserError(_("This attempt has already ended."), code="ended")
    return ended


@transaction.atomic
def void_attempt(actor, attempt, *, reason, now=None):
    """Set an attempt aside so that the candidate sits the exam again (重考): their computer
    failed, the power went, they were started on the wrong paper. The attempt stays, with
    its draw, answers and scores, marked voided with the reason; it no longer counts. A
    running one stops taking answers. Its short answers leave the graders' queue. A theory
    score it sent into the results is cleared until the new attempt is graded. The
    candidate then starts a new attempt, with a new draw and the clock starting again
    (within the sitting's window), in this sitting while it is open, or in another sitting
    of the same exam.

    Refused unless the candidate can start again: a sitting of the exam open to them is
    open or still to come, the competition is not yet being scored and the stage's results
    are not final. Otherwise the score would just be lost."""
    from jingsai.competitions.models import Competition, Status
    from jingsai.results.models import ComponentScore, ScoreSource
    from jingsai.results.services import scores_final, set_component_score

    if not (reason or "").strip():
        raise UserError(_("Give a reason for voiding the attempt."), code="reason")
    now = now or timezone.now()
    # The order a start takes (_begin): the candidate's entry, then the stage and the
    # competition shared (a competition step and a stage's finalization lock them FOR
    # UPDATE: either this waits and then sees the step, or the step waits for this), then
    # the attempt.
    Entry.objects.select_for_update(no_key=True).filter(pk=attempt.entry_id).exists()
    _share_stage(attempt.entry.stage_id, with_competition=True)
    attempt = (Attempt.objects.select_for_update(of=("self",))
               .select_related("session", "entry__stage", "entry__person").get(pk=attempt.pk))
    if attempt.status == AttemptStatus.VOIDED:
        raise UserError(_("This attempt has already been voided."), code="voided")
    session, entry = attempt.session, attempt.entry
    competition = Competition.objects.get(pk=session.competition_id)  # read after the lock
    if competition.status in (Status.SCORING, Status.PUBLICITY, Status.FINAL, Status.ARCHIVED):
        raise UserError(_("“%(competition)s” has moved on to %(status)s: no new attempt could be started, so this "
                          "one stays.") % {"competition": competition.name, "status": competition.get_status_display()},
                        code="closed")
    if scores_final(entry.stage_id):
        raise UserError(_("The results of “%(stage)s” are final: this attempt stays.") % {"stage": entry.stage.name},
                        code="final")
    sittings = ExamSession.objects.filter(Q(stage__isnull=True) | Q(stage_id=entry.stage_id),
                                          competition_id=competition.pk, component=session.component,
                                          closes_at__gt=now)
    if not sittings.exists():
        raise UserError(_("No sitting of this exam is open or still to come for %(name)s, so they could not start "
                          "again: extend this sitting's window or add a make-up sitting first, then void the "
                          "attempt.") % {"name": entry.person.name}, code="no_sitting")
    old = attempt.status
    component = session.component
    if old == AttemptStatus.GRADED:
        # Locked before it is read: a score typed in by hand meanwhile is not overwritten.
        score = ComponentScore.objects.select_for_update().filter(entry=entry, component=component).first()
        if score is not None and score.source == ScoreSource.EXAM and score.value is not None:
            set_component_score(actor, entry, component, None, source=ScoreSource.EXAM,
                                reason=_("Theory exam attempt voided: %(reason)s") % {"reason": reason})
    if old == AttemptStatus.IN_PROGRESS:
        attempt.submitted_at = now
    attempt.status = AttemptStatus.VOIDED
    attempt.save(update_fields=["status", "submitted_at"])
    # Its short answers leave the graders' queue by the attempt's status (next_to_grade and
    # the counts read only handed-in attempts'): the items are not touched, since a grader's
    # mark locks its item before the attempt, and this would lock them the other way round.
    left_queue = AttemptItem.objects.filter(attempt=attempt, needs_grading=True).count()
    _live_changed(attempt.session_id)
    _event(attempt, AttemptEvent.Kind.VOID, actor=actor, reason=reason, status=old)
    audit.record(actor, "exams.void", attempt, reason=reason, changes={"status": [old, AttemptStatus.VOIDED]},
                 data={"score": attempt.score, "left_grading": left_queue})
    return attempt


def current_attempt(session, entry):
    """The candidate's attempt in this session that counts: any but those voided."""
    return (Attempt.objects.filter(session=session, entry=entry).exclude(status=AttemptStatus.VOIDED)
            .select_related("session").first())


def replacing(voided):
    """The attempt that counts in place of a voided one: the candidate's in the same exam
    (the competition's component), in this sitting or another; None if none has started."""
    return (Attempt.objects.filter(entry_id=voided.entry_id, session__competition_id=voided.session.competition_id,
                                   session__component=voided.session.component)
            .exclude(status=AttemptStatus.VOIDED).select_related("session").order_by("-pk").first())


def voided_attempts(session, entry):
    return Attempt.objects.filter(session=session, entry=entry, status=AttemptStatus.VOIDED).order_by("-pk")


@transaction.atomic
def _move_deadline(actor, attempt, minutes, reason):
    attempt = Attempt.objects.select_for_update(of=("self",)).select_related("session").get(pk=attempt.pk)
    if attempt.status != AttemptStatus.IN_PROGRESS or due(attempt):  # handed in meanwhile, or time is up
        raise UserError(_("This attempt has already ended."), code="ended")
    old = attempt.deadline
    if old + timedelta(minutes=minutes) <= timezone.now():
        # Taking back more time than is left would end the exam as a time-out, recorded as
        # if the clock had run out: ending it is the invigilator's own act, with its reason.
        raise UserError(_("That would leave no time at all. To end the attempt now, use “End the attempt”."),
                        code="no_time_left")
    attempt.deadline = old + timedelta(minutes=minutes)
    attempt.accept_until = attempt.deadline + timedelta(seconds=attempt.session.grace_seconds)
    attempt.save(update_fields=["deadline", "accept_until"])
    _live_changed(attempt.session_id)
    _event(attempt, AttemptEvent.Kind.EXTEND, actor=actor, minutes=minutes, reason=reason)
    audit.record(actor, "exams.extend", attempt, reason=reason, changes={"deadline": [old, attempt.deadline]})
    transaction.on_commit(lambda: _schedule_timeout(attempt))
    return attempt


def extend(actor, attempt, minutes, *, reason):
    """Give a running attempt more time (or, with negative minutes, take back a mistake)."""
    if not (reason or "").strip():
        raise UserError(_("Give a reason for the extension."), code="reason")
    try:
        minutes = int(minutes)
    except (TypeError, ValueError):
        raise UserError(_("Give the extra time in whole minutes.")) from None
    if minutes == 0 or not -120 <= minutes <= 300:
        raise UserError(_("An extension is -120 to 300 minutes, not 0."))
    attempt = finalize_if_due(attempt)
    if attempt.status != AttemptStatus.IN_PROGRESS:
        raise UserError(_("This attempt has already ended."), code="ended")
    return _move_deadline(actor, attempt, minutes, reason)


def resolve_item(item, scores, session):
    """(final score or None, gradings needed) for a short answer with `scores` so far.

    One grader: their mark. Two: the mean, unless they differ by more than the session's
    threshold (a share of the question's points): then a third grader marks, and the
    final score is the mean of the third mark and the nearer of the first two."""
    needed = session.graders_per_answer
    if len(scores) < needed:
        return None, needed
    if needed == 1:
        return scoring.cents(scores[0]), 1
    threshold = item.points * session.disagreement_percent / 100
    first, second = scores[0], scores[1]
    if abs(first - second) <= threshold:
        return scoring.cents((first + second) / 2), 2
    if len(scores) < 3:
        return None, 3
    third = scores[2]
    nearer = first if abs(first - third) <= abs(second - third) else second
    return scoring.cents((third + nearer) / 2), 3


def kept_from(grader):
    """Q matching the attempt items `grader` must not mark (回避), as judges keep away from
    contestants (jingsai.judging.conflicts): their own answers; answers from their own
    enterprise or college (the unit of their judge-pool record if they have one, else
    their employer); answers of anyone they declared a relationship with; and every answer
    of a competition they are entered in themselves (their rivals', and before they sit the
    exam, the reference answers they would see). Grading is blind as well; this keeps the
    grader from marking a colleague's paper unknowingly."""
    from jingsai.judging import conflicts

    person = grader.person if grader.person_id else None
    kept = Q(pk__in=[])
    if person is not None:
        entered = Entry.objects.filter(person_id=person.pk, status__in=ACTIVE_STATUSES).values("competition_id")
        kept = Q(attempt__person_id=person.pk) | Q(attempt__entry__competition_id__in=entered)
    judge = conflicts.judge_for(grader)
    if judge is not None:
        kept |= conflicts.judge_filter(judge, "attempt__entry__unit", "attempt__person_id")
    elif person is not None:
        kept |= conflicts.same_affiliation(person.employer, "attempt__entry__unit")
    return kept


def waiting_for(grader, items):
    """The items (a queryset of attempt items) still waiting for a mark from this grader."""
    return items.filter(needs_grading=True).exclude(gradings__grader=grader).exclude(kept_from(grader))


def ungradable(session, graders):
    """How many short answers of the session wait for a mark no grader in `graders` may
    give: each is kept from them all (回避) or has their marks already. The organizer must
    give the grader role to someone else."""
    pending = AttemptItem.objects.filter(attempt__session=session, needs_grading=True,
                                         attempt__status=AttemptStatus.SUBMITTED)
    markable = Q(pk__in=[])
    for grader in graders:
        markable |= Q(pk__in=waiting_for(grader, pending).values("pk"))
    return pending.exclude(markable).count()


def next_to_grade(session, grader):
    """The next short answer this grader should mark in the session, or None."""
    return (
        waiting_for(grader, AttemptItem.objects.filter(attempt__session=session,
                                                       attempt__status=AttemptStatus.SUBMITTED))
        .annotate(done=Count("gradings"))
        .filter(done__lt=F("gradings_needed"))
        .select_related("version", "attempt")
        .order_by("attempt_id", "position")
        .first()
    )


def my_exams(person_id, now=None):
    """A worker's theory exams, as their list shows them: [{"session", "attempt"}] for every
    sitting of the competitions (or the stages) they have an approved entry in, with their
    attempt there (None before they start; a voided one is not theirs any more). What can
    still be taken comes first, soonest first; then the exams that are over, latest first."""
    now = now or timezone.now()
    entries = Entry.objects.filter(person_id=person_id, status=EntryStatus.APPROVED)
    sessions = ExamSession.objects.filter(
        Q(stage__isnull=True, competition_id__in=entries.values("competition_id"))
        | Q(stage_id__in=entries.values("stage_id"))
    ).select_related("competition").order_by("opens_at")
    attempts = {a.session_id: a for a in Attempt.objects.filter(person_id=person_id)
                .exclude(status=AttemptStatus.VOIDED)}

    def open_to_them(session):
        attempt = attempts.get(session.pk)
        return session.closes_at > now and (attempt is None or attempt.status == AttemptStatus.IN_PROGRESS)

    ahead = [s for s in sessions if open_to_them(s)]
    over = sorted((s for s in sessions if s not in ahead), key=lambda s: s.opens_at, reverse=True)
    return [{"session": s, "attempt": attempts.get(s.pk)} for s in ahead + over]


def grading_queue(grader):
    """The exam sessions of the competitions `grader` grades in (newest first), each with
    `waiting`: how many short answers wait for their mark now (next_to_grade's, counted), in
    one query for them all; those with answers waiting first."""
    from jingsai.accounts import permissions

    sessions = list(ExamSession.objects.filter(
        competition_id__in=permissions.competition_ids(grader, permissions.GRADER)
    ).select_related("competition").order_by("-opens_at", "-pk"))
    marks = (Grading.objects.filter(item=OuterRef("pk")).order_by().values("item")
             .annotate(n=Count("pk")).values("n"))
    waiting = dict(
        waiting_for(grader, AttemptItem.objects.filter(attempt__session__in=sessions,
                                                       attempt__status=AttemptStatus.SUBMITTED))
        .annotate(done=Coalesce(Subquery(marks), 0)).filter(done__lt=F("gradings_needed"))
        .order_by().values("attempt__session_id").annotate(n=Count("pk")).values_list("attempt__session_id", "n"))
    for session in sessions:
        session.waiting = waiting.get(session.pk, 0)
    return sorted(sessions, key=lambda session: session.waiting == 0)


def grading_progress(session):
    items = AttemptItem.objects.filter(attempt__session=session, version__type=QuestionType.SHORT,
                                       attempt__status__in=[AttemptStatus.SUBMITTED, AttemptStatus.GRADED])
    return {"total": items.count(), "pending": items.filter(needs_grading=True).count()}


@transaction.atomic
def grade(grader, item, score, *, comment=""):
    """Record one grader's mark for a short answer; resolve it when enough graders agree."""
    item = (AttemptItem.objects.select_for_update(of=("self",)).select_related("attempt__session", "version")
            .get(pk=item.pk))
    session = item.attempt.session
    if item.attempt.status == AttemptStatus.VOIDED:
        raise UserError(_("This answer's attempt has been voided: it is not graded. Here is the next one."),
                        code="voided")
    if not item.needs_grading:
        raise UserError(_("This answer has already been graded; here is the next one."), code="graded")
    marks = list(item.gradings.order_by("created_at", "pk"))
    if any(g.grader_id == grader.pk for g in marks):
        raise UserError(_("You have already graded this answer; another grader must mark it."), code="graded")
    if len(marks) >= item.gradings_needed:
        raise UserError(_("This answer has already been graded; here is the next one."), code="graded")
    if AttemptItem.objects.filter(kept_from(grader), pk=item.pk).exists():
        raise UserError(_("You may not grade this answer: it is your own, or from your own enterprise or college, "
                          "or from someone you declared a relationship with, or from a competition you are entered "
                          "in yourself (回避). Here is the next one."), code="forbidden")
    score = _grading_score(score, item.points)
    Grading.objects.create(item=item, grader=grader, score=score, comment=comment.strip())
    final, needed = resolve_item(item, [g.score for g in marks] + [score], session)
    item.gradings_needed = needed
    if final is not None:
        item.score, item.needs_grading = final, False
    item.save(update_fields=["gradings_needed", "score", "needs_grading"])
    audit.record(grader, "exams.grade", item.attempt, data={"position": item.position, "score": score,
                                                             "round": len(marks) + 1, "final": final})
    if final is not None:
        _complete_if_graded(item.attempt_id, grader)
    return item


def _grading_score(value, points):
    """A grader's mark as a Decimal of cents, or UserError saying why it is not one: a
    number from 0 to the question's points with at most two decimal places, as the grading
    page's form asks (so the API cannot store 6.125 rounded, or a -0.00)."""
    try:
        score = parse_decimal(value, allow_float=True)
    except NumberError:
        raise UserError(_("“%(value)s” is not a number.") % {"value": value}, code="not_a_number") from None
    if not 0 <= score <= points:
        raise UserError(_("The score must be between 0 and %(max)s.") % {"max": points}, code="out_of_range")
    if -score.normalize().as_tuple().exponent > 2:
        raise UserError(_("A score has at most 2 decimal places."), code="too_precise")
    return score.copy_abs().quantize(CENT)  # abs: -0 is 0


def _complete_if_graded(attempt_id, actor):
    attempt = Attempt.objects.select_for_update(of=("self",)).select_related("session").get(pk=attempt_id)
    if attempt.status != AttemptStatus.SUBMITTED or attempt.items.filter(needs_grading=True).exists():
        return
    attempt.score = sum((s for s in attempt.items.values_list("score", flat=True)), Decimal(0))
    attempt.status = AttemptStatus.GRADED
    attempt.save(update_fields=["score", "status"])
    _live_changed(attempt.session_id)
    audit.record(actor, "exams.graded", attempt, changes={"score": [None, attempt.score]})
    _push_score(attempt, actor)


def theory_score(attempt):
    """The attempt's score on the competition component's scale (exact to 6 places)."""
    from jingsai.results.services import component_of

    maximum = Decimal(str(component_of(attempt.session.competition, attempt.session.component)["max"]))
    if not attempt.max_score:
        return Decimal(0)
    value = attempt.score * maximum / attempt.max_score
    value = value.quantize(Decimal("0.000001"), rounding=ROUND_HALF_UP).normalize()
    return value if value.as_tuple().exponent <= 0 else value.quantize(Decimal(1))  # 100, not 1E+2


def _push_score(attempt, actor):
    """The graded attempt's score into the entry's theory component. If the stage's results
    are already final, the score stays on the attempt and an audit record says it was not
    transferred: the hand-in or the grader's mark that got here is kept either way."""
    from jingsai.results.models import ScoreSource
    from jingsai.results.services import clear_absence_if_complete, scores_final, set_component_score

    entry = Entry.objects.select_related("competition", "stage").get(pk=attempt.entry_id)
    score = theory_score(attempt)
    if scores_final(entry.stage_id):
        log.warning("attempt %s graded after the results of stage %s became final", attempt.pk, entry.stage_id)
        audit.record(actor, "exams.score_not_transferred", attempt,
                     reason=_("The results of “%(stage)s” are final; the theory score stays on the attempt.")
                     % {"stage": entry.stage.name}, data={"score": score, "component": attempt.session.component})
        return
    set_component_score(actor, entry, attempt.session.component, score, time_seconds=time_used(attempt),
                        source=ScoreSource.EXAM,
                        reason=_("Theory exam “%(session)s” graded.") % {"session": attempt.session.name})
    clear_absence_if_complete(actor, entry, reason=_(
        "Sat theory exam “%(session)s”: every component now has a score.") % {"session": attempt.session.name})


def time_used(attempt):
    """Whole seconds from the start to the hand-in, for a `time:<component>` tie-breaker
    (results-rules.md, 4: 同分用时少者优先). At most to the attempt's deadline: a hand-in at
    time-out is recorded when the sweep or the next request gets to it, maybe much later,
    and answers in the grace period after it are no time used."""
    if attempt.submitted_at is None:
        return None
    end = min(attempt.submitted_at, attempt.deadline)
    return max(0, int((end - attempt.started_at).total_seconds()))


def attempt_progress(session, *, now=None):
    """The invigilator's live list: a row for every candidate (entry number, stage, name,
    unit) with their attempt if any (state, answers saved, questions, device changes, time
    left, when their device was last heard from, connection lost); then a row for anyone who
    started and is no longer a candidate (`candidate` False: their entry was withdrawn or
    disqualified since). Plain values only, so that live_list() can share the rows."""
    now = now or timezone.now()
    sweep(now=now, session=session)
    # Only the columns the list shows, as values: a hall of 2,000 is read every few seconds,
    # and building model instances and reading a dozen timestamps per row was most of the time.
    attempts = {
        a["entry_id"]: a for a in Attempt.objects.filter(session=session).exclude(status=AttemptStatus.VOIDED)
        .order_by()  # the model's ordering (session, entry) joined four tables to every answer row
        .values("id", "entry_id", "status", "ended_by", "deadline", "last_seen_at", "item_count", "device_switches")
        .annotate(answered=Count("answers", filter=~Q(answers__response=None)), last_answer=Max("answers__saved_at"))
    }
    # Whose attempt here was voided for a new one (void_attempt): the row says so, so that
    # the invigilator knows why they are not started again, or started a second time.
    voided = set(Attempt.objects.filter(session=session, status=AttemptStatus.VOIDED).order_by()
                 .values_list("entry_id", flat=True))
    # Who sat (or is sitting) the exam in another of its sittings, and where: a candidate sits
    # it once (_begin refuses a second), so in a make-up sitting (补考) they are not "not started".
    elsewhere = dict(Attempt.objects.filter(session__competition_id=session.competition_id,
                                            session__component=session.component)
                     .exclude(session=session).exclude(status=AttemptStatus.VOIDED).order_by()
                     .values_list("entry_id", "session__name"))
    fields = ("id", "number", "status", "stage_id", "stage__key", "stage__name", "person_id", "person__name",
              "unit__name")
    listed = list(candidates(session).order_by("number").values(*fields))
    # Someone who started and whose entry has since been withdrawn or disqualified is no
    # longer a candidate, but the attempt is there (maybe still running): they stay on the
    # list, after the candidates, so the invigilator sees them and can end it.
    gone = set(attempts) - {entry["id"] for entry in listed}
    listed += Entry.objects.filter(pk__in=gone).order_by("number").values(*fields)
    rows = []
    for entry in listed:
        attempt = attempts.get(entry["id"])
        row = {"entry_id": entry["id"], "number": entry["number"], "entry_status": entry["status"],
               "stage_id": entry["stage_id"], "stage_key": entry["stage__key"], "stage_name": entry["stage__name"],
               "person_id": entry["person_id"], "name": entry["person__name"], "unit": entry["unit__name"],
               "candidate": entry["id"] not in gone, "voided": entry["id"] in voided,
               "elsewhere": "" if attempt is not None else elsewhere.get(entry["id"], ""),
               "attempt_id": None, "state": "absent", "ended_by": "", "answered": 0, "item_count": None,
               "device_switches": 0, "deadline": None, "last_seen": None}
        if attempt is not None:
            row.update(attempt_id=attempt["id"], state=attempt["status"], ended_by=attempt["ended_by"],
                       answered=attempt["answered"], item_count=attempt["item_count"],
                       device_switches=attempt["device_switches"], deadline=attempt["deadline"],
                       last_seen=max(filter(None, [attempt["last_seen_at"], attempt["last_answer"]])))
        rows.append(row)
    return _timed(rows, now)


def _timed(rows, now):
    """The rows with what depends on the time filled in as of `now`: time left, whether the
    connection is lost, and so the group the row counts in (LIVE_GROUPS)."""
    for row in rows:
        running = row["state"] == AttemptStatus.IN_PROGRESS
        row["remaining"] = max(0, int((row["deadline"] - now).total_seconds())) if running else None
        row["connection_lost"] = running and (now - row["last_seen"]).total_seconds() > CONNECTION_LOST_SECONDS
        if row["connection_lost"]:
            row["group"] = "lost"
        elif row["state"] == "absent":
            row["group"] = "elsewhere" if row.get("elsewhere") else "absent"
        else:
            row["group"] = "in_progress" if running else "handed_in"
    return rows


# The live list's counts and filters: not started, answering, connection lost (answering,
# unheard of for CONNECTION_LOST_SECONDS), handed in (whatever became of the attempt since),
# sat the exam in another of its sittings.
LIVE_GROUPS = ("absent", "in_progress", "lost", "handed_in", "elsewhere")


def live_totals(rows):
    """How many of the live list's rows count in each of LIVE_GROUPS: the counts the page and
    the API show for the whole hall, whatever page or filter is shown."""
    totals = dict.fromkeys(LIVE_GROUPS, 0)
    for row in rows:
        totals[row["group"]] += 1
    return totals


def find_in_live_list(rows, q):
    """The rows of the candidate an invigilator looks for: digits are an entry number
    (“17” is entry 17, not everyone whose unit's name has a 17 in it; full-width “１７”
    too, as a Chinese input method may type it); anything else is a part of the name or of
    the unit's name."""
    q = unicodedata.normalize("NFKC", q or "").strip()
    if not q:
        return rows
    if q.isdecimal() and q.isascii():
        return [row for row in rows if str(row["number"]) == q.lstrip("0")]
    return [row for row in rows if q in row["name"] or q in row["unit"]]


def live_list(session, *, now=None):
    """attempt_progress() as the live list's page and API show it: computed at most once every
    LIVE_LIST_SECONDS for a session, whoever asks, and shared through the cache (Redis when
    configured, else files every server process of the machine reads). Every invigilator of
    a hall refreshes the same list every few seconds, and computing it for 2,000 candidates
    takes a tenth of a second or more. A start, a hand-in, extra time and an ended attempt
    show at once (_live_changed). The answers saved and the last sign from a device may be
    that many seconds old. The time left is always as of now."""
    try:
        key = f"exams:live:{session.pk}:{cache.get(_live_version_key(session.pk), 0)}"
        rows = cache.get(key)
    except Exception:  # the cache (Redis) is down: the list is computed for this request
        log.warning("exams: the live list's cache cannot be read", exc_info=True)
        return attempt_progress(session, now=now)
    if rows is None:
        rows = attempt_progress(session, now=now)
        try:
            cache.set(key, rows, LIVE_LIST_SECONDS)
        except Exception:
            log.warning("exams: the live list's cache cannot be written", exc_info=True)
        return rows
    return _timed(rows, now or timezone.now())


def _live_version_key(session_id):
    return f"exams:live-version:{session_id}"


def _live_changed(session_id):
    """The session's live list is out of date: now, for whoever reads it in this transaction,
    and again once the transaction commits, since a list computed in between by someone
    else (who could not see the change yet) would be kept under the new version."""

    def bump():
        key = _live_version_key(session_id)
        try:
            try:
                cache.incr(key)
            except ValueError:  # not there yet (or gone)
                cache.set(key, 1, None)
        except Exception:  # the cache (Redis) is down: a start or a hand-in must not fail for it
            log.warning("exams: the live list of session %s could not be marked changed", session_id, exc_info=True)

    bump()
    transaction.on_commit(bump)


LIVE_LIST_SECONDS = 3
CONNECTION_LOST_SECONDS = 60


# ---------------------------------------------------------------- practice (岗位练兵)


PRACTICE_SIZES = (10, 20, 50)


def under_way(sessions, now=None):
    """Whether any of these exam sessions is under way, in one query: its window is open,
    or someone (with extra time, say) is still answering it after the close."""
    now = now or timezone.now()
    return sessions.filter(_under_way(now)).exists()


def _under_way(now):
    """Q for the exam sessions under way at `now` (under_way)."""
    return Q(opens_at__lte=now, closes_at__gt=now) | being_answered(now)


def being_answered(now):
    """Q for the exam sessions someone is answering at `now` (maybe after the close, with
    extra time)."""
    answering = Attempt.objects.filter(session=OuterRef("pk"), status=AttemptStatus.IN_PROGRESS, accept_until__gt=now)
    return Q(Exists(answering))


def answers_kept_back(bank_id, now=None):
    """Whether the right answers of this bank's questions are kept from candidates and
    workers now (the review of an attempt, the wrong-answer book): while an exam drawn from
    the bank is under way; and, for a bank closed to practice (its questions kept for an
    exam), also while another sitting drawn from it is still to come. A bank open to
    practice shows its answers there anyway, outside exams."""
    return bank_id in banks_keeping_answers([bank_id], now)


def review_shows_answers(user, attempt, now=None, *, kept=None):
    """Whether the review of `attempt` shows `user` (one who may see the attempt) each
    question's score, the right answers and the explanations with their pictures. The
    organizers always; invigilators, and the candidate once handed in if the exam shows
    scores, only while no exam drawn from the same bank is under way (answers_kept_back):
    another sitting may be answering the same questions, and a true-or-false question's score
    is its right answer. An invigilator in the hall is not told the key while candidates
    answer. The review page, the API and images.may_view (an explanation's picture) all ask
    here, so that what is shown and what may be loaded stay the same. `kept`: the banks
    keeping their answers back now (banks_keeping_answers), when already read for many
    attempts."""
    from jingsai.accounts import permissions

    if permissions.has_perm(user, "exams.manage", attempt):
        return True
    session = attempt.session
    staff = permissions.has_perm(user, "exams.invigilate", session)
    own = user.person_id is not None and attempt.person_id == user.person_id
    if not (staff or (own and session.show_score and attempt.status != AttemptStatus.IN_PROGRESS)):
        return False
    if kept is not None:
        return session.paper.bank_id not in kept
    return not answers_kept_back(session.paper.bank_id, now)


def banks_keeping_answers(bank_ids, now=None):
    """Of these banks, the ids of those whose answers are kept back now (answers_kept_back),
    in one query."""
    now = now or timezone.now()
    kept = _under_way(now) | Q(opens_at__gt=now, paper__bank__practice_open=False)
    return set(ExamSession.objects.filter(kept, paper__bank_id__in=list(bank_ids))
               .values_list("paper__bank_id", flat=True).distinct())


def practice_answers_kept(banks, now=None):
    """Of these banks, the ids of those whose right answers and explanations practice keeps
    back now, in rounds answered earlier and in the wrong-answer book: a bank closed to
    practice (its questions kept for an exam), and one whose answers are kept back
    (answers_kept_back). The worker's own answers stay; whether they were right does not
    show either, since a right answer that shows as right gives the answer away."""
    banks = list(banks)
    return {bank.pk for bank in banks if not bank.practice_open} | banks_keeping_answers(
        [bank.pk for bank in banks if bank.practice_open], now)


def _open_wrong(person):
    """The worker's unmastered wrong answers, how many there are in each bank ({bank: n}),
    and the ids of those banks that keep their answers back now (practice_answers_kept).
    A retired question's entry is left out (review cannot offer it); it comes back if the
    question is brought back."""
    open_entries = WrongAnswer.objects.filter(person=person, mastered_at__isnull=True, question__is_active=True)
    counts = dict(open_entries.values("question__bank").annotate(n=Count("pk")).values_list("question__bank", "n"))
    banks = Bank.objects.in_bulk(counts)
    counts = {banks[pk]: n for pk, n in counts.items()}
    return open_entries, counts, practice_answers_kept(counts)


def wrong_book(person, *, limit=None):
    """The worker's wrong-answer book as it may be shown now: (entries, held). `entries`
    are the open ones (newest wrong first, at most `limit`) of banks that show their answers;
    `held` maps each bank that keeps its answers back now (practice_answers_kept) to the
    number of its entries waiting, since an entry says the worker's answer was wrong, which
    beside that answer (a true-or-false one) gives the right one away."""
    open_entries, counts, kept = _open_wrong(person)
    held = {bank: n for bank, n in sorted(counts.items(), key=lambda item: item[0].name) if bank.pk in kept}
    entries = open_entries.exclude(question__bank_id__in=kept).select_related(
        "question__current__knowledge_point", "question__bank")
    return list(entries[:limit] if limit else entries), held


def wrong_count(person):
    """How many entries the worker's wrong-answer book shows now (wrong_book's, not counting
    those held back)."""
    _entries, counts, kept = _open_wrong(person)
    return sum(n for bank, n in counts.items() if bank.pk not in kept)


def _refuse_practice_during_exam(bank_id):
    # Practice shows the answers and their explanations: a worker who has handed in could
    # pass them on to one still answering, so nobody practises on the bank meanwhile.
    if under_way(ExamSession.objects.filter(paper__bank_id=bank_id)):
        raise UserError(_("A theory exam drawn from this question bank is under way: practice on it reopens when "
                          "the exam is over."), code="exam_in_progress")


def practice_knowledge_point(bank, name):
    """The bank's knowledge point of that name for a practice round, None for none asked
    for, or UserError: a name the bank does not have (a stale page, a typing slip in an API
    call) must not quietly give a round over the whole bank."""
    name = (name or "").strip()
    if not name:
        return None
    found = bank.knowledge_points.filter(name=name).first()
    if found is None:
        raise UserError(_("The bank has no knowledge point “%(name)s”.") % {"name": name[:200]}, code="knowledge_point")
    return found


@transaction.atomic
def start_practice(person, bank, *, knowledge_point=None, count=10, mode=PracticeSet.Mode.PRACTICE, rng=None):
    if not bank.practice_open:
        raise UserError(_("This question bank is not open for practice."), code="forbidden")
    _refuse_practice_during_exam(bank.pk)
    rng = rng or random.Random(secrets.randbits(64))  # noqa: S311 - practice draws, not secrets
    if mode not in PracticeSet.Mode.values:
        raise UserError(_("Choose how to practise: new questions or the wrong-answer book."), code="invalid")
    count = _whole(count)
    if count < 0:
        raise UserError(_("Give the number of questions as a whole number (1 to 100)."), code="invalid")
    count = max(1, min(count, 100))
    if mode == PracticeSet.Mode.WRONG_BOOK:
        wrong = WrongAnswer.objects.filter(person=person, question__bank=bank, mastered_at__isnull=True,
                                           question__is_active=True)
        if knowledge_point is not None:
            wrong = wrong.filter(question__knowledge_point=knowledge_point)
        pool = list(wrong.values_list("question__current_id", flat=True))
    else:
        questions = Question.objects.filter(bank=bank, is_active=True, current__isnull=False)
        if knowledge_point is not None:
            questions = questions.filter(knowledge_point=knowledge_point)
        pool = list(questions.values_list("current_id", flat=True))
    if not pool:
        raise UserError(_("There are no questions to practise here yet."), code="empty")
    chosen = rng.sample(pool, min(count, len(pool)))
    practice = PracticeSet.objects.create(person=person, unit_id=person.employer_id, bank=bank,
                                          knowledge_point=knowledge_point, mode=mode,
                                          total=len(chosen))
    groups = list(person.groups.values_list("pk", flat=True))
    if groups:
        PracticeSet.groups.through.objects.bulk_create(
            [PracticeSet.groups.through(practiceset_id=practice.pk, grouptag_id=pk) for pk in groups])
    options = _version_options(chosen)
    items = []
    for position, version_id in enumerate(chosen):
        keys = [o["key"] for o in options[version_id]]
        rng.shuffle(keys)
        items.append(PracticeItem(practice=practice, position=position, version_id=version_id, option_order=keys))
    PracticeItem.objects.bulk_create(items)
    return practice


def _version_options(version_ids):
    """{version id: options} of the versions a practice round shows. On PostgreSQL locked
    FOR KEY SHARE as they are read, as a start's are (_current_versions): an edit in progress
    is waited for and its options read, where the round kept the option letters it had read
    before an edit took one away (its page then failed); an edit that comes later finds the
    round's items and makes a new version."""
    db = connections[DEFAULT_DB_ALIAS]
    if db.vendor != "postgresql":
        return dict(QuestionVersion.objects.filter(pk__in=version_ids).values_list("pk", "options"))
    with db.cursor() as cursor:
        cursor.execute("SELECT id, options FROM exams_questionversion WHERE id = ANY(%s) FOR KEY SHARE",
                       [list(version_ids)])
        return {pk: json.loads(options) for pk, options in cursor.fetchall()}


@transaction.atomic
def answer_practice(person, item, response):
    """Check a practice answer; returns the item with `correct` set (None for short
    answers, which are compared with the reference by the worker)."""
    item = PracticeItem.objects.select_for_update(of=("self",)).select_related("practice", "version").get(pk=item.pk)
    practice = item.practice
    if practice.person_id != person.pk:
        raise UserError(_("This practice round is someone else's."), code="forbidden")
    # Checked before an answer given earlier is returned again: its right answer and
    # explanation are what a closed bank or an exam keeps back (practice_answers_kept).
    if not Bank.objects.filter(pk=practice.bank_id, practice_open=True).exists():  # closed since the round began
        raise UserError(_("This question bank is not open for practice."), code="forbidden")
    _refuse_practice_during_exam(practice.bank_id)
    if item.answered_at is not None:
        return item
    if not _valid_response(response):
        raise UserError(_("An answer is out of range or too long."))
    if not is_answered(response):
        raise UserError(_("Choose or write an answer first."), code="empty")
    version = item.version
    item.response, item.answered_at = response, timezone.now()
    item.correct = scoring.is_correct(version.type, version.answer, response)
    item.save(update_fields=["response", "answered_at", "correct"])
    PracticeSet.objects.filter(pk=practice.pk).update(
        answered=F("answered") + 1, correct=F("correct") + (1 if item.correct else 0)
    )
    if item.correct is False:
        updated = WrongAnswer.objects.filter(person=person, question_id=version.question_id).update(
            times_wrong=F("times_wrong") + 1, last_wrong_at=item.answered_at, mastered_at=None
        )
        if not updated:
            WrongAnswer.objects.create(person=person, question_id=version.question_id, last_wrong_at=item.answered_at)
    elif item.correct and practice.mode == PracticeSet.Mode.WRONG_BOOK:
        WrongAnswer.objects.filter(person=person, question_id=version.question_id).update(mastered_at=item.answered_at)
    return item


@transaction.atomic
def remove_wrong_answer(actor, wrong):
    """The worker takes a question out of their wrong-answer book (marks it mastered)."""
    wrong = WrongAnswer.objects.select_for_update().get(pk=wrong.pk)
    if wrong.person_id != actor.person_id:
        raise UserError(_("This entry is someone else's."), code="forbidden")
    if wrong.mastered_at is not None:
        return wrong
    wrong.mastered_at = timezone.now()
    wrong.save(update_fields=["mastered_at"])
    audit.record(actor, "exams.remove_wrong_answer", wrong, changes={"mastered_at": [None, wrong.mastered_at]},
                 data={"question": wrong.question_id})
    return wrong


def practice_items(user, *, days=30, bank=None):
    """(the practice answers `user` may see in the statistics, days): those given in the
    last `days` days (kept to 1 to 366), of one bank or of every bank. By when each answer
    was given, as the daily chart counts: a round begun before the period and answered in
    it counts in it. `user` None: everyone's (the command line acting as the system)."""
    from jingsai.accounts import permissions

    days = max(1, min(days, 366))
    sets = PracticeSet.objects.all()
    if user is not None:
        sets = permissions.filter_queryset(user, "exams.view_practice_stats", sets)
    if bank:  # a number no row can have matches none (SQLite cannot even compare it)
        sets = sets.filter(bank_id=bank) if 0 < bank < 2**63 else sets.none()
    since = timezone.now() - timedelta(days=days)
    return PracticeItem.objects.filter(practice__in=sets, answered_at__gte=since), days


def practice_table(rows, by="unit"):
    """practice_activity()'s rows as (columns, rows) for a spreadsheet (page and command)."""
    columns = ["单位" if by == "unit" else "人员类别", "练习人数", "练习次数", "答题数", "答对数", "正确率(%)"]
    return columns, [[r["name"], r["people"], r["rounds"], r["answers"], r["correct"], r["accuracy"]] for r in rows]


def practice_activity(items, by="unit"):
    """Practice activity grouped by unit (the worker's employer when each round began, so
    a worker who moves leaves their practice with the unit they did it at) or by group tag
    (the worker's groups when each round began, likewise): people, rounds,
    answers, correct answers and accuracy. `items` is a PracticeItem queryset already
    narrowed to what the viewer may see (and to a period). Accuracy is of the answers
    checked: a short answer has no verdict (the worker compares it with the reference), so
    it counts as an answer, not as a wrong one."""
    answered = items.filter(answered_at__isnull=False)
    if by == "group":
        key, label = "practice__groups__pk", "practice__groups__name"
    else:
        key, label = "practice__unit_id", "practice__unit__name"
    rows = (
        answered.values(key, label)
        .annotate(people=Count("practice__person", distinct=True), rounds=Count("practice", distinct=True),
                  answers=Count("pk"), checked=Count("pk", filter=Q(correct__isnull=False)),
                  correct=Count("pk", filter=Q(correct=True)))
        .order_by("-answers")
    )
    out = []
    for row in rows:
        accuracy = ((Decimal(row["correct"]) * 100 / row["checked"]).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
                    if row["checked"] else None)
        out.append({"name": row[label] or _("No group"), "people": row["people"], "rounds": row["rounds"],
                    "answers": row["answers"], "correct": row["correct"], "accuracy": accuracy})
    return out


def practice_daily(items, days=30):
    """[(date, answers)] over the last `days` days, for the activity chart."""
    since = timezone.now() - timedelta(days=days)
    rows = (items.filter(answered_at__gte=since)
            .annotate(day=TruncDate("answered_at", tzinfo=timezone.get_current_timezone()))
            .values("day").annotate(n=Count("pk")).order_by("day"))
    return [(row["day"].isoformat(), row["n"]) for row in rows]


SESSION_RESULT_COLUMNS = ["参赛号", "赛段", "姓名", "单位", "状态", "开始", "交卷", "交卷方式", "客观题得分",
                          "卷面得分", "卷面满分", "理论成绩", "换设备次数"]


def session_scored_attempts(session):
    """The attempts of the sheet of scores (page, command and API), after handing in every
    attempt whose time is up, by stage and entry number. Those that count: a voided attempt
    is on the session's page and its own, not in the sheet of scores, where a lookup by
    entry number would find it."""
    sweep(session=session)
    return (session.attempts.exclude(status=AttemptStatus.VOIDED)
            .select_related("entry__person", "entry__unit", "entry__stage")
            .order_by("entry__stage__order", "entry__number"))


def session_results(session):
    """A session's attempts as (columns, rows) for the results sheet (page and command),
    after handing in every attempt whose time is up. Each row names its stage: in a session
    open to every stage, entry numbers repeat from stage to stage."""
    rows = []
    for attempt in session_scored_attempts(session):
        rows.append([attempt.entry.number, attempt.entry.stage.name, attempt.entry.person.name, attempt.entry.unit.name,
                     attempt.get_status_display(), attempt.started_at, attempt.submitted_at,
                     attempt.get_ended_by_display(), attempt.objective_score, attempt.score, attempt.max_score,
                     theory_score(attempt) if attempt.status == AttemptStatus.GRADED else None,
                     attempt.device_switches])
    return SESSION_RESULT_COLUMNS, rows
