from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProjectsConfig(AppConfig):
    name = "sciencecity.projects"
    verbose_name = _("科产项目")

    def ready(self):
        from . import workbench  # noqa: F401  (registers the role's workbench card)
