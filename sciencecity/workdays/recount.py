"""Counting open provisional deadlines again once the year they were counted in is official.

The calendar stores no deadline itself: the apps that store deadlines (approvals today, problems and others
later) register here what they store, as `ProvisionalDeadlines`: how to list the keys of their open rows with
a provisional deadline, and how to recount one row. The recount of one row is the app's own service
function: it locks the row, counts its deadlines again from their stored start day and pauses, writes what
changed, records it in the audit trail and notifies the people whose deadline moved, in one transaction. A
row whose deadlines come out the same and still provisional is left untouched, so a pass is idempotent:
run twice, the second pass changes nothing.

A pass is a `DeadlineRecount` row (its progress and outcome, shown to administrators) and one background
task (`recount_provisional_deadlines`). `request_recount` makes both: `services.confirm_year` calls it, and
so does `recount_if_years_became_known`, which the daily deadline scan calls to notice that an upgraded
`chinese_calendar` now covers a year that open deadlines were counted in provisionally.
"""

import enum
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.utils import timezone
from django_tasks import task

from sciencecity.workflow.queue import enqueue_with_commit

from .calendar import is_year_known
from .models import DeadlineRecount

logger = logging.getLogger(__name__)


class Outcome(enum.Enum):
    """What recounting one row did."""

    MOVED = "moved"  # a deadline has a new day (audited, people notified)
    FIRMED = "firmed"  # same days, no longer provisional (audited)
    STILL_PROVISIONAL = "still_provisional"  # nothing changed: its year is still not official
    SKIPPED = "skipped"  # no longer open, or its deadline cannot be known yet (an open pause)


@dataclass(frozen=True)
class ProvisionalDeadlines:
    """One kind of row with stored deadlines that may be provisional."""

    name: str
    # The primary keys of the open rows with a provisional deadline, in a stable order.
    open_keys: Callable[[], Iterable]
    # Recount the row with this key (in its own transaction); returns the Outcome.
    recount: Callable[[object], Outcome]
    # The years of those rows' deadlines: where to look for a year that became official.
    years: Callable[[], Iterable[int]]


_registry: dict[str, ProvisionalDeadlines] = {}


def register(kind: ProvisionalDeadlines) -> None:
    """Called by each app that stores deadlines, in its AppConfig.ready()."""
    _registry[kind.name] = kind


def registered() -> list[ProvisionalDeadlines]:
    return list(_registry.values())


PROGRESS_EVERY = 50  # rows between two writes of the pass's counts


def request_recount(user, trigger: str, years: Iterable[int] = ()) -> DeadlineRecount:
    """Make a pass (`trigger`: a `DeadlineRecount.Trigger`, for the years that became official) and enqueue
    its task once the caller's transaction commits."""
    recount = DeadlineRecount.objects.create(
        trigger=trigger, years=",".join(str(year) for year in years), requested_by=_user_or_none(user)
    )
    enqueue_with_commit(recount_provisional_deadlines, recount.pk)
    return recount


def _user_or_none(user):
    return user if getattr(user, "is_authenticated", False) else None


def run_recount(recount: DeadlineRecount) -> DeadlineRecount:
    """Recount every open provisional deadline of every registered kind, writing the progress as it goes.

    Safe to run again on the same pass (a worker killed half-way): it starts over, and the rows already
    recounted are no longer provisional or come out unchanged."""
    DeadlineRecount.objects.filter(pk=recount.pk).update(
        status=DeadlineRecount.Status.RUNNING,
        started_at=timezone.now(),
        examined=0,
        moved=0,
        firmed=0,
        still_provisional=0,
        error="",
    )
    recount.refresh_from_db()
    counts = dict.fromkeys(Outcome, 0)
    try:
        for kind in registered():
            for key in list(kind.open_keys()):
                counts[kind.recount(key)] += 1
                if sum(counts.values()) % PROGRESS_EVERY == 0:
                    _write_counts(recount, counts)
    except Exception as error:
        _write_counts(recount, counts, status=DeadlineRecount.Status.FAILED, error=repr(error))
        logger.exception("recount of provisional deadlines %s failed", recount.pk)
        raise
    _write_counts(recount, counts, status=DeadlineRecount.Status.DONE)
    return recount


def _write_counts(recount, counts, *, status=None, error=""):
    recount.examined = sum(counts.values())
    recount.moved = counts[Outcome.MOVED]
    recount.firmed = counts[Outcome.FIRMED]
    recount.still_provisional = counts[Outcome.STILL_PROVISIONAL]
    fields = ["examined", "moved", "firmed", "still_provisional"]
    if status is not None:
        recount.status, recount.finished_at, recount.error = status, timezone.now(), error
        fields += ["status", "finished_at", "error"]
    recount.save(update_fields=fields)


@task()
def recount_provisional_deadlines(recount_id: int) -> dict:
    """The background pass of `request_recount`; a pass already done is not run again."""
    recount = DeadlineRecount.objects.filter(pk=recount_id).first()
    if recount is None or recount.status == DeadlineRecount.Status.DONE:
        return {}
    run_recount(recount)
    return {"examined": recount.examined, "moved": recount.moved, "firmed": recount.firmed}


def years_became_known() -> list[int]:
    """The years that open provisional deadlines were counted in and that are official now."""
    years = {year for kind in registered() for year in kind.years()}
    return sorted(year for year in years if is_year_known(year))


def recount_if_years_became_known() -> DeadlineRecount | None:
    """Request a pass when a year of open provisional deadlines became official without a confirmation (an
    upgraded calendar package) and no pass is waiting or running already."""
    years = years_became_known()
    if not years:
        return None
    waiting = DeadlineRecount.Status.QUEUED, DeadlineRecount.Status.RUNNING
    if DeadlineRecount.objects.filter(status__in=waiting).exists():
        return None
    return request_recount(None, DeadlineRecount.Trigger.PACKAGE, years)
