"""Writing a policy (惠企政策): its text and guide, its amount and budget, and its conditions as rows, in one
service that checks everything first (clear errors, nothing saved), stores the conditions and their JSONLogic,
records the audit trail and refreshes the stored verdicts in the background. Officers holding
`policies.change_policy` keep the policies; `user=None` is the platform (the demo)."""

import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.text import slugify
from django.utils.translation import gettext as _

from sciencecity.audit import record

from ..models import Condition, Policy, PolicyMatch
from . import conditions as rules
from . import matching

CHANGE = "policies.change_policy"
FIELDS = (
    "title",
    "area",
    "text",
    "beneficiaries",
    "requirements",
    "amount",
    "amount_text",
    "budget",
    "valid_from",
    "valid_until",
    "department",
    "time_limit_days",
    "address",
    "phone",
    "mode",
)


def save_policy(user, code: str, *, conditions: list, publish: bool | None = None, **fields) -> Policy:
    """Create the policy `code` or change it (the fields given; its conditions replaced by `conditions`)."""
    if user is not None and not user.has_perm(CHANGE):
        raise PermissionDenied(_("只有政策管理人员可以编辑惠企政策。"))
    unknown = sorted(set(fields) - set(FIELDS))
    if unknown:
        raise TypeError(f"unknown policy fields: {', '.join(unknown)}")
    if not isinstance(code, str) or not code or slugify(code) != code or len(code) > 40:
        raise ValidationError({"code": _("政策编号只能包含小写字母、数字和短横线。")})
    cleaned = rules.check(conditions)
    with transaction.atomic():
        policy = Policy.objects.select_for_update().filter(code=code).first()
        before = (
            None if policy is None else {"conditions": _rows(policy), "is_published": policy.is_published}
        )
        policy = policy or Policy(code=code)
        for name, value in fields.items():
            setattr(policy, name, value.strip() if isinstance(value, str) else value)
        if publish is not None:
            policy.is_published = publish
        policy.rule = rules.rule_of(cleaned, policy.mode)
        try:
            policy.full_clean()
        except ValidationError as error:
            raise ValidationError(error.message_dict) from None
        if isinstance(policy.valid_until, datetime.date) and policy.valid_until < policy.valid_from:
            raise ValidationError({"valid_until": _("有效期不能早于施行日期。")})
        policy.save()
        policy.conditions.all().delete()
        Condition.objects.bulk_create(
            Condition(policy=policy, order=number, **condition) for number, condition in enumerate(cleaned)
        )
        if not policy.is_published:
            PolicyMatch.objects.filter(policy=policy).delete()
        record(
            user,
            "policies.save_policy",
            policy,
            before=before,
            after={"conditions": cleaned, "is_published": policy.is_published, "rule": policy.rule},
        )
        matching.enqueue(policy_ids=[policy.pk])
    return policy


def _rows(policy: Policy) -> list[dict]:
    return [
        {"fact": row.fact, "operator": row.operator, "value": row.value} for row in policy.conditions.all()
    ]
