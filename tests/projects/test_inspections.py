"""Quality and safety inspections: an inspector's score and findings, each finding a closed-loop problem of
source inspection routed to its department; bad input names the field and saves nothing; on a phone page and
through the API."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from sciencecity.audit.models import AuditEvent
from sciencecity.problems.models import Problem
from sciencecity.projects.models import Inspection
from sciencecity.projects.services import findings, inspections

from .conftest import TODAY
from .test_api import client_of


def finding(site, title="临边防护缺失", description="三层楼板临边未设防护栏杆。"):
    return findings.RaisedProblem(site.category, title, description)


def test_an_inspection_with_findings_opens_problems_of_its_source(site):
    inspection = inspections.record_inspection(
        site.inspector,
        site.project,
        "safety",
        78,
        "脚手架搭设规范,临边防护有缺失。",
        problems=[finding(site)],
    )
    (problem,) = inspection.problems.all()
    assert problem.source == Problem.Source.SAFETY_INSPECTION and problem.project_id == site.project.pk
    assert problem.status == Problem.Status.DISPATCHED and problem.department == site.construction
    assert problem.reporter == site.inspector
    assert inspection.inspected_on == TODAY and inspection.score == 78
    assert AuditEvent.objects.filter(action="projects.record_inspection").count() == 1
    quality = inspections.record_inspection(
        site.inspector, site.project, "quality", 95, "混凝土试块送检及时。"
    )
    assert not quality.problems.exists() and Problem.objects.get().source == "safety_inspection"


def test_bad_inspections_are_refused_and_save_nothing(site):
    with pytest.raises(PermissionDenied):
        inspections.record_inspection(site.specialist, site.project, "safety", 80, "不是检查人员")
    with pytest.raises(ValidationError) as error:
        inspections.record_inspection(
            site.inspector,
            site.project,
            "fire",
            101,
            " ",
            inspected_on=TODAY + datetime.timedelta(days=1),
            problems=[finding(site, title="", description="")],
        )
    assert set(error.value.message_dict) == {
        "kind",
        "score",
        "summary",
        "inspected_on",
        "problems.1.title",
        "problems.1.description",
    }
    assert not Inspection.objects.exists() and not Problem.objects.exists()


def test_the_inspection_page_on_a_phone_and_the_api(site, client):
    url = reverse("projects:inspection", args=[site.project.pk])
    client.force_login(site.specialist)
    assert client.get(url).status_code == 403
    client.force_login(site.inspector)
    assert client.get(url).status_code == 200
    bad = client.post(url, {"kind": "quality", "inspected_on": "2026-11-24", "score": "150", "summary": "x"})
    assert bad.status_code == 400 and not Inspection.objects.exists()
    done = client.post(
        url,
        {
            "kind": "quality",
            "inspected_on": "2026-11-20",
            "score": "86",
            "summary": "钢筋保护层厚度抽检合格率 92%。",
            "problem_1_category": site.category.code,
            "problem_1_title": "保护层不足",
            "problem_1_description": "二层梁底钢筋保护层厚度不足。",
        },
    )
    assert done.status_code == 302
    assert Inspection.objects.get().problems.get().source == Problem.Source.QUALITY_INSPECTION
    page = client.get(reverse("approvals:project", args=[site.project.pk])).content.decode()
    assert "钢筋保护层厚度抽检合格率" in page and url in page

    api = client_of(site.inspector)
    created = api.post(
        f"/api/v1/projects/{site.project.pk}/inspections/",
        {
            "kind": "safety",
            "score": 90,
            "summary": "安全帽佩戴规范",
            "problems": [
                {"category": site.category.code, "title": "配电箱未上锁", "description": "临时配电箱未上锁。"}
            ],
        },
        format="json",
    )
    assert created.status_code == 201 and len(created.json()["problems"]) == 1
    listed = api.get(f"/api/v1/projects/{site.project.pk}/inspections/").json()["results"]
    assert [row["score"] for row in listed] == [90, 86]
    refused = client_of(site.applicant).post(
        f"/api/v1/projects/{site.project.pk}/inspections/",
        {"kind": "safety", "score": 90, "summary": "x"},
        format="json",
    )
    assert refused.status_code == 403
