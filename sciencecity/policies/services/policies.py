"""Writing a policy (惠企政策): its text and guide, its amount and budget, and its conditions as rows, in one
service that checks everything first (clear errors, nothing saved), stores the conditions and their JSONLogic,
records the audit trail and refreshes the stored verdicts in the background. The honouring department's heads
(`policies.change_policy`) keep its policies, administrators (`policies.keep_any_policy`) every department's;
`user=None` is the platform (the demo)."""

import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils.text import slugify
from django.utils.translation import gettext as _

from sciencecity.audit import record

from ..models import Condition, Policy, PolicyMatch
from . import conditions as rules
from . import matching
from .materials import check_materials

CHANGE = "policies.change_policy"
RESERVED = ("new", "claims")  # the pages' own addresses under /policies/
CHANGE_ANY = "policies.keep_any_policy"
SERVE = "policies.serve_policy"
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
    "automatic",
    "materials",
)


def save_policy(
    user, code: str, *, conditions: list, publish: bool | None = None, new: bool = False, **fields
) -> Policy:
    """Create the policy `code` or change it (the fields given; its conditions replaced by `conditions`);
    with `new`, a policy of that code must not exist yet."""
    if user is not None and not user.has_perm(CHANGE):
        raise PermissionDenied(_("只有政策兑现部门的负责人或管理员可以编辑惠企政策。"))
    unknown = sorted(set(fields) - set(FIELDS))
    if unknown:
        raise TypeError(f"unknown policy fields: {', '.join(unknown)}")
    if not isinstance(code, str) or not code or slugify(code) != code or len(code) > 40 or code in RESERVED:
        raise ValidationError({"code": _("政策编号只能包含小写字母、数字和短横线。")})
    cleaned = rules.check(conditions)
    if "materials" in fields:
        fields["materials"] = check_materials(fields["materials"])
    with transaction.atomic():
        policy = Policy.objects.select_for_update().filter(code=code).first()
        before = (
            None if policy is None else {"conditions": _rows(policy), "is_published": policy.is_published}
        )
        if policy is not None and new:
            raise ValidationError({"code": _("政策编号 %(code)s 已被使用。") % {"code": code}})
        if policy is not None:
            _require_keeper(user, policy.department_id)
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
        _require_keeper(user, policy.department_id)
        if isinstance(policy.valid_until, datetime.date) and policy.valid_until < policy.valid_from:
            raise ValidationError({"valid_until": _("有效期不能早于施行日期。")})
        try:
            with transaction.atomic():
                policy.save()
        except IntegrityError:  # created at the same moment by someone else
            raise ValidationError({"code": _("政策编号 %(code)s 已被使用。") % {"code": code}}) from None
        policy.conditions.all().delete()
        Condition.objects.bulk_create(
            Condition(policy=policy, order=number, **condition) for number, condition in enumerate(cleaned)
        )
        if not policy.is_published:
            PolicyMatch.objects.filter(policy=policy).delete()
            policy.eligible_count = policy.unknown_count = 0
            policy.save(update_fields=["eligible_count", "unknown_count"])
        record(
            user,
            "policies.save_policy",
            policy,
            before=before,
            after={"conditions": cleaned, "is_published": policy.is_published, "rule": policy.rule},
        )
        matching.enqueue(policy_ids=[policy.pk])
    return policy


def may_keep(user, department_id) -> bool:
    """Whether `user` may edit the policies of the department `department_id`."""
    if user is None or user.has_perm(CHANGE_ANY):
        return True
    return user.has_perm(CHANGE) and bool(user.department_id) and user.department_id == department_id


def may_serve(user, policy: Policy) -> bool:
    """Whether `user` works for the department that honours `policy` (sends its notices, decides its claims)."""
    if user is None or user.has_perm(CHANGE_ANY):
        return True
    return user.has_perm(SERVE) and bool(user.department_id) and user.department_id == policy.department_id


def _require_keeper(user, department_id) -> None:
    if not may_keep(user, department_id):
        raise PermissionDenied(_("只能编辑本部门兑现的惠企政策。"))


def _rows(policy: Policy) -> list[dict]:
    return [
        {"fact": row.fact, "operator": row.operator, "value": row.value} for row in policy.conditions.all()
    ]
