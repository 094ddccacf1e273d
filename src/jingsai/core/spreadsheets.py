"""Reading and writing the spreadsheets organizers live in (headless-interface.md).

Reading: the first sheet of .xlsx/.xlsm/.xls/.ods (python-calamine, which reads what Excel,
WPS and LibreOffice write) or a .csv in UTF-8 (with or without BOM) or GBK/GB18030. Row 1
holds headers, matched to columns by Chinese label or English key, case-insensitively,
ignoring surrounding spaces. A number cell is read as the decimal it displays (the shortest
decimal that round-trips the stored binary value), never the binary expansion. A number cell
formatted as a percentage (in an .xlsx, .xls or .ods) is text ("85%") and not a number, as in a
CSV.

Writing: .xlsx through XlsxWriter, streaming (constant memory), with text-formatted
identity columns so that Excel does not turn them into numbers again.
"""

import csv
import datetime
import io
import re
import zipfile
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from xml.etree import ElementTree

import python_calamine
import xlrd
import xlsxwriter
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .errors import Problem, Rejected

# Columns that people add to their sheets and that carry nothing for us.
IGNORED_HEADERS = {"序号", "编号序号", "备注", "no", "no.", "#", "remark", "remarks"}
ERROR_HEADER = gettext_lazy("Errors")

XLSX_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
SCIENTIFIC = re.compile(r"^[+-]?\d+(\.\d+)?[eE][+-]?\d+$")


@dataclass(frozen=True)
class Column:
    key: str
    label: str  # the Chinese header written in templates and exports
    required: bool = False
    aliases: tuple = ()
    text: bool = False  # written as text in templates (identity numbers, codes, phones)
    width: int = 14
    help: str = ""
    choices: tuple = ()  # offered as a drop-down in templates


@dataclass
class Table:
    """The first sheet: header row and data rows as raw cell values (row 1 = headers)."""

    headers: list
    rows: list = field(default_factory=list)

    def data_rows(self):
        """(spreadsheet row number, cells) for every row that is not entirely empty."""
        for index, cells in enumerate(self.rows, start=2):
            if any(not is_blank(cell) for cell in cells):
                yield index, cells


def is_blank(value):
    return value is None or (isinstance(value, str) and not value.strip())


def _fold(header):
    return str(header or "").strip().casefold()


class UnreadableFile(Rejected):
    def __init__(self, message):
        super().__init__(message, [Problem(message, code="unreadable")], code="unreadable")


def read_table(source, filename=""):
    """Read the first sheet of `source` (a path, bytes or a binary file object)."""
    if isinstance(source, str | Path):
        filename = filename or str(source)
        data = Path(source).read_bytes()
    elif isinstance(source, bytes):
        data = source
    else:
        data = source.read()
    if not data:
        raise UnreadableFile(_("The file is empty."))
    suffix = Path(filename).suffix.lower()
    if data.startswith(XLSX_MAGIC) or data.startswith(OLE_MAGIC) or suffix in {".xlsx", ".xlsm", ".xls", ".ods"}:
        rows = _read_workbook(data)
    elif suffix in {".csv", ".txt", ""}:
        rows = _read_csv(data)
    else:
        raise UnreadableFile(
            _("Files of type %(suffix)s cannot be read; use .xlsx, .xls, .ods or .csv.")
            % {"suffix": suffix}
        )
    if not rows:
        raise UnreadableFile(_("The first sheet is empty: it needs a header row and data rows."))
    width = max(len(r) for r in rows)
    rows = [list(r) + [""] * (width - len(r)) for r in rows]
    return Table(headers=[str(h).strip() if h is not None else "" for h in rows[0]], rows=rows[1:])


class PercentCell(float):
    """A number cell formatted as a percentage: 0.85 that the sheet shows as 85%. Read as
    text it is "85%", as the person sees it; as a number it is refused (ValueError), as
    "85%" typed into a CSV is: a score or a count of 0.85 taken from a cell that showed
    85% would be a silent misreading."""

    __slots__ = ()

    def shown(self):
        return format((shortest_decimal(self) * 100).normalize(), "f") + "%"


def _read_workbook(data):
    try:
        book = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
        if not book.sheet_names:
            return []
        rows = book.get_sheet_by_index(0).to_python(skip_empty_area=False)
    except Exception:  # calamine raises its own errors for every kind of broken file
        raise UnreadableFile(
            _(
                "The file could not be read as a spreadsheet. Save it again as .xlsx "
                "(Excel, WPS or LibreOffice) and upload that."
            )
        ) from None
    height, width = len(rows), max((len(r) for r in rows), default=0)
    for row, column in _percent_cells(data, height, width):
        if row < height and column < len(rows[row]) and isinstance(rows[row][column], float | int) \
                and not isinstance(rows[row][column], bool):
            rows[row][column] = PercentCell(rows[row][column])
    return rows


def _percent_cells(data, height, width):
    """(row, column), from 0, of the first sheet's number cells formatted as a percentage,
    within `height` rows and `width` columns. calamine gives values, not formats, so the
    formats are read here, from each kind of workbook's own parts; only when a percentage
    format exists at all. A part that cannot be read leaves the values as calamine read them
    (it has read the file already)."""
    if data.startswith(OLE_MAGIC):
        return _xls_percent_cells(data, height, width)
    if not data.startswith(XLSX_MAGIC):
        return []
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as package:
            names = set(package.namelist())
            if "xl/styles.xml" in names:
                return _xlsx_percent_cells(package, names)
            if "content.xml" in names:
                return _ods_percent_cells(package.read("content.xml"), height, width)
            return []
    except (zipfile.BadZipFile, KeyError, ValueError, ElementTree.ParseError):
        return []


# Built-in number formats that show a percentage (ECMA-376 18.8.30): 0% and 0.00%.
PERCENT_FORMATS = {9, 10}
MAIN_NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
REL_NS = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
PACKAGE_REL_NS = "{http://schemas.openxmlformats.org/package/2006/relationships}"
OFFICE_NS = "{urn:oasis:names:tc:opendocument:xmlns:office:1.0}"
TABLE_NS = "{urn:oasis:names:tc:opendocument:xmlns:table:1.0}"
CELL_REF = re.compile(r"^([A-Z]+)(\d+)$")


def _shows_percent(code):
    """Whether a number format code scales by 100: a % outside quotes and escapes."""
    code = re.sub(r'"[^"]*"|\\.|\[[^\]]*\]', "", code)
    return "%" in code


def _xlsx_percent_cells(package, names):
    """An .xlsx: the cell styles (cellXfs) whose number format shows a percentage, then the
    first sheet's number cells of those styles."""
    styles = _xml(package.read("xl/styles.xml"))
    custom = {int(f.get("numFmtId")): f.get("formatCode", "") for f in styles.iter(f"{MAIN_NS}numFmt")}
    cell_xfs = styles.find(f"{MAIN_NS}cellXfs")
    percent = set()
    for index, xf in enumerate(cell_xfs if cell_xfs is not None else []):
        number_format = int(xf.get("numFmtId", "0"))
        if number_format in PERCENT_FORMATS or _shows_percent(custom.get(number_format, "")):
            percent.add(str(index))
    if not percent:
        return []
    sheet = _first_sheet_part(package, names)
    if sheet is None:
        return []
    return _styled_cells(package.read(sheet), percent)


def _ods_percent_cells(content, height, width):
    """An .ods (OpenDocument): a cell says what its value is, and office:value-type
    "percentage" is a number shown as one. The first table's rows and cells are counted as
    calamine lays them out: covered cells (under a merged one) take their column, and a
    repeated row or cell (number-rows-repeated, number-columns-repeated) stands for that
    many, counted only as far as calamine's grid goes."""
    if b"percentage" not in content:
        return []
    _refuse_declarations(content)
    cells = {f"{TABLE_NS}table-cell", f"{TABLE_NS}covered-table-cell"}
    found, tables, row = [], 0, 0
    for event, element in ElementTree.iterparse(io.BytesIO(content), events=("start", "end")):  # noqa: S314 - see above
        if element.tag == f"{TABLE_NS}table":
            tables += 1 if event == "start" else -1
            if tables == 0:
                break  # the first sheet is read: the others do not matter
        elif element.tag == f"{TABLE_NS}table-row" and event == "end" and tables == 1:
            # A row of the sheet (a table inside a cell has its own rows, at a deeper level).
            columns, column = [], 0
            for cell in element:
                if cell.tag not in cells:
                    continue
                span = int(cell.get(f"{TABLE_NS}number-columns-repeated") or 1)
                if cell.get(f"{OFFICE_NS}value-type") == "percentage":
                    columns.extend(range(column, min(column + span, width)))
                column += span
            repeat = int(element.get(f"{TABLE_NS}number-rows-repeated") or 1)
            found.extend((r, c) for r in range(row, min(row + repeat, height)) for c in columns)
            row += repeat
            element.clear()
    return found


def _xls_percent_cells(data, height, width):
    """An .xls (BIFF, Excel 97–2003 and WPS): the cell formats (XF records) whose number
    format shows a percentage, then the first sheet's number cells of those formats, read
    with xlrd (which keeps formats where calamine does not), the sheet only when such a
    format exists."""
    try:
        book = xlrd.open_workbook(file_contents=data, formatting_info=True, on_demand=True, logfile=io.StringIO())
    except Exception:  # xlrd's own errors for every kind of file it cannot follow
        return []
    try:
        percent = {index for index, xf in enumerate(book.xf_list)
                   if not xf.is_style and xf.format_key in book.format_map
                   and _shows_percent(book.format_map[xf.format_key].format_str)}
        if not percent:
            return []
        sheet = book.sheet_by_index(0)
        return [(row, column) for row in range(min(sheet.nrows, height))
                for column in range(min(sheet.row_len(row), width))
                if sheet.cell_type(row, column) == xlrd.XL_CELL_NUMBER and sheet.cell_xf_index(row, column) in percent]
    except Exception:  # a sheet xlrd cannot follow: its values stay as calamine read them
        return []
    finally:
        book.release_resources()


def _styled_cells(xml, styles):
    """(row, column) of the number cells in a sheet's XML whose style index is in `styles`.
    A scan of the cells' opening tags, which is about ten times faster than parsing the
    sheet; a cell without its reference (r= is optional, though Excel, WPS and LibreOffice
    always write it) sends it to the parser instead."""
    choices = b"|".join(re.escape(style.encode()) for style in sorted(styles))
    tag = re.compile(rb'<(?:[\w.-]+:)?c\s[^>]*?\bs=["\'](?:' + choices + rb')["\'][^>]*>')
    found = []
    for match in tag.finditer(xml):
        attributes = match.group(0)
        kind = re.search(rb'\st=["\'](\w+)["\']', attributes)
        if kind and kind.group(1) != b"n":
            continue
        reference = re.search(rb'\sr=["\']([A-Z]+)(\d+)["\']', attributes)
        if reference is None:
            return _parsed_styled_cells(xml, styles)
        found.append((int(reference.group(2)) - 1, _column_index(reference.group(1).decode())))
    return found


def _parsed_styled_cells(xml, styles):
    _refuse_declarations(xml)
    found = []
    row, column = -1, -1
    for event, element in ElementTree.iterparse(io.BytesIO(xml), events=("start", "end")):  # noqa: S314 - see above
        if element.tag == f"{MAIN_NS}row":
            if event == "start":  # r= is optional: a row without it follows the last
                row, column = int(element.get("r") or row + 2) - 1, -1
            else:
                element.clear()
        elif element.tag == f"{MAIN_NS}c" and event == "end":
            match = CELL_REF.match(element.get("r") or "")
            column = _column_index(match.group(1)) if match else column + 1
            if element.get("s") in styles and element.get("t", "n") == "n":
                found.append((row, column))
    return found


def _refuse_declarations(xml):
    """An OOXML part never declares a DOCTYPE or entities; one that does (an entity
    expansion attack) is not parsed: ValueError, and the values stay as calamine read them."""
    root = re.search(rb"<[A-Za-z_]", xml)
    if re.search(rb"<!(?:DOCTYPE|ENTITY)", xml[:root.start() if root else len(xml)], re.IGNORECASE):
        raise ValueError("declarations in an OOXML part")


def _xml(data):
    _refuse_declarations(data)
    return ElementTree.fromstring(data)  # noqa: S314 - DOCTYPE and entity declarations are refused


def _column_index(letters):
    index = 0
    for letter in letters:
        index = index * 26 + ord(letter) - ord("A") + 1
    return index - 1


def _first_sheet_part(package, names):
    """The package part of the workbook's first sheet (the one calamine reads)."""
    workbook = _xml(package.read("xl/workbook.xml"))
    first = next(workbook.iter(f"{MAIN_NS}sheet"), None)
    if first is None:
        return None
    rel_id = first.get(f"{REL_NS}id")
    rels = _xml(package.read("xl/_rels/workbook.xml.rels"))
    for rel in rels.iter(f"{PACKAGE_REL_NS}Relationship"):
        if rel.get("Id") == rel_id:
            target = rel.get("Target", "")
            part = target.lstrip("/") if target.startswith("/") else "xl/" + target
            return part if part in names else None
    return None


def _decode_text(data):
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030")
    except UnicodeDecodeError:
        raise UnreadableFile(
            _("The CSV file is neither UTF-8 nor GBK text; save it again as CSV UTF-8.")
        ) from None


def _read_csv(data):
    text = _decode_text(data)
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",\t;")
    except csv.Error:
        dialect = csv.excel
    return list(csv.reader(io.StringIO(text), dialect))


def match_columns(table, columns):
    """Map each column key to its index in the table. Returns (mapping, problems): missing
    required columns, unknown columns and repeated columns are problems."""
    wanted = {}
    for column in columns:
        for name in (column.key, column.label, *column.aliases):
            wanted[_fold(name)] = column
    mapping, problems = {}, []
    for index, header in enumerate(table.headers):
        folded = _fold(header)
        if not folded or folded in IGNORED_HEADERS or folded == _fold(ERROR_HEADER):
            continue
        column = wanted.get(folded)
        if column is None:
            problems.append(
                Problem(
                    _("Unknown column “%(header)s”. Known columns: %(known)s.")
                    % {"header": header, "known": "、".join(c.label for c in columns)},
                    row=1, column=header, code="unknown_column",
                )
            )
        elif column.key in mapping:
            problems.append(
                Problem(
                    _("The column “%(header)s” appears twice.") % {"header": column.label},
                    row=1, column=header, code="duplicate_column",
                )
            )
        else:
            mapping[column.key] = index
    for column in columns:
        if column.required and column.key not in mapping:
            problems.append(
                Problem(
                    _("The required column “%(header)s” is missing.") % {"header": column.label},
                    row=1, column=column.label, code="missing_column",
                )
            )
    return mapping, problems


def shortest_decimal(number):
    """The decimal a spreadsheet displays for a stored binary number."""
    return Decimal(repr(float(number)))


def text(value):
    """A cell as text: numbers as they display (3.0 -> "3"), dates in ISO form."""
    if is_blank(value):
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, PercentCell):
        return value.shown()
    if isinstance(value, float | int):
        number = shortest_decimal(value)
        if number == number.to_integral_value() and abs(number) < Decimal("1e15"):
            return str(int(number))
        return format(number.normalize(), "f") if abs(number) < Decimal("1e15") else repr(float(value))
    if isinstance(value, datetime.datetime | datetime.date | datetime.time):
        return value.isoformat()
    return str(value).strip()


class PercentValue(ValueError):
    """A number cell formatted as a percentage where a number was wanted: it shows 85% and
    holds 0.85, and which the person meant cannot be told, so it is neither."""

    def __init__(self, cell):
        self.shown, self.held = cell.shown(), text(float(cell))
        super().__init__(self.shown)

    @property
    def message(self):
        return _(
            "The cell is formatted as a percentage: it shows %(shown)s and holds %(held)s. Format the "
            "column as numbers and type the number itself."
        ) % {"shown": self.shown, "held": self.held}


def number_message(error, message):
    """The message for a cell that `decimal` or `integer` refused: a percentage cell's own, or
    `message`, the column's."""
    return error.message if isinstance(error, PercentValue) else message


def decimal(value):
    """A cell as a Decimal, or ValueError (PercentValue for a percentage cell). Accepts
    numbers and text like " 85.5 "."""
    if isinstance(value, bool):
        raise ValueError("boolean")
    if isinstance(value, PercentCell):  # shown as 85%: not 0.85, and not to be guessed as 85
        raise PercentValue(value)
    if isinstance(value, float | int):
        return shortest_decimal(value)
    try:
        number = Decimal(str(value).strip().replace(",", ""))
    except InvalidOperation:
        raise ValueError(str(value)) from None
    if not number.is_finite():
        raise ValueError(str(value))
    return number


def integer(value):
    number = decimal(value)
    if number != number.to_integral_value():
        raise ValueError(str(value))
    return int(number)


def date(value):
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    raw = text(value).replace("/", "-").replace(".", "-")
    for fmt in ("%Y-%m-%d", "%Y%m%d", "%Y-%m-%dT%H:%M:%S"):
        try:
            return datetime.datetime.strptime(raw, fmt).date()
        except ValueError:
            continue
    raise ValueError(raw)


class NumberIdCell(ValueError):
    """An identity number that the spreadsheet stored as a number: digits may be lost."""

    def __init__(self, code, shown):
        self.code = code
        self.shown = shown
        super().__init__(code)

    @property
    def message(self):
        if self.code == "lost_x":
            return _(
                "The identity number was stored as a number (%(shown)s) and its final X is "
                "lost. Format the column as text and enter the full number again."
            ) % {"shown": self.shown}
        return _(
            "The identity number was stored as a number (%(shown)s): a spreadsheet keeps "
            "only 15 digits of a number, so the last digits may have changed. Format the "
            "column as text and enter the full number again."
        ) % {"shown": self.shown}


def id_text(value):
    """An identity-number cell as text, refusing numbers the spreadsheet may have altered.

    A numeric cell (or text in scientific notation, as a CSV saved by Excel holds it) is
    never turned back into digits: the digits beyond the 15th are gone, so any guess
    could name another person."""
    if isinstance(value, float | int) and not isinstance(value, bool):
        shown = text(value)
        digits = str(int(value)) if float(value).is_integer() else shown
        if len(digits) == 17:
            raise NumberIdCell("lost_x", digits)
        if len(digits) <= 15 and digits.isdigit():
            # Up to 15 digits a number cell is exact: the number (a first-generation one,
            # or a typing error) is judged and named as the person typed it.
            return digits
        raise NumberIdCell("number", shown)
    raw = text(value)
    if SCIENTIFIC.match(raw):
        raise NumberIdCell("number", raw)
    return raw


def write_xlsx(target, columns, rows, *, sheet_name="Sheet1", notes=None, error_column=False, more_sheets=()):
    """Write rows (lists in column order) to an .xlsx at `target` (path or binary file).

    `columns` are Column objects or header strings. With error_column=True, each row's last
    value is its error text, written in red under the header “Errors”. `more_sheets`,
    [(sheet name, columns, rows)], follow the first sheet in the same book."""
    book = xlsxwriter.Workbook(
        target, {"constant_memory": True, "strings_to_numbers": False, "strings_to_formulas": False}
    )
    formats = {"bold": book.add_format({"bold": True, "bg_color": "#E8EEF7", "border": 1}),
               "as_text": book.add_format({"num_format": "@"}),
               "red": book.add_format({"font_color": "#B00020", "text_wrap": True})}
    _write_sheet(book, formats, sheet_name, columns, rows, error_column)
    for name, more_columns, more_rows in more_sheets:
        _write_sheet(book, formats, name, more_columns, more_rows, False)
    if notes:
        note_sheet = book.add_worksheet(str(gettext_lazy("Instructions"))[:31])
        note_sheet.set_column(0, 0, 100)
        for r, line in enumerate(notes):
            note_sheet.write_string(r, 0, str(line))
    book.close()


def _write_sheet(book, formats, sheet_name, columns, rows, error_column):
    sheet = book.add_worksheet(sheet_name[:31])
    bold, as_text, red = formats["bold"], formats["as_text"], formats["red"]
    columns = [c if isinstance(c, Column) else Column(key=str(c), label=str(c)) for c in columns]
    headers = [c.label for c in columns] + ([str(ERROR_HEADER)] if error_column else [])
    for col, column in enumerate(columns):
        sheet.set_column(col, col, column.width, as_text if column.text else None)
        if column.choices:
            sheet.data_validation(
                1, col, 1_048_575, col,
                {"validate": "list", "source": list(column.choices), "ignore_blank": True},
            )
    if error_column:
        sheet.set_column(len(columns), len(columns), 60, red)
    sheet.write_row(0, 0, headers, bold)
    for col, column in enumerate(columns):
        if column.help:
            sheet.write_comment(0, col, str(column.help))
    sheet.freeze_panes(1, 0)
    for r, row in enumerate(rows, start=1):
        for c, value in enumerate(row):
            if value is None or value == "":
                continue
            if isinstance(value, str):
                sheet.write_string(r, c, value)
            elif isinstance(value, bool):
                sheet.write_boolean(r, c, value)
            elif isinstance(value, Decimal):
                sheet.write_number(r, c, float(value))
            elif isinstance(value, int | float):
                sheet.write_number(r, c, value)
            elif isinstance(value, datetime.datetime):
                # Stored in UTC: written in the local time the pages show.
                local = timezone.localtime(value) if timezone.is_aware(value) else value
                sheet.write_string(r, c, local.strftime("%Y-%m-%d %H:%M"))
            elif isinstance(value, datetime.date):
                sheet.write_string(r, c, value.isoformat())
            else:
                sheet.write_string(r, c, str(value))


def xlsx_bytes(columns, rows, **kwargs):
    buffer = io.BytesIO()
    write_xlsx(buffer, columns, rows, **kwargs)
    return buffer.getvalue()


def error_filename(upload_name):
    """The name of a rejected upload's file with the error column: 错误-<name>.xlsx."""
    return f"错误-{upload_name.rsplit('.', 1)[0]}.xlsx"


def problems_by_row(problems, *, with_column=False):
    """Problems (core.errors.Problem) as {row: [message, ...]} for problems_xlsx; problems of
    no row go to the header row (1). `with_column` puts the column's name before each message."""
    by_row = {}
    for problem in problems:
        prefix = f"{problem.column}：" if with_column and problem.column else ""
        by_row.setdefault(problem.row or 1, []).append(f"{prefix}{problem.message}")
    return by_row


def _join_messages(messages):
    """One cell for several messages: "甲；乙。", never "甲。；乙。" (a message keeps its own
    last full stop; only the ones before a "；" lose theirs)."""
    texts = [t for t in (str(m).strip() for m in messages) if t]
    return "；".join([t.rstrip("。") for t in texts[:-1]] + texts[-1:])


def problems_xlsx(table, problems_by_row, **kwargs):
    """The uploaded table written back with an error column: every original row, its
    problems (if any) in the last column, so the person fixes the file they know."""
    rows = []
    for index, cells in enumerate(table.rows, start=2):
        messages = problems_by_row.get(index, [])
        rows.append([_cell_out(v) for v in cells] + [_join_messages(messages)])
    header_problems = problems_by_row.get(1, [])
    columns = [Column(key=h, label=h, text=True) for h in table.headers]
    if header_problems:
        rows.insert(0, [""] * len(columns) + [_join_messages(header_problems)])
    return xlsx_bytes(columns, rows, error_column=True, **kwargs)


def _cell_out(value):
    if isinstance(value, PercentCell):  # as the person's sheet showed it, not the 0.85 (or 1) it held
        return value.shown()
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return int(value)
    return value
