from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApprovalsConfig(AppConfig):
    name = "sciencecity.approvals"
    verbose_name = _("一件事审批")

    def ready(self):
        from sciencecity.workdays import recount

        from .services.provisional import KINDS

        for kind in KINDS:
            recount.register(kind)
