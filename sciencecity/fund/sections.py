"""The fund's section of the enterprise file: its invest-first cases, for those who may read them."""

from django.urls import reverse
from django.utils.translation import gettext as _

from sciencecity.enterprises.sections import Row, Section, section

from .models import Investment


@section(45)
def fund_section(user, enterprise):
    rows = Investment.objects.for_user(user).filter(enterprise=enterprise).order_by("-applied_at")[:10]
    rows = list(rows)
    if not rows and not (user.enterprise_id == enterprise.pk and user.has_perm("fund.apply_fund")):
        return None
    return Section(
        key="fund",
        title=_("先投后股"),
        rows=[
            Row(
                f"{row.number} {row.title}",
                reverse("fund:investment", args=[row.pk]),
                str(row.get_status_display()),
            )
            for row in rows
        ],
        more_url=reverse("fund:list"),
        empty=_("尚无先投后股项目。"),
    )
