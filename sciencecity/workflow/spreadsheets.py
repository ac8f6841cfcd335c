"""Excel downloads of any length: a workbook written row by row (openpyxl's write-only mode keeps each sheet's
rows in a temporary file, not in memory) into an anonymous temporary file on disk that the response streams
and closes. Text stays text — a value that starts with "=" is not turned into a formula, so a name typed by
an enterprise cannot run in the reader's spreadsheet — and characters an .xlsx cannot hold are dropped.
"""

import tempfile
from collections.abc import Iterable

from django.http import FileResponse
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
