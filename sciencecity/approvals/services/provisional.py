"""Recounting the provisional deadlines of bundled approval once the year they reach is official.

`sciencecity.workdays.recount` runs the pass; this module tells it which rows of approvals hold an open
provisional deadline and recounts one row at a time, each in its own transaction: the row is locked, its
deadlines are counted again from their stored start day (the day of submission, of acceptance, the task's
start day and its pauses) under the calendar as it is now, and what changed is written,
audited by the platform (no acting user) and, when a day moved, announced to the people who work to it. A row
that comes out the same is not written, so a pass can run twice.

Which deadlines are open: the intake deadline while the application waits for intake, the promised deadline
while it is under review, a task's deadlines while it is pending or in review (during a supplement the
deadline is recounted when the pause ends anyway). (A poor rating's problem is recounted with the problems.)
"""

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from sciencecity.audit import record
from sciencecity.i18n import join_list
from sciencecity.notifications import services as notifications
from sciencecity.workdays.calendar import deadline_after
from sciencecity.workdays.display import deadline_text
from sciencecity.workdays.recount import Outcome, ProvisionalDeadlines

from ..models import Application, ReviewTask
from .applications import application_snapshot, window_clerks
from .deadlines import _People, reset_warning
from .review import compute_deadlines, task_snapshot

A = Application.Status
T = ReviewTask.Status
RECOUNTED_TASK_STATUSES = (T.PENDING, T.IN_REVIEW)
KIND = "deadline_recounted"


def _outcome(old: tuple, new: tuple, days_of) -> Outcome | None:
    """MOVED when a day differs, FIRMED when only the flags do, None when nothing does."""
    if old == new:
        return None
    return Outcome.MOVED if days_of(old) != days_of(new) else Outcome.FIRMED


# --- review tasks -----------------------------------------------------------------------------------------


def _task_state(task) -> tuple:
    return (
        task.promised_deadline,
        task.legal_deadline,
        task.promised_deadline_provisional,
        task.legal_deadline_provisional,
    )


def _open_provisional_tasks():
    return ReviewTask.objects.filter(
        Q(promised_deadline_provisional=True) | Q(legal_deadline_provisional=True),
        status__in=RECOUNTED_TASK_STATUSES,
    )


@transaction.atomic
def recount_task(pk) -> Outcome:
    """Count one task's deadlines again (see the module docstring)."""
    task = (
        ReviewTask.objects.select_for_update(of=("self",))
        .select_related("item", "application", "department")
        .filter(pk=pk)
        .first()
    )
    if task is None or task.status not in RECOUNTED_TASK_STATUSES:
        return Outcome.SKIPPED
    before, old = task_snapshot(task), _task_state(task)
    if not compute_deadlines(task):
        return Outcome.SKIPPED
    outcome = _outcome(old, _task_state(task), lambda state: state[:2])
    if outcome is None:
        return Outcome.STILL_PROVISIONAL
    fields = ["promised_deadline", "legal_deadline", "promised_deadline_provisional"]
    fields += ["legal_deadline_provisional", "updated_at"]
    if outcome is Outcome.MOVED:
        reset_warning(task, save=False)  # the new deadline warns afresh
        fields.append("warning_level")
    task.save(update_fields=fields)
    record(None, "approvals.recount_task_deadlines", task, before=before, after=task_snapshot(task))
    if outcome is Outcome.MOVED:
        _notify_task_moved(task, old)
    return outcome


def _notify_task_moved(task, old: tuple) -> None:
    """Tell who works to the task which of its deadlines moved, from what to what."""
    labels = (ReviewTask._meta.get_field("promised_deadline"), ReviewTask._meta.get_field("legal_deadline"))
    new = _task_state(task)

    def changes():
        return join_list(
            moved_text(label.verbose_name, (old[i], old[i + 2]), (new[i], new[i + 2]))
            for i, label in enumerate(labels)
            if old[i] != new[i]
        )

    notifications.notify(
        _People().for_task(task),
        KIND,
        lambda: (
            _("审批任务期限已按正式日历调整:%(item)s") % {"item": task.item.display_name},
            _("办件 %(number)s:%(changes)s(该年法定节假日安排已确认)。")
            % {"number": task.application.number, "changes": changes()},
        ),
        about=task,
    )


def moved_text(label, old: tuple, new: tuple) -> str:
    """ "<deadline> moved from <old> to <new>", each day marked 暂定 where it is provisional."""
    return _("%(deadline)s由 %(old)s 调整为 %(new)s") % {
        "deadline": label,
        "old": deadline_text(*old),
        "new": deadline_text(*new),
    }


# --- applications -----------------------------------------------------------------------------------------


def _open_provisional_applications():
    return Application.objects.filter(
        Q(status=A.SUBMITTED, intake_deadline_provisional=True)
        | Q(status=A.IN_REVIEW, promised_deadline_provisional=True)
    )


def _application_deadline(application):
    """(field, start day, working days, recipients) of the application's open deadline, or None."""
    bundle = application.bundle
    if application.status == A.SUBMITTED and application.submitted_at:
        start = timezone.localdate(application.submitted_at)
        return "intake_deadline", start, bundle.intake_limit_days, list(window_clerks())
    if application.status == A.IN_REVIEW and application.accepted_at:
        start = timezone.localdate(application.accepted_at)
        return "promised_deadline", start, bundle.promised_limit_days, [application.applicant]
    return None


@transaction.atomic
def recount_application(pk) -> Outcome:
    """Count one application's open deadline again (see the module docstring)."""
    application = (
        Application.objects.select_for_update(of=("self",))
        .select_related("bundle", "applicant")
        .filter(pk=pk)
        .first()
    )
    found = _application_deadline(application) if application is not None else None
    if found is None:
        return Outcome.SKIPPED
    field, start, days, recipients = found
    flag = f"{field}_provisional"
    old = (getattr(application, field), getattr(application, flag))
    new = tuple(deadline_after(start, days))
    outcome = _outcome(old, new, lambda state: state[0])
    if outcome is None:
        return Outcome.STILL_PROVISIONAL
    before = application_snapshot(application)
    setattr(application, field, new[0])
    setattr(application, flag, new[1])
    application.save(update_fields=[field, flag, "updated_at"])
    record(
        None,
        "approvals.recount_application_deadline",
        application,
        before=before,
        after=application_snapshot(application),
    )
    if outcome is Outcome.MOVED:
        label = Application._meta.get_field(field).verbose_name
        notifications.notify(
            recipients,
            KIND,
            lambda: (
                _("办件 %(number)s 的期限已按正式日历调整") % {"number": application.number},
                _("办件 %(number)s:%(changes)s(该年法定节假日安排已确认)。")
                % {"number": application.number, "changes": moved_text(label, old, new)},
            ),
            about=application,
        )
    return outcome


# --- registration -----------------------------------------------------------------------------------------


def _years(*pairs) -> set[int]:
    """The years of the deadlines in (queryset, field) pairs."""
    return {day.year for queryset, field in pairs for day in queryset.dates(field, "year")}


def _application_years() -> set[int]:
    return _years(
        (Application.objects.filter(status=A.SUBMITTED, intake_deadline_provisional=True), "intake_deadline"),
        (
            Application.objects.filter(status=A.IN_REVIEW, promised_deadline_provisional=True),
            "promised_deadline",
        ),
    )


def _task_years() -> set[int]:
    running = ReviewTask.objects.filter(status__in=RECOUNTED_TASK_STATUSES)
    return _years(
        (running.filter(promised_deadline_provisional=True), "promised_deadline"),
        (running.filter(legal_deadline_provisional=True), "legal_deadline"),
    )


KINDS = (
    ProvisionalDeadlines(
        name="approvals.application",
        open_keys=lambda: _open_provisional_applications().order_by("pk").values_list("pk", flat=True),
        recount=recount_application,
        years=_application_years,
    ),
    ProvisionalDeadlines(
        name="approvals.task",
        open_keys=lambda: _open_provisional_tasks().order_by("pk").values_list("pk", flat=True),
        recount=recount_task,
        years=_task_years,
    ),
)
