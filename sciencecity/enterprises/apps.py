from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EnterprisesConfig(AppConfig):
    name = "sciencecity.enterprises"
    verbose_name = _("企业")

    def ready(self):
        from sciencecity.audit import labels

        from . import workbench  # noqa: F401  (registers the menu entry)
        from .labels import enterprises_action_name

        labels.register(enterprises_action_name)
