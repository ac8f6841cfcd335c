"""`manage.py catalog import|export|publish`: the catalog as a YAML file, from and to the command line."""

import datetime
import sys
from pathlib import Path

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from sciencecity.catalog.models import CatalogVersion
from sciencecity.catalog.selectors import current_version, version_counts
from sciencecity.catalog.services import import_catalog, publish_version
from sciencecity.catalog.validators import CatalogImportError
from sciencecity.catalog.yaml_io import export_catalog


def _date(value):
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        raise CommandError(_("日期 “%(value)s” 无效,应为 YYYY-MM-DD。") % {"value": value}) from None


class Command(BaseCommand):
    help = "Import, export or publish a catalog version (YAML; format in sciencecity/catalog/yaml_io.py)."

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True, metavar="{import,export,publish}")
        do_import = actions.add_parser("import", help="import FILE as a new draft version (or publish it)")
        do_import.add_argument("file", help="the YAML file, or - for standard input")
        do_import.add_argument("--publish", action="store_true", help="publish the new version at once")
        do_import.add_argument("--valid-from", dest="valid_from", help="validity start, YYYY-MM-DD")
        do_export = actions.add_parser("export", help="write a version as YAML")
        do_export.add_argument(
            "--version",
            dest="number",
            type=int,
            help="version number (default: the one in force, else the latest)",
        )
        do_export.add_argument("-o", "--output", help="file to write (default: standard output)")
        do_publish = actions.add_parser("publish", help="publish draft version N")
        do_publish.add_argument("number", type=int)
        do_publish.add_argument("--valid-from", dest="valid_from", help="validity start, YYYY-MM-DD")

    def handle(self, *args, action, **options):
        getattr(self, f"handle_{action}")(**options)

    def handle_import(self, *, file, publish=False, valid_from=None, **options):
        valid_from = _date(valid_from) if valid_from else None
        try:
            text = sys.stdin.buffer.read() if file == "-" else Path(file).read_bytes()
        except OSError as error:
            raise CommandError(
                _("无法读取文件 %(file)s:%(error)s") % {"file": file, "error": error}
            ) from None
        try:
            version = import_catalog(text, user=None, publish=publish, valid_from=valid_from)
        except CatalogImportError as error:
            raise CommandError(
                _("目录文件有 %(count)s 处错误,未导入任何内容:") % {"count": len(error.errors)}
                + "\n"
                + "\n".join(f"  - {message}" for message in error.errors)
            ) from None
        counts = version_counts(version)
        self.stdout.write(
            _(
                "已导入目录版本 v%(number)s “%(label)s”(%(status)s):材料 %(materials)s 项,事项 %(items)s 项,一件事 %(bundles)s 个。"
            )
            % {
                "number": version.number,
                "label": version.label,
                "status": version.get_status_display(),
                **counts,
            }
        )

    def handle_export(self, *, number=None, output=None, **options):
        if number is not None:
            version = CatalogVersion.objects.filter(number=number).first()
            if version is None:
                raise CommandError(_("目录版本 v%(number)s 不存在。") % {"number": number})
        else:
            version = current_version() or CatalogVersion.objects.order_by("-number").first()
            if version is None:
                raise CommandError(_("还没有任何目录版本。"))
        text = export_catalog(version)
        if output:
            Path(output).write_text(text, encoding="utf-8")
            self.stderr.write(
                _("已将目录版本 v%(number)s 导出到 %(file)s。") % {"number": version.number, "file": output}
            )
        else:
            self.stdout.write(text, ending="")

    def handle_publish(self, *, number, valid_from=None, **options):
        version = CatalogVersion.objects.filter(number=number).first()
        if version is None:
            raise CommandError(_("目录版本 v%(number)s 不存在。") % {"number": number})
        try:
            publish_version(version, user=None, valid_from=_date(valid_from) if valid_from else None)
        except CatalogImportError as error:
            raise CommandError(
                _("目录版本 v%(number)s 有 %(count)s 处错误,未发布:")
                % {"number": number, "count": len(error.errors)}
                + "\n"
                + "\n".join(f"  - {message}" for message in error.errors)
            ) from None
        except (ValidationError, PermissionDenied) as error:
            raise CommandError("\n".join(getattr(error, "messages", [str(error)]))) from None
        self.stdout.write(
            _("已发布目录版本 v%(number)s,自 %(valid_from)s 起生效。")
            % {"number": version.number, "valid_from": version.valid_from}
        )
