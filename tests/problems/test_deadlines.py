"""Yellow and red lights, the warning and the escalation (督办): each sent once per deadline, audited; and a
provisional deadline counted again when its year is confirmed."""

import datetime

import time_machine

from sciencecity.audit.models import AuditEvent
from sciencecity.notifications.models import Notification
from sciencecity.problems import selectors
from sciencecity.problems.models import Problem
from sciencecity.problems.services.deadlines import scan_problem_deadlines, warn_until

from .conftest import report

MONDAY = datetime.datetime(2026, 11, 2, 9, 0, tzinfo=datetime.UTC)


def test_warning_then_escalation_each_once(zone):
    with time_machine.travel(MONDAY, tick=False):
        problem = report(zone)  # due five working days later
        assert scan_problem_deadlines().as_dict() == {"problems_warned": 0, "problems_escalated": 0}
    due = problem.due_date
    with time_machine.travel(datetime.datetime.combine(due, datetime.time(9)), tick=False):
        assert selectors.light_counts(Problem.objects.all())["yellow"] == 1
        assert scan_problem_deadlines().warned == 1
        assert scan_problem_deadlines().warned == 0  # a second run sends nothing
    assert Notification.objects.filter(kind="problem_due_soon", recipient=zone.env_reviewer).count() == 1
    after = datetime.datetime.combine(due + datetime.timedelta(days=3), datetime.time(9))
    with time_machine.travel(after, tick=False):
        assert [p.pk for p in selectors.light_filter(Problem.objects.all(), "red")] == [problem.pk]
        assert scan_problem_deadlines().escalated == 1
        assert scan_problem_deadlines().escalated == 0
    assert Notification.objects.filter(kind="problem_escalated", recipient=zone.leader).count() == 1
    assert Notification.objects.filter(kind="problem_escalated", recipient=zone.env_head).count() == 1
    assert AuditEvent.objects.filter(action="problems.escalate", target_id=str(problem.pk)).count() == 1
    problem.refresh_from_db()
    assert problem.escalated_at is not None


def test_closed_problems_show_no_light(zone):
    problem = report(zone)
    problem.status = Problem.Status.CLOSED
    assert problem.light(problem.due_date + datetime.timedelta(days=30), warn_until()) == ""


def test_a_provisional_deadline_is_counted_again_when_its_year_is_confirmed(zone):
    from sciencecity.problems.provisional import recount_problem
    from sciencecity.workdays.recount import Outcome
    from tests.conftest import confirm_years

    late = datetime.datetime(2027, 9, 28, 9, 0, tzinfo=datetime.UTC)  # across the National Day holiday
    with time_machine.travel(late, tick=False):
        problem = report(zone)
    assert problem.due_date_provisional is True
    confirm_years([2027])
    assert recount_problem(problem.pk) in (Outcome.MOVED, Outcome.FIRMED)
    problem.refresh_from_db()
    assert problem.due_date_provisional is False
