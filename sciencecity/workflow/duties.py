"""Duties of the morning scan that apps above the approvals contribute (the scan itself lives in approvals,
which may not import them): each registers, in its `AppConfig.ready`, a callable that takes no argument,
is idempotent (ARCHITECTURE.md rule 7) and returns a summary for the scan's result."""

from collections.abc import Callable

_duties: dict[str, Callable[[], object]] = {}


def morning_duty(name: str):
    """Decorator: run `duty()` in each morning scan, its summary under `name`."""

    def register(duty):
        _duties[name] = duty
        return duty

    return register


def run_morning_duties() -> dict:
    return {name: duty() for name, duty in _duties.items()}
