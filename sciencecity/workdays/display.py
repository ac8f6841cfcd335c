"""How a stored deadline reads, wherever people read it (pages, notifications, exports)."""

import datetime

from django.utils.translation import gettext


def deadline_text(day: datetime.date | None, provisional: bool = False) -> str:
    """The ISO date, marked (暂定) when it was counted over a year whose official schedule is not published;
    "—" when there is no deadline."""
    if day is None:
        return "—"
    if provisional:
        return gettext("%(date)s(暂定)") % {"date": day.isoformat()}
    return day.isoformat()
