"""Reads of problems that the pages, the API and Open311 share: the lists (scoped, filtered, indexed) and the
statistics (closed-loop, on-time, rework and reopen rates, satisfaction, median working days, trends)."""

import dataclasses
import datetime
import statistics as stats
from dataclasses import dataclass, field

from django.conf import settings
from django.db import connection
from django.db.models import Aggregate, Avg, Count, FloatField, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce, TruncMonth

from sciencecity.accounts.scoping import _roles, sees_everything
from sciencecity.workdays import clock

from .models import (
    CLOCKED_STATES,
    DEPARTMENT_ROLES,
    QUEUE_STATES,
    ZONE_WIDE_PROBLEM_ROLES,
    Problem,
    ProblemCategory,
    ProblemEvent,
    ProblemPhoto,
    RoutingRule,
)
from .services.deadlines import warn_until

S = Problem.Status
LIGHTS = ("red", "yellow", "green")


@dataclass
class ProblemFilter:
    """The filters of every problem list (pages, API): all optional."""

    status: str = ""
    light: str = ""
    category: int | None = None
    department: int | None = None
    area: str = ""
    source: str = ""
    q: str = ""
    reported_from: datetime.date | None = None
    reported_to: datetime.date | None = None
    long_term: bool | None = None
    escalated: bool | None = None


def with_related(queryset):
    return queryset.select_related("category", "department")


def light_filter(queryset, light: str, today=None):
    """red: past the deadline; yellow: within `deadlines.WARN_DAYS` working days of it; green: the rest on the
    clock. Each is a range on the (status, due_date) index."""
    today = today or clock.today()
    clocked = queryset.filter(status__in=CLOCKED_STATES)
    if light == "red":
        return clocked.filter(due_date__lt=today)
    if light == "yellow":
        return clocked.filter(due_date__gte=today, due_date__lte=warn_until(today))
    if light == "green":
        return clocked.filter(due_date__gt=warn_until(today))
    return queryset


def filtered(queryset, f: ProblemFilter):
    if f.status == "open":
        queryset = queryset.open()
    elif f.status:
        queryset = queryset.filter(status=f.status)
    if f.light:
        queryset = light_filter(queryset, f.light)
    if f.category:
        queryset = queryset.filter(category_id=f.category)
    if f.department:
        queryset = queryset.filter(department_id=f.department)
    if f.area:
        queryset = queryset.filter(area=f.area)
    if f.source:
        queryset = queryset.filter(source=f.source)
    if f.reported_from:
        queryset = queryset.filter(reported_at__date__gte=f.reported_from)
    if f.reported_to:
        queryset = queryset.filter(reported_at__date__lte=f.reported_to)
    if f.long_term is not None:
        queryset = queryset.filter(long_term=f.long_term)
    if f.escalated is not None:
        queryset = queryset.filter(escalated_at__isnull=not f.escalated)
    if f.q:
        text = f.q.strip()
        queryset = queryset.filter(
            Q(number=text.upper()) | Q(title__icontains=text) | Q(address__icontains=text)
        )
    return queryset


def problems_for(user, f: ProblemFilter | None = None):
    """The problems `user` may see, filtered, newest first."""
    queryset = Problem.objects.for_user(user)
    return with_related(filtered(queryset, f or ProblemFilter()))


def worklist(user, f: ProblemFilter | None = None):
    """A department's problems on its clock or waiting for it, the nearest deadline first."""
    queryset = Problem.objects.for_user(user).filter(department_id=user.department_id)
    f = f or ProblemFilter(status="open")
    return with_related(filtered(queryset, f)).order_by("due_date", "id")


def dispatch_queue(user, f: ProblemFilter | None = None):
    """What waits for the dispatch centre: new problems no rule routed, and problems returned by a department,
    the oldest first."""
    queryset = Problem.objects.for_user(user).filter(status__in=QUEUE_STATES)
    return with_related(filtered(queryset, f or ProblemFilter())).order_by("reported_at", "id")


def light_counts(queryset, today=None) -> dict:
    """How many problems of `queryset` show each light (three indexed counts)."""
    return {light: light_filter(queryset, light, today).count() for light in LIGHTS}


# -- statistics ------------------------------------------------------------------------------------------


class Median(Aggregate):
    """The median of a column: PostgreSQL's percentile_cont; elsewhere computed from the values."""

    function = "PERCENTILE_CONT"
    name = "median"
    output_field = FloatField()
    template = "%(function)s(0.5) WITHIN GROUP (ORDER BY %(expressions)s)"


def _rate(part, whole) -> float | None:
    return round(100.0 * part / whole, 1) if whole else None


@dataclass
class Figures:
    """The figures of one group of problems (the zone, a category, a department, an area)."""

    key: object = None
    label: str = ""
    reported: int = 0
    closed: int = 0
    open: int = 0
    overdue: int = 0
    on_time: int = 0
    reworked: int = 0
    reopened: int = 0
    satisfaction: float | None = None
    median_days: float | None = None

    @property
    def counted(self) -> int:
        return self.closed + self.open

    @property
    def closed_loop_rate(self):
        return _rate(self.closed, self.counted)

    @property
    def on_time_rate(self):
        return _rate(self.on_time, self.closed)

    @property
    def rework_rate(self):
        return _rate(self.reworked, self.closed)

    @property
    def reopen_rate(self):
        return _rate(self.reopened, self.closed)

    def as_dict(self) -> dict:
        return {
            "key": self.key,
            "label": self.label,
            "reported": self.reported,
            "closed": self.closed,
            "open": self.open,
            "overdue": self.overdue,
            "closed_loop_rate": self.closed_loop_rate,
            "on_time_rate": self.on_time_rate,
            "rework_rate": self.rework_rate,
            "reopen_rate": self.reopen_rate,
            "satisfaction": self.satisfaction,
            "median_working_days": self.median_days,
        }


def _aggregates(today):
    closed = Q(status=S.CLOSED)
    return {
        "reported": Count("id"),
        "closed": Count("id", filter=closed),
        "open": Count(
            "id", filter=Q(status__in=[s for s in S if s not in (S.CLOSED, S.MERGED, S.DISMISSED)])
        ),
        "overdue": Count("id", filter=Q(status__in=CLOCKED_STATES, due_date__lt=today)),
        "on_time": Count("id", filter=closed & Q(closed_on_time=True)),
        "reworked": Count("id", filter=closed & Q(rework_count__gt=0)),
        "reopened": Count("id", filter=closed & Q(reopen_count__gt=0)),
        "satisfaction": Avg("satisfaction"),
    }


def _medians(queryset, key: str | None) -> dict:
    """The median working days of closed problems per group (`key` a field, or None for the whole set)."""
    closed = queryset.filter(status=S.CLOSED, working_days__isnull=False)
    if connection.vendor == "postgresql":
        if key is None:
            return {None: closed.aggregate(m=Median("working_days"))["m"]}
        return dict(closed.values(key).annotate(m=Median("working_days")).values_list(key, "m"))
    values: dict = {}
    for group, days in closed.values_list(key or "id", "working_days").iterator(chunk_size=5000):
        values.setdefault(group if key else None, []).append(days)
    return {group: float(stats.median(days)) for group, days in values.items()}


def figures_of(queryset, today=None) -> Figures:
    today = today or clock.today()
    row = queryset.aggregate(**_aggregates(today))
    result = Figures(**{k: v or 0 for k, v in row.items() if k != "satisfaction"})
    result.satisfaction = round(row["satisfaction"], 2) if row["satisfaction"] else None
    result.median_days = _medians(queryset, None).get(None)
    return result


def figures_by(queryset, key: str, labels: dict, today=None) -> list[Figures]:
    """Figures per value of `key` ("category", "department", "area"), named by `labels` {value: name}."""
    today = today or clock.today()
    medians = _medians(queryset, key)
    rows = []
    for row in queryset.values(key).annotate(**_aggregates(today)).order_by(key):
        group = row.pop(key)
        satisfaction = row.pop("satisfaction")
        item = Figures(key=group, label=str(labels.get(group, group or "-")), **row)
        item.satisfaction = round(satisfaction, 2) if satisfaction else None
        item.median_days = medians.get(group)
        rows.append(item)
    rows.sort(key=lambda item: -item.reported)
    return rows


def monthly(queryset, months: int = 12, today=None) -> list[dict]:
    """Reported and closed per month for the last `months` months (the trend chart)."""
    today = today or clock.today()
    first = (today.replace(day=1) - datetime.timedelta(days=31 * (months - 1))).replace(day=1)
    start = datetime.datetime.combine(first, datetime.time.min, tzinfo=clock.now().tzinfo)
    reported = dict(
        queryset.filter(reported_at__gte=start)
        .annotate(month=TruncMonth("reported_at"))
        .values("month")
        .annotate(n=Count("id"))
        .values_list("month", "n")
    )
    closed = dict(
        queryset.filter(status=S.CLOSED, closed_at__gte=start)
        .annotate(month=TruncMonth("closed_at"))
        .values("month")
        .annotate(n=Count("id"))
        .values_list("month", "n")
    )
    out = []
    month = first
    for _i in range(months):
        out.append(
            {
                "month": f"{month:%Y-%m}",
                "reported": _month_value(reported, month),
                "closed": _month_value(closed, month),
            }
        )
        month = (month + datetime.timedelta(days=32)).replace(day=1)
    return out


def _month_key(values: dict, month: datetime.date):
    return next((k for k in values if k and k.year == month.year and k.month == month.month), None)


def _month_value(values: dict, month: datetime.date) -> int:
    key = _month_key(values, month)
    return values[key] if key is not None else 0


@dataclass
class Statistics:
    zone: Figures
    by_category: list = field(default_factory=list)
    by_department: list = field(default_factory=list)
    by_area: list = field(default_factory=list)
    by_source: list = field(default_factory=list)
    trend: list = field(default_factory=list)
    as_of: datetime.datetime | None = None  # the snapshot's moment; None when counted live


def statistics(
    user, f: ProblemFilter | None = None, *, area_labels=None, department_labels=None
) -> Statistics:
    """The statistics page's figures for the problems `user` sees, filtered: from the background worker's
    snapshot when it answers them (`figures`: a zone-wide reader, filters among category, department, area and
    source, a fresh snapshot), else counted live."""
    from . import figures  # it builds on this module's definitions

    f = f or ProblemFilter()
    if department_reader(user):
        # A department's statistics are its own problems' (not those its staff reported elsewhere).
        f = dataclasses.replace(f, department=user.department_id)
    labels = {
        "category": {c.pk: c.display_name for c in ProblemCategory.objects.all()},
        "department": department_labels or {},
        "area": area_labels or {},
        "source": dict(Problem.Source.choices),
    }
    if figures.answers(user, f):
        snapshot = figures.fresh_snapshot(snapshot_max_age())
        if snapshot is not None:
            return figures.statistics_from(snapshot, f, labels, clock.today())
    queryset = filtered(Problem.objects.for_user(user), f)
    return Statistics(
        zone=figures_of(queryset),
        by_category=figures_by(queryset, "category", labels["category"]),
        by_department=figures_by(queryset, "department", labels["department"]),
        by_area=figures_by(queryset, "area", labels["area"]),
        by_source=figures_by(queryset, "source", labels["source"]),
        trend=monthly(queryset),
    )


def department_reader(user) -> bool:
    """A department's staff who read their department's problems only (not the zone's)."""
    roles = _roles(user)
    return bool(
        user.department_id
        and roles & DEPARTMENT_ROLES
        and not (sees_everything(user) or roles & ZONE_WIDE_PROBLEM_ROLES)
    )


def snapshot_max_age() -> datetime.timedelta:
    """A snapshot older than this is stale: twice the background worker's interval."""
    return datetime.timedelta(minutes=2 * settings.OVERVIEW_REFRESH_MINUTES)


def hotspots(queryset) -> list[dict]:
    """Open problems per area, for the map's shading."""
    return [
        {"code": area, "count": n}
        for area, n in queryset.open().exclude(area="").values_list("area").annotate(n=Count("id"))
    ]


def points(queryset, limit: int = 2000) -> list:
    """The newest problems with a place, for the map's points."""
    return list(
        queryset.exclude(latitude=None)
        .order_by("-reported_at")
        .values("id", "number", "title", "status", "latitude", "longitude")[:limit]
    )


def remediation_ledger(user, f: ProblemFilter | None = None):
    """The 散乱污 remediation ledger: the problems of ledger categories with their enterprise, finding,
    measure and verification date."""
    queryset = filtered(Problem.objects.for_user(user), f or ProblemFilter())
    return (
        queryset.filter(category__in_remediation_ledger=True)
        .select_related("category", "department", "enterprise")
        .order_by("-reported_at", "-id")
    )


# -- the public reads of Open311 -------------------------------------------------------------------------

# What the public reads through Open311: what the public reported (on the report page or through Open311).
# The staff's own findings (inspections, supervision, river patrols), enterprises' demands and poor service
# ratings stay inside the platform: they name enterprises and officials' work, and nobody decided to publish
# them.
PUBLIC_SOURCES = (Problem.Source.CITIZEN, Problem.Source.OPEN311)


# The steps whose notes the public may read as a request's status_notes: what the department did and how the
# problem ended. Not the internal ones: a department's return reason to the dispatch centre, the centre's
# instructions, a verifier's findings, a reporter's reopening reason.
PUBLIC_NOTE_ACTIONS = ("accept", "progress", "plan_long_term", "rectify", "pass", "dismiss", "merge")


def public_problems():
    """The problems anyone may read through Open311, with what a request shows beside its own columns, in one
    query: the latest public note of its timeline, the moment of its latest step and its first report photo
    (three correlated subqueries, each on an index: problem_event_idx, problem_photo_idx)."""
    events = ProblemEvent.objects.filter(problem=OuterRef("pk")).order_by("-created_at", "-id")
    first_photo = ProblemPhoto.objects.filter(problem=OuterRef("pk"), kind=ProblemPhoto.Kind.REPORT).order_by(
        "uploaded_at", "id"
    )
    return (
        Problem.objects.filter(source__in=PUBLIC_SOURCES)
        .select_related("category", "department", "merged_into")
        .annotate(
            latest_note=Subquery(
                events.filter(action__in=PUBLIC_NOTE_ACTIONS).exclude(note="").values("note")[:1]
            ),
            updated_at=Coalesce(Subquery(events.values("created_at")[:1]), "reported_at"),
            first_photo_id=Subquery(first_photo.values("id")[:1]),
        )
        .only(
            *(
                f.name
                for f in Problem._meta.concrete_fields
                if f.name not in ("reporter_name", "reporter_phone", "follow_up_code", "reporter")
            ),
            "category__code",
            "category__name",
            "category__name_en",
            "department__name",
            "department__name_en",
            "merged_into__number",
        )
    )


def public_categories():
    """The active categories with the department their rule for every area sends them to (None when the
    dispatch centre decides), in two queries."""
    categories = list(ProblemCategory.objects.reportable())
    departments = {
        rule.category_id: rule.department
        for rule in RoutingRule.objects.filter(category__in=categories, area="").select_related("department")
    }
    for category in categories:
        category.general_department = departments.get(category.pk)
    return categories
