"""The records behind one figure (or one bar of a chart): what the drill-down page, its Excel export and the
API list, resolved once from the address (`?period=…&by=…&value=…`)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.utils.translation import gettext as _

from sciencecity.workdays import clock

from . import charts, figures
from .listings import LISTINGS, Listing
from .periods import Period, PeriodError, parse_period


class UnknownSelection(LookupError):
    """No figure of that name, or no chart groups that figure by that dimension."""


@dataclass
class Selection:
    figure: figures.Figure
    period: Period
    listing: Listing
    queryset: object
    dimension: str = ""
    value: str = ""
    value_label: str = ""

    @property
    def title(self) -> str:
        title = str(self.figure.label)
        if self.dimension:
            title = f"{title} · {self.value_label or self.value or '—'}"
        return title

    def measure(self):
        """The list's own figure, counted now: its length, or the sum or average of the figure's column."""
        return self.figure.compute_over(self.queryset)


def dimensions_of(figure_key: str) -> set[str]:
    return {chart.dimension for chart in charts.CHARTS if figure_key in chart.series}


def select(
    key: str, period_text: str | None, by: str = "", value: str = "", today: datetime.date | None = None
):
    """The selection an address names; raises `UnknownSelection` or `PeriodError` (400) for a bad one."""
    today = today or clock.today()
    value = (value or "")[:200]
    figure = figures.figure(key)
    if figure is None:
        raise UnknownSelection(_("没有这个指标:%(key)s") % {"key": key})
    period = parse_period(period_text, today=today)
    queryset = figure.queryset(period, today)
    label = ""
    if by:
        if by not in dimensions_of(figure.key):
            raise UnknownSelection(_("该指标不能按“%(by)s”细分。") % {"by": by})
        queryset = charts.filtered(queryset, by, value)
        typed = _typed(by, value)
        if typed not in (None, ""):
            label = charts.DIMENSIONS[by].labels([typed]).get(typed, "")
    return Selection(figure, period, LISTINGS[figure.kind], queryset, by, value, str(label))


def _typed(by: str, value: str):
    """The value as the column holds it, or None for one it cannot hold (no label to look up)."""
    if "\x00" in value:
        return None
    if charts.DIMENSIONS[by].field.endswith("_id"):
        try:
            number = int(value)
        except (TypeError, ValueError):
            return None
        return number if 0 < number < 2**63 else None
    return value


__all__ = ["PeriodError", "Selection", "UnknownSelection", "select"]
