"""The overview's counts as a recurring background task (the Tasks framework; `manage.py db_worker` runs it).

`refresh_overview_task` schedules its own next run, `OVERVIEW_REFRESH_MINUTES` later, before it counts, so
a failing run does not end the chain; `manage.py refresh_overview --schedule` starts the chain. As with the
deadline scan (`deadline_tasks`), a run is not scheduled while another waits in the database backend's
queue, and the work is idempotent (`services.overview`), so an occasional duplicate run does no harm. A
backend that cannot defer (the ImmediateBackend of tests) gets no next run.
"""

import datetime

from django.conf import settings
from django_tasks import TaskResultStatus, task

from sciencecity.workdays import clock

from .services.overview import refresh_overview


@task()
def refresh_overview_task(reschedule: bool = True) -> dict:
    """Take the overview's count snapshot and store missing working-day figures; schedule the next run."""
    if reschedule:
        schedule_next_refresh()
    return refresh_overview()


def pending_refresh_exists() -> bool:
    """Whether a run already waits in the database backend's queue (False for other backends)."""
    backend = refresh_overview_task.get_backend()
    try:
        from django_tasks_db.backend import DatabaseBackend
        from django_tasks_db.models import DBTaskResult
    except ImportError:  # pragma: no cover - the database backend is a dependency
        return False
    if not isinstance(backend, DatabaseBackend):
        return False
    return DBTaskResult.objects.filter(
        task_path=refresh_overview_task.module_path, backend_name=backend.alias, status=TaskResultStatus.READY
    ).exists()


def schedule_next_refresh(*, now: datetime.datetime | None = None):
    """Enqueue the next run `OVERVIEW_REFRESH_MINUTES` from `now`; returns its TaskResult, or None when a
    run already waits or the backend cannot run a task later."""
    if not refresh_overview_task.get_backend().supports_defer:
        return None
    if pending_refresh_exists():
        return None
    run_after = (now or clock.now()) + datetime.timedelta(minutes=settings.OVERVIEW_REFRESH_MINUTES)
    return refresh_overview_task.using(run_after=run_after).enqueue()
