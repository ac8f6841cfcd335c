"""What the problem's steps tell whom, through the platform's notifications (addressed to the problem; each
reader's link is resolved by role, see `problems.links`). Texts are composed inside `compose` so that each
is written in Chinese and in English."""

from django.db import models
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from sciencecity.notifications.services import notify
from sciencecity.workdays.display import deadline_text

from . import people


class ProblemNoticeKind(models.TextChoices):
    """The kinds of problem notification, each with the name its group has on the notifications page."""

    PROBLEM_WAITING = "problem_waiting", gettext_lazy("问题待派遣")
    PROBLEM_DISPATCHED = "problem_dispatched", gettext_lazy("新派遣问题")
    PROBLEM_RETURNED = "problem_returned", gettext_lazy("问题被退回")
    PROBLEM_RECTIFIED = "problem_rectified", gettext_lazy("问题待核查")
    PROBLEM_VERIFIED = "problem_verified", gettext_lazy("问题核查结果")
    PROBLEM_REOPENED = "problem_reopened", gettext_lazy("问题被重新打开")
    PROBLEM_MERGED = "problem_merged", gettext_lazy("问题已合并")
    PROBLEM_DISMISSED = "problem_dismissed", gettext_lazy("问题不予受理")
    PROBLEM_LONG_TERM = "problem_long_term", gettext_lazy("列为长期整改")
    PROBLEM_DUE_SOON = "problem_due_soon", gettext_lazy("问题临期预警")
    PROBLEM_ESCALATED = "problem_escalated", gettext_lazy("问题超期督办")


K = ProblemNoticeKind


def _name(problem) -> str:
    return f"{problem.number}「{problem.title}」"


def waiting_for_dispatch(problem) -> None:
    notify(
        people.dispatchers(),
        K.PROBLEM_WAITING,
        lambda: (
            _("问题 %(p)s 待派遣") % {"p": problem.number},
            _("“%(category)s”类问题%(p)s没有匹配的派遣规则,请指定责任部门。")
            % {"category": problem.category.display_name, "p": _name(problem)},
        ),
        about=problem,
    )


def dispatched(problem) -> None:
    notify(
        people.department_people(problem.department_id),
        K.PROBLEM_DISPATCHED,
        lambda: (
            _("新派遣问题 %(p)s") % {"p": problem.number},
            _("%(p)s已派遣至本部门,请签收;办理期限 %(due)s。")
            % {"p": _name(problem), "due": deadline_text(problem.due_date, problem.due_date_provisional)},
        ),
        about=problem,
    )


def returned(problem, reason: str) -> None:
    notify(
        people.dispatchers(),
        K.PROBLEM_RETURNED,
        lambda: (
            _("问题 %(p)s 被退回") % {"p": problem.number},
            _("%(department)s退回了%(p)s:%(reason)s")
            % {"department": problem.department.display_name, "p": _name(problem), "reason": reason},
        ),
        about=problem,
    )


def rectified(problem) -> None:
    from .lifecycle import verifier_of  # the verifier rule lives with the verification it governs

    verifier = verifier_of(problem)
    if verifier == "reporter":
        recipients = people.reporters(problem)
    elif verifier == "inspector":
        recipients = people.inspectors()
    else:
        recipients = people.dispatchers()
    notify(
        recipients,
        K.PROBLEM_RECTIFIED,
        lambda: (
            _("问题 %(p)s 已整改,待核查") % {"p": problem.number},
            _("%(department)s报告%(p)s已整改完成,请核查。")
            % {"department": problem.department.display_name, "p": _name(problem)},
        ),
        about=problem,
    )


def verified(problem, passed: bool, note: str) -> None:
    if passed:
        recipients = [*people.reporters(problem), *people.department_people(problem.department_id)]
    else:
        recipients = people.department_people(problem.department_id)
    notify(
        recipients,
        K.PROBLEM_VERIFIED,
        lambda: (
            (_("问题 %(p)s 已办结") if passed else _("问题 %(p)s 核查未通过")) % {"p": problem.number},
            (
                _("%(p)s经核查已整改到位,问题办结。") % {"p": _name(problem)}
                if passed
                else _("%(p)s核查未通过,请继续整改:%(note)s") % {"p": _name(problem), "note": note}
            ),
        ),
        about=problem,
    )


def reopened(problem, reason: str) -> None:
    notify(
        people.department_people(problem.department_id),
        K.PROBLEM_REOPENED,
        lambda: (
            _("问题 %(p)s 被重新打开") % {"p": problem.number},
            _("报告人重新打开了%(p)s:%(reason)s;新的办理期限 %(due)s。")
            % {
                "p": _name(problem),
                "reason": reason,
                "due": deadline_text(problem.due_date, problem.due_date_provisional),
            },
        ),
        about=problem,
    )


def merged(problem, into) -> None:
    notify(
        people.reporters(problem),
        K.PROBLEM_MERGED,
        lambda: (
            _("问题 %(p)s 已合并") % {"p": problem.number},
            _("您报告的%(p)s与%(into)s是同一问题,已合并办理,请关注后者的进展。")
            % {"p": _name(problem), "into": _name(into)},
        ),
        about=into,
    )


def dismissed(problem, reason: str) -> None:
    notify(
        people.reporters(problem),
        K.PROBLEM_DISMISSED,
        lambda: (
            _("问题 %(p)s 不予受理") % {"p": problem.number},
            _("%(p)s不予受理:%(reason)s") % {"p": _name(problem), "reason": reason},
        ),
        about=problem,
    )


def planned_long_term(problem) -> None:
    notify(
        [*people.dispatchers(), *people.reporters(problem)],
        K.PROBLEM_LONG_TERM,
        lambda: (
            _("问题 %(p)s 列为长期整改") % {"p": problem.number},
            _("%(p)s列为长期整改,期限 %(due)s:%(plan)s")
            % {"p": _name(problem), "due": deadline_text(problem.due_date), "plan": problem.long_term_plan},
        ),
        about=problem,
    )


def due_soon(problem) -> None:
    notify(
        people.department_people(problem.department_id),
        K.PROBLEM_DUE_SOON,
        lambda: (
            _("问题 %(p)s 临近期限") % {"p": problem.number},
            _("%(p)s将于 %(due)s 到期,请抓紧办理。")
            % {"p": _name(problem), "due": deadline_text(problem.due_date, problem.due_date_provisional)},
        ),
        about=problem,
        dedupe_key=f"problem-due-soon:{problem.pk}:{problem.due_date:%Y%m%d}",
    )


def escalated(problem) -> None:
    notify(
        [*people.leaders(), *people.department_heads(problem.department_id), *people.dispatchers()],
        K.PROBLEM_ESCALATED,
        lambda: (
            _("超期督办:问题 %(p)s") % {"p": problem.number},
            _("%(department)s办理的%(p)s已超过期限 %(due)s,列入督办。")
            % {
                "department": problem.department.display_name if problem.department_id else "-",
                "p": _name(problem),
                "due": deadline_text(problem.due_date, problem.due_date_provisional),
            },
        ),
        about=problem,
        dedupe_key=f"problem-escalated:{problem.pk}:{problem.due_date:%Y%m%d}",
    )
