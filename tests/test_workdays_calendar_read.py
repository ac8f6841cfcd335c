"""The calendar of one action reads a span's overrides and its years' confirmations in one statement, and
keeps nothing between actions: what administrators change is seen by the next calendar (issue 18)."""

import datetime

import pytest

from sciencecity.workdays import services
from sciencecity.workdays.calendar import WorkingCalendar, add_working_days, deadline_after
from tests.conftest import confirm_years

pytestmark = pytest.mark.django_db

D = datetime.date


def test_a_span_into_a_year_the_package_does_not_know_is_one_statement(django_assert_num_queries):
    services.set_override(None, D(2026, 12, 31), False, "本地调整")
    calendar = WorkingCalendar()
    with django_assert_num_queries(1):
        provisional = deadline_after(D(2026, 12, 21), 10, calendar=calendar)
    assert provisional.provisional
    assert not calendar.is_year_known(2027)
    # 2026-12-31 is a rest day by the override; 2027-01-01 by the national rules (provisionally).
    assert provisional.day == D(2027, 1, 6)


def test_a_confirmed_year_is_read_with_the_overrides(django_assert_num_queries):
    confirm_years([2027])
    with django_assert_num_queries(1):
        confirmed = deadline_after(D(2026, 12, 21), 10)
    assert not confirmed.provisional
    with django_assert_num_queries(1):
        assert add_working_days(D(2026, 11, 20), 200) > D(2027, 6, 1)


def test_what_administrators_change_is_seen_by_the_next_calendar():
    before = deadline_after(D(2026, 12, 21), 10)
    services.set_override(None, D(2026, 12, 22), False, "临时放假")
    after = deadline_after(D(2026, 12, 21), 10)
    assert after.day > before.day and after.provisional
    confirm_years([2027])
    assert not deadline_after(D(2026, 12, 21), 10).provisional
