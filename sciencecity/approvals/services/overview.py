"""The background half of the leaders' overview: the count snapshot and the stored working days.

`refresh_overview` is what the background task runs (`overview_tasks`): it counts the applications by
bundle and status in one GROUP BY and keeps the result as the newest `ApplicationCountSnapshot` (the
overview reads that row instead of counting a million applications on each visit), and it stores the
working days elapsed on concluded applications that still lack them (`services.elapsed`). Both are
idempotent: a second run takes one more snapshot and finds nothing left to fill.
"""

import time

from django.db import transaction

from sciencecity.problems import figures as problem_figures
from sciencecity.workdays import clock
from sciencecity.workflow.duties import run_refresh_duties

from ..models import ApplicationCountSnapshot
from .elapsed import fill_working_days_elapsed

KEEP_SNAPSHOTS = 3


def take_count_snapshot() -> ApplicationCountSnapshot:
    """Count the applications by bundle and status now and keep the count as the newest snapshot; older
    ones beyond the newest `KEEP_SNAPSHOTS` are deleted. The snapshot is "as of" the moment the count
    started: the count sees every change committed before it."""
    from ..dashboard import count_applications  # the overview's own live count

    taken_at = clock.now()
    started = time.perf_counter()
    rows = count_applications()
    seconds = time.perf_counter() - started
    with transaction.atomic():
        snapshot = ApplicationCountSnapshot.objects.create(
            taken_at=taken_at, counts=[list(row) for row in rows], seconds=round(seconds, 3)
        )
        old = ApplicationCountSnapshot.objects.order_by("-taken_at", "-pk").values_list("pk", flat=True)
        ApplicationCountSnapshot.objects.filter(pk__in=list(old[KEEP_SNAPSHOTS:])).delete()
    return snapshot


def refresh_overview() -> dict:
    """Store missing working-day figures, then take a count snapshot of the applications and the problems'
    statistics snapshot (`problems.figures`), then run the refresh duties of the apps above (the cockpit's
    counts); returns what it did."""
    filled = fill_working_days_elapsed()
    snapshot = take_count_snapshot()
    problems = problem_figures.take_snapshot()
    return {
        "taken_at": snapshot.taken_at.isoformat(),
        "applications": sum(count for _bundle, _status, count in snapshot.counts),
        "count_seconds": snapshot.seconds,
        "working_days_stored": filled,
        "problem_groups": len(problems.groups),
        "problem_count_seconds": problems.seconds,
        **run_refresh_duties(),
    }
