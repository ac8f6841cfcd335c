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
from sciencecity.workflow.prepared import PreparedQuery, insert, update_fields, update_rows
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


def test_insert_writes_rows_as_bulk_create_and_runs_the_models_receivers(world):
    from django_tasks_db.models import DBTaskResult, get_date_max

    from sciencecity.audit.models import AuditEvent
    from sciencecity.audit.services import event

    application = accepted(world, "start-construction", START_ALL)
    events = [event(world.clerk, f"test.insert_{n}", application, after={"n": n}) for n in range(3)]
    insert(events)
    assert [e.pk for e in events] == sorted(e.pk for e in events)  # keys given in the order of the rows
    stored = list(AuditEvent.objects.filter(pk__in=[e.pk for e in events]).order_by("pk"))
    assert [(e.action, e.after, e.actor_id) for e in stored] == [
        (f"test.insert_{n}", {"n": n}, world.clerk.pk) for n in range(3)
    ]
    assert all(e.created_at is not None for e in stored)  # the field's default
    # django_tasks_db dates a queue row without a run_after in a pre_save receiver: it still runs.
    (row,) = insert(
        [DBTaskResult(args_kwargs={"args": [], "kwargs": {}}, task_path="x.y", backend_name="default")]
    )
    row.refresh_from_db()
    assert row.run_after == get_date_max()
    assert row.enqueued_at is not None  # auto_now_add


def test_update_rows_writes_shared_and_differing_values_to_each_row(world):
    application = accepted(world, "start-construction", START_ALL)
    tasks = list(application.tasks.order_by("pk")[:3])
    for n, task in enumerate(tasks):
        task.decision_reason = "same for all"
        task.extension_days = n + 1  # a different value per row: a CASE on the key
    untouched = application.tasks.exclude(pk__in=[t.pk for t in tasks]).values_list("pk", "extension_days")
    before = dict(untouched)
    update_rows(tasks, ["decision_reason", "extension_days"])
    stored = {
        t.pk: (t.decision_reason, t.extension_days)
        for t in application.tasks.filter(pk__in=[t.pk for t in tasks])
    }
    assert stored == {task.pk: ("same for all", n + 1) for n, task in enumerate(tasks)}
    assert dict(untouched) == before
