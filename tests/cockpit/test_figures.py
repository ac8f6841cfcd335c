"""Each figure counts what its definition says, and equals its list: the snapshot's value is the measure of
the very records the drill-down lists (and each bar of a chart the measure of its filtered list). Rates
divide two figures; the same month last year is counted alike."""

import datetime

import pytest

from sciencecity.cockpit import charts, figures, snapshots
from sciencecity.cockpit.periods import parse_period
from sciencecity.cockpit.records import UnknownSelection, select
from sciencecity.projects.models import PhaseChange
from sciencecity.workdays import clock
from tests.factories import ProjectFactory

from .conftest import JUNE

pytestmark = pytest.mark.django_db


@pytest.fixture
def june(cockpit_world):
    return snapshots.take_snapshot(parse_period(JUNE))


def listed(key, period=JUNE, by="", value=""):
    selection = select(key, period, by, value)
    return list(selection.listing.rows(selection.queryset))


def test_every_figure_equals_its_list(june):
    assert set(june.figures) == {f.key for f in figures.FIGURES} | {r.key for r in figures.RATES}
    for figure in figures.FIGURES:
        records = listed(figure.key)
        value = june.figures[figure.key]
        if figure.measure == figures.COUNT:
            assert value == len(records), figure.key
        else:
            column = [getattr(record, figure.field) for record in records]
            numbers = [float(v) for v in column if v is not None]
            expected = (
                sum(numbers)
                if figure.measure == figures.SUM
                else (round(sum(numbers) / len(numbers), 1) if numbers else None)
            )
            assert value == (round(expected, 2) if isinstance(expected, float) else expected), figure.key


def test_every_bar_equals_its_list(june):
    for chart in charts.CHARTS:
        for key, groups in june.charts[chart.key].items():
            figure = figures.BY_KEY[key]
            for value, measure in groups:
                selection = select(key, JUNE, chart.dimension, "" if value is None else str(value))
                assert selection.measure() == measure, (chart.key, key, value)
                if figure.measure == figures.COUNT:
                    assert len(list(selection.queryset)) == measure


def test_the_approvals_figures(june, cockpit_world):
    f = june.figures
    assert f["applications_submitted"] == 3
    assert f["applications_concluded"] == 1 and f["applications_on_time"] == 1
    assert f["applications_on_time_rate"] == 100.0
    assert f["applications_in_progress"] == 2  # the running one and the one at the window
    assert {a.pk for a in listed("applications_in_progress")} == {
        cockpit_world.running.pk,
        cockpit_world.waiting.pk,
    }
    assert f["tasks_overdue"] >= 1 and f["tasks_open"] >= f["tasks_overdue"]


def test_the_problems_figures(june, cockpit_world):
    f = june.figures
    assert f["problems_reported"] == 3  # the merged duplicate is reported too
    assert f["problems_reported_counted"] == 2  # … but not counted in the closed loop
    assert f["problems_reported_closed"] == 1 and f["problems_closed_loop_rate"] == 50.0
    assert f["problems_closed"] == 1 and f["problems_on_time"] == 1 and f["problems_on_time_rate"] == 100.0
    # Overdue is a state of today: last year's untouched problem is overdue as well.
    overdue = {cockpit_world.overdue.pk, cockpit_world.last_year_problem.pk}
    assert {p.pk for p in listed("problems_overdue")} == overdue


def test_the_projects_figures(june, cockpit_world):
    f = june.figures
    assert (f["key_projects"], f["key_projects_red"], f["key_projects_yellow"]) == (3, 1, 1)
    assert [p.pk for p in listed("projects_started")] == [cockpit_world.yellow.pk]
    # Registered in June as already under construction: an entry into the registry, not a start in June.
    registered = ProjectFactory(name="科学谷四期", is_key=True, phase="started")
    PhaseChange.objects.create(
        project=registered, from_phase="", to_phase="started", changed_on=datetime.date(2026, 6, 10)
    )
    assert [p.pk for p in listed("projects_started")] == [cockpit_world.yellow.pk]
    assert f["investment_planned"] == 1600.0 and f["investment_completed"] == 600.0
    assert f["investment_completion_rate"] == 37.5
    assert f["investment_in_period"] == 150.5 and f["reports_late"] == 1


def test_the_services_figures(june, cockpit_world):
    f = june.figures
    assert [m.enterprise_id for m in listed("eligible_unclaimed")] == [cockpit_world.unclaimed.pk]
    assert f["claims_paid"] == 1 and f["claims_paid_amount"] == 50.0
    assert f["policy_budget"] == 500.0 and f["policy_paid_rate"] == 10.0
    assert (f["fund_held"], f["fund_held_amount"], f["fund_portfolio"]) == (1, 300.0, 2)
    assert f["fund_signed"] == 1 and f["fund_disbursed"] == 100.0


def test_the_party_figures(june):
    f = june.figures
    assert f["projects_with_alliance"] == 1 and f["alliance_coverage"] == 33.3
    assert f["projects_with_instructor"] == 1 and f["instructor_coverage"] == 33.3
    assert f["activities_held"] == 1 and f["joint_activities"] == 1
    assert [row["name"] for row in june.extras["teams"]] == ["审批改革红岩先锋队"]


def test_last_year_is_counted_alike(cockpit_world):
    last_year = snapshots.take_snapshot(parse_period(JUNE).same_last_year())
    assert last_year.figures["problems_reported"] == 1
    assert last_year.figures["applications_submitted"] == 0
    assert [p.pk for p in listed("problems_reported", "2025-06")] == [cockpit_world.last_year_problem.pk]


def test_a_year_holds_its_months(cockpit_world):
    year = snapshots.take_snapshot(parse_period("2026"))
    month = snapshots.take_snapshot(parse_period(JUNE))
    for key in ("problems_reported", "applications_submitted", "claims_paid_amount", "activities_held"):
        assert year.figures[key] == month.figures[key], key  # nothing else happened in 2026


def test_a_bar_filters_by_its_dimension(june, cockpit_world):
    by_department = dict(june.charts["overdue_by_department"]["problems_overdue"])
    assert by_department == {"ecology": 2}
    assert len(listed("problems_overdue", by="department", value="ecology")) == 2
    assert listed("problems_overdue", by="department", value="housing") == []
    by_warning = dict(june.charts["projects_by_warning"]["key_projects"])
    assert by_warning == {"red": 1, "yellow": 1, "green": 1}


def test_an_unknown_figure_or_dimension_is_refused(cockpit_world):
    for key, by in (("nothing", ""), ("problems_overdue", "phase"), ("key_projects", "nonsense")):
        with pytest.raises(UnknownSelection):
            select(key, JUNE, by, "x")
    # A rate opens its numerator's list.
    assert select("problems_on_time_rate", JUNE).figure.key == "problems_on_time"
    assert clock.today().isoformat() == "2026-06-15"


def test_the_interaction_registers_figures(cockpit_world):
    from sciencecity.interactions import services as register

    official = cockpit_world.world.reviewer("ecology")
    for day in (datetime.date(2026, 6, 1), datetime.date(2026, 6, 12)):  # the first is recorded late
        register.record_interaction(
            official,
            enterprise=cockpit_world.world.enterprise,
            kind="visit",
            occurred_on=day,
            place="企业会议室",
            purpose="了解开工准备",
            items=["enc-visit"],
            officials_present="生态环境局审查员",
        )
    june = snapshots.take_snapshot(parse_period(JUNE))
    assert (june.figures["interactions_recorded"], june.figures["interactions_flagged"]) == (2, 1)
    assert dict(june.charts["interactions_by_department"]["interactions_flagged"]) == {"ecology": 1}
    assert [r.late for r in listed("interactions_flagged")] == [True]


def test_the_bar_of_problems_without_an_area(cockpit_world):
    from sciencecity.problems.models import Problem

    # A problem raised from a service rating or a project report carries no place: its area is blank.
    Problem.objects.filter(pk=cockpit_world.on_time.pk).update(area="")
    june = snapshots.take_snapshot(parse_period(JUNE))
    assert dict(june.charts["problems_by_area"]["problems_reported"])[""] == 1
    assert [p.pk for p in listed("problems_reported", by="area", value="")] == [cockpit_world.on_time.pk]
