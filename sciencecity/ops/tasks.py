"""Background tasks that know which request asked for them.

The database backend stores the enqueuing request's id beside the task's arguments; when the worker starts the
task, that id becomes the worker's current request id, so the task's logs and audit rows carry it too.
"""

import contextvars

from django.dispatch import receiver
from django_tasks.signals import task_enqueued, task_finished, task_started
from django_tasks_db.backend import DatabaseBackend
from django_tasks_db.compat import normalize_json

from sciencecity.audit.context import RequestContext, current_request
from sciencecity.workflow.prepared import insert

_task_token: contextvars.ContextVar[contextvars.Token | None] = contextvars.ContextVar(
    "task_token", default=None
)


class TracedDatabaseBackend(DatabaseBackend):
    """django_tasks_db's backend, whose row also holds the request id (the library's own insert, plus a key)."""

    def _row(self, task, args, kwargs):
        from django_tasks_db.models import DBTaskResult

        call = {"args": args, "kwargs": kwargs}
        if request_id := current_request.get().request_id:
            call["request_id"] = request_id
        return DBTaskResult(
            id=self._get_id(),
            args_kwargs=normalize_json(call),
            priority=task.priority,
            task_path=task.module_path,
            queue_name=task.queue_name,
            run_after=task.run_after,
            backend_name=self.alias,
        )

    def _task_to_db_task(self, task, args, kwargs):
        # The engine queues a job with most decisions: one INSERT made once (`workflow.prepared.insert`).
        (row,) = insert([self._row(task, args, kwargs)])
        return row

    def enqueue_many(self, task, calls) -> list:
        """`task` once for each (args, kwargs) of `calls`, in one INSERT (a delivery queues every certificate
        not yet rendered); what `enqueue` does for each, `task_enqueued` included."""
        self.validate_task(task)
        rows = insert([self._row(task, list(args), dict(kwargs)) for args, kwargs in calls])
        for row in rows:
            task_enqueued.send(type(self), task_result=row.task_result)
        return [row.task_result for row in rows]


def request_id_of(task_result) -> str:
    db_result = getattr(task_result, "db_result", None)
    return (db_result.args_kwargs.get("request_id") or "") if db_result is not None else ""


@receiver(task_started)
def _enter_request(sender, task_result, **kwargs):
    request_id = request_id_of(task_result)
    if request_id:
        _task_token.set(current_request.set(RequestContext(request_id, None)))


@receiver(task_finished)
def _leave_request(sender, task_result, **kwargs):
    token = _task_token.get()
    if token is not None:
        current_request.reset(token)
        _task_token.set(None)
