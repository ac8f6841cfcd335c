"""The policies' menu entry: "我可享受的政策" for an enterprise's people, "惠企政策" for civil servants."""

from django.urls import reverse
from django.utils.translation import gettext as _

from sciencecity.accounts.scoping import is_civil_servant
from sciencecity.accounts.workbench import MenuEntry, menu_entry


@menu_entry(56)
def policies_entry(user):
    if not user.is_authenticated:
        return None
    if is_civil_servant(user):
        return MenuEntry(_("惠企政策"), reverse("policies:list"))
    if user.enterprise_id:
        return MenuEntry(_("我可享受的政策"), reverse("policies:list"))
    return None
