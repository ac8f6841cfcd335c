"""What the inbox puts on the workbench (工作台) and in the main menu, for everyone signed in (registered with
`accounts.workbench` in `NotificationsConfig.ready`)."""

from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from sciencecity.accounts.workbench import MenuEntry, card, menu_entry
from sciencecity.accounts.workbench import count as _count

from .selectors import unread_by_kind, unread_count

WORKBENCH_NOTIFICATION_KINDS = 3


@card(90)
def notifications_card(user):
    """The unread notifications: how many, and the kinds with the most of them, each linking to that kind's
    unread ones (one GROUP BY on notifications_kind_idx)."""
    page = reverse("notifications:inbox")
    groups = unread_by_kind(user)
    biggest = sorted(groups, key=lambda group: (-group.unread, group.kind))[:WORKBENCH_NOTIFICATION_KINDS]
    return {
        "title": pgettext("plural", "通知"),
        "url": page,
        "description": _("与您有关的办件动态和提醒,按类型归组,可一次将一类标为已读。"),
        "counts": [
            _count(_("未读"), sum(group.unread for group in groups), page if groups else ""),
            *(
                _count(
                    group.label, group.unread, f"{page}?{urlencode({'kind': group.kind, 'state': 'unread'})}"
                )
                for group in biggest
            ),
        ],
    }


@menu_entry(70)
def notifications_entry(user):
    if not user.is_authenticated:
        return None
    return MenuEntry(
        pgettext("plural", "通知"), reverse("notifications:inbox"), badge=lambda: unread_count(user)
    )
