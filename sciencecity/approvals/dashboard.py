"""Read queries of the leaders' overview (领导驾驶舱): counts, deadlines and reform figures of the whole zone.

Every figure is a GROUP BY in the database or is computed from a bounded set, so the overview costs a fixed
number of queries however many applications the zone holds:

- applications by status, and by bundle and status: one aggregate query each;
- open, overdue and escalated tasks by department: one aggregate query over the open tasks;
- working days from submission to conclusion against the promised limit: the applications concluded in the
  last `ELAPSED_WINDOW_DAYS` days only (one query for them, one for their pauses, one for the calendar's
  overrides of that span); the median is taken in Python over that set. Days on which any task of the
  application was paused for a supplement do not count, as in `services.reform`;
- the catalog comparison of each bundle in force (separately vs bundled: steps, materials, time), from
  `services.reform.catalog_scenarios`: a few queries per bundle, none per application. The figures of
  `reform_report` from real applications (`actual_figures`) read every application of a bundle and one
  calendar span per distinct date, so the overview shows its own bounded figures instead.

Tasks count as overdue exactly as `services.deadlines.overdue_tasks` says (clock running, deadline past);
escalated (督办) means an open task whose stored warning level reached ESCALATED.
"""

import datetime
import statistics
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, Max, Q
from django.utils import timezone
from django.utils.translation import get_language

from sciencecity.catalog.models import Bundle, CatalogVersion
from sciencecity.workdays import clock
from sciencecity.workdays.calendar import UnknownCalendarYear, _Calendar

from .models import Application, ReviewTask, TaskPause
from .services.deadlines import CLOCK_RUNNING
from .services.reform import REFERENCE, bundle_facts, catalog_scenarios, merge_pauses

A = Application.Status
ELAPSED_WINDOW_DAYS = 365
ONE_DAY = datetime.timedelta(days=1)


def _display(name: str, name_en: str | None) -> str:
    if name_en and (get_language() or "").startswith("en"):
        return name_en
    return name


def _round(value) -> Decimal | None:
    if value is None:
        return None
    return Decimal(str(value)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


# --- applications ---------------------------------------------------------------------------------------


def applications_by_status() -> list[dict]:
    """[{status, label, count}] for every status, in the order of `Application.Status` (zeros included)."""
    counts = dict(
        Application.objects.order_by()
        .values("status")
        .annotate(count=Count("pk"))
        .values_list("status", "count")
    )
    return [
        {"status": value, "label": str(label), "count": counts.get(value, 0)} for value, label in A.choices
    ]


@dataclass
class BundleRow:
    code: str
    name: str
    counts: dict  # status -> count
    total: int = 0

    def cells(self, statuses) -> list[int]:
        return [self.counts.get(status, 0) for status in statuses]


def applications_by_bundle() -> tuple[list[str], list[BundleRow]]:
    """Applications per bundle (by its code, across catalog versions) and status, drafts excluded: one GROUP
    BY. Returns the statuses that occur (in `Application.Status` order) and one row per bundle."""
    rows = (
        Application.objects.exclude(status=A.DRAFT)
        .order_by()
        .values("bundle__code", "status")
        .annotate(count=Count("pk"), name=Max("bundle__name"), name_en=Max("bundle__name_en"))
    )
    by_code: dict[str, BundleRow] = {}
    for row in rows:
        bundle = by_code.setdefault(
            row["bundle__code"], BundleRow(row["bundle__code"], _display(row["name"], row["name_en"]), {})
        )
        bundle.counts[row["status"]] = bundle.counts.get(row["status"], 0) + row["count"]
        bundle.total += row["count"]
    present = {status for bundle in by_code.values() for status in bundle.counts}
    statuses = [value for value, _label in A.choices if value in present]
    return statuses, sorted(by_code.values(), key=lambda bundle: bundle.code)


# --- tasks by department --------------------------------------------------------------------------------


def tasks_by_department(today: datetime.date | None = None) -> list[dict]:
    """[{code, name, open, overdue, escalated}] for each department with open tasks: one GROUP BY over the
    open tasks only."""
    today = today or clock.today()
    rows = (
        ReviewTask.objects.filter(status__in=ReviewTask.OPEN_STATUSES)
        .order_by()
        .values("department__code", "department__name", "department__name_en")
        .annotate(
            open=Count("pk"),
            overdue=Count("pk", filter=Q(status__in=CLOCK_RUNNING, promised_deadline__lt=today)),
            escalated=Count("pk", filter=Q(warning_level=ReviewTask.Warning.ESCALATED)),
        )
    )
    result = [
        {
            "code": row["department__code"],
            "name": _display(row["department__name"], row["department__name_en"]),
            "open": row["open"],
            "overdue": row["overdue"],
            "escalated": row["escalated"],
        }
        for row in rows
    ]
    return sorted(result, key=lambda row: (-row["overdue"], -row["open"], row["code"]))


# --- working days elapsed ---------------------------------------------------------------------------


class WorkingDayIndex:
    """Working days between any two dates of one span, from a single read of the calendar's overrides:
    `upto[d]` counts the working days from the span's first day to d, so a count is a difference."""

    def __init__(self, first: datetime.date, last: datetime.date):
        calendar = _Calendar(first, last)
        self.first, self.last = first, last
        self._upto: dict[datetime.date, int] = {}
        total, day = 0, first
        while day <= last:
            total += calendar.is_working_day(day)
            self._upto[day] = total
            day += ONE_DAY

    def upto(self, day: datetime.date) -> int:
        day = min(max(day, self.first), self.last)
        return self._upto[day]

    def between(self, a: datetime.date, b: datetime.date, pauses=()) -> int:
        """Working days d with a < d <= b, not counting the paused days ((first, last) pairs, included)."""
        count = self.upto(b) - self.upto(a)
        for start, end in merge_pauses(pauses, b):
            low, high = max(a, start - ONE_DAY), min(b, end)
            if high > low:
                count -= self.upto(high) - self.upto(low)
        return count


@dataclass
class ElapsedRow:
    code: str
    name: str
    concluded: int = 0
    average_days: Decimal | None = None
    median_days: Decimal | None = None
    promised_days: Decimal | None = None  # average of the limits (intake + promised) of those applications
    within_promised_pct: Decimal | None = None
    _elapsed: list = field(default_factory=list, repr=False)
    _limits: list = field(default_factory=list, repr=False)

    def finish(self):
        self.concluded = len(self._elapsed)
        if self._elapsed:
            self.average_days = _round(statistics.fmean(self._elapsed))
            self.median_days = _round(statistics.median(self._elapsed))
            self.promised_days = _round(statistics.fmean(self._limits))
            within = sum(1 for days, limit in zip(self._elapsed, self._limits, strict=True) if days <= limit)
            self.within_promised_pct = _round(within * 100 / len(self._elapsed))
        return self


@dataclass
class Elapsed:
    since: datetime.date
    window_days: int
    total: ElapsedRow
    bundles: list[ElapsedRow]
    unknown_year: int | None = None  # the calendar does not know this year: figures left out


def _local_date(moment: datetime.datetime) -> datetime.date:
    return timezone.localdate(moment) if timezone.is_aware(moment) else moment.date()


def elapsed_working_days(
    today: datetime.date | None = None, window_days: int = ELAPSED_WINDOW_DAYS
) -> Elapsed:
    """Average and median working days from the (last) submission to the conclusion of the applications
    concluded in the last `window_days` days, against their promised limit (the bundle's intake limit plus
    its promised limit), overall and per bundle. Three queries, whatever the number of applications."""
    today = today or clock.today()
    since = today - datetime.timedelta(days=window_days)
    since_moment = timezone.make_aware(datetime.datetime.combine(since, datetime.time.min))
    concluded = Application.objects.filter(
        status__in=(A.CONCLUDED, A.DELIVERED),
        concluded_at__gte=since_moment,
        submitted_at__isnull=False,
    )
    rows = list(
        concluded.order_by().values_list(
            "pk",
            "submitted_at",
            "concluded_at",
            "bundle__code",
            "bundle__name",
            "bundle__name_en",
            "bundle__intake_limit_days",
            "bundle__promised_limit_days",
        )
    )
    total = ElapsedRow(code="", name="")
    result = Elapsed(since=since, window_days=window_days, total=total, bundles=[])
    if not rows:
        return result
    pauses: dict[int, list] = defaultdict(list)
    for application_id, start, end in (
        TaskPause.objects.filter(task__application__in=concluded.values("pk"))
        .order_by()
        .values_list("task__application_id", "started_on", "ended_on")
    ):
        pauses[application_id].append((start, end))
    spans = [(pk, _local_date(submitted), _local_date(done), *rest) for pk, submitted, done, *rest in rows]
    first = min(span[1] for span in spans)
    last = max(span[2] for span in spans)
    try:
        index = WorkingDayIndex(first, last)
    except UnknownCalendarYear as error:
        result.unknown_year = error.year
        return result
    by_code: dict[str, ElapsedRow] = {}
    for pk, start, end, code, name, name_en, intake, promised in spans:
        if end < start:
            continue
        days = index.between(start, end, pauses.get(pk, ()))
        limit = intake + promised
        row = by_code.setdefault(code, ElapsedRow(code=code, name=_display(name, name_en)))
        for target in (row, total):
            target._elapsed.append(days)
            target._limits.append(limit)
    total.finish()
    result.bundles = sorted((row.finish() for row in by_code.values()), key=lambda row: row.code)
    return result


# --- reform figures from the catalog ------------------------------------------------------------------------


def reform_figures(today: datetime.date | None = None) -> list[dict]:
    """For each bundle of the catalog version in force: its catalog scenarios (separately vs bundled)."""
    version = CatalogVersion.objects.effective_on(today or clock.today())
    if version is None:
        return []
    figures = []
    for bundle in Bundle.objects.filter(version=version).select_related("version").order_by("code"):
        facts = bundle_facts(bundle)
        for scenario in catalog_scenarios(bundle, facts=facts):
            figures.append(
                {
                    "bundle": str(bundle),
                    "code": bundle.code,
                    "scenario": str(scenario.label),
                    "key": scenario.key,
                    "separately": {
                        "steps": scenario.separately.steps,
                        "materials": scenario.separately.materials,
                        "days": scenario.separately.days,
                    },
                    "bundled": {
                        "steps": scenario.bundled.steps,
                        "materials": scenario.bundled.materials,
                        "days": scenario.bundled.days,
                    },
                    "steps_saved": scenario.steps_saved,
                    "materials_reduction_pct": scenario.materials_reduction_pct,
                    "time_reduction_pct": scenario.time_reduction_pct,
                }
            )
    return figures


def reference_figures() -> dict:
    return {
        "steps_saved": REFERENCE.steps_saved,
        "materials_reduction_pct": REFERENCE.materials_reduction_pct,
        "time_reduction_pct": REFERENCE.time_reduction_pct,
    }
