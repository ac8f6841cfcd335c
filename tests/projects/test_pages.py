"""The key projects' pages: the list by colour, the project file on the staff's and the enterprise's project
pages, the monthly report and the service log on a phone-sized form, help-and-do from the project page to the
draft, and the project file's actions — in Chinese and in English, refusals as messages, nothing saved."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from sciencecity.problems.models import Problem
from sciencecity.projects.models import EscortMember, MonthlyReport, Project, ServiceLog
from sciencecity.projects.services import escort, schedule, warnings

from .conftest import plan_year


def signed_in(client, user):
    client.force_login(user)
    return client


def staff_page(project):
    return reverse("approvals:project", args=[project.pk])


def test_the_list_shows_each_key_project_with_its_colour_and_reasons(team, client):
    Project.objects.filter(pk=team.project.pk).update(phase=Project.Phase.APPROVAL, task_force="科学谷专班")
    schedule.set_milestone(None, team.project, "start", planned_on=datetime.date(2026, 5, 1))
    warnings.refresh([team.project.pk])
    page = signed_in(client, team.lead).get(reverse("projects:key_projects"))
    text = page.content.decode()
    assert page.status_code == 200 and "科学谷一期" in text and "计划 2026-05-01 开工" in text
    assert "light red" in text
    mine = client.get(reverse("projects:key_projects"), {"mine": "on", "level": "yellow"})
    assert "科学谷一期" not in mine.content.decode()  # it is red
    assert client.get(reverse("projects:key_projects"), {"task_force": "科学谷专班"}).status_code == 200
    # Enterprises do not read the zone's list.
    client.force_login(team.applicant)
    assert client.get(reverse("projects:key_projects")).status_code == 403


def test_the_staff_page_shows_the_file_and_the_team_may_act(team, client):
    schedule.set_milestone(
        None,
        team.project,
        "start",
        planned_on=datetime.date(2026, 3, 1),
        actual_on=datetime.date(2026, 3, 20),
    )
    plan_year(team, "24000")
    page = signed_in(client, team.specialist).get(staff_page(team.project))
    text = page.content.decode()
    assert page.status_code == 200
    for words in (
        "进度计划",
        "“1+N+5”护航",
        "服务专员",
        "月报",
        "项目问题",
        'id="project-timeline-data"',
        "延期完成",
    ):
        assert words in text, words
    assert reverse("projects:service", args=[team.project.pk]) in text
    assert reverse("approvals:help_prepare", args=[team.project.pk]) not in text  # no consent yet

    with_english = client.get(staff_page(team.project), HTTP_ACCEPT_LANGUAGE="en")
    client.cookies["django_language"] = "en"
    english = client.get(staff_page(team.project)).content.decode()
    assert (
        with_english.status_code == 200 and "Escort service record" in english and "Planned date" in english
    )


def test_the_enterprise_consents_and_reports_on_its_page(team, client):
    signed_in(client, team.applicant)
    page = client.get(reverse("approvals:portal_project", args=[team.project.pk])).content.decode()
    assert reverse("projects:consent", args=[team.project.pk]) in page
    assert reverse("projects:report", args=[team.project.pk]) in page
    response = client.post(reverse("projects:consent", args=[team.project.pk]), {"scope": "开工一件事"})
    assert response.status_code == 302 and escort.consent_in_force(team.project) is not None

    form = client.get(reverse("projects:report", args=[team.project.pk]))
    assert form.status_code == 200 and 'type="month"' in form.content.decode()
    bad = client.post(
        reverse("projects:report", args=[team.project.pk]),
        {"month": "2026-11", "investment": "-5", "progress_percent": "150", "progress_text": ""},
    )
    assert bad.status_code == 400 and not MonthlyReport.objects.exists()
    half = client.post(
        reverse("projects:report", args=[team.project.pk]),
        {
            "month": "2026-11",
            "investment": "1800",
            "progress_percent": "48",
            "progress_text": "主体结构施工至 12 层",
            "workforce": "260",
            "problem_1_title": "塔吊验收排期慢",
        },
    )
    assert half.status_code == 400 and "请选择问题类别" in half.content.decode()
    assert not MonthlyReport.objects.exists()
    done = client.post(
        reverse("projects:report", args=[team.project.pk]),
        {
            "month": "2026-11",
            "investment": "1800",
            "progress_percent": "48",
            "progress_text": "主体结构施工至 12 层",
            "workforce": "260",
            "problem_1_category": team.category.code,
            "problem_1_title": "塔吊验收排期慢",
            "problem_1_description": "塔吊基础验收两周未排期。",
        },
    )
    assert done.status_code == 302
    report = MonthlyReport.objects.get(project=team.project)
    assert (
        report.investment == Decimal("1800") and report.problems.get().source == Problem.Source.PROJECT_REPORT
    )
    # The enterprise evaluates the escort; it cannot log a team's service.
    evaluation = client.post(
        reverse("projects:service", args=[team.project.pk]),
        {"kind": "evaluation", "served_on": "2026-11-24", "note": "响应快", "score": "5"},
    )
    assert evaluation.status_code == 302
    visit = client.post(
        reverse("projects:service", args=[team.project.pk]),
        {"kind": "visit", "served_on": "2026-11-24", "note": "冒充走访"},
    )
    assert visit.status_code == 400
    assert list(ServiceLog.objects.values_list("kind", flat=True)) == ["evaluation"]


def test_help_and_do_from_the_project_page_to_the_draft(team, client, settings):
    escort.grant_consent(team.applicant, team.project, "开工一件事")
    signed_in(client, team.specialist)
    page = client.get(staff_page(team.project)).content.decode()
    url = reverse("approvals:help_prepare", args=[team.project.pk])
    assert url in page
    form = client.get(url)
    # The test zone has no catalog in force: the page says so by offering nothing, and a POST is refused.
    assert form.status_code == 200
    assert client.post(url, {"bundle": "1"}).status_code == 400


def test_actions_of_the_file_refuse_with_a_message_and_save_nothing(team, client):
    signed_in(client, team.builder)  # a reviewer: may not change the plan, nor form the team
    response = client.post(
        reverse("projects:milestone", args=[team.project.pk]), {"kind": "start", "planned_on": "2026-12-01"}
    )
    assert response.status_code == 302
    assert not team.project.milestones.exists()
    response = client.post(
        reverse("projects:member", args=[team.project.pk]),
        {"user": team.builder.pk, "role": "specialist"},
        follow=True,
    )
    assert "您没有组建护航团队的权限" in response.content.decode()
    assert not EscortMember.objects.filter(user=team.builder).exists()
    signed_in(client, team.lead)  # a leader forms teams
    client.post(
        reverse("projects:member", args=[team.project.pk]),
        {"user": team.builder.pk, "role": "specialist", "duty": "施工许可"},
    )
    assert EscortMember.objects.filter(user=team.builder, role="specialist").exists()
    signed_in(client, team.admin)
    client.post(
        reverse("projects:milestone", args=[team.project.pk]), {"kind": "start", "planned_on": "2026-12-01"}
    )
    assert team.project.milestones.get().planned_on == datetime.date(2026, 12, 1)
    # A GET of an action's address shows the project page.
    assert client.get(reverse("projects:milestone", args=[team.project.pk])).status_code == 302


@pytest.mark.parametrize("name", ["report", "service"])
def test_strangers_get_404(team, client, name):
    other = Project.objects.create(
        code="2026-500106-47-01-777777",
        name="别家项目",
        enterprise=team.other,
        total_investment=1,
        location="x",
    )
    signed_in(client, team.applicant)
    assert client.get(reverse(f"projects:{name}", args=[other.pk])).status_code == 404


def test_date_fields_are_prefilled_in_iso_form_in_chinese(team, client):
    """An <input type="date"> shows only YYYY-MM-DD: Django's zh-Hans input format (2026/11/24) left it blank."""
    page = signed_in(client, team.specialist).get(reverse("projects:service", args=[team.project.pk]))
    assert 'type="date"' in page.content.decode() and 'value="2026-11-24"' in page.content.decode()


def test_the_report_form_says_last_months_progress(team, client):
    MonthlyReport.objects.create(
        project=team.project,
        month=datetime.date(2026, 10, 1),
        investment=Decimal("100"),
        progress_percent=45,
        progress_text="主体施工",
    )
    page = signed_in(client, team.applicant).get(reverse("projects:report", args=[team.project.pk]))
    assert "2026-10 为 45%,本月不能低于此值" in page.content.decode()
