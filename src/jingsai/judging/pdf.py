"""Printed paper: marking sheets for venues that mark on paper, and the draw records the
supervisors sign. Chinese is set in the CJK font every PDF of the project embeds."""

import io

from django.utils import timezone
from django.utils.translation import gettext as _
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import PageBreak, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from jingsai.core.pdf import cjk_font

from .models import AspectType, DrawKind
from .services import venue


def _styles():
    font = cjk_font()
    return {
        "title": ParagraphStyle("title", fontName=font, fontSize=15, leading=20, spaceAfter=4),
        "meta": ParagraphStyle("meta", fontName=font, fontSize=10, leading=14, textColor=colors.HexColor("#444444")),
        "cell": ParagraphStyle("cell", fontName=font, fontSize=9, leading=12),
        "small": ParagraphStyle("small", fontName=font, fontSize=8, leading=10),
    }


def _table(rows, widths, font):
    table = Table(rows, colWidths=widths, repeatRows=1)
    table.setStyle(TableStyle([
        ("FONTNAME", (0, 0), (-1, -1), font),
        ("FONTSIZE", (0, 0), (-1, -1), 9),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#E8EEF7")),
        ("GRID", (0, 0), (-1, -1), 0.5, colors.HexColor("#888888")),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("TOPPADDING", (0, 1), (-1, -1), 5),
        ("BOTTOMPADDING", (0, 1), (-1, -1), 5),
    ]))
    return table


def _document(story):
    buffer = io.BytesIO()
    SimpleDocTemplate(buffer, pagesize=A4, leftMargin=15 * mm, rightMargin=15 * mm, topMargin=15 * mm,
                      bottomMargin=15 * mm, title="jingsai").build(story)
    return buffer.getvalue()


def _rule(aspect, style):
    if aspect.type == AspectType.JUDGEMENT:
        lines = [f"{level}：{text}" for level, text in enumerate(aspect.descriptors or [])]
        return Paragraph("<br/>".join(lines) or _("0, 1, 2 or 3"), style)
    maximum = f"{aspect.max.normalize():f}"
    if aspect.binary:
        return Paragraph(_("0 or %(max)s") % {"max": maximum}, style)
    return Paragraph(_("0 to %(max)s") % {"max": maximum}, style)


def marking_sheets(plan, judge_code=None):
    """One page per (judge, station): the aspects that judge marks there, with boxes for
    the marks. None when no station numbers have been drawn yet."""
    stations = [c for c in venue.active_contestants(plan.stage).order_by("station_number")
                if c.station_number is not None]
    if not stations:
        return None
    styles = _styles()
    font = cjk_font()
    judges = sorted({a.judge.pk: a.judge for a in plan.assignments}.values(), key=lambda j: j.code)
    if judge_code:
        judges = [j for j in judges if j.code == judge_code]
    competition = plan.competition
    story = []
    for judge in judges:
        for contestant in stations:
            aspects = plan.aspects_for(judge, contestant)
            if not aspects:
                continue
            if story:
                story.append(PageBreak())
            story.append(Paragraph(_("Marking sheet · station %(station)s") % {"station": contestant.station_number},
                                   styles["title"]))
            story.append(Paragraph(f"{competition.name} · {plan.stage.name}", styles["meta"]))
            story.append(Paragraph(_("Judge: %(judge)s") % {"judge": judge}, styles["meta"]))
            story.append(Spacer(1, 4 * mm))
            rows = [[_("Aspect"), _("Name"), _("Type"), _("What earns the marks"), _("Mark")]]
            for aspect in aspects:
                rows.append([aspect.code, Paragraph(aspect.name, styles["cell"]), aspect.type,
                             _rule(aspect, styles["small"]), ""])
            story.append(_table(rows, [16 * mm, 40 * mm, 12 * mm, 92 * mm, 20 * mm], font))
            story.append(Spacer(1, 10 * mm))
            story.append(Paragraph(_("Judge's signature: ____________    Time: ____________"), styles["meta"]))
    if not story:
        return None
    return _document(story)


def draw_record(stage, kind):
    """The result of a draw for the supervisors to check and sign: who drew, when, and the
    numbers next to the (masked) contestants."""
    record = venue.draw_done(stage, kind)
    if record is None:
        return None
    styles = _styles()
    font = cjk_font()
    contestants = venue.contestants(stage).select_related("entry__person", "entry__unit")
    if kind == DrawKind.CONTESTANT:
        contestants = contestants.filter(contestant_number__isnull=False).order_by("contestant_number")
        rows = [[_("Contestant number"), _("Name"), _("Identity number"), _("Unit")]]
        rows += [[c.contestant_number, c.entry.person.name, c.entry.person.id_number_masked,
                  Paragraph(c.entry.unit.name, styles["cell"])] for c in contestants]
        widths = [28 * mm, 30 * mm, 45 * mm, 77 * mm]
    else:
        contestants = contestants.filter(station_number__isnull=False).order_by("station_number")
        rows = [[_("Station number"), _("Contestant number")]]
        rows += [[c.station_number, c.contestant_number] for c in contestants]
        widths = [40 * mm, 40 * mm]
    story = [
        Paragraph(f"{record.get_kind_display()}", styles["title"]),
        Paragraph(f"{stage.competition.name} · {stage.name}", styles["meta"]),
        Paragraph(_("Drawn by %(who)s at %(when)s with a cryptographically secure random draw.")
                  % {"who": record.drawn_by or "—",
                     "when": timezone.localtime(record.drawn_at).strftime("%Y-%m-%d %H:%M:%S")}, styles["meta"]),
        Spacer(1, 4 * mm),
        _table(rows, widths, font),
        Spacer(1, 12 * mm),
        Paragraph(_("Supervisor's signature: ____________    Chief judge's signature: ____________"), styles["meta"]),
    ]
    return _document(story)
