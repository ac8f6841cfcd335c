"""The register on the workbench and in the main menu: officials record, supervisors see what is flagged,
an enterprise what waits for its confirmation."""

from django.urls import reverse
from django.utils.translation import gettext as _

from sciencecity.accounts.workbench import MenuEntry, card, menu_entry
from sciencecity.accounts.workbench import count as _count
from sciencecity.workflow.paging import capped_count, shown_count

from .models import Interaction

LIST = "interactions:list"


def _reads(user) -> bool:
    return user.is_authenticated and (
        user.has_perm("interactions.record_interaction")
        or user.has_perm("interactions.supervise_interaction")
        or user.has_perm("interactions.respond_interaction")
    )


@card(75)
def interactions_card(user):
    if not _reads(user):
        return None
    records = Interaction.objects.for_user(user)
    counts = []
    if user.has_perm("interactions.supervise_interaction"):
        flagged = capped_count(records.flagged())
        counts.append(_count(_("需关注"), shown_count(flagged), f"{reverse(LIST)}?flagged=on"))
    if user.has_perm("interactions.respond_interaction"):
        pending = capped_count(records.filter(response=Interaction.Response.PENDING))
        counts.append(_count(_("待确认"), shown_count(pending), f"{reverse(LIST)}?response=pending"))
    if user.has_perm("interactions.record_interaction"):
        mine = capped_count(records.filter(official=user))
        counts.append(_count(_("我的登记"), shown_count(mine), f"{reverse(LIST)}?mine=on"))
    return {
        "title": _("政商交往"),
        "url": reverse(LIST),
        "description": _("按政商交往正面清单登记走访、座谈和活动;企业确认;纪检监督查阅。"),
        "counts": counts,
    }


@menu_entry(85)
def interactions_entry(user):
    if _reads(user):
        return MenuEntry(_("政商交往"), reverse(LIST))
    return None
