"""Health endpoints for load balancers and monitoring (django-health-check).

- `/health/live/` — the process answers (no dependency): restart it if this fails.
- `/health/ready/` — it can serve: the primary database answers, and the task queue's table can be read. A
  load balancer sends requests only to ready instances.
- `/health/` — everything an operator watches: the above, each read replica (reachable, replay lag), and the
  task queue's backlog (a task due for longer than `HEALTH_TASK_DELAY_MINUTES` means no worker is consuming).
  It is for alerts, not for routing: a stalled worker must not take the pages off the load balancer.

Failures answer 503 (the check's name and a short reason, no detail of the infrastructure).
"""

import asyncio
import dataclasses
import datetime
from concurrent.futures import ThreadPoolExecutor

from django.conf import settings
from django.db import DatabaseError, connections
from django.http import JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from health_check.base import HealthCheck
from health_check.checks import Database
from health_check.exceptions import ServiceUnavailable, ServiceWarning
from health_check.views import HealthCheckView

from sciencecity.ops.replicas import replica_aliases


@dataclasses.dataclass
class TaskQueue(HealthCheck):
    """The queue's table answers; with `max_delay`, no task has waited past its time for longer than that."""

    max_delay: datetime.timedelta | None = None

    def run(self):
        from django_tasks_db.models import DBTaskResult

        try:
            oldest = (
                DBTaskResult.objects.ready().order_by("run_after").values_list("run_after", "enqueued_at")[:1]
            )
            row = next(iter(oldest), None)
        except DatabaseError as error:
            raise ServiceUnavailable("task queue unreadable") from error
        finally:
            # Checks run in the view's executor threads, outside any request: nothing else would close it.
            connections["default"].close()
        if self.max_delay is None or row is None:
            return
        waiting_since = max(moment for moment in row if moment is not None and moment.year < 9999)
        waited = timezone.now() - waiting_since
        if waited > self.max_delay:
            raise ServiceWarning(
                f"a task has waited {int(waited.total_seconds() // 60)} minutes: is db_worker running?"
            )


@dataclasses.dataclass
class ReplicaLag(HealthCheck):
    """A read replica answers and has replayed the primary's changes of at most `max_lag` ago."""

    alias: str = "replica_1"
    max_lag: datetime.timedelta = datetime.timedelta(seconds=60)

    def run(self):
        try:
            with connections[self.alias].temporary_connection() as cursor:
                # Zero while nothing is written on the primary: a quiet replica is not late.
                cursor.execute(
                    "SELECT CASE WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0 "
                    "ELSE EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp()) END"
                )
                (lag,) = cursor.fetchone()
        except DatabaseError as error:
            raise ServiceUnavailable("replica unreachable") from error
        if lag is not None and lag > self.max_lag.total_seconds():
            raise ServiceWarning(f"replica {int(lag)} seconds behind")


class Health(HealthCheckView):
    """django-health-check's view answering 503 (what load balancers expect) instead of 500 on failure.

    Synchronous, as gunicorn's workers are: the library's asynchronous checks run in an event loop of their own
    thread, so the request's thread needs no loop (and one already running there, as in tests that drive a
    browser, does not matter)."""

    view_is_async = False

    def dispatch(self, request, *args, **kwargs):
        with ThreadPoolExecutor(max_workers=1) as pool:
            return pool.submit(asyncio.run, super().dispatch(request, *args, **kwargs)).result()

    def render_to_response(self, context, **kwargs):
        return self._unavailable(super().render_to_response(context, **kwargs))

    def render_to_response_json(self, status):
        return self._unavailable(super().render_to_response_json(status))

    def render_to_response_text(self, status):
        return self._unavailable(super().render_to_response_text(status))

    @staticmethod
    def _unavailable(response):
        if response.status_code == 500:
            response.status_code = 503
        return response


class Ready(Health):
    def get_checks(self):
        yield Database(alias="default")
        yield TaskQueue()


class Status(Health):
    """Read per request: the settings may name replicas or a delay the URL configuration did not see."""

    def get_checks(self):
        yield Database(alias="default")
        yield TaskQueue(max_delay=datetime.timedelta(minutes=settings.HEALTH_TASK_DELAY_MINUTES))
        for alias in replica_aliases():
            yield ReplicaLag(
                alias=alias, max_lag=datetime.timedelta(seconds=settings.HEALTH_REPLICA_LAG_SECONDS)
            )


@never_cache
def live(request):
    return JsonResponse({"status": "ok"})
