"""The usage figures of the devolved powers (`approvals.power_usage`) on a small world whose days are known."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from sciencecity.approvals.power_usage import Period, item_usage, nearest_rank, power_usage, summary
from sciencecity.catalog.powers.models import DevolvedPower, PowerKind
from sciencecity.catalog.powers.selectors import with_links

from .conftest import EPP, task_of

pytestmark = pytest.mark.django_db

JUNE = Period(datetime.date(2026, 6, 1), datetime.date(2026, 6, 30))


def test_the_pause_is_the_one_the_fixture_says(usage_world):
    assert (usage_world.pause.started_on, usage_world.pause.ended_on) == (
        datetime.date(2026, 6, 3),
        datetime.date(2026, 6, 5),
    )
    assert task_of(usage_world.applications["a"], EPP).started_on == datetime.date(2026, 6, 1)


def test_a_powers_figures_come_from_the_tasks_of_its_items(usage_world):
    powers = usage_world.powers
    usage = power_usage(with_links(DevolvedPower.objects.all()), JUNE)
    epp = usage[powers["epp"].pk]
    assert (epp.tasks, epp.applications, epp.decided) == (3, 3, 2)
    # A: 06-02, 06-03, 06-04; B: 06-02 and 06-08..06-10 (06-03..06-05 paused)
    assert sorted(epp.durations) == [3, 4]
    assert epp.median_days == 3.5
    assert epp.p90_days == 4
    assert epp.within_legal_pct == Decimal("100.0")  # 20 working days
    # promised 2 working days (+ the pause for B): A on its 3rd day is late, B on its 4th counted day too
    assert epp.within_promised_pct == Decimal("0.0")
    assert epp.in_use
    # The construction permit's task waits for its prerequisites: never started, so not used.
    assert not usage[powers["permit"].pk].in_use and usage[powers["permit"].pk].tasks == 0
    assert not usage[powers["eia"].pk].in_use
    penalty = usage[powers["penalty"].pk]
    assert (penalty.tasks, penalty.median_days, penalty.within_legal_pct) == (0, None, None)


def test_only_tasks_started_in_the_period_count(usage_world):
    later = Period(datetime.date(2026, 6, 2), datetime.date(2026, 12, 31))
    assert item_usage([EPP], later) == {}
    earlier = Period(datetime.date(2025, 6, 1), datetime.date(2026, 5, 31))
    assert item_usage([EPP], earlier) == {}
    assert item_usage([EPP], Period(datetime.date(2026, 6, 1), datetime.date(2026, 6, 1)))[EPP].tasks == 3


def test_the_default_period_is_the_last_twelve_months():
    assert Period.last_twelve_months(datetime.date(2026, 6, 10)) == Period(
        datetime.date(2025, 6, 11), datetime.date(2026, 6, 10)
    )
    assert Period.last_twelve_months(datetime.date(2028, 2, 29)).since == datetime.date(2027, 3, 1)


def test_nearest_rank_percentile():
    assert nearest_rank([], 0.9) is None
    assert nearest_rank([5], 0.9) == 5
    assert nearest_rank(list(range(1, 11)), 0.9) == 9
    assert nearest_rank(list(range(1, 12)), 0.9) == 10


def test_the_figures_cost_a_fixed_number_of_queries_whatever_the_number_of_codes(usage_world):
    """Three (grouped counts, decided tasks, their pauses) and one read of the calendar's overrides."""
    with CaptureQueriesContext(connection) as few:
        item_usage([EPP], JUNE)
    many_codes = [EPP, "construction-permit", "eia-approval", "construction-drawing-review", "no-such-item"]
    with CaptureQueriesContext(connection) as many:
        item_usage(many_codes, JUNE)
    assert len(few) == len(many) == 4


def test_the_summary_counts_powers_in_use_by_department_and_kind(usage_world):
    powers = with_links(DevolvedPower.objects.order_by("position"))
    result = summary(powers, JUNE, dict(PowerKind.choices))
    assert (result.total.powers, result.total.in_force, result.total.linked, result.total.in_use) == (
        4,
        4,
        3,
        1,
    )
    assert result.total.usage.tasks == 3
    planning = next(row for row in result.departments if row.key == "planning")
    assert (planning.in_force, planning.linked, planning.in_use, planning.idle) == (2, 1, 1, 1)
    assert [row.key for row in result.kinds] == ["license", "penalty"]  # the kinds in the lists' order
    license_row = result.kinds[0]
    assert (license_row.in_force, license_row.in_use) == (3, 1)
    assert result.fastest == [] and result.slowest == []  # fewer than 3 decisions: not ranked
