"""Concurrency on PostgreSQL, with real parallel connections: each contender runs in its own thread (and so
its own database connection), all start together at a barrier, and exactly one wins while the other gets a
clear error (or, for a repeated idempotency key, the very same result).

The services lock the application row first (`SELECT ... FOR UPDATE`), so the second contender waits for the
first to commit, re-reads the row, and finds the state changed.
"""

import threading

import pytest
from django.db import connection

from sciencecity.approvals import transitions
from sciencecity.approvals.models import Application, ReviewTask
from sciencecity.approvals.services import applications, delivery, intake, review
from sciencecity.audit.models import AuditEvent
from tests.approvals.conftest import (
    START_MINIMAL,
    accepted,
    approve_all,
    draft,
    load_demo_world,
    submitted,
    task_of,
    upload_needed,
)

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres]

EPP = "engineering-planning-permit"


def race(*contenders):
    """Run each callable in its own thread and connection, started together; return (results, errors) in
    the contenders' order (None where it raised / returned)."""
    barrier = threading.Barrier(len(contenders))
    results = [None] * len(contenders)
    errors = [None] * len(contenders)

    def run(index, contender):
        try:
            barrier.wait(timeout=10)
            results[index] = contender()
        except Exception as error:  # noqa: BLE001 - the race's loser is the point of the test
            errors[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(contenders)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads), "a contender is stuck"
    return results, errors


def one_winner(results, errors, error_type=transitions.IllegalTransition):
    assert sum(result is not None for result in results) == 1, (results, errors)
    losers = [error for error in errors if error is not None]
    assert len(losers) == 1 and isinstance(losers[0], error_type), errors
    assert str(losers[0])  # a message a person can read


@pytest.fixture
def world(on_postgres, approval_roles, frozen_day, isolated_media, fast_passwords):
    return load_demo_world()


def test_two_reviewers_claim_the_same_task(world):
    application = accepted(world, "start-construction", START_MINIMAL)
    task = task_of(application, EPP)
    first, second = world.reviewer("planning", 1), world.reviewer("planning", 2)
    results, errors = race(lambda: review.claim_task(first, task), lambda: review.claim_task(second, task))
    one_winner(results, errors)
    task.refresh_from_db()
    winner = next(result for result in results if result is not None)
    assert (task.status, task.assignee_id) == (ReviewTask.Status.IN_REVIEW, winner.assignee_id)
    assert AuditEvent.objects.filter(action="approvals.claim_task").count() == 1


def test_two_decisions_on_the_same_task(world):
    application = accepted(world, "start-construction", START_MINIMAL)
    task = task_of(application, EPP)
    reviewer = world.reviewer("planning")
    review.claim_task(reviewer, task)
    results, errors = race(
        lambda: review.approve_task(reviewer, task, "同意"),
        lambda: review.reject_task(reviewer, task, "不同意"),
    )
    one_winner(results, errors)
    task.refresh_from_db()
    assert task.status in (ReviewTask.Status.APPROVED, ReviewTask.Status.REJECTED)
    assert (
        AuditEvent.objects.filter(action__in=["approvals.approve_task", "approvals.reject_task"]).count() == 1
    )
    # The consequences of the one decision only: a certificate exactly when approved.
    assert application.certificates.count() == (1 if task.status == ReviewTask.Status.APPROVED else 0)


def test_a_resubmission_racing_a_withdrawal(world):
    application = submitted(world, "start-construction", START_MINIMAL)
    intake.request_correction(world.clerk, application, [{"material": "", "problem": "表单有误"}])
    results, errors = race(
        lambda: applications.submit_application(world.applicant, application, idempotency_key="again"),
        lambda: applications.withdraw_application(
            world.applicant, application, "不办了", expected_status=Application.Status.CORRECTION
        ),
    )
    one_winner(results, errors)
    application.refresh_from_db()
    resubmitted, withdrawn = results
    if resubmitted is not None:
        assert (application.status, application.submission_count) == (Application.Status.SUBMITTED, 2)
    else:
        assert withdrawn is not None
        assert (application.status, application.submission_count) == (Application.Status.WITHDRAWN, 1)


def test_two_submits_with_the_same_key_make_one_submission(world):
    application = draft(world, "start-construction", START_MINIMAL)
    upload_needed(world.applicant, application)

    def submit():
        return applications.submit_application(world.applicant, application, idempotency_key="click")

    results, errors = race(submit, submit)
    assert errors == [None, None]
    assert results[0].pk == results[1].pk and results[0].number == results[1].number
    application.refresh_from_db()
    assert (application.status, application.submission_count) == (Application.Status.SUBMITTED, 1)
    assert AuditEvent.objects.filter(action="approvals.submit_application").count() == 1


def test_two_submits_with_different_keys(world):
    application = draft(world, "start-construction", START_MINIMAL)
    upload_needed(world.applicant, application)
    results, errors = race(
        lambda: applications.submit_application(world.applicant, application, idempotency_key="a"),
        lambda: applications.submit_application(world.applicant, application, idempotency_key="b"),
    )
    one_winner(results, errors)
    assert Application.objects.exclude(number__startswith="CG").count() == 1


def test_two_starts_with_the_same_key_make_one_draft(world):
    bundle = world.bundle("start-construction")

    def start():
        return applications.start_application(world.applicant, world.project, bundle, idempotency_key="s")

    results, errors = race(start, start)
    assert errors == [None, None]
    assert results[0].pk == results[1].pk
    assert Application.objects.count() == 1


def test_two_deliveries(world):
    application = accepted(world, "start-construction", START_MINIMAL)
    approve_all(world, application)
    results, errors = race(
        lambda: delivery.deliver_application(world.clerk, application, method="electronic"),
        lambda: delivery.deliver_application(world.clerk, application, method="window", recipient="张三"),
    )
    one_winner(results, errors)
    application.refresh_from_db()
    assert application.status == Application.Status.DELIVERED
