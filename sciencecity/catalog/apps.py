from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CatalogConfig(AppConfig):
    name = "sciencecity.catalog"
    verbose_name = _("事项目录")

    def ready(self):
        from sciencecity.audit import labels

        from .powers.services import power_action_name

        labels.register(power_action_name)
