"""Certificates: PDFs whose Chinese is drawn with the embedded CJK font (checked on the
rendered image, against a control without it), QR verification, revocation, the ZIP job."""

import io
import subprocess
import zipfile
from pathlib import Path

import pytest
import reportlab
from django.urls import reverse
from PIL import Image
from pypdf import PdfReader
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

from jingsai.core.errors import UserError
from jingsai.core.models import Job
from jingsai.results import certificates, services
from jingsai.results.models import Certificate
from tests import factories
from tests.results import factories as rf
from tests.results.helpers import end_publicity

pytestmark = pytest.mark.django_db
BASE = "http://testserver/"


@pytest.fixture
def final():
    orgs = factories.tree()
    competition = rf.competition(orgs["A"])
    entries = rf.scored(competition, [(90, 90), (80, 85), (70, 60), (50, 50)], unit=orgs["unit_a"],
                        names=["张三", "欧阳修远", "李四", "王五"])
    stage = competition.stages.get()
    services.compute(None, stage)
    services.publish(None, stage)
    end_publicity(stage)
    services.finalize(None, stage)
    return {"orgs": orgs, "competition": competition, "entries": entries, "stage": stage}


# --------------------------------------------------------------------- rendering


def rasterize(pdf, tmp_path, dpi=100):
    path = Path(tmp_path) / "c.pdf"
    path.write_bytes(pdf)
    subprocess.run(["pdftoppm", "-r", str(dpi), "-png", "-singlefile", str(path), str(path.with_suffix(""))],
                   check=True)
    return Image.open(path.with_suffix(".png")).convert("L")


def title_glyphs(image, layout, dpi=100):
    """The glyphs of the title row, as ink masks cut where blank columns separate them."""
    scale = dpi / 72
    width, height = layout.pagesize
    size = layout.title_size
    top = int((height - layout.title_y - size) * scale)
    bottom = int((height - layout.title_y + size * 0.3) * scale)
    # the title is centred; the frame lines at the page's edges are left out
    row = image.crop((int((width / 2 - 4 * size) * scale), top, int((width / 2 + 4 * size) * scale), bottom))
    ink = [[row.getpixel((x, y)) < 200 for y in range(row.height)] for x in range(row.width)]
    glyphs, current = [], []
    for column in ink:
        if any(column):
            current.append(column)
        elif current:
            glyphs.append(current)
            current = []
    return glyphs


def distinct_shapes(glyphs):
    """True when the title shows different glyphs: tofu boxes (a missing font) are all
    alike, and a missing font may draw nothing at all."""
    if len(glyphs) < 2:
        return False
    shapes = {tuple(tuple(column) for column in glyph) for glyph in glyphs}
    return len(shapes) == len(glyphs) and sum(sum(map(sum, g)) for g in glyphs) > 200


@pytest.mark.parametrize("layout", sorted(certificates.LAYOUTS))
def test_chinese_is_drawn_with_the_embedded_font_not_boxes(final, tmp_path, layout, monkeypatch):
    [certificate] = [c for c in services.issue_certificates(None, final["competition"], layout=layout)
                     if c.kind == "award" and c.rank == 1]
    pdf = certificates.render(certificate, BASE)

    reader = PdfReader(io.BytesIO(pdf))
    fonts = [f.get_object() for f in reader.pages[0]["/Resources"]["/Font"].values()]
    embedded = [f for f in fonts if "/FontDescriptor" in f and "/FontFile2" in f["/FontDescriptor"]]
    assert embedded, "the CJK font must be embedded in the PDF"
    text = subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True).stdout.decode()
    assert "获奖证书" in text and "张三" in text and "一等奖" in text

    spec = certificates.LAYOUTS[layout]
    assert distinct_shapes(title_glyphs(rasterize(pdf, tmp_path), spec))

    # The same page with a font that has no Chinese glyphs fails the check: it would catch
    # a certificate printed in boxes.
    vera = Path(reportlab.__file__).parent / "fonts" / "Vera.ttf"
    pdfmetrics.registerFont(TTFont("NoChinese", str(vera)))
    monkeypatch.setattr(certificates, "cjk_font", lambda: "NoChinese")
    control = certificates.render(certificate, BASE)
    assert not distinct_shapes(title_glyphs(rasterize(control, tmp_path), spec))


def test_the_qr_code_leads_to_the_verification_page(final, monkeypatch):
    [certificate, *_rest] = services.issue_certificates(None, final["competition"], layout="classic")
    drawn = []
    real = certificates._qr
    monkeypatch.setattr(certificates, "_qr", lambda pdf, url, *args: drawn.append(url) or real(pdf, url, *args))
    certificates.render(certificate, "https://jingsai.example.org/")
    assert drawn == [f"https://jingsai.example.org/verify/{certificate.code}/"]


# --------------------------------------------------------------------- issuing


def test_issue_an_award_certificate_per_award_and_a_certificate_of_results_per_ranked(final):
    issued = services.issue_certificates(None, final["competition"], layout="classic")
    kinds = sorted((c.holder_name, c.kind) for c in issued)
    assert kinds == [("张三", "award"), ("张三", "score"), ("李四", "award"), ("李四", "score"),
                     ("欧阳修远", "award"), ("欧阳修远", "score"), ("王五", "score")]
    codes = {c.pk: c.code for c in issued}
    again = services.issue_certificates(None, final["competition"], layout="modern")
    assert {c.pk: c.code for c in again} == codes  # numbers never change
    assert {c.layout for c in again} == {"modern"}
    assert len(set(codes.values())) == 7 and all(len(code) == 12 for code in codes.values())


def test_certificates_need_final_results():
    orgs = factories.tree()
    competition = rf.competition(orgs["A"])
    rf.scored(competition, [(90, 90)], unit=orgs["unit_a"])
    services.compute(None, competition.stages.get())
    with pytest.raises(UserError) as error:
        services.issue_certificates(None, competition, layout="classic")
    assert error.value.code == "not_final"


def test_revocation_needs_a_reason(final):
    [certificate, *_rest] = services.issue_certificates(None, final["competition"], layout="classic")
    with pytest.raises(UserError):
        services.revoke_certificate(None, certificate, reason="")
    services.revoke_certificate(None, certificate, reason="成绩复核后更正")
    with pytest.raises(UserError):
        services.revoke_certificate(None, certificate, reason="again")


# --------------------------------------------------------------------- verification


def test_verification_of_valid_revoked_and_unknown_codes(final, client):
    issued = services.issue_certificates(None, final["competition"], layout="classic")
    valid = next(c for c in issued if c.holder_name == "欧阳修远" and c.kind == "award")
    page = client.get(reverse("results_public:verify", args=[valid.code])).content.decode()
    assert 'data-verdict="valid"' in page and "欧阳**" in page and "欧阳修远" not in page
    assert final["competition"].name in page and "二等奖" in page
    assert valid.person.id_number not in page

    revoked = next(c for c in issued if c.holder_name == "张三" and c.kind == "award")
    services.revoke_certificate(None, revoked, reason="成绩复核后更正")
    page = client.get(reverse("results_public:verify", args=[revoked.code])).content.decode()
    assert 'data-verdict="revoked"' in page and "成绩复核后更正" in page and "已被撤销" in page

    response = client.get(reverse("results_public:verify", args=["NOSUCHCODE22"]))
    assert response.status_code == 404
    assert 'data-verdict="unknown"' in response.content.decode() and "查无此证" in response.content.decode()
    # Codes typed by hand: spaces and lower case are forgiven.
    response = client.get(reverse("results_public:verify_form"), {"code": valid.code[:6].lower() + " " +
                                                                  valid.code[6:]})
    assert response.status_code == 302 and response["Location"].endswith(f"/verify/{valid.code}/")


def test_the_api_verifies_without_logging_in(final, client):
    [certificate, *_rest] = services.issue_certificates(None, final["competition"], layout="classic")
    data = client.get(f"/api/results/verify/{certificate.code}").json()
    assert data["verdict"] == "valid" and data["holder"] == "张*"
    assert client.get("/api/results/verify/NOSUCHCODE22").status_code == 404


# --------------------------------------------------------------------- bulk and downloads


def test_the_bulk_job_renders_every_certificate_into_a_zip(final, run_jobs):
    user = factories.user(role="organizer", org=final["orgs"]["A"])
    with run_jobs():
        job = certificates.start_bulk(user, final["competition"], layout="modern", base_url=BASE)
    job = Job.objects.get(pk=job.pk)
    assert job.status == "succeeded", job.error
    assert job.result["count"] == 7 and job.done == 7 and job.total == 7
    archive = zipfile.ZipFile(Path(job_path(job)))
    names = archive.namelist()
    assert len(names) == 7 and all(n.endswith(".pdf") for n in names)
    assert any(n.startswith("获奖证书-张三-") for n in names)
    assert archive.read(names[0]).startswith(b"%PDF")
    assert Certificate.objects.filter(competition=final["competition"], issued_by=user).count() == 7


def job_path(job):
    from jingsai.core import jobs

    return jobs.result_path(job)


def test_workers_download_their_own_certificates(final, client):
    issued = services.issue_certificates(None, final["competition"], layout="classic")
    mine = next(c for c in issued if c.holder_name == "张三")
    other = next(c for c in issued if c.holder_name == "李四")
    worker = factories.user(person=final["entries"][0].person)
    client.force_login(worker)
    page = client.get(reverse("results:mine")).content.decode()
    assert mine.code in page and other.code not in page
    response = client.get(reverse("results:certificate_pdf", args=[mine.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert client.get(reverse("results:certificate_pdf", args=[other.pk])).status_code == 403
