"""The zone's construction timeline (建设时间轴) as a page for everyone signed in: a year at a time (or every
year), one kind of record or all, newest first; built by `timeline.build` from the records in the reader's
scope. The cockpit shows the same entries of its period in a panel (`panel`)."""

import datetime
from dataclasses import dataclass

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.views.decorators.http import require_safe

from sciencecity.workdays import clock

from . import timeline

PANEL_ROWS = 8
A_YEAR = datetime.timedelta(days=365)


def _year(text, first: int, last: int):
    try:
        year = int(text)
    except (TypeError, ValueError):
        return None
    return year if first <= year <= last else None


@require_safe
@login_required
def timeline_page(request):
    today = clock.today()
    user = request.user
    first = timeline.first_year(user, today)
    year = _year(request.GET.get("year"), first, today.year)
    kind = request.GET.get("kind", "")
    kind = kind if kind in timeline.KINDS else ""
    since = datetime.date(year, 1, 1) if year else datetime.date(first, 1, 1)
    until = datetime.date(year + 1, 1, 1) if year else today + datetime.timedelta(days=1)
    entries = timeline.build(user, since, until, kinds=[kind] if kind else None)
    years: dict[int, list] = {}
    for entry in entries:
        years.setdefault(entry.day.year, []).append(entry)
    return render(
        request,
        "cockpit/timeline.html",
        {
            "years": list(years.items()),
            "year": year,
            "kind": kind,
            "kinds": [(key, str(label)) for key, label in timeline.KINDS.items()],
            "year_options": list(range(today.year, first - 1, -1)),
        },
    )


@dataclass(frozen=True)
class Panel:
    entries: list
    earlier: bool  # the period has none: these are the year's before it


def panel(user, period) -> Panel:
    """The cockpit's panel: the period's entries, newest first, the first few; when the period has none (a
    quiet month), those of the year before its end, so that the panel never opens on an empty box."""
    entries = timeline.build(user, period.start, period.end)[:PANEL_ROWS]
    if entries:
        return Panel(entries, earlier=False)
    return Panel(timeline.build(user, period.end - A_YEAR, period.start)[:PANEL_ROWS], earlier=True)
