"""Read queries of the leaders' overview (领导驾驶舱): counts, deadlines and reform figures of the whole zone.

Every figure is a GROUP BY in the database or is computed from a bounded set, so the overview costs a fixed
number of queries however many applications the zone holds:

- applications by status, and by bundle and status: from the newest `ApplicationCountSnapshot`, which the
  background worker takes every `OVERVIEW_REFRESH_MINUTES` minutes (`overview_tasks`; one GROUP BY over all
  applications there), with the moment it was taken ("as of"); when there is none, or it is older than
  twice that interval, one live GROUP BY (bundle, status) instead. Counting a million rows takes hundreds of
  milliseconds whatever the index, and counters updated inside every transition would put one hot row lock
  into every service call, so the counts are taken in the background;
- open, overdue and escalated tasks by department: one aggregate query over the open tasks;
- working days from submission to conclusion against the promised limit: the applications concluded in the
  last `ELAPSED_WINDOW_DAYS` days only, from the figure stored on each when it concluded
  (`services.elapsed`): one GROUP BY (bundle, days) over an index-only scan of the window and one read of
  the bundles, from which count, average, median and the share within the limit are exact. Days on which
  any task of the application was paused for a supplement do not count, as in `services.reform`. Should
  an application of the window lack its stored figure (its year unknown to the calendar when it
  concluded), the figures are computed from the dates as before (one query for the applications, one for
  their pauses, one for the calendar's overrides of that span) until the background fill stores it;
- the catalog comparison of each bundle in force (separately vs bundled: steps, materials, time), from
  `services.reform.catalog_scenarios`: a few queries per bundle, none per application; and of each merged
  review (三评合一) of that version against the separate reviews it replaces (`merged_comparisons`, four
  queries for all of them). The figures of
  `reform_report` from real applications (`actual_figures`) read every application of a bundle and one
  calendar span per distinct date, so the overview shows its own bounded figures instead.

Tasks count as overdue exactly as `services.deadlines.overdue_tasks` says (clock running, deadline past);
escalated (督办) means an open task whose stored warning level reached ESCALATED.
"""

import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from sciencecity.catalog import compiled
from sciencecity.catalog.models import Bundle, CatalogVersion
from sciencecity.workdays import clock
from sciencecity.workdays.calendar import UnknownCalendarYear

from .models import Application, ApplicationCountSnapshot, TaskPause
from .services.deadlines import TASK_STATES, open_tasks, task_state_filter
from .services.elapsed import WorkingDayIndex, local_date
from .services.reform import REFERENCE, bundle_facts, catalog_scenarios, merged_comparisons

__all__ = ["WorkingDayIndex"]  # kept importable from here

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


@dataclass
class ApplicationCounts:
    """Applications per (bundle id, status), drafts included, and when they were counted: `as_of` is the
    moment of the background snapshot, or None when they were counted live just now."""

    rows: list  # [(bundle id, status, count)]
    as_of: datetime.datetime | None = None


def snapshot_max_age() -> datetime.timedelta:
    """A snapshot older than this is stale: twice the background worker's interval."""
    return datetime.timedelta(minutes=2 * settings.OVERVIEW_REFRESH_MINUTES)


def count_applications() -> list[tuple[int, str, int]]:
    """The live count: one GROUP BY (bundle, status) over every application."""
    return [
        (bundle_id, status, count)
        for bundle_id, status, count in Application.objects.order_by()
        .values_list("bundle_id", "status")
        .annotate(count=Count("*"))
    ]


def application_counts() -> ApplicationCounts:
    """The newest snapshot when it is fresh (one indexed read of one row), else a live count."""
    snapshot = ApplicationCountSnapshot.objects.order_by("-taken_at", "-pk").first()
    if (
        snapshot is not None
        and datetime.timedelta(0) <= clock.now() - snapshot.taken_at <= snapshot_max_age()
    ):
        return ApplicationCounts([tuple(row) for row in snapshot.counts], as_of=snapshot.taken_at)
    return ApplicationCounts(count_applications())


def applications_by_status(counts: ApplicationCounts | None = None) -> list[dict]:
    """[{status, label, count}] for every status, in the order of `Application.Status` (zeros included)."""
    counts = counts or application_counts()
    by_status: dict[str, int] = defaultdict(int)
    for _bundle_id, status, count in counts.rows:
        by_status[status] += count
    return [
        {"status": value, "label": str(label), "count": by_status.get(value, 0)} for value, label in A.choices
    ]


@dataclass
class BundleRow:
    code: str
    name: str
    counts: dict  # status -> count
    total: int = 0

    def cells(self, statuses) -> list[int]:
        return [self.counts.get(status, 0) for status in statuses]


def applications_by_bundle(counts: ApplicationCounts | None = None) -> tuple[list[str], list[BundleRow]]:
    """Applications per bundle (by its code, across catalog versions; named by the greatest of their names)
    and status, drafts excluded. Returns the statuses that occur (in `Application.Status` order) and one row
    per bundle."""
    counts = counts or application_counts()
    rows = [
        (bundle_id, status, count) for bundle_id, status, count in counts.rows if status != A.DRAFT and count
    ]
    bundles = {
        pk: (code, name, name_en)
        for pk, code, name, name_en in Bundle.objects.filter(pk__in={row[0] for row in rows}).values_list(
            "pk", "code", "name", "name_en"
        )
    }
    names: dict[str, tuple[str, str]] = {}
    for code, name, name_en in bundles.values():
        known = names.get(code, (name, name_en or ""))
        names[code] = (max(known[0], name), max(known[1], name_en or ""))
    by_code: dict[str, BundleRow] = {}
    for bundle_id, status, count in rows:
        code = bundles[bundle_id][0]
        bundle = by_code.setdefault(code, BundleRow(code, _display(*names[code]), {}))
        bundle.counts[status] = bundle.counts.get(status, 0) + count
        bundle.total += count
    present = {status for bundle in by_code.values() for status in bundle.counts}
    statuses = [value for value, _label in A.choices if value in present]
    return statuses, sorted(by_code.values(), key=lambda bundle: bundle.code)


# --- tasks by department --------------------------------------------------------------------------------


def tasks_by_department(today: datetime.date | None = None) -> list[dict]:
    """[{code, name, open, overdue, escalated}] for each department with open tasks: one GROUP BY over the
    open tasks only."""
    today = today or clock.today()
    rows = (
        open_tasks()
        .order_by()
        .values("department__code", "department__name", "department__name_en")
        .annotate(**{state: Count("pk", filter=task_state_filter(state, today)) for state in TASK_STATES})
    )
    result = [
        {
            "code": row["department__code"],
            "name": _display(row["department__name"], row["department__name_en"]),
            **{state: row[state] for state in TASK_STATES},
        }
        for row in rows
    ]
    return sorted(result, key=lambda row: (-row["overdue"], -row["open"], row["code"]))


# --- working days elapsed ---------------------------------------------------------------------------


@dataclass
class ElapsedRow:
    code: str
    name: str
    concluded: int = 0
    average_days: Decimal | None = None
    median_days: Decimal | None = None
    promised_days: Decimal | None = None  # average of the limits (intake + promised) of those applications
    within_promised_pct: Decimal | None = None
    _histogram: dict = field(default_factory=lambda: defaultdict(int), repr=False)  # (days, limit) -> n

    def add(self, days: int, limit: int, count: int = 1):
        self._histogram[(days, limit)] += count

    def finish(self):
        """Count, average, median and share within the limit, exactly as over the list of values."""
        pairs = sorted((days, limit, n) for (days, limit), n in self._histogram.items() if n)
        self.concluded = total = sum(n for _days, _limit, n in pairs)
        if total:
            self.average_days = _round(sum(days * n for days, _limit, n in pairs) / total)
            self.median_days = _round(_median(pairs, total))
            self.promised_days = _round(sum(limit * n for _days, limit, n in pairs) / total)
            within = sum(n for days, limit, n in pairs if days <= limit)
            self.within_promised_pct = _round(within * 100 / total)
        return self


def _median(pairs, total: int):
    """The median of the multiset of days in `pairs` ((days, limit, n), sorted by days), as
    `statistics.median` gives it: the middle value, or the mean of the two middle ones."""
    wanted = sorted({(total - 1) // 2, total // 2})
    found, seen = [], 0
    for days, _limit, n in pairs:
        while wanted and wanted[0] < seen + n:
            found.append(days)
            wanted.pop(0)
        seen += n
    return found[0] if len(found) == 1 else (found[0] + found[1]) / 2


@dataclass
class Elapsed:
    since: datetime.date
    window_days: int
    total: ElapsedRow
    bundles: list[ElapsedRow]
    unknown_year: int | None = None  # the calendar does not know this year: figures left out


def elapsed_working_days(
    today: datetime.date | None = None, window_days: int = ELAPSED_WINDOW_DAYS
) -> Elapsed:
    """Average and median working days from the (last) submission to the conclusion of the applications
    concluded in the last `window_days` days, against their promised limit (the bundle's intake limit plus
    its promised limit), overall and per bundle: one GROUP BY over the stored figures (see the module
    docstring) and one read of the bundles, whatever the number of applications."""
    today = today or clock.today()
    since = today - datetime.timedelta(days=window_days)
    since_moment = timezone.make_aware(datetime.datetime.combine(since, datetime.time.min))
    concluded = Application.objects.filter(
        status__in=(A.CONCLUDED, A.DELIVERED),
        concluded_at__gte=since_moment,
        submitted_at__isnull=False,
    )
    total = ElapsedRow(code="", name="")
    result = Elapsed(since=since, window_days=window_days, total=total, bundles=[])
    # Grouped by bundle id and days without a join, so the index-only scan feeds the aggregate directly;
    # the few bundles are read apart.
    groups = list(
        concluded.order_by().values_list("bundle_id", "working_days_elapsed").annotate(n=Count("*"))
    )
    if any(days is None for _bundle_id, days, _n in groups):
        return _elapsed_from_dates(concluded, result)
    bundles = {
        pk: rest
        for pk, *rest in Bundle.objects.filter(
            pk__in={bundle_id for bundle_id, _days, _n in groups}
        ).values_list("pk", "code", "name", "name_en", "intake_limit_days", "promised_limit_days")
    }
    by_code: dict[str, ElapsedRow] = {}
    names: dict[str, tuple] = {}
    for bundle_id, days, n in groups:
        code, name, name_en, intake, promised = bundles[bundle_id]
        known = names.get(code, (name, name_en or ""))
        names[code] = (max(known[0], name), max(known[1], name_en or ""))
        row = by_code.setdefault(code, ElapsedRow(code=code, name=""))
        for target in (row, total):
            target.add(days, intake + promised, n)
    for code, row in by_code.items():
        row.name = _display(*names[code])
    total.finish()
    result.bundles = sorted((row.finish() for row in by_code.values()), key=lambda row: row.code)
    return result


def _elapsed_from_dates(concluded, result: Elapsed) -> Elapsed:
    """The figures computed from the dates and pauses (the stored figure of some is missing): three
    queries, then the working days of each application in Python."""
    total = result.total
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
    if not rows:
        return result
    pauses: dict[int, list] = defaultdict(list)
    for application_id, start, end in (
        TaskPause.objects.filter(task__application__in=concluded.values("pk"))
        .order_by()
        .values_list("task__application_id", "started_on", "ended_on")
    ):
        pauses[application_id].append((start, end))
    spans = [(pk, local_date(submitted), local_date(done), *rest) for pk, submitted, done, *rest in rows]
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
        row = by_code.setdefault(code, ElapsedRow(code=code, name=_display(name, name_en)))
        for target in (row, total):
            target.add(days, intake + promised)
    total.finish()
    result.bundles = sorted((row.finish() for row in by_code.values()), key=lambda row: row.code)
    return result


# --- reform figures from the catalog ------------------------------------------------------------------------


def reform_figures(today: datetime.date | None = None) -> list[dict]:
    """For each bundle of the catalog version in force: its catalog scenarios (separately vs bundled); then
    for each merged review (三评合一) of that version: the separate reviews it replaces vs the merged one.
    Each row says what it compares (`kind`, and the labels of its two ways)."""
    version = CatalogVersion.objects.effective_on(today or clock.today())
    if version is None:
        return []
    # Catalog figures only (no application is counted): kept per published version and language.
    return compiled.derived(version.pk, ("reform_figures", get_language()), lambda: _reform_figures(version))


def _reform_figures(version) -> list[dict]:
    figures = []
    for bundle in Bundle.objects.filter(version=version).select_related("version").order_by("code"):
        facts = bundle_facts(bundle)
        for scenario in catalog_scenarios(bundle, facts=facts):
            figures.append(
                {
                    "kind": "bundle",
                    "separately_label": _("逐项单独办理"),
                    "bundled_label": _("一件事集成办理"),
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
    for comparison in merged_comparisons(version=version):
        figures.append(
            {
                "kind": "merged_item",
                "separately_label": _("分别审批"),
                "bundled_label": _("合并审批"),
                "bundle": comparison.display_name,
                "code": comparison.item.code,
                "scenario": _("%(count)s 项审批合并为一次审批") % {"count": len(comparison.replaced)},
                "key": "merged",
                "separately": {
                    "steps": comparison.separately.steps,
                    "materials": comparison.separately.materials,
                    "days": comparison.separately.days,
                },
                "bundled": {
                    "steps": comparison.merged.steps,
                    "materials": comparison.merged.materials,
                    "days": comparison.merged.days,
                },
                "steps_saved": comparison.steps_saved,
                "materials_reduction_pct": comparison.materials_reduction_pct,
                "time_reduction_pct": comparison.time_reduction_pct,
            }
        )
    return figures


def reference_figures() -> dict:
    return {
        "steps_saved": REFERENCE.steps_saved,
        "materials_reduction_pct": REFERENCE.materials_reduction_pct,
        "time_reduction_pct": REFERENCE.time_reduction_pct,
    }
