"""Compile every app's .po catalogue to .mo (Babel, so no system gettext is needed).

Run as `python -m jingsai.core.i18n`; only catalogues newer than their .mo are compiled.
"""

import sys
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

PACKAGE_DIR = Path(__file__).resolve().parent.parent


def catalogues():
    return sorted(PACKAGE_DIR.glob("**/locale/*/LC_MESSAGES/*.po"))


def compile_all(force=False):
    compiled = []
    for po_path in catalogues():
        mo_path = po_path.with_suffix(".mo")
        if not force and mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
            continue
        with po_path.open("rb") as handle:
            catalog = read_po(handle, locale=po_path.parts[-3])
        with mo_path.open("wb") as handle:
            write_mo(handle, catalog, use_fuzzy=False)
        compiled.append(po_path)
    return compiled


if __name__ == "__main__":
    done = compile_all(force="--force" in sys.argv)
    if done:
        print(f"compiled {len(done)} message catalogue(s)")
