"""The cockpit's charts: figures broken down by one dimension (a GROUP BY over the figure's own queryset).

A chart names one or more figures (its series) and the column they are grouped by; each bar is the figure's
measure over the records whose column has that value, and opens the figure's list filtered the same way
(`?by=<dimension>&value=<v>`). So a bar, like a figure, equals its list. Labels are looked up when the page
is drawn, in the reader's language; the snapshot keeps the raw values.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass

from django.db.models import Avg, Count, Q, Sum
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from sciencecity.accounts.models import Department
from sciencecity.approvals.models import Application
from sciencecity.catalog.models import Bundle
from sciencecity.fund.models import Investment
from sciencecity.partybuilding.models import Activity
from sciencecity.policies.models import Policy
from sciencecity.problems import geo
from sciencecity.problems.models import Problem, ProblemCategory
from sciencecity.projects.models import Level, Project

from .figures import AVG, BY_KEY, COUNT, PORTFOLIO_STATUSES, SUM
from .periods import Period


def _english() -> bool:
    return (get_language() or "").startswith("en")


def _choices(choices) -> Callable[[list], dict]:
    labels = dict(choices)
    return lambda values: {value: str(labels.get(value, value)) for value in values}


def _departments(values) -> dict:
    return {
        department.code: department.display_name
        for department in Department.objects.filter(code__in=[v for v in values if v])
    }


def _bundles(values) -> dict:
    """A bundle keeps its code across catalog versions: named by its newest version."""
    names = {}
    for bundle in Bundle.objects.filter(code__in=[v for v in values if v]).order_by(
        "code", "version__number"
    ):
        names[bundle.code] = str(bundle)
    return names


def _areas(values) -> dict:
    names = {area.code: area.name_en if _english() and area.name_en else area.name for area in geo.areas()}
    return {value: names.get(value, value) for value in values}


def _policies(values) -> dict:
    return dict(Policy.objects.filter(pk__in=[v for v in values if v]).values_list("pk", "title"))


def _categories(values) -> dict:
    return {category.pk: str(category) for category in ProblemCategory.objects.filter(pk__in=values)}


@dataclass(frozen=True)
class Dimension:
    key: str
    field: str  # the column grouped by and filtered on
    labels: Callable[[list], dict]
    order: str = "measure"  # "measure": largest first; "choices": in the order of `values`
    values: tuple = ()  # every value in order (choices), shown even when zero


DIMENSIONS = {
    dimension.key: dimension
    for dimension in (
        Dimension("status", "status", _choices(Application.Status.choices), "choices",
                  tuple(Application.OPEN_STATUSES)),
        Dimension("bundle", "bundle__code", _bundles),
        Dimension("department", "department__code", _departments),
        Dimension("phase", "phase", _choices(Project.Phase.choices), "choices",
                  tuple(v for v, _l in Project.Phase.choices)),
        Dimension("warning", "warning_level", _choices(Level.choices), "choices",
                  tuple(v for v, _l in Level.choices)),
        Dimension("area", "area", _areas),
        Dimension("source", "source", _choices(Problem.Source.choices)),
        Dimension("category", "category_id", _categories),
        Dimension("policy", "policy_id", _policies),
        Dimension("fund_status", "status", _choices(Investment.Status.choices), "choices",
                  PORTFOLIO_STATUSES),
        Dimension("activity_kind", "kind", _choices(Activity.Kind.choices)),
    )
}  # fmt: skip


@dataclass(frozen=True)
class Chart:
    key: str
    section: str
    title: object
    series: tuple[str, ...]  # figure keys
    dimension: str
    limit: int = 0  # the largest `limit` groups only (0: all)
    horizontal: bool = True
    map: bool = False  # drawn on the zone's map (area dimension)

    @property
    def in_period(self) -> bool:
        return any(BY_KEY[key].in_period for key in self.series)


CHARTS: tuple[Chart, ...] = (
    Chart("applications_by_status", "approvals", _("在办办件状态"), ("applications_in_progress",), "status",
          horizontal=False),
    Chart("submitted_by_bundle", "approvals", _("各一件事提交办件"), ("applications_submitted",), "bundle"),
    Chart("days_by_bundle", "approvals", _("各一件事平均办理用时(工作日)"), ("applications_days",), "bundle"),
    Chart("tasks_by_department", "approvals", _("各部门在办、超期和督办任务"),
          ("tasks_open", "tasks_overdue", "tasks_escalated"), "department"),
    Chart("projects_by_phase", "projects", _("重点项目阶段分布"), ("key_projects",), "phase", horizontal=False),
    Chart("projects_by_warning", "projects", _("重点项目预警"), ("key_projects",), "warning", horizontal=False),
    Chart("overdue_by_department", "problems", _("各部门超期问题"), ("problems_overdue",), "department"),
    Chart("problems_by_area", "problems", _("问题热点(期内新发现)"), ("problems_reported",), "area", map=True),
    Chart("problems_by_source", "problems", _("问题来源"), ("problems_reported",), "source"),
    Chart("paid_by_policy", "services", _("各政策期内拨付金额(前十)"), ("claims_paid_amount",), "policy", limit=10),
    Chart("portfolio_by_status", "services", _("先投后股投资组合"), ("fund_portfolio",), "fund_status",
          horizontal=False),
    Chart("activities_by_kind", "party", _("党组织活动类别"), ("activities_held",), "activity_kind"),
    Chart("interactions_by_department", "interactions", _("各部门政商交往登记"),
          ("interactions_recorded", "interactions_flagged"), "department"),
)  # fmt: skip

BY_KEY_CHARTS = {chart.key: chart for chart in CHARTS}


def _group(figure, queryset, field: str) -> list:
    rows = queryset.order_by().values(field)
    if figure.measure == COUNT:
        rows = rows.annotate(value=Count("pk"))
    else:
        rows = rows.annotate(value=(Sum if figure.measure == SUM else Avg)(figure.field))
    result = []
    for row in rows:
        value = row["value"]
        if value is None:
            continue
        if figure.measure != COUNT:
            value = round(float(value), 2 if figure.measure == SUM else 1)
        result.append([row[field], value])
    return result


def compute(chart: Chart, period: Period, today: datetime.date) -> dict:
    """{figure key: [[dimension value, measure], ...]} for each series: one GROUP BY per series."""
    dimension = DIMENSIONS[chart.dimension]
    result = {}
    for key in chart.series:
        figure = BY_KEY[key]
        groups = _group(figure, figure.queryset(period, today), dimension.field)
        if figure.measure == AVG:
            groups.sort(key=lambda pair: str(pair[0]))
        result[key] = groups
    return result


def filtered(queryset, dimension_key: str, value: str):
    """The records of one bar: the figure's queryset where the chart's column has `value`."""
    dimension = DIMENSIONS[dimension_key]
    if "\x00" in (value or ""):  # no value holds a NUL (and PostgreSQL refuses one in a literal)
        return queryset.none()
    if value in ("", None):  # the bar of records without it: a null key, or a blank text (an area not found)
        if dimension.field.endswith("_id"):
            return queryset.filter(**{f"{dimension.field}__isnull": True})
        return queryset.filter(Q(**{f"{dimension.field}__isnull": True}) | Q(**{dimension.field: ""}))
    if dimension.field.endswith("_id"):
        try:
            value = int(value)
        except (TypeError, ValueError):
            return queryset.none()
        if not 0 < value < 2**63:  # no row has such an id (and the databases refuse to compare one)
            return queryset.none()
    return queryset.filter(**{dimension.field: value})


def shaped(chart: Chart, stored: dict) -> dict:
    """The chart as the page and the API give it: categories (value, label) in order, and one list of numbers
    per series, from the stored groups."""
    dimension = DIMENSIONS[chart.dimension]
    series = {key: {str(value): measure for value, measure in stored.get(key, [])} for key in chart.series}
    present = {value for groups in stored.values() for value, _measure in groups}
    if dimension.order == "choices":
        values = list(dimension.values)  # every choice, zeros included, in its own order
    else:
        first = chart.series[0]
        values = sorted(present, key=lambda v: (-(series[first].get(str(v)) or 0), str(v)))
    if chart.limit:
        values = values[: chart.limit]
    labels = dimension.labels(values)
    return {
        "categories": [
            {"value": "" if value is None else str(value), "label": str(labels.get(value) or _("未注明"))}
            for value in values
        ],
        "series": [
            {"figure": key, "values": [series[key].get(str(value), 0) for value in values]}
            for key in chart.series
        ],
    }
