"""What the readings say about a section and a river, computed from the records on every read (never typed):

- **This month against the target**: the latest reading's class against the section's target (考核目标) —
  better by N classes, met, or missed by N. A latest reading older than `STALE_MONTHS` months before the
  current one is shown as out of date.
- **The annual class** of a year is the class of its **worst month** (the highest class number among its
  readings): a year is better than the target only if every month read was. A year is judged only once it is
  over and has readings in at least `MIN_MONTHS` of its months (one month may still be missing in January,
  when December's report is not yet in); the current year is shown "so far" and counted in no run.
- **The run** is the number of consecutive judged years, ending with the last year, whose annual class is
  better than the target; its margin is the smallest margin of those years ("better by one class for five
  years running"). A river's run is that of its assessed sections (考核断面; all its sections if none is
  assessed): the shortest run, and the smallest margin.
- **The trend** compares the mean class of the latest reading's twelve months with the twelve months before
  (at least `TREND_MIN_READINGS` readings in each): improving when it is lower (cleaner) by at least
  `TREND_STEP` class, worsening when higher by as much, stable otherwise.

The readings of a list of sections are read in one statement (their month and class only, the last
`YEARS_READ` years), whatever the number of sections.
"""

import datetime
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Count, Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from sciencecity.workdays import clock

from .models import MonitoringSection, River, WaterReading
from .standard import SHORT, class_label

YEARS_READ = 15
MIN_MONTHS = 11
STALE_MONTHS = 2
TREND_MONTHS = 12
TREND_MIN_READINGS = 6
TREND_STEP = 0.5

BETTER, MET, MISSED = "better", "met", "missed"
IMPROVING, STABLE, WORSENING = "improving", "stable", "worsening"
VERDICTS = {
    BETTER: gettext_lazy("优于目标"),
    MET: gettext_lazy("达标"),
    MISSED: gettext_lazy("未达标"),
}
TRENDS = {
    IMPROVING: gettext_lazy("好转"),
    STABLE: gettext_lazy("稳定"),
    WORSENING: gettext_lazy("变差"),
}


def month_index(day: datetime.date) -> int:
    return day.year * 12 + day.month - 1


def first_of_month(day: datetime.date) -> datetime.date:
    return day.replace(day=1)


def verdict_of(margin: int | None) -> str:
    if margin is None:
        return ""
    return BETTER if margin > 0 else MET if margin == 0 else MISSED


def margin_text(margin: int | None) -> str:
    """ "优于目标 1 个类别" / "达标" / "低于目标 2 个类别" in the active language; "" without a reading."""
    if margin is None:
        return ""
    if margin > 0:
        return _("优于目标 %(n)d 个类别") % {"n": margin}
    if margin == 0:
        return _("达到目标")
    return _("低于目标 %(n)d 个类别") % {"n": -margin}


@dataclass
class Year:
    year: int
    water_class: int  # the worst month's
    months: int  # months with a reading
    over: bool  # the year has ended
    judged: bool  # over, with readings in at least MIN_MONTHS months
    margin: int  # target − class: > 0 better, 0 met, < 0 missed

    @property
    def verdict(self) -> str:
        return verdict_of(self.margin)

    @property
    def shortfall(self) -> int:
        return max(0, -self.margin)

    @property
    def class_label(self) -> str:
        return class_label(self.water_class)

    @property
    def class_short(self) -> str:
        return SHORT[self.water_class]


@dataclass
class SectionStatus:
    section: MonitoringSection
    latest_month: datetime.date | None = None
    latest_class: int | None = None
    margin: int | None = None
    stale: bool = False
    years: list[Year] = field(default_factory=list)  # oldest first, the current year included
    run_years: int = 0
    run_margin: int | None = None
    run_from: int | None = None
    run_to: int | None = None
    trend: str = ""
    recent_mean: float | None = None
    previous_mean: float | None = None
    same_month_last_year: int | None = None
    months_met: int = 0  # of the last twelve months up to the latest reading
    months_read: int = 0

    @property
    def verdict(self) -> str:
        return verdict_of(self.margin)

    @property
    def verdict_label(self) -> str:
        return str(VERDICTS.get(self.verdict, ""))

    @property
    def margin_text(self) -> str:
        return margin_text(self.margin)

    @property
    def latest_label(self) -> str:
        return class_label(self.latest_class)

    @property
    def same_month_label(self) -> str:
        return class_label(self.same_month_last_year)

    @property
    def trend_label(self) -> str:
        return str(TRENDS.get(self.trend, ""))

    @property
    def this_year(self) -> Year | None:
        return self.years[-1] if self.years and not self.years[-1].over else None

    @property
    def meets_target(self) -> bool:
        return self.margin is not None and self.margin >= 0 and not self.stale

    def as_dict(self) -> dict:
        """The computed status as the API gives it (plain values, codes rather than labels)."""
        return {
            "latest_month": self.latest_month.strftime("%Y-%m") if self.latest_month else None,
            "latest_class": self.latest_class,
            "target_class": self.section.target_class,
            "margin": self.margin,
            "verdict": self.verdict,
            "stale": self.stale,
            "run_years": self.run_years,
            "run_margin": self.run_margin,
            "run_from": self.run_from,
            "run_to": self.run_to,
            "trend": self.trend,
            "recent_mean_class": _rounded(self.recent_mean),
            "previous_mean_class": _rounded(self.previous_mean),
            "same_month_last_year": self.same_month_last_year,
            "months_met": self.months_met,
            "months_read": self.months_read,
            "years": [
                {
                    "year": y.year,
                    "water_class": y.water_class,
                    "months": y.months,
                    "over": y.over,
                    "judged": y.judged,
                    "margin": y.margin,
                }
                for y in self.years
            ],
        }


def _rounded(value):
    return None if value is None else round(value, 2)


def compute(section: MonitoringSection, readings, today: datetime.date | None = None) -> SectionStatus:
    """The status of `section` from its readings, (month, class) pairs in any order."""
    today = today or clock.today()
    target = section.target_class
    by_month = {month_index(month): water_class for month, water_class in readings}
    status = SectionStatus(section=section)
    if not by_month:
        return status
    latest = max(by_month)
    status.latest_month = datetime.date(latest // 12, latest % 12 + 1, 1)
    status.latest_class = by_month[latest]
    status.margin = target - status.latest_class
    status.stale = month_index(today) - latest > STALE_MONTHS
    status.same_month_last_year = by_month.get(latest - 12)

    per_year = defaultdict(list)
    for index, water_class in by_month.items():
        per_year[index // 12].append(water_class)
    for year in sorted(per_year):
        classes = per_year[year]
        over = year < today.year
        worst = max(classes)
        status.years.append(
            Year(
                year=year,
                water_class=worst,
                months=len(classes),
                over=over,
                judged=over and len(classes) >= MIN_MONTHS,
                margin=target - worst,
            )
        )

    judged = {y.year: y for y in status.years if y.over}
    year = today.year - 1
    while year in judged and judged[year].judged and judged[year].margin > 0:
        status.run_years += 1
        status.run_margin = min(judged[year].margin, status.run_margin or judged[year].margin)
        status.run_from, status.run_to = year, status.run_to or year
        year -= 1

    recent = [by_month[i] for i in range(latest - TREND_MONTHS + 1, latest + 1) if i in by_month]
    previous = [
        by_month[i] for i in range(latest - 2 * TREND_MONTHS + 1, latest - TREND_MONTHS + 1) if i in by_month
    ]
    status.months_read = len(recent)
    status.months_met = sum(1 for water_class in recent if water_class <= target)
    if len(recent) >= TREND_MIN_READINGS:
        status.recent_mean = sum(recent) / len(recent)
    if len(previous) >= TREND_MIN_READINGS:
        status.previous_mean = sum(previous) / len(previous)
    if status.recent_mean is not None and status.previous_mean is not None:
        change = status.previous_mean - status.recent_mean
        status.trend = IMPROVING if change >= TREND_STEP else WORSENING if change <= -TREND_STEP else STABLE
    return status


def readings_of(section_ids, today: datetime.date | None = None) -> dict[int, list]:
    """{section id: [(month, class), …]} of the last `YEARS_READ` years: one statement."""
    today = today or clock.today()
    since = datetime.date(today.year - YEARS_READ, 1, 1)
    found = defaultdict(list)
    rows = (
        WaterReading.objects.filter(section_id__in=list(section_ids), month__gte=since)
        .order_by()
        .values_list("section_id", "month", "water_class")
    )
    for section_id, month, water_class in rows:
        found[section_id].append((month, water_class))
    return found


def statuses(sections, today: datetime.date | None = None) -> dict[int, SectionStatus]:
    """{section id: status} of `sections` (a list or queryset), their readings read in one statement."""
    today = today or clock.today()
    sections = list(sections)
    readings = readings_of([s.pk for s in sections], today)
    return {s.pk: compute(s, readings.get(s.pk, ()), today) for s in sections}


def status_of(section: MonitoringSection, today: datetime.date | None = None) -> SectionStatus:
    return statuses([section], today)[section.pk]


@dataclass
class RiverStatus:
    river: River
    sections: list[SectionStatus]  # active sections, in their order
    assessed: list[SectionStatus]  # those the run is counted over
    run_years: int = 0
    run_margin: int | None = None
    run_from: int | None = None
    run_to: int | None = None

    @property
    def meeting(self) -> int:
        return sum(1 for s in self.sections if s.meets_target)

    @property
    def run_text(self) -> str:
        if not self.run_years:
            return ""
        return _("连续 %(years)d 年优于考核目标 %(n)d 个类别") % {
            "years": self.run_years,
            "n": self.run_margin,
        }


def river_status(river: River, section_statuses: list[SectionStatus]) -> RiverStatus:
    assessed = [s for s in section_statuses if s.section.assessed] or list(section_statuses)
    result = RiverStatus(river=river, sections=list(section_statuses), assessed=assessed)
    if assessed and all(s.run_years for s in assessed):
        result.run_years = min(s.run_years for s in assessed)
        result.run_margin = min(s.run_margin for s in assessed)
        result.run_to = max(s.run_to for s in assessed)
        result.run_from = result.run_to - result.run_years + 1
    return result


def active_sections():
    return MonitoringSection.objects.filter(is_active=True, river__is_active=True).select_related(
        "river", "department"
    )


@dataclass
class Zone:
    """The zone's rivers and sections with their statuses, and the counts the cockpit shows."""

    rivers: list[RiverStatus]
    sections: list[SectionStatus]
    latest_month: datetime.date | None

    @property
    def total(self) -> int:
        return len(self.sections)

    @property
    def meeting(self) -> int:
        return sum(1 for s in self.sections if s.meets_target)

    @property
    def better(self) -> int:
        return sum(1 for s in self.sections if s.meets_target and s.margin > 0)

    @property
    def missed(self) -> int:
        return sum(1 for s in self.sections if s.margin is not None and s.margin < 0 and not s.stale)

    @property
    def without_data(self) -> int:
        return sum(1 for s in self.sections if s.margin is None or s.stale)

    @property
    def meeting_rate(self) -> float | None:
        judged = self.total - self.without_data
        return round(100 * self.meeting / judged, 1) if judged else None


def zone(sections=None, today: datetime.date | None = None) -> Zone:
    """Every active section of the zone (or `sections`) with its status, grouped by river: two statements."""
    today = today or clock.today()
    sections = list(active_sections() if sections is None else sections)
    found = statuses(sections, today)
    by_river: dict[int, list] = defaultdict(list)
    rivers = {}
    for section in sections:
        by_river[section.river_id].append(found[section.pk])
        rivers[section.river_id] = section.river
    river_rows = [river_status(rivers[pk], rows) for pk, rows in by_river.items()]
    river_rows.sort(key=lambda r: (r.river.order, r.river.code))
    months = [s.latest_month for s in found.values() if s.latest_month]
    return Zone(
        rivers=river_rows, sections=[found[s.pk] for s in sections], latest_month=max(months, default=None)
    )


def problem_counts(problems) -> dict[int, dict]:
    """{section id: {"open": n, "total": n}} of the problems given (a scoped queryset): one statement on the
    problems' section index."""
    from ..models import OPEN_STATES

    rows = (
        problems.filter(section__isnull=False)
        .order_by()
        .values("section_id")
        .annotate(total=Count("id"), open=Count("id", filter=Q(status__in=OPEN_STATES)))
    )
    return {row["section_id"]: {"open": row["open"], "total": row["total"]} for row in rows}


def nearest(latitude: float, longitude: float, sections=None, limit: int = 5) -> list[tuple]:
    """The active sections nearest the point, [(section, metres)], nearest first (great-circle distance; the
    zone has tens of sections, so they are measured in Python)."""
    sections = list(active_sections() if sections is None else sections)
    measured = [(s, distance_m(latitude, longitude, float(s.latitude), float(s.longitude))) for s in sections]
    measured.sort(key=lambda pair: pair[1])
    return measured[:limit]


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    from math import asin, cos, radians, sin, sqrt

    lat1, lon1, lat2, lon2 = map(radians, (lat1, lon1, lat2, lon2))
    h = sin((lat2 - lat1) / 2) ** 2 + cos(lat1) * cos(lat2) * sin((lon2 - lon1) / 2) ** 2
    return 2 * 6_371_000 * asin(sqrt(h))
