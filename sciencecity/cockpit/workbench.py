"""The cockpit on the workbench and in the main menu, for those who read the whole zone."""

from django.urls import reverse
from django.utils.translation import gettext as _

from sciencecity.accounts.workbench import MenuEntry, card, menu_entry

from .access import reads_cockpit


@card(35)
def cockpit_card(user):
    if not reads_cockpit(user):
        return None
    return {
        "title": _("领导驾驶舱"),
        "url": reverse("cockpit:board"),
        "description": _(
            "全区审批、重点项目、问题闭环、惠企服务和党建引领的主要指标,可逐项查看明细;园区月度报告。"
        ),
        "counts": [],
    }


@menu_entry(55)
def cockpit_entry(user):
    if user.is_authenticated and reads_cockpit(user):
        return MenuEntry(_("领导驾驶舱"), reverse("cockpit:board"))
    return None
