from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProblemsConfig(AppConfig):
    name = "sciencecity.problems"
    verbose_name = _("问题闭环")

    def ready(self):
        from sciencecity.audit import labels
        from sciencecity.workdays import recount

        from .provisional import KIND
        from .transitions import problems_action_name  # also registers the state machine with the core

        labels.register(problems_action_name)
        recount.register(KIND)

        from . import notifications, workbench  # noqa: F401  (workbench: registers its cards and menu entries)

        notifications.register()
