"""GIFT, Moodle's text format for questions.

Read: $CATEGORY (knowledge point), ::titles::, [html]/[plain]/[moodle]/[markdown]
text, multiple choice with one right answer (=) or several (~%weight%), partial weights,
per-answer #feedback and ####general feedback (explanation), true-false ({T}, {FALSE}),
short answer ({=a =b}, as a fill-in; in mid-sentence a "missing word" blank; * a
wildcard and \\* an asterisk, as Moodle reads short answers), essay ({}),
pictures as data: URIs in [html] text (those of the general feedback as the explanation's
pictures), and two comment lines of our own that Moodle
ignores: `// difficulty: N` and `// reference: ...` (an essay's reference answer). A
question with several short-answer blocks is a fill-in with several blanks, which
Moodle's GIFT cannot express; everything else reads in Moodle too.
Numerical and matching questions are refused by name."""

import codecs
import html
import re
from decimal import Decimal

from django.utils.translation import gettext as _

from jingsai.core.errors import Problem

from ..content import ImageData, QuestionData, accepted, notation
from ..models import QuestionType
from . import Parsed, blanks, category_path
from .html import data_uri, html_to_text, plugin_file_name, text_to_html, to_data_uri

SPECIAL = "~=#{}:"
WEIGHT = re.compile(r"^%(-?\d+(?:\.\d+)?)%")
TRUE_FALSE = {"T": True, "TRUE": True, "F": False, "FALSE": False}
FORMATS = ("html", "moodle", "plain", "markdown")


def _decode(data):
    """The file's text: UTF-8, UTF-16 by its byte order mark (Notepad's "Unicode"), or GBK
    as an editor in China may save it; UnicodeDecodeError when it is none of them."""
    if data.startswith(codecs.BOM_UTF8):
        return data.decode("utf-8-sig")
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("gb18030")


def _find(text, chars, start=0):
    """Index of the first unescaped character of `chars` at or after `start`, or -1."""
    index = start
    while index < len(text):
        char = text[index]
        if char == "\\":
            index += 2
            continue
        if char in chars:
            return index
        index += 1
    return -1


def _unescape(text):
    out, index = [], 0
    while index < len(text):
        char = text[index]
        if char == "\\" and index + 1 < len(text):
            following = text[index + 1]
            # \* is not a GIFT escape: it stays, as in Moodle, where a short answer reads it
            # as an asterisk (a bare * being a wildcard).
            out.append("\n" if following == "n" else "\\*" if following == "*" else following)
            index += 2
            continue
        out.append(char)
        index += 1
    return "".join(out)


def escape(text):
    out = text.replace("\\", "\\\\")
    for char in SPECIAL:
        out = out.replace(char, "\\" + char)
    return out.replace("\r", "").replace("\n", "\\n")


def _plain(raw):
    """A short answer's text: as in Moodle, taken as written whatever the question's format
    ([html] included), so List<String> is an answer and not markup."""
    return _unescape(raw).strip()


class _Question:
    def __init__(self, block, where, category, difficulty, reference):
        self.block, self.where, self.problems, self.images = block, where, [], []
        self.q = QuestionData(type="", stem="", knowledge_point=category, difficulty=difficulty, where=where)
        self.reference = reference
        self.format = "moodle"

    def problem(self, message, code="invalid"):
        self.problems.append(Problem(message, where=self.where, code=code))

    def text(self, raw):
        raw = _unescape(raw).strip()
        if self.format != "html":
            return raw
        text, sources = html_to_text(raw)
        for src in sources:
            decoded = data_uri(src)
            if decoded is None:
                name = plugin_file_name(src) or src[:60]
                self.problem(_("The picture “%(src)s” is not in the file: GIFT carries pictures only as data: URIs.")
                             % {"src": name})
                continue
            data, subtype = decoded
            self.images.append(ImageData(name=f"image{len(self.images) + 1}.{subtype}", data=data))
        return text

    def parse(self):
        body = self.block.strip()
        if body.startswith("::"):
            end = _find(body, ":", 2)  # the first unescaped "::" (a title may end in an escaped \:)
            while end >= 0 and not body.startswith("::", end):
                end = _find(body, ":", end + 1)
            if end < 0:
                self.problem(_("The title is not closed with ::."))
                return None
            self.q.title = _unescape(body[2:end]).strip()
            body = body[end + 2:].lstrip()
        match = re.match(r"\[(\w+)\]", body)
        if match and match.group(1).lower() in FORMATS:
            self.format = match.group(1).lower()
            body = body[match.end():]
        pieces, answers, position = [], [], 0
        while True:
            start = _find(body, "{", position)
            if start < 0:
                pieces.append(body[position:])
                break
            end = _find(body, "}", start + 1)
            if end < 0:
                self.problem(_("An answer block opened with { is not closed with }."))
                return None
            pieces.append(body[position:start])
            answers.append(body[start + 1:end])
            position = end + 1
        if any(_find(piece, "}") >= 0 for piece in pieces):
            self.problem(_("An answer block closed with } has no { before it (escape a } of the text as \\})."))
            return None
        if not answers:
            return "description"
        if len(answers) > 1:
            return self._blanks(pieces, answers)
        prefix, suffix = pieces[0], pieces[1]
        self._answer(answers[0])
        self.q.stem = self._stem([prefix, suffix] if suffix.strip() else [prefix])
        self.q.images = self.images
        return self.q

    def _stem(self, pieces):
        """The question text around its answer blocks, each block a blank mark. The text is
        read as a whole, so that only its outer ends are stripped and the spaces around a
        blank stay (a NUL stands for the blanks meanwhile: read() refuses it in a file)."""
        return self.text("\x00".join(pieces)).replace("\x00", blanks.MARK)

    def _general_feedback(self, block):
        index = block.find("####")
        while index > 0 and block[index - 1] == "\\":
            index = block.find("####", index + 1)
        if index < 0:
            return block
        # Its pictures are the explanation's, kept back with it during an exam, not the question's.
        collected, self.images = self.images, []
        self.q.explanation = self.text(block[index + 4:])
        self.q.explanation_images, self.images = self.images, collected
        return block[:index]

    def _items(self, block):
        """[(marker, weight or None, text, feedback)] of the = and ~ answers of a block, their
        texts as written (an option's is read by text(); a short answer's by _plain())."""
        items, index = [], _find(block, "=~")
        while index >= 0:
            following = _find(block, "=~", index + 1)
            raw = block[index + 1:following if following >= 0 else len(block)]
            feedback_at = _find(raw, "#")
            text, feedback = (raw[:feedback_at], raw[feedback_at + 1:]) if feedback_at >= 0 else (raw, "")
            text = text.strip()
            weight = None
            match = WEIGHT.match(text)
            if match:
                weight, text = Decimal(match.group(1)) / 100, text[match.end():]
            items.append((block[index], weight, text, feedback))
            index = following
        return items

    def _answer(self, block):
        block = self._general_feedback(block)
        stripped = block.strip()
        head = _find(stripped, "#")
        word = (stripped[:head] if head >= 0 else stripped).strip().upper()
        if not stripped:
            self.q.type, self.q.answer = QuestionType.SHORT, self.reference
            return
        if word in TRUE_FALSE:
            self.q.type, self.q.answer = QuestionType.JUDGE, TRUE_FALSE[word]
            return
        if stripped.startswith("#"):
            self.problem(_("Numerical GIFT questions cannot be imported."), code="unsupported")
            return
        if _find(stripped, "~") < 0 and _find(stripped, "=") >= 0 and "->" in stripped:
            # Moodle's rule: any ~ makes a choice question, whose options may hold "->" (p->next)
            self.problem(_("Matching GIFT questions cannot be imported."), code="unsupported")
            return
        items = self._items(block)
        if not items:
            self.problem(_("The answer block has no answers starting with = or ~."))
            return
        if all(marker == "=" for marker, *_rest in items):
            self.q.type = QuestionType.FILL
            self.q.answer = [[accepted(_plain(text), str(weight if weight is not None else 1))
                              for _m, weight, text, _f in items]]
            return
        self.q.options = [{"text": self.text(text), "feedback": self.text(feedback)}
                          for _m, _w, text, feedback in items]
        keys = [chr(ord("A") + i) for i in range(len(items))]
        if any(marker == "=" for marker, *_rest in items):
            self.q.type = QuestionType.SINGLE
            self.q.answer = {
                key: str(weight if weight is not None else (1 if marker == "=" else 0))
                for key, (marker, weight, _t, _f) in zip(keys, items, strict=True)
                if (weight is not None and weight > 0) or (weight is None and marker == "=")
            }
        else:
            self.q.type = QuestionType.MULTIPLE
            self.q.answer = [key for key, (_m, weight, _t, _f) in zip(keys, items, strict=True)
                             if weight is not None and weight > 0]

    def _blanks(self, pieces, answers):
        self.q.type = QuestionType.FILL
        self.q.answer = []
        for block in answers:
            items = self._items(self._general_feedback(block))
            if not items or any(marker != "=" for marker, *_rest in items):
                self.problem(_("A question with several answer blocks must have only short answers (=) in each."))
                return None
            self.q.answer.append([accepted(_plain(text), str(weight if weight is not None else 1))
                                  for _m, weight, text, _f in items])
        self.q.stem = self._stem(pieces)
        self.q.images = self.images
        return self.q


def _blocks(text):
    """(first line number, lines) of each blank-line-separated block."""
    block, start = [], 1
    for number, line in enumerate(text.split("\n"), start=1):
        if line.strip():
            if not block:
                start = number
            block.append(line)
        elif block:
            yield start, block
            block = []
    if block:
        yield start, block


def read(data, filename=""):
    result = Parsed()
    try:
        text = _decode(data).replace("\r\n", "\n").replace("\r", "\n")
    except UnicodeDecodeError:
        result.problems.append(Problem(_("The file's text is neither UTF-8 nor GBK. Save it as UTF-8."),
                                       code="unreadable"))
        return result
    if "\x00" in text:  # UTF-16 without its byte order mark, or not text at all
        result.problems.append(Problem(
            _("The file holds NUL characters (line %(line)s): it is not UTF-8 or GBK text. Save it as UTF-8.")
            % {"line": text.count("\n", 0, text.index("\x00")) + 1}, code="unreadable"))
        return result
    category, number = "", 0
    for line_number, lines in _blocks(text):
        difficulty, reference, body = 3, "", []
        for line in lines:
            stripped = line.strip()
            if stripped.startswith("//"):
                comment = stripped[2:].strip()
                match = re.match(r"(?:difficulty|难度)\s*[:：]\s*([1-5])$", comment, re.I)
                if match:
                    difficulty = int(match.group(1))
                elif comment.lower().startswith("reference:"):
                    reference = _unescape(comment[len("reference:"):]).strip()
                continue
            if stripped.startswith("$CATEGORY:"):
                category = category_path(stripped[len("$CATEGORY:"):])
                continue
            body.append(line)
        if not body:
            continue
        number += 1
        where = _("question %(number)s (line %(line)s)") % {"number": number, "line": line_number}
        question = _Question("\n".join(body), where, category, difficulty, reference)
        parsed = question.parse()
        result.problems += question.problems
        if parsed == "description":
            result.skipped += 1
            number -= 1
        elif parsed is not None and not question.problems:
            result.questions.append(parsed)
    return result


def _weight(fraction):
    value = Decimal(str(fraction))
    return "" if value == 1 else f"%{format((value * 100).normalize(), 'f')}%"


def _html(text):
    """Text for an [html] question: its options, feedback and explanation are read as HTML."""
    return html.escape(text, quote=False).replace("\n", "<br>")


def _option_answers(q, written):
    lines = []
    right = q.answer if q.type == QuestionType.MULTIPLE else []
    for option in q.options:
        if q.type == QuestionType.SINGLE:
            fraction = Decimal(q.answer.get(option["key"], "0"))
            prefix = "=" if fraction == 1 else "~" + (_weight(fraction) if fraction else "")
        else:
            share = (Decimal(100) / len(right)).quantize(Decimal("0.00001")).normalize()
            prefix = f"~%{format(share, 'f')}%" if option["key"] in right else "~%-100%"
        feedback = f"#{written(option['feedback'])}" if option.get("feedback") else ""
        lines.append(f"\t{prefix}{written(option['text'])}{feedback}")
    return lines


def _fill_block(blank):
    return "{" + " ".join(("=" + _answer_weight(a) + escape(notation(a))) for a in blank) + "}"


def _answer_weight(answer):
    """An accepted answer's weight as written before it: none when it is worth the full points,
    but %100% when its text starts with a % (%50%), which would otherwise read as its weight."""
    return _weight(answer["fraction"]) or ("%100%" if notation(answer).startswith("%") else "")


def write(questions):
    out = ["// 题库导出 (jingsai) — GIFT", ""]
    category = None
    for q in questions:
        if q.knowledge_point != category:
            category = q.knowledge_point
            out += ["$CATEGORY: $course$/top" + (f"/{category}" if category else ""), ""]
        out.append(f"// difficulty: {q.difficulty}")
        if q.type == QuestionType.SHORT and q.answer:
            out.append(f"// reference: {escape(q.answer)}")
        title = f"::{escape(q.title)}::" if q.title else ""
        if q.images or q.explanation_images:  # the question text is HTML, and so, in Moodle's reading, the rest
            stem = "[html]" + escape(text_to_html(q.stem, _uris(q.images)))  # but short answers

            def written(text):
                return escape(_html(text))
        else:
            stem, written = "[plain]" + escape(q.stem), escape
        if q.explanation_images:
            feedback = "\t####" + escape(text_to_html(q.explanation, _uris(q.explanation_images)))
        else:
            feedback = f"\t####{written(q.explanation)}" if q.explanation else ""
        if q.type in (QuestionType.SINGLE, QuestionType.MULTIPLE):
            out += [f"{title}{stem}{{", *_option_answers(q, written), *([feedback] if feedback else []), "}"]
        elif q.type == QuestionType.JUDGE:
            out.append(f"{title}{stem}{{{'TRUE' if q.answer else 'FALSE'}{feedback.strip()}}}")
        elif q.type == QuestionType.SHORT:
            out.append(f"{title}{stem}{{{feedback.strip()}}}")
        elif len(q.answer) == 1:
            block = _fill_block(q.answer[0])
            out.append(f"{title}{stem}{block[:-1]}{(' ' + feedback.strip()) if feedback else ''}}}")
        else:
            blocks = [_fill_block(blank) for blank in q.answer]
            if feedback:
                blocks[-1] = blocks[-1][:-1] + " " + feedback.strip() + "}"
            out.append(title + blanks.fill(stem, blocks))
        out.append("")
    return "\n".join(out).encode("utf-8")


def _uris(images):
    return [to_data_uri(i.kind[0], i.data) for i in images if i.kind]
