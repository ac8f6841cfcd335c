"""What a notification is about, contributed by the apps whose objects notifications name.

For each model a notification may be about, its app registers (in its `AppConfig.ready`) how the subjects are
fetched (`queryset`: what its resolver reads joined in, e.g. a task's application) and a batch link resolver
`(user, subjects) -> {pk: Link}`: the page of each subject that this reader, in their role, may open. The inbox
then links a page of notifications in a fixed number of queries: one per kind of subject present, plus what
each resolver reads once for the whole batch (never one query per notification).
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import NamedTuple

from django.contrib.contenttypes.prefetch import GenericPrefetch
from django.db import models
from django.db.models import prefetch_related_objects


class Link(NamedTuple):
    """Where a notification's reader opens its subject, and the words of the link."""

    url: str
    text: str


Resolver = Callable[[object, list], dict[int, Link]]


@dataclass(frozen=True)
class Subject:
    model: type[models.Model]
    queryset: models.QuerySet | None
    links: Resolver | None


_subjects: dict[type[models.Model], Subject] = {}


def register(model: type[models.Model], *, links: Resolver | None = None, queryset=None) -> None:
    """Declare `model` a subject of notifications: `queryset` fetches its rows for the inbox (default: all of
    them, nothing joined), `links` resolves a batch of them to the pages the reader may open."""
    _subjects[model] = Subject(model, queryset, links)


def registered(model: type[models.Model]) -> Subject | None:
    return _subjects.get(model)


def prefetch_subjects(notifications: Iterable) -> None:
    """Fetch the subjects of `notifications` (`about`): one query per kind of subject present, through the
    querysets the apps registered."""
    notifications = list(notifications)
    if not notifications:
        return
    querysets = [
        subject.queryset if subject.queryset is not None else subject.model._default_manager.all()
        for subject in _subjects.values()
    ]
    prefetch_related_objects(notifications, GenericPrefetch("about", querysets))


def link_all(user, notifications: Iterable) -> None:
    """Give each of `notifications` its `link` (a `Link`, None when its subject has no page for `user` or it
    has no subject), resolving each kind of subject in one batch."""
    notifications = list(notifications)
    if not user.is_authenticated:
        # Nobody signed in reads an inbox; the resolvers may assume a person with roles.
        for notification in notifications:
            notification.link = None
        return
    prefetch_subjects(notifications)
    by_model: dict[type[models.Model], list] = {}
    for notification in notifications:
        notification.link = None
        subject = notification.about
        if subject is not None:
            by_model.setdefault(type(subject), []).append(notification)
    for model, rows in by_model.items():
        registration = _subjects.get(model)
        if registration is None or registration.links is None:
            continue
        subjects = list({row.about.pk: row.about for row in rows}.values())
        pages = registration.links(user, subjects)
        for row in rows:
            row.link = pages.get(row.about.pk)
