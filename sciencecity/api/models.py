"""Tokens that programs sign in with, and the answers remembered for `Idempotency-Key`.

A token's secret is shown once, when it is created; only its SHA-256 is stored, so a copy of the database
does not let anyone call the API. Revoking keeps the row (and its audit trail) and stops it at once.
"""

import hashlib
import secrets

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from sciencecity.accounts.scoping import ScopedQuerySet

TOKEN_PREFIX = "sc_"


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def new_secret() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


class ApiTokenQuerySet(ScopedQuerySet):
    def for_user(self, user):
        """Administrators see every token; everyone else their own."""
        if not user.is_authenticated:
            return self.none()
        if user.has_perm("api.revoke_apitoken"):
            return self.all()
        return self.filter(user=user)

    def active(self):
        return self.filter(revoked_at__isnull=True)


class ApiToken(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("用户"), on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(_("用途"), max_length=100, help_text=_("例如:省政务服务平台对接"))
    key_hash = models.CharField(_("密钥摘要"), max_length=64, unique=True, editable=False)
    hint = models.CharField(_("密钥开头"), max_length=12, editable=False)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("创建人"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    last_used_at = models.DateTimeField(_("最近使用"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("吊销时间"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("吊销人"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        verbose_name = _("接口令牌")
        verbose_name_plural = pgettext_lazy("plural", "接口令牌")
        ordering = ["-created_at"]
        permissions = [("revoke_apitoken", _("可以吊销任何用户的接口令牌"))]

    def __str__(self):
        return f"{self.name} ({self.hint}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class IdempotencyRecord(models.Model):
    """The answer given to a creating request sent with an `Idempotency-Key`, replayed when it comes again.

    Keys belong to a user: two callers may pick the same key without seeing each other's answers."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    method = models.CharField(max_length=10)
    path = models.CharField(max_length=500)
    fingerprint = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField()
    body = models.JSONField(null=True, encoder=DjangoJSONEncoder)
    location = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("幂等请求记录")
        verbose_name_plural = pgettext_lazy("plural", "幂等请求记录")
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="api_idempotency_user_key")]

    def __str__(self):
        return f"{self.method} {self.path} [{self.key}]"
