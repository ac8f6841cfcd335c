"""Migration 0010: the follow-ups of poor ratings (`RatingFollowUp`) become problems of the `service-rating`
category — open ones dispatched to the same department with the same deadline, closed ones closed with what was
done — and the way back makes the follow-ups again."""

import datetime

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from sciencecity.approvals.services import ratings
from sciencecity.problems.models import Problem, ProblemEvent
from sciencecity.problems.services import lifecycle
from tests.approvals.conftest import START_MINIMAL, accepted, approve_all

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("approvals", "0009_number_sequences_moved")]
RATED_AT = datetime.datetime(2026, 3, 2, 2, 0, tzinfo=datetime.UTC)
CLOSED_AT = datetime.datetime(2026, 3, 5, 8, 0, tzinfo=datetime.UTC)


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def latest():
    return MigrationExecutor(connection).loader.graph.leaf_nodes()


def rated(world, key, score):
    application = accepted(world, "start-construction", START_MINIMAL, key=key)
    approve_all(world, application)
    return ratings.rate_application(world.applicant, application, score, "太慢了")


def test_follow_ups_become_problems_and_come_back(world):
    # Ratings of 3: no problem of their own, so that the old rows below are the only follow-ups.
    open_rating, closed_rating = rated(world, "a", 3), rated(world, "b", 3)
    head = world.head("housing")
    housing = head.department
    try:
        old_apps = migrate(BEFORE)
        FollowUp = old_apps.get_model("approvals", "RatingFollowUp")
        Rating = old_apps.get_model("approvals", "Rating")
        Rating.objects.filter(pk__in=[open_rating.pk, closed_rating.pk]).update(rated_at=RATED_AT)
        FollowUp.objects.create(
            rating_id=open_rating.pk, department_id=housing.pk, due_date=datetime.date(2026, 3, 9)
        )
        FollowUp.objects.create(
            rating_id=closed_rating.pk,
            department_id=housing.pk,
            due_date=datetime.date(2026, 3, 9),
            status="closed",
            resolution="已约谈经办人",
            closed_by_id=head.pk,
            closed_at=CLOSED_AT,
        )
    finally:
        migrate(latest())

    waiting = Problem.objects.get(rating_id=open_rating.pk)
    assert (waiting.status, waiting.department_id, waiting.due_date) == (
        Problem.Status.DISPATCHED,
        housing.pk,
        datetime.date(2026, 3, 9),
    )
    assert (waiting.source, waiting.category.code, waiting.reporter) == (
        "service_rating",
        "service-rating",
        world.applicant,
    )
    assert waiting.enterprise_id == open_rating.application.enterprise_id
    assert open_rating.application.number in waiting.title
    assert list(waiting.events.order_by("pk").values_list("action", flat=True)) == ["report", "route"]
    done = Problem.objects.get(rating_id=closed_rating.pk)
    assert (done.status, done.closed_at, done.resolution, done.closed_on_time) == (
        Problem.Status.CLOSED,
        CLOSED_AT,
        "已约谈经办人",
        True,
    )
    assert list(ProblemEvent.objects.filter(problem=done).order_by("pk").values_list("action", "actor")) == [
        ("report", world.applicant.pk),
        ("route", None),
        ("accept", head.pk),
        ("rectify", head.pk),
        ("pass", head.pk),
    ]
    assert {waiting.number, done.number} == {"WT20260000001", "WT20260000002"}
    # The migrated problem is a problem like any other: the department takes it on from here.
    lifecycle.accept_problem(head, waiting)

    try:
        old_apps = migrate(BEFORE)
        FollowUp = old_apps.get_model("approvals", "RatingFollowUp")
        back = {row.rating_id: row for row in FollowUp.objects.all()}
        assert back[open_rating.pk].status == "open"
        assert (back[closed_rating.pk].status, back[closed_rating.pk].closed_by_id) == ("closed", head.pk)
        assert not Problem.objects.filter(rating_id__isnull=False).exists()  # its table is as it was
    finally:
        migrate(latest())
