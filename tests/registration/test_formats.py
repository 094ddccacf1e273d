"""Files from Excel (XlsxWriter writes what Excel writes), openpyxl, LibreOffice (.xlsx,
.xls, .ods), CSV in UTF-8 (with Excel's BOM) and in GBK; identity numbers a spreadsheet
turned into numbers are reported, never guessed."""

import csv
import io
from pathlib import Path

import openpyxl
import pytest

from jingsai.core import spreadsheets as sheets
from jingsai.core.errors import Rejected
from jingsai.registration import importing
from jingsai.registration.models import Entry
from tests.registration import factories as reg

pytestmark = pytest.mark.django_db
FILES = Path(__file__).parent / "files"
IDS = ["310104198803090119", "310104199207010244", "11010519851230397X"]
ROWS = [
    ["李明", IDS[0], "13812345678", "EA", "三级/高级工", "职工", "农民工"],
    ["王芳", IDS[1], "", "EA", "4", "", ""],
    ["欧阳修远", IDS[2], "13900001111", "EA", "无", "职工", "新就业形态, 青年职工"],
]


def import_bytes(city, data, filename):
    table = sheets.read_table(data, filename)
    return importing.import_table(city["organizer"], city["competition"], city["stage"], table, filename=filename)


def check_registered():
    people = {e.person.name: e for e in Entry.objects.select_related("person")}
    assert set(people) == {"李明", "王芳", "欧阳修远"}
    assert people["欧阳修远"].person.id_number == IDS[2]
    assert people["王芳"].level == 4 and people["李明"].level == 3
    assert sorted(people["欧阳修远"].person.groups.values_list("name", flat=True)) == ["新就业形态", "青年职工"]


def openpyxl_bytes(rows):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(reg.HEADERS)
    for row in rows:
        sheet.append(row)
    for cell in sheet["B"]:
        cell.number_format = "@"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def csv_bytes(rows, encoding, bom=False):
    text = io.StringIO()
    csv.writer(text).writerows([reg.HEADERS, *rows])
    return (b"\xef\xbb\xbf" if bom else b"") + text.getvalue().encode(encoding)


@pytest.mark.parametrize(("filename", "make"), [
    ("excel.xlsx", lambda: reg.xlsx(ROWS)),
    ("openpyxl.xlsx", lambda: openpyxl_bytes(ROWS)),
    ("libreoffice.xlsx", lambda: (FILES / "libreoffice.xlsx").read_bytes()),
    ("libreoffice.xls", lambda: (FILES / "libreoffice.xls").read_bytes()),
    ("libreoffice.ods", lambda: (FILES / "libreoffice.ods").read_bytes()),
    ("utf8-bom.csv", lambda: csv_bytes(ROWS, "utf-8", bom=True)),
    ("utf8.csv", lambda: csv_bytes(ROWS, "utf-8")),
    ("gbk.csv", lambda: csv_bytes(ROWS, "gbk")),
])
def test_every_format_imports(city, filename, make):
    summary = import_bytes(city, make(), filename)
    assert summary["entries_created"] == 3
    check_registered()


@pytest.mark.parametrize("filename", ["libreoffice-numbers.xls", "libreoffice-numbers.xlsx"])
def test_identity_numbers_stored_as_numbers_are_reported_not_guessed(city, filename):
    with pytest.raises(Rejected) as caught:
        import_bytes(city, (FILES / filename).read_bytes(), filename)
    problems = caught.value.problems
    assert [(p.row, p.code) for p in problems] == [(2, "id_number.lost_x"), (3, "id_number.lost_x"),
                                                   (4, "id_number.number")]
    assert "X" in str(problems[0].message) and "15" in str(problems[2].message)
    assert Entry.objects.count() == 0


def test_number_cells_written_by_excel_and_scientific_text_in_csv(city):
    rows = [["甲", 31010419880309011, "", "EA", "", "", ""], ["乙", 3.10104199207010e17, "", "EA", "", "", ""]]
    with pytest.raises(Rejected) as caught:
        import_bytes(city, reg.xlsx(rows), "numbers.xlsx")
    assert [p.code for p in caught.value.problems] == ["id_number.lost_x", "id_number.number"]
    scientific = csv_bytes([["丙", "3.10104E+17", "", "EA", "", "", ""]], "utf-8")
    with pytest.raises(Rejected) as caught:
        import_bytes(city, scientific, "excel.csv")
    assert caught.value.problems[0].code == "id_number.number"


def test_a_lower_case_x_and_full_width_digits_are_accepted(city):
    rows = [["欧阳修远", IDS[2].lower(), "", "EA", "", "", ""],
            ["李明", IDS[0].translate(str.maketrans("0123456789", "０１２３４５６７８９")), "", "EA", "", "", ""]]
    assert import_bytes(city, reg.xlsx(rows), "x.xlsx")["entries_created"] == 2


def test_an_unreadable_file_is_refused_clearly(city):
    with pytest.raises(Rejected) as caught:
        import_bytes(city, b"PK\x03\x04 not really a workbook", "broken.xlsx")
    assert caught.value.code == "unreadable"
