"""Scoring one answer against one question version: plain values in, a Decimal out.

single     the chosen option's fraction of the points (1 for the right option; Moodle
           banks may give partial fractions to near-misses)
multiple   all or nothing by default; with partial credit, a choice holding any wrong
           option scores 0, otherwise the share of the right options chosen
judge      the points when the answer matches
fill       each blank scores its share of the points times the fraction of the best
           accepted answer it matches (compared after NFKC, trimming, case folding); in
           an answer marked as a wildcard one, as in Moodle's short answers, * stands for
           any run of characters and \\* for an asterisk
short      None: graded by people

Item scores are rounded half up to 0.01 point, the precision shown to candidates."""

import functools
import re
import unicodedata
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
SPACES = re.compile(r"\s+")


def _fold(value):
    """Full-width forms folded (NFKC), spaces collapsed, case ignored."""
    return SPACES.sub(" ", unicodedata.normalize("NFKC", value)).casefold()


def normalize_text(value):
    """Text as compared for fill-in answers: folded, and trimmed."""
    return _fold(str(value)).strip()


@functools.lru_cache(maxsize=4096)
def _pattern(text):
    """The regular expression of a wildcard answer, after Moodle's short-answer rule: runs
    of unescaped * match anything, \\* is an asterisk, the rest is compared as text is."""
    bits = [_fold(bit.replace("\\*", "*")) for bit in re.split(r"(?<!\\)\*+", text.strip())]
    bits[0], bits[-1] = bits[0].lstrip(), bits[-1].rstrip()
    return re.compile(".*".join(re.escape(bit) for bit in bits), re.DOTALL)


def matches(accepted, given):
    """Whether the normalized response `given` matches one accepted answer of a blank."""
    if accepted.get("wildcard"):
        return _pattern(accepted["text"]).fullmatch(given) is not None
    return normalize_text(accepted["text"]) == given


def cents(value):
    """A Decimal, or a float sum of amounts in cents (SQLite adds them so), to the cent."""
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def score(qtype, answer, response, points, *, partial=False):
    points = Decimal(points)
    if qtype == "short":
        return None
    if response is None or response == "" or response == []:
        return cents(0)
    if qtype == "single":
        fraction = Decimal(str(answer.get(response, 0))) if isinstance(response, str) else Decimal(0)
        return cents(points * min(max(fraction, Decimal(0)), Decimal(1)))
    if qtype == "multiple":
        if not isinstance(response, list):
            return cents(0)
        chosen, right = {r for r in response if isinstance(r, str)}, set(answer)
        if chosen == right:
            return cents(points)
        if not partial or chosen - right:
            return cents(0)
        return cents(points * len(chosen & right) / len(right))
    if qtype == "judge":
        return cents(points if response is answer else 0)
    if qtype == "fill":
        if isinstance(response, str):
            response = [response]
        if not isinstance(response, list):
            return cents(0)
        total = Decimal(0)
        for index, accepted in enumerate(answer):
            given = response[index] if index < len(response) else ""
            if not isinstance(given, str) or not given.strip():
                continue
            given = normalize_text(given)
            fractions = [Decimal(str(a["fraction"])) for a in accepted if matches(a, given)]
            if fractions:
                total += min(max(fractions), Decimal(1))  # a weight above 1 is refused on entry; never more than full
        return cents(points * total / len(answer))
    raise ValueError(f"unknown question type {qtype}")


def is_correct(qtype, answer, response):
    """For practice: True when the answer earns full marks, None for short answers."""
    result = score(qtype, answer, response, 1)
    return None if result is None else result == Decimal(1)


def correct_response(qtype, answer):
    """The response that earns full marks, for showing the right answer."""
    if qtype == "single":
        return [key for key, fraction in answer.items() if Decimal(str(fraction)) == 1]
    if qtype == "multiple":
        return list(answer)
    if qtype == "judge":
        return answer
    if qtype == "fill":
        return [[a["text"] for a in blank if Decimal(str(a["fraction"])) == 1] for blank in answer]
    return answer
