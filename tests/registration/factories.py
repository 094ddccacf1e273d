"""Builders for registration tests: a competition open for registration in the test city,
and registration files in memory."""

import datetime

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from jingsai.core import idnumber
from jingsai.core import spreadsheets as sheets
from jingsai.registration import columns as cols
from tests import factories

HEADERS = ["姓名", "身份证号", "手机号", "单位编码", "职业技能等级", "身份类别", "人员类别"]
_serial = iter(range(1, 10**6))


def new_id(birth=datetime.date(1990, 5, 17), region="310104"):
    """A valid identity number nobody in the test database holds yet (tests.factories
    makes people from the same range of numbers, so a taken one is skipped)."""
    from jingsai.people import services as people_services

    while True:
        serial = next(_serial)
        number = idnumber.make(region, birth + datetime.timedelta(days=serial // 1000), serial % 1000)
        if not people_services.find_by_id_number(number):
            return number


def open_competition(host, code=None, *, closes_in_days=10, starts_in_days=30, **overrides):
    """A competition whose registration is open now (dates on the model columns, as the
    competitions app keeps them)."""
    competition = factories.competition(code, host=host, status="registration_open", **overrides)
    now = timezone.now()
    competition.registration_opens = now - datetime.timedelta(days=1)
    competition.registration_closes = now + datetime.timedelta(days=closes_in_days)
    competition.starts_at = now + datetime.timedelta(days=starts_in_days)
    competition.save()
    return competition


def xlsx(rows, headers=HEADERS):
    """An .xlsx (XlsxWriter, as Excel writes it: shared strings) with the identity column
    stored as text."""
    columns = [sheets.Column(h, h, text=h in ("身份证号", "手机号", "单位编码")) for h in headers]
    return sheets.xlsx_bytes(columns, rows)


def upload(rows, headers=HEADERS, name="报名.xlsx"):
    return SimpleUploadedFile(name, xlsx(rows, headers))


def row(unit, name=None, id_number=None, phone="", level="", status="", groups=""):
    name = f"工人{next(_serial)}" if name is None else name
    return [name, id_number or new_id(), phone, unit.code, level, status, groups]


EXAMPLE_ID = cols.EXAMPLE_ID
