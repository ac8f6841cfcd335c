"""How much the devolved municipal powers (下放市级行政权力) are used, and how fast they are handled, from what
the approvals store: the review tasks of the items that implement each power, their stored start days,
decision times and deadlines.

The rules, printed on the pages beside the figures:

- A power is linked to service items by item code (`catalog.powers`), so a task counts for a power when its
  item's code is one of the power's, whatever catalog version the application was submitted under.
- **Used in a period**: the review tasks that started (受理后开始计时, `started_on`) in the period; an
  application counts once per item it applied for. A power is *in use* when it has such a task.
- **How fast**: of those tasks, the ones decided (approved, approved on pledge or rejected): working days
  from the start to the decision day, the days the task was paused for supplements not counted (the same
  rule as the reform metrics); their median and 90th percentile (nearest rank), and the share decided by the
  stored legal deadline (tasks whose item has no legal limit are left out of that share) and by the stored
  promised deadline.

Reading the figures of any number of powers costs three queries (one grouped count per item code, the
decided tasks' dates, their pauses) and one read of the calendar, however many powers and tasks there are.
"""

import datetime
import math
import statistics
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count
from django.utils import timezone

from sciencecity.accounts.scoping import is_civil_servant
from sciencecity.workdays import clock
from sciencecity.workdays.calendar import UnknownCalendarYear

from .models import ReviewTask, TaskPause
from .services.elapsed import WorkingDayIndex

MIN_DECIDED_FOR_RANKING = 3  # a power enters the fastest/slowest lists with at least this many decisions
RANKED = 5  # powers in each of those lists


def sees_usage(user) -> bool:
    """Usage figures are the administration's: civil servants read them; the list itself is public."""
    return is_civil_servant(user)


@dataclass(frozen=True)
class Period:
    """Both days included."""

    since: datetime.date
    until: datetime.date

    @classmethod
    def last_twelve_months(cls, today: datetime.date | None = None) -> "Period":
        today = today or clock.today()
        try:
            year_ago = today.replace(year=today.year - 1)
        except ValueError:  # 29 February
            year_ago = today.replace(year=today.year - 1, day=28)
        return cls(year_ago + datetime.timedelta(days=1), today)


def _pct(part: int, whole: int) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def nearest_rank(values: list, share: float):
    """The smallest value with at least `share` of the values at or below it (None for none)."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(math.ceil(share * len(ordered)), 1) - 1]


@dataclass
class Usage:
    """The figures of one item, one power, or a group of powers in a period (see the module docstring)."""

    tasks: int = 0
    applications: int = 0
    decided: int = 0
    with_legal: int = 0  # decided tasks with a legal deadline
    within_legal: int = 0
    within_promised: int = 0
    durations: list = field(default_factory=list)  # working days of each decided task

    @property
    def in_use(self) -> bool:
        return self.tasks > 0

    @property
    def median_days(self):
        return statistics.median(self.durations) if self.durations else None

    @property
    def p90_days(self):
        return nearest_rank(self.durations, 0.9)

    @property
    def within_legal_pct(self) -> Decimal | None:
        return _pct(self.within_legal, self.with_legal)

    @property
    def within_promised_pct(self) -> Decimal | None:
        return _pct(self.within_promised, self.decided)

    def add(self, other: "Usage") -> "Usage":
        self.tasks += other.tasks
        self.applications += other.applications
        self.decided += other.decided
        self.with_legal += other.with_legal
        self.within_legal += other.within_legal
        self.within_promised += other.within_promised
        self.durations += other.durations
        return self

    def as_dict(self) -> dict:
        return {
            "tasks": self.tasks,
            "applications": self.applications,
            "decided": self.decided,
            "median_days": self.median_days,
            "p90_days": self.p90_days,
            "within_legal_pct": self.within_legal_pct,
            "within_promised_pct": self.within_promised_pct,
        }


def _local_day(moment: datetime.datetime) -> datetime.date:
    return timezone.localdate(moment) if timezone.is_aware(moment) else moment.date()


def item_usage(codes: Iterable[str], period: Period) -> dict[str, Usage]:
    """{item code: its figures in `period`} for the given codes (codes without tasks are absent)."""
    codes = sorted(set(codes))
    if not codes:
        return {}
    started = ReviewTask.objects.filter(
        item__code__in=codes, started_on__gte=period.since, started_on__lte=period.until
    )
    found: dict[str, Usage] = {}
    for code, tasks, applications in (
        started.order_by()
        .values("item__code")
        .annotate(tasks=Count("pk"), applications=Count("application_id", distinct=True))
        .values_list("item__code", "tasks", "applications")
    ):
        found[code] = Usage(tasks=tasks, applications=applications)
    decided = started.filter(status__in=ReviewTask.DECIDED_STATUSES, decided_at__isnull=False)
    rows = [
        (pk, code, start, _local_day(decided_at), legal, promised)
        for pk, code, start, decided_at, legal, promised in decided.order_by().values_list(
            "pk", "item__code", "started_on", "decided_at", "legal_deadline", "promised_deadline"
        )
    ]
    if not rows:
        return found
    pauses: dict[int, list] = defaultdict(list)
    for task_id, start, end in (
        TaskPause.objects.filter(task__in=decided.values("pk"))
        .order_by()
        .values_list("task_id", "started_on", "ended_on")
    ):
        pauses[task_id].append((start, end))
    first = min(min(start, end) for _pk, _code, start, end, _legal, _promised in rows)
    last = max(max(start, end) for _pk, _code, start, end, _legal, _promised in rows)
    try:
        index = WorkingDayIndex(first, last)
    except UnknownCalendarYear:
        index = None
    for pk, code, start, end, legal, promised in rows:
        usage = found.setdefault(code, Usage())
        usage.decided += 1
        if legal is not None:
            usage.with_legal += 1
            usage.within_legal += end <= legal
        usage.within_promised += promised is not None and end <= promised
        if index is not None and end >= start:
            usage.durations.append(index.between(start, end, pauses.get(pk, ())))
    return found


def merged(codes: Iterable[str], by_item: dict[str, Usage]) -> Usage:
    """The figures of a set of item codes, each item counted once."""
    total = Usage()
    for code in sorted(set(codes)):
        if code in by_item:
            total.add(by_item[code])
    return total


def power_usage(powers, period: Period) -> dict[int, Usage]:
    """{power pk: its figures} for `powers` (with `item_links` prefetched, or read here in one query)."""
    powers = list(powers)
    codes_of = {power.pk: power.item_codes for power in powers}
    by_item = item_usage({code for codes in codes_of.values() for code in codes}, period)
    return {pk: merged(codes, by_item) for pk, codes in codes_of.items()}


# --- the summary of the whole list ---------------------------------------------------------------------------


@dataclass
class GroupRow:
    """A department or a kind of power: how many powers, linked to items, in use; its tasks' figures."""

    key: str
    label: str
    powers: int = 0
    in_force: int = 0
    linked: int = 0
    in_use: int = 0
    codes: set = field(default_factory=set)
    usage: Usage = field(default_factory=Usage)

    @property
    def idle(self) -> int:
        return self.in_force - self.in_use

    @property
    def in_use_pct(self) -> Decimal | None:
        return _pct(self.in_use, self.in_force)


@dataclass
class Summary:
    period: Period
    total: GroupRow
    departments: list
    kinds: list
    fastest: list  # [(power, Usage)]
    slowest: list


def summary(powers, period: Period, kind_labels: dict) -> Summary:
    """How many powers are in force, linked to items and in use, by department and by kind, with the figures
    of their tasks (each task once per group), and the fastest and slowest powers by median working days
    (those with at least MIN_DECIDED_FOR_RANKING decisions). `powers` are the whole list with their
    departments and item links; `kind_labels` names each kind."""
    powers = list(powers)
    by_item = item_usage({code for power in powers for code in power.item_codes}, period)
    usage = {power.pk: merged(power.item_codes, by_item) for power in powers}
    total = GroupRow("", "")
    departments: dict[int, GroupRow] = {}
    kinds: dict[str, GroupRow] = {}
    for power in powers:
        department = departments.setdefault(
            power.department_id, GroupRow(power.department.code, power.department.display_name)
        )
        kind = kinds.setdefault(
            power.kind, GroupRow(power.kind, str(kind_labels.get(power.kind, power.kind)))
        )
        for row in (total, department, kind):
            row.powers += 1
            if power.is_in_force:
                row.in_force += 1
                row.linked += bool(power.item_codes)
                row.in_use += usage[power.pk].in_use
                row.codes.update(power.item_codes)
    for row in (total, *departments.values(), *kinds.values()):
        row.usage = merged(row.codes, by_item)
    ranked = [
        (power, usage[power.pk])
        for power in powers
        if power.is_in_force
        and usage[power.pk].decided >= MIN_DECIDED_FOR_RANKING
        and usage[power.pk].durations
    ]
    ranked.sort(key=lambda pair: (pair[1].median_days, pair[1].p90_days, pair[0].position, pair[0].code))
    order = list(kind_labels)
    return Summary(
        period=period,
        total=total,
        departments=sorted(departments.values(), key=lambda row: (-row.in_force, row.key)),
        kinds=sorted(
            kinds.values(), key=lambda row: order.index(row.key) if row.key in order else len(order)
        ),
        fastest=ranked[:RANKED],
        slowest=list(reversed(ranked[-RANKED:])) if ranked else [],
    )
