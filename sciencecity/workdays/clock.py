"""The platform's clock: what time it is for the services that date what they do.

Every service that stamps a time or a day onto a workflow row (submitted, accepted, decided, concluded,
delivered; deadlines counted from today) asks `now()` or `today()` here instead of `django.utils.timezone`.
Normally that is the same answer. The one difference: inside `frozen_at(moment)` the clock reads `moment`,
so a caller can run the services as of a past day. The demo generator uses it to play a year of applications
through the real services, so that a task started in October is overdue in November for real (its stored
deadline passed), and so that the same seed gives the same dates.

The times at which approval events happened are stamped by it too: the approvals models' creation times
(`Notification.created_at`, `CorrectionNotice.issued_at`, `TaskEvent.created_at`, `Delivery.delivered_at`,
`Rating.rated_at`, ...) and the audit trail's `AuditEvent.created_at` default to `now()`, so a notification
sent or an action audited by a step played on a past day carries that day. What it does not reach: the
timestamps that Django fills in itself on save (`auto_now` fields such as `updated_at`) keep the real time.

The frozen moment lives in a `ContextVar`: it belongs to the thread (or asynchronous task) that set it, so a
demo being generated never moves the clock of a request served at the same time by another thread.
Tests keep using time-machine, which moves `timezone.now()` and therefore this clock too.
"""

import contextlib
import datetime
from collections.abc import Iterator
from contextvars import ContextVar

from django.utils import timezone

_frozen: ContextVar[datetime.datetime | None] = ContextVar("sciencecity_clock_frozen", default=None)


def now() -> datetime.datetime:
    """The current moment (timezone-aware): the frozen one inside `frozen_at`, else `timezone.now()`."""
    frozen = _frozen.get()
    return timezone.now() if frozen is None else frozen


def today() -> datetime.date:
    """The current day in the zone's time zone (`TIME_ZONE`), by `now()`."""
    return timezone.localdate(now())


def is_frozen() -> bool:
    return _frozen.get() is not None


@contextlib.contextmanager
def frozen_at(moment: datetime.datetime) -> Iterator[datetime.datetime]:
    """Read `moment` as the time until the block ends (nested blocks restore the outer moment)."""
    if not isinstance(moment, datetime.datetime) or timezone.is_naive(moment):
        raise ValueError("frozen_at needs a timezone-aware datetime")
    token = _frozen.set(moment)
    try:
        yield moment
    finally:
        _frozen.reset(token)
