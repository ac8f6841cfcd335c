"""Problems' deadlines counted in a year whose official holiday schedule was not yet published are
provisional; when the year is confirmed, `workdays.recount` counts them again from their stored start and
number of working days (ARCHITECTURE.md rule 4)."""

from django.db import transaction

from sciencecity.audit.services import record
from sciencecity.workdays.calendar import deadline_after
from sciencecity.workdays.recount import Outcome, ProvisionalDeadlines

from .models import CLOCKED_STATES, Problem


def _open_provisional():
    return Problem.objects.filter(
        due_date_provisional=True, status__in=CLOCKED_STATES, clock_started_on__isnull=False
    )


@transaction.atomic
def recount_problem(pk) -> Outcome:
    problem = _open_provisional().select_for_update().filter(pk=pk).first()
    if problem is None:
        return Outcome.SKIPPED
    old = (problem.due_date, problem.due_date_provisional)
    new = tuple(deadline_after(problem.clock_started_on, problem.clock_days))
    if new == old:
        return Outcome.STILL_PROVISIONAL
    problem.due_date, problem.due_date_provisional = new
    problem.save(update_fields=["due_date", "due_date_provisional"])
    record(
        None,
        "problems.recount_due_date",
        problem,
        before={"due_date": old[0].isoformat(), "due_date_provisional": old[1]},
        after={"due_date": new[0].isoformat(), "due_date_provisional": new[1]},
    )
    return Outcome.MOVED if new[0] != old[0] else Outcome.FIRMED


KIND = ProvisionalDeadlines(
    name="problems.problem",
    open_keys=lambda: _open_provisional().order_by("pk").values_list("pk", flat=True),
    recount=recount_problem,
    years=lambda: {day.year for day in _open_provisional().dates("due_date", "year")},
)
