"""Working-day arithmetic and the calendar's upkeep from the shell.

    manage.py workdays add 2026-09-30 5          -> 2026-10-13
    manage.py workdays between 2026-09-30 2026-10-13   -> 5
    manage.py workdays check 2027                 -> exit status 0 when the year is official
    manage.py workdays set 2027-02-20 work --note "春节调休补班"   (or `rest`)
    manage.py workdays confirm 2027 --note "国办发明电〔2026〕X号"
    manage.py workdays import 2027 schedule.txt --check   -> the check alone; exit status 1 on errors
    manage.py workdays import 2027 schedule.txt --confirm --note "国办发明电〔2026〕X号"
    manage.py workdays recount                   -> recount open provisional deadlines now

`add` and `between` print only the result on standard output, so that scripts can read it; a provisional
result (counted over a year whose official schedule is not published) is said so on standard error.
`--pause FIRST:LAST` (repeatable) leaves those days, both included, out of the count. `set`, `confirm` and
`import` act as the administrator named by `--user` (default: none, recorded as the platform) through the
same services as the admin pages, so they are validated and audited the same way. `import` reads a year's
whole schedule (see `sciencecity.workdays.schedule`; FILE `-` is standard input), prints its check and,
without `--check`, makes it the year's overrides — refused, with every error, when the check finds any.
"""

import datetime
import sys

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.translation import gettext as _

from sciencecity.workdays import recount, schedule, services
from sciencecity.workdays.calendar import (
    Pause,
    UnknownCalendarYear,
    deadline_after,
    package_covers,
    working_days_between,
)
from sciencecity.workdays.models import CalendarYear, DeadlineRecount


def _date(value: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        raise CommandError(
            _("日期“%(value)s”无效,应为 YYYY-MM-DD 格式的有效日期,如 2026-09-30。") % {"value": value}
        ) from None


def _year(value: str) -> int:
    try:
        year = int(value)
        datetime.date(year, 1, 1)
    except ValueError:
        raise CommandError(_("年份“%(value)s”无效,应为四位数字,如 2027。") % {"value": value}) from None
    return year


def _messages(error: ValidationError) -> str:
    return " ".join(error.messages)


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
        subcommands = parser.add_subparsers(
            dest="subcommand", required=True, metavar="{add,between,check,set,confirm,import,recount}"
        )

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

        check = subcommands.add_parser(
            "check", help="exit 0 when the YEAR's working-day schedule is official"
        )
        check.add_argument("year", help="e.g. 2027")

        override = subcommands.add_parser("set", help="make DATE a working day or a rest day (an override)")
        override.add_argument("date", help="YYYY-MM-DD")
        override.add_argument(
            "kind", choices=["work", "rest"], help="work: a make-up working day; rest: a holiday"
        )
        override.add_argument("--note", default="", help="e.g. 春节")
        override.add_argument("--user", help="the administrator's user name, for the audit trail")

        confirm = subcommands.add_parser(
            "confirm", help="confirm YEAR once its holidays and make-up days are entered; recounts deadlines"
        )
        confirm.add_argument("year", help="e.g. 2027")
        confirm.add_argument("--note", default="", help="the State Council notice it follows")
        confirm.add_argument("--user", help="the administrator's user name, for the audit trail")

        schedule_import = subcommands.add_parser(
            "import", help="check a YEAR's whole schedule from FILE and make it the year's overrides"
        )
        schedule_import.add_argument("year", help="e.g. 2027")
        schedule_import.add_argument(
            "file",
            help="one day or span a line: 2027-02-05~2027-02-12 休 春节 (or CSV date,kind,name); - for stdin",
        )
        schedule_import.add_argument(
            "--check", action="store_true", help="only check and compare; write nothing"
        )
        schedule_import.add_argument(
            "--confirm", action="store_true", help="confirm the year in the same step"
        )
        schedule_import.add_argument("--note", default="", help="the State Council notice it follows")
        schedule_import.add_argument("--user", help="the administrator's user name, for the audit trail")

        subcommands.add_parser(
            "recount", help="recount the open provisional deadlines now and print the counts"
        )

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
            deadline = deadline_after(_date(start), count, pauses)
        except ValueError as error:  # an open pause cannot come from the command line; kept for clarity
            raise CommandError(str(error)) from None
        self.stdout.write(deadline.day.isoformat())
        if deadline.provisional:
            self.stderr.write(
                _("暂定:计算经过了法定节假日安排尚未确认的年份,按法定节假日暂算,确认后可能变动。")
            )

    def handle_between(self, a, b, pause, **options):
        pauses = [_pause(value) for value in pause]
        self.stdout.write(str(working_days_between(_date(a), _date(b), pauses)))

    def handle_check(self, year, **options):
        year = _year(year)
        if package_covers(year):
            self.stdout.write(_("%(year)s年:已知(来自内置日历 chinese_calendar 软件包)。") % {"year": year})
            return
        confirmed = CalendarYear.objects.select_related("confirmed_by").filter(year=year).first()
        if confirmed is None:
            raise CommandError(
                _("%(year)s年的法定节假日安排尚未确认:该年的期限按法定节假日暂算(暂定)。") % {"year": year}
            )
        self.stdout.write(
            _("%(year)s年:已知(来自管理员录入的节假日调整,由%(who)s于%(when)s确认)。")
            % {
                "year": year,
                "who": confirmed.confirmed_by or _("系统"),
                "when": timezone.localdate(confirmed.confirmed_at).isoformat(),
            }
        )

    def _user(self, username):
        if not username:
            return None
        user = get_user_model().objects.filter(username=username, is_active=True).first()
        if user is None:
            raise CommandError(_("用户“%(name)s”不存在或已停用。") % {"name": username})
        return user

    def handle_set(self, date, kind, note, user, **options):
        day = _date(date)
        try:
            override = services.set_override(self._user(user), day, kind == "work", note)
        except ValidationError as error:
            raise CommandError(_messages(error)) from None
        self.stdout.write(str(override))

    def handle_confirm(self, year, note, user, **options):
        year = _year(year)
        try:
            services.confirm_year(self._user(user), year, note)
        except ValidationError as error:
            raise CommandError(_messages(error)) from None
        self.stdout.write(_("%(year)s年的年度日历已确认;暂定期限将在后台重新计算。") % {"year": year})

    def handle_import(self, year, file, check, confirm, note, user, **options):
        year = _year(year)
        text = self._read(file)
        plan = schedule.check_schedule(year, text)
        self._report(plan)
        error = plan.error(confirm=confirm)
        if error is not None:
            raise CommandError(_("放假安排有错误,未导入:") + " ".join(error.messages))
        if check:
            return
        try:
            plan = services.import_schedule(self._user(user), year, text, confirm=confirm, note=note)
        except ValidationError as error:
            raise CommandError(_messages(error)) from None
        self.stdout.write(
            _("已导入%(year)s年的放假安排:新增 %(added)s 天,修改 %(changed)s 天,删除 %(removed)s 天。")
            % {
                "year": year,
                "added": len(plan.added),
                "changed": len(plan.changed),
                "removed": len(plan.removed),
            }
        )
        if confirm:
            self.stdout.write(_("%(year)s年的年度日历已确认;暂定期限将在后台重新计算。") % {"year": year})

    @staticmethod
    def _read(file: str) -> str:
        if file == "-":
            return sys.stdin.read()
        try:
            with open(file, "rb") as handle:
                content = handle.read()
        except OSError as error:
            raise CommandError(
                _("无法读取文件“%(file)s”:%(error)s") % {"file": file, "error": error}
            ) from None
        for encoding in ("utf-8-sig", "gb18030"):
            try:
                return content.decode(encoding)
            except UnicodeDecodeError:
                continue
        raise CommandError(_("无法读取文件:请使用 UTF-8 或 GB18030 编码的文本或 CSV 文件。"))

    def _report(self, plan: schedule.SchedulePlan) -> None:
        """The check, as the admin page shows it: the counts, the difference, the errors, the warnings."""
        self.stdout.write(
            _("共读到 %(rest)s 天放假、%(work)s 天调休上班。")
            % {"rest": plan.rest_days, "work": plan.working_days}
        )
        self.stdout.write(
            _(
                "与已录入的节假日调整相比:新增 %(added)s 天,修改 %(changed)s 天,删除 %(removed)s 天,不变 %(unchanged)s 天。"
            )
            % {
                "added": len(plan.added),
                "changed": len(plan.changed),
                "removed": len(plan.removed),
                "unchanged": plan.unchanged,
            }
        )
        for problem in plan.errors:
            self.stderr.write(problem.message)
        for warning in plan.warnings:
            self.stderr.write(warning)
        if plan.ok:
            self.stdout.write(_("检查通过:%(total)s 天法定节假日都放假。") % {"total": len(plan.statutory)})

    def handle_recount(self, **options):
        pass_ = recount.run_recount(
            DeadlineRecount.objects.create(trigger=DeadlineRecount.Trigger.MANUAL, years="")
        )
        self.stdout.write(
            _("已检查 %(examined)s 项,期限变动 %(moved)s 项,转为确定 %(firmed)s 项,仍为暂定 %(still)s 项。")
            % {
                "examined": pass_.examined,
                "moved": pass_.moved,
                "firmed": pass_.firmed,
                "still": pass_.still_provisional,
            }
        )
