"""What the fund tells people: repayment dates that near. Each working morning (a duty of the deadline scan)
the investments still in force whose repayment date falls within `WARN_DAYS` are announced to the fund's task
force and to the enterprise, once per investment and threshold (90, 30 and 7 days, and the day itself)."""

import datetime

from django.contrib.auth import get_user_model
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from sciencecity.enterprises.selectors import people_of
from sciencecity.notifications import kinds, subjects
from sciencecity.notifications import services as notifications
from sciencecity.workdays import clock
from sciencecity.workflow.duties import morning_duty

from .models import Investment

THRESHOLDS = (90, 30, 7, 0)


class FundNoticeKind(models.TextChoices):
    REPAYMENT_DUE = "fund_repayment_due", gettext_lazy("先投后股还款日临近")
    TO_VOTE = "fund_to_vote", gettext_lazy("先投后股待表决")
    DECIDED = "fund_decided", gettext_lazy("先投后股进展")


def register() -> None:
    kinds.register(FundNoticeKind)
    subjects.register(Investment, queryset=Investment.objects.only("id", "number"))


def committee():
    """The committee: active users holding `fund.vote_fund` through a role or themselves."""
    return _holding("vote_fund")


def task_force():
    """The fund's task force: active users holding `fund.manage_fund` through a role or themselves."""
    return _holding("manage_fund")


def _holding(codename: str):
    return (
        get_user_model()
        .objects.filter(is_active=True)
        .filter(
            Q(user_permissions__codename=codename, user_permissions__content_type__app_label="fund")
            | Q(groups__permissions__codename=codename, groups__permissions__content_type__app_label="fund")
        )
        .distinct()
    )


def tell_committee(investment) -> None:
    """A case put to the committee: each member is asked to vote (inside the action's transaction)."""
    values = {"number": investment.number, "title": investment.title}

    def compose():
        return (
            _("待表决:%(number)s") % values,
            _("先投后股项目“%(title)s”(%(number)s)已提交投委会,请审阅尽职调查报告并表决。") % values,
        )

    notifications.notify(list(committee()), FundNoticeKind.TO_VOTE, compose, about=investment)


def tell_enterprise(investment, event: str) -> None:
    """The enterprise hears of its case's decision, agreement, payments and end."""
    values = {
        "number": investment.number,
        "title": investment.title,
        "status": investment.status,
        "note": investment.decision_note or investment.end_note,
    }

    def compose():
        if event == "disbursed":
            return (
                _("先投后股资金已拨付:%(number)s") % values,
                _("项目“%(title)s”的一个批次已拨付,请在平台查看。") % values,
            )
        label = str(Investment.Status(values["status"]).label)
        return (
            _("先投后股进展:%(number)s") % values,
            _("项目“%(title)s”:%(status)s。%(note)s") % {**values, "status": label},
        )

    people = people_of([investment.enterprise_id]).get(investment.enterprise_id, [])
    notifications.notify(people, FundNoticeKind.DECIDED, compose, about=investment)


@morning_duty("fund_repayments")
def warn_repayments(today: datetime.date | None = None) -> int:
    today = today or clock.today()
    due = Investment.objects.filter(
        status=Investment.Status.INVESTED,
        repayment_date__isnull=False,
        repayment_date__lte=today + datetime.timedelta(days=THRESHOLDS[0]),
    ).select_related("enterprise")
    managers = list(task_force())
    sent = 0
    for investment in due.order_by("repayment_date", "pk"):
        left = (investment.repayment_date - today).days
        threshold = min(days for days in THRESHOLDS if left <= days) if left >= 0 else 0
        values = {
            "number": investment.number,
            "enterprise": investment.enterprise.name,
            "date": investment.repayment_date.isoformat(),
            "days": max(left, 0),
        }

        def compose(values=values, left=left):
            if left < 0:
                return (
                    _("先投后股已过还款日:%(number)s") % values,
                    _("%(enterprise)s的先投后股投资 %(number)s 已过约定还款日 %(date)s,尚未转股或回收。")
                    % values,
                )
            return (
                _("先投后股还款日临近:%(number)s") % values,
                _(
                    "%(enterprise)s的先投后股投资 %(number)s 将于 %(date)s(%(days)s 天后)到约定还款日,如未触发转股请做好回收安排。"
                )
                % values,
            )

        people = [*managers, *people_of([investment.enterprise_id]).get(investment.enterprise_id, [])]
        sent += len(
            notifications.notify(
                people,
                FundNoticeKind.REPAYMENT_DUE,
                compose,
                about=investment,
                dedupe_key=f"fund-repayment-{investment.pk}-{threshold if left >= 0 else 'late'}",
            )
        )
    return sent
