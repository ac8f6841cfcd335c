"""Periods: a month, a quarter or a year, named 2026-11 / 2026-Q4 / 2026, bounded by the zone's midnights; the
same period last year; a period that has not begun is refused."""

import datetime
import zoneinfo

import pytest

from sciencecity.cockpit.periods import MONTH, QUARTER, YEAR, PeriodError, choices, parse_period, period_of

TODAY = datetime.date(2026, 11, 24)
ZONE = zoneinfo.ZoneInfo("Asia/Shanghai")


@pytest.mark.parametrize(
    ("text", "kind", "start", "end"),
    [
        ("2026-11", MONTH, datetime.date(2026, 11, 1), datetime.date(2026, 12, 1)),
        ("2025-12", MONTH, datetime.date(2025, 12, 1), datetime.date(2026, 1, 1)),
        ("2026-Q4", QUARTER, datetime.date(2026, 10, 1), datetime.date(2027, 1, 1)),
        ("2026-Q1", QUARTER, datetime.date(2026, 1, 1), datetime.date(2026, 4, 1)),
        ("2026", YEAR, datetime.date(2026, 1, 1), datetime.date(2027, 1, 1)),
    ],
)
def test_a_period_is_named_and_bounded(text, kind, start, end):
    period = parse_period(text, today=TODAY)
    assert (period.kind, period.start, period.end, period.key) == (kind, start, end, text)


def test_an_empty_name_is_this_month():
    assert parse_period("", today=TODAY) == period_of(MONTH, TODAY)


def test_bounds_are_the_zones_midnights():
    start, end = parse_period("2026-11", today=TODAY).bounds()
    assert start == datetime.datetime(2026, 11, 1, tzinfo=ZONE)
    assert end == datetime.datetime(2026, 12, 1, tzinfo=ZONE)


def test_same_period_last_year_previous_and_following():
    quarter = parse_period("2026-Q1", today=TODAY)
    assert quarter.same_last_year().key == "2025-Q1"
    assert quarter.previous().key == "2025-Q4"
    assert quarter.following().key == "2026-Q2"
    assert parse_period("2026-01", today=TODAY).previous().key == "2025-12"


@pytest.mark.parametrize(
    "text", ["2026-13", "2026-00", "2026-Q5", "26-11", "2026/11", "1999", "abc", "2026-11\x00"]
)
def test_a_bad_name_is_refused_with_a_reason(text):
    with pytest.raises(PeriodError):
        parse_period(text, today=TODAY)


def test_a_period_not_yet_begun_is_refused():
    with pytest.raises(PeriodError, match="尚未开始"):
        parse_period("2026-12", today=TODAY)
    assert parse_period("2026-Q4", today=TODAY).key == "2026-Q4"  # running: allowed


def test_the_selector_offers_three_years_newest_first():
    offered = choices(TODAY)
    assert offered[MONTH][0].key == "2026-11" and offered[MONTH][-1].key == "2024-01"
    assert [p.key for p in offered[YEAR]] == ["2026", "2025", "2024"]
    assert offered[QUARTER][0].key == "2026-Q4"
