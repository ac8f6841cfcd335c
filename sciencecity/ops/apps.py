from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OpsConfig(AppConfig):
    """Operations: health, metrics, logs, read replicas, database outages, restore checks, fault injection."""

    name = "sciencecity.ops"
    verbose_name = _("运行维护")

    def ready(self):
        from . import metrics, recovery, tasks  # noqa: F401 - their task signal receivers (recovery: its duty too)
