"""Question files: the xlsx template, Moodle XML and GIFT, read into content.QuestionData
and written from it. Readers collect every problem of the file instead of stopping at the
first; the import service stores nothing unless there are none."""

import re
from dataclasses import dataclass, field
from pathlib import Path

from django.utils.translation import gettext as _

from jingsai.core.errors import Problem

FORMATS = ("xlsx", "moodle-xml", "gift")
SUFFIXES = {"xlsx": ".xlsx", "moodle-xml": ".xml", "gift": ".gift.txt"}
CONTENT_TYPES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "moodle-xml": "application/xml",
    "gift": "text/plain; charset=utf-8",
}


@dataclass
class Parsed:
    questions: list = field(default_factory=list)
    problems: list = field(default_factory=list)
    skipped: int = 0  # Moodle "description" items: text, not questions
    format: str = ""


CONTEXTS = re.compile(r"^\$[a-z0-9]+\$$")


def category_path(path):
    """The knowledge point of a Moodle category path ($course$/top/Default for 焊工/焊接安全,
    as Moodle XML and GIFT write it): its context, "top" and Moodle's default categories left out."""
    parts = [p.strip() for p in path.split("/") if p.strip()]
    parts = [p for p in parts if not CONTEXTS.match(p)]
    if parts and parts[0] == "top":
        parts = parts[1:]
    return "/".join(p for p in parts if not p.startswith("Default for "))


def guess(filename, data):
    """The format of a question file, from its content first and its name second."""
    head = data[:2048].lstrip(b"\xef\xbb\xbf").lstrip()
    if data.startswith(b"PK\x03\x04") or data.startswith(b"\xd0\xcf\x11\xe0"):
        return "xlsx"
    if head.startswith(b"<?xml") or head.startswith(b"<quiz"):
        return "moodle-xml"
    suffix = Path(filename or "").suffix.lower()
    if suffix in (".xlsx", ".xls", ".ods", ".csv"):
        return "xlsx"
    if suffix == ".xml":
        return "moodle-xml"
    if suffix in (".gift", ".txt"):
        return "gift"
    return None


def parse(fmt, data, filename=""):
    from . import gift, moodle, xlsx

    if fmt not in FORMATS:
        fmt = guess(filename, data)
        if fmt is None:
            return Parsed(problems=[Problem(
                _("The file's format could not be recognised; use xlsx, Moodle XML or GIFT."), code="format",
            )])
    parsed = {"xlsx": xlsx.read, "moodle-xml": moodle.read, "gift": gift.read}[fmt](data, filename)
    parsed.format = fmt
    return parsed


def write(fmt, questions):
    """Bytes of a question file holding `questions` (QuestionData with ImageData images)."""
    from . import gift, moodle, xlsx

    return {"xlsx": xlsx.write, "moodle-xml": moodle.write, "gift": gift.write}[fmt](questions)
