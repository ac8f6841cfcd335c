"""Chinese names for third-party apps in the admin (their models' names are in locale/zh_Hans)."""

from axes.apps import AppConfig as AxesAppConfig
from django.utils.translation import gettext_lazy as _
from django_tasks_db.apps import TasksAppConfig


class LoginProtectionConfig(AxesAppConfig):
    verbose_name = _("登录保护")


class BackgroundTasksConfig(TasksAppConfig):
    verbose_name = _("后台任务")
