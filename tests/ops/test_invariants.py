"""The invariants of `sciencecity.ops.invariants` (issue 17): none broken by a world lived through the services,
and each one finding the violation planted for it.

A violation is planted the way a bug or a crash would leave it: a change of state written without its audit row,
an audit row for a transition that did not happen, a history entry without its audit row, a number skipped or
used twice, a notification missing or repeated, a background task left running by a dead worker, failed or
never queued, an idempotency answer naming nothing. Audit rows are never deleted (on PostgreSQL a trigger keeps
the table append-only): what is planted is the change without its row. Runs on SQLite and PostgreSQL.
"""

import datetime
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.core.management import call_command
from django.db import connection
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from sciencecity.api.models import IdempotencyRecord
from sciencecity.approvals.models import Application, Certificate, ReviewTask, TaskEvent
from sciencecity.approvals.services import delivery
from sciencecity.audit import record
from sciencecity.fund.models import Tranche
from sciencecity.fund.services import investments as fund
from sciencecity.notifications.models import Notification
from sciencecity.ops import invariants, recovery
from sciencecity.policies.models import Claim, Policy
from sciencecity.policies.services import claims
from sciencecity.policies.services.policies import save_policy
from sciencecity.problems.models import Problem, ProblemCategory, ProblemEvent, RoutingRule
from sciencecity.problems.services import lifecycle
from sciencecity.workflow.models import NumberSequence
from tests.approvals.conftest import (  # noqa: F401  (fixtures of the approvals' world)
    START_DAY,
    START_MINIMAL,
    accepted,
    approval_roles,
    approve_all,
    at,
    fast_passwords,
    frozen_day,
    isolated_media,
    load_demo_world,
)
from tests.factories import DepartmentFactory, EnterpriseFactory, UserFactory, applicant_of, staff

pytestmark = pytest.mark.django_db


@pytest.fixture
def lived(request, django_capture_on_commit_callbacks):
    """One lifecycle of each state machine through the services, its background jobs queued: an application
    delivered with its certificates, a problem closed, a claim paid, an investment converted. (The approvals'
    world: its day frozen on 2026-06-01, files in a temporary directory, fast passwords.)"""
    for name in ("approval_roles", "frozen_day", "isolated_media", "fast_passwords"):
        request.getfixturevalue(name)
    with django_capture_on_commit_callbacks(execute=True):
        world = load_demo_world()
        application = accepted(world, "start-construction", START_MINIMAL)
        approve_all(world, application)
        delivery.deliver_application(world.clerk, application, method="electronic")
        application = Application.objects.get(pk=application.pk)

        urban = world.departments["urban"]
        category = ProblemCategory.objects.create(
            code="road", name="道路破损", deadline_days=5, verifier="inspector", evidence_required=False
        )
        RoutingRule.objects.create(category=category, area="", department=urban)
        inspector, handler = staff("inspector"), staff("department_reviewer", urban)
        report = lifecycle.Report(
            category=category, title="路面坑槽", description="坑槽", source="supervision"
        )
        problem = lifecycle.report_problem(inspector, report)
        lifecycle.accept_problem(handler, problem)
        lifecycle.report_progress(handler, problem, "已安排修补。")
        lifecycle.rectify_problem(handler, problem, "已修补。")
        problem = lifecycle.verify_problem(inspector, problem, True, "核查通过。")

        finance = DepartmentFactory(code="finance", name="金融服务局")
        policy = save_policy(
            None,
            "tech-award",
            conditions=[{"fact": "is_high_tech", "operator": "==", "value": True}],
            publish=True,
            title="高新技术企业奖励",
            area="innovation",
            text="奖励。",
            beneficiaries="高新技术企业",
            requirements="高新技术企业",
            amount=Decimal("10"),
            budget=Decimal("1000"),
            valid_from=datetime.date(2026, 1, 1),
            department=finance,
            automatic=True,
        )
        startup = EnterpriseFactory(name="重庆量子芯科技有限公司", is_high_tech=True, is_tech_based=True)
        founder = applicant_of(startup)
        officer = staff("department_reviewer", finance)
        claim = claims.start_claim(founder, policy, startup)
        claim = claims.pay(officer, claims.approve(officer, claims.confirm(founder, claim)), "ZF0001")

        manager = staff("department_reviewer", finance, username="fund-manager")
        manager.user_permissions.add(Permission.objects.get(codename="manage_fund"))
        manager = type(manager).objects.get(pk=manager.pk)
        investment = fund.apply(founder, startup, title="量子传感", summary="中试。", requested="100")
        investment = fund.to_committee(manager, fund.start_diligence(manager, investment), "建议投资。")
        for member in [UserFactory(roles=["leader"]) for _ in range(3)]:
            fund.vote(member, investment, "for", "")
        investment = fund.sign(
            manager,
            fund.approve(manager, investment, "同意"),
            amount="100",
            signed_on=datetime.date(2026, 6, 1),
            trigger="next_round",
            discount="20",
            repayment_date=datetime.date(2029, 6, 1),
            tranches=[{"amount": "60", "milestone": "中试线"}, {"amount": "40", "milestone": "流片"}],
        )
        for tranche in investment.tranches.order_by("number"):
            fund.disburse(manager, fund.meet_milestone(manager, tranche, "验收报告"), f"BK{tranche.number}")
        investment = fund.convert(manager, investment, equity_percent="5")
    return {
        "world": world,
        "category": category,
        "inspector": inspector,
        "handler": handler,
        "founder": founder,
        "startup": startup,
        "manager": manager,
        "application": application,
        "problem": problem,
        "claim": claim,
        "investment": investment,
        "policy": policy,
    }


def found(name: str) -> list[str]:
    (result,) = invariants.run(names={name})
    return result[1]


def test_a_world_lived_through_the_services_breaks_no_invariant(lived):
    assert lived["application"].status == Application.Status.DELIVERED
    assert lived["problem"].status == Problem.Status.CLOSED
    assert lived["claim"].status == Claim.Status.PAID and lived["investment"].status == "converted"
    assert Certificate.objects.count() == 3
    broken = {item.name: violations for item, violations in invariants.run() if violations}
    assert broken == {}
    assert len(invariants.INVARIANTS) >= 30


def test_the_command_exits_1_on_a_violation_and_prints_counts(lived, capsys):
    call_command("check_invariants")
    assert f"{len(invariants.INVARIANTS)} invariants checked, 0 violated" in capsys.readouterr().out
    Problem.objects.filter(pk=lived["problem"].pk).update(status=Problem.Status.RECTIFYING)
    with pytest.raises(SystemExit) as exit_:
        call_command("check_invariants", "--only", "problem.state_explained", "--json")
    assert exit_.value.code == 1
    assert '"violations": 1' in capsys.readouterr().out


# --- transitions and their audit trail ------------------------------------------------------------------


def test_a_change_of_state_without_its_audit_row(lived):
    application = lived["application"]
    Application.objects.filter(pk=application.pk).update(status=Application.Status.CONCLUDED)
    (sentence,) = found("application.state_explained")
    assert f"application {application.pk} is “concluded” but its audit trail ends in “delivered”" in sentence
    task = ReviewTask.objects.filter(application=application).first()
    ReviewTask.objects.filter(pk=task.pk).update(status=ReviewTask.Status.IN_REVIEW)
    assert found("review_task.state_explained") == [
        f"review task {task.pk} is “in_review” but its audit trail ends in “approved”"
    ]
    claim = lived["claim"]
    Claim.objects.filter(pk=claim.pk).update(status=Claim.Status.APPROVED)
    assert found("policy_claim.state_explained")
    tranche = lived["investment"].tranches.get(number=2)
    Tranche.objects.filter(pk=tranche.pk).update(status=Tranche.Status.MET)
    assert found("fund_tranche.state_explained") == [
        f"investment {tranche.investment_id} tranche 2 is “met” but its audit trail ends in “disbursed”"
    ]


def test_an_audit_row_without_its_transition(lived):
    """An audited step that never happened breaks the chain of the trail and leaves the object in a state its
    trail does not end in."""
    problem = lived["problem"]
    record(None, "problems.reopen", problem, before={"status": "closed"}, after={"status": "rectifying"})
    assert "problem" in found("problem.state_explained")[0]
    record(None, "problems.pass", problem, before={"status": "rectified"}, after={"status": "closed"})
    (broken,) = found("problem.trail_chained")
    assert (
        "problems.pass" in broken
        and "starts from “rectified” but the previous transition left it “rectifying”" in broken
    )
    assert found("problem.timeline_audited")  # neither step has its timeline entry


def test_an_audited_transition_that_is_no_row_of_the_table(lived):
    application = lived["application"]
    record(
        None,
        "approvals.withdraw_application",
        application,
        before={"status": "delivered"},
        after={"status": "withdrawn"},
    )
    (illegal,) = found("application.transitions_legal")
    assert "“delivered” → “withdrawn” is no row of the application table" in illegal
    investment = lived["investment"]
    record(None, "fund.recompute", investment, before={"status": "converted"}, after={"status": "repaid"})
    assert (
        "fund.recompute changed a fund investment “converted” → “repaid” outside its table"
        in found("fund_investment.transitions_legal")[0]
    )


def test_a_history_entry_without_its_audit_row(lived):
    problem = lived["problem"]
    ProblemEvent.objects.create(
        problem=problem, action="progress", status_before="closed", status_after="closed"
    )
    assert found("problem.timeline_audited") == [
        f"problem {problem.pk}: 2 “progress” entries, 1 problems.progress audit row(s)"
    ]
    task = ReviewTask.objects.filter(application=lived["application"]).first()
    TaskEvent.objects.create(task=task, kind=TaskEvent.Kind.OPINION, author=lived["world"].clerk, text="补记")
    assert found("review_task.events_audited") == [
        f"review task {task.pk}: 1 “opinion” entry, 0 approvals.add_opinion audit row(s)"
    ]


def test_a_timeline_that_does_not_explain_the_state(lived):
    problem = lived["problem"]
    ProblemEvent.objects.filter(problem=problem, action="rectify").update(status_before="dispatched")
    (broken,) = found("problem.timeline_explains_state")
    assert "starts from “dispatched”, the previous entry left “rectifying”" in broken


def test_a_task_made_without_an_audited_acceptance(lived):
    task = ReviewTask.objects.filter(application=lived["application"]).first()
    other = Application.objects.create(
        number="CGTEST",
        enterprise=lived["application"].enterprise,
        project=lived["application"].project,
        bundle=lived["application"].bundle,
        applicant=lived["application"].applicant,
    )
    ReviewTask.objects.filter(pk=task.pk).update(application=other)
    assert any(
        f"review task {task.pk}: application {other.pk} has no create_tasks row" == s
        for s in found("review_task.created_audited")
    )


# --- notifications -------------------------------------------------------------------------------------------


def test_a_notification_lost_or_sent_twice(lived):
    application = lived["application"]
    told = Notification.objects.about(application).filter(kind="delivered")
    (notice,) = told
    Notification.objects.create(recipient=notice.recipient, kind="delivered", title="重复", about=application)
    assert found("notifications.once") == [
        f"application {application.pk}: user {notice.recipient_id} got 2 “delivered” notifications for 1 step(s)"
    ]
    Notification.objects.about(application).filter(kind="application_accepted").delete()
    (lost,) = found("notifications.sent")
    assert (
        "approvals.accept_application" in lost and "without its “application_accepted” notification" in lost
    )


# --- background jobs -----------------------------------------------------------------------------------------


def _task_row(status: str, **fields) -> DBTaskResult:
    return DBTaskResult.objects.create(
        status=status,
        args_kwargs={"args": [1], "kwargs": {}},
        task_path="sciencecity.approvals.tasks.render_certificate",
        backend_name="default",
        run_after=timezone.now(),
        **fields,
    )


def test_a_task_left_running_by_a_dead_worker_is_found_and_put_back(lived):
    """On PostgreSQL a running task's worker holds an advisory lock: none held, the worker is gone (after a
    moment's grace). Elsewhere a task running for longer than an hour is presumed abandoned."""
    age = recovery.GRACE if connection.vendor == "postgresql" else recovery.STALE_AFTER
    stuck = _task_row("RUNNING", started_at=timezone.now() - age - datetime.timedelta(minutes=1))
    young = _task_row("RUNNING", started_at=timezone.now())
    (sentence,) = found("tasks.none_abandoned")
    assert str(stuck.id) in sentence and str(young.id) not in sentence
    assert recovery.requeue_abandoned() == [str(stuck.id)]
    stuck.refresh_from_db()
    assert stuck.status == "READY" and found("tasks.none_abandoned") == []


def test_a_running_task_whose_worker_holds_its_lock_is_not_abandoned(lived, on_postgres):
    running = _task_row("RUNNING", started_at=timezone.now() - datetime.timedelta(hours=2))
    recovery._hold(sender=None, task_result=running.task_result)  # this test's session is its worker
    try:
        assert found("tasks.none_abandoned") == [] and recovery.requeue_abandoned() == []
    finally:
        recovery._release(sender=None, task_result=running.task_result)
    assert recovery.requeue_abandoned() == [str(running.id)]


def test_a_failed_task(lived):
    failed = _task_row("FAILED", finished_at=timezone.now(), exception_class_path="builtins.OSError")
    assert found("tasks.none_failed") == [
        f"task {failed.id} (sciencecity.approvals.tasks.render_certificate) failed at "
        f"{failed.finished_at:%Y-%m-%d %H:%M:%S}: builtins.OSError"
    ]


def test_a_job_never_queued(lived, time_machine):
    """The certificates' rendering jobs were queued when they were issued; one lost (the process killed between
    the commit and the enqueue) leaves its certificate without a PDF and without a job (looked for once the
    moment an enqueue after commit takes has passed)."""
    at(time_machine, START_DAY, hour=11)
    certificate = Certificate.objects.order_by("pk").first()
    queued = DBTaskResult.objects.filter(task_path="sciencecity.approvals.tasks.render_certificate")
    assert {job.args_kwargs["args"][0] for job in queued} == set(
        Certificate.objects.values_list("pk", flat=True)
    )
    DBTaskResult.objects.filter(
        pk__in=[job.pk for job in queued if job.args_kwargs["args"] == [certificate.pk]]
    ).delete()
    assert found("tasks.none_lost") == [
        f"certificate {certificate.pk} waits for its PDF but no render_certificate job is queued or running"
    ]


def test_verdict_counts_that_disagree_with_the_verdicts(lived):
    DBTaskResult.objects.filter(task_path__endswith="refresh_matches").delete()  # no refresh under way
    Policy.objects.filter(pk=lived["policy"].pk).update(eligible_count=7)
    assert found("policies.verdict_counts") == [
        "policy tech-award: counts 7 eligible and 0 unknown, its verdicts 0 and 0"
    ]


# --- numbers ------------------------------------------------------------------------------------------------


def test_a_certificate_number_skipped_or_used_twice(lived):
    first, second, third = Certificate.objects.order_by("number")
    year = first.number[3:7]
    Certificate.objects.filter(pk=second.pk).update(
        number=f"KXZ{year}{1:06d}"
    )  # serial 1 again, written short
    Certificate.objects.filter(pk=third.pk).update(number=f"KXZ{year}{5:07d}")
    assert found("certificate.numbers") == [
        f"certificate serial 1 of {year} is used 2 times ({first.number}, KXZ{year}{1:06d})",
        f"certificate numbers of {year}: serials 2–4 skipped",
        f"certificate numbers of {year}: serial 5 is used but the sequence stands at 3",
    ]


def test_a_number_taken_but_never_used(lived):
    year = lived["problem"].number[2:6]
    NumberSequence.objects.filter(key=f"problem-{year}").update(last_value=3)
    assert found("problem.numbers") == [
        f"problem numbers of {year}: the sequence gave up to 3, the highest used is 1 (serials 2–3 skipped)"
    ]


def test_the_parts_of_a_split_problem_take_no_number_of_their_own(lived):
    """A split's parts are numbered after their parent (WT…-1, WT…-2): the sequence gave them nothing, and the
    check neither counts them as the parent's serial again nor fails to read them (PostgreSQL refuses to cast
    "0000001-1" to an integer)."""
    urban = lived["world"].departments["urban"]
    unrouted = ProblemCategory.objects.create(code="collapse", name="路面塌陷", deadline_days=5)
    report = lifecycle.Report(
        category=unrouted, title="路面塌陷", description="塌陷并伴有管道破损", source="supervision"
    )
    problem = lifecycle.report_problem(
        lived["inspector"], report
    )  # no rule routes it: the dispatcher splits it
    parts = [lifecycle.Part("路面塌陷修复", urban), lifecycle.Part("排水管网破损修复", urban)]
    children = lifecycle.split_problem(staff("dispatcher"), problem, parts)
    assert [child.number for child in children] == [f"{problem.number}-1", f"{problem.number}-2"]
    assert found("problem.numbers") == []


def test_an_approval_without_its_certificate(lived):
    certificate = Certificate.objects.order_by("-number").first()
    Certificate.objects.filter(pk=certificate.pk).delete()
    assert found("approvals.certificate_issued") == [
        f"review task {certificate.task_id} (application {certificate.application_id}) approved without its "
        "certificate"
    ]


# --- idempotency keys ----------------------------------------------------------------------------------------


def test_an_idempotency_answer_naming_nothing_or_another_object(lived):
    application = lived["application"]
    applicant = application.applicant
    IdempotencyRecord.objects.create(
        user=applicant,
        key="k-1",
        method="POST",
        path="/api/v1/problems/",
        fingerprint="f",
        status_code=201,
        body={"id": 999999},
    )
    Application.objects.filter(pk=application.pk).update(creation_key="k-2")
    IdempotencyRecord.objects.create(
        user=applicant,
        key="k-2",
        method="POST",
        path="/api/v1/applications/",
        fingerprint="f",
        status_code=201,
        body={"id": application.pk + 1000},
    )
    assert found("api.idempotency_answers") == [
        f"key “k-2” remembers application {application.pk + 1000}, which does not exist",
        "key “k-1” remembers problem 999999, which does not exist",
        f"key “k-2” remembers application {application.pk + 1000} but started application {application.pk}",
    ]


# --- requests retried with their Idempotency-Key -------------------------------------------------------------
# A client that got no answer sends the same request again with the same key; it must be done once or refused.
# State transitions are refused the second time (409); the steps that leave the state as it is are not, and the
# endpoints below take no key: a progress note or a vote retried after a lost answer is recorded twice.


def _client(user):
    from rest_framework.test import APIClient

    from sciencecity.api.services import create_token

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {create_token(user, 'test')[1]}")
    return client


def test_a_progress_note_retried_with_its_key_is_recorded_once(lived):
    report = lifecycle.Report(
        category=lived["category"], title="井盖缺失", description="缺失", source="supervision"
    )
    problem = lifecycle.accept_problem(lived["handler"], lifecycle.report_problem(lived["inspector"], report))
    client = _client(lived["handler"])
    for _attempt in range(2):
        answer = client.post(
            f"/api/v1/problems/{problem.pk}/progress/",
            {"note": "已围挡"},
            format="json",
            HTTP_IDEMPOTENCY_KEY="p-1",
        )
        assert answer.status_code in (200, 409)
    assert ProblemEvent.objects.filter(problem=problem, action="progress").count() == 1


def test_a_vote_retried_with_its_key_is_recorded_once(lived):
    from sciencecity.audit.models import AuditEvent

    manager, member = lived["manager"], UserFactory(roles=["leader"])
    investment = fund.apply(
        lived["founder"], lived["startup"], title="第二期", summary="扩产。", requested="50"
    )
    investment = fund.to_committee(manager, fund.start_diligence(manager, investment), "建议投资。")
    client = _client(member)
    for _attempt in range(2):
        answer = client.post(
            f"/api/v1/fund-investments/{investment.pk}/vote/",
            {"choice": "for"},
            format="json",
            HTTP_IDEMPOTENCY_KEY="v-1",
        )
        assert answer.status_code in (200, 409)
    assert AuditEvent.objects.filter(action="fund.vote", actor=member).count() == 1


def test_an_extension_retried_with_its_key_extends_once(lived):
    world = lived["world"]
    application = accepted(world, "start-construction", START_MINIMAL, key="submit-2")
    task = ReviewTask.objects.filter(application=application, status=ReviewTask.Status.PENDING).first()
    client = _client(world.head(task.department.code))
    for _attempt in range(2):
        answer = client.post(
            f"/api/v1/tasks/{task.pk}/extend/",
            {"days": 3, "reason": "需现场核查"},
            format="json",
            HTTP_IDEMPOTENCY_KEY="e-1",
        )
        assert answer.status_code in (200, 409)
    task.refresh_from_db()
    assert task.extension_days == 3
