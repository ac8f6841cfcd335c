"""The demo world: figures of the seeds, valid identifiers, an account per role, a year of applications in
every state played through the approval services, six years of closed-loop problems (a few hundred here) played
through the problem services, determinism, the command."""

import datetime
import importlib
import importlib.util
import re
from collections import Counter, defaultdict
from dataclasses import dataclass
from io import StringIO

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.management import CommandError, call_command
from django.db import transaction
from django.http import HttpRequest
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone
from stdnum.cn import uscc

from sciencecity.accounts.models import Department, User
from sciencecity.accounts.roles import ROLES
from sciencecity.approvals.models import (
    Application,
    Certificate,
    CorrectionNotice,
    NotificationKind,
    Rating,
    ReviewTask,
    SubmittedMaterial,
    TaskPause,
)
from sciencecity.approvals.services import deadlines
from sciencecity.approvals.services.applications import has_real_number
from sciencecity.approvals.services.review import open_gaps
from sciencecity.audit.models import AuditEvent
from sciencecity.demo import applications as demo_applications
from sciencecity.demo import world
from sciencecity.enterprises.models import Enterprise
from sciencecity.enterprises.validators import validate_credit_code
from sciencecity.notifications import kinds as notification_kinds
from sciencecity.notifications import selectors
from sciencecity.notifications.models import Notification
from sciencecity.problems import geo
from sciencecity.problems import selectors as problem_selectors
from sciencecity.problems.models import Problem, ProblemCategory, ProblemEvent, ProblemPhoto, RoutingRule
from sciencecity.problems.services.lifecycle import may_verify
from sciencecity.problems.services.notices import ProblemNoticeKind
from sciencecity.problems.services.routing import department_for
from sciencecity.projects.models import Project, validate_project_code
from sciencecity.workdays import clock
from tests.conftest import CONFIRMED_YEARS, SUITE_NOW, confirm_years

pytestmark = [pytest.mark.django_db, pytest.mark.any_day]

SEED = 2026
# The problems the tests' world plays (`make demo` plays about 4,000): few enough to build quickly, enough for
# every state and story (the present's open ones are made at any size).
PROBLEMS = 300
REGIONS = {district[0] for district in world.DISTRICTS}


@dataclass
class Demo:
    first_digest: str  # of a world built with SEED and rolled back
    digest: str  # of the world the command built with SEED, which the tests read
    output: str


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker, tmp_path_factory):
    """Build the world twice with the same seed (once directly and rolled back, once by the command) and keep
    the second for the module's tests; everything is rolled back afterwards, and the uploaded files go to a
    temporary MEDIA_ROOT. Each build plays a year of applications through the services: this fixture is the
    slow part of the module (about twice `make demo`'s time), so every test shares it."""
    media = override_settings(MEDIA_ROOT=tmp_path_factory.mktemp("demo-media"))
    media.enable()
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            confirm_years(CONFIRMED_YEARS)
            with transaction.atomic():
                first = world.build_world(SEED, problems=PROBLEMS)
                transaction.set_rollback(True)
            assert not Project.objects.exists()
            out = StringIO()
            call_command("demo", seed=SEED, problems=PROBLEMS, stdout=out)
            yield Demo(first_digest=first.digest, digest=world.world_digest(), output=out.getvalue())
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)
            media.disable()


def test_same_seed_same_world(demo):
    assert demo.first_digest == demo.digest
    assert demo.digest[:16] in demo.output


def test_projects_are_the_seed_figures(demo):
    assert Project.objects.count() == 343
    assert Project.objects.filter(is_key=True).count() == 169
    assert set(Project.objects.values_list("phase", flat=True)) == set(Project.Phase.values)
    key = Project.objects.filter(is_key=True)
    assert key.filter(phase=Project.Phase.UNDER_CONSTRUCTION).count() > key.count() / 2
    government = Project.objects.filter(investment_type=Project.InvestmentType.GOVERNMENT).count()
    assert 0.15 < government / 343 < 0.35


def test_enterprises_are_scaled_from_the_seed_figures(demo):
    assert Enterprise.objects.filter(is_tech_based=True).count() == world.TECH_BASED
    assert Enterprise.objects.filter(is_high_tech=True).count() == world.HIGH_TECH
    assert not Enterprise.objects.filter(is_high_tech=True, is_tech_based=False).exists()
    assert Enterprise.objects.count() == world.TECH_BASED + world.OTHER_ENTERPRISES
    assert round(3325 / 8) == world.TECH_BASED and round(702 / 8) == world.HIGH_TECH
    assert Enterprise.objects.values("name").distinct().count() == Enterprise.objects.count()


def test_every_credit_code_is_valid_and_in_the_science_city(demo):
    for code in Enterprise.objects.values_list("credit_code", flat=True):
        validate_credit_code(code)
        assert uscc.is_valid(code) and code[2:8] in REGIONS, code


def test_every_project_code_is_valid(demo):
    for code, investment_type in Project.objects.values_list("code", "investment_type"):
        validate_project_code(code)
        year, region, _industry, project_type, _serial = code.split("-")
        assert region in REGIONS and 2019 <= int(year) <= 2026, code
        if investment_type == Project.InvestmentType.GOVERNMENT:
            assert project_type == "01", code  # 审批
        else:
            assert project_type in ("02", "03"), code  # 核准 / 备案


def test_every_project_and_enterprise_was_registered_through_the_services(demo):
    assert AuditEvent.objects.filter(action="projects.register_project").count() == 343
    assert (
        AuditEvent.objects.filter(action="enterprises.register_enterprise").count()
        == Enterprise.objects.count()
    )


def test_one_account_per_role_and_each_logs_in_with_the_printed_password(demo, client):
    accounts = {}
    for line in demo.output.splitlines():
        cells = [cell.strip() for cell in re.split(r"[│┃]", line) if cell.strip()]
        if len(cells) == 4 and cells[1] == world.DEMO_PASSWORD:
            accounts[cells[0]] = cells[1]
    assert "http://127.0.0.1:8000/" in demo.output
    for code in ROLES:
        users = User.objects.filter(groups__name=code, username__in=accounts)
        assert users.exists(), f"no demo account for role {code}"
    for username, password in accounts.items():
        assert client.login(request=HttpRequest(), username=username, password=password), username
        client.logout()
    assert {
        "admin",
        "applicant",
        "window",
        "reviewer",
        "head",
        "specialist",
        "party",
        "leader",
        "supervisor",
        "dispatcher",
        "inspector",
        "head-ecology",
        "reviewer-emergency",
    } <= set(accounts)
    assert "reviewer-planning" in accounts


def test_roles_staff_flags_and_places(demo):
    admin = User.objects.get(username="admin")
    assert admin.is_staff and admin.is_superuser and admin.has_role("administrator")
    assert all(user.is_staff for user in User.objects.filter(groups__name="administrator"))
    assert not User.objects.filter(is_staff=True).exclude(groups__name="administrator").exists()
    assert User.objects.get(username="reviewer").department.code == "housing"
    assert User.objects.get(username="head").has_role("department_head")
    assert User.objects.get(username="reviewer-planning").department.code == "planning"


def test_applicant_belongs_to_an_enterprise_with_a_few_projects(demo):
    applicant = User.objects.get(username="applicant")
    assert applicant.enterprise is not None and applicant.has_role("applicant")
    projects = Project.objects.for_user(applicant)
    assert 3 <= projects.count() <= 5
    assert projects.filter(is_key=True).exists()
    assert set(projects.values_list("enterprise", flat=True)) == {applicant.enterprise_id}


def test_running_again_changes_nothing_and_reset_refuses(demo):
    out = StringIO()
    call_command("demo", stdout=out)
    assert "没有做任何更改" in out.getvalue()
    assert "applicant" in out.getvalue()
    assert Project.objects.count() == 343
    with pytest.raises(CommandError, match="db.sqlite3"):
        call_command("demo", reset=True, stdout=StringIO())
    assert world.world_digest() == demo.digest


def test_catalog_is_published_with_both_bundles(demo):
    has_import = importlib.util.find_spec("sciencecity.catalog.services") is not None and hasattr(
        importlib.import_module("sciencecity.catalog.services"), "import_catalog"
    )
    if not has_import or not (world.DATA_DIR / "catalog.yaml").exists():
        pytest.skip("the catalog import or sciencecity/demo/data/catalog.yaml is not there yet")
    from sciencecity.catalog.models import CatalogVersion

    version = CatalogVersion.objects.published().get()
    names = list(version.bundles.values_list("name", flat=True))
    assert any("开工" in name for name in names), names
    assert any("联合验收" in name for name in names), names


# --- applications ----------------------------------------------------------------------------------------

A = Application.Status
T = ReviewTask.Status
W = ReviewTask.Warning
# The demo's present is the day it is built: the suite's moment (tests/conftest.py).
TODAY = timezone.localdate(SUITE_NOW)
NOW = datetime.datetime.combine(TODAY, demo_applications.STORY_TIME, tzinfo=demo_applications.ZONE)


def user(username: str) -> User:
    return User.objects.get(username=username)


def test_the_applications_are_in_every_state_for_both_bundles(demo):
    counts = Counter(Application.objects.values_list("status", "bundle__code"))
    statuses = {status for status, _bundle in counts}
    assert statuses == set(A.values)
    assert 100 <= Application.objects.count() <= 140
    # Both bundles among the drafts, at intake, in correction, in review, concluded, delivered, refused.
    for status in (A.DRAFT, A.SUBMITTED, A.CORRECTION, A.IN_REVIEW, A.CONCLUDED, A.DELIVERED, A.REFUSED):
        assert counts[(status, "start-construction")] and counts[(status, "joint-acceptance")], status
    # The command printed them by state.
    assert f"办件 {Application.objects.count()} 件" in demo.output
    assert "已出件" in demo.output and "审批中" in demo.output
    # … in a column per bundle applied for (交地即领证 and 一业一证 too), adding up to the total.
    from sciencecity.catalog.models import Bundle
    from sciencecity.demo.applications import JOINT, START, summarize

    summary = summarize(
        {code: Bundle.objects.filter(code=code).latest("version__number") for code in (START, JOINT)}
    )
    assert set(summary.bundles) == {code for _status, code in counts} and len(summary.bundles) > 2
    assert sum(sum(row.values()) for row in summary.by_status.values()) == summary.total


def test_the_applications_span_the_year_and_nothing_happens_after_now(demo):
    submitted = Application.objects.exclude(submitted_at=None)
    local_days = [timezone.localdate(moment) for moment in submitted.values_list("submitted_at", flat=True)]
    assert min(local_days) >= TODAY - datetime.timedelta(days=330)  # the stories span eleven months
    assert len({(day.year, day.month) for day in local_days}) >= 10
    last_month = TODAY - datetime.timedelta(days=30)
    assert sum(day < last_month for day in local_days) > len(local_days) / 2  # most of them before it
    for field in ("submitted_at", "accepted_at", "concluded_at", "delivered_at"):
        assert not Application.objects.filter(**{f"{field}__gt": NOW}).exists(), field
    assert not ReviewTask.objects.filter(decided_at__gt=NOW).exists()
    assert not ReviewTask.objects.filter(started_on__gt=TODAY).exists()
    for application in Application.objects.exclude(accepted_at=None):
        assert application.submitted_at <= application.accepted_at
        assert application.concluded_at is None or application.accepted_at <= application.concluded_at
        assert application.delivered_at is None or application.concluded_at <= application.delivered_at
    # Application numbers follow the calendar: within a year (the serial starts again each year) the serial
    # grows with the date in the number.
    by_year = defaultdict(list)
    for number in sorted(Application.objects.values_list("number", flat=True)):
        if number[:2] == "SQ":
            by_year[number[2:6]].append(int(number[-6:]))
    assert by_year
    for serials in by_year.values():
        assert serials == sorted(serials)


def test_review_tasks_overdue_yellow_waiting_and_paused(demo):
    running = ReviewTask.objects.filter(status__in=deadlines.CLOCK_RUNNING)
    # Red and escalated (the scan stored the levels and told the leaders), yellow: as of the demo's today.
    assert deadlines.overdue_tasks(running, today=TODAY).filter(warning_level=W.ESCALATED).exists()
    assert deadlines.overdue_tasks(running, today=TODAY).filter(warning_level=W.RED).exists()
    assert deadlines.due_soon_tasks(running, today=TODAY).filter(warning_level=W.YELLOW).exists()
    assert AuditEvent.objects.filter(action="approvals.escalate_task", actor=None).exists()
    assert ReviewTask.objects.filter(status=T.WAITING, application__status=A.IN_REVIEW).exists()
    paused = ReviewTask.objects.filter(status=T.SUPPLEMENT)
    assert paused.exists()
    assert all(TaskPause.objects.filter(task=task, ended_on=None).exists() for task in paused)


def test_an_accepted_application_waits_for_its_tolerated_gap(demo):
    waiting = [
        application
        for application in Application.objects.filter(status=A.IN_REVIEW)
        if open_gaps(application)
        and not application.tasks.filter(status__in=ReviewTask.OPEN_STATUSES).exists()
    ]
    assert waiting, "no application with every task decided and a tolerated gap still open"
    # Another gap was supplied and waits for the window's check.
    assert SubmittedMaterial.objects.filter(
        is_current=True,
        gap_due_date__isnull=False,
        verdict=SubmittedMaterial.Verdict.PENDING,
        application__status=A.IN_REVIEW,
    ).exists()


def test_ratings_with_a_poor_one_followed_up(demo):
    assert Rating.objects.filter(score__gte=4).count() > Rating.objects.filter(score__lte=2).count()
    poor = Rating.objects.filter(score__lte=2)
    assert poor.exists()
    opened = Problem.objects.filter(rating_id__in=poor.values("pk"), source=Problem.Source.SERVICE_RATING)
    assert opened.count() == poor.count()
    closed = opened.get(status=Problem.Status.CLOSED)
    assert closed.events.filter(action="pass", actor=closed.reporter).exists()  # verified by the rater
    head = user("head")
    assert (
        Problem.objects.for_user(head)
        .filter(rating_id__isnull=False, status=Problem.Status.DISPATCHED, department=head.department)
        .exists()
    )


def test_every_application_has_its_audit_trail(demo):
    content_type = ContentType.objects.get_for_model(Application)
    actions = defaultdict(set)
    for target_id, action in AuditEvent.objects.filter(target_type=content_type).values_list(
        "target_id", "action"
    ):
        actions[target_id].add(action)
    for application in Application.objects.all():
        trail = actions[str(application.pk)]
        # Started by its applicant, or prepared by an escort specialist (help-and-do).
        assert trail & {"approvals.start_application", "approvals.prepare_application"}, application
        if application.submission_count:
            assert "approvals.submit_application" in trail, application
        if application.accepted_at:
            assert trail & {"approvals.accept_application", "approvals.accept_with_gaps_application"}
        if application.status == A.DELIVERED:
            assert "approvals.deliver_application" in trail, application
    # Each action by the person whose action it is: the applicant submits, the window accepts.
    submits = AuditEvent.objects.filter(action="approvals.submit_application").select_related("actor")
    assert all(event.actor.has_role("applicant") for event in submits)
    accepts = AuditEvent.objects.filter(action="approvals.accept_application").select_related("actor")
    assert {event.actor.username for event in accepts} == {"window"}


def test_notifications_and_notices_are_dated_at_their_events_not_at_generation(demo):
    """The services date what they send by the platform clock, which the demo moves along its story: a
    notification carries the moment of the step that sent it, not the moment the demo was built."""
    sent = Notification.objects.all()
    assert sent.count() > 500
    days = {timezone.localdate(moment) for moment in sent.values_list("created_at", flat=True)}
    assert len(days) > 100 and min(days) < TODAY - datetime.timedelta(days=200)
    assert not sent.filter(created_at__gt=NOW).exists()
    # Exactly the moment of the step, which the application records too.
    pairs = (
        (NotificationKind.APPLICATION_ACCEPTED, "accepted_at"),
        (NotificationKind.APPLICATION_CONCLUDED, "concluded_at"),
        (NotificationKind.DELIVERED, "delivered_at"),
    )
    for kind, field in pairs:
        rows = list(sent.filter(kind=kind).values_list("created_at", f"application__{field}"))
        assert rows, kind
        assert all(created == happened for created, happened in rows), kind
    # A correction notice, and the portal's "窗口于 … 一次性告知", carry the day the window issued it.
    notices = CorrectionNotice.objects.select_related("application")
    assert notices.filter(issued_at__lt=NOW - datetime.timedelta(days=60)).exists()
    for notice in notices:
        assert notice.application.submitted_at is not None
        assert notice.answered_at is None or notice.issued_at <= notice.answered_at
        told = sent.filter(kind=NotificationKind.CORRECTION_REQUESTED, application=notice.application)
        assert told.filter(created_at=notice.issued_at).exists(), notice
    # Every kind the demo sends (the approvals' and the problems') has a name on the notifications page.
    assert set(sent.values_list("kind", flat=True)) <= set(notification_kinds.values())
    assert set(sent.values_list("kind", flat=True)) & set(ProblemNoticeKind.values)
    # The audit trail is dated on the story's days too: an acceptance is audited when it happened.
    audited = AuditEvent.objects.filter(action="approvals.accept_application")
    assert not AuditEvent.objects.filter(action__startswith="approvals.", created_at__gt=NOW).exists()
    assert len({timezone.localdate(moment) for moment in audited.values_list("created_at", flat=True)}) > 50


def test_the_demo_inboxes_hold_the_last_weeks_news_unread(demo):
    """Not the year's: the window once started with 278 unread notifications and a reviewer with 296."""
    week_ago = NOW - datetime.timedelta(days=7)
    assert not Notification.objects.filter(read_at__isnull=True, created_at__lt=week_ago).exists()
    read = Notification.objects.filter(read_at__isnull=False)
    assert read.exists() and all(
        when - came == datetime.timedelta(hours=1)
        for came, when in read.values_list("created_at", "read_at")[:200]
    )
    for name in ("window", "reviewer"):
        unread = Notification.objects.for_user(user(name)).unread().count()
        assert 0 < unread < 150, (name, unread)


def test_the_demo_window_sees_its_unread_notifications_grouped_by_kind(demo, client):
    window = user("window")
    groups = selectors.unread_by_kind(window)
    unread = Notification.objects.for_user(window).unread().count()
    assert unread > 3 and len(groups) > 1 and sum(group.unread for group in groups) == unread
    assert len(groups) <= len(NotificationKind.values)
    client.force_login(window)
    html = client.get(reverse("notifications:inbox")).content.decode()
    for group in groups:
        assert group.label in html


def test_the_demo_applicant_sees_a_rich_portal(demo):
    applicant = user("applicant")
    mine = Application.objects.for_user(applicant)
    assert mine.count() == Application.objects.filter(enterprise=applicant.enterprise).count() >= 4
    assert {A.DRAFT, A.CORRECTION, A.IN_REVIEW, A.DELIVERED} <= set(mine.values_list("status", flat=True))
    assert not Application.objects.for_user(applicant).exclude(enterprise=applicant.enterprise).exists()
    # A supplement request waits for the applicant's answer, and certificates of its earlier application were
    # reused by the later one (免提交).
    assert ReviewTask.objects.for_user(applicant).filter(status=T.SUPPLEMENT).exists()
    assert SubmittedMaterial.objects.filter(
        application__in=mine, source=SubmittedMaterial.Source.CERTIFICATE, certificate__isnull=False
    ).exists()


def test_officers_have_work_waiting(demo):
    for username in ("reviewer", "reviewer-planning"):
        open_tasks = ReviewTask.objects.for_user(user(username)).filter(status__in=(T.PENDING, T.IN_REVIEW))
        assert open_tasks.exists(), username
    assert Application.objects.for_user(user("window")).filter(status=A.SUBMITTED).exists()
    assert Application.objects.for_user(user("window")).filter(status=A.CONCLUDED).exists()
    # The head of housing has an overdue task of the department, claimed by its reviewer, to extend or chase.
    head = user("head")
    overdue = deadlines.overdue_tasks(ReviewTask.objects.for_user(head), today=TODAY)
    assert overdue.filter(assignee__username="reviewer", department=head.department).exists()
    assert AuditEvent.objects.filter(action="approvals.extend_deadline", actor=head).exists()


def test_the_digest_covers_the_applications(demo):
    data = world._applications_digest_data()
    assert len(data["applications"]) == Application.objects.count()
    assert len(data["tasks"]) == ReviewTask.objects.count()
    rows = "\n".join(data["applications"])
    for application in Application.objects.all():
        if has_real_number(application):
            assert application.number in rows


def test_the_clock_can_be_frozen_and_follows_the_real_time_otherwise():
    moment = datetime.datetime(2026, 3, 2, 23, 30, tzinfo=datetime.UTC)
    assert abs(clock.now() - timezone.now()) < datetime.timedelta(seconds=5)
    with clock.frozen_at(moment):
        assert clock.is_frozen() and clock.now() == moment
        assert clock.today() == datetime.date(2026, 3, 3)  # 07:30 in Chongqing
        with clock.frozen_at(moment + datetime.timedelta(days=1)):
            assert clock.today() == datetime.date(2026, 3, 4)
        assert clock.now() == moment
    assert not clock.is_frozen()
    with pytest.raises(ValueError), clock.frozen_at(datetime.datetime(2026, 3, 2, 12, 0)):
        pass


# --- problems --------------------------------------------------------------------------------------------

P = Problem.Status


def test_the_problems_are_in_every_state(demo):
    statuses = Counter(Problem.objects.values_list("status", flat=True))
    assert set(statuses) == set(P.values), statuses
    from sciencecity.interactions.models import EventDemand
    from sciencecity.projects.models import Inspection, MonthlyReport

    # The problems demo's (split children come on top). Not counted: those the other stories raise, whose
    # number depends on the day the world is built on: the demands raised at service events, the key
    # projects' monthly reports and inspections of the last weeks, the poor ratings' follow-ups.
    played = (
        Problem.objects.exclude(pk__in=EventDemand.objects.values("problem_id"))
        .exclude(pk__in=MonthlyReport.problems.through.objects.values("problem_id"))
        .exclude(pk__in=Inspection.problems.through.objects.values("problem_id"))
        .exclude(rating_id__isnull=False)
    )
    assert PROBLEMS <= played.count() <= PROBLEMS + 20
    assert statuses[P.CLOSED] > Problem.objects.count() * 0.8
    assert f"{Problem.objects.count()}" in demo.output and "已办结" in demo.output


def test_the_problems_span_six_years_and_nothing_happens_after_now(demo):
    reported = [
        timezone.localdate(moment) for moment in Problem.objects.values_list("reported_at", flat=True)
    ]
    assert min(reported) < TODAY - datetime.timedelta(days=5 * 365)
    # From the first year of the story to the demo's present, whatever day the demo is built on.
    assert {day.year for day in reported} == set(range(min(reported).year, TODAY.year + 1))
    assert max(reported) == TODAY  # reports of this morning wait for the dispatch centre
    assert not ProblemEvent.objects.filter(created_at__gt=NOW).exists()
    assert not AuditEvent.objects.filter(action__startswith="problems.", created_at__gt=NOW).exists()
    events = {timezone.localdate(m) for m in ProblemEvent.objects.values_list("created_at", flat=True)}
    assert len(events) > 200
    for problem in Problem.objects.exclude(closed_at=None):
        assert problem.reported_at <= problem.closed_at <= NOW


def test_the_sources_are_in_the_seeds_proportions(demo):
    sources = Counter(Problem.objects.filter(parent=None).values_list("source", flat=True))
    total = sum(sources.values())
    ordered = [source for source, _count in sources.most_common()]
    assert ordered[0] == Problem.Source.RIVER_PATROL
    assert 0.3 < sources[Problem.Source.RIVER_PATROL] / total < 0.5
    site = sources[Problem.Source.QUALITY_INSPECTION] + sources[Problem.Source.SAFETY_INSPECTION]
    assert 0.12 < site / total < 0.3
    for source in (Problem.Source.SUPERVISION, Problem.Source.ENTERPRISE_DEMAND, Problem.Source.CITIZEN):
        assert 0.05 < sources[source] / total < 0.25, source
    assert sources[Problem.Source.ESCORT_TEAM]


def test_the_categories_and_routing_are_data(demo):
    categories = ProblemCategory.objects.all()
    assert categories.count() >= 12
    assert all(category.name_en for category in categories)
    assert categories.filter(in_remediation_ledger=True).exists()
    assert categories.filter(evidence_required=True).exists()
    assert set(categories.values_list("verifier", flat=True)) >= {"reporter", "inspector"}
    unrouted = [category for category in categories.reportable() if not category.rules.exists()]
    assert len(unrouted) == 1  # 噪声扰民: the dispatch centre decides
    # A poor service rating's problem goes to the lead department of the rated application's bundle.
    assert not categories.get(code="service-rating").rules.exists()
    assert RoutingRule.objects.exclude(area="").exists()
    for code in ("emergency", "transport", "command"):
        assert Department.objects.filter(code=code).exists(), code
    # Each routed problem went where the rules say.
    reported = Problem.objects.filter(parent=None).exclude(source=Problem.Source.SERVICE_RATING)
    for problem in reported.select_related("category")[:200]:
        first = problem.events.filter(action__in=("route", "dispatch")).order_by("created_at", "id").first()
        if first is not None and first.action == "route":
            assert first.department_id == department_for(problem.category, problem.area).pk


def test_points_lie_in_their_areas_and_demands_name_enterprises(demo):
    placed = Problem.objects.exclude(latitude=None)
    assert placed.count() > Problem.objects.count() * 0.7
    for problem in placed:
        area = geo.area_at(float(problem.latitude), float(problem.longitude))
        assert area is not None and area.code == problem.area, problem
    demands = Problem.objects.filter(source=Problem.Source.ENTERPRISE_DEMAND)
    assert demands.exists() and not demands.filter(enterprise=None).exists()
    assert not Problem.objects.filter(category__in_remediation_ledger=True, enterprise=None).exists()
    assert Problem.objects.exclude(project=None).exists()


def test_overdue_escalated_long_term_and_returned_problems(demo):
    overdue = Problem.objects.overdue(TODAY)
    assert overdue.exclude(escalated_at=None).exists()
    assert AuditEvent.objects.filter(action="problems.escalate", actor=None).exists()
    assert Problem.objects.filter(long_term=True, status=P.RECTIFYING).exists()
    assert Problem.objects.filter(long_term=True, status=P.CLOSED).exists()
    returned_then_dispatched = ProblemEvent.objects.filter(
        action="dispatch", status_before=P.RETURNED, problem__status=P.CLOSED
    )
    assert returned_then_dispatched.exists()
    # The yellow light: a problem on the clock due within two working days, warned by the morning scan.
    assert Problem.objects.exclude(warned_at=None).exists()


def test_reworked_reopened_merged_split_and_dismissed_problems(demo):
    closed = Problem.objects.filter(status=P.CLOSED, parent=None)
    reworked = closed.filter(rework_count__gt=0).count()
    assert 0.03 < reworked / closed.count() < 0.12
    assert closed.filter(reopen_count__gt=0).exists()
    assert ProblemEvent.objects.filter(action="fail").count() >= reworked
    merged = Problem.objects.filter(status=P.MERGED)
    assert merged.exists() and not merged.filter(merged_into=None).exists()
    parents = Problem.objects.filter(children__isnull=False).distinct()
    assert parents.filter(status=P.CLOSED).exists() and parents.filter(status=P.SPLIT).exists()
    assert all(parent.children.count() >= 2 for parent in parents)
    assert not parents.filter(status=P.CLOSED, children__status=P.RECTIFYING).exists()
    assert Problem.objects.filter(status=P.DISMISSED).exclude(resolution="").exists()
    rated = Problem.objects.exclude(satisfaction=None)
    assert rated.count() > 10 and rated.filter(satisfaction__gte=4).count() > rated.count() / 2


def test_past_years_are_closed_in_a_loop(demo):
    for year in range(TODAY.year - 5, TODAY.year):
        figures = problem_selectors.figures_of(Problem.objects.filter(reported_at__year=year), today=TODAY)
        assert figures.closed_loop_rate >= 90, (year, figures.as_dict())


def test_the_ledger_and_the_photos(demo):
    leader = user("leader")
    ledger = problem_selectors.remediation_ledger(leader)
    assert ledger.count() >= 10
    assert ledger.filter(status=P.CLOSED).exists()
    photos = ProblemPhoto.objects.all()
    assert 0 < photos.count() < 60  # a few, not one per problem
    assert photos.filter(kind=ProblemPhoto.Kind.EVIDENCE).exists()


def test_the_dispatcher_and_the_inspector_log_in_to_their_queues(demo, client):
    waiting = Problem.objects.filter(status__in=(P.REPORTED, P.RETURNED))
    assert waiting.filter(status=P.REPORTED).exists() and waiting.filter(status=P.RETURNED).exists()
    assert client.login(request=HttpRequest(), username="dispatcher", password=world.DEMO_PASSWORD)
    html = client.get(reverse("problems:queue")).content.decode()
    for problem in waiting:
        assert problem.number in html
    client.logout()
    inspector = user("inspector")
    to_verify = [
        problem
        for problem in Problem.objects.filter(status=P.RECTIFIED).select_related("category")
        if may_verify(inspector, problem)
    ]
    assert to_verify
    assert client.login(request=HttpRequest(), username="inspector", password=world.DEMO_PASSWORD)
    html = client.get(reverse("problems:list") + "?status=rectified").content.decode()
    for problem in to_verify:
        assert problem.number in html
    # A department head has the department's worklist, and the problems' old news is read.
    client.logout()
    assert client.login(request=HttpRequest(), username="head-urban", password=world.DEMO_PASSWORD)
    assert client.get(reverse("problems:worklist")).status_code == 200
    week_ago = NOW - datetime.timedelta(days=7)
    assert not Notification.objects.filter(read_at__isnull=True, created_at__lt=week_ago).exists()


def test_every_key_project_is_escorted_scheduled_and_coloured(demo):
    from sciencecity.projects.models import EscortMember, MonthlyReport, ServiceLog
    from sciencecity.projects.services import warnings

    key = Project.objects.filter(is_key=True)
    roles = Counter(EscortMember.objects.filter(project__in=key).values_list("role", flat=True))
    assert roles["lead"] == 169 and roles["instructor"] == 169 and roles["specialist"] >= 169
    assert not key.filter(plans__isnull=True).exists()  # every key project has this year's plan
    reporting = key.filter(phase__in=("started", "under_construction"))
    today = clock.today()
    due = warnings.last_due_month(today)
    if due.year == today.year:  # the year's reports from January to the last month due
        assert MonthlyReport.objects.filter(project__in=reporting).values("project").distinct().count() >= 100
        assert set(MonthlyReport.objects.values_list("month__month", flat=True)) >= {1, due.month}
    assert (
        ServiceLog.objects.filter(kind="visit").exists()
        and ServiceLog.objects.filter(kind="evaluation").exists()
    )
    # Warnings in all three colours, each not green with its reasons.
    levels = Counter(key.values_list("warning_level", flat=True))
    assert levels["green"] and levels["yellow"] and levels["red"], levels
    assert all(project.warning_reasons for project in key.exclude(warning_level="green"))
    measures = {
        reason["measure"]
        for project in key.exclude(warning_level="green")
        for reason in project.warning_reasons
    }
    assert "start_delay" in measures
    if due.year == today.year and due.month >= 4:  # early in the year no plan can lag by ten points yet
        assert "investment_lag" in measures
    # The seeds' named projects, the aero-engine base in three phases.
    names = set(key.values_list("name", flat=True))
    assert {
        "科学大道二期工程",
        "科学谷(一期)",
        "坪山大道",
        "科学城隧道",
        "超瞬态实验装置",
        "航空发动机维修基地",
    } <= names
    assert key.get(name="航空发动机维修基地").stages.count() == 3
    # Quality and safety inspections of the projects under way, with their scores.
    from sciencecity.projects.models import Inspection

    assert set(Inspection.objects.values_list("kind", flat=True)) == {"quality", "safety"}
    # Help-and-do: a draft prepared by the specialist waits for the applicant.
    draft = Application.objects.get(prepared_by__username="specialist")
    assert draft.status == Application.Status.DRAFT and draft.applicant.username == "applicant"


def test_the_campaign_has_ranked_rounds_with_pioneers_and_bottom_places(demo):
    from sciencecity.projects.models import Campaign, RoundScore

    (made,) = Campaign.objects.all()
    rounds = list(made.rounds.order_by("number"))
    statuses = [round_.status for round_ in rounds]
    # Six months have ended before today's: all published but the last, which waits for the leader.
    assert statuses[:6] == ["published"] * 5 + ["scored"] and set(statuses[6:]) == {"open"}
    for round_ in rounds[:6]:
        scores = RoundScore.objects.filter(round=round_)
        assert round_.participants == scores.count() >= 100
        assert scores.filter(distinction="pioneer").count() >= 10
        assert scores.filter(distinction="bottom").count() >= 3
        assert scores.filter(rank=1).exists() and round_.rules
    # The scores differ from project to project (the ranking compares something).
    assert RoundScore.objects.values("total").distinct().count() > 50


def test_every_enterprise_has_its_file_and_the_zone_its_platforms(demo):
    from sciencecity.enterprises.models import Enterprise, EnterpriseYear, InnovationPlatform, Qualification

    enterprises = Enterprise.objects.all()
    assert (
        not enterprises.filter(size="").exists() and not enterprises.filter(employees__isnull=True).exists()
    )
    assert EnterpriseYear.objects.values("enterprise").distinct().count() >= enterprises.count() * 0.9
    today = clock.today()
    # The flags and the qualifications agree: every high-tech enterprise holds a valid certificate.
    for enterprise in enterprises.filter(is_high_tech=True):
        assert any(q.valid_on(today) for q in enterprise.qualifications.filter(kind="high_tech"))
    assert (
        Qualification.objects.filter(kind="high_tech").count()
        == enterprises.filter(is_high_tech=True).count()
    )
    assert InnovationPlatform.objects.count() == 36
    assert InnovationPlatform.objects.filter(level="national").count() == 2
    assert InnovationPlatform.objects.filter(enterprise__isnull=False).exists()


def test_the_forty_measures_find_their_enterprises(demo):
    from sciencecity.accounts.models import User
    from sciencecity.enterprises.models import Enterprise
    from sciencecity.policies.models import Policy, PolicyMatch, PolicyNotice
    from sciencecity.policies.services.matching import in_force

    today = clock.today()
    live = in_force(today)
    assert live.count() == 40 and Policy.objects.filter(is_published=False).count() == 1
    assert set(live.values_list("area", flat=True)) == {"finance", "industry", "innovation", "talent"}
    assert all(live.filter(area=area).count() == 10 for area in Policy.Area.values)
    assert PolicyMatch.objects.count() == 40 * Enterprise.objects.count()
    # The stored counts agree with the verdicts, and every measure has its enterprises (but no measure all).
    for policy in live:
        eligible = PolicyMatch.objects.filter(policy=policy, verdict="eligible").count()
        assert policy.eligible_count == eligible
    assert live.filter(eligible_count__gt=0).count() >= 38
    assert not live.filter(eligible_count=Enterprise.objects.count()).exists()
    # The applicant's enterprise waits for its R&D staff.
    applicant = User.objects.get(username="applicant")
    waiting = PolicyMatch.objects.filter(enterprise_id=applicant.enterprise_id, verdict="unknown")
    assert waiting.exists() and all(
        any(fact.startswith("rd_staff") for fact in match.missing) for match in waiting
    )
    assert PolicyNotice.objects.values("policy").order_by().distinct().count() == 4
    # Claims in every state; the applicant's enterprise has one waiting for its confirmation; paid within budget.
    from sciencecity.policies.models import Claim

    assert set(Claim.objects.values_list("status", flat=True)) == set(Claim.Status.values)
    assert Claim.objects.filter(enterprise_id=applicant.enterprise_id, status="offered").exists()
    assert Claim.objects.filter(status="submitted", due_on__lt=today).exists()  # overdue in a queue
    for policy in Policy.objects.filter(claims__isnull=False).distinct():
        assert policy.budget is None or policy.committed <= policy.budget


def test_the_fund_holds_a_dozen_cases_one_of_them_a_first_million(demo):
    from sciencecity.fund.models import Investment, Tranche
    from sciencecity.fund.selectors import portfolio

    assert Investment.objects.count() >= 12
    assert {"applied", "due_diligence", "committee", "approved", "invested", "converted", "repaid"} <= set(
        Investment.objects.values_list("status", flat=True)
    )
    assert Tranche.objects.filter(
        number=1, amount=100, status="disbursed"
    ).exists()  # the first 1,000,000 yuan
    waiting = Investment.objects.get(status="committee")
    assert not waiting.votes.filter(member=user("leader")).exists()  # `leader` has a vote to cast
    figures = portfolio(user("leader"), clock.today())
    assert (
        figures["outstanding"]
        == figures["disbursed"] - figures["converted"] - figures["repaid"] - figures["written_off"]
    )
    assert figures["due_soon"]  # a repayment date within three months


def test_the_party_tree_members_teams_and_alliances(demo, client):
    from sciencecity.partybuilding import identity, outcomes, selectors
    from sciencecity.partybuilding.models import (
        Activity,
        Alliance,
        Officer,
        Organization,
        OrganizationEvent,
        PartyMember,
        PioneerTeam,
    )

    root = Organization.objects.get(depth=1)
    assert root.kind == "working_committee"
    departments = set(Department.objects.filter(kind="government").values_list("pk", flat=True))
    assert departments <= set(
        Organization.objects.exclude(department=None).values_list("department_id", flat=True)
    )
    assert Organization.objects.filter(sector="enterprise").count() > 30
    assert Organization.objects.filter(sector="builder").count() > 5
    assert Organization.objects.filter(kind="group").exists()
    members = PartyMember.objects.current()
    assert 2000 < members.count() < 6000
    assert selectors.member_count(root) == members.count()
    for number in PartyMember.objects.values_list("id_number", flat=True)[:500]:
        identity.validate_id_number(number)
    assert 0.05 < members.filter(status="probationary").count() / members.count() < 0.15
    assert {"merged", "moved"} <= set(OrganizationEvent.objects.values_list("kind", flat=True))
    assert PartyMember.objects.filter(left_on__isnull=False).exists()
    # The logins: the party officer keeps the whole tree, the new secretary their branch; the applicant is a member.
    party = User.objects.get(username="party")
    assert Officer.objects.filter(user=party, organization=root, until__isnull=True).exists()
    assert PartyMember.objects.for_user(party).count() == PartyMember.objects.count()
    secretary = User.objects.get(username="secretary")
    assert 10 < PartyMember.objects.for_user(secretary).count() < 60
    assert PartyMember.objects.for_user(User.objects.get(username="leader")).count() == 1  # their own
    assert PartyMember.objects.filter(user__username="applicant").exists()
    # The approval-reform team's outcomes come from the demo's applications.
    reform = PioneerTeam.objects.get(name__contains="审批改革")
    result = outcomes.outcomes(outcomes.reach_of_team(reform), clock.today().year)
    assert result.counts["applications"] > 0
    assert (
        result.counts["applications"]
        == outcomes.rows(outcomes.reach_of_team(reform), "applications", clock.today().year).count()
    )
    river = PioneerTeam.objects.get(name__contains="梁滩河")
    assert outcomes.outcomes(outcomes.reach_of_team(river), clock.today().year).counts["problems"] > 0
    avenue = Alliance.objects.get(name="科学大道项目党建联盟")
    assert set(avenue.memberships.values_list("side", flat=True)) >= {"government", "builder"}
    assert avenue.project.escort_members.filter(role="instructor").exists()
    # A year of activities, every month, with attendance.
    held = Activity.objects.filter(held_on__gt=clock.today() - datetime.timedelta(days=366))
    assert held.count() > 1000 and held.filter(alliance__isnull=False).exists()
    assert len({(day.year, day.month) for day in held.values_list("held_on", flat=True)}) >= 12
    assert not Activity.objects.filter(held_on__gt=clock.today()).exists()
    client.force_login(secretary)
    assert (
        client.get(
            reverse("party:organization", args=[Officer.objects.get(user=secretary).organization_id])
        ).status_code
        == 200
    )


def test_the_cockpit_shows_every_panel_and_each_figure_is_its_list(demo, client):
    from sciencecity.cockpit import charts as cockpit_charts
    from sciencecity.cockpit import figures as cockpit_figures
    from sciencecity.cockpit import snapshots
    from sciencecity.cockpit.models import CockpitSnapshot, ZoneReport
    from sciencecity.cockpit.periods import MONTH, YEAR, period_of
    from sciencecity.cockpit.records import select

    today = clock.today()
    # The demo counted the kept periods and rendered last month's report.
    kept = {(p.kind, p.start) for p in snapshots.kept_periods(today)}
    assert kept <= set(CockpitSnapshot.objects.values_list("period_kind", "period_start"))
    last_month = period_of(MONTH, today).previous()
    report = ZoneReport.objects.get()
    assert report.month == last_month.start and report.status == "ready" and report.pages >= 3
    year = period_of(YEAR, today)
    for period in (year, last_month):
        counted = snapshots.take_snapshot(period)
        for figure in cockpit_figures.FIGURES:
            selection = select(figure.key, period.key)
            assert selection.measure() == counted.figures[figure.key], (period.key, figure.key)
        for chart in cockpit_charts.CHARTS:
            for key, groups in counted.charts[chart.key].items():
                for value, measure in groups[:3]:
                    part = select(key, period.key, chart.dimension, "" if value is None else str(value))
                    assert part.measure() == measure, (chart.key, value)
    # Every section shows records of its own: believable, non-zero figures of the last twelve months.
    figures = snapshots.take_snapshot(year).figures
    for key in (
        "applications_submitted",
        "applications_concluded",
        "tasks_open",
        "key_projects_red",
        "investment_in_period",
        "problems_reported",
        "problems_closed",
        "problems_overdue",
        "eligible_unclaimed",
        "claims_paid_amount",
        "fund_portfolio",
        "projects_with_alliance",
        "activities_held",
        "interactions_recorded",
        "interactions_flagged",
    ):
        assert figures[key], key
    assert 0 < figures["problems_on_time_rate"] <= 100 and 0 < figures["investment_completion_rate"] <= 100
    client.force_login(User.objects.get(username="leader"))
    assert client.get(reverse("cockpit:board")).status_code == 200
    assert client.get(reverse("cockpit:report_file", args=[report.pk])).status_code == 200


def test_a_year_of_interactions_with_flagged_ones(demo, client):
    from sciencecity.interactions.models import Finding, Interaction

    records = Interaction.objects.all()
    assert 400 < records.count() < 700
    days = records.values_list("occurred_on", flat=True)
    assert min(days) >= clock.today() - datetime.timedelta(days=365) and max(days) <= clock.today()
    assert len({(day.year, day.month) for day in days}) >= 12
    late, forbidden = records.filter(late=True).count(), records.filter(forbidden=True).count()
    assert 0.02 < late / records.count() < 0.1 and 0 < forbidden < late
    assert Finding.objects.filter(kind="concern").exists()
    applicant = User.objects.get(username="applicant")
    theirs = Interaction.objects.for_user(applicant)
    assert theirs.filter(response="confirmed").count() > 5
    assert theirs.filter(response="disputed").count() == 1 and theirs.filter(response="pending").exists()
    for record in records.filter(late=True)[:20]:
        assert record.recorded_at.date() > record.due_on
    client.force_login(User.objects.get(username="supervisor"))
    page = client.get(reverse("interactions:list"), {"flagged": "on"})
    newest = records.flagged().order_by("-occurred_on", "-id").first()
    assert page.status_code == 200 and newest.number in page.content.decode()


def test_the_rivers_water_quality_and_the_patrols_problems_at_their_sections(demo, client):
    from sciencecity.problems.rivers import status as river_status
    from sciencecity.problems.rivers.models import MonitoringSection, WaterReading

    zone = river_status.zone()
    liangtan = next(row for row in zone.rivers if row.river.name == "梁滩河")
    assert (liangtan.run_years, liangtan.run_margin, liangtan.run_to) == (5, 1, clock.today().year - 1)
    assert zone.total == MonitoringSection.objects.count() == 7 and zone.missed >= 1 and zone.better >= 4
    entered = WaterReading.objects.filter(recorded_by__department__code="ecology")
    assert entered.count() == WaterReading.objects.count()
    linked = Problem.objects.filter(section__isnull=False)
    assert linked.exists() and set(linked.values_list("source", flat=True)) == {Problem.Source.RIVER_PATROL}
    assert linked.exclude(status__in=[Problem.Status.CLOSED, Problem.Status.MERGED]).exists()
    client.force_login(User.objects.get(username="inspector"))
    page = client.get(reverse("problems:sections"))
    assert page.status_code == 200 and "连续 5 年优于考核目标 1 个类别" in page.content.decode()
    section = linked.values_list("section", flat=True).first()
    assert client.get(reverse("problems:section", args=[section])).status_code == 200


def test_businesses_opened_through_one_licence_and_start_applications_through_the_merged_review(demo, client):
    """一业一证: a laboratory, a pharmacy and a canteen delivered with their industry licences, a restaurant in
    review; 三评合一: start-construction applications through the merged environmental review."""
    from sciencecity.approvals.models import LicencePermit

    licences = Certificate.objects.filter(kind=Certificate.Kind.INDUSTRY_LICENCE).select_related(
        "application__bundle"
    )
    assert {licence.application.bundle.code for licence in licences} == {
        "open-laboratory",
        "open-pharmacy",
        "open-restaurant",
    }
    for licence in licences:
        assert licence.application.status == A.DELIVERED and licence.status == Certificate.Status.VALID
        permits = LicencePermit.objects.filter(licence=licence)
        assert permits.count() == licence.application.items.count() >= 2
        assert permits.exclude(certificate=None).exists()
    lab = licences.get(application__bundle__code="open-laboratory")
    assert set(lab.permits.values_list("item__code", flat=True)) >= {
        "pathogen-lab-filing",
        "precursor-chemicals-filing",
    }
    assert Application.objects.filter(bundle__code="open-restaurant", status=A.IN_REVIEW).exists()
    merged = Application.objects.filter(
        bundle__code="start-construction", items__item__code="eia-three-in-one"
    )
    assert merged.filter(status=A.DELIVERED).count() == 2
    assert ReviewTask.objects.filter(
        item__code="eia-three-in-one", status=T.IN_REVIEW, department__code="ecology"
    ).exists()
    # The public verification page of a licence lists its permits.
    page = client.get(reverse("approvals:verify", kwargs={"code": lab.verification_code}))
    assert page.status_code == 200 and 'data-permit="pathogen-lab-filing"' in page.content.decode()


def test_the_seeds_mass_starts_and_the_construction_timeline(demo):
    from sciencecity.cockpit import timeline
    from sciencecity.projects.models import MassStart, MassStartProject, Milestone

    events = {event.held_on: event for event in MassStart.objects.all()}
    mobilisation = events[datetime.date(2020, 9, 11)]
    assert mobilisation.project_count == 79 and mobilisation.total_investment == 13_000_000  # 1,300亿元
    names = set(mobilisation.entries.values_list("project__name", flat=True))
    assert {"科学大道二期工程", "科学谷(一期)"} <= names
    assert events[datetime.date(2021, 4, 15)].project_count == 107
    facility = events[datetime.date(2021, 5, 27)]
    assert facility.project_count == 8 and facility.total_investment == 2_836_000  # 283.6亿元
    assert "超瞬态实验装置" in set(facility.entries.values_list("project__name", flat=True))
    # Each project's start is the event's day, and its code was issued by then.
    for entry in MassStartProject.objects.select_related("event", "project"):
        start = Milestone.objects.get(project=entry.project, stage__isnull=True, kind__code="start")
        assert start.actual_on == entry.event.held_on, entry.project.code
        assert int(entry.project.code[:4]) <= entry.event.held_on.year, entry.project.code
        assert 0 < entry.investment <= entry.project.total_investment
    leader = User.objects.get(username="leader")
    kinds = {entry.kind for entry in timeline.build(leader, datetime.date(2020, 1, 1), clock.today())}
    assert {"mass_start", "completion", "operation"} <= kinds


def test_a_year_of_service_events_with_their_demands_and_outcomes(demo, client):
    from sciencecity.interactions.models import EventDemand, Interaction, ServiceEvent
    from sciencecity.interactions.service_events import selectors as event_selectors

    events = ServiceEvent.objects.all()
    dialogue = events.get(title__endswith="年科学家·创业者·陪跑人交流对话会")
    assert dialogue.status == "held" and dialogue.summary and len(dialogue.agreement_lines) == 3
    assert dialogue.title.startswith(f"{timezone.localtime(dialogue.starts_at).year}年")
    assert dialogue.participants.filter(role="expert").count() == 4
    assert set(events.values_list("status", flat=True)) == {"held", "scheduled", "cancelled"}
    assert set(events.values_list("kind", flat=True)) >= {
        "dialogue",
        "policy_briefing",
        "matchmaking",
        "group_visit",
    }
    assert events.filter(starts_at__gt=NOW).exists()
    assert events.filter(starts_at__lt=NOW - datetime.timedelta(days=300)).exists()
    # Demands became problems of source 企业诉求 in various states, some overdue.
    demands = EventDemand.objects.select_related("problem")
    states = {demand.problem.status for demand in demands}
    assert {P.CLOSED, P.RECTIFYING, P.DISPATCHED} <= states
    assert all(
        d.problem.source == Problem.Source.ENTERPRISE_DEMAND and d.problem.enterprise_id for d in demands
    )
    assert all(d.problem.reported_at <= NOW and (d.problem.closed_at or NOW) <= NOW for d in demands)
    figures = event_selectors.demand_figures(
        EventDemand.objects.all(), list(events.values_list("pk", flat=True))
    )
    assert sum(f.overdue for f in figures.values()) >= 1 and sum(f.closed for f in figures.values()) >= 10
    # The meetings are on the register; the demo applicant's enterprise attended and raised its own demand.
    assert (
        Interaction.objects.filter(service_event=dialogue).count()
        == dialogue.participants.filter(role="enterprise").count()
    )
    applicant = User.objects.get(username="applicant")
    attended = ServiceEvent.objects.for_user(applicant)
    assert dialogue in attended and attended.filter(status="scheduled", starts_at__gt=NOW).exists()
    assert EventDemand.objects.for_user(applicant).filter(problem__reporter=applicant).exists()
    from sciencecity.cockpit import snapshots
    from sciencecity.cockpit.periods import YEAR, period_of

    counted = snapshots.take_snapshot(period_of(YEAR, TODAY)).figures
    for key in ("service_events_held", "event_demands_raised", "event_demands_closed"):
        assert counted[key], key
    client.force_login(User.objects.get(username="specialist"))
    page = client.get(reverse("service_events:detail", args=[dialogue.pk]))
    assert page.status_code == 200 and dialogue.demands.first().problem.number in page.content.decode()
    client.force_login(applicant)
    assert dialogue.title in client.get(reverse("service_events:list")).content.decode()


def test_the_land_handovers_kechenggu_delivered_on_its_day_and_one_at_risk(demo):
    """交地即领证 (demo/handovers.py): 科学谷 delivered on its handover day, others under way, one at risk."""
    from sciencecity.approvals import target_dates

    handovers = Application.objects.filter(bundle__code="land-handover-certificates")
    assert {A.DELIVERED, A.CONCLUDED, A.IN_REVIEW, A.SUBMITTED, A.DRAFT} <= set(
        handovers.values_list("status", flat=True)
    )
    assert not handovers.exclude(status=A.DRAFT).filter(target_date=None).exists()
    seed = handovers.get(project__name="科学谷(一期)")
    assert seed.status == A.DELIVERED and timezone.localdate(seed.delivered_at) == seed.target_date
    assert set(seed.certificates.values_list("certificate_code", flat=True)) == {
        "land-transfer-contract",
        "land-title",
        "land-use-planning-permit",
        "construction-land-approval",
    }
    assert Rating.objects.filter(application=seed, score=5).exists()
    waiting = handovers.get(status=A.CONCLUDED)
    assert waiting.target_date > TODAY  # delivered on its day, not before
    risky = target_dates.at_risk(handovers, TODAY)
    assert risky.count() == 1
    moved = AuditEvent.objects.filter(action="approvals.change_target_date", target_id=str(risky.get().pk))
    assert moved.exists()
    mine = handovers.get(status=A.DRAFT)
    assert mine.enterprise_id == User.objects.get(username="applicant").enterprise_id and mine.target_date
