"""Problems through the API: reporting (JSON and multipart with photos), the lists and their filters, every
action of the lifecycle, the refusals (400, 403, 404, 409) and the statistics."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from sciencecity.api.services import create_token
from sciencecity.problems.models import Problem

from .conftest import jpeg, report

S = Problem.Status


@pytest.fixture
def api():
    def client_for(user):
        client = APIClient(HTTP_ACCEPT_LANGUAGE="zh-hans")
        _, secret = create_token(user, "test")
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
        return client

    return client_for


def body(zone, **extra):
    lat, lon = zone.inside
    return {
        "category": "river",
        "title": "河面漂浮垃圾",
        "description": "桥下垃圾",
        "latitude": lat,
        "longitude": lon,
        **extra,
    }


def test_report_with_photos_and_follow_it_through_the_loop(api, zone):
    inspector = api(zone.inspector)
    response = inspector.post(
        "/api/v1/problems/",
        {**body(zone, source="river_patrol"), "photos": [jpeg(), jpeg()]},
        format="multipart",
    )
    assert response.status_code == 201, response.json()
    problem = response.json()
    assert problem["status"] == "dispatched" and problem["department"]["code"] == "env"
    assert len(problem["photos"]) == 2 and problem["light"] == "green"
    pk = problem["id"]
    reviewer = api(zone.env_reviewer)
    assert "accept" in reviewer.get(f"/api/v1/problems/{pk}/").json()["actions"]
    assert reviewer.post(f"/api/v1/problems/{pk}/accept/", {}, format="json").json()["status"] == "rectifying"
    # The department's rectification needs its evidence photos.
    refused = reviewer.post(f"/api/v1/problems/{pk}/rectify/", {"note": "已清理"}, format="multipart")
    assert refused.status_code == 400
    done = reviewer.post(
        f"/api/v1/problems/{pk}/rectify/", {"note": "已清理", "photos": [jpeg()]}, format="multipart"
    )
    assert done.json()["status"] == "rectified"
    verdict = inspector.post(
        f"/api/v1/problems/{pk}/verify/", {"passed": False, "note": "仍有垃圾"}, format="json"
    )
    assert verdict.json()["status"] == "rectifying" and verdict.json()["rework_count"] == 1
    reviewer.post(
        f"/api/v1/problems/{pk}/rectify/", {"note": "已全部清理", "photos": [jpeg()]}, format="multipart"
    )
    closed = inspector.post(f"/api/v1/problems/{pk}/verify/", {"passed": True}, format="json").json()
    assert closed["status"] == "closed" and closed["closed_on_time"] is True
    assert [e["action"] for e in closed["events"]][-1] == "pass"


def test_refusals(api, zone):
    problem = report(zone)
    other = api(zone.build_reviewer)
    assert other.get(f"/api/v1/problems/{problem.pk}/").status_code == 404
    reviewer = api(zone.env_reviewer)
    wrong_state = reviewer.post(f"/api/v1/problems/{problem.pk}/rectify/", {"note": "x"}, format="json")
    assert wrong_state.status_code == 409
    assert (
        api(zone.dispatcher).post(f"/api/v1/problems/{problem.pk}/accept/", {}, format="json").status_code
        == 403
    )
    citizen = api(zone.citizen)
    assert citizen.post("/api/v1/problems/", body(zone, category="nope"), format="json").status_code == 400
    outside = citizen.post("/api/v1/problems/", body(zone, latitude=31.0, longitude=108.0), format="json")
    assert outside.status_code == 400
    not_image = SimpleUploadedFile("a.jpg", b"GIF89a-nope", content_type="image/jpeg")
    assert (
        citizen.post(
            "/api/v1/problems/", {**body(zone), "photos": [not_image]}, format="multipart"
        ).status_code
        == 400
    )
    assert Problem.objects.count() == 1


def test_lists_filters_and_statistics(api, zone):
    a = report(zone)
    report(zone, point=zone.points[zone.second])
    waiting = report(zone, category=zone.unrouted)
    leader = api(zone.leader)
    assert {
        p["number"] for p in leader.get("/api/v1/problems/", {"department": "env"}).json()["results"]
    } == {a.number}
    assert [p["id"] for p in leader.get("/api/v1/problems/", {"status": "reported"}).json()["results"]] == [
        waiting.pk
    ]
    assert leader.get("/api/v1/problems/", {"light": "green"}).json()["results"]
    assert leader.get("/api/v1/problems/", {"q": a.number}).json()["results"][0]["id"] == a.pk
    mine = api(zone.citizen).get("/api/v1/problems/", {"mine": True}).json()["results"]
    assert len(mine) == 3
    stats = leader.get("/api/v1/problem-statistics/").json()
    assert stats["zone"]["reported"] == 3 and stats["zone"]["open"] == 3
    assert {row["key"] for row in stats["by_category"]} == {zone.river.pk, zone.unrouted.pk}
    categories = api(zone.citizen).get("/api/v1/problem-categories/").json()
    assert {c["code"] for c in categories} >= {"river", "site-safety"}


def test_dispatch_split_merge_dismiss(api, zone):
    first, second, third, fourth = (report(zone, category=zone.unrouted) for _ in range(4))
    dispatcher = api(zone.dispatcher)
    assert (
        dispatcher.post(
            f"/api/v1/problems/{first.pk}/dispatch/", {"department": "env"}, format="json"
        ).json()["status"]
        == "dispatched"
    )
    merged = dispatcher.post(f"/api/v1/problems/{second.pk}/merge/", {"into": first.number}, format="json")
    assert merged.json()["status"] == "merged" and merged.json()["merged_into"] == first.pk
    parts = {"parts": [{"title": "排污口", "department": "env"}, {"title": "渣土", "department": "build"}]}
    split = dispatcher.post(f"/api/v1/problems/{third.pk}/split/", parts, format="json")
    assert split.status_code == 201 and [c["parent"] for c in split.json()] == [third.pk, third.pk]
    assert (
        dispatcher.post(f"/api/v1/problems/{fourth.pk}/dismiss/", {"note": ""}, format="json").status_code
        == 400
    )
    assert (
        dispatcher.post(f"/api/v1/problems/{fourth.pk}/dismiss/", {"note": "重复举报"}, format="json").json()[
            "status"
        ]
        == "dismissed"
    )


def test_statistics_need_the_permission_to_read_problems_and_json_nesting_is_bounded(api, zone):
    """As the statistics page: a citizen's account (no role) gets 403. The problem endpoints parse JSON with
    the API's bounded parser: a body nested a thousand deep is a 400, not a RecursionError."""
    citizen = api(zone.citizen)
    assert citizen.get("/api/v1/problem-statistics/").status_code == 403
    assert api(zone.env_reviewer).get("/api/v1/problem-statistics/").status_code == 200
    nested = "[" * 1000 + "]" * 1000
    response = citizen.post("/api/v1/problems/", nested, content_type="application/json")
    assert response.status_code == 400


def test_open_filter_both_ways(api, zone):
    from sciencecity.problems.services import lifecycle

    waiting = report(zone, category=zone.unrouted)
    done = report(zone, category=zone.unrouted)
    lifecycle.dismiss_problem(zone.dispatcher, done, "重复举报")
    leader = api(zone.leader)
    assert [p["id"] for p in leader.get("/api/v1/problems/", {"open": "true"}).json()["results"]] == [
        waiting.pk
    ]
    assert [p["id"] for p in leader.get("/api/v1/problems/", {"open": "false"}).json()["results"]] == [
        done.pk
    ]
