"""In-app notifications. Written in the same transaction as the event they announce, so a rolled-back action
notifies nobody; `dedupe_key` makes repeated background runs harmless (ARCHITECTURE.md rule 7)."""

from django.db import IntegrityError, transaction

from sciencecity.workdays import clock

from ..models import Notification


def notify(
    recipients, kind: str, title: str, body: str = "", *, application=None, task=None, dedupe_key: str = ""
):
    """Send one notification to each distinct recipient (users; None entries are skipped).

    `title` and `body` are stored as rendered text in the language active when they were sent; pass them
    through gettext. With `dedupe_key`, a recipient who already has that key gets nothing new.
    """
    sent = []
    for recipient in {user for user in recipients if user is not None}:
        if dedupe_key and Notification.objects.filter(recipient=recipient, dedupe_key=dedupe_key).exists():
            continue
        try:
            with transaction.atomic():
                sent.append(
                    Notification.objects.create(
                        recipient=recipient,
                        kind=kind,
                        title=str(title)[:200],
                        body=str(body),
                        application=application,
                        task=task,
                        dedupe_key=dedupe_key,
                    )
                )
        except IntegrityError:
            if not dedupe_key:
                raise
            # A concurrent run sent the same deduplicated notification first: nothing to do.
    return sent


def mark_read(user, notifications) -> int:
    """Mark the given notifications of `user` as read; others' notifications are ignored."""
    return (
        Notification.objects.for_user(user)
        .filter(pk__in=[n.pk for n in notifications], read_at__isnull=True)
        .update(read_at=clock.now())
    )
