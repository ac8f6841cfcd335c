"""Creating and revoking API tokens: every change audited (ARCHITECTURE.md rule 1)."""

import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from sciencecity.audit import record
from sciencecity.workflow.errors import fetch_in_scope
from sciencecity.workflow.transitions import IllegalTransition

from .models import ApiToken, hash_secret, new_secret

# How often the "last used" time is written: once a minute is precise enough and spares a write per call.
LAST_USED_RESOLUTION = datetime.timedelta(minutes=1)


def _snapshot(token: ApiToken) -> dict:
    return {
        "user": token.user_id,
        "name": token.name,
        "hint": token.hint,
        "revoked_at": token.revoked_at.isoformat() if token.revoked_at else None,
    }


def create_token(actor, name: str, *, user=None) -> tuple[ApiToken, str]:
    """A new token for `user` (the actor themself by default); returns it with its secret, shown only now.

    Only administrators create tokens for someone else."""
    user = user or actor
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": [ValidationError(_("请填写令牌的用途。"), code="required")]})
    if len(name) > 100:
        raise ValidationError({"name": [ValidationError(_("用途不能超过100个字。"), code="max_length")]})
    if user.pk != actor.pk and not actor.has_perm("api.add_apitoken"):
        raise PermissionDenied(_("只有管理员可以为其他用户创建接口令牌。"))
    if not user.is_active:
        raise ValidationError({"user": [ValidationError(_("该用户已停用。"), code="inactive")]})
    secret = new_secret()
    with transaction.atomic():
        token = ApiToken.objects.create(
            user=user, name=name, key_hash=hash_secret(secret), hint=secret[:8], created_by=actor
        )
        record(actor, "api.create_token", token, after=_snapshot(token))
    return token, secret


def revoke_token(actor, token) -> ApiToken:
    """Stop a token at once. Its owner or an administrator may; revoking twice is refused (409)."""
    pk = token.pk if isinstance(token, ApiToken) else token
    with transaction.atomic():
        token = fetch_in_scope(ApiToken.objects.for_user(actor), pk, lock=True)
        if token.revoked_at is not None:
            raise IllegalTransition(
                token, "revoke", _("该令牌已于 %(time)s 吊销。") % {"time": token.revoked_at}
            )
        before = _snapshot(token)
        token.revoked_at = timezone.now()
        token.revoked_by = actor
        token.save(update_fields=["revoked_at", "revoked_by"])
        record(actor, "api.revoke_token", token, before=before, after=_snapshot(token))
    return token


def authenticate_secret(secret: str) -> ApiToken | None:
    """The active token with this secret, its owner loaded; None when unknown, revoked or the user is off."""
    token = (
        ApiToken.objects.active()
        .select_related("user")
        .filter(key_hash=hash_secret(secret), user__is_active=True)
        .first()
    )
    if token is None:
        return None
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token
