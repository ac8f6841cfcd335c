"""The zone's problem statistics from the background worker's snapshot (`problems.figures`): the same figures
as counted live, used only for zone-wide readers with filters it can answer, and only while fresh."""

import datetime
import zoneinfo

import pytest

from sciencecity.approvals.services.overview import refresh_overview
from sciencecity.problems import figures, selectors
from sciencecity.problems.models import Problem, ProblemFigureSnapshot
from sciencecity.problems.services import lifecycle

from .conftest import jpeg, report

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
MOMENT = datetime.datetime(2026, 11, 18, 10, 0, tzinfo=SHANGHAI)


@pytest.fixture
def problems(zone, time_machine):
    """Problems in every kind of state over two months: closed (one reworked, one rated), overdue, open,
    routed by area to two departments, waiting for the dispatch centre."""
    time_machine.move_to(MOMENT - datetime.timedelta(days=40), tick=False)
    late = report(zone)  # overdue by the moment
    closed = [report(zone), report(zone, point=zone.points[zone.second])]
    for problem in closed:
        reviewer = zone.env_reviewer if problem.department == zone.environment else zone.build_reviewer
        lifecycle.accept_problem(reviewer, problem)
        lifecycle.rectify_problem(reviewer, problem, "已整改", [jpeg()])
    lifecycle.verify_problem(zone.inspector, closed[0], False, "仍有垃圾")
    lifecycle.rectify_problem(zone.env_reviewer, closed[0], "再次整改", [jpeg()])
    time_machine.move_to(MOMENT - datetime.timedelta(days=30), tick=False)
    for problem in closed:
        lifecycle.verify_problem(zone.inspector, problem, True)
    lifecycle.rate_problem(zone.citizen, closed[0], 4)
    time_machine.move_to(MOMENT - datetime.timedelta(days=2), tick=False)
    recent = [report(zone, category=zone.site), report(zone, category=zone.unrouted)]
    time_machine.move_to(MOMENT, tick=False)
    return late, closed, recent


def as_data(statistics):
    def rows(items):
        return {item.key: item.as_dict() for item in items}

    return {
        "zone": statistics.zone.as_dict(),
        "by_category": rows(statistics.by_category),
        "by_department": rows(statistics.by_department),
        "by_area": rows(statistics.by_area),
        "by_source": rows(statistics.by_source),
        "trend": statistics.trend,
    }


def live(user, f=None):
    ProblemFigureSnapshot.objects.all().delete()
    return selectors.statistics(user, f)


@pytest.mark.parametrize(
    "f",
    [
        selectors.ProblemFilter(),
        selectors.ProblemFilter(category=None, source="citizen"),
        selectors.ProblemFilter(area="__second__"),
    ],
    ids=["zone", "source", "area"],
)
def test_the_snapshot_gives_the_live_figures(zone, problems, f):
    if f.area == "__second__":
        f.area = zone.second
    expected = as_data(live(zone.leader, f))
    assert expected["zone"]["reported"] > 0 or f.area
    figures.take_snapshot()
    from_snapshot = selectors.statistics(zone.leader, f)
    assert from_snapshot.as_of == MOMENT
    assert as_data(from_snapshot) == expected


def test_the_figures_hold_what_happened(zone, problems):
    figures.take_snapshot()
    zone_figures = selectors.statistics(zone.dispatcher).zone
    assert (zone_figures.reported, zone_figures.closed, zone_figures.overdue) == (5, 2, 1)
    assert (zone_figures.reworked, zone_figures.satisfaction) == (1, 4.0)
    assert zone_figures.median_days is not None


def test_by_category_filter_and_a_new_problem_after_the_snapshot(zone, problems):
    figures.take_snapshot()
    f = selectors.ProblemFilter(category=zone.river.pk)
    before = selectors.statistics(zone.leader, f)
    report(zone)  # counted by the next snapshot; the page says "as of"
    assert selectors.statistics(zone.leader, f).zone.reported == before.zone.reported
    figures.take_snapshot()
    assert selectors.statistics(zone.leader, f).zone.reported == before.zone.reported + 1


def test_departments_read_their_own_and_other_filters_count_live(zone, problems):
    figures.take_snapshot()
    # A department's reader gets their department's statistics (not those of problems its staff reported
    # elsewhere), from the snapshot.
    department = selectors.statistics(zone.env_reviewer)
    assert department.as_of == MOMENT
    assert department.zone.reported == Problem.objects.filter(department=zone.environment).count()
    assert {row.key for row in department.by_department} == {zone.environment.pk}
    assert as_data(department) == as_data(live(zone.env_reviewer))
    # A period, a state or a search: live.
    for f in (
        selectors.ProblemFilter(reported_from=MOMENT.date() - datetime.timedelta(days=5)),
        selectors.ProblemFilter(status="open"),
        selectors.ProblemFilter(q="垃圾"),
    ):
        assert selectors.statistics(zone.leader, f).as_of is None


def test_a_stale_snapshot_is_not_used(zone, problems, time_machine, settings):
    figures.take_snapshot()
    time_machine.move_to(MOMENT + datetime.timedelta(minutes=2 * settings.OVERVIEW_REFRESH_MINUTES + 1))
    assert selectors.statistics(zone.leader).as_of is None


def test_the_background_refresh_takes_it_and_keeps_the_newest_few(zone, problems):
    for _ in range(figures.KEEP_SNAPSHOTS + 2):
        done = refresh_overview()
    assert done["problem_groups"] > 0
    assert ProblemFigureSnapshot.objects.count() == figures.KEEP_SNAPSHOTS


@pytest.mark.parametrize(
    ("histogram", "median"),
    [({}, None), ({5: 3}, 5.0), ({1: 1, 3: 1}, 2.0), ({1: 2, 10: 1}, 1.0), ({2: 1, 4: 2, 9: 1}, 4.0)],
)
def test_medians_merge_exactly_from_histograms(histogram, median):
    assert figures.median_of(histogram) == median


def test_the_partial_indexes_name_the_states_of_their_lists():
    # The indexes spell the states out (the constants are defined after the model): they must not drift.
    from sciencecity.problems.models import OPEN_STATES, QUEUE_STATES

    indexes = {index.name: index for index in Problem._meta.indexes}
    for name, states in (("problem_queue_idx", QUEUE_STATES), ("problem_open_due_idx", OPEN_STATES)):
        ((lookup, values),) = indexes[name].condition.children
        assert lookup == "status__in" and list(values) == [str(state) for state in states]


def test_a_repeated_reading_is_computed_once(zone, problems, django_assert_max_num_queries):
    figures.take_snapshot()
    first = selectors.statistics(zone.leader)
    with django_assert_max_num_queries(2):  # the newest snapshot's id, the category names
        again = selectors.statistics(zone.leader)
    assert again is first
