"""Every write of the cockpit: asking for the zone's monthly report and generating it.

A report is asked for by a leader (on demand) or by the morning scan on the first working day of a month
(`first_working_day_report`, for the month before). Asking records the request and enqueues the rendering
after commit; the rendering (`generate_report`, a background task) runs once in effect: a report already
rendered is left alone, a failed one records its error and may be asked for again.
"""

import datetime
import time

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils.translation import gettext as _

from sciencecity.audit.services import record
from sciencecity.workdays import clock
from sciencecity.workdays.calendar import UnknownCalendarYear, is_working_day
from sciencecity.workflow.queue import enqueue_with_commit

from .models import ZoneReport
from .periods import MONTH, Period, period_of


def require(user, permission: str):
    """`user` None is the system (the morning scan)."""
    if user is not None and not user.has_perm(permission):
        raise PermissionDenied(_("您没有生成园区月度报告的权限。"))


def request_report(user, month: Period) -> ZoneReport:
    """Ask for the monthly report of `month` (a month that has ended, or the running one so far)."""
    require(user, "cockpit.generate_report")
    if month.kind != MONTH:
        raise ValidationError(_("月度报告按月生成,请选择一个月份。"), code="not_a_month")
    if month.is_future():
        raise ValidationError(
            _("%(period)s 尚未开始,不能生成报告。") % {"period": month.label}, code="future_month"
        )
    with transaction.atomic():
        waiting = ZoneReport.objects.select_for_update().filter(
            month=month.start, status=ZoneReport.Status.PENDING
        )
        existing = waiting.first()
        if existing is not None:
            return existing  # asked twice: the one waiting serves both
        report = ZoneReport.objects.create(month=month.start, requested_by=user, requested_at=clock.now())
        record(user, "cockpit.request_report", report, after={"month": month.key})
        _enqueue(report.pk)
    return report


def _enqueue(report_id: int):
    from .tasks import generate_report_task

    enqueue_with_commit(generate_report_task, report_id)


def generate_report(report_id: int) -> ZoneReport | None:
    """Render the report's PDF and keep it; idempotent (a rendered report is returned as it is)."""
    from .report import render_report_pdf

    report = ZoneReport.objects.filter(pk=report_id).first()
    if report is None or report.status == ZoneReport.Status.READY:
        return report
    month = period_of(MONTH, report.month)
    started = time.perf_counter()
    try:
        content, pages = render_report_pdf(month)
    except Exception as error:  # recorded on the report for its reader; the task itself ends cleanly
        ZoneReport.objects.filter(pk=report.pk).update(
            status=ZoneReport.Status.FAILED, error=str(error)[:2000]
        )
        report.refresh_from_db()
        return report
    seconds = round(time.perf_counter() - started, 3)
    with transaction.atomic():
        report = ZoneReport.objects.select_for_update().get(pk=report.pk)
        if report.status == ZoneReport.Status.READY:
            return report  # a second runner finished first
        report.file.save(report.filename, ContentFile(content), save=False)
        report.status = ZoneReport.Status.READY
        report.generated_at = clock.now()
        report.size = len(content)
        report.pages = pages
        report.seconds = seconds
        report.error = ""
        report.save(update_fields=["file", "status", "generated_at", "size", "pages", "seconds", "error"])
        record(
            None, "cockpit.generate_report", report, after={"month": f"{report.month:%Y-%m}", "pages": pages}
        )
    return report


def first_working_day(month_start: datetime.date) -> datetime.date:
    day = month_start
    while not is_working_day(day):
        day += datetime.timedelta(days=1)
    return day


def first_working_day_report(today: datetime.date | None = None) -> str:
    """The morning duty: on the first working day of a month, ask for the month before's report unless one
    was asked for already."""
    today = today or clock.today()
    this_month = period_of(MONTH, today)
    try:
        if today != first_working_day(this_month.start):
            return "not today"
    except UnknownCalendarYear:  # outside the years any calendar can count: the first weekday instead
        if today.weekday() >= 5 or today.day > 3:
            return "not today"
    last_month = this_month.previous()
    if ZoneReport.objects.filter(month=last_month.start).exclude(status=ZoneReport.Status.FAILED).exists():
        return "already asked"
    request_report(None, last_month)
    return f"asked {last_month.key}"
