"""Moodle XML (the format of Moodle's question bank export).

Read: categories (as knowledge points), multichoice (single and multiple), truefalse,
shortanswer (a fill-in with one blank; * a wildcard and \\* an asterisk, as in Moodle),
essay (short answer, the grader information as reference), and cloze (multianswer) made
only of short-answer blanks (a fill-in with several blanks); answer fractions, per-answer
feedback, general feedback (explanation), pictures embedded as base64 files referenced by
@@PLUGINFILE@@ (those of the general feedback as the explanation's pictures, in their order;
per-answer feedback and the information for graders hold text only), and a tag
"difficulty:N". Description items are skipped; other types are refused by name.

Write: the same constructs, so a file written here reads back to the same questions."""

import base64
import codecs
import re
import xml.etree.ElementTree as ET
from decimal import Decimal

from django.utils.translation import gettext as _

from jingsai.core.errors import Problem

from ..content import ImageData, QuestionData, accepted, notation
from ..models import QuestionType
from . import Parsed, blanks, category_path
from .html import PLUGINFILE, html_to_text, plugin_file_name, text_to_html

CLOZE = re.compile(r"\{(\d*):([A-Z_]+):((?:\\.|[^}\\])*)\}")
CLOZE_BLANK_TYPES = {"SHORTANSWER", "SA", "MW", "SHORTANSWER_C", "SAC", "MWC"}
FORBIDDEN = re.compile(r"<!DOCTYPE|<!ENTITY", re.I)
DECLARED = re.compile(rb"""\s*<\?xml[^>]*?\bencoding\s*=\s*["']([A-Za-z0-9._:-]+)["']""")
GB18030_FAMILY = dict.fromkeys(("gbk", "gb2312", "gb_2312-80", "cp936", "euc-cn"), "gb18030")  # its superset
DIFFICULTY_TAG = re.compile(r"^(?:difficulty|难度)[:：]\s*([1-5])$", re.I)


def _text(element, path="text"):
    found = element.find(path) if element is not None else None
    return (found.text or "") if found is not None else ""


def _fraction(value):
    """The answer's fraction="" as a fraction of the points, or None when it is not a
    finite number (NaN, Infinity, or an exponent the decimal context cannot hold)."""
    try:
        number = Decimal(str(value or "0").strip())
        return number / 100 if number.is_finite() else None
    except ArithmeticError:
        return None


def _category(element):
    return category_path(_text(element, "category/text"))


class _Reader:
    def __init__(self, element, where):
        self.element, self.where, self.problems, self.images = element, where, [], []

    def problem(self, message):
        self.problems.append(Problem(message, where=self.where))

    def files(self, element):
        out = {}
        for file in element.findall("file") if element is not None else []:
            try:
                out[file.get("name", "")] = base64.b64decode(file.text or "", validate=False)
            except ValueError:
                self.problem(_("The embedded file “%(name)s” is not valid base64.") % {"name": file.get("name")})
        return out

    def text(self, path, *, no_pictures=None, into=None):
        """Plain text of a Moodle text element (any format), pictures collected (into the list
        `into`, the question's own by default); or, for a part that holds text only, each
        picture reported with the message `no_pictures`."""
        element = self.element.find(path)
        if element is None:
            return ""
        raw = _text(element)
        if element.get("format", "html") not in ("html", "moodle_auto_format"):
            return raw.strip()
        text, sources = html_to_text(raw)
        if no_pictures:
            self.not_imported(sources, no_pictures)
        else:
            self.collect(element, sources, into)
        return text

    def collect(self, element, sources, into=None):
        files = self.files(element)
        for src in sources:
            name = plugin_file_name(src)
            if name is None or name not in files:
                self.problem(_("The picture “%(src)s” is not embedded in the file.") % {"src": src[:80]})
            else:
                (self.images if into is None else into).append(ImageData(name=name, data=files[name]))

    def not_imported(self, sources, message):
        for src in sources:
            self.problem(message % {"src": plugin_file_name(src) or src[:80]})

    def answers(self, *, plain=False):
        """[(text, fraction, feedback)]; `plain` for a short answer's texts, which Moodle
        takes as written (List<String>), whatever the format attribute says."""
        out = []
        for answer in self.element.findall("answer"):
            text = _text(answer)
            if not plain and answer.get("format", "html") in ("html", "moodle_auto_format"):
                text, sources = html_to_text(text)
                self.collect(answer, sources)
            feedback_text, sources = html_to_text(_text(answer.find("feedback")))
            self.not_imported(sources, _("The feedback of an answer holds a picture (“%(src)s”), which is not "
                                         "imported: feedback holds text only. Remove the picture from the feedback."))
            fraction = _fraction(answer.get("fraction"))
            if fraction is None:
                self.problem(_("The answer weight “%(value)s” is not a number.") % {"value": answer.get("fraction")})
                fraction = Decimal(0)
            out.append((text.strip(), fraction, feedback_text))
        return out


def _cloze_answers(body):
    found = []
    for part in re.split(r"(?<!\\)~", body):
        part = part.strip()
        fraction = Decimal(0)
        if part.startswith("="):
            fraction, part = Decimal(1), part[1:]
        else:
            match = re.match(r"%(-?\d+(?:\.\d+)?)%", part)
            if match:
                fraction, part = Decimal(match.group(1)) / 100, part[match.end():]
        text = re.split(r"(?<!\\)#", part)[0]
        text = re.sub(r"\\([^*])", r"\1", text).strip()  # \* stays: the short answer reads it
        if text and fraction > 0:
            found.append(accepted(text, str(fraction)))
    return found


def _parse_question(element, qtype, where, category):
    reader = _Reader(element, where)
    name = _text(element, "name/text").strip()
    stem = reader.text("questiontext")
    explanation_images = []
    explanation = reader.text("generalfeedback", into=explanation_images)
    difficulty = 3
    for tag in element.findall("tags/tag"):
        match = DIFFICULTY_TAG.match(_text(tag).strip())
        if match:
            difficulty = int(match.group(1))
    q = QuestionData(type="", stem=stem, explanation=explanation, knowledge_point=category,
                     difficulty=difficulty, title=name, where=where, explanation_images=explanation_images)
    if qtype == "multichoice":
        answers = reader.answers()
        # Moodle's own default: a multichoice question without <single> has one right answer.
        single = (_text(element, "single").strip().lower() or "true") in ("true", "1")
        q.options = [{"text": text, "feedback": feedback} for text, _f, feedback in answers]
        keys = [chr(ord("A") + i) for i in range(len(answers))]
        if single:
            q.type = QuestionType.SINGLE
            q.answer = {k: str(f) for k, (_t, f, _fb) in zip(keys, answers, strict=True) if f > 0}
        else:
            q.type = QuestionType.MULTIPLE
            q.answer = [k for k, (_t, f, _fb) in zip(keys, answers, strict=True) if f > 0]
        if any(not text for text, _f, _fb in answers):
            reader.problem(_("An option has no text."))
    elif qtype == "truefalse":
        q.type = QuestionType.JUDGE
        right = [text.lower() for text, f, _fb in reader.answers() if f == 1]
        q.answer = {"true": True, "false": False}.get(right[0]) if len(right) == 1 else None
    elif qtype == "shortanswer":
        q.type = QuestionType.FILL
        q.answer = [[accepted(t, str(f)) for t, f, _fb in reader.answers(plain=True) if f > 0]]
    elif qtype == "essay":
        q.type = QuestionType.SHORT
        q.answer = reader.text("graderinfo", no_pictures=_(
            "The information for graders holds a picture (“%(src)s”), which is not imported: the reference answer "
            "holds text only. Remove the picture from it."))
    elif qtype == "multianswer":
        q.type = QuestionType.FILL
        found = CLOZE.findall(stem)
        other = sorted({kind for _w, kind, _b in found if kind not in CLOZE_BLANK_TYPES})
        if other:
            reader.problem(_("Only cloze questions made of short-answer blanks can be imported; "
                             "this one has %(types)s.") % {"types": "、".join(other)})
        weights = {int(weight or 1) for weight, _k, _b in found}
        if len(weights) > 1:  # our blanks share a question's points equally
            reader.problem(_("The blanks of this cloze question carry different weights (%(weights)s). Blanks "
                             "here share the question's points equally: give every blank the same weight, or "
                             "make them separate questions.")
                           % {"weights": "、".join(str(int(w or 1)) for w, _k, _b in found)})
        q.answer = [_cloze_answers(body) for _w, _k, body in found]
        q.stem = CLOZE.sub(blanks.MARK, stem)
    q.images = reader.images
    return q, reader.problems


def _decoded(data):
    """The file's text. Moodle writes UTF-8; an editor in China may save the file as GBK
    and say so in the XML declaration, which the XML parser itself cannot read.
    UnicodeDecodeError or LookupError (an encoding Python does not know)."""
    if data.startswith(codecs.BOM_UTF8):
        return data.decode("utf-8-sig")
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16")
    match = DECLARED.match(data)
    name = match.group(1).decode("ascii").lower() if match else "utf-8"
    return data.decode(GB18030_FAMILY.get(name, name))


def read(data, filename=""):
    result = Parsed()
    try:
        text = _decoded(data)
    except LookupError:
        name = DECLARED.match(data).group(1).decode("ascii")
        result.problems.append(Problem(
            _("The file says its text is in the “%(encoding)s” encoding, which is not known. Save it as UTF-8.")
            % {"encoding": name}, code="unreadable"))
        return result
    except UnicodeDecodeError as error:
        line = data[:error.start].count(b"\n") + 1
        result.problems.append(Problem(
            _("The file's text is not valid %(encoding)s (line %(line)s). Save it as UTF-8.")
            % {"encoding": error.encoding.upper(), "line": line}, code="unreadable"))
        return result
    if FORBIDDEN.search(text[:65536]):
        result.problems.append(Problem(_("The XML file declares a DOCTYPE or entities, which are not accepted.")))
        return result
    try:
        root = ET.fromstring(text)  # noqa: S314 - DOCTYPE and entity declarations are refused above
    except ET.ParseError as error:
        result.problems.append(Problem(
            _("The file is not well-formed XML (line %(line)s).") % {"line": error.position[0]}, code="unreadable"
        ))
        return result
    if root.tag != "quiz":
        result.problems.append(Problem(_("This is not a Moodle XML question file (it has no <quiz> element).")))
        return result
    category, number = "", 0
    for element in root.findall("question"):
        qtype = element.get("type", "")
        if qtype == "category":
            category = _category(element)
            continue
        if qtype == "description":
            result.skipped += 1
            continue
        number += 1
        name = _text(element, "name/text").strip()
        where = _("question %(number)s “%(name)s”") % {"number": number, "name": name[:40]}
        if qtype not in ("multichoice", "truefalse", "shortanswer", "essay", "multianswer"):
            result.problems.append(Problem(
                _("Moodle questions of type “%(type)s” cannot be imported: remove them or change them to "
                  "multichoice, truefalse, shortanswer, cloze with short-answer blanks, or essay.") % {"type": qtype},
                where=where, code="unsupported",
            ))
            continue
        question, problems = _parse_question(element, qtype, where, category)
        result.problems += problems
        result.questions.append(question)
    return result


def _sub(parent, tag, text=None, **attrs):
    element = ET.SubElement(parent, tag, {k: str(v) for k, v in attrs.items()})
    if text is not None:
        element.text = str(text)
    return element


def _file_names(images):
    names = []
    for index, image in enumerate(images, start=1):
        name = image.name or f"image{index}.{image.kind[1] if image.kind else 'png'}"
        names.append(f"{index}-{name}" if name in names else name)
    return names


def _text_element(parent, tag, text, images=()):
    element = _sub(parent, tag, format="html")
    names = _file_names(images)
    _sub(element, "text", text_to_html(text, [PLUGINFILE + n for n in names]))
    for name, image in zip(names, images, strict=True):
        _sub(element, "file", base64.b64encode(image.data).decode(), name=name, path="/", encoding="base64")
    return element


def _percent(fraction):
    value = (Decimal(str(fraction)) * 100).normalize()
    return format(value, "f")


def write(questions):
    root = ET.Element("quiz")
    category = None
    for q in questions:
        if q.knowledge_point != category:
            category = q.knowledge_point
            element = _sub(root, "question", type="category")
            _sub(_sub(element, "category"), "text", "$course$/top" + (f"/{category}" if category else ""))
        if q.type == QuestionType.FILL:
            qtype = "shortanswer" if len(q.answer) == 1 else "multianswer"
        else:
            qtype = {QuestionType.SINGLE: "multichoice", QuestionType.MULTIPLE: "multichoice",
                     QuestionType.JUDGE: "truefalse", QuestionType.SHORT: "essay"}[q.type]
        element = _sub(root, "question", type=qtype)
        _sub(_sub(element, "name"), "text", q.title or q.stem[:40].replace("\n", " "))
        stem = q.stem
        if qtype == "multianswer":
            stem = blanks.fill(stem, ["{1:SHORTANSWER:" + "~".join(
                ("=" if Decimal(a["fraction"]) == 1 else f"%{_percent(a['fraction'])}%") + _cloze_escape(notation(a))
                for a in blank
            ) + "}" for blank in q.answer])
        _text_element(element, "questiontext", stem, q.images)
        _text_element(element, "generalfeedback", q.explanation, q.explanation_images)
        _sub(element, "defaultgrade", "1")
        _sub(element, "hidden", "0")
        if q.type in (QuestionType.SINGLE, QuestionType.MULTIPLE):
            _sub(element, "single", "true" if q.type == QuestionType.SINGLE else "false")
            _sub(element, "shuffleanswers", "true")
            _sub(element, "answernumbering", "ABCD")
            right = q.answer if q.type == QuestionType.MULTIPLE else []
            for option in q.options:
                if q.type == QuestionType.SINGLE:
                    fraction = _percent(q.answer.get(option["key"], 0))
                else:
                    fraction = _percent(Decimal(1) / len(right)) if option["key"] in right else "-100"
                answer = _text_element(element, "answer", option["text"])
                answer.set("fraction", fraction)
                _text_element(answer, "feedback", option.get("feedback", ""))
        elif q.type == QuestionType.JUDGE:
            for word, value in (("true", True), ("false", False)):
                answer = _sub(element, "answer", fraction="100" if q.answer is value else "0",
                              format="moodle_auto_format")
                _sub(answer, "text", word)
                _text_element(answer, "feedback", "")
        elif qtype == "shortanswer":
            _sub(element, "usecase", "0")
            for given in q.answer[0]:
                answer = _sub(element, "answer", fraction=_percent(given["fraction"]), format="moodle_auto_format")
                _sub(answer, "text", notation(given))
                _text_element(answer, "feedback", "")
        elif q.type == QuestionType.SHORT:
            _sub(element, "responseformat", "editor")
            _sub(element, "responserequired", "1")
            _sub(element, "responsefieldlines", "10")
            _text_element(element, "graderinfo", q.answer or "")
        tags = _sub(element, "tags")
        _sub(_sub(tags, "tag"), "text", f"difficulty:{q.difficulty}")
    ET.indent(root)
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="utf-8") + b"\n"


def _cloze_escape(text):
    return re.sub(r"([}#~/\"\\])", r"\\\1", text)
