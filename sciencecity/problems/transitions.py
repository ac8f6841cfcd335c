"""The problem state machine: one literal table on the shared workflow core (ARCHITECTURE.md rule 2).

reported → dispatched (by the routing rules, or by the dispatch centre when none matches) → accepted by the
department (rectifying), or returned with a reason to the dispatch centre and dispatched again → rectified
with evidence → verified: passed → closed, failed → rectifying again (a rework). A closed problem may be
reopened by its reporter for a while. The dispatch centre merges a duplicate into another problem, splits one
into sub-problems for several departments (the parent closes with its last child), or dismisses a report
that is no problem. Who may verify a category's problems, and who may reopen, the services check beside the
table (`services.lifecycle`); the permission here is the least one needs, and a reporter's own steps (verifying
as the category's verifier, reopening, rating) are taken by the platform on their behalf once the service has
checked who they are: a citizen's account holds no role.
"""

from django.utils.translation import gettext_lazy

from sciencecity.workflow.transitions import TransitionTable

from .models import Problem

S = Problem.Status
DISPATCH = "problems.dispatch_problem"
HANDLE = "problems.handle_problem"
VIEW = "problems.view_problem"
REPORT = "problems.report_problem"

PROBLEM_TRANSITIONS = TransitionTable(
    Problem,
    rows=(
        (S.REPORTED, "route", S.DISPATCHED, None),
        (S.REPORTED, "dispatch", S.DISPATCHED, DISPATCH),
        (S.RETURNED, "dispatch", S.DISPATCHED, DISPATCH),
        (S.DISPATCHED, "accept", S.RECTIFYING, HANDLE),
        (S.DISPATCHED, "return", S.RETURNED, HANDLE),
        (S.RECTIFYING, "progress", S.RECTIFYING, HANDLE),
        (S.RECTIFYING, "plan_long_term", S.RECTIFYING, HANDLE),
        (S.RECTIFYING, "rectify", S.RECTIFIED, HANDLE),
        (S.RECTIFIED, "pass", S.CLOSED, VIEW),
        (S.RECTIFIED, "fail", S.RECTIFYING, VIEW),
        (S.CLOSED, "reopen", S.RECTIFYING, VIEW),
        (S.CLOSED, "rate", S.CLOSED, VIEW),
        (S.REPORTED, "merge", S.MERGED, DISPATCH),
        (S.RETURNED, "merge", S.MERGED, DISPATCH),
        (S.DISPATCHED, "merge", S.MERGED, DISPATCH),
        (S.REPORTED, "split", S.SPLIT, DISPATCH),
        (S.RETURNED, "split", S.SPLIT, DISPATCH),
        (S.SPLIT, "close_split", S.CLOSED, None),
        (S.REPORTED, "dismiss", S.DISMISSED, DISPATCH),
        (S.RETURNED, "dismiss", S.DISMISSED, DISPATCH),
    ),
    labels={
        "route": gettext_lazy("按规则派遣"),
        "dispatch": gettext_lazy("派遣"),
        "accept": gettext_lazy("签收"),
        "return": gettext_lazy("退回"),
        "progress": gettext_lazy("报送进展"),
        "plan_long_term": gettext_lazy("列为长期整改"),
        "rectify": gettext_lazy("整改完成"),
        "pass": gettext_lazy("核查通过"),
        "fail": gettext_lazy("核查不通过"),
        "reopen": gettext_lazy("重新打开"),
        "rate": gettext_lazy("评价"),
        "merge": gettext_lazy("合并"),
        "split": gettext_lazy("拆分"),
        "close_split": gettext_lazy("子问题全部办结"),
        "dismiss": gettext_lazy("不予受理"),
    },
)

# Steps recorded in the audit trail that are not rows of the table.
OTHER_ACTIONS = {
    "report": gettext_lazy("报告问题"),
    "warn": gettext_lazy("临期预警"),
    "escalate": gettext_lazy("超期督办"),
    "recount_due_date": gettext_lazy("期限按正式日历调整"),
}


def problems_action_name(action: str) -> str | None:
    """The name of an audited problem action ("problems.accept"), for the audit trail; None for others."""
    app, _dot, name = action.partition(".")
    if app != "problems":
        return None
    if name in OTHER_ACTIONS:
        return str(OTHER_ACTIONS[name])
    return PROBLEM_TRANSITIONS.label(name)


def step_name(action: str) -> str:
    """The name of a timeline event's action (`ProblemEvent.action`)."""
    return problems_action_name(f"problems.{action}") or action
