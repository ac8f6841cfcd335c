"""Every row of both transition tables, allowed and refused, generated from the tables themselves.

1. The table alone (`transitions.check`): for every row and every state, the action is allowed exactly from
   its source state; a user without the row's permission is refused; a row without permission is the
   platform's alone.
2. Through the services: every row a person takes is taken by the service function that implements it. From
   its source state with the right permission it reaches its target state; from every state where that
   service has no row it is an IllegalTransition; without the permission it is PermissionDenied.
"""

import datetime
import itertools
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.core.exceptions import PermissionDenied

from sciencecity.approvals import transitions
from sciencecity.approvals.models import Application, ReviewTask
from sciencecity.approvals.services import applications, delivery, intake, review
from tests.approvals.conftest import (
    START_MINIMAL,
    accept_all_materials,
    accepted,
    approve_all,
    draft,
    submitted,
    task_of,
    upload_needed,
)

APP_STATES = list(Application.Status.values)
TASK_STATES = list(ReviewTask.Status.values)
GAP = "quality-safety-measures"
# One waste-disposal task: no prerequisites, and its item allows approval on pledge.
TASK_ANSWERS = {**START_MINIMAL, "site_works": ["waste"]}
TASK_ITEM = "construction-waste-disposal"
TASK_DEPARTMENT = "urban"


class FakeUser:
    is_authenticated = True

    def __init__(self, *permissions):
        self.permissions = set(permissions)

    def has_perm(self, permission):
        return permission in self.permissions


def row_id(row):
    return f"{row.source}-{row.action}"


# --- 1. the table alone --------------------------------------------------------------------------------


def table_cases(table, states):
    return [pytest.param(row, state, id=f"{row_id(row)}-from-{state}") for row in table for state in states]


@pytest.mark.parametrize(
    ("model", "row", "state"),
    [(Application, *case.values) for case in table_cases(transitions.APPLICATION_TRANSITIONS, APP_STATES)]
    + [(ReviewTask, *case.values) for case in table_cases(transitions.TASK_TRANSITIONS, TASK_STATES)],
)
def test_the_table_allows_a_row_from_its_source_state_only(model, row, state):
    obj = model(status=state)
    table = transitions.APPLICATION_TRANSITIONS if model is Application else transitions.TASK_TRANSITIONS
    allowed_here = next((r for r in table if r.source == state and r.action == row.action), None)
    if allowed_here is None:
        with pytest.raises(transitions.IllegalTransition) as excinfo:
            transitions.check(obj, row.action, FakeUser(row.permission))
        assert obj.get_status_display() in str(excinfo.value)
        return
    # The platform (None) may take any row; a person needs the row's permission, and no person may take the
    # platform's rows.
    assert transitions.check(obj, row.action, None) == allowed_here
    if allowed_here.permission is None:
        with pytest.raises(PermissionDenied):
            transitions.check(obj, row.action, FakeUser(*{r.permission for r in table if r.permission}))
    else:
        assert transitions.check(obj, row.action, FakeUser(allowed_here.permission)) == allowed_here
        with pytest.raises(PermissionDenied):
            transitions.check(obj, row.action, FakeUser())
    before, after = transitions.apply(obj, row.action, None)
    assert (before, after, obj.status) == (state, allowed_here.target, allowed_here.target)


def test_every_action_has_a_label():
    for row in (*transitions.APPLICATION_TRANSITIONS, *transitions.TASK_TRANSITIONS):
        assert transitions.action_label(row.action) != row.action


def test_allowed_actions_lists_the_rows_a_person_may_take():
    user = FakeUser("approvals.submit_application")
    assert transitions.allowed_actions(Application(status="draft"), user) == ["submit", "withdraw"]
    assert transitions.allowed_actions(ReviewTask(status="waiting"), user) == []


# --- 2. through the services ---------------------------------------------------------------------------------

_keys = itertools.count()


@dataclass(frozen=True)
class Service:
    actions: frozenset[str]  # the rows this service function takes
    actor: str  # who may: applicant, clerk, admin, reviewer, head
    stranger: str  # who sees the object but lacks the permission
    call: Callable


APPLICATION_SERVICES = {
    "submit": Service(
        frozenset({"submit", "resubmit"}),
        "applicant",
        "clerk",
        lambda w, obj, user: applications.submit_application(user, obj, idempotency_key=f"k{next(_keys)}"),
    ),
    "accept": Service(
        frozenset({"accept"}), "clerk", "applicant", lambda w, obj, user: intake.accept_application(user, obj)
    ),
    "accept_with_gaps": Service(
        frozenset({"accept_with_gaps"}),
        "clerk",
        "applicant",
        lambda w, obj, user: intake.accept_with_gaps(user, obj, {GAP: datetime.date(2026, 6, 15)}),
    ),
    "request_correction": Service(
        frozenset({"request_correction"}),
        "clerk",
        "applicant",
        lambda w, obj, user: intake.request_correction(user, obj, [{"material": "", "problem": "表单有误"}]),
    ),
    "refuse": Service(
        frozenset({"refuse"}),
        "clerk",
        "applicant",
        lambda w, obj, user: intake.refuse_application(user, obj, "不符"),
    ),
    "deliver": Service(
        frozenset({"deliver"}),
        "clerk",
        "applicant",
        lambda w, obj, user: delivery.deliver_application(user, obj, method="electronic"),
    ),
    "withdraw": Service(
        frozenset({"withdraw"}),
        "applicant",
        "clerk",
        lambda w, obj, user: applications.withdraw_application(user, obj, "撤回"),
    ),
    "cancel": Service(
        frozenset({"cancel"}),
        "admin",
        "clerk",
        lambda w, obj, user: applications.cancel_application(user, obj, "作废"),
    ),
}
APPLICATION_SERVICES["resubmit"] = APPLICATION_SERVICES["submit"]

TASK_SERVICES = {
    "claim": Service(
        frozenset({"claim"}), "reviewer", "clerk", lambda w, t, user: review.claim_task(user, t)
    ),
    "approve": Service(
        frozenset({"approve"}), "reviewer", "clerk", lambda w, t, user: review.approve_task(user, t)
    ),
    "approve_on_pledge": Service(
        frozenset({"approve_on_pledge"}),
        "reviewer",
        "clerk",
        lambda w, t, user: review.approve_task_on_pledge(user, t),
    ),
    "reject": Service(
        frozenset({"reject"}),
        "reviewer",
        "clerk",
        lambda w, t, user: review.reject_task(user, t, "不符合条件"),
    ),
    "request_supplement": Service(
        frozenset({"request_supplement"}),
        "reviewer",
        "clerk",
        lambda w, t, user: review.request_supplement(user, t, "请补充"),
    ),
    "answer_supplement": Service(
        frozenset({"answer_supplement"}),
        "applicant",
        "reviewer",
        lambda w, t, user: review.answer_supplement(user, t, "已补充"),
    ),
    "reassign": Service(
        frozenset({"reassign"}),
        "head",
        "reviewer",
        lambda w, t, user: review.reassign_task(user, t, w.reviewer(TASK_DEPARTMENT, 2)),
    ),
    "extend": Service(
        frozenset({"extend"}),
        "head",
        "reviewer",
        lambda w, t, user: review.extend_deadline(user, t, 2, "专家论证"),
    ),
}


def person(world, role):
    return {
        "applicant": world.applicant,
        "clerk": world.clerk,
        "admin": world.admin,
        "reviewer": world.reviewer(TASK_DEPARTMENT),
        "head": world.head(TASK_DEPARTMENT),
    }[role]


def application_in(world, state, *, gap=False):
    """An application brought to `state` through the services (the final states are reached the usual way
    too: refused, withdrawn, cancelled and delivered are each one call away from a state built here)."""
    A = Application.Status
    if state == A.DRAFT:
        application = draft(world, "start-construction", START_MINIMAL)
        upload_needed(world.applicant, application)
        return application
    if state == A.SUBMITTED:
        application = submitted(world, "start-construction", START_MINIMAL, skip={GAP} if gap else ())
        accept_all_materials(world, application)
        return application
    if state == A.CORRECTION:
        application = submitted(world, "start-construction", START_MINIMAL)
        intake.request_correction(world.clerk, application, [{"material": "", "problem": "表单有误"}])
        return application
    application = accepted(world, "start-construction", START_MINIMAL)
    if state == A.IN_REVIEW:
        return application
    approve_all(world, application)
    application.refresh_from_db()
    assert application.status == A.CONCLUDED
    return application


def force(model, obj, state):
    model.objects.filter(pk=obj.pk).update(status=state)


APP_ROWS = [row for row in transitions.APPLICATION_TRANSITIONS if row.permission is not None]
TASK_ROWS = [row for row in transitions.TASK_TRANSITIONS if row.permission is not None]


@pytest.mark.django_db
@pytest.mark.parametrize("row", APP_ROWS, ids=row_id)
def test_application_row_through_its_service(world, row):
    service = APPLICATION_SERVICES[row.action]
    application = application_in(world, row.source, gap=row.action == "accept_with_gaps")
    actor, stranger = person(world, service.actor), person(world, service.stranger)
    sources = {r.source for r in transitions.APPLICATION_TRANSITIONS if r.action in service.actions}

    for state in APP_STATES:
        if state in sources:
            continue
        force(Application, application, state)
        with pytest.raises(transitions.IllegalTransition):
            service.call(world, application, actor)
    force(Application, application, row.source)

    with pytest.raises(PermissionDenied):
        service.call(world, application, stranger)
    service.call(world, application, actor)
    application.refresh_from_db()
    assert application.status == row.target


def task_in(world, state):
    application = accepted(world, "start-construction", TASK_ANSWERS)
    task = task_of(application, TASK_ITEM)
    assert task.status == ReviewTask.Status.PENDING
    if state in (ReviewTask.Status.IN_REVIEW, ReviewTask.Status.SUPPLEMENT):
        review.claim_task(world.reviewer(TASK_DEPARTMENT), task)
    if state == ReviewTask.Status.SUPPLEMENT:
        review.request_supplement(world.reviewer(TASK_DEPARTMENT), task, "请补充")
    return task_of(application, TASK_ITEM)


@pytest.mark.django_db
@pytest.mark.parametrize("row", TASK_ROWS, ids=row_id)
def test_task_row_through_its_service(world, row):
    service = TASK_SERVICES[row.action]
    task = task_in(world, row.source)
    actor, stranger = person(world, service.actor), person(world, service.stranger)
    sources = {r.source for r in transitions.TASK_TRANSITIONS if r.action in service.actions}

    for state in TASK_STATES:
        if state in sources:
            continue
        force(ReviewTask, task, state)
        with pytest.raises(transitions.IllegalTransition):
            service.call(world, task, actor)
    force(ReviewTask, task, row.source)

    with pytest.raises(PermissionDenied):
        service.call(world, task, stranger)
    service.call(world, task, actor)
    task.refresh_from_db()
    assert task.status == row.target


@pytest.mark.django_db
def test_the_platform_rows_happen_on_their_own(world):
    """release, skip and conclude are taken by the platform during review; cancel (of tasks) on withdrawal."""
    application = accepted(world, "start-construction", START_MINIMAL)
    first = task_of(application, "engineering-planning-permit")
    assert first.status == ReviewTask.Status.PENDING  # released at acceptance
    review.claim_task(world.reviewer("planning"), first)
    review.reject_task(world.reviewer("planning"), first, "不符合规划")
    assert task_of(application, "construction-permit").status == ReviewTask.Status.NOT_STARTED  # skipped
    application.refresh_from_db()
    assert application.status == Application.Status.CONCLUDED  # concluded
    other = accepted(world, "start-construction", START_MINIMAL)
    applications.withdraw_application(world.applicant, other, "")
    assert set(other.tasks.values_list("status", flat=True)) == {ReviewTask.Status.CANCELLED}
