"""The access matrix of the API: every endpoint × every role × own object and another side's object.

The endpoints are not listed by hand: `endpoints()` walks the URL patterns of `sciencecity.api.urls` and every
HTTP method each one answers. `EXPECTED` below must classify each of them (a new endpoint fails
`test_every_endpoint_is_classified` until it has a row), and says what status each role gets on its own
side's object. Another enterprise's or department's object must answer 404 to every role whose scope does not
reach it (never 200 or 403: that would be an endpoint that forgot `for_user()`), and another side's rows must
not appear in a list.

The world (two enterprises, two departments, applications of each side in every state an action needs, their
tasks, certificates, notifications, tokens) is built once per module inside a transaction; every cell runs in
a savepoint that is rolled back, so a write in one cell never changes what another cell sees.
"""

import dataclasses
import datetime
import re
from collections.abc import Callable
from decimal import Decimal

import pytest
import time_machine
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import override_settings
from django.urls import URLPattern, URLResolver
from rest_framework.test import APIClient

from sciencecity.api.services import create_token
from sciencecity.approvals.models import Certificate
from sciencecity.approvals.services import applications as application_services
from sciencecity.approvals.services import delivery, intake, ratings, review
from sciencecity.approvals.services import target_dates as target_services
from sciencecity.audit.models import AuditEvent
from sciencecity.catalog.powers import services as power_services
from sciencecity.catalog.powers.models import DevolvedPower
from sciencecity.catalog.services import import_catalog
from sciencecity.cockpit.models import ZoneReport
from sciencecity.enterprises import profile
from sciencecity.enterprises.validators import make_credit_code
from sciencecity.fund.services import investments as fund_services
from sciencecity.interactions import services as interaction_services
from sciencecity.interactions.service_events import services as event_services
from sciencecity.notifications import services as notifications
from sciencecity.partybuilding import identity as party_identity
from sciencecity.partybuilding.services import activities as party_activities
from sciencecity.partybuilding.services import evaluations as party_evaluations
from sciencecity.partybuilding.services import members as party_members
from sciencecity.partybuilding.services import organizations as party_tree
from sciencecity.partybuilding.services import teams as party_teams
from sciencecity.policies.models import PolicyMatch
from sciencecity.policies.services import claims, matching, policies
from sciencecity.problems.models import Problem, ProblemCategory, RoutingRule
from sciencecity.problems.rivers import services as river_services
from sciencecity.problems.rivers.models import MonitoringSection, River
from sciencecity.problems.services import lifecycle
from sciencecity.projects import ledger
from sciencecity.projects.models import LedgerImport
from sciencecity.projects.services import campaign, escort, mass_starts
from sciencecity.workdays.models import DeadlineRecount
from tests.approvals.conftest import (
    DATA,
    SHANGHAI,
    START_DAY,
    START_MINIMAL,
    World,
    accept_all_materials,
    approve_all,
    draft,
    load_demo_world,
    task_of,
    upload,
    upload_needed,
)
from tests.factories import EnterpriseFactory, ProjectFactory, UserFactory, applicant_of
from tests.problems.conftest import area_points

API = "/api/v1/"
ROLES = (
    "applicant",
    "window_clerk",
    "department_reviewer",
    "department_head",
    "project_specialist",
    "party_officer",
    "dispatcher",
    "inspector",
    "leader",
    "supervisor",
    "administrator",
    "anonymous",
)
# Side A is "own" for the acting users; side B is "another enterprise's or department's".
A_ANSWERS = {**START_MINIMAL, "eia_category": "report"}  # selects eia-approval (ecology)
B_ANSWERS = {**START_MINIMAL, "site_works": ["earthwork"]}  # selects soil-water-conservation (water)
SIDES = {
    "A": {"answers": A_ANSWERS, "department": "ecology", "item": "eia-approval"},
    "B": {"answers": B_ANSWERS, "department": "water", "item": "soil-water-conservation"},
}
GAP = "quality-safety-measures"  # tolerated as a gap by construction-permit
BUNDLE = "start-construction"
HANDOVER_BUNDLE = "land-handover-certificates"  # asks for a target date (交地日期)
HANDOVER_DAY = datetime.date(2026, 6, 22)


# --- the world ---------------------------------------------------------------------------------------------


@dataclasses.dataclass
class Side:
    world: World
    department: object
    item: str
    reviewer: object
    head: object
    objects: dict = dataclasses.field(default_factory=dict)

    def __getitem__(self, name):
        return self.objects[name]


@dataclasses.dataclass
class MatrixWorld:
    sides: dict
    users: dict  # role → the acting user (side A's where a role has a side)
    secrets: dict  # user pk → bearer secret
    draft_version: object  # a catalog version not published: only catalog editors see it
    extras: dict  # user pk → {"token": a second token, "notification": one to them}
    side_b_users: dict  # role → the user of side B acting where a role has a side

    def client(self, role: str) -> APIClient:
        client = APIClient(HTTP_ACCEPT_LANGUAGE="zh-hans")
        if role != "anonymous":
            client.credentials(HTTP_AUTHORIZATION=f"Bearer {self.secrets[self.users[role].pk]}")
        return client


def _submitted(world, answers, *, skip=(), key):
    application = draft(world, BUNDLE, answers, key=f"{key}-start")
    upload_needed(world.applicant, application, skip=skip)
    return application_services.submit_application(world.applicant, application, idempotency_key=key)


def _in_review(world, answers, key):
    application = _submitted(world, answers, key=key)
    accept_all_materials(world, application)
    return intake.accept_application(world.clerk, application)


def _handovers(world, name):
    """A draft of the bundle with a target date (its handover day named), and one submitted."""
    answers = {"separate_land_approval": "no"}
    drafted = draft(world, HANDOVER_BUNDLE, answers, key=f"{name}-handover-draft")
    drafted = target_services.set_target_date(world.applicant, drafted, HANDOVER_DAY)
    handover = draft(world, HANDOVER_BUNDLE, answers, key=f"{name}-handover")
    target_services.set_target_date(world.applicant, handover, HANDOVER_DAY)
    upload_needed(world.applicant, handover)
    key = f"{name}-handover-submit"
    return drafted, application_services.submit_application(world.applicant, handover, idempotency_key=key)


def build_side(world: World, name: str) -> Side:
    spec = SIDES[name]
    side = Side(
        world=world,
        department=world.departments[spec["department"]],
        item=spec["item"],
        reviewer=world.reviewer(spec["department"]),
        head=world.head(spec["department"]),
    )
    side.colleague = world.reviewer(spec["department"], 2)  # someone a head can reassign a task to
    answers, o = spec["answers"], side.objects
    o["project"], o["enterprise"] = world.project, world.enterprise
    # The project's escort team has the side's reviewer as a specialist; its enterprise consents to help.
    escort.set_member(None, world.project, side.reviewer, "specialist")
    escort.grant_consent(world.applicant, world.project, "矩阵授权:开工一件事")

    o["draft"] = draft(world, BUNDLE, answers, key=f"{name}-draft")
    upload_needed(world.applicant, o["draft"])
    _items, notice, _form = application_services.requirements(o["draft"])
    o["upload_spec"] = next(entry.spec for entry in notice if entry.needs_submission)
    o["handover_draft"], o["handover_submitted"] = _handovers(world, name)

    o["submitted"] = _submitted(world, answers, key=f"{name}-submitted")
    accept_all_materials(world, o["submitted"])

    o["submitted_gap"] = _submitted(world, answers, skip=(GAP,), key=f"{name}-gap")
    accept_all_materials(world, o["submitted_gap"])

    correction = _submitted(world, answers, key=f"{name}-correction")
    intake.request_correction(world.clerk, correction, [{"material": GAP, "problem": "盖章不清晰"}], "请补正")
    o["correction"] = correction

    o["in_review"] = _in_review(world, answers, f"{name}-review")
    o["pending_task"] = task_of(o["in_review"], side.item)

    claimed = _in_review(world, answers, f"{name}-claimed")
    o["claimed"] = claimed
    o["claimed_task"] = review.claim_task(side.reviewer, task_of(claimed, side.item))

    supplement = _in_review(world, answers, f"{name}-supplement")
    task = review.claim_task(side.reviewer, task_of(supplement, side.item))
    review.request_supplement(side.reviewer, task, "请补充环境监测数据")
    o["supplement"], o["supplement_task"] = supplement, task_of(supplement, side.item)

    gaps = _submitted(world, answers, skip=(GAP,), key=f"{name}-gaps")
    accept_all_materials(world, gaps)
    o["gaps"] = intake.accept_with_gaps(world.clerk, gaps, {GAP: START_DAY + datetime.timedelta(days=10)})

    supplied = _submitted(world, answers, skip=(GAP,), key=f"{name}-supplied")
    accept_all_materials(world, supplied)
    supplied = intake.accept_with_gaps(world.clerk, supplied, {GAP: START_DAY + datetime.timedelta(days=10)})
    o["gap_material"] = intake.supply_tolerated_material(world.applicant, supplied, GAP, upload())
    o["gap_supplied"] = supplied

    concluded = _in_review(world, answers, f"{name}-concluded")
    approve_all(world, concluded)
    concluded.refresh_from_db()
    o["concluded"] = concluded

    delivered = _in_review(world, answers, f"{name}-delivered")
    approve_all(world, delivered)
    delivered.refresh_from_db()
    delivery.deliver_application(world.clerk, delivered, method="electronic")
    delivered.refresh_from_db()
    o["delivered"] = delivered
    o["certificate"] = Certificate.objects.get(application=delivered, task__item__code=side.item)
    o["material"] = delivered.materials.filter(is_current=True, file__gt="").order_by("pk").first()

    rated = _in_review(world, answers, f"{name}-rated")
    approve_all(world, rated)
    rated.refresh_from_db()
    rating = ratings.rate_application(world.applicant, rated, 1, "太慢了")
    # A poor rating opens a problem for the bundle's lead department; give each side's to its own department.
    Problem.objects.filter(rating_id=rating.pk).update(department=side.department)
    o["rated"] = rated
    return side


def build_problems(side: Side, name: str, inspector) -> None:
    """The side's problems, reported by its applicant: a category routed to the side's department (its problems
    dispatched there at once) and one no rule routes (its problems wait at the dispatch centre); one problem in
    each state an action needs."""
    world, o = side.world, side.objects
    routed = ProblemCategory.objects.create(
        code=f"matrix-{name.lower()}",
        name=f"矩阵问题{name}",
        verifier=ProblemCategory.Verifier.INSPECTOR,
        evidence_required=False,
    )
    RoutingRule.objects.create(category=routed, area="", department=side.department)
    unrouted = ProblemCategory.objects.create(code=f"matrix-{name.lower()}-other", name=f"矩阵其他问题{name}")
    o["problem_category"] = routed
    latitude, longitude = next(iter(sorted(area_points().items())))[1]

    def reported(category, title):
        report = lifecycle.Report(
            category=category,
            title=title,
            description="矩阵测试问题",
            source=Problem.Source.ENTERPRISE_DEMAND,
            latitude=latitude,
            longitude=longitude,
            enterprise=world.enterprise,
        )
        return lifecycle.report_problem(world.applicant, report)

    o["problem_point"] = (latitude, longitude)
    o["problem_waiting"] = reported(unrouted, "待派遣的问题")
    o["problem_dispatched"] = reported(routed, "待签收的问题")
    o["problem_rectifying"] = lifecycle.accept_problem(side.reviewer, reported(routed, "整改中的问题"))
    rectified = lifecycle.accept_problem(side.reviewer, reported(routed, "待核查的问题"))
    o["problem_rectified"] = lifecycle.rectify_problem(side.reviewer, rectified, "已整改")
    closed = lifecycle.accept_problem(side.reviewer, reported(routed, "已办结的问题"))
    closed = lifecycle.rectify_problem(side.reviewer, closed, "已整改")
    o["problem_closed"] = lifecycle.verify_problem(inspector, closed, True)


def build_campaign(side: Side, organizer) -> None:
    """A monthly campaign of the spring: April's round published, May's scored (not yet published)."""
    made = campaign.create_campaign(
        organizer,
        name="矩阵测试活动",
        round_length="month",
        starts_on=datetime.date(2026, 4, 1),
        ends_on=datetime.date(2026, 6, 30),
    )
    april, may, _june = made.rounds.order_by("number")
    campaign.publish_round(organizer, campaign.score_round(organizer, april))
    side.objects.update(
        campaign=made, round_published=april, round_scored=campaign.score_round(organizer, may)
    )


def _matrix_policy(code, department, **fields):
    return policies.save_policy(
        None,
        code,
        conditions=[],
        publish=True,
        title=f"矩阵测试政策 {code}",
        area="innovation",
        text="矩阵测试。",
        beneficiaries="区内企业",
        requirements="无",
        valid_from=datetime.date(2025, 1, 1),
        department=department,
        amount=Decimal("10"),
        **fields,
    )


def build_policy(sides) -> None:
    """Policies of each side's department for every enterprise (no condition), in force, with their verdicts;
    each side's enterprise has claims in every state an action needs (a claim per policy and year)."""
    proof = [{"code": "m1", "name": "证明材料", "formats": ["pdf"], "max_size_mb": 5}]
    for name, side in sides.items():
        suffix = "" if name == "A" else "-b"
        automatic = _matrix_policy(f"matrix-policy{suffix}", side.department, automatic=True)
        applied = _matrix_policy(f"matrix-apply{suffix}", side.department, materials=proof)
        side.objects["policy"] = automatic
        side.objects["policy_free"] = _matrix_policy(f"matrix-free{suffix}", side.department)
        person, enterprise = side.world.applicant, side.world.enterprise
        side.objects["claim_offered"] = claims.start_claim(person, automatic, enterprise, period=2026)
        side.objects["claim_submitted"] = claims.confirm(
            person, claims.start_claim(person, automatic, enterprise, period=2025)
        )
        side.objects["claim_draft"] = claims.start_claim(person, applied, enterprise, period=2026)
        approved = claims.start_claim(person, applied, enterprise, period=2025)
        claims.attach_material(person, approved, "m1", upload("证明.pdf", "pdf"))
        side.objects["claim_approved"] = claims.approve(side.reviewer, claims.submit(person, approved))
    matching.refresh()
    for side in sides.values():
        side.objects["policy_match"] = PolicyMatch.objects.get(
            policy=sides["A"].objects["policy"], enterprise=side.world.enterprise
        )


def build_fund(sides) -> None:
    """Each side's enterprise has invest-first cases in every state an action needs; three committee members
    have voted on the one before the committee; the invested one has its first tranche paid, its second not."""
    committee = [UserFactory(username=f"committee-{n}", roles=["leader"]) for n in range(3)]
    manager = None  # the platform plays the task force's steps
    for side in sides.values():
        enterprise = side.world.enterprise
        type(enterprise).objects.filter(pk=enterprise.pk).update(is_tech_based=True)
        enterprise.refresh_from_db()
        person = side.world.applicant

        def case(title, person=person, enterprise=enterprise):
            return fund_services.apply(person, enterprise, title=title, summary="矩阵测试。", requested="100")

        side.objects["inv_applied"] = case("待尽调")
        diligence = fund_services.start_diligence(manager, case("尽调中"))
        side.objects["inv_diligence"] = diligence
        before = fund_services.to_committee(
            manager, fund_services.start_diligence(manager, case("上会")), "报告"
        )
        for member in committee:
            fund_services.vote(member, before, "for")
        side.objects["inv_committee"] = before
        approved = fund_services.to_committee(
            manager, fund_services.start_diligence(manager, case("已通过")), "报告"
        )
        for member in committee:
            fund_services.vote(member, approved, "for")
        side.objects["inv_approved"] = fund_services.approve(manager, approved)
        invested = fund_services.to_committee(
            manager, fund_services.start_diligence(manager, case("已投")), "报告"
        )
        for member in committee:
            fund_services.vote(member, invested, "for")
        invested = fund_services.sign(
            manager,
            fund_services.approve(manager, invested),
            amount="100",
            signed_on=datetime.date(2026, 5, 1),
            trigger="next_round",
            discount="20",
            repayment_date=datetime.date(2029, 5, 1),
            tranches=[{"amount": "60", "milestone": "中试"}, {"amount": "40", "milestone": "量产"}],
        )
        first = invested.tranches.get(number=1)
        fund_services.disburse(manager, fund_services.meet_milestone(manager, first, "验收"), "ZF-1")
        side.objects["inv_invested"] = invested


def build_party(sides, officer) -> None:
    """The zone's tree with one organs' committee per side: a branch with a probationary member (side A's
    linked to its applicant's account), a spare empty branch, a general branch; a team linked to the side's
    project with a member, an alliance and an activity. The party officer keeps side A's committee."""
    root = party_tree.found(None, None, name="矩阵党工委", kind="working_committee", sector="organ")
    for name, side in sides.items():
        o = side.objects
        committee = party_tree.found(
            None, root, name=f"{name}机关党委", kind="organ_committee", sector="organ"
        )
        o["party_committee"] = committee
        o["party_branch"] = party_tree.found(
            None, committee, name=f"{name}支部", kind="branch", sector="organ"
        )
        o["party_spare"] = party_tree.found(
            None, committee, name=f"{name}备用支部", kind="branch", sector="organ"
        )
        o["party_general"] = party_tree.found(
            None, committee, name=f"{name}党总支", kind="general_branch", sector="organ"
        )
        order = 10 if name == "A" else 20
        o["party_member"] = party_members.register(
            None,
            o["party_branch"],
            name=f"{name}党员",
            id_number=party_identity.make("500106", datetime.date(1990, 1, 1), order),
            joined_on=datetime.date(2025, 3, 1),
            status="probationary",
            person=side.world.applicant if name == "A" else None,
        )
        o["party_member_2"] = party_members.register(
            None,
            o["party_branch"],
            name=f"{name}党员二",
            id_number=party_identity.make("500106", datetime.date(1991, 1, 1), order + 1),
            joined_on=datetime.date(2015, 3, 1),
        )
        team = party_teams.form_team(None, committee, name=f"{name}先锋队", mission="矩阵测试")
        o["party_team"] = team
        o["party_link"] = party_teams.link(None, team, "project", o["project"])
        o["party_membership"] = party_teams.enlist(None, team, o["party_member"])
        o["party_alliance"] = party_teams.form_alliance(None, o["project"], committee, name=f"{name}联盟")
        o["party_activity"] = party_activities.record_activity(
            None,
            o["party_branch"],
            kind="theme_day",
            title=f"{name}主题党日",
            held_on=datetime.date(2026, 5, 20),
            attendance={o["party_member"].pk: "present"},
        )
        scheme = party_evaluations.define_scheme(
            None,
            committee,
            name=f"{name}星级评定",
            kind="organization_stars",
            year=2026,
            subject_kinds=["branch", "general_branch"],
            indicators=[
                {"name": "政治功能强", "source": "manual", "cap": 50},
                {"name": "违纪", "source": "veto"},
            ],
            thresholds=[[5, 45]],
        )
        o["party_scheme"], o["party_manual"] = scheme, scheme.indicators.get(source="manual")
        party_evaluations.open_scheme(None, scheme)
        evaluations = {e.organization_id: e for e in scheme.evaluations.all()}
        claim = {o["party_manual"].pk: 40}
        o["party_eval_draft"] = evaluations[o["party_spare"].pk]
        o["party_eval_submitted"] = party_evaluations.submit(
            None, evaluations[o["party_general"].pk], claimed=claim
        )
        reviewed = party_evaluations.submit(None, evaluations[o["party_branch"].pk], claimed=claim)
        o["party_eval_reviewed"] = party_evaluations.review(None, reviewed, granted=claim)
    party_tree.appoint(None, sides["A"]["party_committee"], officer, "secretary")


def build_interactions(sides) -> None:
    """Each side's reviewer recorded a visit to the side's enterprise (side A's answered by nobody yet)."""
    for side in sides.values():
        side.objects["interaction"] = interaction_services.record_interaction(
            side.reviewer,
            enterprise=side["enterprise"],
            kind="visit",
            occurred_on=START_DAY - datetime.timedelta(days=1),
            place="企业会议室",
            purpose="了解项目开工准备",
            items=["enc-visit"],
            officials_present="矩阵审查员",
        )


def build_rivers(sides) -> None:
    """A river with a section kept by side A's department, and its reading of May (entered by its reviewer)."""
    side = sides["A"]
    latitude, longitude = next(iter(sorted(area_points().items())))[1]
    river = river_services.save_river(
        None, River(code="matrix-river", name="矩阵河", department=side.department)
    )
    section = river_services.save_section(
        None,
        MonitoringSection(
            river=river,
            code="MATRIX-01",
            name="矩阵断面",
            latitude=latitude,
            longitude=longitude,
            target_class=4,
            department=side.department,
        ),
    )
    side.objects["river"] = river
    side.objects["river_section"] = section
    side.objects["water_reading"] = river_services.record_reading(
        side.reviewer,
        river_services.Reading(section=section, month=datetime.date(2026, 5, 1), water_class=4),
    )


def build_service_events(sides) -> None:
    """Each side's reviewer held a dialogue for the side's enterprise two days ago (not yet recorded as held),
    where the enterprise raised a demand (a problem routed to the side's department)."""
    for side in sides.values():
        event = event_services.record_event(
            side.reviewer,
            kind="dialogue",
            title="矩阵交流对话会",
            starts_at=datetime.datetime.combine(
                START_DAY - datetime.timedelta(days=2), datetime.time(14, 0), tzinfo=SHANGHAI
            ),
            place="科学会堂",
        )
        event_services.add_participant(
            side.reviewer, event, role="enterprise", enterprise=side["enterprise"], representatives="矩阵代表"
        )
        event_services.raise_demand(
            side.reviewer,
            event,
            enterprise=side["enterprise"],
            category=side["problem_category"],
            title="矩阵诉求",
            description="矩阵测试诉求",
        )
        side.objects["service_event"] = event


def build_world() -> MatrixWorld:
    world_a = load_demo_world()
    enterprise_b = EnterpriseFactory(name="重庆另一家科技有限公司")
    world_b = dataclasses.replace(
        world_a,
        enterprise=enterprise_b,
        project=ProjectFactory(enterprise=enterprise_b, name="另一家企业的项目"),
        applicant=applicant_of(enterprise_b, username="applicant-b"),
        _staff=world_a._staff,
    )
    sides = {"A": build_side(world_a, "A"), "B": build_side(world_b, "B")}
    users = {
        "applicant": world_a.applicant,
        "window_clerk": world_a.clerk,
        "department_reviewer": sides["A"].reviewer,
        "department_head": sides["A"].head,
        "administrator": world_a.admin,
    }
    for role in ("project_specialist", "party_officer", "dispatcher", "inspector", "leader", "supervisor"):
        users[role] = UserFactory(username=role, roles=[role])
    escort.set_member(None, world_a.project, users["project_specialist"], "lead")  # may help on side A
    for name, side in sides.items():
        build_problems(side, name, users["inspector"])
    build_campaign(sides["A"], world_a.admin)
    # A mass start that started side B's project (public: every signed-in role reads it).
    sides["A"].objects["mass_start_project"] = world_b.project
    sides["A"].objects["mass_start"] = mass_starts.record_mass_start(
        None,
        name="矩阵集中开工",
        held_on=datetime.date(2026, 3, 16),
        place="科学谷",
        organizer="管委会",
        projects=[mass_starts.Entry(world_b.project)],
    )
    sides["A"].objects["platform"] = profile.register_platform(
        None,
        name="矩阵创新平台",
        kind="incubator",
        level="district",
        enterprise=world_a.enterprise,
        recognized_on=datetime.date(2025, 3, 1),
    )
    build_policy(sides)
    build_fund(sides)
    build_party(sides, users["party_officer"])
    build_interactions(sides)
    build_service_events(sides)
    build_rivers(sides)
    secrets = {}
    everyone = [*users.values(), world_b.applicant, sides["B"].reviewer, sides["B"].head]
    for user in everyone:
        _token, secrets[user.pk] = create_token(user, "matrix")
    # Per user: a second token (its own object on /tokens/), a notification, and an audit event by them.
    extras = {}
    for user in everyone:
        token, _secret = create_token(user, "spare")
        (note,) = notifications.notify([user], "matrix", lambda: ("矩阵测试通知", "正文"))
        extras[user.pk] = {"token": token, "notification": note}
    # A draft catalog version: visible only to those who edit the catalog.
    text = (DATA / "catalog.yaml").read_text(encoding="utf-8")
    draft_version = import_catalog(text, publish=False)
    side_b_users = {
        "applicant": world_b.applicant,
        "department_reviewer": sides["B"].reviewer,
        "department_head": sides["B"].head,
    }
    return MatrixWorld(sides, users, secrets, draft_version, extras, side_b_users)


@pytest.fixture(scope="module")
def matrix_world(django_db_setup, django_db_blocker, tmp_path_factory):
    """The world, built once inside a transaction that is rolled back when the module is done."""
    moment = datetime.datetime.combine(START_DAY, datetime.time(10, 0), tzinfo=SHANGHAI)
    media = tmp_path_factory.mktemp("matrix-media")
    fast = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    with (
        django_db_blocker.unblock(),
        time_machine.travel(moment, tick=False),
        override_settings(MEDIA_ROOT=media, PASSWORD_HASHERS=fast),
    ):
        outer = transaction.atomic()
        outer.__enter__()
        try:
            yield build_world()
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


# --- the endpoints ------------------------------------------------------------------------------------------

METHODS = ("get", "post", "put", "patch", "delete")


def _route(pattern: str) -> str:
    """`^applications/(?P<pk>[^/.]+)/submit/$` or `x/<int:pk>/` → `applications/{pk}/submit/`."""
    route = re.sub(r"\(\?P<(\w+)>[^)]*\)", r"{\1}", pattern)
    route = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", route)
    return route.lstrip("^").rstrip("$").replace("\\.", ".")


def _walk(patterns, prefix=""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _walk(pattern.url_patterns, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            yield prefix + str(pattern.pattern), pattern.callback


def endpoints() -> list[str]:
    """Every "METHOD route" that /api/v1/ answers, from the URL patterns themselves (format-suffix variants,
    HEAD and OPTIONS left out: they reach the same views)."""
    from sciencecity.api import urls

    found = set()
    for pattern, callback in _walk(urls.urlpatterns):
        if "(?P<format>" in pattern:
            continue
        view = getattr(callback, "cls", None)
        allowed = set(getattr(view, "http_method_names", METHODS))
        actions = getattr(callback, "actions", None)  # viewsets: {method: action}
        if actions is not None:
            methods = [m for m in actions if m in allowed and hasattr(view, actions[m])]
        else:
            methods = [m for m in METHODS if m in allowed and hasattr(view, m)]
        for method in methods:
            if method in METHODS:
                found.add(f"{method.upper()} {_route(pattern)}")
    return sorted(found)


# --- the expectation table --------------------------------------------------------------------------------

CIVIL_SERVANTS = frozenset(ROLES) - {"applicant", "anonymous"}
ZONE_WIDE = frozenset({"leader", "supervisor", "administrator"})
# Per kind of object: the roles whose scope covers the other side's object too (no "other" cell for them).
SEES_BOTH_SIDES = {
    "application": ZONE_WIDE | {"window_clerk"},
    "catalog": frozenset({"administrator"}),  # drafts are for those who edit the catalog
    "enterprise": CIVIL_SERVANTS,
    "project": CIVIL_SERVANTS,
    "token": frozenset({"administrator"}),
    "notification": frozenset(),
    "audit": ZONE_WIDE,
    # The dispatch centre routes problems and inspectors verify them wherever they are.
    "problem": ZONE_WIDE | {"dispatcher", "inspector"},
    "policy_match": CIVIL_SERVANTS,
    "claim": ZONE_WIDE,
    "investment": ZONE_WIDE,
    "interaction": ZONE_WIDE,
    # Service events: every civil servant who reads them reads them all; an enterprise those it attends.
    "service_event": frozenset(
        {"department_reviewer", "department_head", "project_specialist", "inspector", "leader"}
    )
    | ZONE_WIDE,
    # The tree, teams, alliances and activities: civil servants and the zone's party members (side A's
    # applicant is one) read them all.
    "party": CIVIL_SERVANTS | {"applicant"},
    # Members: the strictest scope — the officers of their organization and above, and the member themself.
    "party_member": frozenset(),
    # Evaluations before publication: the keepers of the subject and above (and a member their own).
    "party_evaluation": frozenset(),
}
SEES_BOTH_SIDES["task"] = SEES_BOTH_SIDES["certificate"] = SEES_BOTH_SIDES["application"]


def S(default: int, *, anonymous: int = 401, **roles) -> dict[str, int]:
    """Expected statuses: `default` for every role not named."""
    return {role: roles.get(role, default) for role in ROLES[:-1]} | {"anonymous": anonymous}


# Roles that see no applications (nor their tasks and certificates): the project specialist and the party
# officer, the dispatch centre and inspectors (problems are their work).
NO_APPLICATIONS = ("project_specialist", "party_officer", "dispatcher", "inspector")


def approvals(success: int, *, actors: tuple, blind: tuple = (), **roles) -> dict[str, int]:
    """An action on an application or task: `actors` succeed, roles that see the object but may not act get 403,
    `blind` roles (and those who see no applications) get 404."""
    base = dict.fromkeys(ROLES[:-1], 403)
    base.update(dict.fromkeys((*NO_APPLICATIONS, *blind), 404))
    base.update(dict.fromkeys(actors, success))
    return base | roles | {"anonymous": 401}


READ_APPLICATION = S(200, **dict.fromkeys(NO_APPLICATIONS, 404))
COCKPIT = S(403, leader=200, supervisor=200)
# A side's interaction record: read by its recorder (the side's reviewer), their head, the enterprise visited
# (the side's applicant) and the zone-wide roles; others do not find it.
RECORDERS = ("department_reviewer", "department_head", "project_specialist", "inspector", "leader")
SEES_INTERACTION = (
    "applicant",
    "department_reviewer",
    "department_head",
    "leader",
    "supervisor",
    "administrator",
)
READ_INTERACTION = S(404, **dict.fromkeys(SEES_INTERACTION, 200))


def answer_interaction(success: int, actor: str) -> dict[str, int]:
    """An answer or a finding: `actor` succeeds, those who read the record but may not act get 403."""
    return S(404, **dict.fromkeys(SEES_INTERACTION, 403)) | {actor: success}


# A side's service event: read by the staff who read events and the enterprise taking part; managed (participants,
# demands, outcome, cancellation, register entries) by its recorder (the side's reviewer), their department's
# head and the leaders; the enterprise raises its own demands there.
SEES_EVENT = (
    "applicant",
    "department_reviewer",
    "department_head",
    "project_specialist",
    "inspector",
    "leader",
    "supervisor",
    "administrator",
)
READ_EVENT = S(404, **dict.fromkeys(SEES_EVENT, 200))
EVENT_MANAGERS = ("department_reviewer", "department_head", "leader")


def event_action(success: int, *actors: str) -> dict[str, int]:
    """An action on a side's event: `actors` succeed, those who read it but may not act get 403."""
    return S(404, **dict.fromkeys(SEES_EVENT, 403)) | dict.fromkeys(actors, success)


READ_DRAFT = S(200, department_reviewer=404, department_head=404, **dict.fromkeys(NO_APPLICATIONS, 404))
DEPARTMENTS_BLIND = ("department_reviewer", "department_head")  # no task of theirs before acceptance

# Who sees a side's problem: its reporter (the side's applicant), the zone-wide roles, the dispatch centre and
# inspectors; once it is dispatched, the responsible department's people too.
SEES_WAITING_PROBLEM = ("applicant", "leader", "supervisor", "administrator", "dispatcher", "inspector")
SEES_DISPATCHED_PROBLEM = (*SEES_WAITING_PROBLEM, "department_reviewer", "department_head")
PROBLEM_HANDLERS = ("department_reviewer", "department_head")  # the responsible department


def problems(success: int, *, actors: tuple, waiting: bool = False) -> dict[str, int]:
    """An action on a problem: `actors` succeed, roles that see the problem but may not act get 403, the rest
    (the window, the project specialist without a department, the party officer) 404. A `waiting` problem
    (at the dispatch centre) has no department yet: its people do not see it."""
    base = dict.fromkeys(ROLES[:-1], 404)
    base.update(dict.fromkeys(SEES_WAITING_PROBLEM if waiting else SEES_DISPATCHED_PROBLEM, 403))
    base.update(dict.fromkeys(actors, success))
    return base | {"anonymous": 401}


READ_PROBLEM = problems(200, actors=SEES_DISPATCHED_PROBLEM)


# Who sees a side's claim: its enterprise, the paying department (reviewer and head), the zone-wide roles.
SEES_CLAIM = ("applicant", "department_reviewer", "department_head", "leader", "supervisor", "administrator")
CLAIM_DECIDERS = ("department_reviewer", "department_head", "administrator")


def claim_action(success: int, *, actors: tuple) -> dict[str, int]:
    """An action on a claim: `actors` succeed, roles that see the claim but may not act get 403, others 404."""
    base = dict.fromkeys(ROLES[:-1], 404)
    base.update(dict.fromkeys(SEES_CLAIM, 403))
    base.update(dict.fromkeys(actors, success))
    return base | {"anonymous": 401}


READ_CLAIM = claim_action(200, actors=SEES_CLAIM)

# Who sees a side's invest-first case: its enterprise, the zone-wide roles (administrators hold the task force's
# permission, leaders sit on the committee, supervisors read).
SEES_INVESTMENT = ("applicant", "leader", "supervisor", "administrator")


def fund_action(success: int, *, actors: tuple) -> dict[str, int]:
    base = dict.fromkeys(ROLES[:-1], 404)
    base.update(dict.fromkeys(SEES_INVESTMENT, 403))
    base.update(dict.fromkeys(actors, success))
    return base | {"anonymous": 401}


def fund_cell(endpoint_target: str, success: int, actors: tuple, data=None) -> "Expect":
    return Expect(
        fund_action(success, actors=actors),
        kind="investment",
        target=endpoint_target,
        body=json_body(data if data is not None else {}),
    )


def party_cell(target: str, data) -> "Expect":
    """A keeper's action on side A's organization, team or alliance: the party officer acts; everyone else
    who reads it (civil servants, the member) is refused (403)."""
    return Expect(S(403, party_officer=200), kind="party", target=target, body=json_body(data))


@dataclasses.dataclass(frozen=True)
class Expect:
    statuses: dict  # role → status on its own side's object
    kind: str | None = None  # decides who sees the other side's object; None: nobody owns it
    target: str | None = None  # the object named by {pk}: a key of Side.objects (or see `_object`)
    body: Callable | None = None  # (side) → (data, format)
    query: str = ""
    listing: str | None = None  # a list: the other side's object of this key must not be listed


def ledger_upload():
    return SimpleUploadedFile("台账.xlsx", ledger.template_workbook().read(), content_type=ledger.XLSX)


def json_body(data):
    return lambda side: (data(side) if callable(data) else data, "json")


def file_body(spec_code, **extra):
    def build(side):
        code = spec_code(side) if callable(spec_code) else spec_code
        kind = (side["upload_spec"].formats or ["pdf"])[0] if callable(spec_code) else "pdf"
        return {"spec_code": code, "file": upload(f"材料.{kind}", kind), **extra}, "multipart"

    return build


EXPECTED: dict[str, Expect] = {
    # --- the working-day calendar: read by all, kept by administrators ----------------------------------
    "GET calendar/years/": Expect(S(200)),
    "POST calendar/years/confirm/": Expect(S(403, administrator=400), body=json_body({"year": 2032})),
    "POST calendar/years/{year}/schedule/": Expect(  # a check (dry run): writes nothing
        S(403, administrator=200), body=json_body({"text": "2031-01-01 休 元旦", "dry_run": True})
    ),
    "POST calendar/overrides/": Expect(
        S(403, administrator=201),
        body=json_body({"date": "2031-10-08", "is_working_day": False, "note": "矩阵"}),
    ),
    "GET calendar/recounts/": Expect(S(200)),
    "GET calendar/recounts/{pk}/": Expect(S(404, administrator=200), target="recount"),
    # --- the caller, the schema, tokens -------------------------------------------------------------------
    "GET me/": Expect(S(200)),
    "GET schema/": Expect(S(200, anonymous=200)),
    "GET docs/": Expect(S(200, anonymous=200)),
    "GET redoc/": Expect(S(200, anonymous=200)),
    "GET tokens/": Expect(S(200), kind="token", listing="token"),
    "POST tokens/": Expect(S(201), body=json_body({"name": "矩阵"})),
    "GET tokens/{pk}/": Expect(S(200), kind="token", target="token"),
    "POST tokens/{pk}/revoke/": Expect(S(200), kind="token", target="token"),
    # --- the catalog: public when published, drafts for catalog editors -------------------------------------
    "GET catalog/versions/": Expect(S(200, anonymous=200), kind="catalog", listing="catalog_version"),
    "GET catalog/versions/{pk}/": Expect(S(200, anonymous=200), kind="catalog", target="catalog_version"),
    "GET catalog/materials/": Expect(S(200, anonymous=200), kind="catalog", listing="catalog_material"),
    "GET catalog/materials/{pk}/": Expect(S(200, anonymous=200), kind="catalog", target="catalog_material"),
    "GET catalog/items/": Expect(S(200, anonymous=200), kind="catalog", listing="catalog_item"),
    "GET catalog/items/{pk}/": Expect(S(200, anonymous=200), kind="catalog", target="catalog_item"),
    "GET catalog/bundles/": Expect(S(200, anonymous=200), kind="catalog", listing="catalog_bundle"),
    "GET catalog/bundles/{pk}/": Expect(S(200, anonymous=200), kind="catalog", target="catalog_bundle"),
    "POST catalog/bundles/{pk}/guide/": Expect(
        S(200, anonymous=200), kind="catalog", target="catalog_bundle", body=json_body({"answers": {}})
    ),
    # --- registries ---------------------------------------------------------------------------------------
    "GET enterprises/": Expect(S(200), kind="enterprise", listing="enterprise"),
    "POST enterprises/": Expect(
        S(403, administrator=201),
        body=json_body(
            {
                "name": "矩阵新登记企业有限公司",
                "credit_code": make_credit_code("500106", 99_000_001),
                "legal_representative": "李四",
            }
        ),
    ),
    "GET enterprises/{pk}/": Expect(S(200), kind="enterprise", target="enterprise"),
    # The enterprise file: its own people keep the profile and the yearly figures, administrators too.
    "PATCH enterprises/{pk}/profile/": Expect(
        S(403, applicant=200, administrator=200),
        kind="enterprise",
        target="enterprise",
        body=json_body({"employees": 120, "rd_staff": 35}),
    ),
    "GET enterprises/{pk}/years/": Expect(S(200), kind="enterprise", target="enterprise"),
    "POST enterprises/{pk}/years/": Expect(
        S(403, applicant=200, administrator=200),
        kind="enterprise",
        target="enterprise",
        body=json_body({"year": 2025, "revenue": "5000.00", "rd_spending": "420.00"}),
    ),
    "GET enterprises/{pk}/qualifications/": Expect(S(200), kind="enterprise", target="enterprise"),
    "POST enterprises/{pk}/qualifications/": Expect(
        S(403, administrator=201),
        kind="enterprise",
        target="enterprise",
        body=json_body(
            {"kind": "high_tech", "valid_from": "2025-11-30", "certificate_number": "GR2025500001"}
        ),
    ),
    "GET innovation-platforms/": Expect(S(200)),
    "POST innovation-platforms/": Expect(
        S(403, administrator=201),
        body=json_body(
            {
                "name": "矩阵测试实验室",
                "kind": "key_lab",
                "level": "municipal",
                "institution": "重庆大学",
                "recognized_on": "2025-05-01",
            }
        ),
    ),
    "GET innovation-platforms/{pk}/": Expect(S(200), target="platform"),
    "PATCH enterprises/{pk}/": Expect(
        S(403, administrator=200),
        kind="enterprise",
        target="enterprise",
        body=json_body({"address": "重庆市沙坪坝区科学大道2号"}),
    ),
    # --- enterprise policies: read by all signed in; kept by the honouring department's head (side A's here) and
    # administrators; its people (reviewers too) tell the enterprises; an enterprise reads its own verdicts.
    "GET policies/": Expect(S(200)),
    "POST policies/": Expect(
        S(403, department_head=201, administrator=201),
        body=json_body(
            lambda side: {
                "code": "matrix-new-policy",
                "title": "矩阵新政策",
                "area": "talent",
                "text": "矩阵测试。",
                "beneficiaries": "区内企业",
                "requirements": "从业人员不少于10人",
                "valid_from": "2026-01-01",
                "department": side.department.pk,
                "conditions": [{"fact": "employees", "operator": ">=", "value": 10}],
            }
        ),
    ),
    "GET policies/{pk}/": Expect(S(200), target="policy"),
    "PUT policies/{pk}/": Expect(
        S(403, department_head=200, administrator=200),
        target="policy",
        body=json_body(
            lambda side: {
                "code": "matrix-policy",
                "title": "矩阵测试政策(修订)",
                "area": "innovation",
                "text": "矩阵测试。",
                "beneficiaries": "区内企业",
                "requirements": "无",
                "valid_from": "2026-01-01",
                "department": side.department.pk,
                "conditions": [],
                "publish": True,
            }
        ),
    ),
    "GET policies/{pk}/enterprises/": Expect(S(200), target="policy"),
    "POST policies/{pk}/notify/": Expect(
        S(403, department_reviewer=200, department_head=200, administrator=200),
        target="policy",
        body=json_body({}),
    ),
    "GET policy-matches/": Expect(S(200), kind="policy_match", listing="policy_match"),
    # Claims: the enterprise's own people start, confirm, submit and withdraw them; the paying department's
    # people (and administrators) return, approve, refuse and pay; leaders and supervisors read them.
    "GET policy-claims/": Expect(S(200), kind="claim", listing="claim_offered"),
    "GET policy-claims/{pk}/": Expect(READ_CLAIM, kind="claim", target="claim_offered"),
    "POST policy-claims/": Expect(
        S(403, applicant=201), body=json_body(lambda side: {"policy": side["policy_free"].pk})
    ),
    "POST policy-claims/{pk}/confirm/": Expect(
        claim_action(200, actors=("applicant",)), kind="claim", target="claim_offered"
    ),
    "POST policy-claims/{pk}/submit/": Expect(  # the material the policy asks for is not attached
        claim_action(400, actors=("applicant",)), kind="claim", target="claim_draft"
    ),
    "POST policy-claims/{pk}/withdraw/": Expect(
        claim_action(200, actors=("applicant",)), kind="claim", target="claim_draft"
    ),
    "POST policy-claims/{pk}/materials/": Expect(
        claim_action(200, actors=("applicant",)),
        kind="claim",
        target="claim_draft",
        body=lambda side: ({"code": "m1", "file": upload("证明.pdf", "pdf")}, "multipart"),
    ),
    "POST policy-claims/{pk}/return/": Expect(
        claim_action(200, actors=CLAIM_DECIDERS),
        kind="claim",
        target="claim_submitted",
        body=json_body({"reason": "请补充材料"}),
    ),
    "POST policy-claims/{pk}/approve/": Expect(
        claim_action(200, actors=CLAIM_DECIDERS), kind="claim", target="claim_submitted", body=json_body({})
    ),
    "POST policy-claims/{pk}/refuse/": Expect(
        claim_action(200, actors=CLAIM_DECIDERS),
        kind="claim",
        target="claim_submitted",
        body=json_body({"reason": "不符合条件"}),
    ),
    "POST policy-claims/{pk}/pay/": Expect(
        claim_action(200, actors=CLAIM_DECIDERS),
        kind="claim",
        target="claim_approved",
        body=json_body({"reference": "CQ-0001"}),
    ),
    "GET policy-facts/": Expect(S(200)),
    # The invest-first fund: the enterprise applies and may withdraw; the task force (administrators here)
    # takes every other step; committee members (leaders) vote; supervisors read.
    "GET fund-investments/": Expect(S(200), kind="investment", listing="inv_applied"),
    "GET fund-investments/{pk}/": Expect(
        fund_action(200, actors=SEES_INVESTMENT), kind="investment", target="inv_applied"
    ),
    "POST fund-investments/": Expect(
        S(403, applicant=201),
        body=json_body({"title": "矩阵新项目", "summary": "矩阵测试。", "requested": "50"}),
    ),
    "POST fund-investments/{pk}/start-diligence/": fund_cell("inv_applied", 200, ("administrator",)),
    "POST fund-investments/{pk}/withdraw/": fund_cell("inv_applied", 200, ("applicant",)),
    "POST fund-investments/{pk}/reject/": fund_cell(
        "inv_applied", 200, ("administrator",), {"reason": "不予投资"}
    ),
    "POST fund-investments/{pk}/to-committee/": fund_cell(
        "inv_diligence", 200, ("administrator",), {"report": "尽调报告"}
    ),
    "POST fund-investments/{pk}/vote/": fund_cell("inv_committee", 200, ("leader",), {"choice": "for"}),
    "POST fund-investments/{pk}/approve/": fund_cell("inv_committee", 200, ("administrator",)),
    "POST fund-investments/{pk}/sign/": fund_cell(
        "inv_approved",
        200,
        ("administrator",),
        {
            "amount": "100",
            "signed_on": "2026-05-20",
            "trigger": "next_round",
            "discount": "20",
            "repayment_date": "2029-05-20",
            "tranches": [{"amount": "100", "milestone": "中试线建成"}],
        },
    ),
    "POST fund-investments/{pk}/tranches/{number}/meet/": fund_cell(
        "inv_invested", 200, ("administrator",), {"evidence": "验收通过"}
    ),
    # The second tranche's milestone is not met: paying it is refused (409), for the task force too.
    "POST fund-investments/{pk}/tranches/{number}/disburse/": fund_cell(
        "inv_invested", 409, ("administrator",), {"reference": "ZF-2"}
    ),
    "POST fund-investments/{pk}/convert/": fund_cell(
        "inv_invested", 200, ("administrator",), {"equity_percent": "5"}
    ),
    "POST fund-investments/{pk}/repay/": fund_cell("inv_invested", 200, ("administrator",), {"amount": "60"}),
    "POST fund-investments/{pk}/write-off/": fund_cell(
        "inv_invested", 200, ("administrator",), {"reason": "核销"}
    ),
    # --- party building: organizations, teams, alliances and activities read by civil servants and members;
    # kept by the officers of the organization or above (the party officer keeps side A's committee).
    "GET party-organizations/": Expect(S(200, applicant=200)),
    "GET party-organizations/{pk}/": Expect(S(200), kind="party", target="party_branch"),
    "GET party-organizations/{pk}/outcomes/": Expect(S(200), kind="party", target="party_committee"),
    "GET party-organizations/{pk}/outcomes/{key}/": Expect(
        S(200, applicant=403), kind="party", target="party_committee"
    ),
    "POST party-organizations/": Expect(
        S(403, party_officer=201),
        body=json_body(
            lambda side: {
                "parent": side["party_branch"].pk,
                "name": "第一党小组",
                "kind": "group",
                "sector": "organ",
            }
        ),
    ),
    "POST party-organizations/{pk}/rename/": party_cell("party_branch", {"name": "矩阵更名支部"}),
    "POST party-organizations/{pk}/move/": party_cell(
        "party_spare", lambda side: {"parent": side["party_general"].pk}
    ),
    "POST party-organizations/{pk}/merge/": party_cell(
        "party_spare", lambda side: {"into": side["party_branch"].pk}
    ),
    "POST party-organizations/{pk}/dissolve/": party_cell("party_spare", {}),
    "POST party-organizations/{pk}/appoint/": party_cell(
        "party_branch", lambda side: {"user": side.head.pk, "title": "organization"}
    ),
    "GET party-members/": Expect(S(200), kind="party_member", listing="party_member"),
    "GET party-members/{pk}/": Expect(
        S(404, party_officer=200, applicant=200), kind="party_member", target="party_member"
    ),
    "POST party-members/": Expect(
        S(403, party_officer=201),
        body=json_body(
            lambda side: {
                "organization": side["party_branch"].pk,
                "name": "新党员",
                "id_number": party_identity.make("500107", datetime.date(1995, 2, 3), 7),
                "joined_on": "2020-07-01",
            }
        ),
    ),
    "POST party-members/{pk}/transfer/": Expect(
        S(404, party_officer=200, applicant=403),
        kind="party_member",
        target="party_member",
        body=json_body({"outside": "区外某党支部", "reason": "工作调动"}),
    ),
    "POST party-members/{pk}/confirm-full/": Expect(
        S(404, party_officer=200, applicant=403), kind="party_member", target="party_member"
    ),
    "POST party-members/{pk}/reveal-id-number/": Expect(
        S(404, party_officer=200, applicant=200), kind="party_member", target="party_member"
    ),
    "GET party-teams/": Expect(S(200), kind="party", listing="party_team"),
    "GET party-teams/{pk}/": Expect(S(200), kind="party", target="party_team"),
    "GET party-teams/{pk}/outcomes/": Expect(S(200), kind="party", target="party_team"),
    "GET party-teams/{pk}/outcomes/{key}/": Expect(S(200, applicant=403), kind="party", target="party_team"),
    "POST party-teams/": Expect(
        S(403, party_officer=201),
        body=json_body(
            lambda side: {"organization": side["party_committee"].pk, "name": "新先锋队", "mission": "使命"}
        ),
    ),
    "POST party-teams/{pk}/links/": party_cell(
        "party_team", lambda side: {"kind": "enterprise", "target": side["enterprise"].pk}
    ),
    "POST party-teams/{pk}/links/remove/": party_cell(
        "party_team", lambda side: {"link": side["party_link"].pk}
    ),
    "POST party-teams/{pk}/members/": party_cell(
        "party_team", lambda side: {"member": side["party_member_2"].pk}
    ),
    "POST party-teams/{pk}/members/remove/": party_cell(
        "party_team", lambda side: {"membership": side["party_membership"].pk}
    ),
    "GET party-alliances/": Expect(S(200), kind="party", listing="party_alliance"),
    "GET party-alliances/{pk}/": Expect(S(200), kind="party", target="party_alliance"),
    "GET party-alliances/{pk}/outcomes/": Expect(S(200), kind="party", target="party_alliance"),
    "GET party-alliances/{pk}/outcomes/{key}/": Expect(
        S(200, applicant=403), kind="party", target="party_alliance"
    ),
    "POST party-alliances/": Expect(
        S(403, party_officer=201),
        body=json_body(
            lambda side: {"lead": side["party_committee"].pk, "project": side["project"].pk, "name": "新联盟"}
        ),
    ),
    "POST party-alliances/{pk}/organizations/": party_cell(
        "party_alliance", lambda side: {"organization": side["party_branch"].pk, "side": "government"}
    ),
    "GET party-activities/": Expect(S(200), kind="party", listing="party_activity"),
    "GET party-activities/{pk}/": Expect(S(200), kind="party", target="party_activity"),
    "POST party-activities/": Expect(
        S(403, party_officer=201),
        body=json_body(
            lambda side: {
                "organization": side["party_branch"].pk,
                "kind": "study",
                "title": "集中学习",
                "held_on": "2026-05-25",
                "attendance": [{"member": side["party_member"].pk, "status": "present"}],
            }
        ),
    ),
    "GET party-schemes/": Expect(S(200), kind="party", listing="party_scheme"),
    "GET party-schemes/{pk}/": Expect(S(200), kind="party", target="party_scheme"),
    "POST party-schemes/": Expect(
        S(403, party_officer=201),
        body=json_body(
            lambda side: {
                "owner": side["party_committee"].pk,
                "name": "党员积分",
                "kind": "member_points",
                "year": 2026,
                "base_points": "60",
                "indicators": [{"name": "作出贡献", "source": "manual", "cap": "10"}],
            }
        ),
    ),
    "POST party-schemes/{pk}/open/": party_cell("party_scheme", {}),
    "POST party-schemes/{pk}/publish/": party_cell("party_scheme", {}),
    "GET party-evaluations/": Expect(S(200), kind="party_evaluation", listing="party_eval_draft"),
    "GET party-evaluations/{pk}/": Expect(
        S(404, party_officer=200), kind="party_evaluation", target="party_eval_draft"
    ),
    "POST party-evaluations/{pk}/submit/": Expect(
        S(404, party_officer=200),
        kind="party_evaluation",
        target="party_eval_draft",
        body=json_body(lambda side: {"claimed": {str(side["party_manual"].pk): "42"}}),
    ),
    "POST party-evaluations/{pk}/review/": Expect(
        S(404, party_officer=200),
        kind="party_evaluation",
        target="party_eval_submitted",
        body=json_body(lambda side: {"granted": {str(side["party_manual"].pk): "41"}}),
    ),
    "POST party-evaluations/{pk}/return/": Expect(
        S(404, party_officer=200),
        kind="party_evaluation",
        target="party_eval_submitted",
        body=json_body({"note": "请补充佐证材料"}),
    ),
    "GET projects/": Expect(S(200), kind="project", listing="project"),
    # The ledger in Excel: the list's projects within each caller's scope; imported by civil servants who may
    # change projects (202: in the background), each import read by its uploader and administrators.
    "GET projects/ledger/": Expect(S(200)),
    "GET ledger-imports/": Expect(S(200)),
    "POST ledger-imports/": Expect(
        S(403, project_specialist=202, administrator=202),
        body=lambda side: ({"file": ledger_upload()}, "multipart"),
    ),
    "GET ledger-imports/{pk}/": Expect(
        S(404, project_specialist=200, administrator=200), target="ledger_import"
    ),
    "POST projects/": Expect(
        S(403, applicant=201, administrator=201),
        body=json_body(
            lambda side: {
                "code": "2026-500106-47-01-909090",
                "name": "矩阵登记的项目",
                "total_investment": "1000.00",
                "location": "重庆市沙坪坝区",
                "enterprise": side["enterprise"].pk,
            }
        ),
    ),
    "GET projects/{pk}/": Expect(S(200), kind="project", target="project"),
    "PATCH projects/{pk}/": Expect(
        S(403, applicant=200, project_specialist=200, administrator=200),
        kind="project",
        target="project",
        body=json_body({"name": "改过名的项目"}),
    ),
    "POST projects/{pk}/phase/": Expect(
        S(403, applicant=200, project_specialist=200, administrator=200),
        kind="project",
        target="project",
        body=json_body({"phase": "approval"}),
    ),
    # --- a project's file: read by whoever sees the project; its plan kept by those who may change it ----------
    "GET projects/{pk}/schedule/": Expect(S(200), kind="project", target="project"),
    "POST projects/{pk}/milestones/": Expect(
        S(403, applicant=200, project_specialist=200, administrator=200),
        kind="project",
        target="project",
        body=json_body({"kind": "start", "planned_on": "2026-12-01"}),
    ),
    "POST projects/{pk}/stages/": Expect(
        S(403, applicant=200, project_specialist=200, administrator=200),
        kind="project",
        target="project",
        body=json_body({"name": "二期"}),
    ),
    "POST projects/{pk}/plans/": Expect(
        S(403, applicant=200, project_specialist=200, administrator=200),
        kind="project",
        target="project",
        body=json_body({"year": 2026, "category": "new", "planned": "100.00"}),
    ),
    # Monthly reports: by the project's unit alone.
    "GET projects/{pk}/reports/": Expect(S(200), kind="project", target="project"),
    "POST projects/{pk}/reports/": Expect(
        S(403, applicant=201),
        kind="project",
        target="project",
        body=json_body(
            {"month": "2026-06", "investment": "10.00", "progress_percent": 10, "progress_text": "基础施工"}
        ),
    ),
    # The escort team: formed by leaders and administrators; the consent is the enterprise's; the service log
    # kept by the team (the side's reviewer is on it); notes by supervisors.
    # Quality and safety inspections: by inspectors.
    "GET projects/{pk}/inspections/": Expect(S(200), kind="project", target="project"),
    "POST projects/{pk}/inspections/": Expect(
        S(403, inspector=201),
        kind="project",
        target="project",
        body=json_body({"kind": "safety", "score": 92, "summary": "临边防护到位"}),
    ),
    "GET projects/{pk}/escort/": Expect(S(200), kind="project", target="project"),
    "POST projects/{pk}/escort/members/": Expect(
        S(403, leader=200, administrator=200),
        kind="project",
        target="project",
        body=json_body(lambda side: {"user": side.head.pk, "role": "specialist"}),
    ),
    "POST projects/{pk}/escort/members/remove/": Expect(
        S(403, leader=200, administrator=200),
        kind="project",
        target="project",
        body=json_body(lambda side: {"user": side.reviewer.pk}),
    ),
    "POST projects/{pk}/consent/": Expect(
        S(403, applicant=200), kind="project", target="project", body=json_body({"scope": "联合验收一件事"})
    ),
    "POST projects/{pk}/consent/revoke/": Expect(S(403, applicant=200), kind="project", target="project"),
    "GET projects/{pk}/service-logs/": Expect(S(200), kind="project", target="project"),
    "POST projects/{pk}/service-logs/": Expect(
        S(403, department_reviewer=201, project_specialist=201),
        kind="project",
        target="project",
        body=json_body({"kind": "visit", "note": "上门指导"}),
    ),
    "GET projects/{pk}/supervision-notes/": Expect(S(200), kind="project", target="project"),
    "POST projects/{pk}/supervision-notes/": Expect(
        S(403, supervisor=201), kind="project", target="project", body=json_body({"text": "跟进监督"})
    ),
    # --- applications: reading ------------------------------------------------------------------------------
    "GET applications/": Expect(S(200), kind="application", listing="in_review"),
    "GET applications/{pk}/": Expect(READ_APPLICATION, kind="application", target="in_review"),
    "GET applications/{pk}/requirements/": Expect(READ_DRAFT, kind="application", target="draft"),
    "GET applications/{pk}/materials/{material_id}/file/": Expect(
        READ_APPLICATION, kind="application", target="delivered"
    ),
    # --- applications: the applicant ------------------------------------------------------------------------
    "POST applications/": Expect(
        S(403, applicant=201),
        body=json_body(lambda side: {"project": side["project"].pk, "bundle": side["draft"].bundle_id}),
    ),
    # Help-and-do: the lead of side A's escort team prepares a draft for its consenting enterprise.
    "POST applications/prepare/": Expect(
        S(403, project_specialist=201),
        body=json_body(lambda side: {"project": side["project"].pk, "bundle": side["draft"].bundle_id}),
    ),
    "PUT applications/{pk}/answers/": Expect(
        approvals(200, actors=("applicant",), blind=DEPARTMENTS_BLIND),
        kind="application",
        target="draft",
        body=json_body(lambda side: {"answers": side["draft"].answers}),
    ),
    "PUT applications/{pk}/form/": Expect(
        approvals(200, actors=("applicant",), blind=DEPARTMENTS_BLIND),
        kind="application",
        target="draft",
        body=json_body({"data": {"project_name": "科学城芯片研发中心(一期)"}}),
    ),
    "POST applications/{pk}/materials/": Expect(
        approvals(201, actors=("applicant",), blind=DEPARTMENTS_BLIND),
        kind="application",
        target="draft",
        body=file_body(lambda side: side["upload_spec"].code),
    ),
    "PUT applications/{pk}/target-date/": Expect(
        approvals(200, actors=("applicant",), blind=DEPARTMENTS_BLIND),
        kind="application",
        target="handover_draft",
        body=json_body({"target_date": "2026-06-23"}),
    ),
    "POST applications/{pk}/pledges/": Expect(
        approvals(201, actors=("applicant",), blind=DEPARTMENTS_BLIND),
        kind="application",
        target="draft",
        body=json_body({"spec_code": "funding-pledge", "text": "本企业承诺建设资金已落实。"}),
    ),
    "POST applications/{pk}/submit/": Expect(
        approvals(200, actors=("applicant",), blind=DEPARTMENTS_BLIND), kind="application", target="draft"
    ),
    "POST applications/{pk}/withdraw/": Expect(
        approvals(200, actors=("applicant",)),
        kind="application",
        target="in_review",
        body=json_body({"reason": "项目调整,撤回申请"}),
    ),
    "POST applications/{pk}/cancel/": Expect(
        approvals(200, actors=("administrator",)),
        kind="application",
        target="in_review",
        body=json_body({"reason": "重复申请,予以作废"}),
    ),
    "POST applications/{pk}/supplement-answers/": Expect(
        approvals(201, actors=("applicant",)),
        kind="application",
        target="supplement",
        body=lambda side: ({"task": side["supplement_task"].pk, "text": "已补充监测数据。"}, "multipart"),
    ),
    "POST applications/{pk}/gap-materials/": Expect(
        approvals(201, actors=("applicant",)), kind="application", target="gaps", body=file_body(GAP)
    ),
    "POST applications/{pk}/rating/": Expect(
        approvals(201, actors=("applicant",)),
        kind="application",
        target="delivered",
        body=json_body({"score": 5, "comment": "很快"}),
    ),
    # --- applications: the window ---------------------------------------------------------------------------
    "POST applications/{pk}/verdicts/": Expect(
        approvals(200, actors=("window_clerk",), blind=DEPARTMENTS_BLIND),
        kind="application",
        target="submitted",
        body=json_body(
            lambda side: {"verdicts": {side["upload_spec"].code: {"verdict": "accepted", "note": ""}}}
        ),
    ),
    "POST applications/{pk}/accept/": Expect(
        approvals(200, actors=("window_clerk",), blind=DEPARTMENTS_BLIND),
        kind="application",
        target="submitted",
    ),
    "POST applications/{pk}/accept-with-gaps/": Expect(
        approvals(200, actors=("window_clerk",), blind=DEPARTMENTS_BLIND),
        kind="application",
        target="submitted_gap",
        body=json_body({"gaps": {GAP: "2026-06-12"}}),
    ),
    "POST applications/{pk}/correction/": Expect(
        approvals(201, actors=("window_clerk",), blind=DEPARTMENTS_BLIND),
        kind="application",
        target="submitted",
        body=json_body(
            lambda side: {
                "problems": [{"material": side["upload_spec"].code, "problem": "缺少盖章"}],
                "note": "请一次补正",
            }
        ),
    ),
    "POST applications/{pk}/refuse/": Expect(
        approvals(200, actors=("window_clerk",), blind=DEPARTMENTS_BLIND),
        kind="application",
        target="submitted",
        body=json_body({"reason": "不属于本中心受理范围"}),
    ),
    "POST applications/{pk}/gap-materials/{material_id}/accept/": Expect(
        approvals(200, actors=("window_clerk",)), kind="application", target="gap_supplied"
    ),
    "POST applications/{pk}/gap-materials/{material_id}/reject/": Expect(
        approvals(200, actors=("window_clerk",)),
        kind="application",
        target="gap_supplied",
        body=json_body({"note": "扫描件不清晰"}),
    ),
    "POST applications/{pk}/target-date-change/": Expect(
        approvals(200, actors=("window_clerk",), blind=DEPARTMENTS_BLIND),
        kind="application",
        target="handover_submitted",
        body=json_body({"target_date": "2026-06-23", "reason": "出让人通知交地日期调整"}),
    ),
    "POST applications/{pk}/delivery/": Expect(
        approvals(201, actors=("window_clerk",)),
        kind="application",
        target="concluded",
        body=json_body({"method": "electronic"}),
    ),
    # --- review tasks ---------------------------------------------------------------------------------------
    "GET tasks/": Expect(S(200), kind="task", listing="pending_task"),
    "GET tasks/{pk}/": Expect(READ_APPLICATION, kind="task", target="pending_task"),
    "POST tasks/{pk}/claim/": Expect(
        approvals(200, actors=("department_reviewer", "department_head")), kind="task", target="pending_task"
    ),
    "POST tasks/{pk}/opinion/": Expect(
        approvals(201, actors=("department_reviewer",)),
        kind="task",
        target="claimed_task",
        body=json_body({"text": "材料齐全,符合要求。"}),
    ),
    "POST tasks/{pk}/inspection/": Expect(
        approvals(201, actors=("department_reviewer",)),
        kind="task",
        target="claimed_task",
        body=json_body({"date": "2026-06-01", "findings": "现场与图纸一致。", "passed": True}),
    ),
    "POST tasks/{pk}/approve/": Expect(
        approvals(200, actors=("department_reviewer",)),
        kind="task",
        target="claimed_task",
        body=json_body({"opinion": "准予许可"}),
    ),
    "POST tasks/{pk}/approve-on-pledge/": Expect(
        approvals(200, actors=("department_reviewer",)),
        kind="task",
        target="claimed_task",
        body=json_body({"opinion": "告知承诺准予许可"}),
    ),
    "POST tasks/{pk}/reject/": Expect(
        approvals(200, actors=("department_reviewer",)),
        kind="task",
        target="claimed_task",
        body=json_body({"reasons": ["选址位于生态保护红线内"]}),
    ),
    "POST tasks/{pk}/supplement/": Expect(
        approvals(201, actors=("department_reviewer",)),
        kind="task",
        target="claimed_task",
        body=json_body({"text": "请补充监测报告。"}),
    ),
    "POST tasks/{pk}/reassign/": Expect(
        approvals(200, actors=("department_head",)),
        kind="task",
        target="claimed_task",
        body=json_body(lambda side: {"assignee": side.colleague.pk}),
    ),
    "POST tasks/{pk}/extend/": Expect(
        approvals(200, actors=("department_head",)),
        kind="task",
        target="claimed_task",
        body=json_body({"days": 5, "reason": "需专家评审"}),
    ),
    # --- certificates, notifications, follow-ups, reports -----------------------------------------------------
    "GET certificates/": Expect(S(200), kind="certificate", listing="certificate"),
    "GET certificates/{pk}/": Expect(READ_APPLICATION, kind="certificate", target="certificate"),
    "GET certificates/{pk}/pdf/": Expect(READ_APPLICATION, kind="certificate", target="certificate"),
    "POST certificates/{pk}/revoke/": Expect(
        approvals(200, actors=("administrator",)),
        kind="certificate",
        target="certificate",
        body=json_body({"reason": "证照信息有误"}),
    ),
    "GET certificates/verify/{code}/": Expect(S(200, anonymous=200), target="certificate"),
    "GET notifications/": Expect(S(200), kind="notification", listing="notification"),
    "GET notifications/{pk}/": Expect(S(200), kind="notification", target="notification"),
    "POST notifications/{pk}/read/": Expect(S(200), kind="notification", target="notification"),
    "POST notifications/read-all/": Expect(S(200)),
    "GET notifications/kinds/": Expect(S(200)),
    "GET reports/reform/": Expect(
        S(403, leader=200, supervisor=200, administrator=200), query="?bundle=start-construction"
    ),
    "GET reports/overview/": Expect(S(403, leader=200, supervisor=200, administrator=200)),
    # --- the interaction register: the recorder, their head, the enterprise visited and the zone-wide roles ---
    "GET interactions/": Expect(S(200), kind="interaction", listing="interaction"),
    "POST interactions/": Expect(
        S(403, **dict.fromkeys(RECORDERS, 201)),
        body=json_body(
            lambda side: {
                "enterprise": side["enterprise"].pk,
                "kind": "meeting",
                "occurred_on": "2026-05-29",
                "place": "政务服务中心",
                "purpose": "开工一件事政策宣讲",
                "items": ["enc-policy"],
                "officials_present": "矩阵",
            }
        ),
    ),
    "GET interactions/{pk}/": Expect(READ_INTERACTION, kind="interaction", target="interaction"),
    "POST interactions/{pk}/confirm/": Expect(
        answer_interaction(200, "applicant"), kind="interaction", target="interaction", body=json_body({})
    ),
    "POST interactions/{pk}/dispute/": Expect(
        answer_interaction(200, "applicant"),
        kind="interaction",
        target="interaction",
        body=json_body({"note": "当天没有来访"}),
    ),
    "POST interactions/{pk}/findings/": Expect(
        answer_interaction(201, "supervisor"),
        kind="interaction",
        target="interaction",
        body=json_body({"kind": "note", "text": "已查阅"}),
    ),
    "GET interaction-items/": Expect(S(200)),
    # --- service events: staff who hold them record them; their managers act; the enterprise raises demands ---
    "GET service-events/": Expect(S(200), kind="service_event", listing="service_event"),
    "POST service-events/": Expect(
        S(403, **dict.fromkeys(RECORDERS, 201)),
        body=json_body(
            lambda side: {
                "kind": "policy_briefing",
                "title": "矩阵政策宣讲会",
                "starts_at": "2026-06-10T09:30:00+08:00",
                "place": "科学会堂",
                "department": side.department.pk,
            }
        ),
    ),
    "GET service-events/{pk}/": Expect(READ_EVENT, kind="service_event", target="service_event"),
    "GET service-events/{pk}/participants/": Expect(READ_EVENT, kind="service_event", target="service_event"),
    "POST service-events/{pk}/participants/": Expect(
        event_action(201, *EVENT_MANAGERS),
        kind="service_event",
        target="service_event",
        body=json_body({"role": "expert", "name": "矩阵专家", "institution": "重庆大学"}),
    ),
    "GET service-events/{pk}/demands/": Expect(READ_EVENT, kind="service_event", target="service_event"),
    "POST service-events/{pk}/demands/": Expect(
        event_action(201, *EVENT_MANAGERS, "applicant"),
        kind="service_event",
        target="service_event",
        body=json_body(
            lambda side: {
                "enterprise": side["enterprise"].pk,
                "category": side["problem_category"].code,
                "title": "矩阵现场诉求",
                "description": "需协调用地",
            }
        ),
    ),
    "POST service-events/{pk}/outcome/": Expect(
        event_action(200, *EVENT_MANAGERS),
        kind="service_event",
        target="service_event",
        body=json_body({"summary": "达成合作意向", "agreements": "联合攻关"}),
    ),
    "POST service-events/{pk}/cancel/": Expect(
        event_action(200, *EVENT_MANAGERS),
        kind="service_event",
        target="service_event",
        body=json_body({"reason": "改期"}),
    ),
    "POST service-events/{pk}/interactions/": Expect(
        event_action(201, *EVENT_MANAGERS),
        kind="service_event",
        target="service_event",
        body=json_body({"items": ["enc-consult"], "officials_present": "矩阵审查员"}),
    ),
    # --- the cockpit: leaders and supervisors read it, leaders ask for the monthly report ------------------
    "GET cockpit/": Expect(COCKPIT, query="?period=2026-05"),
    "GET cockpit/figures/": Expect(COCKPIT),
    "GET cockpit/records/{key}/": Expect(COCKPIT, query="?period=2026-05"),
    "GET cockpit/records/{key}/measure/": Expect(COCKPIT, query="?period=2026"),
    "GET cockpit-reports/": Expect(COCKPIT),
    "POST cockpit-reports/": Expect(S(403, leader=202), body=json_body({"month": "2026-05"})),
    "GET cockpit-reports/{pk}/": Expect(COCKPIT, target="zone_report"),
    "GET cockpit-reports/{pk}/file/": Expect(COCKPIT, target="zone_report"),
    # --- audit and departments ----------------------------------------------------------------------------
    "GET audit-events/": Expect(S(200), kind="audit", listing="audit_event"),
    "GET audit-events/{pk}/": Expect(S(200), kind="audit", target="audit_event"),
    "GET departments/": Expect(S(200, anonymous=200)),  # public, as the bundle guide names them
    # --- the devolved powers: the published list for everyone, its usage figures for civil servants ---------
    "GET devolved-powers/": Expect(S(200, anonymous=200)),
    "GET devolved-powers/{pk}/": Expect(S(200, anonymous=200), target="devolved_power"),
    "GET devolved-powers/summary/": Expect(S(200, applicant=403)),
    "GET departments/{pk}/": Expect(S(200, anonymous=200), target="department"),
    # --- problems -----------------------------------------------------------------------------------------
    # --- the "三比一争" campaign: read by all signed in, run by leaders and administrators ---------------------
    "GET campaigns/": Expect(S(200)),
    "POST campaigns/": Expect(
        S(403, leader=201, administrator=201),
        body=json_body(
            {
                "name": "百日攻坚",
                "round_length": "hundred_days",
                "starts_on": "2026-06-01",
                "ends_on": "2026-09-08",
            }
        ),
    ),
    "GET campaigns/{pk}/": Expect(S(200), target="campaign"),
    "PUT campaigns/{pk}/rules/": Expect(
        S(403, leader=200, administrator=200),
        target="campaign",
        body=json_body({"rules": [{"measure": "quality_inspection", "weight": "40"}]}),
    ),
    "GET campaigns/{pk}/rounds/": Expect(S(200), target="campaign"),
    "GET campaign-rounds/": Expect(S(200)),
    "GET campaign-rounds/{pk}/": Expect(S(200), target="round_published"),
    "GET campaign-rounds/{pk}/ranking/": Expect(S(200), target="round_published"),
    # A scored round is seen by organizers and the zone-wide readers only; supervisors may not act.
    "POST campaign-rounds/{pk}/score/": Expect(
        S(404, leader=200, administrator=200, supervisor=403), target="round_scored"
    ),
    "POST campaign-rounds/{pk}/publish/": Expect(
        S(404, leader=200, administrator=200, supervisor=403), target="round_scored"
    ),
    # --- mass starts: public announcements read by all signed in, recorded by project specialists and admins ----
    "GET mass-starts/": Expect(S(200)),
    "POST mass-starts/": Expect(
        S(403, project_specialist=201, administrator=201),
        body=json_body(
            {"name": "矩阵开工", "held_on": "2026-05-20", "place": "科学谷", "organizer": "管委会"}
        ),
    ),
    "GET mass-starts/{pk}/": Expect(S(200), target="mass_start"),
    "PATCH mass-starts/{pk}/": Expect(
        S(403, project_specialist=200, administrator=200),
        target="mass_start",
        body=json_body({"place": "科学谷二号地块"}),
    ),
    "GET mass-starts/{pk}/projects/": Expect(S(200), target="mass_start"),
    "POST mass-starts/{pk}/projects/": Expect(
        S(403, project_specialist=201, administrator=201),
        target="mass_start",
        body=json_body(lambda side: {"projects": [{"project": side["project"].pk}]}),
    ),
    "POST mass-starts/{pk}/projects/remove/": Expect(
        S(403, project_specialist=200, administrator=200),
        target="mass_start",
        body=json_body(lambda side: {"project": side["mass_start_project"].pk}),
    ),
    "GET mass-starts/{pk}/breakdown/": Expect(S(200), target="mass_start"),
    "GET timeline/": Expect(S(200)),
    "GET problem-categories/": Expect(S(200)),
    "GET problem-categories/{pk}/": Expect(S(200), target="problem_category"),
    "GET problem-statistics/": Expect(S(200, window_clerk=403, party_officer=403)),
    "GET problems/": Expect(S(200), kind="problem", listing="problem_dispatched"),
    "POST problems/": Expect(  # anyone signed in may report a problem (a citizen's account holds no role)
        S(201),
        body=json_body(
            lambda side: {
                "category": side["problem_category"].code,
                "title": "矩阵报告的问题",
                "description": "路面塌陷",
                "latitude": side["problem_point"][0],
                "longitude": side["problem_point"][1],
            }
        ),
    ),
    "GET problems/{pk}/": Expect(READ_PROBLEM, kind="problem", target="problem_dispatched"),
    "POST problems/{pk}/dispatch/": Expect(
        problems(200, actors=("dispatcher",), waiting=True),
        kind="problem",
        target="problem_waiting",
        body=json_body(lambda side: {"department": side.department.code, "note": "请处理"}),
    ),
    "POST problems/{pk}/accept/": Expect(
        problems(200, actors=PROBLEM_HANDLERS), kind="problem", target="problem_dispatched"
    ),
    "POST problems/{pk}/return/": Expect(
        problems(200, actors=PROBLEM_HANDLERS),
        kind="problem",
        target="problem_dispatched",
        body=json_body({"note": "不属于本部门职责"}),
    ),
    "POST problems/{pk}/progress/": Expect(
        problems(200, actors=PROBLEM_HANDLERS),
        kind="problem",
        target="problem_rectifying",
        body=json_body({"note": "已完成一半"}),
    ),
    "POST problems/{pk}/long-term/": Expect(
        problems(200, actors=PROBLEM_HANDLERS),
        kind="problem",
        target="problem_rectifying",
        body=json_body({"plan": "随管网改造一并整改", "due_date": "2026-12-15"}),
    ),
    "POST problems/{pk}/rectify/": Expect(
        problems(200, actors=PROBLEM_HANDLERS),
        kind="problem",
        target="problem_rectifying",
        body=json_body({"note": "已整改完毕"}),
    ),
    "POST problems/{pk}/verify/": Expect(  # the category's verifier: inspectors (and the dispatch centre)
        problems(200, actors=("dispatcher", "inspector")),
        kind="problem",
        target="problem_rectified",
        body=json_body({"passed": True}),
    ),
    "POST problems/{pk}/reopen/": Expect(
        problems(200, actors=("applicant",)),
        kind="problem",
        target="problem_closed",
        body=json_body({"note": "问题又出现了"}),
    ),
    "POST problems/{pk}/rate/": Expect(
        problems(200, actors=("applicant",)),
        kind="problem",
        target="problem_closed",
        body=json_body({"satisfaction": 4}),
    ),
    "POST problems/{pk}/merge/": Expect(
        problems(200, actors=("dispatcher",)),
        kind="problem",
        target="problem_dispatched",
        body=json_body(lambda side: {"into": side["problem_rectifying"].number}),
    ),
    "POST problems/{pk}/split/": Expect(
        problems(201, actors=("dispatcher",), waiting=True),
        kind="problem",
        target="problem_waiting",
        body=json_body(
            lambda side: {
                "parts": [
                    {"title": "排污口", "department": side.department.code},
                    {"title": "渣土", "department": side.colleague.department.code},
                ]
            }
        ),
    ),
    "POST problems/{pk}/dismiss/": Expect(
        problems(200, actors=("dispatcher",), waiting=True),
        kind="problem",
        target="problem_waiting",
        body=json_body({"note": "私人纠纷,不属于平台受理范围"}),
    ),
    # --- the rivers' water quality: read by everyone signed in; readings entered by the section's department --
    "GET rivers/": Expect(S(200)),
    "GET rivers/{pk}/": Expect(S(200), target="river"),
    "GET river-sections/": Expect(S(200)),
    "GET river-sections/{pk}/": Expect(S(200), target="river_section"),
    "GET river-sections/nearest/": Expect(S(200), query="?latitude=29.6&longitude=106.35"),
    "GET river-sections/summary/": Expect(S(200)),
    "GET water-readings/": Expect(S(200)),
    "GET water-readings/{pk}/": Expect(S(200), target="water_reading"),
    "POST water-readings/": Expect(
        S(403, department_reviewer=201, department_head=201),
        body=json_body({"section": "MATRIX-01", "month": "2026-04", "water_class": 4}),
    ),
    "POST water-readings/{pk}/correct/": Expect(
        S(403, department_reviewer=200, department_head=200),
        target="water_reading",
        body=json_body({"water_class": 3, "reason": "监测站复核"}),
    ),
}


# --- one cell ----------------------------------------------------------------------------------------------


def _object(world: MatrixWorld, key: str, role: str, side_name: str):
    """The object named `key` on a side: the acting user's own where objects belong to users."""
    side = world.sides[side_name]
    if key in ("token", "notification", "audit_event"):
        user = world.users.get(role) if side_name == "A" else world.side_b_users["applicant"]
        if user is None:  # anonymous: any user's
            user = world.users["applicant"]
        if key == "audit_event":
            return AuditEvent.objects.filter(actor=user).order_by("-pk").first()
        return world.extras[user.pk][key]
    if key.startswith("catalog_"):
        version = world.draft_version if side_name == "B" else side.world.version
        if key == "catalog_version":
            return version
        related = {"catalog_material": "materials", "catalog_item": "items", "catalog_bundle": "bundles"}
        rows = getattr(version, related[key])
        return rows.get(code=BUNDLE) if key == "catalog_bundle" else rows.order_by("pk").first()
    if key == "department":
        return side.department
    if key == "ledger_import":  # the project specialist's upload: read by them and administrators
        uploader = world.users["project_specialist"]
        return LedgerImport.objects.filter(uploaded_by=uploader).first() or LedgerImport.objects.create(
            uploaded_by=uploader, file="ledger-imports/matrix.xlsx"
        )
    if key == "zone_report":  # the zone's monthly report, rendered (its file a stand-in)
        report = ZoneReport.objects.filter(status=ZoneReport.Status.READY).first()
        if report is None:
            report = ZoneReport.objects.create(
                month=datetime.date(2026, 5, 1), status=ZoneReport.Status.READY
            )
            report.file.save(report.filename, ContentFile(b"%PDF-1.7 matrix"), save=True)
        return report
    if key == "recount":  # one pass of the zone's: administrators read it, nobody else
        return DeadlineRecount.objects.order_by("pk").first() or DeadlineRecount.objects.create(
            trigger=DeadlineRecount.Trigger.MANUAL
        )
    if key == "devolved_power":  # the published power list: one power, implemented by side A's item
        return DevolvedPower.objects.order_by("pk").first() or power_services.save_power(
            None,
            item_codes=[SIDES["A"]["item"]],
            code="XK-001",
            name="建设项目环境影响报告书审批",
            kind="license",
            law="中华人民共和国环境影响评价法",
            original_authority="重庆市生态环境局",
            decision_number="渝府发〔2021〕5号",
            devolved_on=datetime.date(2021, 3, 26),
            department=side.department,
        )
    return side[key]


def url_of(world: MatrixWorld, endpoint: str, role: str, side_name: str) -> str:
    expect = EXPECTED[endpoint]
    route = endpoint.split(" ", 1)[1]
    side = world.sides[side_name]
    if "{pk}" in route:
        route = route.replace("{pk}", str(_object(world, expect.target, role, side_name).pk))
    if "{material_id}" in route:
        material = side["gap_material"] if "gap-materials" in route else side["material"]
        route = route.replace("{material_id}", str(material.pk))
    if "{number}" in route:  # a tranche: the second, whose milestone is not met yet
        route = route.replace("{number}", "2")
    if "{key}" in route:  # an outcome figure, or a figure of the cockpit
        route = route.replace("{key}", "key_projects" if route.startswith("cockpit/") else "projects")
    if "{year}" in route:  # a calendar year: one no other cell writes
        route = route.replace("{year}", "2031")
    if "{code}" in route:
        route = route.replace("{code}", _object(world, expect.target, role, side_name).verification_code)
    return API + route + expect.query


def call(world: MatrixWorld, endpoint: str, role: str, side_name: str = "A"):
    method = endpoint.split(" ", 1)[0].lower()
    expect = EXPECTED[endpoint]
    data, fmt = expect.body(world.sides[side_name]) if expect.body else (None, None)
    client = world.client(role)
    url = url_of(world, endpoint, role, side_name)
    if expect.listing:
        url += ("&" if "?" in url else "?") + "page_size=200"
    if data is None:
        return getattr(client, method)(url)
    return getattr(client, method)(url, data, format=fmt)


def _show(response) -> str:
    content = getattr(response, "content", b"") if not getattr(response, "streaming", False) else b"<stream>"
    return f"{response.status_code} {content[:400].decode(errors='replace')}"


def check_cell(world: MatrixWorld, endpoint: str, role: str, side_name: str) -> None:
    """Make the request of one cell and assert its status (and, for lists, that the other side is absent)."""
    expect = EXPECTED[endpoint]
    response = call(world, endpoint, role, side_name)
    wanted = expect.statuses[role]
    if side_name == "B" and not expect.listing:
        wanted = 404
    where = f"{endpoint} as {role} on {'own' if side_name == 'A' else 'another side'}'s object"
    assert response.status_code == wanted, f"{where}: expected {wanted}, got {_show(response)}"
    if expect.listing and wanted == 200:
        ids = [row.get("id") for row in response.json()["results"]]
        mine = _object(world, expect.listing, role, side_name)
        if side_name == "B":
            assert mine.pk not in ids, f"{where}: another side's {expect.listing} {mine.pk} is listed"
        elif sees_own(endpoint, role):
            assert mine.pk in ids, f"{where}: its own {expect.listing} {mine.pk} is not listed"


def sees_own(list_endpoint: str, role: str) -> bool:
    """Whether `role` reads the list's own-side object: what the detail endpoint of the same object says."""
    expect = EXPECTED[list_endpoint]
    detail = EXPECTED.get(f"{list_endpoint}{{pk}}/")
    return detail is not None and detail.target == expect.listing and detail.statuses[role] == 200


def cells():
    """(endpoint, role, side) for every classified endpoint that exists: own side for every role; the other
    side for each role whose scope does not reach it (anonymous only where it may read at all)."""
    routed = set(endpoints())
    for endpoint, expect in EXPECTED.items():
        if endpoint not in routed:
            continue
        for role in ROLES:
            yield pytest.param(endpoint, role, "A", id=f"{endpoint} | {role} | own")
            if expect.kind is None or role in SEES_BOTH_SIDES[expect.kind]:
                continue
            if role == "anonymous" and expect.statuses[role] == 401:
                continue
            yield pytest.param(endpoint, role, "B", id=f"{endpoint} | {role} | other")


# --- the tests ----------------------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(("endpoint", "role", "side"), list(cells()))
def test_access(matrix_world, endpoint, role, side):
    check_cell(matrix_world, endpoint, role, side)


def unclassified() -> list[str]:
    return [endpoint for endpoint in endpoints() if endpoint not in EXPECTED]


def test_every_endpoint_is_classified():
    missing = unclassified()
    assert not missing, f"add these endpoints to EXPECTED in {__name__}: {missing}"


def test_a_new_endpoint_is_unclassified_until_it_has_a_row(monkeypatch):
    """Self-check: an endpoint added to /api/v1/ (here a bare view) is found and fails the classification."""
    from django.urls import path
    from rest_framework.response import Response
    from rest_framework.views import APIView

    from sciencecity.api import urls

    class Unscoped(APIView):
        def get(self, request, pk):
            return Response({})

        def delete(self, request, pk):
            return Response(status=204)

    monkeypatch.setattr(
        urls, "urlpatterns", [*urls.urlpatterns, path("brand-new/<int:pk>/", Unscoped.as_view())]
    )
    assert unclassified() == ["DELETE brand-new/{pk}/", "GET brand-new/{pk}/"]


def test_the_table_names_no_endpoint_that_does_not_exist():
    stale = sorted(set(EXPECTED) - set(endpoints()))
    assert not stale, f"EXPECTED names endpoints that /api/v1/ does not have: {stale}"


def test_endpoints_are_found_by_introspection():
    found = endpoints()
    assert "GET projects/{pk}/" in found and "POST projects/{pk}/phase/" in found
    assert "PUT projects/{pk}/" not in found  # the viewset's http_method_names leave PUT out
    assert all(" " in endpoint and "format" not in endpoint for endpoint in found)


@pytest.mark.django_db
def test_the_matrix_catches_an_unscoped_detail_endpoint(matrix_world, monkeypatch):
    """Self-check: a viewset that forgets for_user() makes the other side's cell fail."""
    from sciencecity.projects.api import ProjectViewSet
    from sciencecity.projects.models import Project

    check_cell(matrix_world, "GET projects/{pk}/", "applicant", "B")  # passes while scoped
    monkeypatch.setattr(ProjectViewSet, "get_queryset", lambda self: Project.objects.all())
    with pytest.raises(AssertionError, match="expected 404, got 200"):
        check_cell(matrix_world, "GET projects/{pk}/", "applicant", "B")
    with pytest.raises(AssertionError, match="is listed"):
        check_cell(matrix_world, "GET projects/", "applicant", "B")


@pytest.mark.django_db
def test_the_matrix_catches_an_unscoped_application_endpoint(matrix_world, monkeypatch):
    from sciencecity.approvals.api.applications import ApplicationViewSet
    from sciencecity.approvals.models import Application

    monkeypatch.setattr(ApplicationViewSet, "get_queryset", lambda self: Application.objects.all())
    with pytest.raises(AssertionError, match="got 200"):
        check_cell(matrix_world, "GET applications/{pk}/", "department_reviewer", "B")
    with pytest.raises(AssertionError, match="got 200"):
        check_cell(matrix_world, "GET applications/{pk}/requirements/", "applicant", "B")
    # A write whose service does not re-check the scope (rating) is caught too: 403 is not 404.
    with pytest.raises(AssertionError, match="expected 404, got 403"):
        check_cell(matrix_world, "POST applications/{pk}/rating/", "applicant", "B")
