"""`manage.py scan_deadlines [--date YYYY-MM-DD] [--schedule [--every MINUTES]]`: the deadline scan now.

Runs the scan of `sciencecity.approvals.services.deadlines` at once and prints what it did. With
`--schedule` it also puts the recurring background task in the queue (`manage.py db_worker` runs it): the next
morning at 08:00, or every `--every` minutes; scheduling twice keeps one waiting run.
"""

import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.translation import gettext as _

from sciencecity.approvals.deadline_tasks import schedule_next_scan
from sciencecity.approvals.services.deadlines import scan_deadlines
from sciencecity.problems.services.deadlines import scan_problem_deadlines
from sciencecity.workdays import clock
from sciencecity.workdays.calendar import UnknownCalendarYear


def _date(value):
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        raise CommandError(_("日期 “%(value)s” 无效,应为 YYYY-MM-DD。") % {"value": value}) from None


class Command(BaseCommand):
    help = "Scan deadlines now: warn of tasks near or past their deadline, escalate, warn the window."

    def add_arguments(self, parser):
        parser.add_argument("--date", help="scan as on this day, YYYY-MM-DD (default: today)")
        parser.add_argument(
            "--schedule", action="store_true", help="also queue the recurring background scan"
        )
        parser.add_argument(
            "--every",
            type=int,
            metavar="MINUTES",
            help="with --schedule: run every MINUTES minutes instead of each morning at 08:00",
        )

    def handle(self, *args, date=None, schedule=False, every=None, **options):
        if every is not None and (not schedule or every < 1):
            raise CommandError(_("--every 须与 --schedule 一起使用,且至少为 1 分钟。"))
        day = _date(date) if date else clock.today()
        try:
            summary = scan_deadlines(day)
            problems = scan_problem_deadlines(day)
        except UnknownCalendarYear as error:
            raise CommandError(str(error)) from None
        self.stdout.write(
            _(
                "%(today)s 期限扫描:任务临期预警 %(tasks_yellow)s 件,超期 %(tasks_red)s 件,督办 "
                "%(tasks_escalated)s 件,期限变更后重置 %(tasks_reset)s 件;受理临期 %(intake_due_soon)s 件,"
                "受理超期 %(intake_overdue)s 件;容缺逾期 %(gaps_overdue)s 项;发送通知 %(notifications)s 条。"
            )
            % summary.as_dict()
        )
        self.stdout.write(
            _("问题临期预警 %(problems_warned)s 件,超期督办 %(problems_escalated)s 件。") % problems.as_dict()
        )
        if schedule:
            result = schedule_next_scan(every_minutes=every)
            if result is None:
                self.stdout.write(_("已有待执行的定时扫描(或当前任务后端不支持定时执行),未重复排队。"))
            else:
                run_after = timezone.localtime(result.task.run_after)
                self.stdout.write(
                    _("已排队下一次定时扫描:%(when)s。") % {"when": run_after.strftime("%Y-%m-%d %H:%M")}
                )
