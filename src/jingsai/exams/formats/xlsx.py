"""The xlsx question template: one question per row.

答案 (answer) by type: 单选 the option letter (B), with partial credit for other options
written GIFT-style (B|%50%C); 多选 the letters (ACD); 判断 对 or 错; 填空 the blanks
separated by ；, each blank's accepted answers by | (with %50% for partial credit; as
in Moodle's short answers, * stands for any characters and \\* for an asterisk);
简答 the reference answer for graders. Pictures need Moodle XML or the web editor."""

import datetime
import re
from decimal import Decimal

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from jingsai.core import spreadsheets as sheets
from jingsai.core.errors import Problem

from ..content import KEYS, QuestionData, accepted, notation
from ..models import Difficulty, QuestionType
from . import Parsed

OPTION_KEYS = KEYS
COLUMNS = [
    sheets.Column("type", "题型", required=True, width=8, choices=("单选", "多选", "判断", "填空", "简答")),
    sheets.Column("knowledge_point", "知识点", width=18, text=True),
    sheets.Column("difficulty", "难度", width=8, choices=("易", "较易", "中等", "较难", "难")),
    # Long texts stay General: Excel shows a Text-formatted cell of more than 255 characters as ####.
    sheets.Column("stem", "题干", required=True, width=50),
    *[sheets.Column(f"option_{k.lower()}", f"选项{k}", width=16, text=True) for k in OPTION_KEYS],
    sheets.Column("answer", "答案", width=16, text=True),
    sheets.Column("explanation", "解析", width=30),
    sheets.Column("title", "名称", width=14, text=True),
]
# Columns of text, which a spreadsheet program must not turn into dates and times (1:2, 3-4).
TEXT_COLUMNS = [c for c in COLUMNS if c.text or c.key in ("stem", "explanation")]
TYPE_NAMES = {
    QuestionType.SINGLE: "单选", QuestionType.MULTIPLE: "多选", QuestionType.JUDGE: "判断",
    QuestionType.FILL: "填空", QuestionType.SHORT: "简答",
}
TYPE_ALIASES = {
    **{name: t for t, name in TYPE_NAMES.items()},
    **{t.value: t for t in QuestionType},
    "单选题": QuestionType.SINGLE, "单项选择": QuestionType.SINGLE, "单项选择题": QuestionType.SINGLE,
    "多选题": QuestionType.MULTIPLE, "多项选择": QuestionType.MULTIPLE, "多项选择题": QuestionType.MULTIPLE,
    "判断题": QuestionType.JUDGE, "填空题": QuestionType.FILL, "简答题": QuestionType.SHORT,
    "问答": QuestionType.SHORT, "问答题": QuestionType.SHORT,
}
DIFFICULTY_NAMES = {1: "易", 2: "较易", 3: "中等", 4: "较难", 5: "难"}
DIFFICULTY_ALIASES = {
    **{name: level for level, name in DIFFICULTY_NAMES.items()},
    "容易": 1, "中": 3, "困难": 5, "easy": 1, "medium": 3, "hard": 5,
}
WEIGHT = re.compile(r"^%(-?\d+(?:\.\d+)?)%")
# A fill-in's blanks are separated by ； (or ;) and a blank's accepted answers by |. In an
# answer, a backslash before one of these, or before another backslash, makes it a plain
# character (\| \; \； \\); \* (an asterisk, not a wildcard) is left to content.accepted().
SEPARATORS = "|;；"


def _fill_answers(raw):
    """A fill-in's answer cell as [[accepted answer, ...] per blank], escapes undone."""
    blanks, answers, current, index = [], [], [], 0
    while index < len(raw):
        char = raw[index]
        if char == "\\" and raw[index + 1:index + 2] and raw[index + 1] in SEPARATORS + "\\":
            current.append(raw[index + 1])
            index += 2
            continue
        if char in SEPARATORS:
            answers.append("".join(current))
            current = []
            if char != "|":
                blanks.append(answers)
                answers = []
        else:
            current.append(char)
        index += 1
    answers.append("".join(current))
    blanks.append(answers)
    return [blank for blank in blanks if "".join(blank).strip()]


def _escaped(text):
    r"""One accepted answer for the cell (the reverse of _fill_answers): separators and
    backslashes escaped, except the backslash of \* (which stays for content.accepted())."""
    out = []
    for index, char in enumerate(text):
        if char in SEPARATORS or (char == "\\" and text[index + 1:index + 2] != "*"):
            out.append("\\")
        out.append(char)
    return "".join(out)


NOTES = [
    gettext_lazy(
        "One question per row. 题型: 单选, 多选, 判断, 填空 or 简答. 难度: 易, 较易, 中等, 较难, 难 (or 1 to 5)."
    ),
    gettext_lazy("知识点 is the topic; nested topics are written as a path, e.g. 焊接工艺/焊条电弧焊."),
    gettext_lazy(
        "答案: 单选 a letter (B); 多选 the letters (ACD); 判断 对 or 错; 简答 the reference answer for graders."
    ),
    gettext_lazy("答案 of 填空: the blanks separated by ；, a blank's accepted answers by | (e.g. 氩气|Ar；保护气体)."),
    gettext_lazy("An accepted answer holding |, ； or ; writes it with a backslash before it (|-3| is written "
                 "\\|-3\\|), and a backslash itself as \\\\."),
    gettext_lazy("Partial credit is written as in Moodle's GIFT: B|%50%C gives half the points for C."),
    gettext_lazy("In an accepted answer of 填空, * stands for any characters, as in Moodle's short answers "
                 "(焊条*: any answer starting with 焊条); write \\* for an asterisk itself."),
    gettext_lazy(
        "Mark the blanks in the question text with ____ or （　）. Pictures need Moodle XML or the web editor."
    ),
    gettext_lazy(
        "The whole file is checked first: if any row is wrong, nothing is imported and every problem is listed."
    ),
]


def _weighted(text):
    match = WEIGHT.match(text)
    if not match:
        return text.strip(), "1"
    return text[match.end():].strip(), str(Decimal(match.group(1)) / 100)


def parse_answer(qtype, raw):
    raw = sheets.text(raw)
    if qtype == QuestionType.SINGLE:
        answer = {}
        for part in raw.split("|"):
            key, fraction = _weighted(part)
            if key:
                answer[key.upper()] = fraction
        return answer
    if qtype == QuestionType.FILL:
        return [[accepted(text, fraction) for text, fraction in (_weighted(a) for a in blank)]
                for blank in _fill_answers(raw)]
    return raw


# The template's column for each field check() can find wrong (content.Said.field).
COLUMN_OF = {"type": "题型", "difficulty": "难度", "stem": "题干", "options": "选项A", "answer": "答案"}


def read(data, filename=""):
    result = Parsed()
    table = sheets.read_table(data, filename or "questions.xlsx")
    mapping, problems = sheets.match_columns(table, COLUMNS)
    result.problems += problems
    if problems:
        return result
    for row, cells in table.data_rows():
        def cell(key, cells=cells):
            return cells[mapping[key]] if key in mapping else ""

        type_text = sheets.text(cell("type"))
        qtype = TYPE_ALIASES.get(type_text) or TYPE_ALIASES.get(type_text.lower())
        if qtype is None:
            result.problems.append(Problem(
                _("Unknown question type “%(value)s”: use 单选, 多选, 判断, 填空 or 简答.") % {"value": type_text},
                row=row, column="题型", value=type_text,
            ))
            continue
        turned = [(column, cell(column.key)) for column in TEXT_COLUMNS
                  if isinstance(cell(column.key), datetime.date | datetime.time | datetime.timedelta)]
        for column, value in turned:
            result.problems.append(Problem(
                _("The spreadsheet turned what was typed here into a date or time (%(value)s). Format the cell as "
                  "text and type it again.") % {"value": sheets.text(value)},
                row=row, column=column.label, value=sheets.text(value),
            ))
        if turned:
            continue
        difficulty_text = sheets.text(cell("difficulty"))
        difficulty = DIFFICULTY_ALIASES.get(difficulty_text.lower(), difficulty_text or Difficulty.MEDIUM)
        result.questions.append(QuestionData(
            type=qtype, stem=sheets.text(cell("stem")),
            options=[sheets.text(cell(f"option_{k.lower()}")) for k in OPTION_KEYS],
            answer=parse_answer(qtype, cell("answer")), explanation=sheets.text(cell("explanation")),
            knowledge_point=sheets.text(cell("knowledge_point")), difficulty=difficulty,
            title=sheets.text(cell("title")), where=row,
        ))
    return result


def _weight_prefix(fraction, text=""):
    """The weight written before an answer: none for the full points, unless the answer's
    text starts with a % (%50%), which would read as its weight."""
    value = Decimal(fraction)
    if value == 1:
        return "%100%" if text.startswith("%") else ""
    return f"%{format((value * 100).normalize(), 'f')}%"


def answer_text(q):
    if q.type == QuestionType.SINGLE:
        ordered = sorted(q.answer.items(), key=lambda kv: (-Decimal(kv[1]), kv[0]))
        return "|".join(_weight_prefix(f) + key for key, f in ordered)
    if q.type == QuestionType.MULTIPLE:
        return "".join(q.answer)
    if q.type == QuestionType.JUDGE:
        return "对" if q.answer else "错"
    if q.type == QuestionType.FILL:
        return "；".join("|".join(_weight_prefix(a["fraction"], notation(a)) + _escaped(notation(a))
                                  for a in blank) for blank in q.answer)
    return q.answer or ""


def write(questions):
    rows = []
    for q in questions:
        by_key = {o["key"]: o["text"] for o in q.options}  # keys may skip a letter (A, C, D)
        options = [by_key.get(key, "") for key in OPTION_KEYS]
        rows.append([
            TYPE_NAMES[q.type], q.knowledge_point, DIFFICULTY_NAMES[q.difficulty], q.stem, *options,
            answer_text(q), q.explanation, q.title,
        ])
    return sheets.xlsx_bytes(COLUMNS, rows, sheet_name="题库", notes=NOTES)
