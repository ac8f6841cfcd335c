"""The names of audited actions, contributed by the apps that record them: the audit app reads its events for
every app without importing any (an app registers a namer in its `AppConfig.ready`)."""

from collections.abc import Callable

Namer = Callable[[str], str | None]

_namers: list[Namer] = []


def register(namer: Namer) -> Namer:
    """Add `namer`: it returns an action's name in the current language, or None for an action not its own."""
    if namer not in _namers:
        _namers.append(namer)
    return namer


def action_display(action: str) -> str:
    """The action's name by the first namer that knows it; its code when none does."""
    for namer in _namers:
        name = namer(action)
        if name:
            return name
    return action
