"""A question's content, independent of where it came from (a form, the API, an xlsx
row, a Moodle XML or GIFT file): checked and normalized in one place, so every door
accepts and refuses the same things with the same messages."""

import hashlib
import json
import re
import string
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils.translation import gettext as _

from jingsai.core.middleware import holds_nul

from .formats import blanks as blank_marks
from .models import Difficulty, QuestionImage, QuestionType

KEYS = string.ascii_uppercase[:8]
MAX_STEM = 10000
MAX_OPTION = 2000
MAX_KNOWLEDGE_POINT = 200  # KnowledgePoint.name
MAX_TITLE = 255  # QuestionVersion.title, as long as Moodle's question name
MAX_IMAGE_BYTES = 2 * 1024 * 1024
IMAGE_TYPES = {  # magic bytes -> content type; SVG is refused (it can carry scripts)
    b"\x89PNG\r\n\x1a\n": ("image/png", "png"),
    b"\xff\xd8\xff": ("image/jpeg", "jpg"),
    b"GIF87a": ("image/gif", "gif"),
    b"GIF89a": ("image/gif", "gif"),
}


@dataclass
class ImageData:
    name: str
    data: bytes

    @property
    def kind(self):
        for magic, kind in IMAGE_TYPES.items():
            if self.data.startswith(magic):
                return kind
        if self.data[:4] == b"RIFF" and self.data[8:12] == b"WEBP":
            return ("image/webp", "webp")
        return None


@dataclass
class QuestionData:
    type: str
    stem: str
    options: list = field(default_factory=list)
    answer: object = None
    explanation: str = ""
    knowledge_point: str = ""
    difficulty: int = Difficulty.MEDIUM
    title: str = ""
    images: list = field(default_factory=list)  # ImageData to store, or stored image pks
    # The explanation's pictures, in their order: ImageData to store, or stored image pks.
    explanation_images: list = field(default_factory=list)
    where: str = ""


WILDCARD = re.compile(r"(?<!\\)\*")


def accepted(text, fraction_value):
    """A fill-in blank's accepted answer written in Moodle's short-answer notation, where
    * stands for any run of characters and \\* for an asterisk. An answer with a
    wildcard keeps the notation and says so; one without keeps its plain text."""
    if WILDCARD.search(text):
        return {"text": text, "fraction": fraction_value, "wildcard": True}
    return {"text": text.replace("\\*", "*"), "fraction": fraction_value}


def notation(answer):
    """An accepted answer as written in the files and the editor (the reverse of accepted())."""
    return answer["text"] if answer.get("wildcard") else answer["text"].replace("*", "\\*")


def fraction(value):
    """A fraction of the points as a normalized decimal string, or ValueError."""
    try:
        text = str(value).strip() if value not in (None, "") else "1"
        number = Decimal(text.removesuffix("%")) / (100 if text.endswith("%") else 1)  # "50%" is a half
        if not number.is_finite() or number.adjusted() > 6:  # a weight, not 1E+99999999
            raise ValueError(value)
        text = format(number.normalize(), "f")
    except ArithmeticError:  # not a number, or one the decimal context cannot hold
        raise ValueError(value) from None
    return text.rstrip("0").rstrip(".") if "." in text else text


class Said(str):
    """A message of check() about one field of the question: `field` (QuestionData's name)
    and, where it helps to show it, the `value` given. It is a str everywhere else."""

    field = value = None


def _about(field, value, messages):
    out = []
    for message in messages:
        said = Said(message)
        said.field, said.value = field, value if isinstance(value, str | int) and not isinstance(value, bool) else None
        out.append(said)
    return out


def check(q):
    """Normalize `q` in place; return the list of messages (Said) saying what is wrong."""
    problems = []
    q.stem = (q.stem or "").strip()
    q.title = (q.title or "").strip()
    q.explanation = (q.explanation or "").strip()
    q.knowledge_point = "/".join(p.strip() for p in (q.knowledge_point or "").split("/") if p.strip())
    for name in ("stem", "options", "answer", "explanation", "knowledge_point", "title"):
        if holds_nul(getattr(q, name)):  # PostgreSQL cannot store it (text or jsonb)
            problems += _about(name, None, [_("The text holds a NUL character (code 0), which cannot be stored.")])
    if q.type not in QuestionType.values:
        return problems + _about("type", q.type, [_("Unknown question type “%(type)s”.") % {"type": q.type}])
    if not q.stem and not q.images:
        problems += _about("stem", None, [_("The question text is empty.")])
    if len(q.knowledge_point) > MAX_KNOWLEDGE_POINT:  # cut, two long names could become one
        problems += _about("knowledge_point", None, [_("The knowledge point is longer than %(max)s characters.")
                                                     % {"max": MAX_KNOWLEDGE_POINT}])
    if len(q.title) > MAX_TITLE:  # cut, a title could come to name another question
        problems += _about("title", None, [_("The title is longer than %(max)s characters.") % {"max": MAX_TITLE}])
    if len(q.stem) > MAX_STEM:
        problems += _about("stem", None, [_("The question text is longer than %(max)s characters.")
                                          % {"max": MAX_STEM}])
    given = q.difficulty
    try:
        q.difficulty = int(q.difficulty)
    except (TypeError, ValueError):
        q.difficulty = -1
    if q.difficulty not in Difficulty.values:
        problems += _about("difficulty", given, [_("The difficulty must be 1 (easy) to 5 (hard).")])
    option_problems = []
    if q.type in (QuestionType.SINGLE, QuestionType.MULTIPLE):
        option_problems = _check_options(q)
        problems += _about("options", None, option_problems)
    else:
        if any(str(o.get("text") if isinstance(o, dict) else o or "").strip() for o in q.options):
            problems += _about("options", None, [_("Only choice questions have options.")])
        q.options = []
    checker = {
        QuestionType.SINGLE: _check_single, QuestionType.MULTIPLE: _check_multiple,
        QuestionType.JUDGE: _check_judge, QuestionType.FILL: _check_fill, QuestionType.SHORT: _check_short,
    }[q.type]
    given = q.answer
    answer_problems = checker(q)
    problems += _about("answer", given, answer_problems)
    if q.type in (QuestionType.SINGLE, QuestionType.MULTIPLE) and not answer_problems and not option_problems:
        _compact_keys(q)  # letters A to H: more options than that are refused above
    for name in ("images", "explanation_images"):
        for image in getattr(q, name):
            if isinstance(image, ImageData):
                if image.kind is None:
                    problems += _about(name, None, [_("The image “%(name)s” is not a PNG, JPEG, GIF or WebP "
                                                      "picture.") % {"name": image.name}])
                elif len(image.data) > MAX_IMAGE_BYTES:
                    problems += _about(name, None, [_("The image “%(name)s” is larger than 2 MB.")
                                                    % {"name": image.name}])
    return problems


def _check_options(q):
    options = []
    for index, option in enumerate(q.options):
        if isinstance(option, str):
            option = {"text": option}
        text = str(option.get("text") or "").strip()
        if not text:
            continue
        entry = {"key": KEYS[index] if index < len(KEYS) else "?", "text": text}
        if option.get("feedback"):
            entry["feedback"] = str(option["feedback"]).strip()
        options.append(entry)
    q.options = options
    if any(len(option["text"]) > MAX_OPTION for option in options):  # cut, the question would say something else
        return [_("An option is longer than %(max)s characters.") % {"max": MAX_OPTION}]
    if len(options) < 2:
        return [_("A choice question needs at least two options.")]
    if len(options) > len(KEYS):
        return [_("A choice question has at most %(max)s options.") % {"max": len(KEYS)}]
    return []


def _keys(q):
    return [o["key"] for o in q.options]


def _not_an_option(q, key):
    return _("The answer “%(key)s” is not one of the options (%(keys)s).") % {"key": key, "keys": "".join(_keys(q))}


def _compact_keys(q):
    """Letter the options A, B, C… in their order, the answer with them. The xlsx template lets
    a letter be left empty (A, C, D), which Moodle XML and GIFT cannot say: they letter the
    options by their order, so the answer's letter would change on the way out and back."""
    new = {option["key"]: KEYS[index] for index, option in enumerate(q.options)}
    if all(old == key for old, key in new.items()):
        return
    for option in q.options:
        option["key"] = new[option["key"]]
    if isinstance(q.answer, dict):
        q.answer = {new[key]: value for key, value in q.answer.items()}
    else:
        q.answer = sorted(new[key] for key in q.answer)


def _check_single(q):
    raw = q.answer
    if isinstance(raw, str):
        raw = {raw.strip().upper(): "1"} if raw.strip() else {}
    if isinstance(raw, list):
        raw = {str(k).strip().upper(): "1" for k in raw}
    if not isinstance(raw, dict) or not raw:
        return [_("Name the right option (for example A).")]
    answer = {}
    for key, value in raw.items():
        key = str(key).strip().upper()
        if key not in _keys(q):
            return [_not_an_option(q, key)]
        try:
            value = fraction(value)
        except ValueError:
            return [_("“%(value)s” is not a fraction of the points.") % {"value": value}]
        if Decimal(value) > 1:
            return [_("An option is worth at most the full points.")]
        if Decimal(value) > 0:
            answer[key] = value
    if not any(Decimal(v) == 1 for v in answer.values()):
        return [_("A single-choice question needs one option that is fully right.")]
    q.answer = answer
    return []


def _check_multiple(q):
    raw = q.answer
    if isinstance(raw, str):
        raw = [c for c in raw.upper() if c.strip() and c not in ",，、;；"]
    if not isinstance(raw, list | tuple) or not raw:
        return [_("Name the right options (for example ACD).")]
    answer = []
    for key in raw:
        key = str(key).strip().upper()
        if key not in _keys(q):
            return [_not_an_option(q, key)]
        if key not in answer:
            answer.append(key)
    q.answer = sorted(answer)
    return []


TRUE_WORDS = {"对", "正确", "是", "√", "✓", "t", "true", "y", "yes", "1"}
FALSE_WORDS = {"错", "错误", "否", "×", "✗", "x", "f", "false", "n", "no", "0"}


def _check_judge(q):
    raw = q.answer
    if isinstance(raw, str):
        word = raw.strip().casefold()
        raw = True if word in TRUE_WORDS else False if word in FALSE_WORDS else None
    if not isinstance(raw, bool):
        return [_("The answer of a true-or-false question is 对 or 错.")]
    q.answer = raw
    return []


def _check_fill(q):
    raw = q.answer
    if isinstance(raw, str):
        raw = [raw]
    if not isinstance(raw, list) or not raw:
        return [_("Give the accepted answer of every blank.")]
    blanks = []
    for index, blank in enumerate(raw, start=1):
        if isinstance(blank, str | dict):
            blank = [blank]
        if not isinstance(blank, list) or not all(isinstance(item, str | dict) for item in blank):
            return [_("Blank %(n)s: each accepted answer is a text, or an object with “text”.") % {"n": index}]
        answers = []
        for item in blank:
            if isinstance(item, str):
                item = {"text": item}
            text = str(item.get("text") or "").strip()
            if not text:
                continue
            try:
                value = fraction(item.get("fraction"))
            except ValueError:
                return [_("“%(value)s” is not a fraction of the points.") % {"value": item.get("fraction")}]
            wildcard = item.get("wildcard", False)
            if not isinstance(wildcard, bool):
                return [_("“wildcard” of an accepted answer is true or false.")]
            if Decimal(value) > 1:
                return [_("Blank %(n)s: an accepted answer is worth at most the full points.") % {"n": index}]
            if Decimal(value) > 0:
                answers.append({"text": text, "fraction": value, **({"wildcard": True} if wildcard else {})})
        if not any(Decimal(a["fraction"]) == 1 for a in answers):
            return [_("Blank %(n)s has no answer that is fully right.") % {"n": index}]
        blanks.append(answers)
    if len(blanks) > 20:
        return [_("A question has at most 20 blanks.")]
    marks = blank_marks.count(q.stem)
    if len(blanks) > 1 and marks != len(blanks):  # Moodle XML and GIFT put each answer in place of its mark
        return [_("The answers are for %(blanks)s blanks, and the question text marks %(marks)s: mark each blank "
                  "in the text with ____ or （　）.") % {"blanks": len(blanks), "marks": marks}]
    q.answer = blanks
    return []


def _check_short(q):
    if not isinstance(q.answer, str | int | float | Decimal | None) or isinstance(q.answer, bool):
        return [_("The reference answer of a short-answer question is a text.")]  # not a list's or object's repr
    q.answer = str(q.answer if q.answer is not None else "").strip()
    return []


def fingerprint(q):
    """Identity of a question's content, to recognise a question imported twice. The
    pictures count (by their SHA-256): two questions with the same words and different pictures are two questions.
    A fill-in's blank marks count alike, （　） or ____: Moodle XML and GIFT put the answers in
    place of the blanks, and reading them back gives ____."""
    stem = blank_marks.BLANK.sub(blank_marks.MARK, q.stem) if q.type == QuestionType.FILL else q.stem
    parts = [q.type, stem, [o["text"] for o in q.options], q.answer]
    digests = _image_digests(q.images)
    if digests:  # only then, so that a question without pictures keeps the fingerprint it had
        parts.append(sorted(set(digests)))  # a picture shown twice is stored once
    payload = json.dumps(parts, ensure_ascii=False, sort_keys=True)
    return hashlib.sha256(payload.encode()).hexdigest()


def _image_digests(images):
    stored = dict(QuestionImage.objects.filter(pk__in=[i for i in images if isinstance(i, int)])
                  .values_list("pk", "sha256")) if any(isinstance(i, int) for i in images) else {}
    return [stored.get(i, str(i)) if isinstance(i, int) else hashlib.sha256(i.data).hexdigest() for i in images]
