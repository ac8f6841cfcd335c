"""Any list of the cockpit as an Excel workbook, written row by row into a file on disk (`workflow.spreadsheets`):
a list of any length never sits in memory; a sheet holds at most Excel's limit of rows (the API lists the
rest)."""

from django.http import FileResponse

from sciencecity.workdays import clock
from sciencecity.workflow.spreadsheets import write_workbook, xlsx_response

CHUNK = 2000


def workbook_response(title: str, listing, queryset, filename: str) -> FileResponse:
    rows = (listing.values(record) for record in listing.rows(queryset).iterator(chunk_size=CHUNK))
    sheet = (title, [column.label for column in listing.columns], rows)
    return xlsx_response(write_workbook([sheet]), f"{filename}-{clock.today():%Y%m%d}.xlsx")
