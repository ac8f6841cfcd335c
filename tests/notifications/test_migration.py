"""The move of approvals' notifications into the generic table (notifications 0002, approvals 0008): every row
copied with its id, texts, kind, dedupe key, dates and read state; its subject the task, else the application,
else none. Runs on SQLite and, in `make test`, on PostgreSQL, where the id sequence must also move past the
copied ids."""

import datetime

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from sciencecity.approvals.models import Application, ReviewTask
from sciencecity.notifications import services
from sciencecity.notifications.models import Notification
from tests.approvals.conftest import START_MINIMAL, accepted

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [
    ("approvals", "0007_notification_kind_and_event_times"),
    ("notifications", None),
]
COPIED = [
    "id",
    "recipient_id",
    "kind",
    "title",
    "body",
    "title_en",
    "body_en",
    "dedupe_key",
    "created_at",
    "read_at",
]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state([target for target in targets if target[1] is not None]).apps


def latest():
    return MigrationExecutor(connection).loader.graph.leaf_nodes()


def test_the_old_notifications_are_copied_whole(world):
    application = accepted(world, "start-construction", START_MINIMAL)
    task = ReviewTask.objects.filter(application=application).order_by("pk").first()
    sent_before = Notification.objects.count()  # sent by the steps above: copied back, then forward again
    assert sent_before
    try:
        old_apps = migrate(BEFORE)
        Old = old_apps.get_model("approvals", "Notification")
        assert Old.objects.count() == sent_before  # the way back keeps them too
        moment = datetime.datetime(2026, 5, 4, 9, 30, tzinfo=datetime.UTC)
        rows = [
            Old(
                recipient_id=world.applicant.pk,
                kind="task_decided",
                title="审批决定",
                body="已通过",
                title_en="Decided",
                body_en="Approved",
                application_id=application.pk,
                task_id=task.pk,
                dedupe_key="decided-1",
                created_at=moment,
                read_at=moment + datetime.timedelta(hours=1),
            ),
            Old(
                recipient_id=world.clerk.pk,
                kind="application_submitted",
                title="新办件",
                application_id=application.pk,
                created_at=moment,
            ),
            Old(recipient_id=world.clerk.pk, kind="legacy", title="无对象的通知", created_at=moment),
        ]
        Old.objects.bulk_create(rows)
        expected = {row["id"]: row for row in Old.objects.values(*COPIED, "application_id", "task_id")}
    finally:
        migrate(latest())

    assert Notification.objects.count() == len(expected) == sent_before + 3
    application_type = ContentType.objects.get_for_model(Application)
    task_type = ContentType.objects.get_for_model(ReviewTask)
    for note in Notification.objects.all():
        old = expected[note.pk]
        assert {name: getattr(note, name) for name in COPIED} == {name: old[name] for name in COPIED}
        if old["task_id"]:
            assert (note.about_type_id, note.about_id) == (task_type.pk, old["task_id"])
        elif old["application_id"]:
            assert (note.about_type_id, note.about_id) == (application_type.pk, old["application_id"])
        else:
            assert note.about_type_id is None and note.about_id is None

    decided = Notification.objects.get(dedupe_key="decided-1")
    assert decided.about == task and decided.read_at == moment + datetime.timedelta(hours=1)
    # New notifications take ids after the copied ones (PostgreSQL's sequence was moved past them).
    (new,) = services.notify([world.applicant], "test", lambda: ("新通知", ""), about=application)
    assert new.pk > max(expected)
