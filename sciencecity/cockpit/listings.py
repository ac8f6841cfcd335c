"""How the cockpit lists the records behind a figure: for each kind of record, the columns a leader reads, the
joins that fetch them in the same query (no N+1), the order, and the page that opens one record.

Every figure of `figures` counts (or sums) one queryset of one of these kinds; its drill-down page, its
Excel export and its API list all show that queryset through the listing of its kind, so the figure and the
list cannot disagree.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.urls import reverse
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Column:
    key: str
    label: object
    value: Callable[[object], object]  # the record → a plain value (text, number, date)
    numeric: bool = False


@dataclass(frozen=True)
class Listing:
    kind: str
    label: object
    related: tuple[str, ...]
    order: tuple[str, ...]
    columns: tuple[Column, ...]
    url: Callable[[object], str]

    def rows(self, queryset):
        return queryset.select_related(*self.related).order_by(*self.order)

    def values(self, record) -> list:
        return [column.value(record) for column in self.columns]

    def column(self, key: str) -> Column:
        return next(column for column in self.columns if column.key == key)


def _name(obj) -> str:
    return str(obj) if obj is not None else ""


def _department(obj) -> str:
    return obj.display_name if obj is not None else ""


def _day(moment) -> str:
    return moment.date().isoformat() if moment is not None and hasattr(moment, "date") else _text(moment)


def _text(value) -> str:
    if value is None:
        return ""
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


def _amount(value):
    return float(value) if value is not None else None


NUMBER = Column("number", _("编号"), lambda r: r.number)

LISTINGS = {
    listing.kind: listing
    for listing in (
        Listing(
            "application",
            _("办件"),
            ("enterprise", "bundle", "project"),
            ("-id",),
            (
                NUMBER,
                Column("enterprise", _("申请企业"), lambda r: _name(r.enterprise)),
                Column("bundle", _("一件事"), lambda r: _name(r.bundle)),
                Column("status", _("状态"), lambda r: r.get_status_display()),
                Column("submitted", _("提交日期"), lambda r: _day(r.submitted_at)),
                Column("concluded", _("办结日期"), lambda r: _day(r.concluded_at)),
                Column("working_days", _("用时(工作日)"), lambda r: r.working_days_elapsed, numeric=True),
            ),
            lambda r: reverse("approvals:leaders_application", args=[r.pk]),
        ),
        Listing(
            "task",
            _("审查任务"),
            ("application", "application__enterprise", "item", "department"),
            ("promised_deadline", "id"),
            (
                Column("application", _("办件编号"), lambda r: r.application.number),
                Column("enterprise", _("申请企业"), lambda r: _name(r.application.enterprise)),
                Column("item", _("审批事项"), lambda r: _name(r.item)),
                Column("department", _("部门"), lambda r: _department(r.department)),
                Column("status", _("状态"), lambda r: r.get_status_display()),
                Column("deadline", _("承诺期限"), lambda r: _text(r.promised_deadline)),
                Column("warning", _("预警"), lambda r: r.get_warning_level_display()),
            ),
            lambda r: reverse("approvals:leaders_application", args=[r.application_id]),
        ),
        Listing(
            "project",
            _("项目"),
            ("enterprise",),
            ("code",),
            (
                Column("code", _("项目代码"), lambda r: r.code),
                Column("name", _("项目名称"), lambda r: r.name),
                Column("enterprise", _("建设单位"), lambda r: _name(r.enterprise)),
                Column("phase", _("阶段"), lambda r: r.get_phase_display()),
                Column("warning", _("预警"), lambda r: r.get_warning_level_display()),
                Column(
                    "total_investment", _("总投资(万元)"), lambda r: _amount(r.total_investment), numeric=True
                ),
                Column(
                    "investment_to_date",
                    _("累计完成投资(万元)"),
                    lambda r: _amount(r.investment_to_date),
                    numeric=True,
                ),
            ),
            lambda r: reverse("approvals:project", args=[r.pk]),
        ),
        Listing(
            "plan",
            _("年度投资计划"),
            ("project", "project__enterprise"),
            ("project__code",),
            (
                Column("code", _("项目代码"), lambda r: r.project.code),
                Column("project", _("项目名称"), lambda r: r.project.name),
                Column("year", _("年度"), lambda r: r.year, numeric=True),
                Column("category", _("年度类别"), lambda r: r.get_category_display()),
                Column("planned", _("年度计划投资(万元)"), lambda r: _amount(r.planned), numeric=True),
                Column("completed", _("年度已完成投资(万元)"), lambda r: _amount(r.completed), numeric=True),
            ),
            lambda r: reverse("approvals:project", args=[r.project_id]),
        ),
        Listing(
            "report",
            _("项目月报"),
            ("project",),
            ("-month", "project__code"),
            (
                Column("code", _("项目代码"), lambda r: r.project.code),
                Column("project", _("项目名称"), lambda r: r.project.name),
                Column("month", _("月份"), lambda r: f"{r.month:%Y-%m}"),
                Column("investment", _("本月完成投资(万元)"), lambda r: _amount(r.investment), numeric=True),
                Column("progress", _("形象进度(%)"), lambda r: r.progress_percent, numeric=True),
                Column("late", _("逾期报送"), lambda r: _("是") if r.is_late else _("否")),
            ),
            lambda r: reverse("approvals:project", args=[r.project_id]),
        ),
        Listing(
            "mass_start",
            _("集中开工活动"),
            (),
            ("-held_on", "-id"),
            (
                Column("held_on", _("开工日期"), lambda r: _text(r.held_on)),
                Column("name", _("活动名称"), lambda r: r.name),
                Column("place", _("活动地点"), lambda r: r.place),
                Column("projects", _("开工项目数"), lambda r: r.project_count, numeric=True),
                Column("investment", _("总投资(万元)"), lambda r: _amount(r.total_investment), numeric=True),
            ),
            lambda r: reverse("projects:mass_start", args=[r.pk]),
        ),
        Listing(
            "mass_start_project",
            _("集中开工项目"),
            ("event", "project", "project__enterprise"),
            ("-event__held_on", "event_id", "id"),
            (
                Column("held_on", _("开工日期"), lambda r: _text(r.event.held_on)),
                Column("event", _("集中开工活动"), lambda r: r.event.name),
                Column("code", _("项目代码"), lambda r: r.project.code),
                Column("project", _("项目名称"), lambda r: r.project.name),
                Column("enterprise", _("建设单位"), lambda r: _name(r.project.enterprise)),
                Column("investment", _("开工投资(万元)"), lambda r: _amount(r.investment), numeric=True),
            ),
            lambda r: reverse("approvals:project", args=[r.project_id]),
        ),
        Listing(
            "problem",
            _("问题"),
            ("category", "department"),
            ("-reported_at", "-id"),
            (
                NUMBER,
                Column("title", _("标题"), lambda r: r.title),
                Column("category", _("类别"), lambda r: _name(r.category)),
                Column("department", _("责任部门"), lambda r: _department(r.department)),
                Column("status", _("状态"), lambda r: r.get_status_display()),
                Column("reported", _("报告日期"), lambda r: _day(r.reported_at)),
                Column("due", _("办理期限"), lambda r: _text(r.due_date)),
                Column("closed", _("办结日期"), lambda r: _day(r.closed_at) if r.status == "closed" else ""),
            ),
            lambda r: reverse("problems:detail", args=[r.pk]),
        ),
        Listing(
            "match",
            _("符合条件未申请"),
            ("policy", "enterprise"),
            ("policy__code", "enterprise__name"),
            (
                Column("policy", _("惠企政策"), lambda r: r.policy.title),
                Column("enterprise", _("企业"), lambda r: _name(r.enterprise)),
                Column("computed", _("匹配时间"), lambda r: _day(r.computed_at)),
            ),
            lambda r: reverse("policies:detail", args=[r.policy.code]),
        ),
        Listing(
            "claim",
            _("政策兑现申请"),
            ("policy", "enterprise"),
            ("-id",),
            (
                NUMBER,
                Column("policy", _("惠企政策"), lambda r: r.policy.title),
                Column("enterprise", _("企业"), lambda r: _name(r.enterprise)),
                Column("status", _("状态"), lambda r: r.get_status_display()),
                Column("amount", _("核准金额(万元)"), lambda r: _amount(r.approved_amount), numeric=True),
                Column("paid", _("拨付日期"), lambda r: _day(r.paid_at)),
            ),
            lambda r: reverse("policies:claim", args=[r.pk]),
        ),
        Listing(
            "policy",
            _("惠企政策"),
            ("department",),
            ("code",),
            (
                Column("code", _("政策编号"), lambda r: r.code),
                Column("title", _("政策名称"), lambda r: r.title),
                Column("department", _("兑现部门"), lambda r: _department(r.department)),
                Column("budget", _("预算(万元)"), lambda r: _amount(r.budget), numeric=True),
                Column("paid", _("已拨付金额(万元)"), lambda r: _amount(r.paid), numeric=True),
            ),
            lambda r: reverse("policies:detail", args=[r.code]),
        ),
        Listing(
            "investment",
            _("先投后股项目"),
            ("enterprise",),
            ("-id",),
            (
                NUMBER,
                Column("title", _("项目名称"), lambda r: r.title),
                Column("enterprise", _("企业"), lambda r: _name(r.enterprise)),
                Column("status", _("状态"), lambda r: r.get_status_display()),
                Column("amount", _("投资金额(万元)"), lambda r: _amount(r.amount), numeric=True),
                Column("converted", _("已转股金额(万元)"), lambda r: _amount(r.converted), numeric=True),
                Column("repaid", _("已回收金额(万元)"), lambda r: _amount(r.repaid), numeric=True),
            ),
            lambda r: reverse("fund:investment", args=[r.pk]),
        ),
        Listing(
            "tranche",
            _("拨付批次"),
            ("investment", "investment__enterprise"),
            ("-disbursed_at", "-id"),
            (
                Column("investment", _("项目编号"), lambda r: r.investment.number),
                Column("enterprise", _("企业"), lambda r: _name(r.investment.enterprise)),
                Column("tranche", _("批次"), lambda r: r.number, numeric=True),
                Column("amount", _("金额(万元)"), lambda r: _amount(r.amount), numeric=True),
                Column("disbursed", _("拨付日期"), lambda r: _day(r.disbursed_at)),
            ),
            lambda r: reverse("fund:investment", args=[r.investment_id]),
        ),
        Listing(
            "interaction",
            _("政商交往登记"),
            ("enterprise", "official", "department"),
            ("-occurred_on", "-id"),
            (
                NUMBER,
                Column("occurred_on", _("交往日期"), lambda r: _text(r.occurred_on)),
                Column("enterprise", _("企业"), lambda r: _name(r.enterprise)),
                Column("kind", _("交往方式"), lambda r: r.get_kind_display()),
                Column("official", _("登记人"), lambda r: _name(r.official)),
                Column("department", _("部门"), lambda r: _department(r.department)),
                Column(
                    "flags",
                    _("提示"),
                    lambda r: _("、").join(
                        str(text)
                        for flag, text in ((r.forbidden, _("涉及负面清单")), (r.late, _("逾期登记")))
                        if flag
                    ),
                ),
                Column("response", _("企业确认"), lambda r: r.get_response_display()),
            ),
            lambda r: reverse("interactions:detail", args=[r.pk]),
        ),
        Listing(
            "service_event",
            _("惠企服务活动"),
            ("department",),
            ("-starts_at", "-id"),
            (
                NUMBER,
                Column("starts_at", _("开始时间"), lambda r: _day(r.starts_at)),
                Column("kind", _("活动类型"), lambda r: r.get_kind_display()),
                Column("title", _("活动名称"), lambda r: r.title),
                Column("department", _("组织部门"), lambda r: _department(r.department)),
                Column("place", _("地点"), lambda r: r.place),
                Column("status", _("状态"), lambda r: r.get_status_display()),
            ),
            lambda r: reverse("service_events:detail", args=[r.pk]),
        ),
        Listing(
            "activity",
            _("党组织活动"),
            ("organization",),
            ("-held_on", "-id"),
            (
                Column("held_on", _("活动日期"), lambda r: _text(r.held_on)),
                Column("organization", _("组织单位"), lambda r: _name(r.organization)),
                Column("kind", _("活动类别"), lambda r: r.get_kind_display()),
                Column("title", _("活动主题"), lambda r: r.title),
            ),
            lambda r: reverse("party:activity", args=[r.pk]),
        ),
    )
}
