"""The state machines of bundled approval, each one literal table (ARCHITECTURE.md rule 2).

A row is (from-state, action, to-state, permission). `None` as permission means the platform itself takes the
step (conclusion when the last task is decided, releasing a task whose prerequisites are approved): no user
can ask for it. `check()` is the one function that reads the tables: it refuses an action that has no row
from the current state, or whose permission the user lacks, with a clear error (HTTP 409 / 403 in the API).
"""

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .models import Application, ReviewTask

A = Application.Status
T = ReviewTask.Status


@dataclass(frozen=True)
class Transition:
    source: str
    action: str
    target: str
    permission: str | None


APPLICATION_TRANSITIONS: tuple[Transition, ...] = tuple(
    Transition(*row)
    for row in (
        (A.DRAFT, "submit", A.SUBMITTED, "approvals.submit_application"),
        (A.CORRECTION, "resubmit", A.SUBMITTED, "approvals.submit_application"),
        (A.SUBMITTED, "accept", A.IN_REVIEW, "approvals.intake_application"),
        (A.SUBMITTED, "accept_with_gaps", A.IN_REVIEW, "approvals.intake_application"),
        (A.SUBMITTED, "request_correction", A.CORRECTION, "approvals.intake_application"),
        (A.SUBMITTED, "refuse", A.REFUSED, "approvals.intake_application"),
        (A.IN_REVIEW, "conclude", A.CONCLUDED, None),
        (A.CONCLUDED, "deliver", A.DELIVERED, "approvals.deliver_application"),
        (A.DRAFT, "withdraw", A.WITHDRAWN, "approvals.submit_application"),
        (A.SUBMITTED, "withdraw", A.WITHDRAWN, "approvals.submit_application"),
        (A.CORRECTION, "withdraw", A.WITHDRAWN, "approvals.submit_application"),
        (A.IN_REVIEW, "withdraw", A.WITHDRAWN, "approvals.submit_application"),
        (A.DRAFT, "cancel", A.CANCELLED, "approvals.cancel_application"),
        (A.SUBMITTED, "cancel", A.CANCELLED, "approvals.cancel_application"),
        (A.CORRECTION, "cancel", A.CANCELLED, "approvals.cancel_application"),
        (A.IN_REVIEW, "cancel", A.CANCELLED, "approvals.cancel_application"),
    )
)

TASK_TRANSITIONS: tuple[Transition, ...] = tuple(
    Transition(*row)
    for row in (
        (T.WAITING, "release", T.PENDING, None),
        (T.PENDING, "claim", T.IN_REVIEW, "approvals.review_task"),
        (T.IN_REVIEW, "approve", T.APPROVED, "approvals.review_task"),
        (T.IN_REVIEW, "approve_on_pledge", T.APPROVED_ON_PLEDGE, "approvals.review_task"),
        (T.IN_REVIEW, "reject", T.REJECTED, "approvals.review_task"),
        (T.IN_REVIEW, "request_supplement", T.SUPPLEMENT, "approvals.review_task"),
        (T.SUPPLEMENT, "answer_supplement", T.IN_REVIEW, "approvals.submit_application"),
        (T.PENDING, "reassign", T.IN_REVIEW, "approvals.manage_department_tasks"),
        (T.IN_REVIEW, "reassign", T.IN_REVIEW, "approvals.manage_department_tasks"),
        (T.SUPPLEMENT, "reassign", T.SUPPLEMENT, "approvals.manage_department_tasks"),
        (T.PENDING, "extend", T.PENDING, "approvals.manage_department_tasks"),
        (T.IN_REVIEW, "extend", T.IN_REVIEW, "approvals.manage_department_tasks"),
        (T.SUPPLEMENT, "extend", T.SUPPLEMENT, "approvals.manage_department_tasks"),
        (T.WAITING, "skip", T.NOT_STARTED, None),
        (T.WAITING, "cancel", T.CANCELLED, None),
        (T.PENDING, "cancel", T.CANCELLED, None),
        (T.IN_REVIEW, "cancel", T.CANCELLED, None),
        (T.SUPPLEMENT, "cancel", T.CANCELLED, None),
    )
)


class IllegalTransition(Exception):
    """The action is not allowed from the object's current state (HTTP 409)."""

    def __init__(self, obj, action: str, message: str | None = None):
        self.obj = obj
        self.action = action
        super().__init__(
            message
            or _("当前状态为“%(state)s”,不能执行“%(action)s”。")
            % {"state": obj.get_status_display(), "action": action_label(action)}
        )


# Lazy: read in the language of each request, not of the process that imported the module.
ACTION_LABELS = {
    "submit": gettext_lazy("提交"),
    "resubmit": gettext_lazy("补正后重新提交"),
    "accept": gettext_lazy("受理"),
    "accept_with_gaps": gettext_lazy("容缺受理"),
    "request_correction": gettext_lazy("一次性告知补正"),
    "refuse": gettext_lazy("不予受理"),
    "conclude": gettext_lazy("办结"),
    "deliver": gettext_lazy("统一出件"),
    "withdraw": gettext_lazy("撤回"),
    "cancel": gettext_lazy("作废"),
    "release": gettext_lazy("启动审查"),
    "claim": gettext_lazy("认领"),
    "approve": gettext_lazy("准予许可"),
    "approve_on_pledge": gettext_lazy("告知承诺准予许可"),
    "reject": gettext_lazy("不予许可"),
    "request_supplement": gettext_lazy("要求补充材料"),
    "answer_supplement": gettext_lazy("答复补充材料"),
    "reassign": gettext_lazy("改派"),
    "extend": gettext_lazy("延长期限"),
    "skip": gettext_lazy("不予办理(前置未通过)"),
}


def action_label(action: str) -> str:
    return str(ACTION_LABELS.get(action, action))


def _table_for(obj) -> tuple[Transition, ...]:
    if isinstance(obj, Application):
        return APPLICATION_TRANSITIONS
    if isinstance(obj, ReviewTask):
        return TASK_TRANSITIONS
    raise TypeError(f"no state machine for {type(obj).__name__}")


def find(obj, action: str) -> Transition | None:
    return next((row for row in _table_for(obj) if row.source == obj.status and row.action == action), None)


def allowed_actions(obj, user) -> list[str]:
    """The actions `user` may take on `obj` now, by the table alone (services add their own checks)."""
    return [
        row.action
        for row in _table_for(obj)
        if row.source == obj.status and row.permission is not None and user.has_perm(row.permission)
    ]


def check(obj, action: str, user) -> Transition:
    """Return the row that allows `action` on `obj` by `user`, or raise IllegalTransition / PermissionDenied.

    `user` None is the platform itself, which may take any row; a row without permission is the platform's
    alone.
    """
    row = find(obj, action)
    if row is None:
        raise IllegalTransition(obj, action)
    if user is not None:
        if row.permission is None:
            raise PermissionDenied(
                _("“%(action)s”由系统自动执行,不能手动操作。") % {"action": action_label(action)}
            )
        if not user.has_perm(row.permission):
            raise PermissionDenied(_("您没有“%(action)s”的权限。") % {"action": action_label(action)})
    return row


def apply(obj, action: str, user) -> tuple[str, str]:
    """Check the row and move `obj` to its target state (the caller saves); return (before, after)."""
    row = check(obj, action, user)
    before = obj.status
    obj.status = row.target
    return before, row.target
