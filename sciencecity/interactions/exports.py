"""The register as an Excel workbook (a supervisor's search, any length), written row by row to disk."""

from django.utils.translation import gettext as _

from sciencecity.workdays import clock
from sciencecity.workflow.spreadsheets import write_workbook, xlsx_response

CHUNK = 2000


def headers() -> list[str]:
    return [
        _("登记编号"),
        _("交往日期"),
        _("企业"),
        _("统一社会信用代码"),
        _("交往方式"),
        _("地点"),
        _("事由"),
        _("对应清单条目"),
        _("参加的公职人员"),
        _("企业参加人员"),
        _("结果"),
        _("登记人"),
        _("所在部门"),
        _("登记时间"),
        _("逾期登记"),
        _("涉及负面清单"),
        _("企业确认"),
        _("企业意见"),
    ]


def rows(records):
    yes, no = _("是"), _("否")
    for record in records.prefetch_related("items").iterator(chunk_size=CHUNK):
        yield [
            record.number,
            record.occurred_on,
            record.enterprise.name,
            record.enterprise.credit_code,
            record.get_kind_display(),
            record.place,
            record.purpose,
            ";".join(item.display_text for item in record.items.all()),
            record.officials_present,
            record.enterprise_attendees,
            record.outcome,
            str(record.official),
            record.department.display_name if record.department_id else "",
            record.recorded_at.astimezone(clock.now().tzinfo).strftime("%Y-%m-%d %H:%M"),
            yes if record.late else no,
            yes if record.forbidden else no,
            record.get_response_display(),
            record.response_note,
        ]


def register_response(records):
    sheet = (_("政商交往登记"), headers(), rows(records))
    return xlsx_response(write_workbook([sheet]), f"interactions-{clock.today():%Y%m%d}.xlsx")
