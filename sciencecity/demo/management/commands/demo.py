"""`python manage.py demo [--seed 2026] [--problems 4000] [--reset]`: create the demo science city and print its
applications and problems by state and its accounts.

On a database that already holds enterprises, projects or demo accounts it changes nothing and prints the
demo accounts it finds. There is no in-place reset: every demo write has an append-only audit event, and
deleting the data it describes would leave a trail about records that no longer exist. `--reset` therefore
refuses on such a database and says to start from a fresh one; on an empty database it simply builds.
"""

import sys
import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from sciencecity.accounts.roles import role_label
from sciencecity.approvals.models import Application
from sciencecity.demo import world
from sciencecity.problems.models import Problem


class Command(BaseCommand):
    help = (
        "Create the demo science city (departments, catalog, an account per role, enterprises, 343 projects, "
        "about 120 applications and about 4,000 closed-loop problems in every state) and print the applications "
        "and problems by state and the demo accounts."
    )

    def add_arguments(self, parser):
        # Help texts are for developers and in English, like the other commands'; the output is translated.
        parser.add_argument(
            "--seed",
            type=int,
            default=world.DEFAULT_SEED,
            help="random seed; the same seed gives the same world",
        )
        parser.add_argument(
            "--problems",
            type=int,
            default=world.demo_problems.PROBLEMS,
            help="how many closed-loop problems to play from 2021 to today (the tests use a few hundred)",
        )
        parser.add_argument(
            "--reset",
            action="store_true",
            help="rebuild; refused on a non-empty database (audit events cannot be deleted): use a fresh one",
        )

    def handle(self, *args, seed, reset, problems=world.demo_problems.PROBLEMS, **options):
        stream = getattr(self.stdout, "_out", sys.stdout)
        # Wide enough for the table when the output is a file or pipe (rich assumes 80 columns there).
        console = Console(file=stream, highlight=False, width=None if stream.isatty() else 160)
        if world.world_exists():
            if reset:
                raise CommandError(
                    _(
                        "不能就地重置演示数据:每次写入都有审计记录,而审计日志只能追加、不能删除。"
                        "请删除数据库文件(默认 db.sqlite3),再运行 python manage.py migrate 和 python manage.py demo。"
                    )
                )
            console.print(
                _(
                    "数据库中已有企业、项目或演示账号,演示数据未重复生成,没有做任何更改。如需重新生成,请删除 db.sqlite3 后重新 migrate。"
                )
            )
            self._print_existing_accounts(console)
            return
        started = time.monotonic()
        with Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
        ) as progress:
            summary = world.build_world(seed, progress=progress, problems=problems)
        elapsed = time.monotonic() - started
        console.print(summary.catalog)
        console.print(
            _(
                "演示数据已生成(种子 %(seed)s,用时 %(seconds).1f 秒):%(departments)d 个部门,%(enterprises)d 家企业"
                "(科技型企业 %(tech)d 家,其中高新技术企业 %(high)d 家),%(projects)d 个项目(重点项目 %(key)d 个)。"
            )
            % {
                "seed": summary.seed,
                "seconds": elapsed,
                "departments": summary.departments,
                "enterprises": summary.enterprises,
                "tech": summary.tech_based,
                "high": summary.high_tech,
                "projects": summary.projects,
                "key": summary.key_projects,
            }
        )
        self._print_applications(console, summary.applications)
        self._print_problems(console, summary.problems)
        if summary.escort is not None:
            escort = summary.escort
            console.print(
                _(
                    "重点项目护航:%(teams)d 个护航团队,%(reports)d 份月报,%(logs)d 条服务记录;"
                    "预警 红灯 %(red)d、黄灯 %(yellow)d、绿灯 %(green)d。"
                )
                % escort.__dict__
            )
        if summary.files is not None:
            console.print(
                _(
                    "企业档案:%(files)d 份(年度数据 %(years)d 条,资质 %(qualifications)d 项);"
                    "创新平台 %(platforms)d 个,其中国家级 %(national)d 个。"
                )
                % summary.files.__dict__
            )
        if summary.policies is not None:
            console.print(
                _(
                    "惠企政策:%(policies)d 项有效(另有草稿 %(drafts)d 项);符合条件的企业—政策 %(eligible)d 对,"
                    "资料不全 %(unknown)d 对;已推送 %(notices)d 次;兑现申请 %(claims)d 件,已拨付 %(paid)d 件。"
                )
                % {key: value for key, value in summary.policies.__dict__.items() if key != "accounts"}
            )
        if summary.fund is not None:
            console.print(
                _("先投后股:%(investments)d 个项目,已拨付 %(disbursed)s 万元,%(converted)d 个已转股。")
                % summary.fund.__dict__
            )
        if summary.party is not None:
            console.print(
                _(
                    "党建引领:%(organizations)d 个党组织,%(members)d 名党员(预备党员 %(probationary)d 名),"
                    "%(teams)d 支红岩先锋队,%(alliances)d 个项目党建联盟,%(activities)d 次组织生活,%(evaluations)d 份评定。"
                )
                % {key: value for key, value in summary.party.__dict__.items() if key != "accounts"}
            )
        if summary.interactions is not None:
            console.print(
                _(
                    "政商交往登记:%(records)d 条,逾期登记 %(late)d 条,涉及负面清单 %(forbidden)d 条,"
                    "监督意见 %(findings)d 条;企业确认 %(confirmed)d 条,有异议 %(disputed)d 条。"
                )
                % summary.interactions.__dict__
            )
        if summary.report:
            console.print(
                _("领导驾驶舱:已统计各周期指标,已生成 %(month)s 园区月度报告。") % {"month": summary.report}
            )
        if summary.campaign is not None:
            console.print(
                _(
                    "“三比一争”:%(rounds)d 轮(已公布 %(published)d 轮),%(participants)d 个项目参评,%(inspections)d 次检查。"
                )
                % summary.campaign.__dict__
            )
        console.print(_("数据指纹(相同种子应相同):%(digest)s") % {"digest": summary.digest[:16]})
        self._print_accounts(console, summary.accounts)

    def _print_applications(self, console, applications):
        """The applications by state and bundle (or why there are none)."""
        if applications is None:
            return
        if applications.note:
            console.print(applications.note)
            return
        table = Table(
            title=_("办件 %(total)d 件(截至 %(now)s)")
            % {"total": applications.total, "now": f"{world.demo_applications.NOW:%Y-%m-%d %H:%M}"}
        )
        table.add_column(_("状态"), style="bold")
        for name in applications.bundles.values():
            table.add_column(name, justify="right")
        table.add_column(_("合计"), justify="right")
        for status, counts in applications.by_status.items():
            label = str(Application.Status(status).label)
            table.add_row(
                label, *(str(counts[code]) for code in applications.bundles), str(sum(counts.values()))
            )
        console.print(table)

    def _print_problems(self, console, problems):
        """The problems by state and by source, and the 散乱污 ledger's length."""
        if problems is None or not problems.total:
            return
        table = Table(title=f"{_('问题闭环')} {problems.total}")
        table.add_column(_("状态"), style="bold")
        table.add_column(_("合计"), justify="right")
        for status in Problem.Status:
            table.add_row(str(status.label), str(problems.by_status.get(status.value, 0)))
        sources = Table(title=_("来源"))
        sources.add_column(_("来源"), style="bold")
        sources.add_column(_("合计"), justify="right")
        for source in Problem.Source:
            if problems.by_source.get(source.value):
                sources.add_row(str(source.label), str(problems.by_source[source.value]))
        sources.add_row(_("散乱污整治台账"), str(problems.ledger))
        console.print(table)
        console.print(sources)

    def _print_existing_accounts(self, console):
        users = world.demo_users().select_related("department", "enterprise").prefetch_related("groups")
        accounts = []
        for user in users.order_by("id"):
            roles = [group.name for group in user.groups.all()]
            role = roles[0] if roles else ""
            place = (
                user.enterprise.name if user.enterprise else (user.department.name if user.department else "")
            )
            accounts.append(
                world.DemoAccount(user.username, world.DEMO_PASSWORD, role, role_label(role), place)
            )
        if accounts:
            self._print_accounts(console, accounts, note=_("(如未修改过密码)"))

    def _print_accounts(self, console, accounts, note=""):
        table = Table(title=_("演示账号") + note)
        table.add_column(_("用户名"), style="bold")
        table.add_column(_("密码"))
        table.add_column(_("角色"))
        table.add_column(_("部门/企业"))
        for account in accounts:
            table.add_row(account.username, account.password, account.role_label, account.place or "—")
        console.print(table)
        console.print(_("访问地址:%(url)s") % {"url": settings.SITE_URL.rstrip("/") + "/"})
