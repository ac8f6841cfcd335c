from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "sciencecity.accounts"
    verbose_name = _("用户与部门")

    def ready(self):
        from sciencecity.audit import labels

        from . import (
            signals,  # noqa: F401  (creates the role groups after migrate)
            workbench,  # noqa: F401  (the landing page's own card and menu entry)
        )
        from .oidc import accounts_action_name  # also registers the single sign-on settings' checks

        labels.register(accounts_action_name)
