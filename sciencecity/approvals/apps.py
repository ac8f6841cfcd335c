from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApprovalsConfig(AppConfig):
    name = "sciencecity.approvals"
    verbose_name = _("一件事审批")

    def ready(self):
        from sciencecity.audit import labels
        from sciencecity.workdays import recount

        from .services.provisional import KINDS
        from .views.audit import approvals_action_name, register_trail_readings

        for kind in KINDS:
            recount.register(kind)
        labels.register(approvals_action_name)
        register_trail_readings()

        from . import notifications, workbench  # noqa: F401  (workbench: registers its cards and menu entries)

        notifications.register()
