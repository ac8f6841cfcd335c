from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

ACTIONS = {
    "interactions.record": pgettext_lazy("audit", "登记政商交往"),
    "interactions.confirm": pgettext_lazy("audit", "企业确认交往登记"),
    "interactions.dispute": pgettext_lazy("audit", "企业对交往登记提出异议"),
    "interactions.finding": pgettext_lazy("audit", "提出监督意见"),
    "interactions.event_record": pgettext_lazy("audit", "登记服务活动"),
    "interactions.event_participant": pgettext_lazy("audit", "添加活动参加者"),
    "interactions.event_demand": pgettext_lazy("audit", "登记活动中的企业诉求"),
    "interactions.event_outcome": pgettext_lazy("audit", "记录活动成果"),
    "interactions.event_cancel": pgettext_lazy("audit", "取消服务活动"),
}


def interaction_action_name(action: str) -> str | None:
    return str(ACTIONS[action]) if action in ACTIONS else None


class InteractionsConfig(AppConfig):
    name = "sciencecity.interactions"
    verbose_name = _("政商交往登记")

    def ready(self):
        from sciencecity.audit import labels

        from . import notifications, workbench  # noqa: F401 - the card and the menu entry
        from .service_events import notifications as event_notifications
        from .service_events import workbench as event_workbench  # noqa: F401 - card, menu entry, file section

        notifications.register()
        event_notifications.register()
        labels.register(interaction_action_name)
