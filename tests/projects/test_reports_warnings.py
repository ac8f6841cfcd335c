"""Monthly reports and the red / yellow / green warnings: each rule on its own, the worst colour wins, the
reasons are worded in the reader's language, the report day's reminders and warnings are sent once."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import translation

from sciencecity.notifications.models import Notification
from sciencecity.problems.models import Problem
from sciencecity.projects import notices
from sciencecity.projects.models import InvestmentPlan, MonthlyReport, Project, WarningRule
from sciencecity.projects.services import reports, schedule, warnings

from .conftest import plan_year

SHANGHAI = datetime.timezone(datetime.timedelta(hours=8))


def on(time_machine, day):
    time_machine.move_to(datetime.datetime.combine(day, datetime.time(9), tzinfo=SHANGHAI), tick=False)


def report(site, month, investment="2000", percent=50, **kwargs):
    return reports.submit_report(
        site.applicant,
        site.project,
        month,
        investment=Decimal(investment),
        progress_percent=percent,
        progress_text=kwargs.pop("text", "主体结构施工"),
        workforce=kwargs.pop("workforce", 320),
        **kwargs,
    )


def fresh(project):
    return Project.objects.get(pk=project.pk)


def test_a_report_adds_to_the_plan_and_to_date_and_its_problems_enter_the_loop(site):
    plan_year(site, "24000")
    first = report(site, datetime.date(2026, 10, 1), "2000", 45)
    raised = reports.RaisedProblem(site.category, "塔吊基础验收等待", "塔吊基础验收排期两周未安排。")
    second = report(site, datetime.date(2026, 11, 1), "2500", 52, problems=[raised])
    assert (first.is_late, second.is_late) == (True, False)  # October's was due on 2026-10-25
    plan = InvestmentPlan.objects.get(project=site.project, year=2026)
    assert plan.completed == Decimal("4500") and fresh(site.project).investment_to_date == Decimal("4500")
    (problem,) = second.problems.all()
    assert problem.source == Problem.Source.PROJECT_REPORT and problem.project_id == site.project.pk
    assert problem.status == Problem.Status.DISPATCHED and problem.department == site.construction

    # Corrected before its report day: the totals follow the new figure.
    report(site, datetime.date(2026, 11, 1), "3000", 55)
    assert InvestmentPlan.objects.get(project=site.project, year=2026).completed == Decimal("5000")
    assert MonthlyReport.objects.filter(project=site.project).count() == 2


def test_bad_reports_are_refused_and_save_nothing(site, time_machine):
    report(site, datetime.date(2026, 10, 1), "2000", 45)
    with pytest.raises(ValidationError) as error:
        reports.submit_report(
            site.applicant,
            site.project,
            datetime.date(2026, 12, 1),
            investment=Decimal("-1"),
            progress_percent=120,
            progress_text=" ",
            workforce=-3,
        )
    assert set(error.value.message_dict) == {
        "month",
        "investment",
        "progress_percent",
        "progress_text",
        "workforce",
    }
    with pytest.raises(ValidationError) as error:
        report(site, datetime.date(2026, 11, 1), "100", 30)  # progress cannot go back
    assert "不能低于上月" in error.value.message_dict["progress_percent"][0]
    with pytest.raises(ValidationError) as error:
        report(site, datetime.date(2026, 10, 1), "100", 46)  # October's report day has passed
    assert "不能再修改" in error.value.message_dict["month"][0]
    bad = reports.RaisedProblem(site.category, "", "")
    with pytest.raises(ValidationError) as error:
        report(site, datetime.date(2026, 11, 1), "100", 50, problems=[bad])
    assert {"problems.1.title", "problems.1.description"} <= set(error.value.message_dict)
    with pytest.raises(PermissionDenied):
        reports.submit_report(
            site.stranger,
            site.project,
            datetime.date(2026, 11, 1),
            investment=1,
            progress_percent=50,
            progress_text="x",
        )
    assert MonthlyReport.objects.filter(project=site.project).count() == 1
    assert not Problem.objects.exists()
    assert InvestmentPlan.objects.filter(project=site.project).count() == 0


@pytest.mark.parametrize(
    "planned_start, colour",
    [
        (datetime.date(2026, 12, 1), "green"),
        (datetime.date(2026, 10, 1), "yellow"),
        (datetime.date(2026, 6, 1), "red"),
    ],
)
def test_a_late_start_is_yellow_and_after_three_months_red(site, planned_start, colour):
    Project.objects.filter(pk=site.project.pk).update(phase=Project.Phase.APPROVAL)
    schedule.set_milestone(None, site.project, "start", planned_on=planned_start)
    warnings.refresh([site.project.pk])
    project = fresh(site.project)
    assert project.warning_level == colour
    if colour != "green":
        (reason,) = project.warning_reasons
        assert reason["measure"] == "start_delay" and reason["planned"] == planned_start.isoformat()


@pytest.mark.parametrize("completed, colour", [("18000", "green"), ("12000", "yellow"), ("9000", "red")])
def test_investment_behind_the_time_schedule(site, completed, colour):
    # On 2026-11-24 the last month due is October: the time schedule stands at 10/12 = 83.3 %.
    plan_year(site, "20000")
    MonthlyReport.objects.create(
        project=site.project,
        month=datetime.date(2026, 10, 1),
        investment=0,
        progress_percent=50,
        progress_text="x",
    )
    InvestmentPlan.objects.filter(project=site.project).update(completed=Decimal(completed))
    warnings.refresh([site.project.pk])
    project = fresh(site.project)
    assert project.warning_level == colour
    if colour != "green":
        (reason,) = project.warning_reasons
        assert reason["measure"] == "investment_lag" and reason["schedule"] == "83.3"


def test_a_missing_report_and_an_overdue_problem_are_yellow_and_the_worst_colour_wins(site, time_machine):
    plan_year(site, "20000")
    report(site, datetime.date(2026, 10, 1), "17000", 60)
    on(time_machine, datetime.date(2026, 11, 26))  # November's report day has passed
    warnings.refresh([site.project.pk])
    project = fresh(site.project)
    assert project.warning_level == "yellow"
    assert [reason["measure"] for reason in project.warning_reasons] == ["report_missing"]
    assert project.warning_reasons[0]["value"] == "1"

    Problem.objects.create(
        number="WT20260000099",
        title="逾期问题",
        description="x",
        category=site.category,
        source="supervision",
        status="rectifying",
        project=site.project,
        due_date=datetime.date(2026, 11, 20),
        follow_up_code="ABCDEFGH",
    )
    schedule.set_milestone(None, site.project, "start", planned_on=datetime.date(2026, 5, 1))
    warnings.refresh([site.project.pk])
    project = fresh(site.project)
    assert project.warning_level == "red"
    assert [reason["measure"] for reason in project.warning_reasons] == [
        "start_delay",
        "report_missing",
        "overdue_problem",
    ]

    with translation.override("en"):
        texts = [reason["text"] for reason in warnings.reasons_of(project)]
    assert texts[2] == "1 problem(s) overdue and not closed"
    assert "未报送" in warnings.reasons_of(project)[1]["text"]


def test_rules_are_data(site):
    Project.objects.filter(pk=site.project.pk).update(phase=Project.Phase.APPROVAL)
    schedule.set_milestone(None, site.project, "start", planned_on=datetime.date(2026, 10, 1))
    WarningRule.objects.filter(measure="start_delay").update(red_from=Decimal("1"))
    warnings.refresh([site.project.pk])
    assert fresh(site.project).warning_level == "red"
    WarningRule.objects.filter(measure="start_delay").update(is_active=False)
    warnings.refresh([site.project.pk])
    assert fresh(site.project).warning_level == "green" and fresh(site.project).warning_reasons == []
    with pytest.raises(ValidationError):
        WarningRule(measure="investment_lag", yellow_from=30, red_from=10).full_clean()


def test_a_refresh_writes_and_audits_only_what_changed(site):
    from sciencecity.audit.models import AuditEvent

    Project.objects.filter(pk=site.project.pk).update(phase=Project.Phase.APPROVAL)
    schedule.set_milestone(None, site.project, "start", planned_on=datetime.date(2026, 10, 1))
    first = warnings.refresh()
    second = warnings.refresh()
    assert first["changed"] == 1 and second["changed"] == 0 and second["yellow"] == 1
    assert AuditEvent.objects.filter(action="projects.warn").count() == 1


def test_the_report_day_reminds_then_warns_once(team, time_machine):
    on(time_machine, datetime.date(2026, 11, 20))
    assert notices.daily_duty()["reminded"] == 0  # five days before: not yet
    on(time_machine, datetime.date(2026, 11, 22))
    assert notices.daily_duty()["reminded"] == 1
    assert notices.daily_duty()["reminded"] == 0  # the same day again: nothing twice
    on(time_machine, datetime.date(2026, 11, 26))
    summary = notices.daily_duty()
    assert summary["late"] == 2  # the unit's applicant and the escort lead
    assert fresh(team.project).warning_level == "yellow"
    late = Notification.objects.get(kind="project_report_missing", recipient=team.lead)
    assert late.about == team.project
    on(time_machine, datetime.date(2026, 11, 27))
    assert notices.daily_duty()["late"] == 0

    report(team, datetime.date(2026, 11, 1), "2000", 40)  # reported late: the colour clears at once
    project = fresh(team.project)
    assert project.warning_level == "green" and MonthlyReport.objects.get(project=project).is_late
