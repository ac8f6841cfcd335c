"""Fixtures for the whole suite.

No test depends on the real date. Every test runs with the clock at the suite's moment,
`SCIENCECITY_TEST_NOW` (ISO 8601, default 2026-11-24T11:30:00+08:00, a Tuesday of a year the calendar
package knows), unless it moves the clock itself (tests of dated rules freeze their own day with
time-machine). The clock ticks from that moment, so rows written one after another keep their order.

`make test` runs the tests marked `any_day` again at a few hard moments (see scripts/test_dates.py): the last
days of a year whose successor is not published, a day inside such a year, and a day of a year that
administrators confirmed, named by `SCIENCECITY_TEST_CONFIRMED_YEARS` (e.g. "2027"). For those, an
`any_day` test that uses the database finds that year's schedule entered and confirmed (`suite_calendar`).
"""

import datetime
import os

import pytest
import time_machine
from django.db import connection

SUITE_NOW = datetime.datetime.fromisoformat(
    os.environ.get("SCIENCECITY_TEST_NOW", "2026-11-24T11:30:00+08:00")
)
CONFIRMED_YEARS = [
    int(year) for year in os.environ.get("SCIENCECITY_TEST_CONFIRMED_YEARS", "").split(",") if year
]


@pytest.hookimpl(optionalhook=True)  # pytest-xdist's hook: absent when it is not loaded
def pytest_xdist_make_scheduler(config, log):
    """`--dist loadfile` by runs of a file's tests in pytest-django's order (tests/scheduling.py)."""
    if config.getvalue("dist") == "loadfile":
        from tests.scheduling import FileRunScheduling

        return FileRunScheduling(config, log)
    return None


@pytest.fixture(scope="session", autouse=True)
def _suite_clock():
    """The suite's moment for everything, session fixtures (the demo world, the browser's server) included."""
    with time_machine.travel(SUITE_NOW, tick=True):
        yield


@pytest.fixture(autouse=True)
def _fresh_process_caches():
    """Each test starts with the per-process caches empty, as a new process would: the test database is
    rolled back (or flushed) after each test, so a compiled catalog version keyed by its primary key could
    otherwise outlive its rows and meet another version under the same key."""
    from sciencecity.catalog import compiled

    compiled.cache_clear()
    yield
    compiled.cache_clear()


@pytest.fixture(autouse=True)
def _english_off(settings):
    """Tests run in the default language (Simplified Chinese) unless a test activates another."""
    settings.LANGUAGE_CODE = "zh-hans"


@pytest.fixture
def on_postgres():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL; `make test` runs the suite on PostgreSQL too")


def confirm_years(years) -> None:
    """Enter and confirm the schedule of `years` as administrators would once the State Council publishes
    it: the statutory holidays of the national rules as rest days, plus one make-up working day (the first
    Saturday of February that is not a holiday itself), then confirmed through the services."""
    from sciencecity.workdays import services
    from sciencecity.workdays.calendar import provisional_rest_days

    for year in years:
        rest_days = provisional_rest_days(year)
        for day in sorted(rest_days):
            services.set_override(None, day, False, "法定节假日")
        february = datetime.date(year, 2, 1)
        saturday = february + datetime.timedelta(days=(5 - february.weekday()) % 7)
        while saturday in rest_days:  # 2027-02-06 is the Spring Festival: a make-up day cannot be one
            saturday += datetime.timedelta(days=7)
        services.set_override(None, saturday, True, "调休补班")
        services.confirm_year(None, year, "测试:已公布的安排")


@pytest.fixture
def suite_calendar():
    """The calendar of the run: the years of SCIENCECITY_TEST_CONFIRMED_YEARS confirmed (none by default).
    Request it after the fixtures that give the test its database."""
    confirm_years(CONFIRMED_YEARS)
    return CONFIRMED_YEARS


@pytest.fixture
def uncomputable_2027(monkeypatch):
    """2027 as a year that neither administrators nor the `holidays` package can give (as 2101 is): the
    refusal path, which a year not yet published no longer takes (it is counted provisionally)."""
    from sciencecity.workdays import calendar

    real = calendar.provisional_rest_days

    def rest_days(year):
        if year == 2027:
            raise calendar.UnknownCalendarYear(year)
        return real(year)

    monkeypatch.setattr(calendar, "provisional_rest_days", rest_days)
