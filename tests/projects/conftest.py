"""A key project under construction with its people: the enterprise's applicant, an escort lead and a service
specialist, a party-building instructor, a supervisor, an administrator; a problem category routed to the
construction department. The clock stands on 2026-11-24 (the suite's day) unless a test moves it."""

import datetime
from decimal import Decimal
from types import SimpleNamespace

import pytest

from sciencecity.problems.models import ProblemCategory, RoutingRule
from sciencecity.projects import services
from sciencecity.projects.models import Project
from sciencecity.projects.services import escort, schedule
from tests.factories import DepartmentFactory, EnterpriseFactory, ProjectFactory, UserFactory, staff

TODAY = datetime.date(2026, 11, 24)


@pytest.fixture
def site(db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.PROJECT_REPORT_DAY = 25
    construction = DepartmentFactory(code="build", name="建设局")
    development = DepartmentFactory(code="development", name="发展改革局")
    category = ProblemCategory.objects.create(
        code="site-issue", name="项目建设问题", name_en="Project construction issue", deadline_days=5
    )
    RoutingRule.objects.create(category=category, area="", department=construction)
    enterprise = EnterpriseFactory(name="重庆科学谷建设有限公司")
    other = EnterpriseFactory(name="另一家企业")
    project = ProjectFactory(
        enterprise=enterprise,
        name="科学谷一期",
        is_key=True,
        phase=Project.Phase.UNDER_CONSTRUCTION,
        total_investment=Decimal("120000"),
    )
    world = SimpleNamespace(
        construction=construction,
        development=development,
        category=category,
        enterprise=enterprise,
        other=other,
        project=project,
        applicant=UserFactory(username="unit", enterprise=enterprise, roles=["applicant"]),
        stranger=UserFactory(username="stranger", enterprise=other, roles=["applicant"]),
        lead=staff("leader", username="lead"),
        specialist=staff("project_specialist", development, username="specialist"),
        other_specialist=staff("project_specialist", development, username="other-specialist"),
        instructor=staff("party_officer", username="instructor"),
        supervisor=staff("supervisor", username="supervisor"),
        inspector=staff("inspector", username="inspector"),
        admin=staff("administrator", username="admin"),
        builder=staff("department_reviewer", construction, username="builder"),
    )
    return world


@pytest.fixture
def team(site):
    escort.set_member(site.admin, site.project, site.lead, "lead", "常务副主任,牵头协调")
    escort.set_member(site.admin, site.project, site.specialist, "specialist", "审批代办")
    escort.set_member(site.admin, site.project, site.instructor, "instructor")
    return site


def plan_year(site, planned="24000", year=2026, category="continuing"):
    return schedule.set_plan(None, site.project, year, category, Decimal(planned))


__all__ = ["TODAY", "plan_year", "services"]
