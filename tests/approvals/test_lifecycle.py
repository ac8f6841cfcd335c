"""The whole life of both demo bundles, from the situation guide to conclusion with certificates, and the reuse
of a certificate of the first (开工一件事) by the second (联合验收一件事)."""

import datetime
import io
import json

import pytest
from django.core.management import CommandError, call_command

from sciencecity.approvals import selectors
from sciencecity.approvals.models import (
    Application,
    ApplicationItem,
    Certificate,
    ReviewTask,
    SubmittedMaterial,
)
from sciencecity.approvals.services import applications, intake, review
from sciencecity.approvals.services.certificates import find_reusable_certificate
from sciencecity.audit.models import AuditEvent
from sciencecity.notifications.models import Notification
from tests.approvals.conftest import (
    JOINT_SPECIAL,
    START_ALL,
    START_MINIMAL,
    accept_all_materials,
    accepted,
    approve,
    approve_all,
    draft,
    task_of,
    upload,
    upload_needed,
)
from tests.factories import ProjectFactory

pytestmark = pytest.mark.django_db

A = Application.Status


def audit_actions(application) -> set[str]:
    """Every action recorded on the application, its tasks and its materials."""
    targets = {("application", str(application.pk))}
    targets |= {("reviewtask", str(pk)) for pk in application.tasks.values_list("pk", flat=True)}
    targets |= {("submittedmaterial", str(pk)) for pk in application.materials.values_list("pk", flat=True)}
    return {
        event.action
        for event in AuditEvent.objects.select_related("target_type")
        if (event.target_type and event.target_type.model, event.target_id) in targets
    }


def run_lifecycle(world, bundle_code, answers, key):
    application = draft(world, bundle_code, answers, key=key)
    # Starting again with the same key (a reloaded page) gives the same draft.
    assert (
        applications.start_application(
            world.applicant, world.project, world.bundle(bundle_code), idempotency_key=key
        ).pk
        == application.pk
    )
    upload_needed(world.applicant, application)
    application = applications.submit_application(
        world.applicant, application, idempotency_key=f"{key}-submit"
    )
    assert application.status == A.SUBMITTED
    accept_all_materials(world, application)
    application = intake.accept_application(world.clerk, application)
    assert application.status == A.IN_REVIEW
    rounds = approve_all(world, application)
    application.refresh_from_db()
    return application, rounds


def test_start_construction_with_every_situation(world):
    application, rounds = run_lifecycle(world, "start-construction", START_ALL, "start")
    # Parallel where possible, in dependency order where required.
    assert rounds == [
        [
            "assisted-agency-service",
            "construction-waste-disposal",
            "design-scheme-review",
            "eia-approval",
            "road-traffic-safety-review",
            "security-design-review",
            "sewage-discharge-permit",
            "soil-water-conservation",
        ],
        ["engineering-planning-permit"],
        [
            "civil-defense-basement-approval",
            "construction-drawing-review",
            "road-occupation-excavation",
            "special-fire-design-review",
        ],
        ["construction-permit"],
    ]
    assert application.status == A.CONCLUDED and application.concluded_at is not None
    assert application.items.count() == 14
    assert set(application.items.values_list("outcome", flat=True)) == {ApplicationItem.Outcome.APPROVED}
    assert set(application.tasks.values_list("status", flat=True)) == {ReviewTask.Status.APPROVED}
    # Every item that issues a certificate has one; the three that issue none (security design, traffic safety,
    # agency service) have none.
    issuing = application.items.exclude(item__certificate_code="").count()
    assert issuing == 11
    certificates = Certificate.objects.filter(application=application)
    assert certificates.count() == issuing
    assert set(certificates.values_list("enterprise", "project")) == {(world.enterprise.pk, world.project.pk)}
    # Every department reviewed its own items.
    for task in application.tasks.select_related("item", "assignee"):
        assert task.department_id == task.item.department_id == task.assignee.department_id
    kinds = set(Notification.objects.filter(recipient=world.applicant).values_list("kind", flat=True))
    assert {"application_accepted", "task_decided", "application_concluded"} <= kinds
    assert Notification.objects.filter(recipient=world.clerk, kind="application_concluded").exists()
    assert {
        "approvals.start_application",
        "approvals.save_answers",
        "approvals.save_form",
        "approvals.upload_material",
        "approvals.submit_application",
        "approvals.record_verdicts",
        "approvals.accept_application",
        "approvals.create_tasks",
        "approvals.release_task",
        "approvals.claim_task",
        "approvals.approve_task",
        "approvals.conclude_application",
    } <= audit_actions(application)


def test_joint_acceptance_with_situational_items(world):
    application, rounds = run_lifecycle(world, "joint-acceptance", JOINT_SPECIAL, "joint")
    assert rounds == [
        [
            "civil-defense-completion-filing",
            "planning-verification",
            "power-connection",
            "special-fire-acceptance",
            "urban-archives-acceptance",
            "water-connection",
        ],
        ["completion-acceptance-filing"],
    ]
    assert application.status == A.CONCLUDED
    codes = set(application.items.values_list("item__code", flat=True))
    assert "fire-acceptance-filing" not in codes and "gas-connection" not in codes
    assert set(
        Certificate.objects.filter(application=application).values_list("certificate_code", flat=True)
    ) == {
        "planning-verification",
        "fire-acceptance",
        "archives-acceptance",
        "completion-filing",
    }


def joint_notice(world):
    bundle = world.bundle("joint-acceptance")
    items = selectors.selected_items(bundle, JOINT_SPECIAL)
    return {e.code: e for e in selectors.material_notice(bundle, items, world.enterprise, world.project)}


def test_certificates_of_start_construction_are_reused_by_joint_acceptance(world):
    before = joint_notice(world)
    assert before["engineering-planning-permit"].needs_submission
    assert before["construction-permit"].needs_submission

    start, _rounds = run_lifecycle(world, "start-construction", START_ALL, "start")
    permit = Certificate.objects.get(application=start, certificate_code="engineering-planning-permit")

    notice = joint_notice(world)
    entry = notice["engineering-planning-permit"]
    assert entry.spec.name == "建设工程规划许可证"
    assert (entry.held_how, entry.certificate, entry.held_value) == ("certificate", permit, permit.number)
    assert not entry.needs_submission  # 免提交
    assert notice["construction-permit"].held_how == "certificate"
    # Produced by an item of the joint acceptance itself, not by the earlier application.
    assert notice["planning-verification-opinion"].produced_by.code == "planning-verification"

    joint = draft(world, "joint-acceptance", JOINT_SPECIAL)
    upload_needed(world.applicant, joint)
    assert not joint.materials.filter(spec__code="engineering-planning-permit").exists()
    joint = applications.submit_application(world.applicant, joint, idempotency_key="joint")
    reused = joint.materials.get(spec__code="engineering-planning-permit", is_current=True)
    assert (reused.source, reused.certificate, reused.verdict) == (
        SubmittedMaterial.Source.CERTIFICATE,
        permit,
        SubmittedMaterial.Verdict.ACCEPTED,
    )
    # Another project of the same enterprise holds nothing.
    other = ProjectFactory(enterprise=world.enterprise)
    bundle = world.bundle("joint-acceptance")
    items = selectors.selected_items(bundle, JOINT_SPECIAL)
    elsewhere = {e.code: e for e in selectors.material_notice(bundle, items, world.enterprise, other)}
    assert elsewhere["engineering-planning-permit"].needs_submission
    # The joint acceptance then runs to its end like any other.
    accept_all_materials(world, joint)
    joint = intake.accept_application(world.clerk, joint)
    approve_all(world, joint)
    joint.refresh_from_db()
    assert joint.status == A.CONCLUDED


def test_the_bulk_certificate_lookup_agrees_with_find_reusable_certificate(world):
    accepted_app = accepted(world, "start-construction", START_ALL)
    approve_all(world, accepted_app)
    codes = set(Certificate.objects.values_list("certificate_code", flat=True)) | {"no-such-type"}
    bulk = selectors.reusable_certificates(world.enterprise.pk, world.project.pk, codes)
    for code in codes:
        assert bulk.get(code) == find_reusable_certificate(world.enterprise.pk, world.project.pk, code)


def test_the_command_prints_the_guide_and_an_application(world):
    out = io.StringIO()
    call_command(
        "approvals",
        "guide",
        "start-construction",
        "--answers",
        json.dumps(START_ALL),
        "--project",
        world.project.code,
        stdout=out,
    )
    text = out.getvalue()
    assert "开工一件事" in text and "事项(14)" in text
    assert f"免提交:{world.enterprise.credit_code}" in text
    assert "由本件“建设工程规划许可证核发”出具" in text
    application = accepted(world, "start-construction", START_ALL)
    out = io.StringIO()
    call_command("approvals", "show", application.number, stdout=out)
    assert "审批中" in out.getvalue() and "建设工程规划许可证核发" in out.getvalue()
    with pytest.raises(CommandError):
        call_command("approvals", "show", "SQ0")


def test_a_busy_application_is_audited_and_notified_at_every_step(world):
    """Pledge, correction, tolerated gap, reassignment, opinion, inspection, supplement, extension, approval on
    pledge, the gap supplied: each step leaves its audit event with its actor, and tells whom it concerns."""
    gap = "quality-safety-measures"
    application = draft(world, "start-construction", START_MINIMAL)
    applications.pledge_material(world.applicant, application, "funding-pledge")
    upload_needed(world.applicant, application, skip={gap, "funding-pledge"})
    application = applications.submit_application(world.applicant, application, idempotency_key="one")
    intake.request_correction(world.clerk, application, [{"material": "", "problem": "联系电话有误"}])
    applications.save_form(world.applicant, application, {"contact_phone": "023-65009999"})
    application = applications.submit_application(world.applicant, application, idempotency_key="two")
    accept_all_materials(world, application)
    application = intake.accept_with_gaps(world.clerk, application, {gap: datetime.date(2026, 6, 12)})

    head, second = world.head("planning"), world.reviewer("planning", 2)
    task = task_of(application, "engineering-planning-permit")
    review.reassign_task(head, task, second)
    review.add_opinion(second, task, "符合规划条件")
    review.record_site_inspection(second, task, datetime.date(2026, 6, 1), "现场与图纸一致", True)
    review.request_supplement(second, task, "请补充日照分析")
    review.answer_supplement(world.applicant, task, "已补充日照分析")
    review.extend_deadline(head, task, 2, "需专家论证")
    review.approve_task(second, task, "准予许可")
    approve(world, application, "construction-drawing-review")
    approve(world, application, "construction-permit", on_pledge=True)
    supplied = intake.supply_tolerated_material(world.applicant, application, gap, upload("措施.pdf"))
    intake.accept_supplied_gap(world.clerk, supplied)
    application.refresh_from_db()
    assert application.status == A.CONCLUDED

    by_action = {}
    for event in AuditEvent.objects.order_by("id"):
        by_action.setdefault(event.action, set()).add(event.actor_id)
    expected_actors = {
        "approvals.pledge_material": world.applicant,
        "approvals.submit_application": world.applicant,
        "approvals.request_correction": world.clerk,
        "approvals.save_form": world.applicant,
        "approvals.resubmit_application": world.applicant,
        "approvals.record_verdicts": world.clerk,
        "approvals.accept_with_gaps_application": world.clerk,
        "approvals.reassign_task": head,
        "approvals.add_opinion": second,
        "approvals.record_site_inspection": second,
        "approvals.request_supplement": second,
        "approvals.answer_supplement": world.applicant,
        "approvals.extend_deadline": head,
        "approvals.approve_task": second,
        "approvals.approve_on_pledge_task": world.reviewer("housing"),
        "approvals.supply_tolerated_material": world.applicant,
        "approvals.accept_supplied_gap": world.clerk,
        "approvals.conclude_application": None,
        "approvals.release_task": None,
    }
    for action, actor in expected_actors.items():
        assert getattr(actor, "pk", None) in by_action.get(action, set()), action

    def kinds(user):
        return set(Notification.objects.filter(recipient=user).values_list("kind", flat=True))

    assert {
        "correction_requested",
        "application_accepted",
        "supplement_requested",
        "deadline_extended",
        "task_decided",
        "gap_closed",
        "application_concluded",
    } <= kinds(world.applicant)
    assert {"application_submitted", "gap_supplied", "application_concluded"} <= kinds(world.clerk)
    assert {"task_assigned", "supplement_answered", "deadline_extended"} <= kinds(second)
