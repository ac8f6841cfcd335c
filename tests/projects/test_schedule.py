"""The project file's schedule: the phase with its dated history, milestones of the project's type (and of each
phase of a multi-phase project), the year's plan — each a service that checks, saves and audits."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import F

from sciencecity.audit.models import AuditEvent
from sciencecity.projects import services
from sciencecity.projects.models import Milestone, PhaseChange, Project
from sciencecity.projects.services import schedule

from .conftest import TODAY


def test_a_phase_change_is_dated_and_may_be_reported_late_but_not_out_of_order(site):
    project = services.register_project(
        site.admin,
        code="2026-500106-47-01-900001",
        name="科学城隧道",
        enterprise=site.enterprise,
        total_investment=Decimal("300000"),
        location="重庆高新区",
    )
    services.change_project_phase(
        site.admin, project, Project.Phase.APPROVAL, on=TODAY - datetime.timedelta(days=30)
    )
    with pytest.raises(ValidationError) as error:
        services.change_project_phase(
            site.admin, project, Project.Phase.STARTED, on=TODAY - datetime.timedelta(days=40)
        )
    assert "on" in error.value.message_dict
    with pytest.raises(ValidationError):
        services.change_project_phase(
            site.admin, project, Project.Phase.STARTED, on=TODAY + datetime.timedelta(days=1)
        )
    services.change_project_phase(site.admin, project, Project.Phase.STARTED, note="开工仪式")

    history = PhaseChange.objects.filter(project=project).order_by("id")
    assert list(history.values_list("from_phase", "to_phase", "changed_on", "note")) == [
        ("", "signed", TODAY, ""),  # entered the registry today, signed
        (
            "signed",
            "approval",
            TODAY - datetime.timedelta(days=30),
            "",
        ),  # reported late, dated as it happened
        ("approval", "started", TODAY, "开工仪式"),
    ]


def test_milestones_follow_the_project_type_and_each_phase_has_its_own(site):
    first = schedule.add_stage(site.admin, site.project, "一期")
    second = schedule.add_stage(site.admin, site.project, "二期")
    assert (first.number, second.number) == (1, 2)
    with pytest.raises(ValidationError):
        schedule.add_stage(site.admin, site.project, "一期")  # the same name twice

    schedule.set_milestone(site.admin, site.project, "start", planned_on=datetime.date(2026, 3, 1))
    schedule.set_milestone(
        site.applicant, site.project, "start", stage=second, planned_on=datetime.date(2027, 5, 1)
    )
    schedule.set_milestone(
        site.admin, site.project, "start", stage=first, planned_on=datetime.date(2026, 3, 1), actual_on=TODAY
    )
    # The project's own milestone (no phase) first, on SQLite and PostgreSQL alike (nulls sort differently).
    rows = Milestone.objects.filter(project=site.project).order_by(F("stage__number").asc(nulls_first=True))
    assert [(m.stage and m.stage.number, m.kind.code, m.planned_on) for m in rows] == [
        (None, "start", datetime.date(2026, 3, 1)),
        (1, "start", datetime.date(2026, 3, 1)),
        (2, "start", datetime.date(2027, 5, 1)),
    ]

    with pytest.raises(ValidationError) as error:
        schedule.set_milestone(
            site.admin, site.project, "breakthrough"
        )  # a road's milestone, not a building's
    assert error.value.message_dict["kind"][0].startswith("“breakthrough”不是该类项目的里程碑")
    with pytest.raises(ValidationError):
        schedule.set_milestone(
            site.admin, site.project, "start", actual_on=TODAY + datetime.timedelta(days=1)
        )
    with pytest.raises(PermissionDenied):
        schedule.set_milestone(site.stranger, site.project, "start", planned_on=TODAY)


def test_a_linear_project_tracks_its_own_milestones(site):
    road = schedule.ensure_type("linear")
    project = services.update_project(site.admin, site.project, project_type=road)
    codes = [kind.code for kind in schedule.milestone_kinds(project)]
    assert codes == ["land", "start", "breakthrough", "acceptance", "operation"]
    schedule.set_milestone(site.admin, project, "breakthrough", planned_on=datetime.date(2027, 6, 30))


def test_the_year_plan_is_checked_and_counts_what_was_reported_before_it(site):
    from sciencecity.projects.services import reports

    reports.submit_report(
        site.applicant,
        site.project,
        datetime.date(2026, 10, 1),
        investment=Decimal("1500"),
        progress_percent=40,
        progress_text="主体结构施工至第 8 层",
    )
    plan = schedule.set_plan(site.admin, site.project, 2026, "continuing", Decimal("24000"), "主体封顶")
    assert plan.completed == Decimal("1500") and plan.completion_percent == 6.2

    with pytest.raises(ValidationError) as error:
        schedule.set_plan(site.admin, site.project, 2026, "unknown", Decimal("-1"))
    assert set(error.value.message_dict) == {"category", "planned"}
    with pytest.raises(ValidationError) as error:
        schedule.set_plan(site.admin, site.project, 2026, "new", Decimal("999999"))
    assert "不能超过项目总投资" in error.value.message_dict["planned"][0]
    assert AuditEvent.objects.filter(action="projects.set_plan").count() == 1


def test_an_applicant_cannot_name_the_task_force(site):
    with pytest.raises(PermissionDenied):
        services.update_project(site.applicant, site.project, task_force="科学谷专班")
    services.update_project(site.admin, site.project, task_force="科学谷专班")
    assert Project.objects.get(pk=site.project.pk).task_force == "科学谷专班"


def test_prior_investment_counts_in_the_investment_to_date(site):
    services.update_project(site.admin, site.project, prior_investment=Decimal("30000"))
    project = Project.objects.get(pk=site.project.pk)
    assert project.investment_to_date == Decimal("30000")
    services.update_project(site.admin, project, prior_investment=Decimal("25000"))
    assert Project.objects.get(pk=site.project.pk).investment_to_date == Decimal("25000")
