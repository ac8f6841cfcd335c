"""`manage.py refresh_overview [--schedule]`: count the applications for the leaders' overview now.

Takes a count snapshot and stores missing working-day figures at once (`services.overview`) and prints what
it did. With `--schedule` it also puts the recurring background task in the queue (`manage.py db_worker`
runs it every `OVERVIEW_REFRESH_MINUTES` minutes); scheduling twice keeps one waiting run.
"""

from django.core.management.base import BaseCommand
from django.utils import timezone
from django.utils.translation import gettext as _

from sciencecity.approvals.overview_tasks import schedule_next_refresh
from sciencecity.approvals.services.overview import refresh_overview


class Command(BaseCommand):
    help = "Count applications by bundle and status for the leaders' overview; store missing working days."

    def add_arguments(self, parser):
        parser.add_argument(
            "--schedule", action="store_true", help="also queue the recurring background refresh"
        )

    def handle(self, *args, schedule=False, **options):
        summary = refresh_overview()
        self.stdout.write(
            _(
                "办件统计已更新:共 %(applications)s 件,统计用时 %(count_seconds)s 秒;补记办结用时 %(working_days_stored)s 件。"
            )
            % summary
        )
        if schedule:
            result = schedule_next_refresh()
            if result is None:
                self.stdout.write(_("已有待执行的统计更新(或当前任务后端不支持定时执行),未重复排队。"))
            else:
                run_after = timezone.localtime(result.task.run_after)
                self.stdout.write(
                    _("已排队下一次统计更新:%(when)s。") % {"when": run_after.strftime("%Y-%m-%d %H:%M")}
                )
