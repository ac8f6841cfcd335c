"""A year's holiday schedule pasted or imported in one step, checked before anything is written.

When the State Council publishes next year's schedule, administrators paste it (admin → 导入全年放假安排, the
API's `calendar/years/{year}/schedule/`, or `manage.py workdays import`) as one line per day or span of days:

    2027-01-01 休 元旦
    2027-02-05~2027-02-12 休 春节          (a span: `~`, `至` or ` - ` between the days)
    2027-02-13 班 春节调休                  (a make-up working day)
    # a comment; blank lines are ignored

`rest`/`holiday` and `work`/`workday` may stand for 休 and 班, and a CSV with the columns date,kind,name reads
the same. `check_schedule` reads the text and the stored overrides and writes nothing: it returns a
`SchedulePlan` with the days, every error (a line it cannot read, a day outside the year, a day listed as both
rest and work, a make-up working day that is not a Saturday or Sunday), the statutory check (every statutory
holiday of the national rules must be a rest day once the schedule applies) and the difference from the
overrides stored for the year. `services.import_schedule` applies a plan without errors in one transaction.

The statutory check is also what `services.confirm_year` asks of the overrides stored: a year is confirmed
only with its whole schedule.
"""

import csv
import datetime
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache

import chinese_calendar
import holidays
from django.core.exceptions import ValidationError
from django.utils.dates import WEEKDAYS
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .calendar import package_covers, provisional_rest_days
from .models import CalendarYear, HolidayOverride

NOTE_MAX_LENGTH = HolidayOverride._meta.get_field("note").max_length
FULL_WIDTH_COMMA = "\uff0c"
MAX_SPAN_DAYS = 62  # a span longer than two months is a typing error, not a holiday

REST_WORDS = frozenset({"休", "休息", "休息日", "放假", "假", "rest", "holiday", "off"})
WORK_WORDS = frozenset({"班", "上班", "补班", "工作日", "work", "workday", "working"})

# The statutory holidays by the `holidays` package's (English) names, as the platform names them.
FESTIVALS = {
    "New Year's Day": gettext_lazy("元旦"),
    "Chinese New Year's Eve": gettext_lazy("春节"),
    "Chinese New Year (Spring Festival)": gettext_lazy("春节"),
    "Tomb-Sweeping Day": gettext_lazy("清明节"),
    "Labor Day": gettext_lazy("劳动节"),
    "Dragon Boat Festival": gettext_lazy("端午节"),
    "Mid-Autumn Festival": gettext_lazy("中秋节"),
    "National Day": gettext_lazy("国庆节"),
}

_DATE = r"\d{4}\s*[-/.年]\s*\d{1,2}\s*[-/.月]\s*\d{1,2}(?:\s*日)?"
_END = r"(?:\d{4}\s*[-/.年]\s*)?\d{1,2}\s*[-/.月]\s*\d{1,2}(?:\s*日)?"  # the year may be left out
_DAYS = re.compile(
    rf"(?P<first>{_DATE})(?:\s*(?:~|～|至|到|—|–)\s*(?P<last>{_END})|\s+-\s+(?P<last2>{_END}))?"
)


@dataclass(frozen=True)
class Entry:
    """One day of the schedule: a rest day or a make-up working day, with its name and the line it came from."""

    date: datetime.date
    is_working_day: bool
    note: str
    line: int


@dataclass(frozen=True)
class Problem:
    """Why a schedule cannot be applied as it is; `line` and `date` say where, when they can."""

    code: str
    message: str
    line: int | None = None
    date: datetime.date | None = None


@dataclass(frozen=True)
class StatutoryDay:
    date: datetime.date
    name: str


@dataclass(frozen=True)
class Change:
    """One override that applying the schedule adds (`before` None), changes or removes (`after` None)."""

    date: datetime.date
    before: HolidayOverride | None
    after: Entry | None


@dataclass
class SchedulePlan:
    year: int
    entries: list[Entry] = field(default_factory=list)
    errors: list[Problem] = field(default_factory=list)
    statutory: list[StatutoryDay] = field(default_factory=list)  # the year's statutory holidays
    missing_statutory: list[StatutoryDay] = field(default_factory=list)  # their messages are in `errors` too
    warnings: list[str] = field(default_factory=list)
    added: list[Change] = field(default_factory=list)
    changed: list[Change] = field(default_factory=list)
    removed: list[Change] = field(default_factory=list)
    unchanged: int = 0
    confirm_refusal: str = ""  # why the year cannot be confirmed whatever its schedule; "" when it can

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def rest_days(self) -> int:
        return sum(not entry.is_working_day for entry in self.entries)

    @property
    def working_days(self) -> int:
        return sum(entry.is_working_day for entry in self.entries)

    def error(self, confirm: bool = False) -> ValidationError | None:
        """All the reasons not to apply the plan (and, with `confirm`, not to confirm the year), or None."""
        problems = [ValidationError(problem.message, code=problem.code) for problem in self.errors]
        if confirm and self.confirm_refusal:
            problems.append(ValidationError(self.confirm_refusal, code="not_confirmable"))
        return ValidationError(problems) if problems else None


# --- the national rules ------------------------------------------------------------------------------------


@cache
def _statutory(year: int) -> tuple[tuple[datetime.date, tuple[str, ...]], ...]:
    """(day, the package's festival names) of `year`'s statutory holidays themselves: no day in lieu (补假),
    no day the package lists as moved (调休)."""
    try:
        china = holidays.China(years=year, categories=(holidays.PUBLIC,), observed=False, language="en_US")
    except (NotImplementedError, ValueError, KeyError):
        return ()
    days = []
    for day, names in sorted(china.items()):
        festivals = tuple(name for name in names.split("; ") if name in FESTIVALS)
        if festivals and day.year == year:
            days.append((day, festivals))
    return tuple(days)


def statutory_days(year: int) -> list[StatutoryDay]:
    """The statutory holidays of `year` by 《全国年节及纪念日放假办法》 (lunar dates from `holidays`), named."""
    days = []
    for day, festivals in _statutory(year):
        names = list(dict.fromkeys(str(FESTIVALS[name]) for name in festivals))
        days.append(StatutoryDay(day, "、".join(names)))
    return days


def _is_working(day: datetime.date, days: Mapping[datetime.date, bool]) -> bool:
    """What `day` will be once `days` are `year`'s overrides and the year is official: the override, else the
    package's calendar for a year it covers, else Monday to Friday."""
    if day in days:
        return days[day]
    if package_covers(day.year):
        return chinese_calendar.is_workday(day)
    return day.weekday() < 5


def statutory_problems(
    year: int, days: Mapping[datetime.date, bool], lines: Mapping[datetime.date, int] | None = None
) -> list[tuple[StatutoryDay, Problem]]:
    """Each statutory holiday of `year` that would be a working day with `days` (date → is a working day) as
    the year's overrides: left out of the schedule on a weekday, or listed as a make-up working day."""
    lines = lines or {}
    found = []
    for statutory in statutory_days(year):
        if not _is_working(statutory.date, days):
            continue
        values = {"name": statutory.name, "date": statutory.date.isoformat()}
        if statutory.date in days:
            values["line"] = lines.get(statutory.date, "")
            message = (
                _("%(name)s %(date)s 在放假安排中被列为上班日(第%(line)s行),法定节假日应当放假。") % values
                if values["line"]
                else _("%(name)s %(date)s 被录入为上班日,法定节假日应当放假。") % values
            )
        else:
            message = _("%(name)s %(date)s 不在放假安排中。") % values
        found.append(
            (statutory, Problem("statutory_missing", message, lines.get(statutory.date), statutory.date))
        )
    return found


def confirmation_refusal(year: int) -> ValidationError | None:
    """Why `year` cannot be confirmed whatever its schedule (confirmed already, or in the package), or None."""
    if CalendarYear.objects.filter(year=year).exists():
        return ValidationError(
            _("%(year)s年的年度日历已经确认过了;如需更正,请先撤销确认再重新确认。") % {"year": year},
            code="confirmed_already",
        )
    if package_covers(year):
        return ValidationError(
            _("%(year)s年的法定节假日安排已内置于系统日历,无需确认。") % {"year": year}, code="package_year"
        )
    return None


# --- reading the text ----------------------------------------------------------------------------------------


def _day(token: str, year: int | None = None) -> datetime.date:
    numbers = [int(number) for number in re.findall(r"\d+", token)]
    if len(numbers) == 2:
        numbers.insert(0, year)
    return datetime.date(*numbers)


def _kind(word: str) -> bool | None:
    """True for a make-up working day, False for a rest day, None for a word that is neither."""
    word = word.strip().lower()
    if word in WORK_WORDS:
        return True
    if word in REST_WORDS:
        return False
    return None


def _fields(line: str) -> tuple[str, str, str] | None:
    """(days, kind, name) of one line, written with spaces or as CSV; None when it has no such shape."""
    if "," in line or FULL_WIDTH_COMMA in line or "\t" in line:
        row = next(csv.reader([line.replace(FULL_WIDTH_COMMA, ",").replace("\t", ",")]), [])
        row = [value.strip() for value in row]
        if len(row) >= 2 and _DAYS.fullmatch(row[0]) and _kind(row[1]) is not None:
            return row[0], row[1], ",".join(value for value in row[2:] if value)
    match = _DAYS.match(line)
    if match is None:
        return None
    kind, *note = re.split(rf"[\s,{FULL_WIDTH_COMMA}]+", line[match.end() :].strip(), maxsplit=1)
    return match.group(0).strip(), kind, note[0] if note else ""


def _is_header(line: str) -> bool:
    first = re.split(rf"[\s,{FULL_WIDTH_COMMA}]+", line.strip().lower(), maxsplit=1)[0].strip("\"'")
    return first in ("date", "日期")


def parse(year: int, text: str) -> tuple[list[Entry], list[Problem]]:
    """The entries of `text` (a day listed twice with the same kind once, under its first line) and the
    problems met while reading it; nothing is looked up."""
    entries: dict[datetime.date, Entry] = {}
    problems: list[Problem] = []
    seen_content = False
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.split("#", 1)[0].strip().lstrip("\ufeff")
        if not line:
            continue
        if not seen_content and _is_header(line):
            seen_content = True
            continue
        seen_content = True
        values = {"line": number, "text": raw.strip()[:80]}
        fields = _fields(line)
        if fields is None or _kind(fields[1]) is None:
            problems.append(
                Problem(
                    "unreadable",
                    _("第%(line)s行无法识别:“%(text)s”。每行应为“日期 休/班 名称”,如“2027-01-01 休 元旦”。")
                    % values,
                    number,
                )
            )
            continue
        days_text, kind_text, note = fields
        is_working_day = _kind(kind_text)
        match = _DAYS.fullmatch(days_text)
        try:
            first = _day(match.group("first"))
            last_text = match.group("last") or match.group("last2")
            last = _day(last_text, first.year) if last_text else first
        except ValueError:
            problems.append(
                Problem("invalid_date", _("第%(line)s行的日期无效:“%(text)s”。") % values, number)
            )
            continue
        if last < first or (last - first).days >= MAX_SPAN_DAYS:
            problems.append(
                Problem(
                    "invalid_span",
                    _("第%(line)s行的日期区间无效:结束日应在起始日之后,且区间不超过两个月。") % values,
                    number,
                )
            )
            continue
        if first.year != year or last.year != year:
            outside = first if first.year != year else last
            problems.append(
                Problem(
                    "outside_year",
                    _("第%(line)s行的日期 %(date)s 不在%(year)s年内。")
                    % {**values, "date": outside.isoformat(), "year": year},
                    number,
                    outside,
                )
            )
            continue
        if len(note) > NOTE_MAX_LENGTH:
            problems.append(
                Problem(
                    "note_too_long",
                    _("第%(line)s行的名称太长(最多%(max)s个字)。") % {**values, "max": NOTE_MAX_LENGTH},
                    number,
                )
            )
            continue
        day = first
        while day <= last:
            earlier = entries.get(day)
            if earlier is None:
                entries[day] = Entry(day, is_working_day, note, number)
            elif earlier.is_working_day != is_working_day:
                problems.append(
                    Problem(
                        "conflict",
                        _("%(date)s 在第%(first)s行和第%(line)s行中一处为放假、一处为上班,只能保留一种。")
                        % {"date": day.isoformat(), "first": earlier.line, "line": number},
                        number,
                        day,
                    )
                )
            day += datetime.timedelta(days=1)
    return sorted(entries.values(), key=lambda entry: entry.date), problems


# --- checking ------------------------------------------------------------------------------------------------


def check_schedule(year: int, text: str) -> SchedulePlan:
    """Read `text` as `year`'s whole schedule and check it against the national rules and what is stored;
    writes nothing. The plan's `errors` are empty when `services.import_schedule` may apply it."""
    entries, errors = parse(year, text)
    plan = SchedulePlan(year=year, entries=entries, errors=errors)
    if not entries and not errors:
        plan.errors.append(
            Problem("empty", _("没有读到任何日期。请粘贴或上传%(year)s年的全年放假安排。") % {"year": year})
        )
    for entry in entries:
        if entry.is_working_day and entry.date.weekday() < 5:
            plan.errors.append(
                Problem(
                    "weekday_make_up",
                    _("第%(line)s行:%(date)s 是%(weekday)s,本来就是工作日;调休上班日应为星期六或星期日。")
                    % {
                        "line": entry.line,
                        "date": entry.date.isoformat(),
                        "weekday": WEEKDAYS[entry.date.weekday()],
                    },
                    entry.line,
                    entry.date,
                )
            )
    # A day listed both ways is an error already: the statutory check sees the first kind given.
    days = {entry.date: entry.is_working_day for entry in entries}
    lines = {entry.date: entry.line for entry in entries}
    plan.statutory = statutory_days(year)
    for statutory, problem in statutory_problems(year, days, lines):
        plan.missing_statutory.append(statutory)
        plan.errors.append(problem)
    plan.warnings.extend(_in_lieu_warnings(year, days))
    _compare(plan)
    refusal = confirmation_refusal(year)
    plan.confirm_refusal = refusal.messages[0] if refusal is not None else ""
    return plan


def _in_lieu_warnings(year: int, days: Mapping[datetime.date, bool]) -> list[str]:
    """A warning when the schedule rests on fewer weekdays than the national rules give, the weekdays in lieu
    (补假) of statutory holidays on a weekend included. Not an error: the published schedule decides where the
    days in lieu fall."""
    if package_covers(year):
        return []
    expected = sum(day.weekday() < 5 for day in provisional_rest_days(year))
    resting = sum(day.weekday() < 5 and not working for day, working in days.items())
    if resting >= expected:
        return []
    return [
        _(
            "按《全国年节及纪念日放假办法》(法定节假日适逢周末应在工作日补假),%(year)s年应至少有%(expected)s个"
            "周一至周五放假,这份安排只有%(resting)s个。请对照国务院办公厅的通知核对补假日。"
        )
        % {"year": year, "expected": expected, "resting": resting}
    ]


def _compare(plan: SchedulePlan) -> None:
    first, last = datetime.date(plan.year, 1, 1), datetime.date(plan.year, 12, 31)
    stored = {row.date: row for row in HolidayOverride.objects.filter(date__gte=first, date__lte=last)}
    for entry in plan.entries:
        row = stored.pop(entry.date, None)
        if row is None:
            plan.added.append(Change(entry.date, None, entry))
        elif (row.is_working_day, row.note) != (entry.is_working_day, entry.note):
            plan.changed.append(Change(entry.date, row, entry))
        else:
            plan.unchanged += 1
    plan.removed = [Change(day, row, None) for day, row in sorted(stored.items())]
