"""Every string the tests make the application say in Chinese must have a translation.

While the tests run, gettext calls that come back untranslated in zh-hans are recorded;
the session fails at the end if there were any, listing them. A string with no Latin
letters needs no translation."""

import re

from django.utils import translation
from django.utils.translation import trans_real

LETTERS = re.compile(r"[A-Za-z]{2}")
# Text that is the same in every language.
SAME_EVERYWHERE = {"jingsai API", "API", "ID", "N/A", "OpenAPI", "xlsx", "PDF", "QR"}
misses = {}


def _chinese():
    language = trans_real.get_language() or ""
    return language.lower().startswith("zh")


def _note(message):
    if LETTERS.search(message) and message not in SAME_EVERYWHERE and _chinese():
        misses[message] = misses.get(message, 0) + 1


def install():
    real_gettext, real_ngettext, real_pgettext = trans_real.gettext, trans_real.ngettext, trans_real.pgettext

    def gettext(message):
        result = real_gettext(message)
        if result == message:
            _note(message)
        return result

    def ngettext(singular, plural, number):
        result = real_ngettext(singular, plural, number)
        if result in (singular, plural):
            _note(singular)
        return result

    def pgettext(context, message):
        result = real_pgettext(context, message)
        if result == message:
            _note(message)
        return result

    for target in (trans_real, translation._trans):
        target.gettext = gettext
        target.ngettext = ngettext
        target.pgettext = pgettext


def report():
    if not misses:
        return ""
    lines = "\n".join(f"  {message!r}" for message in sorted(misses))
    return (
        f"{len(misses)} string(s) were shown untranslated in zh-hans. Add them to the app's "
        f"locale/zh_Hans/LC_MESSAGES/django.po (scripts/po-fill helps):\n{lines}"
    )
