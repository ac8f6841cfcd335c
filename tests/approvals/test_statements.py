"""Statement counts of the review steps, pinned as upper bounds so that a change that adds a query per task,
per dependent or per recipient fails here (speed itself is measured by `make bench`, never asserted).

Inside a test the services' transactions are savepoints of the test's transaction, so the counts include a
SAVEPOINT and a RELEASE; the jobs enqueued after commit are not sent. `python -m bench.statements` gives the
counts of a whole application outside a test.
"""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from sciencecity.approvals.models import ReviewTask
from sciencecity.approvals.services import review
from sciencecity.audit.models import AuditEvent
from sciencecity.notifications.models import Notification
from tests.approvals.conftest import START_ALL, accepted, approve, task_of

pytestmark = pytest.mark.django_db

T = ReviewTask.Status
EPP = "engineering-planning-permit"


def count(function, *args):
    with CaptureQueriesContext(connection) as captured:
        result = function(*args)
    return result, [query["sql"] for query in captured.captured_queries]


def warm(user):
    """The user as a request holds it: roles and permissions read once (they are per-object caches)."""
    user.role_codes()
    user.get_all_permissions()
    return user


def test_a_claim_takes_a_fixed_few_statements(world):
    application = accepted(world, "start-construction", START_ALL)
    task = task_of(application, "design-scheme-review")
    reviewer = warm(world.reviewer_of(task))
    claimed, statements = count(review.claim_task, reviewer, task)
    assert claimed.status == T.IN_REVIEW
    # Savepoint; the task locked through the scope, its application and item read with it; its UPDATE; the
    # audit event; release.
    assert len(statements) <= 5, "\n".join(statements)


def test_a_decision_that_starts_several_tasks_takes_a_fixed_number_of_statements(world):
    application = accepted(world, "start-construction", START_ALL)
    approve(world, application, "design-scheme-review")
    task = task_of(application, EPP)
    reviewer = warm(world.reviewer_of(task))
    review.claim_task(reviewer, task)
    waiting = set(application.tasks.filter(status=T.WAITING).values_list("pk", flat=True))
    for other in application.tasks.filter(pk__in=waiting).select_related("item", "department"):
        world.reviewer_of(other)  # someone in each department to notify
    events, notifications = AuditEvent.objects.count(), Notification.objects.count()

    decided, statements = count(review.approve_task, reviewer, task, "符合要求")

    released = waiting - set(application.tasks.filter(status=T.WAITING).values_list("pk", flat=True))
    assert decided.status == T.APPROVED
    assert len(released) >= 3  # the planning permit unblocks several items at once
    # Every release is audited and notified as before, one row each.
    assert AuditEvent.objects.count() - events == 2 + len(released)  # decision, certificate, releases
    assert Notification.objects.filter(kind="task_released", task__in=released).count() >= len(released)
    assert Notification.objects.count() > notifications
    # Savepoint; application and task locked; the task's UPDATE, its item's outcome; the certificate (number,
    # insert, and its PDF's rendering queued in the same transaction, so that no crash can lose it); the
    # application's open tasks locked, each saying whether it waits on this one and is still blocked (which
    # also tells that the application cannot conclude yet); the released tasks' departments' staff, the
    # calendar; one UPDATE for all the releases; one audit INSERT (decision, certificate, releases) and one
    # notification INSERT (the applicant's, the departments'); release. The same however many tasks start.
    assert len(statements) <= 15, "\n".join(statements)
