"""The daily scan of problems' deadlines (run with the approvals' scan by the same background chain): a yellow
warning to the department when a deadline is near, escalation (督办) to the leaders when it has passed — each
once per deadline, audited. Running it twice changes nothing: the stamp is set by a conditional UPDATE, and
only the run whose UPDATE took the row notifies."""

from dataclasses import dataclass

from django.db import transaction

from sciencecity.audit.services import record
from sciencecity.workdays import clock
from sciencecity.workdays.calendar import add_working_days

from ..models import CLOCKED_STATES, Problem
from . import notices

WARN_DAYS = 2  # working days before the deadline: the yellow light and the warning


def warn_until(today=None):
    """The last due date that shows yellow today."""
    return add_working_days(today or clock.today(), WARN_DAYS)


@dataclass
class ProblemScan:
    warned: int = 0
    escalated: int = 0

    def as_dict(self) -> dict:
        return {"problems_warned": self.warned, "problems_escalated": self.escalated}


def _stamp(problem_id, field: str, action: str, send) -> bool:
    with transaction.atomic():
        now = clock.now()
        if not Problem.objects.filter(pk=problem_id, **{f"{field}__isnull": True}).update(**{field: now}):
            return False
        problem = Problem.objects.select_related("category", "department").get(pk=problem_id)
        record(None, action, problem, after={"due_date": problem.due_date.isoformat()})
        send(problem)
    return True


def scan_problem_deadlines(today=None) -> ProblemScan:
    today = today or clock.today()
    scan = ProblemScan()
    clocked = Problem.objects.filter(status__in=CLOCKED_STATES)
    overdue = clocked.filter(due_date__lt=today, escalated_at__isnull=True).values_list("pk", flat=True)
    for problem_id in overdue.iterator(chunk_size=500):
        scan.escalated += _stamp(problem_id, "escalated_at", "problems.escalate", notices.escalated)
    near = clocked.filter(
        due_date__gte=today, due_date__lte=warn_until(today), warned_at__isnull=True
    ).values_list("pk", flat=True)
    for problem_id in near.iterator(chunk_size=500):
        scan.warned += _stamp(problem_id, "warned_at", "problems.warn", notices.due_soon)
    return scan
