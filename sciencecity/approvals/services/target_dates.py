"""The target delivery date of an application (定日出件, e.g. the land handover day of 交地即领证): named by the
applicant, moved by the window. What counts as a good date and as a date at risk is `approvals.target_dates`.

- `set_target_date`: the applicant (or the escort specialist preparing the draft by help-and-do) names the date
  on a draft or during correction; it must be a working day the bundle's limits can keep. Submission checks it
  again (`applications.submit_application`), since a draft may wait.
- `change_target_date`: the window moves it, with a reason, while the application is at intake, in correction,
  in review or concluded and waiting for its day (the handover moved). The new date must be a working day not
  in the past; it may be earlier than the deadlines allow: the application then shows as at risk, which is the
  point. The applicant and the reviewers of its open tasks are told.
"""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from sciencecity.audit import record
from sciencecity.notifications import services as notifications

from .. import transitions
from ..models import Application, NotificationKind, ReviewTask
from ..target_dates import ACTIVE, target_date_problems
from .applications import (
    application_bundle,
    department_staff_by_department,
    lock_application,
    refuse_unless_editable,
    require_editor,
    require_permission,
    today,
)

A = Application.Status
CHANGE_PERMISSION = "approvals.intake_application"


@transaction.atomic
def set_target_date(user, application, day) -> Application:
    """The applicant names the target date of a draft (or of an application in correction); None clears it.
    Refused with a ValidationError keyed "target_date" unless the bundle asks for one and the day can be kept
    (`target_dates.target_date_problems`)."""
    application = lock_application(user, application)
    require_editor(user, application)
    refuse_unless_editable(application, "set_target_date")
    bundle = application_bundle(application)
    problems = target_date_problems(bundle, day, today(), required=False)
    if problems:
        raise ValidationError({"target_date": problems})
    before = application.target_date
    if day == before:
        return application
    application.target_date = day
    application.save(update_fields=["target_date", "updated_at"])
    record(
        user,
        "approvals.set_target_date",
        application,
        before={"target_date": before},
        after={"target_date": day},
    )
    return application


@transaction.atomic
def change_target_date(clerk, application, day, reason: str) -> Application:
    """The window moves the target date (the handover moved), with the reason: audited, and the applicant and
    the reviewers of the open tasks are told. Only while the results are not yet delivered."""
    application = lock_application(clerk, application)
    require_permission(clerk, CHANGE_PERMISSION, _("您没有调整目标交付日期的权限。"))
    if application.status not in ACTIVE:
        raise transitions.IllegalTransition(
            application,
            "change_target_date",
            _(
                "办件当前状态为“%(state)s”,只有待受理、待补正、审批中或已办结待出件的办件可以调整目标交付日期。"
            )
            % {"state": application.get_status_display()},
        )
    bundle = application_bundle(application)
    errors = {}
    reason = (reason or "").strip()
    if not reason:
        errors["reason"] = [ValidationError(_("请填写调整原因。"), code="required")]
    elif len(reason) > 500:
        errors["reason"] = [ValidationError(_("调整原因不能超过 500 个字符。"), code="max_length")]
    problems = target_date_problems(bundle, day, today(), check_limits=False)
    if not problems and day == application.target_date:
        problems = [ValidationError(_("新日期与原日期相同。"), code="unchanged")]
    if problems:
        errors["target_date"] = problems
    if errors:
        raise ValidationError(errors)
    before = application.target_date
    application.target_date = day
    application.save(update_fields=["target_date", "updated_at"])
    record(
        clerk,
        "approvals.change_target_date",
        application,
        before={"target_date": before},
        after={"target_date": day, "reason": reason},
    )
    notifications.notify(
        _recipients(application),
        NotificationKind.TARGET_DATE_CHANGED,
        lambda: (
            _("办件 %(number)s 的%(label)s调整为 %(date)s")
            % {"number": application.number, "label": bundle.display_target_date_label, "date": day},
            _("“%(bundle)s”的%(label)s由 %(before)s 调整为 %(date)s,窗口将于当日统一出件。原因:%(reason)s")
            % {
                "bundle": bundle.display_name,
                "label": bundle.display_target_date_label,
                "before": before.isoformat() if before else "—",
                "date": day.isoformat(),
                "reason": reason,
            },
        ),
        about=application,
    )
    return application


def _recipients(application) -> list:
    """The applicant, and for each open task its assignee or, while nobody has claimed it, its department's
    reviewers and heads."""
    tasks = list(
        ReviewTask.objects.filter(application=application, status__in=ReviewTask.OPEN_STATUSES)
        .select_related("assignee")
        .order_by("pk")
    )
    people = [application.applicant]
    people += [task.assignee for task in tasks if task.assignee_id]
    unclaimed = {task.department_id for task in tasks if not task.assignee_id}
    for staff in department_staff_by_department(sorted(unclaimed)).values():
        people += staff
    return people
