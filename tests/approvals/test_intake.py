"""Front-desk intake: verdicts per material and the four outcomes, tolerated gaps closed later, the correction
round trip."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from sciencecity.approvals import transitions
from sciencecity.approvals.models import (
    Application,
    ApplicationItem,
    CorrectionNotice,
    ReviewTask,
    SubmittedMaterial,
)
from sciencecity.approvals.services import applications, intake, review
from sciencecity.audit.models import AuditEvent
from sciencecity.notifications.models import Notification
from tests.approvals.conftest import (
    START_MINIMAL,
    accept_all_materials,
    accepted,
    approve,
    approve_all,
    at,
    submitted,
    task_of,
    upload,
)

pytestmark = pytest.mark.django_db

A = Application.Status
V = SubmittedMaterial.Verdict
GAP = "quality-safety-measures"  # tolerated as a gap by the construction permit


def error_codes(excinfo):
    return {key: [error.code for error in errors] for key, errors in excinfo.value.error_dict.items()}


def current(application, code):
    return application.materials.get(spec__code=code, is_current=True)


class TestVerdicts:
    def test_verdicts_are_recorded_and_audited(self, world):
        application = submitted(world, "start-construction", START_MINIMAL)
        intake.record_verdicts(
            world.clerk,
            application,
            {"land-title": ("accepted", ""), "site-plan": ("rejected", "比例尺不清")},
        )
        assert current(application, "land-title").verdict == V.ACCEPTED
        assert (
            current(application, "site-plan").verdict,
            current(application, "site-plan").verdict_note,
        ) == (
            V.REJECTED,
            "比例尺不清",
        )
        event = AuditEvent.objects.get(action="approvals.record_verdicts")
        assert event.actor == world.clerk
        assert event.after["site-plan"] == ["rejected", "比例尺不清"]

    def test_every_problem_is_listed(self, world):
        application = submitted(world, "start-construction", START_MINIMAL, skip={GAP})
        with pytest.raises(ValidationError) as excinfo:
            intake.record_verdicts(
                world.clerk,
                application,
                {"site-plan": ("rejected", ""), GAP: ("accepted", ""), "land-title": ("tolerated", "")},
            )
        assert error_codes(excinfo) == {
            "site-plan": ["required"],
            GAP: ["not_submitted"],
            "land-title": ["invalid_verdict"],
        }

    def test_only_the_window_and_only_at_intake(self, world):
        application = submitted(world, "start-construction", START_MINIMAL)
        with pytest.raises(PermissionDenied):
            intake.record_verdicts(world.applicant, application, {"land-title": ("accepted", "")})
        intake.refuse_application(world.clerk, application, "不属于本中心受理范围")
        with pytest.raises(transitions.IllegalTransition):
            intake.record_verdicts(world.clerk, application, {"land-title": ("accepted", "")})


class TestAccept:
    def test_every_material_to_provide_must_be_accepted(self, world):
        application = submitted(world, "start-construction", START_MINIMAL)
        intake.record_verdicts(world.clerk, application, {"land-title": ("accepted", "")})
        with pytest.raises(ValidationError) as excinfo:
            intake.accept_application(world.clerk, application)
        assert "land-title" not in excinfo.value.error_dict
        assert set(error_codes(excinfo)["site-plan"]) == {"material_not_accepted"}

    def test_acceptance_fixes_the_deadline_splits_into_tasks_and_tells_the_applicant(self, world):
        application = accepted(world, "start-construction", START_MINIMAL)
        assert application.status == A.IN_REVIEW
        assert application.accepted_at is not None
        # 20 working days from Monday 2026-06-01; the Dragon Boat Festival (Friday 06-19) does not count.
        assert application.promised_deadline == datetime.date(2026, 6, 30)
        assert sorted(application.tasks.values_list("item__code", "status")) == [
            ("construction-drawing-review", "waiting"),
            ("construction-permit", "waiting"),
            ("engineering-planning-permit", "pending"),
        ]
        assert application.items.count() == 3
        assert Notification.objects.filter(recipient=world.applicant, kind="application_accepted").exists()
        actions = list(
            AuditEvent.objects.filter(target_id=str(application.pk), target_type__model="application")
            .order_by("id")
            .values_list("action", flat=True)
        )
        assert actions[-2:] == ["approvals.accept_application", "approvals.create_tasks"]

    def test_a_missing_gap_blocks_plain_acceptance(self, world):
        application = submitted(world, "start-construction", START_MINIMAL, skip={GAP})
        accept_all_materials(world, application)
        with pytest.raises(ValidationError) as excinfo:
            intake.accept_application(world.clerk, application)
        assert set(excinfo.value.error_dict) == {GAP}


class TestToleratedGaps:
    def gapped(self, world):
        application = submitted(world, "start-construction", START_MINIMAL, skip={GAP})
        accept_all_materials(world, application)
        return application

    def test_only_materials_that_may_be_gaps_with_a_future_due_date(self, world):
        application = self.gapped(world)
        with pytest.raises(ValidationError) as excinfo:
            intake.accept_with_gaps(
                world.clerk,
                application,
                {
                    GAP: datetime.date(2026, 6, 1),
                    "land-title": datetime.date(2026, 6, 15),
                    "project-code": None,
                },
            )
        assert error_codes(excinfo) == {
            GAP: ["invalid_due_date"],
            "land-title": ["gap_not_tolerated"],
            "project-code": ["not_needed"],
        }
        with pytest.raises(ValidationError):
            intake.accept_with_gaps(world.clerk, application, {})
        with pytest.raises(ValidationError) as excinfo:
            intake.accept_with_gaps(world.clerk, application, {GAP: None})
        assert error_codes(excinfo) == {GAP: ["required"]}

    def test_a_gap_keeps_the_application_in_review_until_supplied_and_accepted(self, world):
        application = self.gapped(world)
        application = intake.accept_with_gaps(world.clerk, application, {GAP: datetime.date(2026, 6, 15)})
        gap = current(application, GAP)
        assert (gap.verdict, gap.gap_due_date, bool(gap.file)) == (
            V.TOLERATED,
            datetime.date(2026, 6, 15),
            False,
        )
        assert application.status == A.IN_REVIEW

        approve_all(world, application)
        application.refresh_from_db()
        assert set(application.tasks.values_list("status", flat=True)) == {ReviewTask.Status.APPROVED}
        assert application.status == A.IN_REVIEW  # all decided, but the permit still lacks its gap
        assert [material.spec.code for material in review.open_gaps(application)] == [GAP]

        supplied = intake.supply_tolerated_material(world.applicant, application, GAP, upload("措施.pdf"))
        assert (supplied.verdict, supplied.gap_due_date) == (V.PENDING, datetime.date(2026, 6, 15))
        assert Notification.objects.filter(recipient=world.clerk, kind="gap_supplied").exists()
        intake.reject_supplied_gap(world.clerk, supplied, "缺少危大工程清单")
        application.refresh_from_db()
        assert application.status == A.IN_REVIEW

        again = intake.supply_tolerated_material(world.applicant, application, GAP, upload("措施v2.pdf"))
        intake.accept_supplied_gap(world.clerk, again)
        application.refresh_from_db()
        assert application.status == A.CONCLUDED and application.concluded_at is not None
        assert Notification.objects.filter(recipient=world.applicant, kind="application_concluded").exists()
        history = application.materials.filter(spec__code=GAP).order_by("id")
        assert [(m.verdict, m.is_current) for m in history] == [
            (V.TOLERATED, False),
            (V.REJECTED, False),
            (V.ACCEPTED, True),
        ]

    def test_a_gap_of_a_rejected_item_blocks_nothing(self, world):
        application = intake.accept_with_gaps(
            world.clerk, self.gapped(world), {GAP: datetime.date(2026, 6, 15)}
        )
        approve(world, application, "engineering-planning-permit")
        approve(world, application, "construction-drawing-review")
        task = task_of(application, "construction-permit")
        review.claim_task(world.reviewer_of(task), task)
        review.reject_task(world.reviewer_of(task), task, ["施工合同未备案"])
        application.refresh_from_db()
        assert application.status == A.CONCLUDED

    def test_only_a_gap_can_be_supplied_and_only_the_window_accepts_it(self, world):
        application = intake.accept_with_gaps(
            world.clerk, self.gapped(world), {GAP: datetime.date(2026, 6, 15)}
        )
        with pytest.raises(ValidationError):
            intake.supply_tolerated_material(world.applicant, application, "land-title", upload("x.pdf"))
        supplied = intake.supply_tolerated_material(world.applicant, application, GAP, upload("x.pdf"))
        with pytest.raises(PermissionDenied):
            intake.accept_supplied_gap(world.applicant, supplied)
        with pytest.raises(ValidationError):
            intake.supply_tolerated_material(
                world.applicant, application, GAP, upload("x.pdf", content=b"MZ")
            )


class TestCorrection:
    def test_every_problem_at_once_and_at_least_one(self, world):
        application = submitted(world, "start-construction", START_MINIMAL)
        with pytest.raises(ValidationError):
            intake.request_correction(world.clerk, application, [], "")
        with pytest.raises(ValidationError) as excinfo:
            intake.request_correction(
                world.clerk,
                application,
                [{"material": "land-title", "problem": ""}, {"material": "lunar-permit", "problem": "?"}],
            )
        assert [error.code for error in excinfo.value.error_dict["problems"]] == [
            "required",
            "unknown_material",
        ]

    def test_round_trip_back_to_intake_with_a_new_intake_deadline(self, world, time_machine):
        application = submitted(world, "start-construction", START_MINIMAL)
        assert application.intake_deadline == datetime.date(2026, 6, 2)
        notice = intake.request_correction(
            world.clerk,
            application,
            [
                {"material": "land-title", "problem": "产权证复印件不清晰"},
                {"material": "", "problem": "施工单位名称与合同不一致"},
            ],
            "请一并修改表单。",
        )
        application.refresh_from_db()
        assert application.status == A.CORRECTION
        assert current(application, "land-title").verdict == V.REJECTED
        message = Notification.objects.get(recipient=world.applicant, kind="correction_requested")
        assert "产权证复印件不清晰" in message.body and "施工单位名称与合同不一致" in message.body

        # Resubmitting without replacing the rejected material is refused, listing it.
        at(time_machine, datetime.date(2026, 6, 5))  # Friday
        with pytest.raises(ValidationError) as excinfo:
            applications.submit_application(world.applicant, application, idempotency_key="submit-2")
        assert set(excinfo.value.error_dict) == {"materials.land-title"}

        applications.upload_material(world.applicant, application, "land-title", upload("产权证.pdf"))
        applications.save_form(
            world.applicant, application, {"contractor_name": "重庆建工第三建设有限责任公司"}
        )
        number = application.number
        application = applications.submit_application(
            world.applicant, application, idempotency_key="submit-2"
        )
        assert application.status == A.SUBMITTED
        assert application.number == number and application.submission_count == 2
        assert application.intake_deadline == datetime.date(2026, 6, 8)  # Friday + 1 working day = Monday
        notice.refresh_from_db()
        assert notice.answered_at is not None
        assert AuditEvent.objects.filter(action="approvals.resubmit_application").count() == 1
        # The window accepts the new upload and the application goes on.
        accept_all_materials(world, application)
        assert intake.accept_application(world.clerk, application).status == A.IN_REVIEW

    def test_the_old_submission_key_is_a_repeat_of_the_first_submission(self, world):
        application = submitted(world, "start-construction", START_MINIMAL, key="first")
        intake.request_correction(world.clerk, application, [{"material": "", "problem": "表单有误"}])
        again = applications.submit_application(world.applicant, application, idempotency_key="first")
        assert again.status == A.CORRECTION and again.submission_count == 1


class TestRefuse:
    def test_with_a_reason_only(self, world):
        application = submitted(world, "start-construction", START_MINIMAL)
        with pytest.raises(ValidationError):
            intake.refuse_application(world.clerk, application, "")
        with pytest.raises(PermissionDenied):
            intake.refuse_application(world.applicant, application, "自己拒绝自己")
        application = intake.refuse_application(world.clerk, application, "项目不在本区域")
        assert (application.status, application.closed_reason) == (A.REFUSED, "项目不在本区域")
        assert Notification.objects.get(recipient=world.applicant, kind="application_refused").body.endswith(
            "项目不在本区域"
        )
        assert not ApplicationItem.objects.filter(application=application).exists()
        assert not CorrectionNotice.objects.exists()
