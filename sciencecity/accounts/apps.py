from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "sciencecity.accounts"
    verbose_name = _("用户与部门")

    def ready(self):
        from . import (
            signals,  # noqa: F401  (creates the role groups after migrate)
            workbench,  # noqa: F401  (the landing page's own card and menu entry)
        )
