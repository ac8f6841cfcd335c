"""What a team, an organization or an instructor achieved, from the platform's own records — never typed in.

Each subject has a *reach*: the records it answers for.
- A pioneer team: its links — projects, enterprises (their key projects too), problem categories, areas,
  bundles.
- An organization (with its subtree): the departments of its organs' branches and the enterprises of its
  enterprise organizations, the projects its alliances serve, and the projects its members (through their
  platform accounts) escort.
- An instructor (党建指导员): the projects whose escort team they sit on as the instructor — the same person
  the projects' pages name.

From a reach, each figure is the size (or an average) of one queryset of another capability's records in the
year, so that its drill-down lists exactly the rows it counts (`rows`). Problems' figures are the problems
app's own (`problems.selectors.figures_of`).
"""

import datetime
from dataclasses import dataclass, field

from django.db.models import Avg, Count, F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from sciencecity.approvals.models import Application, Rating, ReviewTask
from sciencecity.problems.models import Problem
from sciencecity.problems.selectors import figures_of
from sciencecity.projects.models import EscortMember, Level, Project
from sciencecity.workdays import clock

from .models import Alliance, Organization, PartyMember, PioneerTeam, TeamLink


@dataclass
class Reach:
    projects: set = field(default_factory=set)
    enterprises: set = field(default_factory=set)
    categories: set = field(default_factory=set)
    areas: set = field(default_factory=set)
    bundles: set = field(default_factory=set)
    departments: set = field(default_factory=set)

    def __bool__(self):
        return any(vars(self).values())


# Which set of a reach each kind of link fills, and the link's column that holds it.
LINKED = {
    TeamLink.Kind.PROJECT: ("projects", "project_id"),
    TeamLink.Kind.ENTERPRISE: ("enterprises", "enterprise_id"),
    TeamLink.Kind.CATEGORY: ("categories", "category_id"),
    TeamLink.Kind.AREA: ("areas", "area"),
    TeamLink.Kind.BUNDLE: ("bundles", "bundle__code"),  # every catalog version's bundle of that code
}


def reach_of_team(team: PioneerTeam) -> Reach:
    reach = Reach()
    columns = [column for _set, column in LINKED.values()]
    for row in TeamLink.objects.filter(team=team).values("kind", *columns):
        target, column = LINKED[row["kind"]]
        getattr(reach, target).add(row[column])
    return reach


def reach_of_organization(organization: Organization) -> Reach:
    subtree = Organization.objects.filter(path__startswith=organization.path)
    reach = Reach(
        departments=set(subtree.exclude(department=None).values_list("department_id", flat=True)),
        enterprises=set(subtree.exclude(enterprise=None).values_list("enterprise_id", flat=True)),
    )
    reach.projects |= set(
        Alliance.objects.filter(memberships__organization__in=subtree).values_list("project_id", flat=True)
    )
    accounts = (
        PartyMember.objects.current().filter(organization__in=subtree, user__isnull=False).values("user_id")
    )
    reach.projects |= set(
        EscortMember.objects.filter(user_id__in=accounts).values_list("project_id", flat=True)
    )
    return reach


def reach_of_instructor(user) -> Reach:
    projects = EscortMember.objects.filter(user=user, role=EscortMember.Role.INSTRUCTOR).values_list(
        "project_id", flat=True
    )
    return Reach(projects=set(projects))


@dataclass(frozen=True)
class Figure:
    key: str
    label: object
    kind: str  # the records it counts: "project", "problem", "application", "task"


FIGURES = (
    Figure("projects", _("服务项目"), "project"),
    Figure("projects_red", _("红灯项目"), "project"),
    Figure("projects_yellow", _("黄灯项目"), "project"),
    Figure("problems", _("本年问题"), "problem"),
    Figure("problems_closed", _("已办结问题"), "problem"),
    Figure("problems_on_time", _("按期办结问题"), "problem"),
    Figure("problems_overdue", _("当前超期问题"), "problem"),
    Figure("applications", _("本年办结办件"), "application"),
    Figure("applications_on_time", _("承诺期限内办结"), "application"),
    Figure("tasks", _("本年部门审查"), "task"),
    Figure("tasks_on_time", _("按期完成审查"), "task"),
)
FIGURE_KEYS = {figure.key: figure for figure in FIGURES}


def _year_bounds(year: int) -> tuple[datetime.datetime, datetime.datetime]:
    """The year's first moment and the next year's, in the zone's time: a range the timestamps' indexes serve
    (a `__date` lookup would wrap the column in a conversion no index has)."""
    zone = timezone.get_current_timezone()
    return (
        datetime.datetime(year, 1, 1, tzinfo=zone),
        datetime.datetime(year + 1, 1, 1, tzinfo=zone),
    )


def _projects(reach: Reach):
    condition = Q(pk__in=reach.projects) | Q(enterprise_id__in=reach.enterprises, is_key=True)
    return (
        Project.objects.filter(condition) if reach.projects or reach.enterprises else Project.objects.none()
    )


def _problems(reach: Reach, year: int):
    condition = Q(pk__in=[])
    for field_name, values in (
        ("project_id", reach.projects),
        ("enterprise_id", reach.enterprises),
        ("category_id", reach.categories),
        ("area", reach.areas),
        ("department_id", reach.departments),
    ):
        if values:
            condition |= Q(**{f"{field_name}__in": values})
    first, after = _year_bounds(year)
    return Problem.objects.filter(condition, reported_at__gte=first, reported_at__lt=after)


def _applications(reach: Reach, year: int):
    condition = Q(pk__in=[])
    for field_name, values in (
        ("project_id", reach.projects),
        ("enterprise_id", reach.enterprises),
        ("bundle__code", reach.bundles),
    ):
        if values:
            condition |= Q(**{f"{field_name}__in": values})
    first, after = _year_bounds(year)
    return Application.objects.filter(condition, concluded_at__gte=first, concluded_at__lt=after)


def _tasks(reach: Reach, year: int):
    first, after = _year_bounds(year)
    return ReviewTask.objects.filter(
        department_id__in=reach.departments, decided_at__gte=first, decided_at__lt=after
    )


def rows(reach: Reach, key: str, year: int, today: datetime.date | None = None):
    """The records figure `key` counts: its drill-down lists exactly these."""
    today = today or clock.today()
    if key.startswith("projects"):
        projects = _projects(reach)
        level = {"projects_red": Level.RED, "projects_yellow": Level.YELLOW}.get(key)
        return projects.filter(warning_level=level) if level else projects
    if key.startswith("problems"):
        problems = _problems(reach, year)
        return {
            "problems": problems,
            "problems_closed": problems.filter(status=Problem.Status.CLOSED),
            "problems_on_time": problems.filter(status=Problem.Status.CLOSED, closed_on_time=True),
            "problems_overdue": problems.overdue(today),
        }[key]
    if key.startswith("applications"):
        applications = _applications(reach, year)
        if key == "applications_on_time":
            return applications.filter(concluded_at__date__lte=F("promised_deadline"))
        return applications
    tasks = _tasks(reach, year)
    return tasks.filter(decided_at__date__lte=F("promised_deadline")) if key == "tasks_on_time" else tasks


@dataclass
class Outcomes:
    year: int
    counts: dict
    problems: object  # problems.selectors.Figures
    average_days: float | None
    rating: float | None
    ratings: int

    def figures(self):
        return [(figure, self.counts[figure.key]) for figure in FIGURES]

    def rate(self, part: str, whole: str):
        return round(100.0 * self.counts[part] / self.counts[whole], 1) if self.counts[whole] else None

    @property
    def problems_on_time_rate(self):
        return self.rate("problems_on_time", "problems_closed")

    @property
    def applications_on_time_rate(self):
        return self.rate("applications_on_time", "applications")

    def as_dict(self) -> dict:
        return {
            "year": self.year,
            **self.counts,
            "problems_on_time_rate": self.problems_on_time_rate,
            "applications_on_time_rate": self.applications_on_time_rate,
            "applications_average_working_days": self.average_days,
            "rating": self.rating,
            "ratings": self.ratings,
        }


def outcomes(reach: Reach, year: int, today: datetime.date | None = None) -> Outcomes:
    """Every figure of `reach` in `year`: one count per figure (the same queryset its drill-down lists)."""
    today = today or clock.today()
    if not reach:
        return Outcomes(
            year, dict.fromkeys(FIGURE_KEYS, 0), figures_of(Problem.objects.none(), today), None, None, 0
        )
    counts = {}
    projects = _projects(reach).aggregate(
        projects=Count("pk"),
        projects_red=Count("pk", filter=Q(warning_level=Level.RED)),
        projects_yellow=Count("pk", filter=Q(warning_level=Level.YELLOW)),
    )
    counts.update(projects)
    problems = figures_of(_problems(reach, year), today)
    counts.update(
        problems=problems.reported,
        problems_closed=problems.closed,
        problems_on_time=problems.on_time,
        problems_overdue=problems.overdue,
    )
    applications = _applications(reach, year)
    totals = applications.aggregate(
        applications=Count("pk"),
        applications_on_time=Count("pk", filter=Q(concluded_at__date__lte=F("promised_deadline"))),
        average=Avg("working_days_elapsed"),
    )
    average = totals.pop("average")
    counts.update(totals)
    tasks = (
        _tasks(reach, year).aggregate(
            tasks=Count("pk"),
            tasks_on_time=Count("pk", filter=Q(decided_at__date__lte=F("promised_deadline"))),
        )
        if reach.departments
        else {"tasks": 0, "tasks_on_time": 0}
    )
    counts.update(tasks)
    rated = Rating.objects.filter(application__in=applications).aggregate(score=Avg("score"), n=Count("pk"))
    return Outcomes(
        year,
        counts,
        problems,
        round(average, 1) if average is not None else None,
        round(rated["score"], 2) if rated["score"] is not None else None,
        rated["n"],
    )
