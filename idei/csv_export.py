"""CSV downloads: one streaming writer and one guard against formula injection.

Every CSV file the site writes goes through csv_lines(), which makes each cell inert, so that a
name such as =HYPERLINK(...) typed into a public form opens in a spreadsheet as text.
"""

import csv
import re
from collections.abc import Iterable, Iterator

from django.http import StreamingHttpResponse
from django.utils.http import content_disposition_header

# First in the file, so that spreadsheets read it as UTF-8 (accents, other scripts).
BOM = "\ufeff"

# A spreadsheet may run a cell as a formula when its text starts with one of these, also after
# spaces, and some read the full-width forms (U+FF1D, U+FF0B, U+FF0D, U+FF20) as the ASCII ones.
# A negative number is guarded too ("-2+3" is a formula): no download needs it as a number.
FORMULA_START = re.compile(r"[^\S\t\r\n]*[=+\-@\t\r\n\uff1d\uff0b\uff0d\uff20]")


def inert(value) -> str:
    """The cell as text a spreadsheet shows and never runs (OWASP: prefix a single quote).

    None is an empty cell, anything else its str(). Applying it twice changes nothing.
    """
    text = "" if value is None else str(value)
    return "'" + text if FORMULA_START.match(text) else text


def uninert(text: str) -> str:
    """Undo inert(), so that an exported file reads back as it was."""
    return text[1:] if text.startswith("'") and FORMULA_START.match(text, 1) else text


class _Echo:
    """A file-like object whose write() returns the line, for csv.writer in a generator."""

    def write(self, line: str) -> str:
        return line


def csv_lines(rows: Iterable[Iterable]) -> Iterator[str]:
    """Each row as one CSV line, every cell made inert; the first line starts with a BOM.

    Lazy: a row is read only when its line is asked for, so a long file streams.
    """
    writer = csv.writer(_Echo())
    prefix = BOM
    for row in rows:
        yield prefix + writer.writerow([inert(cell) for cell in row])
        prefix = ""


def csv_response(lines: Iterable[str], filename: str) -> StreamingHttpResponse:
    """A download that sends the lines (from csv_lines) as they come, saved as filename."""
    response = StreamingHttpResponse(lines, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = content_disposition_header(True, filename)
    return response
