"""Parallel review by department (后台分类审批) and conclusion (办结).

On acceptance the application splits into one task per item, in the item's department; a task waits until
every prerequisite of its item (the bundle's `ItemDependency` rows among the selected items) is approved, the
others start at once. A started task stores its promised and legal deadlines, counted in working days from
its start day and recomputed whenever a pause ends or the head extends it.

Pauses (a supplement request awaiting the applicant): the pause starts on the day of the request and ends on
the day the applicant answers, both days included. Those days and every day between do not count; the clock
runs again from the first working day after the answer. (The request day and the answer day are treated like
the start day, which never counts either: on neither does the reviewer have a full day with the file.)

After each decision: an approved item gets its certificate; tasks whose prerequisites are now all approved
(approved or approved on pledge) start; a rejected prerequisite means its waiting dependents are not started
at all, and theirs in turn; each item's outcome mirrors its task. When no task is open any more and no
tolerated gap that a live item needs is still open, the application concludes.

Every function locks the application first, then the task (see `applications`), so concurrent actions on the
tasks of one application run one after the other: two reviewers claiming the same task, exactly one wins.
"""

import datetime

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _

from sciencecity.accounts.scoping import scope_key
from sciencecity.audit import record
from sciencecity.audit.services import event as audit_event
from sciencecity.audit.services import record_many, snapshot
from sciencecity.catalog.models import ItemMaterial
from sciencecity.notifications import services as notifications
from sciencecity.text import reject_control_characters
from sciencecity.workdays import clock
from sciencecity.workdays.calendar import Pause, WorkingCalendar, deadline_after
from sciencecity.workdays.display import deadline_text
from sciencecity.workflow.errors import field_error, not_found
from sciencecity.workflow.prepared import PreparedQuery, update_fields, update_rows

from .. import selectors, transitions
from ..models import Application, ApplicationItem, ReviewTask, SubmittedMaterial, TaskEvent, TaskPause
from . import certificates
from .applications import (
    bundle_spec,
    current_materials,
    department_staff_by_department,
    require_applicant,
    require_permission,
    save_uploaded_material,
    window_clerks,
)
from .deadlines import reset_warning

A = Application.Status
T = ReviewTask.Status
Outcome = ApplicationItem.Outcome
APPROVED = (T.APPROVED, T.APPROVED_ON_PLEDGE)
FINISHED = (*ReviewTask.DECIDED_STATUSES, T.NOT_STARTED, T.CANCELLED)
OUTCOME_OF = {
    T.APPROVED: Outcome.APPROVED,
    T.APPROVED_ON_PLEDGE: Outcome.APPROVED_ON_PLEDGE,
    T.REJECTED: Outcome.REJECTED,
    T.NOT_STARTED: Outcome.NOT_STARTED,
    T.CANCELLED: Outcome.CANCELLED,
}
TASK_FIELDS = [
    "status",
    "assignee",
    "started_on",
    "promised_deadline",
    "promised_deadline_provisional",
    "legal_deadline",
    "legal_deadline_provisional",
    "extension_days",
    "decided_at",
    "decided_by",
    "decision_reason",
]
REVIEW_PERMISSION = "approvals.review_task"


def task_snapshot(task) -> dict:
    return snapshot(task, fields=TASK_FIELDS)


def _today() -> datetime.date:
    return clock.today()


# --- locking and checks ---------------------------------------------------------------------------------


def _scoped_tasks(user):
    return ReviewTask.objects if user is None else ReviewTask.objects.for_user(user)


# The two statements of `lock_task`, compiled once per scope (issue 18: compiling them cost more than running).
_LOCK_APPLICATION = PreparedQuery(
    lambda user, pk: (
        Application.objects.select_related("applicant")
        .select_for_update(of=("self",))
        .filter(pk__in=_scoped_tasks(user).filter(pk=pk).order_by().values("application_id"))
    ),
    "pk",
)
_LOCK_TASK = PreparedQuery(
    lambda user, pk: _scoped_tasks(user).select_related("item").select_for_update(of=("self",)).filter(pk=pk),
    "pk",
)


# A claim changes its task alone: the task locked with its application and item read (not locked) in one
# statement. Taking one lock, it cannot deadlock with an action that holds the application and then locks
# its tasks (that action waits for the claim, or the claim for it, and re-reads the task's new state).
_LOCK_TASK_ALONE = PreparedQuery(
    lambda user, pk: (
        _scoped_tasks(user)
        .select_related("item", "application")
        .select_for_update(of=("self",))
        .filter(pk=pk)
    ),
    "pk",
)


def lock_task(user, task) -> tuple[Application, ReviewTask]:
    """(application, task), both re-read under row locks, the application first; `NotFound` when the task is
    outside the user's scope (`ReviewTask.objects.for_user`).

    Two statements: the application's row is found through the scoped task (a subquery) and locked, with its
    applicant (whom decisions notify) joined but not locked; then the task's row, again through the scope,
    is locked with its item. Never both rows in one statement: the order in which one statement locks the
    rows of a join is the plan's, and every action must lock the application before any of its tasks."""
    pk = task.pk if isinstance(task, ReviewTask) else task
    key = scope_key(user)
    applications = _LOCK_APPLICATION.fetch(key, user, pk=pk)
    tasks = _LOCK_TASK.fetch(key, user, pk=pk) if applications else []
    if not tasks:
        raise not_found(ReviewTask)
    task = tasks[0]
    task.application = applications[0]
    return applications[0], task


def _require_department(user, task):
    if user is not None and user.department_id != task.department_id:
        raise PermissionDenied(_("只能办理本部门的审批任务。"))


def _require_assignee(user, task):
    if user is not None and task.assignee_id != user.pk:
        raise PermissionDenied(_("只有该任务的承办人可以办理。"))


def _refuse_unless_in_review(task, action):
    if task.status != T.IN_REVIEW:
        raise transitions.IllegalTransition(
            task,
            action,
            _("任务当前状态为“%(state)s”,只有审查中的任务可以记录。") % {"state": task.get_status_display()},
        )


def _required_text(value, field, message):
    text = (value or "").strip() if isinstance(value, str) else ""
    if not text:
        raise field_error(field, message, "required")
    try:
        return reject_control_characters(text)
    except ValidationError as error:
        raise ValidationError({field: error.messages}, code="control_characters") from None


# --- deadlines ---------------------------------------------------------------------------------------


def task_pauses(task) -> list[Pause]:
    return [Pause(pause.started_on, pause.ended_on) for pause in task.pauses.order_by("started_on", "pk")]


def pauses_by_task(tasks) -> dict[int, list[Pause]]:
    """{task pk: its pauses, in order} for several tasks in one query (tasks without pauses are absent)."""
    pauses: dict[int, list[Pause]] = {}
    rows = TaskPause.objects.filter(task__in=[task.pk for task in tasks]).order_by("task", "started_on", "pk")
    for task_id, started_on, ended_on in rows.values_list("task_id", "started_on", "ended_on"):
        pauses.setdefault(task_id, []).append(Pause(started_on, ended_on))
    return pauses


def compute_deadlines(task, *, pauses=None, calendar: WorkingCalendar | None = None) -> bool:
    """Set the task's promised and legal deadlines from its start day, limits, extension and pauses.
    Returns False (and changes nothing) while a pause is open: the deadline is not known until it ends.

    `pauses` (the task's, when the caller has read them for several tasks at once) and `calendar` (the
    action's) spare the queries; by default both are read here."""
    pauses = task_pauses(task) if pauses is None else list(pauses)
    if any(pause.end is None for pause in pauses):
        return False
    item = task.item
    limits = [item.promised_limit_days + task.extension_days]
    if item.legal_limit_days is not None:
        limits.append(item.legal_limit_days + task.extension_days)
    calendar = calendar if calendar is not None else WorkingCalendar()
    calendar.prepare(task.started_on, max(limits))
    task.promised_deadline, task.promised_deadline_provisional = deadline_after(
        task.started_on, limits[0], pauses, calendar=calendar
    )
    task.legal_deadline, task.legal_deadline_provisional = (
        deadline_after(task.started_on, limits[1], pauses, calendar=calendar)
        if len(limits) > 1
        else (None, False)
    )
    return True


# --- splitting into tasks --------------------------------------------------------------------------------


def create_tasks(
    application, user, *, items=None, calendar: WorkingCalendar | None = None
) -> list[ReviewTask]:
    """One item row and one task per selected item, in the item's department, with the dependencies among
    them; the tasks without prerequisites start at once. Call inside the acceptance (the application locked);
    `calendar` is the acceptance's, if it has one."""
    existing = list(application.tasks.all())
    if existing:
        return existing
    if items is None:
        items = selectors.selected_items(application.bundle, application.answers)
    application_items = ApplicationItem.objects.bulk_create(
        [ApplicationItem(application=application, item=item) for item in items]
    )
    tasks = ReviewTask.objects.bulk_create(
        [
            ReviewTask(
                application=application,
                application_item=application_item,
                item=item,
                department_id=item.department_id,
                status=T.WAITING,
            )
            for application_item, item in zip(application_items, items, strict=True)
        ]
    )
    task_of_item = {task.item_id: task for task in tasks}
    graph = selectors.dependency_graph(application.bundle, items)
    Through = ReviewTask.depends_on.through
    Through.objects.bulk_create(
        [
            Through(
                from_reviewtask_id=task_of_item[item_id].pk, to_reviewtask_id=task_of_item[prerequisite].pk
            )
            for item_id, prerequisites in graph.items()
            for prerequisite in sorted(prerequisites)
        ]
    )
    codes = {item.pk: item.code for item in items}
    record(
        user,
        "approvals.create_tasks",
        application,
        after={
            "tasks": [
                {
                    "task": task.pk,
                    "item": codes[task.item_id],
                    "department": task.department_id,
                    "depends_on": sorted(codes[pk] for pk in graph[task.item_id]),
                }
                for task in tasks
            ]
        },
    )
    day = _today()
    for task in tasks:
        task.application = application
    # Tasks made just now have no pauses.
    release_tasks([task for task in tasks if not graph[task.item_id]], day, pauses={}, calendar=calendar)
    return tasks


RELEASE_FIELDS = [
    "status",
    "started_on",
    "promised_deadline",
    "promised_deadline_provisional",
    "legal_deadline",
    "legal_deadline_provisional",
    "updated_at",
]


def release_task(task, day: datetime.date, *, pauses=None, calendar=None, staff=None) -> None:
    """Start a waiting task (the platform's "release" row): pending from `day`, deadlines stored.
    `pauses`, `calendar` and `staff` as for `release_tasks`, for this one task."""
    release_tasks(
        [task],
        day,
        pauses=None if pauses is None else {task.pk: pauses},
        calendar=calendar,
        staff=None if staff is None else {task.department_id: staff},
    )


def release_tasks(
    tasks, day: datetime.date, *, pauses=None, calendar=None, staff=None, writes: "Writes | None" = None
) -> None:
    """Start waiting tasks (the "release" row, applied to each): pending from `day`, deadlines stored, an
    audit event for each and a notification to its department's staff.

    Each task's transition, deadlines and audit snapshots are its own, as if released one by one; the rows
    are then written in one UPDATE, the audit events in one INSERT and the notifications in one INSERT.
    `pauses` ({task pk: pauses}; a task absent has none), `calendar` (the action's) and `staff` ({department
    id: users}) are what the caller has read for all of them at once; by default they are read here. With
    `writes` the audit events and notifications join the caller's, saved with them."""
    tasks = list(tasks)
    if not tasks:
        return
    if pauses is None:
        pauses = pauses_by_task(tasks)
    if staff is None:
        staff = department_staff_by_department({task.department_id for task in tasks})
    calendar = calendar if calendar is not None else WorkingCalendar()
    now = timezone.now()
    events, messages = [], []
    for task in tasks:
        before = task_snapshot(task)
        transitions.apply(task, "release", None)
        task.started_on = day
        compute_deadlines(task, pauses=pauses.get(task.pk, ()), calendar=calendar)
        task.updated_at = now  # what save() would stamp (auto_now); bulk_update writes the attribute
        events.append(
            audit_event(None, "approvals.release_task", task, before=before, after=task_snapshot(task))
        )
        messages += notifications.build(
            staff.get(task.department_id, ()),
            "task_released",
            lambda task=task: (
                _("新的审批任务待认领:%(item)s") % {"item": task.item.display_name},
                _("办件 %(number)s,承诺期限 %(deadline)s。")
                % {
                    "number": task.application.number,
                    "deadline": deadline_text(task.promised_deadline, task.promised_deadline_provisional),
                },
            ),
            about=task,
        )
    update_rows(tasks, RELEASE_FIELDS)
    if writes is None:
        record_many(events)
        notifications.send(messages)
    else:
        writes.events += events
        writes.messages += messages


# --- the reviewer's work --------------------------------------------------------------------------------


@transaction.atomic
def claim_task(reviewer, task) -> ReviewTask:
    """A reviewer of the task's department takes a pending task; of two claiming at once, exactly one wins
    and the other gets IllegalTransition. The one action that locks its task without the application
    (see `_LOCK_TASK_ALONE`): nothing of the application changes."""
    tasks = _LOCK_TASK_ALONE.fetch(
        scope_key(reviewer), reviewer, pk=task.pk if isinstance(task, ReviewTask) else task
    )
    if not tasks:
        raise not_found(ReviewTask)
    task = tasks[0]
    before = task_snapshot(task)
    transitions.check(task, "claim", reviewer)
    _require_department(reviewer, task)
    transitions.apply(task, "claim", reviewer)
    task.assignee = reviewer
    update_fields(task, ["status", "assignee", "updated_at"])
    record(reviewer, "approvals.claim_task", task, before=before, after=task_snapshot(task))
    return task


@transaction.atomic
def add_opinion(reviewer, task, text: str) -> TaskEvent:
    """The assignee records a review opinion (审查意见) while the task is in review."""
    _application, task = lock_task(reviewer, task)
    require_permission(reviewer, REVIEW_PERMISSION, _("您没有审查任务的权限。"))
    _refuse_unless_in_review(task, "add_opinion")
    _require_assignee(reviewer, task)
    text = _required_text(text, "text", _("请填写审查意见。"))
    event = TaskEvent.objects.create(task=task, kind=TaskEvent.Kind.OPINION, author=reviewer, text=text)
    record(reviewer, "approvals.add_opinion", task, after={"event": event.pk, "text": text})
    return event


@transaction.atomic
def record_site_inspection(reviewer, task, date, findings: str, passed: bool) -> TaskEvent:
    """The assignee records a site inspection (现场勘查): its date (from the application's submission to
    today: an inspection cannot precede the application it is for), findings, result."""
    application, task = lock_task(reviewer, task)
    require_permission(reviewer, REVIEW_PERMISSION, _("您没有审查任务的权限。"))
    _refuse_unless_in_review(task, "record_site_inspection")
    _require_assignee(reviewer, task)
    errors = {}
    earliest = timezone.localdate(application.submitted_at) if application.submitted_at else task.started_on
    if (
        not isinstance(date, datetime.date)
        or isinstance(date, datetime.datetime)
        or date > _today()
        or (earliest is not None and date < earliest)
    ):
        errors["date"] = _("请填写勘查日期(不早于提交申请之日 %(earliest)s,不晚于今天)。") % {
            "earliest": earliest.isoformat() if earliest else "—"
        }
    if not isinstance(passed, bool):
        errors["passed"] = _("请选择勘查结论。")
    if not isinstance(findings, str) or not findings.strip():
        errors["findings"] = _("请填写勘查情况。")
    else:
        try:
            reject_control_characters(findings)
        except ValidationError as error:
            errors["findings"] = error.messages
    if errors:
        raise ValidationError(errors)
    data = {"date": date.isoformat(), "passed": passed}
    event = TaskEvent.objects.create(
        task=task, kind=TaskEvent.Kind.INSPECTION, author=reviewer, text=findings.strip(), data=data
    )
    record(reviewer, "approvals.record_site_inspection", task, after={"event": event.pk, **data})
    return event


# --- decisions --------------------------------------------------------------------------------------------


@transaction.atomic
def approve_task(reviewer, task, opinion: str = "") -> ReviewTask:
    """Approve (准予许可); the item's certificate is issued."""
    return _decide(reviewer, task, "approve", (opinion or "").strip())


@transaction.atomic
def approve_task_on_pledge(reviewer, task, opinion: str = "") -> ReviewTask:
    """Approve on the applicant's pledge (告知承诺), where the item allows it."""
    return _decide(reviewer, task, "approve_on_pledge", (opinion or "").strip())


@transaction.atomic
def reject_task(reviewer, task, reasons) -> ReviewTask:
    """Reject (不予许可) with reasons (a text or a list of texts); the items that depend on this one will not
    be started."""
    if isinstance(reasons, str):
        reasons = [reasons]
    listed = [reason.strip() for reason in (reasons or []) if isinstance(reason, str) and reason.strip()]
    return _decide(reviewer, task, "reject", "\n".join(listed), required_reason=True)


def _decide(user, task, action, reason, *, required_reason=False):
    application, task = lock_task(user, task)
    before = task_snapshot(task)
    transitions.check(task, action, user)
    _require_department(user, task)
    _require_assignee(user, task)
    if required_reason and not reason:
        raise field_error("reasons", _("请填写不予许可的理由。"), "required")
    if action == "approve_on_pledge" and not task.item.pledge_allowed:
        raise ValidationError(
            _("事项“%(item)s”不适用告知承诺制,不能以承诺方式准予许可。") % {"item": task.item.display_name},
            code="pledge_not_allowed",
        )
    transitions.apply(task, action, user)
    task.decided_at = clock.now()
    task.decided_by = user
    task.decision_reason = reason
    update_fields(task, ["status", "decided_at", "decided_by", "decision_reason", "updated_at"])
    _mirror_outcome(task)
    # The action's audit events (decision, certificate, tasks released) and notifications (the applicant's,
    # the released tasks' departments') are written together: one INSERT each, in the order they happened.
    writes = Writes()
    writes.events.append(
        audit_event(user, f"approvals.{action}_task", task, before=before, after=task_snapshot(task))
    )
    certificate = (
        certificates.issue_for_task(task, user, just_approved=True, events=writes.events)
        if task.status in APPROVED
        else None
    )
    writes.messages += _decision_notifications(application, task, certificate)
    after_decision(application, task, user, writes=writes)
    return task


def _mirror_outcome(task):
    update_fields(ApplicationItem(pk=task.application_item_id, outcome=OUTCOME_OF[task.status]), ["outcome"])


class Writes:
    """Audit events and notifications an action has made but not yet saved (`save` writes each kind in one
    INSERT, in the order made). Saved before anything the action records on its own, so the trail keeps the
    order in which things happened."""

    def __init__(self):
        self.events, self.messages = [], []

    def save(self) -> None:
        record_many(self.events)
        notifications.send(self.messages)
        self.events, self.messages = [], []


def _decision_notifications(application, task, certificate) -> list:
    def compose():
        item = task.item.display_name
        if task.status == T.REJECTED:
            return (
                _("事项“%(item)s”不予许可") % {"item": item},
                _("理由:%(reason)s") % {"reason": task.decision_reason},
            )
        title = _("事项“%(item)s”已%(decision)s") % {"item": item, "decision": task.get_status_display()}
        if certificate is None:
            return title, ""
        name = certificates.shown_name(certificate, task.item)
        return title, _("已出具电子证照“%(name)s”(%(number)s)。") % {
            "name": name,
            "number": certificate.number,
        }

    return notifications.build([application.applicant], "task_decided", compose, about=task)


def after_decision(application, task, user, *, writes: Writes | None = None) -> None:
    """Start the dependents now ready, skip those that can no longer start, conclude if all is done.
    `writes`: what the decision has yet to save, saved here before the conclusion's own records."""
    writes = writes if writes is not None else Writes()
    day = _today()
    open_left = True
    if task.status in APPROVED:
        open_left = _release_ready_dependents(application, task, day, writes) is not None
    writes.save()
    if task.status == T.REJECTED:
        _skip_dependents(application, task)
    if not open_left or task.status not in APPROVED:  # open tasks left: the application cannot conclude
        conclude_if_done(application, user)


def _open_tasks_query(application, task):
    """The application's open tasks, locked (the application is, so no other action holds them but a
    claim, which holds nothing else), each saying whether it waits on `task` and whether a prerequisite of
    it is still unapproved."""
    Through = ReviewTask.depends_on.through
    blocked = Through.objects.filter(from_reviewtask_id=OuterRef("pk")).exclude(
        to_reviewtask__status__in=APPROVED
    )
    return (
        ReviewTask.objects.select_for_update(of=("self",))
        .filter(application_id=application, status__in=ReviewTask.OPEN_STATUSES)
        .select_related("item")
        .annotate(
            waits_on_task=Exists(
                Through.objects.filter(from_reviewtask_id=OuterRef("pk"), to_reviewtask_id=task)
            ),
            blocked=Exists(blocked.values("pk")),
        )
        .order_by("pk")
    )


_OPEN_TASKS = PreparedQuery(_open_tasks_query, "application", "task")


def _release_ready_dependents(application, task, day: datetime.date, writes: Writes) -> bool | None:
    """Start the waiting dependents of the approved `task` whose prerequisites are now all approved.
    Returns True if any started, None if the application has no open task left (it may conclude), else
    False.

    One statement reads the application's open tasks, locks them, and says of each whether it waits on
    `task` and whether a prerequisite is still unapproved; their departments' staff is read in one query,
    and their deadlines share one calendar. (Releasing one dependent approves nothing, so reading every
    prerequisite's state before the first release gives what reading it before each release did.) A waiting
    task has never been in review, so it has no pauses."""
    open_tasks = _OPEN_TASKS.fetch(application=application.pk, task=task.pk)
    if not open_tasks:
        return None
    ready = [
        other
        for other in open_tasks
        if other.status == T.WAITING and other.waits_on_task and not other.blocked
    ]
    if not ready:
        return False
    for dependent in ready:
        dependent.application = application
    release_tasks(ready, day, pauses={}, writes=writes)
    return True


def _skip_dependents(application, task) -> None:
    """The waiting tasks that depend on `task`, directly or through others, will never start."""
    queue = [task]
    while queue:
        blocker = queue.pop(0)
        dependents = (
            ReviewTask.objects.select_for_update(of=("self",))
            .filter(depends_on=blocker, status=T.WAITING)
            .select_related("item")
            .order_by("pk")
        )
        for dependent in dependents:
            before = task_snapshot(dependent)
            transitions.apply(dependent, "skip", None)
            dependent.decision_reason = _("前置事项“%(item)s”未获许可,本事项不予办理。") % {
                "item": blocker.item.name
            }
            dependent.save()
            _mirror_outcome(dependent)
            record(None, "approvals.skip_task", dependent, before=before, after=task_snapshot(dependent))
            queue.append(dependent)


def open_gaps(application) -> list[SubmittedMaterial]:
    """The tolerated gaps still open (not yet supplied and accepted) that an item still alive (pending or
    approved) requires: they keep the application from concluding."""
    gaps = list(
        application.materials.filter(is_current=True, gap_due_date__isnull=False)
        .exclude(verdict=SubmittedMaterial.Verdict.ACCEPTED)
        .select_related("spec")
    )
    if not gaps:
        return []
    live_items = ApplicationItem.objects.filter(
        application=application, outcome__in=[Outcome.PENDING, Outcome.APPROVED, Outcome.APPROVED_ON_PLEDGE]
    ).values("item_id")
    needed = set(
        ItemMaterial.objects.filter(
            item_id__in=live_items, material_id__in=[gap.spec_id for gap in gaps], required=True
        ).values_list("material_id", flat=True)
    )
    return [gap for gap in gaps if gap.spec_id in needed]


def conclude_if_done(application, user) -> bool:
    """Conclude (办结, the platform's "conclude" row) when no task is open and no needed gap is open.
    Call with the application locked; `user` is whoever's action made it ready (for the record)."""
    if application.status != A.IN_REVIEW:
        return False
    if application.tasks.filter(status__in=ReviewTask.OPEN_STATUSES).exists():
        return False
    if open_gaps(application):
        return False
    from .elapsed import working_days_elapsed  # here: the function is the one place that stores it

    before = {"status": application.status, "concluded_at": None}
    transitions.apply(application, "conclude", None)
    application.concluded_at = clock.now()
    # Stored once (rule 4): the leaders' overview aggregates it instead of recomputing working days.
    application.working_days_elapsed = working_days_elapsed(application)
    application.save(update_fields=["status", "concluded_at", "working_days_elapsed", "updated_at"])
    outcomes = dict(
        application.items.select_related("item").values_list("item__code", "outcome").order_by("item__code")
    )
    record(
        None,
        "approvals.conclude_application",
        application,
        before=before,
        after={
            "status": application.status,
            "concluded_at": application.concluded_at,
            "outcomes": outcomes,
            "triggered_by": getattr(user, "pk", None),
        },
    )
    approved = sum(outcome in (Outcome.APPROVED, Outcome.APPROVED_ON_PLEDGE) for outcome in outcomes.values())
    notifications.notify(
        [application.applicant, *window_clerks()],
        "application_concluded",
        lambda: (
            _("办件 %(number)s 已办结") % {"number": application.number},
            _("共 %(total)s 个事项,准予许可 %(approved)s 个;请等待综合窗口统一出件。")
            % {"total": len(outcomes), "approved": approved},
        ),
        about=application,
    )
    return True


# --- supplements (the clock stops) ------------------------------------------------------------------------


@transaction.atomic
def request_supplement(reviewer, task, text: str) -> TaskPause:
    """The assignee asks the applicant for more (补充材料): the task's clock pauses from today."""
    application, task = lock_task(reviewer, task)
    before = task_snapshot(task)
    transitions.check(task, "request_supplement", reviewer)
    _require_department(reviewer, task)
    _require_assignee(reviewer, task)
    text = _required_text(text, "text", _("请说明需要补充的材料或内容。"))
    if reviewer is None:
        raise ValueError("a supplement is requested by a person")
    transitions.apply(task, "request_supplement", reviewer)
    task.save()
    pause = TaskPause.objects.create(task=task, reason=text[:300], started_on=_today())
    TaskEvent.objects.create(task=task, kind=TaskEvent.Kind.SUPPLEMENT_REQUEST, author=reviewer, text=text)
    record(
        reviewer,
        "approvals.request_supplement",
        task,
        before=before,
        after={**task_snapshot(task), "pause_from": pause.started_on, "text": text},
    )
    notifications.notify(
        [application.applicant],
        "supplement_requested",
        lambda: (
            _("事项“%(item)s”需要补充材料") % {"item": task.item.display_name},
            _("%(text)s\n补充期间审批时限暂停计算。") % {"text": text},
        ),
        about=task,
    )
    return pause


@transaction.atomic
def answer_supplement(applicant, task, text: str, files=None) -> TaskEvent:
    """The applicant answers a supplement request, with files as {material code: file} if any. The pause
    ends today (today does not count; the clock runs again from the next working day) and the deadlines are
    recomputed."""
    application, task = lock_task(applicant, task)
    before = task_snapshot(task)
    transitions.check(task, "answer_supplement", applicant)
    require_applicant(applicant, application)
    text = _required_text(text, "text", _("请填写补充说明。"))
    if applicant is None:
        raise ValueError("a supplement is answered by a person")
    files = files or {}
    if not isinstance(files, dict):
        raise field_error("files", _("补充材料须注明对应的材料。"), "invalid")
    current = current_materials(application)
    uploaded = []
    for code, uploaded_file in files.items():
        spec = bundle_spec(application, code)
        gap = current.get(code)
        if (
            gap is not None
            and gap.gap_due_date is not None
            and gap.verdict != SubmittedMaterial.Verdict.ACCEPTED
        ):
            raise field_error(
                "files",
                _("“%(material)s”是容缺材料,请通过补交容缺材料提交。") % {"material": spec.display_name},
                "gap_material",
            )
        uploaded.append(save_uploaded_material(applicant, application, spec, uploaded_file))
    day = _today()
    TaskPause.objects.select_for_update().filter(task=task, ended_on__isnull=True).update(ended_on=day)
    transitions.apply(task, "answer_supplement", applicant)
    compute_deadlines(task)
    reset_warning(task, save=False)  # the new deadline warns afresh (saved just below)
    task.save()
    event = TaskEvent.objects.create(
        task=task,
        kind=TaskEvent.Kind.SUPPLEMENT_ANSWER,
        author=applicant,
        text=text,
        data={"materials": [material.pk for material in uploaded]},
    )
    record(
        applicant,
        "approvals.answer_supplement",
        task,
        before=before,
        after={**task_snapshot(task), "pause_to": day, "materials": [m.spec.code for m in uploaded]},
    )
    notifications.notify(
        [task.assignee],
        "supplement_answered",
        lambda: (
            _("办件 %(number)s 已补充材料") % {"number": application.number},
            _("事项“%(item)s”的补充材料已提交,新的承诺期限为 %(deadline)s。")
            % {
                "item": task.item.display_name,
                "deadline": deadline_text(task.promised_deadline, task.promised_deadline_provisional),
            },
        ),
        about=task,
    )
    return event


# --- the department head ---------------------------------------------------------------------------------


@transaction.atomic
def reassign_task(head, task, new_assignee) -> ReviewTask:
    """The head of the task's department gives it to another reviewer of the department (a pending task
    goes straight into review with them)."""
    application, task = lock_task(head, task)
    before = task_snapshot(task)
    transitions.check(task, "reassign", head)
    _require_department(head, task)
    User = get_user_model()
    pk = getattr(new_assignee, "pk", new_assignee)
    candidate = User.objects.filter(pk=pk, is_active=True).first()
    if (
        candidate is None
        or candidate.department_id != task.department_id
        or not candidate.has_perm(REVIEW_PERMISSION)
    ):
        raise field_error("assignee", _("只能改派给本部门具有审查权限的人员。"), "invalid_assignee")
    if candidate.pk == task.assignee_id:
        raise field_error("assignee", _("该人员已是本任务的承办人。"), "same_assignee")
    previous = task.assignee
    transitions.apply(task, "reassign", head)
    task.assignee = candidate
    task.save()
    TaskEvent.objects.create(
        task=task,
        kind=TaskEvent.Kind.REASSIGNMENT,
        author=head,
        text=_("改派给 %(name)s") % {"name": candidate},
        data={"from": getattr(previous, "pk", None), "to": candidate.pk},
    )
    record(head, "approvals.reassign_task", task, before=before, after=task_snapshot(task))
    notifications.notify(
        [candidate],
        "task_assigned",
        lambda: (
            _("审批任务已改派给您:%(item)s") % {"item": task.item.display_name},
            _("办件 %(number)s,承诺期限 %(deadline)s。")
            % {
                "number": application.number,
                "deadline": deadline_text(task.promised_deadline, task.promised_deadline_provisional),
            },
        ),
        about=task,
    )
    return task


MAX_EXTENSION_DAYS = 60


@transaction.atomic
def extend_deadline(head, task, days: int, reason: str) -> ReviewTask:
    """The head extends a running task's deadlines by `days` working days, with a recorded reason."""
    application, task = lock_task(head, task)
    before = task_snapshot(task)
    transitions.check(task, "extend", head)
    _require_department(head, task)
    if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= MAX_EXTENSION_DAYS:
        raise field_error(
            "days", _("延长天数须为 1 至 %(max)s 个工作日。") % {"max": MAX_EXTENSION_DAYS}, "invalid"
        )
    reason = _required_text(reason, "reason", _("请填写延长期限的理由。"))
    if head is None:
        raise ValueError("a deadline is extended by a person")
    transitions.apply(task, "extend", head)
    task.extension_days += days
    recomputed = compute_deadlines(task)  # during a supplement: recomputed when the pause ends
    if recomputed:
        reset_warning(task, save=False)  # the new deadline warns afresh (saved just below)
    task.save()
    TaskEvent.objects.create(
        task=task,
        kind=TaskEvent.Kind.EXTENSION,
        author=head,
        text=reason,
        data={"days": days, "promised_deadline": task.promised_deadline.isoformat() if recomputed else None},
    )
    record(
        head,
        "approvals.extend_deadline",
        task,
        before=before,
        after={**task_snapshot(task), "reason": reason},
    )

    def compose():
        if recomputed:
            body = _("延长 %(days)s 个工作日,新的承诺期限为 %(deadline)s。理由:%(reason)s") % {
                "days": days,
                "deadline": deadline_text(task.promised_deadline, task.promised_deadline_provisional),
                "reason": reason,
            }
        else:
            body = _("延长 %(days)s 个工作日,补充材料后重新计算期限。理由:%(reason)s") % {
                "days": days,
                "reason": reason,
            }
        return _("事项“%(item)s”的办理期限已延长") % {"item": task.item.display_name}, body

    notifications.notify(
        [task.assignee, application.applicant],
        "deadline_extended",
        compose,
        about=task,
    )
    return task
