"""Deadlines of bundled approval: traffic lights, warnings and escalation (超期预警/督办).

Deadlines are stored on their rows (ARCHITECTURE.md rule 4), so every question here is a date comparison that
an index answers; the only working-day arithmetic is done once per call, for the thresholds.

**Traffic light** of a review task whose clock runs (pending or in review):

- red: overdue, today is after the promised deadline;
- yellow: one working day or less is left, the deadline is today or not after the next working day
  (`promised_deadline <= add_working_days(today, 1)`);
- green: otherwise.

A task whose clock does not run has no light (None): closed (decided, not started, cancelled), waiting for its
prerequisites (no deadline yet), or paused for a supplement (待补充材料), because its deadline is recomputed
when the pause ends and the stored one means nothing meanwhile. Pages show the status instead.

**Warnings** (`scan_deadlines`, run by the background task of `approvals.deadline_tasks`): a task's stored
`warning_level` only rises, NONE → YELLOW → RED → ESCALATED, each step sending its notifications once:

- YELLOW: the assignee (or, while nobody has claimed it, the department's reviewers) and the department's
  heads are told that the deadline is near;
- RED: the same people are told that it is overdue;
- ESCALATED (督办): the task is still open on the second working day after its deadline, that is after one
  whole working day overdue (`working_days_between(deadline, today) >= 2`); every active leader is told, and
  the escalation is audited (`approvals.escalate_task`, actor None: the platform).

A scan that finds a task several levels behind (the scan did not run for days) sends what the task needs
now: the red warning and the escalation, never a stale "deadline near". Tasks paused for a supplement get no
warning at all while paused.

When a task's deadline moves (a head extends it, a pause ends and the deadline is recomputed), the level must
fall back so that the new deadline warns again: the core service calls `reset_warning(task)` in the
transaction that moves the deadline. As a safety net, the scan also repairs a level that a moved deadline no
longer justifies once that deadline is near again (a red or escalated task whose new deadline is not yet
past starts over with the yellow warning), so a forgotten reset loses at most the second "deadline near" of
a task that was yellow. Every notification carries a dedupe key naming the task, the level and the deadline
(`task-<id>-yellow-<deadline>`), so two scans, even at the same time, never send the same one twice.

Cost: the scan reads one range of the partial index on open tasks' deadlines (those due by the next working
day, overdue ones included) and the intake-queue and tolerated-gap indexes; the thresholds are computed once.

Applications are warned about too: one waiting at the window (status submitted) near or past its intake
deadline warns the window clerks, once per submission; a tolerated gap (容缺) not supplied by its due date
warns the applicant and the window clerks, once per material.

Locking: the scan takes its tasks in batches of applications, locked with `select_for_update(skip_locked=
True)` in the same order as every other write of bundled approval (the application first, then its tasks),
so two scans can run at once, each taking the applications the other has not locked, and neither deadlocks
with a reviewer's action; an application locked by a reviewer at that moment is left to the next scan.
"""

import datetime
from dataclasses import asdict, dataclass

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Case, CharField, Exists, OuterRef, Q, Value, When
from django.db.models.functions import Cast, Concat
from django.utils.translation import gettext as _

from sciencecity.audit import record
from sciencecity.notifications import services as notifications
from sciencecity.notifications.models import Notification
from sciencecity.workdays import clock
from sciencecity.workdays.calendar import WorkingCalendar, add_working_days
from sciencecity.workdays.display import deadline_text

from ..models import Application, ReviewTask, SubmittedMaterial

T = ReviewTask.Status
W = ReviewTask.Warning
ONE_DAY = datetime.timedelta(days=1)

# The statuses in which a task's clock runs: these alone have a light and get warnings.
CLOCK_RUNNING = (T.PENDING, T.IN_REVIEW)

GREEN, YELLOW, RED = "green", "yellow", "red"
BATCH_SIZE = 200

KIND_TASK_DUE_SOON = "task_due_soon"
KIND_TASK_OVERDUE = "task_overdue"
KIND_TASK_ESCALATED = "task_escalated"
KIND_INTAKE_DUE_SOON = "intake_due_soon"
KIND_INTAKE_OVERDUE = "intake_overdue"
KIND_GAP_OVERDUE = "gap_overdue"


# --- thresholds -------------------------------------------------------------------------------------------

A_MONTH = datetime.timedelta(days=31)


@dataclass(frozen=True)
class Thresholds:
    """The dates a day's lights and warnings compare stored deadlines with, computed once per call.

    - `today`: a deadline before it is overdue (red);
    - `yellow_until`: a deadline from today up to this day (the next working day) is near (yellow);
    - `escalate_before`: a deadline before this day (the second-latest working day on or before today) has
      been overdue for one whole working day and is escalated.
    """

    today: datetime.date
    yellow_until: datetime.date
    escalate_before: datetime.date

    @classmethod
    def on(cls, today: datetime.date | None = None) -> "Thresholds":
        today = today or clock.today()
        # One read of the calendar for both sides: a month back holds two working days and a month ahead the
        # next one, even around the Spring Festival (`add_working_days` reads the window it counts in, a month
        # for one day, so it reads nothing more).
        calendar = WorkingCalendar(today - A_MONTH, today + A_MONTH)
        return cls(
            today=today,
            yellow_until=add_working_days(today, 1, calendar=calendar),
            escalate_before=_nth_working_day_on_or_before(today, 2, calendar),
        )

    def level_for(self, deadline: datetime.date | None) -> int:
        """The warning level that a running task with this deadline should have reached."""
        if deadline is None:
            return W.NONE
        if deadline < self.escalate_before:
            return W.ESCALATED
        if deadline < self.today:
            return W.RED
        if deadline <= self.yellow_until:
            return W.YELLOW
        return W.NONE

    def light_for(self, deadline: datetime.date | None) -> str | None:
        if deadline is None:
            return None
        if deadline < self.today:
            return RED
        if deadline <= self.yellow_until:
            return YELLOW
        return GREEN


def _nth_working_day_on_or_before(day: datetime.date, n: int, calendar: WorkingCalendar) -> datetime.date:
    """The n-th working day counting back from `day` (included): n=1 is `day` itself if it is a working day."""
    found = 0
    for _step in range(400):  # a year back at most: the calendar raises for an unknown year long before
        calendar.ensure(day, day)  # nothing to read inside the span already read
        if calendar.is_working_day(day):
            found += 1
            if found == n:
                return day
        day -= ONE_DAY
    raise ValueError(f"no {n} working days in the 400 days before {day}")


def _thresholds(today) -> Thresholds:
    return today if isinstance(today, Thresholds) else Thresholds.on(today)


# --- traffic lights -----------------------------------------------------------------------------------------


def traffic_light(task: ReviewTask, today: datetime.date | None = None) -> str | None:
    """ "green", "yellow" or "red" for a task whose clock runs; None for any other (closed, waiting for its
    prerequisites, paused for a supplement) and for a task without a deadline."""
    if task.status not in CLOCK_RUNNING or task.promised_deadline is None:
        return None
    return _thresholds(today).light_for(task.promised_deadline)


def overdue_tasks(queryset=None, today: datetime.date | None = None):
    """The running tasks of `queryset` (default: all) past their promised deadline: an indexed filter."""
    queryset = ReviewTask.objects.all() if queryset is None else queryset
    day = today.today if isinstance(today, Thresholds) else (today or clock.today())
    return queryset.filter(status__in=CLOCK_RUNNING, promised_deadline__lt=day)


def due_soon_tasks(queryset=None, today: datetime.date | None = None):
    """The running tasks of `queryset` (default: all) with one working day or less left (yellow, not red)."""
    queryset = ReviewTask.objects.all() if queryset is None else queryset
    limits = _thresholds(today)
    return queryset.filter(
        status__in=CLOCK_RUNNING,
        promised_deadline__gte=limits.today,
        promised_deadline__lte=limits.yellow_until,
    )


def annotate_traffic_light(queryset=None, today: datetime.date | None = None, name: str = "traffic_light"):
    """`queryset` with a `traffic_light` column ("green", "yellow", "red" or NULL), the same answer as
    `traffic_light()` row by row, computed by the database from the thresholds worked out once."""
    queryset = ReviewTask.objects.all() if queryset is None else queryset
    limits = _thresholds(today)
    return queryset.annotate(
        **{
            name: Case(
                When(~Q(status__in=CLOCK_RUNNING) | Q(promised_deadline__isnull=True), then=Value(None)),
                When(promised_deadline__lt=limits.today, then=Value(RED)),
                When(promised_deadline__lte=limits.yellow_until, then=Value(YELLOW)),
                default=Value(GREEN),
                output_field=CharField(),
            )
        }
    )


# --- resetting ------------------------------------------------------------------------------------------


def reset_warning(task: ReviewTask, *, save: bool = True) -> None:
    """Let the task's (new) deadline warn again: call it whenever the promised deadline moves (an extension,
    the end of a pause), inside the transaction that moves it, with the task locked.

    Sets `warning_level` back to NONE on the object and, with `save`, in the database (without touching the
    task's other fields or `updated_at`); the next scan raises it again as the new deadline requires, with
    notifications keyed by the new deadline.
    """
    task.warning_level = W.NONE
    if save and task.pk is not None:
        ReviewTask.objects.filter(pk=task.pk).update(warning_level=W.NONE)


# --- the scan --------------------------------------------------------------------------------------------


@dataclass
class ScanSummary:
    """What one scan did; `notifications` counts the messages actually sent."""

    today: datetime.date
    tasks_yellow: int = 0
    tasks_red: int = 0
    tasks_escalated: int = 0
    tasks_reset: int = 0
    intake_due_soon: int = 0
    intake_overdue: int = 0
    gaps_overdue: int = 0
    notifications: int = 0

    def as_dict(self) -> dict:
        data = asdict(self)
        data["today"] = self.today.isoformat()
        return data


class _People:
    """The recipients of warnings, read once per scan and department."""

    def __init__(self):
        self._by_department: dict[tuple[int, str], list] = {}
        self._leaders = None
        self._clerks = None

    @staticmethod
    def _with_role(role, **filters) -> list:
        return list(
            get_user_model()
            .objects.filter(is_active=True, groups__name=role, **filters)
            .distinct()
            .order_by("pk")
        )

    def of_department(self, department_id: int, role: str) -> list:
        key = (department_id, role)
        if key not in self._by_department:
            self._by_department[key] = self._with_role(role, department_id=department_id)
        return self._by_department[key]

    def leaders(self) -> list:
        if self._leaders is None:
            self._leaders = self._with_role("leader")
        return self._leaders

    def window_clerks(self) -> list:
        if self._clerks is None:
            self._clerks = self._with_role("window_clerk")
        return self._clerks

    def for_task(self, task: ReviewTask) -> list:
        """The assignee, or the department's reviewers while nobody has claimed the task; and its heads."""
        handlers = (
            [task.assignee]
            if task.assignee_id
            else self.of_department(task.department_id, "department_reviewer")
        )
        return [*handlers, *self.of_department(task.department_id, "department_head")]


def scan_deadlines(today: datetime.date | None = None, *, batch_size: int = BATCH_SIZE) -> ScanSummary:
    """Raise the warnings that the stored deadlines call for on `today` (default: today) and send each
    notification once; see the module docstring for the rules. Safe to run twice, and by two workers at once."""
    limits = Thresholds.on(today)
    summary = ScanSummary(today=limits.today)
    people = _People()
    _scan_tasks(limits, summary, people, batch_size)
    _scan_intake(limits, summary, people, batch_size)
    _scan_gaps(limits, summary, people, batch_size)
    return summary


def _task_candidates(limits: Thresholds):
    """Running tasks due by the yellow threshold whose stored level differs from what their deadline calls
    for: one range of the open-deadline index, whatever the number of tasks further away."""
    raise_ = (
        Q(warning_level__lt=W.YELLOW)
        | Q(promised_deadline__lt=limits.today, warning_level__lt=W.RED)
        | Q(promised_deadline__lt=limits.escalate_before, warning_level__lt=W.ESCALATED)
    )
    lower = Q(promised_deadline__gte=limits.today, warning_level__gt=W.YELLOW) | Q(
        promised_deadline__gte=limits.escalate_before, warning_level__gt=W.RED
    )
    return ReviewTask.objects.filter(
        status__in=CLOCK_RUNNING, promised_deadline__lte=limits.yellow_until
    ).filter(raise_ | lower)


def _scan_tasks(limits, summary, people, batch_size):
    candidates = _task_candidates(limits)
    last_pk = 0
    while True:
        with transaction.atomic():
            # The application first, as every write of bundled approval locks it (see services.applications).
            application_ids = list(
                Application.objects.select_for_update(skip_locked=True)
                .filter(pk__gt=last_pk, pk__in=candidates.values("application_id"))
                .order_by("pk")
                .values_list("pk", flat=True)[:batch_size]
            )
            if not application_ids:
                return
            last_pk = application_ids[-1]
            tasks = (
                candidates.filter(application_id__in=application_ids)
                .select_for_update(of=("self",))
                .select_related("application", "item", "department", "assignee")
                .order_by("application_id", "pk")
            )
            for task in tasks:
                _warn_task(task, limits, summary, people)


def _warn_task(task, limits, summary, people):
    target = limits.level_for(task.promised_deadline)
    level = task.warning_level
    if target < level:
        # The deadline moved (an extension, a recomputation after a pause) and nobody reset the level.
        level = W.NONE
        summary.tasks_reset += 1
    if target == level:
        if level != task.warning_level:
            ReviewTask.objects.filter(pk=task.pk).update(warning_level=level)
        return

    def facts():
        # Evaluated in each language a notification is written in (catalog names included).
        return {
            "number": task.application.number,
            "item": task.item.display_name,
            "department": task.department.display_name,
            "deadline": deadline_text(task.promised_deadline, task.promised_deadline_provisional),
        }

    deadline = task.promised_deadline.isoformat()
    if target == W.YELLOW:
        summary.tasks_yellow += 1
        summary.notifications += len(
            notifications.notify(
                people.for_task(task),
                KIND_TASK_DUE_SOON,
                lambda: (
                    _("审批任务临期预警:%(number)s %(item)s") % facts(),
                    _("“%(item)s”(办件 %(number)s)的承诺期限为 %(deadline)s,剩余不足一个工作日,请抓紧办理。")
                    % facts(),
                ),
                about=task,
                dedupe_key=f"task-{task.pk}-yellow-{deadline}",
            )
        )
    if target >= W.RED and level < W.RED:
        summary.tasks_red += 1
        summary.notifications += len(
            notifications.notify(
                people.for_task(task),
                KIND_TASK_OVERDUE,
                lambda: (
                    _("审批任务已超期:%(number)s %(item)s") % facts(),
                    _("“%(item)s”(办件 %(number)s)已超过承诺期限 %(deadline)s,请立即办理。") % facts(),
                ),
                about=task,
                dedupe_key=f"task-{task.pk}-red-{deadline}",
            )
        )
    if target == W.ESCALATED:
        summary.tasks_escalated += 1
        summary.notifications += len(
            notifications.notify(
                people.leaders(),
                KIND_TASK_ESCALATED,
                lambda: (
                    _("超期督办:%(number)s %(item)s") % facts(),
                    _(
                        "%(department)s承办的“%(item)s”(办件 %(number)s)承诺期限为 %(deadline)s,"
                        "已超期一个工作日以上,请督办。"
                    )
                    % facts(),
                ),
                about=task,
                dedupe_key=f"task-{task.pk}-escalated-{deadline}",
            )
        )
        record(
            None,
            "approvals.escalate_task",
            task,
            before={"warning_level": task.warning_level},
            after={
                "warning_level": int(W.ESCALATED),
                "promised_deadline": deadline,
                "today": limits.today.isoformat(),
            },
        )
    ReviewTask.objects.filter(pk=task.pk).update(warning_level=target)
    task.warning_level = target


# --- applications at the window and tolerated gaps -----------------------------------------------------------


def _already_sent(kind: str, *, application_ref: str = "pk", since_ref: str | None = None, key=None):
    """A subquery: a notification of `kind` about the outer application exists (sent since the outer row's
    `since_ref` time, or with the dedupe key `key`). It keeps each scan from re-reading the rows it has
    already warned about; the dedupe keys stay the guarantee."""
    sent = Notification.objects.about_model(Application).filter(about_id=OuterRef(application_ref), kind=kind)
    if since_ref is not None:
        sent = sent.filter(created_at__gte=OuterRef(since_ref))
    if key is not None:
        sent = sent.filter(dedupe_key=key)
    return Exists(sent)


def _scan_intake(limits, summary, people, batch_size):
    """Applications waiting at the window near (yellow) or past (red) their intake deadline: the window
    clerks are told once per submission (a resubmission has a new intake deadline and warns again)."""
    waiting = Application.objects.filter(status=Application.Status.SUBMITTED, intake_deadline__isnull=False)
    overdue = waiting.filter(intake_deadline__lt=limits.today).exclude(
        _already_sent(KIND_INTAKE_OVERDUE, since_ref="submitted_at")
    )
    due_soon = waiting.filter(
        intake_deadline__gte=limits.today, intake_deadline__lte=limits.yellow_until
    ).exclude(_already_sent(KIND_INTAKE_DUE_SOON, since_ref="submitted_at"))
    clerks = people.window_clerks()
    if not clerks:
        return
    for application in overdue.order_by("pk").iterator(chunk_size=batch_size):
        facts = {
            "number": application.number,
            "deadline": deadline_text(application.intake_deadline, application.intake_deadline_provisional),
        }
        sent = notifications.notify(
            clerks,
            KIND_INTAKE_OVERDUE,
            lambda facts=facts: (
                _("办件受理已超期:%(number)s") % facts,
                _("办件 %(number)s 的受理期限为 %(deadline)s,现已超期,请立即受理。") % facts,
            ),
            about=application,
            dedupe_key=f"intake-{application.pk}-{application.submission_count}-red-{facts['deadline']}",
        )
        summary.intake_overdue += 1 if sent else 0
        summary.notifications += len(sent)
    for application in due_soon.order_by("pk").iterator(chunk_size=batch_size):
        facts = {
            "number": application.number,
            "deadline": deadline_text(application.intake_deadline, application.intake_deadline_provisional),
        }
        sent = notifications.notify(
            clerks,
            KIND_INTAKE_DUE_SOON,
            lambda facts=facts: (
                _("办件待受理临期:%(number)s") % facts,
                _("办件 %(number)s 的受理期限为 %(deadline)s,剩余不足一个工作日,请及时受理。") % facts,
            ),
            about=application,
            dedupe_key=f"intake-{application.pk}-{application.submission_count}-yellow-{facts['deadline']}",
        )
        summary.intake_due_soon += 1 if sent else 0
        summary.notifications += len(sent)


def _gap_key(material_ref):
    return Concat(Value("gap-"), Cast(material_ref, output_field=CharField()), Value("-overdue"))


def _scan_gaps(limits, summary, people, batch_size):
    """Tolerated gaps (容缺) not supplied by their due date, in applications still open: the applicant and
    the window clerks are told once per material."""
    gaps = (
        SubmittedMaterial.objects.filter(
            verdict=SubmittedMaterial.Verdict.TOLERATED,
            is_current=True,
            gap_due_date__lt=limits.today,
            application__status__in=Application.OPEN_STATUSES,
        )
        .exclude(
            _already_sent(KIND_GAP_OVERDUE, application_ref="application_id", key=_gap_key(OuterRef("pk")))
        )
        .select_related("application__applicant", "spec")
        .order_by("pk")
    )
    clerks = people.window_clerks()
    for material in gaps.iterator(chunk_size=batch_size):
        application = material.application
        facts = {"number": application.number, "date": material.gap_due_date.isoformat()}
        sent = notifications.notify(
            [application.applicant, *clerks],
            KIND_GAP_OVERDUE,
            lambda facts=facts, spec=material.spec: (
                _("容缺材料逾期未补交:%(number)s") % facts,
                _(
                    "办件 %(number)s 的容缺材料“%(material)s”应于 %(date)s 前补交,现已逾期;"
                    "需要该材料的事项在补齐前不能办结。"
                )
                % {**facts, "material": spec.display_name},
            ),
            about=application,
            dedupe_key=f"gap-{material.pk}-overdue",
        )
        summary.gaps_overdue += 1 if sent else 0
        summary.notifications += len(sent)


# The three figures of a department's row, each a filter over its open tasks: the overview counts them and the
# leaders' task list (`views.leaders.leaders_tasks`, `?state=` of the task API) lists them with the same filter, so a figure and the list
# it links to always agree.
TASK_STATES = ("open", "overdue", "escalated")


def task_state_filter(state: str, today: datetime.date) -> Q:
    """Among open tasks: all of them, those whose running clock is past the promised deadline, or those
    escalated to the leaders (overdue by a whole working day, `services.deadlines.scan_deadlines`)."""
    if state == "overdue":
        return Q(status__in=CLOCK_RUNNING, promised_deadline__lt=today)
    if state == "escalated":
        return Q(warning_level=ReviewTask.Warning.ESCALATED)
    return Q()


def open_tasks(tasks=None):
    """The open ones of `tasks` (every task by default)."""
    return (ReviewTask.objects.all() if tasks is None else tasks).filter(status__in=ReviewTask.OPEN_STATUSES)
