"""The target delivery date in the API: the applicant's date (PUT target-date, with its refusals as field errors),
the window's change (POST target-date-change), the date and its risk in the application's representation, the
`at_risk` and date filters of the list, and the date on the department's tasks."""

import datetime

import pytest

from sciencecity.approvals.models import Application
from tests.approvals.conftest import approve
from tests.approvals.test_target_dates import (
    CONTRACT,
    HANDOVER,
    SATURDAY,
    handover_accepted,
    handover_draft,
)
from tests.factories import staff

pytestmark = pytest.mark.django_db

URL = "/api/v1/applications/"
MOVED = datetime.date(2026, 6, 5)


def url(application, action=""):
    return f"{URL}{application.pk}/" + (f"{action}/" if action else "")


def fields_of(body) -> dict:
    return {error["field"]: error for error in body.get("errors", [])}


def test_the_applicant_names_the_date_through_the_api(world, api):
    client = api(world.applicant)
    application = handover_draft(world, target=None)
    refused = client.put(
        url(application, "target-date"), {"target_date": SATURDAY.isoformat()}, format="json"
    )
    assert refused.status_code == 400, refused.content
    error = fields_of(refused.json())["target_date"]
    assert error["code"] == "not_working_day" and "交地日期" in error["detail"]
    too_early = client.put(url(application, "target-date"), {"target_date": "2026-06-11"}, format="json")
    assert fields_of(too_early.json())["target_date"]["code"] == "too_early"
    malformed = client.put(url(application, "target-date"), {"target_date": "next week"}, format="json")
    assert malformed.status_code == 400 and "target_date" in fields_of(malformed.json())
    saved = client.put(url(application, "target-date"), {"target_date": HANDOVER.isoformat()}, format="json")
    assert saved.status_code == 200, saved.content
    body = saved.json()
    assert (body["target_date"], body["target_date_label"], body["target_risk"]) == (
        "2026-06-22",
        "交地日期",
        "",
    )
    english = api(world.applicant, language="en").get(url(application)).json()
    assert english["target_date_label"] == "Land handover date"
    # The window may not name the applicant's date; another bundle has none to name.
    assert (
        api(world.clerk)
        .put(url(application, "target-date"), {"target_date": None}, format="json")
        .status_code
        == 403
    )


def test_the_window_moves_the_date_and_the_list_filters_those_at_risk(world, api):
    leader = staff("leader", username="leader")
    risky = handover_accepted(world, key="risky")
    approve(world, risky, CONTRACT)
    calm = handover_accepted(world, key="calm")
    window = api(world.clerk)
    no_reason = window.post(
        url(risky, "target-date-change"), {"target_date": MOVED.isoformat()}, format="json"
    )
    assert no_reason.status_code == 400 and "reason" in fields_of(no_reason.json())
    moved = window.post(
        url(risky, "target-date-change"),
        {"target_date": MOVED.isoformat(), "reason": "出让人通知交地提前"},
        format="json",
    )
    assert moved.status_code == 200, moved.content
    body = moved.json()
    assert (body["target_date"], body["target_risk"]) == ("2026-06-05", "late_deadline")
    assert body["target_risk_display"] == "审批期限晚于目标日期"
    assert (
        api(world.applicant)
        .post(url(risky, "target-date-change"), {"target_date": "2026-06-08", "reason": "x"}, format="json")
        .status_code
        == 403
    )
    reader = api(leader)
    listed = reader.get(URL, {"at_risk": "true"}).json()["results"]
    assert [row["id"] for row in listed] == [risky.pk]
    assert listed[0]["target_risk"] == "late_deadline"
    on_track = reader.get(URL, {"at_risk": "false"}).json()["results"]
    assert [row["id"] for row in on_track] == [calm.pk]
    assert [row["id"] for row in reader.get(URL, {"target_date_before": "2026-06-10"}).json()["results"]] == [
        risky.pk
    ]
    every = {row["id"]: row for row in reader.get(URL).json()["results"]}
    assert (every[calm.pk]["target_date"], every[calm.pk]["target_risk"]) == ("2026-06-22", "")
    # The department's tasks carry the date.
    tasks = api(world.reviewer("planning")).get("/api/v1/tasks/").json()["results"]
    assert {task["application"]["target_date"] for task in tasks} == {"2026-06-05", "2026-06-22"}


def test_delivery_before_the_day_is_a_conflict(world, api):
    from tests.approvals.conftest import approve_all

    application = handover_accepted(world)
    approve_all(world, application)
    early = api(world.clerk).post(url(application, "delivery"), {"method": "electronic"}, format="json")
    assert early.status_code == 409, early.content
    assert "2026-06-22" in early.json()["detail"]
    assert Application.objects.get(pk=application.pk).status == Application.Status.CONCLUDED
