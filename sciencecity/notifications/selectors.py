"""Reads of a person's inbox that the page, the API and the workbench share: unread counts (in all, per kind)
and the newest few of each kind, each a fixed number of queries whatever the number of notifications."""

import datetime
from dataclasses import dataclass, field

from django.db.models import Count, F, Max, Window
from django.db.models.functions import RowNumber

from .kinds import kind_label
from .models import Notification

NOTIFICATIONS_SHOWN_PER_KIND = 3


@dataclass
class NotificationGroup:
    """A person's unread notifications of one kind: how many, the time of the newest, the newest few."""

    kind: str
    unread: int
    latest_at: datetime.datetime
    latest: list = field(default_factory=list)

    @property
    def label(self) -> str:
        return kind_label(self.kind)


def unread_count(user) -> int:
    """The user's unread notifications: one indexed COUNT."""
    return Notification.objects.for_user(user).unread().count()


def unread_by_kind(user) -> list[NotificationGroup]:
    """The unread notifications of `user` counted per kind, the kind with the newest first: one GROUP BY that
    reads only `notifications_kind_idx` (recipient, kind, read_at, created_at), whatever the number of rows."""
    rows = (
        Notification.objects.for_user(user)
        .unread()
        .order_by()
        .values("kind")
        .annotate(unread=Count("*"), latest_at=Max("created_at"))
    )
    groups = [NotificationGroup(row["kind"], row["unread"], row["latest_at"]) for row in rows]
    groups.sort(key=lambda group: (group.latest_at, group.kind), reverse=True)
    return groups


def latest_unread_per_kind(user, per_kind: int = NOTIFICATIONS_SHOWN_PER_KIND) -> list[Notification]:
    """The newest `per_kind` unread notifications of each kind of `user`, newest first: one query (a row number
    per kind, over notifications_kind_idx). Their subjects are fetched by `subjects.link_all`."""
    ranked = (
        Notification.objects.for_user(user)
        .unread()
        .annotate(
            rank=Window(
                RowNumber(), partition_by=[F("kind")], order_by=[F("created_at").desc(), F("id").desc()]
            )
        )
        .filter(rank__lte=per_kind)
        .values("pk")
    )
    # The ranking reads the index alone; only the rows kept are read whole.
    return list(Notification.objects.filter(pk__in=ranked).order_by("-created_at", "-id"))


def with_latest(user, groups: list[NotificationGroup], per_kind: int = NOTIFICATIONS_SHOWN_PER_KIND) -> list:
    """Fill each group's `latest` with its newest `per_kind` notifications (one query when there are groups);
    returns those notifications, newest first."""
    if not groups:
        return []
    by_kind = {group.kind: group for group in groups}
    rows = latest_unread_per_kind(user, per_kind)
    for notification in rows:
        group = by_kind.get(notification.kind)  # None for a kind whose first arrived in between
        if group is not None:
            group.latest.append(notification)
    return rows


def unread_notification_groups(user, per_kind: int = NOTIFICATIONS_SHOWN_PER_KIND) -> list[NotificationGroup]:
    """`unread_by_kind` with each group's newest `per_kind` notifications (`latest`): two queries."""
    groups = unread_by_kind(user)
    with_latest(user, groups, per_kind)
    return groups
