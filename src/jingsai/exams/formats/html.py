"""Question text between HTML (Moodle's usual format) and the plain text we store.

Moodle questions are HTML: paragraphs, line breaks, entities and <img> tags pointing at
files of the question (@@PLUGINFILE@@/name) or, in GIFT, at data: URIs. We keep the
words and the line breaks, and the pictures as images of the question; any other markup
is dropped, so nothing of an imported file can run in a candidate's browser."""

import base64
import html
import re
from html.parser import HTMLParser
from urllib.parse import unquote

BLOCK_TAGS = {"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "pre", "blockquote"}
PLUGINFILE = "@@PLUGINFILE@@/"


# Spaces and tabs that stay as they are (in <pre>, and &nbsp;), while the others are
# collapsed as a browser does; a Unicode noncharacter (for a program's own use, taken out
# of the markup first) stands for a kept tab.
KEPT_SPACE, KEPT_TAB = "\xa0", "\ufdd0"


class _TextParser(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts, self.images, self.skip, self.pre = [], [], 0, 0

    def handle_starttag(self, tag, attrs):
        if tag == "pre":
            self.pre += 1
        if tag in ("script", "style"):
            self.skip += 1
        elif tag == "img":
            self.images.append(dict(attrs).get("src") or "")
        elif tag in BLOCK_TAGS:
            self.parts.append("\n")

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag):
        if tag == "pre":
            self.pre = max(0, self.pre - 1)
        if tag in ("script", "style"):
            self.skip = max(0, self.skip - 1)
        elif tag in BLOCK_TAGS:
            self.parts.append("\n")

    def handle_data(self, data):
        if self.pre and not self.skip:
            if self.parts and self.parts[-1] == "\n" and data.startswith("\n"):
                data = data[1:]  # as in HTML, a line break right after <pre> is not shown
            self.parts.append(data.replace(" ", KEPT_SPACE).replace("\t", KEPT_TAB))
        elif not self.skip:
            self.parts.append(data)


def html_to_text(markup):
    """(text, [image sources]) of an HTML fragment."""
    parser = _TextParser()
    parser.feed((markup or "").replace(KEPT_TAB, ""))
    parser.close()
    lines = [re.sub(r"[ \t]+", " ", line).lstrip(" \t").rstrip(" \t" + KEPT_SPACE + KEPT_TAB)
             for line in "".join(parser.parts).split("\n")]
    text = re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip(" \n")
    return text.replace(KEPT_SPACE, " ").replace(KEPT_TAB, "\t"), parser.images


def text_to_html(text, image_sources=()):
    paragraphs = "".join(f"<p>{_kept_spaces(html.escape(p)).replace(chr(10), '<br>')}</p>"
                         for p in text.split("\n\n") if p)
    pictures = "".join(f'<p><img src="{html.escape(src)}" alt=""></p>' for src in image_sources)
    return paragraphs + pictures


def _kept_spaces(text):
    """A line's leading spaces and runs of spaces as &nbsp;, so that indentation is shown and
    read back (a browser, and html_to_text, collapse plain ones)."""
    return re.sub(r"(?m)^ +| {2,}", lambda match: "&nbsp;" * len(match.group()), text)


def plugin_file_name(src):
    """The file name an @@PLUGINFILE@@ reference points at, or None."""
    if src.startswith(PLUGINFILE):
        return unquote(src[len(PLUGINFILE):].split("?")[0]).lstrip("/")
    return None


def data_uri(src):
    """(bytes, subtype) of a base64 data: URI, or None."""
    match = re.match(r"data:image/([a-z0-9.+-]+);base64,(.*)", src or "", re.S | re.I)
    if not match:
        return None
    try:
        return base64.b64decode(match.group(2), validate=False), match.group(1).lower()
    except ValueError:
        return None


def to_data_uri(content_type, data):
    return f"data:{content_type};base64,{base64.b64encode(data).decode()}"
