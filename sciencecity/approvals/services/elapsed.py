"""Working days from an application's (last) submission to its conclusion, stored on the application.

The figure is computed once, when the application concludes (`review.conclude_if_done`), and stored in
`Application.working_days_elapsed` (ARCHITECTURE.md rule 4, as deadlines are), so that the leaders' overview
takes its average, median and share within the promised limit from one indexed aggregate over stored values
instead of recomputing every concluded application's working days on each visit.

The formula is the overview's since it was written: working days d with submitted < d <= concluded (local
dates in the zone's time zone), not counting the days on which any task of the application was paused
(merged pauses, both ends included, as in `services.reform`). An application concluded before it was
submitted (impossible through the services) gets no figure. When the calendar does not know a year of the
span the figure stays empty; `fill_working_days_elapsed` (run by the background worker with the overview's
counts, and by the migration that introduced the field) stores it once the year is confirmed.
"""

import datetime
from collections import defaultdict

from django.utils import timezone

from sciencecity.workdays.calendar import UnknownCalendarYear, _Calendar

from .reform import merge_pauses

ONE_DAY = datetime.timedelta(days=1)
FILL_BATCH = 2000


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


def local_date(moment: datetime.datetime) -> datetime.date:
    return timezone.localdate(moment) if timezone.is_aware(moment) else moment.date()


def working_days_between(submitted_at, concluded_at, pauses=(), index: WorkingDayIndex | None = None):
    """The stored figure for one application (see the module docstring), or None when it concluded before
    it was submitted. Raises UnknownCalendarYear when the calendar does not know a year of the span."""
    start, end = local_date(submitted_at), local_date(concluded_at)
    if end < start:
        return None
    index = index or WorkingDayIndex(start, end)
    return index.between(start, end, pauses)


def working_days_elapsed(application) -> int | None:
    """The figure to store on `application` as it concludes (its `concluded_at` set), or None while the
    calendar does not know a year of the span (the background fill stores it later)."""
    from ..models import TaskPause

    if application.submitted_at is None or application.concluded_at is None:
        return None
    pauses = TaskPause.objects.filter(task__application=application).values_list("started_on", "ended_on")
    try:
        return working_days_between(application.submitted_at, application.concluded_at, list(pauses))
    except UnknownCalendarYear:
        return None


def fill_working_days_elapsed(application_model=None, pause_model=None, batch: int = FILL_BATCH) -> int:
    """Store the figure on the concluded applications that lack it (concluded before the field existed,
    or while their year was unknown); returns how many were stored. Idempotent: it only fills empty
    figures, in batches by id, one pause query and one calendar read per batch. The models are parameters
    so that the migration can pass its historical ones."""
    if application_model is None:
        from ..models import Application as application_model
        from ..models import TaskPause as pause_model

    candidates = application_model.objects.filter(
        status__in=("concluded", "delivered"),
        concluded_at__isnull=False,
        submitted_at__isnull=False,
        working_days_elapsed__isnull=True,
    ).order_by("pk")
    stored, after = 0, 0
    while True:
        rows = list(candidates.filter(pk__gt=after).values_list("pk", "submitted_at", "concluded_at")[:batch])
        if not rows:
            return stored
        after = rows[-1][0]
        pauses = defaultdict(list)
        for application_id, start, end in (
            pause_model.objects.filter(task__application_id__in=[row[0] for row in rows])
            .order_by()
            .values_list("task__application_id", "started_on", "ended_on")
        ):
            pauses[application_id].append((start, end))
        index = _batch_index(rows)
        updated = []
        for pk, submitted_at, concluded_at in rows:
            try:
                days = working_days_between(submitted_at, concluded_at, pauses.get(pk, ()), index)
            except UnknownCalendarYear:
                continue
            if days is not None:
                updated.append(application_model(pk=pk, working_days_elapsed=days))
        application_model.objects.bulk_update(updated, ["working_days_elapsed"], batch_size=500)
        stored += len(updated)


def _batch_index(rows) -> WorkingDayIndex | None:
    """One calendar index for the whole batch, or None when a year of its span is unknown (then each row
    reads its own span, so the rows of known years are still stored)."""
    spans = [(local_date(submitted), local_date(concluded)) for _pk, submitted, concluded in rows]
    first = min(start for start, _end in spans)
    last = max(end for _start, end in spans)
    if last < first:
        return None
    try:
        return WorkingDayIndex(first, last)
    except UnknownCalendarYear:
        return None
