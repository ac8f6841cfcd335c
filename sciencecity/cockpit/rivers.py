"""The cockpit's panel of the rivers' water quality: the sections at or better than their target in their latest
month, and each river's run of years better than its target — computed from the readings now (two statements,
`problems.rivers.status.zone`), so the panel is "current", not of the board's period."""

from sciencecity.problems.rivers import status


def panel(user) -> status.Zone | None:
    """The zone's rivers and sections, or None when the zone has no monitoring section yet."""
    zone = status.zone()
    return zone if zone.total else None
