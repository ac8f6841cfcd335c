"""The problem lifecycle through its services: routing, dispatch, acceptance and return, rectification with
evidence, verification and rework, reopening, merge, split, dismissal, long-term plans — and the refusals,
which change nothing."""

import datetime
import zoneinfo

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError

from sciencecity.audit.models import AuditEvent
from sciencecity.notifications.models import Notification
from sciencecity.problems.models import Problem, ProblemCategory, ProblemEvent, ProblemPhoto
from sciencecity.problems.services import lifecycle
from sciencecity.problems.transitions import PROBLEM_TRANSITIONS
from sciencecity.workdays import clock
from sciencecity.workdays.calendar import add_working_days
from sciencecity.workflow.transitions import IllegalTransition

from .conftest import jpeg, report

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")

S = Problem.Status


def notified(user, kind) -> int:
    return Notification.objects.filter(recipient=user, kind=kind).count()


def test_a_report_is_routed_by_category_and_area_and_its_deadline_stored(zone):
    problem = report(zone)
    assert problem.status == S.DISPATCHED
    assert problem.department == zone.environment
    assert problem.area == zone.first
    assert problem.number.startswith(f"WT{clock.today():%Y}")
    assert len(problem.follow_up_code) == 8
    assert problem.due_date == add_working_days(clock.today(), zone.river.deadline_days)
    assert notified(zone.env_reviewer, "problem_dispatched") == 1
    assert notified(zone.build_reviewer, "problem_dispatched") == 0
    assert list(problem.events.values_list("action", flat=True)) == ["report", "route"]
    assert AuditEvent.objects.filter(target_id=str(problem.pk), action__startswith="problems.").count() == 2

    # The rule naming the area wins over the category's rule for every area.
    elsewhere = report(zone, point=zone.points[zone.second])
    assert elsewhere.department == zone.construction


def test_without_a_rule_the_dispatch_centre_decides(zone):
    problem = report(zone, category=zone.unrouted)
    assert problem.status == S.REPORTED and problem.department is None and problem.due_date is None
    assert notified(zone.dispatcher, "problem_waiting") == 1
    with pytest.raises(PermissionDenied):
        lifecycle.dispatch_problem(zone.env_reviewer, problem, zone.environment)
    lifecycle.dispatch_problem(zone.dispatcher, problem, zone.environment, "请生态环境局处理")
    problem.refresh_from_db()
    assert problem.status == S.DISPATCHED and problem.department == zone.environment
    assert problem.due_date == add_working_days(clock.today(), 10)


def test_the_whole_loop_with_a_rework(zone):
    problem = report(zone)
    with pytest.raises(PermissionDenied):
        lifecycle.accept_problem(zone.build_reviewer, problem)  # not the responsible department
    lifecycle.accept_problem(zone.env_reviewer, problem)
    lifecycle.report_progress(zone.env_reviewer, problem, "已安排保洁船打捞。", [jpeg()])
    # Evidence photos are required for this category: refused, and nothing saved.
    with pytest.raises(ValidationError):
        lifecycle.rectify_problem(zone.env_reviewer, problem, "已打捞完毕。")
    problem.refresh_from_db()
    assert problem.status == S.RECTIFYING
    lifecycle.rectify_problem(zone.env_reviewer, problem, "已打捞完毕。", [jpeg()])
    assert notified(zone.inspector, "problem_rectified") == 1
    # The verifier of this category is an inspector: the reporter may not verify it.
    with pytest.raises(PermissionDenied):
        lifecycle.verify_problem(zone.citizen, problem, True)
    with pytest.raises(ValidationError):
        lifecycle.verify_problem(zone.inspector, problem, False, "")  # a failure says why
    lifecycle.verify_problem(zone.inspector, problem, False, "桥下仍有垃圾。")
    problem.refresh_from_db()
    assert problem.status == S.RECTIFYING and problem.rework_count == 1
    lifecycle.rectify_problem(zone.env_reviewer, problem, "已全部清理。", [jpeg()])
    lifecycle.verify_problem(zone.inspector, problem, True, "现场核查已整改到位。")
    problem.refresh_from_db()
    assert problem.status == S.CLOSED
    assert problem.closed_on_time is True and problem.working_days == 0
    assert notified(zone.citizen, "problem_verified") == 1
    assert [e.action for e in problem.events.all()] == [
        "report",
        "route",
        "accept",
        "progress",
        "rectify",
        "fail",
        "rectify",
        "pass",
    ]
    kinds = set(ProblemPhoto.objects.filter(problem=problem).values_list("kind", flat=True))
    assert kinds == {"progress", "evidence"}


def test_an_action_from_the_wrong_state_is_refused_and_changes_nothing(zone):
    problem = report(zone)
    events = ProblemEvent.objects.count()
    with pytest.raises(IllegalTransition):
        lifecycle.rectify_problem(zone.env_reviewer, problem, "已整改", [jpeg()])
    with pytest.raises(IllegalTransition):
        lifecycle.verify_problem(zone.inspector, problem, True)
    assert ProblemEvent.objects.count() == events
    assert not ProblemPhoto.objects.exists()


def test_a_return_pauses_the_clock_until_the_problem_is_dispatched_again(zone):
    start = datetime.datetime(2026, 11, 2, 10, 0, tzinfo=datetime.UTC)  # a Monday
    with time_machine.travel(start, tick=False):
        problem = report(zone)
        first_due = problem.due_date
        with pytest.raises(ValidationError):
            lifecycle.return_problem(zone.env_reviewer, problem, "  ")
        lifecycle.return_problem(zone.env_reviewer, problem, "属于建设局职责。")
    assert notified(zone.dispatcher, "problem_returned") == 1
    with time_machine.travel(start + datetime.timedelta(days=2), tick=False):  # Wednesday: two working days
        lifecycle.dispatch_problem(zone.dispatcher, problem, zone.construction)
    problem.refresh_from_db()
    assert problem.department == zone.construction
    assert problem.due_date == add_working_days(first_due, 2)


def test_the_reporter_reopens_within_the_days_and_not_after(zone):
    problem = report(zone, category=zone.site)  # the reporter verifies this category
    lifecycle.accept_problem(zone.build_reviewer, problem)
    lifecycle.rectify_problem(zone.build_reviewer, problem, "已设置围挡。")
    lifecycle.verify_problem(zone.citizen, problem, True)
    problem.refresh_from_db()
    with pytest.raises(PermissionDenied):
        lifecycle.reopen_problem(zone.applicant, problem, "还没好")
    lifecycle.rate_problem(zone.citizen, problem, 4)
    lifecycle.reopen_problem(zone.citizen, problem, "围挡又被拆了。")
    problem.refresh_from_db()
    assert problem.status == S.RECTIFYING and problem.reopen_count == 1 and problem.satisfaction is None
    assert notified(zone.build_reviewer, "problem_reopened") == 1
    lifecycle.rectify_problem(zone.build_reviewer, problem, "已重新设置。")
    lifecycle.verify_problem(zone.citizen, problem, True)
    problem.refresh_from_db()
    later = problem.closed_at + datetime.timedelta(days=zone.site.reopen_days + 1)
    with (
        time_machine.travel(later, tick=False),
        pytest.raises(IllegalTransition, match=str(zone.site.reopen_days)),
    ):
        lifecycle.reopen_problem(zone.citizen, problem, "又坏了")
    problem.refresh_from_db()
    assert problem.status == S.CLOSED and problem.reopen_count == 1


def test_a_citizen_without_an_account_reopens_and_rates_by_code(zone):
    anonymous = lifecycle.Report(
        category=zone.unrouted,
        title="路灯不亮",
        description="西永大道路灯不亮。",
        latitude=zone.inside[0],
        longitude=zone.inside[1],
        reporter_phone="13800000000",
    )
    problem = lifecycle.report_problem(None, anonymous)
    assert problem.reporter is None and problem.reporter_phone == "13800000000"
    lifecycle.dispatch_problem(zone.dispatcher, problem, zone.construction)
    lifecycle.accept_problem(zone.build_reviewer, problem)
    lifecycle.rectify_problem(zone.build_reviewer, problem, "已修复。", [jpeg()])
    lifecycle.verify_problem(zone.dispatcher, problem, True)  # no account: the dispatch centre verifies
    with pytest.raises(PermissionDenied):
        lifecycle.rate_problem(None, problem, 5, code="WRONGCOD")
    lifecycle.rate_problem(None, problem, 5, code=problem.follow_up_code)
    lifecycle.reopen_problem(None, problem, "又不亮了", code=problem.follow_up_code)
    problem.refresh_from_db()
    assert problem.status == S.RECTIFYING


def test_an_anonymous_report_needs_a_phone_and_a_point_in_the_zone(zone):
    data = lifecycle.Report(
        category=zone.river, title="t", description="d", latitude=zone.inside[0], longitude=zone.inside[1]
    )
    with pytest.raises(ValidationError) as error:
        lifecycle.report_problem(None, data)
    assert "reporter_phone" in error.value.error_dict
    data.reporter_phone = "13800000000"
    data.latitude, data.longitude = zone.outside
    with pytest.raises(ValidationError) as error:
        lifecycle.report_problem(None, data)
    assert "园区范围" in str(error.value)
    assert not Problem.objects.exists()


def test_the_service_rating_category_is_opened_by_ratings_not_reported(zone):
    system = ProblemCategory.objects.get(code="service-rating")
    assert system not in ProblemCategory.objects.reportable()
    with pytest.raises(ValidationError) as error:
        report(zone, category=system)
    assert "category" in error.value.error_dict
    assert not Problem.objects.exists()


def test_numbers_run_per_year_without_gaps(zone, time_machine):
    time_machine.move_to(datetime.datetime(2026, 12, 30, 10, 0, tzinfo=SHANGHAI), tick=False)
    first = report(zone)
    with pytest.raises(ValidationError):
        report(zone, point=zone.outside)  # refused: takes no number
    second = report(zone)
    time_machine.move_to(datetime.datetime(2027, 1, 4, 10, 0, tzinfo=SHANGHAI), tick=False)
    third = report(zone)
    assert [first.number, second.number, third.number] == ["WT20260000001", "WT20260000002", "WT20270000001"]


def test_merge_makes_the_duplicate_follow_the_survivor(zone):
    survivor = report(zone, zone.inspector, source="river_patrol")
    duplicate = report(zone, category=zone.river)
    with pytest.raises(ValidationError):
        lifecycle.merge_problem(zone.dispatcher, duplicate, duplicate)
    lifecycle.merge_problem(zone.dispatcher, duplicate, survivor, "同一处漂浮垃圾")
    duplicate.refresh_from_db()
    assert duplicate.status == S.MERGED and duplicate.merged_into == survivor
    assert notified(zone.citizen, "problem_merged") == 1
    lifecycle.accept_problem(zone.env_reviewer, survivor)
    lifecycle.rectify_problem(zone.env_reviewer, survivor, "已清理。", [jpeg()])
    lifecycle.verify_problem(zone.inspector, survivor, True)
    # The duplicate's reporter hears of the closure of the problem they follow.
    assert notified(zone.citizen, "problem_verified") == 1


def test_split_dispatches_the_parts_and_the_parent_closes_with_its_last_child(zone):
    problem = report(zone, category=zone.unrouted)
    with pytest.raises(ValidationError):
        lifecycle.split_problem(zone.dispatcher, problem, [lifecycle.Part("一", zone.environment)])
    children = lifecycle.split_problem(
        zone.dispatcher,
        problem,
        [lifecycle.Part("河道排污口", zone.environment), lifecycle.Part("工地渣土外运", zone.construction)],
    )
    problem.refresh_from_db()
    assert problem.status == S.SPLIT
    assert [c.number for c in children] == [f"{problem.number}-1", f"{problem.number}-2"]
    assert {c.status for c in children} == {S.DISPATCHED}
    for child, person in zip(children, (zone.env_reviewer, zone.build_reviewer), strict=True):
        lifecycle.accept_problem(person, child)
        lifecycle.rectify_problem(person, child, "已整改。", [jpeg()])
    lifecycle.verify_problem(zone.dispatcher, children[0], True)
    problem.refresh_from_db()
    assert problem.status == S.SPLIT
    lifecycle.verify_problem(zone.dispatcher, children[1], True)
    problem.refresh_from_db()
    assert problem.status == S.CLOSED
    assert problem.events.last().action == "close_split"


def test_dismiss_and_long_term_plan(zone):
    waiting = report(zone, category=zone.unrouted)
    with pytest.raises(ValidationError):
        lifecycle.dismiss_problem(zone.dispatcher, waiting, "")
    lifecycle.dismiss_problem(zone.dispatcher, waiting, "属于民事纠纷,建议通过法律途径解决。")
    waiting.refresh_from_db()
    assert waiting.status == S.DISMISSED and waiting.closed_at is not None

    problem = report(zone)
    lifecycle.accept_problem(zone.env_reviewer, problem)
    with pytest.raises(ValidationError):
        lifecycle.plan_long_term(zone.env_reviewer, problem, "截污干管改造", clock.today())
    due = clock.today() + datetime.timedelta(days=180)
    lifecycle.plan_long_term(zone.env_reviewer, problem, "截污干管改造,分三期实施。", due)
    problem.refresh_from_db()
    assert problem.long_term and problem.due_date == due and problem.status == S.RECTIFYING


def test_citizens_photos_lose_their_location_and_staff_photos_keep_it(zone):
    from PIL import Image

    citizen_problem = report(zone, photos=[jpeg((3000, 2000), gps=True)])
    photo = citizen_problem.photos.get()
    with Image.open(photo.image.path) as image:
        assert max(image.size) == 2560
        assert 0x8825 not in image.getexif() and 0x010F not in image.getexif()
    assert photo.keeps_metadata is False
    staff_problem = report(zone, zone.inspector, source="river_patrol", photos=[jpeg(gps=True)])
    with Image.open(staff_problem.photos.get().image.path) as image:
        assert image.getexif().get(0x010F) == "TestCam"


def test_a_file_that_is_not_an_image_is_refused_and_nothing_is_saved(zone):
    from django.core.files.uploadedfile import SimpleUploadedFile

    fake = SimpleUploadedFile("photo.jpg", b"%PDF-1.4 not an image", content_type="image/jpeg")
    with pytest.raises(ValidationError, match="不是可识别的图片"):
        report(zone, photos=[fake])
    assert not Problem.objects.exists()


@pytest.mark.parametrize("row", list(PROBLEM_TRANSITIONS), ids=lambda r: f"{r.source}-{r.action}")
def test_every_row_of_the_table_moves_its_state(row, zone):
    problem = Problem(status=row.source)
    before, after = PROBLEM_TRANSITIONS.apply(problem, row.action, None)
    assert (before, after) == (row.source, row.target)
    assert problem.status == row.target
