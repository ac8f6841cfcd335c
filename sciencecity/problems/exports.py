"""The 散乱污 remediation ledger as an Excel workbook, written row by row into a file on disk
(`workflow.spreadsheets`), so a ledger of any length never sits in memory."""

from django.http import FileResponse
from django.utils.translation import gettext as _

from sciencecity.workdays import clock
from sciencecity.workflow.spreadsheets import write_workbook, xlsx_response

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
    sheet = (_("散乱污整治台账"), ledger_headers(), ledger_rows(problems, area_labels))
    return xlsx_response(write_workbook([sheet]), f"ledger-{clock.today():%Y%m%d}.xlsx")
