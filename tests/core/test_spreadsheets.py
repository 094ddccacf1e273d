import datetime
import io
import re
import zipfile
from decimal import Decimal

import openpyxl
import pytest
import xlwt

from jingsai.core import spreadsheets as sheets
from jingsai.core.errors import Problem, Rejected
from jingsai.core.spreadsheets import Column, NumberIdCell

COLUMNS = [Column("code", "编码", required=True), Column("name", "名称", required=True), Column("count", "人数")]


def xlsx(rows):
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def xls(rows):
    book = xlwt.Workbook()
    sheet = book.add_sheet("Sheet1")
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            sheet.write(r, c, value)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


ROWS = [["编码", "名称", "人数"], ["A-1", "甲企业", 85.555], ["A-2", "乙企业", 12]]


@pytest.mark.parametrize("data", [xlsx(ROWS), xls(ROWS), sheets.xlsx_bytes(["编码", "名称", "人数"], ROWS[1:])])
def test_workbooks_read_as_displayed(data):
    table = sheets.read_table(data, "x.xlsx")
    assert table.headers == ["编码", "名称", "人数"]
    rows = [cells for _n, cells in table.data_rows()]
    assert sheets.text(rows[0][0]) == "A-1"
    assert sheets.decimal(rows[0][2]) == Decimal("85.555")
    assert sheets.text(rows[1][2]) == "12"


def test_xls_by_its_name_and_its_content():
    assert sheets.read_table(xls(ROWS), "orgs.xls").headers[0] == "编码"
    assert sheets.read_table(xls(ROWS), "upload").headers[0] == "编码"  # OLE signature


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-8", "gbk"])
def test_csv_in_utf8_with_or_without_bom_and_gbk(encoding):
    data = "编码,名称,人数\nA-1,甲企业,12\n".encode(encoding)
    table = sheets.read_table(data, "orgs.csv")
    assert table.headers == ["编码", "名称", "人数"]
    assert table.rows[0] == ["A-1", "甲企业", "12"]


def test_csv_that_is_no_known_encoding():
    with pytest.raises(Rejected) as caught:
        sheets.read_table(b"\xff\xfe\x00\xd8\x00\xdc" * 3, "x.csv")
    assert caught.value.code == "unreadable"


@pytest.mark.parametrize(("data", "name", "words"), [
    (b"", "orgs.xlsx", "文件为空"),
    (b"%PDF-1.4 something", "orgs.pdf", ".pdf"),
    (b"PK\x03\x04 but not a workbook", "orgs.xlsx", ".xlsx"),
])
def test_unreadable_files_say_why(data, name, words):
    with pytest.raises(Rejected) as caught:
        sheets.read_table(data, name)
    assert words in caught.value.message
    assert caught.value.problems[0].code == "unreadable"


def test_an_empty_sheet():
    with pytest.raises(Rejected, match="工作表为空"):
        sheets.read_table(xlsx([]), "x.xlsx")


def test_columns_matched_by_chinese_or_key_ignoring_case_and_spaces():
    table = sheets.Table(headers=[" CODE ", "名称", "序号"], rows=[])
    mapping, problems = sheets.match_columns(table, COLUMNS)
    assert mapping == {"code": 0, "name": 1}
    assert problems == []


def test_unknown_missing_and_repeated_columns_are_all_reported():
    table = sheets.Table(headers=["编码", "code", "颜色"], rows=[])
    _mapping, problems = sheets.match_columns(table, COLUMNS)
    codes = sorted(p.code for p in problems)
    assert codes == ["duplicate_column", "missing_column", "unknown_column"]
    assert all(p.row == 1 for p in problems)


@pytest.mark.parametrize(("value", "shown"), [
    (85.555, "85.555"), (0.1 + 0.2, "0.30000000000000004"), (3.0, "3"), (12, "12"),
    (True, "TRUE"), (" 甲 ", "甲"), (None, ""), (datetime.date(2026, 5, 1), "2026-05-01"),
])
def test_text_is_what_the_cell_displays(value, shown):
    assert sheets.text(value) == shown


def test_decimal_and_integer_readers():
    assert sheets.decimal(" 1,234.50 ") == Decimal("1234.50")
    assert sheets.integer(320.0) == 320
    for bad in ("abc", "NaN", "Infinity", True):
        with pytest.raises(ValueError):
            sheets.decimal(bad)
    with pytest.raises(ValueError):
        sheets.integer(12.5)


def test_dates():
    assert sheets.date("2026/05/01") == datetime.date(2026, 5, 1)
    assert sheets.date("20260501") == datetime.date(2026, 5, 1)
    assert sheets.date(datetime.datetime(2026, 5, 1, 8)) == datetime.date(2026, 5, 1)
    with pytest.raises(ValueError):
        sheets.date("明天")


class TestIdText:
    def test_text_cells_pass_through(self):
        assert sheets.id_text(" 11010519491231002X ") == "11010519491231002X"

    def test_an_18_digit_number_cell_is_refused(self):
        with pytest.raises(NumberIdCell) as caught:
            sheets.id_text(110105194912310021.0)
        assert caught.value.code == "number"
        assert "15" in caught.value.message

    def test_a_number_cell_that_lost_its_x(self):
        with pytest.raises(NumberIdCell) as caught:
            sheets.id_text(11010519491231002.0)
        assert caught.value.code == "lost_x"
        assert "11010519491231002" in caught.value.message

    def test_an_integer_cell_too(self):
        with pytest.raises(NumberIdCell):
            sheets.id_text(110105194912310021)

    @pytest.mark.parametrize("raw", ["1.10105E+17", "1.10105194912310E+17", "1.1e17"])
    def test_scientific_notation_in_text(self, raw):
        with pytest.raises(NumberIdCell) as caught:
            sheets.id_text(raw)
        assert caught.value.code == "number"

    def test_a_short_number_cell_is_exact_and_judged_as_typed(self):
        assert sheets.id_text(110105491231002.0) == "110105491231002"

    def test_from_a_real_workbook(self):
        data = xlsx([["身份证号"], [110105194912310021], ["11010519491231002X"], [11010519491231002]])
        cells = [c[0] for _n, c in sheets.read_table(data, "x.xlsx").data_rows()]
        with pytest.raises(NumberIdCell):
            sheets.id_text(cells[0])
        assert sheets.id_text(cells[1]) == "11010519491231002X"
        with pytest.raises(NumberIdCell) as caught:
            sheets.id_text(cells[2])
        assert caught.value.code == "lost_x" and "X" in caught.value.message


def test_blank_rows_are_skipped_and_numbered_as_in_the_sheet():
    table = sheets.read_table(xlsx([["编码", "名称"], ["A", "甲"], [None, None], ["B", "乙"]]), "x.xlsx")
    assert [n for n, _c in table.data_rows()] == [2, 4]


def test_the_error_file_keeps_every_row_and_adds_the_messages():
    table = sheets.read_table(xlsx([["编码", "名称"], ["A", "甲"], ["B!", "乙"]]), "x.xlsx")
    data = sheets.problems_xlsx(table, {3: ["编码不对"], 1: ["缺少列"]})
    back = sheets.read_table(data, "errors.xlsx")
    assert back.headers[:2] == ["编码", "名称"]
    assert len(back.headers) == 3
    texts = [[sheets.text(c) for c in row] for row in back.rows]
    assert texts[0][2] == "缺少列"
    assert texts[1][:2] == ["A", "甲"] and texts[1][2] == ""
    assert texts[2] == ["B!", "乙", "编码不对"]


def test_written_text_columns_stay_text():
    data = sheets.xlsx_bytes([Column("id", "身份证号", text=True)], [["110105194912310021"]])
    cell = sheets.read_table(data, "x.xlsx").rows[0][0]
    assert cell == "110105194912310021"


def test_several_messages_in_one_cell_do_not_double_the_punctuation():
    table = sheets.read_table(xlsx([["编码", "名称"], ["B!", ""]]), "x.xlsx")
    problems = [Problem("编码只能含字母和数字。", row=2, column="编码"),
                Problem("名称不能为空。", row=2, column="名称")]
    back = sheets.read_table(sheets.problems_xlsx(table, sheets.problems_by_row(problems)), "errors.xlsx")
    assert sheets.text(back.rows[0][2]) == "编码只能含字母和数字；名称不能为空。"
    with_column = sheets.problems_by_row(problems, with_column=True)
    assert with_column == {2: ["编码：编码只能含字母和数字。", "名称：名称不能为空。"]}


def test_times_are_written_in_the_local_time_the_pages_show():
    moment = datetime.datetime(2026, 12, 6, 20, 13, tzinfo=datetime.UTC)  # 04:13 the next day in Beijing
    data = sheets.xlsx_bytes([Column("at", "开始"), Column("day", "日期")],
                             [[moment, datetime.date(2026, 12, 7)], [datetime.datetime(2026, 1, 2, 3, 4), None]])
    rows = sheets.read_table(data, "x.xlsx").rows
    assert sheets.text(rows[0][0]) == "2026-12-07 04:13" and sheets.text(rows[0][1]) == "2026-12-07"
    assert sheets.text(rows[1][0]) == "2026-01-02 03:04"


def test_number_cells_formatted_as_percentages_read_as_they_show_and_are_no_numbers():
    """Regression: an .xlsx cell showing 85% was read as the number 0.85 it holds, so a
    score, a count or points taken from it were silently a hundredth of what the sheet
    showed. It now reads as the text "85%" and is refused as a number, as in a CSV. A
    format with a % in quotes only shows the sign, and stays a number."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["编码", "名称", "人数", "比例", "字面"])
    sheet.append(["A-1", "甲企业", 0.855, 1, 85])
    sheet["C2"].number_format = "0.00%"
    sheet["D2"].number_format = "0%"
    sheet["E2"].number_format = '0"%"'
    sheet.append(["A-2", "乙企业", 12, 0.5, 7])  # row 3 plain: a style is per cell
    other = book.create_sheet("另一页")
    other["C2"] = 0.5
    other["C2"].number_format = "0%"
    out = io.BytesIO()
    book.save(out)
    table = sheets.read_table(out.getvalue(), "a.xlsx")
    first, second = table.rows
    assert [sheets.text(v) for v in first] == ["A-1", "甲企业", "85.5%", "100%", "85"]
    for value in first[2:4]:
        with pytest.raises(ValueError):
            sheets.decimal(value)
    assert sheets.decimal(first[4]) == Decimal("85")
    assert [sheets.decimal(v) for v in second[2:]] == [Decimal("12"), Decimal("0.5"), Decimal("7")]


def test_xls_cells_formatted_as_percentages_read_as_they_show_and_are_no_numbers():
    """Regression: only an .xlsx's percentage cells were found; an .xls (Excel 97–2003, and
    WPS's default) showing 85% gave the number 0.85, so a score typed into a percentage
    column was silently a hundredth of what the sheet showed."""
    book = xlwt.Workbook()
    sheet = book.add_sheet("成绩")
    for column, header in enumerate(["编码", "名称", "人数", "比例", "字面", "文字"]):
        sheet.write(0, column, header)
    sheet.write(1, 0, "A-1")
    sheet.write(1, 2, 0.855, xlwt.easyxf(num_format_str="0.00%"))
    sheet.write(1, 3, 1, xlwt.easyxf(num_format_str="0.0%;[Red]-0.0%"))
    sheet.write(1, 4, 85, xlwt.easyxf(num_format_str='0"%"'))  # only shows the sign: a number
    sheet.write(1, 5, "12%", xlwt.easyxf(num_format_str="0%"))  # text in a percentage column stays text
    sheet.write(2, 2, 12)
    sheet.write(2, 3, 0.5)  # a style is per cell
    book.add_sheet("另一页").write(2, 2, 0.5, xlwt.easyxf(num_format_str="0%"))
    out = io.BytesIO()
    book.save(out)
    first, second = sheets.read_table(out.getvalue(), "a.xls").rows
    assert [sheets.text(v) for v in first] == ["A-1", "", "85.5%", "100%", "85", "12%"]
    for value in first[2:4]:
        with pytest.raises(sheets.PercentValue):
            sheets.decimal(value)
    assert sheets.decimal(first[4]) == Decimal("85")
    assert [sheets.decimal(v) for v in second[2:4]] == [Decimal("12"), Decimal("0.5")]


ODS_CONTENT = """<?xml version="1.0" encoding="UTF-8"?>
<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"
  xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0"
  xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">
<office:body><office:spreadsheet><table:table table:name="成绩">
<table:table-column table:number-columns-repeated="5"/>
<table:table-header-rows><table:table-row>{headers}</table:table-row></table:table-header-rows>
<table:table-row><table:table-cell office:value-type="string"><text:p>A-1</text:p></table:table-cell>
 <table:table-cell table:number-columns-spanned="2" office:value-type="string"><text:p>甲</text:p></table:table-cell>
 <table:covered-table-cell/>
 <table:table-cell office:value-type="percentage" office:value="0.855"><text:p>85.50%</text:p></table:table-cell>
 <table:table-cell office:value-type="float" office:value="85"><text:p>85</text:p></table:table-cell></table:table-row>
<table:table-row table:number-rows-repeated="2"><table:table-cell office:value-type="string"><text:p>A-2</text:p>
 </table:table-cell><table:table-cell office:value-type="percentage" office:value="0.5"
 table:number-columns-repeated="2"><text:p>50%</text:p></table:table-cell>
 <table:table-cell office:value-type="float" office:value="0.5"/>
 <table:table-cell office:value-type="string"><text:p>12%</text:p></table:table-cell></table:table-row>
<table:table-row table:number-rows-repeated="1048572"><table:table-cell table:number-columns-repeated="1024"/>
</table:table-row>
</table:table><table:table table:name="另一页"><table:table-row>
<table:table-cell office:value-type="percentage" office:value="0.1"/></table:table-row></table:table>
</office:spreadsheet></office:body></office:document-content>"""


def ods(content):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as package:
        package.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        package.writestr("META-INF/manifest.xml", (
            '<?xml version="1.0" encoding="UTF-8"?><manifest:manifest xmlns:manifest='
            '"urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2"><manifest:file-entry '
            'manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
            '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
            "</manifest:manifest>"))
        # On one line, as LibreOffice writes it (calamine does not read spaces between the cells).
        package.writestr("content.xml", re.sub(r">\s+<", "><", content))
    return out.getvalue()


def test_ods_cells_formatted_as_percentages_read_as_they_show_and_are_no_numbers():
    """Regression: an .ods (LibreOffice's own format) showing 85% gave the number 0.85. The
    cells are placed as calamine places them: merged (covered) cells take their column,
    repeated cells and rows stand for that many, header rows are rows."""
    headers = "".join(f'<table:table-cell office:value-type="string"><text:p>{h}</text:p></table:table-cell>'
                      for h in ["编码", "名称", "空", "比例", "人数"])
    table = sheets.read_table(ods(ODS_CONTENT.format(headers=headers)), "a.ods")
    assert table.headers == ["编码", "名称", "空", "比例", "人数"]
    first, second, third = table.rows
    assert [sheets.text(v) for v in first] == ["A-1", "甲", "", "85.5%", "85"]
    assert [sheets.text(v) for v in second] == [sheets.text(v) for v in third] == ["A-2", "50%", "50%", "0.5", "12%"]
    with pytest.raises(sheets.PercentValue):
        sheets.integer(second[1])
    assert sheets.decimal(first[4]) == Decimal("85") and sheets.decimal(third[3]) == Decimal("0.5")


def test_a_percentage_cell_refused_as_a_number_says_what_it_shows_and_holds():
    error = sheets.PercentValue(sheets.PercentCell(0.855))
    assert (error.shown, error.held) == ("85.5%", "0.855")
    assert "85.5%" in error.message and "0.855" in error.message
    assert sheets.number_message(error, "the column's own") == error.message
    assert sheets.number_message(ValueError("x"), "the column's own") == "the column's own"


@pytest.mark.parametrize("code, percent", [("0%", True), ("0.0%;[Red]-0.0%", True), ('0"%"', False),
                                           ("0\\%", False), ("[$%-804]0", False), ("General", False)])
def test_which_number_formats_show_a_percentage(code, percent):
    assert sheets._shows_percent(code) is percent


SHEET = ('<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
         '<row r="2"><c r="A2" s="3"><v>0.5</v></c><c r="B2" s="3" t="s"><v>0</v></c><c r="C2" s="13"><v>1</v></c>'
         "<c r='AB2' t='n' s='3'><v>1</v></c></row></sheetData></worksheet>")


@pytest.mark.parametrize("xml, found", [
    (SHEET, [(1, 0), (1, 27)]),
    (SHEET.replace(' r="A2"', "").replace(' r="2"', ""), [(0, 0), (0, 27)]),  # now the first row
])
def test_percent_cells_are_found_by_reference_or_by_position(xml, found):
    """The tags' scan finds number cells of the style, in either quotes, and skips text cells
    and other styles; a cell without its reference is placed by the parser instead."""
    assert sheets._styled_cells(xml.encode(), {"3"}) == found


def test_a_part_declaring_entities_is_not_parsed():
    laughs = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><styleSheet>&a;</styleSheet>'
    with pytest.raises(ValueError):
        sheets._xml(laughs)
    assert sheets._xml(b'<?xml version="1.0"?><!-- a comment --><styleSheet/>').tag == "styleSheet"


def test_the_error_file_shows_a_percentage_cell_as_the_person_typed_it():
    """Regression: a cell formatted as a percentage is refused as a number ("85%"), but the
    file of problems written back (problems_xlsx) held the bare 0.85 in a column formatted as
    text: the person saw 0.85 beside "must be a number" instead of the 85% they typed."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["身份证号", "theory"])
    sheet.append(["110101199001011234", 0.85])
    sheet["B2"].number_format = "0%"
    out = io.BytesIO()
    book.save(out)
    table = sheets.read_table(out.getvalue(), "a.xlsx")
    written = sheets.problems_xlsx(table, {2: ["成绩必须是数字。"]})
    back = sheets.read_table(written, "errors.xlsx")
    assert [sheets.text(v) for v in back.rows[0]] == ["110101199001011234", "85%", "成绩必须是数字。"]
