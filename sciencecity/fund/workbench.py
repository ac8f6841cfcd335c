"""The fund's menu entry: its cases for the task force, the committee and the leaders; an enterprise's own."""

from django.urls import reverse
from django.utils.translation import gettext as _

from sciencecity.accounts.scoping import is_civil_servant, sees_everything
from sciencecity.accounts.workbench import MenuEntry, menu_entry


@menu_entry(56)
def fund_entry(user):
    if not user.is_authenticated:
        return None
    if sees_everything(user) or user.has_perm("fund.manage_fund") or user.has_perm("fund.vote_fund"):
        return MenuEntry(_("先投后股"), reverse("fund:list"))
    if user.enterprise_id and not is_civil_servant(user) and user.has_perm("fund.apply_fund"):
        return MenuEntry(_("先投后股"), reverse("fund:list"))
    return None
