"""Sending notifications and marking them read: the one write path of the inbox.

Written in the same transaction as the event they announce, so a rolled-back action notifies nobody, and dated
by the platform clock like the event (`created_at` defaults to `clock.now()`: a step played on a past day, as
the demo does, sends a notification of that day); `dedupe_key` makes repeated background runs harmless
(ARCHITECTURE.md rule 7). A reader marks one, one kind or all of theirs read.

A notification is read in the recipient's language, not in the language of whoever triggered the event: the
sender passes a `compose` callable returning (title, body), and it is rendered once in Simplified Chinese
(`title`, `body`) and once in English (`title_en`, `body_en`). Everything language-dependent (gettext, catalog
names through `display_name`, choice labels) must be evaluated inside `compose` so that it follows the
language switched on around each call.
"""

from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import translation
from django.utils.translation import gettext as _

from sciencecity.workdays import clock
from sciencecity.workflow.prepared import insert

from . import kinds
from .models import Notification

Compose = Callable[[], tuple[str, str]]

ENGLISH = "en"


def texts(compose: Compose) -> dict:
    """The stored texts of a notification: `compose()` in the default language (Simplified Chinese) and in
    English."""
    with translation.override(settings.LANGUAGE_CODE):
        title, body = compose()
    with translation.override(ENGLISH):
        title_en, body_en = compose()
    return {
        "title": str(title)[:200],
        "body": str(body),
        "title_en": str(title_en)[:200],
        "body_en": str(body_en),
    }


def build(recipients, kind: str, compose: Compose, *, about=None) -> list[Notification]:
    """The notifications `notify` would send without `dedupe_key`, not saved yet: an action that announces
    several things (the tasks it starts) builds them all and saves them with `send` in one INSERT."""
    fields = {"kind": kind, **texts(compose)}
    return [
        Notification(recipient=person, about=about, **fields)
        for person in {user for user in recipients if user is not None}
    ]


def send(notifications: list[Notification]) -> list[Notification]:
    """Save notifications made by `build` in one INSERT (inside the action's transaction, like `notify`)."""
    return insert(notifications)


def notify(
    recipients, kind: str, compose: Compose, *, about=None, dedupe_key: str = ""
) -> list[Notification]:
    """Send one notification about `about` (any saved model instance, or None) to each distinct recipient
    (users; None entries are skipped).

    `compose` returns (title, body), passed through gettext; it is called once per language (see the module
    docstring). With `dedupe_key`, a recipient who already has that key gets nothing new.

    Without `dedupe_key` the notifications are written in one INSERT: any error there is the action's error
    and rolls the action back, so no savepoint is needed. With it, each is written on its own savepoint, so
    that a concurrent run that sent it first is not an error.
    """
    if not dedupe_key:
        return send(build(recipients, kind, compose, about=about))
    people = {user for user in recipients if user is not None}
    fields = {"kind": kind, **texts(compose), "about": about, "dedupe_key": dedupe_key}
    sent = []
    for recipient in people:
        if Notification.objects.filter(recipient=recipient, dedupe_key=dedupe_key).exists():
            continue
        try:
            with transaction.atomic():
                sent.append(Notification.objects.create(recipient=recipient, **fields))
        except IntegrityError:
            # A concurrent run sent the same deduplicated notification first: nothing to do.
            pass
    return sent


# Marking read changes only the reader's own inbox, never a workflow row: one UPDATE scoped to the reader,
# atomic by itself (nothing to lock, nothing another person could see changed, so no audit event), and
# repeating it changes nothing.


def mark_read(user, notifications) -> int:
    """Mark the given notifications of `user` as read; others' notifications are ignored."""
    return (
        Notification.objects.for_user(user)
        .filter(pk__in=[n.pk for n in notifications], read_at__isnull=True)
        .update(read_at=clock.now())
    )


def mark_kind_read(user, kind: str) -> int:
    """Mark every unread notification of `kind` of `user` as read, in one UPDATE (on notifications_kind_idx);
    returns how many were unread. A kind no app registers and `user` has none of is refused."""
    kind = (kind or "").strip()
    unread = Notification.objects.for_user(user).unread().filter(kind=kind)
    if kind not in kinds.values() and not (
        kind and Notification.objects.for_user(user).filter(kind=kind).exists()
    ):
        raise ValidationError(
            {
                "kind": ValidationError(
                    _("没有“%(kind)s”这种通知。"), code="invalid_choice", params={"kind": kind}
                )
            }
        )
    return unread.update(read_at=clock.now())


def mark_all_read(user) -> int:
    """Mark every unread notification of `user` as read, in one UPDATE; returns how many were unread."""
    return Notification.objects.for_user(user).unread().update(read_at=clock.now())
