"""The policies' section of the enterprise file: the policies in force the enterprise qualifies for, and how
many more need its file completed."""

from django.urls import reverse
from django.utils.translation import gettext as _

from sciencecity.enterprises.sections import Row, Section, section
from sciencecity.workdays import clock

from .models import PolicyMatch
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
