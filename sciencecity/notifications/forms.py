"""The notifications page's filters: one kind (any registered kind) and read or unread."""

from django import forms
from django.utils.translation import gettext_lazy as _

from . import kinds
from .models import Notification

UNREAD, READ, ALL = "unread", "read", "all"
STATE_CHOICES = [(UNREAD, _("未读")), (READ, _("已读")), (ALL, _("全部"))]
KIND_MAX_LENGTH = Notification._meta.get_field("kind").max_length


class NotificationFilterForm(forms.Form):
    kind = forms.ChoiceField(label=_("类型"), required=False)
    state = forms.ChoiceField(label=_("状态"), choices=STATE_CHOICES, required=False)

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "filter_%s")
        super().__init__(*args, **kwargs)
        choices = [("", _("全部类型")), *kinds.choices()]
        asked = self.data.get("kind", "") if self.is_bound else ""
        if asked and asked not in kinds.values() and len(asked) <= KIND_MAX_LENGTH:
            # A kind the platform no longer sends (or not yet named): still a filter, under the "other" name.
            choices.append((asked, kinds.kind_label(asked)))
        self.fields["kind"].choices = choices
