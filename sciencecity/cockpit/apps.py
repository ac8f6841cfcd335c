from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

ACTIONS = {
    "cockpit.request_report": pgettext_lazy("audit", "申请生成园区月度报告"),
    "cockpit.generate_report": pgettext_lazy("audit", "生成园区月度报告"),
}


def cockpit_action_name(action: str) -> str | None:
    return str(ACTIONS[action]) if action in ACTIONS else None


class CockpitConfig(AppConfig):
    name = "sciencecity.cockpit"
    verbose_name = _("领导驾驶舱")

    def ready(self):
        from sciencecity.audit import labels
        from sciencecity.workflow.duties import morning_duty, refresh_duty

        from . import services, snapshots, workbench  # noqa: F401 - the card and the menu entry

        labels.register(cockpit_action_name)
        refresh_duty("cockpit")(lambda: snapshots.refresh())
        morning_duty("cockpit_report")(lambda: services.first_working_day_report())
