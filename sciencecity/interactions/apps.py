from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

ACTIONS = {
    "interactions.record": pgettext_lazy("audit", "登记政商交往"),
    "interactions.confirm": pgettext_lazy("audit", "企业确认交往登记"),
    "interactions.dispute": pgettext_lazy("audit", "企业对交往登记提出异议"),
    "interactions.finding": pgettext_lazy("audit", "提出监督意见"),
}


def interaction_action_name(action: str) -> str | None:
    return str(ACTIONS[action]) if action in ACTIONS else None


class InteractionsConfig(AppConfig):
    name = "sciencecity.interactions"
    verbose_name = _("政商交往登记")

    def ready(self):
        from sciencecity.audit import labels

        from . import notifications, workbench  # noqa: F401 - the card and the menu entry

        notifications.register()
        labels.register(interaction_action_name)
