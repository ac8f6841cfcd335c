"""Party building's workbench card and menu entry: an officer's organizations and their members, a member's
own organization; the tree, teams and alliances for civil servants."""

from django.urls import reverse
from django.utils.translation import gettext as _

from sciencecity.accounts.workbench import MenuEntry, card, count, menu_entry

from . import selectors
from .models import PartyMember, reads_party


@menu_entry(58)
def party_entry(user):
    if not reads_party(user):
        return None
    return MenuEntry(_("党建引领"), reverse("party:home"))


@card(70)
def party_card(user):
    if not user.is_authenticated or not (user.has_perm("partybuilding.keep_party") or reads_party(user)):
        return None
    kept = list(selectors.kept_organizations(user)[:3])
    own = PartyMember.objects.filter(user=user).select_related("organization").first()
    if not kept and own is None and "party_officer" not in user.role_codes():
        return None
    counts = selectors.subtree_member_counts(kept)
    if kept:
        description = _("您管理的党组织、党员、红岩先锋队、党建联盟和组织生活;成效由平台记录自动计算。")
    elif own is not None:
        description = _("您所在的党组织:%(organization)s。") % {"organization": own.organization.name}
    else:
        description = _(
            "您还没有党务职务,请上级党组织任命后管理组织和党员;现在可以查看组织体系、先锋队和联盟。"
        )
    return {
        "title": _("党建工作"),
        "url": reverse("party:home"),
        "description": description,
        "counts": [
            count(
                _("%(organization)s党员") % {"organization": organization.name},
                counts[organization.pk],
                reverse("party:organization", args=[organization.pk]),
            )
            for organization in kept
        ],
    }
