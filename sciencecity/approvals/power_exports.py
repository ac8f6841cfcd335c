"""The devolved powers' list as a download, CSV or Excel, with the usage figures of a period for those who
read them. Both are streamed: the CSV row by row as it is written, the workbook from a temporary file on
disk (`workflow.spreadsheets`); text stays text in both (a cell that starts with "=", "+", "-" or "@" is
not a formula in the reader's spreadsheet)."""

import csv
from collections.abc import Iterable

from django.http import StreamingHttpResponse
from django.utils.translation import gettext as _

from sciencecity.catalog.powers.models import PowerKind
from sciencecity.workdays import clock
from sciencecity.workflow.spreadsheets import write_workbook, xlsx_response

from .power_usage import Period, Usage

FORMULA_START = ("=", "+", "-", "@")


def headers(figures: bool) -> list[str]:
    shown = [
        _("序号"),
        _("权力编码"),
        _("权力名称"),
        _("权力类型"),
        _("法律依据"),
        _("原实施机关"),
        _("下放文件文号"),
        _("下放日期"),
        _("实施部门"),
        _("实施事项编码"),
        _("状态"),
    ]
    if figures:
        shown += [
            _("统计期"),
            _("审批任务数"),
            _("办件数"),
            _("已办结任务数"),
            _("中位用时(工作日)"),
            _("90%用时(工作日)"),
            _("法定时限内办结比例(%)"),
            _("承诺时限内办结比例(%)"),
        ]
    return shown


def rows(powers: Iterable, usage: dict | None, period: Period | None) -> Iterable[list]:
    kinds = {value: str(label) for value, label in PowerKind.choices}
    span = f"{period.since:%Y-%m-%d}~{period.until:%Y-%m-%d}" if period is not None else ""
    for power in powers:
        row = [
            power.position,
            power.code,
            power.display_name,
            kinds.get(power.kind, power.kind),
            power.basis_display,
            power.original_authority,
            power.decision_number,
            power.devolved_on,
            power.department.display_name,
            "、".join(power.item_codes),
            power.get_status_display(),
        ]
        if usage is not None:
            figures = usage.get(power.pk) or Usage()
            row += [
                span,
                figures.tasks,
                figures.applications,
                figures.decided,
                figures.median_days,
                figures.p90_days,
                figures.within_legal_pct,
                figures.within_promised_pct,
            ]
        yield row


class _Echo:
    def write(self, value):
        return value


def _csv_cell(value):
    if value is None:
        return ""
    if hasattr(value, "isoformat"):
        return value.isoformat()
    text = str(value)
    return f"'{text}" if text.startswith(FORMULA_START) else text


def csv_response(powers, usage, period) -> StreamingHttpResponse:
    """UTF-8 with a byte-order mark, so that Excel opens the Chinese text as it is."""
    writer = csv.writer(_Echo())

    def lines():
        yield "\ufeff"
        yield writer.writerow(headers(usage is not None))
        for row in rows(powers, usage, period):
            yield writer.writerow([_csv_cell(value) for value in row])

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="devolved-powers-{clock.today():%Y%m%d}.csv"'
    return response


def xlsx_download(powers, usage, period):
    sheet = (_("下放权力清单"), headers(usage is not None), rows(powers, usage, period))
    return xlsx_response(write_workbook([sheet]), f"devolved-powers-{clock.today():%Y%m%d}.xlsx")
