"""`manage.py powers import|export`: the devolved powers' list as the spreadsheet the zone receives it as."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from sciencecity.catalog.powers import services, sheets
from sciencecity.catalog.powers.models import DevolvedPower
from sciencecity.workflow.spreadsheets import write_workbook


class Command(BaseCommand):
    help = (
        "Import or export the devolved municipal powers' list (.xlsx; columns in catalog/powers/sheets.py)."
    )

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True, metavar="{import,export}")
        do_import = actions.add_parser("import", help="import FILE: all rows or, with an error, none")
        do_import.add_argument("file", help="the .xlsx workbook")
        do_import.add_argument("--dry-run", action="store_true", help="check every row, write nothing")
        do_export = actions.add_parser("export", help="write the list as a workbook")
        do_export.add_argument("-o", "--output", required=True, help="the .xlsx file to write")

    def handle(self, *args, action, **options):
        getattr(self, f"handle_{action}")(**options)

    def handle_import(self, *, file, dry_run=False, **options):
        try:
            with Path(file).open("rb") as handle:
                outcome = services.import_powers(None, handle, dry_run=dry_run)
        except OSError as error:
            raise CommandError(
                _("无法读取文件 %(file)s:%(error)s") % {"file": file, "error": error}
            ) from None
        if not outcome.ok:
            lines = "\n".join(str(error) for error in outcome.errors)
            raise CommandError(_("没有导入任何数据,请改正以下错误:\n%(errors)s") % {"errors": lines})
        counts = outcome.counts()
        message = (
            _(
                "%(rows)s 行:新增 %(created)s 项,修改 %(updated)s 项,未变 %(unchanged)s 项,收回 %(withdrawn)s 项,恢复 %(restored)s 项。"
            )
            % counts
        )
        self.stdout.write((_("检查通过,没有写入:") if dry_run else _("已导入:")) + message)

    def handle_export(self, *, output, **options):
        powers = DevolvedPower.objects.order_by("position", "code")
        sheet = (_("下放权力清单"), sheets.headers(), sheets.rows(powers))
        with write_workbook([sheet]) as file, Path(output).open("wb") as target:
            target.write(file.read())
        self.stdout.write(_("已导出 %(count)s 项到 %(file)s。") % {"count": powers.count(), "file": output})
