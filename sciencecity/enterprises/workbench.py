"""The enterprise file's menu entry (registered in `EnterprisesConfig.ready`): the zone's enterprises for civil
servants, its own file for an enterprise's people."""

from django.urls import reverse
from django.utils.translation import gettext as _

from sciencecity.accounts.scoping import is_civil_servant
from sciencecity.accounts.workbench import MenuEntry, menu_entry


@menu_entry(57)
def enterprise_entry(user):
    if not user.is_authenticated:
        return None
    if is_civil_servant(user):
        return MenuEntry(_("企业名录"), reverse("enterprises:list"))
    if user.enterprise_id:
        return MenuEntry(_("企业档案"), reverse("enterprises:file", args=[user.enterprise_id]))
    return None
