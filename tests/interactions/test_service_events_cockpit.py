"""The cockpit's figure of service events: the events held in the period, the demands raised at them and those
closed, each equal to its drill-down list; a scheduled or cancelled event and a problem not raised at an event
are not counted."""

import pytest
from django.urls import reverse

from sciencecity.cockpit import snapshots
from sciencecity.cockpit.periods import parse_period
from sciencecity.cockpit.records import select
from sciencecity.interactions.service_events import services
from sciencecity.problems.services import lifecycle

from .events_world import AHEAD, demand, held_event

pytestmark = pytest.mark.django_db
KEYS = ("service_events_held", "event_demands_raised", "event_demands_closed")


def test_the_figures_count_their_lists(events, client):
    event = held_event(events)
    services.record_outcome(events.organiser, event, summary="达成合作意向。")
    held_event(events, title="未记录成果的对话会")  # took place, outcome not recorded: not counted as held
    services.record_event(
        events.organiser, kind="matchmaking", title="对接会", starts_at=AHEAD, place="科学会堂"
    )
    closed = demand(events, event)
    demand(events, event, enterprise=events.materials, title="融资需求")
    lifecycle.accept_problem(events.planner, closed.problem)
    lifecycle.rectify_problem(events.planner, closed.problem, "已落实")
    lifecycle.verify_problem(events.escort, closed.problem, True)
    other = lifecycle.report_problem(  # a demand raised elsewhere: not an event's
        events.chip_user,
        lifecycle.Report(
            category=events.land,
            title="门口道路",
            description="需协调",
            source="enterprise_demand",
            enterprise=events.chip,
        ),
    )
    counted = snapshots.take_snapshot(parse_period("2026-11")).figures
    assert [counted[key] for key in KEYS] == [1, 2, 1]
    for key in KEYS:
        selection = select(key, "2026-11")
        rows = list(selection.listing.rows(selection.queryset))
        assert selection.measure() == counted[key] == len(rows), key
    assert other.pk not in {p.pk for p in select("event_demands_raised", "2026-11").queryset}
    assert snapshots.take_snapshot(parse_period("2026-10")).figures["service_events_held"] == 0
    client.force_login(events.leader)
    board = client.get(reverse("cockpit:board"), {"period": "2026-11"})
    assert board.status_code == 200 and "惠企服务活动" in board.content.decode()
    page = client.get(reverse("cockpit:records", args=["service_events_held"]), {"period": "2026-11"})
    assert reverse("service_events:detail", args=[event.pk]) in page.content.decode()
