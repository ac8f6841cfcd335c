"""The 散乱污 remediation ledger as an Excel workbook, written row by row (openpyxl's write-only mode) into a
temporary file that spills to disk, so a ledger of any length never sits in memory."""

import tempfile

from django.http import FileResponse
from django.utils.translation import gettext as _
from openpyxl import Workbook

from sciencecity.workdays import clock

CHUNK = 2000


def ledger_rows(problems, area_labels: dict):
    for problem in problems.iterator(chunk_size=CHUNK):
        yield [
            problem.number,
            problem.enterprise.name if problem.enterprise_id else "",
            area_labels.get(problem.area, problem.area),
            problem.address,
            problem.description,
            problem.resolution,
            problem.department.display_name if problem.department_id else "",
            problem.get_status_display(),
            problem.reported_at.date().isoformat(),
            problem.closed_at.date().isoformat() if problem.closed_at and problem.status == "closed" else "",
        ]


def ledger_headers() -> list[str]:
    return [
        _("问题编号"),
        _("企业"),
        _("区域"),
        _("地址"),
        _("发现问题"),
        _("整治措施"),
        _("责任部门"),
        _("状态"),
        _("发现日期"),
        _("核查通过日期"),
    ]


def ledger_response(problems, area_labels: dict) -> FileResponse:
    book = Workbook(write_only=True)
    sheet = book.create_sheet(_("散乱污整治台账"))
    sheet.append(ledger_headers())
    for row in ledger_rows(problems, area_labels):
        sheet.append(row)
    # Closed by the FileResponse when the download ends, so no context manager here.
    spool = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)  # noqa: SIM115
    book.save(spool)
    spool.seek(0)
    return FileResponse(
        spool,
        as_attachment=True,
        filename=f"ledger-{clock.today():%Y%m%d}.xlsx",
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
