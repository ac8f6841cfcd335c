from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "sciencecity.notifications"
    verbose_name = _("通知")

    def ready(self):
        from . import workbench  # noqa: F401  (registers the notifications card and menu entry)
