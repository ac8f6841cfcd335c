"""Outcomes from the platform's own records: a team linked to a problem category and a project counts the
problems reported in its links, those closed on time and those overdue, the projects it serves and their
warning colours; every figure equals the length of its drill-down list; an organization reaches the
problems of its organ's department, an instructor the projects they escort."""

import datetime
import zoneinfo

import pytest

from sciencecity.partybuilding import outcomes
from sciencecity.partybuilding.models import Organization
from sciencecity.partybuilding.services import organizations, teams
from sciencecity.problems.services import lifecycle
from sciencecity.projects.models import EscortMember, Project
from sciencecity.projects.services import escort
from tests.factories import ProjectFactory, UserFactory
from tests.problems.conftest import jpeg, report, zone  # noqa: F401 - the problems' zone fixture

from .conftest import K, S

MOMENT = datetime.datetime(2026, 11, 18, 10, 0, tzinfo=zoneinfo.ZoneInfo("Asia/Shanghai"))


@pytest.fixture
def served(zone, time_machine):  # noqa: F811 - the fixture imported above
    root = organizations.found(None, None, name="科学城党工委", kind=K.WORKING_COMMITTEE, sector=S.ORGAN)
    branch = organizations.found(
        None, root, name="生态环境局机关党支部", kind=K.BRANCH, sector=S.ORGAN, department=zone.environment
    )
    team = teams.form_team(None, root, name="梁滩河护河红岩先锋队", mission="河道问题闭环")
    teams.link(None, team, "category", zone.river)
    red = ProjectFactory(enterprise=zone.enterprise, is_key=True, warning_level="red")
    teams.link(None, team, "project", red)
    ProjectFactory(
        enterprise=zone.enterprise, is_key=False
    )  # not linked: counted only through an enterprise link
    time_machine.move_to(MOMENT - datetime.timedelta(days=40), tick=False)
    late = report(zone)
    closed = report(zone)
    lifecycle.accept_problem(zone.env_reviewer, closed)
    lifecycle.rectify_problem(zone.env_reviewer, closed, "已清理", [jpeg()])
    lifecycle.verify_problem(zone.inspector, closed, True)
    report(zone, category=zone.site)  # another category, outside the team's links
    time_machine.move_to(MOMENT, tick=False)
    return {"root": root, "branch": branch, "team": team, "red": red, "late": late, "closed": closed}


def test_a_team_counts_what_its_links_reach_and_each_figure_is_its_list(served):
    reach = outcomes.reach_of_team(served["team"])
    result = outcomes.outcomes(reach, 2026)
    assert result.counts["projects"] == 1 and result.counts["projects_red"] == 1
    assert result.counts["problems"] == 2  # the river problems; the site-safety one is not the team's
    assert result.counts["problems_closed"] == 1 and result.counts["problems_on_time"] == 1
    assert result.counts["problems_overdue"] == 1 and result.problems_on_time_rate == 100.0
    for figure, value in result.figures():
        assert outcomes.rows(reach, figure.key, 2026).count() == value, figure.key
    assert {p.pk for p in outcomes.rows(reach, "problems_overdue", 2026)} == {served["late"].pk}
    assert outcomes.outcomes(reach, 2025).counts["problems"] == 0  # another year


def test_an_enterprise_link_reaches_its_key_projects(served, zone):  # noqa: F811
    teams.link(None, served["team"], "enterprise", zone.enterprise)
    reach = outcomes.reach_of_team(served["team"])
    assert (
        outcomes.outcomes(reach, 2026).counts["projects"] == Project.objects.filter(is_key=True).count() == 1
    )


def test_an_organs_branch_reaches_its_departments_problems(served):
    reach = outcomes.reach_of_organization(Organization.objects.get(pk=served["root"].pk))
    result = outcomes.outcomes(reach, 2026)
    # The environment bureau handles the river problems in the first area.
    assert result.counts["problems"] == outcomes.rows(reach, "problems", 2026).count() >= 2


def test_an_instructor_reaches_the_projects_they_escort(served, zone):  # noqa: F811
    instructor = UserFactory(username="instructor", roles=["party_officer"])
    escort.set_member(None, served["red"], instructor, EscortMember.Role.INSTRUCTOR, "党建指导")
    reach = outcomes.reach_of_instructor(instructor)
    assert reach.projects == {served["red"].pk}
    assert outcomes.outcomes(reach, 2026).counts["projects_red"] == 1


def test_an_empty_reach_counts_nothing():
    result = outcomes.outcomes(outcomes.Reach(), 2026)
    assert set(result.counts.values()) == {0}
