"""Deadlines: traffic lights at their boundaries (weekends, holidays, make-up working days), the list helpers,
the warning scan (levels, recipients, idempotency, escalation, paused tasks, deadlines that move), intake and
tolerated-gap warnings, the background task and the `scan_deadlines` command.

Rows are made with the ORM (the lifecycle services are tested in their own files); dates are explicit.
Calendar facts used below (chinese-calendar 2026): 2026-03-02 is a Monday, no holiday in March; National Day
2026 is 1–7 October with 8 October the first working day after it and Saturday 10 October a make-up working
day.
"""

import datetime
import io
import threading
import zoneinfo
from textwrap import dedent

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django_tasks_db.models import DBTaskResult

from sciencecity.approvals import deadline_tasks
from sciencecity.approvals.models import (
    Application,
    ApplicationItem,
    ReviewTask,
    SubmittedMaterial,
)
from sciencecity.approvals.services import deadlines
from sciencecity.audit.models import AuditEvent
from sciencecity.catalog.models import Bundle, MaterialSpec
from sciencecity.catalog.services import import_catalog
from sciencecity.notifications.models import Notification
from tests.factories import DepartmentFactory, ProjectFactory, UserFactory, applicant_of

pytestmark = pytest.mark.django_db

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
D = datetime.date
T = ReviewTask.Status
W = ReviewTask.Warning
IMMEDIATE_TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
DATABASE_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

CATALOG = dedent(
    """
    format: 1
    version: {label: 期限测试目录, valid_from: 2026-01-01}
    materials:
      - {code: licence, name: 营业执照, source: enterprise, source_field: credit_code}
      - {code: measures, name: 质量安全措施}
    items:
      - {code: permit, name: 施工许可, department: housing, stage: construction_permit, promised_limit_days: 5,
         legal_limit_days: 7, materials: [licence, {material: measures, gap_tolerated: true}]}
      - {code: plan, name: 规划许可, department: planning, stage: engineering_permit, promised_limit_days: 2}
    bundles:
      - {code: start, name: 开工一件事, lead_department: housing, promised_limit_days: 10, items: [permit, plan]}
    """
)


def at(day: datetime.date, hour: int = 10) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(hour), tzinfo=SHANGHAI)


class World:
    def __init__(self):
        self.housing = DepartmentFactory(code="housing")
        self.planning = DepartmentFactory(code="planning")
        version = import_catalog(CATALOG, publish=True)
        self.bundle = Bundle.objects.get(version=version, code="start")
        self.item = self.bundle.items.get(code="permit")
        self.project = ProjectFactory()
        self.applicant = applicant_of(self.project.enterprise)
        self.reviewer = UserFactory(department=self.housing, roles=["department_reviewer"])
        self.other_reviewer = UserFactory(department=self.housing, roles=["department_reviewer"])
        self.head = UserFactory(department=self.housing, roles=["department_head"])
        self.planning_reviewer = UserFactory(department=self.planning, roles=["department_reviewer"])
        self.leaders = [UserFactory(roles=["leader"]), UserFactory(roles=["leader"])]
        self.clerks = [UserFactory(roles=["window_clerk"]), UserFactory(roles=["window_clerk"])]
        UserFactory(roles=["leader"], is_active=False)
        self._n = 0

    def application(self, status=Application.Status.IN_REVIEW, **fields):
        self._n += 1
        return Application.objects.create(
            number=f"T{self._n:04d}",
            enterprise=self.project.enterprise,
            project=self.project,
            bundle=self.bundle,
            applicant=self.applicant,
            status=status,
            **fields,
        )

    def task(self, deadline, status=T.IN_REVIEW, *, assignee="reviewer", warning=W.NONE):
        application = self.application()
        return ReviewTask.objects.create(
            application=application,
            application_item=ApplicationItem.objects.create(application=application, item=self.item),
            item=self.item,
            department=self.housing,
            status=status,
            assignee=self.reviewer if assignee == "reviewer" else assignee,
            started_on=None if deadline is None else deadline - datetime.timedelta(days=7),
            promised_deadline=deadline,
            warning_level=warning,
        )


@pytest.fixture
def world():
    return World()


def recipients(kind, task=None, application=None) -> set:
    rows = Notification.objects.filter(kind=kind)
    if task is not None:
        rows = rows.filter(task=task)
    if application is not None:
        rows = rows.filter(application=application)
    return set(rows.values_list("recipient__username", flat=True))


def names(*users) -> set:
    return {user.username for user in users}


def reload(task) -> ReviewTask:
    return ReviewTask.objects.get(pk=task.pk)


# --- traffic lights ---------------------------------------------------------------------------------------

LIGHT_CASES = [
    # (today, deadline, light)
    (D(2026, 3, 3), D(2026, 3, 4), "yellow"),  # exactly one working day left
    (D(2026, 3, 3), D(2026, 3, 3), "yellow"),  # due today
    (D(2026, 3, 3), D(2026, 3, 5), "green"),  # two working days left
    (D(2026, 3, 6), D(2026, 3, 9), "yellow"),  # Friday → Monday: one working day over the weekend
    (D(2026, 3, 6), D(2026, 3, 10), "green"),
    (D(2026, 3, 7), D(2026, 3, 9), "yellow"),  # on a Saturday, Monday is the next working day
    (D(2026, 9, 30), D(2026, 10, 8), "yellow"),  # over the National Day holiday: eight days, one working day
    (D(2026, 9, 30), D(2026, 10, 9), "green"),
    (D(2026, 10, 9), D(2026, 10, 10), "yellow"),  # Saturday 10 October is a make-up working day ...
    (D(2026, 10, 9), D(2026, 10, 12), "green"),  # ... so Monday is two working days away
    (D(2026, 3, 10), D(2026, 3, 9), "red"),  # overdue
    (D(2026, 3, 9), D(2026, 3, 6), "red"),  # overdue over a weekend
    (D(2026, 10, 8), D(2026, 9, 30), "red"),
]


@pytest.mark.parametrize(("today", "deadline", "light"), LIGHT_CASES)
def test_traffic_light_boundaries(world, today, deadline, light):
    assert deadlines.traffic_light(world.task(deadline), today) == light
    assert deadlines.traffic_light(world.task(deadline, T.PENDING, assignee=None), today) == light


@pytest.mark.parametrize(
    "status",
    [T.APPROVED, T.APPROVED_ON_PLEDGE, T.REJECTED, T.CANCELLED, T.NOT_STARTED, T.SUPPLEMENT],
)
def test_no_light_when_the_clock_does_not_run(world, status):
    # Closed, or paused for a supplement (its deadline is recomputed when the pause ends).
    assert deadlines.traffic_light(world.task(D(2026, 3, 2), status), D(2026, 3, 20)) is None


def test_no_light_while_waiting_without_a_deadline(world):
    assert deadlines.traffic_light(world.task(None, T.WAITING, assignee=None), D(2026, 3, 20)) is None
    assert deadlines.traffic_light(world.task(None, T.PENDING, assignee=None), D(2026, 3, 20)) is None


def test_annotation_and_list_helpers_agree_with_traffic_light_for_every_case(world):
    for _today, deadline, _light in LIGHT_CASES:
        world.task(deadline)
        world.task(deadline, T.SUPPLEMENT)
    for status in (T.APPROVED, T.REJECTED, T.CANCELLED, T.NOT_STARTED):
        world.task(D(2026, 3, 2), status)
    world.task(None, T.WAITING, assignee=None)
    tasks = ReviewTask.objects.all()
    for today in sorted({case[0] for case in LIGHT_CASES}):
        annotated = deadlines.annotate_traffic_light(tasks, today).order_by("pk")
        by_row = {task.pk: task.traffic_light for task in annotated}
        expected = {task.pk: deadlines.traffic_light(task, today) for task in tasks}
        assert by_row == expected, today
        assert set(deadlines.overdue_tasks(tasks, today).values_list("pk", flat=True)) == {
            pk for pk, light in expected.items() if light == "red"
        }
        assert set(deadlines.due_soon_tasks(tasks, today).values_list("pk", flat=True)) == {
            pk for pk, light in expected.items() if light == "yellow"
        }


def test_thresholds_are_computed_once_per_list(world, django_assert_max_num_queries):
    for day in range(2, 20):
        world.task(D(2026, 3, day))
    limits = deadlines.Thresholds.on(D(2026, 3, 10))
    with django_assert_max_num_queries(1):
        lights = [task.traffic_light for task in deadlines.annotate_traffic_light(None, limits)]
    assert lights.count("red") == 8 and lights.count("yellow") == 2


def test_escalation_threshold(world):
    # Deadline Wednesday 4 March: red on Thursday, escalated on Friday (one whole working day overdue).
    assert deadlines.Thresholds.on(D(2026, 3, 5)).level_for(D(2026, 3, 4)) == W.RED
    assert deadlines.Thresholds.on(D(2026, 3, 6)).level_for(D(2026, 3, 4)) == W.ESCALATED
    # Deadline Friday: red over the weekend and on Monday, escalated on Tuesday.
    assert deadlines.Thresholds.on(D(2026, 3, 7)).level_for(D(2026, 3, 6)) == W.RED
    assert deadlines.Thresholds.on(D(2026, 3, 9)).level_for(D(2026, 3, 6)) == W.RED
    assert deadlines.Thresholds.on(D(2026, 3, 10)).level_for(D(2026, 3, 6)) == W.ESCALATED
    # Deadline before National Day: red on 8 October, escalated on 9 October.
    assert deadlines.Thresholds.on(D(2026, 10, 8)).level_for(D(2026, 9, 30)) == W.RED
    assert deadlines.Thresholds.on(D(2026, 10, 9)).level_for(D(2026, 9, 30)) == W.ESCALATED


# --- the scan: levels, recipients, idempotency ------------------------------------------------------------


def test_yellow_warns_the_assignee_and_the_heads_once(world):
    task = world.task(D(2026, 3, 4))
    far = world.task(D(2026, 3, 20))
    summary = deadlines.scan_deadlines(D(2026, 3, 3))
    assert (summary.tasks_yellow, summary.tasks_red, summary.tasks_escalated) == (1, 0, 0)
    assert recipients("task_due_soon", task) == names(world.reviewer, world.head)
    assert reload(task).warning_level == W.YELLOW
    assert reload(far).warning_level == W.NONE
    assert summary.notifications == 2
    note = Notification.objects.get(task=task, recipient=world.reviewer)
    assert note.about.application_id == task.application_id
    assert note.dedupe_key == f"task-{task.pk}-yellow-2026-03-04"
    assert "2026-03-04" in note.body

    again = deadlines.scan_deadlines(D(2026, 3, 3))
    assert again.as_dict() == {**deadlines.ScanSummary(today=D(2026, 3, 3)).as_dict()}
    assert Notification.objects.count() == 2


def test_an_unclaimed_task_warns_the_department_reviewers(world):
    task = world.task(D(2026, 3, 4), T.PENDING, assignee=None)
    deadlines.scan_deadlines(D(2026, 3, 3))
    assert recipients("task_due_soon", task) == names(world.reviewer, world.other_reviewer, world.head)


def test_red_then_escalation_then_nothing(world):
    task = world.task(D(2026, 3, 4))
    deadlines.scan_deadlines(D(2026, 3, 3))
    red = deadlines.scan_deadlines(D(2026, 3, 5))
    assert (red.tasks_yellow, red.tasks_red, red.tasks_escalated) == (0, 1, 0)
    assert recipients("task_overdue", task) == names(world.reviewer, world.head)
    assert reload(task).warning_level == W.RED
    assert not AuditEvent.objects.filter(action="approvals.escalate_task").exists()

    escalated = deadlines.scan_deadlines(D(2026, 3, 6))
    assert (escalated.tasks_red, escalated.tasks_escalated) == (0, 1)
    assert recipients("task_escalated", task) == names(*world.leaders)  # active leaders only
    assert reload(task).warning_level == W.ESCALATED
    event = AuditEvent.objects.get(action="approvals.escalate_task")
    assert event.actor is None
    assert event.target_id == str(task.pk)
    assert event.before == {"warning_level": W.RED}
    assert event.after["warning_level"] == W.ESCALATED

    count = Notification.objects.count()
    for day in (D(2026, 3, 6), D(2026, 3, 9), D(2026, 3, 20)):
        summary = deadlines.scan_deadlines(day)
        assert summary.notifications == 0
    assert Notification.objects.count() == count
    assert AuditEvent.objects.filter(action="approvals.escalate_task").count() == 1


def test_a_task_found_late_gets_red_and_escalation_but_no_stale_yellow(world):
    task = world.task(D(2026, 3, 2))
    summary = deadlines.scan_deadlines(D(2026, 3, 10))
    assert (summary.tasks_yellow, summary.tasks_red, summary.tasks_escalated) == (0, 1, 1)
    assert not Notification.objects.filter(kind="task_due_soon").exists()
    assert recipients("task_overdue", task) == names(world.reviewer, world.head)
    assert recipients("task_escalated", task) == names(*world.leaders)


def test_dedupe_keys_hold_even_if_the_level_was_lost(world):
    """Two scans racing past the level check would still send nothing twice: the keys are unique."""
    task = world.task(D(2026, 3, 4))
    deadlines.scan_deadlines(D(2026, 3, 3))
    ReviewTask.objects.filter(pk=task.pk).update(warning_level=W.NONE)
    summary = deadlines.scan_deadlines(D(2026, 3, 3))
    assert summary.tasks_yellow == 1 and summary.notifications == 0
    assert Notification.objects.count() == 2


def test_paused_and_closed_tasks_get_no_warning(world):
    paused = world.task(D(2026, 3, 2), T.SUPPLEMENT)
    paused_yellow = world.task(D(2026, 3, 2), T.SUPPLEMENT, warning=W.YELLOW)
    closed = world.task(D(2026, 3, 2), T.APPROVED)
    waiting = world.task(None, T.WAITING, assignee=None)
    summary = deadlines.scan_deadlines(D(2026, 3, 20))
    assert summary.notifications == 0
    assert not Notification.objects.exists()
    assert reload(paused).warning_level == W.NONE
    assert reload(paused_yellow).warning_level == W.YELLOW  # not red while paused
    assert reload(closed).warning_level == W.NONE
    assert reload(waiting).warning_level == W.NONE


def test_reset_after_an_extension_warns_for_the_new_deadline(world):
    task = world.task(D(2026, 3, 4))
    deadlines.scan_deadlines(D(2026, 3, 6))
    task = reload(task)
    assert task.warning_level == W.ESCALATED
    # The head extends the deadline by five working days (the core service saves and resets).
    task.promised_deadline = D(2026, 3, 11)
    task.save(update_fields=["promised_deadline"])
    deadlines.reset_warning(task)
    assert task.warning_level == W.NONE and reload(task).warning_level == W.NONE
    assert deadlines.scan_deadlines(D(2026, 3, 6)).notifications == 0
    summary = deadlines.scan_deadlines(D(2026, 3, 10))
    assert summary.tasks_yellow == 1 and summary.tasks_reset == 0
    assert Notification.objects.filter(kind="task_due_soon", task=task).count() == 2
    assert Notification.objects.filter(dedupe_key=f"task-{task.pk}-yellow-2026-03-11").count() == 2
    summary = deadlines.scan_deadlines(D(2026, 3, 13))
    assert (summary.tasks_red, summary.tasks_escalated) == (1, 1)
    assert Notification.objects.filter(kind="task_escalated", task=task).count() == 4  # 2 leaders × 2


def test_reset_without_saving_leaves_the_row_to_the_caller(world):
    task = world.task(D(2026, 3, 4), warning=W.RED)
    deadlines.reset_warning(task, save=False)
    assert task.warning_level == W.NONE
    assert reload(task).warning_level == W.RED


def test_the_scan_repairs_a_level_that_a_moved_deadline_no_longer_justifies(world):
    task = world.task(D(2026, 3, 4))
    deadlines.scan_deadlines(D(2026, 3, 5))
    assert reload(task).warning_level == W.RED
    ReviewTask.objects.filter(pk=task.pk).update(promised_deadline=D(2026, 3, 20))  # no reset_warning
    summary = deadlines.scan_deadlines(D(2026, 3, 5))
    assert summary.tasks_reset == 0 and summary.notifications == 0  # far away: not even read
    summary = deadlines.scan_deadlines(D(2026, 3, 19))  # near again: starts over with yellow
    assert (summary.tasks_reset, summary.tasks_yellow, summary.notifications) == (1, 1, 2)
    assert reload(task).warning_level == W.YELLOW
    ReviewTask.objects.filter(pk=task.pk).update(promised_deadline=D(2026, 3, 6), warning_level=W.ESCALATED)
    summary = deadlines.scan_deadlines(D(2026, 3, 5))
    assert (summary.tasks_reset, summary.tasks_yellow) == (1, 1)
    assert reload(task).warning_level == W.YELLOW


def test_many_tasks_in_small_batches(world):
    tasks = [world.task(D(2026, 3, 4)) for _ in range(7)]
    summary = deadlines.scan_deadlines(D(2026, 3, 3), batch_size=2)
    assert summary.tasks_yellow == 7
    assert all(reload(task).warning_level == W.YELLOW for task in tasks)
    assert deadlines.scan_deadlines(D(2026, 3, 3), batch_size=2).tasks_yellow == 0


# --- intake and tolerated gaps ---------------------------------------------------------------------------------


def test_intake_warnings_once_per_submission(world, time_machine):
    time_machine.move_to(at(D(2026, 3, 2)), tick=False)
    waiting = world.application(
        Application.Status.SUBMITTED, submitted_at=at(D(2026, 3, 2)), intake_deadline=D(2026, 3, 3)
    )
    world.application(
        Application.Status.SUBMITTED, submitted_at=at(D(2026, 3, 2)), intake_deadline=D(2026, 3, 9)
    )
    world.application(
        Application.Status.IN_REVIEW, submitted_at=at(D(2026, 3, 2)), intake_deadline=D(2026, 3, 3)
    )

    time_machine.move_to(at(D(2026, 3, 3), 8), tick=False)
    summary = deadlines.scan_deadlines(D(2026, 3, 3))
    assert (summary.intake_due_soon, summary.intake_overdue) == (1, 0)
    assert recipients("intake_due_soon", application=waiting) == names(*world.clerks)
    assert deadlines.scan_deadlines(D(2026, 3, 3)).notifications == 0

    time_machine.move_to(at(D(2026, 3, 4), 8), tick=False)
    summary = deadlines.scan_deadlines(D(2026, 3, 4))
    assert (summary.intake_due_soon, summary.intake_overdue) == (0, 1)
    assert recipients("intake_overdue", application=waiting) == names(*world.clerks)
    assert deadlines.scan_deadlines(D(2026, 3, 4)).notifications == 0

    # A resubmission after correction has its own intake deadline, which warns again.
    time_machine.move_to(at(D(2026, 3, 9), 9), tick=False)
    Application.objects.filter(pk=waiting.pk).update(
        submitted_at=at(D(2026, 3, 9), 9), submission_count=2, intake_deadline=D(2026, 3, 10)
    )
    time_machine.move_to(at(D(2026, 3, 11), 8), tick=False)
    summary = deadlines.scan_deadlines(D(2026, 3, 11))
    assert summary.intake_overdue == 2  # the resubmitted one, and the other one now overdue
    assert Notification.objects.filter(kind="intake_overdue", application=waiting).count() == 4


def test_tolerated_gap_past_its_due_date_warns_applicant_and_window_once(world):
    application = world.application()
    measures = MaterialSpec.objects.get(version=world.bundle.version, code="measures")
    licence = MaterialSpec.objects.get(version=world.bundle.version, code="licence")
    V = SubmittedMaterial.Verdict
    gap = SubmittedMaterial.objects.create(
        application=application, spec=measures, verdict=V.TOLERATED, gap_due_date=D(2026, 3, 5)
    )
    SubmittedMaterial.objects.create(
        application=application, spec=licence, verdict=V.ACCEPTED, gap_due_date=D(2026, 3, 1)
    )
    other = world.application(Application.Status.WITHDRAWN)
    SubmittedMaterial.objects.create(
        application=other, spec=measures, verdict=V.TOLERATED, gap_due_date=D(2026, 3, 1)
    )

    assert deadlines.scan_deadlines(D(2026, 3, 5)).gaps_overdue == 0  # due today: not yet late
    summary = deadlines.scan_deadlines(D(2026, 3, 6))
    assert summary.gaps_overdue == 1
    assert recipients("gap_overdue", application=application) == names(world.applicant, *world.clerks)
    assert Notification.objects.filter(dedupe_key=f"gap-{gap.pk}-overdue").count() == 3
    assert deadlines.scan_deadlines(D(2026, 3, 9)).notifications == 0


# --- the background task and the command ------------------------------------------------------------------


def test_next_run_is_the_next_morning_at_eight_in_the_zone():
    assert deadline_tasks.next_run_at(at(D(2026, 3, 3), 7)) == at(D(2026, 3, 3), 8)
    assert deadline_tasks.next_run_at(at(D(2026, 3, 3), 8)) == at(D(2026, 3, 4), 8)
    assert deadline_tasks.next_run_at(at(D(2026, 3, 3), 23)) == at(D(2026, 3, 4), 8)
    # 01:00 UTC is 09:00 in Beijing.
    utc = datetime.datetime(2026, 3, 3, 1, 0, tzinfo=datetime.UTC)
    assert deadline_tasks.next_run_at(utc) == at(D(2026, 3, 4), 8)
    assert deadline_tasks.next_run_at(at(D(2026, 3, 3), 9), every_minutes=30) == at(D(2026, 3, 3), 9) + (
        datetime.timedelta(minutes=30)
    )


def test_task_runs_immediately_without_rescheduling_itself(world, settings, time_machine):
    settings.TASKS = IMMEDIATE_TASKS
    time_machine.move_to(at(D(2026, 3, 3)), tick=False)
    task = world.task(D(2026, 3, 4))
    result = deadline_tasks.scan_deadlines_task.enqueue()
    assert result.status == "SUCCESSFUL", result.errors
    assert result.return_value["tasks_yellow"] == 1
    assert result.return_value["today"] == "2026-03-03"
    assert reload(task).warning_level == W.YELLOW


def test_task_schedules_one_next_run_in_the_database_queue(world, settings, time_machine):
    settings.TASKS = DATABASE_TASKS
    time_machine.move_to(at(D(2026, 3, 3), 9), tick=False)
    world.task(D(2026, 3, 4))
    summary = deadline_tasks.scan_deadlines_task.call()
    assert summary["tasks_yellow"] == 1
    (pending,) = DBTaskResult.objects.filter(task_path=deadline_tasks.scan_deadlines_task.module_path)
    assert pending.status == "READY"
    assert pending.run_after == at(D(2026, 3, 4), 8)
    assert pending.args_kwargs == {"args": [], "kwargs": {"every_minutes": None}}
    # Running again (or scheduling by hand) keeps one waiting run.
    deadline_tasks.scan_deadlines_task.call()
    assert deadline_tasks.schedule_next_scan() is None
    assert DBTaskResult.objects.filter(task_path=pending.task_path).count() == 1
    # Once that run is taken by a worker, the next one can be scheduled, every 15 minutes if asked.
    DBTaskResult.objects.filter(pk=pending.pk).update(status="RUNNING")
    deadline_tasks.scan_deadlines_task.call(every_minutes=15)
    waiting = DBTaskResult.objects.get(task_path=pending.task_path, status="READY")
    assert waiting.run_after == at(D(2026, 3, 3), 9) + datetime.timedelta(minutes=15)
    assert waiting.args_kwargs["kwargs"] == {"every_minutes": 15}
    with pytest.raises(ValueError):
        deadline_tasks.schedule_next_scan(every_minutes=0)


def command(*args) -> str:
    out = io.StringIO()
    call_command("scan_deadlines", *args, stdout=out)
    return out.getvalue()


def test_command_scans_the_given_day_and_schedules(world, settings, time_machine):
    settings.TASKS = DATABASE_TASKS
    time_machine.move_to(at(D(2026, 3, 3), 9), tick=False)
    task = world.task(D(2026, 3, 4))
    output = command("--date", "2026-03-06")
    assert "2026-03-06" in output and "督办 1 件" in output
    assert reload(task).warning_level == W.ESCALATED
    assert not DBTaskResult.objects.exists()

    output = command("--schedule")
    assert "2026-03-04 08:00" in output
    assert DBTaskResult.objects.filter(status="READY").count() == 1
    output = command("--schedule", "--every", "10")
    assert "未重复排队" in output
    assert DBTaskResult.objects.count() == 1


def test_command_refuses_bad_arguments(world):
    with pytest.raises(CommandError):
        command("--date", "2026-13-01")
    with pytest.raises(CommandError):
        command("--every", "10")
    with pytest.raises(CommandError):
        command("--schedule", "--every", "0")


# --- two workers at once (PostgreSQL, real parallel connections) ------------------------------------------


def in_threads(*functions):
    """Run each function in its own thread (and database connection), started together."""
    barrier = threading.Barrier(len(functions))
    results, errors = [None] * len(functions), [None] * len(functions)

    def run(index, function):
        try:
            barrier.wait(timeout=10)
            results[index] = function()
        except Exception as error:  # noqa: BLE001 - reported by the assertion below
            errors[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, f)) for i, f in enumerate(functions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads), "a scan is stuck"
    assert errors == [None] * len(functions), errors
    return results


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_scans_at_once_share_the_work_and_send_each_warning_once(on_postgres):
    world = World()
    tasks = [world.task(D(2026, 3, 4)) for _ in range(40)]
    scans = in_threads(*(lambda: deadlines.scan_deadlines(D(2026, 3, 6), batch_size=3) for _ in range(2)))
    assert sum(summary.tasks_escalated for summary in scans) == 40
    assert sum(summary.tasks_red for summary in scans) == 40
    assert all(reload(task).warning_level == W.ESCALATED for task in tasks)
    # Red to the reviewer and the head, escalation to the two active leaders: four per task, no more.
    assert Notification.objects.count() == 40 * 4
    assert AuditEvent.objects.filter(action="approvals.escalate_task").count() == 40


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_an_application_locked_by_a_reviewer_is_left_for_the_next_scan(on_postgres):
    world = World()
    busy, free = world.task(D(2026, 3, 4)), world.task(D(2026, 3, 4))
    holding, release = threading.Event(), threading.Event()

    def reviewer_at_work():
        try:
            with transaction.atomic():  # a service holds the application (and then its task) locked
                Application.objects.select_for_update().get(pk=busy.application_id)
                ReviewTask.objects.select_for_update().get(pk=busy.pk)
                holding.set()
                release.wait(timeout=20)
        finally:
            connection.close()

    thread = threading.Thread(target=reviewer_at_work)
    thread.start()
    try:
        assert holding.wait(timeout=10)
        summary = deadlines.scan_deadlines(D(2026, 3, 6))  # does not wait for the lock
        assert summary.tasks_escalated == 1
        assert (reload(busy).warning_level, reload(free).warning_level) == (W.NONE, W.ESCALATED)
    finally:
        release.set()
        thread.join(timeout=30)
    assert deadlines.scan_deadlines(D(2026, 3, 6)).tasks_escalated == 1
    assert reload(busy).warning_level == W.ESCALATED
