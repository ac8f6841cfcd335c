"""`manage.py import_ledger FILE --user USERNAME [--dry-run]`: import a project ledger (项目台账) now.

The same import as the page's and the API's (`ledger.importer`), run in the foreground with a progress bar:
every row checked, then written in one transaction through the services as USERNAME, all or nothing. The
import is stored like an upload, so it is listed with the others. Every wrong row is printed as a table and the
command exits with status 1; nothing is written then. `--dry-run` checks and writes in a transaction that is
rolled back, and stores nothing.
"""

import sys
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from sciencecity.projects import ledger
from sciencecity.projects.models import LedgerImport


class Bar(ledger.Progress):
    """The import's steps as rich progress bars."""

    def __init__(self, progress: Progress):
        self.progress, self.task = progress, None

    def start(self, status, total):
        if self.task is not None:
            self.progress.update(self.task, completed=self.progress.tasks[self.task].total)
        self.task = self.progress.add_task(str(LedgerImport.Status(status).label), total=total or None)

    def advance(self):
        self.progress.advance(self.task)


class Command(BaseCommand):
    help = "Import a project ledger (.xlsx) now, all or nothing, with a progress bar; prints every wrong row."

    def add_arguments(self, parser):
        parser.add_argument("file", help="the ledger: an .xlsx workbook laid out as the import template")
        parser.add_argument(
            "--user",
            required=True,
            help="username the import acts as: a civil servant who may change projects",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="check every row and write nothing (a rolled-back run)"
        )

    def handle(self, *args, file, user, dry_run=False, **options):
        actor = get_user_model().objects.filter(username=user).first()
        if actor is None:
            raise CommandError(_("没有用户名为“%(name)s”的用户。") % {"name": user})
        if not ledger.may_import(actor):
            raise CommandError(_("只有有权修改项目的机关工作人员可以导入项目台账。"))
        path = Path(file)
        if not path.is_file():
            raise CommandError(_("找不到文件 %(path)s。") % {"path": file})
        stream = getattr(self.stdout, "_out", sys.stdout)
        console = Console(file=stream, highlight=False, width=None if stream.isatty() else 160)
        with path.open("rb") as handle:
            upload = File(handle, name=path.name)
            try:
                ledger.check_file(upload)
            except ValidationError as error:
                raise CommandError(" ".join(error.messages)) from None
            columns = (
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
            )
            with Progress(*columns, console=console) as progress:
                if dry_run:
                    outcome = ledger.import_ledger(upload, actor, progress=Bar(progress), dry_run=True)
                    errors = [error.as_dict() for error in outcome.errors]
                    rows, created, updated = outcome.rows, outcome.created, outcome.updated
                else:
                    stored = ledger.upload_ledger(actor, upload, enqueue=False)
                    ledger.run_import(stored, Bar(progress))
                    errors, rows, created, updated = (
                        stored.errors,
                        stored.total_rows,
                        stored.created,
                        stored.updated,
                    )
        if errors:
            console.print(self._table(errors))
            raise CommandError(_("台账有 %(count)s 处错误,没有导入任何数据。") % {"count": len(errors)})
        if dry_run:
            message = _(
                "检查通过(试运行,没有写入任何数据):共 %(rows)s 行,将新增 %(created)s 条,更新 %(updated)s 条。"
            )
        else:
            message = _("已导入 %(rows)s 行:新增 %(created)s 条,更新 %(updated)s 条,其余与现有数据相同。")
        console.print(message % {"rows": rows, "created": created, "updated": updated})

    def _table(self, errors) -> Table:
        table = Table(title=_("台账中的错误"))
        for header in (_("工作表"), _("行号"), _("列"), _("错误说明")):
            table.add_column(header)
        for error in errors:
            row = error["row"]
            table.add_row(
                error["sheet"] or "—", str(row) if row else "—", error["column"] or "—", error["message"]
            )
        return table
