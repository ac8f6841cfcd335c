"""Background tasks abandoned by a killed worker, found and put back in the queue (issue 17, "Crashes").

django_tasks_db's worker marks a task RUNNING when it claims it and SUCCESSFUL or FAILED when it ends. A worker
killed in between (SIGKILL, the kernel's out-of-memory killer, a machine lost, a deployment that does not wait)
leaves the row RUNNING for ever, and no worker looks at it again (django-tasks issue #46, open upstream): a
certificate's PDF is never rendered, a ledger import stays "importing", a recount never ends. The platform's
tasks are idempotent (ARCHITECTURE.md rule 7), so the remedy is to run such a task again: `requeue_abandoned`
puts it back to READY and a worker takes it like any other.

How a RUNNING task is known to be abandoned:

- On PostgreSQL, exactly: while a task runs, its worker holds a session-level advisory lock named after the
  task (taken when the task starts, released when it ends: the receivers below). The server releases a
  session's locks when the session ends, and a killed process's session ends at once (its socket closes). A
  RUNNING task whose lock nobody holds, started more than `GRACE` ago (the instant between the worker's claim
  and its lock), has lost its worker, whatever its age.
- On other databases (SQLite: the demo, one machine), by age: a task RUNNING for longer than `STALE_AFTER` (no
  task of the platform runs that long) is presumed abandoned.

Who puts them back: a refresh duty of the overview's counts (every OVERVIEW_REFRESH_MINUTES, `manage.py
refresh_overview --schedule`), and any worker when it starts a task, at most once a minute — so a worker
restarted after a crash sweeps up what its predecessor left as soon as it runs anything, even when the task it
was killed in was the refresh itself. `manage.py check_invariants` reports abandoned tasks not put back yet.
"""

import datetime
import logging
import time

from django.db import connections, transaction
from django.dispatch import receiver
from django.utils import timezone
from django_tasks.signals import task_finished, task_started
from django_tasks_db.utils import normalize_uuid

from sciencecity.workflow.duties import refresh_duty

logger = logging.getLogger(__name__)

# The first key of the platform's advisory locks on tasks (the second is the hash of the task's id), so that
# they never meet another user of advisory locks in the same database.
LOCK_NAMESPACE = 0x5C17
GRACE = datetime.timedelta(seconds=30)
STALE_AFTER = datetime.timedelta(hours=1)
# How often a worker sweeps when it starts a task.
SWEEP_EVERY = 60.0

_last_sweep = 0.0


def _table() -> str:
    from django_tasks_db.models import DBTaskResult

    return DBTaskResult._meta.db_table


def _alias(task_result) -> str:
    db_result = getattr(task_result, "db_result", None)
    return getattr(getattr(db_result, "_state", None), "db", None) or "default"


def _queued(task_result) -> bool:
    """A task of the database backend's queue (the immediate backend of tests runs inline: nothing to recover)."""
    return getattr(task_result, "db_result", None) is not None


def _lock_sql(function: str) -> str:
    return f"SELECT {function}(%s, hashtext(%s::uuid::text))"


@receiver(task_started, dispatch_uid="sciencecity.ops.recovery.hold")
def _hold(sender, task_result, **kwargs):
    """The running task's lock (PostgreSQL), held by the worker's session until the task ends or the session
    does; then, at most once a minute per worker, a sweep for tasks other workers abandoned."""
    if not _queued(task_result):
        return
    connection = connections[_alias(task_result)]
    try:
        # A savepoint when the task runs inside a transaction: a failure here must not abort the caller's.
        with transaction.atomic(using=connection.alias):
            if connection.vendor == "postgresql":
                with connection.cursor() as cursor:
                    cursor.execute(_lock_sql("pg_try_advisory_lock"), [LOCK_NAMESPACE, str(task_result.id)])
            global _last_sweep
            if time.monotonic() - _last_sweep >= SWEEP_EVERY:
                _last_sweep = time.monotonic()
                requeue_abandoned(using=_alias(task_result))
    except Exception:  # never fail the task that is starting for the sake of the bookkeeping
        logger.exception("task recovery: could not lock task %s or sweep", task_result.id)


@receiver(task_finished, dispatch_uid="sciencecity.ops.recovery.release")
def _release(sender, task_result, **kwargs):
    connection = connections[_alias(task_result)]
    if connection.vendor != "postgresql" or not _queued(task_result):
        return
    try:
        with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
            cursor.execute(_lock_sql("pg_advisory_unlock"), [LOCK_NAMESPACE, str(task_result.id)])
    except Exception:  # the session is gone (a lost connection): so is its lock
        logger.warning("task recovery: could not release the lock of task %s", task_result.id)


def _abandoned_where(connection) -> tuple[str, list]:
    """The SQL condition (and its parameters) of a RUNNING task whose worker is gone."""
    now = timezone.now()
    if connection.vendor == "postgresql":
        # A held two-key advisory lock shows in pg_locks with classid = key 1 and objid = key 2, both as
        # unsigned 32-bit oids (hashtext's negative values wrap around).
        return (
            "status = 'RUNNING' AND started_at < %s AND NOT EXISTS ("
            "SELECT 1 FROM pg_locks l WHERE l.locktype = 'advisory' AND l.objsubid = 2 AND l.granted "
            "AND l.classid::bigint = %s AND l.objid::bigint = (hashtext(id::text)::bigint & 4294967295))",
            [now - GRACE, LOCK_NAMESPACE],
        )
    cutoff = connection.ops.adapt_datetimefield_value(now - STALE_AFTER)
    return "status = 'RUNNING' AND started_at < %s", [cutoff]


def abandoned(using: str = "default", limit: int | None = None) -> list[tuple[str, str, datetime.datetime]]:
    """(id, task path, started at) of the RUNNING tasks whose worker is gone, oldest first."""
    connection = connections[using]
    where, parameters = _abandoned_where(connection)
    sql = f"SELECT id, task_path, started_at FROM {_table()} WHERE {where} ORDER BY started_at"
    if limit is not None:
        sql += f" LIMIT {int(limit)}"
    with connection.cursor() as cursor:
        cursor.execute(sql, parameters)
        return [(normalize_uuid(str(row[0])), row[1], row[2]) for row in cursor.fetchall()]


def requeue_abandoned(using: str = "default") -> list[str]:
    """Put every abandoned task back in the queue (READY, to run again as it was enqueued); returns their ids.
    One statement: a task whose worker is alive, or that ended meanwhile, is not touched."""
    connection = connections[using]
    where, parameters = _abandoned_where(connection)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {_table()} SET status = 'READY' WHERE {where} RETURNING id, task_path", parameters
        )
        rows = [(normalize_uuid(str(task_id)), path) for task_id, path in cursor.fetchall()]
    for task_id, path in rows:
        logger.warning(
            "task recovery: task %s (%s) was abandoned by its worker and is queued again", task_id, path
        )
    return [task_id for task_id, _path in rows]


@refresh_duty("tasks_recovered")
def requeue_abandoned_duty() -> dict:
    return {"requeued": len(requeue_abandoned())}
