"""Working-day arithmetic on the Chinese official calendar.

A day's status comes from these sources, in this order:

1. a `HolidayOverride` row for that date (administrators' correction or addition);
2. the `chinese_calendar` package, for the years its release covers (holidays and 调休 make-up working days);
3. for a year administrators have confirmed (`CalendarYear`), Monday to Friday are working days;
4. for any other year, a *provisional* calendar: Saturdays and Sundays rest, and so do the statutory
   holidays of the national rules (《全国年节及纪念日放假办法》: 元旦, 春节, 清明, 劳动节, 端午, 中秋, 国庆, with
   the weekday in lieu (补假) when one falls on a weekend), whose lunar dates come from the `holidays`
   package; no make-up working day is guessed.

The State Council publishes next year's schedule in November and a new `chinese_calendar` release follows
later, so without step 4 the window would stop in December whenever an acceptance's deadlines reach January.
A deadline counted over a provisional day is itself provisional (暂定): the services store that flag beside
the date, pages and the API show it, and when administrators confirm the year (or an upgraded package starts
to cover it) `sciencecity.workdays.recompute` counts every open provisional deadline again. The platform never
passes a guess off as fact: what is provisional says so.

Only a year the `holidays` package cannot compute either (outside 1950–2100) is unknown: every function here
raises `UnknownCalendarYear` as soon as it needs a day of such a year.

Deadline arithmetic counts forward from a start day that itself never counts. Days inside a pause
(correction, expert review) do not count either.
"""

import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from typing import NamedTuple

import chinese_calendar
import holidays
from django.conf import settings
from django.db import models
from django.db.models import Value
from django.utils.translation import gettext

from .models import CalendarYear, HolidayOverride

ONE_DAY = datetime.timedelta(days=1)


class UnknownCalendarYear(Exception):
    """The official working-day schedule of `year` is known neither to the package nor to administrators."""

    def __init__(self, year: int):
        self.year = year
        super().__init__(
            gettext("%(year)s年超出了系统日历能够计算的范围(1950–2100年),无法计算工作日。") % {"year": year}
        )


@dataclass(frozen=True)
class Pause:
    """Days `start` to `end`, both included, that do not count; `end` None means the pause is still open."""

    start: datetime.date
    end: datetime.date | None = None

    def __post_init__(self):
        if self.end is not None and self.end < self.start:
            raise ValueError(f"pause ends ({self.end}) before it starts ({self.start})")

    def __contains__(self, day: datetime.date) -> bool:
        return self.start <= day and (self.end is None or day <= self.end)

    @classmethod
    def coerce(cls, value) -> "Pause":
        """A `Pause` from a `Pause` or a `(start, end)` pair."""
        if isinstance(value, cls):
            return value
        start, end = value
        return cls(start, end)


def _pauses(pauses) -> tuple[Pause, ...]:
    return tuple(Pause.coerce(pause) for pause in pauses)


@cache
def package_covers(year: int) -> bool:
    """Whether the installed `chinese_calendar` knows `year`; found by asking it, so an upgrade needs no edit."""
    try:
        chinese_calendar.is_workday(datetime.date(year, 1, 1))
    except (NotImplementedError, ValueError):  # ValueError: not a year a date can have
        return False
    return True


@cache
def provisional_rest_days(year: int) -> frozenset[datetime.date]:
    """The weekdays of `year` that the national rules make rest days (statutory holidays and the weekdays in
    lieu of those that fall on a weekend), from the `holidays` package; raises UnknownCalendarYear for a year
    it cannot compute."""
    try:
        china = holidays.China(years=year, categories=(holidays.PUBLIC,))
        days = frozenset(day for day in china if day.year == year)
    except (NotImplementedError, ValueError, KeyError):
        days = frozenset()
    if not days:
        raise UnknownCalendarYear(year)
    return days


def is_year_known(year: int) -> bool:
    """Whether `year`'s official schedule is known (the package's or confirmed by administrators); the
    deadlines of any other year are provisional."""
    return package_covers(year) or CalendarYear.objects.filter(year=year).exists()


class WorkingCalendar:
    """The calendar as seen by one action: the overrides of each span of days read once, in one query, and
    each year's status once.

    Make one per action (a service call, its transaction) and pass it to `add_working_days` for every
    deadline that action computes: an acceptance that starts eight tasks, or a decision that releases five,
    then reads the override table once instead of once or twice per deadline, and with it whether the
    years of the span that the package does not cover are confirmed (one statement for both).

    It is deliberately not kept between actions or shared across processes: an override an administrator
    saves is seen by the next action in every process, with no cache to invalidate (ARCHITECTURE.md rule 4:
    never guess). A per-process cache was weighed for issue 18 and does not pay. Overrides change (a year's
    schedule is entered, a known year corrected, a confirmation withdrawn), and nothing of the table is
    safe to keep without asking: not past days either, which a correction may still touch. Knowing that a
    kept copy is still right needs one read per action, of a generation number that every write bumps in
    its transaction, and that read costs the same one statement as the override read it would replace (a
    range scan of an index that returns a few rows, nothing for most spans), unless it rides on a statement
    the action sends anyway (the lock of the application or task: a next step for the owners of those
    statements). A timer or a notification (LISTEN/NOTIFY, a signal) would let an action in another process
    count a deadline over the old schedule after the change committed, which is what rule 4 forbids. What
    never changes is kept already: the package's schedules and the statutory holidays (`package_covers`,
    `provisional_rest_days`, cached per process).
    """

    def __init__(self, first: datetime.date | None = None, last: datetime.date | None = None):
        self._overrides: dict[datetime.date, bool] = {}
        self._known_years: dict[int, bool] = {}
        self.loaded_from: datetime.date | None = None
        self.loaded_until: datetime.date | None = None
        if first is not None:
            self.ensure(first, last if last is not None else first)

    def _read(self, first: datetime.date, last: datetime.date) -> None:
        """The overrides of the days from `first` to `last`; and, in the same statement, which of the span's
        years that the package does not cover and that this calendar has not asked about are confirmed."""
        rows = HolidayOverride.objects.filter(date__gte=first, date__lte=last).order_by()
        years = [
            year
            for year in range(first.year, last.year + 1)
            if not package_covers(year) and year not in self._known_years
        ]
        if not years:
            self._overrides.update(rows.values_list("date", "is_working_day"))
            return
        overrides = rows.annotate(confirmed=Value(None, output_field=models.IntegerField())).values_list(
            "date", "is_working_day", "confirmed"
        )
        confirmed = (
            CalendarYear.objects.filter(year__in=years)
            .order_by()
            .annotate(
                day=Value(None, output_field=models.DateField()),
                working=Value(None, output_field=models.BooleanField()),
            )
            .values_list("day", "working", "year")
        )
        found = set()
        for day, is_working_day, year in overrides.union(confirmed, all=True):
            if year is None:
                self._overrides[day] = is_working_day
            else:
                found.add(year)
        for year in years:
            self._known_years[year] = year in found

    def ensure(self, first: datetime.date, last: datetime.date) -> None:
        """Read the overrides of the days from `first` to `last` included that are not read yet (one query
        per side that grows, none when the span is read already)."""
        if self.loaded_from is None:
            self._read(first, last)
            self.loaded_from, self.loaded_until = first, last
            return
        if first < self.loaded_from:
            self._read(first, self.loaded_from - ONE_DAY)
            self.loaded_from = first
        if last > self.loaded_until:
            self._read(self.loaded_until + ONE_DAY, last)
            self.loaded_until = last

    def load_until(self, last: datetime.date) -> None:
        """Read the overrides of the days after those already read, up to `last` included, in one query."""
        self.ensure(self.loaded_from if self.loaded_from is not None else last, last)

    def prepare(self, start: datetime.date, n: int) -> None:
        """Read at once what counting up to `n` working days after `start` will most likely need, so that
        the deadlines of one action that count fewer days read nothing more."""
        self.ensure(start + ONE_DAY, start + _window(n))

    def is_year_known(self, year: int) -> bool:
        """Whether `year` is official (package or confirmed); False means its days are provisional."""
        # The table is asked only about years the package does not cover, once per year and calendar.
        if package_covers(year):
            return True
        if year not in self._known_years:
            self._known_years[year] = CalendarYear.objects.filter(year=year).exists()
        return self._known_years[year]

    def is_provisional(self, start: datetime.date, end: datetime.date) -> bool:
        """Whether counting the days after `start` up to `end` included meets a provisional day, that is
        whether a deadline counted from `start` that falls on `end` is provisional."""
        return any(not self.is_year_known(year) for year in range((start + ONE_DAY).year, end.year + 1))

    def is_working_day(self, day: datetime.date) -> bool:
        assert self.loaded_from is not None and self.loaded_from <= day <= self.loaded_until, (
            "read the overrides of a day before asking about it"
        )
        known = self.is_year_known(day.year)
        rest_days = provisional_rest_days(day.year) if not known else frozenset()  # raises past 2100
        if day in self._overrides:
            return self._overrides[day]
        if package_covers(day.year):
            return chinese_calendar.is_workday(day)
        return day.weekday() < 5 and day not in rest_days


# The name the leaders' overview imports.
_Calendar = WorkingCalendar


def _window(n: int, paused_days: int = 0) -> datetime.timedelta:
    """Calendar days that almost always hold `n` working days: 7 per 5, a long holiday, the paused days (at
    most about two years)."""
    return datetime.timedelta(days=min(n * 7 // 5 + 30 + paused_days, 800))


def is_working_day(day: datetime.date) -> bool:
    """Whether `day` is a working day; raises `UnknownCalendarYear` for a year nobody has entered."""
    return WorkingCalendar(day, day).is_working_day(day)


def add_working_days(
    start: datetime.date, n: int, pauses: Iterable = (), *, calendar: WorkingCalendar | None = None
) -> datetime.date:
    """The day that is the `n`-th working day after `start` (which never counts), skipping paused days.

    `pauses` holds `Pause` objects or `(first_day, last_day)` pairs, both days included. An open pause
    (end None) that the count reaches makes the result unknowable, so it raises ValueError. `calendar`, the
    action's `WorkingCalendar`, lets several deadlines of one action share what it has read.
    """
    if n < 0:
        raise ValueError("n must not be negative")
    if n == 0:
        return start
    pauses = _pauses(pauses)
    # One query for a window that almost always suffices: 7 calendar days per 5 working days, a long holiday,
    # and the paused days (at most about two years). Past the window, the next one is read, again in one query.
    paused_days = sum(
        ((pause.end - max(pause.start, start)).days + 1)
        for pause in pauses
        if pause.end is not None and pause.end > start
    )
    window = _window(n, paused_days)
    if calendar is None:
        calendar = WorkingCalendar()
    calendar.ensure(start + ONE_DAY, start + window)
    day, counted = start, 0
    while counted < n:
        day += ONE_DAY
        if day > calendar.loaded_until:
            calendar.load_until(day + window)
        if not calendar.is_working_day(day):
            continue
        open_pause = next((pause for pause in pauses if pause.end is None and day in pause), None)
        if open_pause is not None:
            raise ValueError(
                f"the pause from {open_pause.start} is still open; the deadline is not known yet"
            )
        if any(day in pause for pause in pauses):
            continue
        counted += 1
    return day


class Deadline(NamedTuple):
    """A deadline's day, and whether it was counted over a provisional day (暂定)."""

    day: datetime.date
    provisional: bool


def deadline_after(
    start: datetime.date, n: int, pauses: Iterable = (), *, calendar: WorkingCalendar | None = None
) -> Deadline:
    """`add_working_days`, with whether the day it gives is provisional: what a service stores."""
    calendar = calendar if calendar is not None else WorkingCalendar()
    day = add_working_days(start, n, pauses, calendar=calendar)
    return Deadline(day, calendar.is_provisional(start, day))


def working_days_between(a: datetime.date, b: datetime.date, pauses: Iterable = ()) -> int:
    """The number of working days d with a < d <= b outside the pauses; negative when b is before a."""
    if b < a:
        return -working_days_between(b, a, pauses)
    if a == b:
        return 0
    pauses = _pauses(pauses)
    calendar = WorkingCalendar(a + ONE_DAY, b)
    count = 0
    day = a
    while day < b:
        day += ONE_DAY
        if calendar.is_working_day(day) and not any(day in pause for pause in pauses):
            count += 1
    return count


def upcoming_unknown_year(today: datetime.date, warning_days: int | None = None) -> int | None:
    """The year administrators must be warned about: this year if unknown, or next year if it is unknown and
    begins within `warning_days` (default `settings.WORKDAYS_WARNING_DAYS`); else None."""
    if warning_days is None:
        warning_days = settings.WORKDAYS_WARNING_DAYS
    if not is_year_known(today.year):
        return today.year
    next_year = today.year + 1
    if (datetime.date(next_year, 1, 1) - today).days <= warning_days and not is_year_known(next_year):
        return next_year
    return None
