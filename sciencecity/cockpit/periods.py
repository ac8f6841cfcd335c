"""The periods the cockpit reads: a month, a quarter or a year of the zone's calendar.

A period is written as `2026-11` (month), `2026-Q4` (quarter) or `2026` (year) in addresses and in the API.
Its bounds are the zone's local midnights at the start and the end, so that a figure's filter is a range on
a timestamp that the indexes serve (a `__date` lookup would wrap the column in a conversion no index has).
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from sciencecity.workdays import clock

MONTH, QUARTER, YEAR = "month", "quarter", "year"
KINDS = {MONTH: gettext_lazy("月度"), QUARTER: gettext_lazy("季度"), YEAR: gettext_lazy("年度")}
PATTERN = re.compile(r"^(?P<year>\d{4})(?:-(?:(?P<month>\d{2})|Q(?P<quarter>[1-4])))?$")
FIRST_YEAR, LAST_YEAR = 2000, 2100


class PeriodError(ValueError):
    """An address or API parameter that names no period the cockpit can read."""


@dataclass(frozen=True, order=True)
class Period:
    kind: str
    start: datetime.date  # the first day
    end: datetime.date  # the day after the last

    # --- naming ---

    @property
    def key(self) -> str:
        if self.kind == YEAR:
            return f"{self.start.year}"
        if self.kind == QUARTER:
            return f"{self.start.year}-Q{(self.start.month - 1) // 3 + 1}"
        return f"{self.start:%Y-%m}"

    @property
    def label(self) -> str:
        if self.kind == YEAR:
            return _("%(year)d年") % {"year": self.start.year}
        if self.kind == QUARTER:
            return _("%(year)d年第%(quarter)d季度") % {
                "year": self.start.year,
                "quarter": (self.start.month - 1) // 3 + 1,
            }
        return _("%(year)d年%(month)d月") % {"year": self.start.year, "month": self.start.month}

    def __str__(self) -> str:
        return self.label

    # --- arithmetic ---

    @property
    def last_day(self) -> datetime.date:
        return self.end - datetime.timedelta(days=1)

    @property
    def year(self) -> int:
        return self.start.year

    def bounds(self) -> tuple[datetime.datetime, datetime.datetime]:
        """The first moment of the period and of the next one, in the zone's time."""
        zone = timezone.get_current_timezone()
        return (
            datetime.datetime.combine(self.start, datetime.time.min, tzinfo=zone),
            datetime.datetime.combine(self.end, datetime.time.min, tzinfo=zone),
        )

    def same_last_year(self) -> Period:
        return period_of(self.kind, self.start.replace(year=self.start.year - 1))

    def previous(self) -> Period:
        return period_of(self.kind, self.start - datetime.timedelta(days=1))

    def following(self) -> Period:
        return period_of(self.kind, self.end)

    def contains(self, day: datetime.date) -> bool:
        return self.start <= day < self.end

    def is_past(self, today: datetime.date | None = None) -> bool:
        return self.end <= (today or clock.today())

    def is_future(self, today: datetime.date | None = None) -> bool:
        return self.start > (today or clock.today())

    def until(self, today: datetime.date) -> datetime.date:
        """The day the period's "as of today" figures stop at: today while it runs, its last day after."""
        return min(today, self.last_day)


def period_of(kind: str, day: datetime.date) -> Period:
    """The period of `kind` that holds `day`."""
    if kind == YEAR:
        return Period(YEAR, datetime.date(day.year, 1, 1), datetime.date(day.year + 1, 1, 1))
    if kind == QUARTER:
        first_month = (day.month - 1) // 3 * 3 + 1
        start = datetime.date(day.year, first_month, 1)
    elif kind == MONTH:
        first_month = day.month
        start = datetime.date(day.year, day.month, 1)
    else:
        raise PeriodError(_("未知的周期类型:%(kind)s") % {"kind": kind})
    months = 3 if kind == QUARTER else 1
    end_month = first_month + months
    end = datetime.date(day.year + (end_month - 1) // 12, (end_month - 1) % 12 + 1, 1)
    return Period(kind, start, end)


def parse_period(text: str | None, *, today: datetime.date | None = None) -> Period:
    """The period an address names (`2026-11`, `2026-Q4`, `2026`); this month when `text` is empty. A period
    that has not begun yet is refused: it has no figures."""
    today = today or clock.today()
    if not text:
        return period_of(MONTH, today)
    match = PATTERN.match(text.strip())
    if not match:
        raise PeriodError(_("周期应写作 2026-11(月)、2026-Q4(季度)或 2026(年)。"))
    year = int(match["year"])
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise PeriodError(
            _("年份应在 %(first)d 至 %(last)d 之间。") % {"first": FIRST_YEAR, "last": LAST_YEAR}
        )
    if match["month"]:
        month = int(match["month"])
        if not 1 <= month <= 12:
            raise PeriodError(_("月份应在 01 至 12 之间。"))
        period = period_of(MONTH, datetime.date(year, month, 1))
    elif match["quarter"]:
        period = period_of(QUARTER, datetime.date(year, (int(match["quarter"]) - 1) * 3 + 1, 1))
    else:
        period = period_of(YEAR, datetime.date(year, 1, 1))
    if period.is_future(today):
        raise PeriodError(_("%(period)s 尚未开始,没有数据。") % {"period": period.label})
    return period


def current_periods(today: datetime.date | None = None) -> list[Period]:
    """This month, quarter and year."""
    today = today or clock.today()
    return [period_of(kind, today) for kind in KINDS]


def choices(today: datetime.date | None = None, *, years: int = 3) -> dict[str, list[Period]]:
    """The periods the selector offers, newest first: the months, quarters and years of the last `years`
    years up to today."""
    today = today or clock.today()
    offered: dict[str, list[Period]] = {}
    for kind in KINDS:
        period = period_of(kind, today)
        listed = []
        while period.start.year > today.year - years:
            listed.append(period)
            period = period.previous()
        offered[kind] = listed
    return offered
