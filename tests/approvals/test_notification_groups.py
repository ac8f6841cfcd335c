"""Notifications grouped by kind and a kind marked read: the unread counts per kind (one GROUP BY on
notifications_kind_idx), the newest few of each kind (one query), `mark_kind_read` and `mark_all_read` (one
UPDATE each, scoped to the reader); and notifications dated by the platform clock, so that steps played on a
past day (the demo) send notifications of that day."""

import datetime
import zoneinfo

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import translation

from sciencecity.approvals.models import NotificationKind
from sciencecity.approvals.services import intake
from sciencecity.notifications import selectors
from sciencecity.notifications import services as notifications
from sciencecity.notifications.kinds import kind_label as notification_kind_label
from sciencecity.notifications.models import Notification
from sciencecity.workdays import clock
from tests.approvals.conftest import START_MINIMAL, submitted
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
BASE = datetime.datetime(2026, 11, 20, 9, 0, tzinfo=SHANGHAI)


def notes(recipient, kind, count, *, start=0, read=False):
    return Notification.objects.bulk_create(
        Notification(
            recipient=recipient,
            kind=kind,
            title=f"{kind}-{n}",
            created_at=BASE + datetime.timedelta(minutes=start + n),
            read_at=BASE + datetime.timedelta(days=1) if read else None,
        )
        for n in range(count)
    )


@pytest.fixture
def people():
    reader, other = UserFactory(username="reader"), UserFactory(username="other")
    notes(reader, "task_overdue", 5, start=10)
    notes(reader, "task_overdue", 2, start=0, read=True)
    notes(reader, "task_due_soon", 3, start=100)
    notes(reader, "delivered", 1, start=5)
    notes(other, "task_overdue", 4, start=200)
    return reader, other


# --- grouping ----------------------------------------------------------------------------------------------


def test_unread_counts_per_kind_are_the_readers_in_one_query(people, django_assert_num_queries):
    reader, other = people
    with django_assert_num_queries(1):
        groups = selectors.unread_by_kind(reader)
    assert [(group.kind, group.unread) for group in groups] == [
        ("task_due_soon", 3),  # the kind with the newest first
        ("task_overdue", 5),
        ("delivered", 1),
    ]
    assert groups[0].latest_at == BASE + datetime.timedelta(minutes=102)
    assert [group.label for group in groups] == ["审批临期预警", "审批超期", "证照已送达"]
    assert [(group.kind, group.unread) for group in selectors.unread_by_kind(other)] == [("task_overdue", 4)]
    assert selectors.unread_by_kind(AnonymousUser()) == []


def test_the_newest_few_of_each_kind_in_one_query(people, django_assert_num_queries):
    reader, _other = people
    groups = selectors.unread_by_kind(reader)
    with django_assert_num_queries(1):
        shown = selectors.with_latest(reader, groups, per_kind=2)
        titles = {group.kind: [note.title for note in group.latest] for group in groups}
        assert all(note.about is None for note in shown)  # no subject here: nothing fetched one by one
    assert titles == {
        "task_due_soon": ["task_due_soon-2", "task_due_soon-1"],
        "task_overdue": ["task_overdue-4", "task_overdue-3"],
        "delivered": ["delivered-0"],
    }
    assert [note.created_at for note in shown] == sorted((note.created_at for note in shown), reverse=True)


def test_the_counts_read_the_kind_index(people):
    reader, _other = people
    plan = Notification.objects.for_user(reader).unread().order_by().values("kind").explain()
    assert "notifications_kind_idx" in plan or connection.vendor != "sqlite"
    rows = selectors.unread_by_kind(reader)
    assert sum(group.unread for group in rows) == Notification.objects.for_user(reader).unread().count()


def test_every_kind_has_a_name_and_an_unknown_kind_is_other():
    assert len(set(NotificationKind.labels)) == len(NotificationKind.values)
    assert notification_kind_label("correction_requested") == "补正告知"
    assert notification_kind_label("no-such-kind") == "其他通知"
    with translation.override("en"):
        assert notification_kind_label("no-such-kind") != "no-such-kind"


# --- marking read ------------------------------------------------------------------------------------------


def test_mark_kind_read_touches_only_that_kind_of_that_reader(people, django_assert_num_queries):
    reader, other = people
    with django_assert_num_queries(1):
        assert notifications.mark_kind_read(reader, "task_overdue") == 5
    unread = Notification.objects.filter(read_at__isnull=True)
    assert set(unread.filter(recipient=reader).values_list("kind", flat=True)) == {
        "delivered",
        "task_due_soon",
    }
    assert unread.filter(recipient=other, kind="task_overdue").count() == 4
    # Those read before keep the time they were read; marking again changes nothing.
    assert (
        Notification.objects.filter(recipient=reader, read_at=BASE + datetime.timedelta(days=1)).count() == 2
    )
    assert notifications.mark_kind_read(reader, "task_overdue") == 0


def test_mark_kind_read_refuses_an_unknown_kind(people):
    reader, other = people
    with pytest.raises(ValidationError) as refused:
        notifications.mark_kind_read(reader, "no-such-kind")
    assert refused.value.error_dict["kind"][0].code == "invalid_choice"
    with pytest.raises(ValidationError):
        notifications.mark_kind_read(reader, "")
    # A kind the platform does not name but the reader has (an older or newer kind) can be marked.
    notes(reader, "legacy", 2)
    assert notifications.mark_kind_read(reader, "legacy") == 2
    assert notifications.mark_kind_read(AnonymousUser(), "task_overdue") == 0
    assert Notification.objects.filter(recipient=other, read_at__isnull=True).count() == 4


def test_mark_all_read_is_one_update_of_the_readers_own(people, django_assert_num_queries):
    reader, other = people
    with django_assert_num_queries(1):
        assert notifications.mark_all_read(reader) == 9
    assert not Notification.objects.filter(recipient=reader, read_at__isnull=True).exists()
    assert Notification.objects.filter(recipient=other, read_at__isnull=True).count() == 4


# --- dated by the platform clock ---------------------------------------------------------------------------


def test_notifications_carry_the_platform_clocks_moment():
    reader = UserFactory(username="reader")
    moment = datetime.datetime(2026, 3, 2, 10, 15, tzinfo=SHANGHAI)
    with clock.frozen_at(moment):
        (one,) = notifications.notify([reader], "task_overdue", lambda: ("一", ""))
        (deduplicated,) = notifications.notify([reader], "task_overdue", lambda: ("二", ""), dedupe_key="k")
        (built,) = notifications.send(notifications.build([reader], "task_overdue", lambda: ("三", "")))
    for note in (one, deduplicated, built):
        assert Notification.objects.get(pk=note.pk).created_at == moment


def test_a_correction_notice_and_its_notification_carry_the_day_it_was_issued(world):
    application = submitted(world, "start-construction", START_MINIMAL)
    moment = clock.now() + datetime.timedelta(hours=2)
    with clock.frozen_at(moment):
        notice = intake.request_correction(world.clerk, application, [{"material": "", "problem": "缺页"}])
    assert notice.issued_at == moment
    sent = Notification.objects.get(application=application, kind=NotificationKind.CORRECTION_REQUESTED)
    assert sent.created_at == moment
