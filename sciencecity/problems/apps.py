from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProblemsConfig(AppConfig):
    name = "sciencecity.problems"
    verbose_name = _("问题闭环")

    def ready(self):
        from sciencecity.audit import labels
        from sciencecity.workdays import recount

        from .provisional import KIND
        from .rivers import notices as river_notices
        from .transitions import problems_action_name  # also registers the state machine with the core

        river_notices.register()  # before the problems' namer: the rivers' audited actions are problems.*
        labels.register(problems_action_name)
        recount.register(KIND)

        from . import notifications, workbench  # noqa: F401  (workbench: registers its cards and menu entries)
        from .rivers import workbench as river_workbench  # noqa: F401  (registers its card)

        notifications.register()
