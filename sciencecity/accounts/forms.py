from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _


class LoginForm(AuthenticationForm):
    """Django's login form, with messages that do not reveal whether the account exists."""

    error_messages = {
        "invalid_login": _("用户名或密码不正确。请注意区分大小写;连续多次失败后账号将被暂时锁定。"),
        "inactive": _("该账号已停用,请联系系统管理员。"),
    }
