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


def register() -> None:
    kinds.register(FundNoticeKind)
    subjects.register(Investment, queryset=Investment.objects.only("id", "number"))


def task_force():
    """The fund's task force: active users holding `fund.manage_fund` through a role or themselves."""
    return (
        get_user_model()
        .objects.filter(is_active=True)
        .filter(
            Q(user_permissions__codename="manage_fund", user_permissions__content_type__app_label="fund")
            | Q(
                groups__permissions__codename="manage_fund",
                groups__permissions__content_type__app_label="fund",
            )
        )
        .distinct()
    )


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
