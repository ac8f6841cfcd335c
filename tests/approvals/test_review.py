"""Parallel review: claiming within the department, opinions and site inspections, decisions (pledge, reject),
dependencies, supplements that stop the clock, reassignment, extension, and deadlines across holidays.

Deadlines are worked out by hand from the State Council's 2026 schedule (as shipped in chinese_calendar):
Spring Festival rest 02-15..02-23 with make-up Saturdays 02-14 and 02-28; Dragon Boat Festival 06-19 (Friday);
National Day and Mid-Autumn rest 10-01..10-07 with make-up days Sunday 09-20 and Saturday 10-10. The start
day never counts, nor does any day of a pause (from the request day to the answer day, both included).

In START_MINIMAL the first task is the 建设工程规划许可证核发 (engineering-planning-permit): promised 2,
legal 20 working days; it starts the day the window accepts.
"""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from sciencecity.approvals import transitions
from sciencecity.approvals.models import (
    Application,
    ApplicationItem,
    Certificate,
    ReviewTask,
    TaskEvent,
    TaskPause,
)
from sciencecity.approvals.services import review
from sciencecity.audit.models import AuditEvent
from sciencecity.notifications.models import Notification
from tests.approvals.conftest import (
    START_ALL,
    START_MINIMAL,
    accepted,
    approve,
    at,
    claim,
    task_of,
    upload,
)
from tests.factories import staff

pytestmark = pytest.mark.django_db

D = datetime.date
T = ReviewTask.Status
EPP = "engineering-planning-permit"


def statuses(application) -> dict[str, str]:
    return dict(application.tasks.values_list("item__code", "status"))


def outcomes(application) -> dict[str, str]:
    return dict(application.items.values_list("item__code", "outcome"))


def fresh(task):
    return ReviewTask.objects.select_related("item", "department").get(pk=task.pk)


class TestClaim:
    def test_a_reviewer_of_the_department_claims(self, world):
        application = accepted(world, "start-construction", START_MINIMAL)
        task = claim(world, application, EPP)
        assert (task.status, task.assignee) == (T.IN_REVIEW, world.reviewer("planning"))
        assert AuditEvent.objects.filter(action="approvals.claim_task", target_id=str(task.pk)).exists()

    def test_the_second_claim_is_an_illegal_transition(self, world):
        application = accepted(world, "start-construction", START_MINIMAL)
        claim(world, application, EPP)
        with pytest.raises(transitions.IllegalTransition):
            review.claim_task(world.reviewer("planning", 2), task_of(application, EPP))

    def test_a_reviewer_of_another_department_does_not_find_the_task(self, world):
        application = accepted(world, "start-construction", START_MINIMAL)
        with pytest.raises(Http404) as excinfo:
            review.claim_task(world.reviewer("housing"), task_of(application, EPP))
        assert "不存在" in str(excinfo.value)

    def test_a_waiting_task_cannot_be_claimed(self, world):
        application = accepted(world, "start-construction", START_MINIMAL)
        task = task_of(application, "construction-permit")
        with pytest.raises(transitions.IllegalTransition):
            review.claim_task(world.reviewer("housing"), task)

    def test_an_applicant_cannot_claim(self, world):
        application = accepted(world, "start-construction", START_MINIMAL)
        with pytest.raises(PermissionDenied):
            review.claim_task(world.applicant, task_of(application, EPP))


class TestOpinionsAndInspections:
    def test_the_assignee_records_them_while_in_review(self, world):
        application = accepted(world, "start-construction", START_MINIMAL)
        task = claim(world, application, EPP)
        reviewer = world.reviewer("planning")
        review.add_opinion(reviewer, task, "总平面布局符合规划条件。")
        review.record_site_inspection(reviewer, task, D(2026, 6, 1), "现场与报批图纸一致。", True)
        events = list(task.events.order_by("id").values_list("kind", "text", "data"))
        assert events == [
            (TaskEvent.Kind.OPINION, "总平面布局符合规划条件。", {}),
            (TaskEvent.Kind.INSPECTION, "现场与报批图纸一致。", {"date": "2026-06-01", "passed": True}),
        ]
        assert AuditEvent.objects.filter(action="approvals.record_site_inspection").count() == 1

    def test_others_and_other_states_are_refused(self, world):
        application = accepted(world, "start-construction", START_MINIMAL)
        pending = task_of(application, EPP)
        with pytest.raises(transitions.IllegalTransition):
            review.add_opinion(world.reviewer("planning"), pending, "未认领先写意见")
        task = claim(world, application, EPP)
        with pytest.raises(PermissionDenied):
            review.add_opinion(world.reviewer("planning", 2), task, "不是我的任务")
        with pytest.raises(ValidationError):
            review.add_opinion(world.reviewer("planning"), task, "  ")
        with pytest.raises(ValidationError) as excinfo:
            review.record_site_inspection(world.reviewer("planning"), task, D(2026, 6, 2), "", "yes")
        assert set(excinfo.value.error_dict) == {"date", "findings", "passed"}


class TestDecisions:
    def test_approval_issues_the_certificate_and_tells_the_applicant(self, world):
        application = accepted(world, "start-construction", START_MINIMAL)
        task = approve(world, application, EPP)
        task = fresh(task)
        assert (task.status, task.decided_by, task.decision_reason) == (
            T.APPROVED,
            world.reviewer("planning"),
            "符合要求",
        )
        certificate = Certificate.objects.get(task=task)
        assert certificate.certificate_code == "engineering-planning-permit" and not certificate.on_pledge
        assert outcomes(application)[EPP] == ApplicationItem.Outcome.APPROVED
        message = Notification.objects.get(recipient=world.applicant, kind="task_decided", task=task)
        assert certificate.number in message.body

    def test_only_the_assignee_decides(self, world):
        application = accepted(world, "start-construction", START_MINIMAL)
        task = claim(world, application, EPP)
        with pytest.raises(PermissionDenied):
            review.approve_task(world.reviewer("planning", 2), task)
        with pytest.raises(PermissionDenied):
            review.approve_task(world.clerk, task)

    def test_pledge_approval_where_the_item_allows_it(self, world):
        application = accepted(world, "start-construction", START_MINIMAL)
        task = claim(world, application, EPP)
        with pytest.raises(ValidationError) as excinfo:
            review.approve_task_on_pledge(world.reviewer("planning"), task)
        assert excinfo.value.code == "pledge_not_allowed"
        assert fresh(task).status == T.IN_REVIEW
        approve(world, application, EPP)
        approve(world, application, "construction-drawing-review")
        permit = approve(world, application, "construction-permit", on_pledge=True)
        assert fresh(permit).status == T.APPROVED_ON_PLEDGE
        assert Certificate.objects.get(task=permit).on_pledge
        assert outcomes(application)["construction-permit"] == ApplicationItem.Outcome.APPROVED_ON_PLEDGE
        application.refresh_from_db()
        assert application.status == Application.Status.CONCLUDED

    def test_a_rejection_needs_reasons(self, world):
        application = accepted(world, "start-construction", START_MINIMAL)
        task = claim(world, application, EPP)
        for empty in ("", [], ["  "], None):
            with pytest.raises(ValidationError):
                review.reject_task(world.reviewer("planning"), task, empty)
        review.reject_task(world.reviewer("planning"), task, ["用地性质不符", "容积率超标"])
        assert fresh(task).decision_reason == "用地性质不符\n容积率超标"


class TestDependencies:
    def test_tasks_wait_for_their_prerequisites(self, world):
        application = accepted(world, "start-construction", START_MINIMAL)
        assert statuses(application) == {
            EPP: T.PENDING,
            "construction-drawing-review": T.WAITING,
            "construction-permit": T.WAITING,
        }
        at_ = task_of(application, "construction-drawing-review")
        assert at_.started_on is None and at_.promised_deadline is None
        approve(world, application, EPP)
        # The permit also waits for the drawing review.
        assert statuses(application)["construction-drawing-review"] == T.PENDING
        assert statuses(application)["construction-permit"] == T.WAITING
        approve(world, application, "construction-drawing-review")
        assert statuses(application)["construction-permit"] == T.PENDING
        assert Notification.objects.filter(
            recipient=world.reviewer("housing"), kind="task_released", task__item__code="construction-permit"
        ).exists()

    def test_a_prerequisite_approved_on_pledge_counts_as_approved(self, world):
        application = accepted(world, "start-construction", START_ALL)
        # The road works also need the planning permit (and it the design scheme): approve those first.
        approve(world, application, "design-scheme-review")
        approve(world, application, EPP)
        assert statuses(application)["road-occupation-excavation"] == T.WAITING
        approve(world, application, "road-traffic-safety-review", on_pledge=True)
        assert statuses(application)["road-occupation-excavation"] == T.PENDING

    def test_a_rejection_skips_the_dependents_recursively_and_the_application_concludes(self, world):
        application = accepted(world, "start-construction", START_MINIMAL)
        task = claim(world, application, EPP)
        review.reject_task(world.reviewer("planning"), task, "不符合控制性详细规划")
        assert statuses(application) == {
            EPP: T.REJECTED,
            "construction-drawing-review": T.NOT_STARTED,
            "construction-permit": T.NOT_STARTED,
        }
        assert outcomes(application) == {
            EPP: ApplicationItem.Outcome.REJECTED,
            "construction-drawing-review": ApplicationItem.Outcome.NOT_STARTED,
            "construction-permit": ApplicationItem.Outcome.NOT_STARTED,
        }
        application.refresh_from_db()
        assert application.status == Application.Status.CONCLUDED
        assert not Certificate.objects.filter(application=application).exists()
        assert AuditEvent.objects.filter(action="approvals.skip_task", actor=None).count() == 2
        conclusion = AuditEvent.objects.get(action="approvals.conclude_application")
        assert conclusion.after["outcomes"][EPP] == "rejected"

    def test_a_rejected_item_does_not_block_the_others(self, world):
        application = accepted(world, "start-construction", START_ALL)
        task = claim(world, application, "road-traffic-safety-review")
        review.reject_task(world.reviewer("police"), task, "交通组织方案不可行")
        assert statuses(application)["road-occupation-excavation"] == T.NOT_STARTED
        while pending := list(application.tasks.filter(status=T.PENDING).select_related("item")):
            for task in pending:
                approve(world, application, task.item.code)
        application.refresh_from_db()
        assert application.status == Application.Status.CONCLUDED
        result = outcomes(application)
        assert result.pop("road-traffic-safety-review") == "rejected"
        assert result.pop("road-occupation-excavation") == "not_started"
        assert set(result.values()) == {"approved"}


class TestSupplement:
    def test_the_clock_stops_from_the_request_day_to_the_answer_day(self, world, time_machine):
        application = accepted(world, "start-construction", START_MINIMAL)  # Monday 06-01
        task = claim(world, application, EPP)
        assert (task.started_on, task.promised_deadline, task.legal_deadline) == (
            D(2026, 6, 1),
            D(2026, 6, 3),  # Tue 06-02 (1), Wed 06-03 (2)
            D(
                2026, 6, 30
            ),  # 06-02..06-18 give 13, Fri 06-19 is the Dragon Boat Festival, 06-22..06-30 give 7
        )
        at(time_machine, D(2026, 6, 2))
        pause = review.request_supplement(world.reviewer("planning"), task, "请补充总平面图的坐标成果")
        assert (pause.started_on, pause.ended_on) == (D(2026, 6, 2), None)
        assert fresh(task).status == T.SUPPLEMENT
        assert Notification.objects.filter(recipient=world.applicant, kind="supplement_requested").exists()

        at(time_machine, D(2026, 6, 5))
        ReviewTask.objects.filter(pk=task.pk).update(warning_level=ReviewTask.Warning.YELLOW)
        review.answer_supplement(
            world.applicant, task, "已补充坐标成果表", {"site-plan": upload("总平面图.pdf")}
        )
        task = fresh(task)
        assert task.warning_level == ReviewTask.Warning.NONE
        pause.refresh_from_db()
        assert pause.ended_on == D(2026, 6, 5)
        assert task.status == T.IN_REVIEW
        # Paused Tue 06-02..Fri 06-05; counting resumes Mon 06-08 (1), Tue 06-09 (2).
        assert task.promised_deadline == D(2026, 6, 9)
        # 06-08..06-18 give 9, 06-19 is a holiday, 06-22..06-30 give 7 (16), 07-01..07-03 (19), Mon 07-06 (20).
        assert task.legal_deadline == D(2026, 7, 6)
        answer = task.events.get(kind=TaskEvent.Kind.SUPPLEMENT_ANSWER)
        assert application.materials.get(pk=answer.data["materials"][0]).spec.code == "site-plan"
        assert Notification.objects.filter(
            recipient=world.reviewer("planning"), kind="supplement_answered"
        ).exists()

    def test_an_answer_on_the_request_day_still_stops_that_one_day(self, world, time_machine):
        application = accepted(world, "start-construction", START_MINIMAL)
        task = claim(world, application, EPP)
        at(time_machine, D(2026, 6, 2))
        review.request_supplement(world.reviewer("planning"), task, "请补充说明")
        review.answer_supplement(world.applicant, task, "说明如下")
        # Tue 06-02 paused; Wed 06-03 (1), Thu 06-04 (2).
        assert fresh(task).promised_deadline == D(2026, 6, 4)

    def test_only_the_applicant_answers_and_only_a_supplement(self, world):
        application = accepted(world, "start-construction", START_MINIMAL)
        task = claim(world, application, EPP)
        with pytest.raises(transitions.IllegalTransition):
            review.answer_supplement(world.applicant, task, "没人问我")
        review.request_supplement(world.reviewer("planning"), task, "请补充")
        with pytest.raises(PermissionDenied):
            review.answer_supplement(world.reviewer("planning"), task, "代答")
        with pytest.raises(ValidationError):
            review.answer_supplement(world.applicant, task, "")
        assert TaskPause.objects.get(task=task).ended_on is None

    def test_an_extension_during_a_pause_counts_when_the_pause_ends(self, world, time_machine):
        application = accepted(world, "start-construction", START_MINIMAL)
        task = claim(world, application, EPP)
        at(time_machine, D(2026, 6, 2))
        review.request_supplement(world.reviewer("planning"), task, "请补充")
        review.extend_deadline(world.head("planning"), task, 3, "需组织专家论证")
        assert fresh(task).promised_deadline == D(2026, 6, 3)  # unknown until the pause ends: unchanged
        at(time_machine, D(2026, 6, 5))
        review.answer_supplement(world.applicant, task, "已补充")
        # Paused 06-02..06-05; 2 + 3 = 5 working days: 06-08..06-12.
        assert fresh(task).promised_deadline == D(2026, 6, 12)


class TestHead:
    def test_reassign_within_the_department(self, world):
        application = accepted(world, "start-construction", START_MINIMAL)
        task = task_of(application, EPP)
        head = world.head("planning")
        colleague = world.reviewer("planning", 2)
        task = review.reassign_task(head, task, colleague)
        assert (task.status, task.assignee) == (T.IN_REVIEW, colleague)
        assert Notification.objects.filter(recipient=colleague, kind="task_assigned").exists()
        event = task.events.get(kind=TaskEvent.Kind.REASSIGNMENT)
        assert event.data == {"from": None, "to": colleague.pk}
        for wrong in (
            world.reviewer("housing"),
            staff("project_specialist", world.departments["planning"]),
            colleague,
        ):
            with pytest.raises(ValidationError):
                review.reassign_task(head, task, wrong)
        with pytest.raises(PermissionDenied):
            review.reassign_task(world.reviewer("planning"), task, world.reviewer("planning"))
        with pytest.raises(Http404):
            review.reassign_task(world.head("housing"), task, world.reviewer("planning"))

    def test_extend_with_a_reason(self, world):
        application = accepted(world, "start-construction", START_MINIMAL)
        task = claim(world, application, EPP)
        head = world.head("planning")
        with pytest.raises(ValidationError):
            review.extend_deadline(head, task, 3, "")
        for days in (0, -1, 61, "3", True):
            with pytest.raises(ValidationError):
                review.extend_deadline(head, task, days, "专家论证")
        with pytest.raises(PermissionDenied):
            review.extend_deadline(world.reviewer("planning"), task, 3, "专家论证")
        ReviewTask.objects.filter(pk=task.pk).update(warning_level=ReviewTask.Warning.RED)
        task = review.extend_deadline(head, task, 3, "需组织专家论证")
        assert fresh(task).warning_level == ReviewTask.Warning.NONE  # the new deadline warns afresh
        # 2 + 3 = 5 working days from Monday 06-01: Monday 06-08. Legal 20 + 3 = 23: 06-30 + 3 = 07-03.
        assert (task.extension_days, task.promised_deadline, task.legal_deadline) == (
            3,
            D(2026, 6, 8),
            D(2026, 7, 3),
        )
        assert task.events.get(kind=TaskEvent.Kind.EXTENSION).text == "需组织专家论证"
        assert Notification.objects.filter(recipient=world.applicant, kind="deadline_extended").exists()
        event = AuditEvent.objects.get(action="approvals.extend_deadline")
        assert (event.actor, event.before["promised_deadline"], event.after["promised_deadline"]) == (
            head,
            "2026-06-03",
            "2026-06-08",
        )


class TestDeadlinesAcrossHolidays:
    def test_national_day(self, world, time_machine):
        at(time_machine, D(2026, 9, 30))  # Wednesday, the eve of the holiday
        application = accepted(world, "start-construction", START_MINIMAL)
        # Submitted and accepted on 09-30: intake 1 working day: 10-01..10-07 rest, Thursday 10-08.
        assert application.intake_deadline == D(2026, 10, 8)
        # 20 working days: 10-08 (1), 10-09 (2), Saturday 10-10 make-up (3), 10-12..16 (8), 10-19..23 (13),
        # 10-26..30 (18), 11-02 (19), 11-03 (20).
        assert application.promised_deadline == D(2026, 11, 3)
        task = task_of(application, EPP)
        assert task.started_on == D(2026, 9, 30)
        assert task.promised_deadline == D(2026, 10, 9)  # 10-08 (1), 10-09 (2)
        assert task.legal_deadline == D(2026, 11, 3)

    def test_national_day_with_a_supplement_over_the_holiday(self, world, time_machine):
        at(time_machine, D(2026, 9, 29))  # Tuesday
        application = accepted(world, "start-construction", START_MINIMAL)
        task = claim(world, application, EPP)
        assert task.promised_deadline == D(2026, 10, 8)  # 09-30 (1), holiday, 10-08 (2)
        at(time_machine, D(2026, 9, 30))
        review.request_supplement(world.reviewer("planning"), task, "请补充")
        at(time_machine, D(2026, 10, 8))
        review.answer_supplement(world.applicant, task, "已补充")
        # Paused 09-30..10-08: Friday 10-09 (1), Saturday 10-10 make-up day (2).
        assert fresh(task).promised_deadline == D(2026, 10, 10)

    def test_spring_festival(self, world, time_machine):
        at(time_machine, D(2026, 2, 13))  # Friday before the holiday
        application = accepted(world, "start-construction", START_MINIMAL)
        task = task_of(application, EPP)
        # Saturday 02-14 is a make-up working day (1); 02-15..02-23 rest; Tuesday 02-24 (2).
        assert task.promised_deadline == D(2026, 2, 24)
        # 02-14 (1), 02-24..27 (5), Saturday 02-28 make-up (6), 03-02..06 (11), 03-09..13 (16), 03-16..19 (20).
        assert task.legal_deadline == D(2026, 3, 19)
        assert application.promised_deadline == D(2026, 3, 19)

    def test_a_dependent_starts_on_the_day_its_prerequisite_is_approved(self, world, time_machine):
        at(time_machine, D(2026, 9, 28))  # Monday
        application = accepted(world, "start-construction", START_MINIMAL)
        at(time_machine, D(2026, 9, 30))
        approve(world, application, EPP)
        drawing = task_of(application, "construction-drawing-review")
        # Promised 7: 10-08, 10-09, 10-10 (make-up), 10-12, 10-13, 10-14, 10-15.
        # Legal 15: those 7, then 10-16 (8), 10-19..23 (13), 10-26 (14), 10-27 (15).
        assert (drawing.started_on, drawing.promised_deadline, drawing.legal_deadline) == (
            D(2026, 9, 30),
            D(2026, 10, 15),
            D(2026, 10, 27),
        )
