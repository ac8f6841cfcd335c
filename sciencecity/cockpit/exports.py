"""Any list of the cockpit as an Excel workbook, written row by row (openpyxl's write-only mode) into a
temporary file that spills to disk: a list of any length never sits in memory. A sheet holds at most
`MAX_ROWS` rows (Excel's limit); a longer list says so in its last row."""

import tempfile

from django.http import FileResponse
from django.utils.translation import gettext as _
from openpyxl import Workbook

from sciencecity.workdays import clock

CHUNK = 2000
MAX_ROWS = 1_048_575  # Excel's rows less the header


def workbook_response(title: str, listing, queryset, filename: str) -> FileResponse:
    book = Workbook(write_only=True)
    sheet = book.create_sheet(title[:31])
    sheet.append([str(column.label) for column in listing.columns])
    for written, record in enumerate(listing.rows(queryset).iterator(chunk_size=CHUNK)):
        if written == MAX_ROWS - 1:
            sheet.append([_("列表超过 Excel 的行数上限,其余记录请通过 API 读取。")])
            break
        sheet.append(listing.values(record))
    # Closed by the FileResponse when the download ends, so no context manager here.
    spool = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)  # noqa: SIM115
    book.save(spool)
    spool.seek(0)
    return FileResponse(
        spool,
        as_attachment=True,
        filename=f"{filename}-{clock.today():%Y%m%d}.xlsx",
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
