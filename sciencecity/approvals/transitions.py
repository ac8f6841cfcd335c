"""The state machines of bundled approval: one literal table each (ARCHITECTURE.md rule 2), on the shared
workflow core (`sciencecity.workflow.transitions`), which reads them: `check`, `apply` and `allowed_actions`
are the core's, re-exported here for the approvals' services and pages.
"""

from django.utils.translation import gettext_lazy

from sciencecity.workflow.transitions import (  # noqa: F401  (the approvals' services call them from here)
    IllegalTransition,
    Transition,
    TransitionTable,
    action_label,
    allowed_actions,
    apply,
    check,
    find,
)

from .models import Application, ReviewTask

A = Application.Status
T = ReviewTask.Status

# Lazy names: read in the language of each request, not of the process that imported the module.
APPLICATION_TRANSITIONS = TransitionTable(
    Application,
    rows=(
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
    ),
    labels={
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
    },
)

TASK_TRANSITIONS = TransitionTable(
    ReviewTask,
    rows=(
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
    ),
    labels={
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
    },
)
