"""The kept counts: a period is counted once and read from its row while fresh; a running period's count is
counted again once older than twice the worker's interval, a past period's once counted after it ended is
kept; the overview's refresh counts the periods leaders read most; the morning scan asks for last month's
report on the first working day of a month, once."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_tasks_db.models import DBTaskResult

from sciencecity.approvals.services.overview import refresh_overview
from sciencecity.cockpit import services, snapshots
from sciencecity.cockpit.models import CockpitSnapshot, ZoneReport
from sciencecity.cockpit.periods import parse_period
from sciencecity.cockpit.tasks import generate_report_task
from tests.approvals.conftest import at

from .conftest import JUNE, moment

pytestmark = pytest.mark.django_db
D = datetime.date


def test_a_fresh_count_is_read_from_one_row(cockpit_world):
    period = parse_period(JUNE)
    first = snapshots.reading(period)
    with CaptureQueriesContext(connection) as queries:
        again = snapshots.reading(period)
    assert len(queries) == 1 and again.as_of == first.as_of and again.figures == first.figures


def test_a_running_periods_count_grows_stale_and_is_counted_again(cockpit_world, time_machine, settings):
    settings.OVERVIEW_REFRESH_MINUTES = 5
    period = parse_period(JUNE)
    first = snapshots.reading(period)
    time_machine.move_to(first.as_of + datetime.timedelta(minutes=9), tick=False)
    assert snapshots.reading(period).as_of == first.as_of  # still fresh
    time_machine.move_to(first.as_of + datetime.timedelta(minutes=11), tick=False)
    assert snapshots.reading(period).as_of > first.as_of
    assert CockpitSnapshot.objects.filter(period_kind="month", period_start=D(2026, 6, 1)).count() == 1


def test_a_past_periods_count_taken_after_it_ended_is_kept(cockpit_world, time_machine):
    may = parse_period("2026-05")
    kept = snapshots.reading(may)
    time_machine.move_to(moment(D(2026, 9, 1)), tick=False)
    assert snapshots.reading(may).as_of == kept.as_of


def test_the_overviews_refresh_counts_the_periods_leaders_read(cockpit_world):
    result = refresh_overview()
    assert set(result["cockpit"]) == {"2026-06", "2026-Q2", "2026", "2025-06", "2025-Q2", "2025", "2026-05"}
    assert CockpitSnapshot.objects.count() == 7


def test_the_morning_scan_asks_for_last_months_report_on_the_first_working_day(
    cockpit_world, time_machine, django_capture_on_commit_callbacks
):
    at(time_machine, D(2026, 7, 1))  # a Wednesday, the first working day of July 2026
    with django_capture_on_commit_callbacks(execute=True):
        assert services.first_working_day_report() == "asked 2026-06"
    assert services.first_working_day_report() == "already asked"
    report = ZoneReport.objects.get()
    assert report.month == D(2026, 6, 1) and report.requested_by is None
    (job,) = DBTaskResult.objects.filter(task_path=generate_report_task.module_path)
    assert job.args_kwargs["args"] == [report.pk]
    at(time_machine, D(2026, 7, 2))
    assert services.first_working_day_report() == "not today"


def test_after_a_long_holiday_the_report_waits_for_the_first_working_day(cockpit_world, time_machine):
    at(time_machine, D(2026, 10, 1))  # National Day: a holiday
    assert services.first_working_day_report() == "not today"
    first = services.first_working_day(D(2026, 10, 1))
    assert first > D(2026, 10, 7)
    at(time_machine, first)
    assert services.first_working_day_report() == "asked 2026-09"


def test_rendering_runs_once_in_effect_and_a_failure_is_recorded(cockpit_world, monkeypatch):
    report = services.request_report(cockpit_world.leader, parse_period("2026-05"))
    assert services.request_report(cockpit_world.leader, parse_period("2026-05")) == report  # one waits
    done = services.generate_report(report.pk)
    assert done.status == ZoneReport.Status.READY and done.size > 1000 and done.pages >= 1
    name = done.file.name
    assert services.generate_report(report.pk).file.name == name  # the second run changes nothing

    def broken(month):
        raise RuntimeError("字体缺失")

    monkeypatch.setattr("sciencecity.cockpit.report.render_report_pdf", broken)
    failed = services.request_report(cockpit_world.leader, parse_period("2026-04"))
    failed = services.generate_report(failed.pk)
    assert failed.status == ZoneReport.Status.FAILED and "字体缺失" in failed.error
    again = services.request_report(cockpit_world.leader, parse_period("2026-04"))
    assert again.pk != failed.pk and again.status == ZoneReport.Status.PENDING


def test_a_month_not_yet_begun_or_a_quarter_is_refused(cockpit_world):
    from django.core.exceptions import PermissionDenied, ValidationError

    with pytest.raises(ValidationError):
        services.request_report(cockpit_world.leader, parse_period("2026-Q2"))
    with pytest.raises(PermissionDenied):
        services.request_report(cockpit_world.supervisor, parse_period("2026-05"))
    assert not ZoneReport.objects.exists()
