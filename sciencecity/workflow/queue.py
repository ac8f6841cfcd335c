"""Background work that exists if and only if the write that asked for it commits.

With the database task backend the queue row is written by the caller's own transaction: it commits with the
data or not at all, a worker sees it only after the commit, and no crash between the commit and an enqueue
can lose it (the fault-injection run, `make faults`, found that window with `on_commit`). Other backends — the
immediate one of some tests, a broker — cannot join the transaction, so they get the work after the commit.
"""

from django.db import transaction
from django_tasks_db.backend import DatabaseBackend


def enqueue_with_commit(task, *args, **kwargs) -> None:
    if isinstance(task.get_backend(), DatabaseBackend):
        task.enqueue(*args, **kwargs)
    else:
        transaction.on_commit(lambda: task.enqueue(*args, **kwargs), robust=True)


def enqueue_many_with_commit(task, calls) -> None:
    """`enqueue_with_commit(task, *args)` for each args tuple of `calls`; one INSERT where the backend can
    write several rows at once (the platform's database backend, `enqueue_many`)."""
    calls = [tuple(args) for args in calls]
    backend = task.get_backend()
    if isinstance(backend, DatabaseBackend) and hasattr(backend, "enqueue_many") and calls:
        # The backend's checks of each call's arguments (JSON-serialisable) as `Task.enqueue` would run them.
        backend.enqueue_many(task, [(args, {}) for args in calls])
    else:
        for args in calls:
            enqueue_with_commit(task, *args)
