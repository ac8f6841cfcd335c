"""Unified delivery (统一出件) and service rating (好差评); a poor rating opens a problem (差评整改) that closes in
the problems' loop."""

import datetime
import itertools
import zoneinfo

import pytest
from django.contrib.auth.models import Permission
from django.core.exceptions import PermissionDenied, ValidationError
from django_tasks import default_task_backend

from sciencecity.accounts.models import User
from sciencecity.approvals.models import (
    Application,
    ApplicationItem,
    Delivery,
    Rating,
    ReviewTask,
)
from sciencecity.approvals.services.certificates import issue_for_task, revoke_certificate
from sciencecity.approvals.services.delivery import deliver_application
from sciencecity.approvals.services.ratings import problem_of, rate_application
from sciencecity.approvals.tasks import render_certificate
from sciencecity.approvals.transitions import IllegalTransition
from sciencecity.audit.models import AuditEvent
from sciencecity.catalog.models import Bundle, CatalogVersion, ServiceItem, Stage
from sciencecity.notifications.models import Notification
from sciencecity.problems.models import Problem, ProblemCategory
from sciencecity.problems.services import lifecycle
from tests.factories import (
    DepartmentFactory,
    EnterpriseFactory,
    ProjectFactory,
    UserFactory,
    applicant_of,
    staff,
)

pytestmark = pytest.mark.django_db

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
_serial = itertools.count(1)


@pytest.fixture(autouse=True)
def _isolated(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    default_task_backend.clear()


def grant(user, *permissions):
    for dotted in permissions:
        app_label, codename = dotted.split(".")
        user.user_permissions.add(
            Permission.objects.get(content_type__app_label=app_label, codename=codename)
        )
    return User.objects.get(pk=user.pk)


class World:
    """A concluded application of a two-item bundle led by the planning department: the planning permit and
    the construction permit were approved and issued their certificates."""

    def __init__(self, status=Application.Status.CONCLUDED):
        n = next(_serial)
        self.lead = DepartmentFactory(code=f"planning-{n}", name="规划和自然资源局")
        self.housing = DepartmentFactory(code=f"housing-{n}", name="住房城乡建设局")
        version = CatalogVersion.objects.create(number=2000 + n, label="测试目录")
        self.bundle = Bundle.objects.create(
            version=version,
            code="start",
            name="开工一件事",
            lead_department=self.lead,
            promised_limit_days=10,
        )
        self.enterprise = EnterpriseFactory()
        self.applicant = grant(applicant_of(self.enterprise), "approvals.rate_application")
        self.application = Application.objects.create(
            number=f"SQ20260601{n:06d}",
            enterprise=self.enterprise,
            project=ProjectFactory(enterprise=self.enterprise),
            bundle=self.bundle,
            applicant=self.applicant,
            status=status,
        )
        self.certificates = [
            self._approved_item(version, "planning-permit", "建设工程规划许可证", self.lead),
            self._approved_item(version, "construction-permit", "建筑工程施工许可证", self.housing),
        ]
        self.clerk = grant(staff("window_clerk"), "approvals.deliver_application")

    def _approved_item(self, version, code, certificate_name, department):
        item = ServiceItem.objects.create(
            version=version,
            code=code,
            name=certificate_name.removesuffix("证"),
            department=department,
            stage=Stage.CONSTRUCTION_PERMIT,
            promised_limit_days=5,
            certificate_code=code,
            certificate_name=certificate_name,
        )
        application_item = ApplicationItem.objects.create(
            application=self.application, item=item, outcome=ApplicationItem.Outcome.APPROVED
        )
        task = ReviewTask.objects.create(
            application=self.application,
            application_item=application_item,
            item=item,
            department=department,
            status=ReviewTask.Status.APPROVED,
        )
        return issue_for_task(task, None)

    def reload(self):
        self.application.refresh_from_db()
        return self.application


@pytest.fixture
def world():
    return World()


class TestDelivery:
    def test_electronic_delivery_hands_over_every_certificate_at_once(
        self, world, django_capture_on_commit_callbacks
    ):
        with django_capture_on_commit_callbacks(execute=True):
            delivery = deliver_application(
                world.clerk, world.application, method="electronic", note="  已告知  "
            )
        application = world.reload()
        assert application.status == Application.Status.DELIVERED
        assert application.delivered_at is not None
        assert delivery.application == application and delivery.delivered_by == world.clerk
        assert (delivery.method, delivery.note) == ("electronic", "已告知")
        numbers = sorted(certificate.number for certificate in world.certificates)
        event = AuditEvent.objects.get(action="approvals.deliver_application", target_id=str(application.pk))
        assert event.actor == world.clerk
        assert event.before == {"status": "concluded"}
        assert event.after["status"] == "delivered" and event.after["certificates"] == numbers
        note = Notification.objects.get(recipient=world.applicant, kind="delivered")
        assert note.title == "证照已送达" and note.about == application
        assert all(number in note.body for number in numbers)
        # Every delivered certificate gets its PDF rendered (idempotent if it already is).
        rendered = sorted(
            r.args[0] for r in default_task_backend.results if r.task.func == render_certificate.func
        )
        assert rendered == sorted(certificate.pk for certificate in world.certificates)

    def test_post_needs_an_address_and_records_the_tracking_number(self, world):
        with pytest.raises(ValidationError) as refused:
            deliver_application(world.clerk, world.application, method="post", recipient="王收件")
        assert "address" in refused.value.message_dict
        assert world.reload().status == Application.Status.CONCLUDED
        delivery = deliver_application(
            world.clerk,
            world.application,
            method="post",
            recipient="王收件",
            address="重庆市沙坪坝区科学大道1号",
            tracking_number="SF1234567890",
        )
        assert (delivery.address, delivery.tracking_number) == ("重庆市沙坪坝区科学大道1号", "SF1234567890")

    def test_window_needs_who_collected(self, world):
        with pytest.raises(ValidationError) as refused:
            deliver_application(world.clerk, world.application, method="window", recipient="  ")
        assert "recipient" in refused.value.message_dict
        delivery = deliver_application(world.clerk, world.application, method="window", recipient="李领取")
        assert delivery.recipient == "李领取"

    def test_unknown_method_is_refused(self, world):
        with pytest.raises(ValidationError, match="出件方式"):
            deliver_application(world.clerk, world.application, method="pigeon")
        assert not Delivery.objects.exists()

    def test_second_delivery_is_refused_with_a_clear_error(self, world):
        deliver_application(world.clerk, world.application, method="electronic")
        with pytest.raises(IllegalTransition, match="已出件") as refused:
            deliver_application(world.clerk, world.application, method="window", recipient="李领取")
        assert refused.value.action == "deliver"
        assert Delivery.objects.filter(application=world.application).count() == 1
        assert Notification.objects.filter(kind="delivered").count() == 1

    @pytest.mark.parametrize(
        "status",
        [
            Application.Status.DRAFT,
            Application.Status.SUBMITTED,
            Application.Status.IN_REVIEW,
            Application.Status.REFUSED,
            Application.Status.WITHDRAWN,
            Application.Status.CANCELLED,
        ],
    )
    def test_only_a_concluded_application_is_delivered(self, status):
        world = World(status=status)
        with pytest.raises(IllegalTransition):
            deliver_application(world.clerk, world.application, method="electronic")
        assert world.reload().status == status
        assert not Delivery.objects.exists()

    def test_delivery_needs_the_permission(self, world):
        # Applicants and reviewers hold no delivery permission; the window clerk role does.
        for user in (world.applicant, staff("department_reviewer")):
            with pytest.raises(PermissionDenied):
                deliver_application(user, world.application, method="electronic")
        assert world.reload().status == Application.Status.CONCLUDED

    def test_revoked_certificates_are_not_delivered(self, world):
        revoked, kept = world.certificates
        admin = grant(staff("administrator"), "approvals.change_certificate")
        revoke_certificate(admin, revoked, "撤销测试")
        deliver_application(world.clerk, world.application, method="electronic")
        event = AuditEvent.objects.get(action="approvals.deliver_application")
        assert event.after["certificates"] == [kept.number]


class TestRating:
    def test_a_good_rating_is_recorded_and_audited(self, world):
        rating = rate_application(world.applicant, world.application, 5, "  一次办成,很满意  ")
        assert (rating.score, rating.comment, rating.rated_by) == (5, "一次办成,很满意", world.applicant)
        assert not Problem.objects.exists()
        event = AuditEvent.objects.get(action="approvals.rate_application")
        assert event.actor == world.applicant and event.after["score"] == 5

    def test_delivered_applications_can_be_rated_too(self, world):
        deliver_application(world.clerk, world.application, method="electronic")
        assert rate_application(world.applicant, world.application, 4).score == 4

    @pytest.mark.parametrize("score", [0, 6, -1, "5", 3.5, None, True])
    def test_score_must_be_an_integer_from_1_to_5(self, world, score):
        with pytest.raises(ValidationError) as refused:
            rate_application(world.applicant, world.application, score)
        assert "score" in refused.value.message_dict
        assert not Rating.objects.exists()

    @pytest.mark.parametrize(
        "status",
        [Application.Status.DRAFT, Application.Status.IN_REVIEW, Application.Status.WITHDRAWN],
    )
    def test_only_after_conclusion(self, status):
        world = World(status=status)
        with pytest.raises(IllegalTransition, match="办结后才能评价"):
            rate_application(world.applicant, world.application, 5)
        assert not Rating.objects.exists()

    def test_only_once(self, world):
        rate_application(world.applicant, world.application, 5)
        with pytest.raises(IllegalTransition, match="只能评价一次"):
            rate_application(world.applicant, world.application, 1, "改主意了")
        assert Rating.objects.get().score == 5
        assert not Problem.objects.exists()

    def test_only_the_applicant_side_of_the_enterprise_rates(self, world):
        outsider = grant(applicant_of(EnterpriseFactory()), "approvals.rate_application")
        colleague_without_permission = UserFactory(enterprise=world.enterprise)  # no applicant role
        for user in (outsider, world.clerk, colleague_without_permission):
            with pytest.raises(PermissionDenied):
                rate_application(user, world.application, 5)
        colleague = grant(applicant_of(world.enterprise), "approvals.rate_application")
        assert rate_application(colleague, world.application, 5).rated_by == colleague

    def test_a_poor_rating_opens_a_problem_due_five_working_days_later_across_national_day(
        self, world, time_machine
    ):
        # Wednesday 2026-09-30; 1–7 October are the holiday and Saturday 10 October is a make-up working day:
        # Thu 8 (1), Fri 9 (2), Sat 10 (3), Mon 12 (4), Tue 13 (5).
        time_machine.move_to(datetime.datetime(2026, 9, 30, 16, 0, tzinfo=SHANGHAI), tick=False)
        heads = [staff("department_head", world.lead) for _ in range(2)]
        reviewer = staff("department_reviewer", world.lead)
        other_head = staff("department_head", world.housing)
        rating = rate_application(world.applicant, world.application, 2, "材料被要求重复提交")
        problem = problem_of(rating)
        assert problem.rating_id == rating.pk
        assert (problem.source, problem.category.code) == (Problem.Source.SERVICE_RATING, "service-rating")
        assert problem.department == world.lead  # the bundle's lead department, at once
        assert problem.status == Problem.Status.DISPATCHED
        assert (problem.reporter, problem.enterprise) == (world.applicant, world.enterprise)
        assert problem.due_date == datetime.date(2026, 10, 13)
        assert problem.number == "WT20260000001"
        assert world.application.number in problem.title and "材料被要求重复提交" in problem.description
        notified = Notification.objects.filter(kind="problem_dispatched")
        assert {note.recipient for note in notified} == {*heads, reviewer}  # the department that handles it
        assert not Notification.objects.filter(recipient=other_head).exists()
        assert all("2026-10-13" in note.body for note in notified)
        assert list(
            AuditEvent.objects.filter(target_id=str(problem.pk), action__startswith="problems.")
            .order_by("pk")
            .values_list("action", flat=True)
        ) == ["problems.report", "problems.route"]

    @pytest.mark.parametrize(("score", "opens"), [(1, True), (2, True), (3, False), (4, False)])
    def test_poor_means_two_or_less(self, world, score, opens):
        rating = rate_application(world.applicant, world.application, score)
        assert Problem.objects.filter(rating_id=rating.pk).exists() is opens
        assert (problem_of(rating) is not None) is opens

    def test_a_refused_rating_opens_no_problem(self, world):
        rate_application(world.applicant, world.application, 4)
        with pytest.raises(IllegalTransition):
            rate_application(world.applicant, world.application, 1, "再评一次")
        assert not Problem.objects.exists()

    def test_a_failure_of_the_problem_saves_no_rating_either(self, world, monkeypatch):
        # The rating and its problem are one transaction: a failure of the second leaves neither.
        def broken(*args, **kwargs):
            raise RuntimeError("the problems' side failed")

        monkeypatch.setattr("sciencecity.approvals.services.ratings.report_poor_rating", broken)
        with pytest.raises(RuntimeError):
            rate_application(world.applicant, world.application, 1, "差")
        assert not Rating.objects.exists() and not Problem.objects.exists()

    def test_a_deleted_system_category_is_made_again(self, world):
        ProblemCategory.objects.filter(code="service-rating").delete()
        problem = problem_of(rate_application(world.applicant, world.application, 1, "差"))
        assert problem.category.code == "service-rating" and problem.category.verifier == "reporter"


class TestPoorRatingProblem:
    @pytest.fixture
    def problem(self, world):
        return problem_of(rate_application(world.applicant, world.application, 1, "态度差"))

    def test_the_lead_department_rectifies_and_the_rater_verifies(self, world, problem):
        head = staff("department_head", world.lead)
        lifecycle.accept_problem(head, problem)
        # No photo needed: the category asks for none.
        lifecycle.rectify_problem(head, problem, "  已约谈窗口人员并回访企业  ")
        told = Notification.objects.get(recipient=world.applicant, kind="problem_rectified")
        assert problem.number in told.title
        closed = lifecycle.verify_problem(world.applicant, problem, True, "回访属实")
        assert closed.status == Problem.Status.CLOSED and closed.closed_on_time
        assert closed.resolution == "已约谈窗口人员并回访企业"
        assert AuditEvent.objects.filter(action="problems.pass", actor=world.applicant).exists()

    def test_the_rater_sends_it_back_when_nothing_changed(self, world, problem):
        head = staff("department_head", world.lead)
        lifecycle.accept_problem(head, problem)
        lifecycle.rectify_problem(head, problem, "已整改")
        lifecycle.verify_problem(world.applicant, problem, False, "没有人联系过我们")
        problem.refresh_from_db()
        assert (problem.status, problem.rework_count) == (Problem.Status.RECTIFYING, 1)

    def test_only_the_responsible_department_handles_it_and_only_the_rater_verifies(self, world, problem):
        for user in (staff("department_head", world.housing), world.applicant):
            with pytest.raises(PermissionDenied):
                lifecycle.accept_problem(user, problem)
        head = staff("department_head", world.lead)
        lifecycle.accept_problem(head, problem)
        lifecycle.rectify_problem(head, problem, "已整改")
        colleague = grant(applicant_of(world.enterprise), "approvals.rate_application")
        for user in (head, colleague):
            with pytest.raises(PermissionDenied):
                lifecycle.verify_problem(user, problem, True)
        problem.refresh_from_db()
        assert problem.status == Problem.Status.RECTIFIED

    def test_the_enterprise_sees_it_other_enterprises_do_not(self, world, problem):
        colleague = applicant_of(world.enterprise)
        outsider = applicant_of(EnterpriseFactory())
        assert Problem.objects.for_user(colleague).filter(pk=problem.pk).exists()
        assert not Problem.objects.for_user(outsider).filter(pk=problem.pk).exists()
