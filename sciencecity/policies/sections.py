"""The policies' section of the enterprise file: the policies in force the enterprise qualifies for, and how
many more need its file completed."""

from django.urls import reverse
from django.utils.translation import gettext as _

from sciencecity.enterprises.sections import Row, Section, section
from sciencecity.workdays import clock

from .models import Claim, PolicyMatch
from .services.matching import in_force

SHOWN = 10


@section(40)
def policies_section(user, enterprise):
    matches = (
        PolicyMatch.objects.for_user(user)
        .filter(
            enterprise=enterprise, verdict__in=(PolicyMatch.Verdict.ELIGIBLE, PolicyMatch.Verdict.UNKNOWN)
        )
        .filter(policy__in=in_force(clock.today()))
        .select_related("policy")
        .order_by("verdict", "policy__area", "policy__code")
    )
    rows = [
        Row(
            match.policy.title,
            reverse("policies:detail", args=[match.policy.code]),
            str(match.get_verdict_display()),
        )
        for match in matches[:SHOWN]
    ]
    return Section(
        key="policies",
        title=_("可享受的惠企政策"),
        rows=rows,
        more_url=reverse("policies:list") if user.enterprise_id == enterprise.pk else "",
        empty=_("按企业档案,暂无符合条件或待补全资料的有效政策。"),
    )


@section(41)
def claims_section(user, enterprise):
    """The enterprise's policy payouts (兑现申请), for those who may read them."""
    rows = list(
        Claim.objects.for_user(user)
        .filter(enterprise=enterprise)
        .select_related("policy")
        .order_by("-created_at")[:SHOWN]
    )
    if not rows:
        return None
    return Section(
        key="claims",
        title=_("政策兑现"),
        rows=[
            Row(
                f"{claim.number} {claim.policy.title}",
                reverse("policies:claim", args=[claim.pk]),
                f"{claim.get_status_display()} · {claim.approved_amount if claim.approved_amount is not None else claim.amount}",
            )
            for claim in rows
        ],
        more_url=reverse("policies:claims") if user.enterprise_id == enterprise.pk else "",
    )
