"""The project file through the API: the schedule, a report with a raised problem, the team and its service
log, the key projects' filters; bad input is a 400 naming the field, and nothing is saved."""

import datetime

from rest_framework.test import APIClient

from sciencecity.api.services import create_token
from sciencecity.projects.models import MonthlyReport, Project
from sciencecity.projects.services import schedule, warnings

from .conftest import plan_year


def client_of(user) -> APIClient:
    client = APIClient(HTTP_ACCEPT_LANGUAGE="zh-hans")
    _token, secret = create_token(user, "test")
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    return client


def test_schedule_reports_and_warnings_through_the_api(team):
    url = f"/api/v1/projects/{team.project.pk}/"
    admin = client_of(team.admin)
    assert admin.post(url + "stages/", {"name": "一期"}, format="json").status_code == 200
    response = admin.post(
        url + "milestones/",
        {"kind": "start", "stage": 1, "planned_on": "2026-03-01", "actual_on": "2026-03-15"},
        format="json",
    )
    assert response.status_code == 200
    rows = response.json()["milestones"]
    assert {
        "kind": "start",
        "name": "开工",
        "stage": 1,
        "planned_on": "2026-03-01",
        "actual_on": "2026-03-15",
        "state": "late",
    } in rows
    bad = admin.post(url + "milestones/", {"kind": "start", "stage": 9}, format="json")
    assert bad.status_code == 400 and "stage" in str(bad.json())
    assert (
        admin.post(
            url + "plans/", {"year": 2026, "category": "continuing", "planned": "24000"}, format="json"
        ).status_code
        == 200
    )

    unit = client_of(team.applicant)
    report = unit.post(
        url + "reports/",
        {
            "month": "2026-11",
            "investment": "1000",
            "progress_percent": 40,
            "progress_text": "主体结构施工",
            "problems": [
                {"category": team.category.code, "title": "临电未通", "description": "临时用电未接通"}
            ],
        },
        format="json",
    )
    assert report.status_code == 201, report.content
    assert report.json()["month"] == "2026-11" and len(report.json()["problems"]) == 1
    wrong = unit.post(
        url + "reports/",
        {"month": "2026-13", "investment": "1", "progress_percent": 1, "progress_text": "x"},
        format="json",
    )
    assert wrong.status_code == 400 and MonthlyReport.objects.count() == 1
    listed = unit.get(url + "reports/").json()["results"]
    assert [row["month"] for row in listed] == ["2026-11"]

    detail = admin.get(url).json()
    assert (
        detail["warning_level"] == "red"
    )  # October and before: no report since the start in March … and lagging
    assert {reason["measure"] for reason in detail["warning_reasons"]} >= {"investment_lag"}
    assert all(reason["text"] for reason in detail["warning_reasons"])


def test_key_project_filters(team):
    Project.objects.filter(pk=team.project.pk).update(phase=Project.Phase.APPROVAL, task_force="科学谷专班")
    schedule.set_milestone(None, team.project, "start", planned_on=datetime.date(2026, 10, 1))
    plan_year(team, "100", category="preparing")
    warnings.refresh([team.project.pk])
    leader = client_of(team.lead)
    ids = lambda query: [row["id"] for row in leader.get(f"/api/v1/projects/?{query}").json()["results"]]  # noqa: E731
    assert ids("warning_level=yellow") == [team.project.pk]
    assert ids("warning_level=red") == []
    assert ids(f"escort_user={team.specialist.pk}") == [team.project.pk]
    assert ids(f"escort_user={team.supervisor.pk}") == []
    assert ids("task_force=科学谷专班&year_category=preparing") == [team.project.pk]
    assert leader.get("/api/v1/projects/?escort_user=-1").status_code == 400
    assert leader.get("/api/v1/projects/?warning_level=purple").status_code == 400


def test_a_raised_problem_with_a_bad_category_is_a_400(team):
    url = f"/api/v1/projects/{team.project.pk}/reports/"
    body = {"month": "2026-11", "investment": "1", "progress_percent": 1, "progress_text": "x"}
    for code in ("\x00", "no-such-category"):
        problems = [{"category": code, "title": "t", "description": "d"}]
        response = client_of(team.applicant).post(url, {**body, "problems": problems}, format="json")
        assert response.status_code == 400 and "category" in str(response.json())
