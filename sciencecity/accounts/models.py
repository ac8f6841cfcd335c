"""People: users, departments and the roles they hold.

Staff belong to a department; enterprise applicants belong to an enterprise. Roles are Django groups whose
names are the stable codes of `roles.ROLES`, so code can ask `user.has_role("window_clerk")` and
permissions stay editable in the admin.
"""

from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.utils.translation import get_language, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from .scoping import ScopedQuerySet, sees_everything


class DepartmentQuerySet(ScopedQuerySet):
    def for_user(self, user):
        # Which department handles what is public information (the bundle guide names them).
        return self.filter(is_active=True) if not sees_everything(user) else self.all()


class Department(models.Model):
    class Kind(models.TextChoices):
        GOVERNMENT = "government", _("政府部门")
        WINDOW = "window", _("综合服务窗口")
        UTILITY = "utility", _("公用事业单位")

    code = models.SlugField(_("编码"), max_length=40, unique=True)
    name = models.CharField(_("名称"), max_length=100)
    name_en = models.CharField(_("英文名称"), max_length=150, blank=True)
    kind = models.CharField(_("类型"), max_length=20, choices=Kind.choices, default=Kind.GOVERNMENT)
    is_active = models.BooleanField(_("启用"), default=True)

    objects = DepartmentQuerySet.as_manager()

    class Meta:
        verbose_name = _("部门")
        verbose_name_plural = pgettext_lazy("plural", "部门")
        ordering = ["code"]

    def __str__(self):
        return self.display_name

    @property
    def display_name(self) -> str:
        """The name in the active language; data are entered in Chinese, English is optional."""
        if self.name_en and (get_language() or "").startswith("en"):
            return self.name_en
        return self.name


class UserQuerySet(ScopedQuerySet):
    def for_user(self, user):
        if sees_everything(user) or user.has_role("administrator"):
            return self.all()
        if user.is_authenticated and user.department_id and user.has_role("department_head"):
            return self.filter(department_id=user.department_id)
        if user.is_authenticated:
            return self.filter(pk=user.pk)
        return self.none()


class ScopedUserManager(UserManager.from_queryset(UserQuerySet)):
    pass


class User(AbstractUser):
    """A person who logs in: civil servant or enterprise applicant."""

    display_name = models.CharField(_("姓名"), max_length=60, blank=True)
    phone = models.CharField(_("手机号"), max_length=20, blank=True)
    department = models.ForeignKey(
        Department,
        verbose_name=_("所属部门"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="members",
    )
    enterprise = models.ForeignKey(
        "enterprises.Enterprise",
        verbose_name=_("所属企业"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="members",
    )
    # The subject (`sub`) of the zone's identity provider (统一身份认证) for a user who logs in through it: the
    # one stable key of single sign-on (`accounts.oidc`). Empty for local accounts, which SSO never touches.
    oidc_subject = models.CharField(
        _("统一身份认证标识"),
        max_length=255,
        unique=True,
        null=True,
        blank=True,
        help_text=_("通过统一身份认证登录的用户在认证平台的唯一标识(sub);本地账号为空。"),
    )

    objects = ScopedUserManager()

    class Meta:
        verbose_name = _("用户")
        verbose_name_plural = pgettext_lazy("plural", "用户")

    def __str__(self):
        return self.display_name or self.get_full_name() or self.username

    def role_codes(self) -> frozenset[str]:
        """The codes of the roles this user holds, read once per request-lived object (with the user's
        permissions, in the same statement: `accounts.backends.load_access`)."""
        if not self.is_authenticated:
            return frozenset()
        cached = getattr(self, "_role_codes", None)
        if cached is None:
            from .backends import load_access

            load_access(self)
            cached = self._role_codes
        return cached

    def has_role(self, code: str) -> bool:
        return code in self.role_codes() or (code == "administrator" and self.is_superuser)
