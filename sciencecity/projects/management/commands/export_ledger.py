"""`manage.py export_ledger OUT.xlsx [--key] [--level red …] [--task-force NAME]`: the project ledger (项目台账)
as an Excel workbook, as the page and the API export it (`ledger.export`), for every project of the zone or
those filtered."""

import shutil

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from sciencecity.projects.ledger.export import ledger_headers, ledger_rows, write_workbook
from sciencecity.projects.models import Level, Project
from sciencecity.workdays import clock


class Command(BaseCommand):
    help = "Write the project ledger (.xlsx): every project, or the key ones, of some warning colours or a task force."

    def add_arguments(self, parser):
        parser.add_argument("out", help="the .xlsx file to write")
        parser.add_argument("--key", action="store_true", help="key projects only")
        parser.add_argument(
            "--level", action="append", choices=Level.values, help="warning colour (repeatable)"
        )
        parser.add_argument("--task-force", help="the task force (专班) escorting them")

    def handle(self, *args, out, key=False, level=None, task_force=None, **options):
        projects = Project.objects.order_by("-created_at", "-id")
        if key:
            projects = projects.filter(is_key=True)
        if level:
            projects = projects.filter(warning_level__in=level)
        if task_force:
            projects = projects.filter(task_force=task_force)
        sheet = (_("项目台账"), ledger_headers(), ledger_rows(projects, clock.today().year))
        with write_workbook([sheet]) as workbook, open(out, "wb") as target:
            shutil.copyfileobj(workbook, target)
        self.stdout.write(_("已写入 %(path)s。") % {"path": out})
