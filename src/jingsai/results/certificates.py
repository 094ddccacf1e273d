"""Certificates as PDF: 获奖证书 (award) and 成绩证明 (certificate of results), in layouts
the organizer chooses from, with the embedded CJK font (core.pdf) and a QR code leading
to the public verification page. Bulk generation for a whole competition is a
background job yielding a ZIP.

Certificates are official documents in Chinese: their text is rendered in Simplified
Chinese whatever the language of the person who asks for them."""

import io
import zipfile
from dataclasses import dataclass
from datetime import datetime

import segno
from django.conf import settings
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from reportlab.lib.colors import HexColor
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.pdfgen import canvas
from reportlab.platypus import Paragraph

from jingsai.core import jobs
from jingsai.core.pdf import cjk_font

from .models import Certificate


@dataclass(frozen=True)
class Layout:
    key: str
    label: object
    pagesize: tuple
    title_size: int
    title_y: float  # baseline of the centred title, from the bottom of the page
    accent: str
    frame: str


LAYOUTS = {
    "classic": Layout("classic", gettext_lazy("Classic (landscape, red and gold frame)"), landscape(A4), 44, 470,
                      "#9B1C1C", "#C8A24A"),
    "modern": Layout("modern", gettext_lazy("Modern (portrait, blue band)"), A4, 40, 700, "#1D4E89", "#7FA7D9"),
}
DEFAULT_LAYOUT = "classic"


def site_url(request=None):
    """The address certificates point their QR codes to: the request's own site, else the
    first trusted origin configured for production, else the local development server."""
    if request is not None:
        return request.build_absolute_uri("/")
    origins = getattr(settings, "CSRF_TRUSTED_ORIGINS", None) or ["http://localhost:8000"]
    return origins[0].rstrip("/") + "/"


def verification_url(base_url, code):
    return base_url.rstrip("/") + reverse("results_public:verify", args=[code])


def _date(moment):
    local = timezone.localtime(moment) if isinstance(moment, datetime) else moment
    return f"{local.year}年{local.month}月{local.day}日"


def _qr(pdf, url, x, y, size):
    """Draw the QR code as vector squares (crisp at any print size): one rectangle per run
    of dark modules in a row, written as integer PDF operators in module units, since
    formatting hundreds of float coordinates one call at a time was most of a
    certificate's rendering time."""
    code = segno.make(url, error="m")
    count = len(code.matrix) + 8  # the quiet zone of four modules on each side
    runs = []
    for r, row in enumerate(code.matrix):
        c = 0
        while c < len(row):
            if row[c]:
                start = c
                while c < len(row) and row[c]:
                    c += 1
                runs.append(f"{start + 4} {r + 4} {c - start} 1 re")
            else:
                c += 1
    pdf.saveState()
    pdf.setFillColor(HexColor("#FFFFFF"))
    pdf.rect(x, y, size, size, stroke=0, fill=1)
    pdf.translate(x, y + size)
    pdf.scale(size / count, -size / count)  # rows run downwards, as in the matrix
    pdf.setFillColor(HexColor("#000000"))
    pdf.addLiteral(" ".join(runs) + " f")
    pdf.restoreState()


def _last_order(competition):
    # Certificates of a competition are rendered in bulk: ask once per competition object.
    if not hasattr(competition, "_last_stage_order"):
        competition._last_stage_order = max(competition.stages.values_list("order", flat=True))
    return competition._last_stage_order


def _lines(certificate):
    """The certificate's title and body sentences, in Chinese."""
    competition = certificate.competition
    stage = certificate.result.computation.stage
    series = competition.series.name if competition.series_id else ""
    stage_name = "" if stage.order == _last_order(competition) else stage.name
    event = f"{series}{competition.name}{stage_name}"
    if certificate.kind == Certificate.Kind.AWARD:
        title = _("Award certificate")
        body = [
            _("%(name)s (%(unit)s):") % {"name": certificate.holder_name, "unit": certificate.unit_name},
            _("In the %(event)s you won the %(award)s.") % {"event": event, "award": certificate.award},
            _("This certificate is awarded in recognition."),
        ]
    else:
        title = _("Certificate of results")
        names = {c["key"]: c["name"] for c in competition.spec.get("components", [])}
        scores = "；".join(f"{names.get(k, k)} {v}" for k, v in certificate.result.components.items() if v is not None)
        n_ranked = certificate.result.computation.n_ranked
        body = [
            _("This certifies that %(name)s (identity number %(id)s, %(unit)s) took part in the %(event)s.")
            % {"name": certificate.holder_name, "id": certificate.person.id_number_masked,
               "unit": certificate.unit_name, "event": event},
            _("Scores: %(scores)s. Total %(total)s, rank %(rank)s of %(n)s.")
            % {"scores": scores, "total": certificate.total, "rank": certificate.rank, "n": n_ranked},
        ]
        if certificate.award:
            body.append(_("Award: %(award)s.") % {"award": certificate.award})
    return title, body


def render(certificate, base_url):
    """The certificate as PDF bytes."""
    layout = LAYOUTS.get(certificate.layout, LAYOUTS[DEFAULT_LAYOUT])
    font = cjk_font()
    with translation.override("zh-hans"):
        title, body = _lines(certificate)
        code_line = _("Certificate number %(code)s · scan the code to verify") % {"code": certificate.code}
        revoked_line = _("REVOKED") if certificate.revoked else ""
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=layout.pagesize, pageCompression=1)
    pdf.setTitle(f"{title} {certificate.code}")
    pdf.setAuthor(certificate.competition.host.name)
    width, height = layout.pagesize
    if layout.key == "classic":
        _classic_frame(pdf, layout, width, height)
        text_left, text_width, text_top, qr_x = 110, width - 220, layout.title_y - 70, 80
    else:
        _modern_frame(pdf, layout, width, height)
        text_left, text_width, text_top, qr_x = 110, width - 170, layout.title_y - 90, 110
    pdf.setFillColor(HexColor(layout.accent))
    pdf.setFont(font, layout.title_size)
    pdf.drawCentredString(width / 2, layout.title_y, title)
    style = ParagraphStyle("body", fontName=font, fontSize=18, leading=34, wordWrap="CJK",
                           firstLineIndent=0, textColor=HexColor("#222222"))
    y = text_top
    for index, sentence in enumerate(body):
        paragraph = Paragraph(sentence, style if index == 0 else ParagraphStyle("indent", parent=style,
                                                                                firstLineIndent=36))
        _w, h = paragraph.wrap(text_width, height)
        y -= h
        paragraph.drawOn(pdf, text_left, y)
        y -= 8
    pdf.setFillColor(HexColor("#222222"))
    pdf.setFont(font, 16)
    pdf.drawRightString(width - 110, 150, certificate.competition.host.name)
    pdf.drawRightString(width - 110, 125, _date(certificate.issued_at))
    _qr(pdf, verification_url(base_url, certificate.code), qr_x, 70, 90)
    pdf.setFont(font, 9)
    pdf.setFillColor(HexColor("#555555"))
    pdf.drawString(qr_x, 55, code_line)
    if revoked_line:
        pdf.saveState()
        pdf.setFillColor(HexColor("#CC0000"))
        pdf.setFont(font, 72)
        pdf.translate(width / 2, height / 2)
        pdf.rotate(30)
        pdf.drawCentredString(0, 0, revoked_line)
        pdf.restoreState()
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def _classic_frame(pdf, layout, width, height):
    pdf.setStrokeColor(HexColor(layout.accent))
    pdf.setLineWidth(6)
    pdf.rect(24, 24, width - 48, height - 48)
    pdf.setStrokeColor(HexColor(layout.frame))
    pdf.setLineWidth(2)
    pdf.rect(38, 38, width - 76, height - 76)


def _modern_frame(pdf, layout, width, height):
    pdf.setFillColor(HexColor(layout.accent))
    pdf.rect(0, 0, 60, height, stroke=0, fill=1)
    pdf.setFillColor(HexColor(layout.frame))
    pdf.rect(60, 0, 8, height, stroke=0, fill=1)
    pdf.setStrokeColor(HexColor(layout.frame))
    pdf.setLineWidth(1)
    pdf.line(110, layout.title_y - 30, width - 60, layout.title_y - 30)


def filename(certificate):
    kind = "获奖证书" if certificate.kind == Certificate.Kind.AWARD else "成绩证明"
    return f"{kind}-{certificate.holder_name}-{certificate.code}.pdf"


def bulk_job(job, progress, *, competition, layout, base_url):
    """The background job: issue the competition's certificates, render every one, and
    store them as one ZIP."""
    from jingsai.accounts.models import User
    from jingsai.competitions.models import Competition

    from . import services

    item = Competition.objects.select_related("host", "series").get(pk=competition)
    actor = User.objects.filter(pk=job.created_by_id).first()
    certificates = services.issue_certificates(actor, item, layout=layout)
    total = len(certificates)
    progress(0, total, _("Rendering certificates"), force=True)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for done, certificate in enumerate(certificates, 1):
            archive.writestr(filename(certificate), render(certificate, base_url))
            progress(done, total, _("Rendering certificates"))
    jobs.save_file(job, f"{item.code}-证书.zip", buffer.getvalue())
    progress(total, total, force=True)
    return {"summary": _("%(count)s certificates rendered.") % {"count": total}, "count": total}


def start_bulk(actor, competition, *, layout, base_url):
    if layout not in LAYOUTS:
        from jingsai.core.errors import UserError

        raise UserError(_("Unknown certificate layout “%(layout)s”.") % {"layout": layout}, code="layout")
    return jobs.start(
        kind="results.certificates", title=_("Certificates of %(competition)s") % {"competition": competition.name},
        func="jingsai.results.certificates.bulk_job", actor=actor,
        params={"competition": competition.pk, "layout": layout, "base_url": base_url},
    )
