"""Reading and writing the spreadsheets organizers live in (headless-interface.md).

Reading: the first sheet of .xlsx/.xlsm/.xls/.ods (python-calamine, which reads what Excel,
WPS and LibreOffice write) or a .csv in UTF-8 (with or without BOM) or GBK/GB18030. Row 1
holds headers, matched to columns by Chinese label or English key, case-insensitively,
ignoring surrounding spaces. A number cell is read as the decimal it displays (the shortest
decimal that round-trips the stored binary value), never the binary expansion.

Writing: .xlsx through XlsxWriter, streaming (constant memory), with text-formatted
identity columns so that Excel does not turn them into numbers again.
"""

import csv
import datetime
import io
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path

import python_calamine
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


def _read_workbook(data):
    try:
        book = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
        if not book.sheet_names:
            return []
        return book.get_sheet_by_index(0).to_python(skip_empty_area=False)
    except Exception:  # calamine raises its own errors for every kind of broken file
        raise UnreadableFile(
            _(
                "The file could not be read as a spreadsheet. Save it again as .xlsx "
                "(Excel, WPS or LibreOffice) and upload that."
            )
        ) from None


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
    if isinstance(value, float | int):
        number = shortest_decimal(value)
        if number == number.to_integral_value() and abs(number) < Decimal("1e15"):
            return str(int(number))
        return format(number.normalize(), "f") if abs(number) < Decimal("1e15") else repr(float(value))
    if isinstance(value, datetime.datetime | datetime.date | datetime.time):
        return value.isoformat()
    return str(value).strip()


def decimal(value):
    """A cell as a Decimal, or ValueError. Accepts numbers and text like " 85.5 "."""
    if isinstance(value, bool):
        raise ValueError("boolean")
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
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return int(value)
    return value
