"""Duties that apps above the approvals contribute to the approvals' recurring tasks (which may not import
them): the morning scan (`morning_duty`) and the overview's refresh every `OVERVIEW_REFRESH_MINUTES`
(`refresh_duty`). Each registers, in its `AppConfig.ready`, a callable that takes no argument, is idempotent
(ARCHITECTURE.md rule 7) and returns a summary for the task's result."""

from collections.abc import Callable

_duties: dict[str, Callable[[], object]] = {}
_refresh_duties: dict[str, Callable[[], object]] = {}


def morning_duty(name: str):
    """Decorator: run `duty()` in each morning scan, its summary under `name`."""

    def register(duty):
        _duties[name] = duty
        return duty

    return register


def run_morning_duties() -> dict:
    return {name: duty() for name, duty in _duties.items()}


def refresh_duty(name: str):
    """Decorator: run `duty()` in each refresh of the overview's counts, its summary under `name`."""

    def register(duty):
        _refresh_duties[name] = duty
        return duty

    return register


def run_refresh_duties() -> dict:
    return {name: duty() for name, duty in _refresh_duties.items()}
