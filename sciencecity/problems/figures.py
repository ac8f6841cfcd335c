"""The zone's problem statistics from a snapshot that the background worker takes, so that the statistics
page answers in milliseconds with a million problems.

Counting a million problems by category, department, area and source takes hundreds of milliseconds whatever
the index, and counters updated inside every transition would put a hot row lock into every service call. So,
as for the leaders' overview of applications, the background worker (`approvals.overview_tasks`, every
`OVERVIEW_REFRESH_MINUTES`) takes one snapshot: the counts per (category, department, area, source) with the
histogram of working days of the closed ones (so that medians merge exactly), and the reported and closed
counts per month of the last `TREND_MONTHS` months per group. The statistics of a zone-wide reader whose
filters are among category, department, area and source are computed from the newest snapshot when it is
fresh (not older than twice the worker's interval), said to be "as of" its moment; every other reading (a
department's or an enterprise's own problems, a search, a period, a state) counts live (`selectors`), which
are smaller sets on indexes.
"""

import datetime
import time
from collections import defaultdict

from django.db import transaction
from django.db.models import Count, Sum
from django.db.models.functions import TruncMonth
from django.utils.translation import get_language

from sciencecity.accounts.scoping import _roles, sees_everything
from sciencecity.workdays import clock

from .models import ZONE_WIDE_PROBLEM_ROLES, Problem, ProblemFigureSnapshot
from .selectors import Figures, Statistics, _aggregates

GROUP = ("category_id", "department_id", "area", "source")
COUNTS = ("reported", "closed", "open", "overdue", "on_time", "reworked", "reopened")
TREND_MONTHS = 12
KEEP_SNAPSHOTS = 3
MAX_COMPUTED = 500  # readings kept per process (filters × languages); the cache starts over beyond
# The filters the snapshot answers (the rest count live).
SNAPSHOT_FILTERS = {
    "category": "category_id",
    "department": "department_id",
    "area": "area",
    "source": "source",
}


def _month(value) -> str:
    return f"{value:%Y-%m}"


def first_trend_month(today: datetime.date) -> datetime.date:
    return (today.replace(day=1) - datetime.timedelta(days=31 * (TREND_MONTHS - 1))).replace(day=1)


def count_groups(today: datetime.date) -> dict:
    """The snapshot's content, counted live now: three GROUP BYs over all problems (the counts, the
    histogram of working days, the months of the trend)."""
    aggregates = {name: value for name, value in _aggregates(today).items() if name != "satisfaction"}
    groups = {}
    for row in (
        Problem.objects.order_by()
        .values(*GROUP)
        .annotate(**aggregates, satisfaction_sum=Sum("satisfaction"), satisfaction_n=Count("satisfaction"))
    ):
        key = tuple(row[name] for name in GROUP)
        groups[key] = {
            **{name: row[name] for name in COUNTS},
            "satisfaction_sum": row["satisfaction_sum"] or 0,
            "satisfaction_n": row["satisfaction_n"],
            "days": {},
        }
    for row in (
        Problem.objects.filter(status=Problem.Status.CLOSED, working_days__isnull=False)
        .order_by()
        .values(*GROUP, "working_days")
        .annotate(n=Count("id"))
    ):
        key = tuple(row[name] for name in GROUP)
        groups[key]["days"][str(row["working_days"])] = row["n"]
    start = datetime.datetime.combine(first_trend_month(today), datetime.time.min, tzinfo=clock.now().tzinfo)
    trend = defaultdict(lambda: [0, 0])
    for field, index, queryset in (
        ("reported_at", 0, Problem.objects.filter(reported_at__gte=start)),
        ("closed_at", 1, Problem.objects.filter(status=Problem.Status.CLOSED, closed_at__gte=start)),
    ):
        for row in (
            queryset.order_by()
            .annotate(month=TruncMonth(field))
            .values("month", *GROUP)
            .annotate(n=Count("id"))
        ):
            trend[(_month(row["month"]), *(row[name] for name in GROUP))][index] += row["n"]
    return {
        "groups": [[*key, values] for key, values in groups.items()],
        "trend": [[*key, *values] for key, values in trend.items()],
    }


def take_snapshot() -> ProblemFigureSnapshot:
    """Count now and keep the result as the newest snapshot (older ones beyond `KEEP_SNAPSHOTS` deleted)."""
    taken_at = clock.now()
    started = time.perf_counter()
    content = count_groups(clock.today())
    seconds = time.perf_counter() - started
    with transaction.atomic():
        snapshot = ProblemFigureSnapshot.objects.create(
            taken_at=taken_at, groups=content["groups"], trend=content["trend"], seconds=round(seconds, 3)
        )
        old = ProblemFigureSnapshot.objects.order_by("-taken_at", "-pk").values_list("pk", flat=True)
        ProblemFigureSnapshot.objects.filter(pk__in=list(old[KEEP_SNAPSHOTS:])).delete()
    _remember(snapshot)
    return snapshot


def _remember(snapshot) -> None:
    _parsed.clear()
    _computed.clear()
    _parsed[snapshot.pk] = snapshot


def answers(user, f) -> bool:
    """Whether the snapshot can answer `user`'s statistics with filters `f`: a zone-wide reader (or a
    department's, whose statistics are their department's: `selectors.statistics`), filtering by category,
    department, area or source only."""
    if not (sees_everything(user) or _roles(user) & ZONE_WIDE_PROBLEM_ROLES) and not f.department:
        return False
    used = {name for name, value in vars(f).items() if value not in ("", None)}
    return used <= set(SNAPSHOT_FILTERS)


# The newest snapshot's content, parsed once per process, and the statistics computed from it per filter and
# language: a snapshot never changes, so the page reads only its id and moment and finds the rest here (merging
# a few thousand groups takes tens of milliseconds; a repeated reading none). Both are dropped when a newer
# snapshot appears.
_parsed: dict = {}
_computed: dict = {}


def fresh_snapshot(max_age: datetime.timedelta):
    """The newest snapshot when it is fresh, its content from the process's cache; else None."""
    newest = ProblemFigureSnapshot.objects.order_by("-taken_at", "-pk").values("pk", "taken_at").first()
    if newest is None or not datetime.timedelta(0) <= clock.now() - newest["taken_at"] <= max_age:
        return None
    if newest["pk"] not in _parsed:
        _remember(ProblemFigureSnapshot.objects.get(pk=newest["pk"]))
    return _parsed[newest["pk"]]


def _matches(key, wanted: dict) -> bool:
    return all(key[GROUP.index(field)] == value for field, value in wanted.items())


def _wanted(f) -> dict:
    return {field: getattr(f, name) for name, field in SNAPSHOT_FILTERS.items() if getattr(f, name)}


def median_of(histogram: dict) -> float | None:
    """The median of values given as {value: count} (the mean of the two middle ones for an even count, as
    PostgreSQL's percentile_cont(0.5))."""
    total = sum(histogram.values())
    if not total:
        return None
    middle = [(total - 1) // 2, total // 2]
    found, seen = [], 0
    for value in sorted(histogram):
        count = histogram[value]
        while middle and middle[0] < seen + count:
            found.append(value)
            middle.pop(0)
        seen += count
    return (found[0] + found[1]) / 2


def merge(rows, key=None, label="") -> Figures:
    """One group's figures from the snapshot's rows of the group."""
    result = Figures(key=key, label=label)
    satisfaction_sum = satisfaction_n = 0
    days = defaultdict(int)
    for values in rows:
        for name in COUNTS:
            setattr(result, name, getattr(result, name) + values[name])
        satisfaction_sum += values["satisfaction_sum"]
        satisfaction_n += values["satisfaction_n"]
        for value, count in values["days"].items():
            days[int(value)] += count
    result.satisfaction = round(satisfaction_sum / satisfaction_n, 2) if satisfaction_n else None
    result.median_days = median_of(days)
    return result


def statistics_from(snapshot, f, labels: dict, today: datetime.date) -> Statistics:
    """The statistics page's figures from `snapshot` for filters `f` (see `answers`); `labels` names the
    groups: {"category": {...}, "department": {...}, "area": {...}, "source": {...}} in the reader's
    language. Computed once per snapshot, filters, language and day."""
    key = (snapshot.pk, tuple(sorted(_wanted(f).items())), get_language(), today)
    if key not in _computed:
        if len(_computed) >= MAX_COMPUTED:
            _computed.clear()
        _computed[key] = _statistics_from(snapshot, f, labels, today)
    return _computed[key]


def _statistics_from(snapshot, f, labels: dict, today: datetime.date) -> Statistics:
    wanted = _wanted(f)
    rows = [(tuple(row[:4]), row[4]) for row in snapshot.groups if _matches(row[:4], wanted)]

    def by(field):
        name = field.removesuffix("_id")
        grouped = defaultdict(list)
        for key, values in rows:
            grouped[key[GROUP.index(field)]].append(values)
        names = labels.get(name, {})
        result = [
            merge(values, group, str(names.get(group, group or "-"))) for group, values in grouped.items()
        ]
        result.sort(key=lambda item: -item.reported)
        return result

    first = first_trend_month(today)
    months = []
    month = first
    for _i in range(TREND_MONTHS):
        months.append(_month(month))
        month = (month + datetime.timedelta(days=32)).replace(day=1)
    trend = {month: [0, 0] for month in months}
    for row in snapshot.trend:
        if row[0] in trend and _matches(tuple(row[1:5]), wanted):
            trend[row[0]][0] += row[5]
            trend[row[0]][1] += row[6]
    return Statistics(
        zone=merge([values for _key, values in rows]),
        by_category=by("category_id"),
        by_department=by("department_id"),
        by_area=by("area"),
        by_source=by("source"),
        trend=[
            {"month": month, "reported": counts[0], "closed": counts[1]} for month, counts in trend.items()
        ],
        as_of=snapshot.taken_at,
    )
