"""The fund's portfolio ledger: what was committed, disbursed, converted, repaid and written off, and what is
outstanding — sums over the investments and their tranches in a fixed number of queries; and the repayments
that come due."""

import datetime
from decimal import Decimal

from django.db.models import Count, Q, Sum

from .models import Investment, Tranche

ZERO = Decimal("0")
DUE_WITHIN_DAYS = 90


def portfolio(user, today: datetime.date) -> dict:
    investments = Investment.objects.for_user(user)
    ended = (Investment.Status.CONVERTED, Investment.Status.REPAID, Investment.Status.WRITTEN_OFF)
    sums = investments.aggregate(
        committed=Sum("amount", filter=Q(status=Investment.Status.INVESTED) | Q(status__in=ended)),
        converted=Sum("converted"),
        repaid=Sum("repaid"),
        written_off=Sum("written_off"),
        active=Count("id", filter=Q(status=Investment.Status.INVESTED)),
        pending=Count(
            "id",
            filter=Q(
                status__in=(
                    Investment.Status.APPLIED,
                    Investment.Status.DUE_DILIGENCE,
                    Investment.Status.COMMITTEE,
                )
            ),
        ),
    )
    disbursed = Tranche.objects.filter(investment__in=investments, status=Tranche.Status.DISBURSED).aggregate(
        total=Sum("amount")
    )["total"]
    figures = {key: value if value is not None else ZERO for key, value in sums.items()}
    figures["disbursed"] = disbursed or ZERO
    figures["outstanding"] = (
        figures["disbursed"] - figures["converted"] - figures["repaid"] - figures["written_off"]
    )
    figures["due_soon"] = list(
        investments.filter(
            status=Investment.Status.INVESTED,
            repayment_date__lte=today + datetime.timedelta(days=DUE_WITHIN_DAYS),
        )
        .select_related("enterprise")
        .order_by("repayment_date")[:20]
    )
    return figures
