"""Excel downloads of any length: a workbook written row by row (openpyxl's write-only mode keeps each sheet's
rows in a temporary file, not in memory) into an anonymous temporary file on disk that the response streams
and closes. Text stays text — a value that starts with "=" is not turned into a formula, so a name typed by
an enterprise cannot run in the reader's spreadsheet — and characters an .xlsx cannot hold are dropped.
"""

import datetime
import tempfile
from collections.abc import Iterable

from django.conf import settings
from django.http import FileResponse
from django.utils import translation
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MAX_ROWS = 1_048_575  # Excel's rows less the header


def _cells(sheet, row: list) -> list:
    cells = []
    for value in row:
        if isinstance(value, str):
            value = ILLEGAL_CHARACTERS_RE.sub("", value)
            if value.startswith("="):  # openpyxl would store it as a formula
                value = WriteOnlyCell(sheet, value)
                value.data_type = "s"
        cells.append(value)
    return cells


def write_workbook(sheets: Iterable[tuple[str, list[str], Iterable[list]]]):
    """A workbook of (title, headers, rows) sheets in a temporary file on disk, rewound for reading. A sheet
    holds at most Excel's limit of rows."""
    book = Workbook(write_only=True)
    for title, headers, rows in sheets:
        sheet = book.create_sheet(str(title)[:31])
        sheet.append(_cells(sheet, [str(header) for header in headers]))
        for written, row in enumerate(rows):
            if written == MAX_ROWS:
                break
            sheet.append(_cells(sheet, row))
    # Closed by the FileResponse when the download ends, so no context manager here.
    file = tempfile.TemporaryFile()  # noqa: SIM115
    book.save(file)
    file.seek(0)
    return file


def xlsx_response(file, filename: str) -> FileResponse:
    return FileResponse(file, as_attachment=True, filename=filename, content_type=XLSX)


# --- reading: a header as compared, a cell as text -------------------------------------------------------


class CellError(ValueError):
    """A cell that cannot be read as its column's kind; the message says why, in words a person can act on."""


def header_key(text) -> str:
    """A header or label as compared: without spaces, full-width brackets as ASCII ones, case folded."""
    return "".join(str(text).split()).replace("\uff08", "(").replace("\uff09", ")").casefold()


def in_every_language(label) -> set[str]:
    """The keys of a translatable label in each of the site's languages, so that a workbook's headers are
    recognised whatever the language of the template it came from."""
    keys = set()
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            keys.add(header_key(label))
    return keys


def text(value) -> str:
    """A cell as text: a code typed as a number comes back from Excel as 1.0e+17, a date as a datetime."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, datetime.datetime) and value.time() == datetime.time():
        value = value.date()
    if isinstance(value, datetime.datetime | datetime.date):
        value = value.isoformat()
    return str(value).strip()
