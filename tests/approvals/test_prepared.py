"""The statements compiled once per process (`sciencecity.workflow.prepared`): they must read and write exactly
what the ORM would, follow a user's scope when it changes, and keep the ORM's guard on locking outside a
transaction."""

import datetime

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import connection, transaction
from django.db.models import Exists, OuterRef

from sciencecity.approvals.models import ApplicationItem, ReviewTask
from sciencecity.approvals.services import review
from sciencecity.workflow.errors import NotFound
from sciencecity.workflow.prepared import PreparedQuery, update_fields
from tests.approvals.conftest import START_ALL, accepted, task_of

pytestmark = pytest.mark.django_db

T = ReviewTask.Status


def _tasks_with_prerequisites(department_id, pk):
    waiting_on = ReviewTask.depends_on.through.objects.filter(from_reviewtask_id=OuterRef("pk")).values("pk")
    return (
        ReviewTask.objects.filter(department_id=department_id, pk=pk)
        .select_related("item", "application__applicant")
        .annotate(has_prerequisites=Exists(waiting_on))
    )


def test_a_prepared_query_reads_what_the_orm_reads_for_each_new_value(world):
    application = accepted(world, "start-construction", START_ALL)
    query = PreparedQuery(lambda department_id, pk: _tasks_with_prerequisites(department_id, pk), "pk")
    tasks = list(application.tasks.order_by("pk"))
    department_of = {task.pk: task.department_id for task in tasks}
    for task in tasks:
        key = department_of[task.pk]
        (fetched,) = query.fetch(key, key, pk=task.pk)
        (expected,) = _tasks_with_prerequisites(key, task.pk)
        assert fetched.pk == task.pk
        fields = [field.attname for field in ReviewTask._meta.concrete_fields]
        assert [getattr(fetched, name) for name in fields] == [getattr(expected, name) for name in fields]
        assert fetched.item.code == expected.item.code  # select_related, without another query
        assert fetched.application.applicant.username == world.applicant.username
        assert fetched.has_prerequisites == expected.has_prerequisites
    # Another department's key compiles another statement: the task is not in that scope.
    other = next(pk for pk in department_of if department_of[pk] != department_of[tasks[0].pk])
    assert query.fetch(department_of[tasks[0].pk], department_of[tasks[0].pk], pk=other) == []


def test_a_compiled_lock_outside_a_transaction_is_refused_as_the_orm_refuses_it(world, monkeypatch):
    application = accepted(world, "start-construction", START_ALL)
    task = application.tasks.first()
    query = PreparedQuery(lambda pk: ReviewTask.objects.select_for_update().filter(pk=pk), "pk")
    assert query.fetch(pk=task.pk)[0].pk == task.pk  # compiled inside the test's transaction
    # Outside any transaction (autocommit, as a view without atomic would run) the compiled statement refuses.
    monkeypatch.setattr(connection, "get_autocommit", lambda: True)
    with pytest.raises(transaction.TransactionManagementError):
        query.fetch(pk=task.pk)


def test_a_user_whose_department_changes_loses_the_old_scope_at_once(world):
    application = accepted(world, "start-construction", START_ALL)
    task = task_of(application, "design-scheme-review")
    reviewer = world.reviewer_of(task)
    with transaction.atomic():
        review.lock_task(reviewer, task)  # compiled for the reviewer's department
    elsewhere = next(d for d in world.departments.values() if d.pk != task.department_id)
    reviewer.department = elsewhere
    reviewer.save(update_fields=["department"])
    with transaction.atomic(), pytest.raises(NotFound):
        review.lock_task(reviewer, task)
    with transaction.atomic(), pytest.raises(NotFound):
        review.lock_task(AnonymousUser(), task)  # a scope that sees nothing sends no statement


def test_update_fields_writes_the_named_fields_and_stamps_auto_now(world, time_machine):
    application = accepted(world, "start-construction", START_ALL)
    task = task_of(application, "design-scheme-review")
    stamped = task.updated_at
    time_machine.shift(datetime.timedelta(minutes=5))
    task.status = T.IN_REVIEW
    task.decision_reason = "not written: not named"
    update_fields(task, ["status", "updated_at"])
    task.refresh_from_db()
    assert task.status == T.IN_REVIEW
    assert task.decision_reason == ""
    assert task.updated_at > stamped
    item = task.application_item
    update_fields(ApplicationItem(pk=item.pk, outcome=ApplicationItem.Outcome.APPROVED), ["outcome"])
    item.refresh_from_db()
    assert item.outcome == ApplicationItem.Outcome.APPROVED
    assert item.item_id == task.item_id  # the other columns untouched
