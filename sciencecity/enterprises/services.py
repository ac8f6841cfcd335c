"""Every write to the enterprise registry: registration, updates and linking applicants, each audited.

Administrators (the permissions `enterprises.add_enterprise` / `enterprises.change_enterprise`) keep the
registry; `user=None` stands for the system (the demo generator, imports) and is always allowed. Enterprise
applicants do not register enterprises themselves yet: an administrator registers the enterprise and links
the applicant's account to it with `link_user_to_enterprise`.
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from sciencecity.audit import record
from sciencecity.audit.services import snapshot

from .models import Enterprise
from .validators import normalize_credit_code

# The fields a caller may set; the timestamps are kept by the model.
ENTERPRISE_FIELDS = frozenset(
    {
        "name",
        "credit_code",
        "legal_representative",
        "industry",
        "is_high_tech",
        "is_tech_based",
        "address",
        "contact_phone",
    }
)
USER_LINK_FIELDS = ["enterprise"]


def _require(user, permission: str, message: str) -> None:
    """Let the system (None) and holders of `permission` pass; refuse everybody else."""
    if user is None:
        return
    if not user.has_perm(permission):
        raise PermissionDenied(message)


def _check_fields(fields: dict) -> None:
    unknown = sorted(set(fields) - ENTERPRISE_FIELDS)
    if unknown:
        raise TypeError(f"unknown enterprise fields: {', '.join(unknown)}")


def check_credit_code_available(credit_code: str, exclude_pk=None) -> None:
    """Raise a ValidationError naming the enterprise that already holds `credit_code` (normalized)."""
    holders = Enterprise.objects.filter(credit_code=credit_code)
    if exclude_pk is not None:
        holders = holders.exclude(pk=exclude_pk)
    holder = holders.only("name").first()
    if holder is not None:
        raise ValidationError(
            {
                "credit_code": ValidationError(
                    _("该统一社会信用代码已登记为企业 %(name)s。") % {"name": holder.name},
                    code="credit_code_taken",
                )
            }
        )


def _apply(enterprise: Enterprise, fields: dict) -> None:
    for name, value in fields.items():
        if name == "credit_code":
            value = normalize_credit_code(value)
        elif isinstance(value, str):
            value = value.strip()
        setattr(enterprise, name, value)


@transaction.atomic
def register_enterprise(user, **fields) -> Enterprise:
    """Register a new enterprise; the credit code is compacted (no spaces or dashes, upper case) and checked."""
    _require(user, "enterprises.add_enterprise", _("您没有登记企业的权限。"))
    _check_fields(fields)
    enterprise = Enterprise()
    _apply(enterprise, fields)
    if enterprise.credit_code:
        check_credit_code_available(enterprise.credit_code)
    enterprise.full_clean()
    enterprise.save()
    record(user, "enterprises.register_enterprise", enterprise, before=None, after=snapshot(enterprise))
    return enterprise


@transaction.atomic
def update_enterprise(user, enterprise: Enterprise, **fields) -> Enterprise:
    """Change an enterprise's registered data; a change that changes nothing writes nothing."""
    _require(user, "enterprises.change_enterprise", _("您没有修改企业信息的权限。"))
    _check_fields(fields)
    enterprise = Enterprise.objects.select_for_update().get(pk=enterprise.pk)
    before = snapshot(enterprise)
    _apply(enterprise, fields)
    if snapshot(enterprise) == before:
        return enterprise
    if enterprise.credit_code != before["credit_code"]:
        check_credit_code_available(enterprise.credit_code, exclude_pk=enterprise.pk)
    enterprise.full_clean()
    enterprise.save()
    record(user, "enterprises.update_enterprise", enterprise, before=before, after=snapshot(enterprise))
    return enterprise


@transaction.atomic
def link_user_to_enterprise(admin_user, user, enterprise: Enterprise | None):
    """Make `user` a member of `enterprise` (None unlinks), so they act for it as its applicant.

    Needs `accounts.change_user`. Roles are not changed here: give the user the applicant role separately.
    """
    _require(admin_user, "accounts.change_user", _("您没有修改用户所属企业的权限。"))
    model = type(user)
    user = model.objects.select_for_update().get(pk=user.pk)
    before = snapshot(user, fields=USER_LINK_FIELDS)
    user.enterprise = enterprise
    if snapshot(user, fields=USER_LINK_FIELDS) == before:
        return user
    user.save(update_fields=["enterprise"])
    record(
        admin_user,
        "accounts.link_user_to_enterprise",
        user,
        before=before,
        after=snapshot(user, fields=USER_LINK_FIELDS),
    )
    return user
