"""The recurring deadline scan as a background task (the Tasks framework; `manage.py db_worker` runs it).

`scan_deadlines_task` schedules its own next run before it scans, so a failing scan (an unknown calendar year,
a lost connection) does not end the chain: by default the next morning at 08:00 in the zone's time zone
(`TIME_ZONE`, Asia/Shanghai), or every `every_minutes` minutes when the run was scheduled that way
(`manage.py scan_deadlines --schedule --every 30`). `manage.py scan_deadlines --schedule` starts the chain.

Duplicates: with the database backend, a run is not scheduled while another run of this task is already
waiting (status READY), so the chain stays one run long. Two workers finishing at the same moment could
still both schedule one; that is harmless, because the scan itself is idempotent (stored warning levels and
deduplicated notifications), and the chain falls back to one as soon as one run finds the other waiting.
A backend that cannot defer (the ImmediateBackend of tests and of TASKS_BACKEND overrides) gets no next
run: it would run it at once, and again, forever.
"""

import datetime
import zoneinfo

from django.conf import settings
from django_tasks import TaskResultStatus, task

from sciencecity.enterprises.profile import follow_qualifications
from sciencecity.problems.services.deadlines import scan_problem_deadlines
from sciencecity.projects.notices import daily_duty
from sciencecity.workdays import clock
from sciencecity.workdays.recount import recount_if_years_became_known
from sciencecity.workflow.duties import run_morning_duties

from .services.deadlines import scan_deadlines

SCAN_TIME = datetime.time(8, 0)


@task()
def scan_deadlines_task(every_minutes: int | None = None, reschedule: bool = True) -> dict:
    """Scan today's deadlines (see `services.deadlines`) and schedule the next scan; returns the summary."""
    if reschedule:
        schedule_next_scan(every_minutes=every_minutes)
    # An upgraded calendar package may have made official a year that open deadlines were counted in
    # provisionally: then a recount pass is requested (once; see workdays.recount).
    recount_if_years_became_known()
    # The problems' deadlines are scanned by the same chain: one morning scan for the whole zone.
    # And the key projects' report day and warning colours (`projects.notices.daily_duty`).
    return {
        **scan_deadlines().as_dict(),
        **scan_problem_deadlines().as_dict(),
        "projects": daily_duty(),
        "qualifications": follow_qualifications(),
        # And what the capabilities above the approvals registered (the policies' nightly matching …).
        **run_morning_duties(),
    }


def next_run_at(now: datetime.datetime | None = None, every_minutes: int | None = None) -> datetime.datetime:
    """When the next scan runs: `every_minutes` from `now`, or the next 08:00 in the zone's time zone."""
    now = now or clock.now()
    if every_minutes:
        return now + datetime.timedelta(minutes=every_minutes)
    zone = zoneinfo.ZoneInfo(settings.TIME_ZONE)
    local = now.astimezone(zone)
    run = datetime.datetime.combine(local.date(), SCAN_TIME, tzinfo=zone)
    if run <= local:
        run = datetime.datetime.combine(local.date() + datetime.timedelta(days=1), SCAN_TIME, tzinfo=zone)
    return run


def pending_scan_exists() -> bool:
    """Whether a run of the scan already waits in the database backend's queue (False for other backends,
    which cannot be asked)."""
    backend = scan_deadlines_task.get_backend()
    try:
        from django_tasks_db.backend import DatabaseBackend
        from django_tasks_db.models import DBTaskResult
    except ImportError:  # pragma: no cover - the database backend is a dependency
        return False
    if not isinstance(backend, DatabaseBackend):
        return False
    return DBTaskResult.objects.filter(
        task_path=scan_deadlines_task.module_path, backend_name=backend.alias, status=TaskResultStatus.READY
    ).exists()


def schedule_next_scan(*, every_minutes: int | None = None, now: datetime.datetime | None = None):
    """Enqueue the next run of the scan (see the module docstring); returns its TaskResult, or None when a
    run already waits or the backend cannot run a task later."""
    if every_minutes is not None and every_minutes < 1:
        raise ValueError("every_minutes must be at least 1")
    if not scan_deadlines_task.get_backend().supports_defer:
        return None
    if pending_scan_exists():
        return None
    run_after = next_run_at(now, every_minutes)
    return scan_deadlines_task.using(run_after=run_after).enqueue(every_minutes=every_minutes)
