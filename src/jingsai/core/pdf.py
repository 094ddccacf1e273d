"""PDF helpers shared by certificates and marking sheets: a CJK font embedded in every PDF.

ReportLab embeds (subsets of) TrueType fonts, so Chinese renders the same on every reader.
The font comes from the system (fonts-wqy-zenhei, installed by `make`), or from the file
named by JINGSAI_CJK_FONT."""

import os
from functools import lru_cache
from pathlib import Path

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

FONT_NAME = "JingsaiCJK"
CANDIDATES = [
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/arphic/uming.ttc",
]


class FontMissing(RuntimeError):
    pass


@lru_cache(maxsize=1)
def cjk_font():
    """Register the CJK TrueType font once and return its ReportLab name."""
    paths = [os.environ.get("JINGSAI_CJK_FONT", ""), *CANDIDATES]
    for path in paths:
        if path and Path(path).exists():
            kwargs = {"subfontIndex": 0} if path.endswith(".ttc") else {}
            pdfmetrics.registerFont(TTFont(FONT_NAME, path, **kwargs))
            return FONT_NAME
    raise FontMissing(
        "No CJK TrueType font found: install fonts-wqy-zenhei (make does) or set JINGSAI_CJK_FONT."
    )
