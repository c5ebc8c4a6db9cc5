"""Reading an uploaded data set into rows, refusing anything that is not a sound CSV/XLSX file.

Everything here happens before a single row is written: a refused file leaves the database as it
was.
"""

import csv
import datetime
import io
import re
import zipfile
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

MAX_FILE_BYTES = 50 * 1024 * 1024
MAX_ROWS = 200_000
MAX_COLUMNS = 200
# A cell longer than this is not a case field but a broken or hostile file.
MAX_CELL_CHARS = 100_000

# C0 control characters other than tab and line breaks, and DEL: never meaningful in a name.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class ImportRefused(Exception):
    """The whole file is refused; the message says why, for the person who uploaded it."""


@dataclass
class RawRow:
    line: int
    raw: dict[str, str]  # header as written → cell, for the report and the review queue
    values: dict[str, str] = field(default_factory=dict)  # canonical column → cell

    def is_blank(self) -> bool:
        return not any(value.strip() for value in self.raw.values())


@dataclass
class Table:
    header: list[str]
    rows: list[RawRow]


def clean_cell(value) -> str:
    """Text as stored: no control characters; hostile text stays text, escaped on output."""
    if value is None:
        return ""
    if isinstance(value, datetime.datetime):
        value = value.date().isoformat() if not value.time() else value.isoformat()
    elif isinstance(value, datetime.date):
        value = value.isoformat()
    elif isinstance(value, float) and value.is_integer():
        value = str(int(value))
    return _CONTROL.sub("", str(value))


def decode(data: bytes) -> str:
    """UTF-8 (with or without BOM), or UTF-16 with its BOM; anything else is refused.

    No guessing of legacy encodings: a wrong guess would silently misspell names.
    """
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    elif data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            raise ImportRefused(_("The file says it is UTF-16 but is not valid UTF-16.")) from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise ImportRefused(
            _(
                "The file is not UTF-8 text (byte 0x%(byte)s on line %(line)s). Save it as "
                "“CSV UTF-8” (in Excel or LibreOffice: Save as… → CSV, character set UTF-8) "
                "and upload it again."
            )
            % {"byte": f"{data[error.start]:02X}", "line": line}
        ) from None


def sniff_binary(data: bytes) -> str | None:
    """What a non-text file looks like, for a helpful refusal ("" when it is a workbook)."""
    head = data[:8]
    if head.startswith(b"PK\x03\x04"):
        return ""
    if head.startswith(b"%PDF"):
        return _("a PDF document")
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        return _("an old Excel (.xls) or Word file")
    if head.startswith((b"\x89PNG", b"\xff\xd8\xff", b"GIF8")):
        return _("an image")
    if b"\x00" in data[:4096] and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return _("a binary file")
    return None


def read_table(data: bytes) -> Table:
    """Header and rows of a CSV (comma, semicolon or tab separated) or XLSX file."""
    if len(data) > MAX_FILE_BYTES:
        raise ImportRefused(file_too_large_message(len(data)))
    if not data.strip():
        raise ImportRefused(_("The file is empty."))
    kind = sniff_binary(data)
    if kind == "":
        return read_xlsx(data)
    if kind is not None:
        raise ImportRefused(_("This is not a CSV file: it looks like %(kind)s.") % {"kind": kind})
    return read_csv(decode(data))


def file_too_large_message(size: int) -> str:
    return _("The file is too large (%(size)s MB; at most %(max)s MB).") % {
        "size": round(size / 1024 / 1024, 1),
        "max": MAX_FILE_BYTES // 1024 // 1024,
    }


def _looks_like_markup(text: str) -> bool:
    start = text.lstrip()[:15].lower()
    return start.startswith(("<!doctype", "<html", "<?xml", "{", "["))


def read_csv(text: str) -> Table:
    if "\x00" in text:
        raise ImportRefused(_("This is not a CSV file: it contains NUL characters."))
    if _looks_like_markup(text):
        raise ImportRefused(
            _("This is not a CSV file: it looks like an HTML, XML or JSON document.")
        )
    first_line = text.split("\n", 1)[0]
    delimiter = max([",", ";", "\t"], key=first_line.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    try:
        header = [clean_cell(cell).strip() for cell in next(reader)]
        rows = []
        previous_end = reader.line_num
        for cells in reader:
            line = previous_end + 1  # where the record starts, even if a cell spans lines
            previous_end = reader.line_num
            rows.append(_raw_row(header, cells, line))
            if len(rows) > MAX_ROWS:
                raise ImportRefused(
                    _("The file has more than %(max)s rows: split it.") % {"max": MAX_ROWS}
                )
    except csv.Error as error:
        raise ImportRefused(
            _("This is not a readable CSV file (line %(line)s: %(error)s).")
            % {"line": reader.line_num, "error": error}
        ) from None
    _check_header(header)
    return Table(header, rows)


def _raw_row(header: list[str], cells: list, line: int) -> RawRow:
    cells = [clean_cell(cell) for cell in cells[: len(header)]]
    for cell in cells:
        if len(cell) > MAX_CELL_CHARS:
            raise ImportRefused(
                _("Line %(line)s has a cell of more than %(max)s characters.")
                % {"line": line, "max": MAX_CELL_CHARS}
            )
    cells += [""] * (len(header) - len(cells))
    return RawRow(line=line, raw=dict(zip(header, cells, strict=True)))


def _check_header(header: list[str]):
    if len(header) > MAX_COLUMNS:
        raise ImportRefused(_("The file has more than %(max)s columns.") % {"max": MAX_COLUMNS})
    if not any(header):
        raise ImportRefused(_("The first line must name the columns; it is empty."))


def read_xlsx(data: bytes) -> Table:
    """The first sheet of an XLSX workbook; formulas are read as their text, never evaluated."""
    import openpyxl  # imported here: only workbook uploads pay for it

    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as error:
        raise ImportRefused(
            _("This is neither a CSV file nor a readable XLSX workbook (%(error)s).")
            % {"error": error.__class__.__name__}
        ) from None
    try:
        sheet = workbook.worksheets[0]
        rows_iter = sheet.iter_rows(values_only=True, max_col=MAX_COLUMNS + 1)
        try:
            header = [clean_cell(cell).strip() for cell in next(rows_iter)]
        except StopIteration:
            raise ImportRefused(_("The file is empty.")) from None
        while header and not header[-1]:
            header.pop()
        _check_header(header)
        rows = []
        for number, cells in enumerate(rows_iter, start=2):
            rows.append(_raw_row(header, list(cells), number))
            if len(rows) > MAX_ROWS:
                raise ImportRefused(
                    _("The file has more than %(max)s rows: split it.") % {"max": MAX_ROWS}
                )
    finally:
        workbook.close()
    return Table(header, rows)


def column_key(name: str) -> str:
    """Header spelling does not matter: "fullName", "full_name" and "Full name" are one column."""
    return re.sub(r"[\W_]+", "", name.casefold())
