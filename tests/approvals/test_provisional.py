"""Provisional deadlines: counted over a year whose official schedule is not published, stored as such,
shown as 暂定 on pages, in the API and in notifications, and recounted when administrators confirm the year.

The dated tests run in December 2026 (the calendar package knows 2026, not 2027). When 2027 is confirmed
here, its schedule is the national rules' holidays plus two differences a real notice would bring: an extra
rest day on Monday 2027-01-04 and a make-up working day on Saturday 2027-02-20. So a deadline counted over
01-04 but not 02-20 moves one working day later; one counted over both comes out the same day, now firm.
"""

import datetime

import pytest
from django.urls import reverse

from sciencecity.approvals.models import Application, ReviewTask
from sciencecity.approvals.services import intake, review
from sciencecity.audit.models import AuditEvent
from sciencecity.notifications.models import Notification
from sciencecity.workdays import recount, services
from sciencecity.workdays.calendar import WorkingCalendar, add_working_days, provisional_rest_days
from sciencecity.workdays.models import DeadlineRecount
from tests.conftest import CONFIRMED_YEARS

from .conftest import (
    START_ALL,
    START_MINIMAL,
    accept_all_materials,
    accepted,
    at,
    load_demo_world,
    submitted,
    task_of,
)

D = datetime.date
T = ReviewTask.Status
IMMEDIATE_TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture(autouse=True)
def _tasks_run_at_once(settings):
    """The recount pass is a background task: here it runs as soon as the confirmation commits."""
    settings.TASKS = IMMEDIATE_TASKS


EXTRA_HOLIDAY = D(2027, 1, 4)
MAKE_UP_DAY = D(2027, 2, 20)


def confirm_2027(admin, captured):
    for day in sorted(provisional_rest_days(2027)):
        services.set_override(admin, day, False, "法定节假日")
    services.set_override(admin, EXTRA_HOLIDAY, False, "元旦调休")
    services.set_override(admin, MAKE_UP_DAY, True, "春节调休补班")
    with captured(execute=True):
        services.confirm_year(admin, 2027, "国务院办公厅关于2027年部分节假日安排的通知")


def expected(task):
    """The task's deadlines counted afresh from its start day under the calendar as it is now."""
    promised = add_working_days(task.started_on, task.item.promised_limit_days + task.extension_days)
    legal = task.item.legal_limit_days
    return promised, (add_working_days(task.started_on, legal + task.extension_days) if legal else None)


@pytest.fixture
def december(world, time_machine):
    """An application accepted on Monday 2026-12-21, its first tasks started that day."""
    at(time_machine, D(2026, 12, 18))
    application = submitted(world, "start-construction", START_ALL)
    at(time_machine, D(2026, 12, 21))
    for code in world.departments:  # staff exist before the tasks start, so that they are told
        world.reviewer(code), world.head(code)
    accept_all_materials(world, application)
    return intake.accept_application(world.clerk, application)


def test_deadlines_reaching_an_unpublished_year_are_stored_as_provisional(world, december):
    application = december
    assert application.promised_deadline.year == 2027 and application.promised_deadline_provisional
    calendar = WorkingCalendar()
    started = list(application.tasks.exclude(started_on=None).select_related("item"))
    assert started
    for task in started:
        assert task.promised_deadline_provisional == calendar.is_provisional(
            task.started_on, task.promised_deadline
        )
        assert task.promised_deadline_provisional == (task.promised_deadline.year == 2027), task.item.code
    # Some run into 2027, some end in 2026: both kinds are there, and stored apart.
    assert {task.promised_deadline_provisional for task in started} == {True, False}


def test_provisional_deadlines_say_so_on_pages_in_the_api_and_in_notifications(world, december, client):
    application = december
    task = application.tasks.filter(promised_deadline_provisional=True).select_related("item").first()
    reviewer = world.reviewer_of(task)
    client.force_login(reviewer)
    page = client.get(reverse("approvals:department_task", args=[task.pk])).content.decode()
    assert f'{task.promised_deadline.isoformat()} <span class="tag provisional"' in page
    assert "暂定" in page
    api = client.get(f"/api/v1/tasks/{task.pk}/").json()
    assert api["promised_deadline_provisional"] is True
    released = Notification.objects.get(recipient=reviewer, task=task, kind="task_released")
    assert f"{task.promised_deadline.isoformat()}(暂定)" in released.body
    assert f"{task.promised_deadline.isoformat()} (provisional)" in released.body_en
    client.force_login(world.applicant)
    portal = client.get(reverse("approvals:portal_application", args=[application.pk])).content.decode()
    assert "暂定" in portal
    accepted_note = Notification.objects.get(recipient=world.applicant, kind="application_accepted")
    assert "(暂定)" in accepted_note.body


def test_confirming_the_year_recounts_the_open_deadlines_audits_and_notifies_and_changes_nothing_else(
    world, december, time_machine, django_capture_on_commit_callbacks
):
    application = december
    at(time_machine, D(2026, 12, 22))
    # A task decided before the confirmation keeps what it had: only open deadlines are recounted.
    decided = application.tasks.filter(status=T.PENDING, promised_deadline_provisional=True).first()
    review.claim_task(world.reviewer_of(decided), decided)
    review.approve_task(world.reviewer_of(decided), decided, "符合要求")
    decided.refresh_from_db()
    before = {
        task.pk: task for task in ReviewTask.objects.filter(application=application).select_related("item")
    }
    events_before = AuditEvent.objects.count()

    confirm_2027(world.admin, django_capture_on_commit_callbacks)

    tasks = {
        task.pk: task for task in ReviewTask.objects.filter(application=application).select_related("item")
    }
    moved, firmed = [], []
    for pk, task in tasks.items():
        old = before[pk]
        if pk == decided.pk or old.status not in (T.PENDING, T.IN_REVIEW):
            assert (task.promised_deadline, task.promised_deadline_provisional) == (
                old.promised_deadline,
                old.promised_deadline_provisional,
            )
            continue
        assert not task.promised_deadline_provisional and not task.legal_deadline_provisional
        assert (task.promised_deadline, task.legal_deadline) == expected(task)
        if old.promised_deadline_provisional or old.legal_deadline_provisional:
            changed = (task.promised_deadline, task.legal_deadline) != (
                old.promised_deadline,
                old.legal_deadline,
            )
            (moved if changed else firmed).append(task)
        else:
            assert task.promised_deadline == old.promised_deadline  # never provisional: untouched
    assert moved, "some deadline counted over 2027-01-04 must move"
    for task in moved:
        old = before[task.pk]
        if EXTRA_HOLIDAY <= old.promised_deadline < MAKE_UP_DAY:
            assert task.promised_deadline > old.promised_deadline
        event = AuditEvent.objects.get(action="approvals.recount_task_deadlines", target_id=str(task.pk))
        assert event.actor is None
        assert event.before["promised_deadline_provisional"] or event.before["legal_deadline_provisional"]
        notes = Notification.objects.filter(task=task, kind="deadline_recounted")
        assert notes.exists()
        shown = (
            task.promised_deadline if task.promised_deadline != old.promised_deadline else task.legal_deadline
        )
        assert f"调整为 {shown.isoformat()}" in notes.first().body
    for task in firmed:
        assert not Notification.objects.filter(task=task, kind="deadline_recounted").exists()
    # The application's promised deadline is recounted from its acceptance day the same way.
    application.refresh_from_db()
    assert not application.promised_deadline_provisional
    assert application.promised_deadline == add_working_days(
        D(2026, 12, 21), application.bundle.promised_limit_days
    )
    # Nothing else changed: the new audit events are the calendar's own, plus one per recounted row.
    recounted = AuditEvent.objects.filter(pk__gt=0).order_by("-id")[
        : AuditEvent.objects.count() - events_before
    ]
    actions = {event.action for event in recounted}
    assert actions <= {
        "workdays.set_override",
        "workdays.confirm_year",
        "approvals.recount_task_deadlines",
        "approvals.recount_application_deadline",
    }
    pass_ = DeadlineRecount.objects.get()
    assert pass_.status == DeadlineRecount.Status.DONE and pass_.years == "2027"
    assert (
        pass_.moved >= len(moved) and pass_.examined == pass_.moved + pass_.firmed + pass_.still_provisional
    )


def test_a_second_pass_changes_nothing(world, december, django_capture_on_commit_callbacks):
    confirm_2027(world.admin, django_capture_on_commit_callbacks)
    events = AuditEvent.objects.count()
    notifications = Notification.objects.count()
    second = recount.run_recount(DeadlineRecount.objects.create(trigger=DeadlineRecount.Trigger.MANUAL))
    assert (second.examined, second.moved, second.firmed) == (0, 0, 0)
    # The first pass again (a worker killed and restarted): its rows come out unchanged.
    recount.recount_provisional_deadlines.call(DeadlineRecount.objects.earliest("created_at").pk)
    assert AuditEvent.objects.count() == events and Notification.objects.count() == notifications


def test_an_intake_deadline_is_recounted_while_the_application_waits(
    world, time_machine, django_capture_on_commit_callbacks
):
    at(time_machine, D(2026, 12, 31))
    application = submitted(world, "start-construction", START_MINIMAL)
    assert application.intake_deadline.year == 2027 and application.intake_deadline_provisional
    old = application.intake_deadline
    confirm_2027(world.admin, django_capture_on_commit_callbacks)
    application.refresh_from_db()
    assert not application.intake_deadline_provisional
    assert application.intake_deadline == add_working_days(
        D(2026, 12, 31), application.bundle.intake_limit_days
    )
    assert application.intake_deadline != old  # 2027-01-04 became a rest day
    assert Notification.objects.filter(application=application, kind="deadline_recounted").exists()
    assert AuditEvent.objects.filter(
        action="approvals.recount_application_deadline", target_id=str(application.pk)
    ).exists()


def test_a_paused_task_is_recounted_when_its_pause_ends(
    world, december, time_machine, django_capture_on_commit_callbacks
):
    task = (
        december.tasks.filter(status=T.PENDING, promised_deadline_provisional=True)
        .select_related("item")
        .first()
    )
    reviewer = world.reviewer_of(task)
    review.claim_task(reviewer, task)
    review.request_supplement(reviewer, task, "请补充说明")
    confirm_2027(world.admin, django_capture_on_commit_callbacks)
    task.refresh_from_db()
    assert task.promised_deadline_provisional  # the pause is open: the deadline is not known yet
    at(time_machine, D(2026, 12, 23))
    review.answer_supplement(world.applicant, task, "已补充")
    task.refresh_from_db()
    assert not task.promised_deadline_provisional


def test_an_upgraded_package_triggers_a_pass_from_the_daily_scan(
    world, december, monkeypatch, django_capture_on_commit_callbacks
):
    from sciencecity.workdays import calendar

    assert recount.recount_if_years_became_known() is None  # 2027 is still provisional
    # A release of chinese_calendar that knows 2027, with the same two differences as the notice above.
    official = calendar.chinese_calendar.is_workday
    rest_2027 = provisional_rest_days(2027) | {EXTRA_HOLIDAY}

    def is_workday(day):
        if day.year != 2027:
            return official(day)
        return day == MAKE_UP_DAY or (day.weekday() < 5 and day not in rest_2027)

    monkeypatch.setattr(calendar, "package_covers", lambda year: 2004 <= year <= 2027)
    monkeypatch.setattr(calendar.chinese_calendar, "is_workday", is_workday)
    with django_capture_on_commit_callbacks(execute=True):
        pass_ = recount.recount_if_years_became_known()
    assert pass_.trigger == DeadlineRecount.Trigger.PACKAGE and pass_.years == "2027"
    pass_.refresh_from_db()
    assert pass_.status == DeadlineRecount.Status.DONE and pass_.examined > 0
    assert not Application.objects.filter(promised_deadline_provisional=True, status="in_review").exists()


def test_the_passes_are_listed_for_administrators(
    world, december, client, django_capture_on_commit_callbacks
):
    confirm_2027(world.admin, django_capture_on_commit_callbacks)
    world.admin.is_staff = True
    world.admin.save()
    client.force_login(world.admin)
    page = client.get("/admin/workdays/deadlinerecount/")
    assert page.status_code == 200
    assert "已完成" in page.content.decode()


# --- on any day --------------------------------------------------------------------------------------------


@pytest.mark.any_day
def test_a_lifecycle_on_the_suites_day_stores_true_flags(
    approval_roles, isolated_media, fast_passwords, suite_calendar, client
):
    """Whatever the day the suite runs at (make test runs this at hard dates too), acceptance works and each
    stored flag says exactly whether its deadline was counted over a provisional day."""
    world = load_demo_world()
    application = accepted(world, "start-construction", START_MINIMAL)
    assert application.status == Application.Status.IN_REVIEW
    calendar = WorkingCalendar()
    for task in application.tasks.exclude(started_on=None):
        assert task.promised_deadline_provisional == calendar.is_provisional(
            task.started_on, task.promised_deadline
        )
    if CONFIRMED_YEARS:
        assert not application.tasks.filter(promised_deadline_provisional=True).exists()
    task = application.tasks.exclude(started_on=None).select_related("item").first()
    client.force_login(world.reviewer_of(task))
    page = client.get(reverse("approvals:department_task", args=[task.pk])).content.decode()
    marked = f'{task.promised_deadline.isoformat()} <span class="tag provisional"' in page
    assert marked == task.promised_deadline_provisional
    review.claim_task(world.reviewer_of(task), task)
    assert task_of(application, task.item.code).status == T.IN_REVIEW
