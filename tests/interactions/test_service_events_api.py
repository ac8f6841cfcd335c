"""Service events through the API: record one, its participants, a demand that opens the enterprise's problem,
the outcome, the cancellation and the register entries; the figures of the demands; filters; errors answer
400, 403, 404 and 409 and change nothing; an enterprise reads its own; a list costs the same for more events."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from sciencecity.interactions.models import EventDemand, Interaction, ServiceEvent
from sciencecity.problems.models import Problem
from sciencecity.problems.services import lifecycle

from .events_world import AHEAD, demand, held_event

pytestmark = pytest.mark.django_db
API = "/api/v1/service-events/"


def api(user) -> APIClient:
    client = APIClient(HTTP_ACCEPT_LANGUAGE="zh-hans")
    if user is not None:
        client.force_authenticate(user)
    return client


def test_an_event_is_recorded_and_read(events):
    answer = api(events.organiser).post(
        API,
        {
            "kind": "matchmaking",
            "title": "产学研对接会",
            "starts_at": "2026-12-02T09:30:00+08:00",
            "place": "科学会堂",
        },
        format="json",
    )
    assert answer.status_code == 201, answer.content
    body = answer.json()
    assert body["number"].startswith("HD2026") and body["department"] == events.science.pk
    assert body["status"] == "scheduled" and body["demands"]["raised"] == 0
    read = api(events.supervisor).get(f"{API}{body['id']}/")
    assert read.status_code == 200 and read.json()["title"] == "产学研对接会"


@pytest.mark.parametrize(
    ("user", "data", "status"),
    [
        ("organiser", {"kind": "party", "title": "x", "starts_at": "2026-12-02T09:30:00+08:00", "place": "x"}, 400),
        ("organiser", {"kind": "dialogue", "title": "x", "starts_at": "2029-12-02T09:30:00+08:00", "place": "x"}, 400),
        ("organiser", {"kind": "dialogue", "title": "x", "starts_at": "2026-12-02T09:30:00+08:00", "place": "x",
                       "department": 999999}, 400),
        ("leader", {"kind": "dialogue", "title": "x", "starts_at": "2026-12-02T09:30:00+08:00", "place": "x"}, 400),
        ("supervisor", {"kind": "dialogue", "title": "x", "starts_at": "2026-12-02T09:30:00+08:00", "place": "x"}, 403),
        ("chip_user", {"kind": "dialogue", "title": "x", "starts_at": "2026-12-02T09:30:00+08:00", "place": "x"}, 403),
        (None, {"kind": "dialogue", "title": "x", "starts_at": "2026-12-02T09:30:00+08:00", "place": "x"}, 401),
    ],
)  # fmt: skip
def test_a_bad_or_refused_event_saves_nothing(events, user, data, status):
    answer = api(getattr(events, user) if user else None).post(API, data, format="json")
    assert answer.status_code == status, answer.content
    assert not ServiceEvent.objects.exists()


def test_participants_demands_outcome_and_register(events):
    event = held_event(events)
    client = api(events.escort)
    url = f"{API}{event.pk}/"
    added = client.post(
        f"{url}participants/",
        {"role": "expert", "name": "王研究员", "institution": "金凤实验室"},
        format="json",
    )
    assert added.status_code == 201 and added.json()["role"] == "expert"
    assert (
        client.post(f"{url}participants/", {"role": "escort", "user": 999999}, format="json").status_code
        == 400
    )
    assert len(client.get(f"{url}participants/").json()) == 5
    raised = client.post(
        f"{url}demands/",
        {
            "enterprise": events.chip.pk,
            "category": "demand-land",
            "title": "扩产用地",
            "description": "需新增用地",
        },
        format="json",
    )
    assert raised.status_code == 201, raised.content
    body = raised.json()
    problem = Problem.objects.get(pk=body["problem"])
    assert body["problem_number"] == problem.number and body["status"] == "dispatched"
    assert body["department"] == "planning" and problem.source == "enterprise_demand"
    assert problem.enterprise == events.chip and not body["overdue"]
    bad = client.post(
        f"{url}demands/",
        {"enterprise": events.outsider.pk, "category": "demand-land", "title": "用地", "description": "用地"},
        format="json",
    )
    assert bad.status_code == 400
    unknown = client.post(
        f"{url}demands/", {"enterprise": events.chip.pk, "category": "nope", "title": "x", "description": "x"}
    )
    assert unknown.status_code == 400 and Problem.objects.count() == 1
    outcome = client.post(f"{url}outcome/", {"summary": "达成合作意向", "agreements": "联合攻关\n人才共引"})
    assert outcome.status_code == 200 and outcome.json()["status"] == "held"
    assert (
        outcome.json()["agreements"] == ["联合攻关", "人才共引"] and outcome.json()["demands"]["raised"] == 1
    )
    assert client.post(f"{url}cancel/", {"reason": "x"}).status_code == 409  # held: too late to cancel
    entered = client.post(
        f"{url}interactions/", {"items": ["enc-consult"], "officials_present": "刘陪跑"}, format="json"
    )
    assert entered.status_code == 201 and len(entered.json()) == 2
    assert Interaction.objects.filter(service_event=event).count() == 2
    again = client.post(
        f"{url}interactions/", {"items": ["enc-consult"], "officials_present": "刘陪跑"}, format="json"
    )
    assert again.status_code == 400


def test_the_demand_figures_and_an_enterprise_reads_its_own(events):
    event = held_event(events)
    closed = demand(events, event)
    demand(events, event, enterprise=events.materials, title="融资需求")
    lifecycle.accept_problem(events.planner, closed.problem)
    lifecycle.rectify_problem(events.planner, closed.problem, "已落实")
    lifecycle.verify_problem(events.escort, closed.problem, True)
    staff = api(events.leader).get(f"{API}{event.pk}/").json()["demands"]
    assert (staff["raised"], staff["closed"], staff["open"], staff["closed_rate"]) == (2, 1, 1, 50.0)
    chip = api(events.chip_user)
    mine = chip.get(f"{API}{event.pk}/").json()["demands"]
    assert (mine["raised"], mine["closed"]) == (1, 1)
    rows = chip.get(f"{API}{event.pk}/demands/").json()
    assert [row["enterprise"] for row in rows] == [events.chip.pk] and rows[0]["status"] == "closed"
    assert chip.get(API).json()["results"][0]["id"] == event.pk
    assert chip.post(f"{API}{event.pk}/outcome/", {"summary": "x"}).status_code == 403
    assert api(events.outsider_user).get(f"{API}{event.pk}/").status_code == 404
    assert api(events.outsider_user).post(f"{API}{event.pk}/demands/", {}).status_code == 404
    assert not api(events.clerk).get(API).json()["results"]
    assert EventDemand.objects.count() == 2


def test_refusals_by_state_and_right(events):
    ahead = (
        api(events.organiser)
        .post(
            API,
            {"kind": "dialogue", "title": "对话会", "starts_at": AHEAD.isoformat(), "place": "科学会堂"},
            format="json",
        )
        .json()
    )
    url = f"{API}{ahead['id']}/"
    assert api(events.organiser).post(f"{url}outcome/", {"summary": "x"}).status_code == 409  # not yet held
    assert api(events.official).post(f"{url}cancel/", {"reason": "x"}).status_code == 403
    assert api(events.organiser).post(f"{url}cancel/", {"reason": ""}).status_code == 400
    assert api(events.organiser).post(f"{url}cancel/", {"reason": "改期"}).status_code == 200
    refused = api(events.organiser).post(
        f"{url}participants/", {"role": "expert", "name": "某", "institution": "某"}, format="json"
    )
    assert refused.status_code == 409 and not ServiceEvent.objects.get().participants.exists()


def test_the_list_filters_and_costs_the_same_for_more_events(events):
    event = held_event(events)
    ahead = (
        api(events.leader)
        .post(
            API,
            {
                "kind": "matchmaking",
                "title": "银企对接会",
                "starts_at": AHEAD.isoformat(),
                "place": "金融中心",
                "department": events.development.pk,
            },
            format="json",
        )
        .json()
    )
    client = api(events.official)

    def ids(query=""):
        return [row["id"] for row in client.get(f"{API}{query}").json()["results"]]

    assert ids() == [ahead["id"], event.pk]
    assert ids("?kind=matchmaking") == [ahead["id"]]
    assert ids(f"?department={events.science.pk}") == [event.pk]
    assert ids("?when=upcoming") == [ahead["id"]]
    assert ids("?since=2026-11-01&until=2026-11-30") == [event.pk]
    assert ids(f"?enterprise={events.chip.pk}") == [event.pk]
    assert ids("?q=银企") == [ahead["id"]]

    def statements():
        with CaptureQueriesContext(connection) as queries:
            answer = client.get(API)
        return len(queries), len(answer.json()["results"])

    few = statements()
    for n in range(3):
        demand(events, held_event(events, title=f"对话会{n}"))
    many = statements()
    assert many[1] > few[1] and many[0] == few[0], (few, many)
