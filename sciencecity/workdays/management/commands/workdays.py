"""Working-day arithmetic from the shell, for scripts and for checking the calendar before a new year.

    manage.py workdays add 2026-09-30 5          -> 2026-10-13
    manage.py workdays between 2026-09-30 2026-10-13   -> 5
    manage.py workdays check 2027                 -> exit status 0 when the year is known

`add` and `between` print only the result, so that scripts can read it. `--pause FIRST:LAST` (repeatable)
leaves those days, both included, out of the count.
"""

import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.translation import gettext as _

from sciencecity.workdays.calendar import (
    Pause,
    UnknownCalendarYear,
    add_working_days,
    package_covers,
    working_days_between,
)
from sciencecity.workdays.models import CalendarYear


def _date(value: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        raise CommandError(
            _("日期“%(value)s”无效,应为 YYYY-MM-DD 格式的有效日期,如 2026-09-30。") % {"value": value}
        ) from None


def _pause(value: str) -> Pause:
    first, separator, last = value.partition(":")
    if not separator:
        raise CommandError(
            _("暂停区间“%(value)s”无效,应为 起始日:结束日,如 2026-10-08:2026-10-09。") % {"value": value}
        )
    try:
        return Pause(_date(first), _date(last))
    except ValueError:
        raise CommandError(_("暂停区间“%(value)s”的结束日早于起始日。") % {"value": value}) from None


class Command(BaseCommand):
    help = "Working-day arithmetic on the Chinese official calendar (add, between, check)."

    def add_arguments(self, parser):
        subcommands = parser.add_subparsers(dest="subcommand", required=True, metavar="{add,between,check}")

        add = subcommands.add_parser("add", help="print the date N working days after START")
        add.add_argument("start", help="YYYY-MM-DD; this day itself never counts")
        add.add_argument("n", help="number of working days, 0 or more")
        add.add_argument(
            "--pause", action="append", default=[], metavar="FIRST:LAST", help="days not counted"
        )

        between = subcommands.add_parser("between", help="print the number of working days d with A < d <= B")
        between.add_argument("a", help="YYYY-MM-DD")
        between.add_argument("b", help="YYYY-MM-DD")
        between.add_argument(
            "--pause", action="append", default=[], metavar="FIRST:LAST", help="days not counted"
        )

        check = subcommands.add_parser("check", help="exit 0 when the YEAR's working-day schedule is known")
        check.add_argument("year", help="e.g. 2027")

    def handle(self, *args, subcommand, **options):
        try:
            return getattr(self, f"handle_{subcommand}")(**options)
        except UnknownCalendarYear as error:
            raise CommandError(str(error)) from None

    def handle_add(self, start, n, pause, **options):
        try:
            count = int(n)
        except ValueError:
            count = -1
        if count < 0:
            raise CommandError(_("工作日数“%(value)s”无效,应为 0 或正整数。") % {"value": n})
        pauses = [_pause(value) for value in pause]
        try:
            deadline = add_working_days(_date(start), count, pauses)
        except ValueError as error:  # an open pause cannot come from the command line; kept for clarity
            raise CommandError(str(error)) from None
        self.stdout.write(deadline.isoformat())

    def handle_between(self, a, b, pause, **options):
        pauses = [_pause(value) for value in pause]
        self.stdout.write(str(working_days_between(_date(a), _date(b), pauses)))

    def handle_check(self, year, **options):
        try:
            year = int(year)
            datetime.date(year, 1, 1)
        except ValueError:
            raise CommandError(_("年份“%(value)s”无效,应为四位数字,如 2027。") % {"value": year}) from None
        if package_covers(year):
            self.stdout.write(_("%(year)s年:已知(来自内置日历 chinese_calendar 软件包)。") % {"year": year})
            return
        confirmed = CalendarYear.objects.select_related("confirmed_by").filter(year=year).first()
        if confirmed is None:
            raise UnknownCalendarYear(year)
        self.stdout.write(
            _("%(year)s年:已知(来自管理员录入的节假日调整,由%(who)s于%(when)s确认)。")
            % {
                "year": year,
                "who": confirmed.confirmed_by or _("系统"),
                "when": timezone.localdate(confirmed.confirmed_at).isoformat(),
            }
        )
