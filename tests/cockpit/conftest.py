"""A small zone with a record of every kind the cockpit counts, in June 2026 (the approvals' demo catalog on
its START_DAY, Monday 2026-06-01), and a little in June 2025 for the comparison with last year:

- applications: one concluded within its limits (all tasks approved), one accepted whose planning task runs
  overdue, one waiting at the window;
- problems: three river problems in June (one closed on time, one overdue, one merged away) and one in June
  2025, routed to the ecology bureau;
- key projects: one red with an alliance and an instructor, one yellow started in June, one green; a plan for
  2026 and a monthly report of May;
- a policy with a budget, two eligible enterprises of which one has claimed (paid in June);
- the fund: one investment held with a tranche disbursed in June, one converted;
- party building: a working committee and an activity of the alliance in June.

Records of the read side (plans, reports, matches, claims, investments) are written directly: the cockpit only
reads them, and each app's own tests cover its write paths.
"""

import datetime
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.utils import timezone

from sciencecity.fund.models import Investment, Tranche
from sciencecity.partybuilding.models import Activity, Organization
from sciencecity.partybuilding.services import activities, organizations, teams
from sciencecity.policies.models import Claim, Policy, PolicyMatch
from sciencecity.problems.models import Problem, ProblemCategory, RoutingRule
from sciencecity.problems.services import lifecycle
from sciencecity.projects.models import EscortMember, InvestmentPlan, MonthlyReport, PhaseChange
from sciencecity.projects.services import escort
from tests.approvals.conftest import (  # noqa: F401 - fixtures
    START_DAY,
    START_MINIMAL,
    accepted,
    approval_roles,
    approve_all,
    at,
    fast_passwords,
    isolated_media,
    load_demo_world,
    submitted,
)
from tests.factories import EnterpriseFactory, ProjectFactory, UserFactory, staff

D = datetime.date
JUNE = "2026-06"
IMMEDIATE_TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
POINT = (29.59, 106.30)  # 西永, inside the demo zone's first area


def moment(day: datetime.date, hour: int = 10) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))


def _problem(user, category, title="河面漂浮垃圾"):
    data = lifecycle.Report(
        category=category,
        title=title,
        description="梁滩河桥下河面大量漂浮垃圾,有异味。",
        source="citizen",
        latitude=POINT[0],
        longitude=POINT[1],
    )
    return lifecycle.report_problem(user, data)


@pytest.fixture
def cockpit_world(approval_roles, isolated_media, fast_passwords, time_machine, settings):  # noqa: F811
    at(time_machine, D(2025, 6, 10))
    world = load_demo_world()
    citizen = UserFactory(username="citizen")
    ecology = world.departments["ecology"]
    river = ProblemCategory.objects.create(
        code="river",
        name="河道污染",
        name_en="River pollution",
        deadline_days=5,
        verifier="inspector",
        evidence_required=False,
    )
    RoutingRule.objects.create(category=river, area="", department=ecology)
    last_year_problem = _problem(citizen, river, "去年的河道问题")

    at(time_machine, START_DAY)
    reviewer = staff("department_reviewer", ecology, username="eco-reviewer")
    inspector = staff("inspector", username="inspector")
    on_time = _problem(citizen, river, "按期办结的问题")
    lifecycle.accept_problem(reviewer, on_time)
    lifecycle.rectify_problem(reviewer, on_time, "已清理")
    lifecycle.verify_problem(inspector, on_time, True)
    overdue = _problem(citizen, river, "超期的问题")
    duplicate = _problem(citizen, river, "重复报告")
    dispatcher = staff("dispatcher", username="dispatcher")
    lifecycle.merge_problem(dispatcher, duplicate, overdue)

    concluded = accepted(world, "start-construction", START_MINIMAL, key="submit-1")
    approve_all(world, concluded)
    running = accepted(world, "start-construction", START_MINIMAL, key="submit-2")
    waiting = submitted(world, "start-construction", START_MINIMAL, key="submit-3")

    red = ProjectFactory(name="科学大道二期", is_key=True, warning_level="red", enterprise=world.enterprise)
    yellow = ProjectFactory(name="科学谷三期", is_key=True, warning_level="yellow", phase="started")
    green = ProjectFactory(name="金凤实验室", is_key=True, warning_level="green")
    PhaseChange.objects.create(
        project=yellow, from_phase="approval", to_phase="started", changed_on=D(2026, 6, 3)
    )
    InvestmentPlan.objects.create(project=red, year=2026, category="continuing", planned=Decimal("1000"),
                                  completed=Decimal("400"))  # fmt: skip
    InvestmentPlan.objects.create(project=green, year=2026, category="new", planned=Decimal("600"),
                                  completed=Decimal("200"))  # fmt: skip
    leader = staff("leader", username="leader")
    reporter = UserFactory(username="site-unit")
    MonthlyReport.objects.create(project=red, month=D(2026, 6, 1), investment=Decimal("150.50"),
                                 progress_percent=40, progress_text="主体施工", submitted_by=reporter,
                                 is_late=True)  # fmt: skip
    instructor = staff("party_officer", username="instructor")
    escort.set_member(None, red, instructor, EscortMember.Role.INSTRUCTOR, "党建指导")

    policy = Policy.objects.create(code="rd-subsidy", title="研发投入补贴", area="innovation", beneficiaries="科技型企业",
                                   budget=Decimal("500"), paid=Decimal("50"), valid_from=D(2026, 1, 1),
                                   department=world.departments["development"], is_published=True)  # fmt: skip
    claimed, unclaimed = world.enterprise, EnterpriseFactory(name="重庆未申请科技有限公司")
    for enterprise in (claimed, unclaimed):
        PolicyMatch.objects.create(policy=policy, enterprise=enterprise, verdict="eligible")
    Claim.objects.create(number="DX2026000001", policy=policy, enterprise=claimed, period=2026, route="apply",
                         status="paid", amount=Decimal("50"), approved_amount=Decimal("50"), submitted_at=moment(D(2026, 6, 2)),
                         paid_at=moment(D(2026, 6, 5)))  # fmt: skip

    held = Investment.objects.create(number="XT2026001", enterprise=claimed, title="芯片中试线", requested=100,
                                     status="invested", amount=Decimal("300"), signed_on=D(2026, 6, 2))  # fmt: skip
    Tranche.objects.create(investment=held, number=1, amount=Decimal("100"), milestone="样片流片",
                           status="disbursed", disbursed_at=moment(D(2026, 6, 4)))  # fmt: skip
    Investment.objects.create(number="XT2025001", enterprise=unclaimed, title="新材料", requested=100,
                              status="converted", amount=Decimal("200"), converted=Decimal("200"),
                              signed_on=D(2025, 3, 1))  # fmt: skip

    admin = UserFactory(username="party-admin", roles=["administrator"])
    root = organizations.found(admin, None, name="科学城党工委", kind=Organization.Kind.WORKING_COMMITTEE,
                               sector=Organization.Sector.ORGAN)  # fmt: skip
    organizations.appoint(admin, root, instructor, "secretary")
    alliance = teams.form_alliance(instructor, red, root, name="科学大道项目党建联盟")
    activities.record_activity(instructor, root, kind=Activity.Kind.THEME_DAY, title="联盟主题党日",
                               held_on=START_DAY, alliance=alliance)  # fmt: skip
    teams.form_team(instructor, root, name="审批改革红岩先锋队", mission="一件事一次办")

    at(time_machine, D(2026, 6, 15))  # the overdue problem's five working days have run out
    supervisor = staff("supervisor", username="supervisor")
    return SimpleNamespace(
        world=world,
        leader=leader,
        supervisor=supervisor,
        concluded=concluded,
        running=running,
        waiting=waiting,
        on_time=Problem.objects.get(pk=on_time.pk),
        overdue=Problem.objects.get(pk=overdue.pk),
        duplicate=duplicate,
        last_year_problem=last_year_problem,
        red=red,
        yellow=yellow,
        green=green,
        policy=policy,
        unclaimed=unclaimed,
        held=held,
        alliance=alliance,
    )
