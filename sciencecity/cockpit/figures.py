"""The cockpit's figures, each defined once as the records it counts.

A `Figure` is a queryset of one kind of record (`listings`) and a measure over it: how many there are, or the
sum or average of one column. The snapshot (`snapshots`) stores the measure; the drill-down page, its Excel
export and the API list the same queryset. So "the figure equals its list" holds by construction, and a
test checks it for every figure.

A figure either belongs to a period (`in_period`: the records of that month, quarter or year — compared
with the same period last year) or is a state of today (open tasks, overdue problems, red-lit projects),
which no period changes. A `Rate` divides two figures and opens the list of its numerator.

Definitions (the README's table of figures is written from these docstrings' words):
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass

from django.db.models import Avg, Exists, F, OuterRef, Q, Sum
from django.utils.translation import gettext_lazy as _

from sciencecity.approvals.models import Application
from sciencecity.approvals.services.deadlines import open_tasks, task_state_filter
from sciencecity.fund.models import Investment, Tranche
from sciencecity.interactions.models import Interaction
from sciencecity.partybuilding.models import Activity, Alliance
from sciencecity.policies.models import Claim, Policy, PolicyMatch
from sciencecity.problems.models import Problem
from sciencecity.projects.models import (
    EscortMember,
    InvestmentPlan,
    Level,
    MonthlyReport,
    PhaseChange,
    Project,
)

from .construction import mass_start_projects, mass_starts
from .periods import Period
from .service_events import event_demands_closed, event_demands_raised, service_events_held

A = Application.Status
P = Problem.Status

SECTIONS = {
    "approvals": _("一件事审批"),
    "projects": _("重点项目"),
    "problems": _("问题闭环"),
    "services": _("惠企服务"),
    "party": _("党建引领"),
    "interactions": _("政商交往"),
}

COUNT, SUM, AVG = "count", "sum", "avg"


@dataclass(frozen=True)
class Figure:
    key: str
    section: str
    label: object
    definition: object
    kind: str  # the listing of its records
    records: Callable[[Period, datetime.date], object]  # (period, today) → QuerySet
    measure: str = COUNT
    field: str = ""  # the column summed or averaged
    unit: object = _("件")
    in_period: bool = True

    def queryset(self, period: Period, today: datetime.date):
        return self.records(period, today)

    def compute(self, period: Period, today: datetime.date):
        """The figure's value: one aggregate over its queryset."""
        return self.compute_over(self.queryset(period, today))

    def compute_over(self, queryset):
        """The figure's measure over `queryset` (its own records, or a part of them)."""
        queryset = queryset.order_by()
        if self.measure == COUNT:
            return queryset.count()
        function = Sum if self.measure == SUM else Avg
        value = queryset.aggregate(value=function(self.field))["value"]
        if value is None:
            return 0 if self.measure == SUM else None
        return round(float(value), 2 if self.measure == SUM else 1)


@dataclass(frozen=True)
class Rate:
    key: str
    section: str
    label: object
    definition: object
    numerator: str
    denominator: str
    unit: object = "%"
    in_period: bool = True

    def value(self, figures: dict):
        top, bottom = figures.get(self.numerator), figures.get(self.denominator)
        if not bottom or top is None:
            return None
        return round(float(top) * 100 / float(bottom), 1)


def _moments(period: Period):
    return period.bounds()


def _within(field: str, period: Period) -> Q:
    start, end = _moments(period)
    return Q(**{f"{field}__gte": start, f"{field}__lt": end})


def _days_within(field: str, period: Period) -> Q:
    return Q(**{f"{field}__gte": period.start, f"{field}__lt": period.end})


# --- approvals -------------------------------------------------------------------------------------------


def applications_submitted(period, today):
    return Application.objects.filter(_within("submitted_at", period))


def applications_concluded(period, today):
    return Application.objects.filter(_within("concluded_at", period), status__in=(A.CONCLUDED, A.DELIVERED))


def applications_on_time(period, today):
    return applications_concluded(period, today).filter(
        working_days_elapsed__lte=F("bundle__intake_limit_days") + F("bundle__promised_limit_days")
    )


def applications_in_progress(period, today):
    return Application.objects.filter(status__in=Application.OPEN_STATUSES)


def tasks_in_state(state):
    def records(period, today):
        return open_tasks().filter(task_state_filter(state, today))

    return records


# --- projects --------------------------------------------------------------------------------------------


def key_projects(period, today):
    return Project.objects.filter(is_key=True)


def key_projects_lit(level):
    def records(period, today):
        return key_projects(period, today).filter(warning_level=level)

    return records


def projects_started(period, today):
    return Project.objects.filter(
        is_key=True,
        # A registration's row (no previous phase) dates the entry into the registry, not a start: a project
        # registered as already under construction did not start in the period.
        pk__in=PhaseChange.objects.filter(_days_within("changed_on", period), to_phase=Project.Phase.STARTED)
        .exclude(from_phase="")
        .values("project_id"),
    )


def investment_plans(period, today):
    return InvestmentPlan.objects.filter(year=period.year, project__is_key=True)


def monthly_reports(period, today):
    return MonthlyReport.objects.filter(_days_within("month", period), project__is_key=True)


def late_reports(period, today):
    return monthly_reports(period, today).filter(is_late=True)


# --- problems --------------------------------------------------------------------------------------------

COUNTED = [status for status in P if status not in (P.MERGED, P.DISMISSED)]


def problems_reported(period, today):
    return Problem.objects.filter(_within("reported_at", period))


def problems_reported_counted(period, today):
    """Reported in the period, neither merged into another nor dismissed: the closed loop's base."""
    return problems_reported(period, today).filter(status__in=COUNTED)


def problems_reported_closed(period, today):
    return problems_reported(period, today).filter(status=P.CLOSED)


def problems_closed(period, today):
    return Problem.objects.filter(_within("closed_at", period), status=P.CLOSED)


def problems_on_time(period, today):
    return problems_closed(period, today).filter(closed_on_time=True)


def problems_overdue(period, today):
    return Problem.objects.overdue(today)


def problems_open(period, today):
    return Problem.objects.open()


# --- enterprise services ---------------------------------------------------------------------------------

LIVE_CLAIMS = [
    status for status in Claim.Status if status not in (Claim.Status.REFUSED, Claim.Status.WITHDRAWN)
]


def policies_in_force(period, today):
    return Policy.objects.filter(is_published=True, valid_from__lte=today).filter(
        Q(valid_until__isnull=True) | Q(valid_until__gte=today)
    )


def eligible_unclaimed(period, today):
    """Eligible enterprises of the policies in force that have no live claim under that policy."""
    claimed = Claim.objects.filter(
        policy_id=OuterRef("policy_id"), enterprise_id=OuterRef("enterprise_id"), status__in=LIVE_CLAIMS
    )
    return PolicyMatch.objects.filter(
        verdict=PolicyMatch.Verdict.ELIGIBLE, policy__in=policies_in_force(period, today)
    ).exclude(Exists(claimed))


def claims_submitted(period, today):
    return Claim.objects.filter(_within("submitted_at", period))


def claims_paid(period, today):
    return Claim.objects.filter(_within("paid_at", period), status=Claim.Status.PAID)


def investments_held(period, today):
    return Investment.objects.filter(status=Investment.Status.INVESTED)


PORTFOLIO_STATUSES = (
    Investment.Status.INVESTED,
    Investment.Status.CONVERTED,
    Investment.Status.REPAID,
    Investment.Status.WRITTEN_OFF,
)


def portfolio(period, today):
    """Every investment the fund made: held, converted, repaid or written off."""
    return Investment.objects.filter(status__in=PORTFOLIO_STATUSES)


def investments_signed(period, today):
    return Investment.objects.filter(_days_within("signed_on", period))


def tranches_disbursed(period, today):
    return Tranche.objects.filter(_within("disbursed_at", period), status=Tranche.Status.DISBURSED)


# --- party building ----------------------------------------------------------------------------------------


def key_projects_with_alliance(period, today):
    alliances = Alliance.objects.filter(project_id=OuterRef("pk"), dissolved_on__isnull=True)
    return key_projects(period, today).filter(Exists(alliances))


def key_projects_with_instructor(period, today):
    instructors = EscortMember.objects.filter(project_id=OuterRef("pk"), role=EscortMember.Role.INSTRUCTOR)
    return key_projects(period, today).filter(Exists(instructors))


def activities_held(period, today):
    return Activity.objects.filter(_days_within("held_on", period))


def joint_activities(period, today):
    return activities_held(period, today).filter(alliance__isnull=False)


# --- the interaction register --------------------------------------------------------------------------------


def interactions_recorded(period, today):
    return Interaction.objects.filter(_days_within("occurred_on", period))


def interactions_flagged(period, today):
    return interactions_recorded(period, today).filter(Q(late=True) | Q(forbidden=True))


def interactions_disputed(period, today):
    return interactions_recorded(period, today).filter(response=Interaction.Response.DISPUTED)


NOW = {"in_period": False}
MONEY = _("万元")
DAYS = _("个工作日")

FIGURES: tuple[Figure, ...] = (
    # approvals
    Figure("applications_submitted", "approvals", _("提交办件"), _("期内提交(最后一次提交)的办件。"),
           "application", applications_submitted),
    Figure("applications_concluded", "approvals", _("办结办件"), _("期内办结(含已出件)的办件。"),
           "application", applications_concluded),
    Figure("applications_on_time", "approvals", _("承诺时限内办结"),
           _("期内办结、用时不超过受理时限加承诺时限(工作日)的办件。"), "application", applications_on_time),
    Figure("applications_days", "approvals", _("平均办理用时"),
           _("期内办结办件从提交到办结的平均工作日数(补正、补充材料的暂停日不计)。"), "application",
           applications_concluded, measure=AVG, field="working_days_elapsed", unit=DAYS),
    Figure("applications_in_progress", "approvals", _("在办办件"), _("当前待受理、待补正和审批中的办件。"),
           "application", applications_in_progress, **NOW),
    Figure("tasks_open", "approvals", _("在办审查任务"), _("当前各部门未办结的审查任务。"), "task",
           tasks_in_state("open"), **NOW),
    Figure("tasks_overdue", "approvals", _("超期任务"), _("计时中且已过承诺期限的审查任务。"), "task",
           tasks_in_state("overdue"), **NOW),
    Figure("tasks_escalated", "approvals", _("督办任务"), _("超期满一个工作日、已通知领导的审查任务。"),
           "task", tasks_in_state("escalated"), **NOW),
    # projects
    Figure("key_projects", "projects", _("重点项目"), _("当前登记为重点项目的项目。"), "project", key_projects,
           unit=_("个"), **NOW),
    Figure("key_projects_red", "projects", _("红灯项目"), _("当前月度预警为红灯的重点项目。"), "project",
           key_projects_lit(Level.RED), unit=_("个"), **NOW),
    Figure("key_projects_yellow", "projects", _("黄灯项目"), _("当前月度预警为黄灯的重点项目。"), "project",
           key_projects_lit(Level.YELLOW), unit=_("个"), **NOW),
    Figure("projects_started", "projects", _("新开工重点项目"), _("期内进入开工阶段的重点项目。"), "project",
           projects_started, unit=_("个")),
    Figure("investment_in_period", "projects", _("期内完成投资"), _("重点项目期内各月月报的完成投资之和。"),
           "report", monthly_reports, measure=SUM, field="investment", unit=MONEY),
    Figure("investment_planned", "projects", _("年度计划投资"), _("所在年度重点项目投资计划之和。"), "plan",
           investment_plans, measure=SUM, field="planned", unit=MONEY),
    Figure("investment_completed", "projects", _("年度已完成投资"),
           _("所在年度重点项目已完成投资之和(由月报累计)。"), "plan", investment_plans, measure=SUM,
           field="completed", unit=MONEY),
    Figure("reports_late", "projects", _("逾期报送月报"), _("期内月份逾期报送的重点项目月报。"), "report",
           late_reports, unit=_("份")),
    Figure("mass_starts", "projects", _("集中开工活动"), _("期内举行的集中开工活动。"), "mass_start",
           mass_starts, unit=_("次")),
    Figure("mass_start_projects", "projects", _("集中开工项目"), _("期内集中开工活动开工的项目。"),
           "mass_start_project", mass_start_projects, unit=_("个")),
    Figure("mass_start_investment", "projects", _("集中开工投资"), _("期内集中开工项目的开工投资之和。"),
           "mass_start_project", mass_start_projects, measure=SUM, field="investment", unit=MONEY),
    # problems
    Figure("problems_reported", "problems", _("新发现问题"), _("期内报告的问题(含合并、不予受理)。"), "problem",
           problems_reported),
    Figure("problems_reported_counted", "problems", _("计入闭环的问题"),
           _("期内报告、未被合并或不予受理的问题。"), "problem", problems_reported_counted),
    Figure("problems_reported_closed", "problems", _("其中已办结"), _("期内报告、现已办结的问题。"), "problem",
           problems_reported_closed),
    Figure("problems_closed", "problems", _("办结问题"), _("期内办结(核查通过)的问题。"), "problem",
           problems_closed),
    Figure("problems_on_time", "problems", _("按期办结问题"), _("期内办结且未超过办理期限的问题。"), "problem",
           problems_on_time),
    Figure("problems_open", "problems", _("未办结问题"), _("当前待派遣、待签收、已退回、整改中或待核查的问题。"),
           "problem", problems_open, **NOW),
    Figure("problems_overdue", "problems", _("超期问题"), _("当前计时中且已过办理期限的问题。"), "problem",
           problems_overdue, **NOW),
    # enterprise services
    Figure("eligible_unclaimed", "services", _("符合条件未申请"),
           _("现行政策中,企业符合条件但尚无有效兑现申请的政策与企业组合。"), "match", eligible_unclaimed,
           unit=_("家次"), **NOW),
    Figure("claims_submitted", "services", _("兑现申请"), _("期内提交的政策兑现申请。"), "claim",
           claims_submitted),
    Figure("claims_paid", "services", _("拨付笔数"), _("期内拨付的政策兑现。"), "claim", claims_paid,
           unit=_("笔")),
    Figure("claims_paid_amount", "services", _("拨付金额"), _("期内拨付的政策兑现金额之和。"), "claim",
           claims_paid, measure=SUM, field="approved_amount", unit=MONEY),
    Figure("policy_budget", "services", _("现行政策预算"), _("现行政策预算之和。"), "policy", policies_in_force,
           measure=SUM, field="budget", unit=MONEY, **NOW),
    Figure("policy_paid", "services", _("现行政策已拨付"), _("现行政策累计已拨付金额之和。"), "policy",
           policies_in_force, measure=SUM, field="paid", unit=MONEY, **NOW),
    Figure("fund_held", "services", _("在投项目"), _("当前已签约投资、尚未转股或回收的先投后股项目。"),
           "investment", investments_held, unit=_("个"), **NOW),
    Figure("fund_held_amount", "services", _("在投金额"), _("当前在投项目的投资金额之和。"), "investment",
           investments_held, measure=SUM, field="amount", unit=MONEY, **NOW),
    Figure("fund_portfolio", "services", _("基金投资组合"), _("基金已投资的全部项目(在投、已转股、已回收、已核销)。"),
           "investment", portfolio, unit=_("个"), **NOW),
    Figure("fund_signed", "services", _("新签约投资"), _("期内签约的先投后股项目。"), "investment",
           investments_signed, unit=_("个")),
    Figure("fund_disbursed", "services", _("基金拨付"), _("期内拨付的先投后股资金之和。"), "tranche",
           tranches_disbursed, measure=SUM, field="amount", unit=MONEY),
    Figure("service_events_held", "services", _("惠企服务活动"),
           _("期内举办(已记录成果)的交流对话会、政策宣讲会、对接会和组团上门服务。"), "service_event",
           service_events_held, unit=_("场")),
    Figure("event_demands_raised", "services", _("活动收集诉求"), _("期内服务活动中企业提出、转入问题闭环的诉求。"),
           "problem", event_demands_raised, unit=_("条")),
    Figure("event_demands_closed", "services", _("活动诉求办结"), _("期内办结(核查通过)的服务活动诉求。"),
           "problem", event_demands_closed, unit=_("条")),
    # party building
    Figure("projects_with_alliance", "party", _("有党建联盟的重点项目"),
           _("当前有未解散的项目党建联盟的重点项目。"), "project", key_projects_with_alliance, unit=_("个"), **NOW),
    Figure("projects_with_instructor", "party", _("有党建指导员的重点项目"),
           _("当前护航专班中有党建指导员的重点项目。"), "project", key_projects_with_instructor, unit=_("个"), **NOW),
    Figure("activities_held", "party", _("党组织活动"), _("期内开展的党组织活动。"), "activity", activities_held,
           unit=_("次")),
    Figure("joint_activities", "party", _("联盟联建活动"), _("期内以项目党建联盟名义开展的活动。"), "activity",
           joint_activities, unit=_("次")),
    # the interaction register
    Figure("interactions_recorded", "interactions", _("政商交往登记"), _("期内发生、已登记的政企交往。"),
           "interaction", interactions_recorded, unit=_("条")),
    Figure("interactions_flagged", "interactions", _("需关注的登记"), _("其中逾期登记或涉及负面清单的。"),
           "interaction", interactions_flagged, unit=_("条")),
    Figure("interactions_disputed", "interactions", _("企业有异议的登记"), _("其中被走访企业提出异议的。"),
           "interaction", interactions_disputed, unit=_("条")),
)  # fmt: skip

RATES: tuple[Rate, ...] = (
    Rate("applications_on_time_rate", "approvals", _("承诺时限内办结率"), _("承诺时限内办结 ÷ 办结办件。"),
         "applications_on_time", "applications_concluded"),
    Rate("investment_completion_rate", "projects", _("年度投资完成率"), _("年度已完成投资 ÷ 年度计划投资。"),
         "investment_completed", "investment_planned"),
    Rate("problems_closed_loop_rate", "problems", _("闭环率"), _("期内报告的问题中已办结的比例。"),
         "problems_reported_closed", "problems_reported_counted"),
    Rate("problems_on_time_rate", "problems", _("按期办结率"), _("按期办结问题 ÷ 办结问题。"),
         "problems_on_time", "problems_closed"),
    Rate("policy_paid_rate", "services", _("预算拨付率"), _("现行政策已拨付 ÷ 现行政策预算。"), "policy_paid",
         "policy_budget", in_period=False),
    Rate("alliance_coverage", "party", _("党建联盟覆盖率"), _("有党建联盟的重点项目 ÷ 重点项目。"),
         "projects_with_alliance", "key_projects", in_period=False),
    Rate("instructor_coverage", "party", _("党建指导员覆盖率"), _("有党建指导员的重点项目 ÷ 重点项目。"),
         "projects_with_instructor", "key_projects", in_period=False),
)  # fmt: skip

BY_KEY: dict[str, Figure] = {figure.key: figure for figure in FIGURES}
RATES_BY_KEY: dict[str, Rate] = {rate.key: rate for rate in RATES}


def figure(key: str) -> Figure | None:
    """The figure named `key`; a rate stands for its numerator's list."""
    if key in RATES_BY_KEY:
        key = RATES_BY_KEY[key].numerator
    return BY_KEY.get(key)


def compute_all(period: Period, today: datetime.date) -> dict:
    """Every figure and rate of `period`, one aggregate query per figure."""
    values: dict = {figure.key: figure.compute(period, today) for figure in FIGURES}
    for rate in RATES:
        values[rate.key] = rate.value(values)
    return values
