"""Redemption (兑现): a claim's one write path, on the shared workflow core.

Its states are the literal table `TRANSITIONS` (workflow.transitions): an enterprise starts a claim for a
policy in force and a period (a year). Where its file shows it eligible and the policy pays without
application, the platform fills the claim in (amount, the facts it was judged on) and the enterprise only
confirms it (免申即享, state "offered"); otherwise it applies with the materials the policy asks for, checked
by content like the approvals' uploads (快申快享, state "draft"). Once submitted, the paying department
decides within the policy's working-day limit (a stored deadline): it approves the amount against the
remaining budget (kept on the policy under its lock), returns the claim for correction, or refuses it with a
reason; an approved claim is paid with the payment's reference. A policy pays an enterprise once per period:
the service says so, and the database's partial unique constraint holds it under concurrency.

Every action locks the claim (and the policy where money moves), checks the table, saves, records an audit
event and tells the other side through notifications, in one transaction.
"""

import datetime
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from sciencecity.accounts.models import User
from sciencecity.approvals.files import check_upload, store_upload
from sciencecity.audit import record
from sciencecity.audit.services import event, record_many
from sciencecity.enterprises.facts import facts_for
from sciencecity.enterprises.models import Enterprise
from sciencecity.enterprises.selectors import people_of
from sciencecity.notifications import services as notifications
from sciencecity.workdays import clock
from sciencecity.workdays.calendar import deadline_after
from sciencecity.workflow.duties import morning_duty
from sciencecity.workflow.numbers import next_value
from sciencecity.workflow.transitions import TransitionTable

from ..models import Claim, ClaimMaterial, Policy, PolicyMatch
from ..notifications import PolicyNoticeKind
from . import conditions as rules
from . import matching
from .materials import material_rules
from .policies import may_serve

S = Claim.Status
CLAIM = "policies.claim_policy"
SERVE = "policies.serve_policy"

TRANSITIONS = TransitionTable(
    Claim,
    [
        (S.OFFERED, "confirm", S.SUBMITTED, CLAIM),
        (S.DRAFT, "submit", S.SUBMITTED, CLAIM),
        (S.OFFERED, "withdraw", S.WITHDRAWN, CLAIM),
        (S.DRAFT, "withdraw", S.WITHDRAWN, CLAIM),
        (S.SUBMITTED, "return", S.DRAFT, SERVE),
        (S.SUBMITTED, "approve", S.APPROVED, SERVE),
        (S.SUBMITTED, "refuse", S.REFUSED, SERVE),
        (S.APPROVED, "pay", S.PAID, SERVE),
    ],
    {
        "confirm": gettext_lazy("确认享受"),
        "submit": gettext_lazy("提交申请"),
        "withdraw": gettext_lazy("撤回申请"),
        "return": gettext_lazy("退回补正"),
        "approve": gettext_lazy("核准兑现"),
        "refuse": gettext_lazy("不予兑现"),
        "pay": gettext_lazy("登记拨付"),
    },
)


# --- who may -------------------------------------------------------------------------------------------


def _require_own(user, claim_or_enterprise_id) -> None:
    enterprise_id = getattr(claim_or_enterprise_id, "enterprise_id", claim_or_enterprise_id)
    if user is not None and not (
        user.enterprise_id and user.enterprise_id == enterprise_id and user.has_perm(CLAIM)
    ):
        raise PermissionDenied(_("只有本企业人员可以办理本企业的兑现申请。"))


def _require_department(user, claim) -> None:
    if not may_serve(user, claim.policy):
        raise PermissionDenied(_("只有政策兑现部门的工作人员可以审核兑现申请。"))


# --- starting a claim -----------------------------------------------------------------------------------


def verdict_now(policy: Policy, enterprise, today: datetime.date) -> tuple[str, list, list, dict]:
    """The enterprise's verdict for `policy` from its file as it is now (not the stored one, which may lag
    behind a change by a background task): (verdict, failed condition indexes, missing facts, facts)."""
    facts = facts_for([enterprise], today)[enterprise.pk]
    conditions = [{"fact": c.fact, "operator": c.operator, "value": c.value} for c in policy.conditions.all()]
    verdict, failed, missing = matching.judge(conditions, policy.mode, facts)
    return verdict, failed, missing, facts


def _check_budget(policy: Policy, amount: Decimal) -> None:
    if amount <= 0:
        raise ValidationError({"amount": _("申请金额应大于零。")})
    if policy.amount is not None and amount > policy.amount:
        raise ValidationError(
            {"amount": _("申请金额超过本政策的兑现上限 %(max)s 万元。") % {"max": policy.amount}}
        )
    remaining = policy.remaining
    if remaining is not None and amount > remaining:
        raise ValidationError(
            {"amount": _("申请金额超过政策剩余预算(剩余 %(left)s 万元)。") % {"left": remaining}}
        )


def start_claim(
    user, policy: Policy, enterprise, *, period: int | None = None, amount=None, note: str = ""
) -> Claim:
    """Start the enterprise's claim under `policy` for `period` (this year by default): pre-filled and waiting
    for its confirmation where it is eligible and the policy pays without application, else a draft to
    complete with materials. Refused: a policy not in force, an enterprise its file shows ineligible, a
    second claim for the period, an amount over the policy's limit or its remaining budget."""
    _require_own(user, enterprise.pk)
    today = clock.today()
    period = period or today.year
    if not isinstance(period, int) or not today.year - 1 <= period <= today.year:
        raise ValidationError({"period": _("兑现年度应为今年或上一年。")})
    with transaction.atomic():
        policy = Policy.objects.select_for_update().get(pk=policy.pk)
        if not matching.in_force(today).filter(pk=policy.pk).exists():
            raise ValidationError(_("政策未发布或不在有效期内,不能申请兑现。"))
        if _live_of(policy, period).filter(enterprise_id=enterprise.pk).exists():
            raise ValidationError(
                _("本企业 %(period)s 年度已申请过该政策,同一年度不能重复兑现。") % {"period": period}
            )
        enterprise = Enterprise.objects.get(pk=enterprise.pk)  # its file as it is now
        verdict, failed, missing, facts = verdict_now(policy, enterprise, today)
        if verdict == PolicyMatch.Verdict.INELIGIBLE:
            from ..selectors import describe

            rows = list(policy.conditions.all())
            raise ValidationError(
                _("按企业档案,本企业不符合该政策的申报条件:%(failed)s。")
                % {"failed": ";".join(describe(rows[i]) for i in failed)}
            )
        automatic = policy.automatic and verdict == PolicyMatch.Verdict.ELIGIBLE
        amount = Decimal(str(amount)) if amount not in (None, "") else policy.amount
        if amount is None:
            raise ValidationError({"amount": _("本政策没有固定金额,请填写申请金额。")})
        if automatic:
            amount = policy.amount or amount
        _check_budget(policy, amount)
        claim = Claim(
            number=_number(today),
            policy=policy,
            enterprise=enterprise,
            period=period,
            route=Claim.Route.AUTOMATIC if automatic else Claim.Route.APPLY,
            status=S.OFFERED if automatic else S.DRAFT,
            amount=amount,
            facts=facts,
            missing=missing,
            note=(note or "").strip(),
            created_by=user,
        )
        try:
            with transaction.atomic():
                claim.save()
        except IntegrityError:  # a concurrent claim for the same period won
            raise ValidationError(
                _("本企业 %(period)s 年度已申请过该政策,同一年度不能重复兑现。") % {"period": period}
            ) from None
        record(user, "policies.start_claim", claim, after=_state(claim))
    return claim


def offer_claims(policy: Policy, enterprise_ids, *, period: int | None = None) -> int:
    """Fill in a claim, waiting for confirmation, for each enterprise of `enterprise_ids` that its file shows
    eligible and that has none for the period (免申即享 policies with a fixed amount only; inside the caller's
    transaction, which holds the policy's lock). The files are read in one batch. Returns how many."""
    if not policy.automatic or policy.amount is None:
        return 0
    today = clock.today()
    period = period or today.year
    taken = set(
        _live_of(policy, period)
        .filter(enterprise_id__in=list(enterprise_ids))
        .values_list("enterprise_id", flat=True)
    )
    enterprises = list(Enterprise.objects.filter(pk__in=set(enterprise_ids) - taken).order_by("pk"))
    facts = facts_for(enterprises, today)
    conditions = [{"fact": c.fact, "operator": c.operator, "value": c.value} for c in policy.conditions.all()]
    compiled = [rules.compiled(condition) for condition in conditions]
    made = []
    for enterprise in enterprises:
        verdict, _failed, missing = matching.judge(conditions, policy.mode, facts[enterprise.pk], compiled)
        if verdict != PolicyMatch.Verdict.ELIGIBLE:
            continue
        made.append(
            Claim(
                number=_number(today),
                policy=policy,
                enterprise=enterprise,
                period=period,
                route=Claim.Route.AUTOMATIC,
                status=S.OFFERED,
                amount=policy.amount,
                facts=facts[enterprise.pk],
                missing=missing,
            )
        )
    Claim.objects.bulk_create(made, batch_size=500)
    record_many([event(None, "policies.start_claim", claim, after=_state(claim)) for claim in made])
    return len(made)


def _live_of(policy, period):
    return Claim.objects.filter(policy=policy, period=period).exclude(status__in=Claim.ENDED)


def _number(day: datetime.date) -> str:
    return f"DX{day:%Y}{next_value(f'claim-{day.year}'):07d}"


def _state(claim: Claim) -> dict:
    return {
        "status": claim.status,
        "route": claim.route,
        "period": claim.period,
        "amount": str(claim.amount),
        "approved_amount": None if claim.approved_amount is None else str(claim.approved_amount),
    }


# --- materials -----------------------------------------------------------------------------------------


def attach_material(user, claim: Claim, code: str, uploaded_file) -> ClaimMaterial:
    """Attach (or replace) the material `code` of a draft claim, checked by size and content."""
    _require_own(user, claim)
    with transaction.atomic():
        claim = Claim.objects.select_for_update().select_related("policy").get(pk=claim.pk)
        if claim.status != S.DRAFT:
            raise ValidationError(_("只有填报中的申请可以上传材料。"))
        rule = next((rule for rule in material_rules(claim.policy) if rule.code == code), None)
        if rule is None:
            raise ValidationError({"code": _("本政策不要求材料“%(code)s”。") % {"code": str(code)[:40]}})
        checked = check_upload(rule, uploaded_file)
        material = ClaimMaterial.objects.filter(claim=claim, code=code).first() or ClaimMaterial(
            claim=claim, code=code
        )
        old_file = material.file.name if material.pk else ""
        material.name = rule.name
        material.uploaded_at = clock.now()
        store_upload(material, uploaded_file, checked, fallback=code)
        material.save()
        record(
            user, "policies.attach_claim_material", claim, after={"code": code, "name": checked.original_name}
        )
        if old_file and old_file != material.file.name:
            storage = material.file.storage
            transaction.on_commit(lambda: storage.delete(old_file))
    return material


# --- the transitions ------------------------------------------------------------------------------------


def _act(user, claim: Claim, action: str, *, department: bool, change=None, tell=None) -> Claim:
    """Lock the claim, check who may, check the table, let `change(claim, policy)` do the action's own checks
    and writes, save, audit, and tell the other side (`tell(claim)`, inside the transaction)."""
    with transaction.atomic():
        claim = Claim.objects.select_for_update().select_related("policy").get(pk=claim.pk)
        if department:
            _require_department(user, claim)
        else:
            _require_own(user, claim)
        before = _state(claim)
        TRANSITIONS.apply(claim, action, user)
        policy = claim.policy
        if change is not None:
            policy = Policy.objects.select_for_update().get(pk=claim.policy_id)
            change(claim, policy)
        claim.save()
        record(user, f"policies.{action}_claim", claim, before=before, after=_state(claim))
        if tell is not None:
            tell(claim)
    return claim


def _submitted(claim: Claim, policy: Policy) -> None:
    _check_budget(policy, claim.amount)
    now = clock.now()
    claim.submitted_at = now
    claim.due_on, claim.due_on_provisional = deadline_after(clock.today(), policy.time_limit_days)


def confirm(user, claim: Claim) -> Claim:
    """免申即享: the enterprise confirms the claim the platform filled in (still eligible by its file)."""

    def change(claim, policy):
        verdict, _failed, _missing, facts = verdict_now(policy, claim.enterprise, clock.today())
        if verdict != PolicyMatch.Verdict.ELIGIBLE:
            raise ValidationError(_("企业档案已变化,按目前的资料不再符合条件;请撤回后重新申请。"))
        claim.facts = facts
        _submitted(claim, policy)

    return _act(user, claim, "confirm", department=False, change=change, tell=_tell_department)


def submit(user, claim: Claim, *, amount=None, note: str | None = None) -> Claim:
    """快申快享: submit the draft with every material the policy asks for."""

    def change(claim, policy):
        if amount not in (None, ""):
            claim.amount = Decimal(str(amount))
        if note is not None:
            claim.note = note.strip()
        attached = set(claim.claim_materials.values_list("code", flat=True))
        lacking = [rule.name for rule in material_rules(policy) if rule.code not in attached]
        if lacking:
            raise ValidationError(_("还缺少材料:%(names)s。") % {"names": "、".join(lacking)})
        _submitted(claim, policy)

    return _act(user, claim, "submit", department=False, change=change, tell=_tell_department)


def withdraw(user, claim: Claim) -> Claim:
    return _act(user, claim, "withdraw", department=False)


def _reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("请写明理由。")})
    return reason[:2000]


def return_claim(user, claim: Claim, reason: str) -> Claim:
    """Back to the enterprise for correction, with what to correct; the time limit starts again on resubmission."""
    reason = _reason(reason)

    def change(claim, policy):
        claim.reason = reason
        claim.submitted_at = claim.due_on = None
        claim.due_on_provisional = False
        claim.decided_by, claim.decided_at = user, clock.now()

    return _act(user, claim, "return", department=True, change=change, tell=_tell_enterprise)


def approve(user, claim: Claim, *, amount=None, reason: str = "") -> Claim:
    """Approve the payout (the amount asked, or less), recorded against the policy's remaining budget."""

    def change(claim, policy):
        granted = Decimal(str(amount)) if amount not in (None, "") else claim.amount
        if granted > claim.amount:
            raise ValidationError({"amount": _("核准金额不能超过申请金额。")})
        _check_budget(policy, granted)
        claim.approved_amount = granted
        claim.reason = (reason or "").strip()
        claim.decided_by, claim.decided_at = user, clock.now()
        policy.committed += granted
        policy.save(update_fields=["committed"])

    return _act(user, claim, "approve", department=True, change=change, tell=_tell_enterprise)


def refuse(user, claim: Claim, reason: str) -> Claim:
    reason = _reason(reason)

    def change(claim, policy):
        claim.reason = reason
        claim.decided_by, claim.decided_at = user, clock.now()

    return _act(user, claim, "refuse", department=True, change=change, tell=_tell_enterprise)


def pay(user, claim: Claim, reference: str) -> Claim:
    """Record the payment (its voucher or transfer number) of an approved claim."""
    reference = (reference or "").strip()
    if not reference:
        raise ValidationError({"reference": _("请填写拨付凭证号。")})

    def change(claim, policy):
        claim.payment_reference = reference[:60]
        claim.paid_at = clock.now()
        policy.paid += claim.approved_amount
        policy.save(update_fields=["paid"])

    return _act(user, claim, "pay", department=True, change=change, tell=_tell_enterprise)


# --- telling people ---------------------------------------------------------------------------------------


def _deciders(department_id) -> list:
    """The paying department's people who decide claims (its reviewers and heads)."""
    return list(
        User.objects.filter(
            department_id=department_id,
            is_active=True,
            groups__name__in=("department_reviewer", "department_head"),
        ).distinct()
    )


def _tell_department(claim: Claim) -> None:
    people = _deciders(claim.policy.department_id)
    values = {"number": claim.number, "policy": claim.policy.title, "enterprise": claim.enterprise.name}
    due = claim.due_on

    def compose():
        return (
            _("待审核的兑现申请:%(number)s") % values,
            _("%(enterprise)s申请兑现“%(policy)s”,请于 %(due)s 前审核。")
            % {**values, "due": due.isoformat()},
        )

    notifications.notify(people, PolicyNoticeKind.CLAIM, compose, about=claim)


def _tell_enterprise(claim: Claim) -> None:
    values = {
        "number": claim.number,
        "policy": claim.policy.title,
        "amount": claim.approved_amount,
        "reason": claim.reason,
        "reference": claim.payment_reference,
    }
    status = claim.status

    def compose():
        if status == S.APPROVED:
            return (
                _("兑现已核准:%(policy)s") % values,
                _("兑现申请 %(number)s 已核准,核准金额 %(amount)s 万元,资金将尽快拨付。") % values,
            )
        if status == S.PAID:
            return (
                _("资金已拨付:%(policy)s") % values,
                _("兑现申请 %(number)s 的 %(amount)s 万元已拨付,凭证号 %(reference)s。") % values,
            )
        if status == S.DRAFT:
            return (
                _("兑现申请被退回补正:%(policy)s") % values,
                _("兑现申请 %(number)s 被退回补正:%(reason)s") % values,
            )
        return (
            _("兑现申请未通过:%(policy)s") % values,
            _("兑现申请 %(number)s 未通过:%(reason)s") % values,
        )

    people = people_of([claim.enterprise_id]).get(claim.enterprise_id, [])
    notifications.notify(people, PolicyNoticeKind.CLAIM, compose, about=claim)


@morning_duty("policy_claims_overdue")
def warn_overdue(today: datetime.date | None = None) -> int:
    """Each working morning: the paying department hears of each claim past its time limit, once."""
    today = today or clock.today()
    late = Claim.objects.filter(status=S.SUBMITTED, due_on__lt=today).select_related("policy", "enterprise")
    sent, deciders = 0, {}
    for claim in late.order_by("due_on", "pk")[:1000]:
        values = {"number": claim.number, "policy": claim.policy.title, "enterprise": claim.enterprise.name}
        due = claim.due_on

        def compose(values=values, due=due):
            return (
                _("兑现申请已超期:%(number)s") % values,
                _("%(enterprise)s的“%(policy)s”兑现申请已超过办理期限 %(due)s,请尽快审核。")
                % {**values, "due": due.isoformat()},
            )

        if claim.policy.department_id not in deciders:  # one query per department, not per claim
            deciders[claim.policy.department_id] = _deciders(claim.policy.department_id)
        people = deciders[claim.policy.department_id]
        sent += len(
            notifications.notify(
                people,
                PolicyNoticeKind.CLAIM,
                compose,
                about=claim,
                dedupe_key=f"claim-overdue-{claim.pk}",
            )
        )
    return sent
