from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProjectsConfig(AppConfig):
    name = "sciencecity.projects"
    verbose_name = _("科产项目")

    def ready(self):
        from sciencecity.audit import labels

        from . import notices, workbench  # noqa: F401  (workbench: registers the role's card)
        from .labels import projects_action_name, register_trail_readings

        labels.register(projects_action_name)
        register_trail_readings()
        notices.register()
