"""`manage.py reform_report [BUNDLE_CODE] [--version N] [--answers JSON]`: reform metrics (改革成效).

For one bundle, or every bundle of the catalog version in force (or of version N), prints the catalog
comparison (each item separately versus bundled: steps, materials, time) beside the seeds' reference figures,
and the figures of real applications. The rules are those of `sciencecity.approvals.services.reform`.
"""

import io
import json
import shutil

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from rich.console import Console
from rich.table import Table

from sciencecity.approvals.services.reform import reform_report, rules_text
from sciencecity.catalog.models import CatalogVersion
from sciencecity.catalog.selectors import current_version
from sciencecity.i18n import join_list
from sciencecity.workdays.calendar import UnknownCalendarYear

MINUS = "−"


def _number(value) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def _change(saved) -> str:
    """A saving printed as a decrease (−4), an increase as +4."""
    if saved is None:
        return "—"
    if saved == 0:
        return "0"
    return f"{MINUS}{saved}" if saved > 0 else f"+{-saved}"


def _change_pct(reduction) -> str:
    if reduction is None:
        return "—"
    if reduction == 0:
        return f"{abs(reduction)}%"
    return f"{MINUS}{reduction}%" if reduction > 0 else f"+{-reduction}%"


def _pct(value) -> str:
    return "—" if value is None else f"{value}%"


class Command(BaseCommand):
    help = "Print reform metrics (steps, materials, time: separately versus bundled; real applications)."

    def create_parser(self, prog_name, subcommand, **kwargs):
        # --version names the catalog version here; it replaces Django's option of that name.
        return super().create_parser(prog_name, subcommand, conflict_handler="resolve", **kwargs)

    def add_arguments(self, parser):
        parser.add_argument("bundle", nargs="?", help="bundle code (default: every bundle of the version)")
        parser.add_argument(
            "--version", dest="number", type=int, help="catalog version number (default: the one in force)"
        )
        parser.add_argument(
            "--answers",
            help='situation answers as JSON, e.g. \'{"civil": "yes"}\' (needs a bundle): compare the '
            "items they select instead of the mandatory and all items",
        )

    def handle(self, *args, bundle=None, number=None, answers=None, **options):
        version = self._version(number)
        bundles = list(version.bundles.select_related("lead_department").order_by("code"))
        if bundle is not None:
            chosen = [row for row in bundles if row.code == bundle]
            if not chosen:
                raise CommandError(
                    _("目录版本 v%(number)s 中没有编码为 “%(code)s” 的一件事。可选:%(codes)s")
                    % {
                        "number": version.number,
                        "code": bundle,
                        "codes": ", ".join(row.code for row in bundles) or "—",
                    }
                )
            bundles = chosen
        if answers is not None:
            if bundle is None:
                raise CommandError(_("--answers 须与一件事编码一起使用。"))
            try:
                answers = json.loads(answers)
            except ValueError as error:
                raise CommandError(_("--answers 不是有效的 JSON:%(error)s") % {"error": error}) from None
        buffer = io.StringIO()
        console = Console(
            file=buffer,
            width=max(shutil.get_terminal_size((120, 40)).columns, 100),
            force_terminal=self.stdout.isatty(),
            no_color=not self.stdout.isatty(),
            highlight=False,
        )
        try:
            for row in bundles:
                self._print_bundle(console, version, reform_report(row, answers))
        except ValidationError as error:
            raise CommandError("; ".join(error.messages)) from None
        except UnknownCalendarYear as error:
            raise CommandError(str(error)) from None
        console.print(_("计算规则:"), style="bold")
        for line in rules_text():
            console.print(f"- {line}", soft_wrap=True)
        self.stdout.write(buffer.getvalue(), ending="")

    def _version(self, number):
        if number is not None:
            version = CatalogVersion.objects.filter(number=number).first()
            if version is None:
                raise CommandError(_("没有版本号为 %(number)s 的目录版本。") % {"number": number})
            return version
        version = current_version()
        if version is None:
            raise CommandError(_("当前没有生效的已发布目录版本;请用 --version 指定版本。"))
        return version

    def _print_bundle(self, console, version, report):
        bundle, reference, actuals = report.bundle, report.reference, report.actuals
        console.rule(f"{bundle.name}({bundle.code})· " + _("目录 v%(number)s") % {"number": version.number})
        console.print(
            _("牵头部门:%(department)s;一件事承诺时限 %(promised)s 个工作日,受理时限 %(intake)s 个工作日。")
            % {
                "department": bundle.lead_department.name,
                "promised": bundle.promised_limit_days,
                "intake": bundle.intake_limit_days,
            }
        )
        for scenario in report.scenarios:
            table = Table(title=_("按目录测算:%(label)s") % {"label": scenario.label}, title_justify="left")
            table.add_column(_("指标"))
            table.add_column(_("逐项单独办理"), justify="right")
            table.add_column(_("一件事集成办理"), justify="right")
            table.add_column(_("变化"), justify="right")
            table.add_column(_("种子参考"), justify="right")
            table.add_row(
                _("办理环节(个)"),
                str(scenario.separately.steps),
                str(scenario.bundled.steps),
                _change(scenario.steps_saved),
                f"{MINUS}{reference.steps_saved}",
            )
            table.add_row(
                _("申请材料(份)"),
                str(scenario.separately.materials),
                str(scenario.bundled.materials),
                _change_pct(scenario.materials_reduction_pct),
                f"{MINUS}{reference.materials_reduction_pct}%",
            )
            table.add_row(
                _("承诺时间(工作日)"),
                str(scenario.separately.days),
                str(scenario.bundled.days),
                _change_pct(scenario.time_reduction_pct),
                f"{MINUS}{reference.time_reduction_pct}%",
            )
            console.print(table)
            console.print(
                _(
                    "一套材料 %(distinct)s 项,其中平台已有 %(held)s 项;集成办理关键路径 %(days)s 个工作日,"
                    "一件事承诺时限 %(promised)s 个工作日,法定时限关键路径 %(legal)s 个工作日。"
                )
                % {
                    "distinct": scenario.distinct_materials,
                    "held": scenario.held_materials,
                    "days": scenario.bundled.days,
                    "promised": scenario.bundle_promised_days,
                    "legal": scenario.legal_days,
                }
            )
        for merged in report.merged_items:
            self._print_merged(console, merged)
        console.print(
            _("实际办件:已提交 %(applications)s 件,已办结 %(concluded)s 件。")
            % {"applications": actuals.applications, "concluded": actuals.concluded}
        )
        if not actuals.concluded:
            console.print(_("尚无已办结的办件,暂无实际用时统计。"))
        else:
            table = Table(title=_("实际办结用时(工作日)"), title_justify="left")
            table.add_column(_("指标"))
            table.add_column(_("实际"), justify="right")
            table.add_column(_("承诺时限"), justify="right")
            table.add_column(_("法定时限"), justify="right")
            table.add_row(
                _("办结用时中位数"),
                _number(actuals.median_elapsed_days),
                _number(actuals.promised_limit_days),
                _number(actuals.median_legal_limit_days),
            )
            table.add_row(
                _("时限内办结占比"),
                "",
                _pct(actuals.within_promised_pct),
                _pct(actuals.within_legal_pct),
            )
            console.print(table)
        if any(item.decided for item in actuals.items):
            table = Table(title=_("各事项审批用时(工作日,自起算至决定)"), title_justify="left")
            table.add_column(_("事项"))
            table.add_column(_("已决定"), justify="right")
            table.add_column(_("用时中位数"), justify="right")
            table.add_column(_("承诺时限"), justify="right")
            table.add_column(_("法定时限"), justify="right")
            table.add_column(_("承诺时限内占比"), justify="right")
            for item in actuals.items:
                table.add_row(
                    f"{item.name}({item.code})",
                    str(item.decided),
                    _number(item.median_days),
                    str(item.promised_days),
                    _number(item.legal_days),
                    _pct(item.within_promised_pct),
                )
            console.print(table)
        console.print()

    def _print_merged(self, console, merged):
        """A merged review (三评合一) among the bundle's items: the separate reviews it replaces against it."""
        table = Table(
            title=_("合并审批:%(item)s(替代 %(replaced)s)")
            % {
                "item": merged.item.name,
                "replaced": join_list(other.name for other in merged.replaced),
            },
            title_justify="left",
        )
        table.add_column(_("指标"))
        table.add_column(_("分别审批"), justify="right")
        table.add_column(_("合并审批"), justify="right")
        table.add_column(_("变化"), justify="right")
        table.add_row(
            _("办理环节(个)"),
            str(merged.separately.steps),
            str(merged.merged.steps),
            _change(merged.steps_saved),
        )
        table.add_row(
            _("申请材料(份)"),
            str(merged.separately.materials),
            str(merged.merged.materials),
            _change_pct(merged.materials_reduction_pct),
        )
        table.add_row(
            _("承诺时间(工作日)"),
            str(merged.separately.days),
            str(merged.merged.days),
            _change_pct(merged.time_reduction_pct),
        )
        table.add_row(
            _("法定时限(工作日)"),
            str(merged.legal_days_separately),
            str(merged.legal_days_merged),
            _change(merged.legal_days_separately - merged.legal_days_merged),
        )
        console.print(table)
        actuals = merged.actuals
        if actuals is not None and actuals.decided:
            console.print(
                _("合并审批已决定 %(decided)s 件,用时中位数 %(median)s 个工作日,承诺时限内占比 %(within)s。")
                % {
                    "decided": actuals.decided,
                    "median": _number(actuals.median_days),
                    "within": _pct(actuals.within_promised_pct),
                }
            )
