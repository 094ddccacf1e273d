"""Where the blanks of a fill-in question are: runs of underscores or empty Chinese
parentheses in the question text."""

import re

BLANK = re.compile(r"_{3,}|（[\s\u3000]*）")
MARK = "____"


def count(stem):
    return len(BLANK.findall(stem))


def fill(stem, blocks):
    """The stem with its blanks replaced by `blocks`, in order; when the counts differ
    the blocks are appended at the end."""
    if count(stem) != len(blocks):
        return stem + "".join(blocks)
    parts = iter(blocks)
    return BLANK.sub(lambda _m: next(parts), stem)
