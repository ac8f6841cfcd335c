"""The names of notification kinds, contributed by the apps that send them: the inbox names every kind without
importing the app that sends it (an app registers its `TextChoices` of kinds in its `AppConfig.ready`)."""

from django.db import models
from django.utils.translation import gettext

_registered: list[type[models.TextChoices]] = []


def register(choices: type[models.TextChoices]) -> type[models.TextChoices]:
    """Add an app's kinds; the kind filter lists them in the order the apps register, each in its own order."""
    if choices not in _registered:
        _registered.append(choices)
    return choices


def choices() -> list[tuple[str, str]]:
    """Every registered kind as (value, name in the active language)."""
    return [(value, str(label)) for kinds in _registered for value, label in kinds.choices]


def values() -> set[str]:
    return {value for kinds in _registered for value in kinds.values}


def kind_label(kind: str) -> str:
    """The human name of a notification kind; a kind no app names (any more, or yet) is "other", never its
    code."""
    for kinds in _registered:
        if kind in kinds.values:
            return str(kinds(kind).label)
    return gettext("其他通知")
